// SPDX-License-Identifier: GPL-2.0
/*
 * Scalar bounds: see scalar.h. Every function here must be sound: its result
 * contains every concrete outcome. Precision is a bonus. tests/bpf_domains
 * checks soundness by enumeration at small widths.
 */
#include "scalar.h"

static u64 width_mask(u32 bits)
{
	return tnum_width_mask(bits);
}

/* The low @bits bits of @x as a signed number. */
static s64 sext(u64 x, u32 bits)
{
	u32 shift = 64 - bits;

	if (bits >= 64)
		return (s64)x;
	return (s64)(x << shift) >> shift;
}

static s64 smax_of(u32 bits)
{
	return (s64)(width_mask(bits) >> 1);
}

static s64 smin_of(u32 bits)
{
	return -smax_of(bits) - 1;
}

static u64 umax_u(u64 a, u64 b)
{
	return a > b ? a : b;
}

static u64 umin_u(u64 a, u64 b)
{
	return a < b ? a : b;
}

static s64 smax_s(s64 a, s64 b)
{
	return a > b ? a : b;
}

static s64 smin_s(s64 a, s64 b)
{
	return a < b ? a : b;
}

static void mark_empty(struct kbpf_range *r)
{
	r->umin = 1;
	r->umax = 0;
}

void kbpf_range_unknown(struct kbpf_range *r, u32 bits)
{
	r->t = tnum_truncate(tnum_unknown(), bits);
	r->umin = 0;
	r->umax = width_mask(bits);
	r->smin = smin_of(bits);
	r->smax = smax_of(bits);
}

void kbpf_range_const(struct kbpf_range *r, u64 value, u32 bits)
{
	value &= width_mask(bits);
	r->t = tnum_const(value);
	r->umin = value;
	r->umax = value;
	r->smin = sext(value, bits);
	r->smax = r->smin;
}

bool kbpf_range_is_empty(const struct kbpf_range *r, u32 bits)
{
	return r->umin > r->umax || r->smin > r->smax ||
	       r->umax > width_mask(bits);
}

bool kbpf_range_contains(const struct kbpf_range *r, u64 x, u32 bits)
{
	x &= width_mask(bits);
	return tnum_contains(r->t, x) && x >= r->umin && x <= r->umax &&
	       sext(x, bits) >= r->smin && sext(x, bits) <= r->smax;
}

/* Each of the three views narrows the other two. */
void kbpf_range_deduce(struct kbpf_range *r, u32 bits)
{
	u64 sign = 1ULL << (bits - 1);
	int round;

	for (round = 0; round < 2; round++) {
		struct tnum t = tnum_truncate(r->t, bits);
		struct tnum from_u;

		if (kbpf_range_is_empty(r, bits))
			return;
		/* tnum -> intervals: its lowest and highest members. */
		r->umin = umax_u(r->umin, t.value);
		r->umax = umin_u(r->umax, t.value | t.mask);
		r->smin = smax_s(r->smin, sext(t.value | (t.mask & sign), bits));
		r->smax = smin_s(r->smax, sext(t.value | (t.mask & ~sign), bits));
		if (kbpf_range_is_empty(r, bits))
			return;
		/* An unsigned interval on one side of the sign bit is signed too. */
		if ((r->umin & sign) == (r->umax & sign)) {
			r->smin = smax_s(r->smin, sext(r->umin, bits));
			r->smax = smin_s(r->smax, sext(r->umax, bits));
		}
		/* A signed interval of one sign is unsigned too. */
		if (r->smin >= 0 || r->smax < 0) {
			r->umin = umax_u(r->umin, (u64)r->smin & width_mask(bits));
			r->umax = umin_u(r->umax, (u64)r->smax & width_mask(bits));
		}
		if (kbpf_range_is_empty(r, bits))
			return;
		/* intervals -> tnum */
		from_u = tnum_range(r->umin, r->umax);
		if ((t.value ^ from_u.value) & ~(t.mask | from_u.mask)) {
			mark_empty(r);
			return;
		}
		r->t = tnum_intersect(t, from_u);
	}
}

