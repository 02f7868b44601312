// SPDX-License-Identifier: GPL-2.0
/*
 * Names. A name is an entry in one module-wide table that holds a counted
 * reference on a ring, a program or a link, so that it outlives every fd of
 * it, as a BPF map, program or link pinned in bpffs does:
 *
 *  - a named ring keeps its unconsumed records and its consumer position, so
 *    a consumer that crashed or restarted reopens it by name and carries on
 *    where the ring says it stopped;
 *  - a named link keeps its program attached after the process that attached
 *    it has gone (its program and the program's rings with it), until the
 *    name goes and no fd holds the link: then it is detached.
 *
 * One table for every kind, so a name says one thing. Like a pinned BPF
 * object, a name lasts until it is removed.
 *
 * Each name also holds a reference on the module: unloading would free the
 * table with the objects in it, and nothing could reach them again (or stop
 * a pinned link's program), so the module stays until the last name is
 * removed (as it stays while a program is attached).
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/kring.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kring.h"
#include "kring_attach.h"
#include "kring_pin.h"
#include "kring_prog.h"

struct kring_pin {
	struct list_head node;		/* in kring_pins, in pinning order */
	enum kring_kind kind;
	void *obj;			/* counted reference on a @kind */
	char name[KRING_NAME_MAX];
};

/*
 * Process context only: every operation may sleep (copies, frees). Taken
 * before kring_ids_lock when both are (the list ioctls); no reference is
 * dropped under it, since a last one takes kring_ids_lock.
 */
static DEFINE_MUTEX(kring_pins_lock);
static LIST_HEAD(kring_pins);
static unsigned int kring_nr_pins;

static void kring_obj_get(enum kring_kind kind, void *obj)
{
	switch (kind) {
	case KRING_KIND_RING:
		kring_ring_get(obj);
		break;
	case KRING_KIND_PROG:
		kring_prog_get(obj);
		break;
	case KRING_KIND_LINK:
		kring_link_get(obj);
		break;
	}
}

/* A link's last reference detaches it. */
static void kring_obj_put(enum kring_kind kind, void *obj)
{
	switch (kind) {
	case KRING_KIND_RING:
		kring_ring_put(obj);
		break;
	case KRING_KIND_PROG:
		kring_prog_put(obj);
		break;
	case KRING_KIND_LINK:
		kring_link_put(obj);
		break;
	}
}

/*
 * ASCII only, spelled out: the kernel's isalnum() takes Latin-1 letters
 * (0xc0..0xff) too, and a name is documented as [A-Za-z0-9_.-].
 */
static bool kring_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * Copies a struct kring_name from userspace into @name and checks it: the
 * caller's privilege, zero flags, 1..KRING_NAME_MAX-1 allowed characters and
 * only NUL bytes after them (so that one name has one spelling).
 */
static int kring_name_from_user(const void __user *arg, char *name)
{
	struct kring_name req;
	size_t len, i;

	if (!bpf_capable())
		return -EPERM;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	len = strnlen(req.name, KRING_NAME_MAX);
	if (!len || len == KRING_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < KRING_NAME_MAX; i++) {
		if (i < len ? !kring_name_char_ok(req.name[i]) : req.name[i])
			return -EINVAL;
	}
	memcpy(name, req.name, KRING_NAME_MAX);
	return 0;
}

static struct kring_pin *kring_pin_find(const char *name)
{
	struct kring_pin *pin;

	lockdep_assert_held(&kring_pins_lock);
	list_for_each_entry(pin, &kring_pins, node) {
		if (!strcmp(pin->name, name))
			return pin;
	}
	return NULL;
}

