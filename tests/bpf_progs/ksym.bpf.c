// SPDX-License-Identifier: GPL-2.0
/* An object the loader must refuse: a __ksym extern, the address of a
 * kernel symbol, which libbpf resolves from kallsyms and kring does not. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const int bpf_prog_active __ksym;

SEC("kring/ksym")
int ksym(void *ctx)
{
	return (long)&bpf_prog_active;
}

char LICENSE[] SEC("license") = "GPL";
