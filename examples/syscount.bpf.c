// SPDX-License-Identifier: GPL-2.0
/*
 * syscount: one event per system call entry (number, pid); kringctl counts
 * them per syscall. Run it with: kringctl run syscount.bpf.o --count-syscalls
 *
 * The context is the trace event raw_syscalls/sys_enter's record, read
 * through vmlinux.h's struct for it: CO-RE moves the id to where the
 * running kernel has it (after a longer struct trace_entry on 6.1-rt).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "exec-snoop.h"

/* Its records are struct syscount_event: kringctl decodes them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} syscalls SEC(".maps") KRING_RECORD_TYPE(syscount_event);
KRING_RECORD_BTF(syscount_event);

SEC("tracepoint/raw_syscalls/sys_enter")
int on_sys_enter(struct trace_event_raw_sys_enter *ctx)
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