static void set_unsigned(struct kbpf_range *r, u64 lo, u64 hi)
{
	r->umin = lo;
	r->umax = hi;
}

static void set_signed_checked(struct kbpf_range *r, s64 lo, s64 hi,
			       bool overflow, u32 bits)
{
	if (overflow || lo < smin_of(bits) || hi > smax_of(bits))
		return;		/* it wraps: keep the full range */
	r->smin = lo;
	r->smax = hi;
}

static void range_add(struct kbpf_range *res, const struct kbpf_range *a,
		      const struct kbpf_range *b, u32 bits)
{
	u64 m = width_mask(bits);
	s64 lo, hi;
	bool overflow;

	res->t = tnum_add(a->t, b->t);
	if (a->umax <= m - b->umax)
		set_unsigned(res, a->umin + b->umin, a->umax + b->umax);
	overflow = __builtin_add_overflow(a->smin, b->smin, &lo);
	overflow |= __builtin_add_overflow(a->smax, b->smax, &hi);
	set_signed_checked(res, lo, hi, overflow, bits);
}

static void range_sub(struct kbpf_range *res, const struct kbpf_range *a,
		      const struct kbpf_range *b, u32 bits)
{
	s64 lo, hi;
	bool overflow;

	res->t = tnum_sub(a->t, b->t);
	if (a->umin >= b->umax)
		set_unsigned(res, a->umin - b->umax, a->umax - b->umin);
	overflow = __builtin_sub_overflow(a->smin, b->smax, &lo);
	overflow |= __builtin_sub_overflow(a->smax, b->smin, &hi);
	set_signed_checked(res, lo, hi, overflow, bits);
}

static void range_mul(struct kbpf_range *res, const struct kbpf_range *a,
		      const struct kbpf_range *b, u32 bits)
{
	u64 hi;

	res->t = tnum_mul(a->t, b->t);
	if (!__builtin_mul_overflow(a->umax, b->umax, &hi) &&
	    hi <= width_mask(bits))
		set_unsigned(res, a->umin * b->umin, hi);
}

static void range_div(struct kbpf_range *res, const struct kbpf_range *a,
		      const struct kbpf_range *b, u32 bits)
{
	if (b->umax == 0) {
		kbpf_range_const(res, 0, bits);	/* x / 0 == 0 */
		return;
	}
	if (b->umin > 0)
		set_unsigned(res, a->umin / b->umax, a->umax / b->umin);
	else
		set_unsigned(res, 0, a->umax);	/* x / 0 == 0, x / 1 == x */
	res->t = tnum_range(res->umin, res->umax);
}

static void range_mod(struct kbpf_range *res, const struct kbpf_range *a,
		      const struct kbpf_range *b)
{
	/* x % 0 == x, and x % y == x when x < y: always at most x. */
	if (b->umax == 0 || a->umax < b->umin) {
		*res = *a;
		return;
	}
	if (b->umin > 0)
		set_unsigned(res, 0, umin_u(a->umax, b->umax - 1));
	else
		set_unsigned(res, 0, a->umax);
	res->t = tnum_range(res->umin, res->umax);
	/* A power-of-two divisor keeps the low bits exactly. */
	if (b->umin == b->umax && !(b->umin & (b->umin - 1)))
		res->t = tnum_and(a->t, tnum_const(b->umin - 1));
}

static void range_and(struct kbpf_range *res, const struct kbpf_range *a,
		      const struct kbpf_range *b)
{
	res->t = tnum_and(a->t, b->t);
	set_unsigned(res, res->t.value, umin_u(a->umax, b->umax));
	/* With a non-negative operand the result lies between 0 and it. */
	if (a->smin >= 0 || b->smin >= 0) {
		res->smin = 0;
		res->smax = a->smin >= 0 && b->smin >= 0 ?
			    smin_s(a->smax, b->smax) :
			    a->smin >= 0 ? a->smax : b->smax;
	}
}

static void range_or(struct kbpf_range *res, const struct kbpf_range *a,
		     const struct kbpf_range *b)
{
	res->t = tnum_or(a->t, b->t);
	set_unsigned(res, umax_u(a->umin, b->umin), res->t.value | res->t.mask);
}

