/* SPDX-License-Identifier: GPL-2.0 */
/* Named rings (KRING_IOC_PIN and friends), private to the module. */
#ifndef KRING_PIN_H
#define KRING_PIN_H

#include <linux/compiler_types.h>

struct kring_ring;

long kring_pin_ring(struct kring_ring *ring, const void __user *arg);
/* A counted reference to the named ring, or an ERR_PTR. */
struct kring_ring *kring_pin_open(const void __user *arg);
long kring_pin_remove(const void __user *arg);
long kring_pin_list(void __user *arg);

#endif /* KRING_PIN_H */
