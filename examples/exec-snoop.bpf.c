// SPDX-License-Identifier: GPL-2.0
/*
 * exec-snoop: every fork, exec and exit, with pids, comm, file name and a
 * timestamp, into one ring. Run it with: kringctl run exec-snoop.bpf.o
 */
#include <linux/bpf.h>
#include <linux/kring.h>
#include <bpf/bpf_helpers.h>
#include "exec-snoop.h"

/* Its records are struct exec_snoop_event: kringctl decodes them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps") KRING_RECORD_TYPE(exec_snoop_event);
KRING_RECORD_BTF(exec_snoop_event);

static __always_inline struct exec_snoop_event *new_event(__u32 kind)
{
	struct exec_snoop_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->cpu = bpf_get_smp_processor_id();
	e->exit_code = 0;
	e->pad = 0;
	return e;
}

SEC("tracepoint/sched/sched_process_fork")
int on_fork(struct kring_ctx_fork *ctx)
{
	struct exec_snoop_event *e = new_event(EXEC_SNOOP_FORK);

	if (!e)
		return 0;
	e->pid = ctx->child_tgid;
	e->ppid = ctx->parent_tgid;
	__builtin_memcpy(e->comm, ctx->parent_comm, sizeof(e->comm));
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct kring_ctx_exec *ctx)
{
	struct exec_snoop_event *e = new_event(EXEC_SNOOP_EXEC);

	if (!e)
		return 0;
	e->pid = ctx->tgid;
	e->ppid = ctx->ppid;
	__builtin_memcpy(e->comm, ctx->comm, sizeof(e->comm));
	__builtin_memcpy(e->filename, ctx->filename, sizeof(e->filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int on_exit(struct kring_ctx_exit *ctx)
{
	struct exec_snoop_event *e;

	if (ctx->pid != ctx->tgid)
		return 0;	/* a thread, not the process */
	e = new_event(EXEC_SNOOP_EXIT);
	if (!e)
		return 0;
	e->pid = ctx->tgid;
	e->ppid = ctx->ppid;
	e->exit_code = ctx->exit_code;
	__builtin_memcpy(e->comm, ctx->comm, sizeof(e->comm));
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