static void range_shift(struct kbpf_range *res, const struct kbpf_range *a,
			const struct kbpf_range *b, u8 op, u32 bits)
{
	u32 k = (u32)(b->umin & (bits - 1));
	bool known = b->umin == b->umax;

	if (!known) {
		/* Any amount: a right shift never grows the magnitude. */
		if (op == BPF_RSH) {
			set_unsigned(res, 0, a->umax);
			res->t = tnum_range(0, a->umax);
		} else if (op == BPF_ARSH) {
			res->smin = a->smin < 0 ? a->smin : 0;
			res->smax = a->smax >= 0 ? a->smax : -1;
		}
		return;
	}
	switch (op) {
	case BPF_LSH:
		res->t = tnum_lshift(a->t, k);
		if (a->umax <= width_mask(bits) >> k)
			set_unsigned(res, a->umin << k, a->umax << k);
		break;
	case BPF_RSH:
		res->t = tnum_rshift(a->t, k, bits);
		set_unsigned(res, a->umin >> k, a->umax >> k);
		break;
	case BPF_ARSH:
		res->t = tnum_arshift(a->t, k, bits);
		res->smin = a->smin >> k;
		res->smax = a->smax >> k;
		break;
	}
}

void kbpf_range_alu(struct kbpf_range *res, const struct kbpf_range *a,
		    const struct kbpf_range *b, u8 op, u32 bits)
{
	struct kbpf_range out, zero;

	kbpf_range_unknown(&out, bits);
	switch (op) {
	case BPF_ADD:
		range_add(&out, a, b, bits);
		break;
	case BPF_SUB:
		range_sub(&out, a, b, bits);
		break;
	case BPF_NEG:
		kbpf_range_const(&zero, 0, bits);
		range_sub(&out, &zero, a, bits);
		break;
	case BPF_MUL:
		range_mul(&out, a, b, bits);
		break;
	case BPF_DIV:
		range_div(&out, a, b, bits);
		break;
	case BPF_MOD:
		range_mod(&out, a, b);
		break;
	case BPF_AND:
		range_and(&out, a, b);
		break;
	case BPF_OR:
		range_or(&out, a, b);
		break;
	case BPF_XOR:
		out.t = tnum_xor(a->t, b->t);
		break;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		range_shift(&out, a, b, op, bits);
		break;
	}
	out.t = tnum_truncate(out.t, bits);
	kbpf_range_deduce(&out, bits);
	*res = out;
}

static bool tnums_conflict(struct tnum a, struct tnum b)
{
	return (a.value ^ b.value) & ~(a.mask | b.mask);
}

int kbpf_range_branch_taken(const struct kbpf_range *a,
			    const struct kbpf_range *b, u8 op)
{
	switch (op) {
	case BPF_JEQ:
	case BPF_JNE: {
		int eq = -1;

		if (tnum_is_const(a->t) && tnum_is_const(b->t) &&
		    a->t.value == b->t.value)
			eq = 1;
		else if (tnums_conflict(a->t, b->t) || a->umin > b->umax ||
			 a->umax < b->umin || a->smin > b->smax ||
			 a->smax < b->smin)
			eq = 0;
		if (eq < 0)
			return -1;
		return op == BPF_JEQ ? eq : !eq;
	}
	case BPF_JGT:
		return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
	case BPF_JGE:
		return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
	case BPF_JLT:
		return a->umax < b->umin ? 1 : a->umin >= b->umax ? 0 : -1;
	case BPF_JLE:
		return a->umax <= b->umin ? 1 : a->umin > b->umax ? 0 : -1;
	case BPF_JSGT:
		return a->smin > b->smax ? 1 : a->smax <= b->smin ? 0 : -1;
	case BPF_JSGE:
		return a->smin >= b->smax ? 1 : a->smax < b->smin ? 0 : -1;
	case BPF_JSLT:
		return a->smax < b->smin ? 1 : a->smin >= b->smax ? 0 : -1;
	case BPF_JSLE:
		return a->smax <= b->smin ? 1 : a->smin > b->smax ? 0 : -1;
	case BPF_JSET:
		if (a->t.value & b->t.value)
			return 1;
		if (!((a->t.value | a->t.mask) & (b->t.value | b->t.mask)))
			return 0;
		return -1;
	}
	return -1;
}

