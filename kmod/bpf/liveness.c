// SPDX-License-Identifier: GPL-2.0
/* Static liveness and precision: see liveness.h for what and why. */
#include "liveness.h"
#include "helpers.h"
#include "interp.h"

#define ALL_REGS 0x3ffU		/* r0..r9; r10 is never compared */
#define ARG_REGS 0x3eU		/* r1..r5 */
#define CLOBBERED_BY_CALL 0x3fU	/* r0..r5 */
#define ALL_SLOTS U64_MAX

/* The stack slots an access of @size bytes at fp + @off touches. */
static u64 slots_of(s32 off, u32 size)
{
	s32 first = off, last = off + (s32)size - 1;
	u64 bits = 0;
	s32 byte;

	if (first < -KBPF_FRAME_STACK_SIZE || last >= 0)
		return 0;	/* out of the frame: the verifier rejects it */
	for (byte = first; byte <= last; byte++)
		bits |= 1ULL << ((-byte - 1) / 8);
	return bits;
}

/* Forward: the registers that may hold a pointer before each insn. */
static u16 mayptr_after(const struct bpf_insn *insn, u16 in)
{
	u8 class = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
	u16 d = 1U << insn->dst_reg, s = 1U << insn->src_reg;
	bool reg_src = BPF_SRC(insn->code) == BPF_X;
	const struct kbpf_helper_proto *proto;

	switch (class) {
	case BPF_ALU64:
		if (op == BPF_MOV)
			return reg_src && (in & s) ? in | d : in & ~d;
		if ((op == BPF_ADD || op == BPF_SUB) && reg_src)
			return in & s ? in | d : in;
		if (op == BPF_ADD || op == BPF_SUB)
			return in;
		return in & ~d;
	case BPF_ALU:
		return in & ~d;
	case BPF_LDX:
		/* A doubleword from the stack may be a spilled pointer. */
		if (BPF_SIZE(insn->code) == BPF_DW && (in & s))
			return in | d;
		return in & ~d;
	case BPF_LD:
		/* A ring, a map or a map value (src_reg 0: a number). */
		return insn->src_reg ? in | d : in & ~d;
	case BPF_JMP:
		if (op != BPF_CALL)
			return in;
		in &= ~CLOBBERED_BY_CALL;
		proto = insn->src_reg ? NULL : kbpf_helper_proto(insn->imm);
		if (insn->src_reg == BPF_PSEUDO_CALL ||
		    (proto && (proto->ret == KBPF_RET_RECORD_OR_NULL ||
			       proto->ret == KBPF_RET_MAP_VALUE_OR_NULL ||
			       proto->ret == KBPF_RET_TASK_BTF)))
			in |= 1U;
		return in;
	default:
		return in;
	}
}

static void compute_mayptr(u16 *mayptr, const struct bpf_insn *insns,
			   const struct kbpf_func *f, bool is_program)
{
	bool changed = true;
	u32 i;

	mayptr[f->start] = (1U << BPF_REG_10) | (is_program ? 1U << 1 : ARG_REGS);
	/* Forward passes until nothing grows; jumps only add bits. */
	while (changed) {
		changed = false;
		for (i = f->start; i < f->end; i = kbpf_insn_next(insns, i)) {
			const struct bpf_insn *insn = &insns[i];
			u16 out = mayptr_after(insn, mayptr[i]);
			u32 succ[2], n = kbpf_insn_successors(insns, i, succ), k;

			for (k = 0; k < n; k++) {
				if (succ[k] < f->start || succ[k] >= f->end)
					continue;
				if ((mayptr[succ[k]] | out) != mayptr[succ[k]]) {
					mayptr[succ[k]] |= out;
					changed = true;
				}
			}
		}
		kbpf_cond_resched();
	}
}

struct live_sets {
	u16 regs, precise_regs;
	u64 slots, precise_slots;
	u64 ptr_checked_slots;
};

static void use_reg(struct live_sets *ls, u8 reg, bool precise)
{
	if (reg >= BPF_REG_10)
		return;
	ls->regs |= 1U << reg;
	if (precise)
		ls->precise_regs |= 1U << reg;
}

