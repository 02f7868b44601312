// SPDX-License-Identifier: GPL-2.0
/* Tristate numbers: see tnum.h for the domain and its soundness contract. */
#include "tnum.h"

/* Index of the highest set bit plus one; 0 for 0. */
static unsigned int tnum_bit_length(u64 x)
{
	return x ? 64 - (unsigned int)__builtin_clzll(x) : 0;
}

struct tnum tnum_range(u64 min, u64 max)
{
	/* Every bit below the highest bit where min and max differ varies. */
	unsigned int varying = tnum_bit_length(min ^ max);
	u64 unknown = tnum_width_mask(varying);

	if (varying >= 64)
		return tnum_unknown();
	return (struct tnum){ .value = min & ~unknown, .mask = unknown };
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	u64 known_sum = a.value + b.value;
	/*
	 * Adding the most the unknown bits can contribute shows which result
	 * bits a carry may reach: those differ between the two sums.
	 */
	u64 max_sum = known_sum + a.mask + b.mask;
	u64 unknown = (max_sum ^ known_sum) | a.mask | b.mask;

	return (struct tnum){ .value = known_sum & ~unknown, .mask = unknown };
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	u64 known_diff = a.value - b.value;
	/* The largest and smallest differences bound where borrows reach. */
	u64 high = known_diff + a.mask;
	u64 low = known_diff - b.mask;
	u64 unknown = (high ^ low) | a.mask | b.mask;

	return (struct tnum){ .value = known_diff & ~unknown, .mask = unknown };
}

struct tnum tnum_neg(struct tnum a)
{
	return tnum_sub(tnum_const(0), a);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	u64 may_be_one = (a.value | a.mask) & (b.value | b.mask);
	u64 one = a.value & b.value;

	return (struct tnum){ .value = one, .mask = may_be_one & ~one };
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	u64 one = a.value | b.value;

	return (struct tnum){ .value = one, .mask = (a.mask | b.mask) & ~one };
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	u64 unknown = a.mask | b.mask;

	return (struct tnum){ .value = (a.value ^ b.value) & ~unknown,
			      .mask = unknown };
}

/*
 * Long multiplication over the bits of @a: a known one adds @b's unknown
 * part, an unknown bit adds all of @b's possible ones as unknown; the known
 * parts multiply exactly.
 */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	u64 known_product = a.value * b.value;
	struct tnum unknown_part = tnum_const(0);

	while (a.value || a.mask) {
		if (a.value & 1)
			unknown_part = tnum_add(unknown_part,
						(struct tnum){ 0, b.mask });
		else if (a.mask & 1)
			unknown_part = tnum_add(unknown_part,
						(struct tnum){ 0, b.value | b.mask });
		a = tnum_rshift(a, 1, 64);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(tnum_const(known_product), unknown_part);
}

struct tnum tnum_lshift(struct tnum a, unsigned int shift)
{
	return (struct tnum){ .value = a.value << shift,
			      .mask = a.mask << shift };
}

struct tnum tnum_rshift(struct tnum a, unsigned int shift, unsigned int bits)
{
	u64 width = tnum_width_mask(bits);

	return (struct tnum){ .value = (a.value & width) >> shift,
			      .mask = (a.mask & width) >> shift };
}

/* Sign-extends the low @bits bits of @x to 64 bits. */
static s64 tnum_sign_extend(u64 x, unsigned int bits)
{
	unsigned int spare = 64 - bits;

	return (s64)(x << spare) >> spare;
}

struct tnum tnum_arshift(struct tnum a, unsigned int shift, unsigned int bits)
{
	u64 width = tnum_width_mask(bits);
	/*
	 * An unknown sign bit smears unknown bits into the top; a known sign
	 * bit smears itself into value, with the mask's top bits clear.
	 */
	u64 value = (u64)(tnum_sign_extend(a.value, bits) >> shift);
	u64 mask = (u64)(tnum_sign_extend(a.mask, bits) >> shift);

	return (struct tnum){ .value = value & width, .mask = mask & width };
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	u64 unknown = a.mask & b.mask;

	return (struct tnum){ .value = (a.value | b.value) & ~unknown,
			      .mask = unknown };
}

struct tnum tnum_union(struct tnum a, struct tnum b)
{
	u64 unknown = a.mask | b.mask | (a.value ^ b.value);

	return (struct tnum){ .value = a.value & ~unknown, .mask = unknown };
}

struct tnum tnum_truncate(struct tnum a, unsigned int bits)
{
	u64 width = tnum_width_mask(bits);

	return (struct tnum){ .value = a.value & width, .mask = a.mask & width };
}

bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	return (b.value & ~a.mask) == a.value;
}

int tnum_format(char *buf, size_t size, struct tnum t)
{
	if (tnum_is_const(t))
		return snprintf(buf, size, "%#llx", (unsigned long long)t.value);
	return snprintf(buf, size, "(%#llx; %#llx)",
			(unsigned long long)t.value,
			(unsigned long long)t.mask);
}
