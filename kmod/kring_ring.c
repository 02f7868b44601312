// SPDX-License-Identifier: GPL-2.0
/*
 * A ring's memory, its producers and its wakeups.
 *
 * The protocol itself (where a record goes, which barrier publishes what) is
 * in kring_rb_core.h, shared with userspace; this file adds what only the
 * kernel has: pages and their double mapping, the producer lock, irq_work
 * wakeups, per-CPU statistics and the in-kernel API.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/kring.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kring.h"
#include "kring_compat.h"
#include "kring_ids.h"
#include "kring_ring.h"

static void kring_wakeup_work(struct irq_work *work)
{
	struct kring_ring *ring = container_of(work, struct kring_ring,
					       wakeup_work);

	wake_up_all(&ring->waitq);
}

static void kring_free_pages(struct page **pages, unsigned int count)
{
	while (count--)
		__free_page(pages[count]);
}

/*
 * Allocates the area page by page (no high-order allocation for a large
 * ring) and maps it with every data page twice, so that a record wrapping
 * the end of the data area is contiguous in the kernel and, through
 * remap_vmalloc_range(), in every user mapping.
 *
 * A ring larger than the memory the system has available fails at once, and
 * the pages are allocated with __GFP_RETRY_MAYFAIL: a create that does not
 * fit fails with ENOMEM after reclaim, and never invokes the OOM killer on
 * someone else. Every page is charged to the caller's memory cgroup
 * (__GFP_ACCOUNT), as Linux charges BPF maps; a fatal signal stops a long
 * allocation.
 */
static void *kring_area_alloc(unsigned int nr_data_pages,
			      struct page ***pages_out, unsigned int *nr_out)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN |
			  __GFP_RETRY_MAYFAIL;
	unsigned int nr_meta = KRING_RING_PAGES + 2;
	unsigned int nr_pages = nr_meta + 2 * nr_data_pages;
	unsigned int nr_allocated = nr_meta + nr_data_pages;
	struct page **pages;
	unsigned int i;
	void *area;

	if (nr_allocated > si_mem_available())
		return ERR_PTR(-ENOMEM);
	pages = kvmalloc_array(nr_pages, sizeof(*pages),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < nr_allocated; i++) {
		if (fatal_signal_pending(current)) {
			area = ERR_PTR(-EINTR);
			goto err_free;
		}
		pages[i] = alloc_page(gfp);
		if (!pages[i]) {
			area = ERR_PTR(-ENOMEM);
			goto err_free;
		}
		cond_resched();
	}
	for (i = 0; i < nr_data_pages; i++)
		pages[nr_allocated + i] = pages[nr_meta + i];

	area = vmap(pages, nr_pages, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!area) {
		area = ERR_PTR(-ENOMEM);
		i = nr_allocated;
		goto err_free;
	}
	*pages_out = pages;
	*nr_out = nr_pages;
	return area;

err_free:
	kring_free_pages(pages, i);
	kvfree(pages);
	return area;
}

struct kring_ring *kring_ring_create(u64 data_size)
{
	unsigned int nr_data_pages = data_size >> PAGE_SHIFT;
	struct kring_ring *ring;
	struct page **pages;
	unsigned int nr_pages;
	u8 *area;
	int err;

	BUILD_BUG_ON(sizeof(*ring) > KRING_RING_PAGES * PAGE_SIZE);
	if (data_size < PAGE_SIZE || data_size > KRING_MAX_DATA_SIZE ||
	    !is_power_of_2(data_size))
		return ERR_PTR(-EINVAL);

	area = kring_area_alloc(nr_data_pages, &pages, &nr_pages);
	if (IS_ERR(area))
		return ERR_CAST(area);
	ring = (struct kring_ring *)area;
	ring->stats = alloc_percpu_gfp(struct kring_cpu_stats, GFP_KERNEL_ACCOUNT);
	if (!ring->stats) {
		vunmap(area);
		kring_free_pages(pages, nr_pages - nr_data_pages);
		kvfree(pages);
		return ERR_PTR(-ENOMEM);
	}
	ring->pages = pages;
	ring->nr_pages = nr_pages;
	ring->nr_data_pages = nr_data_pages;
	raw_spin_lock_init(&ring->lock);
	init_waitqueue_head(&ring->waitq);
	init_irq_work(&ring->wakeup_work, kring_wakeup_work);
	refcount_set(&ring->refs, 1);
	do {
		ring->cookie = get_random_u64();
	} while (!ring->cookie);

