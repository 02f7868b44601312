// SPDX-License-Identifier: GPL-2.0
/*
 * Programs in C, compiled with clang -target bpf and libbpf's helper
 * definitions, exactly as for Linux; tests/bpf_progs verifies and runs them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The context the tests give these programs. */
struct test_ctx {
	__u32 a;
	__u32 b;
	__u8 bytes[32];
};

struct event {
	__u32 a;
	__u32 b;
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("kring/reserve_submit")
int reserve_submit(struct test_ctx *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 1;
	e->a = ctx->a;
	e->b = ctx->b;
	e->sum = (__u64)ctx->a + ctx->b;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kring/output_stack")
int output_stack(struct test_ctx *ctx)
{
	struct event e = { .a = ctx->b, .b = ctx->a, .sum = 7 };

	return bpf_ringbuf_output(&events, &e, sizeof(e), 0);
}

SEC("kring/loop_sum")
int loop_sum(struct test_ctx *ctx)
{
	struct event e = {};
	int i;

#pragma nounroll
	for (i = 0; i < 32; i++)
		e.sum += ctx->bytes[i];
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return (int)e.sum;
}

static __attribute__((noinline)) __u32 twice(__u32 x)
{
	return x * 2;
}

__attribute__((noinline)) int add_ten(int x)
{
	return x + 10;
}

SEC("kring/calls")
int calls(struct test_ctx *ctx)
{
	return add_ten((int)twice(ctx->a));
}

/* Returns nothing: its exit leaves r0 unset, which only a read would mind. */
static __attribute__((noinline)) void fill(struct event *e, __u32 a, __u32 b)
{
	e->a = a;
	e->b = b;
	e->sum = (__u64)a * b;
}

SEC("kring/void_call")
int void_call(struct test_ctx *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 1;
	fill(e, ctx->a, ctx->b);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * A global function given memory: verified once, for any struct event of 16
 * bytes or NULL, as Linux types a pointer argument by its struct's size.
 */
__attribute__((noinline)) int fill_global(struct event *e, __u32 a, __u32 b)
{
	if (!e)
		return -1;
	e->a = a;
	e->b = b;
	e->sum = (__u64)a + b + 100;
	return 0;
}

SEC("kring/global_ptr")
int global_ptr(struct test_ctx *ctx)
{
	struct event e = {};
	struct event *r;

	if (fill_global(&e, ctx->a, ctx->b))	/* the stack */
		return 1;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return 2;
	fill_global(r, e.b, (__u32)e.sum);	/* a ring record */
	bpf_ringbuf_submit(r, 0);
	return 10 + fill_global(0, 1, 2);	/* NULL: -1 */
}

char LICENSE[] SEC("license") = "GPL";
