// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises kring's in-kernel producer API the way another module would.
 * The in-VM tests write commands to /sys/kernel/debug/kring_api_test/ctl:
 *
 *   submit FD SIZE COUNT FLAGS    reserve, fill and submit COUNT records
 *   discard FD SIZE COUNT FLAGS   reserve, fill and discard COUNT records
 *   output FD SIZE COUNT FLAGS    kring_output() COUNT records
 *   irq FD SIZE COUNT FLAGS       kring_output() COUNT records from hard IRQ
 *   batch FD SIZE COUNT FLAGS     reserve, fill and submit COUNT records in
 *                                 one batch (kring_batch_*); a full ring
 *                                 drops records, as a program's
 *   hold FD SIZE                  reserve one record and keep it busy
 *   release submit|discard        commit the held record
 *   query FD SELECTOR             kring_query(); read ctl for the answer
 *   bench FD SIZE COUNT WAKEUP    kring-bench's producer without a program:
 *                                 COUNT records, each holding its commit
 *                                 time, as bench/bench.bpf.c's (WAKEUP: 0,
 *                                 or the bytes waiting that force a wakeup);
 *                                 concurrent writers run concurrently
 *
 * Record payloads: a little-endian u64 sequence number (counting from 0 per
 * command; the held record is ~0), then bytes equal to the low byte of it.
 * A write returns its length, or the first error (-EAGAIN: ring full).
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/kring.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/timekeeping.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kring.h"

static struct dentry *api_test_dir;
static DEFINE_MUTEX(api_test_lock);
static struct kring_ring *held_ring;
static void *held_sample;
static u64 last_query;

static void fill_record(void *sample, u64 size, u64 seq)
{
	memset(sample, (u8)seq, size);
	memcpy(sample, &seq, min_t(u64, size, sizeof(seq)));
}

struct irq_producer {
	struct irq_work work;
	struct kring_ring *ring;
	void *buf;
	u64 size, count, flags;
	int err;
};

static void irq_produce(struct irq_work *work)
{
	struct irq_producer *p = container_of(work, struct irq_producer, work);
	u64 seq;

	for (seq = 0; seq < p->count && !p->err; seq++) {
		fill_record(p->buf, p->size, seq);
		p->err = kring_output(p->ring, p->buf, p->size, p->flags);
	}
}

static int produce_from_irq(struct kring_ring *ring, u64 size, u64 count,
			    u64 flags)
{
	struct irq_producer p = { .ring = ring, .size = size, .count = count,
				  .flags = flags };

	p.buf = kzalloc(max_t(u64, size, 1), GFP_KERNEL);
	if (!p.buf)
		return -ENOMEM;
	init_irq_work(&p.work, irq_produce);
	irq_work_queue(&p.work);
	irq_work_sync(&p.work);
	kfree(p.buf);
	return p.err;
}

static int produce_batch(struct kring_ring *ring, u64 size, u64 count,
			 u64 flags)
{
	struct kring_batch batch;
	void *sample;
	u64 seq;

	kring_batch_begin(&batch);
	for (seq = 0; seq < count; seq++) {
		sample = kring_batch_reserve(&batch, ring, size, 0);
		if (!sample)
			continue;
		fill_record(sample, size, seq);
		kring_batch_submit(&batch, sample, flags);
	}
	kring_batch_end(&batch);
	return 0;
}

static int produce(const char *op, struct kring_ring *ring, u64 size,
		   u64 count, u64 flags)
{
	void *sample;
	u64 seq;
	int err;

	if (!strcmp(op, "irq"))
		return produce_from_irq(ring, size, count, flags);
	if (!strcmp(op, "batch"))
		return produce_batch(ring, size, count, flags);
	for (seq = 0; seq < count; seq++) {
		if (!strcmp(op, "output")) {
			void *buf = kzalloc(max_t(u64, size, 1), GFP_KERNEL);

			if (!buf)
				return -ENOMEM;
			fill_record(buf, size, seq);
			err = kring_output(ring, buf, size, flags);
			kfree(buf);
			if (err)
				return err;
			continue;
		}
		sample = kring_reserve(ring, size, 0);
		if (!sample)
			return -EAGAIN;
		fill_record(sample, size, seq);
		if (!strcmp(op, "submit"))
			kring_submit(sample, flags);
		else
			kring_discard(sample, flags);
	}
	return 0;
}

/*
 * What bench/bench.bpf.c's program does, through the API: reserve, write
 * the clock, submit; with @wakeup_bytes, no wakeup until that many bytes
 * wait. Preemption off, as a probe runs a program, and one batch per
 * command, as a program run is one.
 */