	ring->rb.base = area;
	ring->rb.consumer_pos = (unsigned long *)(area +
		(KRING_RING_PAGES + KRING_CONSUMER_PGOFF) * PAGE_SIZE);
	ring->rb.producer_pos = (unsigned long *)(area +
		(KRING_RING_PAGES + KRING_PRODUCER_PGOFF) * PAGE_SIZE);
	ring->rb.data = area + (KRING_RING_PAGES + KRING_DATA_PGOFF) * PAGE_SIZE;
	ring->rb.mask = data_size - 1;
	ring->rb.pending_pos = 0;
	ring->rb.page_shift = PAGE_SHIFT;
	/* Last: a lister may read the ring as soon as it has an id. */
	err = kring_id_alloc(KRING_KIND_RING, ring, &ring->id);
	if (err) {
		kring_ring_put(ring);
		return ERR_PTR(err);
	}
	return ring;
}

void kring_ring_get(struct kring_ring *ring)
{
	refcount_inc(&ring->refs);
}
EXPORT_SYMBOL_GPL(kring_ring_get);

/* Process context only: the last reference unmaps the area. */
void kring_ring_put(struct kring_ring *ring)
{
	struct page **pages;
	unsigned int nr_pages, nr_allocated;

	if (!refcount_dec_and_test(&ring->refs))
		return;
	/* First, so that no lister reads it while it is torn down. */
	kring_id_remove(KRING_KIND_RING, ring->id);
	/* A wakeup still queued would run on freed memory. */
	irq_work_sync(&ring->wakeup_work);
	free_percpu(ring->stats);
	pages = ring->pages;
	nr_pages = ring->nr_pages;
	nr_allocated = nr_pages - ring->nr_data_pages;
	vunmap(ring);
	kring_free_pages(pages, nr_allocated);
	kvfree(pages);
}
EXPORT_SYMBOL_GPL(kring_ring_put);

/*
 * Reservations this CPU has under way, from before it takes a ring's lock to
 * after it released it. Interrupts are off throughout, so only what runs
 * inside that window on this CPU can see it non-zero: an NMI, or a kprobe on
 * a function called there (the lock and unlock functions, kring's own), whose
 * program produces into a ring. Spinning there could wait for the lock this
 * very CPU holds, or for one whose holder, on another CPU, waits for ours.
 */
static DEFINE_PER_CPU(unsigned int, kring_reserving);

/*
 * Reserves @size payload bytes under the ring's lock; @end gets the producer
 * position after them. A failure is no drop yet: the caller may try a
 * smaller reservation.
 */
static void *kring_ring_reserve_at(struct kring_ring *ring, u64 size,
				   unsigned long *end)
{
	unsigned long irq_flags;
	void *sample = NULL;

	local_irq_save(irq_flags);
	/*
	 * Nested in another reservation on this CPU (or in an NMI, which may
	 * have interrupted one): try the lock once, and drop the record if it
	 * is taken, rather than deadlock.
	 */
	if (this_cpu_inc_return(kring_reserving) > 1 || in_nmi()) {
		if (!raw_spin_trylock(&ring->lock))
			goto out;
	} else {
		raw_spin_lock(&ring->lock);
	}
	sample = kring_rb_reserve_locked(&ring->rb, size);
	*end = *ring->rb.producer_pos;
	raw_spin_unlock(&ring->lock);
out:
	this_cpu_dec(kring_reserving);
	local_irq_restore(irq_flags);
	return sample;
}

void *kring_ring_reserve(struct kring_ring *ring, u64 size)
{
	unsigned long end;
	void *sample = kring_ring_reserve_at(ring, size, &end);

	if (!sample)
		this_cpu_inc(ring->stats->dropped);
	return sample;
}

void kring_ring_commit(void *sample, bool discard, u64 flags)
{
	struct kring_record_header *hdr = kring_rb_sample_header(sample);
	struct kring_ring *ring = kring_ring_of(hdr);
	/* Once committed, the record may be consumed and its space reused. */
	u32 size = hdr->len & ~KRING_BUSY_BIT;

	if (kring_rb_commit(&ring->rb, sample, discard, flags) &&
	    irq_work_queue(&ring->wakeup_work))
		this_cpu_inc(ring->stats->wakeups);
	if (discard) {
		this_cpu_inc(ring->stats->discarded);
	} else {
		this_cpu_inc(ring->stats->committed);
		this_cpu_add(ring->stats->bytes, size);
	}
}