static u8 negate_cond(u8 op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JNE:
		return BPF_JEQ;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	case BPF_JLT:
		return BPF_JGE;
	case BPF_JLE:
		return BPF_JGT;
	case BPF_JSGT:
		return BPF_JSLE;
	case BPF_JSGE:
		return BPF_JSLT;
	case BPF_JSLT:
		return BPF_JSGE;
	case BPF_JSLE:
		return BPF_JSGT;
	}
	return op;
}

/* a != c: a bound equal to the constant c moves past it. */
static void refine_not_equal(struct kbpf_range *a, const struct kbpf_range *b,
			     u32 bits)
{
	u64 c = b->umin;
	s64 sc = sext(c, bits);

	if (b->umin != b->umax)
		return;
	if (a->umin == c && a->umax == c) {
		mark_empty(a);
		return;
	}
	if (a->umin == c)
		a->umin++;
	else if (a->umax == c)
		a->umax--;
	if (a->smin == sc)
		a->smin++;
	else if (a->smax == sc)
		a->smax--;
}

/* a > b (unsigned, @strict) or a >= b. */
static void refine_greater(struct kbpf_range *a, struct kbpf_range *b,
			   bool strict, bool is_signed, u32 bits)
{
	if (is_signed) {
		if (strict && (b->smin == smax_of(bits) ||
			       a->smax == smin_of(bits))) {
			mark_empty(a);
			return;
		}
		a->smin = smax_s(a->smin, b->smin + strict);
		b->smax = smin_s(b->smax, a->smax - strict);
		return;
	}
	if (strict && (b->umin == width_mask(bits) || a->umax == 0)) {
		mark_empty(a);
		return;
	}
	a->umin = umax_u(a->umin, b->umin + strict);
	b->umax = umin_u(b->umax, a->umax - strict);
}

static void refine_jset(struct kbpf_range *a, const struct kbpf_range *b,
			bool taken)
{
	u64 c = b->umin;

	if (b->umin != b->umax)
		return;
	if (!taken) {
		if (a->t.value & c) {
			mark_empty(a);
			return;
		}
		a->t.mask &= ~c;	/* every bit of c is 0 */
		return;
	}
	if (!c) {
		mark_empty(a);
		return;
	}
	if (c & (c - 1))
		return;		/* some bit of several: nothing certain */
	if (!(a->t.mask & c) && !(a->t.value & c)) {
		mark_empty(a);
		return;
	}
	a->t.value |= c;
	a->t.mask &= ~c;
}

void kbpf_range_refine(struct kbpf_range *a, struct kbpf_range *b, u8 op,
		       bool taken, u32 bits)
{
	struct kbpf_range na = *a, nb = *b;

	if (op == BPF_JSET) {
		refine_jset(&na, &nb, taken);
		refine_jset(&nb, &na, taken);
		goto out;
	}
	if (!taken)
		op = negate_cond(op);
	switch (op) {
	case BPF_JEQ:
		if (tnums_conflict(na.t, nb.t)) {
			mark_empty(&na);
			break;
		}
		na.t = tnum_intersect(na.t, nb.t);
		na.umin = umax_u(na.umin, nb.umin);
		na.umax = umin_u(na.umax, nb.umax);
		na.smin = smax_s(na.smin, nb.smin);
		na.smax = smin_s(na.smax, nb.smax);
		nb = na;
		break;
	case BPF_JNE:
		refine_not_equal(&na, b, bits);
		refine_not_equal(&nb, a, bits);
		break;
	case BPF_JGT:
	case BPF_JGE:
		refine_greater(&na, &nb, op == BPF_JGT, false, bits);
		break;
	case BPF_JLT:
	case BPF_JLE:
		refine_greater(&nb, &na, op == BPF_JLT, false, bits);
		break;
	case BPF_JSGT:
	case BPF_JSGE:
		refine_greater(&na, &nb, op == BPF_JSGT, true, bits);
		break;
	case BPF_JSLT:
	case BPF_JSLE:
		refine_greater(&nb, &na, op == BPF_JSLT, true, bits);
		break;
	}
out:
	kbpf_range_deduce(&na, bits);
	kbpf_range_deduce(&nb, bits);
	if (kbpf_range_is_empty(&na, bits) || kbpf_range_is_empty(&nb, bits)) {
		mark_empty(&na);
		mark_empty(&nb);
	}
	*a = na;
	*b = nb;
}

