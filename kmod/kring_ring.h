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

#endif /* KRING_RING_H */
