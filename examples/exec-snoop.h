/* SPDX-License-Identifier: GPL-2.0 */
/* The event exec-snoop's programs write and kringctl prints. */
#ifndef EXEC_SNOOP_H
#define EXEC_SNOOP_H

#include <linux/types.h>

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

#endif /* EXEC_SNOOP_H */
