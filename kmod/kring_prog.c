// SPDX-License-Identifier: GPL-2.0
/*
 * Program load, lifetime and runs. A program is verified once, at load,
 * then run as machine code from the kernel's JIT (kring_jit.c) or, as a
 * fallback, by the interpreter (bpf/interp.c), with the helpers of
 * kring_helpers.c; it holds a reference on each ring it names, so a ring
 * lives as long as any program that may write to it.
 */
#include <linux/anon_inodes.h>
#include <linux/bpf_perf_event.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/kring.h>
#include <asm/asm.h>

#include "kring.h"
#include "kring_attach.h"
#include "kring_btf.h"
#include "kring_compat.h"
#include "kring_helpers.h"
#include "kring_ids.h"
#include "kring_pin.h"
#include "kring_jit.h"
#include "kring_prog.h"
#include "kring_prog_array.h"
#include "kring_ring.h"
#include "kring_stackid.h"
#include "bpf/kbpf_btf.h"
#include "bpf/helpers.h"
#include "bpf/interp.h"
#include "bpf/printk.h"
#include "bpf/structure.h"
#include "bpf/tp_btf.h"
#include "bpf/verifier.h"

#define KRING_LOG_MAX (16U << 20)
/* Runs per batch of a test run before the CPU is offered to others. */
#define KRING_TEST_RUN_BATCH 1024U

/*
 * What one CPU needs to run a program: the interpreter's stack, the flag
 * that keeps runs from nesting (JIT'd or not), and the run's tail calls:
 * how many were taken, and the program the last one picked; where its stack
 * walks start, whether it is a test run (kring_prog_run_is_test()), and
 * what its link gives it (kring_prog_run_link()).
 */
struct kring_run_cpu {
	u8 stack[KBPF_INTERP_STACK_SIZE] __aligned(8);
	struct kbpf_printk_buf printk;
	int active;
	u32 tail_calls;
	struct kring_prog *tail_target;
	struct pt_regs *regs;
	unsigned long *frame;
	bool test_run;
	const struct kring_run_link *link;
};

DEFINE_PER_CPU(struct kring_batch, kring_prog_batches);

static struct kring_run_cpu __percpu *kring_run_cpus;
/* Frees programs a grace period after their last reference (tail calls). */
static struct workqueue_struct *kring_prog_free_wq;

u32 kring_ctx_size(u32 attach_type)
{
	switch (attach_type) {
	case KRING_ATTACH_SCHED_PROCESS_FORK:
		return sizeof(struct kring_ctx_fork);
	case KRING_ATTACH_SCHED_PROCESS_EXEC:
		return sizeof(struct kring_ctx_exec);
	case KRING_ATTACH_SCHED_PROCESS_EXIT:
		return sizeof(struct kring_ctx_exit);
	case KRING_ATTACH_SYS_ENTER:
		return sizeof(struct kring_ctx_sys_enter);
	case KRING_ATTACH_SYS_EXIT:
		return sizeof(struct kring_ctx_sys_exit);
	case KRING_ATTACH_KPROBE:
	case KRING_ATTACH_KRETPROBE:
	case KRING_ATTACH_UPROBE:
	case KRING_ATTACH_URETPROBE:
		return sizeof(struct pt_regs);
	case KRING_ATTACH_TRACEPOINT:
		return KRING_TRACEPOINT_CTX_SIZE;
	case KRING_ATTACH_PERF_EVENT:
		return sizeof(struct bpf_perf_event_data);
	case KRING_ATTACH_RAW_TRACEPOINT:
	case KRING_ATTACH_TP_BTF:
	case KRING_ATTACH_FENTRY:
	case KRING_ATTACH_FEXIT:
		return KRING_RAW_TP_CTX_SIZE;
	default:
		return 0;
	}
}

static void kring_prog_free(struct kring_prog *prog)
{
	u32 i;

	/* First, so that no lister reads it while it is torn down. */
	kring_id_remove(KRING_KIND_PROG, prog->id);
	kring_jit_free(prog->jit);
	free_percpu(prog->stats);
	for (i = 0; i < prog->nr_rings; i++)
		kring_ring_put(prog->rings[i]);
	kfree(prog->rings);
	for (i = 0; i < prog->nr_maps; i++) {
		if (prog->stackid_progs && prog->stackid_progs[i])
			bpf_prog_put(prog->stackid_progs[i]);
		bpf_map_put(prog->maps[i]);
	}
	kfree(prog->stackid_progs);
	kfree(prog->maps);
	for (i = 0; i < prog->nr_arrays; i++)
		kring_prog_array_put(prog->arrays[i]);
	kfree(prog->arrays);
	kvfree(prog->insns);
	kfree(prog);
}

static void kring_prog_free_work(struct work_struct *work)
{
	kring_prog_free(container_of(to_rcu_work(work), struct kring_prog,
				     free_work));
}

void kring_prog_get(struct kring_prog *prog)
{
	refcount_inc(&prog->refs);
}

