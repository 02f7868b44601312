// SPDX-License-Identifier: GPL-2.0
/*
 * Attach points. Each gives the program its uapi context: kring's own
 * structs, filled from a tracepoint's arguments, the probe's registers (a
 * uprobe's are the task's user registers), a trace event's record, or a
 * tracepoint's raw arguments. A link holds a
 * reference on its program; its fd and each of its names (kring_pin.c)
 * hold one on the link, and the last of those unregisters the probe and
 * waits until no CPU can still be running it before dropping the program.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/binfmts.h>
#include <linux/bpf_perf_event.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/perf_event.h>
#include <linux/trace_events.h>
#include <linux/capability.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <asm/ibt.h>
#include <asm/syscall.h>
#include <linux/kring.h>

#include "kring_attach.h"
#include "kring_compat.h"
#include "kring_ids.h"
#include "kring_pin.h"
#include "kring_prog.h"
#include "bpf/tp_btf.h"

struct kring_link {
	refcount_t refs;
	u32 id;			/* kring_ids.c; 0 until attached */
	struct kring_prog *prog;
	/* kring's own contexts and raw tracepoints; else NULL */
	struct tracepoint *tp;
	void *probe;
	union {
		struct kprobe kp;	/* KRING_ATTACH_KPROBE, _FENTRY */
		struct kretprobe krp;	/* KRING_ATTACH_KRETPROBE, _FEXIT */
		struct kring_uprobe up;	/* KRING_ATTACH_UPROBE, _URETPROBE */
		/* KRING_ATTACH_TRACEPOINT, _PERF_EVENT: each online CPU's */
		struct perf_event **events;
	};
	/* UPROBE, URETPROBE: the only process whose hits run it, or NULL */
	struct pid *tgid;
	struct kring_run_link run;	/* what it gives its runs */
	/* RAW_TRACEPOINT, TP_BTF, FENTRY, FEXIT: the bits each keeps */
	u64 raw_arg_masks[KRING_RAW_TP_MAX_ARGS];
	char symbol[KRING_SYMBOL_MAX];	/* the probe's, or the tracepoint's name */
};

static u32 kring_ppid(struct task_struct *task)
{
	u32 ppid;

	rcu_read_lock();
	ppid = task_tgid_nr(rcu_dereference(task->real_parent));
	rcu_read_unlock();
	return ppid;
}

static void kring_probe_fork(void *data, struct task_struct *parent,
			     struct task_struct *child)
{
	struct kring_link *link = data;
	struct kring_ctx_fork ctx = {
		.parent_pid = parent->pid,
		.parent_tgid = parent->tgid,
		.child_pid = child->pid,
		.child_tgid = child->tgid,
	};

	strscpy_pad(ctx.parent_comm, parent->comm, sizeof(ctx.parent_comm));
	strscpy_pad(ctx.child_comm, child->comm, sizeof(ctx.child_comm));
	kring_prog_run(link->prog, &ctx, NULL, &link->run);
}

static void kring_probe_exec(void *data, struct task_struct *task,
			     pid_t old_pid, struct linux_binprm *bprm)
{
	struct kring_link *link = data;
	struct kring_ctx_exec ctx = {
		.pid = task->pid,
		.tgid = task->tgid,
		.old_pid = old_pid,
		.ppid = kring_ppid(task),
	};

	strscpy_pad(ctx.comm, task->comm, sizeof(ctx.comm));
	strscpy_pad(ctx.filename, bprm->filename, sizeof(ctx.filename));
	kring_prog_run(link->prog, &ctx, NULL, &link->run);
}

static void kring_probe_exit(void *data, struct task_struct *task)
{
	struct kring_link *link = data;
	struct kring_ctx_exit ctx = {
		.pid = task->pid,
		.tgid = task->tgid,
		.ppid = kring_ppid(task),
		.exit_code = task->exit_code,
	};

	strscpy_pad(ctx.comm, task->comm, sizeof(ctx.comm));
	kring_prog_run(link->prog, &ctx, NULL, &link->run);
}

static void kring_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct kring_link *link = data;
	struct kring_ctx_sys_enter ctx = { .id = id };
	unsigned long args[6];
	int i;

	syscall_get_arguments(current, regs, args);
	for (i = 0; i < 6; i++)
		ctx.args[i] = args[i];
	kring_prog_run(link->prog, &ctx, NULL, &link->run);
}

