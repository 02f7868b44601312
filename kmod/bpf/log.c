// SPDX-License-Identifier: GPL-2.0
#include "log.h"

void kbpf_log_init(struct kbpf_log *log, char *buf, u32 size, u32 level)
{
	log->buf = buf;
	log->size = buf ? size : 0;
	log->len = 0;
	log->level = level;
	log->truncated = false;
	if (log->size)
		log->buf[0] = '\0';
}

void kbpf_log_vprintf(struct kbpf_log *log, const char *fmt, va_list args)
{
	u32 room;
	int n;

	if (!log->size || log->truncated)
		return;
	room = log->size - log->len;
	n = vsnprintf(log->buf + log->len, room, fmt, args);
	if (n < 0)
		return;
	if ((u32)n >= room) {
		/* vsnprintf() kept what fit and the NUL. */
		log->len = log->size - 1;
		log->truncated = true;
		return;
	}
	log->len += n;
}

void kbpf_log_printf(struct kbpf_log *log, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	kbpf_log_vprintf(log, fmt, args);
	va_end(args);
}
