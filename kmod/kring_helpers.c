// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers, as Linux's BPF helpers of the same numbers behave. The verifier
 * has checked every argument's kind (kbpf/helpers.c): ring arguments are
 * rings, maps are Linux's maps of the types kring takes, records are
 * reserved records, memory is in bounds. What it cannot know (flags values)
 * is checked here, or by the map's own operations, as Linux does at run
 * time. Programs run under rcu_read_lock() (kring_prog_run), which the
 * maps' operations need, as Linux's helpers do.
 */
#include <linux/bpf.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/smp.h>
#include <linux/sock_diag.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/trace_events.h>
#include <linux/workqueue.h>
#include <linux/kring.h>
#include <asm/unwind.h>

#include "bpf/printk.h"
#include "kring.h"
#include "kring_helpers.h"
#include "kring_prog.h"
#include "kring_ring.h"
#include "kring_stackid.h"

#define CREATE_TRACE_POINTS
#include "kring_trace.h"

/*
 * Each helper as a function of five u64 registers: JIT'd programs call it
 * directly (an address relative to __bpf_call_base), the interpreter
 * through kring_call_helper.
 */
#define KRING_HELPER(name) \
	static u64 kring_helper_##name(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)

KRING_HELPER(map_lookup_elem)
{
	struct bpf_map *map = (struct bpf_map *)(unsigned long)r1;

	return (u64)(unsigned long)map->ops->map_lookup_elem(map,
							     (void *)(unsigned long)r2);
}

KRING_HELPER(map_update_elem)
{
	struct bpf_map *map = (struct bpf_map *)(unsigned long)r1;

	return (u64)(s64)map->ops->map_update_elem(map,
						   (void *)(unsigned long)r2,
						   (void *)(unsigned long)r3,
						   r4);
}

KRING_HELPER(map_delete_elem)
{
	struct bpf_map *map = (struct bpf_map *)(unsigned long)r1;

	return (u64)(s64)map->ops->map_delete_elem(map,
						   (void *)(unsigned long)r2);
}

/*
 * Whether the current task is in slot @r2's cgroup or below it: 1 or 0;
 * -E2BIG past the array, -EAGAIN for an empty slot, as Linux's. The array
 * is Linux's BPF_MAP_TYPE_CGROUP_ARRAY (struct bpf_array is public), whose
 * slots userspace fills with cgroup directory fds; a slot's cgroup lives
 * until a grace period after it leaves, and programs run under RCU.
 */
KRING_HELPER(current_task_under_cgroup)
{
	struct bpf_array *array = container_of((struct bpf_map *)
					       (unsigned long)r1,
					       struct bpf_array, map);
	u32 index = r2;
	struct cgroup *cgrp;

	if (index >= array->map.max_entries)
		return (u64)-E2BIG;
	cgrp = READ_ONCE(array->ptrs[index]);
	if (!cgrp)
		return (u64)-EAGAIN;
	return task_under_cgroup_hierarchy(current, cgrp);
}

/*
 * @r5 bytes at @r4 as a sample of the perf event in slot @r3 of the
 * PERF_EVENT_ARRAY @r2 (BPF_F_CURRENT_CPU: this CPU's slot): Linux's
 * bpf_event_output(), the mechanism behind its own helper, which checks the
 * slot (-E2BIG past the array, -ENOENT empty, -EINVAL not a BPF output
 * event, -EOPNOTSUPP another CPU's event) and writes the sample with the
 * perf core. Userspace opens the events and mmap()s their buffers, as
 * libbpf's perf_buffer does. Flags outside the index are refused first, as
 * Linux's helper does for tracing programs (@r1, the context, is not
 * needed: the sample has no registers).
 */
KRING_HELPER(perf_event_output)
{
	if (r3 & ~BPF_F_INDEX_MASK)
		return (u64)-EINVAL;
	return bpf_event_output((struct bpf_map *)(unsigned long)r2, r3,
				(void *)(unsigned long)r4, r5, NULL, 0, NULL);
}

/*
 * A stack walk's output: the return addresses bpf_get_stack copies,
 * innermost first, after @skip frames are dropped, up to @max_depth frames
 * (the dropped ones counted).
 */
