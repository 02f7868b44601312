// SPDX-License-Identifier: GPL-2.0
/*
 * The checks: whether one instruction is safe in one abstract state. Each
 * kind of instruction has one entry point, which its transformer
 * (transfer.c) calls before it changes the state; the checks only read it.
 * The rules follow Linux's verifier; docs/verifier.md lists every message.
 */
#include "rules.h"
#include "kbpf_btf.h"
#include "helpers.h"

__printf(3, 4) int kbpf_reject(struct kbpf_env *env, int err,
			       const char *fmt, ...)
{
	va_list args;

	if (!kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_ERRORS))
		return err;
	kbpf_log_printf(&env->log, "insn %u: ", env->insn);
	va_start(args, fmt);
	kbpf_log_vprintf(&env->log, fmt, args);
	va_end(args);
	kbpf_log_printf(&env->log, "\n");
	return err;
}

/* ---- registers ---- */

/* No variable offset: val is the constant 0. */
static bool is_zero_offset(const struct kbpf_reg *reg)
{
	return kbpf_scalar_is_const(&reg->val) && !reg->val.var_off.value;
}

static int check_reg_init(struct kbpf_env *env, const struct kbpf_state *st,
			  u8 regno)
{
	const struct kbpf_reg *reg = &kbpf_cur_regs(st)[regno];

	if (reg->type == KBPF_NOT_INIT)
		return kbpf_reject(env, -EACCES, "r%u is not initialised",
				   regno);
	if (reg->type == KBPF_RELEASED)
		return kbpf_reject(env, -EACCES,
				   "r%u was already submitted or discarded",
				   regno);
	return 0;
}

static int check_reg_writable(struct kbpf_env *env, u8 regno)
{
	if (regno == BPF_REG_10)
		return kbpf_reject(env, -EACCES, "r10 is read-only");
	return 0;
}

/* ---- ALU ---- */

static const char *alu_op_name(u8 op)
{
	static const char *const names[16] = {
		[BPF_ADD >> 4] = "add", [BPF_SUB >> 4] = "sub",
		[BPF_MUL >> 4] = "mul", [BPF_DIV >> 4] = "div",
		[BPF_OR >> 4] = "or", [BPF_AND >> 4] = "and",
		[BPF_LSH >> 4] = "lsh", [BPF_RSH >> 4] = "rsh",
		[BPF_NEG >> 4] = "neg", [BPF_MOD >> 4] = "mod",
		[BPF_XOR >> 4] = "xor", [BPF_MOV >> 4] = "mov",
		[BPF_ARSH >> 4] = "arsh", [BPF_END >> 4] = "byte swap",
	};

	return names[op >> 4] ? names[op >> 4] : "?";
}

int kbpf_check_ptr_offset(struct kbpf_env *env, s64 off)
{
	if (off >= KBPF_MAX_VAR_OFF || off <= -KBPF_MAX_VAR_OFF)
		return kbpf_reject(env, -EACCES, "pointer offset out of range");
	return 0;
}

/* What a pointer operand allows, before any arithmetic on it. */
static int check_ptr_operand(struct kbpf_env *env, const struct kbpf_reg *ptr,
			     u8 regno)
{
	if (kbpf_reg_maybe_null(ptr))
		return kbpf_reject(env, -EACCES,
				   "r%u may be NULL: compare it with 0 first",
				   regno);
	switch (ptr->type) {
	case KBPF_CONST_RING:
		return kbpf_reject(env, -EACCES,
				   "arithmetic on a ring pointer is prohibited");
	case KBPF_CONST_MAP:
		return kbpf_reject(env, -EACCES,
				   "arithmetic on a map pointer is prohibited");
	default:
		return 0;
	}
}

/*
 * The scalar added to or subtracted from a pointer: a constant within
 * range, or, with bypass_spec_v1, a bounded variable.
 */
static int check_ptr_delta(struct kbpf_env *env,
			   const struct kbpf_scalar *delta, u8 delta_regno)
{
	if (kbpf_scalar_is_const(delta))
		return kbpf_check_ptr_offset(env,
					     (s64)delta->var_off.value);
	if (!env->bypass_spec_v1)
		return kbpf_reject(env, -EACCES,
				   "variable offset pointer arithmetic needs bypass_spec_v1");
	if (delta->smin <= -KBPF_MAX_VAR_OFF || delta->smax >= KBPF_MAX_VAR_OFF)
		return kbpf_reject(env, -EACCES,
				   "r%u has an unbounded value: bound it before adding it to a pointer",
				   delta_regno);
	return 0;
}

static int check_ptr_alu(struct kbpf_env *env, const struct bpf_insn *insn,
			 const struct kbpf_reg *dst, const struct kbpf_reg *src)
{
	u8 op = BPF_OP(insn->code);
	bool dst_ptr = kbpf_reg_is_pointer(dst);
	bool src_ptr = src && kbpf_reg_is_pointer(src);
	struct kbpf_scalar imm;
	int err;

	if (BPF_CLASS(insn->code) == BPF_ALU)
		return kbpf_reject(env, -EACCES,
				   "alu32 on a pointer is prohibited");
	if (dst_ptr && src_ptr) {
		if (op == BPF_ADD)
			return kbpf_reject(env, -EACCES,
					   "adding two pointers is prohibited");
		if (op != BPF_SUB)
			return kbpf_reject(env, -EACCES,
					   "%s on a pointer is prohibited",
					   alu_op_name(op));
		if (!env->allow_ptr_leaks)
			return kbpf_reject(env, -EACCES,
					   "subtracting pointers needs allow_ptr_leaks");
		return 0;
	}
	if (op != BPF_ADD && op != BPF_SUB)
		return kbpf_reject(env, -EACCES,
				   "%s on a pointer is prohibited",
				   alu_op_name(op));
	if (src_ptr) {
		/* scalar + pointer: the pointer is the result. */
		if (op == BPF_SUB)
			return kbpf_reject(env, -EACCES,
					   "subtracting a pointer from a scalar is prohibited");
		err = check_ptr_operand(env, src, insn->src_reg);
		return err ? err : check_ptr_delta(env, &dst->val,
						   insn->dst_reg);
	}
	err = check_ptr_operand(env, dst, insn->dst_reg);
	if (err)
		return err;
	if (src)
		return check_ptr_delta(env, &src->val, insn->src_reg);
	kbpf_scalar_set_const(&imm, (u64)(s64)insn->imm);
	return check_ptr_delta(env, &imm, insn->dst_reg);
}

