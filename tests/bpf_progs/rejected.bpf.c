// SPDX-License-Identifier: GPL-2.0
/* A program the verifier must reject: one path leaks its reservation. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("kring/leak")
int leak(__u32 *ctx)
{
	__u32 *slot = bpf_ringbuf_reserve(&events, sizeof(*slot), 0);

	if (!slot)
		return 0;
	*slot = *ctx;
	if (*ctx > 5)
		return 1;	/* forgot bpf_ringbuf_submit(slot, 0) */
	bpf_ringbuf_submit(slot, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
