// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_get_attach_cookie from each kind of program whose links carry one
 * (tests/vm/attach_cookie_test.cpp): a kprobe, kretprobe, trace event,
 * fentry and fexit program on getpgid(2), a uprobe on a function of the
 * test, and a perf event program, each recording which it is and its
 * link's cookie for this process's hits, and those that probe a function
 * its address (bpf_get_func_ip). The raw tracepoint program has no cookie
 * to read: its links are refused one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 target_tgid;

enum cookie_source {
	FROM_KPROBE,
	FROM_KRETPROBE,
	FROM_TRACEPOINT,
	FROM_FENTRY,
	FROM_FEXIT,
	FROM_UPROBE,
	FROM_PERF_EVENT,
	FROM_RAW_TP,
};

struct cookie_event {
	__u32 source;		/* enum cookie_source */
	__u32 pad;
	__u64 cookie;
	__u64 func_ip;		/* 0 where the program cannot ask */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} cookies SEC(".maps");

static __noinline int record(__u32 source, __u64 cookie, __u64 func_ip)
{
	struct cookie_event *e;

	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&cookies, sizeof(*e), 0);
	if (!e)
		return 0;
	e->source = source;
	e->pad = 0;
	e->cookie = cookie;
	e->func_ip = func_ip;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kprobe/__x64_sys_getpgid")
int on_kprobe(struct pt_regs *ctx)
{
	return record(FROM_KPROBE, bpf_get_attach_cookie(ctx),
		      bpf_get_func_ip(ctx));
}

SEC("kretprobe/__x64_sys_getpgid")
int on_kretprobe(struct pt_regs *ctx)
{
	return record(FROM_KRETPROBE, bpf_get_attach_cookie(ctx),
		      bpf_get_func_ip(ctx));
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int on_tracepoint(void *ctx)
{
	return record(FROM_TRACEPOINT, bpf_get_attach_cookie(ctx), 0);
}

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(on_fentry, struct pt_regs *regs)
{
	record(FROM_FENTRY, bpf_get_attach_cookie(ctx), bpf_get_func_ip(ctx));
	return 0;
}

SEC("fexit/__x64_sys_getpgid")
int BPF_PROG(on_fexit, struct pt_regs *regs, long ret)
{
	record(FROM_FEXIT, bpf_get_attach_cookie(ctx), bpf_get_func_ip(ctx));
	return 0;
}

SEC("uprobe")
int on_uprobe(struct pt_regs *ctx)
{
	return record(FROM_UPROBE, bpf_get_attach_cookie(ctx),
		      bpf_get_func_ip(ctx));
}

SEC("perf_event")
int on_perf_event(struct bpf_perf_event_data *ctx)
{
	return record(FROM_PERF_EVENT, bpf_get_attach_cookie(ctx), 0);
}

SEC("raw_tp/sys_enter")
int on_raw_tp(void *ctx)
{
	return record(FROM_RAW_TP, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
