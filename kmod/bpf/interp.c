// SPDX-License-Identifier: GPL-2.0
/* The interpreter: see interp.h. */
#include "interp.h"
#include "alu.h"

struct kbpf_frame {
	u64 callee_saved[4];	/* R6-R9 of the caller */
	u64 frame_pointer;	/* R10 of the caller */
	u32 return_pc;
};

static unsigned int kbpf_end_bits(s32 imm)
{
	return imm == 16 || imm == 32 || imm == 64 ? (unsigned int)imm : 0;
}

/*
 * One switch on the whole opcode byte, which compilers turn into a single
 * jump table: an instruction costs one indirect jump instead of a chain of
 * switches on class, source and operation. Each case calls alu.h's helpers
 * with a constant operation, which folds their own switches away, so the
 * semantics stay in one place (alu.h).
 */
#define DST	regs[insn->dst_reg]
#define SRC	regs[insn->src_reg]
#define IMM	((u64)(s64)insn->imm)

int kbpf_interp_run(const struct bpf_insn *insns, u32 insn_cnt, void *ctx,
		    const struct kbpf_interp_env *env, u64 *r0)
{
	struct kbpf_frame frames[KBPF_MAX_CALL_FRAMES - 1];
	u64 budget = env->insn_budget ? env->insn_budget :
					KBPF_INTERP_DEFAULT_BUDGET;
	u64 stack_top = (u64)(uintptr_t)env->stack + KBPF_INTERP_STACK_SIZE;
	unsigned int depth = 0;
	u64 regs[MAX_BPF_REG] = { 0 };
	const struct bpf_insn *insn;
	struct kbpf_frame *frame;
	u32 pc = 0;
	bool taken;

	regs[BPF_REG_1] = (u64)(uintptr_t)ctx;
	regs[BPF_REG_10] = stack_top;

	for (;;) {
		/* Fell off the end, or jumped outside the program. */
		if (pc >= insn_cnt)
			return -EINVAL;
		insn = &insns[pc++];
		if (insn->dst_reg >= MAX_BPF_REG ||
		    insn->src_reg >= MAX_BPF_REG)
			return -EINVAL;
		if (!budget--)
			return -E2BIG;

		switch (insn->code) {
		case BPF_ALU64 | BPF_ADD | BPF_X:
			kbpf_alu64(BPF_ADD, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_ADD | BPF_K:
			kbpf_alu64(BPF_ADD, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_SUB | BPF_X:
			kbpf_alu64(BPF_SUB, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_SUB | BPF_K:
			kbpf_alu64(BPF_SUB, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_MUL | BPF_X:
			kbpf_alu64(BPF_MUL, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_MUL | BPF_K:
			kbpf_alu64(BPF_MUL, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_DIV | BPF_X:
			kbpf_alu64(BPF_DIV, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_DIV | BPF_K:
			kbpf_alu64(BPF_DIV, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_MOD | BPF_X:
			kbpf_alu64(BPF_MOD, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_MOD | BPF_K:
			kbpf_alu64(BPF_MOD, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_OR | BPF_X:
			kbpf_alu64(BPF_OR, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_OR | BPF_K:
			kbpf_alu64(BPF_OR, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_AND | BPF_X:
			kbpf_alu64(BPF_AND, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_AND | BPF_K:
			kbpf_alu64(BPF_AND, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_XOR | BPF_X:
			kbpf_alu64(BPF_XOR, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_XOR | BPF_K:
			kbpf_alu64(BPF_XOR, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_LSH | BPF_X:
			kbpf_alu64(BPF_LSH, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_LSH | BPF_K:
			kbpf_alu64(BPF_LSH, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_RSH | BPF_X:
			kbpf_alu64(BPF_RSH, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_RSH | BPF_K:
			kbpf_alu64(BPF_RSH, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_ARSH | BPF_X:
			kbpf_alu64(BPF_ARSH, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_ARSH | BPF_K:
			kbpf_alu64(BPF_ARSH, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_NEG | BPF_X:
			kbpf_alu64(BPF_NEG, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_NEG | BPF_K:
			kbpf_alu64(BPF_NEG, DST, IMM, &DST);
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			kbpf_alu64(BPF_MOV, DST, SRC, &DST);
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			kbpf_alu64(BPF_MOV, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_ADD | BPF_X:
			kbpf_alu32(BPF_ADD, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_ADD | BPF_K:
			kbpf_alu32(BPF_ADD, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_SUB | BPF_X:
			kbpf_alu32(BPF_SUB, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_SUB | BPF_K:
			kbpf_alu32(BPF_SUB, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_MUL | BPF_X:
			kbpf_alu32(BPF_MUL, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_MUL | BPF_K:
			kbpf_alu32(BPF_MUL, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_DIV | BPF_X:
			kbpf_alu32(BPF_DIV, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			kbpf_alu32(BPF_DIV, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_MOD | BPF_X:
			kbpf_alu32(BPF_MOD, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_MOD | BPF_K:
			kbpf_alu32(BPF_MOD, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_OR | BPF_X:
			kbpf_alu32(BPF_OR, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			kbpf_alu32(BPF_OR, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_AND | BPF_X:
			kbpf_alu32(BPF_AND, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			kbpf_alu32(BPF_AND, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_XOR | BPF_X:
			kbpf_alu32(BPF_XOR, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_XOR | BPF_K:
			kbpf_alu32(BPF_XOR, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_LSH | BPF_X:
			kbpf_alu32(BPF_LSH, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
			kbpf_alu32(BPF_LSH, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_RSH | BPF_X:
			kbpf_alu32(BPF_RSH, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			kbpf_alu32(BPF_RSH, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_ARSH | BPF_X:
			kbpf_alu32(BPF_ARSH, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_ARSH | BPF_K:
			kbpf_alu32(BPF_ARSH, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_NEG | BPF_X:
			kbpf_alu32(BPF_NEG, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_NEG | BPF_K:
			kbpf_alu32(BPF_NEG, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			kbpf_alu32(BPF_MOV, DST, SRC, &DST);
			break;
		case BPF_ALU | BPF_MOV | BPF_K:
			kbpf_alu32(BPF_MOV, DST, IMM, &DST);
			break;
		case BPF_ALU | BPF_END | BPF_TO_LE:
		case BPF_ALU | BPF_END | BPF_TO_BE:
			if (!kbpf_endian(BPF_SRC(insn->code) == BPF_TO_BE,
					 kbpf_end_bits(insn->imm), DST, &DST))
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JEQ | BPF_X:
			kbpf_jmp_cond(BPF_JEQ, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JEQ | BPF_K:
			kbpf_jmp_cond(BPF_JEQ, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JNE | BPF_X:
			kbpf_jmp_cond(BPF_JNE, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JNE | BPF_K:
			kbpf_jmp_cond(BPF_JNE, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JGT | BPF_X:
			kbpf_jmp_cond(BPF_JGT, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JGT | BPF_K:
			kbpf_jmp_cond(BPF_JGT, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JGE | BPF_X:
			kbpf_jmp_cond(BPF_JGE, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JGE | BPF_K:
			kbpf_jmp_cond(BPF_JGE, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JLT | BPF_X:
			kbpf_jmp_cond(BPF_JLT, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JLT | BPF_K:
			kbpf_jmp_cond(BPF_JLT, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JLE | BPF_X:
			kbpf_jmp_cond(BPF_JLE, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JLE | BPF_K:
			kbpf_jmp_cond(BPF_JLE, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSGT | BPF_X:
			kbpf_jmp_cond(BPF_JSGT, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSGT | BPF_K:
			kbpf_jmp_cond(BPF_JSGT, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSGE | BPF_X:
			kbpf_jmp_cond(BPF_JSGE, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSGE | BPF_K:
			kbpf_jmp_cond(BPF_JSGE, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSLT | BPF_X:
			kbpf_jmp_cond(BPF_JSLT, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSLT | BPF_K:
			kbpf_jmp_cond(BPF_JSLT, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSLE | BPF_X:
			kbpf_jmp_cond(BPF_JSLE, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSLE | BPF_K:
			kbpf_jmp_cond(BPF_JSLE, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSET | BPF_X:
			kbpf_jmp_cond(BPF_JSET, DST, SRC, false, &taken);
			goto branch;
		case BPF_JMP | BPF_JSET | BPF_K:
			kbpf_jmp_cond(BPF_JSET, DST, IMM, false, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JEQ | BPF_X:
			kbpf_jmp_cond(BPF_JEQ, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JEQ | BPF_K:
			kbpf_jmp_cond(BPF_JEQ, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JNE | BPF_X:
			kbpf_jmp_cond(BPF_JNE, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JNE | BPF_K:
			kbpf_jmp_cond(BPF_JNE, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JGT | BPF_X:
			kbpf_jmp_cond(BPF_JGT, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JGT | BPF_K:
			kbpf_jmp_cond(BPF_JGT, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JGE | BPF_X:
			kbpf_jmp_cond(BPF_JGE, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JGE | BPF_K:
			kbpf_jmp_cond(BPF_JGE, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JLT | BPF_X:
			kbpf_jmp_cond(BPF_JLT, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JLT | BPF_K:
			kbpf_jmp_cond(BPF_JLT, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JLE | BPF_X:
			kbpf_jmp_cond(BPF_JLE, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JLE | BPF_K:
			kbpf_jmp_cond(BPF_JLE, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSGT | BPF_X:
			kbpf_jmp_cond(BPF_JSGT, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSGT | BPF_K:
			kbpf_jmp_cond(BPF_JSGT, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSGE | BPF_X:
			kbpf_jmp_cond(BPF_JSGE, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSGE | BPF_K:
			kbpf_jmp_cond(BPF_JSGE, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSLT | BPF_X:
			kbpf_jmp_cond(BPF_JSLT, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSLT | BPF_K:
			kbpf_jmp_cond(BPF_JSLT, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSLE | BPF_X:
			kbpf_jmp_cond(BPF_JSLE, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSLE | BPF_K:
			kbpf_jmp_cond(BPF_JSLE, DST, IMM, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSET | BPF_X:
			kbpf_jmp_cond(BPF_JSET, DST, SRC, true, &taken);
			goto branch;
		case BPF_JMP32 | BPF_JSET | BPF_K:
			kbpf_jmp_cond(BPF_JSET, DST, IMM, true, &taken);
			goto branch;
		case BPF_LDX | BPF_MEM | BPF_B:
			DST = *(const u8 *)(uintptr_t)(SRC + insn->off);
			break;
		case BPF_STX | BPF_MEM | BPF_B:
			*(u8 *)(uintptr_t)(DST + insn->off) = (u8)SRC;
			break;
		case BPF_ST | BPF_MEM | BPF_B:
			*(u8 *)(uintptr_t)(DST + insn->off) = (u8)IMM;
			break;
		case BPF_LDX | BPF_MEM | BPF_H:
			DST = *(const u16 *)(uintptr_t)(SRC + insn->off);
			break;
		case BPF_STX | BPF_MEM | BPF_H:
			*(u16 *)(uintptr_t)(DST + insn->off) = (u16)SRC;
			break;
		case BPF_ST | BPF_MEM | BPF_H:
			*(u16 *)(uintptr_t)(DST + insn->off) = (u16)IMM;
			break;
		case BPF_LDX | BPF_MEM | BPF_W:
			DST = *(const u32 *)(uintptr_t)(SRC + insn->off);
			break;
		case BPF_STX | BPF_MEM | BPF_W:
			*(u32 *)(uintptr_t)(DST + insn->off) = (u32)SRC;
			break;
		case BPF_ST | BPF_MEM | BPF_W:
			*(u32 *)(uintptr_t)(DST + insn->off) = (u32)IMM;
			break;
		case BPF_LDX | BPF_MEM | BPF_DW:
			DST = *(const u64 *)(uintptr_t)(SRC + insn->off);
			break;
		case BPF_STX | BPF_MEM | BPF_DW:
			*(u64 *)(uintptr_t)(DST + insn->off) = (u64)SRC;
			break;
		case BPF_ST | BPF_MEM | BPF_DW:
			*(u64 *)(uintptr_t)(DST + insn->off) = (u64)IMM;
			break;
		case BPF_LD | BPF_IMM | BPF_DW:
			if (pc >= insn_cnt)
				return -EINVAL;
			DST = (u32)insn->imm | ((u64)(u32)insns[pc].imm << 32);
			pc++;
			break;
		case BPF_JMP | BPF_JA:
			pc += insn->off;
			break;
		case BPF_JMP | BPF_CALL:
			if (insn->src_reg == BPF_PSEUDO_CALL) {
				if (depth == KBPF_MAX_CALL_FRAMES - 1)
					return -EOVERFLOW;
				frame = &frames[depth++];
				memcpy(frame->callee_saved, &regs[BPF_REG_6],
				       sizeof(frame->callee_saved));
				frame->frame_pointer = regs[BPF_REG_10];
				frame->return_pc = pc;
				regs[BPF_REG_10] = stack_top -
					depth * KBPF_FRAME_STACK_SIZE;
				pc += insn->imm;
				break;
			}
			if (insn->src_reg != 0 || !env->call_helper)
				return -EINVAL;
			regs[BPF_REG_0] = env->call_helper(env->priv, insn->imm,
							   &regs[BPF_REG_1]);
			break;
		case BPF_JMP | BPF_EXIT:
			if (!depth) {
				*r0 = regs[BPF_REG_0];
				return 0;
			}
			frame = &frames[--depth];
			memcpy(&regs[BPF_REG_6], frame->callee_saved,
			       sizeof(frame->callee_saved));
			regs[BPF_REG_10] = frame->frame_pointer;
			pc = frame->return_pc;
			break;
		default:
			return -EINVAL;
		}
		continue;
branch:
		if (taken)
			pc += insn->off;
	}
}