struct kring_stack_walk {
	u64 *ips;
	u32 skip;
	u32 max_depth;
	u32 depth;
};

/* Takes one frame's address: false once the walk is as deep as it goes. */
static bool kring_stack_store(struct kring_stack_walk *walk, u64 ip)
{
	if (walk->depth >= walk->max_depth)
		return false;
	if (walk->depth >= walk->skip)
		walk->ips[walk->depth - walk->skip] = ip;
	walk->depth++;
	return true;
}

/*
 * The kernel stack, through the exported unwinder (ORC on Debian's
 * kernels), as Linux's perf callchains walk it (perf_callchain_kernel):
 * from registers an exception saved (a kprobe's), their address and then
 * their callers; from registers the perf core filled in for a trace event
 * (no EFLAGS), the frames above their stack pointer; with none, the frames
 * above kring_prog_run's. Registers of user mode (a syscall trace event's)
 * have no kernel stack, as in Linux.
 */
static void kring_kernel_stack(struct kring_stack_walk *walk,
			       struct pt_regs *regs, unsigned long *frame)
{
	struct unwind_state state;
	unsigned long addr;

	if (regs && user_mode(regs))
		return;
	if (!regs) {
		unwind_start(&state, current, NULL, frame);
	} else if (regs->flags & X86_EFLAGS_FIXED) {
		if (!kring_stack_store(walk, instruction_pointer(regs)))
			return;
		unwind_start(&state, current, regs, NULL);
	} else {
		unwind_start(&state, current, NULL,
			     (unsigned long *)kernel_stack_pointer(regs));
	}
	for (; !unwind_done(&state); unwind_next_frame(&state)) {
		addr = unwind_get_return_address(&state);
		if (!addr || !kring_stack_store(walk, addr))
			return;
	}
}

/*
 * The user stack of the current task, as Linux's perf callchains walk it on
 * x86: the user instruction pointer, then the return addresses the frame
 * pointer chain leads to, each pair read with the nofault copy, until one
 * read fails. A task without a user address space has none; a 32-bit
 * task's walk stops at its instruction pointer (its frames are 4-byte).
 */
static void kring_user_stack(struct kring_stack_walk *walk,
			     struct pt_regs *regs)
{
	unsigned long fp, frame[2];	/* the caller's fp, the return address */

	if (!regs || !user_mode(regs)) {
		if (!current->mm || (current->flags & PF_KTHREAD))
			return;
		regs = task_pt_regs(current);
	}
	if (!kring_stack_store(walk, instruction_pointer(regs)) ||
	    !user_64bit_mode(regs))
		return;
	for (fp = regs->bp; ; fp = frame[0]) {
		if (copy_from_user_nofault(frame, (const void __user *)fp,
					   sizeof(frame)))
			return;
		if (!kring_stack_store(walk, frame[1]))
			return;
	}
}

#define KRING_STACK_FLAGS \
	(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)

/*
 * The @n addresses at the start of @buf as Linux's build id entries, each
 * BPF_STACK_BUILD_ID_IP: the entry Linux writes where it cannot read the
 * mapping's build id, as here always (its build id parser is not
 * exported). From the last down, as entry i ends past address i.
 */
static void kring_stack_build_ids(void *buf, u32 n)
{
	struct bpf_stack_build_id *ids = buf;
	u64 ip;

	while (n--) {
		ip = ((u64 *)buf)[n];
		memset(&ids[n], 0, sizeof(ids[n]));
		ids[n].status = BPF_STACK_BUILD_ID_IP;
		ids[n].ip = ip;
	}
}

/*
 * bpf_get_stack(ctx, buf, size, flags): the run's kernel stack, or its
 * user stack with BPF_F_USER_STACK, into @r2 innermost first, as u64
 * addresses or with BPF_F_USER_BUILD_ID as struct bpf_stack_build_id
 * entries, the first (flags & BPF_F_SKIP_FIELD_MASK) frames dropped, at
 * most PERF_MAX_STACK_DEPTH frames walked (Linux's default
 * kernel.perf_event_max_stack); the rest of the buffer zeroed. Returns the
 * bytes written; -EINVAL for unknown flags, a kernel stack of build ids,
 * or a size that is no whole number of entries; -EFAULT when the stack is
 * shallower than the frames to drop, as Linux's. On an error the buffer is
 * zeroed. The walks start from the registers the probe gave the run
 * (kring_prog_run_regs), never from the context, which a test run fills
 * with anything.
 */
