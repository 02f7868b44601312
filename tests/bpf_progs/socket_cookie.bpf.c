// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_get_socket_cookie from tracing programs (tests/vm/socket_cookie_test.cpp),
 * as tcppktlat calls it: this process's TCP sockets as they close, seen by
 * an fentry program on tcp_close and a tp_btf program on tcp_destroy_sock,
 * each passing its socket argument on to a function that records the
 * socket's cookie.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 target_tgid;

enum cookie_source { FROM_TCP_CLOSE, FROM_DESTROY_SOCK };

struct cookie_event {
	__u32 source;		/* enum cookie_source */
	__u32 pad;
	__u64 cookie;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} cookies SEC(".maps");

static __noinline int record_cookie(__u32 source, struct sock *sk)
{
	struct cookie_event *e;

	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&cookies, sizeof(*e), 0);
	if (!e)
		return 0;
	e->source = source;
	e->pad = 0;
	e->cookie = bpf_get_socket_cookie(sk);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/tcp_close")
int BPF_PROG(on_tcp_close, struct sock *sk, long timeout)
{
	record_cookie(FROM_TCP_CLOSE, sk);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(on_destroy_sock, struct sock *sk)
{
	return record_cookie(FROM_DESTROY_SOCK, sk);
}

char LICENSE[] SEC("license") = "GPL";