static void kring_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	struct kring_link *link = data;
	struct kring_ctx_sys_exit ctx = {
		.id = syscall_get_nr(current, regs),
		.ret = ret,
	};

	kring_prog_run(link->prog, &ctx, NULL, &link->run);
}

/*
 * The registers themselves are the context, as Linux gives them to kprobe
 * programs: read-only to the program (the verifier's context is), so
 * nothing is copied. They are where bpf_get_stack's walks start, too.
 */
static int kring_probe_kprobe(struct kprobe *kp, struct pt_regs *regs)
{
	struct kring_link *link = container_of(kp, struct kring_link, kp);

	kring_prog_run(link->prog, regs, regs, &link->run);
	return 0;
}

static int kring_probe_kretprobe(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct kring_link *link =
		container_of(get_kretprobe(ri), struct kring_link, krp);

	kring_prog_run(link->prog, regs, regs, &link->run);
	return 0;
}

/*
 * A uprobe's or uretprobe's hit, in the task that hit it, preemptible:
 * the run wants preemption off. The task's user registers are the context,
 * as Linux gives them to uprobe programs. bpf_get_func_ip gives the probed
 * address in this task (@func_ip: the breakpoint's, or at a uretprobe the
 * function's), as Linux has since 6.4 (6.1 gives 0).
 */
static void kring_run_uprobe(struct kring_link *link, struct pt_regs *regs,
			     unsigned long func_ip)
{
	struct kring_run_link run = {
		.cookie = link->run.cookie,
		.func_ip = func_ip,
	};

	if (link->tgid && task_tgid(current) != link->tgid)
		return;
	preempt_disable();
	kring_prog_run(link->prog, regs, regs, &run);
	preempt_enable();
}

/*
 * Whether a uprobe for one process belongs in @mm: Linux places its
 * breakpoints only in the address spaces its consumers' filters take (and
 * in every one for a consumer without a filter), as for its own
 * per-process uprobe events.
 */
static bool kring_uprobe_filter(KRING_UPROBE_FILTER_PARAMS)
{
	struct kring_link *link = container_of(uc, struct kring_link, up.uc);
	struct task_struct *task;
	bool ours;

	task = get_pid_task(link->tgid, PIDTYPE_TGID);
	if (!task)
		return false;
	ours = READ_ONCE(task->mm) == mm;
	put_task_struct(task);
	return ours;
}

static int kring_probe_uprobe(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	kring_run_uprobe(container_of(uc, struct kring_link, up.uc), regs,
			 instruction_pointer(regs));
	return 0;
}

static int kring_probe_uretprobe(struct uprobe_consumer *uc,
				 unsigned long func, struct pt_regs *regs)
{
	kring_run_uprobe(container_of(uc, struct kring_link, up.uc), regs,
			 func);
	return 0;
}

/*
 * A trace event's counter overflowed: with a period of 1, once per event.
 * The raw sample is the record the event built in the per-CPU trace buffer,
 * the context Linux passes to its tracepoint programs; @regs, the
 * registers the event gave perf (its caller's, or a syscall's user ones),
 * are those Linux's bpf_get_stack walks from.
 */
static void kring_probe_trace_event(struct perf_event *event,
				    struct perf_sample_data *data,
				    struct pt_regs *regs)
{
	struct kring_link *link = event->overflow_handler_context;
	struct perf_raw_record *raw = data->raw;

	/* Trace events give one fragment; anything else is not a record. */
	if (!raw || !perf_raw_frag_last(&raw->frag))
		return;
	kring_prog_run(link->prog, raw->frag.data, regs, &link->run);
}

/*
 * A sampling counter overflowed: the context is Linux's for perf event
 * programs, the registers it interrupted (a copy: the program's context is
 * its own), the sample's period and address; those registers are where the
 * stack walks start.
 */
static void kring_probe_perf_event(struct perf_event *event,
				   struct perf_sample_data *data,
				   struct pt_regs *regs)
{
	struct kring_link *link = event->overflow_handler_context;
	struct bpf_perf_event_data ctx = {
		.regs = *regs,
		.sample_period = data->period,
		.addr = data->addr,
	};