/* ---- the five views of a register ---- */

static struct kbpf_range view(const struct kbpf_scalar *s, u32 bits)
{
	struct kbpf_range r;

	if (bits == 64) {
		r.t = s->var_off;
		r.umin = s->umin;
		r.umax = s->umax;
		r.smin = s->smin;
		r.smax = s->smax;
	} else {
		r.t = tnum_truncate(s->var_off, 32);
		r.umin = s->u32_min;
		r.umax = s->u32_max;
		r.smin = s->s32_min;
		r.smax = s->s32_max;
	}
	return r;
}

static void set_view64(struct kbpf_scalar *s, const struct kbpf_range *r)
{
	s->var_off = r->t;
	s->umin = r->umin;
	s->umax = r->umax;
	s->smin = r->smin;
	s->smax = r->smax;
}

/* The low 32 bits narrowed to @r; the upper half keeps what it knew. */
static void set_view32(struct kbpf_scalar *s, const struct kbpf_range *r)
{
	s->var_off.value = (s->var_off.value & ~(u64)U32_MAX) | r->t.value;
	s->var_off.mask = (s->var_off.mask & ~(u64)U32_MAX) | r->t.mask;
	s->u32_min = (u32)r->umin;
	s->u32_max = (u32)r->umax;
	s->s32_min = (s32)r->smin;
	s->s32_max = (s32)r->smax;
}

bool kbpf_scalar_is_empty(const struct kbpf_scalar *s)
{
	return s->umin > s->umax || s->smin > s->smax ||
	       s->u32_min > s->u32_max || s->s32_min > s->s32_max;
}

static void mark_scalar_empty(struct kbpf_scalar *s)
{
	s->umin = 1;
	s->umax = 0;
}

void kbpf_scalar_sync(struct kbpf_scalar *s)
{
	int round;

	for (round = 0; round < 2; round++) {
		struct kbpf_range r64 = view(s, 64), r32 = view(s, 32);
		u64 hi;

		if (kbpf_scalar_is_empty(s))
			return;
		kbpf_range_deduce(&r64, 64);
		kbpf_range_deduce(&r32, 32);
		if (kbpf_range_is_empty(&r64, 64) ||
		    kbpf_range_is_empty(&r32, 32)) {
			mark_scalar_empty(s);
			return;
		}
		set_view64(s, &r64);
		set_view32(s, &r32);
		/* 64 -> 32: bounds within one 2^32 block bound the low half. */
		if ((s->umin >> 32) == (s->umax >> 32)) {
			s->u32_min = max_t(u32, s->u32_min, (u32)s->umin);
			s->u32_max = min_t(u32, s->u32_max, (u32)s->umax);
		}
		if ((s->smin >> 32) == (s->smax >> 32)) {
			if ((u32)s->smin <= (u32)s->smax) {
				s->u32_min = max_t(u32, s->u32_min, (u32)s->smin);
				s->u32_max = min_t(u32, s->u32_max, (u32)s->smax);
			}
			if ((s32)s->smin <= (s32)s->smax) {
				s->s32_min = max_t(s32, s->s32_min, (s32)s->smin);
				s->s32_max = min_t(s32, s->s32_max, (s32)s->smax);
			}
		}
		/* 32 -> 64: with the upper half known, the low half's bounds. */
		if (!(s->var_off.mask >> 32)) {
			hi = s->var_off.value & ~(u64)U32_MAX;
			s->umin = umax_u(s->umin, hi | s->u32_min);
			s->umax = umin_u(s->umax, hi | s->u32_max);
			s->smin = smax_s(s->smin, (s64)(hi | s->u32_min));
			s->smax = smin_s(s->smax, (s64)(hi | s->u32_max));
		}
	}
}

