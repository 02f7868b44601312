// SPDX-License-Identifier: GPL-2.0
/*
 * A record type declared on a variable that is not a ring map (here the
 * variable KRING_RECORD_BTF declares): the loader refuses it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "../../examples/exec-snoop.h"

struct sample {
	__u64 a;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} samples SEC(".maps");
KRING_RECORD_BTF(sample) KRING_RECORD_TYPE(sample);

SEC("kring/output")
int output(__u64 *ctx)
{
	struct sample s = { .a = ctx[0], .b = ctx[1] };

	bpf_ringbuf_output(&samples, &s, sizeof(s), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