	kring_prog_run(link->prog, &ctx, regs, &link->run);
}

/*
 * Runs the program on @count arguments, each cut to its size (the masks):
 * raw tracepoints, tp_btf, fentry and fexit. @regs: the probe's registers,
 * or NULL.
 */
static void kring_run_args(struct kring_link *link,
			   u64 args[KRING_RAW_TP_MAX_ARGS], u32 count,
			   struct pt_regs *regs)
{
	u32 i;

	for (i = 0; i < count; i++)
		args[i] &= link->raw_arg_masks[i];
	kring_prog_run(link->prog, args, regs, &link->run);
}

/*
 * fentry and fexit: the function's arguments, from the registers x86-64
 * passes them in, each cut to its size (the masks); at exit the result
 * follows them. A kprobe at the function's entry and a kretprobe, whose
 * entry handler keeps the arguments for the return (ri->data): Linux runs
 * such programs from a BPF trampoline, which a module cannot build. The
 * registers are where bpf_get_stack's walks start, as for kprobes.
 */
struct kring_fexit_data {
	u64 args[KBPF_FUNC_MAX_REG_ARGS];
};

static void kring_func_args(const struct pt_regs *regs,
			    u64 args[KBPF_FUNC_MAX_REG_ARGS])
{
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->cx;
	args[4] = regs->r8;
	args[5] = regs->r9;
}

static int kring_probe_fentry(struct kprobe *kp, struct pt_regs *regs)
{
	struct kring_link *link = container_of(kp, struct kring_link, kp);
	u64 args[KRING_RAW_TP_MAX_ARGS] = {};

	kring_func_args(regs, args);
	kring_run_args(link, args,
		       KRING_RAW_ARGS_COUNT_OF(link->prog->raw_args), regs);
	return 0;
}

static int kring_fexit_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	kring_func_args(regs, ((struct kring_fexit_data *)ri->data)->args);
	return 0;
}

static int kring_probe_fexit(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct kring_link *link =
		container_of(get_kretprobe(ri), struct kring_link, krp);
	u32 nr_args = KRING_RAW_ARGS_COUNT_OF(link->prog->raw_args);
	u64 args[KRING_RAW_TP_MAX_ARGS] = {};

	memcpy(args, ((struct kring_fexit_data *)ri->data)->args,
	       sizeof(struct kring_fexit_data));
	/* A non-void function's result is the last of its described args. */
	if (nr_args > link->prog->nr_func_params)
		args[link->prog->nr_func_params] = regs_return_value(regs);
	kring_run_args(link, args, nr_args, regs);
	return 0;
}

/*
 * A raw tracepoint's probe is called as the tracepoint's own probes are,
 * with its arguments after the link; each is taken as a u64, a register or
 * stack slot of the caller's, whose bits past the argument's size are
 * whatever the caller left there: the masks clear them, as Linux's
 * __bpf_trace_* stubs zero-extend each argument (kring_run_args). One
 * probe per argument count, generated below.
 */
#define KRING_RAW_PARAMS_0 void *data
#define KRING_RAW_PARAMS_1 KRING_RAW_PARAMS_0, u64 a0
#define KRING_RAW_PARAMS_2 KRING_RAW_PARAMS_1, u64 a1
#define KRING_RAW_PARAMS_3 KRING_RAW_PARAMS_2, u64 a2
#define KRING_RAW_PARAMS_4 KRING_RAW_PARAMS_3, u64 a3
#define KRING_RAW_PARAMS_5 KRING_RAW_PARAMS_4, u64 a4
#define KRING_RAW_PARAMS_6 KRING_RAW_PARAMS_5, u64 a5
#define KRING_RAW_PARAMS_7 KRING_RAW_PARAMS_6, u64 a6
#define KRING_RAW_PARAMS_8 KRING_RAW_PARAMS_7, u64 a7
#define KRING_RAW_PARAMS_9 KRING_RAW_PARAMS_8, u64 a8
#define KRING_RAW_PARAMS_10 KRING_RAW_PARAMS_9, u64 a9
#define KRING_RAW_PARAMS_11 KRING_RAW_PARAMS_10, u64 a10
#define KRING_RAW_PARAMS_12 KRING_RAW_PARAMS_11, u64 a11

