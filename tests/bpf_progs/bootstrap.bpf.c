// SPDX-License-Identifier: GPL-2.0
/*
 * A process life-cycle tracer in the style of libbpf-bootstrap's
 * bootstrap.bpf.c, ring buffer variant, as a BPF user writes one against
 * vmlinux.h: an exec notes its time in a HASH map and reports the process
 * with its parent (a CO-RE read of task->real_parent->tgid) and its file
 * name (the event's __data_loc string); a process's exit reports its exit
 * code and, when its exec was seen, how long it ran since.
 * tests/vm/bootstrap_test.cpp loads this object into kring and, unchanged,
 * into Linux with libbpf, and compares what the two report.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define COMM_LEN 16
#define FILENAME_LEN 128

/* Keep in step with tests/vm/bootstrap_test.cpp. */
struct lifecycle_event {
	__u32 pid;
	__u32 ppid;
	__u32 exit_code;	/* exit: the status's code byte */
	__u32 is_exit;
	__u64 duration_ns;	/* exit: since the exec, 0 if none was seen */
	char comm[COMM_LEN];
	char filename[FILENAME_LEN];	/* exec */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} exec_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Report only exits of processes that ran at least this long after exec. */
const volatile __u64 min_duration_ns = 0;

static __always_inline __u32 parent_tgid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, real_parent, tgid);
}

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();
	struct lifecycle_event *e;
	__u32 name_at;

	bpf_map_update_elem(&exec_start, &pid, &now, BPF_ANY);
	if (min_duration_ns)
		return 0;	/* exits only */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->ppid = parent_tgid();
	e->exit_code = 0;
	e->is_exit = 0;
	e->duration_ns = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	name_at = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  (void *)ctx + name_at);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int on_exit(struct trace_event_raw_sched_process_template *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct task_struct *task;
	struct lifecycle_event *e;
	__u64 duration = 0, *start;

	/* The record's pid: the exiting thread's; a process's is its tgid. */
	if (ctx->pid != pid)
		return 0;	/* a thread, not the process */
	start = bpf_map_lookup_elem(&exec_start, &pid);
	if (start)
		duration = bpf_ktime_get_ns() - *start;
	else if (min_duration_ns)
		return 0;
	bpf_map_delete_elem(&exec_start, &pid);
	if (min_duration_ns && duration < min_duration_ns)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	e->pid = pid;
	e->ppid = parent_tgid();
	e->exit_code = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
	e->is_exit = 1;
	e->duration_ns = duration;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
