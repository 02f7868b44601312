/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tristate numbers: the bit-level abstract domain of the verifier.
 *
 * A tnum describes a set of 64-bit values bit by bit: a bit set in mask is
 * unknown (0 or 1); a bit clear in mask is known and equals that bit of
 * value. value and mask never share a set bit. The set it stands for,
 * gamma(t), is every x with (x & ~t.mask) == t.value.
 *
 * Every operation is sound: the result contains op(x, y) for every x in
 * gamma(a) and y in gamma(b). tests/bpf_domains checks that exhaustively.
 * The algorithms for add, sub and mul are those of the tnum literature
 * (Vishwanathan et al., "Sound, Precise, and Fast Abstract Interpretation
 * with Tristate Numbers", CGO 2022).
 *
 * Width: the arithmetic wraps at 64 bits, and the low n bits of the result
 * of add, sub, neg, mul, and, or, xor and lshift depend only on the low n
 * bits of the operands, so the same functions serve 32-bit subregisters (and
 * the tests' 8-bit checks) by truncation. Right shifts take the width.
 */
#ifndef KBPF_TNUM_H
#define KBPF_TNUM_H

#include "kbpf_platform.h"

struct tnum {
	u64 value;
	u64 mask;
};

static inline struct tnum tnum_const(u64 value)
{
	return (struct tnum){ .value = value, .mask = 0 };
}

static inline struct tnum tnum_unknown(void)
{
	return (struct tnum){ .value = 0, .mask = U64_MAX };
}

static inline bool tnum_is_const(struct tnum t)
{
	return !t.mask;
}

static inline bool tnum_equals(struct tnum a, struct tnum b)
{
	return a.value == b.value && a.mask == b.mask;
}

/* All ones in the low @bits bits (1..64). */
static inline u64 tnum_width_mask(unsigned int bits)
{
	return bits >= 64 ? U64_MAX : (1ULL << bits) - 1;
}

/* The smallest tnum containing every value in [min, max]. */
struct tnum tnum_range(u64 min, u64 max);

struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
/* Shifts by a known amount, @shift < @bits; @bits is the operand width. */
struct tnum tnum_lshift(struct tnum a, unsigned int shift);
struct tnum tnum_rshift(struct tnum a, unsigned int shift, unsigned int bits);
struct tnum tnum_arshift(struct tnum a, unsigned int shift,
			 unsigned int bits);

/* Values in both (meet); when the sets are disjoint the result is arbitrary. */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
/* The smallest tnum containing both (join). */
struct tnum tnum_union(struct tnum a, struct tnum b);
/* Keeps the low @bits bits; the others become known zero. */
struct tnum tnum_truncate(struct tnum a, unsigned int bits);

/* gamma(b) is a subset of gamma(a). */
bool tnum_in(struct tnum a, struct tnum b);
/* x is in gamma(t). */
static inline bool tnum_contains(struct tnum t, u64 x)
{
	return (x & ~t.mask) == t.value;
}

/*
 * Writes "(value; mask)" in hex, or the constant, into @buf; returns the
 * length snprintf() would have written.
 */
int tnum_format(char *buf, size_t size, struct tnum t);

#endif /* KBPF_TNUM_H */
