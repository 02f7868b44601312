// SPDX-License-Identifier: GPL-2.0
/* An object the loader must refuse: a map type kring does not take. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(value_size, sizeof(__u64));
	__uint(max_entries, 16);
} pending SEC(".maps");

SEC("kring/nothing")
int nothing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
