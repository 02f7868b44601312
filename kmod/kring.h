/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kring's in-kernel producer API, for other modules.
 *
 * A module gets a ring from a ring fd of the calling process (for example one
 * that userspace passed it through an ioctl or a write), produces records
 * into it from any context, NMI included, and drops its reference when done.
 *
 *	ring = kring_ring_get_fd(fd);
 *	rec = kring_reserve(ring, sizeof(*rec), 0);
 *	if (rec) {
 *		fill(rec);
 *		kring_submit(rec, 0);
 *	}
 *	kring_ring_put(ring);
 *
 * Reservation fails (NULL, counted as a drop) when the ring is full; it never
 * overwrites unconsumed data. A reserved record must be submitted or
 * discarded, and it holds back every later record until it is.
 */
#ifndef KRING_H
#define KRING_H

#include <linux/types.h>

struct kring_ring;

/* A counted reference to the ring of @fd, or ERR_PTR(-EBADF/-EINVAL/-ENXIO). */
struct kring_ring *kring_ring_get_fd(int fd);
void kring_ring_get(struct kring_ring *ring);
void kring_ring_put(struct kring_ring *ring);

/* @flags must be 0. Returns the payload, or NULL when there is no room. */
void *kring_reserve(struct kring_ring *ring, u64 size, u64 flags);
/* @flags: KRING_NO_WAKEUP or KRING_FORCE_WAKEUP from <linux/kring.h>. */
void kring_submit(void *sample, u64 flags);
void kring_discard(void *sample, u64 flags);
/* Reserve, copy, submit: 0, -EINVAL (flags), -E2BIG (size) or -EAGAIN (full). */
int kring_output(struct kring_ring *ring, const void *data, u64 size,
		 u64 flags);
/* KRING_QUERY_* selectors; 0 for an unknown one, as Linux's helper does. */
u64 kring_query(struct kring_ring *ring, u64 selector);

#endif /* KRING_H */