/* Copies the first n arguments into args[]. */
#define KRING_RAW_COPY_0 do { } while (0)
#define KRING_RAW_COPY_1 do { KRING_RAW_COPY_0; args[0] = a0; } while (0)
#define KRING_RAW_COPY_2 do { KRING_RAW_COPY_1; args[1] = a1; } while (0)
#define KRING_RAW_COPY_3 do { KRING_RAW_COPY_2; args[2] = a2; } while (0)
#define KRING_RAW_COPY_4 do { KRING_RAW_COPY_3; args[3] = a3; } while (0)
#define KRING_RAW_COPY_5 do { KRING_RAW_COPY_4; args[4] = a4; } while (0)
#define KRING_RAW_COPY_6 do { KRING_RAW_COPY_5; args[5] = a5; } while (0)
#define KRING_RAW_COPY_7 do { KRING_RAW_COPY_6; args[6] = a6; } while (0)
#define KRING_RAW_COPY_8 do { KRING_RAW_COPY_7; args[7] = a7; } while (0)
#define KRING_RAW_COPY_9 do { KRING_RAW_COPY_8; args[8] = a8; } while (0)
#define KRING_RAW_COPY_10 do { KRING_RAW_COPY_9; args[9] = a9; } while (0)
#define KRING_RAW_COPY_11 do { KRING_RAW_COPY_10; args[10] = a10; } while (0)
#define KRING_RAW_COPY_12 do { KRING_RAW_COPY_11; args[11] = a11; } while (0)

#define KRING_DEFINE_RAW_TP_PROBE(count)				\
static void kring_probe_raw_tp##count(KRING_RAW_PARAMS_##count)	\
{									\
	u64 args[KRING_RAW_TP_MAX_ARGS] = {};				\
									\
	KRING_RAW_COPY_##count;						\
	kring_run_args(data, args, count, NULL);			\
}

KRING_DEFINE_RAW_TP_PROBE(0)
KRING_DEFINE_RAW_TP_PROBE(1)
KRING_DEFINE_RAW_TP_PROBE(2)
KRING_DEFINE_RAW_TP_PROBE(3)
KRING_DEFINE_RAW_TP_PROBE(4)
KRING_DEFINE_RAW_TP_PROBE(5)
KRING_DEFINE_RAW_TP_PROBE(6)
KRING_DEFINE_RAW_TP_PROBE(7)
KRING_DEFINE_RAW_TP_PROBE(8)
KRING_DEFINE_RAW_TP_PROBE(9)
KRING_DEFINE_RAW_TP_PROBE(10)
KRING_DEFINE_RAW_TP_PROBE(11)
KRING_DEFINE_RAW_TP_PROBE(12)

/* By argument count. */
static void *const kring_raw_tp_probes[KRING_RAW_TP_MAX_ARGS + 1] = {
	kring_probe_raw_tp0, kring_probe_raw_tp1, kring_probe_raw_tp2,
	kring_probe_raw_tp3, kring_probe_raw_tp4, kring_probe_raw_tp5,
	kring_probe_raw_tp6, kring_probe_raw_tp7, kring_probe_raw_tp8,
	kring_probe_raw_tp9, kring_probe_raw_tp10, kring_probe_raw_tp11,
	kring_probe_raw_tp12,
};

static bool kring_needs_symbol(u32 attach_type)
{
	return attach_type == KRING_ATTACH_KPROBE ||
	       attach_type == KRING_ATTACH_KRETPROBE ||
	       attach_type == KRING_ATTACH_TRACEPOINT ||
	       attach_type == KRING_ATTACH_RAW_TRACEPOINT ||
	       attach_type == KRING_ATTACH_PERF_EVENT ||
	       kring_attach_uprobe(attach_type);
}

struct kring_tp_search {
	const char *name;
	struct tracepoint *found;
};

static void kring_match_tracepoint(struct tracepoint *tp, void *priv)
{
	struct kring_tp_search *search = priv;

	if (!strcmp(tp->name, search->name))
		search->found = tp;
}

/* Registers @probe on the tracepoint link->symbol names. */
static int kring_link_tracepoint(struct kring_link *link, void *probe)
{
	struct kring_tp_search search = { .name = link->symbol };

	for_each_kernel_tracepoint(kring_match_tracepoint, &search);
	if (!search.found)
		return -ENOENT;
	link->tp = search.found;
	link->probe = probe;
	return tracepoint_probe_register(link->tp, probe, link);
}