void kbpf_scalar_set_const(struct kbpf_scalar *s, u64 value)
{
	s->var_off = tnum_const(value);
	s->umin = value;
	s->umax = value;
	s->smin = (s64)value;
	s->smax = (s64)value;
	s->u32_min = (u32)value;
	s->u32_max = (u32)value;
	s->s32_min = (s32)value;
	s->s32_max = (s32)value;
}

void kbpf_scalar_set_unknown(struct kbpf_scalar *s)
{
	s->var_off = tnum_unknown();
	s->umin = 0;
	s->umax = U64_MAX;
	s->smin = S64_MIN;
	s->smax = S64_MAX;
	s->u32_min = 0;
	s->u32_max = U32_MAX;
	s->s32_min = S32_MIN;
	s->s32_max = S32_MAX;
}

bool kbpf_scalar_is_const(const struct kbpf_scalar *s)
{
	return tnum_is_const(s->var_off);
}

/* dst = @r32 zero-extended: the upper half is known zero. */
static void set_zext(struct kbpf_scalar *dst, const struct kbpf_range *r32)
{
	kbpf_scalar_set_unknown(dst);
	dst->var_off = tnum_truncate(r32->t, 32);
	dst->u32_min = (u32)r32->umin;
	dst->u32_max = (u32)r32->umax;
	dst->s32_min = (s32)r32->smin;
	dst->s32_max = (s32)r32->smax;
	dst->umin = r32->umin;
	dst->umax = r32->umax;
	dst->smin = (s64)r32->umin;
	dst->smax = (s64)r32->umax;
	kbpf_scalar_sync(dst);
}

void kbpf_scalar_alu(struct kbpf_scalar *dst, const struct kbpf_scalar *src,
		     u8 op, bool alu64)
{
	u32 bits = alu64 ? 64 : 32;
	struct kbpf_range a = view(dst, bits), b = view(src, bits), r;

	kbpf_range_alu(&r, &a, &b, op, bits);
	if (!alu64) {
		set_zext(dst, &r);
		return;
	}
	kbpf_scalar_set_unknown(dst);
	set_view64(dst, &r);
	kbpf_scalar_sync(dst);
}

void kbpf_scalar_zext32(struct kbpf_scalar *dst, const struct kbpf_scalar *src)
{
	struct kbpf_range r = view(src, 32);

	set_zext(dst, &r);
}

static u64 swap_bytes(u64 x, u32 bits)
{
	u64 res = 0;
	u32 i;

	for (i = 0; i < bits; i += 8)
		res |= ((x >> i) & 0xff) << (bits - 8 - i);
	return res;
}

void kbpf_scalar_endian(struct kbpf_scalar *dst, bool to_be, u32 bits)
{
	struct tnum t = tnum_truncate(dst->var_off, bits);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	to_be = !to_be;
#endif
	if (to_be) {
		/* Swapping bytes moves known and unknown bits alike. */
		t.value = swap_bytes(t.value, bits);
		t.mask = swap_bytes(t.mask, bits);
	}
	kbpf_scalar_set_unknown(dst);
	dst->var_off = t;
	kbpf_scalar_sync(dst);
}

int kbpf_scalar_branch_taken(const struct kbpf_scalar *a,
			     const struct kbpf_scalar *b, u8 op, bool jmp32)
{
	u32 bits = jmp32 ? 32 : 64;
	struct kbpf_range ra = view(a, bits), rb = view(b, bits);

	return kbpf_range_branch_taken(&ra, &rb, op);
}

bool kbpf_scalar_refine(struct kbpf_scalar *a, struct kbpf_scalar *b, u8 op,
			bool jmp32, bool taken)
{
	u32 bits = jmp32 ? 32 : 64;
	struct kbpf_range ra = view(a, bits), rb = view(b, bits);

	kbpf_range_refine(&ra, &rb, op, taken, bits);
	if (kbpf_range_is_empty(&ra, bits) || kbpf_range_is_empty(&rb, bits))
		return false;
	if (jmp32) {
		set_view32(b, &rb);
		set_view32(a, &ra);
	} else {
		set_view64(b, &rb);
		set_view64(a, &ra);
	}
	kbpf_scalar_sync(a);
	kbpf_scalar_sync(b);
	return !kbpf_scalar_is_empty(a) && !kbpf_scalar_is_empty(b);
}

