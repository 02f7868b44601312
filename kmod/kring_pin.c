// SPDX-License-Identifier: GPL-2.0
/*
 * Named rings. A name is an entry in one module-wide table that holds a
 * reference on its ring, so that the ring (its unconsumed records and its
 * consumer position included) outlives every fd and mapping of it, and a
 * consumer that crashed or restarted reopens it by name and carries on where
 * the ring says it stopped. Like a BPF map pinned in bpffs, a name lasts
 * until it is removed.
 *
 * Each name also holds a reference on the module: unloading would free the
 * table with the rings in it, and nothing could reach them again, so the
 * module stays until the last name is removed (as it stays while a program
 * is attached).
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
#include "kring_pin.h"

struct kring_pin {
	struct list_head node;		/* in kring_pins, in pinning order */
	struct kring_ring *ring;	/* counted reference */
	char name[KRING_NAME_MAX];
};

/* Process context only: every operation may sleep (copies, frees). */
static DEFINE_MUTEX(kring_pins_lock);
static LIST_HEAD(kring_pins);
static unsigned int kring_nr_pins;

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

long kring_pin_ring(struct kring_ring *ring, const void __user *arg)
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
		kring_ring_get(ring);
		pin->ring = ring;
		list_add_tail(&pin->node, &kring_pins);
		kring_nr_pins++;
		pin = NULL;
	}
	mutex_unlock(&kring_pins_lock);
out_free:
	kfree(pin);
	return err;
}

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
	if (pin) {
		kring_ring_get(pin->ring);
		ring = pin->ring;
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
	kring_ring_put(pin->ring);
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
