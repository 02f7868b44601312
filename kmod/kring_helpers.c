// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers, as Linux's BPF helpers of the same numbers behave. The verifier
 * has checked every argument's kind (kbpf/helpers.c): ring arguments are
 * rings, records are reserved records, memory is in bounds. What it cannot
 * know (flags values) is checked here, as Linux does at run time.
 */
#include <linux/bpf.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/kring.h>

#include "kring.h"
#include "kring_helpers.h"

static u64 kring_get_current_comm(char *buf, u32 size)
{
	if (!size)
		return (u64)-EINVAL;
	/* A task may rename itself meanwhile: a torn name, never an overrun. */
	strscpy_pad(buf, current->comm, size);
	return 0;
}

u64 kring_call_helper(void *priv, s32 helper_id, const u64 args[5])
{
	struct kring_ring *ring = (struct kring_ring *)(unsigned long)args[0];
	void *sample = (void *)(unsigned long)args[0];

	switch (helper_id) {
	case BPF_FUNC_ktime_get_ns:
		return ktime_get_mono_fast_ns();
	case BPF_FUNC_get_smp_processor_id:
		return raw_smp_processor_id();
	case BPF_FUNC_get_current_pid_tgid:
		return (u64)current->tgid << 32 | current->pid;
	case BPF_FUNC_get_current_comm:
		return kring_get_current_comm((char *)(unsigned long)args[0],
					      (u32)args[1]);
	case BPF_FUNC_ringbuf_output:
		if (args[3] & ~(u64)KRING_WAKEUP_FLAGS)
			return (u64)-EINVAL;
		return (u64)(s64)kring_output(ring,
					      (const void *)(unsigned long)args[1],
					      args[2], args[3]);
	case BPF_FUNC_ringbuf_reserve:
		if (args[2])
			return 0;	/* unknown flags: no record, as Linux */
		return (u64)(unsigned long)kring_reserve(ring, args[1], 0);
	case BPF_FUNC_ringbuf_submit:
		kring_submit(sample, args[1] & KRING_WAKEUP_FLAGS);
		return 0;
	case BPF_FUNC_ringbuf_discard:
		kring_discard(sample, args[1] & KRING_WAKEUP_FLAGS);
		return 0;
	case BPF_FUNC_ringbuf_query:
		return kring_query(ring, args[1]);
	default:
		/* The verifier admits no other helper. */
		WARN_ON_ONCE(1);
		return (u64)-EINVAL;
	}
}
