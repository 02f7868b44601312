// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_get_stack as opensnoop and biostacks call it: each getppid() of the
 * target process writes, from a kprobe, a syscall trace event and a raw
 * tracepoint, its kernel and user stacks to "events", its user stack as
 * build ids (the addresses, where no build id is read), and what two calls
 * the helper refuses return: a size that is no whole number of addresses,
 * and more frames skipped than the stack has. And bpf_get_stackid as
 * offcputime and profile call it: the ids of the kernel and user stacks in
 * their stack maps, and what it returns for an unknown flag.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define STACK_KPROBE 0
#define STACK_TRACEPOINT 1
#define STACK_RAW_TP 2

/* x86-64: getppid's number, and where struct pt_regs keeps orig_ax. */
#define NR_GETPPID 110
#define PT_REGS_ORIG_AX_OFFSET (15 * 8)

struct stack_event {
	__u32 source;
	__u32 pad;
	__s64 kernel_len;
	__s64 user_len;
	__s64 odd_size;
	__s64 skip_all;
	__s64 build_ids_len;
	__s64 kernel_id;
	__s64 user_id;
	__s64 bad_flags_id;
	__u64 kernel[16];
	__u64 user[4];
	struct bpf_stack_build_id build_ids[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} events SEC(".maps");

/*
 * A map each for kernel and user stacks, large enough that two different
 * stacks hardly ever share a bucket (the second would get -EEXIST): this
 * test writes two kernel stacks and one user stack.
 */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 16 * sizeof(__u64));
	__uint(max_entries, 8192);
} kernel_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 4 * sizeof(__u64));
	__uint(max_entries, 256);
} user_stacks SEC(".maps");

const volatile __u32 target_tgid;

static __always_inline int report(void *ctx, __u32 source)
{
	struct stack_event *e;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (target_tgid && tgid != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->source = source;
	e->pad = 0;
	e->kernel_len = bpf_get_stack(ctx, e->kernel, sizeof(e->kernel), 0);
	e->user_len = bpf_get_stack(ctx, e->user, sizeof(e->user),
				    BPF_F_USER_STACK);
	e->build_ids_len = bpf_get_stack(ctx, e->build_ids,
					 sizeof(e->build_ids),
					 BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	e->odd_size = bpf_get_stack(ctx, e->user, 12, BPF_F_USER_STACK);
	e->skip_all = bpf_get_stack(ctx, e->kernel, 8, BPF_F_SKIP_FIELD_MASK);
	/* The calls that failed zeroed what they were given: walk again. */
	bpf_get_stack(ctx, e->user, sizeof(e->user), BPF_F_USER_STACK);
	bpf_get_stack(ctx, e->kernel, sizeof(e->kernel), 0);
	e->kernel_id = bpf_get_stackid(ctx, &kernel_stacks, 0);
	e->user_id = bpf_get_stackid(ctx, &user_stacks, BPF_F_USER_STACK);
	e->bad_flags_id = bpf_get_stackid(ctx, &user_stacks, 1ULL << 32);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kprobe/__x64_sys_getppid")
int stack_kprobe(void *ctx)
{
	return report(ctx, STACK_KPROBE);
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int stack_tracepoint(void *ctx)
{
	return report(ctx, STACK_TRACEPOINT);
}

/* sys_exit(struct pt_regs *regs, long ret): getppid's only. */
SEC("raw_tp/sys_exit")
int stack_raw_tp(__u64 *ctx)
{
	long id = -1;

	bpf_probe_read_kernel(&id, sizeof(id),
			      (void *)(ctx[0] + PT_REGS_ORIG_AX_OFFSET));
	if (id != NR_GETPPID)
		return 0;
	return report(ctx, STACK_RAW_TP);
}

char LICENSE[] SEC("license") = "GPL";
