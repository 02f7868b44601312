// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kring: every open file may get one ring (KRING_IOC_CREATE); the ring
 * lives as long as the file, any mapping of it, any program that names it,
 * and its name if it is pinned (kring_pin.c). Several processes share a ring
 * by sharing the file (fork, SCM_RIGHTS) or by opening it by name; each
 * write(2) on it is one record.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kring.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kring.h"
#include "kring_helpers.h"
#include "kring_compat.h"
#include "kring_btf.h"
#include "kring_ids.h"
#include "kring_pin.h"
#include "kring_prog.h"
#include "kring_prog_array.h"
#include "kring_ring.h"

static const struct file_operations kring_fops;

/*
 * An open /dev/kring file. Its wait queue exists from open() on, so that
 * poll, epoll and io_uring can wait on a file before it has a ring; when a
 * ring is installed, the relay entry joins the ring's wait queue and passes
 * every ring wakeup on to the file's waiters.
 */
struct kring_file {
	struct kring_ring *ring;	/* NULL before create/open-by-name */
	wait_queue_head_t waitq;	/* poll()ers of this file */
	struct wait_queue_entry relay;	/* on ring->waitq once installed */
};

/*
 * The file's ring, or NULL before KRING_IOC_CREATE. Acquire pairs with the
 * cmpxchg that installs it, so a ring seen is a ring fully initialised.
 */
static struct kring_ring *kring_file_ring(struct file *file)
{
	struct kring_file *kf = file->private_data;

	/* Pairs with the cmpxchg in kring_file_set_ring(). */
	return smp_load_acquire(&kf->ring);
}

/* A ring wakeup (ring->waitq) wakes this file's waiters. */
static int kring_file_relay_wake(struct wait_queue_entry *relay,
				 unsigned int mode, int sync, void *key)
{
	struct kring_file *kf = container_of(relay, struct kring_file, relay);

	__wake_up(&kf->waitq, mode, 0, key);
	return 0;
}

static int kring_open(struct inode *inode, struct file *file)
{
	struct kring_file *kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);

	if (!kf)
		return -ENOMEM;
	init_waitqueue_head(&kf->waitq);
	init_waitqueue_func_entry(&kf->relay, kring_file_relay_wake);
	file->private_data = kf;
	return nonseekable_open(inode, file);
}

static int kring_release(struct inode *inode, struct file *file)
{
	struct kring_file *kf = file->private_data;
	struct kring_ring *ring = kring_file_ring(file);

	if (ring) {
		/*
		 * Taking the ring's wait queue lock also waits for a wakeup
		 * running the relay right now.
		 */
		remove_wait_queue(&ring->waitq, &kf->relay);
		kring_ring_put(ring);
	}
	kfree(kf);
	return 0;
}

/*
 * Gives the file @ring (a reference the file now owns), unless a racing
 * create or open-by-name on the same file got there first. The file's
 * waiters are woken once: a ring opened by name may already hold records.
 */
static long kring_file_set_ring(struct file *file, struct kring_ring *ring)
{
	struct kring_file *kf = file->private_data;

	if (cmpxchg(&kf->ring, NULL, ring)) {
		kring_ring_put(ring);
		return -EEXIST;
	}
	add_wait_queue(&ring->waitq, &kf->relay);
	wake_up_all(&kf->waitq);
	return 0;
}

static long kring_ioctl_create(struct file *file, void __user *arg)
{
	struct kring_create req;
	struct kring_ring *ring;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	if (req.data_size > KRING_MAX_DATA_SIZE)
		return -E2BIG;
	if (req.data_size < PAGE_SIZE || !is_power_of_2(req.data_size))
		return -EINVAL;
	if (kring_file_ring(file))
		return -EEXIST;
	ring = kring_ring_create(req.data_size);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	return kring_file_set_ring(file, ring);
}

/* KRING_IOC_OPEN_PINNED: the file becomes a file of a named ring. */
static long kring_ioctl_open_pinned(struct file *file, void __user *arg)
{
	struct kring_ring *ring;

	if (kring_file_ring(file))
		return -EEXIST;
	ring = kring_pin_open(arg);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	return kring_file_set_ring(file, ring);
}

static long kring_ioctl_query(struct kring_ring *ring, void __user *arg)
{
	struct kring_query out = {
		.avail_data = kring_rb_query(&ring->rb, KRING_QUERY_AVAIL_DATA),
		.ring_size = kring_rb_query(&ring->rb, KRING_QUERY_RING_SIZE),
		.consumer_pos = kring_rb_query(&ring->rb, KRING_QUERY_CONS_POS),
		.producer_pos = kring_rb_query(&ring->rb, KRING_QUERY_PROD_POS),
		.cookie = ring->cookie,
	};

	return copy_to_user(arg, &out, sizeof(out)) ? -EFAULT : 0;
}

