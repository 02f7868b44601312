/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The instruction rules, as the engine (engine.c) sees them and as they see
 * each other: the checks (checks.c) say whether an instruction is safe in a
 * state, the transformer (transfer.c) says what state it leaves. Both take
 * the state they work on as an argument; neither knows about paths,
 * checkpoints or pruning, which are the engine's alone.
 */
#ifndef KBPF_RULES_H
#define KBPF_RULES_H

#include "verifier.h"
#include "log.h"
#include "structure.h"
#include "vstate.h"

/*
 * What the rules know besides the state: the program, its structure, the
 * privileges it is verified with, and where messages go. One per
 * verification.
 */
struct kbpf_env {
	const struct kbpf_verify_attr *attr;
	const struct bpf_insn *insns;
	struct kbpf_structure structure;
	struct kbpf_log log;
	u32 *func_depth;	/* deepest stack access per function */
	/*
	 * Per instruction, for tail calls (NULL until the first): the key
	 * plus 1 when every path so far passed the same constant below the
	 * prog array's max_entries, KBPF_TAIL_KEY_VARIABLE when one did not.
	 */
	u32 *tail_keys;
	/*
	 * Per instruction (NULL until the first load): what its loads read
	 * through so far, KBPF_LOAD_* (a load is faulting-safe on every path
	 * or on none).
	 */
	u8 *load_kinds;
	u32 task_btf_id;	/* struct task_struct's, once looked up */
	u32 sock_common_btf_id;	/* struct sock_common's, likewise */
	u32 next_id;
	u32 insn;		/* the instruction being checked, for messages */
	bool allow_ptr_leaks, bypass_spec_v1, bypass_spec_v4;
	char buf[512];		/* formatting space for the log */
};

#define KBPF_TAIL_KEY_VARIABLE 0xffffffffU

enum kbpf_load_kind {
	KBPF_LOAD_UNSEEN,
	KBPF_LOAD_PLAIN,	/* the stack, a record, a map value, the context */
	KBPF_LOAD_BTF,		/* a kernel struct, through KBPF_PTR_BTF */
};

/* Logs "insn N: <message>" at the errors level and returns @err. */
__printf(3, 4) int kbpf_reject(struct kbpf_env *env, int err,
			       const char *fmt, ...);

static inline struct kbpf_frame *kbpf_cur_frame(const struct kbpf_state *st)
{
	return st->frames[st->curframe];
}

static inline struct kbpf_reg *kbpf_cur_regs(const struct kbpf_state *st)
{
	return kbpf_cur_frame(st)->regs;
}

/*
 * ---- checks.c: whether an instruction is safe in a state ----
 *
 * One check per kind of instruction, called by its transformer before it
 * changes anything. A check reads the state and never changes it; it
 * returns 0 or the error that rejects the program, with the message logged.
 * What a check learns on the way that the transformer needs is in its out
 * arguments.
 */

/* ALU and ALU64, pointer arithmetic included. */
int kbpf_check_alu(struct kbpf_env *env, const struct kbpf_state *st,
		   const struct bpf_insn *insn);
/* A pointer's offset after arithmetic, within +-KBPF_MAX_VAR_OFF. */
int kbpf_check_ptr_offset(struct kbpf_env *env, s64 off);
/* What a memory access's checks found, for its transformer. */
struct kbpf_mem_facts {
	/* The frame offset of a stack access (in the base register's frame). */
	s32 stack_off;
	/*
	 * A load that gives a pointer: a kernel struct's BTF id (from a
	 * tp_btf context or a kernel struct); 0: the load gives a number.
	 */
	u32 btf_id;
};

/* LDX, STX, ST. */
int kbpf_check_mem(struct kbpf_env *env, const struct kbpf_state *st,
		   const struct bpf_insn *insn, struct kbpf_mem_facts *facts);
/*
 * BPF_STX | BPF_ATOMIC. *@stack_off: the frame offset of an operation on
 * the stack, anything otherwise.
 */
int kbpf_check_atomic(struct kbpf_env *env, const struct kbpf_state *st,
		      const struct bpf_insn *insn, s32 *stack_off);
int kbpf_check_ld_imm64(struct kbpf_env *env, const struct bpf_insn *insn);

/* What a helper call's checks found, for its transformer. */
struct kbpf_call_facts {
	const struct kbpf_helper_proto *proto;
	u64 alloc_size;		/* of a reservation */
	u64 mem_size_max;	/* the largest size of a memory argument */
	u32 release_id;		/* the reservation the call releases, or 0 */
	s32 map;		/* the map argument's used map */
	u8 stack_writes;	/* bit r: Rr is stack the helper writes */
	s32 stack_off[6];	/* for those: the frame offset */
};

int kbpf_check_helper_call(struct kbpf_env *env, const struct kbpf_state *st,
			   const struct bpf_insn *insn,
			   struct kbpf_call_facts *facts);
/*
 * A bpf-to-bpf call of function @func; for a global function's memory
 * arguments, @facts gets the stack the callee may write (its stack_writes
 * and stack_off; the sizes are the function's).
 */
int kbpf_check_pseudo_call(struct kbpf_env *env, const struct kbpf_state *st,
			   u32 func, struct kbpf_call_facts *facts);
int kbpf_check_exit(struct kbpf_env *env, const struct kbpf_state *st);
/*
 * A conditional jump's operands. When a pointer is compared: *@taken is 1
 * or 0 when the outcome is known, -1 otherwise, and *@null_id names the
 * pointer (a reservation or a lookup's result) a NULL check decides (0:
 * none).
 */
int kbpf_check_cond_jmp(struct kbpf_env *env, const struct kbpf_state *st,
			const struct bpf_insn *insn, int *taken, u32 *null_id);

/* ---- transfer.c: the state an instruction leaves ---- */

/*
 * Where a path goes after one instruction. @live: @st goes on at @next.
 * @branch: the other side of a jump the bounds do not decide, a state of
 * its own at @branch->insn, which the engine explores later (or at once
 * when @st does not go on). Neither: the path ends.
 */
struct kbpf_step {
	bool live;
	u32 next;
	struct kbpf_state *branch;
};

/*
 * Applies instruction @env->insn to @st after checking it. Returns 0 or the
 * error that rejects the program (the log says why); on an error @step
 * holds no state.
 */
int kbpf_transfer(struct kbpf_env *env, struct kbpf_state *st,
		  struct kbpf_step *step);

/* The state at the entry of function @func, verified as a root. */
struct kbpf_state *kbpf_initial_state(struct kbpf_env *env, u32 func);

#endif /* KBPF_RULES_H */
