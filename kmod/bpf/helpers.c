// SPDX-License-Identifier: GPL-2.0
#include "helpers.h"

static const struct kbpf_helper_proto kbpf_helpers[] = {
	{ .id = BPF_FUNC_map_lookup_elem, .name = "map_lookup_elem",
	  .ret = KBPF_RET_MAP_VALUE_OR_NULL,
	  .args = { KBPF_ARG_MAP, KBPF_ARG_MAP_KEY } },
	{ .id = BPF_FUNC_map_update_elem, .name = "map_update_elem",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MAP, KBPF_ARG_MAP_KEY, KBPF_ARG_MAP_VALUE,
		    KBPF_ARG_ANYTHING } },
	{ .id = BPF_FUNC_map_delete_elem, .name = "map_delete_elem",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MAP, KBPF_ARG_MAP_KEY } },
	{ .id = BPF_FUNC_tail_call, .name = "tail_call", .ret = KBPF_RET_VOID,
	  .args = { KBPF_ARG_CTX, KBPF_ARG_MAP, KBPF_ARG_TAIL_CALL_KEY } },
	/*
	 * Linux leaves trace_printk's R3-R5 unchecked: the format says which
	 * it prints, and a program passes only those.
	 */
	{ .id = BPF_FUNC_trace_printk, .name = "trace_printk",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MEM_READ, KBPF_ARG_SIZE_NONZERO },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_trace_vprintk, .name = "trace_vprintk",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MEM_READ, KBPF_ARG_SIZE_NONZERO,
		    KBPF_ARG_MEM_READ_OR_NULL, KBPF_ARG_SIZE },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_current_task_under_cgroup, .name = "current_task_under_cgroup",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MAP, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	/*
	 * Like ringbuf_output, it copies what a program could store in a ring
	 * anyway: no CAP_PERFMON, as Linux gives socket filters its number.
	 */
	{ .id = BPF_FUNC_perf_event_output, .name = "perf_event_output",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_CTX, KBPF_ARG_MAP, KBPF_ARG_ANYTHING,
		    KBPF_ARG_MEM_READ, KBPF_ARG_SIZE } },
	/* A stack's id in a STACK_TRACE map, or a negative errno. */
	{ .id = BPF_FUNC_get_stackid, .name = "get_stackid",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_CTX, KBPF_ARG_MAP, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	/* Kernel or user return addresses, by the bytes it copied. */
	{ .id = BPF_FUNC_get_stack, .name = "get_stack",
	  .ret = KBPF_RET_COPY_LEN,
	  .args = { KBPF_ARG_CTX, KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE,
		    KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_probe_read, .name = "probe_read",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_ktime_get_ns, .name = "ktime_get_ns",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_smp_processor_id, .name = "get_smp_processor_id",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_current_pid_tgid, .name = "get_current_pid_tgid",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_prandom_u32, .name = "get_prandom_u32",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_numa_node_id, .name = "get_numa_node_id",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_jiffies64, .name = "jiffies64", .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_ktime_get_boot_ns, .name = "ktime_get_boot_ns",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_current_cgroup_id, .name = "get_current_cgroup_id",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_current_uid_gid, .name = "get_current_uid_gid",
	  .ret = KBPF_RET_SCALAR },
	{ .id = BPF_FUNC_get_current_comm, .name = "get_current_comm",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE_NONZERO } },
	{ .id = BPF_FUNC_get_current_task, .name = "get_current_task",
	  .ret = KBPF_RET_SCALAR,
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_get_current_task_btf, .name = "get_current_task_btf",
	  .ret = KBPF_RET_TASK_BTF,
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_probe_read_str, .name = "probe_read_str",
	  .ret = KBPF_RET_COPY_LEN,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_probe_read_user, .name = "probe_read_user",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_probe_read_kernel, .name = "probe_read_kernel",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_probe_read_user_str, .name = "probe_read_user_str",
	  .ret = KBPF_RET_COPY_LEN,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	{ .id = BPF_FUNC_probe_read_kernel_str, .name = "probe_read_kernel_str",
	  .ret = KBPF_RET_COPY_LEN,
	  .args = { KBPF_ARG_MEM_WRITE, KBPF_ARG_SIZE, KBPF_ARG_ANYTHING },
	  .flags = KBPF_HELPER_PERFMON },
	/*
	 * A socket's cookie, made on first use; 0 for NULL. It writes the
	 * cookie into the socket: only pointers the kernel keeps valid.
	 */
	{ .id = BPF_FUNC_get_socket_cookie, .name = "get_socket_cookie",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_BTF_SOCK_COMMON },
	  .flags = KBPF_HELPER_TYPED_ONLY },
	/* The probed function's address (0 in test runs). */
	{ .id = BPF_FUNC_get_func_ip, .name = "get_func_ip",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_CTX }, .flags = KBPF_HELPER_FUNC_IP },
	/* The cookie its link was attached with (0 in a test run). */
	{ .id = BPF_FUNC_get_attach_cookie, .name = "get_attach_cookie",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_CTX }, .flags = KBPF_HELPER_ATTACH_COOKIE },
	{ .id = BPF_FUNC_ringbuf_output, .name = "ringbuf_output",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_RING, KBPF_ARG_MEM_READ, KBPF_ARG_SIZE,
		    KBPF_ARG_ANYTHING } },
	{ .id = BPF_FUNC_ringbuf_reserve, .name = "ringbuf_reserve",
	  .ret = KBPF_RET_RECORD_OR_NULL,
	  .args = { KBPF_ARG_RING, KBPF_ARG_ALLOC_SIZE, KBPF_ARG_ANYTHING } },
	{ .id = BPF_FUNC_ringbuf_submit, .name = "ringbuf_submit",
	  .ret = KBPF_RET_VOID,
	  .args = { KBPF_ARG_RELEASE_RECORD, KBPF_ARG_ANYTHING } },
	{ .id = BPF_FUNC_ringbuf_discard, .name = "ringbuf_discard",
	  .ret = KBPF_RET_VOID,
	  .args = { KBPF_ARG_RELEASE_RECORD, KBPF_ARG_ANYTHING } },
	{ .id = BPF_FUNC_ringbuf_query, .name = "ringbuf_query",
	  .ret = KBPF_RET_SCALAR,
	  .args = { KBPF_ARG_RING, KBPF_ARG_ANYTHING } },
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
