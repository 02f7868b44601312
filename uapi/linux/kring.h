/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kring: the user/kernel interface of /dev/kring.
 *
 * One header for the kernel module, C and C++. Every struct has explicit
 * sizes and padding so that 32- and 64-bit callers see the same layout; every
 * flags or reserved field must be zero unless a flag is defined for it.
 *
 * The mmap layout and the record header are byte-compatible with Linux's
 * BPF_MAP_TYPE_RINGBUF, so one consumer reads both.
 */
#ifndef _UAPI_KRING_H
#define _UAPI_KRING_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KRING_DEVICE_PATH "/dev/kring"

/*
 * Ring data size: a power of two, at least one page, at most
 * KRING_MAX_DATA_SIZE bytes.
 */
#define KRING_MAX_DATA_SIZE (1ULL << 30)

/*
 * mmap layout, in pages of the mapping's file offset:
 *   page 0                consumer page: an unsigned long consumer position
 *                         at offset 0; the only page that may be mapped
 *                         writable, and only on its own
 *   page 1                producer page: an unsigned long producer position
 *                         at offset 0; read-only
 *   pages 2 .. 2+2*N-1    the N data pages, mapped twice back to back so a
 *                         record that wraps is contiguous; read-only
 * A writable mapping of anything else fails with EPERM, and a read-only
 * mapping of pages 1.. cannot be made writable by mprotect().
 */
#define KRING_CONSUMER_PGOFF 0
#define KRING_PRODUCER_PGOFF 1
#define KRING_DATA_PGOFF 2

/*
 * Record header, 8 bytes, at the start of every record; records are 8-byte
 * aligned. len holds the payload size and two state bits; pg_off is the
 * record's page offset inside the kernel's mapping of the ring (kernel use
 * only). Same bit positions as Linux's BPF_RINGBUF_{BUSY,DISCARD}_BIT.
 */
#define KRING_BUSY_BIT (1U << 31)
#define KRING_DISCARD_BIT (1U << 30)
#define KRING_HDR_SZ 8

/*
 * The bytes a record of @size payload bytes takes in the ring: header and
 * payload, rounded up to 8. A consumer's next record starts that far on.
 */
#define KRING_RECORD_SPAN(size) ((((__u64)(size)) + KRING_HDR_SZ + 7) & ~7ULL)

struct kring_record_header {
	__u32 len;
	__u32 pg_off;
};

/*
 * Producer flags of output/submit/discard, the values of Linux's
 * BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP. By default a commit wakes the
 * consumer only if it has caught up to the committed record.
 */
#define KRING_NO_WAKEUP (1U << 0)
#define KRING_FORCE_WAKEUP (1U << 1)
#define KRING_WAKEUP_FLAGS (KRING_NO_WAKEUP | KRING_FORCE_WAKEUP)

/* Query selectors, the values of Linux's BPF_RB_AVAIL_DATA and friends. */
enum kring_query_selector {
	KRING_QUERY_AVAIL_DATA = 0,
	KRING_QUERY_RING_SIZE = 1,
	KRING_QUERY_CONS_POS = 2,
	KRING_QUERY_PROD_POS = 3,
};

#define KRING_IOC_MAGIC 0xB7

/* KRING_IOC_CREATE: give the ring fd its ring. Once per fd. */
struct kring_create {
	__u64 data_size;	/* power of two, PAGE_SIZE..KRING_MAX_DATA_SIZE */
	__u32 flags;		/* none defined yet: must be 0 */
	__u32 reserved;		/* must be 0 */
};

/*
 * KRING_IOC_QUERY: a momentary snapshot of the ring's positions, and the
 * ring's cookie: a random 64-bit identity drawn at creation, never 0, that
 * tells a ring from a later one of the same name or size (a recorder uses it
 * to resume only the ring it was recording).
 */
struct kring_query {
	__u64 avail_data;
	__u64 ring_size;
	__u64 consumer_pos;
	__u64 producer_pos;
	__u64 cookie;
};

