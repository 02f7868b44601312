// SPDX-License-Identifier: GPL-2.0
/*
 * Ids and listings. Every ring, program and link gets an id when it is
 * created, as Linux gives its maps, programs and links theirs, so that an
 * operator can list what the module holds (rings nobody has open, programs
 * attached by a process that has exited, pinned links) and tell the objects
 * apart. Each kind has its own id space.
 *
 * An object's id goes with its last reference: the free path removes it
 * under kring_ids_lock before tearing anything down. A lister holds that
 * lock while it reads the objects, so whatever it finds in an idr is intact
 * until it lets go, without taking references (which would make a lister
 * free objects).
 */
#include <linux/capability.h>
#include <linux/idr.h>
#include <linux/kring.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "kring_attach.h"
#include "kring_ids.h"
#include "kring_pin.h"
#include "kring_prog.h"
#include "kring_ring.h"

/* Process context only: allocation, removal and listing all may sleep. */
static DEFINE_MUTEX(kring_ids_lock);
static DEFINE_IDR(kring_ring_idr);
static DEFINE_IDR(kring_prog_idr);
static DEFINE_IDR(kring_link_idr);

static void kring_fill_ring(void *obj, void *info)
{
	kring_ring_fill_info(obj, info);
}

static void kring_fill_prog(void *obj, void *info)
{
	kring_prog_fill_info(obj, info);
}

static void kring_fill_link(void *obj, void *info)
{
	kring_link_fill_info(obj, info);
}

/*
 * What a kind's listing needs: its idr, the size of its info struct, how to
 * fill one, and where the pinned-name fields are in it (every info struct
 * has them, at these offsets).
 */
struct kring_kind_desc {
	struct idr *idr;
	size_t info_size;
	void (*fill)(void *obj, void *info);
	size_t nr_pinned_off;
	size_t pinned_off;
};

#define KRING_KIND_DESC(idr_, type, fill_) {				\
	.idr = (idr_),							\
	.info_size = sizeof(struct type),				\
	.fill = (fill_),						\
	.nr_pinned_off = offsetof(struct type, nr_pinned),		\
	.pinned_off = offsetof(struct type, pinned),			\
}

static const struct kring_kind_desc kring_kinds[] = {
	[KRING_KIND_RING] = KRING_KIND_DESC(&kring_ring_idr, kring_ring_info,
					    kring_fill_ring),
	[KRING_KIND_PROG] = KRING_KIND_DESC(&kring_prog_idr, kring_prog_info,
					    kring_fill_prog),
	[KRING_KIND_LINK] = KRING_KIND_DESC(&kring_link_idr, kring_link_info,
					    kring_fill_link),
};

/*
 * Cyclic, as Linux allocates its BPF ids: a freed id comes back only after
 * every other one was used, so an id seen in one listing names the same
 * object in the next one or none at all.
 */
int kring_id_alloc(enum kring_kind kind, void *obj, u32 *id)
{
	int ret;

	mutex_lock(&kring_ids_lock);
	ret = idr_alloc_cyclic(kring_kinds[kind].idr, obj, 1, INT_MAX,
			       GFP_KERNEL_ACCOUNT);
	if (ret > 0)
		*id = ret;
	mutex_unlock(&kring_ids_lock);
	return ret < 0 ? ret : 0;
}

void kring_id_remove(enum kring_kind kind, u32 id)
{
	if (!id)
		return;
	mutex_lock(&kring_ids_lock);
	idr_remove(kring_kinds[kind].idr, id);
	mutex_unlock(&kring_ids_lock);
}

/*
 * Every object holds the module (through its fds and names), so none is left
 * when it unloads; the idrs may still hold their last empty nodes.
 */
void kring_ids_exit(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kring_kinds); i++) {
		WARN_ON_ONCE(!idr_is_empty(kring_kinds[i].idr));
		idr_destroy(kring_kinds[i].idr);
	}
}

/*
 * Fills the info of the first @n objects of @kind into @buf, with the names
 * each has; the caller holds the pin table's lock around kring_ids_lock (the
 * one order in which both are taken), so the names are those of the same
 * instant.
 */
static void kring_list_fill(enum kring_kind kind, u8 *buf, u32 n)
{
	const struct kring_kind_desc *desc = &kring_kinds[kind];
	u32 i = 0;
	void *obj;
	int id;

	lockdep_assert_held(&kring_ids_lock);
	idr_for_each_entry(desc->idr, obj, id) {
		u8 *info;

		if (i == n)
			break;
		info = buf + (size_t)i++ * desc->info_size;
		desc->fill(obj, info);
		*(__u32 *)(info + desc->nr_pinned_off) =
			kring_pin_names(kind, obj,
					(char *)info + desc->pinned_off);
	}
}

static u32 kring_list_count(const struct kring_kind_desc *desc)
{
	u32 count = 0;
	void *obj;
	int id;

	lockdep_assert_held(&kring_ids_lock);
	idr_for_each_entry(desc->idr, obj, id)
		count++;
	return count;
}

long kring_list(enum kring_kind kind, void __user *arg)
{
	const struct kring_kind_desc *desc = &kring_kinds[kind];
	struct kring_obj_list req;
	u8 *buf = NULL;
	u32 count, n;
	long err = 0;

	/* Linux's id walks need CAP_SYS_ADMIN itself; CAP_BPF is not enough. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.count)
		return -EINVAL;
	/*
	 * The buffer is sized under the locks, for the objects there are:
	 * nothing can come or go between the count and the copy, and a huge
	 * capacity costs nothing.
	 */
	kring_pin_table_lock();
	mutex_lock(&kring_ids_lock);
	count = kring_list_count(desc);
	n = min(count, req.capacity);
	if (n) {
		buf = kvcalloc(n, desc->info_size, GFP_KERNEL);
		if (!buf)
			err = -ENOMEM;
	}
	if (!err)
		kring_list_fill(kind, buf, n);
	mutex_unlock(&kring_ids_lock);
	kring_pin_table_unlock();
	if (err)
		return err;
	if (copy_to_user(u64_to_user_ptr(req.info), buf,
			 (size_t)n * desc->info_size))
		err = -EFAULT;
	req.count = count;
	if (!err && copy_to_user(arg, &req, sizeof(req)))
		err = -EFAULT;
	kvfree(buf);
	return err;
}
