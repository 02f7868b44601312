// SPDX-License-Identifier: GPL-2.0
/*
 * The formats bpf_trace_printk and bpf_trace_vprintk take are Linux's
 * (bpf_bprintf_prepare in kernel/bpf/helpers.c): text without control
 * characters; %% ; conversions with optional flags [0+- ] and a width, no
 * precision; %d %i %u %x %X with l or ll, %c, %s, and %p with nothing or
 * K x s S B ks us I4 i4 I6 i6 after it. Each conversion takes one argument;
 * a format with more conversions than arguments is refused. The arguments
 * a conversion copies (numbers, strings, formatted addresses) take Linux's
 * room in a 512-byte scratch space, so that a format which outgrows Linux's
 * (-ENOSPC) outgrows kring's too.
 *
 * Linux checks the format, copies the arguments, then prints them with
 * bstr_printf(); kring formats each conversion as it checks it, with the
 * host's snprintf(), which both the kernel and libc give the same integer,
 * character and string conversions. Pointers go to the host (the kernel
 * hashes %p and looks symbols up), and IP addresses are written here.
 */
#include "printk.h"

/* A width past the text's size changes only the length returned. */
#define MAX_WIDTH (KBPF_PRINTK_OUT_SIZE - 1)

struct printk_run {
	struct kbpf_printk_buf *buf;
	const struct kbpf_printk_host *host;
	const char *fmt;
	u32 end;		/* of fmt: its NUL when checked */
	u32 pos;		/* in fmt */
	u32 len;		/* of the whole text so far */
	u32 scratch_used;
	char flags[5];		/* of the conversion being formatted */
	u32 width;
};

/*
 * The format's character @ahead of the current one. The format may be a
 * map value that changes meanwhile: past the NUL found first reads as NUL,
 * so a vanished NUL never sends the parser beyond the memory.
 */
static unsigned char fmt_char(const struct printk_run *run, u32 ahead)
{
	u32 at = run->pos + ahead;

	return at < run->end ? run->fmt[at] : '\0';
}

