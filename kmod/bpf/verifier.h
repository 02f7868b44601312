/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verifier: proves a program safe to run in the kernel, or explains in
 * its log why it cannot. docs/verifier.md describes the rules.
 *
 * It is portable C: the module calls it on every program load, the
 * userspace library (kring-verify, the tests) calls the same code.
 */
#ifndef KBPF_VERIFIER_H
#define KBPF_VERIFIER_H

#include "kbpf_platform.h"
#include <linux/kring.h>

/* Privileges, after the seed's CAP_BPF commit. */
#define KBPF_F_BPF_CAPABLE	(1U << 0) /* loops, calls, > 4096 insns */
#define KBPF_F_ALLOW_PTR_LEAKS	(1U << 1) /* pointers may reach records, R0 */
#define KBPF_F_BYPASS_SPEC_V1	(1U << 2) /* variable pointer offsets */
#define KBPF_F_BYPASS_SPEC_V4	(1U << 3) /* overwriting spilled pointers */
/* Checkpoint the state at every instruction (BPF_F_TEST_STATE_FREQ). */
#define KBPF_F_TEST_STATE_FREQ	(1U << 4)
#define KBPF_F_ALL		((1U << 5) - 1)

#define KBPF_MAX_INSNS		1000000U	/* with KBPF_F_BPF_CAPABLE */
#define KBPF_MAX_INSNS_UNPRIV	4096U
#define KBPF_MAX_PROCESSED	1000000U	/* processed-instruction limit */
#define KBPF_MAX_FUNCS		256U

struct kbpf_btf;

/* A tracing context's arguments, at most (Linux's MAX_BPF_FUNC_ARGS). */
#define KBPF_MAX_BTF_ARGS 12

/* What the attach point's context pointer (R1 at entry) may access. */
struct kbpf_ctx_desc {
	u32 size;		/* bytes readable from offset 0 */
	bool writable;		/* stores allowed too */
	/*
	 * A tp_btf program's context: the tracepoint's @nr_btf_args
	 * arguments, 8 bytes each, of the BTF types @btf_args[i] (ids in
	 * kbpf_verify_attr's btf, as the tracepoint's btf_trace_@btf_func
	 * prototype names them, after its first, void *__data); an fentry or
	 * fexit program's: the function @btf_func's, and at fexit its result
	 * (kbpf_func_btf_args). Reads follow
	 * Linux's btf_ctx_access(): a pointer to a struct reads as a
	 * KBPF_PTR_BTF, numbers and other pointers as numbers. NULL for the
	 * other contexts.
	 */
	const u32 *btf_args;
	u32 nr_btf_args;
	const char *btf_func;
	/*
	 * The program must return 0 (fentry and fexit: Linux's
	 * check_return_code() gives them the range [0, 0]).
	 */
	bool returns_zero;
	/*
	 * The struct pointers among the arguments stay valid for the whole
	 * run (tp_btf, fentry: the caller holds them), so helpers that write
	 * through a pointer (get_socket_cookie) may take them. Not at fexit,
	 * whose function may have freed what its arguments point to.
	 */
	bool args_trusted;
	/*
	 * The attach point (KRING_ATTACH_*), which decides the helpers that
	 * read what a link gives its runs (kbpf_attach_has_cookie(),
	 * kbpf_attach_has_func_ip()); 0 for a context no attach point
	 * describes, which they all take.
	 */
	u32 attach_type;
};

/*
 * Whether links of @attach_type carry a cookie for bpf_get_attach_cookie:
 * all but raw tracepoints and tp_btf, as Linux 6.1 offers the helper to
 * kprobe, uprobe, tracepoint, perf event, fentry and fexit programs.
 */
static inline bool kbpf_attach_has_cookie(u32 attach_type)
{
	return attach_type != KRING_ATTACH_RAW_TRACEPOINT &&
	       attach_type != KRING_ATTACH_TP_BTF;
}

/*
 * Whether programs of @attach_type may call bpf_get_func_ip: as Linux 6.1
 * offers it to kprobe (and uprobe) programs and trampoline ones, kprobes,
 * kretprobes, uprobes, uretprobes, fentry and fexit (0: no attach type).
 */
