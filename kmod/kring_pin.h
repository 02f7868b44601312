/* SPDX-License-Identifier: GPL-2.0 */
/* Names (KRING_IOC_PIN and friends), private to the module. */
#ifndef KRING_PIN_H
#define KRING_PIN_H

#include <linux/compiler_types.h>
#include <linux/types.h>

#include "kring_ids.h"

struct kring_ring;

/* KRING_IOC_PIN on a ring, program or link fd: @obj of @kind. */
long kring_pin(enum kring_kind kind, void *obj, const void __user *arg);
/* A counted reference to the named ring, or an ERR_PTR. */
struct kring_ring *kring_pin_open(const void __user *arg);
long kring_pin_remove(const void __user *arg);
long kring_pin_list(void __user *arg);

/*
 * For the list ioctls: with the table locked, how many names @obj of @kind
 * has; the first (in pinning order) is copied to @first
 * (KRING_NAME_MAX bytes, left alone if it has none).
 */
void kring_pin_table_lock(void);
void kring_pin_table_unlock(void);
u32 kring_pin_names(enum kring_kind kind, const void *obj, char *first);

#endif /* KRING_PIN_H */
