// SPDX-License-Identifier: GPL-2.0
/*
 * syscount: one event per system call entry (number, pid); kringctl counts
 * them per syscall. Run it with: kringctl run syscount.bpf.o --count-syscalls
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "exec-snoop.h"

/* Its records are struct syscount_event: kringctl decodes them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} syscalls SEC(".maps") KRING_RECORD_TYPE(syscount_event);
KRING_RECORD_BTF(syscount_event);

/*
 * The record of the trace event raw_syscalls/sys_enter, as its format file
 * (/sys/kernel/tracing/events/raw_syscalls/sys_enter/format) lays it out,
 * and as vmlinux.h's struct trace_event_raw_sys_enter does.
 */
struct sys_enter_record {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	long id;
	unsigned long args[6];
};

SEC("tracepoint/raw_syscalls/sys_enter")
int on_sys_enter(struct sys_enter_record *ctx)
{
	struct syscount_event e;
	__u64 id = bpf_get_current_pid_tgid();

	e.ts_ns = bpf_ktime_get_ns();
	e.nr = ctx->id;
	e.pid = (__u32)id;
	e.tgid = id >> 32;
	bpf_ringbuf_output(&syscalls, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