static void def_reg(struct live_sets *ls, u8 reg)
{
	ls->regs &= ~(1U << reg);
	ls->precise_regs &= ~(1U << reg);
}

static bool is_precise(const struct live_sets *ls, u8 reg)
{
	return reg < BPF_REG_10 && (ls->precise_regs & (1U << reg));
}

static void alu_before(struct live_sets *ls, const struct bpf_insn *insn,
		       u16 mayptr)
{
	u8 op = BPF_OP(insn->code), d = insn->dst_reg, s = insn->src_reg;
	bool reg_src = kbpf_alu_reads_src_reg(insn);
	bool dst_precise = is_precise(ls, d);

	if (op == BPF_MOV) {
		def_reg(ls, d);
		if (reg_src)
			use_reg(ls, s, dst_precise);
		return;
	}
	use_reg(ls, d, dst_precise);
	if (!reg_src)
		return;
	use_reg(ls, s, dst_precise);
	/* Pointer arithmetic checks the scalar's bounds. */
	if ((op == BPF_ADD || op == BPF_SUB) &&
	    BPF_CLASS(insn->code) == BPF_ALU64) {
		if (mayptr & (1U << d))
			use_reg(ls, s, true);
		if (mayptr & (1U << s))
			use_reg(ls, d, true);
	}
}

static void load_before(struct live_sets *ls, const struct bpf_insn *insn,
			u16 mayptr)
{
	u32 size = kbpf_access_bytes(insn->code);
	bool dst_precise = is_precise(ls, insn->dst_reg);
	u64 slots = ALL_SLOTS;

	def_reg(ls, insn->dst_reg);
	use_reg(ls, insn->src_reg, true);
	if (insn->src_reg == BPF_REG_10)
		slots = slots_of(insn->off, size);
	else if (!(mayptr & (1U << insn->src_reg)))
		slots = 0;
	ls->slots |= slots;
	if (dst_precise)
		ls->precise_slots |= slots;
}

/*
 * A store through a pointer that may reach the stack, checked for spilled
 * pointers it overwrites (without bypass_spec_v4): @slots are read for that.
 */
static void check_ptr_overwrite(struct live_sets *ls, u64 slots,
				bool ptr_stores_checked)
{
	if (ptr_stores_checked)
		ls->ptr_checked_slots |= slots;
}

static void store_before(struct live_sets *ls, const struct bpf_insn *insn,
			 u16 mayptr, bool is_root, bool ptr_stores_checked)
{
	u32 size = kbpf_access_bytes(insn->code);
	bool has_src = BPF_CLASS(insn->code) == BPF_STX;
	bool src_precise = false;

	if (insn->dst_reg == BPF_REG_10) {
		u64 slots = slots_of(insn->off, size);

		check_ptr_overwrite(ls, slots, ptr_stores_checked);
		/* At a slot's base, the value is kept (spilled) for a fill. */
		src_precise = !(insn->off % 8) && (ls->precise_slots & slots);
		/* A full, aligned doubleword replaces the slot. */
		if (size == 8 && !(insn->off % 8)) {
			ls->slots &= ~slots;
			ls->precise_slots &= ~slots;
		}
	} else if (mayptr & (1U << insn->dst_reg)) {
		/* Maybe our stack, maybe a caller's, whose precision we do not know. */
		src_precise = ls->precise_slots || !is_root;
		check_ptr_overwrite(ls, ALL_SLOTS, ptr_stores_checked);
	}
	use_reg(ls, insn->dst_reg, true);
	if (has_src)
		use_reg(ls, insn->src_reg, src_precise);
}

/*
 * BPF_ATOMIC: reads and writes the memory (the stack's bytes stay live: the
 * write depends on them), which must hold no spilled pointer (its slots'
 * pointer status is read); BPF_FETCH writes the old value to src, and
 * BPF_CMPXCHG compares R0 and writes the old value there. The new memory
 * value depends on src and, for BPF_CMPXCHG, on R0.
 */
