/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prog arrays (KRING_IOC_PROG_ARRAY_*): the slots bpf_tail_call() jumps
 * through, each holding a kring program.
 */
#ifndef KRING_PROG_ARRAY_H
#define KRING_PROG_ARRAY_H

#include <linux/bpf.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>

struct kring_prog;

struct kring_prog_array {
	refcount_t refs;	/* the fd's, and one per program loading it */
	/*
	 * Its programs' attach class (kring_attach_class) and runtime
	 * (KRING_PROG_ARRAY_JIT), as the first of them fixed it; 0: unset.
	 * For typed programs (tp_btf, fentry, fexit) also their target: a
	 * tail call passes its context on, and a program typed for another
	 * tracepoint or function would take its arguments for other structs
	 * (a task for a socket that get_socket_cookie writes into). Under
	 * owner_lock.
	 */
	spinlock_t owner_lock;
	int owner;
	char owner_target[KRING_SYMBOL_MAX];
	struct mutex update_lock;	/* slots and ptrs change together */
	/* The programs, for the interpreter's tail calls and for lookups. */
	struct kring_prog __rcu **slots;
	/*
	 * What programs load, and what JIT'd programs tail-call through with
	 * the kernel's own BPF_TAIL_CALL: a struct bpf_array whose
	 * map.max_entries is the array's and whose ptrs[i] is slot i's
	 * JIT'd entry (the struct bpf_prog of its main function), or NULL.
	 * The kernel's JIT reads those two fields only. Last: ptrs[] follows.
	 */
	struct bpf_array view;
};

/* The owner bit of a JIT'd program: it tail-calls JIT'd programs only. */
#define KRING_PROG_ARRAY_JIT 0x10000

/* KRING_IOC_PROG_ARRAY_CREATE: returns a new prog array fd or an error. */
long kring_prog_array_create(const void __user *uarg);

/*
 * The prog array of @fd, with a reference; ERR_PTR(-EINVAL) if @fd is
 * another kind of file, -EBADF if none.
 */
struct kring_prog_array *kring_prog_array_get_fd(int fd);
/* Process context: the last reference frees the array, slots empty. */
void kring_prog_array_put(struct kring_prog_array *array);

/*
 * Whether @prog may go in, or tail-call through, @array: programs of its
 * first program's context only (kprobes and kretprobes share one), and of
 * its runtime (JIT'd or interpreted), as Linux's prog arrays keep their
 * owner's type and JIT'd-ness. The first program fixes them.
 */
bool kring_prog_array_admits(struct kring_prog_array *array,
			     const struct kring_prog *prog);

/* The array a program's load of it points at (its view). */
static inline struct kring_prog_array *
kring_prog_array_of_view(const void *view)
{
	return container_of((struct bpf_array *)view, struct kring_prog_array,
			    view);
}

/* Slot @index's program for a tail call, under RCU; NULL if empty. */
static inline struct kring_prog *
kring_prog_array_slot(struct kring_prog_array *array, u32 index)
{
	return rcu_dereference(array->slots[index]);
}

#endif /* KRING_PROG_ARRAY_H */
