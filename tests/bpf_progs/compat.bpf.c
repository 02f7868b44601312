// SPDX-License-Identifier: GPL-2.0
/*
 * The way libbpf-tools fall back to a perf buffer on kernels without rings:
 * "events" is declared a PERF_EVENT_ARRAY and the program picks a ring or
 * the perf buffer by a CO-RE type test; the loader makes "events" a ring
 * (bpf_map__set_type(), kring's --map-type events=ringbuf) where the kernel
 * has struct bpf_ringbuf. The perf buffer's path is then dead code, which
 * the verifier skips (progs_test.cpp).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct compat_event {
	__u32 pid;
	__u32 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, int);
	__type(value, int);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct compat_event);
} heap SEC(".maps");

static void *reserve_buf(__u64 size)
{
	static const int zero;

	if (bpf_core_type_exists(struct bpf_ringbuf))
		return bpf_ringbuf_reserve(&events, size, 0);
	return bpf_map_lookup_elem(&heap, &zero);
}

static long submit_buf(void *ctx, void *buf, __u64 size)
{
	if (bpf_core_type_exists(struct bpf_ringbuf)) {
		bpf_ringbuf_submit(buf, 0);
		return 0;
	}
	return bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, buf, size);
}

SEC("kring/compat")
int compat(void *ctx)
{
	struct compat_event *e = reserve_buf(sizeof(*e));

	if (!e)
		return 1;
	e->pid = 7;
	e->value = 42;
	return submit_buf(ctx, e, sizeof(*e));
}

/*
 * libbpf-tools' --cgroup filter: a CGROUP_ARRAY whose slot 0 userspace
 * fills with the cgroup directory's fd; here the helper's answer itself.
 */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

const volatile bool filter_cg;

SEC("kring/cgroup_filter")
int cgroup_filter(void *ctx)
{
	if (!filter_cg)
		return 1;
	return bpf_current_task_under_cgroup(&cgroup_map, 0);
}

char LICENSE[] SEC("license") = "GPL";