static int kring_link_named_tracepoint(struct kring_link *link,
				       const char *name, void *probe)
{
	strscpy(link->symbol, name, sizeof(link->symbol));
	return kring_link_tracepoint(link, probe);
}

/* The load's description of the arguments to masks. */
static void kring_link_arg_masks(struct kring_link *link, u32 raw_args)
{
	u32 i, size, count = KRING_RAW_ARGS_COUNT_OF(raw_args);

	for (i = 0; i < count; i++) {
		size = KRING_RAW_ARGS_SIZE_OF(raw_args, i);
		link->raw_arg_masks[i] = size == 8 ? U64_MAX :
						     BIT_ULL(size * 8) - 1;
	}
}

/*
 * fentry at the function's entry, fexit at its return: the function named
 * at load. Many calls may be under way at once (a function that sleeps):
 * the kretprobe keeps as many as the kernel's default, and a return it
 * misses counts as a missed kretprobe, as for kretprobe programs.
 */
/*
 * The entry of the function @kp probes, for bpf_get_func_ip: on kernels
 * with IBT a probe on a function sits past its endbr64, and the entry, which
 * Linux's helper gives too, is before it.
 */
static u64 kring_func_entry(const struct kprobe *kp)
{
	unsigned long ip = (unsigned long)kp->addr;
	u32 insn;

	if (!get_kernel_nofault(insn, (u32 *)ip - 1) && is_endbr(insn))
		ip -= ENDBR_INSN_SIZE;
	return ip;
}

/*
 * Kprobes and kretprobes (and so fentry and fexit) register disabled, note
 * the probed function's entry (the probe resolves its symbol), and only
 * then enable: no hit sees the address unset.
 */
static int kring_register_kprobe(struct kring_link *link)
{
	int ret;

	link->kp.flags = KPROBE_FLAG_DISABLED;
	ret = register_kprobe(&link->kp);
	if (ret)
		return ret;
	link->run.func_ip = kring_func_entry(&link->kp);
	ret = enable_kprobe(&link->kp);
	if (ret)
		unregister_kprobe(&link->kp);
	return ret;
}

static int kring_register_kretprobe(struct kring_link *link)
{
	int ret;

	link->krp.kp.flags = KPROBE_FLAG_DISABLED;
	ret = register_kretprobe(&link->krp);
	if (ret)
		return ret;
	link->run.func_ip = kring_func_entry(&link->krp.kp);
	ret = enable_kretprobe(&link->krp);
	if (ret)
		unregister_kretprobe(&link->krp);
	return ret;
}

static int kring_link_function(struct kring_link *link)
{
	struct kring_prog *prog = link->prog;

	strscpy(link->symbol, prog->target, sizeof(link->symbol));
	kring_link_arg_masks(link, prog->raw_args);
	if (prog->attach_type == KRING_ATTACH_FENTRY) {
		link->kp.symbol_name = link->symbol;
		link->kp.pre_handler = kring_probe_fentry;
		return kring_register_kprobe(link);
	}
	link->krp.kp.symbol_name = link->symbol;
	link->krp.entry_handler = kring_fexit_entry;
	link->krp.handler = kring_probe_fexit;
	link->krp.data_size = sizeof(struct kring_fexit_data);
	return kring_register_kretprobe(link);
}

/*
 * A uprobe (or uretprobe) at @at's offset in the regular file at @at's
 * path, as Linux's uprobe perf events take them, for every process or
 * only @at's pid's (ESRCH if it has none). The link is named by the file's
 * name and the offset.
 */
