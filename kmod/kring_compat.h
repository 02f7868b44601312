/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels kring builds for: Debian 12's 6.1 and
 * 6.12 lines and their PREEMPT_RT variants. Every guard lives here, so the
 * rest of the module is written against the newest interface.
 */
#ifndef KRING_COMPAT_H
#define KRING_COMPAT_H

#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uprobes.h>

/* 6.12 reads a struct fd's file through fd_file(); before, it was a field. */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * Since 6.3, vma->vm_flags is read-only outside these helpers (Kbuild probes
 * the kernel's mm.h for them).
 */
#ifndef KRING_HAVE_VM_FLAGS_CLEAR
static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * Since 6.12, bpf_map_get() and kern_sys_bpf() (kring_stackid.c) are in
 * the BPF_INTERNAL namespace, which the module then imports
 * (docs/programs.md, "Maps").
 */
#ifdef KRING_BPF_MAP_GET_IN_BPF_INTERNAL
#define KRING_IMPORT_BPF_INTERNAL() MODULE_IMPORT_NS(BPF_INTERNAL)
#else
#define KRING_IMPORT_BPF_INTERNAL()
#endif

/*
 * Since 6.10, a trace event's __assign_str() takes the field alone, its
 * source being the __string() declaration's (Kbuild probes the kernel's
 * trace stages for it).
 */
#ifdef KRING_HAVE_ASSIGN_STR_FIELD_ONLY
#define kring_assign_str(field, src) __assign_str(field)
#else
#define kring_assign_str(field, src) __assign_str(field, src)
#endif

/*
 * A uprobe: its consumer, and where it is. Since 6.12, registering gives
 * the uprobe, which unregistering takes, and a second call waits until no
 * handler can still be running; before, unregistering took the inode and
 * the offset again and waited itself (Kbuild probes uprobes.h).
 */
struct kring_uprobe {
	struct uprobe_consumer uc;
	struct inode *inode;	/* a reference held */
	loff_t offset;
	struct uprobe *uprobe;	/* 6.12 on */
};

/*
 * A uprobe consumer's filter: until 6.9 it was also told why it is asked
 * (Kbuild probes uprobes.h for the enum).
 */
#ifdef KRING_HAVE_UPROBE_FILTER_CTX
#define KRING_UPROBE_FILTER_PARAMS \
	struct uprobe_consumer *uc, enum uprobe_filter_ctx ctx, \
	struct mm_struct *mm
#else
#define KRING_UPROBE_FILTER_PARAMS \
	struct uprobe_consumer *uc, struct mm_struct *mm
#endif

#ifdef KRING_HAVE_UPROBE_UNREGISTER_NOSYNC
static inline int kring_uprobe_register(struct kring_uprobe *up)
{
	up->uprobe = uprobe_register(up->inode, up->offset, 0, &up->uc);
	return PTR_ERR_OR_ZERO(up->uprobe);
}

static inline void kring_uprobe_unregister(struct kring_uprobe *up)
{
	uprobe_unregister_nosync(up->uprobe, &up->uc);
	uprobe_unregister_sync();
}
#else
static inline int kring_uprobe_register(struct kring_uprobe *up)
{
	return uprobe_register(up->inode, up->offset, &up->uc);
}

static inline void kring_uprobe_unregister(struct kring_uprobe *up)
{
	uprobe_unregister(up->inode, up->offset, &up->uc);
}
#endif

#endif /* KRING_COMPAT_H */
