/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verified programs compiled to machine code by the kernel's own eBPF JIT
 * (docs/programs.md, "JIT"). The interpreter stays the fallback: when the
 * module parameter jit is off, the kernel's JIT is disabled or fails, the
 * program keeps running in kring's interpreter.
 */
#ifndef KRING_JIT_H
#define KRING_JIT_H

#include <linux/types.h>
#include <linux/filter.h>

/* The module parameter kring.jit: JIT programs where the kernel can. */
extern bool kring_jit_enabled;

/* One program's machine code: a JIT'd image per function. */
struct kring_jit {
	u32 nr_funcs;
	u32 len;		/* bytes of machine code, all functions */
	struct bpf_prog *funcs[];	/* [0] is the program's entry */
};

/*
 * Compiles @insns (accepted by the verifier, ring loads already rewritten
 * to addresses) whose functions, in order of their first instruction, use
 * @func_depth[f] bytes of stack; @nospec_spills (a program verified without
 * bypass_spec_v4) puts a speculation barrier after every 8-byte register
 * store. Returns the images, or an ERR_PTR: the program then runs in the
 * interpreter, and *@why (never NULL then) says why it is not JIT'd.
 */
struct kring_jit *kring_jit_compile(const struct bpf_insn *insns, u32 insn_cnt,
				    const u32 *func_depth, bool nospec_spills,
				    const char **why);
void kring_jit_free(struct kring_jit *jit);

typedef u64 (*kring_jit_entry)(const void *ctx, const struct bpf_insn *insn);

/* Runs the program on @ctx; returns R0, all 64 bits of it. */
static inline u64 kring_jit_run(const struct kring_jit *jit, const void *ctx)
{
	const struct bpf_prog *fp = jit->funcs[0];

	/*
	 * bpf_func is declared to return unsigned int (bpf_prog_run() gives
	 * programs a 32-bit result); the image leaves the whole of R0 in rax.
	 */
	return ((kring_jit_entry)(void *)fp->bpf_func)(ctx, fp->insnsi);
}

/* The entry's image, where an oops in the program points. */
static inline unsigned long kring_jit_addr(const struct kring_jit *jit)
{
	return (unsigned long)jit->funcs[0]->bpf_func;
}

#endif /* KRING_JIT_H */
