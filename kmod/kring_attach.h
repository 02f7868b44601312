/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching programs to events: tracepoints, kprobes and uprobes. */
#ifndef KRING_ATTACH_H
#define KRING_ATTACH_H

#include <linux/compiler_types.h>
#include <linux/types.h>
#include <linux/kring.h>

/* Uprobes and uretprobes: attached to a file's offset, run in the task. */
static inline bool kring_attach_uprobe(u32 attach_type)
{
	return attach_type == KRING_ATTACH_UPROBE ||
	       attach_type == KRING_ATTACH_URETPROBE;
}

struct kring_prog;
struct kring_link;
struct kring_link_info;

/*
 * KRING_IOC_PROG_ATTACH (or _V1, _V2: @size is the struct's size the loader
 * knows): returns a link fd (its last holder detaches).
 */
long kring_attach(struct kring_prog *prog, const void __user *uarg, u32 size);

/*
 * A link is held by its fd and by its names; the last reference detaches
 * it, which sleeps: process context only.
 */
void kring_link_get(struct kring_link *link);
void kring_link_put(struct kring_link *link);

/* KRING_IOC_LINK_LIST: all but the pinned names (kring_ids.c adds them). */
void kring_link_fill_info(struct kring_link *link,
			  struct kring_link_info *info);

#endif /* KRING_ATTACH_H */
