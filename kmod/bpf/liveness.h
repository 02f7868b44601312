/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pruning may ignore: a static, per-instruction summary of which
 * registers and stack slots the rest of a function may read (live), and
 * which of them may need their exact bounds (precise).
 *
 * The verifier stops exploring a path when an explored state at the same
 * instruction contains it. A dead register cannot influence the rest of the
 * path at all, and a live scalar that is not precise can influence only
 * other imprecise values (a sum written into a record, say), never a safety
 * check; so both are left out of the comparison. Without this, every
 * timestamp or counter a program carries would make each path's states
 * different and defeat pruning. (Linux gets the same effect from liveness
 * marks and precision backtracking; kring computes a conservative static
 * approximation once, before exploring, which is simpler to trust.)
 *
 * A value is precise when it reaches, through moves, arithmetic, spills and
 * fills, one of: a pointer it is added to, a memory access base, a
 * conditional jump, a helper size or record argument, a call argument or a
 * static function's return value. Whether a register may hold a pointer is
 * itself approximated by a forward pass, so that plain arithmetic on numbers
 * does not make its operands precise.
 *
 * Without bypass_spec_v4 a store also reads the slots it writes: whether one
 * holds a spilled pointer decides if the store is allowed. That status is a
 * set of its own (pointer-checked slots), because a full 8-byte store reads
 * nothing else of the slot: it is in the set before every store that may
 * write the slot, and containment requires a pointer spilled in such a slot
 * to be one in the stored state too, wherever the stored path's frame ended.
 *
 * Sets describe the state *before* the instruction. Stack slots are those of
 * the instruction's own frame; callers' frames are always compared whole.
 */
#ifndef KBPF_LIVENESS_H
#define KBPF_LIVENESS_H

#include "kbpf_platform.h"
#include "structure.h"

struct kbpf_liveness {
	u16 *live_regs;		/* bit r: r0..r9 */
	u16 *precise_regs;
	u64 *live_slots;	/* bit i: slot i, bytes [fp-8(i+1), fp-8i) */
	u64 *precise_slots;
	u64 *ptr_checked_slots;	/* a store checks for a spilled pointer */
};

/* @flags: the KBPF_F_* privileges, which decide what the checks read. */
int kbpf_liveness_compute(struct kbpf_liveness *lv,
			  const struct bpf_insn *insns, u32 insn_cnt,
			  const struct kbpf_structure *s, u32 flags);
void kbpf_liveness_free(struct kbpf_liveness *lv);

#endif /* KBPF_LIVENESS_H */
