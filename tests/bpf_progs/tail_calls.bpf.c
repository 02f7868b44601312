// SPDX-License-Identifier: GPL-2.0
/*
 * Tail calls as libbpf users write them: one program counts events per
 * process in a HASH map, and every `every`-th event of a process it
 * tail-calls another, through a prog array the object initialises
 * (__array(values, ...)), which emits the process's total to a ring. A
 * third tail-calls itself, for the limit of 33 tail calls per run.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct total {
	__u32 pid;
	__u32 hops;	/* tail calls before the total was emitted */
	__u64 count;
};

const volatile __u32 target_pid;
const volatile __u32 every = 4;

__u32 hops;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} totals SEC(".maps");

int emit_total(void *ctx);
int hop(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
	__array(values, int (void *));
} jump SEC(".maps") = {
	.values = {
		[1] = (void *)&emit_total,
		[2] = (void *)&hop,
	},
};

static __u32 current_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

SEC("kring/sys_enter")
int count(void *ctx)
{
	__u32 pid = current_pid();
	__u64 one = 1, *n;

	if (target_pid && pid != target_pid)
		return 0;
	n = bpf_map_lookup_elem(&counts, &pid);
	if (!n) {
		bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
		return 0;
	}
	if (__sync_add_and_fetch(n, 1) % every)
		return 0;
	hops = 0;
	bpf_tail_call(ctx, &jump, 1);
	return 2;	/* the slot was empty */
}

SEC("kring/sys_enter")
int emit_total(void *ctx)
{
	__u32 pid = current_pid();
	struct total t = { .pid = pid, .hops = hops };
	__u64 *n = bpf_map_lookup_elem(&counts, &pid);

	if (!n)
		return 3;
	t.count = *n;
	bpf_ringbuf_output(&totals, &t, sizeof(t), 0);
	return 1;
}

/* Tail-calls itself until the limit stops it, then emits. */
SEC("kring/sys_enter")
int hop(void *ctx)
{
	__u32 key = 2;

	hops++;
	bpf_tail_call(ctx, &jump, key);
	bpf_tail_call(ctx, &jump, 1);	/* fails too: past the limit */
	return 100 + hops;
}

char LICENSE[] SEC("license") = "GPL";