bool kbpf_scalar_subsumes(const struct kbpf_scalar *old,
			  const struct kbpf_scalar *cur)
{
	return old->umin <= cur->umin && cur->umax <= old->umax &&
	       old->smin <= cur->smin && cur->smax <= old->smax &&
	       old->u32_min <= cur->u32_min && cur->u32_max <= old->u32_max &&
	       old->s32_min <= cur->s32_min && cur->s32_max <= old->s32_max &&
	       tnum_in(old->var_off, cur->var_off);
}

void kbpf_scalar_union(struct kbpf_scalar *dst, const struct kbpf_scalar *other)
{
	dst->var_off = tnum_union(dst->var_off, other->var_off);
	dst->umin = umin_u(dst->umin, other->umin);
	dst->umax = umax_u(dst->umax, other->umax);
	dst->smin = smin_s(dst->smin, other->smin);
	dst->smax = smax_s(dst->smax, other->smax);
	dst->u32_min = min_t(u32, dst->u32_min, other->u32_min);
	dst->u32_max = max_t(u32, dst->u32_max, other->u32_max);
	dst->s32_min = min_t(s32, dst->s32_min, other->s32_min);
	dst->s32_max = max_t(s32, dst->s32_max, other->s32_max);
	kbpf_scalar_sync(dst);
}

int kbpf_scalar_format(char *buf, size_t size, const struct kbpf_scalar *s)
{
	int n = 0;

	if (kbpf_scalar_is_const(s))
		return snprintf(buf, size, "%lld", (long long)s->var_off.value);
	n += snprintf(buf + n, size - min_t(size_t, size, n), "scalar(");
#define KBPF_FMT_BOUND(cond, fmt, val)					\
	do {								\
		if (cond)						\
			n += snprintf(buf + min_t(size_t, size, n),	\
				      size - min_t(size_t, size, n),	\
				      fmt ",", val);			\
	} while (0)
	KBPF_FMT_BOUND(s->umin, "umin=%llu", (unsigned long long)s->umin);
	KBPF_FMT_BOUND(s->umax != U64_MAX, "umax=%llu",
		       (unsigned long long)s->umax);
	KBPF_FMT_BOUND(s->smin != S64_MIN && s->smin != (s64)s->umin, "smin=%lld",
		       (long long)s->smin);
	KBPF_FMT_BOUND(s->smax != S64_MAX && s->smax != (s64)s->umax, "smax=%lld",
		       (long long)s->smax);
	KBPF_FMT_BOUND(s->u32_min && s->u32_min != s->umin, "u32_min=%u",
		       s->u32_min);
	KBPF_FMT_BOUND(s->u32_max != U32_MAX && s->u32_max != s->umax,
		       "u32_max=%u", s->u32_max);
	KBPF_FMT_BOUND(s->s32_min != S32_MIN && s->s32_min != s->smin,
		       "s32_min=%d", s->s32_min);
	KBPF_FMT_BOUND(s->s32_max != S32_MAX && s->s32_max != s->smax,
		       "s32_max=%d", s->s32_max);
#undef KBPF_FMT_BOUND
	if (s->var_off.mask != U64_MAX)
		n += snprintf(buf + min_t(size_t, size, n),
			      size - min_t(size_t, size, n),
			      "var_off=(%#llx; %#llx),",
			      (unsigned long long)s->var_off.value,
			      (unsigned long long)s->var_off.mask);
	/* Replace the last comma (or the open parenthesis) by ')'. */
	if (n > 0 && (size_t)n <= size && buf[n - 1] == ',')
		buf[n - 1] = ')';
	else if ((size_t)n + 1 < size)
		n += snprintf(buf + n, size - n, ")");
	return n;
}