int kbpf_check_alu(struct kbpf_env *env, const struct kbpf_state *st,
		   const struct bpf_insn *insn)
{
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *dst = &regs[insn->dst_reg];
	bool reg_src = kbpf_alu_reads_src_reg(insn);
	const struct kbpf_reg *src = reg_src ? &regs[insn->src_reg] : NULL;
	u8 op = BPF_OP(insn->code);
	int err;

	err = check_reg_writable(env, insn->dst_reg);
	if (!err && reg_src)
		err = check_reg_init(env, st, insn->src_reg);
	if (!err && op != BPF_MOV)
		err = check_reg_init(env, st, insn->dst_reg);
	if (err)
		return err;

	if (op == BPF_MOV) {
		if (reg_src && BPF_CLASS(insn->code) == BPF_ALU &&
		    kbpf_reg_is_pointer(src) && !env->allow_ptr_leaks)
			return kbpf_reject(env, -EACCES,
					   "alu32 on a pointer is prohibited");
		return 0;
	}
	if (op == BPF_END || op == BPF_NEG) {
		if (kbpf_reg_is_pointer(dst))
			return kbpf_reject(env, -EACCES,
					   "%s on a pointer is prohibited",
					   alu_op_name(op));
		return 0;
	}
	if (kbpf_reg_is_pointer(dst) || (src && kbpf_reg_is_pointer(src)))
		return check_ptr_alu(env, insn, dst, src);
	return 0;
}

/* ---- memory ---- */

/*
 * The stack access at @reg + @insn_off, checked; returns the frame offset
 * and records the depth the function of @reg's frame needs.
 */
static int check_stack_range(struct kbpf_env *env, const struct kbpf_state *st,
			     const struct kbpf_reg *reg, s32 insn_off, u32 size,
			     bool aligned, s32 *out)
{
	u32 func = st->frames[reg->frameno]->func;
	s64 off;

	if (!kbpf_scalar_is_const(&reg->val))
		return kbpf_reject(env, -EACCES,
				   "variable offset stack access");
	off = (s64)reg->off + insn_off + (s64)reg->val.var_off.value;
	if (off < -KBPF_FRAME_STACK_SIZE || off + (s64)size > 0)
		return kbpf_reject(env, -EACCES,
				   "invalid stack access off=%lld size=%u",
				   (long long)off, size);
	if (aligned && size && off % size)
		return kbpf_reject(env, -EACCES,
				   "misaligned stack access off=%lld size=%u",
				   (long long)off, size);
	if ((u64)-off > env->func_depth[func])
		env->func_depth[func] = (u32)-off;
	*out = (s32)off;
	return 0;
}

/*
 * An access of [@off, @off + @max_size) bytes past @reg, a ring record or a
 * global function's memory argument: within its mem_size bytes.
 */
static int check_sized_range(struct kbpf_env *env, const struct kbpf_reg *reg,
			     s32 insn_off, u64 max_size)
{
	bool record = reg->type == KBPF_PTR_RECORD;
	s64 lo = (s64)reg->off + insn_off + reg->val.smin;
	s64 hi = (s64)reg->off + insn_off + reg->val.smax + (s64)max_size;

	if (lo < 0 || hi > (s64)reg->mem_size)
		return kbpf_reject(env, -EACCES,
				   "invalid %s access off=%lld size=%llu (%s size %u)",
				   record ? "ring record" : "memory argument",
				   (long long)lo, (unsigned long long)max_size,
				   record ? "record" : "argument",
				   reg->mem_size);
	return 0;
}

static const struct kbpf_used_map *used_map(const struct kbpf_env *env,
					    const struct kbpf_reg *reg)
{
	return &env->structure.maps[reg->map];
}

/*
 * A map value access of [@off, @off + @max_size) bytes past @reg; @write:
 * the program changes the bytes, which a map programs only read refuses.
 */
static int check_map_value_range(struct kbpf_env *env,
				 const struct kbpf_reg *reg, s32 insn_off,
				 u64 max_size, bool write)
{
	s64 lo = (s64)reg->off + insn_off + reg->val.smin;
	s64 hi = (s64)reg->off + insn_off + reg->val.smax + (s64)max_size;

	if (lo < 0 || hi > (s64)reg->mem_size)
		return kbpf_reject(env, -EACCES,
				   "invalid map value access off=%lld size=%llu (value size %u)",
				   (long long)lo, (unsigned long long)max_size,
				   reg->mem_size);
	if (write && (used_map(env, reg)->desc.flags & BPF_F_RDONLY_PROG))
		return kbpf_reject(env, -EACCES,
				   "map#%d is read-only to programs (BPF_F_RDONLY_PROG)",
				   reg->map);
	return 0;
}

static u8 stack_byte(const struct kbpf_frame *frame, s32 byte)
{
	u32 slot = (u32)(-byte - 1) / 8;

	if (slot >= frame->nr_slots)
		return KBPF_SLOT_INVALID;
	return frame->slots[slot].kind[(u32)(byte + 8 * (s32)(slot + 1))];
}

/*
 * Bytes a helper or a load reads: initialised, and no pointer leaks. Programs
 * that may leak pointers (perfmon, as Linux's allow_uninit_stack) may read
 * bytes never written, as unknown numbers: what an earlier run left on the
 * shared stack.
 */
static int check_stack_read(struct kbpf_env *env,
			    const struct kbpf_frame *frame, s32 off, u32 size)
{
	u32 b;

	for (b = 0; b < size; b++) {
		s32 byte = off + (s32)b;
		u8 kind = stack_byte(frame, byte);

		if (kind == KBPF_SLOT_INVALID && !env->allow_ptr_leaks)
			return kbpf_reject(env, -EACCES,
					   "reading uninitialised stack off=%d size=%u",
					   off, size);
		if (kind == KBPF_SLOT_SPILL && !env->allow_ptr_leaks &&
		    kbpf_slot_holds_pointer(&frame->slots[(u32)(-byte - 1) / 8]))
			return kbpf_reject(env, -EACCES,
					   "reading part of a spilled pointer leaks a pointer");
	}
	return 0;
}

/*
 * A write that may change any of the @size bytes at fp + @off: a spilled
 * pointer there may only be overwritten by a pointer (or with
 * bypass_spec_v4).
 */
static int check_stack_overwrite(struct kbpf_env *env,
				 const struct kbpf_frame *frame, s32 off,
				 u32 size, bool value_ptr)
{
	u32 first = (u32)(-off - 1) / 8, last = (u32)(-(off + (s32)size)) / 8;
	u32 s;

	for (s = last; s <= first && s < frame->nr_slots; s++)
		if (kbpf_slot_holds_pointer(&frame->slots[s]) && !value_ptr &&
		    !env->bypass_spec_v4)
			return kbpf_reject(env, -EACCES,
					   "overwriting a spilled pointer needs bypass_spec_v4");
	return 0;
}