static inline bool kbpf_attach_has_func_ip(u32 attach_type)
{
	switch (attach_type) {
	case 0:
	case KRING_ATTACH_KPROBE:
	case KRING_ATTACH_KRETPROBE:
	case KRING_ATTACH_UPROBE:
	case KRING_ATTACH_URETPROBE:
	case KRING_ATTACH_FENTRY:
	case KRING_ATTACH_FEXIT:
		return true;
	default:
		return false;
	}
}

/*
 * A map a program loads with BPF_PSEUDO_MAP_FD (or whose value it loads with
 * BPF_PSEUDO_MAP_VALUE), as its runtime has it.
 */
struct kbpf_map_desc {
	u32 type;		/* BPF_MAP_TYPE_*: RINGBUF for a ring */
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 flags;		/* BPF_F_RDONLY_PROG: programs only read it */
	/*
	 * The value of a single-entry ARRAY that no one can change any more
	 * (read-only to programs, and frozen to userspace): loads from it at
	 * constant offsets are known numbers, as Linux reads a libbpf
	 * .rodata. NULL otherwise. Read during kbpf_verify() only.
	 */
	const void *frozen_value;
};

struct kbpf_verify_attr {
	const struct bpf_insn *insns;
	u32 insn_cnt;
	const struct kring_func_info *func_info;	/* may be NULL */
	u32 func_info_cnt;
	struct kbpf_ctx_desc ctx;
	/*
	 * The kernel's types (btf.h), for a tp_btf context and
	 * get_current_task_btf; NULL when there are none: then programs that
	 * need them are refused.
	 */
	const struct kbpf_btf *btf;
	/*
	 * Resolves the fd of a BPF_PSEUDO_MAP_FD or _VALUE load: a ring, or a map.
	 * Returns >= 0 (the same number for the same map) and fills *@desc
	 * if @fd names one, else a negative errno that fails the load.
	 */
	int (*map_lookup)(void *priv, s32 fd, struct kbpf_map_desc *desc);
	void *map_priv;
	u32 flags;		/* KBPF_F_* */
	u32 log_level;		/* 0, KBPF_LOG_LEVEL_ERRORS or _INSNS */
	char *log_buf;		/* may be NULL */
	u32 log_size;
	/*
	 * Out, may be NULL: KBPF_MAX_FUNCS entries that get each function's
	 * verified stack depth in bytes (unrounded), functions in order of
	 * their first instruction. Filled when the program is accepted.
	 */
	u32 *func_stack_depth;
	/*
	 * Out, may be NULL: insn_cnt flags, each set when a path reaches that
	 * instruction (both halves of a BPF_LD_IMM64). The others are dead
	 * code, which a loader replaces, as Linux's verifier does, so that no
	 * runtime ever sees it: it may call a helper that does not exist (a
	 * CO-RE relocation the loader could not resolve).
	 */
	bool *insn_reached;
	/*
	 * Out, may be NULL: insn_cnt flags, each set for a load through a
	 * kernel struct pointer (KBPF_PTR_BTF). The verifier checked what it
	 * reads, not that the memory is there: the pointer may be NULL or
	 * stale, so a loader turns each into a faulting-safe load
	 * (BPF_PROBE_MEM, interp.h), as Linux's verifier does. A load is one
	 * or the other on every path.
	 */
	bool *insn_btf_load;
};

struct kbpf_verify_stats {
	u64 insns_processed;
	u32 states_total;	/* checkpoints stored */
	u32 states_peak;	/* most stored at once */
	/* Ancestors the loop check compared in full (past the fingerprint). */
	u64 ancestors_compared;
	u64 time_ns;
	u32 stack_depth;	/* deepest stack use across a call chain */
	/*
	 * A function other than the program's main one has a tail call:
	 * only the JIT runs that (Linux's interpreter, and kring's, take tail
	 * calls from the main function only).
	 */
	bool tail_calls_in_callees;
	bool log_truncated;
};

/*
 * Returns 0 if the program is safe, -EACCES if it is not (the log says why),
 * -EINVAL if it is malformed (bad opcode, reserved field, bad jump, bad
 * func-info, flags), -E2BIG if it is too large or too complex to verify,
 * -EAGAIN if a signal interrupted it (kbpf_signal_pending()), -ENOMEM, or
 * the error of @map_lookup. The log ends with one statistics
 * line in every case; @stats may be NULL.
 */
int kbpf_verify(const struct kbpf_verify_attr *attr,
		struct kbpf_verify_stats *stats);

#endif /* KBPF_VERIFIER_H */