/* ASCII classes: the kernel's and libc's differ above 0x7f. */
static bool is_print(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Where a conversion may end: the end of the format, space, punctuation. */
static bool ends_conversion(unsigned char c)
{
	return !c || is_space(c) || (is_print(c) && !is_alnum(c));
}

static u32 scratch_room(const struct printk_run *run)
{
	return run->scratch_used < KBPF_PRINTK_SCRATCH_SIZE ?
	       KBPF_PRINTK_SCRATCH_SIZE - run->scratch_used : 0;
}

static char *scratch_end(const struct printk_run *run)
{
	return &run->buf->scratch[min_t(u32, run->scratch_used,
					KBPF_PRINTK_SCRATCH_SIZE - 1)];
}

/* Takes @size bytes of scratch for a copied number, 4-byte aligned. */
static int take_number_room(struct printk_run *run, u32 size)
{
	run->scratch_used = ALIGN(run->scratch_used, 4);
	if (scratch_room(run) < size)
		return -ENOSPC;
	run->scratch_used += size;
	return 0;
}

static u32 out_room(const struct printk_run *run)
{
	return run->len < KBPF_PRINTK_OUT_SIZE ?
	       KBPF_PRINTK_OUT_SIZE - run->len : 0;
}

static char *out_end(const struct printk_run *run)
{
	return &run->buf->out[min_t(u32, run->len, KBPF_PRINTK_OUT_SIZE - 1)];
}

static void append_char(struct printk_run *run, char c)
{
	if (out_room(run) > 1)
		run->buf->out[run->len] = c;
	run->len++;
}

/* Adds what snprintf() said it wrote, or would have. */
static void appended(struct printk_run *run, int written)
{
	if (written > 0)
		run->len += written;
}

/* "%" with the conversion's flags and width, then @conv. */
static void make_spec(const struct printk_run *run, char spec[24],
		      const char *conv)
{
	if (run->width)
		snprintf(spec, 24, "%%%s%u%s", run->flags, run->width, conv);
	else
		snprintf(spec, 24, "%%%s%s", run->flags, conv);
}

static void append_str(struct printk_run *run, const char *str)
{
	char spec[24];

	make_spec(run, spec, "s");
	appended(run, snprintf(out_end(run), out_room(run), spec, str));
}

/*
 * What Linux formats into scratch before printing it as a string (a
 * symbol, an address): @n bytes and the NUL at scratch_end(), cut to the
 * room there was.
 */
static void append_scratch_text(struct printk_run *run, int n)
{
	const char *text = scratch_end(run);

	run->scratch_used += (n > 0 ? n : 0) + 1;
	append_str(run, text);
}

/*
 * Copies a string argument into scratch, as Linux does; one it cannot read
 * prints as "".
 */
static int append_string_arg(struct printk_run *run, u64 addr, char space)
{
	char *copy = scratch_end(run);
	long n;

	if (!scratch_room(run))
		return -ENOSPC;
	n = run->host->read_str(copy, scratch_room(run), addr, space);
	if (n <= 0) {
		copy[0] = '\0';
		n = 1;
	}
	run->scratch_used += n;
	append_str(run, copy);
	return 0;
}

/* %pI4 %pi4 %pI6 %pi6, as the kernel's vsprintf writes them. */
static int format_ip(char text[40], const u8 *ip, char kind, char family)
{
	int n = 0, i;

	if (family == '4')
		return snprintf(text, 40,
				kind == 'I' ? "%u.%u.%u.%u" :
					      "%03u.%03u.%03u.%03u",
				ip[0], ip[1], ip[2], ip[3]);
	for (i = 0; i < 16; i += 2)	/* 39 characters at most */
		n += snprintf(text + n, 40 - n,
			      kind == 'I' && i ? ":%02x%02x" : "%02x%02x",
			      ip[i], ip[i + 1]);
	return n;
}

static int append_ip_arg(struct printk_run *run, u64 addr, char kind,
			 char family)
{
	u32 size = family == '4' ? 4 : 16;
	char text[40];
	u8 ip[16];
	int n;

	if (scratch_room(run) < size)
		return -ENOSPC;
	if (run->host->read_kernel(ip, size, addr))
		memset(ip, 0, size);
	n = format_ip(text, ip, kind, family);
	snprintf(scratch_end(run), scratch_room(run), "%s", text);
	append_scratch_text(run, n);
	return 0;
}

/* %p, %pK, %px, %ps, %pS (@conv without its '%'), or %pB. */
static int append_pointer_arg(struct printk_run *run, u64 value,
			      const char *conv)
{
	char spec[24];
	int err;

	if (conv[1] == 'B') {
		if (!scratch_room(run))
			return -ENOSPC;
		append_scratch_text(run,
				    run->host->format_ptr(scratch_end(run),
							  scratch_room(run),
							  "%pB", value));
		return 0;
	}
	err = take_number_room(run, sizeof(u64));
	if (err)
		return err;
	make_spec(run, spec, conv);
	appended(run, run->host->format_ptr(out_end(run), out_room(run), spec,
					    value));
	return 0;
}

/* A conversion after "%p" (run->pos at the 'p'). */
static int append_p_conversion(struct printk_run *run, u64 arg)
{
	unsigned char next = fmt_char(run, 1), after = fmt_char(run, 2);
	char conv[3] = { 'p', next, '\0' };

	if (ends_conversion(next))
		return append_pointer_arg(run, arg, "p");
	if ((next == 'k' || next == 'u') && after == 's') {
		if (!ends_conversion(fmt_char(run, 3)))
			return -EINVAL;
		run->pos += 2;
		return append_string_arg(run, arg, next);
	}
	if (next == 'K' || next == 'x' || next == 's' || next == 'S' ||
	    next == 'B') {
		run->pos++;
		return append_pointer_arg(run, arg, conv);
	}
	if ((next != 'i' && next != 'I') || (after != '4' && after != '6'))
		return -EINVAL;
	run->pos += 2;
	return append_ip_arg(run, arg, next, after);
}

/* %d %i %u %x %X, with l or ll: 64 bits, else 32. */
static int append_number_arg(struct printk_run *run, u64 arg)
{
	bool wide = fmt_char(run, 0) == 'l';
	unsigned char conv;
	char spec[24], conv_str[4] = "ll";
	int err;

	if (wide)
		run->pos += fmt_char(run, 1) == 'l' ? 2 : 1;
	conv = fmt_char(run, 0);
	if (conv != 'i' && conv != 'd' && conv != 'u' && conv != 'x' &&
	    conv != 'X')
		return -EINVAL;
	err = take_number_room(run, wide ? sizeof(u64) : sizeof(u32));
	if (err)
		return err;
	conv_str[wide ? 2 : 0] = conv;
	conv_str[wide ? 3 : 1] = '\0';
	make_spec(run, spec, conv_str);
	if (conv == 'd' || conv == 'i')
		appended(run, wide ? snprintf(out_end(run), out_room(run), spec,
					      (long long)arg) :
				     snprintf(out_end(run), out_room(run), spec,
					      (int)(u32)arg));
	else
		appended(run, wide ? snprintf(out_end(run), out_room(run), spec,
					      (unsigned long long)arg) :
				     snprintf(out_end(run), out_room(run), spec,
					      (unsigned int)(u32)arg));
	return 0;
}

/* Flags and width after '%': run->pos moves to the conversion. */
static void parse_flags_width(struct printk_run *run)
{
	u32 nflags = 0;
	unsigned char c;

	for (c = fmt_char(run, 0); c == '0' || c == '+' || c == '-' || c == ' ';
	     c = fmt_char(run, 0)) {
		if (nflags < sizeof(run->flags) - 1 &&
		    !memchr(run->flags, c, nflags))
			run->flags[nflags++] = c;
		run->pos++;
	}
	run->flags[nflags] = '\0';
	run->width = 0;
	if (c >= '1' && c <= '9')
		for (; is_digit(c); c = fmt_char(run, 0)) {
			run->width = min_t(u32, run->width * 10 + (c - '0'),
					   MAX_WIDTH);
			run->pos++;
		}
}

/* The conversion at run->pos (just after its '%'). */
static int append_conversion(struct printk_run *run, u64 arg)
{
	char spec[24];

	if (fmt_char(run, 0) >= 0x80)
		return -EINVAL;
	parse_flags_width(run);
	switch (fmt_char(run, 0)) {
	case 'p':
		return append_p_conversion(run, arg);
	case 's':
		if (!ends_conversion(fmt_char(run, 1)))
			return -EINVAL;
		return append_string_arg(run, arg, 's');
	case 'c':
		if (!scratch_room(run))
			return -ENOSPC;
		run->scratch_used++;
		make_spec(run, spec, "c");
		appended(run, snprintf(out_end(run), out_room(run), spec,
				       (char)arg));
		return 0;
	default:
		return append_number_arg(run, arg);
	}
}

int kbpf_printk_format(struct kbpf_printk_buf *buf, const char *fmt,
		       u32 fmt_size, const u64 *args, u32 nargs,
		       const struct kbpf_printk_host *host)
{
	struct printk_run run = { .buf = buf, .host = host, .fmt = fmt };
	const char *nul = fmt_size ? memchr(fmt, '\0', fmt_size) : NULL;
	u32 nconv = 0;
	int err;

	if (!nul)
		return -EINVAL;
	for (run.end = nul - fmt; run.pos < run.end; run.pos++) {
		unsigned char c = fmt_char(&run, 0);

		if (c < 0x80 && !is_print(c) && !is_space(c))
			return -EINVAL;
		if (c != '%') {
			append_char(&run, c);
			continue;
		}
		if (fmt_char(&run, 1) == '%') {
			append_char(&run, '%');
			run.pos++;
			continue;
		}
		if (nconv >= nargs)
			return -EINVAL;
		run.pos++;
		err = append_conversion(&run, args[nconv++]);
		if (err)
			return err;
	}
	*out_end(&run) = '\0';
	return run.len;
}
