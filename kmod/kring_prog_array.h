/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prog arrays (KRING_IOC_PROG_ARRAY_*): the slots bpf_tail_call() jumps
 * through, each holding a kring program.
 */
#ifndef KRING_PROG_ARRAY_H
#define KRING_PROG_ARRAY_H

#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>

struct kring_prog;

struct kring_prog_array {
	refcount_t refs;	/* the fd's, and one per program loading it */
	u32 max_entries;
	/* The attach class (kring_attach_class) of its programs; 0: unset. */
	atomic_t owner_class;
	struct kring_prog __rcu *slots[];
};

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
 * Whether programs of @attach_type may go in, or tail-call through,
 * @array: those of its first program's context only (kprobes and
 * kretprobes share one), as Linux's prog arrays keep their owner's type.
 */
bool kring_prog_array_admits(struct kring_prog_array *array, u32 attach_type);

/* Slot @index's program for a tail call, under RCU; NULL if empty. */
static inline struct kring_prog *
kring_prog_array_slot(struct kring_prog_array *array, u32 index)
{
	return rcu_dereference(array->slots[index]);
}

#endif /* KRING_PROG_ARRAY_H */
