// SPDX-License-Identifier: GPL-2.0
/*
 * A program unrelated to the examples whose records happen to be as long
 * as syscount's (24 bytes): kringctl must print them as hex, since its ring
 * declares no record type.
 */
#include <linux/bpf.h>
#include <linux/kring.h>
#include <bpf/bpf_helpers.h>

struct sample {
	__u64 arg0;
	__u64 arg1;
	__u64 arg2;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} samples SEC(".maps");

SEC("kring/sys_enter")
int on_sys_enter(struct kring_ctx_sys_enter *ctx)
{
	struct sample s = {
		.arg0 = ctx->args[0],
		.arg1 = ctx->args[1],
		.arg2 = ctx->args[2],
	};

	bpf_ringbuf_output(&samples, &s, sizeof(s), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
