// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_get_stackid, as Linux's own helper computes it. A STACK_TRACE map is
 * one of Linux's maps (programs take Linux maps by fd), and only Linux's
 * helper writes one: the map's update operation refuses every write, and
 * the helper itself is not exported. So for each stack map a kring program
 * names, the module loads through kern_sys_bpf (which Linux exports for
 * loaders inside the kernel) a Linux kprobe program of four instructions
 * that calls bpf_get_stackid on its context, the map, and the flags it
 * reads from the context's orig_ax; kring's helper runs it on a copy of the
 * probe's registers with the flags in orig_ax. Linux walks the stack, hashes
 * it, picks the bucket and reads build ids exactly as for its own programs,
 * and userspace reads the map as it reads any stack map.
 */
#include <linux/bpf.h>
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/string.h>

#include "kring_prog.h"
#include "kring_stackid.h"

/* Exported by Linux (kernel/bpf/syscall.c) and declared by no header. */
int kern_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);

/* Where the Linux program reads the flags from its context. */
#define KRING_STACKID_FLAGS_OFF offsetof(struct pt_regs, orig_ax)

struct bpf_prog *kring_stackid_prog_load(int map_fd, struct bpf_map *map)
{
	/* r3 = regs->orig_ax; r2 = the map; r0 = bpf_get_stackid(r1, r2, r3) */
	struct bpf_insn insns[] = {
		BPF_LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_1,
			    KRING_STACKID_FLAGS_OFF),
		BPF_LD_MAP_FD(BPF_REG_2, map_fd),
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0,
			     BPF_FUNC_get_stackid),
		BPF_EXIT_INSN(),
	};
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_KPROBE,
		.insn_cnt = ARRAY_SIZE(insns),
		.insns = (u64)(unsigned long)insns,
		.license = (u64)(unsigned long)"GPL",
	};
	struct bpf_prog *prog;
	int fd;

	strscpy(attr.prog_name, "kring_stackid", sizeof(attr.prog_name));
	fd = kern_sys_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return ERR_PTR(fd);
	prog = bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_KPROBE, false);
	close_fd(fd);
	if (IS_ERR(prog))
		return prog;
	/*
	 * The fd is the process's: another of its threads may have made it
	 * name another map since the kring verifier took it.
	 */
	if (prog->aux->used_map_cnt != 1 || prog->aux->used_maps[0] != map) {
		bpf_prog_put(prog);
		return ERR_PTR(-EBADF);
	}
	return prog;
}

u64 kring_stackid_run(struct bpf_prog *prog, u64 flags)
{
	unsigned long *frame;
	struct pt_regs *probe_regs = kring_prog_run_regs(&frame);
	struct pt_regs regs;

	if (probe_regs) {
		regs = *probe_regs;
	} else {
		/*
		 * No probe registers (a raw tracepoint, tp_btf, a test run):
		 * kernel registers without EFLAGS, as Linux's raw tracepoint
		 * helper makes them (perf_fetch_caller_regs), from whose stack
		 * pointer the walk goes up: kring_prog_run's frame, where
		 * bpf_get_stack's walk starts too.
		 */
		memset(&regs, 0, sizeof(regs));
		regs.sp = (unsigned long)frame;
		regs.cs = __KERNEL_CS;
	}
	regs.orig_ax = flags;
	/*
	 * bpf_prog_run() gives R0's low 32 bits: a stack id (below the map's
	 * max_entries) or a negative errno, each whole as an s32.
	 */
	return (u64)(s64)(s32)bpf_prog_run(prog, &regs);
}
