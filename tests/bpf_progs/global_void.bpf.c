// SPDX-License-Identifier: GPL-2.0
/*
 * A global function whose pointer argument points to nothing of a known
 * size: refused by the loader, as Linux's verifier refuses it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((noinline)) int first_byte(void *p)
{
	return p ? *(char *)p : 0;
}

SEC("kprobe/do_nanosleep")
int on_kprobe(void *ctx)
{
	char buf[8] = { 1 };

	return first_byte(buf);
}

char LICENSE[] SEC("license") = "GPL";
