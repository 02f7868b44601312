/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helpers programs may call: Linux's numbers, and for each the kinds of
 * its arguments and result, which the verifier checks at every call.
 */
#ifndef KBPF_HELPERS_H
#define KBPF_HELPERS_H

#include "kbpf_platform.h"

enum kbpf_arg_kind {
	KBPF_ARG_UNUSED,
	KBPF_ARG_ANYTHING,	/* any initialised scalar (a flags word) */
	KBPF_ARG_RING,		/* a ring from LD_IMM64 */
	KBPF_ARG_MEM_READ,	/* initialised memory; the size is the next arg */
	KBPF_ARG_MEM_WRITE,	/* memory the helper fills; size is next */
	KBPF_ARG_MEM_READ_OR_NULL,	/* the same as MEM_READ, or NULL, size 0 */
	KBPF_ARG_SIZE,		/* bounded size of the previous argument */
	KBPF_ARG_SIZE_NONZERO,	/* the same, and never 0 */
	KBPF_ARG_ALLOC_SIZE,	/* constant size of a reservation */
	KBPF_ARG_RELEASE_RECORD,	/* a reserved record, released by the call */
	KBPF_ARG_MAP,		/* a map (not a ring) from LD_IMM64 */
	KBPF_ARG_MAP_KEY,	/* initialised memory of the map's key size */
	KBPF_ARG_MAP_VALUE,	/* initialised memory of the map's value size */
	KBPF_ARG_CTX,		/* the context pointer, unmoved */
	/*
	 * A tail call's key: any scalar, but with its exact bounds, for the
	 * constant-key tracking (precise, so pruning keeps paths apart).
	 */
	KBPF_ARG_TAIL_CALL_KEY,
	/*
	 * A trusted KBPF_PTR_BTF, unmoved, to struct sock_common or to a
	 * struct that starts with one (struct sock, tcp_sock...), as Linux's
	 * ARG_PTR_TO_BTF_ID_SOCK_COMMON.
	 */
	KBPF_ARG_BTF_SOCK_COMMON,
};

enum kbpf_ret_kind {
	KBPF_RET_SCALAR,
	KBPF_RET_VOID,		/* R0 is not initialised afterwards */
	KBPF_RET_RECORD_OR_NULL,
	KBPF_RET_MAP_VALUE_OR_NULL,	/* a value of the map argument */
	KBPF_RET_TASK_BTF,	/* the current task: a KBPF_PTR_BTF */
	/*
	 * A copy's result: the bytes copied (a string's with its NUL), at most
	 * the memory argument's size, or a negative errno.
	 */
	KBPF_RET_COPY_LEN,
};

/* The largest errno a helper returns (negated), Linux's MAX_ERRNO. */
#define KBPF_MAX_ERRNO 4095

/*
 * Reads kernel memory or gives kernel addresses: for programs that may leak
 * pointers (CAP_PERFMON), as Linux offers it to tracing programs, which need
 * CAP_PERFMON, only.
 */
#define KBPF_HELPER_PERFMON	(1U << 0)
/*
 * For programs with a BTF-typed context only (tp_btf, fentry, fexit: Linux's
 * BPF_PROG_TYPE_TRACING), as Linux offers it to those alone.
 */
#define KBPF_HELPER_TYPED_ONLY	(1U << 1)
/*
 * Reads the cookie of the link that runs the program: not for contexts
 * whose attach point has none (kbpf_attach_has_cookie()).
 */
#define KBPF_HELPER_ATTACH_COOKIE	(1U << 2)
/*
 * Reads the probed function's address: for the attach points that probe a
 * function (kbpf_attach_has_func_ip()).
 */
#define KBPF_HELPER_FUNC_IP	(1U << 3)

struct kbpf_helper_proto {
	s32 id;
	const char *name;
	u8 ret;
	u8 args[5];		/* R1..R5; KBPF_ARG_UNUSED after the last */
	u8 flags;		/* KBPF_HELPER_* */
};

/* NULL if @id is not a helper kring programs may call. */
const struct kbpf_helper_proto *kbpf_helper_proto(s32 id);

/*
 * The Linux map types programs may use besides rings: those whose helpers
 * (lookup, update, delete; current_task_under_cgroup for a CGROUP_ARRAY,
 * perf_event_output for a PERF_EVENT_ARRAY, get_stackid for a
 * STACK_TRACE) kring's verifier knows. The
 * module takes them by fd, the ELF loader declares them, kring-run
 * simulates them. Not BPF_MAP_TYPE_PROG_ARRAY, which kring programs may use
 * too (for tail calls) but which is kring's own: Linux's holds Linux
 * programs.
 */
bool kbpf_map_type_supported(u32 type);

/*
 * The one map type helper @id takes (tail_call a PROG_ARRAY,
 * current_task_under_cgroup a CGROUP_ARRAY, perf_event_output a
 * PERF_EVENT_ARRAY, get_stackid a STACK_TRACE), or BPF_MAP_TYPE_UNSPEC for a helper that takes the
 * general maps.
 */
u32 kbpf_helper_map_type(s32 id);

/* Whether maps of @type go only to their own helper (the four above). */
bool kbpf_map_type_has_own_helper(u32 type);

/* Linux 6.1's name of helper @id ("bpf_get_current_task"), or NULL. */
const char *kbpf_linux_helper_name(s32 id);

/* Whether the verifier needs the exact bounds of an argument of this kind. */
static inline bool kbpf_arg_needs_bounds(u8 kind)
{
	return kind != KBPF_ARG_ANYTHING && kind != KBPF_ARG_UNUSED;
}

#endif /* KBPF_HELPERS_H */
