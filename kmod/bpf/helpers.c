// SPDX-License-Identifier: GPL-2.0
#include "helpers.h"

static const struct kbpf_helper_proto kbpf_helpers[] = {
	{ BPF_FUNC_map_lookup_elem, "map_lookup_elem",
	  KBPF_RET_MAP_VALUE_OR_NULL, { KBPF_ARG_MAP, KBPF_ARG_MAP_KEY } },
	{ BPF_FUNC_map_update_elem, "map_update_elem", KBPF_RET_SCALAR,
	  { KBPF_ARG_MAP, KBPF_ARG_MAP_KEY, KBPF_ARG_MAP_VALUE,
	    KBPF_ARG_ANYTHING } },
	{ BPF_FUNC_map_delete_elem, "map_delete_elem", KBPF_RET_SCALAR,
	  { KBPF_ARG_MAP, KBPF_ARG_MAP_KEY } },
	{ BPF_FUNC_tail_call, "tail_call", KBPF_RET_VOID,
	  { KBPF_ARG_CTX, KBPF_ARG_MAP, KBPF_ARG_TAIL_CALL_KEY } },
	/*
	 * Linux leaves trace_printk's R3-R5 unchecked: the format says which
	 * it prints, and a program passes only those.
	 */
	{ BPF_FUNC_trace_printk, "trace_printk", KBPF_RET_SCALAR,
	  { KBPF_ARG_MEM_READ, KBPF_ARG_SIZE_NONZERO }, KBPF_HELPER_PERFMON },
	{ BPF_FUNC_trace_vprintk, "trace_vprintk", KBPF_RET_SCALAR,
	  { KBPF_ARG_MEM_READ, KBPF_ARG_SIZE_NONZERO,
	    KBPF_ARG_MEM_READ_OR_NULL, KBPF_ARG_SIZE }, KBPF_HELPER_PERFMON },
	{ BPF_FUNC_current_task_under_cgroup, "current_task_under_cgroup",
	  KBPF_RET_SCALAR, { KBPF_ARG_MAP, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	/*
	 * Like ringbuf_output, it copies what a program could store in a ring
	 * anyway: no CAP_PERFMON, as Linux gives socket filters its number.
	 */
	{ BPF_FUNC_perf_event_output, "perf_event_output", KBPF_RET_SCALAR,
	  { KBPF_ARG_CTX, KBPF_ARG_MAP, KBPF_ARG_ANYTHING, KBPF_ARG_MEM_READ,
	    KBPF_ARG_SIZE } },
	/* A stack's id in a STACK_TRACE map, or a negative errno. */
	{ BPF_FUNC_get_stackid, "get_stackid", KBPF_RET_SCALAR,
	  { KBPF_ARG_CTX, KBPF_ARG_MAP, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	/* Kernel or user return addresses, by the bytes it copied. */
	{ BPF_FUNC_get_stack, "get_stack", KBPF_RET_COPY_LEN,
	  { KBPF_ARG_CTX, KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	{ BPF_FUNC_probe_read, "probe_read", KBPF_RET_SCALAR,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	{ BPF_FUNC_ktime_get_ns, "ktime_get_ns", KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_get_smp_processor_id, "get_smp_processor_id",
	  KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_get_current_pid_tgid, "get_current_pid_tgid",
	  KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_get_prandom_u32, "get_prandom_u32", KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_get_numa_node_id, "get_numa_node_id", KBPF_RET_SCALAR,
	  { 0 } },
	{ BPF_FUNC_jiffies64, "jiffies64", KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_ktime_get_boot_ns, "ktime_get_boot_ns", KBPF_RET_SCALAR,
	  { 0 } },
	{ BPF_FUNC_get_current_cgroup_id, "get_current_cgroup_id",
	  KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_get_current_uid_gid, "get_current_uid_gid",
	  KBPF_RET_SCALAR, { 0 } },
	{ BPF_FUNC_get_current_comm, "get_current_comm", KBPF_RET_SCALAR,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE_NONZERO } },
	{ BPF_FUNC_get_current_task, "get_current_task", KBPF_RET_SCALAR,
	  { 0 }, KBPF_HELPER_PERFMON },
	{ BPF_FUNC_get_current_task_btf, "get_current_task_btf",
	  KBPF_RET_TASK_BTF, { 0 }, KBPF_HELPER_PERFMON },
	{ BPF_FUNC_probe_read_str, "probe_read_str", KBPF_RET_COPY_LEN,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	{ BPF_FUNC_probe_read_user, "probe_read_user", KBPF_RET_SCALAR,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	{ BPF_FUNC_probe_read_kernel, "probe_read_kernel", KBPF_RET_SCALAR,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	{ BPF_FUNC_probe_read_user_str, "probe_read_user_str",
	  KBPF_RET_COPY_LEN,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	{ BPF_FUNC_probe_read_kernel_str, "probe_read_kernel_str",
	  KBPF_RET_COPY_LEN,
	  { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  KBPF_HELPER_PERFMON },
	/*
	 * A socket's cookie, made on first use; 0 for NULL. It writes the
	 * cookie into the socket: only pointers the kernel keeps valid.
	 */
	{ BPF_FUNC_get_socket_cookie, "get_socket_cookie", KBPF_RET_SCALAR,
	  { KBPF_ARG_BTF_SOCK_COMMON }, KBPF_HELPER_TYPED_ONLY },
	/* The probed function's address (0 in test runs). */
	{ BPF_FUNC_get_func_ip, "get_func_ip", KBPF_RET_SCALAR,
	  { KBPF_ARG_CTX }, KBPF_HELPER_FUNC_IP },
	/* The cookie its link was attached with (0 in a test run). */
	{ BPF_FUNC_get_attach_cookie, "get_attach_cookie", KBPF_RET_SCALAR,
	  { KBPF_ARG_CTX }, KBPF_HELPER_ATTACH_COOKIE },
	{ BPF_FUNC_ringbuf_output, "ringbuf_output", KBPF_RET_SCALAR,
	  { KBPF_ARG_RING, KBPF_ARG_MEM_READ, KBPF_ARG_SIZE,
	    KBPF_ARG_ANYTHING } },
	{ BPF_FUNC_ringbuf_reserve, "ringbuf_reserve", KBPF_RET_RECORD_OR_NULL,
	  { KBPF_ARG_RING, KBPF_ARG_ALLOC_SIZE, KBPF_ARG_ANYTHING } },
	{ BPF_FUNC_ringbuf_submit, "ringbuf_submit", KBPF_RET_VOID,
	  { KBPF_ARG_RELEASE_RECORD, KBPF_ARG_ANYTHING } },
	{ BPF_FUNC_ringbuf_discard, "ringbuf_discard", KBPF_RET_VOID,
	  { KBPF_ARG_RELEASE_RECORD, KBPF_ARG_ANYTHING } },
	{ BPF_FUNC_ringbuf_query, "ringbuf_query", KBPF_RET_SCALAR,
	  { KBPF_ARG_RING, KBPF_ARG_ANYTHING } },
};

const struct kbpf_helper_proto *kbpf_helper_proto(s32 id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kbpf_helpers); i++)
		if (kbpf_helpers[i].id == id)
			return &kbpf_helpers[i];
	return NULL;
}

bool kbpf_map_type_supported(u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_STACK_TRACE:
		return true;
	default:
		return false;
	}
}

u32 kbpf_helper_map_type(s32 id)
{
	switch (id) {
	case BPF_FUNC_tail_call:
		return BPF_MAP_TYPE_PROG_ARRAY;
	case BPF_FUNC_current_task_under_cgroup:
		return BPF_MAP_TYPE_CGROUP_ARRAY;
	case BPF_FUNC_perf_event_output:
		return BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	case BPF_FUNC_get_stackid:
		return BPF_MAP_TYPE_STACK_TRACE;
	default:
		return BPF_MAP_TYPE_UNSPEC;
	}
}

bool kbpf_map_type_has_own_helper(u32 type)
{
	return type == BPF_MAP_TYPE_PROG_ARRAY ||
	       type == BPF_MAP_TYPE_CGROUP_ARRAY ||
	       type == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
	       type == BPF_MAP_TYPE_STACK_TRACE;
}