static int bench_produce(int fd, u64 size, u64 count, u64 wakeup_bytes)
{
	struct kring_ring *ring = kring_ring_get_fd(fd);
	struct kring_batch batch;
	u64 i, ts;

	if (IS_ERR(ring))
		return PTR_ERR(ring);
	preempt_disable();
	kring_batch_begin(&batch);
	for (i = 0; i < count; i++) {
		void *rec = kring_batch_reserve(&batch, ring, size, 0);
		u64 flags = 0;

		if (!rec)
			continue;	/* a drop, as the program's */
		ts = ktime_get_mono_fast_ns();
		memcpy(rec, &ts, min_t(u64, size, sizeof(ts)));
		if (wakeup_bytes)
			flags = kring_batch_query(&batch, ring,
						  KRING_QUERY_AVAIL_DATA) >=
				wakeup_bytes ? KRING_FORCE_WAKEUP :
					       KRING_NO_WAKEUP;
		kring_batch_submit(&batch, rec, flags);
	}
	kring_batch_end(&batch);
	preempt_enable();
	kring_ring_put(ring);
	return 0;
}

static int run_command(char *cmd)
{
	char op[16], how[16];
	u64 size = 0, count = 0, flags = 0;
	struct kring_ring *ring;
	int fd, n, err;

	n = sscanf(cmd, "%15s", op);
	if (n != 1)
		return -EINVAL;
	if (!strcmp(op, "release")) {
		if (sscanf(cmd, "%*s %15s", how) != 1 || !held_sample)
			return -EINVAL;
		if (!strcmp(how, "submit"))
			kring_submit(held_sample, 0);
		else
			kring_discard(held_sample, 0);
		kring_ring_put(held_ring);
		held_sample = NULL;
		held_ring = NULL;
		return 0;
	}
	if (!strcmp(op, "query")) {
		if (sscanf(cmd, "%*s %d %llu", &fd, &size) != 2)
			return -EINVAL;
	} else if (!strcmp(op, "hold")) {
		if (sscanf(cmd, "%*s %d %llu", &fd, &size) != 2 || held_sample)
			return -EINVAL;
	} else if (!strcmp(op, "submit") || !strcmp(op, "discard") ||
		   !strcmp(op, "output") || !strcmp(op, "irq") ||
		   !strcmp(op, "batch")) {
		if (sscanf(cmd, "%*s %d %llu %llu %llu", &fd, &size, &count,
			   &flags) != 4)
			return -EINVAL;
	} else {
		return -EINVAL;
	}

	ring = kring_ring_get_fd(fd);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	if (!strcmp(op, "query")) {
		last_query = kring_query(ring, size);
		err = 0;
	} else if (!strcmp(op, "hold")) {
		held_sample = kring_reserve(ring, size, 0);
		if (held_sample) {
			fill_record(held_sample, size, ~0ULL);
			held_ring = ring;
			return 0;
		}
		err = -EAGAIN;
	} else {
		err = produce(op, ring, size, count, flags);
	}
	kring_ring_put(ring);
	return err;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char cmd[96];
	int err;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	if (!strncmp(cmd, "bench ", 6)) {	/* no shared state: no lock */
		u64 size, count, wakeup;
		int fd;

		if (sscanf(cmd, "%*s %d %llu %llu %llu", &fd, &size, &count,
			   &wakeup) != 4)
			return -EINVAL;
		err = bench_produce(fd, size, count, wakeup);
		return err ? err : len;
	}
	mutex_lock(&api_test_lock);
	err = run_command(cmd);
	mutex_unlock(&api_test_lock);
	return err ? err : len;
}

static ssize_t ctl_read(struct file *file, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	char buf[32];
	int n;

	mutex_lock(&api_test_lock);
	n = scnprintf(buf, sizeof(buf), "%llu\n", last_query);
	mutex_unlock(&api_test_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
	.read = ctl_read,
	.llseek = default_llseek,
};

static int __init api_test_init(void)
{
	api_test_dir = debugfs_create_dir("kring_api_test", NULL);
	debugfs_create_file("ctl", 0600, api_test_dir, NULL, &ctl_fops);
	return 0;
}

static void __exit api_test_exit(void)
{
	debugfs_remove_recursive(api_test_dir);
	if (held_sample) {
		kring_discard(held_sample, 0);
		kring_ring_put(held_ring);
	}
}

module_init(api_test_init);
module_exit(api_test_exit);

MODULE_DESCRIPTION("kring in-kernel API test producer");
MODULE_LICENSE("GPL");
