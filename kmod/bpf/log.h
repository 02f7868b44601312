/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verifier log: text for the user who loads a program, written into the
 * buffer they passed. Level 0 writes nothing but the statistics line, level 1
 * adds the error and the failing path's state, level 2 every processed
 * instruction. Output that does not fit is cut off (the buffer stays NUL
 * terminated) and flagged, never an error of its own: the verdict does not
 * depend on the log.
 */
#ifndef KBPF_LOG_H
#define KBPF_LOG_H

#include "kbpf_platform.h"

#define KBPF_LOG_LEVEL_ERRORS 1
#define KBPF_LOG_LEVEL_INSNS 2

struct kbpf_log {
	char *buf;		/* NULL or @size bytes */
	u32 size;
	u32 len;		/* bytes written, without the NUL */
	u32 level;
	bool truncated;
};

void kbpf_log_init(struct kbpf_log *log, char *buf, u32 size, u32 level);

/* Appends to the log regardless of its level (callers check the level). */
__printf(2, 3) void kbpf_log_printf(struct kbpf_log *log, const char *fmt, ...);
void kbpf_log_vprintf(struct kbpf_log *log, const char *fmt, va_list args);

static inline bool kbpf_log_enabled(const struct kbpf_log *log, u32 level)
{
	return log->buf && log->size && log->level >= level;
}

#endif /* KBPF_LOG_H */
