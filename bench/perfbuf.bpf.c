// SPDX-License-Identifier: GPL-2.0
/*
 * The perf-buffer producers of the benchmark (Linux only: kring has no perf
 * event arrays). Same logic as bench.bpf.c: BENCH_BATCH records per trigger,
 * each starting with its commit time. bpf_perf_event_output copies from
 * memory the program owns, so the record is built in a per-CPU scratch
 * value (the stack is too small for 4096 bytes). Sampled notification is
 * the perf event's wakeup_events, set by the driver.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bench.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perfbuf SEC(".maps");

struct scratch {
	__u64 words[4096 / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline int output(void *ctx, __u32 size)
{
	__u32 zero = 0;
	struct scratch *buf = bpf_map_lookup_elem(&scratch, &zero);

	if (!buf)
		return 0;
	for (int i = 0; i < BENCH_BATCH; i++) {
		buf->words[0] = bpf_ktime_get_ns();
		bpf_perf_event_output(ctx, &perfbuf, BPF_F_CURRENT_CPU, buf, size);
	}
	return 0;
}

#define OUTPUT(SIZE)							\
SEC("kprobe/" BENCH_KPROBE)						\
int output_##SIZE(void *ctx)						\
{									\
	return output(ctx, SIZE);					\
}

OUTPUT(8)
OUTPUT(64)
OUTPUT(512)
OUTPUT(4096)

char LICENSE[] SEC("license") = "GPL";
