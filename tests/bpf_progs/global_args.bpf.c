// SPDX-License-Identifier: GPL-2.0
/*
 * Global functions' pointer arguments as Linux types them: one pointing to
 * the program's context struct (by its name) is the context, one pointing
 * to another struct is memory of that struct's size.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/kring.h>
#include <bpf/bpf_helpers.h>

/* Linux matches a kprobe's context by the struct's name alone. */
struct pt_regs {
	unsigned long regs[21];
};

struct pair {
	__u64 first;
	__u64 second;
};

__attribute__((noinline)) int regs_first(struct pt_regs *regs)
{
	return (int)regs->regs[0];
}

__attribute__((noinline)) int pair_sum(struct pair *p)
{
	return p ? (int)(p->first + p->second) : 0;
}

SEC("kprobe/do_nanosleep")
int on_kprobe(struct pt_regs *regs)
{
	struct pair p = { 1, 2 };

	return regs_first(regs) + pair_sum(&p);
}

__attribute__((noinline)) int syscall_id(struct kring_ctx_sys_enter *c)
{
	return (int)c->id;
}

SEC("kring/sys_enter")
int on_sys_enter(struct kring_ctx_sys_enter *c)
{
	return syscall_id(c);
}

char LICENSE[] SEC("license") = "GPL";
