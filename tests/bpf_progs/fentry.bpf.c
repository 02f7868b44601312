// SPDX-License-Identifier: GPL-2.0
/*
 * fentry and fexit (tests/vm/fentry_test.cpp), as a Linux user writes them
 * against vmlinux.h with BPF_PROG: close()'s syscall function, whose
 * argument is a struct pt_regs followed with a plain load, and
 * __sys_socket(int family, int type, int protocol), whose int arguments
 * and result arrive cut to 32 bits; each program reports the target
 * process's calls.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

enum call_kind {
	CLOSE_ENTRY,
	CLOSE_EXIT,
	SOCKET_ENTRY,
	SOCKET_EXIT,
};

struct call_event {
	__u32 kind;
	__s32 ret;		/* at exit: the result */
	__s64 args[3];		/* close: the fd; socket: its arguments */
	__u64 raw[3];		/* the context's slots, unconverted */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} calls SEC(".maps");

const volatile __u32 target_tgid;

static struct call_event *reserve(enum call_kind kind)
{
	struct call_event *e;

	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return NULL;
	e = bpf_ringbuf_reserve(&calls, sizeof(*e), 0);
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	return e;
}

SEC("fentry/__x64_sys_close")
int BPF_PROG(close_entry, const struct pt_regs *regs)
{
	struct call_event *e = reserve(CLOSE_ENTRY);

	if (!e)
		return 0;
	e->args[0] = (int)regs->di;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fexit/__x64_sys_close")
int BPF_PROG(close_exit, const struct pt_regs *regs, long ret)
{
	struct call_event *e = reserve(CLOSE_EXIT);

	if (!e)
		return 0;
	e->args[0] = (int)regs->di;
	e->ret = ret;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/__sys_socket")
int BPF_PROG(socket_entry, int family, int type, int protocol)
{
	struct call_event *e = reserve(SOCKET_ENTRY);

	if (!e)
		return 0;
	e->args[0] = family;
	e->args[1] = type;
	e->args[2] = protocol;
	e->raw[2] = ctx[2];
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fexit/__sys_socket")
int BPF_PROG(socket_exit, int family, int type, int protocol, int ret)
{
	struct call_event *e = reserve(SOCKET_EXIT);

	if (!e)
		return 0;
	e->args[0] = family;
	e->ret = ret;
	e->raw[0] = ctx[3];
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