KRING_HELPER(get_stack)
{
	void *buf = (void *)(unsigned long)r2;
	u32 size = r3, skip = r4 & BPF_F_SKIP_FIELD_MASK, entry_size, n;
	bool user = r4 & BPF_F_USER_STACK;
	bool build_ids = r4 & BPF_F_USER_BUILD_ID;
	struct kring_stack_walk walk = { .ips = buf, .skip = skip };
	unsigned long *frame;
	struct pt_regs *regs = kring_prog_run_regs(&frame);
	long err = -EINVAL;

	entry_size = build_ids ? sizeof(struct bpf_stack_build_id) : sizeof(u64);
	if ((r4 & ~KRING_STACK_FLAGS) || (build_ids && !user) ||
	    size % entry_size)
		goto clear;
	walk.max_depth = min_t(u32, size / entry_size + skip,
			       PERF_MAX_STACK_DEPTH);
	if (user)
		kring_user_stack(&walk, regs);
	else
		kring_kernel_stack(&walk, regs, frame);
	if (walk.depth < skip) {
		err = -EFAULT;
		goto clear;
	}
	n = walk.depth - skip;
	if (build_ids)
		kring_stack_build_ids(buf, n);
	memset((u8 *)buf + n * entry_size, 0, size - n * entry_size);
	return n * entry_size;
clear:
	memset(buf, 0, size);
	return (u64)err;
}

/*
 * bpf_get_stackid(ctx, map, flags): Linux's own helper, through the map's
 * Linux program (@r2, which the map's load became), from the registers the
 * probe gave the run, as bpf_get_stack's walks (kring_stackid.c).
 */
KRING_HELPER(get_stackid)
{
	return kring_stackid_run((struct bpf_prog *)(unsigned long)r2, r3);
}

/*
 * The probe reads, as Linux's: the kernel's nofault copies, which fail
 * with -EFAULT instead of faulting; on a failure the destination is zeroed,
 * so that a program never reads what it did not get.
 */
static long kring_probe_read(void *dst, u32 size, unsigned long src, bool user)
{
	long err = user ? copy_from_user_nofault(dst, (const void __user *)src,
						 size) :
			  copy_from_kernel_nofault(dst, (const void *)src, size);

	if (err)
		memset(dst, 0, size);
	return err;
}

/*
 * A NUL-terminated string of at most @size bytes (the NUL included, a
 * longer one cut): its length with the NUL, or the copy's error (-EFAULT,
 * or -ERANGE for an address the kernel read refuses) with @dst zeroed.
 * Byte by byte through the exported nofault copies (Linux's
 * strncpy_from_*_nofault are not exported to modules).
 */
static long kring_probe_read_str(char *dst, u32 size, unsigned long src,
				 bool user)
{
	long err;
	u32 i;

	for (i = 0; i < size; i++) {
		err = kring_probe_read(&dst[i], 1, src + i, user);
		if (err) {
			memset(dst, 0, size);
			return err;
		}
		if (!dst[i])
			return i + 1;
	}
	if (size)
		dst[size - 1] = '\0';
	return size;
}

/* The legacy probe reads: user memory below TASK_SIZE_MAX, as Linux's on x86. */
static bool kring_user_address(unsigned long addr)
{
	return addr < TASK_SIZE_MAX;
}

KRING_HELPER(probe_read)
{
	return (u64)kring_probe_read((void *)(unsigned long)r1, r2, r3,
				     kring_user_address(r3));
}

KRING_HELPER(probe_read_str)
{
	return (u64)kring_probe_read_str((char *)(unsigned long)r1, r2, r3,
					 kring_user_address(r3));
}

