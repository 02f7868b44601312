// SPDX-License-Identifier: GPL-2.0
/*
 * The ring-buffer producers of the benchmark: the same bytecode runs in the
 * kring module (kprobe attach, or test-run) and in Linux (libbpf, kprobe on
 * the same function). One program per record size, and a "_sampled" twin
 * that asks for a wakeup only once BENCH_SAMPLE records are waiting (the
 * adaptive notification of Linux's bench_ringbufs).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bench.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BENCH_RING_SIZE);
} ring SEC(".maps");

static __always_inline int produce(__u32 size, long wakeup_bytes)
{
	for (int i = 0; i < BENCH_BATCH; i++) {
		struct bench_record *rec = bpf_ringbuf_reserve(&ring, size, 0);
		long flags = 0;

		if (!rec)
			continue; /* a drop: the driver counts what it asked for */
		rec->ts_ns = bpf_ktime_get_ns();
		if (wakeup_bytes)
			flags = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		bpf_ringbuf_submit(rec, flags);
	}
	return 0;
}

/* A record of SIZE bytes takes SIZE + 8 (its header) rounded up to 8. */
#define PRODUCERS(SIZE)							\
SEC("kprobe/" BENCH_KPROBE)						\
int produce_##SIZE(void *ctx)						\
{									\
	return produce(SIZE, 0);					\
}									\
SEC("kprobe/" BENCH_KPROBE)						\
int produce_##SIZE##_sampled(void *ctx)					\
{									\
	return produce(SIZE, BENCH_SAMPLE * (SIZE + 8));		\
}

PRODUCERS(8)
PRODUCERS(64)
PRODUCERS(512)
PRODUCERS(4096)

char LICENSE[] SEC("license") = "GPL";
