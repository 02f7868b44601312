// SPDX-License-Identifier: GPL-2.0
/*
 * A user function's entry and return, as bashreadline and gethostlatency
 * probe theirs: the uprobe writes the calling process and its first two
 * arguments, the uretprobe the result; each the instruction pointer too.
 * The function is given at attach (bare SEC("uprobe"), as the tools do).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* x86-64's struct pt_regs, by the offsets of the registers read here. */
#define PT_REGS_AX (10 * 8)
#define PT_REGS_SI (13 * 8)
#define PT_REGS_DI (14 * 8)
#define PT_REGS_IP (16 * 8)

struct uprobe_event {
	__u32 tgid;
	__u32 at_return;
	__u64 arg0;
	__u64 arg1;
	__u64 result;
	__u64 ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

static __always_inline __u64 reg(void *ctx, int offset)
{
	return *(__u64 *)(ctx + offset);
}

static __always_inline int report(void *ctx, __u32 at_return)
{
	struct uprobe_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	e->at_return = at_return;
	e->arg0 = at_return ? 0 : reg(ctx, PT_REGS_DI);
	e->arg1 = at_return ? 0 : reg(ctx, PT_REGS_SI);
	e->result = at_return ? reg(ctx, PT_REGS_AX) : 0;
	e->ip = reg(ctx, PT_REGS_IP);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("uprobe")
int function_entry(void *ctx)
{
	return report(ctx, 0);
}

SEC("uretprobe")
int function_return(void *ctx)
{
	return report(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