/* A store of @size bytes at fp + @off; @value is the register stored. */
static int check_stack_store(struct kbpf_env *env,
			     const struct kbpf_frame *frame, s32 off, u32 size,
			     const struct kbpf_reg *value)
{
	bool value_ptr = kbpf_reg_is_pointer(value);

	if (value_ptr && size != 8 && !env->allow_ptr_leaks)
		return kbpf_reject(env, -EACCES,
				   "storing part of a pointer leaks a pointer");
	return check_stack_overwrite(env, frame, off, size, value_ptr);
}

/*
 * A load of @size bytes at fp + @off. A fill (the size and place of a
 * spill) gives the spilled register back and reads no bytes as such.
 */
static int check_stack_load(struct kbpf_env *env,
			    const struct kbpf_frame *frame, s32 off, u32 size)
{
	u32 slot = (u32)(-off - 1) / 8;

	if (!(off % 8) && slot < frame->nr_slots &&
	    kbpf_slot_spill_size(&frame->slots[slot]) == size)
		return 0;
	return check_stack_read(env, frame, off, size);
}

static int check_mem_base(struct kbpf_env *env, const struct kbpf_state *st,
			  u8 regno)
{
	const struct kbpf_reg *reg = &kbpf_cur_regs(st)[regno];
	int err = check_reg_init(env, st, regno);

	if (err)
		return err;
	if (kbpf_reg_maybe_null(reg))
		return kbpf_reject(env, -EACCES,
				   "r%u may be NULL: compare it with 0 first",
				   regno);
	if (reg->type == KBPF_SCALAR || reg->type == KBPF_CONST_RING ||
	    reg->type == KBPF_CONST_MAP)
		return kbpf_reject(env, -EACCES,
				   "r%u (%s) cannot be dereferenced", regno,
				   kbpf_reg_type_name(reg));
	return 0;
}

/*
 * A read of a tp_btf context's argument @off / 8, as Linux's
 * btf_ctx_access() allows it, with its messages: *@btf_id gets the struct a
 * pointer argument points to (0: the read gives a number).
 */
static int check_btf_ctx_read(struct kbpf_env *env, s64 off, u32 size,
			      u32 *btf_id)
{
	const struct kbpf_ctx_desc *ctx = &env->attr->ctx;
	const struct kbpf_btf *btf = env->attr->btf;
	const char *func = ctx->btf_func;
	const struct btf_type *t;
	u32 arg = (u32)off / 8, id, target;

	if (off % 8)
		return kbpf_reject(env, -EACCES,
				   "func '%s' offset %lld is not multiple of 8",
				   func, (long long)off);
	if (arg >= ctx->nr_btf_args)
		return kbpf_reject(env, -EACCES,
				   "func '%s' doesn't have %u-th argument",
				   func, arg + 1);
	id = kbpf_btf_skip_modifiers(btf, ctx->btf_args[arg], false);
	t = kbpf_btf_type(btf, id);
	if (!t)
		return kbpf_reject(env, -EACCES,
				   "func '%s' arg%u '' has type void. Only pointer access is allowed",
				   func, arg);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return 0;	/* a number */
	case BTF_KIND_PTR:
		break;
	default:
		return kbpf_reject(env, -EACCES,
				   "func '%s' arg%u '%s' has type %s. Only pointer access is allowed",
				   func, arg, kbpf_btf_type_name(btf, id),
				   kbpf_btf_kind_str(btf, id));
	}
	target = kbpf_btf_skip_modifiers(btf, t->type, false);
	/* void * and pointers to numbers are numbers, as in Linux. */
	if (!t->type || (kbpf_btf_type(btf, target) &&
			 BTF_INFO_KIND(kbpf_btf_type(btf, target)->info) ==
			 BTF_KIND_INT))
		return 0;
	if (!kbpf_btf_is_struct(btf, target))
		return kbpf_reject(env, -EACCES,
				   "func '%s' arg%u type %s is not a struct",
				   func, arg, kbpf_btf_kind_str(btf, target));
	/*
	 * Linux types a narrower read of the pointer as the pointer too;
	 * kring wants the whole of it (docs/verifier.md).
	 */
	if (size != 8)
		return kbpf_reject(env, -EACCES,
				   "func '%s' arg%u is a pointer to struct %s: read all 8 bytes of it",
				   func, arg, kbpf_btf_type_name(btf, target));
	*btf_id = target;
	return 0;
}

static int check_ctx_access(struct kbpf_env *env, const struct bpf_insn *insn,
			    const struct kbpf_reg *base, u32 size,
			    const struct kbpf_reg *value, u32 *btf_id)
{
	const struct kbpf_ctx_desc *ctx = &env->attr->ctx;
	s64 off;

	if (!kbpf_scalar_is_const(&base->val))
		return kbpf_reject(env, -EACCES,
				   "variable offset context access");
	off = (s64)base->off + insn->off + (s64)base->val.var_off.value;
	if (ctx->btf_args) {
		/* Linux's tracing context: reads, aligned, of 12 u64s. */
		if (value || off < 0 || off >= 8 * KBPF_MAX_BTF_ARGS ||
		    off % size)
			return kbpf_reject(env, -EACCES,
					   "invalid bpf_context access off=%lld size=%u",
					   (long long)off, size);
		return check_btf_ctx_read(env, off, size, btf_id);
	}
	if (off < 0 || off + size > ctx->size)
		return kbpf_reject(env, -EACCES,
				   "invalid context access off=%lld size=%u",
				   (long long)off, size);
	if (off % size)
		return kbpf_reject(env, -EACCES,
				   "misaligned context access off=%lld size=%u",
				   (long long)off, size);
	if (value && !ctx->writable)
		return kbpf_reject(env, -EACCES, "context is read-only");
	if (value && kbpf_reg_is_pointer(value) && !env->allow_ptr_leaks)
		return kbpf_reject(env, -EACCES,
				   "storing r%u into the context leaks a pointer",
				   insn->src_reg);
	return 0;
}

/*
 * An access of @size bytes through kernel struct pointer @base, as Linux's
 * check_ptr_to_btf_access() allows it (reads only, at a constant offset, of
 * what the struct has there), with its messages. *@btf_id: the struct a
 * pointer read points to, 0 for a number.
 */
