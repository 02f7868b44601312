/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The structure pass: everything about a program that can be checked
 * without abstract interpretation, done once before it. Opcodes and
 * reserved fields, LD_IMM64 pairs and their rings, jumps and calls in range,
 * functions (from calls and func-info), reachability, back-edges (loops)
 * and recursion. It also marks the prune points the verifier checkpoints at.
 */
#ifndef KBPF_STRUCTURE_H
#define KBPF_STRUCTURE_H

#include "verifier.h"
#include "log.h"
#include "insn.h"

/*
 * Pointer offsets stay far from overflow, as in Linux (BPF_MAX_VAR_OFF):
 * the transformer keeps a pointer's fixed offset and the bounds of its
 * variable one within +-KBPF_MAX_VAR_OFF, checking an operand before it adds
 * it, so the 64-bit sums of the access checks (those plus an instruction's
 * 16-bit offset and an access or helper size below KBPF_MAX_VAR_OFF) cannot
 * overflow. A BPF_PSEUDO_MAP_VALUE load's offset is below it too.
 */
#define KBPF_MAX_VAR_OFF (1 << 29)

#define KBPF_INSN_PRUNE_POINT	0x1	/* jump target, branch fall-through, after a call */
#define KBPF_INSN_LD_IMM64_HI	0x2	/* second half of an LD_IMM64 */
#define KBPF_INSN_LOOP_HEAD	0x4	/* target of a back-edge */

struct kbpf_func {
	u32 start, end;		/* instructions [start, end) */
	u8 linkage;		/* KRING_FUNC_STATIC or KRING_FUNC_GLOBAL */
	u8 nr_args;
	u8 arg_kinds[KRING_FUNC_MAX_ARGS];
	u32 arg_mem_size[KRING_FUNC_MAX_ARGS];	/* of KRING_ARG_MEM */
};

/* The distinct rings and maps a program may load, as Linux's MAX_USED_MAPS. */
#define KBPF_MAX_USED_MAPS 64

/* A ring or map the program loads: map_lookup's number and description. */
struct kbpf_used_map {
	s32 index;
	struct kbpf_map_desc desc;
};

struct kbpf_structure {
	u32 nr_funcs;
	struct kbpf_func *funcs;	/* funcs[0] is the program itself */
	u8 *insn_flags;			/* KBPF_INSN_* per instruction */
	u32 *insn_func;			/* the function of each instruction */
	s32 *map_slot;			/* per map load: its used map, else -1 */
	u32 nr_maps;
	struct kbpf_used_map maps[KBPF_MAX_USED_MAPS];
	bool has_loops;
};

/*
 * Checks @attr's program and fills @s. Returns 0 or the error the catalog
 * in docs/verifier.md gives; either way free @s with kbpf_structure_free().
 */
int kbpf_structure_check(struct kbpf_structure *s,
			 const struct kbpf_verify_attr *attr,
			 struct kbpf_log *log);
void kbpf_structure_free(struct kbpf_structure *s);

#endif /* KBPF_STRUCTURE_H */
