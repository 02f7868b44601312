// SPDX-License-Identifier: GPL-2.0
/*
 * Trace events by name (tests/vm/trace_event_test.cpp): programs as a Linux
 * user writes them for BPF_PROG_TYPE_TRACEPOINT, each reading its event's
 * record through vmlinux.h's struct for it, which CO-RE relocates to the
 * running kernel's layout: the -rt kernels of 6.1 have a longer struct
 * trace_entry, so every field after it moves.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct close_event {
	__s32 common_pid;
	__s32 syscall_nr;
	__s64 fd;
	__u16 common_type;
	__u16 pad[3];
};

struct exec_event {
	__s32 pid;
	__s32 old_pid;
	__u32 filename_len;	/* the __data_loc's length, NUL included */
	__s32 copied;		/* bpf_probe_read_kernel_str's result */
	char filename[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} closes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} execs SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_close")
int on_close(struct syscall_trace_enter *ctx)
{
	struct close_event e = {
		.common_pid = ctx->ent.pid,
		.syscall_nr = ctx->nr,
		/* close(2)'s fd is an unsigned int: the low 32 bits */
		.fd = (__s32)ctx->args[0],
		.common_type = ctx->ent.type,
	};

	/* Only the test's closes of negative fds. */
	if (e.fd >= 0)
		return 0;
	bpf_ringbuf_output(&closes, &e, sizeof(e), 0);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct exec_event e = {
		.pid = ctx->pid,
		.old_pid = ctx->old_pid,
		.filename_len = ctx->__data_loc_filename >> 16,
	};
	__u32 offset = ctx->__data_loc_filename & 0xFFFF;

	e.copied = bpf_probe_read_kernel_str(e.filename, sizeof(e.filename),
					     (void *)ctx + offset);
	bpf_ringbuf_output(&execs, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