static int check_btf_access(struct kbpf_env *env, const struct bpf_insn *insn,
			    const struct kbpf_reg *base, u8 base_regno,
			    u32 size, bool write, u32 *btf_id)
{
	const struct kbpf_btf *btf = env->attr->btf;
	const char *tname = kbpf_btf_type_name(btf, base->btf_id);
	s64 off = (s64)base->off + insn->off;
	char tn[48];
	int ret;

	if (off < 0)
		return kbpf_reject(env, -EACCES,
				   "R%u is ptr_%s invalid negative access: off=%lld",
				   base_regno, tname, (long long)off);
	if (!is_zero_offset(base)) {
		tnum_format(tn, sizeof(tn), base->val.var_off);
		return kbpf_reject(env, -EACCES,
				   "R%u is ptr_%s invalid variable offset: off=%lld, var_off=%s",
				   base_regno, tname, (long long)off, tn);
	}
	if (write)
		return kbpf_reject(env, -EACCES, "only read is supported");
	/* Any kernel memory, as bpf_probe_read_kernel() reads it. */
	if (!env->allow_ptr_leaks)
		return kbpf_reject(env, -EACCES,
				   "reading a kernel struct needs CAP_PERFMON");
	ret = kbpf_btf_struct_walk(btf, base->btf_id, (u32)off, size, btf_id,
				   env->buf, sizeof(env->buf));
	if (ret < 0)
		return kbpf_reject(env, ret, "%s", env->buf);
	if (ret == KBPF_BTF_WALK_SCALAR)
		*btf_id = 0;
	return 0;
}

/*
 * A load reads through a kernel struct pointer on every path that reaches
 * it, or on none: the loader makes it faulting-safe or leaves it as it is.
 */
static int check_load_kind(struct kbpf_env *env, u8 kind)
{
	u8 *seen;

	if (!env->load_kinds) {
		env->load_kinds = kbpf_zalloc(env->attr->insn_cnt);
		if (!env->load_kinds)
			return -ENOMEM;
	}
	seen = &env->load_kinds[env->insn];
	if (*seen != KBPF_LOAD_UNSEEN && *seen != kind)
		return kbpf_reject(env, -EACCES,
				   "same insn cannot be used with different pointers");
	*seen = kind;
	return 0;
}

int kbpf_check_mem(struct kbpf_env *env, const struct kbpf_state *st,
		   const struct bpf_insn *insn, struct kbpf_mem_facts *facts)
{
	s32 *stack_off = &facts->stack_off;
	u8 class = BPF_CLASS(insn->code);
	bool is_load = class == BPF_LDX;
	u8 base_regno = is_load ? insn->src_reg : insn->dst_reg;
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *base = &regs[base_regno];
	u32 size = kbpf_access_bytes(insn->code);
	const struct kbpf_reg *value = NULL;
	struct kbpf_reg stored;
	int err;

	facts->btf_id = 0;
	err = check_mem_base(env, st, base_regno);
	if (err)
		return err;
	if (is_load) {
		err = check_reg_writable(env, insn->dst_reg);
		if (!err)
			err = check_load_kind(env, base->type == KBPF_PTR_BTF ?
					      KBPF_LOAD_BTF : KBPF_LOAD_PLAIN);
		if (err)
			return err;
	} else if (class == BPF_STX) {
		err = check_reg_init(env, st, insn->src_reg);
		if (err)
			return err;
		value = &regs[insn->src_reg];
	} else {
		kbpf_reg_mark_const(&stored, (u64)(s64)insn->imm);
		value = &stored;
	}

	switch (base->type) {
	case KBPF_PTR_CTX:
		return check_ctx_access(env, insn, base, size, value,
					&facts->btf_id);
	case KBPF_PTR_BTF:
		return check_btf_access(env, insn, base, base_regno, size,
					!is_load, &facts->btf_id);
	case KBPF_PTR_STACK: {
		const struct kbpf_frame *frame = st->frames[base->frameno];

		err = check_stack_range(env, st, base, insn->off, size, true,
					stack_off);
		if (err)
			return err;
		if (is_load)
			return check_stack_load(env, frame, *stack_off, size);
		return check_stack_store(env, frame, *stack_off, size, value);
	}
	case KBPF_PTR_RECORD:
	case KBPF_PTR_MEM:
		err = check_sized_range(env, base, insn->off, size);
		if (err)
			return err;
		if (value && kbpf_reg_is_pointer(value) &&
		    !env->allow_ptr_leaks)
			return kbpf_reject(env, -EACCES,
					   "storing r%u into a %s leaks a pointer",
					   insn->src_reg,
					   base->type == KBPF_PTR_RECORD ?
					   "ring record" : "memory argument");
		return 0;
	case KBPF_PTR_MAP_VALUE:
		err = check_map_value_range(env, base, insn->off, size, value);
		if (err)
			return err;
		if (value && kbpf_reg_is_pointer(value) &&
		    !env->allow_ptr_leaks)
			return kbpf_reject(env, -EACCES,
					   "storing r%u into a map value leaks a pointer",
					   insn->src_reg);
		return 0;
	default:
		return kbpf_reject(env, -EACCES,
				   "r%u (%s) cannot be dereferenced",
				   base_regno, kbpf_reg_type_name(base));
	}
}

/* An atomic operation's operand: a number, as Linux stores no pointer so. */
static int check_atomic_operand(struct kbpf_env *env,
				const struct kbpf_state *st, u8 regno)
{
	const struct kbpf_reg *reg = &kbpf_cur_regs(st)[regno];
	int err = check_reg_init(env, st, regno);

	if (err)
		return err;
	if (reg->type != KBPF_SCALAR)
		return kbpf_reject(env, -EACCES,
				   "r%u: an atomic operation takes a number, not %s",
				   regno, kbpf_reg_type_name(reg));
	return 0;
}

/*
 * An atomic operation's place in a record or a map value: aligned to its
 * size, the constant offset and the variable one's known low bits.
 */
static int check_atomic_alignment(struct kbpf_env *env,
				  const struct kbpf_reg *base, s32 insn_off,
				  u32 size)
{
	s64 off = (s64)base->off + insn_off;

	if (off % size || ((base->val.var_off.value | base->val.var_off.mask) &
			   (size - 1)))
		return kbpf_reject(env, -EACCES,
				   "misaligned atomic access off=%lld size=%u",
				   (long long)off, size);
	return 0;
}

