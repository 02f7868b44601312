// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf's __kconfig externs as programs declare them: the kernel's
 * version, the syscall wrapper test, and CONFIG_ values of each type libbpf
 * fills (bool, tristate, char, integers, a string), two of them __weak and
 * absent from the configuration. kconfig.config is the configuration the
 * test gives (tests/bpf_progs/progs_test.cpp).
 */
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig __weak;
extern bool CONFIG_KRING_BOOL __kconfig;
extern enum libbpf_tristate CONFIG_KRING_TRISTATE __kconfig;
extern char CONFIG_KRING_CHAR __kconfig;
extern int CONFIG_KRING_HZ __kconfig;
extern long long CONFIG_KRING_NEGATIVE __kconfig;
extern unsigned short CONFIG_KRING_SHORT __kconfig;
extern char CONFIG_KRING_STRING[8] __kconfig;
extern bool CONFIG_KRING_ABSENT __kconfig __weak;
extern int CONFIG_KRING_ABSENT_INT __kconfig __weak;

/* A helper no kernel has: reached, the program is refused. */
static long (*no_such_helper)(void) = (void *)999;

SEC("kring/version")
int version(void *ctx)
{
	return LINUX_KERNEL_VERSION;
}

/* CONFIG_KRING_HZ + CONFIG_KRING_NEGATIVE + CONFIG_KRING_SHORT. */
SEC("kring/sum")
int sum(void *ctx)
{
	return CONFIG_KRING_HZ + CONFIG_KRING_NEGATIVE + CONFIG_KRING_SHORT;
}

/* Each flag as a bit, and the string's second byte. */
SEC("kring/flags")
int flags(void *ctx)
{
	int bits = 0;

	if (CONFIG_KRING_BOOL)
		bits |= 1;
	if (CONFIG_KRING_TRISTATE == TRI_MODULE)
		bits |= 2;
	if (CONFIG_KRING_CHAR == 'y')
		bits |= 4;
	if (CONFIG_KRING_ABSENT || CONFIG_KRING_ABSENT_INT)
		bits |= 8;
	if (LINUX_HAS_BPF_COOKIE)
		bits |= 16;
	return bits | CONFIG_KRING_STRING[1] << 8;
}

/*
 * The verifier knows the values: the call on the path an absent option
 * disables is dead code, as bpf_tracing.h's BPF_KSYSCALL relies on.
 */
SEC("kring/dead_code")
int dead_code(void *ctx)
{
	if (CONFIG_KRING_ABSENT)
		return no_such_helper();
	return LINUX_HAS_SYSCALL_WRAPPER;
}

char LICENSE[] SEC("license") = "GPL";
