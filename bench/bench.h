/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the benchmark's BPF programs and its driver (kring-bench).
 * Each trigger (one getpgid() system call, or one test-run) runs a program
 * that produces BENCH_BATCH records, as Linux's bench_ringbufs does, so that
 * the rings, not the trigger, are what is measured.
 */
#ifndef KRING_BENCH_H
#define KRING_BENCH_H

#include <linux/types.h>

#define BENCH_BATCH		500
/* Sampled notification: FORCE_WAKEUP once this many records are waiting. */
#define BENCH_SAMPLE		500
/* The ring (and each CPU's perf buffer) holds this many bytes of records. */
#define BENCH_RING_SIZE		(4u << 20)
#define BENCH_KPROBE		"__x64_sys_getpgid"

/* Every record starts with the time of its commit (bpf_ktime_get_ns). */
struct bench_record {
	__u64 ts_ns;
};

#endif
