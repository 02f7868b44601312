// SPDX-License-Identifier: GPL-2.0
/*
 * Raw tracepoints (tests/vm/raw_tp_test.cpp): programs as a Linux user
 * writes them for BPF_PROG_TYPE_RAW_TRACEPOINT, each reading the
 * tracepoint's arguments as u64 ctx[]: with bpf_tracing.h's BPF_PROG, and
 * by hand.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* The test's close(2) of this fd is the only one reported. */
#define MAGIC_FD -1234

/* x86-64's struct pt_regs: the first syscall argument is in rdi. */
#define PT_REGS_RDI_OFFSET 112

struct sys_enter_event {
	__s64 id;
	__s64 fd;		/* rdi, read through the pt_regs pointer */
	__s64 read_result;	/* bpf_probe_read_kernel's */
};

struct exec_event {
	__u64 old_pid;		/* ctx[1] as the program sees it, all 64 bits */
	__u32 task_nonzero;	/* ctx[0], a struct task_struct pointer */
	__u32 bprm_nonzero;	/* ctx[2], a struct linux_binprm pointer */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} sys_enters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} execs SEC(".maps");

SEC("raw_tp/sys_enter")
int BPF_PROG(on_sys_enter, void *regs, long id)
{
	struct sys_enter_event e = { .id = id };
	__u64 rdi = 0;

	e.read_result = bpf_probe_read_kernel(&rdi, sizeof(rdi),
					      (char *)regs + PT_REGS_RDI_OFFSET);
	e.fd = (int)rdi;
	if (e.fd != MAGIC_FD)
		return 0;
	bpf_ringbuf_output(&sys_enters, &e, sizeof(e), 0);
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int on_exec(__u64 *ctx)
{
	struct exec_event e = {
		.old_pid = ctx[1],
		.task_nonzero = ctx[0] != 0,
		.bprm_nonzero = ctx[2] != 0,
	};

	bpf_ringbuf_output(&execs, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
