/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interpreter: runs a program the verifier accepted, with Linux's BPF
 * semantics (alu.h). By the time it runs, the loader has replaced each
 * BPF_PSEUDO_MAP_FD load with the ring's address (src_reg 0).
 *
 * Defence in depth, for the case the verifier is wrong: shift amounts are
 * masked, division by zero is defined, a jump or call outside the program, an
 * unknown opcode, a call deeper than KBPF_MAX_CALL_FRAMES or more than the
 * instruction budget stop the run with an error instead of misbehaving.
 * Memory accesses are not checked: proving them safe is the verifier's job.
 */
#ifndef KBPF_INTERP_H
#define KBPF_INTERP_H

#include "kbpf_platform.h"

#define KBPF_MAX_CALL_FRAMES 8
#define KBPF_FRAME_STACK_SIZE 512
/* The scratch stack a run needs: one 512-byte frame per call level. */
#define KBPF_INTERP_STACK_SIZE (KBPF_MAX_CALL_FRAMES * KBPF_FRAME_STACK_SIZE)
/* Instructions a run may execute when the caller sets no budget. */
#define KBPF_INTERP_DEFAULT_BUDGET 1000000ULL

/*
 * BPF_LDX | KBPF_PROBE_MEM | size: a load the verifier typed through a
 * kernel struct pointer (kbpf_verify_attr's insn_btf_load), which may be
 * NULL or stale: it reads as a BPF_MEM load does where the memory is there,
 * and gives 0 where it is not. Linux's verifier marks such loads the same
 * way (BPF_PROBE_MEM, the same mode bits, internal to the kernel). The
 * loader sets the mode after verification; programs may not use it.
 */
#define KBPF_PROBE_MEM 0x20

struct kbpf_interp_env {
	/*
	 * Helper calls: @args are R1-R5; the return value goes to R0.
	 * BPF_FUNC_tail_call returns 0 when the tail call is taken: the run
	 * then ends, and the caller runs the program it picked. So only the
	 * program's own frame may tail-call: its loaders refuse programs whose
	 * called functions do (kbpf_verify_stats' tail_calls_in_callees).
	 */
	u64 (*call_helper)(void *priv, s32 helper_id, const u64 args[5]);
	void *priv;
	/* KBPF_INTERP_STACK_SIZE bytes, 8-byte aligned: not on the kernel stack. */
	u8 *stack;
	u64 insn_budget;	/* 0: KBPF_INTERP_DEFAULT_BUDGET */
};

/*
 * Runs @insns with R1 = @ctx and stores R0 at exit in *@r0.
 * Returns 0, -EINVAL (bad opcode, jump or call target), -E2BIG (budget
 * exhausted) or -EOVERFLOW (calls nested deeper than KBPF_MAX_CALL_FRAMES).
 */
int kbpf_interp_run(const struct bpf_insn *insns, u32 insn_cnt, void *ctx,
		    const struct kbpf_interp_env *env, u64 *r0);

#endif /* KBPF_INTERP_H */
