// SPDX-License-Identifier: GPL-2.0
/*
 * A stack map as libbpf-tools declare theirs (offcputime, profile): the key
 * size alone, the value size and the entries left to the loader, which sets
 * them as bpf_map__set_value_size() and bpf_map__set_max_entries() do.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
} stackmap SEC(".maps");

/* 1 when the stack was not stored (kring-run has none to store). */
SEC("kprobe/__x64_sys_getppid")
int kernel_stack(void *ctx)
{
	return bpf_get_stackid(ctx, &stackmap, 0) < 0;
}

char LICENSE[] SEC("license") = "GPL";
