// SPDX-License-Identifier: GPL-2.0
/* The interpreter: see interp.h. */
#include "interp.h"
#include "alu.h"

struct kbpf_frame {
	u64 callee_saved[4];	/* R6-R9 of the caller */
	u64 frame_pointer;	/* R10 of the caller */
	u32 return_pc;
};

/* Records may be accessed at any alignment (docs/verifier.md). */
static u64 kbpf_load(u64 addr, u8 size)
{
	const void *p = (const void *)(uintptr_t)addr;

	switch (size) {
	case BPF_B:
		return *(const u8 *)p;
	case BPF_H:
		return kbpf_get_unaligned_u16(p);
	case BPF_W:
		return kbpf_get_unaligned_u32(p);
	default:
		return kbpf_get_unaligned_u64(p);
	}
}

static void kbpf_store(u64 addr, u8 size, u64 value)
{
	void *p = (void *)(uintptr_t)addr;

	switch (size) {
	case BPF_B:
		*(u8 *)p = (u8)value;
		break;
	case BPF_H:
		kbpf_put_unaligned_u16((u16)value, p);
		break;
	case BPF_W:
		kbpf_put_unaligned_u32((u32)value, p);
		break;
	default:
		kbpf_put_unaligned_u64(value, p);
		break;
	}
}

static unsigned int kbpf_end_bits(s32 imm)
{
	return imm == 16 || imm == 32 || imm == 64 ? (unsigned int)imm : 0;
}

/* What BPF_ATOMIC operation @op (add, and, or, xor) makes of @old. */
static u64 kbpf_atomic_result(s32 op, u64 old, u64 val)
{
	switch (op & ~BPF_FETCH) {
	case BPF_AND:
		return old & val;
	case BPF_OR:
		return old | val;
	case BPF_XOR:
		return old ^ val;
	default:
		return old + val;
	}
}

/*
 * BPF_ATOMIC operation @op on the aligned u32 or u64 at @p (the verifier
 * checked the alignment): Linux's operations, each fully ordered. Returns
 * the old value, which the instruction puts in src (BPF_FETCH) or R0
 * (BPF_CMPXCHG); a 32-bit one zero-extended. @expected: R0, for
 * BPF_CMPXCHG. The others retry a compare-and-exchange from a guess of the
 * old value (0), each failure returning the value to retry with.
 */
static u64 kbpf_atomic_u32(u32 *p, s32 op, u32 val, u32 expected)
{
	u32 old = 0, seen;

	if (op == BPF_XCHG)
		return kbpf_xchg(p, val);
	if (op == BPF_CMPXCHG)
		return kbpf_cmpxchg(p, expected, val);
	while ((seen = kbpf_cmpxchg(p, old,
				    (u32)kbpf_atomic_result(op, old, val))) != old)
		old = seen;
	return old;
}

static u64 kbpf_atomic_u64(u64 *p, s32 op, u64 val, u64 expected)
{
	u64 old = 0, seen;

	if (op == BPF_XCHG)
		return kbpf_xchg(p, val);
	if (op == BPF_CMPXCHG)
		return kbpf_cmpxchg(p, expected, val);
	while ((seen = kbpf_cmpxchg(p, old,
				    kbpf_atomic_result(op, old, val))) != old)
		old = seen;
	return old;
}

/* A KBPF_PROBE_MEM load: 0 where the memory is not there. */
static u64 probe_load(u64 addr, u8 size)
{
	u8 bytes = size == BPF_B ? 1 : size == BPF_H ? 2 : size == BPF_W ? 4 : 8;
	u64 value = 0;

	/* Little-endian, as every kring target: the low bytes. */
	if (kbpf_read_kernel(&value, addr, bytes))
		return 0;
	return value;
}

/*
 * A tail call taken ends the run (the caller runs the program it picked);
 * one in a called function is an error (interp.h: loaders refuse those).
 */
static int tail_call_taken(unsigned int depth, u64 *r0)
{
	if (depth)
		return -EINVAL;
	*r0 = 0;
	return 0;
}

