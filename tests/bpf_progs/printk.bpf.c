// SPDX-License-Identifier: GPL-2.0
/* bpf_printk as libbpf's users write it: with three arguments or fewer it
 * calls bpf_trace_printk, with more bpf_trace_vprintk, each format a static
 * array in .rodata. tests/vm/printk_test.cpp runs it in the kernel, where
 * its lines reach trace_pipe; kring-run prints them. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile int target_tgid;

SEC("kprobe/__x64_sys_getppid")
int printk(void *ctx)
{
	int tgid = bpf_get_current_pid_tgid() >> 32;
	unsigned char ip[4] = { 10, 0, 2, 15 };
	char comm[16];
	long n;

	if (target_tgid && tgid != target_tgid)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	n = bpf_printk("kring printk: comm=%s", comm);
	n += bpf_printk("kring printk: %d %u %x %lld %pI4", -1, 2, 255,
			1LL << 40, ip);
	return n;
}

char LICENSE[] SEC("license") = "GPL";
