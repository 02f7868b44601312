// SPDX-License-Identifier: GPL-2.0
/*
 * A sampling profiler's program, as libbpf-tools' profile writes it: at
 * each cpu-clock overflow in the target process, the interrupted
 * instruction, whether it was in user mode, the sample's period, and the
 * ids of its kernel and user stacks in "stacks".
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/*
 * struct bpf_perf_event_data on x86-64, its registers by index (a BPF
 * target's <asm/ptrace.h> gives another architecture's struct pt_regs).
 */
#define PT_REGS_IP 16
#define PT_REGS_CS 17
struct perf_event_ctx {
	__u64 regs[21];
	__u64 sample_period;
	__u64 addr;
};

struct sample {
	__u32 tgid;
	__u32 user_mode;
	__u64 period;
	__u64 ip;
	__s64 kernel_id;
	__s64 user_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 65536);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
	__uint(max_entries, 4096);
} stacks SEC(".maps");

const volatile __u32 target_tgid;

SEC("perf_event")
int on_sample(struct perf_event_ctx *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sample *s;

	if (tgid != target_tgid)
		return 0;
	s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);
	if (!s)
		return 0;
	s->tgid = tgid;
	s->user_mode = (ctx->regs[PT_REGS_CS] & 3) == 3;
	s->period = ctx->sample_period;
	s->ip = ctx->regs[PT_REGS_IP];
	s->kernel_id = bpf_get_stackid(ctx, &stacks, 0);
	s->user_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	bpf_ringbuf_submit(s, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
