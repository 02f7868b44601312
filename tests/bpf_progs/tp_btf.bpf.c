// SPDX-License-Identifier: GPL-2.0
/*
 * BTF-typed raw tracepoints (tests/vm/tp_btf_test.cpp): programs as a Linux
 * user writes them for tp_btf, against vmlinux.h: the tracepoint's
 * arguments typed, and kernel structs followed with plain loads
 * (p->real_parent->tgid), no bpf_probe_read_kernel(); the offsets are
 * CO-RE-relocated to the running kernel's layout.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct exec_event {
	__s32 pid;		/* p->pid */
	__s32 tgid;		/* p->tgid */
	__s32 ppid;		/* p->real_parent->tgid */
	__s32 old_pid;		/* the tracepoint's second argument */
	__s32 current_pid;	/* bpf_get_current_task_btf()->pid */
	__s32 copied;		/* bpf_probe_read_kernel_str's result */
	char comm[16];		/* p->comm, read byte by byte */
	char filename[64];	/* bprm->filename, a char * member */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} execs SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct task_struct *current = bpf_get_current_task_btf();
	struct exec_event *e;
	int i;

	e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = p->pid;
	e->tgid = p->tgid;
	e->ppid = p->real_parent->tgid;
	e->old_pid = old_pid;
	e->current_pid = current->pid;
	for (i = 0; i < sizeof(e->comm); i++)
		e->comm[i] = p->comm[i];
	e->copied = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
					      bprm->filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * Whatever its argument points to (the test runs it on NULL and on
 * addresses where nothing is mapped): each load of a field reads 0 where
 * there is no memory, as in Linux, instead of faulting.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(read_task, struct task_struct *p)
{
	return p->real_parent->pid + p->pid;
}

char LICENSE[] SEC("license") = "GPL";
