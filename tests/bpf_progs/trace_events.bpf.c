// SPDX-License-Identifier: GPL-2.0
/*
 * Trace events by name (tests/vm/trace_event_test.cpp): programs as a Linux
 * user writes them for BPF_PROG_TYPE_TRACEPOINT, each reading its event's
 * record laid out as the event's tracefs format file gives it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* struct trace_entry: the common fields of every record. */
struct common_fields {
	__u16 type;
	__u8 flags;
	__u8 preempt_count;
	__s32 pid;
};

/* syscalls/sys_enter_close */
struct close_record {
	struct common_fields common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
};

/* sched/sched_process_exec: filename is a __data_loc string */
struct exec_record {
	struct common_fields common;
	__u32 data_loc_filename;	/* offset (low 16 bits), length */
	__s32 pid;
	__s32 old_pid;
};

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
int on_close(struct close_record *ctx)
{
	struct close_event e = {
		.common_pid = ctx->common.pid,
		.syscall_nr = ctx->syscall_nr,
		/* close(2)'s fd is an unsigned int: the low 32 bits */
		.fd = (__s32)ctx->fd,
		.common_type = ctx->common.type,
	};

	/* Only the test's closes of negative fds. */
	if (e.fd >= 0)
		return 0;
	bpf_ringbuf_output(&closes, &e, sizeof(e), 0);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int on_exec(struct exec_record *ctx)
{
	struct exec_event e = {
		.pid = ctx->pid,
		.old_pid = ctx->old_pid,
		.filename_len = ctx->data_loc_filename >> 16,
	};
	__u32 offset = ctx->data_loc_filename & 0xFFFF;

	e.copied = bpf_probe_read_kernel_str(e.filename, sizeof(e.filename),
					     (void *)ctx + offset);
	bpf_ringbuf_output(&execs, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