KRING_HELPER(probe_read_user)
{
	return (u64)kring_probe_read((void *)(unsigned long)r1, r2, r3, true);
}

KRING_HELPER(probe_read_kernel)
{
	return (u64)kring_probe_read((void *)(unsigned long)r1, r2, r3, false);
}

KRING_HELPER(probe_read_user_str)
{
	return (u64)kring_probe_read_str((char *)(unsigned long)r1, r2, r3,
					 true);
}

KRING_HELPER(probe_read_kernel_str)
{
	return (u64)kring_probe_read_str((char *)(unsigned long)r1, r2, r3,
					 false);
}

KRING_HELPER(get_current_task)
{
	return (u64)(unsigned long)current;
}

KRING_HELPER(probe_load)
{
	u64 value = 0;

	/* Little-endian: a narrower value fills the low bytes. */
	if (r2 > sizeof(value) ||
	    copy_from_kernel_nofault(&value, (const void *)(unsigned long)r1,
				     r2))
		return 0;
	return value;
}

KRING_HELPER(get_current_uid_gid)
{
	kuid_t uid;
	kgid_t gid;

	current_uid_gid(&uid, &gid);
	return (u64)from_kgid(&init_user_ns, gid) << 32 |
	       from_kuid(&init_user_ns, uid);
}

/*
 * Linux's helper: the socket's cookie, made on first use, or 0 for NULL.
 * Its sock_gen_cookie() is inline; sock_diag_save_cookie(), exported, calls
 * it. The verifier passes only a socket the kernel keeps valid for the run,
 * but a test run's arguments are its caller's bytes: 0 there, as for NULL
 * (Linux has no test run of tp_btf programs, and runs fentry ones on its
 * own test functions).
 */
