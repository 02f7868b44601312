// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers, as Linux's BPF helpers of the same numbers behave. The verifier
 * has checked every argument's kind (kbpf/helpers.c): ring arguments are
 * rings, maps are Linux's maps of the types kring takes, records are
 * reserved records, memory is in bounds. What it cannot know (flags values)
 * is checked here, or by the map's own operations, as Linux does at run
 * time. Programs run under rcu_read_lock() (kring_prog_run), which the
 * maps' operations need, as Linux's helpers do.
 */
#include <linux/bpf.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/kring.h>

#include "kring.h"
#include "kring_helpers.h"

/*
 * Each helper as a function of five u64 registers: JIT'd programs call it
 * directly (an address relative to __bpf_call_base), the interpreter
 * through kring_call_helper.
 */
#define KRING_HELPER(name) \
	static u64 kring_helper_##name(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)

KRING_HELPER(map_lookup_elem)
{
	struct bpf_map *map = (struct bpf_map *)(unsigned long)r1;

	return (u64)(unsigned long)map->ops->map_lookup_elem(map,
							     (void *)(unsigned long)r2);
}

KRING_HELPER(map_update_elem)
{
	struct bpf_map *map = (struct bpf_map *)(unsigned long)r1;

	return (u64)(s64)map->ops->map_update_elem(map,
						   (void *)(unsigned long)r2,
						   (void *)(unsigned long)r3,
						   r4);
}

KRING_HELPER(map_delete_elem)
{
	struct bpf_map *map = (struct bpf_map *)(unsigned long)r1;

	return (u64)(s64)map->ops->map_delete_elem(map,
						   (void *)(unsigned long)r2);
}

KRING_HELPER(ktime_get_ns)
{
	return ktime_get_mono_fast_ns();
}

KRING_HELPER(get_smp_processor_id)
{
	return raw_smp_processor_id();
}

KRING_HELPER(get_current_pid_tgid)
{
	return (u64)current->tgid << 32 | current->pid;
}

KRING_HELPER(get_current_comm)
{
	u32 size = r2;

	if (!size)
		return (u64)-EINVAL;
	/* A task may rename itself meanwhile: a torn name, never an overrun. */
	strscpy_pad((char *)(unsigned long)r1, current->comm, size);
	return 0;
}

KRING_HELPER(ringbuf_output)
{
	if (r4 & ~(u64)KRING_WAKEUP_FLAGS)
		return (u64)-EINVAL;
	return (u64)(s64)kring_output((struct kring_ring *)(unsigned long)r1,
				      (const void *)(unsigned long)r2, r3, r4);
}

KRING_HELPER(ringbuf_reserve)
{
	if (r3)
		return 0;	/* unknown flags: no record, as Linux */
	return (u64)(unsigned long)kring_reserve((struct kring_ring *)
						 (unsigned long)r1, r2, 0);
}

KRING_HELPER(ringbuf_submit)
{
	kring_submit((void *)(unsigned long)r1, r2 & KRING_WAKEUP_FLAGS);
	return 0;
}

KRING_HELPER(ringbuf_discard)
{
	kring_discard((void *)(unsigned long)r1, r2 & KRING_WAKEUP_FLAGS);
	return 0;
}

KRING_HELPER(ringbuf_query)
{
	return kring_query((struct kring_ring *)(unsigned long)r1, r2);
}

kring_helper_fn kring_helper_addr(s32 helper_id)
{
	switch (helper_id) {
	case BPF_FUNC_map_lookup_elem:
		return kring_helper_map_lookup_elem;
	case BPF_FUNC_map_update_elem:
		return kring_helper_map_update_elem;
	case BPF_FUNC_map_delete_elem:
		return kring_helper_map_delete_elem;
	case BPF_FUNC_ktime_get_ns:
		return kring_helper_ktime_get_ns;
	case BPF_FUNC_get_smp_processor_id:
		return kring_helper_get_smp_processor_id;
	case BPF_FUNC_get_current_pid_tgid:
		return kring_helper_get_current_pid_tgid;
	case BPF_FUNC_get_current_comm:
		return kring_helper_get_current_comm;
	case BPF_FUNC_ringbuf_output:
		return kring_helper_ringbuf_output;
	case BPF_FUNC_ringbuf_reserve:
		return kring_helper_ringbuf_reserve;
	case BPF_FUNC_ringbuf_submit:
		return kring_helper_ringbuf_submit;
	case BPF_FUNC_ringbuf_discard:
		return kring_helper_ringbuf_discard;
	case BPF_FUNC_ringbuf_query:
		return kring_helper_ringbuf_query;
	default:
		return NULL;
	}
}

u64 kring_call_helper(void *priv, s32 helper_id, const u64 args[5])
{
	/* Direct calls: the switch is the interpreter's hot path. */
#define KRING_CALL(name) \
	kring_helper_##name(args[0], args[1], args[2], args[3], args[4])
	switch (helper_id) {
	case BPF_FUNC_map_lookup_elem:
		return KRING_CALL(map_lookup_elem);
	case BPF_FUNC_map_update_elem:
		return KRING_CALL(map_update_elem);
	case BPF_FUNC_map_delete_elem:
		return KRING_CALL(map_delete_elem);
	case BPF_FUNC_ktime_get_ns:
		return KRING_CALL(ktime_get_ns);
	case BPF_FUNC_get_smp_processor_id:
		return KRING_CALL(get_smp_processor_id);
	case BPF_FUNC_get_current_pid_tgid:
		return KRING_CALL(get_current_pid_tgid);
	case BPF_FUNC_get_current_comm:
		return KRING_CALL(get_current_comm);
	case BPF_FUNC_ringbuf_output:
		return KRING_CALL(ringbuf_output);
	case BPF_FUNC_ringbuf_reserve:
		return KRING_CALL(ringbuf_reserve);
	case BPF_FUNC_ringbuf_submit:
		return KRING_CALL(ringbuf_submit);
	case BPF_FUNC_ringbuf_discard:
		return KRING_CALL(ringbuf_discard);
	case BPF_FUNC_ringbuf_query:
		return KRING_CALL(ringbuf_query);
	default:
		/* The verifier admits no other helper. */
		WARN_ON_ONCE(1);
		return (u64)-EINVAL;
	}
#undef KRING_CALL
}
