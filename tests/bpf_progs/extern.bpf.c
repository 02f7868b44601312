// SPDX-License-Identifier: GPL-2.0
/* An object the loader must refuse: a __kconfig extern, which libbpf fills
 * from the kernel's configuration and kring does not. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("kring/version")
int version(void *ctx)
{
	return LINUX_KERNEL_VERSION;
}

char LICENSE[] SEC("license") = "GPL";
