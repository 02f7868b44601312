/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A BTF-typed raw tracepoint (tp_btf), or a kernel function's entry or
 * return (fentry, fexit): its arguments, as the kernel's BTF describes
 * them. The module reads them at load, for the verifier's context and for
 * the attach; the userspace tools read them the same way to verify the
 * same program.
 */
#ifndef KBPF_TP_BTF_H
#define KBPF_TP_BTF_H

#include "kbpf_platform.h"
#include "kbpf_btf.h"
#include "verifier.h"
#include <linux/kring.h>

struct kbpf_tp_btf {
	u32 nr_args;
	u32 args[KRING_RAW_TP_MAX_ARGS];	/* each one's BTF type id */
	/* Their count and sizes, as struct kring_prog_attach's raw_args. */
	u32 raw_args;
	/* At a function's exit: the last of them is its result. */
	bool has_result;
};

/*
 * Tracepoint @name's arguments, from the prototype of the typedef
 * btf_trace_@name (its first parameter, void *__data, is the probe's own and
 * not an argument). Returns 0, or -ENOENT (no such tracepoint), -E2BIG
 * (more than KRING_RAW_TP_MAX_ARGS), -EINVAL (not a tracepoint's prototype,
 * or an argument neither a number nor a pointer), with @msg saying which.
 */
int kbpf_tp_btf_args(const struct kbpf_btf *btf, const char *name,
		     struct kbpf_tp_btf *tp, char *msg, size_t msg_size);

/* x86-64's integer argument registers: rdi, rsi, rdx, rcx, r8, r9. */
#define KBPF_FUNC_MAX_REG_ARGS 6

/*
 * Kernel function @name's arguments, for a program at its entry (fentry),
 * or at its return (fexit, @at_exit), where the return value follows them
 * (not for a void function: there is none). From the prototype of the BTF
 * FUNC @name. Returns 0, or -ENOENT (no such function), -E2BIG (more
 * arguments than x86-64 passes in registers), -EINVAL (variable arguments,
 * or an argument or return value neither a number nor a pointer), with
 * @msg saying which.
 */
int kbpf_func_btf_args(const struct kbpf_btf *btf, const char *name,
		       bool at_exit, struct kbpf_tp_btf *tp, char *msg,
		       size_t msg_size);

/*
 * A tp_btf, fentry or fexit program (KRING_ATTACH_*): its context typed by
 * the kernel's BTF, its tracepoint or function named at load.
 */
bool kbpf_attach_typed(u32 attach_type);

/*
 * The arguments of such a program's tracepoint or function @name:
 * kbpf_tp_btf_args() or kbpf_func_btf_args(), as @attach_type says.
 */
int kbpf_typed_args(const struct kbpf_btf *btf, u32 attach_type,
		    const char *name, struct kbpf_tp_btf *tp, char *msg,
		    size_t msg_size);

/*
 * The verifier's context of such a program: @tp's arguments (@tp and @name
 * must outlive @ctx); an fentry or fexit program returns 0, as in Linux.
 * The context's size and writability are left as they are.
 */
void kbpf_typed_ctx(const struct kbpf_tp_btf *tp, u32 attach_type,
		    const char *name, struct kbpf_ctx_desc *ctx);

/*
 * Whether verifying @insns needs the kernel's BTF: a program with a typed
 * context (@typed: tp_btf, fentry, fexit), or one that calls
 * get_current_task_btf. Loaders read the BTF only then.
 */
bool kbpf_needs_btf(const struct bpf_insn *insns, u32 insn_cnt, bool typed);

#endif /* KBPF_TP_BTF_H */