KRING_HELPER(get_socket_cookie)
{
	struct sock *sk = (struct sock *)(unsigned long)r1;
	u32 cookie[2];

	if (!sk || kring_prog_run_is_test())
		return 0;
	sock_diag_save_cookie(sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}

/*
 * The cookie the run's link was attached with, as Linux's helper reads its
 * run context's; the verifier offers it only where links have one.
 */
KRING_HELPER(get_attach_cookie)
{
	return kring_prog_run_link()->cookie;
}

/*
 * The probed function's address, as Linux's helper gives kprobe, uprobe
 * and trampoline programs; the verifier offers it only to those.
 */
KRING_HELPER(get_func_ip)
{
	return kring_prog_run_link()->func_ip;
}

KRING_HELPER(ktime_get_ns)
{
	return ktime_get_mono_fast_ns();
}

KRING_HELPER(get_smp_processor_id)
{
	return raw_smp_processor_id();
}

KRING_HELPER(ktime_get_boot_ns)
{
	return ktime_get_boot_fast_ns();
}

KRING_HELPER(jiffies64)
{
	return get_jiffies_64();
}

KRING_HELPER(get_numa_node_id)
{
	return numa_node_id();
}

/*
 * Linux's generator for programs: a per-CPU prandom state, seeded once,
 * never the entropy pool, whose locks a program in NMI context could find
 * held.
 */
static DEFINE_PER_CPU(struct rnd_state, kring_rnd_state);

void kring_helpers_init(void)
{
	prandom_seed_full_state(&kring_rnd_state);
}

KRING_HELPER(get_prandom_u32)
{
	struct rnd_state *state = &get_cpu_var(kring_rnd_state);
	u32 value = prandom_u32_state(state);

	put_cpu_var(kring_rnd_state);
	return value;
}

/* The id of the current task's cgroup on the unified hierarchy (v2). */
KRING_HELPER(get_current_cgroup_id)
{
	u64 id;

	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	return id;
}

static long kring_printk_read_str(char *dst, u32 size, u64 addr, char space)
{
	bool user = space == 'u' ||
		    (space == 's' && kring_user_address(addr));

	return kring_probe_read_str(dst, size, addr, user);
}

static int kring_printk_read_kernel(void *dst, u32 size, u64 addr)
{
	return copy_from_kernel_nofault(dst, (const void *)(unsigned long)addr,
					size);
}

/* The kernel's pointer formats: %p hashed, %pK by kptr_restrict, symbols. */
static int kring_printk_format_ptr(char *dst, size_t size, const char *spec,
				   u64 value)
{
	return snprintf(dst, size, spec, (void *)(unsigned long)value);
}

static const struct kbpf_printk_host kring_printk_host = {
	.read_str = kring_printk_read_str,
	.read_kernel = kring_printk_read_kernel,
	.format_ptr = kring_printk_format_ptr,
};

/*
 * bpf_trace_printk and bpf_trace_vprintk: the text formatted in the run's
 * per-CPU buffer (runs do not nest on a CPU), then the trace event.
 */
static u64 kring_printk(const char *fmt, u32 fmt_size, const u64 *args,
			u32 nargs)
{
	struct kbpf_printk_buf *buf = kring_prog_printk_buf();
	int len = kbpf_printk_format(buf, fmt, fmt_size, args, nargs,
				     &kring_printk_host);

	if (len >= 0)
		trace_bpf_trace_printk(buf->out);
	return (u64)(s64)len;
}

KRING_HELPER(trace_printk)
{
	u64 args[KBPF_TRACE_PRINTK_ARGS] = { r3, r4, r5 };

	return kring_printk((const char *)(unsigned long)r1, r2, args,
			    KBPF_TRACE_PRINTK_ARGS);
}

KRING_HELPER(trace_vprintk)
{
	if (r4 % sizeof(u64) || r4 > KBPF_TRACE_VPRINTK_ARGS * sizeof(u64) ||
	    (r4 && !r3))
		return (u64)-EINVAL;
	return kring_printk((const char *)(unsigned long)r1, r2,
			    (const u64 *)(unsigned long)r3, r4 / sizeof(u64));
}

/*
 * Loading a program that prints enables the event, as Linux enables its
 * own at such a load: the user who loads it means to see its lines. From a
 * work item, as Linux does, because the event mutex may be held by whoever
 * waits for this load.
 */
static void kring_printk_enable_event(struct work_struct *work)
{
	if (trace_set_clr_event("kring", "bpf_trace_printk", 1))
		pr_warn_ratelimited("kring: could not enable the kring:bpf_trace_printk event\n");
}

static DECLARE_WORK(kring_printk_work, kring_printk_enable_event);

void kring_helpers_prog_loaded(const struct bpf_insn *insns, u32 insn_cnt)
{
	u32 i;

	for (i = 0; i < insn_cnt; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) &&
		    !insns[i].src_reg &&
		    (insns[i].imm == BPF_FUNC_trace_printk ||
		     insns[i].imm == BPF_FUNC_trace_vprintk)) {
			schedule_work(&kring_printk_work);
			return;
		}
}

void kring_helpers_exit(void)
{
	flush_work(&kring_printk_work);
}

KRING_HELPER(get_current_pid_tgid)
{
	return (u64)current->tgid << 32 | current->pid;
}

KRING_HELPER(get_current_comm)
{
	u32 size = r2;

	if (!size)
		return (u64)-EINVAL;
	/* A task may rename itself meanwhile: a torn name, never an overrun. */
	strscpy_pad((char *)(unsigned long)r1, current->comm, size);
	return 0;
}

/*
 * The ring helpers produce through the run's batch (kring_prog_batch()): a
 * program's records after its first three come from blocks, and the batch
 * decides on the wakeup once per block and when the run ends.
 */
KRING_HELPER(ringbuf_output)
{
	if (r4 & ~(u64)KRING_WAKEUP_FLAGS)
		return (u64)-EINVAL;
	return (u64)(s64)kring_batch_output(kring_prog_batch(),
					    (struct kring_ring *)(unsigned long)r1,
					    (const void *)(unsigned long)r2,
					    r3, r4);
}

KRING_HELPER(ringbuf_reserve)
{
	if (r3)
		return 0;	/* unknown flags: no record, as Linux */
	return (u64)(unsigned long)__kring_batch_reserve(kring_prog_batch(),
							 (struct kring_ring *)
							 (unsigned long)r1, r2);
}