int kbpf_check_atomic(struct kbpf_env *env, const struct kbpf_state *st,
		      const struct bpf_insn *insn, s32 *stack_off)
{
	const struct kbpf_reg *base = &kbpf_cur_regs(st)[insn->dst_reg];
	u32 size = kbpf_access_bytes(insn->code);
	const struct kbpf_frame *frame;
	u32 slot;
	int err;

	err = check_mem_base(env, st, insn->dst_reg);
	if (!err)
		err = check_atomic_operand(env, st, insn->src_reg);
	if (!err && insn->imm == BPF_CMPXCHG)
		err = check_atomic_operand(env, st, BPF_REG_0);
	if (err)
		return err;
	switch (base->type) {
	case KBPF_PTR_STACK:
		frame = st->frames[base->frameno];
		err = check_stack_range(env, st, base, insn->off, size, true,
					stack_off);
		if (err)
			return err;
		slot = (u32)(-*stack_off - 1) / 8;
		if (slot < frame->nr_slots &&
		    kbpf_slot_holds_pointer(&frame->slots[slot]))
			return kbpf_reject(env, -EACCES,
					   "atomic operation on a spilled pointer");
		return check_stack_read(env, frame, *stack_off, size);
	case KBPF_PTR_RECORD:
		err = check_sized_range(env, base, insn->off, size);
		return err ? err : check_atomic_alignment(env, base, insn->off,
							  size);
	case KBPF_PTR_MEM:
		/*
		 * Unlike Linux: the caller may pass memory at any address, and
		 * a locked operation across a cache line faults in the kernel
		 * on CPUs that detect split locks.
		 */
		return kbpf_reject(env, -EACCES,
				   "atomic operation on a memory argument, whose alignment is its caller's");
	case KBPF_PTR_MAP_VALUE:
		err = check_map_value_range(env, base, insn->off, size, true);
		return err ? err : check_atomic_alignment(env, base, insn->off,
							  size);
	default:
		return kbpf_reject(env, -EACCES,
				   "atomic operation on r%u (%s) is not allowed",
				   insn->dst_reg, kbpf_reg_type_name(base));
	}
}

int kbpf_check_ld_imm64(struct kbpf_env *env, const struct bpf_insn *insn)
{
	return check_reg_writable(env, insn->dst_reg);
}

/* ---- helper calls ---- */

static bool is_zero(const struct kbpf_reg *reg)
{
	return reg->type == KBPF_SCALAR && is_zero_offset(reg);
}

/*
 * [@mem, @mem + @size) that a helper or a global function reads, or writes
 * (@write), @mem being R@regno or what it holds past its NULL check. For
 * stack, *@stack_off gets the frame offset.
 */
static int check_mem_region(struct kbpf_env *env, const struct kbpf_state *st,
			    const struct kbpf_reg *mem, u8 regno, u64 size,
			    bool write, s32 *stack_off)
{
	int err;

	if (mem->type == KBPF_PTR_RECORD || mem->type == KBPF_PTR_MEM)
		return check_sized_range(env, mem, 0, size);
	if (mem->type == KBPF_PTR_MAP_VALUE)
		return check_map_value_range(env, mem, 0, size, write);
	if (mem->type == KBPF_PTR_STACK) {
		const struct kbpf_frame *frame = st->frames[mem->frameno];
		u32 n = (u32)size;

		err = check_stack_range(env, st, mem, 0, n, false, stack_off);
		if (err || !n)
			return err;
		if (!write)
			return check_stack_read(env, frame, *stack_off, n);
		return check_stack_overwrite(env, frame, *stack_off, n, false);
	}
	return kbpf_reject(env, -EACCES,
			   "r%u expects memory (stack, ring record or map value), got %s",
			   regno, kbpf_reg_type_name(mem));
}

/*
 * Memory a helper reads or writes: [reg, reg + size in the next register).
 * For stack the helper writes, *@stack_off gets the frame offset.
 */
static int check_helper_mem(struct kbpf_env *env, const struct kbpf_state *st,
			    u8 mem_regno, bool write, bool nonzero,
			    s32 *stack_off)
{
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *size = &regs[mem_regno + 1];
	u8 size_regno = mem_regno + 1;

	if (size->type != KBPF_SCALAR)
		return kbpf_reject(env, -EACCES, "r%u expects a size, got %s",
				   size_regno, kbpf_reg_type_name(size));
	if (size->val.smin < 0)
		return kbpf_reject(env, -EACCES,
				   "r%u has an unbounded value: the size may be negative",
				   size_regno);
	if (size->val.umax >= KBPF_MAX_VAR_OFF)
		return kbpf_reject(env, -EACCES,
				   "r%u has an unbounded value: bound the size",
				   size_regno);
	if (nonzero && !size->val.umin)
		return kbpf_reject(env, -EACCES,
				   "r%u: the size may be 0, which this helper refuses",
				   size_regno);
	return check_mem_region(env, st, &regs[mem_regno], mem_regno,
				size->val.umax, write, stack_off);
}

/* NULL for memory that may be NULL: only with a size of 0, as Linux's. */
static int check_null_mem(struct kbpf_env *env, const struct kbpf_state *st,
			  u8 mem_regno)
{
	const struct kbpf_reg *size = &kbpf_cur_regs(st)[mem_regno + 1];

	if (size->type == KBPF_SCALAR && !size->val.umax)
		return 0;
	return kbpf_reject(env, -EACCES,
			   "r%u is NULL, and its size in r%u may be nonzero",
			   mem_regno, mem_regno + 1);
}

/*
 * A map key or value a helper reads: @size initialised bytes on the stack
 * (at a constant offset) or in a map value.
 */
static int check_map_arg_mem(struct kbpf_env *env, const struct kbpf_state *st,
			     u8 regno, u32 size, const char *what)
{
	const struct kbpf_reg *reg = &kbpf_cur_regs(st)[regno];
	s32 off = 0;
	int err;

	if (reg->type == KBPF_PTR_MAP_VALUE)
		return check_map_value_range(env, reg, 0, size, false);
	if (reg->type != KBPF_PTR_STACK)
		return kbpf_reject(env, -EACCES,
				   "r%u expects a map %s (stack or map value), got %s",
				   regno, what, kbpf_reg_type_name(reg));
	err = check_stack_range(env, st, reg, 0, size, false, &off);
	return err ? err : check_stack_read(env, st->frames[reg->frameno], off,
					    size);
}

/*
 * Struct @name in the kernel's BTF, into *@id once (task_struct for
 * get_current_task_btf, sock_common for get_socket_cookie).
 */
static int find_btf_struct(struct kbpf_env *env,
			   const struct kbpf_helper_proto *proto,
			   const char *name, u32 *id)
{
	if (!*id && env->attr->btf)
		*id = kbpf_btf_find(env->attr->btf, name, BTF_KIND_STRUCT);
	if (!*id)
		return kbpf_reject(env, -EINVAL,
				   "helper %d (%s) needs the kernel's BTF (struct %s)",
				   proto->id, proto->name, name);
	return 0;
}

