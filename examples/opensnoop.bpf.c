// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop, written as for Linux: a kprobe and a kretprobe on
 * do_sys_openat2 with bpf_tracing.h's BPF_KPROBE and BPF_KRETPROBE (the
 * arguments and the result from struct pt_regs), the file name read from
 * the caller's memory with bpf_probe_read_user_str, and the call's start
 * kept in a hash map per thread until it returns. Run it with
 * kringctl run opensnoop.bpf.o (CAP_BPF and CAP_PERFMON).
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "exec-snoop.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} opens SEC(".maps") KRING_RECORD_TYPE(opensnoop_event);
KRING_RECORD_BTF(opensnoop_event);

/* The opens in progress, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct opensnoop_event);
} starts SEC(".maps");

/* 0: every process; else only this one (kringctl run --set target_pid=N). */
const volatile __u32 target_pid;

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(open_entry, int dfd, const char *filename)
{
	struct opensnoop_event e = {};
	__u64 id = bpf_get_current_pid_tgid();

	e.pid = id >> 32;
	e.tid = (__u32)id;
	if (target_pid && e.pid != target_pid)
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.dfd = dfd;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.filename, sizeof(e.filename), filename);
	bpf_map_update_elem(&starts, &e.tid, &e, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(open_return, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct opensnoop_event *e = bpf_map_lookup_elem(&starts, &tid);

	if (!e)
		return 0;
	e->ret = ret;
	bpf_ringbuf_output(&opens, e, sizeof(*e), 0);
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