KRING_HELPER(ringbuf_submit)
{
	kring_batch_commit(kring_prog_batch(), (void *)(unsigned long)r1, false,
			   r2 & KRING_WAKEUP_FLAGS);
	return 0;
}

KRING_HELPER(ringbuf_discard)
{
	kring_batch_commit(kring_prog_batch(), (void *)(unsigned long)r1, true,
			   r2 & KRING_WAKEUP_FLAGS);
	return 0;
}

KRING_HELPER(ringbuf_query)
{
	return kring_batch_query(kring_prog_batch(),
				 (struct kring_ring *)(unsigned long)r1, r2);
}

kring_helper_fn kring_helper_addr(s32 helper_id)
{
	switch (helper_id) {
	case BPF_FUNC_probe_read:
		return kring_helper_probe_read;
	case BPF_FUNC_probe_read_str:
		return kring_helper_probe_read_str;
	case BPF_FUNC_probe_read_user:
		return kring_helper_probe_read_user;
	case BPF_FUNC_probe_read_kernel:
		return kring_helper_probe_read_kernel;
	case BPF_FUNC_probe_read_user_str:
		return kring_helper_probe_read_user_str;
	case BPF_FUNC_probe_read_kernel_str:
		return kring_helper_probe_read_kernel_str;
	case BPF_FUNC_get_current_task:
	case BPF_FUNC_get_current_task_btf:	/* the verifier types it */
		return kring_helper_get_current_task;
	case BPF_FUNC_current_task_under_cgroup:
		return kring_helper_current_task_under_cgroup;
	case BPF_FUNC_perf_event_output:
		return kring_helper_perf_event_output;
	case BPF_FUNC_get_stack:
		return kring_helper_get_stack;
	case BPF_FUNC_get_stackid:
		return kring_helper_get_stackid;
	case BPF_FUNC_trace_printk:
		return kring_helper_trace_printk;
	case BPF_FUNC_trace_vprintk:
		return kring_helper_trace_vprintk;
	case KRING_HELPER_PROBE_LOAD:
		return kring_helper_probe_load;
	case BPF_FUNC_get_current_uid_gid:
		return kring_helper_get_current_uid_gid;
	case BPF_FUNC_get_socket_cookie:
		return kring_helper_get_socket_cookie;
	case BPF_FUNC_get_attach_cookie:
		return kring_helper_get_attach_cookie;
	case BPF_FUNC_get_func_ip:
		return kring_helper_get_func_ip;
	case BPF_FUNC_map_lookup_elem:
		return kring_helper_map_lookup_elem;
	case BPF_FUNC_map_update_elem:
		return kring_helper_map_update_elem;
	case BPF_FUNC_map_delete_elem:
		return kring_helper_map_delete_elem;
	case BPF_FUNC_ktime_get_ns:
		return kring_helper_ktime_get_ns;
	case BPF_FUNC_get_smp_processor_id:
		return kring_helper_get_smp_processor_id;
	case BPF_FUNC_ktime_get_boot_ns:
		return kring_helper_ktime_get_boot_ns;
	case BPF_FUNC_jiffies64:
		return kring_helper_jiffies64;
	case BPF_FUNC_get_numa_node_id:
		return kring_helper_get_numa_node_id;
	case BPF_FUNC_get_prandom_u32:
		return kring_helper_get_prandom_u32;
	case BPF_FUNC_get_current_cgroup_id:
		return kring_helper_get_current_cgroup_id;
	case BPF_FUNC_get_current_pid_tgid:
		return kring_helper_get_current_pid_tgid;
	case BPF_FUNC_get_current_comm:
		return kring_helper_get_current_comm;
	case BPF_FUNC_ringbuf_output:
		return kring_helper_ringbuf_output;
	case BPF_FUNC_ringbuf_reserve:
		return kring_helper_ringbuf_reserve;
	case BPF_FUNC_ringbuf_submit:
		return kring_helper_ringbuf_submit;
	case BPF_FUNC_ringbuf_discard:
		return kring_helper_ringbuf_discard;
	case BPF_FUNC_ringbuf_query:
		return kring_helper_ringbuf_query;
	default:
		return NULL;
	}
}