/*
 * KRING_IOC_STATS: counters since the ring was created.
 *   committed   records submitted (not discarded)
 *   discarded   records discarded
 *   bytes       payload bytes of committed records
 *   dropped     reservations that failed: ring full, or its lock busy in NMI
 *   wakeups     wakeups of the consumer that were sent
 */
struct kring_stats {
	__u64 committed;
	__u64 discarded;
	__u64 bytes;
	__u64 dropped;
	__u64 wakeups;
	__u64 reserved[3];	/* zero; room for more counters */
};

/*
 * KRING_IOC_OUTPUT: one record from a user buffer, with producer flags
 * (write(2) does the same with flags 0).
 */
struct kring_output {
	__u64 data;		/* user pointer */
	__u32 len;		/* payload bytes */
	__u32 flags;		/* KRING_NO_WAKEUP or KRING_FORCE_WAKEUP */
};

/*
 * Functions of a program (bpf-to-bpf calls), declared the way BTF func-info
 * declares them to Linux, without BTF. Entry 0 is the program itself:
 * insn_off 0, KRING_FUNC_STATIC, no declared arguments (it gets the context).
 * The others follow in increasing insn_off and must be exactly the targets
 * of the program's calls. A program without func-info may still call: every
 * call target is then a static function.
 *
 * Static functions are verified in their caller's context, as if inlined.
 * Global functions are verified once, on their own, from their declared
 * arguments, and return a scalar.
 */
#define KRING_FUNC_STATIC 0
#define KRING_FUNC_GLOBAL 1

#define KRING_ARG_SCALAR 1	/* any 64-bit value */
#define KRING_ARG_CTX 2		/* the program's context pointer, offset 0 */
/*
 * A pointer to arg_mem_size bytes the function may read and write, or NULL
 * (the function must check): what Linux makes of a global function's
 * pointer argument whose type is not the program's context but has a size
 * (a struct, an integer, an array). The caller passes NULL (a constant 0)
 * or memory it may read and write for that many bytes: stack (initialised,
 * as for a helper that reads it), a ring record or a map value (at any
 * offset within it, or before its NULL check), or such an argument of its
 * own.
 */
#define KRING_ARG_MEM 3
#define KRING_ARG_MEM_MAX (1U << 29)	/* arg_mem_size is below it */

#define KRING_FUNC_MAX_ARGS 5

struct kring_func_info {
	__u32 insn_off;
	__u8 linkage;		/* KRING_FUNC_STATIC or KRING_FUNC_GLOBAL */
	__u8 nr_args;		/* global: arguments in R1..R(nr_args) */
	__u8 arg_kinds[KRING_FUNC_MAX_ARGS];	/* KRING_ARG_*; zero if unused */
	__u8 reserved;		/* must be 0 */
	/* KRING_ARG_MEM: the size in bytes (below KRING_ARG_MEM_MAX); else 0. */
	__u32 arg_mem_size[KRING_FUNC_MAX_ARGS];
};

/*
 * Loaders built before arg_mem_size existed (those sending
 * KRING_IOC_PROG_LOAD_V1) pass func-info records of this many bytes: the
 * fields up to reserved.
 */
#define KRING_FUNC_INFO_V1_SIZE 12

#define KRING_IOC_CREATE	_IOW(KRING_IOC_MAGIC, 1, struct kring_create)
#define KRING_IOC_QUERY		_IOR(KRING_IOC_MAGIC, 2, struct kring_query)
#define KRING_IOC_STATS		_IOR(KRING_IOC_MAGIC, 3, struct kring_stats)
#define KRING_IOC_OUTPUT	_IOW(KRING_IOC_MAGIC, 4, struct kring_output)

/*
 * Programs. KRING_IOC_PROG_LOAD on any /dev/kring fd verifies a program and
 * returns a program fd; the program's ring loads (BPF_LD_IMM64 with src_reg
 * BPF_PSEUDO_MAP_FD) name ring fds, and the program keeps those rings alive.
 * Loading needs CAP_BPF (or CAP_SYS_ADMIN); CAP_PERFMON (or CAP_SYS_ADMIN)
 * also allows pointer leaks and the Spectre bypasses (see docs/verifier.md).
 *
 * Attach points: each gives the program (in R1) a read-only context below.
 */
