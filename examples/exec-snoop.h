/* SPDX-License-Identifier: GPL-2.0 */
/* The events the example programs write and kringctl prints. */
#ifndef EXEC_SNOOP_H
#define EXEC_SNOOP_H

/* vmlinux.h (bpftool's) has the kernel's types already. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * A ring's records are struct T: KRING_RECORD_TYPE(T) after the ring map's
 * name, e.g. "} events SEC(".maps") KRING_RECORD_TYPE(exec_snoop_event);".
 * It is a BTF declaration tag on the map's variable, "kring.record:T",
 * which kringctl reads to decode the records (docs/kringctl.md); libbpf and
 * Linux accept it on a ring buffer, which must have no key or value type.
 * KRING_RECORD_BTF(T), a declaration of its own, puts struct T in the
 * object's BTF, where clang describes only the types of globals and of
 * functions' prototypes (an unused pointer in .bss).
 */
#define KRING_RECORD_TYPE(T) __attribute__((btf_decl_tag("kring.record:" #T)))
#define KRING_RECORD_BTF(T) const struct T *kring_record_btf_##T __attribute__((unused))

enum exec_snoop_kind {
	EXEC_SNOOP_FORK = 1,
	EXEC_SNOOP_EXEC = 2,
	EXEC_SNOOP_EXIT = 3,
};

struct exec_snoop_event {
	__u64 ts_ns;		/* ktime_get_ns() */
	__u32 kind;		/* enum exec_snoop_kind */
	__u32 pid;		/* fork: the child */
	__u32 ppid;		/* fork: the parent */
	__s32 exit_code;	/* exit only */
	__u32 cpu;
	__u32 pad;
	char comm[16];
	char filename[64];	/* exec only */
};

/* syscount's event: one per system call entry. */
struct syscount_event {
	__u64 ts_ns;
	__s64 nr;
	__u32 pid;
	__u32 tgid;
};

/* opensnoop's event: one per file opened (do_sys_openat2). */
#define OPENSNOOP_NAME_LEN 128
struct opensnoop_event {
	__u64 ts_ns;		/* at entry */
	__u32 pid;		/* the process (tgid) */
	__u32 tid;
	__s64 ret;		/* the fd, or -errno */
	__s32 dfd;		/* the directory fd the name is relative to */
	__u32 pad;
	char comm[16];
	char filename[OPENSNOOP_NAME_LEN];	/* as the caller gave it, cut */
};

#endif /* EXEC_SNOOP_H */
