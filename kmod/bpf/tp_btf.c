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

/*
 * @count parameters from @params, described into @tp; @what names the
 * tracepoint or function in @msg.
 */
static int describe_args(const struct kbpf_btf *btf,
			 const struct btf_param *params, u32 count,
			 struct kbpf_tp_btf *tp, const char *what,
			 const char *name, char *msg, size_t msg_size)
{
	u32 i, size;

	tp->nr_args = count;
	tp->has_result = false;
	tp->raw_args = KRING_RAW_ARGS_COUNT(count);
	for (i = 0; i < count; i++) {
		tp->args[i] = params[i].type;
		size = arg_size(btf, tp->args[i]);
		if (!size) {
			snprintf(msg, msg_size,
				 "argument %u of %s %s is neither a number nor a pointer",
				 i, what, name);
			return -EINVAL;
		}
		tp->raw_args |= KRING_RAW_ARG_SIZE(i, log2_of(size));
	}
	return 0;
}

int kbpf_tp_btf_args(const struct kbpf_btf *btf, const char *name,
		     struct kbpf_tp_btf *tp, char *msg, size_t msg_size)
{
	char typedef_name[KRING_SYMBOL_MAX + sizeof("btf_trace_")];
	const struct btf_type *proto;
	u32 id, nr_args;

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
	nr_args = BTF_INFO_VLEN(proto->info) - 1;
	if (nr_args > KRING_RAW_TP_MAX_ARGS) {
		snprintf(msg, msg_size,
			 "tracepoint %s has %u arguments, more than %u", name,
			 nr_args, KRING_RAW_TP_MAX_ARGS);
		return -E2BIG;
	}
	return describe_args(btf, (const struct btf_param *)(proto + 1) + 1,
			     nr_args, tp, "tracepoint", name, msg, msg_size);
}

int kbpf_func_btf_args(const struct kbpf_btf *btf, const char *name,
		       bool at_exit, struct kbpf_tp_btf *tp, char *msg,
		       size_t msg_size)
{
	const struct btf_param *params;
	const struct btf_type *func, *proto;
	u32 id, nr_params;
	int err;

	id = kbpf_btf_find(btf, name, BTF_KIND_FUNC);
	func = id ? kbpf_btf_type(btf, id) : NULL;
	proto = func ? kbpf_btf_type(btf, func->type) : NULL;
	if (!proto || BTF_INFO_KIND(proto->info) != BTF_KIND_FUNC_PROTO) {
		snprintf(msg, msg_size,
			 "the kernel's BTF has no function %s", name);
		return -ENOENT;
	}
	nr_params = BTF_INFO_VLEN(proto->info);
	params = (const struct btf_param *)(proto + 1);
	if (nr_params && !params[nr_params - 1].type) {
		snprintf(msg, msg_size,
			 "function %s takes variable arguments", name);
		return -EINVAL;
	}
	if (nr_params > KBPF_FUNC_MAX_REG_ARGS) {
		snprintf(msg, msg_size,
			 "function %s has %u arguments, more than the %u passed in registers",
			 name, nr_params, KBPF_FUNC_MAX_REG_ARGS);
		return -E2BIG;
	}
	err = describe_args(btf, params, nr_params, tp, "function", name, msg,
			    msg_size);
	if (err || !at_exit || !proto->type)
		return err;
	/* At exit the return value follows the arguments, as in Linux. */
	if (!arg_size(btf, proto->type)) {
		snprintf(msg, msg_size,
			 "the return value of function %s is neither a number nor a pointer",
			 name);
		return -EINVAL;
	}
	tp->args[nr_params] = proto->type;
	tp->nr_args = nr_params + 1;
	tp->has_result = true;
	tp->raw_args += 1;	/* the count, in the low bits */
	tp->raw_args |= KRING_RAW_ARG_SIZE(nr_params,
					   log2_of(arg_size(btf, proto->type)));
	return 0;
}

bool kbpf_attach_typed(u32 attach_type)
{
	return attach_type == KRING_ATTACH_TP_BTF ||
	       attach_type == KRING_ATTACH_FENTRY ||
	       attach_type == KRING_ATTACH_FEXIT;
}

int kbpf_typed_args(const struct kbpf_btf *btf, u32 attach_type,
		    const char *name, struct kbpf_tp_btf *tp, char *msg,
		    size_t msg_size)
{
	if (attach_type == KRING_ATTACH_TP_BTF)
		return kbpf_tp_btf_args(btf, name, tp, msg, msg_size);
	return kbpf_func_btf_args(btf, name, attach_type == KRING_ATTACH_FEXIT,
				  tp, msg, msg_size);
}

void kbpf_typed_ctx(const struct kbpf_tp_btf *tp, u32 attach_type,
		    const char *name, struct kbpf_ctx_desc *ctx)
{
	ctx->btf_args = tp->args;
	ctx->nr_btf_args = tp->nr_args;
	ctx->btf_func = name;
	ctx->returns_zero = attach_type != KRING_ATTACH_TP_BTF;
	ctx->args_trusted = attach_type != KRING_ATTACH_FEXIT;
}

bool kbpf_needs_btf(const struct bpf_insn *insns, u32 insn_cnt, bool typed)
{
	u32 i;

	if (typed)
		return true;
	for (i = 0; i < insn_cnt; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && !insns[i].src_reg &&
		    insns[i].imm == BPF_FUNC_get_current_task_btf)
			return true;
	return false;
}