/*
 * A socket for a helper that writes into it: a trusted kernel struct
 * pointer at the start of a struct sock_common, or of a struct that starts
 * with one (KBPF_ARG_BTF_SOCK_COMMON).
 */
static int check_sock_arg(struct kbpf_env *env, const struct kbpf_state *st,
			  u8 regno, const struct kbpf_helper_proto *proto)
{
	const struct kbpf_reg *reg = &kbpf_cur_regs(st)[regno];
	const struct kbpf_btf *btf = env->attr->btf;
	int err;

	if (reg->type != KBPF_PTR_BTF)
		return kbpf_reject(env, -EACCES,
				   "r%u expects a pointer to struct sock_common, got %s",
				   regno, kbpf_reg_type_name(reg));
	err = find_btf_struct(env, proto, "sock_common",
			      &env->sock_common_btf_id);
	if (err)
		return err;
	if (reg->off || !is_zero_offset(reg) ||
	    !kbpf_btf_starts_with(btf, reg->btf_id, env->sock_common_btf_id))
		return kbpf_reject(env, -EACCES,
				   "r%u is of type %s (off=%d%s) but sock_common is expected",
				   regno, kbpf_btf_type_name(btf, reg->btf_id),
				   reg->off,
				   is_zero_offset(reg) ? "" :
				   " plus a variable offset");
	if (!reg->trusted)
		return kbpf_reject(env, -EACCES,
				   "r%u: struct %s may be stale (read from kernel memory, or an fexit argument): pass a socket argument of a tp_btf or fentry program",
				   regno, kbpf_btf_type_name(btf, reg->btf_id));
	return 0;
}

static int check_helper_arg(struct kbpf_env *env, const struct kbpf_state *st,
			    u8 regno, u8 kind, u8 next_kind,
			    struct kbpf_call_facts *facts)
{
	const struct kbpf_reg *reg = &kbpf_cur_regs(st)[regno];
	int err;

	err = check_reg_init(env, st, regno);
	if (err)
		return err;
	if (reg->type == KBPF_PTR_RECORD_OR_NULL)
		return kbpf_reject(env, -EACCES,
				   "r%u may be NULL: compare it with 0 first",
				   regno);
	switch (kind) {
	case KBPF_ARG_ANYTHING:
	case KBPF_ARG_TAIL_CALL_KEY:
		if (kbpf_reg_is_pointer(reg) && !env->allow_ptr_leaks)
			return kbpf_reject(env, -EACCES,
					   "passing r%u to a helper leaks a pointer",
					   regno);
		return 0;
	case KBPF_ARG_RING:
		if (reg->type != KBPF_CONST_RING)
			return kbpf_reject(env, -EACCES,
					   "r%u expects a ring, got %s", regno,
					   kbpf_reg_type_name(reg));
		return 0;
	case KBPF_ARG_MAP:
		if (reg->type != KBPF_CONST_MAP)
			return kbpf_reject(env, -EACCES,
					   "r%u expects a map, got %s", regno,
					   kbpf_reg_type_name(reg));
		facts->map = reg->map;
		return 0;
	case KBPF_ARG_CTX:
		if (reg->type != KBPF_PTR_CTX)
			return kbpf_reject(env, -EACCES,
					   "r%u expects the context, got %s",
					   regno, kbpf_reg_type_name(reg));
		if (reg->off || !is_zero_offset(reg))
			return kbpf_reject(env, -EACCES,
					   "r%u: the context moved (off=%d%s): pass it as the program got it",
					   regno, reg->off,
					   kbpf_scalar_is_const(&reg->val) ? "" :
					   " plus a variable offset");
		return 0;
	case KBPF_ARG_MAP_KEY:
		return check_map_arg_mem(env, st, regno,
					 env->structure.maps[facts->map].desc.key_size,
					 "key");
	case KBPF_ARG_MAP_VALUE:
		return check_map_arg_mem(env, st, regno,
					 env->structure.maps[facts->map].desc.value_size,
					 "value");
	case KBPF_ARG_MEM_READ_OR_NULL:
		if (is_zero(reg))
			return check_null_mem(env, st, regno);
		fallthrough;
	case KBPF_ARG_MEM_READ:
	case KBPF_ARG_MEM_WRITE: {
		bool write = kind == KBPF_ARG_MEM_WRITE;
		s32 off = 0;

		err = check_helper_mem(env, st, regno, write,
				       next_kind == KBPF_ARG_SIZE_NONZERO,
				       &off);
		facts->mem_size_max = kbpf_cur_regs(st)[regno + 1].val.umax;
		if (!err && write && reg->type == KBPF_PTR_STACK &&
		    kbpf_cur_regs(st)[regno + 1].val.umax) {
			facts->stack_writes |= 1U << regno;
			facts->stack_off[regno] = off;
		}
		return err;
	}
	case KBPF_ARG_BTF_SOCK_COMMON:
		return check_sock_arg(env, st, regno, facts->proto);
	case KBPF_ARG_SIZE:
	case KBPF_ARG_SIZE_NONZERO:
		return 0;	/* checked with its memory argument */
	case KBPF_ARG_ALLOC_SIZE:
		if (reg->type != KBPF_SCALAR || !kbpf_scalar_is_const(&reg->val))
			return kbpf_reject(env, -EACCES,
					   "r%u: the record size must be a constant",
					   regno);
		facts->alloc_size = reg->val.var_off.value;
		if (facts->alloc_size > KRING_MAX_DATA_SIZE)
			return kbpf_reject(env, -EACCES,
					   "r%u: record size %llu is larger than any ring",
					   regno,
					   (unsigned long long)facts->alloc_size);
		return 0;
	case KBPF_ARG_RELEASE_RECORD:
		if (reg->type != KBPF_PTR_RECORD)
			return kbpf_reject(env, -EACCES,
					   "r%u expects a reserved ring record, got %s",
					   regno, kbpf_reg_type_name(reg));
		if (reg->off || !is_zero_offset(reg))
			return kbpf_reject(env, -EACCES,
					   "r%u must point to the start of the reserved record (off=%d%s)",
					   regno, reg->off,
					   kbpf_scalar_is_const(&reg->val) ? "" :
					   " plus a variable offset");
		facts->release_id = reg->ref_id;
		return 0;
	}
	return 0;
}

/*
 * A prog array goes to bpf_tail_call only, a cgroup array to
 * current_task_under_cgroup only, a perf event array to perf_event_output
 * only, a stack trace map to get_stackid only, and each of those takes only
 * its own: Linux's check, with its
 * message.
 */