void kring_prog_put(struct kring_prog *prog)
{
	if (!refcount_dec_and_test(&prog->refs))
		return;
	/*
	 * A tail call on another CPU may have picked it from a slot before
	 * the slot let it go, and run it until its rcu_read_unlock().
	 */
	if (READ_ONCE(prog->tail_callable)) {
		INIT_RCU_WORK(&prog->free_work, kring_prog_free_work);
		queue_rcu_work(kring_prog_free_wq, &prog->free_work);
		return;
	}
	kring_prog_free(prog);
}

u64 kring_prog_tail_call(u64 ctx, u64 array_addr, u64 index, u64 r4, u64 r5)
{
	struct kring_prog_array *array =
		kring_prog_array_of_view((void *)(unsigned long)array_addr);
	struct kring_run_cpu *cpu = this_cpu_ptr(kring_run_cpus);
	struct kring_prog *next;

	/* Linux's order: an attempt on an empty slot counts too. */
	if ((u32)index >= array->view.map.max_entries)
		return (u64)-E2BIG;
	if (cpu->tail_calls >= KRING_MAX_TAIL_CALLS)
		return (u64)-ELOOP;
	cpu->tail_calls++;
	next = kring_prog_array_slot(array, (u32)index);
	if (!next)
		return (u64)-ENOENT;
	cpu->tail_target = next;
	return 0;
}

struct kbpf_printk_buf *kring_prog_printk_buf(void)
{
	return &this_cpu_ptr(kring_run_cpus)->printk;
}

struct pt_regs *kring_prog_run_regs(unsigned long **frame)
{
	struct kring_run_cpu *cpu = this_cpu_ptr(kring_run_cpus);

	*frame = cpu->frame;
	return cpu->regs;
}

bool kring_prog_run_is_test(void)
{
	return this_cpu_ptr(kring_run_cpus)->test_run;
}

const struct kring_run_link *kring_prog_run_link(void)
{
	return this_cpu_ptr(kring_run_cpus)->link;
}

static int kring_prog_run_on(struct kring_prog *prog, void *ctx,
			     struct pt_regs *regs,
			     const struct kring_run_link *link, u64 *r0,
			     bool test_run)
{
	struct kring_run_cpu *cpu = this_cpu_ptr(kring_run_cpus);
	struct kring_prog *run;
	struct kbpf_interp_env env = {
		.call_helper = kring_call_helper,
		.stack = cpu->stack,
	};
	u64 ret = 0;
	int err = 0;

	/*
	 * A probe that fires inside a run on this CPU must not reuse its
	 * stack; a JIT'd run keeps the same rule (a kprobe in a helper, say,
	 * is a miss in both runtimes).
	 */
	if (cpu->active) {
		this_cpu_inc(prog->stats->misses);
		return -EBUSY;
	}
	cpu->active = 1;
	cpu->tail_calls = 0;
	cpu->regs = regs;
	cpu->frame = (unsigned long *)current_stack_pointer;
	cpu->test_run = test_run;
	cpu->link = link;
	kring_batch_begin(kring_prog_batch());
	barrier();	/* the flag before the stack use, against nesting irqs */
	/*
	 * A hash map's values live until a grace period after a delete, and
	 * a program a tail call picked until one after its slot let it go.
	 */
	rcu_read_lock();
	/*
	 * The trampoline: a taken tail call ends its program, and the program
	 * it picked runs next, so tail calls never deepen the stack.
	 */
	for (run = prog; run && !err; run = cpu->tail_target) {
		cpu->tail_target = NULL;
		if (run->jit)
			ret = kring_jit_run(run->jit, ctx);
		else
			err = kbpf_interp_run(run->insns, run->insn_cnt, ctx,
					      &env, &ret);
	}
	/*
	 * The run has committed every record it reserved (the verifier
	 * sees to it): the last wakeup decision for them, while the
	 * programs of its tail calls, which hold their rings, are alive.
	 */
	kring_batch_end(kring_prog_batch());
	rcu_read_unlock();
	barrier();
	cpu->active = 0;
	this_cpu_inc(prog->stats->runs);
	if (r0)
		*r0 = ret;
	return err;
}

void kring_prog_run(struct kring_prog *prog, void *ctx, struct pt_regs *regs,
		    const struct kring_run_link *link)
{
	kring_prog_run_on(prog, ctx, regs, link, NULL, false);
}

void kring_prog_fill_info(struct kring_prog *prog,
			  struct kring_prog_info *info)
{
	u32 i;
	int cpu;

