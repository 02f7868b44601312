// SPDX-License-Identifier: GPL-2.0
/*
 * Prog arrays: what bpf_tail_call() jumps through. Linux's
 * BPF_MAP_TYPE_PROG_ARRAY holds Linux programs, so kring programs get an
 * array of their own, with Linux's rules: a slot holds a reference on its
 * program, every program in an array has the context and the runtime
 * (JIT'd or not) of its first, and
 * the slots empty when the array's last fd closes (Linux's "user
 * references"), which breaks a cycle of a program that holds, through its
 * maps, an array holding itself.
 *
 * A JIT'd program tail-calls with the kernel's own BPF_TAIL_CALL, which
 * reads the array's view (a struct bpf_array); an interpreted one through
 * kring_prog_tail_call and kring_prog_run's trampoline, which read slots[].
 * Either reads a slot under RCU (kring_prog_run holds the read lock for
 * the whole run and the tail calls it takes), so a program once put in a
 * slot is freed a grace period after its last reference goes (struct
 * kring_prog's tail_callable).
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kring.h>

#include "kring_compat.h"
#include "kring_jit.h"
#include "kring_prog.h"
#include "kring_prog_array.h"

static const struct file_operations kring_prog_array_fops;

void kring_prog_array_put(struct kring_prog_array *array)
{
	if (!refcount_dec_and_test(&array->refs))
		return;
	kfree(array->slots);
	kfree(array);
}

bool kring_prog_array_admits(struct kring_prog_array *array,
			     const struct kring_prog *prog)
{
	int class = kring_attach_class(prog->attach_type) |
		    (prog->jit ? KRING_PROG_ARRAY_JIT : 0);
	bool admits = true;

	spin_lock(&array->owner_lock);
	if (!array->owner) {
		array->owner = class;
		strscpy(array->owner_target, prog->target,
			sizeof(array->owner_target));
	} else {
		admits = array->owner == class &&
			 !strcmp(array->owner_target, prog->target);
	}
	spin_unlock(&array->owner_lock);
	return admits;
}

struct kring_prog_array *kring_prog_array_get_fd(int fd)
{
	struct kring_prog_array *array;
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	if (fd_file(f)->f_op != &kring_prog_array_fops) {
		fdput(f);
		return ERR_PTR(-EINVAL);
	}
	array = fd_file(f)->private_data;
	refcount_inc(&array->refs);
	fdput(f);
	return array;
}

/*
 * Slot @index gets @prog (NULL: empties), for both runtimes, under
 * update_lock so that slots[] and ptrs[] agree; the program it held is put.
 * Returns whether there was one.
 */
static bool kring_prog_array_set(struct kring_prog_array *array, u32 index,
				 struct kring_prog *prog)
{
	struct kring_prog *old;

	mutex_lock(&array->update_lock);
	old = rcu_replace_pointer(array->slots[index], prog,
				  lockdep_is_held(&array->update_lock));
	WRITE_ONCE(array->view.ptrs[index],
		   prog && prog->jit ? prog->jit->funcs[0] : NULL);
	mutex_unlock(&array->update_lock);
	if (old)
		kring_prog_put(old);
	return old;
}

static long kring_prog_array_update(struct kring_prog_array *array,
				    const struct kring_prog_array_elem *elem)
{
	struct kring_prog *prog = kring_prog_get_fd(elem->prog_fd);

	if (IS_ERR(prog))
		return PTR_ERR(prog);
	if (!kring_prog_array_admits(array, prog)) {
		kring_prog_put(prog);
		return -EINVAL;
	}
	/* Before the slot publishes it: its last put must wait for RCU. */
	WRITE_ONCE(prog->tail_callable, true);
	kring_prog_array_set(array, elem->index, prog);
	return 0;
}

static long kring_prog_array_lookup(struct kring_prog_array *array,
				    struct kring_prog_array_elem *elem)
{
	struct kring_prog *prog;

	rcu_read_lock();
	prog = rcu_dereference(array->slots[elem->index]);
	elem->prog_id = prog ? prog->id : 0;
	rcu_read_unlock();
	return elem->prog_id ? 0 : -ENOENT;
}

static long kring_prog_array_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	struct kring_prog_array *array = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct kring_prog_array_elem elem;
	long err;

	switch (cmd) {
	case KRING_IOC_PROG_ARRAY_UPDATE:
	case KRING_IOC_PROG_ARRAY_DELETE:
	case KRING_IOC_PROG_ARRAY_LOOKUP:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&elem, uarg, sizeof(elem)))
		return -EFAULT;
	if (elem.flags)
		return -EINVAL;
	if (elem.index >= array->view.map.max_entries)
		return -E2BIG;
	switch (cmd) {
	case KRING_IOC_PROG_ARRAY_UPDATE:
		return kring_prog_array_update(array, &elem);
	case KRING_IOC_PROG_ARRAY_DELETE:
		return kring_prog_array_set(array, elem.index, NULL) ? 0 :
								      -ENOENT;
	default:
		err = kring_prog_array_lookup(array, &elem);
		if (err)
			return err;
		return copy_to_user(uarg, &elem, sizeof(elem)) ? -EFAULT : 0;
	}
}

/* The last fd closed: the slots empty, then the fd's reference goes. */
static int kring_prog_array_release(struct inode *inode, struct file *file)
{
	struct kring_prog_array *array = file->private_data;
	u32 i;

	for (i = 0; i < array->view.map.max_entries; i++)
		kring_prog_array_set(array, i, NULL);
	kring_prog_array_put(array);
	return 0;
}

static const struct file_operations kring_prog_array_fops = {
	.owner = THIS_MODULE,
	.release = kring_prog_array_release,
	.unlocked_ioctl = kring_prog_array_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

long kring_prog_array_create(const void __user *uarg)
{
	struct kring_prog_array_create req;
	struct kring_prog_array *array;
	int fd;

	if (!bpf_capable())
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || !req.max_entries)
		return -EINVAL;
	if (req.max_entries > KRING_PROG_ARRAY_MAX_ENTRIES)
		return -E2BIG;
	array = kzalloc(struct_size(array, view.ptrs, req.max_entries),
			GFP_KERNEL_ACCOUNT);
	if (!array)
		return -ENOMEM;
	array->slots = kcalloc(req.max_entries, sizeof(*array->slots),
			       GFP_KERNEL_ACCOUNT);
	if (!array->slots) {
		kfree(array);
		return -ENOMEM;
	}
	refcount_set(&array->refs, 1);
	mutex_init(&array->update_lock);
	spin_lock_init(&array->owner_lock);
	array->view.map.max_entries = req.max_entries;
	fd = anon_inode_getfd("kring-prog-array", &kring_prog_array_fops, array,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kring_prog_array_put(array);
	return fd;
}