enum kring_attach_type {
	KRING_ATTACH_SCHED_PROCESS_FORK = 1,	/* struct kring_ctx_fork */
	KRING_ATTACH_SCHED_PROCESS_EXEC = 2,	/* struct kring_ctx_exec */
	KRING_ATTACH_SCHED_PROCESS_EXIT = 3,	/* struct kring_ctx_exit */
	KRING_ATTACH_SYS_ENTER = 4,		/* struct kring_ctx_sys_enter */
	KRING_ATTACH_SYS_EXIT = 5,		/* struct kring_ctx_sys_exit */
	KRING_ATTACH_KPROBE = 6,		/* struct pt_regs, at entry */
	KRING_ATTACH_KRETPROBE = 7,		/* struct pt_regs, at return */
	KRING_ATTACH_TRACEPOINT = 8,		/* the event's record, below */
	KRING_ATTACH_RAW_TRACEPOINT = 9,	/* __u64 args[12], below */
	KRING_ATTACH_TP_BTF = 10,		/* __u64 args[12], typed: below */
	KRING_ATTACH_FENTRY = 11,		/* __u64 args[12], typed: below */
	KRING_ATTACH_FEXIT = 12,		/* the same, and the result */
	KRING_ATTACH_UPROBE = 13,		/* struct pt_regs (user), at entry */
	KRING_ATTACH_URETPROBE = 14,		/* struct pt_regs (user), at return */
	KRING_ATTACH_PERF_EVENT = 15,		/* struct bpf_perf_event_data */
};

/*
 * A tracepoint program's context is the event's record as Linux gives it to
 * BPF_PROG_TYPE_TRACEPOINT programs: the layout of the event's tracefs
 * "format" file (struct trace_entry's common fields first, then the event's
 * own; a __data_loc field holds the offset and length of its bytes in the
 * record). It attaches to any of the kernel's trace events, named
 * "CATEGORY/NAME" in struct kring_prog_attach's symbol ("sched/
 * sched_process_exec", "syscalls/sys_enter_openat"). As in Linux, the
 * program may read any aligned bytes of the first KRING_TRACEPOINT_CTX_SIZE
 * (Linux's PERF_MAX_TRACE_SIZE): those past the record are the kernel's
 * per-CPU trace buffer, whatever an earlier event left there.
 */
#define KRING_TRACEPOINT_CTX_SIZE 8192

/*
 * A raw tracepoint program's context is the tracepoint's own arguments, as
 * Linux gives them to BPF_PROG_TYPE_RAW_TRACEPOINT programs: __u64
 * args[KRING_RAW_TP_MAX_ARGS] (Linux's MAX_BPF_FUNC_ARGS), argument i in
 * args[i], zero-extended from its size; slots past the last are 0. It
 * attaches to any of the kernel's tracepoints, named in struct
 * kring_prog_attach's symbol without a category ("sched_process_exec",
 * "sys_enter"), and the attacher describes the arguments in its raw_args:
 * bits 0-3 their count (0 to KRING_RAW_TP_MAX_ARGS), then 2 bits per
 * argument i, from bit 4 + 2 * i, giving its size (0: 1 byte, 1: 2, 2: 4,
 * 3: 8); higher bits are 0. A loader reads them from the kernel's BTF (the
 * typedef btf_trace_NAME), which the module cannot reach, so the module
 * trusts the description: a wrong count or size only changes which values
 * the program sees (every argument is read from a register or the
 * caller's stack, never from memory out of bounds), and attaching needs
 * CAP_PERFMON, which already allows reading kernel memory with
 * bpf_probe_read_kernel().
 */
#define KRING_RAW_TP_MAX_ARGS 12
#define KRING_RAW_TP_CTX_SIZE (KRING_RAW_TP_MAX_ARGS * 8)
#define KRING_RAW_ARGS_SIZE_SHIFT(i) (4 + 2 * (i))
/* The description of @count arguments, before their sizes are or-ed in. */
#define KRING_RAW_ARGS_COUNT(count) ((__u32)(count))
/* Argument @i is (1 << @size_log2) bytes: 0 for 1 byte, ..., 3 for 8. */
#define KRING_RAW_ARG_SIZE(i, size_log2) \
	((__u32)(size_log2) << KRING_RAW_ARGS_SIZE_SHIFT(i))
