/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The concrete semantics of BPF's ALU and conditional-jump instructions, as
 * Linux defines them. The interpreter executes these, and the abstract
 * domains are tested against these, so what is proven is what runs.
 *
 * Division by zero does not trap: x / 0 == 0, and x % 0 == x (for 32-bit
 * operations, the low 32 bits of x, zero-extended). Shift amounts are masked
 * to the operand width, so no shift is undefined behaviour in C.
 */
#ifndef KBPF_ALU_H
#define KBPF_ALU_H

#include "kbpf_platform.h"

/* Result of BPF_ALU64 | @op; false for an opcode that is not an ALU op. */
static inline bool kbpf_alu64(u8 op, u64 dst, u64 src, u64 *out)
{
	switch (op) {
	case BPF_ADD:
		*out = dst + src;
		return true;
	case BPF_SUB:
		*out = dst - src;
		return true;
	case BPF_MUL:
		*out = dst * src;
		return true;
	case BPF_DIV:
		*out = src ? dst / src : 0;
		return true;
	case BPF_MOD:
		*out = src ? dst % src : dst;
		return true;
	case BPF_OR:
		*out = dst | src;
		return true;
	case BPF_AND:
		*out = dst & src;
		return true;
	case BPF_XOR:
		*out = dst ^ src;
		return true;
	case BPF_LSH:
		*out = dst << (src & 63);
		return true;
	case BPF_RSH:
		*out = dst >> (src & 63);
		return true;
	case BPF_ARSH:
		*out = (u64)((s64)dst >> (src & 63));
		return true;
	case BPF_NEG:
		*out = 0 - dst;
		return true;
	case BPF_MOV:
		*out = src;
		return true;
	default:
		return false;
	}
}

/* Result of BPF_ALU | @op: computed on the low 32 bits, zero-extended. */
static inline bool kbpf_alu32(u8 op, u64 dst64, u64 src64, u64 *out)
{
	u32 dst = (u32)dst64, src = (u32)src64, res;

	switch (op) {
	case BPF_ADD:
		res = dst + src;
		break;
	case BPF_SUB:
		res = dst - src;
		break;
	case BPF_MUL:
		res = dst * src;
		break;
	case BPF_DIV:
		res = src ? dst / src : 0;
		break;
	case BPF_MOD:
		res = src ? dst % src : dst;
		break;
	case BPF_OR:
		res = dst | src;
		break;
	case BPF_AND:
		res = dst & src;
		break;
	case BPF_XOR:
		res = dst ^ src;
		break;
	case BPF_LSH:
		res = dst << (src & 31);
		break;
	case BPF_RSH:
		res = dst >> (src & 31);
		break;
	case BPF_ARSH:
		res = (u32)((s32)dst >> (src & 31));
		break;
	case BPF_NEG:
		res = 0 - dst;
		break;
	case BPF_MOV:
		res = src;
		break;
	default:
		return false;
	}
	*out = res;
	return true;
}

static inline u64 kbpf_swab(u64 x, unsigned int bits)
{
	u64 res = 0;
	unsigned int i;

	for (i = 0; i < bits; i += 8)
		res |= ((x >> i) & 0xff) << (bits - 8 - i);
	return res;
}

/*
 * BPF_ALU | BPF_END: @to_be selects BPF_TO_BE, else BPF_TO_LE; @bits is 16,
 * 32 or 64. On a little-endian host TO_LE only truncates and TO_BE swaps.
 */
static inline bool kbpf_endian(bool to_be, unsigned int bits, u64 dst, u64 *out)
{
	u64 width;

	if (bits != 16 && bits != 32 && bits != 64)
		return false;
	width = bits == 64 ? U64_MAX : (1ULL << bits) - 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	to_be = !to_be;
#endif
	*out = to_be ? kbpf_swab(dst & width, bits) : dst & width;
	return true;
}

/*
 * Whether BPF_JMP (or BPF_JMP32 when @is_jmp32) with condition @op is taken;
 * false in *@taken and a false return for an opcode that is not a condition.
 */
static inline bool kbpf_jmp_cond(u8 op, u64 dst, u64 src, bool is_jmp32,
				 bool *taken)
{
	s64 sdst = (s64)dst, ssrc = (s64)src;

	if (is_jmp32) {
		dst = (u32)dst;
		src = (u32)src;
		sdst = (s32)dst;
		ssrc = (s32)src;
	}
	switch (op) {
	case BPF_JEQ:
		*taken = dst == src;
		return true;
	case BPF_JNE:
		*taken = dst != src;
		return true;
	case BPF_JGT:
		*taken = dst > src;
		return true;
	case BPF_JGE:
		*taken = dst >= src;
		return true;
	case BPF_JLT:
		*taken = dst < src;
		return true;
	case BPF_JLE:
		*taken = dst <= src;
		return true;
	case BPF_JSGT:
		*taken = sdst > ssrc;
		return true;
	case BPF_JSGE:
		*taken = sdst >= ssrc;
		return true;
	case BPF_JSLT:
		*taken = sdst < ssrc;
		return true;
	case BPF_JSLE:
		*taken = sdst <= ssrc;
		return true;
	case BPF_JSET:
		*taken = (dst & src) != 0;
		return true;
	default:
		*taken = false;
		return false;
	}
}

#endif /* KBPF_ALU_H */
