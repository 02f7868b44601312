// SPDX-License-Identifier: GPL-2.0
/*
 * exec-snoop: every fork, exec and exit, with pids, comm, file name and a
 * timestamp, into one ring. Run it with: kringctl run exec-snoop.bpf.o
 *
 * Written as for Linux against vmlinux.h: the trace events' own records
 * (sched/sched_process_fork, _exec, _exit, by name), the exec's file name
 * from its __data_loc field, and the parent's pid and the exit code read
 * from the task with CO-RE, which the loader relocates for the running
 * kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "exec-snoop.h"

/* Its records are struct exec_snoop_event: kringctl decodes them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps") KRING_RECORD_TYPE(exec_snoop_event);
KRING_RECORD_BTF(exec_snoop_event);

static __always_inline struct exec_snoop_event *new_event(__u32 kind)
{
	struct exec_snoop_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->cpu = bpf_get_smp_processor_id();
	e->exit_code = 0;
	e->pad = 0;
	return e;
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 parent_tgid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, real_parent, tgid);
}

/* Runs in the parent: the record has the child's pid and comm. */
SEC("tp/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct exec_snoop_event *e = new_event(EXEC_SNOOP_FORK);

	if (!e)
		return 0;
	e->pid = ctx->child_pid;
	e->ppid = current_tgid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct exec_snoop_event *e = new_event(EXEC_SNOOP_EXEC);
	__u32 name_at = ctx->__data_loc_filename & 0xFFFF;

	if (!e)
		return 0;
	e->pid = current_tgid();
	e->ppid = parent_tgid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				      (void *)ctx + name_at) < 0)
		e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int on_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_snoop_event *e;

	if (ctx->pid != current_tgid())
		return 0;	/* a thread, not the process */
	e = new_event(EXEC_SNOOP_EXIT);
	if (!e)
		return 0;
	e->pid = ctx->pid;
	e->ppid = parent_tgid();
	e->exit_code = BPF_CORE_READ(task, exit_code);	/* as wait(2) sees it */
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