/*
 * One record from user memory. The copy must not sleep while the record is
 * reserved, since a reserved record holds back every later one: fault the
 * buffer in first, copy with page faults disabled, and if the pages went
 * away in between, discard the record and try again.
 */
int kring_ring_output_user(struct kring_ring *ring, const void __user *data,
			   u64 size, u64 flags)
{
	unsigned int attempt;
	unsigned long left;
	void *sample;

	if (flags & ~KRING_WAKEUP_FLAGS)
		return -EINVAL;
	if (size > kring_rb_max_record(&ring->rb))
		return -EMSGSIZE;
	if (!access_ok(data, size))
		return -EFAULT;
	for (attempt = 0; attempt < 3; attempt++) {
		if (fault_in_readable(data, size))
			return -EFAULT;
		sample = kring_ring_reserve(ring, size);
		if (!sample)
			return -EAGAIN;
		pagefault_disable();
		left = __copy_from_user_inatomic(sample, data, size);
		pagefault_enable();
		if (!left) {
			kring_ring_commit(sample, false, flags);
			return 0;
		}
		/*
		 * A discard obeys the wake rule of a commit: a consumer asleep
		 * at this record's position is woken by this record or never
		 * (litmus/rb-discard-wakeup.litmus).
		 */
		kring_ring_commit(sample, true, flags);
	}
	return -EFAULT;
}

void kring_ring_read_stats(struct kring_ring *ring, struct kring_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct kring_cpu_stats *s = per_cpu_ptr(ring->stats, cpu);

		out->committed += READ_ONCE(s->committed);
		out->discarded += READ_ONCE(s->discarded);
		out->bytes += READ_ONCE(s->bytes);
		out->dropped += READ_ONCE(s->dropped);
		out->wakeups += READ_ONCE(s->wakeups);
	}
}

void kring_ring_fill_info(struct kring_ring *ring,
			  struct kring_ring_info *info)
{
	info->id = ring->id;
	info->data_size = ring->rb.mask + 1;
	info->cookie = ring->cookie;
	info->producer_pos = kring_rb_query(&ring->rb, KRING_QUERY_PROD_POS);
	info->consumer_pos = kring_rb_query(&ring->rb, KRING_QUERY_CONS_POS);
	kring_ring_read_stats(ring, &info->stats);
}

/*
 * Only the consumer page, mapped alone, may be writable: a writable producer
 * page or data area would let userspace forge positions and headers that the
 * kernel trusts. Read-only mappings of anything else lose VM_MAYWRITE, so
 * mprotect() cannot add write later.
 */
int kring_ring_mmap(struct kring_ring *ring, struct vm_area_struct *vma)
{
	bool consumer_only = vma->vm_pgoff == KRING_CONSUMER_PGOFF &&
			     vma_pages(vma) == 1;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE) {
		if (!consumer_only)
			return -EPERM;
	} else if (!consumer_only) {
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	return remap_vmalloc_range(vma, ring, vma->vm_pgoff + KRING_RING_PAGES);
}