static int check_map_func(struct kbpf_env *env,
			  const struct kbpf_helper_proto *proto,
			  const struct kbpf_call_facts *facts)
{
	u32 type, wanted = kbpf_helper_map_type(proto->id), a;

	for (a = 0; a < 5 && proto->args[a] != KBPF_ARG_MAP; a++)
		;
	if (a == 5)
		return 0;
	type = env->structure.maps[facts->map].desc.type;
	if (wanted ? type == wanted : !kbpf_map_type_has_own_helper(type))
		return 0;
	return kbpf_reject(env, -EINVAL,
			   "cannot pass map_type %u into func bpf_%s#%d", type,
			   proto->name, proto->id);
}

/*
 * A tail call ends the calling function when it is taken, so no ring
 * record may be left reserved. (In a called function, the frames below
 * are limited by check_call_chains.)
 */
static int check_tail_call(struct kbpf_env *env, const struct kbpf_state *st)
{
	if (st->nr_refs)
		return kbpf_reject(env, -EINVAL,
				   "tail_call would lead to reference leak: ring record reserved at insn %u",
				   st->refs[0].insn);
	return 0;
}

int kbpf_check_helper_call(struct kbpf_env *env, const struct kbpf_state *st,
			   const struct bpf_insn *insn,
			   struct kbpf_call_facts *facts)
{
	const struct kbpf_helper_proto *proto = kbpf_helper_proto(insn->imm);
	u8 r;
	int err;

	memset(facts, 0, sizeof(*facts));
	if (!proto && kbpf_linux_helper_name(insn->imm))
		return kbpf_reject(env, -EINVAL, "unknown helper %d (%s)",
				   insn->imm, kbpf_linux_helper_name(insn->imm));
	if (!proto)
		return kbpf_reject(env, -EINVAL, "unknown helper %d",
				   insn->imm);
	facts->proto = proto;
	if ((proto->flags & KBPF_HELPER_TYPED_ONLY) && !env->attr->ctx.btf_func)
		return kbpf_reject(env, -EINVAL,
				   "helper %d (%s) is for tp_btf, fentry and fexit programs only",
				   insn->imm, proto->name);
	if ((proto->flags & KBPF_HELPER_ATTACH_COOKIE) &&
	    !kbpf_attach_has_cookie(env->attr->ctx.attach_type))
		return kbpf_reject(env, -EINVAL,
				   "helper %d (%s): raw tracepoints and tp_btf programs have no cookie",
				   insn->imm, proto->name);
	if ((proto->flags & KBPF_HELPER_FUNC_IP) &&
	    !kbpf_attach_has_func_ip(env->attr->ctx.attach_type))
		return kbpf_reject(env, -EOPNOTSUPP,
				   "helper %d (%s) is for kprobe, uprobe, fentry and fexit programs only",
				   insn->imm, proto->name);
	if ((proto->flags & KBPF_HELPER_PERFMON) && !env->allow_ptr_leaks)
		return kbpf_reject(env, -EACCES,
				   "helper %d (%s) reads kernel memory or addresses: it needs CAP_PERFMON",
				   insn->imm, proto->name);
	for (r = 1; r <= 5 && proto->args[r - 1] != KBPF_ARG_UNUSED; r++) {
		err = check_helper_arg(env, st, r, proto->args[r - 1],
				       r < 5 ? proto->args[r] : KBPF_ARG_UNUSED,
				       facts);
		if (err)
			return err;
	}
	err = check_map_func(env, proto, facts);
	if (err)
		return err;
	if (proto->id == BPF_FUNC_tail_call) {
		err = check_tail_call(env, st);
		if (err)
			return err;
	}
	if ((proto->id == BPF_FUNC_map_update_elem ||
	     proto->id == BPF_FUNC_map_delete_elem) &&
	    (env->structure.maps[facts->map].desc.flags & BPF_F_RDONLY_PROG))
		return kbpf_reject(env, -EACCES,
				   "map#%d is read-only to programs (BPF_F_RDONLY_PROG)",
				   facts->map);
	if (proto->ret == KBPF_RET_TASK_BTF) {
		err = find_btf_struct(env, proto, "task_struct",
				      &env->task_btf_id);
		if (err)
			return err;
	}
	if (proto->ret == KBPF_RET_RECORD_OR_NULL &&
	    st->nr_refs == KBPF_MAX_REFS)
		return kbpf_reject(env, -EACCES,
				   "more than %u ring records reserved at once",
				   KBPF_MAX_REFS);
	return 0;
}

/* ---- bpf-to-bpf calls and exit ---- */

/*
 * A KRING_ARG_MEM argument in R@regno, as Linux's check_mem_reg(): NULL, or
 * memory the callee may read and write for @size bytes. A pointer before its
 * NULL check is checked as past it: the callee checks it. For stack,
 * *@stack_off gets the frame offset.
 */
static int check_global_mem_arg(struct kbpf_env *env,
				const struct kbpf_state *st, u8 regno, u32 size,
				s32 *stack_off)
{
	struct kbpf_reg mem = kbpf_cur_regs(st)[regno];
	int err;

	if (is_zero(&mem))
		return 0;
	if (kbpf_reg_maybe_null(&mem))
		mem.type = kbpf_type_past_null_check(mem.type);
	err = check_mem_region(env, st, &mem, regno, size, false, stack_off);
	return err ? err : check_mem_region(env, st, &mem, regno, size, true,
					    stack_off);
}

/*
 * The arguments of a call of global function @func, each as its func-info
 * declares it. @facts gets the stack the callee may write.
 */
static int check_global_call(struct kbpf_env *env, const struct kbpf_state *st,
			     const struct kbpf_func *f, u32 func,
			     struct kbpf_call_facts *facts)
{
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	u8 a;
	int err;

	for (a = 0; a < f->nr_args; a++) {
		const struct kbpf_reg *arg = &regs[a + 1];
		u8 regno = a + 1;
		bool moved_ctx, ok;

		if (f->arg_kinds[a] == KRING_ARG_MEM) {
			err = check_global_mem_arg(env, st, regno,
						   f->arg_mem_size[a],
						   &facts->stack_off[regno]);
			/* A mismatch of the declaration: EINVAL, as Linux. */
			if (err == -EACCES)
				return kbpf_reject(env, -EINVAL,
						   "global function %u: argument r%u is not NULL or %u bytes its caller may read and write",
						   func, regno,
						   f->arg_mem_size[a]);
			if (err)
				return err;
			if (arg->type == KBPF_PTR_STACK && f->arg_mem_size[a])
				facts->stack_writes |= 1U << regno;
			continue;
		}
		ok = f->arg_kinds[a] == KRING_ARG_SCALAR ?
		     arg->type == KBPF_SCALAR :
		     arg->type == KBPF_PTR_CTX && !arg->off &&
		     is_zero_offset(arg);
		moved_ctx = f->arg_kinds[a] == KRING_ARG_CTX &&
			    arg->type == KBPF_PTR_CTX;
		/* Linux: EINVAL for a type, EACCES for a moved context. */
		if (!ok)
			return kbpf_reject(env, moved_ctx ? -EACCES : -EINVAL,
					   "global function %u: argument r%u expects %s, got %s%s",
					   func, regno,
					   f->arg_kinds[a] == KRING_ARG_SCALAR ?
					   "a scalar" : "the context at offset 0",
					   kbpf_reg_type_name(arg),
					   moved_ctx ? " at another offset" : "");
	}
	return 0;
}