	info->id = prog->id;
	memcpy(info->name, prog->name, sizeof(info->name));
	info->attach_type = prog->attach_type;
	info->insn_cnt = prog->insn_cnt;
	info->stack_depth = prog->stack_depth;
	info->nr_rings = prog->nr_rings;
	for_each_possible_cpu(cpu) {
		const struct kring_prog_cpu_stats *st =
			per_cpu_ptr(prog->stats, cpu);

		info->runs += READ_ONCE(st->runs);
		info->misses += READ_ONCE(st->misses);
	}
	info->runtime = prog->jit ? KRING_RUNTIME_JIT :
				    KRING_RUNTIME_INTERPRETER;
	if (prog->jit) {
		info->jited_len = prog->jit->len;
		info->nr_funcs = prog->jit->nr_funcs;
		/* A kernel address: only for whom may read kallsyms' too. */
		if (ns_capable_noaudit(&init_user_ns, CAP_SYSLOG))
			info->jited_addr = kring_jit_addr(prog->jit);
	}
	/* The program holds its rings and maps: each is alive, with its id. */
	for (i = 0; i < prog->nr_rings; i++)
		info->ring_ids[i] = prog->rings[i]->id;
	info->nr_maps = prog->nr_maps;
	for (i = 0; i < prog->nr_maps && i < KRING_PROG_INFO_MAP_IDS; i++)
		info->map_ids[i] = prog->maps[i]->id;
}

/* ---- program fds ---- */

/* A test run's: no link, no cookie, no probed function. */
static const struct kring_run_link kring_no_link;