int kbpf_interp_run(const struct bpf_insn *insns, u32 insn_cnt, void *ctx,
		    const struct kbpf_interp_env *env, u64 *r0)
{
	struct kbpf_frame frames[KBPF_MAX_CALL_FRAMES - 1];
	u64 budget = env->insn_budget ? env->insn_budget :
					KBPF_INTERP_DEFAULT_BUDGET;
	u64 stack_top = (u64)(uintptr_t)env->stack + KBPF_INTERP_STACK_SIZE;
	unsigned int depth = 0;
	u64 regs[MAX_BPF_REG] = { 0 };
	u32 pc = 0;

	regs[BPF_REG_1] = (u64)(uintptr_t)ctx;
	regs[BPF_REG_10] = stack_top;

	while (pc < insn_cnt) {
		const struct bpf_insn *insn = &insns[pc];
		u8 class = BPF_CLASS(insn->code);
		u8 op = BPF_OP(insn->code);
		u64 *dst = &regs[insn->dst_reg & 0xf];
		u64 src = BPF_SRC(insn->code) == BPF_X ?
			  regs[insn->src_reg & 0xf] : (u64)(s64)insn->imm;
		bool taken;

		if (insn->dst_reg >= MAX_BPF_REG || insn->src_reg >= MAX_BPF_REG)
			return -EINVAL;
		if (!budget--)
			return -E2BIG;
		pc++;

		switch (class) {
		case BPF_ALU64:
			if (!kbpf_alu64(op, *dst, src, dst))
				return -EINVAL;
			break;
		case BPF_ALU:
			if (op == BPF_END) {
				if (!kbpf_endian(BPF_SRC(insn->code) == BPF_X,
						 kbpf_end_bits(insn->imm),
						 *dst, dst))
					return -EINVAL;
			} else if (!kbpf_alu32(op, *dst, src, dst)) {
				return -EINVAL;
			}
			break;
		case BPF_LDX:
			if (BPF_MODE(insn->code) == KBPF_PROBE_MEM) {
				*dst = probe_load(regs[insn->src_reg] + insn->off,
						  BPF_SIZE(insn->code));
				break;
			}
			if (BPF_MODE(insn->code) != BPF_MEM)
				return -EINVAL;
			*dst = kbpf_load(regs[insn->src_reg] + insn->off,
					 BPF_SIZE(insn->code));
			break;
		case BPF_STX:
		case BPF_ST:
			if (class == BPF_STX &&
			    BPF_MODE(insn->code) == BPF_ATOMIC) {
				/*
				 * The operand is src_reg's whatever the size:
				 * BPF_W leaves the BPF_X bit clear, so `src`
				 * above holds imm (the operation) for it.
				 */
				u64 addr = *dst + insn->off, val = regs[insn->src_reg];
				u64 old;

				if (BPF_SIZE(insn->code) == BPF_W)
					old = kbpf_atomic_u32((u32 *)(uintptr_t)addr,
							      insn->imm, (u32)val,
							      (u32)regs[BPF_REG_0]);
				else
					old = kbpf_atomic_u64((u64 *)(uintptr_t)addr,
							      insn->imm, val,
							      regs[BPF_REG_0]);
				if (insn->imm == BPF_CMPXCHG)
					regs[BPF_REG_0] = old;
				else if (insn->imm & BPF_FETCH)
					regs[insn->src_reg] = old;
				break;
			}
			if (BPF_MODE(insn->code) != BPF_MEM)
				return -EINVAL;
			kbpf_store(*dst + insn->off, BPF_SIZE(insn->code),
				   class == BPF_STX ? regs[insn->src_reg] :
						      (u64)(s64)insn->imm);
			break;
		case BPF_LD:
			if (insn->code != (BPF_LD | BPF_IMM | BPF_DW) ||
			    pc >= insn_cnt)
				return -EINVAL;
			*dst = (u32)insn->imm | ((u64)(u32)insns[pc].imm << 32);
			pc++;
			break;
		case BPF_JMP32:
		case BPF_JMP:
			if (class == BPF_JMP && op == BPF_JA) {
				pc += insn->off;
				break;
			}
			if (class == BPF_JMP && op == BPF_CALL) {
				if (insn->src_reg == BPF_PSEUDO_CALL) {
					struct kbpf_frame *f;

					if (depth == KBPF_MAX_CALL_FRAMES - 1)
						return -EOVERFLOW;
					f = &frames[depth++];
					memcpy(f->callee_saved, &regs[BPF_REG_6],
					       sizeof(f->callee_saved));
					f->frame_pointer = regs[BPF_REG_10];
					f->return_pc = pc;
					regs[BPF_REG_10] = stack_top -
						depth * KBPF_FRAME_STACK_SIZE;
					pc += insn->imm;
				} else if (insn->src_reg == 0 && env->call_helper) {
					regs[BPF_REG_0] = env->call_helper(env->priv,
						insn->imm, &regs[BPF_REG_1]);
					if (insn->imm == BPF_FUNC_tail_call &&
					    !regs[BPF_REG_0])
						return tail_call_taken(depth, r0);
				} else {
					return -EINVAL;
				}
				break;
			}
			if (class == BPF_JMP && op == BPF_EXIT) {
				struct kbpf_frame *f;

				if (!depth) {
					*r0 = regs[BPF_REG_0];
					return 0;
				}
				f = &frames[--depth];
				memcpy(&regs[BPF_REG_6], f->callee_saved,
				       sizeof(f->callee_saved));
				regs[BPF_REG_10] = f->frame_pointer;
				pc = f->return_pc;
				break;
			}
			if (!kbpf_jmp_cond(op, *dst, src, class == BPF_JMP32,
					   &taken))
				return -EINVAL;
			if (taken)
				pc += insn->off;
			break;
		default:
			return -EINVAL;
		}
	}
	/* Fell off the end, or jumped outside the program. */
	return -EINVAL;
}