/* Reading one: the argument count, and argument @i's size in bytes. */
#define KRING_RAW_ARGS_COUNT_OF(raw_args) ((raw_args) & 0xf)
#define KRING_RAW_ARGS_SIZE_OF(raw_args, i) \
	(1U << (((raw_args) >> KRING_RAW_ARGS_SIZE_SHIFT(i)) & 3))

/*
 * A BTF-typed raw tracepoint (Linux's tp_btf) has the raw tracepoint's
 * context, but the tracepoint is named when the program is loaded (struct
 * kring_prog_load's attach_target, "sched_process_exec"), and the module
 * reads its arguments' types from the kernel's BTF (/sys/kernel/btf/vmlinux,
 * the typedef btf_trace_NAME): the verifier knows args[i] as what it is,
 * and a pointer to a kernel struct read from the context, or from such a
 * struct, may be followed with plain loads (task->real_parent->tgid), each
 * checked against the struct's layout and run faulting-safe, as Linux runs
 * them. The attach names nothing (symbol and raw_args 0): the module
 * describes the arguments itself. docs/programs.md, "tp_btf".
 *
 * fentry and fexit programs (Linux's BPF_TRACE_FENTRY and _FEXIT) have the
 * same typed context at a kernel function's entry and return: the function
 * is named at load (attach_target, "do_unlinkat"), args[i] is its argument
 * i, typed by the BTF FUNC of that name, and at return args[nr_args] is
 * its result (none for a void function). The function takes at most the
 * six arguments x86-64 passes in registers, each a number or a pointer.
 * The attach names nothing, as for tp_btf. docs/programs.md, "fentry and
 * fexit".
 */

/*
 * A kprobe's or kretprobe's context is the kernel's struct pt_regs at the
 * probed function's entry or return (<asm/ptrace.h>; 168 bytes on x86-64),
 * read-only, as Linux gives BPF_PROG_TYPE_KPROBE programs: bpf_tracing.h's
 * PT_REGS_PARMn, PT_REGS_RC, BPF_KPROBE and BPF_KRETPROBE work unchanged.
 */

#define KRING_COMM_LEN 16
#define KRING_FILENAME_LEN 64

struct kring_ctx_fork {
	__u32 parent_pid;
	__u32 parent_tgid;
	__u32 child_pid;
	__u32 child_tgid;
	char parent_comm[KRING_COMM_LEN];
	char child_comm[KRING_COMM_LEN];
};

struct kring_ctx_exec {
	__u32 pid;
	__u32 tgid;
	__u32 old_pid;		/* the pid before exec (differs in threads) */
	__u32 ppid;		/* the parent process's tgid */
	char comm[KRING_COMM_LEN];	/* the new program's */
	char filename[KRING_FILENAME_LEN];	/* truncated, NUL-terminated */
};

struct kring_ctx_exit {
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__s32 exit_code;	/* as wait(2) would see it */
	char comm[KRING_COMM_LEN];
};

struct kring_ctx_sys_enter {
	__s64 id;		/* the syscall number */
	__u64 args[6];
};

struct kring_ctx_sys_exit {
	__s64 id;
	__s64 ret;
};

/* KRING_IOC_PROG_LOAD flags */
#define KRING_PROG_F_TEST_STATE_FREQ (1U << 0)	/* stress the verifier's pruning */
/* Run in kring's interpreter even where the kernel's JIT could compile it. */
#define KRING_PROG_F_INTERPRETER (1U << 1)

