/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helpers verified programs call: one function per helper, with the BPF
 * calling convention (R1-R5 in, R0 out), which JIT'd code calls directly,
 * and kring_call_helper, the interpreter's way in.
 */
#ifndef KRING_HELPERS_H
#define KRING_HELPERS_H

#include <linux/types.h>

typedef u64 (*kring_helper_fn)(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

/* The function of helper @helper_id (Linux's numbers); NULL if none. */
kring_helper_fn kring_helper_addr(s32 helper_id);

/* struct kbpf_interp_env's call_helper: Linux's helper numbers. */
u64 kring_call_helper(void *priv, s32 helper_id, const u64 args[5]);

#endif /* KRING_HELPERS_H */
