/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kind of instruction an instruction is, and where control goes after
 * it: the questions the structure pass, liveness, the path search and the
 * JIT's preparation all ask, answered once. Every caller but the structure
 * pass works on a program the structure pass has accepted: its jumps land
 * inside the program, and an LD_IMM64 has its second half.
 */
#ifndef KBPF_INSN_H
#define KBPF_INSN_H

#include "kbpf_platform.h"

static inline bool kbpf_insn_is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* A call of a function of the same program (imm: its offset). */
static inline bool kbpf_insn_is_pseudo_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) &&
	       insn->src_reg == BPF_PSEUDO_CALL;
}

/* Any jump with an @off target, JA included; calls and exit are not. */
static inline bool kbpf_insn_is_jump(const struct bpf_insn *insn)
{
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL &&
	       op != BPF_EXIT;
}

static inline bool kbpf_insn_is_ja(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_JA);
}

/* A jump that may also fall through. */
static inline bool kbpf_insn_is_cond_jump(const struct bpf_insn *insn)
{
	return kbpf_insn_is_jump(insn) && BPF_OP(insn->code) != BPF_JA;
}

static inline bool kbpf_insn_is_exit(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_EXIT);
}

/* The instruction after @insns[@i]: an LD_IMM64 takes two slots. */
static inline u32 kbpf_insn_next(const struct bpf_insn *insns, u32 i)
{
	return i + (kbpf_insn_is_ld_imm64(&insns[i]) ? 2 : 1);
}

/*
 * Where control may go after @insns[@i], into @succ, and how many places
 * (at most two): none after an exit, the target of a JA, and otherwise the
 * next instruction and a conditional jump's target. A call returns to the
 * next instruction, and the last instruction's fall-through is its own
 * function's end: callers that walk one function drop what lies outside it.
 */
static inline u32 kbpf_insn_successors(const struct bpf_insn *insns, u32 i,
				       u32 succ[2])
{
	const struct bpf_insn *insn = &insns[i];
	u32 n = 0;

	if (kbpf_insn_is_exit(insn))
		return 0;
	if (kbpf_insn_is_ja(insn)) {
		succ[n++] = i + 1 + insn->off;
		return n;
	}
	succ[n++] = kbpf_insn_next(insns, i);
	if (kbpf_insn_is_cond_jump(insn))
		succ[n++] = i + 1 + insn->off;
	return n;
}

/*
 * Whether an ALU instruction reads its source register. Not BPF_END, whose
 * source bit is the byte order (BPF_TO_BE), nor BPF_NEG, which has none.
 */
static inline bool kbpf_alu_reads_src_reg(const struct bpf_insn *insn)
{
	u8 op = BPF_OP(insn->code);

	return BPF_SRC(insn->code) == BPF_X && op != BPF_END && op != BPF_NEG;
}

/* The bytes a load or store of @code accesses. */
static inline u32 kbpf_access_bytes(u8 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

#endif
