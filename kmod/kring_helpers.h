/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helpers verified programs call: one function per helper, with the BPF
 * calling convention (R1-R5 in, R0 out), which JIT'd code calls directly,
 * and kring_call_helper, the interpreter's way in.
 */
#ifndef KRING_HELPERS_H
#define KRING_HELPERS_H

#include <linux/types.h>

struct bpf_insn;

typedef u64 (*kring_helper_fn)(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

/*
 * Not a helper programs call: what a JIT'd program's faulting-safe load
 * (KBPF_PROBE_MEM) calls, with R1 the address and R2 the size; R0 is the
 * value, 0 where the memory is not there. The kernel's JIT would do it
 * inline (its BPF_PROBE_MEM), but its fault fixup finds the faulting
 * program through bpf_prog_kallsyms_add(), which a module cannot call: a
 * fault in a kring image would oops. kring_jit.c calls this instead.
 */
#define KRING_HELPER_PROBE_LOAD (-1)

/*
 * The function of helper @helper_id (Linux's numbers, and
 * KRING_HELPER_PROBE_LOAD); NULL if none.
 */
kring_helper_fn kring_helper_addr(s32 helper_id);

/* Seeds the helpers' state (get_prandom_u32's); once, at module load. */
void kring_helpers_init(void);

/* Waits for the helpers' deferred work; at module unload. */
void kring_helpers_exit(void);

/*
 * What a verified program's calls need from the kernel: a program that
 * prints (bpf_trace_printk, bpf_trace_vprintk) enables the trace event its
 * lines go to.
 */
void kring_helpers_prog_loaded(const struct bpf_insn *insns, u32 insn_cnt);

/* struct kbpf_interp_env's call_helper: Linux's helper numbers. */
u64 kring_call_helper(void *priv, s32 helper_id, const u64 args[5]);

#endif /* KRING_HELPERS_H */
