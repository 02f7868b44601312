/* SPDX-License-Identifier: GPL-2.0 */
/* The helpers verified programs call, for the interpreter. */
#ifndef KRING_HELPERS_H
#define KRING_HELPERS_H

#include <linux/types.h>

/* struct kbpf_interp_env's call_helper: Linux's helper numbers. */
u64 kring_call_helper(void *priv, s32 helper_id, const u64 args[5]);

#endif /* KRING_HELPERS_H */