long kring_pin(enum kring_kind kind, void *obj, const void __user *arg)
{
	struct kring_pin *pin;
	int err;

	pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	if (!pin)
		return -ENOMEM;
	err = kring_name_from_user(arg, pin->name);
	if (err)
		goto out_free;
	mutex_lock(&kring_pins_lock);
	if (kring_pin_find(pin->name)) {
		err = -EEXIST;
	} else if (kring_nr_pins >= KRING_MAX_PINNED) {
		err = -ENOSPC;
	} else {
		/*
		 * We run in an ioctl of a file this module owns, so the
		 * module is live and taking another reference cannot fail.
		 */
		__module_get(THIS_MODULE);
		kring_obj_get(kind, obj);
		pin->kind = kind;
		pin->obj = obj;
		list_add_tail(&pin->node, &kring_pins);
		kring_nr_pins++;
		pin = NULL;
	}
	mutex_unlock(&kring_pins_lock);
out_free:
	kfree(pin);
	return err;
}

/*
 * Only a ring can be opened: /dev/kring fds are ring fds. A program's or a
 * link's name is refused with EMEDIUMTYPE, which says "not a ring" where
 * EINVAL would say "bad name".
 */
struct kring_ring *kring_pin_open(const void __user *arg)
{
	struct kring_ring *ring = ERR_PTR(-ENOENT);
	char name[KRING_NAME_MAX];
	struct kring_pin *pin;
	int err;

	err = kring_name_from_user(arg, name);
	if (err)
		return ERR_PTR(err);
	mutex_lock(&kring_pins_lock);
	pin = kring_pin_find(name);
	if (pin && pin->kind != KRING_KIND_RING) {
		ring = ERR_PTR(-EMEDIUMTYPE);
	} else if (pin) {
		kring_ring_get(pin->obj);
		ring = pin->obj;
	}
	mutex_unlock(&kring_pins_lock);
	return ring;
}

long kring_pin_remove(const void __user *arg)
{
	char name[KRING_NAME_MAX];
	struct kring_pin *pin;
	int err;

	err = kring_name_from_user(arg, name);
	if (err)
		return err;
	mutex_lock(&kring_pins_lock);
	pin = kring_pin_find(name);
	if (pin) {
		list_del(&pin->node);
		kring_nr_pins--;
	}
	mutex_unlock(&kring_pins_lock);
	if (!pin)
		return -ENOENT;
	/* Outside the lock: a link's last reference detaches it, and sleeps. */
	kring_obj_put(pin->kind, pin->obj);
	kfree(pin);
	/* The file this ioctl came through still holds the module. */
	module_put(THIS_MODULE);
	return 0;
}

long kring_pin_list(void __user *arg)
{
	struct kring_pinned_list req;
	char (*names)[KRING_NAME_MAX] = NULL;
	struct kring_pin *pin;
	u32 capacity, count = 0;
	long err = 0;

	if (!bpf_capable())
		return -EPERM;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.count)
		return -EINVAL;
	/* Never more than the table can hold, whatever the buffer's size. */
	capacity = min_t(u32, req.capacity, KRING_MAX_PINNED);
	if (capacity) {
		names = kvcalloc(capacity, KRING_NAME_MAX, GFP_KERNEL);
		if (!names)
			return -ENOMEM;
	}
	mutex_lock(&kring_pins_lock);
	list_for_each_entry(pin, &kring_pins, node) {
		if (count < capacity)
			memcpy(names[count], pin->name, KRING_NAME_MAX);
		count++;
	}
	mutex_unlock(&kring_pins_lock);
	if (copy_to_user(u64_to_user_ptr(req.names), names,
			 (size_t)min(count, capacity) * KRING_NAME_MAX))
		err = -EFAULT;
	req.count = count;
	if (!err && copy_to_user(arg, &req, sizeof(req)))
		err = -EFAULT;
	kvfree(names);
	return err;
}

void kring_pin_table_lock(void)
{
	mutex_lock(&kring_pins_lock);
}

void kring_pin_table_unlock(void)
{
	mutex_unlock(&kring_pins_lock);
}

u32 kring_pin_names(enum kring_kind kind, const void *obj, char *first)
{
	struct kring_pin *pin;
	u32 count = 0;

	lockdep_assert_held(&kring_pins_lock);
	list_for_each_entry(pin, &kring_pins, node) {
		if (pin->kind != kind || pin->obj != obj)
			continue;
		if (!count++)
			memcpy(first, pin->name, KRING_NAME_MAX);
	}
	return count;
}