int kbpf_check_pseudo_call(struct kbpf_env *env, const struct kbpf_state *st,
			   u32 func, struct kbpf_call_facts *facts)
{
	const struct kbpf_func *f = &env->structure.funcs[func];

	memset(facts, 0, sizeof(*facts));
	if (f->linkage == KRING_FUNC_GLOBAL)
		return check_global_call(env, st, f, func, facts);
	if (st->curframe + 1 >= KBPF_MAX_CALL_FRAMES)
		return kbpf_reject(env, -EACCES,
				   "call stack of %u frames is too deep (at most %u)",
				   st->curframe + 2, KBPF_MAX_CALL_FRAMES);
	return 0;
}

/* The exit of the program or of a global function: r0 is its result. */
static int check_root_exit(struct kbpf_env *env, const struct kbpf_state *st)
{
	const struct kbpf_frame *frame = kbpf_cur_frame(st);
	const struct kbpf_reg *r0 = &frame->regs[BPF_REG_0];
	int err;

	err = check_reg_init(env, st, BPF_REG_0);
	if (err)
		return err;
	if (kbpf_reg_is_pointer(r0) && !env->allow_ptr_leaks)
		return kbpf_reject(env, -EACCES,
				   "returning r0 (%s) leaks a pointer",
				   kbpf_reg_type_name(r0));
	/* Its callers take a number back, as Linux requires. */
	if (kbpf_reg_is_pointer(r0) && frame->func)
		return kbpf_reject(env, -EACCES,
				   "a global function must return a number, not r0 (%s)",
				   kbpf_reg_type_name(r0));
	if (st->nr_refs)
		return kbpf_reject(env, -EACCES,
				   "unreleased ring record reserved at insn %u",
				   st->refs[0].insn);
	if (env->attr->ctx.returns_zero && !frame->func &&
	    (kbpf_reg_is_pointer(r0) || !kbpf_scalar_is_const(&r0->val) ||
	     r0->val.var_off.value))
		return kbpf_reject(env, -EACCES,
				   "r0 may be other than 0 at exit: an fentry or fexit program returns 0");
	return 0;
}

/*
 * The exit of a static function: r0 goes back as it is (only reading it
 * fails), but no pointer to the returning frame's stack may outlive it.
 */
static int check_static_exit(struct kbpf_env *env, const struct kbpf_state *st)
{
	const struct kbpf_reg *r0 = &kbpf_cur_regs(st)[BPF_REG_0];
	const struct kbpf_reg *reg;
	u32 f, i;

	if (r0->type == KBPF_PTR_STACK && r0->frameno == st->curframe)
		return kbpf_reject(env, -EACCES,
				   "cannot return a stack pointer to the caller");
	for (f = 0; f < st->curframe; f++) {
		const struct kbpf_frame *frame = st->frames[f];

		for (i = 0; i < MAX_BPF_REG + frame->nr_slots; i++) {
			if (i < MAX_BPF_REG)
				reg = &frame->regs[i];
			else if (frame->slots[i - MAX_BPF_REG].kind[0] ==
				 KBPF_SLOT_SPILL)
				reg = &frame->slots[i - MAX_BPF_REG].spill;
			else
				continue;
			if (reg->type == KBPF_PTR_STACK &&
			    reg->frameno >= st->curframe)
				return kbpf_reject(env, -EACCES,
						   "a pointer to the returning function's stack outlives it");
		}
	}
	return 0;
}

int kbpf_check_exit(struct kbpf_env *env, const struct kbpf_state *st)
{
	return st->curframe ? check_static_exit(env, st) :
			      check_root_exit(env, st);
}

/* ---- conditional jumps ---- */

/* A comparison involving a pointer: NULL checks, and leaks otherwise. */
static int check_ptr_cond(struct kbpf_env *env, const struct bpf_insn *insn,
			  const struct kbpf_reg *dst,
			  const struct kbpf_reg *src, int *taken, u32 *null_id)
{
	u8 op = BPF_OP(insn->code);
	const struct kbpf_reg *ptr = kbpf_reg_is_pointer(dst) ? dst : src;
	const struct kbpf_reg *other = ptr == dst ? src : dst;

	if ((op == BPF_JEQ || op == BPF_JNE) && is_zero(other) &&
	    BPF_CLASS(insn->code) == BPF_JMP) {
		if (kbpf_reg_maybe_null(ptr)) {
			*null_id = ptr->id;
			return 0;
		}
		/* A kernel struct pointer may be NULL, and is not checked. */
		if (ptr->type == KBPF_PTR_BTF)
			return 0;
		/* Other pointers are never NULL. */
		*taken = op == BPF_JNE;
		return 0;
	}
	if (!env->allow_ptr_leaks)
		return kbpf_reject(env, -EACCES,
				   "pointer comparison is prohibited");
	return 0;
}

int kbpf_check_cond_jmp(struct kbpf_env *env, const struct kbpf_state *st,
			const struct bpf_insn *insn, int *taken, u32 *null_id)
{
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *dst = &regs[insn->dst_reg], *src;
	bool reg_src = BPF_SRC(insn->code) == BPF_X;
	struct kbpf_reg imm;
	int err;

	*taken = -1;
	*null_id = 0;
	err = check_reg_init(env, st, insn->dst_reg);
	if (!err && reg_src)
		err = check_reg_init(env, st, insn->src_reg);
	if (err)
		return err;
	if (reg_src) {
		src = &regs[insn->src_reg];
	} else {
		kbpf_reg_mark_const(&imm, (u64)(s64)insn->imm);
		src = &imm;
	}
	if (kbpf_reg_is_pointer(dst) || kbpf_reg_is_pointer(src))
		return check_ptr_cond(env, insn, dst, src, taken, null_id);
	return 0;
}