static int kring_link_uprobe(struct kring_link *link,
			     const struct kring_prog_attach *at)
{
	struct path path;
	int err;

	if (at->pid < 0)
		return -EINVAL;
	if (at->pid) {
		link->tgid = find_get_pid(at->pid);
		if (!link->tgid)
			return -ESRCH;
	}
	err = user_path_at(AT_FDCWD, u64_to_user_ptr(at->symbol),
			   LOOKUP_FOLLOW, &path);
	if (err)
		return err;
	if (!d_is_reg(path.dentry)) {
		path_put(&path);
		return -EINVAL;
	}
	link->up.inode = igrab(d_real_inode(path.dentry));
	snprintf(link->symbol, sizeof(link->symbol), "%pd+0x%llx",
		 path.dentry, at->offset);
	path_put(&path);
	if (!link->up.inode)
		return -ENOENT;
	link->up.offset = at->offset;
	if (link->tgid)
		link->up.uc.filter = kring_uprobe_filter;
	if (link->prog->attach_type == KRING_ATTACH_UPROBE)
		link->up.uc.handler = kring_probe_uprobe;
	else
		link->up.uc.ret_handler = kring_probe_uretprobe;
	err = kring_uprobe_register(&link->up);
	if (err)
		iput(link->up.inode);
	return err;
}

/* struct kring_prog_attach's raw_args, checked, to masks and a probe. */
static int kring_link_raw_tracepoint(struct kring_link *link, u32 raw_args)
{
	u32 count = KRING_RAW_ARGS_COUNT_OF(raw_args);

	if (count > KRING_RAW_TP_MAX_ARGS ||
	    raw_args >> KRING_RAW_ARGS_SIZE_SHIFT(count))
		return -EINVAL;
	kring_link_arg_masks(link, raw_args);
	return kring_link_tracepoint(link, kring_raw_tp_probes[count]);
}

static void kring_link_counters_release(struct kring_link *link)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (!IS_ERR_OR_NULL(link->events[cpu]))
			perf_event_release_kernel(link->events[cpu]);
	}
	kfree(link->events);
	link->events = NULL;
	/*
	 * A removed counter's handler cannot still run on its CPU (removal
	 * is an IPI there, and a trace event's or timer's handler runs with
	 * interrupts off), but the program must outlive any reader of the
	 * event lists (a software event's handler runs inside one): one grace
	 * period.
	 */
	synchronize_rcu();
}

/*
 * A counter of @attr on each online CPU, counting every task, whose
 * overflows call @handler with the link. A CPU brought online later has
 * no counter.
 */
static int kring_link_counters(struct kring_link *link,
			       struct perf_event_attr *attr,
			       perf_overflow_handler_t handler)
{
	int cpu, ret = 0;

	link->events = kcalloc(nr_cpu_ids, sizeof(*link->events), GFP_KERNEL);
	if (!link->events)
		return -ENOMEM;
	/*
	 * Not under cpus_read_lock(): enabling the event takes it itself
	 * (static keys), and it does not nest. A CPU going offline meanwhile
	 * fails the attach.
	 */
	for_each_online_cpu(cpu) {
		link->events[cpu] = perf_event_create_kernel_counter(
			attr, cpu, NULL, handler, link);
		if (IS_ERR(link->events[cpu])) {
			ret = PTR_ERR(link->events[cpu]);
			break;
		}
	}
	if (ret)
		kring_link_counters_release(link);
	return ret;
}

/*
 * A counter of the trace event "CATEGORY/NAME" on each online CPU, sampling
 * every event (period 1) with its raw record. PERF_SAMPLE_PERIOD makes an
 * event that counts more than one (sched_stat_runtime counts nanoseconds)
 * still one overflow, so the program runs once per event. Creating them
 * checks the caller's right to read raw tracepoint data, as
 * perf_event_open(2) does.
 */
static int kring_link_trace_event(struct kring_link *link)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_RAW | PERF_SAMPLE_PERIOD,
	};
	struct trace_event_file *file;
	char category[KRING_SYMBOL_MAX];
	char *name;
	int ret;

	strscpy(category, link->symbol, sizeof(category));
	name = strchr(category, '/');
	if (!name || name == category || !name[1] || strchr(name + 1, '/'))
		return -EINVAL;
	*name++ = '\0';
	file = trace_get_event_file(NULL, category, name);
	if (IS_ERR(file))	/* -EINVAL: no such event */
		return PTR_ERR(file) == -EINVAL ? -ENOENT : PTR_ERR(file);
	attr.config = file->event_call->event.type;
	ret = kring_link_counters(link, &attr, kring_probe_trace_event);
	/* The counters hold the event (and its module) themselves. */
	trace_put_event_file(file);
	return ret;
}

