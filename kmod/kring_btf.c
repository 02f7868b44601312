// SPDX-License-Identifier: GPL-2.0
/*
 * The running kernel's BTF, parsed by the portable parser (bpf/kbpf_btf.h).
 *
 * Linux gives a module no way to its own parsed BTF: btf_vmlinux and
 * bpf_get_btf_vmlinux() are not exported. /sys/kernel/btf/vmlinux is the
 * same bytes (the kernel's .BTF section, which it parsed at boot). It is
 * read at the first load that needs it (most programs never do; it is 5-6
 * MB), then kept with its parse until the module is unloaded.
 *
 * The path is resolved from the initial task's root: in the loader's own
 * mount namespace, whoever may mount there could put another file at that
 * path, and the verifier, which trusts the BTF's layouts of kernel structs,
 * would keep it for every later load.
 *
 * Not kernel_read_file_from_path_initns(), which does the same: it asks the
 * LSMs about the read with an enum kernel_read_file_id, and none fits (BTF
 * is no firmware, module or policy). With READING_UNKNOWN, 6.12's IPE (on
 * in Debian's kernels) WARNs that it has no rule for it, which the VM tests
 * caught. A plain kernel_read() of a sysfs file is what any reader does.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>

#include "kring_btf.h"
#include "bpf/kbpf_btf.h"

#define KRING_VMLINUX_BTF_PATH "/sys/kernel/btf/vmlinux"
/* A bound on the read far above any kernel's BTF (Debian's: about 5 MB). */
#define KRING_VMLINUX_BTF_MAX SZ_256M

/* Serialises first users; the BTF, once published, is read without it. */
static DEFINE_MUTEX(kring_btf_lock);
static void *kring_btf_data;		/* the file, vmalloc'd */
static struct kbpf_btf *kring_btf;	/* its parse, over kring_btf_data */

/* The file, read whole into a vmalloc'd *@out: its size, or -errno. */
static ssize_t kring_btf_read(void **out)
{
	struct path root;
	struct file *file;
	loff_t size, pos = 0;
	ssize_t n = 0;
	void *data;

	task_lock(&init_task);
	get_fs_root(init_task.fs, &root);
	task_unlock(&init_task);
	file = file_open_root(&root, KRING_VMLINUX_BTF_PATH, O_RDONLY, 0);
	path_put(&root);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/* sysfs gives the blob's size as the file's. */
	size = i_size_read(file_inode(file));
	if (size <= 0 || size > KRING_VMLINUX_BTF_MAX) {
		fput(file);
		return -EFBIG;
	}
	data = vmalloc(size);
	if (!data) {
		fput(file);
		return -ENOMEM;
	}
	while (pos < size) {
		n = kernel_read(file, data + pos, size - pos, &pos);
		if (n <= 0)
			break;
	}
	fput(file);
	if (pos != size) {
		vfree(data);
		return n < 0 ? n : -EIO;
	}
	*out = data;
	return size;
}

/* Reads and parses the file: the BTF, or an ERR_PTR and *@why. */
static struct kbpf_btf *kring_btf_load(const char **why)
{
	struct kbpf_btf *btf;
	void *data = NULL;
	ssize_t len;
	int err;

	len = kring_btf_read(&data);
	if (len == -ENOENT) {
		*why = "the kernel has no BTF (" KRING_VMLINUX_BTF_PATH ")";
		return ERR_PTR(len);
	}
	if (len < 0) {
		*why = "cannot read the kernel's BTF (" KRING_VMLINUX_BTF_PATH ")";
		return ERR_PTR(len);
	}
	err = kbpf_btf_parse(data, len, &btf, why);
	if (err) {
		vfree(data);
		if (err == -ENOMEM)
			*why = "out of memory for the kernel's BTF";
		return ERR_PTR(err);
	}
	kring_btf_data = data;
	return btf;
}

const struct kbpf_btf *kring_vmlinux_btf(const char **why)
{
	struct kbpf_btf *btf;
	const char *unused;

	if (!why)
		why = &unused;
	/* Pairs with the release below: a BTF seen is a complete one. */
	btf = smp_load_acquire(&kring_btf);
	if (btf)
		return btf;
	mutex_lock(&kring_btf_lock);
	btf = kring_btf;
	if (btf)
		goto unlock;
	btf = kring_btf_load(why);
	if (IS_ERR(btf))
		goto unlock;
	/* Published whole: pairs with the acquire above. */
	smp_store_release(&kring_btf, btf);
unlock:
	mutex_unlock(&kring_btf_lock);
	return btf;
}

void kring_btf_exit(void)
{
	kbpf_btf_free(kring_btf);
	kring_btf = NULL;
	vfree(kring_btf_data);
	kring_btf_data = NULL;
}