static long kring_ioctl_stats(struct kring_ring *ring, void __user *arg)
{
	struct kring_stats out;

	kring_ring_read_stats(ring, &out);
	return copy_to_user(arg, &out, sizeof(out)) ? -EFAULT : 0;
}

/* Producing needs a file open for writing, as write(2) does. */
static long kring_ioctl_output(struct file *file, struct kring_ring *ring,
			       void __user *arg)
{
	struct kring_output req;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	return kring_ring_output_user(ring, u64_to_user_ptr(req.data),
				      req.len, req.flags);
}

static long kring_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct kring_ring *ring;

	if (cmd == KRING_IOC_CREATE)
		return kring_ioctl_create(file, uarg);
	if (cmd == KRING_IOC_PROG_LOAD || cmd == KRING_IOC_PROG_LOAD_V1)
		return kring_prog_load(uarg, _IOC_SIZE(cmd));
	if (cmd == KRING_IOC_PROG_ARRAY_CREATE)
		return kring_prog_array_create(uarg);
	if (cmd == KRING_IOC_OPEN_PINNED)
		return kring_ioctl_open_pinned(file, uarg);
	if (cmd == KRING_IOC_UNPIN)
		return kring_pin_remove(uarg);
	if (cmd == KRING_IOC_LIST_PINNED)
		return kring_pin_list(uarg);
	if (cmd == KRING_IOC_RING_LIST)
		return kring_list(KRING_KIND_RING, uarg);
	if (cmd == KRING_IOC_PROG_LIST)
		return kring_list(KRING_KIND_PROG, uarg);
	if (cmd == KRING_IOC_LINK_LIST)
		return kring_list(KRING_KIND_LINK, uarg);

	switch (cmd) {
	case KRING_IOC_QUERY:
	case KRING_IOC_STATS:
	case KRING_IOC_OUTPUT:
	case KRING_IOC_PIN:
		break;
	default:
		return -ENOTTY;
	}
	ring = kring_file_ring(file);
	if (!ring)
		return -ENXIO;
	switch (cmd) {
	case KRING_IOC_QUERY:
		return kring_ioctl_query(ring, uarg);
	case KRING_IOC_STATS:
		return kring_ioctl_stats(ring, uarg);
	case KRING_IOC_PIN:
		return kring_pin(KRING_KIND_RING, ring, uarg);
	default:
		return kring_ioctl_output(file, ring, uarg);
	}
}

static ssize_t kring_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct kring_ring *ring = kring_file_ring(file);
	int err;

	if (!ring)
		return -ENXIO;
	if (!count)
		return 0;
	err = kring_ring_output_user(ring, buf, count, 0);
	return err ? err : count;
}

static int kring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kring_ring *ring = kring_file_ring(file);

	if (!ring)
		return -ENXIO;
	return kring_ring_mmap(ring, vma);
}

/*
 * A file without a ring reports nothing and waits on its own queue, which the
 * ring joins when it is installed: a waiter registered before the ring
 * existed is woken by its creation and by its data, like any other.
 */
static __poll_t kring_poll(struct file *file, poll_table *wait)
{
	struct kring_file *kf = file->private_data;
	struct kring_ring *ring;

	poll_wait(file, &kf->waitq, wait);
	ring = kring_file_ring(file);
	if (!ring)
		return 0;
	return kring_ring_poll(ring);
}

static const struct file_operations kring_fops = {
	.owner = THIS_MODULE,
	.open = kring_open,
	.release = kring_release,
	.unlocked_ioctl = kring_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.write = kring_write,
	.mmap = kring_mmap,
	.poll = kring_poll,
};

struct kring_ring *kring_ring_get_fd(int fd)
{
	struct kring_ring *ring;
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	if (fd_file(f)->f_op != &kring_fops) {
		fdput(f);
		return ERR_PTR(-EINVAL);
	}
	ring = kring_file_ring(fd_file(f));
	if (ring)
		kring_ring_get(ring);
	fdput(f);
	return ring ? ring : ERR_PTR(-ENXIO);
}
EXPORT_SYMBOL_GPL(kring_ring_get_fd);

static struct miscdevice kring_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kring",
	.fops = &kring_fops,
};

static int __init kring_init(void)
{
	int err;

	kring_helpers_init();
	err = kring_prog_init();
	if (err)
		return err;
	err = misc_register(&kring_misc);
	if (err)
		kring_prog_exit();
	return err;
}

static void __exit kring_exit(void)
{
	misc_deregister(&kring_misc);
	kring_prog_exit();
	kring_helpers_exit();
	kring_ids_exit();
	/* After the programs: the last loads and frees are done. */
	kring_btf_exit();
}

module_init(kring_init);
module_exit(kring_exit);

MODULE_DESCRIPTION("kring: an MPSC ring buffer from kernel to userspace");
MODULE_LICENSE("GPL");
