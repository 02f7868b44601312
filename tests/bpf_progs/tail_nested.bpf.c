// SPDX-License-Identifier: GPL-2.0
/*
 * A tail call in a called function: the module's JIT takes it (the
 * target's result goes back to the caller); kring-run's interpreter, like
 * Linux's, refuses it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

static __attribute__((noinline)) int tail_from_callee(void *ctx)
{
	bpf_tail_call(ctx, &jump, 0);
	return 5;
}

SEC("kring/nested")
int nested(void *ctx)
{
	return tail_from_callee(ctx) + 1000;
}

char LICENSE[] SEC("license") = "GPL";
