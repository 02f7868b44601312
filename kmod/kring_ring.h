/* SPDX-License-Identifier: GPL-2.0 */
/* A ring's kernel object, private to the module. */
#ifndef KRING_RING_H
#define KRING_RING_H

#include <linux/irq_work.h>
#include <linux/mm_types.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "kring.h"
#include "kring_rb_core.h"

struct kring_ring_info;

struct kring_cpu_stats {
	u64 committed;
	u64 discarded;
	u64 bytes;
	u64 dropped;
	u64 wakeups;
};

/*
 * The ring lives in the first page of its own vmap()'d area, followed by the
 * consumer page, the producer page and the data pages mapped twice:
 *
 *   [ring][consumer][producer][data 0 .. N-1][data 0 .. N-1]
 *
 * A record header's pg_off counts pages from the ring, so a sample pointer
 * alone leads back to its ring, which is what lets submit and discard take
 * just the sample. Userspace maps everything after the first page.
 */
struct kring_ring {
	struct kring_rb rb;
	raw_spinlock_t lock;		/* serialises reservations */
	wait_queue_head_t waitq;	/* the relays of the ring's files */
	struct irq_work wakeup_work;	/* wakes waitq from any context */
	struct kring_cpu_stats __percpu *stats;
	refcount_t refs;
	u32 id;				/* kring_ids.c */
	u64 cookie;			/* random identity, never 0 */
	struct page **pages;		/* every page of the area, in order */
	unsigned int nr_pages;
	unsigned int nr_data_pages;
};

/* Pages before the user-visible part of the area. */
#define KRING_RING_PAGES 1

struct kring_ring *kring_ring_create(u64 data_size);

void *kring_ring_reserve(struct kring_ring *ring, u64 size);
void kring_ring_commit(void *sample, bool discard, u64 flags);
int kring_ring_output_user(struct kring_ring *ring, const void __user *data,
			   u64 size, u64 flags);
void kring_ring_read_stats(struct kring_ring *ring, struct kring_stats *out);
/* KRING_IOC_RING_LIST: all but the pinned names (kring_ids.c adds them). */
void kring_ring_fill_info(struct kring_ring *ring,
			  struct kring_ring_info *info);

int kring_ring_mmap(struct kring_ring *ring, struct vm_area_struct *vma);
__poll_t kring_ring_poll(struct kring_ring *ring);

/* The ring a record belongs to, from the page offset in its header. */
static inline struct kring_ring *kring_ring_of(struct kring_record_header *hdr)
{
	unsigned long hdr_page = (unsigned long)hdr & PAGE_MASK;

	return (struct kring_ring *)(hdr_page -
				     ((unsigned long)hdr->pg_off << PAGE_SHIFT));
}

/*
 * Batches (struct kring_batch in kring.h): what every record goes through
 * inline, for the exported functions and the ring helpers alike; what a
 * block's end needs, in kring_ring.c.
 */
void *kring_batch_refill(struct kring_batch *batch, struct kring_ring *ring,
			 u64 size);
void kring_batch_force_wakeup(struct kring_batch *batch);

/* A record from the batch's block, or else kring_batch_refill(). */
static inline void *__kring_batch_reserve(struct kring_batch *batch,
					  struct kring_ring *ring, u64 size)
{
	void *sample;

	if (batch->ring == ring) {
		sample = kring_rb_block_take(&ring->rb, &batch->block_next,
					     batch->block_end, size);
		if (sample) {
			batch->records++;
			return sample;
		}
	}
	return kring_batch_refill(batch, ring, size);
}

/*
 * A record of the batch's ring was reserved in the batch (a record lives
 * no longer than its batch): a release commits it, and the batch's end
 * decides on the wakeup. Records of other rings commit as single ones.
 */
static inline void kring_batch_commit(struct kring_batch *batch, void *sample,
				      bool discard, u64 flags)
{
	struct kring_record_header *hdr = kring_rb_sample_header(sample);
	struct kring_ring *ring = kring_ring_of(hdr);
	u32 size;

	if (ring != batch->ring) {
		kring_ring_commit(sample, discard, flags);
		return;
	}
	/* Once committed, the record may be consumed and its space reused. */
	size = hdr->len & ~KRING_BUSY_BIT;
	kring_rb_commit_quiet(sample, discard);
	if (discard) {
		batch->discarded++;
	} else {
		batch->committed++;
		batch->bytes += size;
	}
	if (flags & KRING_FORCE_WAKEUP)
		kring_batch_force_wakeup(batch);
	else if (!(flags & KRING_NO_WAKEUP))
		batch->wake_rule = true;
}

#endif /* KRING_RING_H */