/*
 * Sampling counters of the user's struct perf_event_attr at @uattr (its
 * size field says how much of it there is, as perf_event_open(2) reads
 * it). Software events only: they overflow in a timer interrupt, where
 * kring runs as anywhere else; hardware ones overflow in NMI, which TCG,
 * where kring is tested, has no PMU to raise (EOPNOTSUPP). The counters
 * start enabled and count every task, which perf_event_open(2) would allow
 * with CAP_PERFMON, which attaching already needs.
 */
static int kring_link_perf_event(struct kring_link *link, u64 uattr)
{
	struct perf_event_attr attr;
	u32 size;
	int ret;

	if (get_user(size, (u32 __user *)u64_to_user_ptr(uattr +
				offsetof(struct perf_event_attr, size))))
		return -EFAULT;
	if (size < PERF_ATTR_SIZE_VER0 || size > PAGE_SIZE)
		return -EINVAL;
	ret = copy_struct_from_user(&attr, sizeof(attr), u64_to_user_ptr(uattr),
				    size);
	if (ret)
		return ret == -E2BIG ? -EINVAL : ret;
	if (attr.type != PERF_TYPE_SOFTWARE)
		return -EOPNOTSUPP;
	if (!attr.sample_period || attr.inherit || attr.enable_on_exec)
		return -EINVAL;
	attr.size = sizeof(attr);
	attr.disabled = 0;
	snprintf(link->symbol, sizeof(link->symbol), "software:%llu %s%llu",
		 attr.config, attr.freq ? "freq " : "period ", attr.sample_period);
	return kring_link_counters(link, &attr, kring_probe_perf_event);
}

static void kring_link_free(struct kring_link *link)
{
	put_pid(link->tgid);
	kring_prog_put(link->prog);
	kfree(link);
}

static void kring_link_detach(struct kring_link *link)
{
	if (link->prog->attach_type == KRING_ATTACH_TRACEPOINT ||
	    link->prog->attach_type == KRING_ATTACH_PERF_EVENT) {
		kring_link_counters_release(link);
	} else if (link->tp) {
		tracepoint_probe_unregister(link->tp, link->probe, link);
		/* No CPU may still be inside the probe with this link. */
		tracepoint_synchronize_unregister();
	} else if (kring_attach_uprobe(link->prog->attach_type)) {
		kring_uprobe_unregister(&link->up);
		iput(link->up.inode);
	} else if (link->prog->attach_type == KRING_ATTACH_KRETPROBE ||
		   link->prog->attach_type == KRING_ATTACH_FEXIT) {
		unregister_kretprobe(&link->krp);
	} else {
		unregister_kprobe(&link->kp);
	}
	kring_link_free(link);
}

void kring_link_get(struct kring_link *link)
{
	refcount_inc(&link->refs);
}

void kring_link_put(struct kring_link *link)
{
	if (!refcount_dec_and_test(&link->refs))
		return;
	/* First, so that no lister reads it while it is torn down. */
	kring_id_remove(KRING_KIND_LINK, link->id);
	kring_link_detach(link);
}

void kring_link_fill_info(struct kring_link *link,
			  struct kring_link_info *info)
{
	info->id = link->id;
	info->prog_id = link->prog->id;
	info->attach_type = link->prog->attach_type;
	info->cookie = link->run.cookie;
	memcpy(info->target, link->symbol, sizeof(info->target));
}

static int kring_link_release(struct inode *inode, struct file *file)
{
	kring_link_put(file->private_data);
	return 0;
}

