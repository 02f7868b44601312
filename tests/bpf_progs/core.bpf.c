// SPDX-License-Identifier: GPL-2.0
/*
 * Programs with CO-RE relocations against a struct no kernel has: the
 * loader cannot resolve them, so it makes each such instruction an invalid
 * helper call, as libbpf does. The verifier refuses read_gid and sizes,
 * which reach theirs, naming the relocation; guarded_gid reads the field
 * only where bpf_core_field_exists() says the kernel has it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* A context as a program built against another kernel's headers sees it. */
struct task_view {
	__u32 pid;
	__u32 tgid;
	char comm[16];
	struct {
		__u32 uid;
		__u32 gid;
	} cred;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int read_gid(struct task_view *ctx)
{
	__u32 gid = ctx->cred.gid;

	bpf_ringbuf_output(&events, &gid, sizeof(gid), 0);
	return 0;
}

enum probe_kind { PROBE_A, PROBE_B };

SEC("tracepoint/sched/sched_process_exit")
int sizes(struct task_view *ctx)
{
	return bpf_core_type_size(struct task_view) +
	       bpf_core_enum_value(enum probe_kind, PROBE_B);
}

SEC("tracepoint/sched/sched_process_fork")
int guarded_gid(struct task_view *ctx)
{
	if (bpf_core_field_exists(ctx->cred.gid))
		return ctx->cred.gid;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
