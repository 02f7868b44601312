// SPDX-License-Identifier: GPL-2.0
#include "disasm.h"
#include "helpers.h"

static const char *const alu_ops[16] = {
	[BPF_ADD >> 4] = "+=", [BPF_SUB >> 4] = "-=", [BPF_MUL >> 4] = "*=",
	[BPF_DIV >> 4] = "/=", [BPF_OR >> 4] = "|=", [BPF_AND >> 4] = "&=",
	[BPF_LSH >> 4] = "<<=", [BPF_RSH >> 4] = ">>=", [BPF_MOD >> 4] = "%=",
	[BPF_XOR >> 4] = "^=", [BPF_MOV >> 4] = "=", [BPF_ARSH >> 4] = "s>>=",
};

static const char *const jmp_ops[16] = {
	[BPF_JEQ >> 4] = "==", [BPF_JGT >> 4] = ">", [BPF_JGE >> 4] = ">=",
	[BPF_JSET >> 4] = "&", [BPF_JNE >> 4] = "!=", [BPF_JSGT >> 4] = "s>",
	[BPF_JSGE >> 4] = "s>=", [BPF_JLT >> 4] = "<", [BPF_JLE >> 4] = "<=",
	[BPF_JSLT >> 4] = "s<", [BPF_JSLE >> 4] = "s<=",
};

static const char *const sizes[4] = {
	[BPF_W >> 3] = "u32", [BPF_H >> 3] = "u16", [BPF_B >> 3] = "u8",
	[BPF_DW >> 3] = "u64",
};

static int disasm_alu(char *buf, size_t size, const struct bpf_insn *insn)
{
	char r = BPF_CLASS(insn->code) == BPF_ALU64 ? 'r' : 'w';
	u8 op = BPF_OP(insn->code);

	if (op == BPF_END)
		return snprintf(buf, size, "r%u = %s%d r%u", insn->dst_reg,
				BPF_SRC(insn->code) == BPF_TO_BE ? "be" : "le",
				insn->imm, insn->dst_reg);
	if (op == BPF_NEG)
		return snprintf(buf, size, "%c%u = -%c%u", r, insn->dst_reg, r,
				insn->dst_reg);
	if (!alu_ops[op >> 4])
		return snprintf(buf, size, "(bad alu 0x%02x)", insn->code);
	if (BPF_SRC(insn->code) == BPF_X)
		return snprintf(buf, size, "%c%u %s %c%u", r, insn->dst_reg,
				alu_ops[op >> 4], r, insn->src_reg);
	return snprintf(buf, size, "%c%u %s %d", r, insn->dst_reg,
			alu_ops[op >> 4], insn->imm);
}

static int disasm_jmp(char *buf, size_t size, const struct bpf_insn *insn)
{
	char r = BPF_CLASS(insn->code) == BPF_JMP32 ? 'w' : 'r';
	u8 op = BPF_OP(insn->code);
	const struct kbpf_helper_proto *proto;

	if (op == BPF_EXIT)
		return snprintf(buf, size, "exit");
	if (op == BPF_JA)
		return snprintf(buf, size, "goto pc%+d", insn->off);
	if (op == BPF_CALL) {
		if (insn->src_reg == BPF_PSEUDO_CALL)
			return snprintf(buf, size, "call pc%+d", insn->imm);
		proto = kbpf_helper_proto(insn->imm);
		return snprintf(buf, size, "call %s#%d",
				proto ? proto->name : "unknown", insn->imm);
	}
	if (!jmp_ops[op >> 4])
		return snprintf(buf, size, "(bad jump 0x%02x)", insn->code);
	if (BPF_SRC(insn->code) == BPF_X)
		return snprintf(buf, size, "if %c%u %s %c%u goto pc%+d", r,
				insn->dst_reg, jmp_ops[op >> 4], r,
				insn->src_reg, insn->off);
	return snprintf(buf, size, "if %c%u %s %#x goto pc%+d", r,
			insn->dst_reg, jmp_ops[op >> 4], insn->imm, insn->off);
}

/* BPF_STX | BPF_ATOMIC, as Linux's log writes it. */
static int disasm_atomic(char *buf, size_t size, const struct bpf_insn *insn,
			 const char *sz)
{
	static const char *const ops[16] = {
		[BPF_ADD >> 4] = "+=", [BPF_AND >> 4] = "&=",
		[BPF_OR >> 4] = "|=", [BPF_XOR >> 4] = "^=",
	};
	const char *op = ops[(insn->imm >> 4) & 0xf];

	if (insn->imm == BPF_XCHG)
		return snprintf(buf, size, "r%u = atomic_xchg((%s *)(r%u %+d), r%u)",
				insn->src_reg, sz, insn->dst_reg, insn->off,
				insn->src_reg);
	if (insn->imm == BPF_CMPXCHG)
		return snprintf(buf, size,
				"r0 = atomic_cmpxchg((%s *)(r%u %+d), r0, r%u)",
				sz, insn->dst_reg, insn->off, insn->src_reg);
	if (!op)
		return snprintf(buf, size, "(bad atomic 0x%x)", (u32)insn->imm);
	if (insn->imm & BPF_FETCH)
		return snprintf(buf, size, "r%u = atomic_fetch(*(%s *)(r%u %+d) %s r%u)",
				insn->src_reg, sz, insn->dst_reg, insn->off, op,
				insn->src_reg);
	return snprintf(buf, size, "lock *(%s *)(r%u %+d) %s r%u", sz,
			insn->dst_reg, insn->off, op, insn->src_reg);
}

int kbpf_disasm(char *buf, size_t size, const struct bpf_insn *insn)
{
	const char *sz = sizes[BPF_SIZE(insn->code) >> 3];

	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return disasm_alu(buf, size, insn);
	case BPF_JMP:
	case BPF_JMP32:
		return disasm_jmp(buf, size, insn);
	case BPF_LDX:
		return snprintf(buf, size, "r%u = *(%s *)(r%u %+d)",
				insn->dst_reg, sz, insn->src_reg, insn->off);
	case BPF_STX:
		if (BPF_MODE(insn->code) == BPF_ATOMIC)
			return disasm_atomic(buf, size, insn, sz);
		return snprintf(buf, size, "*(%s *)(r%u %+d) = r%u", sz,
				insn->dst_reg, insn->off, insn->src_reg);
	case BPF_ST:
		return snprintf(buf, size, "*(%s *)(r%u %+d) = %d", sz,
				insn->dst_reg, insn->off, insn->imm);
	case BPF_LD:
		if (insn->code != (BPF_LD | BPF_IMM | BPF_DW))
			break;
		if (insn->src_reg == BPF_PSEUDO_MAP_FD)
			return snprintf(buf, size, "r%u = map fd %d ll",
					insn->dst_reg, insn->imm);
		if (insn->src_reg == BPF_PSEUDO_MAP_VALUE)
			return snprintf(buf, size,
					"r%u = map fd %d value %+d ll",
					insn->dst_reg, insn->imm, insn[1].imm);
		return snprintf(buf, size, "r%u = %#llx ll", insn->dst_reg,
				(unsigned long long)((u64)(u32)insn[0].imm |
						     (u64)(u32)insn[1].imm << 32));
	}
	return snprintf(buf, size, "(unsupported opcode 0x%02x)", insn->code);
}