static long kring_link_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case KRING_IOC_PIN:
		return kring_pin(KRING_KIND_LINK, file->private_data,
				 (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kring_link_fops = {
	.owner = THIS_MODULE,
	.release = kring_link_release,
	.unlocked_ioctl = kring_link_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

long kring_attach(struct kring_prog *prog, const void __user *uarg, u32 size)
{
	struct kring_prog_attach at = {};
	struct kring_link *link;
	long ret;

	/*
	 * Every attach point is a tracing one: its context carries kernel
	 * addresses or other users' data (pids, comms, syscall arguments), and
	 * kprobe and syscall fields are plain numbers to the verifier, which
	 * the pointer-leak rule cannot see. Linux requires CAP_PERFMON (or
	 * CAP_SYS_ADMIN) for tracing programs; so does kring, of whoever
	 * attaches, whatever the loader had.
	 */
	if (!perfmon_capable())
		return -EPERM;
	if (copy_from_user(&at, uarg, min_t(u32, size, sizeof(at))))
		return -EFAULT;
	if (at.flags || at.reserved || (at.raw_args &&
			 prog->attach_type != KRING_ATTACH_RAW_TRACEPOINT))
		return -EINVAL;
	if ((at.offset || at.pid) && !kring_attach_uprobe(prog->attach_type))
		return -EINVAL;
	if (at.cookie && !kbpf_attach_has_cookie(prog->attach_type))
		return -EINVAL;
	if (kring_needs_symbol(prog->attach_type) != !!at.symbol)
		return -EINVAL;	/* a name for probes and trace events only */
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	refcount_set(&link->refs, 1);
	kring_prog_get(prog);
	link->prog = prog;
	link->run.cookie = at.cookie;

	switch (prog->attach_type) {
	case KRING_ATTACH_SCHED_PROCESS_FORK:
		ret = kring_link_named_tracepoint(link, "sched_process_fork",
						  kring_probe_fork);
		break;
	case KRING_ATTACH_SCHED_PROCESS_EXEC:
		ret = kring_link_named_tracepoint(link, "sched_process_exec",
						  kring_probe_exec);
		break;
	case KRING_ATTACH_SCHED_PROCESS_EXIT:
		ret = kring_link_named_tracepoint(link, "sched_process_exit",
						  kring_probe_exit);
		break;
	case KRING_ATTACH_SYS_ENTER:
		ret = kring_link_named_tracepoint(link, "sys_enter",
						  kring_probe_sys_enter);
		break;
	case KRING_ATTACH_SYS_EXIT:
		ret = kring_link_named_tracepoint(link, "sys_exit",
						  kring_probe_sys_exit);
		break;
	case KRING_ATTACH_TP_BTF:
		/* Named and described at load, from the kernel's BTF. */
		strscpy(link->symbol, prog->target, sizeof(link->symbol));
		ret = kring_link_raw_tracepoint(link, prog->raw_args);
		break;
	case KRING_ATTACH_FENTRY:
	case KRING_ATTACH_FEXIT:
		ret = kring_link_function(link);
		break;
	case KRING_ATTACH_UPROBE:
	case KRING_ATTACH_URETPROBE:
		ret = kring_link_uprobe(link, &at);
		break;
	case KRING_ATTACH_PERF_EVENT:
		ret = kring_link_perf_event(link, at.symbol);
		break;
	case KRING_ATTACH_KPROBE:
	case KRING_ATTACH_KRETPROBE:
	case KRING_ATTACH_TRACEPOINT:
	case KRING_ATTACH_RAW_TRACEPOINT:
		ret = strncpy_from_user(link->symbol,
					u64_to_user_ptr(at.symbol),
					sizeof(link->symbol));
		if (ret == sizeof(link->symbol))
			ret = -ENAMETOOLONG;
		if (ret == 0)
			ret = -EINVAL;
		if (ret < 0)
			break;
		if (prog->attach_type == KRING_ATTACH_TRACEPOINT) {
			ret = kring_link_trace_event(link);
		} else if (prog->attach_type == KRING_ATTACH_RAW_TRACEPOINT) {
			ret = kring_link_raw_tracepoint(link, at.raw_args);
		} else if (prog->attach_type == KRING_ATTACH_KPROBE) {
			link->kp.symbol_name = link->symbol;
			link->kp.pre_handler = kring_probe_kprobe;
			ret = kring_register_kprobe(link);
		} else {
			link->krp.kp.symbol_name = link->symbol;
			link->krp.handler = kring_probe_kretprobe;
			ret = kring_register_kretprobe(link);
		}
		break;
	default:
		ret = -EINVAL;
	}
	if (ret) {
		kring_link_free(link);
		return ret;
	}
	/* Attached: a lister may read the link as soon as it has an id. */
	ret = kring_id_alloc(KRING_KIND_LINK, link, &link->id);
	if (!ret)
		ret = anon_inode_getfd("kring-link", &kring_link_fops, link,
				       O_RDWR | O_CLOEXEC);
	if (ret < 0)
		kring_link_put(link);
	return ret;
}