static void atomic_before(struct live_sets *ls, const struct bpf_insn *insn,
			  u16 mayptr)
{
	u32 size = kbpf_access_bytes(insn->code);
	bool cmpxchg = insn->imm == BPF_CMPXCHG;
	bool old_precise = ((insn->imm & BPF_FETCH) &&
			    is_precise(ls, insn->src_reg)) ||
			   (cmpxchg && is_precise(ls, BPF_REG_0));
	u64 slots = 0;
	bool new_precise;

	if (insn->dst_reg == BPF_REG_10)
		slots = slots_of(insn->off, size);
	else if (mayptr & (1U << insn->dst_reg))
		slots = ALL_SLOTS;
	new_precise = (ls->precise_slots & slots) || old_precise;
	if (insn->imm & BPF_FETCH)
		def_reg(ls, cmpxchg ? BPF_REG_0 : insn->src_reg);
	ls->slots |= slots;
	ls->ptr_checked_slots |= slots;
	if (new_precise)
		ls->precise_slots |= slots;
	use_reg(ls, insn->dst_reg, true);
	use_reg(ls, insn->src_reg, new_precise);
	if (cmpxchg)
		use_reg(ls, BPF_REG_0, true);
}

static void call_before(struct live_sets *ls, const struct bpf_insn *insn,
			u16 mayptr, bool ptr_stores_checked)
{
	const struct kbpf_helper_proto *proto;
	u8 r;

	ls->regs &= ~CLOBBERED_BY_CALL;
	ls->precise_regs &= ~CLOBBERED_BY_CALL;
	if (insn->src_reg == BPF_PSEUDO_CALL) {
		/* The callee gets r1-r5 and may reach our stack through them. */
		ls->regs |= ARG_REGS;
		ls->precise_regs |= ARG_REGS;
		if (mayptr & ARG_REGS) {
			ls->slots = ALL_SLOTS;
			ls->precise_slots = ALL_SLOTS;
			check_ptr_overwrite(ls, ALL_SLOTS, ptr_stores_checked);
		}
		return;
	}
	proto = kbpf_helper_proto(insn->imm);
	if (!proto)
		return;		/* the structure check rejected it already */
	for (r = 1; r <= 5 && proto->args[r - 1] != KBPF_ARG_UNUSED; r++) {
		u8 kind = proto->args[r - 1];

		use_reg(ls, r, kbpf_arg_needs_bounds(kind));
		if ((kind == KBPF_ARG_MEM_READ ||
		     kind == KBPF_ARG_MEM_READ_OR_NULL ||
		     kind == KBPF_ARG_MAP_KEY ||
		     kind == KBPF_ARG_MAP_VALUE) && (mayptr & (1U << r)))
			ls->slots = ALL_SLOTS;
		if (kind == KBPF_ARG_MEM_WRITE && (mayptr & (1U << r)))
			check_ptr_overwrite(ls, ALL_SLOTS, ptr_stores_checked);
	}
}

static struct live_sets insn_before(const struct bpf_insn *insn,
				    struct live_sets ls, u16 mayptr,
				    bool is_root, bool ptr_stores_checked)
{
	u8 class = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	switch (class) {
	case BPF_ALU:
	case BPF_ALU64:
		alu_before(&ls, insn, mayptr);
		break;
	case BPF_LDX:
		load_before(&ls, insn, mayptr);
		break;
	case BPF_ST:
	case BPF_STX:
		if (BPF_MODE(insn->code) == BPF_ATOMIC)
			atomic_before(&ls, insn, mayptr);
		else
			store_before(&ls, insn, mayptr, is_root,
				     ptr_stores_checked);
		break;
	case BPF_LD:
		def_reg(&ls, insn->dst_reg);
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_EXIT) {
			ls.regs = 1U;
			/* A static function's result flows on into its caller. */
			ls.precise_regs = is_root ? 0 : 1U;
			ls.slots = 0;
			ls.precise_slots = 0;
			ls.ptr_checked_slots = 0;
		} else if (op == BPF_CALL) {
			call_before(&ls, insn, mayptr, ptr_stores_checked);
		} else if (op != BPF_JA) {
			use_reg(&ls, insn->dst_reg, true);
			if (BPF_SRC(insn->code) == BPF_X)
				use_reg(&ls, insn->src_reg, true);
		}
		break;
	}
	return ls;
}

