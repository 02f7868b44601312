// SPDX-License-Identifier: GPL-2.0
/*
 * Programs written against vmlinux.h (Debian's 6.1 kernel, made by
 * scripts/kernel-btf.sh) with CO-RE, as libbpf-bootstrap writes them: the
 * loader relocates them for the kernel whose BTF it is given, and
 * core_test.cpp checks every relocated value against that BTF. One program
 * per section, so a relocation's instruction is the program's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* task_struct as kernels before 5.14 had it: a "state" field. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* An enumerator no kernel has. */
enum pid_type___future { PIDTYPE_FUTURE = 9 };

struct parent_record {
	__u32 tgid;
	__u32 parent_tgid;
	__u64 total_vm;
	__u64 reset_on_fork;
};

/* Through two pointers, a member of an anonymous struct (mm_struct's), and
 * a bitfield. */
SEC("kprobe/core_parent")
int parent(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct parent_record r = {};

	r.tgid = BPF_CORE_READ(task, tgid);
	r.parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	r.total_vm = BPF_CORE_READ(task, mm, total_vm);
	r.reset_on_fork = BPF_CORE_READ_BITFIELD_PROBED(task, sched_reset_on_fork);
	bpf_ringbuf_output(&events, &r, sizeof(r), 0);
	return 0;
}

/* Values only: each relocation is an ALU immediate or LD_IMM64. (Debian
 * 12's clang 14 has no bpf_core_type_matches(): core_test.cpp tests that
 * kind on BTF it makes.) */
SEC("kprobe/core_values")
int values(void *ctx)
{
	__u64 *v = bpf_ringbuf_reserve(&events, 11 * sizeof(__u64), 0);
	struct task_struct *task = 0;

	if (!v)
		return 0;
	v[0] = bpf_core_type_size(struct task_struct);
	v[1] = bpf_core_type_exists(struct task_struct___old);
	v[2] = bpf_core_type_id_kernel(struct task_struct);
	v[3] = bpf_core_type_id_local(struct task_struct);
	v[4] = bpf_core_enum_value(enum pid_type, PIDTYPE_SID);
	v[5] = bpf_core_enum_value_exists(enum pid_type___future, PIDTYPE_FUTURE);
	v[6] = bpf_core_field_size(task->pid);
	v[7] = bpf_core_field_offset(task->pid);
	v[8] = bpf_core_field_exists(task->pid);
	v[9] = __builtin_preserve_field_info(task->pid, BPF_FIELD_SIGNED);
	v[10] = bpf_core_field_exists(((struct task_struct___old *)task)->state);
	bpf_ringbuf_submit(v, 0);
	return 0;
}

/* A field the target lacks, read only where bpf_core_field_exists() says it
 * has it: the loader poisons the read, which is dead code. */
SEC("kprobe/core_guarded")
int guarded(void *ctx)
{
	struct task_struct___old *old = (void *)bpf_get_current_task();

	if (bpf_core_field_exists(old->state))
		return BPF_CORE_READ(old, state);
	return BPF_CORE_READ((struct task_struct *)old, __state);
}

/* The same read unguarded: the verifier reaches the poisoned instruction. */
SEC("kprobe/core_unguarded")
int unguarded(void *ctx)
{
	struct task_struct___old *old = (void *)bpf_get_current_task();

	return BPF_CORE_READ(old, state);
}

char LICENSE[] SEC("license") = "GPL";