static long kring_prog_test_run(struct kring_prog *prog, void __user *uarg)
{
	struct kring_prog_test_run tr;
	u64 start, elapsed = 0, r0 = 0;
	u32 done = 0, repeat;
	void *ctx;
	int err = 0;

	if (copy_from_user(&tr, uarg, sizeof(tr)))
		return -EFAULT;
	if (tr.reserved || tr.retval || tr.duration_ns)
		return -EINVAL;
	if (tr.ctx_size != prog->ctx_size)
		return -EINVAL;
	repeat = tr.repeat ? tr.repeat : 1;
	ctx = memdup_user(u64_to_user_ptr(tr.ctx), tr.ctx_size);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	while (done < repeat && !err) {
		u32 batch = min(repeat - done, KRING_TEST_RUN_BATCH), i;

		preempt_disable();
		start = ktime_get_ns();
		for (i = 0; i < batch && !err; i++)
			err = kring_prog_run_on(prog, ctx, NULL, &kring_no_link,
						&r0, true);
		elapsed += ktime_get_ns() - start;
		preempt_enable();
		done += batch;
		if (signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(ctx);
	if (err)
		return err;
	tr.retval = r0;
	tr.duration_ns = div_u64(elapsed, done);
	return copy_to_user(uarg, &tr, sizeof(tr)) ? -EFAULT : 0;
}

/* KRING_IOC_PROG_INFO: what KRING_IOC_PROG_LIST says of this program. */
static long kring_prog_info(struct kring_prog *prog, void __user *uarg)
{
	struct kring_prog_info info = {};

	kring_prog_fill_info(prog, &info);
	kring_pin_table_lock();
	info.nr_pinned = kring_pin_names(KRING_KIND_PROG, prog, info.pinned);
	kring_pin_table_unlock();
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long kring_prog_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct kring_prog *prog = file->private_data;

	switch (cmd) {
	case KRING_IOC_PROG_ATTACH:
	case KRING_IOC_PROG_ATTACH_V1:
	case KRING_IOC_PROG_ATTACH_V2:
		return kring_attach(prog, (void __user *)arg, _IOC_SIZE(cmd));
	case KRING_IOC_PROG_TEST_RUN:
		return kring_prog_test_run(prog, (void __user *)arg);
	case KRING_IOC_PIN:
		return kring_pin(KRING_KIND_PROG, prog, (void __user *)arg);
	case KRING_IOC_PROG_INFO:
		return kring_prog_info(prog, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int kring_prog_release(struct inode *inode, struct file *file)
{
	kring_prog_put(file->private_data);
	return 0;
}

static const struct file_operations kring_prog_fops = {
	.owner = THIS_MODULE,
	.release = kring_prog_release,
	.unlocked_ioctl = kring_prog_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

struct kring_prog *kring_prog_get_fd(int fd)
{
	struct kring_prog *prog;
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	if (fd_file(f)->f_op != &kring_prog_fops) {
		fdput(f);
		return ERR_PTR(-EINVAL);
	}
	prog = fd_file(f)->private_data;
	kring_prog_get(prog);
	fdput(f);
	return prog;
}

/* ---- loading ---- */

/* Linux's rule for object names, ASCII only as kring's pinned names are. */
static bool kring_prog_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/*
 * The program's name from struct kring_prog_load's user pointer (0: none)
 * into @name, zeroed: at most KRING_PROG_NAME_LEN - 1 allowed characters.
 */
static int kring_prog_name_from_user(u64 uptr, char *name)
{
	long len, i;

	if (!uptr)
		return 0;
	len = strncpy_from_user(name, u64_to_user_ptr(uptr),
				KRING_PROG_NAME_LEN);
	if (len < 0)
		return len;
	if (len == KRING_PROG_NAME_LEN)
		return -EINVAL;	/* no NUL: too long */
	for (i = 0; i < len; i++) {
		if (!kring_prog_name_char_ok(name[i]))
			return -EINVAL;
	}
	return 0;
}

/*
 * The verifier's view of the rings and maps: each fd resolved once,
 * deduplicated. The structure pass looks the loads up once each, in
 * instruction order, so load_idx[n] names the object of the n-th load: a
 * ring's index, KRING_LOAD_MAP plus a Linux map's, or KRING_LOAD_ARRAY
 * plus a prog array's.
 */
#define KRING_LOAD_MAP 0x80
#define KRING_LOAD_ARRAY 0x40
#define KRING_LOAD_INDEX 0x3f
struct kring_load_objs {
	struct kring_ring *rings[KRING_PROG_MAX_RINGS];
	u32 nr_rings;
	struct bpf_map *maps[KBPF_MAX_USED_MAPS];
	s32 map_fds[KBPF_MAX_USED_MAPS];	/* the fd each was named by */
	u32 nr_maps;
	struct kring_prog_array *arrays[KBPF_MAX_USED_MAPS];
	u32 nr_arrays;
	u32 nr_loads;
	u8 load_idx[];		/* insn_cnt / 2 + 1 entries */
};

KRING_IMPORT_BPF_INTERNAL();

/*
 * The value of a single-entry ARRAY that programs only read, frozen by its
 * loader and with no writable mapping left: Linux's bpf_map_is_rdonly().
 * Nothing changes it after this, so the verifier may read it.
 */
static const void *kring_map_frozen_value(const struct bpf_map *map)
{
	u64 addr;

	if (map->map_type != BPF_MAP_TYPE_ARRAY || map->max_entries != 1 ||
	    !(map->map_flags & BPF_F_RDONLY_PROG) || !READ_ONCE(map->frozen) ||
	    atomic64_read(&map->writecnt) ||
	    map->ops->map_direct_value_addr(map, &addr, 0))
		return NULL;
	return (const void *)(unsigned long)addr;
}

/*
 * A Linux map by fd (bpf_map_get takes a reference). Its ring buffers are
 * not kring's rings, and programs that may only write a map are not
 * verified yet: both are refused.
 */
static int kring_load_map_lookup(struct kring_load_objs *lo, s32 fd,
				 struct kbpf_map_desc *desc)
{
	struct bpf_map *map = bpf_map_get(fd);
	u32 i;

	if (IS_ERR(map))
		return PTR_ERR(map);
	if (!kbpf_map_type_supported(map->map_type) ||
	    (map->map_flags & BPF_F_WRONLY_PROG)) {
		bpf_map_put(map);
		return -EOPNOTSUPP;
	}
	desc->type = map->map_type;
	desc->key_size = map->key_size;
	desc->value_size = map->value_size;
	desc->max_entries = map->max_entries;
	desc->flags = map->map_flags;
	desc->frozen_value = kring_map_frozen_value(map);
	for (i = 0; i < lo->nr_maps && lo->maps[i] != map; i++)
		;
	if (i == KBPF_MAX_USED_MAPS) {
		bpf_map_put(map);
		return -E2BIG;
	}
	if (i < lo->nr_maps) {
		bpf_map_put(map);	/* named before: one reference is enough */
	} else {
		lo->maps[lo->nr_maps] = map;
		lo->map_fds[lo->nr_maps++] = fd;
	}
	lo->load_idx[lo->nr_loads++] = KRING_LOAD_MAP | i;
	return KRING_PROG_MAX_RINGS + i;
}

/*
 * A prog array: a map of BPF_MAP_TYPE_PROG_ARRAY to the verifier. Whether
 * its programs are of this one's kind is known once the runtime is chosen
 * (kring_prog_check_runtime).
 */
static int kring_load_array_lookup(struct kring_load_objs *lo,
				   struct kring_prog_array *array,
				   struct kbpf_map_desc *desc)
{
	u32 i;

	desc->type = BPF_MAP_TYPE_PROG_ARRAY;
	desc->key_size = sizeof(u32);
	desc->value_size = sizeof(u32);
	desc->max_entries = array->view.map.max_entries;
	for (i = 0; i < lo->nr_arrays && lo->arrays[i] != array; i++)
		;
	if (i == KBPF_MAX_USED_MAPS) {
		kring_prog_array_put(array);
		return -E2BIG;
	}
	if (i < lo->nr_arrays)
		kring_prog_array_put(array);
	else
		lo->arrays[lo->nr_arrays++] = array;
	lo->load_idx[lo->nr_loads++] = KRING_LOAD_ARRAY | i;
	return KRING_PROG_MAX_RINGS + KBPF_MAX_USED_MAPS + i;
}

static int kring_load_lookup(void *priv, s32 fd, struct kbpf_map_desc *desc)
{
	struct kring_load_objs *lo = priv;
	struct kring_ring *ring = kring_ring_get_fd(fd);
	struct kring_prog_array *array;
	u32 i;

	/*
	 * Not a /dev/kring file: a prog array, a Linux map, or nothing
	 * programs load.
	 */
	if (PTR_ERR_OR_ZERO(ring) == -EINVAL) {
		array = kring_prog_array_get_fd(fd);
		if (!IS_ERR(array))
			return kring_load_array_lookup(lo, array, desc);
		return kring_load_map_lookup(lo, fd, desc);
	}
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	desc->type = BPF_MAP_TYPE_RINGBUF;
	for (i = 0; i < lo->nr_rings; i++)
		if (lo->rings[i] == ring)
			break;
	if (i == KRING_PROG_MAX_RINGS) {
		kring_ring_put(ring);
		return -E2BIG;
	}
	if (i < lo->nr_rings)
		kring_ring_put(ring);	/* named before: one reference is enough */
	else
		lo->rings[lo->nr_rings++] = ring;
	lo->load_idx[lo->nr_loads++] = i;
	return i;
}

/* Appends a line to the load log, if the load gave one. */
static __printf(3, 4) void kring_prog_log(char *log, u32 log_size,
					  const char *fmt, ...)
{
	size_t used;
	va_list args;

	if (!log || !log_size)
		return;
	used = strnlen(log, log_size - 1);
	va_start(args, fmt);
	vscnprintf(log + used, log_size - used, fmt, args);
	va_end(args);
}

static const char *kring_typed_attach_name(u32 attach_type)
{
	return attach_type == KRING_ATTACH_TP_BTF ? "tp_btf" :
	       attach_type == KRING_ATTACH_FENTRY ? "fentry" : "fexit";
}

/*
 * A tp_btf program's tracepoint, or an fentry or fexit program's function,
 * named at load (@utarget): the BTF types of its arguments (@tp, which @ctx
 * points to, for the verifier), and their sizes for the attach
 * (prog->raw_args).
 */
static int kring_prog_tp_btf(struct kring_prog *prog, u64 utarget,
			     const struct kbpf_btf *btf, struct kbpf_tp_btf *tp,
			     struct kbpf_ctx_desc *ctx, char *log,
			     u32 log_size)
{
	char msg[KRING_SYMBOL_MAX + 96];
	long len;
	int err;

	len = strncpy_from_user(prog->target, u64_to_user_ptr(utarget),
				sizeof(prog->target));
	if (len == sizeof(prog->target))
		return -ENAMETOOLONG;
	if (len <= 0)
		return len ? len : -EINVAL;
	err = kbpf_typed_args(btf, prog->attach_type, prog->target, tp, msg,
			      sizeof(msg));
	if (err) {
		kring_prog_log(log, log_size, "%s: %s\n",
			       kring_typed_attach_name(prog->attach_type), msg);
		return err;
	}
	prog->raw_args = tp->raw_args;
	prog->nr_func_params = tp->nr_args - tp->has_result;
	kbpf_typed_ctx(tp, prog->attach_type, prog->target, ctx);
	return 0;
}

/*
 * What the load's program needs besides its instructions: the kernel's BTF
 * (into @attr), and a tp_btf program's tracepoint (@tp). An error is said
 * in the log.
 */
static int kring_prog_prepare_btf(struct kring_prog *prog,
				  const struct kring_prog_load *load,
				  struct kbpf_verify_attr *attr,
				  struct kbpf_tp_btf *tp, char *log,
				  u32 log_size)
{
	const struct kbpf_btf *btf;
	const char *why = NULL;

	if (!kbpf_needs_btf(prog->insns, prog->insn_cnt,
			    kbpf_attach_typed(prog->attach_type)))
		return 0;
	btf = kring_vmlinux_btf(&why);
	if (IS_ERR(btf)) {
		kring_prog_log(log, log_size,
			       "the program needs the kernel's BTF: %s\n", why);
		return PTR_ERR(btf);
	}
	attr->btf = btf;
	if (!kbpf_attach_typed(prog->attach_type))
		return 0;
	return kring_prog_tp_btf(prog, load->attach_target, btf, tp,
				 &attr->ctx, log, log_size);
}

/*
 * bpf_get_stackid's Linux program for each STACK_TRACE map (kring_stackid.c),
 * loaded once the program is verified, through the fd that named the map.
 */
static int kring_load_stackid_progs(struct kring_prog *prog,
				    const struct kring_load_objs *lo,
				    char *log, u32 log_size)
{
	struct bpf_prog *linux_prog;
	u32 i;

	for (i = 0; i < prog->nr_maps; i++) {
		if (prog->maps[i]->map_type != BPF_MAP_TYPE_STACK_TRACE)
			continue;
		linux_prog = kring_stackid_prog_load(lo->map_fds[i],
						     prog->maps[i]);
		if (IS_ERR(linux_prog)) {
			kring_prog_log(log, log_size,
				       "map fd %d: Linux refused the program that writes its stacks for bpf_get_stackid: error %ld\n",
				       lo->map_fds[i], PTR_ERR(linux_prog));
			return PTR_ERR(linux_prog);
		}
		prog->stackid_progs[i] = linux_prog;
	}
	return 0;
}

/*
 * Each ring or map load becomes the object's address (JIT'd too); a stack
 * map's, its bpf_get_stackid program's.
 */
static void kring_rewrite_map_loads(struct kring_prog *prog,
				    const struct kring_load_objs *lo)
{
	u32 i, n = 0;

	for (i = 0; i + 1 < prog->insn_cnt; i++) {
		struct bpf_insn *insn = &prog->insns[i];
		u64 addr;

		if (insn->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (insn->src_reg == BPF_PSEUDO_MAP_FD) {
			u8 idx = lo->load_idx[n++];
			u8 i = idx & KRING_LOAD_INDEX;

			if ((idx & KRING_LOAD_MAP) && prog->stackid_progs[i])
				addr = (u64)(unsigned long)
					prog->stackid_progs[i];
			else if (idx & KRING_LOAD_MAP)
				addr = (u64)(unsigned long)lo->maps[i];
			else if (idx & KRING_LOAD_ARRAY)
				addr = (u64)(unsigned long)&lo->arrays[i]->view;
			else
				addr = (u64)(unsigned long)lo->rings[i];
		} else if (insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
			/* The verifier checked: a single-entry ARRAY. */
			struct bpf_map *map =
				lo->maps[lo->load_idx[n++] & KRING_LOAD_INDEX];

			map->ops->map_direct_value_addr(map, &addr,
							insn[1].imm);
			addr += (u32)insn[1].imm;
		} else {
			i++;
			continue;
		}
		insn->src_reg = 0;
		insn[0].imm = (u32)addr;
		insn[1].imm = (u32)(addr >> 32);
		i++;	/* the second half */
	}
}

/*
 * No path reaches the instructions left unmarked in @reached: each becomes
 * "ja -1", as Linux's verifier makes dead code, so that neither runtime
 * sees what is there (a CO-RE loader's poisoned call of a helper that does
 * not exist, say, which the JIT could not compile). After the map loads'
 * rewrite, which counts every load, dead or not.
 */
static void kring_trap_dead_code(struct kring_prog *prog, const bool *reached)
{
	const struct bpf_insn trap = { .code = BPF_JMP | BPF_JA, .off = -1 };
	u32 i;

	for (i = 0; i < prog->insn_cnt; i++)
		if (!reached[i])
			prog->insns[i] = trap;
}

/*
 * Each load the verifier typed through a kernel struct pointer becomes
 * faulting-safe (KBPF_PROBE_MEM): the pointer may be NULL or stale.
 */
static void kring_mark_probe_loads(struct kring_prog *prog,
				   const bool *btf_load)
{
	u32 i;

	for (i = 0; i < prog->insn_cnt; i++)
		if (btf_load[i])
			prog->insns[i].code = BPF_LDX | KBPF_PROBE_MEM |
					      BPF_SIZE(prog->insns[i].code);
}

/*
 * JITs the program unless kring.jit=0 or the load asks for the interpreter;
 * a program the kernel's JIT does not take stays interpreted. Either way,
 * one line of the load log says which runtime runs it.
 */
static void kring_prog_select_runtime(struct kring_prog *prog,
				      const struct kring_prog_load *load,
				      const struct kbpf_verify_attr *attr,
				      char *log, u32 log_size)
{
	const char *why = NULL;
	struct kring_jit *jit;

	if (load->flags & KRING_PROG_F_INTERPRETER) {
		why = "KRING_PROG_F_INTERPRETER";
	} else if (!kring_jit_enabled) {
		why = "kring.jit=0";
	} else {
		jit = kring_jit_compile(prog->insns, prog->insn_cnt,
					attr->func_stack_depth,
					!(attr->flags & KBPF_F_BYPASS_SPEC_V4), &why);
		if (!IS_ERR(jit))
			prog->jit = jit;
	}
	if (!prog->jit) {
		kring_prog_log(log, log_size, "runtime: interpreter (%s)\n", why);
		return;
	}
	/* An oops in the program points here: see docs/programs.md, JIT. */
	kring_prog_log(log, log_size,
		       "runtime: jit, %u bytes in %u function%s, image 0x%lx\n",
		       prog->jit->len, prog->jit->nr_funcs,
		       prog->jit->nr_funcs == 1 ? "" : "s",
		       ns_capable_noaudit(&init_user_ns, CAP_SYSLOG) ?
		       kring_jit_addr(prog->jit) : 0UL);
}

/*
 * Whether the chosen runtime can run the program, as Linux checks once it
 * knows whether a program is JIT'd: kring's interpreter takes tail calls
 * from the main function only, and each prog array the program tail-calls
 * through must hold programs of its context and runtime (a JIT'd tail call
 * jumps into JIT'd images, with the context they expect). -EINVAL
 * otherwise, said in the log.
 */
static int kring_prog_check_runtime(struct kring_prog *prog,
				    const struct kbpf_verify_stats *stats,
				    char *log, u32 log_size)
{
	u32 i;

	if (!prog->jit && stats->tail_calls_in_callees) {
		kring_prog_log(log, log_size,
			       "tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls: here a called function tail-calls, which needs the JIT\n");
		return -EINVAL;
	}
	for (i = 0; i < prog->nr_arrays; i++) {
		if (kring_prog_array_admits(prog->arrays[i], prog))
			continue;
		kring_prog_log(log, log_size,
			       "a prog array holds programs of another attach type, runtime or target than this %s one\n",
			       prog->jit ? "JIT'd" : "interpreted");
		return -EINVAL;
	}
	return 0;
}

/*
 * The load's func-info: @cnt records at @uptr, each of
 * KRING_FUNC_INFO_V1_SIZE bytes from a loader built before arg_mem_size
 * (@v1; the sizes then stay 0), else whole structs.
 */
static struct kring_func_info *func_info_from_user(u64 uptr, u32 cnt, bool v1)
{
	size_t rec = v1 ? KRING_FUNC_INFO_V1_SIZE :
			  sizeof(struct kring_func_info);
	struct kring_func_info *fi;
	u32 i;

	BUILD_BUG_ON(KRING_FUNC_INFO_V1_SIZE !=
		     offsetof(struct kring_func_info, arg_mem_size));
	fi = kcalloc(cnt, sizeof(*fi), GFP_KERNEL);
	if (!fi)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < cnt; i++) {
		if (copy_from_user(&fi[i], u64_to_user_ptr(uptr) + i * rec,
				   rec)) {
			kfree(fi);
			return ERR_PTR(-EFAULT);
		}
	}
	return fi;
}

long kring_prog_load(const void __user *uarg, u32 size)
{
	struct kbpf_tp_btf tp_btf;
	struct kring_load_objs *lo;
	struct kbpf_verify_attr attr = {};
	struct kring_func_info *fi = NULL;
	struct kbpf_verify_stats stats = {};
	struct kring_prog_load load;
	struct kring_prog *prog;
	u32 *func_depth = NULL;
	bool *reached = NULL, *btf_load = NULL;
	char *log = NULL;
	long ret;
	u32 i;

	if (!bpf_capable())
		return -EPERM;
	/* The fields a loader built before attach_target knows; the rest 0. */
	memset(&load, 0, sizeof(load));
	if (copy_from_user(&load, uarg, min_t(u32, size, sizeof(load))))
		return -EFAULT;
	if ((load.attach_target != 0) != kbpf_attach_typed(load.attach_type))
		return -EINVAL;
	/*
	 * As Linux loads its tracing programs: a typed program reads kernel
	 * structs, and a test run would read them wherever its context points.
	 */
	if (kbpf_attach_typed(load.attach_type) && !perfmon_capable())
		return -EPERM;
	if ((load.flags & ~(KRING_PROG_F_TEST_STATE_FREQ |
			    KRING_PROG_F_INTERPRETER)) ||
	    load.log_level > 2 || !kring_ctx_size(load.attach_type))
		return -EINVAL;
	if (!load.insn_cnt || load.insn_cnt > KBPF_MAX_INSNS ||
	    load.func_info_cnt > KBPF_MAX_FUNCS)
		return -E2BIG;
	if ((load.log_level && (!load.log_buf || load.log_size < 128)) ||
	    load.log_size > KRING_LOG_MAX)
		return -EINVAL;

	prog = kzalloc(sizeof(*prog), GFP_KERNEL);
	lo = kvzalloc(struct_size(lo, load_idx, load.insn_cnt / 2 + 1),
		      GFP_KERNEL);
	func_depth = kcalloc(KBPF_MAX_FUNCS, sizeof(*func_depth), GFP_KERNEL);
	reached = kvcalloc(load.insn_cnt, sizeof(*reached), GFP_KERNEL);
	btf_load = kvcalloc(load.insn_cnt, sizeof(*btf_load), GFP_KERNEL);
	if (prog)
		prog->stats = alloc_percpu(struct kring_prog_cpu_stats);
	if (!prog || !lo || !func_depth || !reached || !btf_load ||
	    !prog->stats) {
		ret = -ENOMEM;
		goto out;
	}
	refcount_set(&prog->refs, 1);
	ret = kring_prog_name_from_user(load.name, prog->name);
	if (ret)
		goto out;
	prog->attach_type = load.attach_type;
	prog->ctx_size = kring_ctx_size(load.attach_type);
	prog->insn_cnt = load.insn_cnt;
	prog->insns = vmemdup_user(u64_to_user_ptr(load.insns),
				   array_size(load.insn_cnt,
					      sizeof(struct bpf_insn)));
	if (IS_ERR(prog->insns)) {
		ret = PTR_ERR(prog->insns);
		prog->insns = NULL;
		goto out;
	}
	if (load.func_info_cnt) {
		fi = func_info_from_user(load.func_info, load.func_info_cnt,
					 size < sizeof(load));
		if (IS_ERR(fi)) {
			ret = PTR_ERR(fi);
			fi = NULL;
			goto out;
		}
	}
	if (load.log_buf && load.log_size) {
		log = kvzalloc(load.log_size, GFP_KERNEL);
		if (!log) {
			ret = -ENOMEM;
			goto out;
		}
	}

	attr.insns = prog->insns;
	attr.insn_cnt = load.insn_cnt;
	attr.func_info = fi;
	attr.func_info_cnt = load.func_info_cnt;
	attr.ctx.size = prog->ctx_size;
	attr.ctx.writable = false;
	attr.ctx.attach_type = load.attach_type;
	attr.map_lookup = kring_load_lookup;
	attr.map_priv = lo;
	attr.flags = KBPF_F_BPF_CAPABLE;
	if (perfmon_capable())
		attr.flags |= KBPF_F_ALLOW_PTR_LEAKS | KBPF_F_BYPASS_SPEC_V1 |
			      KBPF_F_BYPASS_SPEC_V4;
	if (load.flags & KRING_PROG_F_TEST_STATE_FREQ)
		attr.flags |= KBPF_F_TEST_STATE_FREQ;
	attr.log_level = load.log_level;
	attr.log_buf = log;
	attr.log_size = log ? load.log_size : 0;

	attr.func_stack_depth = func_depth;
	attr.insn_reached = reached;
	attr.insn_btf_load = btf_load;

	ret = kring_prog_prepare_btf(prog, &load, &attr, &tp_btf, log,
				     log ? load.log_size : 0);
	if (!ret)
		ret = kbpf_verify(&attr, &stats);
	/* The rings and maps now belong to the program, even if it goes. */
	prog->rings = kcalloc(max(lo->nr_rings, 1U), sizeof(*prog->rings),
			      GFP_KERNEL);
	prog->maps = kcalloc(max(lo->nr_maps, 1U), sizeof(*prog->maps),
			     GFP_KERNEL);
	prog->stackid_progs = kcalloc(max(lo->nr_maps, 1U),
				      sizeof(*prog->stackid_progs), GFP_KERNEL);
	prog->arrays = kcalloc(max(lo->nr_arrays, 1U), sizeof(*prog->arrays),
			       GFP_KERNEL);
	if (!prog->rings || !prog->maps || !prog->stackid_progs ||
	    !prog->arrays) {
		for (i = 0; i < lo->nr_rings; i++)
			kring_ring_put(lo->rings[i]);
		for (i = 0; i < lo->nr_maps; i++)
			bpf_map_put(lo->maps[i]);
		for (i = 0; i < lo->nr_arrays; i++)
			kring_prog_array_put(lo->arrays[i]);
		ret = ret ? ret : -ENOMEM;
	} else {
		memcpy(prog->rings, lo->rings,
		       lo->nr_rings * sizeof(*prog->rings));
		prog->nr_rings = lo->nr_rings;
		memcpy(prog->maps, lo->maps, lo->nr_maps * sizeof(*prog->maps));
		prog->nr_maps = lo->nr_maps;
		memcpy(prog->arrays, lo->arrays,
		       lo->nr_arrays * sizeof(*prog->arrays));
		prog->nr_arrays = lo->nr_arrays;
	}
	if (!ret)
		ret = kring_load_stackid_progs(prog, lo, log,
					       log ? load.log_size : 0);
	if (!ret) {
		kring_rewrite_map_loads(prog, lo);
		kring_trap_dead_code(prog, reached);
		kring_mark_probe_loads(prog, btf_load);
		kring_prog_select_runtime(prog, &load, &attr, log,
					  log ? load.log_size : 0);
		ret = kring_prog_check_runtime(prog, &stats, log,
					       log ? load.log_size : 0);
	}
	if (log && copy_to_user(u64_to_user_ptr(load.log_buf), log,
				strnlen(log, load.log_size - 1) + 1))
		ret = ret ? ret : -EFAULT;
	if (ret)
		goto out;
	prog->stack_depth = stats.stack_depth;
	kring_helpers_prog_loaded(prog->insns, prog->insn_cnt);
	/* Last: a lister may read the program as soon as it has an id. */
	ret = kring_id_alloc(KRING_KIND_PROG, prog, &prog->id);
	if (ret)
		goto out;
	ret = anon_inode_getfd("kring-prog", &kring_prog_fops, prog,
			       O_RDWR | O_CLOEXEC);
	if (ret >= 0)
		prog = NULL;	/* the fd owns it */
out:
	if (prog)
		kring_prog_free(prog);
	kvfree(log);
	kfree(fi);
	kvfree(lo);
	kfree(func_depth);
	kvfree(reached);
	kvfree(btf_load);
	return ret;
}

int kring_prog_init(void)
{
	kring_run_cpus = alloc_percpu(struct kring_run_cpu);
	kring_prog_free_wq = alloc_workqueue("kring_prog_free", 0, 0);
	if (kring_run_cpus && kring_prog_free_wq)
		return 0;
	kring_prog_exit();
	return -ENOMEM;
}

void kring_prog_exit(void)
{
	/* Programs waiting for their grace period: queued, then freed. */
	rcu_barrier();
	if (kring_prog_free_wq)
		destroy_workqueue(kring_prog_free_wq);
	free_percpu(kring_run_cpus);
}
