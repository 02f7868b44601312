/* SPDX-License-Identifier: GPL-2.0 */
/* One instruction as text, in the syntax of Linux's verifier log. */
#ifndef KBPF_DISASM_H
#define KBPF_DISASM_H

#include "kbpf_platform.h"

/*
 * E.g. "r1 = r2", "w1 += 5", "r1 = *(u32 *)(r2 +4)", "if r1 > 0x5 goto pc+3",
 * "call ringbuf_reserve#131", "r1 = ring fd 3 ll". For LD_IMM64 @insn must
 * be the first half (the second is read too). Returns snprintf()'s length.
 */
int kbpf_disasm(char *buf, size_t size, const struct bpf_insn *insn);

#endif /* KBPF_DISASM_H */
