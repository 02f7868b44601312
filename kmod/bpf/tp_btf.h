/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A BTF-typed raw tracepoint (tp_btf): its arguments, as the kernel's BTF
 * describes them. The module reads them at load, for the verifier's context
 * and for the attach; the userspace tools read them the same way to verify
 * the same program.
 */
#ifndef KBPF_TP_BTF_H
#define KBPF_TP_BTF_H

#include "kbpf_platform.h"
#include "kbpf_btf.h"
#include <linux/kring.h>

struct kbpf_tp_btf {
	u32 nr_args;
	u32 args[KRING_RAW_TP_MAX_ARGS];	/* each one's BTF type id */
	/* Their count and sizes, as struct kring_prog_attach's raw_args. */
	u32 raw_args;
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

/*
 * Whether verifying @insns needs the kernel's BTF: a tp_btf program (@tp_btf),
 * or one that calls get_current_task_btf. Loaders read the BTF only then.
 */
bool kbpf_needs_btf(const struct bpf_insn *insns, u32 insn_cnt, bool tp_btf);

#endif /* KBPF_TP_BTF_H */
