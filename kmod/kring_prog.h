/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verified programs: loading (KRING_IOC_PROG_LOAD), their fds, running them
 * (JIT'd, or in the interpreter), test runs and KRING_IOC_PROG_INFO.
 */
#ifndef KRING_PROG_H
#define KRING_PROG_H

#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/bpf.h>
#include <linux/kring.h>

#include "kring.h"

struct kring_ring;
struct kring_prog_info;
struct kring_jit;
struct kring_prog_array;

/* Per-CPU counters of a program's runs, summed when read. */
struct kring_prog_cpu_stats {
	u64 runs;
	u64 misses;		/* runs skipped: already running here */
};

struct kring_prog {
	refcount_t refs;
	u32 id;			/* kring_ids.c; 0 until the load succeeds */
	u32 attach_type;	/* enum kring_attach_type */
	u32 ctx_size;
	u32 insn_cnt;
	u32 nr_rings;
	struct kring_ring **rings;	/* references the program holds */
	u32 nr_maps;
	struct bpf_map **maps;		/* Linux's maps: references held too */
	/*
	 * Per map: for a STACK_TRACE map, the Linux program bpf_get_stackid
	 * runs (kring_stackid.c), which the map's loads become; else NULL.
	 */
	struct bpf_prog **stackid_progs;
	u32 nr_arrays;
	struct kring_prog_array **arrays;	/* prog arrays: references */
	struct bpf_insn *insns;		/* ring and map loads made addresses */
	struct kring_jit *jit;		/* machine code; NULL: interpreted */
	struct kring_prog_cpu_stats __percpu *stats;
	u32 stack_depth;		/* the verifier's deepest call chain */
	/*
	 * KRING_ATTACH_TP_BTF, _FENTRY, _FEXIT: the tracepoint or function
	 * named at load, and its arguments (at fexit, and the result) as
	 * struct kring_prog_attach's raw_args describes them, from the
	 * kernel's BTF; a function's parameter count.
	 */
	char target[KRING_SYMBOL_MAX];
	u32 raw_args;
	u32 nr_func_params;
	char name[KRING_PROG_NAME_LEN];
	/*
	 * Set once it is put in a prog array: a tail call may then be running
	 * it on another CPU after its last reference goes, so it is freed a
	 * grace period later (free_work), not at once.
	 */
	bool tail_callable;
	struct rcu_work free_work;
};

/*
 * Programs that may tail-call each other share a context layout: the
 * attach type, kprobes, kretprobes, uprobes and uretprobes being one (all
 * get struct pt_regs).
 */
static inline int kring_attach_class(u32 attach_type)
{
	switch (attach_type) {
	case KRING_ATTACH_KRETPROBE:
	case KRING_ATTACH_UPROBE:
	case KRING_ATTACH_URETPROBE:
		return KRING_ATTACH_KPROBE;
	default:
		return attach_type;
	}
}

/* The context size of an attach type; 0 for an unknown type. */
u32 kring_ctx_size(u32 attach_type);

/*
 * KRING_IOC_PROG_LOAD (or _V1: @size is the struct's size the loader knows):
 * returns a new program fd or an error.
 */
long kring_prog_load(const void __user *uarg, u32 size);

void kring_prog_get(struct kring_prog *prog);
/* Process context only: the last reference drops the program's rings. */
void kring_prog_put(struct kring_prog *prog);
/*
 * The program of fd @fd, with a reference: ERR_PTR(-EINVAL) if @fd is
 * another kind of file, -EBADF if none.
 */
struct kring_prog *kring_prog_get_fd(int fd);

/* KRING_IOC_PROG_LIST: all but the pinned names (kring_ids.c adds them). */
void kring_prog_fill_info(struct kring_prog *prog,
			  struct kring_prog_info *info);

/*
 * What a link gives the helpers of its runs: bpf_get_attach_cookie's
 * cookie, and bpf_get_func_ip's address (the probed function's entry for
 * kprobes, kretprobes, fentry and fexit, the probed user address for
 * uprobes; else 0).
 */
struct kring_run_link {
	u64 cookie;
	u64 func_ip;
};

/*
 * Runs @prog on @ctx on this CPU; the caller has preemption disabled.
 * @regs are the registers of the probe that fired (a kprobe's, or those
 * the perf core gave a trace event), where bpf_get_stack's walks start;
 * NULL for a run that has none; @link, what the link gives the run.
 * Skipped (counted as a miss) if a program is already running on this CPU:
 * a probe hit from inside one.
 */
void kring_prog_run(struct kring_prog *prog, void *ctx, struct pt_regs *regs,
		    const struct kring_run_link *link);
/*
 * The batch (kring.h) of the run under way on this CPU: the ring helpers
 * reserve and commit in it, and the run ends it. Only helpers use it, so
 * only inside a run, and runs do not nest on a CPU.
 */
DECLARE_PER_CPU(struct kring_batch, kring_prog_batches);

static inline struct kring_batch *kring_prog_batch(void)
{
	return this_cpu_ptr(&kring_prog_batches);
}

struct kbpf_printk_buf;

/* Where this CPU's run formats bpf_trace_printk's text (kbpf/printk.h). */
struct kbpf_printk_buf *kring_prog_printk_buf(void);

/*
 * Where the stack walks of this CPU's run start: the registers its probe
 * gave kring_prog_run, or NULL and in *@frame a stack address inside
 * kring_prog_run's frame, so that a walk begins at its caller (the probe).
 */
struct pt_regs *kring_prog_run_regs(unsigned long **frame);

/*
 * Whether this CPU's run is a test run (KRING_IOC_PROG_TEST_RUN): its
 * context is the caller's bytes, so a typed program's pointer arguments
 * are no kernel objects there, whatever the verifier trusts of them.
 */
bool kring_prog_run_is_test(void);

/*
 * What the link whose run this CPU's is gives it: all 0 for a test run,
 * which has no link.
 */
const struct kring_run_link *kring_prog_run_link(void);

/*
 * The helper bpf_tail_call(ctx, prog array, index) of interpreted programs
 * (JIT'd ones use the kernel's own BPF_TAIL_CALL), with the BPF calling
 * convention. It only picks the program: it returns 0 when the tail call
 * is taken, and the interpreter then ends the run, so that kring_prog_run
 * runs the picked program next, on the same context and the same stack
 * depth. Otherwise (index out of range, KRING_MAX_TAIL_CALLS taken
 * already, an empty slot) a negative errno, and the program goes on.
 */
u64 kring_prog_tail_call(u64 ctx, u64 array, u64 index, u64 r4, u64 r5);

int kring_prog_init(void);
void kring_prog_exit(void);

#endif /* KRING_PROG_H */