struct kring_prog_load {
	__u64 insns;		/* user pointer to struct bpf_insn[insn_cnt] */
	__u32 insn_cnt;
	__u32 attach_type;	/* enum kring_attach_type */
	/*
	 * struct kring_func_info[func_info_cnt], or 0 (with
	 * KRING_IOC_PROG_LOAD_V1: records of KRING_FUNC_INFO_V1_SIZE bytes)
	 */
	__u64 func_info;
	__u32 func_info_cnt;
	__u32 flags;		/* KRING_PROG_F_* */
	__u64 log_buf;		/* user buffer for the verifier log, or 0 */
	__u32 log_size;
	__u32 log_level;	/* 0, 1 or 2 */
	__u64 name;		/* user pointer to the program's name, or 0 */
	/*
	 * KRING_ATTACH_TP_BTF: user pointer to the tracepoint's name;
	 * KRING_ATTACH_FENTRY, _FEXIT: to the kernel function's
	 * (NUL-terminated, shorter than KRING_SYMBOL_MAX); else 0. Loaders
	 * built before this field existed pass the struct without it
	 * (KRING_IOC_PROG_LOAD_V1): it is then 0.
	 */
	__u64 attach_target;
};

/*
 * A program's name (struct kring_prog_load's name), as Linux's prog_name:
 * up to KRING_PROG_NAME_LEN - 1 characters of [A-Za-z0-9_.] (ASCII only),
 * NUL-terminated; "" and 0 mean no name. It only labels the program in
 * KRING_IOC_PROG_LIST: names need not be unique. A loader passes the
 * program's function name (libbpf does), cut to the length.
 */
#define KRING_PROG_NAME_LEN 16

/* The rings one program may name; a load naming more fails with E2BIG. */
#define KRING_PROG_MAX_RINGS 64

/*
 * KRING_IOC_PROG_ATTACH on a program fd: returns a link fd. The link lives
 * as long as its fd or a name pinned on it (KRING_IOC_PIN on the link fd);
 * when the last of them goes, the program is detached.
 */
struct kring_prog_attach {
	__u64 symbol;		/* KRING_ATTACH_KPROBE and _KRETPROBE: user
				 * pointer to the function name;
				 * KRING_ATTACH_TRACEPOINT: to the event's
				 * "CATEGORY/NAME";
				 * KRING_ATTACH_RAW_TRACEPOINT: to the
				 * tracepoint's NAME;
				 * KRING_ATTACH_UPROBE, _URETPROBE: to the
				 * path of the probed file (NUL-terminated);
				 * KRING_ATTACH_PERF_EVENT: to the struct
				 * perf_event_attr of the counters to sample
				 * (a software event: below); else 0 */
	__u32 flags;		/* none defined yet: must be 0 */
	__u32 raw_args;		/* KRING_ATTACH_RAW_TRACEPOINT: its arguments'
				 * count and sizes (above); else 0 */
	/*
	 * KRING_ATTACH_UPROBE, _URETPROBE: the probed instruction's offset
	 * in the file (a function's, for a uretprobe), as Linux's uprobe
	 * perf events take it; else 0.
	 */
	__u64 offset;
	/*
	 * KRING_ATTACH_UPROBE, _URETPROBE: only the hits in this process
	 * (its pid, the threads' tgid); 0: every process's. Else 0.
	 */
	__s32 pid;
	__u32 reserved;		/* must be 0 */
	/*
	 * What bpf_get_attach_cookie() gives the program in this link's runs
	 * (libbpf's bpf_cookie), as Linux 6.1 gives it to kprobe, uprobe,
	 * tracepoint, perf event, fentry and fexit programs: any attach type
	 * but KRING_ATTACH_RAW_TRACEPOINT and _TP_BTF, where it must be 0.
	 */
	__u64 cookie;
};

/*
 * KRING_IOC_PROG_TEST_RUN on a program fd: runs it @repeat times (0 means
 * 1) on the current CPU with the given context, as BPF_PROG_TEST_RUN does.
 */
struct kring_prog_test_run {
	__u64 ctx;		/* user pointer to the context bytes */
	__u32 ctx_size;		/* exactly the attach type's context size */
	__u32 repeat;
	__u64 retval;		/* out: R0 of the last run */
	__u64 duration_ns;	/* out: mean nanoseconds per run */
	__u64 reserved;		/* must be 0 */
};

