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

/*
 * A batch: records one producer reserves and submits in a row into a ring,
 * with no lock and no atomic operation per record (after the first three,
 * records come from blocks, each reserved under the lock for several), and
 * one wakeup decision per block and at kring_batch_end(). Until then, the
 * unused part of the batch's block holds back the ring's later records, as
 * a reserved record does: keep a batch short, in one context, and do not
 * sleep in it.
 *
 *	struct kring_batch batch;
 *
 *	kring_batch_begin(&batch);
 *	for (...) {
 *		rec = kring_batch_reserve(&batch, ring, sizeof(*rec), 0);
 *		if (rec) {
 *			fill(rec);
 *			kring_batch_submit(&batch, rec, 0);
 *		}
 *	}
 *	kring_batch_end(&batch);
 *
 * The batch takes the first ring it reserves from; records of other rings
 * go one at a time, as kring_reserve() and kring_submit() do. Every record
 * reserved in a batch must be submitted or discarded before its end.
 * Unused space, when the batch ends or a record does not fit the rest of
 * a block, reaches the consumer as a discarded record. The fields are
 * kring's own.
 */
struct kring_batch {
	struct kring_ring *ring;	/* the batch's ring, NULL until one */
	unsigned long block_next;	/* the block: the next record goes here */
	unsigned long block_end;	/* ... up to here */
	unsigned long first;		/* position of the batch's first record */
	unsigned long end;		/* ... and the end of its last */
	unsigned long checked;		/* wakeups decided for records before */
	u32 records;			/* reserved from the ring so far */
	bool wake_rule;			/* a record obeys the wakeup rule */
	bool open_at_check;		/* a record was not committed at a check */
	u64 committed;			/* statistics, added at the end */
	u64 discarded;
	u64 bytes;
	u64 wakeups;
};

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

void kring_batch_begin(struct kring_batch *batch);
/* As kring_reserve(), kring_submit() and kring_discard(), in @batch. */
void *kring_batch_reserve(struct kring_batch *batch, struct kring_ring *ring,
			  u64 size, u64 flags);
void kring_batch_submit(struct kring_batch *batch, void *sample, u64 flags);
void kring_batch_discard(struct kring_batch *batch, void *sample, u64 flags);
/* As kring_output(), in @batch. */
int kring_batch_output(struct kring_batch *batch, struct kring_ring *ring,
		       const void *data, u64 size, u64 flags);
/* As kring_query(); KRING_QUERY_AVAIL_DATA leaves out the batch's unused block. */
u64 kring_batch_query(struct kring_batch *batch, struct kring_ring *ring,
		      u64 selector);
/* Gives back the unused block and wakes the consumer if it waits at us. */
void kring_batch_end(struct kring_batch *batch);

#endif /* KRING_H */
