/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reserve/commit/consume protocol of a kring ring, as portable C.
 *
 * The kernel module builds its producers on these functions, and userspace
 * builds its test rings, kring-run's ring and the ThreadSanitizer stress test
 * on the very same code, so what the stress test and the litmus tests check
 * is what the module runs. The consumer side is libkring's record walk
 * (user/lib/src/ring_reader.hpp), which the stress test runs against these
 * producers.
 *
 * Memory layout (identical to Linux's BPF ring buffer, see <linux/kring.h>):
 * a consumer position and a producer position, each alone in its page, and a
 * power-of-two data area mapped twice back to back, so a record that wraps
 * the end of the area is contiguous.
 *
 * Concurrency contract:
 *  - kring_rb_reserve_locked() runs with the caller's producer lock held: the
 *    lock serialises reservations, so records are ordered by reservation.
 *  - kring_rb_commit() is lockless and may run concurrently with everything.
 *
 * Every barrier names the litmus test in litmus/ that shows it is needed.
 */
#ifndef KRING_RB_CORE_H
#define KRING_RB_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/atomic.h>
#include <asm/barrier.h>

/* Each use says which litmus test shows why its barrier is needed. */
#define kring_load_acquire(p) smp_load_acquire(p) /* ordering: see uses */
#define kring_store_release(p, v) smp_store_release(p, v) /* see uses */
#define kring_read_once(x) READ_ONCE(x)
#define kring_write_once(x, v) WRITE_ONCE(x, v)
/* A full barrier exchange: release for the record, and store->load order. */
#define kring_xchg(p, v) xchg(p, v)
#define kring_full_barrier() smp_mb() /* store->load order: see uses */
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#define kring_load_acquire(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define kring_store_release(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define kring_read_once(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define kring_write_once(x, v) __atomic_store_n(&(x), v, __ATOMIC_RELAXED)
/*
 * Sequentially consistent, as the kernel's xchg() is fully ordered. (The
 * store->load order the kernel's wakeup decision relies on is proven by
 * litmus/rb-wakeup.litmus for the kernel build; userspace rings use the
 * decision single-threaded only.)
 */
#define kring_xchg(p, v) __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST)
#define kring_full_barrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#include <linux/kring.h>

/* The largest payload a record may carry (Linux's limit for its ring). */
#define KRING_MAX_RECORD_SIZE (0xffffffffU / 4)

struct kring_rb {
	unsigned long *consumer_pos;	/* written by the consumer (userspace) */
	unsigned long *producer_pos;	/* written under the producer lock */
	u8 *data;			/* data area, mapped twice */
	u8 *base;			/* start of the mapping pg_off counts from */
	unsigned long mask;		/* data size - 1 */
	/*
	 * The oldest record that may still be busy, moved forward by
	 * reservations (under the producer lock). The consumer position comes
	 * from user-writable memory and cannot be trusted: without this, a
	 * consumer that claims to be ahead would make a reservation overlap a
	 * record whose producer is still writing it, and that producer's data
	 * would land on the new record's header.
	 */
	unsigned long pending_pos;
	unsigned int page_shift;
};

/* Bytes a record of @size payload bytes takes in the ring, header included. */
static inline u64 kring_rb_record_span(u64 size)
{
	return KRING_RECORD_SPAN(size);
}

static inline u64 kring_rb_data_size(const struct kring_rb *rb)
{
	return (u64)rb->mask + 1;
}

/* The largest payload this ring can hold, header and alignment included. */
static inline u64 kring_rb_max_record(const struct kring_rb *rb)
{
	u64 max = kring_rb_data_size(rb) - KRING_HDR_SZ;

	return max < KRING_MAX_RECORD_SIZE ? max : KRING_MAX_RECORD_SIZE;
}

static inline struct kring_record_header *
kring_rb_header_at(const struct kring_rb *rb, unsigned long pos)
{
	return (struct kring_record_header *)(rb->data + (pos & rb->mask));
}

/*
 * Reserves a record of @size payload bytes; the caller holds the producer
 * lock. Returns the payload, or NULL when @size is too large or the ring has
 * no room: a full ring never overwrites unconsumed data.
 */
static inline void *kring_rb_reserve_locked(struct kring_rb *rb, u64 size)
{
	unsigned long cons, prod, pending, new_prod, data_size;
	struct kring_record_header *hdr;
	u64 span;
	u32 len;

	if (size > kring_rb_max_record(rb))
		return NULL;
	span = kring_rb_record_span(size);
	data_size = rb->mask + 1;

	/*
	 * Acquire pairs with the consumer's release of its position: the
	 * consumer's reads of the space it gave back happen before our writes
	 * into it (litmus/rb-space-reuse.litmus).
	 */
	cons = kring_load_acquire(rb->consumer_pos);
	prod = *rb->producer_pos;

	/* Skip the committed records at the head of the pending window. */
	pending = rb->pending_pos;
	while (pending != prod) {
		hdr = kring_rb_header_at(rb, pending);
		/*
		 * Acquire pairs with the commit's release: once the busy bit
		 * reads clear, the producer that owned this record is done
		 * with it, whatever the consumer position claims
		 * (litmus/rb-pending-scan.litmus).
		 */
		len = kring_load_acquire(&hdr->len);
		if (len & KRING_BUSY_BIT)
			break;
		pending += kring_rb_record_span(len & ~KRING_DISCARD_BIT);
	}
	rb->pending_pos = pending;

	new_prod = prod + span;
	/* Unsigned differences: a garbage consumer position fails too. */
	if (new_prod - cons > data_size || new_prod - pending > data_size)
		return NULL;

	hdr = kring_rb_header_at(rb, prod);
	hdr->len = (u32)size | KRING_BUSY_BIT;
	hdr->pg_off = (u32)(((u8 *)hdr - rb->base) >> rb->page_shift);

	/*
	 * Release publishes the busy header before the new producer position:
	 * a consumer that sees the position sees the header as busy, never the
	 * stale bytes of an old record (litmus/rb-publish-header.litmus).
	 */
	kring_store_release(rb->producer_pos, new_prod);
	return (u8 *)hdr + KRING_HDR_SZ;
}

static inline struct kring_record_header *kring_rb_sample_header(void *sample)
{
	return (struct kring_record_header *)((u8 *)sample - KRING_HDR_SZ);
}

/*
 * Commits (or discards) the record whose payload is @sample. Lockless.
 * Returns true when the consumer should be woken under the self-pacing rule:
 * it had consumed everything before this record, so it may be asleep; a
 * consumer further behind will reach this record without a wakeup.
 */
static inline bool kring_rb_commit(struct kring_rb *rb, void *sample,
				   bool discard, u32 flags)
{
	struct kring_record_header *hdr = kring_rb_sample_header(sample);
	unsigned long rec_pos, cons;
	u32 new_len;

	new_len = hdr->len & ~KRING_BUSY_BIT;
	if (discard)
		new_len |= KRING_DISCARD_BIT;

	/*
	 * A full-barrier exchange clears the busy bit. Its release half makes
	 * the payload visible before the cleared bit
	 * (litmus/rb-commit-publish.litmus); its full-barrier half orders the
	 * store before the consumer-position load below, which with the
	 * consumer's barrier before it sleeps forms the store-buffering
	 * pattern that rules out a lost wakeup (litmus/rb-wakeup.litmus).
	 */
	kring_xchg(&hdr->len, new_len);

	if (flags & KRING_FORCE_WAKEUP)
		return true;
	if (flags & KRING_NO_WAKEUP)
		return false;
	rec_pos = (unsigned long)((u8 *)hdr - rb->data);
	cons = kring_read_once(*rb->consumer_pos);
	return (cons & rb->mask) == rec_pos;
}

/*
 * A block: space reserved as one busy record (kring_rb_reserve_locked() of
 * its span less a header) that one producer then carves into records without
 * the lock, in ring order: [*next, end) is what is left of it. The header at
 * *next is always busy: it is the block's own header at first, then the
 * header each carve writes after its record, so a consumer or a pending scan
 * that reaches the unused part of the block stops there, as at any record
 * still being written.
 */

/*
 * Carves a record of @size payload bytes from the block [*next, end), or
 * returns NULL when the rest of the block is too small. Only the block's
 * producer runs this.
 */
static inline void *kring_rb_block_take(struct kring_rb *rb,
					unsigned long *next, unsigned long end,
					u64 size)
{
	struct kring_record_header *hdr, *rest;
	unsigned long pos = *next;
	u64 span;

	if (size > kring_rb_max_record(rb))
		return NULL;
	span = kring_rb_record_span(size);
	if (span > end - pos)
		return NULL;
	hdr = kring_rb_header_at(rb, pos);
	kring_write_once(hdr->len, (u32)size | KRING_BUSY_BIT);
	hdr->pg_off = (u32)(((u8 *)hdr - rb->base) >> rb->page_shift);
	*next = pos + span;
	if (*next != end) {
		/*
		 * The rest of the block gets its busy header before this
		 * record can be committed: the commit's release publishes it
		 * with the record, so a reader past the record stops there
		 * (litmus/rb-block-carve.litmus). Its pg_off matters only to
		 * a record carved there, which writes it.
		 */
		rest = kring_rb_header_at(rb, *next);
		kring_write_once(rest->len,
				 (u32)(end - *next - KRING_HDR_SZ) | KRING_BUSY_BIT);
	}
	return (u8 *)hdr + KRING_HDR_SZ;
}

/*
 * Commits (or discards) a record carved from a block, or a block's unused
 * rest, without deciding on a wakeup: the block's producer decides once for
 * all the records it committed when the block is used up or it is done
 * (kring_rb_block_wake()).
 */
static inline void kring_rb_commit_quiet(void *sample, bool discard)
{
	struct kring_record_header *hdr = kring_rb_sample_header(sample);
	u32 new_len = hdr->len & ~KRING_BUSY_BIT;

	if (discard)
		new_len |= KRING_DISCARD_BIT;
	/*
	 * Release makes the payload, and the busy header of the rest of the
	 * block, visible before the cleared bit
	 * (litmus/rb-block-carve.litmus).
	 */
	kring_store_release(&hdr->len, new_len);
}

/*
 * Discards the unused rest of the block [*next, end), if any, so that the
 * consumer can pass it, and returns whether there was one. The block is
 * used up afterwards.
 */
static inline bool kring_rb_block_close(struct kring_rb *rb,
					unsigned long *next, unsigned long end)
{
	struct kring_record_header *rest;

	if (*next == end)
		return false;
	rest = kring_rb_header_at(rb, *next);
	kring_rb_commit_quiet((u8 *)rest + KRING_HDR_SZ, true);
	*next = end;
	return true;
}

/*
 * Whether a producer that committed quietly must wake the consumer: it
 * waits at one of the producer's records, [@first, @end), or at @rest, the
 * rest of a block the producer discarded. The full barrier orders the
 * quiet commits before the consumer-position load, as the exchange in
 * kring_rb_commit() does for one record: with the barrier in the
 * consumer's poll, either the consumer sees the records or this sees the
 * consumer waiting (litmus/rb-block-wakeup.litmus).
 */
static inline bool kring_rb_block_wake(const struct kring_rb *rb,
				       unsigned long first, unsigned long end,
				       bool any, bool has_rest,
				       unsigned long rest)
{
	unsigned long cons;

	kring_full_barrier();
	cons = kring_read_once(*rb->consumer_pos);
	return (any && cons - first < end - first) ||
	       (has_rest && cons == rest);
}

/* Bytes reserved but not yet consumed: a momentary snapshot. */
static inline u64 kring_rb_avail_data(const struct kring_rb *rb)
{
	unsigned long prod = kring_load_acquire(rb->producer_pos);
	unsigned long cons = kring_load_acquire(rb->consumer_pos);

	return prod - cons;
}

/*
 * Whether the record at the consumer position is committed (or discarded):
 * what the consumer would find. The consumer position may be garbage; the
 * header read stays in the ring all the same.
 */
static inline bool kring_rb_head_committed(const struct kring_rb *rb)
{
	unsigned long cons = kring_read_once(*rb->consumer_pos);
	/*
	 * Acquire pairs with the reservation's release of the position: a
	 * position past the consumer's means the header there is written
	 * (litmus/rb-publish-header.litmus).
	 */
	unsigned long prod = kring_load_acquire(rb->producer_pos);

	if (prod == cons)
		return false;
	return !(kring_load_acquire(&kring_rb_header_at(rb, cons)->len) &
		 KRING_BUSY_BIT);
}

static inline u64 kring_rb_query(const struct kring_rb *rb, u64 selector)
{
	switch (selector) {
	case KRING_QUERY_AVAIL_DATA:
		return kring_rb_avail_data(rb);
	case KRING_QUERY_RING_SIZE:
		return kring_rb_data_size(rb);
	case KRING_QUERY_CONS_POS:
		return kring_load_acquire(rb->consumer_pos);
	case KRING_QUERY_PROD_POS:
		return kring_load_acquire(rb->producer_pos);
	default:
		return 0;
	}
}

#endif /* KRING_RB_CORE_H */