/*
 * KRING_ATTACH_PERF_EVENT: the program runs at each overflow of a perf
 * counter of the attr its attach gives, one counter on each online CPU,
 * counting every task (as perf_event_open(2)'s pid -1 and each CPU, which
 * libbpf-tools' profile opens), with the context Linux gives
 * BPF_PROG_TYPE_PERF_EVENT programs, struct bpf_perf_event_data from
 * <linux/bpf_perf_event.h>: the interrupted registers, the sample's
 * period and its address. Only PERF_TYPE_SOFTWARE events are taken
 * (cpu-clock, task-clock, ...: they overflow in a timer interrupt); the
 * pid must be 0.
 */

#define KRING_IOC_PROG_LOAD	_IOW(KRING_IOC_MAGIC, 5, struct kring_prog_load)
/* The same, as loaders built before attach_target send it (56 bytes). */
#define KRING_IOC_PROG_LOAD_V1	_IOC(_IOC_WRITE, KRING_IOC_MAGIC, 5, 56)
#define KRING_IOC_PROG_ATTACH	_IOW(KRING_IOC_MAGIC, 6, struct kring_prog_attach)
/* The same, as loaders built before uprobes send it (16 bytes). */
#define KRING_IOC_PROG_ATTACH_V1	_IOC(_IOC_WRITE, KRING_IOC_MAGIC, 6, 16)
/* The same, as loaders built before cookies send it (32 bytes). */
#define KRING_IOC_PROG_ATTACH_V2	_IOC(_IOC_WRITE, KRING_IOC_MAGIC, 6, 32)
#define KRING_IOC_PROG_TEST_RUN	_IOWR(KRING_IOC_MAGIC, 7, struct kring_prog_test_run)

/*
 * How a program runs (struct kring_prog_info's runtime). A program runs as
 * machine code from the kernel's eBPF JIT unless the module parameter
 * kring.jit is 0, the kernel's JIT is off (net.core.bpf_jit_enable=0) or
 * fails, or it was loaded with KRING_PROG_F_INTERPRETER: then kring's
 * interpreter runs it (docs/programs.md, "JIT").
 */
enum kring_prog_runtime {
	KRING_RUNTIME_INTERPRETER = 1,
	KRING_RUNTIME_JIT = 2,
};


/*
 * Named rings, as pinning a BPF map in bpffs: the name holds a reference, so
 * the ring, its unconsumed records and its consumer position outlive every
 * fd and mapping of it, and a restarted consumer reopens it and carries on.
 * A name is 1 to KRING_NAME_MAX - 1 characters of [A-Za-z0-9_.-], then NUL
 * bytes to the end of the array. Pinning, opening and unpinning need CAP_BPF
 * (or CAP_SYS_ADMIN). The module cannot be unloaded while a ring is pinned.
 *
 *   KRING_IOC_PIN          on a ring fd: name its ring (EEXIST: the name is
 *                          taken; ENOSPC: KRING_MAX_PINNED names exist)
 *   KRING_IOC_OPEN_PINNED  on a fd without a ring: make it a fd of the named
 *                          ring (ENOENT: no such name; EEXIST: the fd has a
 *                          ring already; EMEDIUMTYPE: the name is a
 *                          program's or a link's)
 *   KRING_IOC_UNPIN        on any fd: drop the name and its reference
 *                          (ENOENT: no such name)
 *   KRING_IOC_LIST_PINNED  on any fd: the names, in pinning order
 *
 * Programs and links are pinned the same way, as bpftool's "prog load ...
 * pinned" and "link pin" pin them in bpffs: KRING_IOC_PIN on a program fd or
 * a link fd names it in the same table, so a name is unique across rings,
 * programs and links. A pinned link stays attached with no fd open (its
 * program and the program's rings with it) until KRING_IOC_UNPIN drops its
 * last name and no fd holds it: then it is detached. LIST_PINNED lists the
 * names of every kind; the list ioctls below say whose they are.
 */
#define KRING_NAME_MAX 32
#define KRING_MAX_PINNED 1024

struct kring_name {
	char name[KRING_NAME_MAX];
	__u32 flags;		/* none defined yet: must be 0 */
	__u32 reserved;		/* must be 0 */
};