u64 kring_call_helper(void *priv, s32 helper_id, const u64 args[5])
{
	/* Direct calls: the switch is the interpreter's hot path. */
#define KRING_CALL(name) \
	kring_helper_##name(args[0], args[1], args[2], args[3], args[4])
	switch (helper_id) {
	case BPF_FUNC_probe_read:
		return KRING_CALL(probe_read);
	case BPF_FUNC_probe_read_str:
		return KRING_CALL(probe_read_str);
	case BPF_FUNC_probe_read_user:
		return KRING_CALL(probe_read_user);
	case BPF_FUNC_probe_read_kernel:
		return KRING_CALL(probe_read_kernel);
	case BPF_FUNC_probe_read_user_str:
		return KRING_CALL(probe_read_user_str);
	case BPF_FUNC_probe_read_kernel_str:
		return KRING_CALL(probe_read_kernel_str);
	case BPF_FUNC_get_current_task:
	case BPF_FUNC_get_current_task_btf:
		return KRING_CALL(get_current_task);
	case BPF_FUNC_current_task_under_cgroup:
		return KRING_CALL(current_task_under_cgroup);
	case BPF_FUNC_perf_event_output:
		return KRING_CALL(perf_event_output);
	case BPF_FUNC_get_stack:
		return KRING_CALL(get_stack);
	case BPF_FUNC_get_stackid:
		return KRING_CALL(get_stackid);
	case BPF_FUNC_trace_printk:
		return KRING_CALL(trace_printk);
	case BPF_FUNC_trace_vprintk:
		return KRING_CALL(trace_vprintk);
	case BPF_FUNC_get_current_uid_gid:
		return KRING_CALL(get_current_uid_gid);
	case BPF_FUNC_get_socket_cookie:
		return KRING_CALL(get_socket_cookie);
	case BPF_FUNC_get_attach_cookie:
		return KRING_CALL(get_attach_cookie);
	case BPF_FUNC_get_func_ip:
		return KRING_CALL(get_func_ip);
	case BPF_FUNC_map_lookup_elem:
		return KRING_CALL(map_lookup_elem);
	case BPF_FUNC_map_update_elem:
		return KRING_CALL(map_update_elem);
	case BPF_FUNC_map_delete_elem:
		return KRING_CALL(map_delete_elem);
	case BPF_FUNC_tail_call:
		return kring_prog_tail_call(args[0], args[1], args[2], args[3],
					    args[4]);
	case BPF_FUNC_ktime_get_ns:
		return KRING_CALL(ktime_get_ns);
	case BPF_FUNC_get_smp_processor_id:
		return KRING_CALL(get_smp_processor_id);
	case BPF_FUNC_ktime_get_boot_ns:
		return KRING_CALL(ktime_get_boot_ns);
	case BPF_FUNC_jiffies64:
		return KRING_CALL(jiffies64);
	case BPF_FUNC_get_numa_node_id:
		return KRING_CALL(get_numa_node_id);
	case BPF_FUNC_get_prandom_u32:
		return KRING_CALL(get_prandom_u32);
	case BPF_FUNC_get_current_cgroup_id:
		return KRING_CALL(get_current_cgroup_id);
	case BPF_FUNC_get_current_pid_tgid:
		return KRING_CALL(get_current_pid_tgid);
	case BPF_FUNC_get_current_comm:
		return KRING_CALL(get_current_comm);
	case BPF_FUNC_ringbuf_output:
		return KRING_CALL(ringbuf_output);
	case BPF_FUNC_ringbuf_reserve:
		return KRING_CALL(ringbuf_reserve);
	case BPF_FUNC_ringbuf_submit:
		return KRING_CALL(ringbuf_submit);
	case BPF_FUNC_ringbuf_discard:
		return KRING_CALL(ringbuf_discard);
	case BPF_FUNC_ringbuf_query:
		return KRING_CALL(ringbuf_query);
	default:
		/* The verifier admits no other helper. */
		WARN_ON_ONCE(1);
		return (u64)-EINVAL;
	}
#undef KRING_CALL
}
