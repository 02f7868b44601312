// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_perf_event_output as libbpf-tools without a ring call it: "events"
 * is a PERF_EVENT_ARRAY left at max_entries 0, which the loader sizes to
 * the possible CPUs as libbpf does, and without key and value sizes, which
 * it makes the u32s Linux takes; each getppid() of the target
 * process (any process while target_tgid is 0) writes a sample of its tgid
 * and a count to this CPU's slot.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct perf_sample {
	__u32 tgid;
	__u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
} events SEC(".maps");

const volatile __u32 target_tgid;
__u32 count;

SEC("kprobe/__x64_sys_getppid")
int perf_output(void *ctx)
{
	struct perf_sample s;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (target_tgid && tgid != target_tgid)
		return 0;
	s.tgid = target_tgid;
	s.count = ++count;
	return bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s,
				     sizeof(s));
}

char LICENSE[] SEC("license") = "GPL";
