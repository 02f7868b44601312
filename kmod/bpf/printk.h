/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_trace_printk and bpf_trace_vprintk's formatting: which formats Linux
 * takes, and the text they give. The module's helpers and kring-run share
 * it; each host supplies the reads and the pointer formats (the kernel's
 * %p hashing and symbol lookups) through struct kbpf_printk_host.
 */
#ifndef KBPF_PRINTK_H
#define KBPF_PRINTK_H

#include "kbpf_platform.h"

/* Linux's limits: the text of one call, and its arguments' scratch space. */
#define KBPF_PRINTK_OUT_SIZE 1024
#define KBPF_PRINTK_SCRATCH_SIZE 512
/* bpf_trace_printk's arguments, and the most bpf_trace_vprintk takes. */
#define KBPF_TRACE_PRINTK_ARGS 3
#define KBPF_TRACE_VPRINTK_ARGS 12

struct kbpf_printk_host {
	/*
	 * A NUL-terminated string of at most @size bytes at @addr, cut to
	 * fit: its length with the NUL, or a negative errno. @space is 'k'
	 * (kernel), 'u' (user) or 's' (user below the task size, else kernel).
	 */
	long (*read_str)(char *dst, u32 size, u64 addr, char space);
	/* @size bytes of kernel memory: 0, or a negative errno. */
	int (*read_kernel)(void *dst, u32 size, u64 addr);
	/*
	 * A pointer conversion (@spec is "%p", "%px", "%pK", "%ps", "%pS" or
	 * "%pB", with the flags and width of the format): snprintf()'s result.
	 */
	int (*format_ptr)(char *dst, size_t size, const char *spec, u64 value);
};

/* Where one call formats: the text, and the copies of its arguments. */
struct kbpf_printk_buf {
	char out[KBPF_PRINTK_OUT_SIZE];
	char scratch[KBPF_PRINTK_SCRATCH_SIZE];
};

/*
 * Formats @fmt (NUL-terminated within @fmt_size) with @nargs arguments into
 * @buf->out, cut to its size: the length of the whole text, as snprintf()
 * gives it, or -EINVAL for a format Linux refuses (a conversion it does not
 * know, more conversions than arguments, a control character) or -ENOSPC
 * when the arguments' copies outgrow the scratch space.
 */
int kbpf_printk_format(struct kbpf_printk_buf *buf, const char *fmt,
		       u32 fmt_size, const u64 *args, u32 nargs,
		       const struct kbpf_printk_host *host);

#endif /* KBPF_PRINTK_H */