__poll_t kring_ring_poll(struct kring_ring *ring)
{
	/*
	 * The consumer published its position before polling; this barrier
	 * orders that store before the loads of the producer position and
	 * of the header there, the mirror of the full barrier in
	 * kring_rb_commit() and kring_rb_block_wake(): either we see the
	 * record committed or its producer sees us waiting at it and wakes
	 * us (litmus/rb-wakeup.litmus, litmus/rb-block-wakeup.litmus). A
	 * record still busy is not readable: the consumer would find nothing
	 * and poll again at once, for as long as a batch holds it.
	 */
	smp_mb();
	if (kring_rb_head_committed(&ring->rb))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/* The in-kernel producer API (kring.h). */

void *kring_reserve(struct kring_ring *ring, u64 size, u64 flags)
{
	if (flags || size > kring_rb_max_record(&ring->rb))
		return NULL;
	return kring_ring_reserve(ring, size);
}
EXPORT_SYMBOL_GPL(kring_reserve);

/* Unknown flag bits are ignored: the record must be released regardless. */
void kring_submit(void *sample, u64 flags)
{
	kring_ring_commit(sample, false, flags);
}
EXPORT_SYMBOL_GPL(kring_submit);

void kring_discard(void *sample, u64 flags)
{
	kring_ring_commit(sample, true, flags);
}
EXPORT_SYMBOL_GPL(kring_discard);

/*
 * A batch of one record: it is reserved alone, where kring_reserve() would
 * put it, and the batch's end decides on its wakeup by the same rule as
 * kring_submit().
 */
int kring_output(struct kring_ring *ring, const void *data, u64 size,
		 u64 flags)
{
	struct kring_batch batch;
	int err;

	kring_batch_begin(&batch);
	err = kring_batch_output(&batch, ring, data, size, flags);
	kring_batch_end(&batch);
	return err;
}
EXPORT_SYMBOL_GPL(kring_output);

u64 kring_query(struct kring_ring *ring, u64 selector)
{
	return kring_rb_query(&ring->rb, selector);
}
EXPORT_SYMBOL_GPL(kring_query);

/*
 * Batches (kring.h): the records after a batch's first three come from
 * blocks (kring_rb_core.h), each reserved under the lock as one busy record
 * and carved without it, and every record of the batch's ring is committed
 * with a release alone. The lock, the interrupts off, the fully ordered
 * exchange and the wakeup decision are then paid once per block or per
 * batch instead of once per record.
 */

/*
 * The largest block: 16 records, 64 KiB, and a sixteenth of the ring. The
 * lock is then taken once per 16 records, a consumer waiting at one is
 * woken at most 16 records later, and what a batch leaves unused at its end
 * (discarded space, which consumers skip and recorders store) stays a few
 * percent of what a long batch writes.
 */
#define KRING_BATCH_BLOCK_RECORDS 16U
#define KRING_BATCH_BLOCK_MAX (64U << 10)
/*
 * A batch reserves its first records alone, where Linux would put them: a
 * program that writes a few records a run sees Linux's positions and no
 * discarded rest. Batches that go on get blocks.
 */
#define KRING_BATCH_SINGLES 3

void kring_batch_begin(struct kring_batch *batch)
{
	memset(batch, 0, sizeof(*batch));
}
EXPORT_SYMBOL_GPL(kring_batch_begin);

/*
 * A batch's blocks grow with it, each as large as the records it holds so
 * far up to the largest, so that a short batch leaves at most about half
 * of what it wrote unused and a long one a block; a block is a whole
 * number of records of the size at hand, so that records of one size leave
 * no rest until the batch ends.
 */
static u64 kring_batch_block_span(const struct kring_ring *ring, u64 span,
				  u32 records)
{
	u64 limit = min_t(u64, KRING_BATCH_BLOCK_MAX,
			  kring_rb_data_size(&ring->rb) / 16);

	limit = min_t(u64, limit - limit % span,
		      span * KRING_BATCH_BLOCK_RECORDS);
	return min_t(u64, span * records, limit);
}

/*
 * Gives back what is left of the batch's block and applies the wakeup rule
 * to the records committed so far: wake the consumer if it waits at one of
 * the batch's records from @from on that obey the rule, or at the rest
 * just discarded. Done when a block is used up, for the records reserved
 * since the last time, so that a consumer waiting at a record of this block
 * does not wait for the whole batch while other producers fill the ring
 * behind it; and when the batch ends, for the records since, or for all of
 * them if one was still open at a check (committed after it).
 */
static void kring_batch_close_block(struct kring_batch *batch,
				    unsigned long from)
{
	struct kring_ring *ring = batch->ring;
	unsigned long rest = batch->block_next;
	bool has_rest = kring_rb_block_close(&ring->rb, &batch->block_next,
					     batch->block_end);

	if ((batch->wake_rule || has_rest) &&
	    kring_rb_block_wake(&ring->rb, from, batch->end, batch->wake_rule,
				has_rest, rest) &&
	    irq_work_queue(&ring->wakeup_work))
		batch->wakeups++;
	/* The records committed from now on ask again. */
	batch->wake_rule = false;
	batch->checked = batch->end;
	if (batch->records != batch->committed + batch->discarded)
		batch->open_at_check = true;
}

/*
 * The batch's block cannot take a record of @size (or the batch has none):
 * discard its rest, reserve a new block, or this record alone.
 */
void *kring_batch_refill(struct kring_batch *batch, struct kring_ring *ring,
			 u64 size)
{
	unsigned long end;
	void *sample;
	u64 span, block = 0;

	if (size > kring_rb_max_record(&ring->rb))
		return NULL;
	if (!batch->ring)
		batch->ring = ring;
	else if (batch->ring != ring)
		return kring_ring_reserve(ring, size);

	kring_batch_close_block(batch, batch->checked);

	span = kring_rb_record_span(size);
	if (batch->records >= KRING_BATCH_SINGLES)
		block = kring_batch_block_span(ring, span, batch->records);
	if (block >= 2 * span &&
	    kring_ring_reserve_at(ring, block - KRING_HDR_SZ, &end)) {
		batch->block_next = end - block;
		batch->block_end = end;
		sample = kring_rb_block_take(&ring->rb, &batch->block_next,
					     batch->block_end, size);
	} else {
		/* One of the first records, or no room for a block. */
		sample = kring_ring_reserve_at(ring, size, &end);
		if (!sample) {
			this_cpu_inc(ring->stats->dropped);
			return NULL;
		}
		batch->block_next = end;
		batch->block_end = end;
		if (!batch->records) {
			batch->first = end - span;
			batch->checked = batch->first;
		}
	}
	batch->end = end;
	batch->records++;
	return sample;
}

void *kring_batch_reserve(struct kring_batch *batch, struct kring_ring *ring,
			  u64 size, u64 flags)
{
	if (flags)
		return NULL;
	return __kring_batch_reserve(batch, ring, size);
}
EXPORT_SYMBOL_GPL(kring_batch_reserve);

void kring_batch_force_wakeup(struct kring_batch *batch)
{
	if (irq_work_queue(&batch->ring->wakeup_work))
		batch->wakeups++;
}

void kring_batch_submit(struct kring_batch *batch, void *sample, u64 flags)
{
	kring_batch_commit(batch, sample, false, flags);
}
EXPORT_SYMBOL_GPL(kring_batch_submit);

void kring_batch_discard(struct kring_batch *batch, void *sample, u64 flags)
{
	kring_batch_commit(batch, sample, true, flags);
}
EXPORT_SYMBOL_GPL(kring_batch_discard);

int kring_batch_output(struct kring_batch *batch, struct kring_ring *ring,
		       const void *data, u64 size, u64 flags)
{
	void *sample;

	if (flags & ~KRING_WAKEUP_FLAGS)
		return -EINVAL;
	if (size > kring_rb_max_record(&ring->rb))
		return -E2BIG;
	sample = kring_batch_reserve(batch, ring, size, 0);
	if (!sample)
		return -EAGAIN;
	memcpy(sample, data, size);
	kring_batch_submit(batch, sample, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(kring_batch_output);

u64 kring_batch_query(struct kring_batch *batch, struct kring_ring *ring,
		      u64 selector)
{
	u64 value = kring_rb_query(&ring->rb, selector);

	/*
	 * The batch's own unused block is not reserved yet, as far as its
	 * producer can tell: alone on the ring, it reads Linux's figures.
	 */
	if ((selector == KRING_QUERY_AVAIL_DATA ||
	     selector == KRING_QUERY_PROD_POS) && ring == batch->ring)
		value -= batch->block_end - batch->block_next;
	return value;
}
EXPORT_SYMBOL_GPL(kring_batch_query);

void kring_batch_end(struct kring_batch *batch)
{
	struct kring_ring *ring = batch->ring;

	if (!ring)
		return;
	kring_batch_close_block(batch, batch->open_at_check ? batch->first :
							      batch->checked);
	if (batch->committed) {
		this_cpu_add(ring->stats->committed, batch->committed);
		this_cpu_add(ring->stats->bytes, batch->bytes);
	}
	if (batch->discarded)
		this_cpu_add(ring->stats->discarded, batch->discarded);
	if (batch->wakeups)
		this_cpu_add(ring->stats->wakeups, batch->wakeups);
	kring_batch_begin(batch);	/* ready for the next */
}
EXPORT_SYMBOL_GPL(kring_batch_end);
