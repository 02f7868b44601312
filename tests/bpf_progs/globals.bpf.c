// SPDX-License-Identifier: GPL-2.0
/*
 * Global data and maps as libbpf users write them: configuration in .rodata
 * (const volatile, set by the loader), counters in .data and .bss, a
 * constant table that clang puts in .rodata, a hash map of counts, and a
 * ring whose size is left to the loader (--max-entries big=N).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct test_ctx {
	__u32 a;
	__u32 b;
	__u8 bytes[32];
};

struct report {
	__u32 a;
	__u32 weight;
	__u64 scaled;
};

const volatile __u32 threshold = 10;
const volatile __u64 scale = 1;
const volatile __u32 loops;

__u64 runs = 100;
__u64 over;
__u64 last_sum;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
} big SEC(".maps");

SEC("kring/count")
int count(struct test_ctx *ctx)
{
	static const __u32 weights[4] = { 3, 5, 7, 11 };
	__u32 key = ctx->a;
	__u64 one = 1, *n;
	struct report *r;

	__sync_fetch_and_add(&runs, 1);
	if (ctx->a > threshold)
		__sync_fetch_and_add(&over, 1);
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	r = bpf_ringbuf_reserve(&big, sizeof(*r), 0);
	if (!r)
		return 1;
	r->a = ctx->a;
	r->weight = weights[ctx->b & 3];
	r->scaled = ctx->a * scale;
	last_sum = r->scaled + r->weight;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* Bounded only because the verifier knows the frozen .rodata's loops. */
SEC("kring/loop")
int loop(void *ctx)
{
	__u64 sum = 0;

	for (__u32 i = 0; i < loops; i++)
		sum += i;
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
