/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kring's trace event: bpf_trace_printk's text, under the name Linux gives
 * its own event, so that trace_pipe shows a kring program's lines as it
 * shows a Linux program's ("bpf_trace_printk: ..."). Linux's event is not
 * exported to modules; this one is kring/bpf_trace_printk in tracefs.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kring

#if !defined(KRING_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KRING_TRACE_H

#include <linux/tracepoint.h>

#include "kring_compat.h"

TRACE_EVENT(bpf_trace_printk,
	TP_PROTO(const char *text),
	TP_ARGS(text),
	TP_STRUCT__entry(__string(text, text)),
	TP_fast_assign(kring_assign_str(text, text);),
	TP_printk("%s", __get_str(text))
);

#endif /* KRING_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kring_trace
#include <trace/define_trace.h>
