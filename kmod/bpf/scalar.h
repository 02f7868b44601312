/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bounds of a scalar register: what the verifier knows about a number.
 *
 * Five views of the same value, each sound on its own, each sharpening the
 * others (kbpf_scalar_sync): a tnum (bit by bit), unsigned and signed 64-bit
 * intervals, and unsigned and signed intervals of the low 32 bits, which
 * ALU32 and JMP32 instructions work on (the seed's "explicit ALU32 bounds
 * tracking": without them a 32-bit comparison teaches nothing about a value
 * whose upper half is unknown).
 *
 * The interval arithmetic is written once, for a width of 64 or 32 bits
 * (struct kbpf_range); the tests run the same code at 5 and 8 bits, where
 * every case can be enumerated.
 */
#ifndef KBPF_SCALAR_H
#define KBPF_SCALAR_H

#include "tnum.h"

struct kbpf_scalar {
	struct tnum var_off;
	u64 umin, umax;
	s64 smin, smax;
	u32 u32_min, u32_max;
	s32 s32_min, s32_max;
};

/*
 * One width's view: the tnum truncated to @bits, unsigned bounds within
 * [0, 2^bits - 1], signed bounds of the sign-extended value.
 */
struct kbpf_range {
	struct tnum t;
	u64 umin, umax;
	s64 smin, smax;
};

void kbpf_scalar_set_const(struct kbpf_scalar *s, u64 value);
void kbpf_scalar_set_unknown(struct kbpf_scalar *s);
/* Exactly one value (then var_off.value is it). */
bool kbpf_scalar_is_const(const struct kbpf_scalar *s);
/* Deduces each view's bounds from the others; call after any change. */
void kbpf_scalar_sync(struct kbpf_scalar *s);
/* No value satisfies all the views (a refinement found a dead branch). */
bool kbpf_scalar_is_empty(const struct kbpf_scalar *s);

/*
 * dst = dst OP src for OP = BPF_OP() of an ALU instruction other than MOV
 * and END (NEG ignores src). @alu64 false: the 32-bit operation, result
 * zero-extended. Linux's semantics: unsigned div and mod, x / 0 = 0,
 * x % 0 = x, shift amounts masked.
 */
void kbpf_scalar_alu(struct kbpf_scalar *dst, const struct kbpf_scalar *src,
		     u8 op, bool alu64);
/* dst = the low 32 bits of src, zero-extended (a 32-bit move). */
void kbpf_scalar_zext32(struct kbpf_scalar *dst,
			const struct kbpf_scalar *src);
/* BPF_END: dst = to_be/to_le of its low @bits bits (16, 32, 64). */
void kbpf_scalar_endian(struct kbpf_scalar *dst, bool to_be, u32 bits);

/*
 * For "a OP b", OP a conditional jump's BPF_OP() (JEQ ... JSLE, JSET), on 64
 * bits or (@jmp32) the low 32: 1 always true, 0 always false, -1 unknown.
 */
int kbpf_scalar_branch_taken(const struct kbpf_scalar *a,
			     const struct kbpf_scalar *b, u8 op, bool jmp32);
/*
 * Narrows a and b to the values for which "a OP b" is @taken; false when
 * none remain. a and b may be the same scalar.
 */
bool kbpf_scalar_refine(struct kbpf_scalar *a, struct kbpf_scalar *b, u8 op,
			bool jmp32, bool taken);

/* Every value of @cur is a value of @old. */
bool kbpf_scalar_subsumes(const struct kbpf_scalar *old,
			  const struct kbpf_scalar *cur);
/* dst = the smallest scalar containing both. */
void kbpf_scalar_union(struct kbpf_scalar *dst,
		       const struct kbpf_scalar *other);
/* "5", or "scalar(umin=..,umax=..,...)" with the non-trivial bounds. */
int kbpf_scalar_format(char *buf, size_t size, const struct kbpf_scalar *s);

/* The width-generic core, exported for the exhaustive tests. */
void kbpf_range_unknown(struct kbpf_range *r, u32 bits);
void kbpf_range_const(struct kbpf_range *r, u64 value, u32 bits);
void kbpf_range_deduce(struct kbpf_range *r, u32 bits);
bool kbpf_range_is_empty(const struct kbpf_range *r, u32 bits);
void kbpf_range_alu(struct kbpf_range *res, const struct kbpf_range *a,
		    const struct kbpf_range *b, u8 op, u32 bits);
int kbpf_range_branch_taken(const struct kbpf_range *a,
			    const struct kbpf_range *b, u8 op);
/* Narrows to "a OP b" being true (OP may be a negated form, see .c). */
void kbpf_range_refine(struct kbpf_range *a, struct kbpf_range *b, u8 op,
		       bool taken, u32 bits);
bool kbpf_range_contains(const struct kbpf_range *r, u64 x, u32 bits);

#endif /* KBPF_SCALAR_H */
