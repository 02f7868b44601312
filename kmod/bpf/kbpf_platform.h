/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few things the portable verifier and interpreter need from their host,
 * so that the same C compiles into the kernel module and into userspace.
 *
 * Rules for portable code: no floating point, no recursion whose depth the
 * input controls, no large stack frames (the kernel stack is 16 KiB), no libc
 * beyond what this header maps. Allocation may fail: check every result.
 */
#ifndef KBPF_PLATFORM_H
#define KBPF_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/bpf.h>	/* struct bpf_insn and the opcode macros */
#if __has_include("linux/unaligned.h")	/* 6.12 and later */
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#define kbpf_zalloc(size) kvzalloc((size), GFP_KERNEL | __GFP_NOWARN)
#define kbpf_free(ptr) kvfree(ptr)
#define kbpf_now_ns() ktime_get_ns()
/*
 * Long verifications let the scheduler run, and stop when a signal is
 * pending, as Linux's verifier does (its load then fails with -EAGAIN).
 */
#define kbpf_cond_resched() cond_resched()
#define kbpf_signal_pending() signal_pending(current)

/* Loads and stores at any alignment (record accesses may be misaligned). */
#define kbpf_get_unaligned_u16(p) get_unaligned((const u16 *)(p))
#define kbpf_get_unaligned_u32(p) get_unaligned((const u32 *)(p))
#define kbpf_get_unaligned_u64(p) get_unaligned((const u64 *)(p))
#define kbpf_put_unaligned_u16(v, p) put_unaligned((u16)(v), (u16 *)(p))
#define kbpf_put_unaligned_u32(v, p) put_unaligned((u32)(v), (u32 *)(p))
#define kbpf_put_unaligned_u64(v, p) put_unaligned((u64)(v), (u64 *)(p))

/*
 * BPF_ATOMIC in the interpreter, on aligned u32 and u64 words: exchange and
 * compare-and-exchange, fully ordered as Linux's atomics that return a
 * value; the other operations are loops over compare-and-exchange.
 */
#define kbpf_xchg(p, v) xchg((p), (v))
#define kbpf_cmpxchg(p, old, new) cmpxchg((p), (old), (new))

/*
 * A faulting-safe read of kernel memory (BPF_PROBE_MEM loads): 0, or a
 * negative errno for an address that is not mapped kernel memory.
 */
#define kbpf_read_kernel(dst, addr, size) \
	copy_from_kernel_nofault((dst), (const void *)(unsigned long)(addr), \
				 (size))
#else /* userspace */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef U8_MAX
#define U8_MAX ((u8)~0U)
#define S8_MAX ((s8)(U8_MAX >> 1))
#define S8_MIN ((s8)(-S8_MAX - 1))
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define S32_MIN ((s32)(-S32_MAX - 1))
#define U64_MAX ((u64)~0ULL)
#define S64_MAX ((s64)(U64_MAX >> 1))
#define S64_MIN ((s64)(-S64_MAX - 1))
#endif

#define kbpf_zalloc(size) calloc(1, (size))
#define kbpf_free(ptr) free(ptr)
static inline u64 kbpf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

#define kbpf_cond_resched() do { } while (0)
/*
 * Userspace has no signal to honour: a verification runs to its end, unless
 * the hook (the tests') says that one is pending.
 */
extern bool (*kbpf_signal_pending_hook)(void);
static inline bool kbpf_signal_pending(void)
{
	return kbpf_signal_pending_hook && kbpf_signal_pending_hook();
}

/*
 * Loads and stores at any alignment (record accesses may be misaligned):
 * memcpy() has no alignment requirement, and compilers turn it into one
 * move where the target allows unaligned ones.
 */
#define KBPF_UNALIGNED_ACCESSORS(type)					\
static inline type kbpf_get_unaligned_##type(const void *p)		\
{									\
	type v;								\
									\
	memcpy(&v, p, sizeof(v));					\
	return v;							\
}									\
static inline void kbpf_put_unaligned_##type(type v, void *p)		\
{									\
	memcpy(p, &v, sizeof(v));					\
}
KBPF_UNALIGNED_ACCESSORS(u16)
KBPF_UNALIGNED_ACCESSORS(u32)
KBPF_UNALIGNED_ACCESSORS(u64)
#undef KBPF_UNALIGNED_ACCESSORS

/* As the kernel's xchg() and cmpxchg(): fully ordered, the old value back. */
#define kbpf_xchg(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define kbpf_cmpxchg(p, old, new)						\
	({								\
		__typeof__(*(p)) __expected = (old);			\
		__atomic_compare_exchange_n((p), &__expected, (new),	\
					    false, __ATOMIC_SEQ_CST,	\
					    __ATOMIC_SEQ_CST);		\
		__expected;						\
	})
/*
 * Userspace has no kernel memory: a BPF_PROBE_MEM load there reads as one of
 * an unmapped address does.
 */
static inline int kbpf_read_kernel(void *dst, u64 addr, u32 size)
{
	(void)dst;
	(void)addr;
	(void)size;
	return -EFAULT;
}

/* The kernel's helpers; not for C++ users of these headers (std::swap...). */
#ifndef __cplusplus
#ifndef swap
#define swap(a, b) do { __typeof__(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)
#endif
#ifndef max
#define max(a, b) ((a) > (b) ? (a) : (b))
#endif
#ifndef max_t
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#endif
#ifndef ALIGN
#define ALIGN(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#endif
#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
/* The kernel's __printf(); spelled via a macro so checkpatch, which wants
 * __printf() itself here, does not ask for it in its own definition.
 */
#define KBPF_PRINTF_FORMAT(fmt, args) format(printf, fmt, args)
#define __printf(fmt, args) __attribute__((KBPF_PRINTF_FORMAT(fmt, args)))
#endif
#endif /* __KERNEL__ */

#endif /* KBPF_PLATFORM_H */
