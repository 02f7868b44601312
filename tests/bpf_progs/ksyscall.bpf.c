// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall probes as libbpf users write them (tests/vm/ksyscall_test.cpp):
 * SEC("ksyscall/tgkill") with bpf_tracing.h's BPF_KSYSCALL, which reads the
 * syscall's arguments through the pt_regs the wrapper gets, choosing by the
 * __kconfig extern LINUX_HAS_SYSCALL_WRAPPER, and SEC("kretsyscall/tgkill")
 * for the result, and a bare SEC("kprobe") whose function is named at
 * attach. Each reports the calls of one process (its tgid in .rodata, set
 * by the loader); the first with the kernel's version and CONFIG_HZ.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;

const volatile int target_tgid;

struct tgkill_event {
	int tgid;
	int tid;
	int sig;
	unsigned int version;
	int hz;
	int wrapper;
};

struct tgkill_result {
	long ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} bare SEC(".maps");

static bool from_target(void)
{
	return bpf_get_current_pid_tgid() >> 32 == target_tgid;
}

SEC("ksyscall/tgkill")
int BPF_KSYSCALL(tgkill_entry, int tgid, int tid, int sig)
{
	struct tgkill_event *e;

	if (!from_target())
		return 0;
	e = bpf_ringbuf_reserve(&calls, sizeof(*e), 0);
	if (!e)
		return 0;
	e->tgid = tgid;
	e->tid = tid;
	e->sig = sig;
	e->version = LINUX_KERNEL_VERSION;
	e->hz = CONFIG_HZ;
	e->wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kretsyscall/tgkill")
int BPF_KRETPROBE(tgkill_exit, long ret)
{
	struct tgkill_result r = { .ret = ret };

	if (from_target())
		bpf_ringbuf_output(&results, &r, sizeof(r), 0);
	return 0;
}

/* libbpf's bare SEC("kprobe"): the function is named at attach. */
SEC("kprobe")
int BPF_KPROBE(bare_probe)
{
	int tgid = target_tgid;

	if (from_target())
		bpf_ringbuf_output(&bare, &tgid, sizeof(tgid), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