static void compute_live(struct kbpf_liveness *lv,
			 const struct bpf_insn *insns, const u16 *mayptr,
			 const struct kbpf_structure *s, u32 func,
			 bool ptr_stores_checked)
{
	const struct kbpf_func *f = &s->funcs[func];
	/* Roots: the program and global functions, verified on their own. */
	bool is_root = !func || f->linkage == KRING_FUNC_GLOBAL;
	bool changed = true;
	u32 i;

	/* Backward passes until nothing grows. */
	while (changed) {
		changed = false;
		for (i = f->end; i-- > f->start;) {
			const struct bpf_insn *insn = &insns[i];
			struct live_sets out = { 0 }, in;
			u32 succ[2], n, k;

			if (s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI)
				continue;
			n = kbpf_insn_successors(insns, i, succ);
			for (k = 0; k < n; k++) {
				if (succ[k] < f->start || succ[k] >= f->end)
					continue;
				out.regs |= lv->live_regs[succ[k]];
				out.precise_regs |= lv->precise_regs[succ[k]];
				out.slots |= lv->live_slots[succ[k]];
				out.precise_slots |= lv->precise_slots[succ[k]];
				out.ptr_checked_slots |=
					lv->ptr_checked_slots[succ[k]];
			}
			in = insn_before(insn, out, mayptr[i], is_root,
					 ptr_stores_checked);
			in.precise_regs &= ALL_REGS;
			in.regs &= ALL_REGS;
			if (in.regs != lv->live_regs[i] ||
			    in.precise_regs != lv->precise_regs[i] ||
			    in.slots != lv->live_slots[i] ||
			    in.precise_slots != lv->precise_slots[i] ||
			    in.ptr_checked_slots != lv->ptr_checked_slots[i]) {
				lv->live_regs[i] |= in.regs;
				lv->precise_regs[i] |= in.precise_regs;
				lv->live_slots[i] |= in.slots;
				lv->precise_slots[i] |= in.precise_slots;
				lv->ptr_checked_slots[i] |=
					in.ptr_checked_slots;
				changed = true;
			}
		}
		kbpf_cond_resched();
	}
}

int kbpf_liveness_compute(struct kbpf_liveness *lv,
			  const struct bpf_insn *insns, u32 insn_cnt,
			  const struct kbpf_structure *s, u32 flags)
{
	bool ptr_stores_checked = !(flags & KBPF_F_BYPASS_SPEC_V4);
	u16 *mayptr;
	u32 f;

	memset(lv, 0, sizeof(*lv));
	mayptr = kbpf_zalloc(insn_cnt * sizeof(*mayptr));
	lv->live_regs = kbpf_zalloc(insn_cnt * sizeof(*lv->live_regs));
	lv->precise_regs = kbpf_zalloc(insn_cnt * sizeof(*lv->precise_regs));
	lv->live_slots = kbpf_zalloc(insn_cnt * sizeof(*lv->live_slots));
	lv->precise_slots = kbpf_zalloc(insn_cnt * sizeof(*lv->precise_slots));
	lv->ptr_checked_slots = kbpf_zalloc(insn_cnt *
					    sizeof(*lv->ptr_checked_slots));
	if (!mayptr || !lv->live_regs || !lv->precise_regs ||
	    !lv->live_slots || !lv->precise_slots || !lv->ptr_checked_slots) {
		kbpf_free(mayptr);
		kbpf_liveness_free(lv);
		return -ENOMEM;
	}
	for (f = 0; f < s->nr_funcs; f++) {
		compute_mayptr(mayptr, insns, &s->funcs[f], !f);
		compute_live(lv, insns, mayptr, s, f, ptr_stores_checked);
	}
	kbpf_free(mayptr);
	return 0;
}

void kbpf_liveness_free(struct kbpf_liveness *lv)
{
	kbpf_free(lv->live_regs);
	kbpf_free(lv->precise_regs);
	kbpf_free(lv->live_slots);
	kbpf_free(lv->precise_slots);
	kbpf_free(lv->ptr_checked_slots);
	memset(lv, 0, sizeof(*lv));
}
