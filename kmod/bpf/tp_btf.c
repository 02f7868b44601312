// SPDX-License-Identifier: GPL-2.0
/* A tp_btf program's tracepoint arguments: see tp_btf.h. */
#include "tp_btf.h"

/* The size of an argument of BTF type @id: 1, 2, 4 or 8; or 0. */
static u32 arg_size(const struct kbpf_btf *btf, u32 id)
{
	const struct btf_type *t;

	t = kbpf_btf_type(btf, kbpf_btf_skip_modifiers(btf, id, false));
	if (!t)
		return 0;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
		return 8;
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return t->size == 1 || t->size == 2 || t->size == 4 ||
		       t->size == 8 ? t->size : 0;
	default:
		return 0;
	}
}

static u32 log2_of(u32 size)
{
	return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

/* The function prototype typedef @id points to, or NULL. */
static const struct btf_type *proto_of(const struct kbpf_btf *btf, u32 id)
{
	const struct btf_type *t;

	t = kbpf_btf_type(btf, kbpf_btf_skip_modifiers(btf, id, false));
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_PTR)
		return NULL;
	t = kbpf_btf_type(btf, kbpf_btf_skip_modifiers(btf, t->type, false));
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_FUNC_PROTO ||
	    !BTF_INFO_VLEN(t->info))
		return NULL;
	return t;
}

int kbpf_tp_btf_args(const struct kbpf_btf *btf, const char *name,
		     struct kbpf_tp_btf *tp, char *msg, size_t msg_size)
{
	char typedef_name[KRING_SYMBOL_MAX + sizeof("btf_trace_")];
	const struct btf_param *params;
	const struct btf_type *proto;
	u32 id, i, size;

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	id = kbpf_btf_find(btf, typedef_name, BTF_KIND_TYPEDEF);
	if (!id) {
		snprintf(msg, msg_size,
			 "the kernel's BTF has no tracepoint %s (no typedef %s)",
			 name, typedef_name);
		return -ENOENT;
	}
	proto = proto_of(btf, id);
	if (!proto) {
		snprintf(msg, msg_size,
			 "%s is not a pointer to a tracepoint's prototype",
			 typedef_name);
		return -EINVAL;
	}
	tp->nr_args = BTF_INFO_VLEN(proto->info) - 1;
	if (tp->nr_args > KRING_RAW_TP_MAX_ARGS) {
		snprintf(msg, msg_size,
			 "tracepoint %s has %u arguments, more than %u", name,
			 tp->nr_args, KRING_RAW_TP_MAX_ARGS);
		return -E2BIG;
	}
	params = (const struct btf_param *)(proto + 1);
	tp->raw_args = KRING_RAW_ARGS_COUNT(tp->nr_args);
	for (i = 0; i < tp->nr_args; i++) {
		tp->args[i] = params[i + 1].type;
		size = arg_size(btf, tp->args[i]);
		if (!size) {
			snprintf(msg, msg_size,
				 "argument %u of tracepoint %s is neither a number nor a pointer",
				 i, name);
			return -EINVAL;
		}
		tp->raw_args |= KRING_RAW_ARG_SIZE(i, log2_of(size));
	}
	return 0;
}

bool kbpf_needs_btf(const struct bpf_insn *insns, u32 insn_cnt, bool tp_btf)
{
	u32 i;

	if (tp_btf)
		return true;
	for (i = 0; i < insn_cnt; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && !insns[i].src_reg &&
		    insns[i].imm == BPF_FUNC_get_current_task_btf)
			return true;
	return false;
}