struct kring_pinned_list {
	__u64 names;		/* user pointer to char[capacity][KRING_NAME_MAX] */
	__u32 capacity;		/* entries the buffer holds */
	__u32 count;		/* out: names pinned; only the first
				 * min(count, capacity) were copied */
};

#define KRING_IOC_PIN		_IOW(KRING_IOC_MAGIC, 8, struct kring_name)
#define KRING_IOC_OPEN_PINNED	_IOW(KRING_IOC_MAGIC, 9, struct kring_name)
#define KRING_IOC_UNPIN		_IOW(KRING_IOC_MAGIC, 10, struct kring_name)
#define KRING_IOC_LIST_PINNED	_IOWR(KRING_IOC_MAGIC, 11, struct kring_pinned_list)

/*
 * Listing rings, programs and links, as bpftool lists Linux's maps, programs
 * and links. Each object has an id among the live objects of its kind (rings,
 * programs and links count separately, from 1), assigned at creation and
 * never that of another live object of its kind; it goes with the object.
 *
 * On any /dev/kring fd, with CAP_SYS_ADMIN (as Linux's
 * BPF_{MAP,PROG,LINK}_GET_NEXT_ID: CAP_BPF is not enough), each ioctl copies
 * the info of every live object of its kind, in increasing id order:
 *
 *   KRING_IOC_RING_LIST    struct kring_ring_info
 *   KRING_IOC_PROG_LIST    struct kring_prog_info
 *   KRING_IOC_LINK_LIST    struct kring_link_info
 *
 * An object pinned under several names reports the first of them (in
 * pinning order) and how many it has. Out fields only: every field comes
 * back written, reserved ones zero.
 */
#define KRING_SYMBOL_MAX 128	/* a kprobe's function name, NUL included */

struct kring_obj_list {
	__u64 info;		/* user pointer to the info structs, [capacity] */
	__u32 capacity;		/* entries the buffer holds */
	__u32 count;		/* in: 0; out: the objects; only the first
				 * min(count, capacity) were copied */
};

struct kring_ring_info {
	__u32 id;
	__u32 nr_pinned;	/* names it has */
	char pinned[KRING_NAME_MAX];	/* the first, or "" */
	__u64 data_size;
	__u64 cookie;		/* as KRING_IOC_QUERY's */
	__u64 producer_pos;
	__u64 consumer_pos;
	struct kring_stats stats;	/* as KRING_IOC_STATS's */
	__u64 reserved[4];
};

/* map_ids a kring_prog_info holds: the first maps, nr_maps counts them all */
#define KRING_PROG_INFO_MAP_IDS 8

struct kring_prog_info {
	__u32 id;
	__u32 nr_pinned;
	char pinned[KRING_NAME_MAX];
	char name[KRING_PROG_NAME_LEN];	/* given at load; "" if none */
	__u32 attach_type;	/* enum kring_attach_type */
	__u32 insn_cnt;
	__u32 stack_depth;	/* stack bytes in use, as the verifier found */
	__u32 nr_rings;
	__u64 runs;		/* runs since load (attached and test runs) */
	__u64 misses;		/* runs skipped: a program was running on
				 * that CPU already */
	__u32 runtime;		/* enum kring_prog_runtime */
	__u32 jited_len;	/* bytes of machine code (all functions); 0 if
				 * interpreted */
	__u64 jited_addr;	/* the entry's image, where an oops in the
				 * program points; 0 if interpreted or if the
				 * caller lacks CAP_SYSLOG */
	__u32 nr_funcs;		/* functions JIT'd separately (bpf-to-bpf) */
	__u32 nr_maps;		/* Linux maps it holds (maps and global data) */
	__u32 ring_ids[KRING_PROG_MAX_RINGS];	/* the first nr_rings used */
	/* Linux map ids (bpftool map show id N) of its first maps */
	__u32 map_ids[KRING_PROG_INFO_MAP_IDS];
};

struct kring_link_info {
	__u32 id;
	__u32 nr_pinned;
	char pinned[KRING_NAME_MAX];
	__u32 prog_id;
	__u32 attach_type;	/* the program's */
	char target[KRING_SYMBOL_MAX];	/* the kprobe's function, the
					 * trace event's or the raw
					 * tracepoint's name */
	__u64 cookie;		/* struct kring_prog_attach's */
	__u64 reserved[3];
};

#define KRING_IOC_RING_LIST	_IOWR(KRING_IOC_MAGIC, 12, struct kring_obj_list)
#define KRING_IOC_PROG_LIST	_IOWR(KRING_IOC_MAGIC, 13, struct kring_obj_list)
#define KRING_IOC_LINK_LIST	_IOWR(KRING_IOC_MAGIC, 14, struct kring_obj_list)

/* On a program fd: its struct kring_prog_info, as KRING_IOC_PROG_LIST's. */
#define KRING_IOC_PROG_INFO	_IOR(KRING_IOC_MAGIC, 20, struct kring_prog_info)

/*
 * Prog arrays: BPF_MAP_TYPE_PROG_ARRAY for bpf_tail_call(). Linux's prog
 * arrays hold Linux programs; a kring program tail-calls through a kring
 * prog array, which holds kring programs. KRING_IOC_PROG_ARRAY_CREATE on any
 * /dev/kring fd returns a prog array fd (CAP_BPF); a program loads it as a
 * map (BPF_LD_IMM64 with BPF_PSEUDO_MAP_FD) and passes it to bpf_tail_call.
 * On the prog array fd, with struct kring_prog_array_elem:
 *
 *   KRING_IOC_PROG_ARRAY_UPDATE  slot @index runs program @prog_fd (E2BIG:
 *                                @index >= max_entries; EINVAL: the program's
 *                                context or runtime differs from the
 *                                array's: the first program loaded with the
 *                                array or put in it fixes both, kprobes and
 *                                kretprobes sharing one context, JIT'd and
 *                                interpreted programs never mixing, typed
 *                                programs (tp_btf, fentry, fexit) of one
 *                                tracepoint or function only; a
 *                                program of the other kind that tail-calls
 *                                through the array fails to load, EINVAL)
 *   KRING_IOC_PROG_ARRAY_DELETE  slot @index empties (ENOENT: it was empty)
 *   KRING_IOC_PROG_ARRAY_LOOKUP  @prog_id gets the slot's program's id
 *                                (ENOENT: empty)
 *
 * A slot holds a reference on its program. When the last copy of the prog
 * array fd closes, every slot empties, as Linux empties a prog array when
 * its last user reference goes: that breaks the cycle of a program that
 * tail-calls through an array holding itself. Keep the fd open as long as
 * the tail calls should be taken.
 *
 * A run takes at most KRING_MAX_TAIL_CALLS tail calls, as Linux's
 * MAX_TAIL_CALL_CNT; the next one, like one whose index is out of range or
 * whose slot is empty, does nothing and the program goes on.
 */
#define KRING_MAX_TAIL_CALLS 33

struct kring_prog_array_create {
	__u32 max_entries;	/* 1 to KRING_PROG_ARRAY_MAX_ENTRIES */
	__u32 flags;		/* none defined yet: must be 0 */
};

#define KRING_PROG_ARRAY_MAX_ENTRIES 65536

struct kring_prog_array_elem {
	__u32 index;
	__s32 prog_fd;		/* UPDATE: the program's fd */
	__u32 prog_id;		/* LOOKUP: out */
	__u32 flags;		/* none defined yet: must be 0 */
};

#define KRING_IOC_PROG_ARRAY_CREATE _IOW(KRING_IOC_MAGIC, 21, struct kring_prog_array_create)
#define KRING_IOC_PROG_ARRAY_UPDATE _IOW(KRING_IOC_MAGIC, 22, struct kring_prog_array_elem)
#define KRING_IOC_PROG_ARRAY_DELETE _IOW(KRING_IOC_MAGIC, 23, struct kring_prog_array_elem)
#define KRING_IOC_PROG_ARRAY_LOOKUP _IOWR(KRING_IOC_MAGIC, 24, struct kring_prog_array_elem)

#endif /* _UAPI_KRING_H */
