// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier proper: abstract interpretation of every path through the
 * program, one instruction at a time, on the states of vstate.h.
 *
 * Paths are explored depth first. A conditional jump whose outcome the
 * bounds do not decide forks the state: one side continues, the other waits
 * on a stack. At prune points (jump targets, branch fall-throughs) the
 * state is compared with the checkpoints already stored there: if a
 * finished one contains it, the path ends (its continuation was proven
 * safe); if one still being explored (an ancestor: the path came around a
 * loop) equals it, the loop can repeat forever and the program is rejected.
 * Otherwise the state becomes a checkpoint itself. Only finished
 * checkpoints prune, so every state a program can reach is covered by one
 * whose continuation was explored to the end; that is what makes bounded
 * loops safe to accept and the others impossible to sneak through.
 *
 * The rules follow Linux's verifier; docs/verifier.md lists them and every
 * message.
 */
#include "verifier.h"
#include "log.h"
#include "structure.h"
#include "liveness.h"
#include "helpers.h"
#include "disasm.h"
#include "vstate.h"

/*
 * Pointer offsets stay far from overflow, as in Linux (BPF_MAX_VAR_OFF):
 * adjust_ptr() keeps a pointer's fixed offset and the bounds of its variable
 * one within +-KBPF_MAX_VAR_OFF, checking an operand before it adds it, so
 * the 64-bit sums of the access checks (those plus an instruction's 16-bit
 * offset and an access or helper size below KBPF_MAX_VAR_OFF) cannot
 * overflow.
 */
#define KBPF_MAX_VAR_OFF (1 << 29)
/* Paths waiting to be explored, and checkpoints kept (memory bounds). */
#define KBPF_MAX_PENDING 8192U
#define KBPF_MAX_STORED_STATES 32768U
#define KBPF_ANCESTOR_BUCKETS 1024U

/* Processed instructions between looks at the scheduler and signals. */
#define KBPF_INTERRUPT_INTERVAL 256U

/* do_insn() results besides errors. */
#define PATH_CONTINUES 0
#define PATH_ENDS 1

struct kbpf_pending {
	struct kbpf_state *state;
	struct kbpf_pending *next;
};

struct kbpf_env {
	const struct kbpf_verify_attr *attr;
	const struct bpf_insn *insns;
	struct kbpf_structure st;
	struct kbpf_liveness lv;
	struct kbpf_log log;
	struct kbpf_idmap idmap;
	struct kbpf_state **checkpoints;	/* per insn: explored states */
	/* Checkpoints still being explored, hashed by fingerprint. */
	struct kbpf_state *ancestors[KBPF_ANCESTOR_BUCKETS];
	u32 *in_progress;	/* per insn: how many of them */
	struct kbpf_state *cur;
	struct kbpf_pending *pending;
	u32 nr_pending;
	u32 *func_depth;	/* deepest stack access per function */
	u32 next_id;
	u32 insn;		/* the instruction being checked */
	u64 processed;
	u64 jumps;		/* jump instructions processed */
	u64 processed_at_checkpoint, jumps_at_checkpoint;
	u32 states_now, states_total, states_peak;
	u64 ancestors_compared;
	bool allow_ptr_leaks, bypass_spec_v1, bypass_spec_v4;
	char buf[512];
};

static __printf(3, 4) int reject(struct kbpf_env *env, int err,
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

#ifndef __KERNEL__
bool (*kbpf_signal_pending_hook)(void);
#endif

static struct kbpf_frame *cur_frame(struct kbpf_env *env)
{
	return env->cur->frames[env->cur->curframe];
}

static struct kbpf_reg *cur_regs(struct kbpf_env *env)
{
	return cur_frame(env)->regs;
}

static void log_state(struct kbpf_env *env, const struct kbpf_state *state)
{
	u32 f, r, s, b;

	for (f = 0; f <= state->curframe; f++) {
		const struct kbpf_frame *frame = state->frames[f];

		if (state->curframe)
			kbpf_log_printf(&env->log, "%sframe %u:", f ? " " : "",
					f);
		for (r = 0; r < MAX_BPF_REG; r++) {
			if (frame->regs[r].type == KBPF_NOT_INIT)
				continue;
			kbpf_reg_format(env->buf, sizeof(env->buf),
					&frame->regs[r]);
			kbpf_log_printf(&env->log, " r%u=%s", r, env->buf);
		}
		for (s = 0; s < frame->nr_slots; s++) {
			const struct kbpf_slot *slot = &frame->slots[s];
			char kinds[9];

			u32 spill_size = kbpf_slot_spill_size(slot);

			if (spill_size == 8) {
				kbpf_reg_format(env->buf, sizeof(env->buf),
						&slot->spill);
				kbpf_log_printf(&env->log, " fp-%u=%s",
						8 * (s + 1), env->buf);
				continue;
			}
			/* High bytes first; a narrow spill is "????ssss:VALUE". */
			for (b = 0; b < 8; b++)
				kinds[7 - b] = "?ms"[slot->kind[b]];
			kinds[8] = '\0';
			if (spill_size) {
				kbpf_reg_format(env->buf, sizeof(env->buf),
						&slot->spill);
				kbpf_log_printf(&env->log, " fp-%u=%s:%s",
						8 * (s + 1), kinds, env->buf);
			} else if (strcmp(kinds, "????????")) {
				kbpf_log_printf(&env->log, " fp-%u=%s",
						8 * (s + 1), kinds);
			}
		}
	}
	kbpf_log_printf(&env->log, "\n");
}

static void log_insn(struct kbpf_env *env, u32 idx)
{
	kbpf_disasm(env->buf, sizeof(env->buf), &env->insns[idx]);
	kbpf_log_printf(&env->log, "%u: %s\t;", idx, env->buf);
	log_state(env, env->cur);
}

/* ---- registers ---- */

static int check_reg_init(struct kbpf_env *env, u8 regno)
{
	if (cur_regs(env)[regno].type == KBPF_NOT_INIT)
		return reject(env, -EACCES, "r%u is not initialised", regno);
	if (cur_regs(env)[regno].type == KBPF_RELEASED)
		return reject(env, -EACCES,
			      "r%u was already submitted or discarded", regno);
	return 0;
}

static int check_reg_writable(struct kbpf_env *env, u8 regno)
{
	if (regno == BPF_REG_10)
		return reject(env, -EACCES, "r10 is read-only");
	return 0;
}

/* Calls @fn on every register and spilled register of the current state. */
#define for_each_reg(env, reg, body)					\
	do {								\
		u32 __f, __i;						\
		for (__f = 0; __f <= (env)->cur->curframe; __f++) {	\
			struct kbpf_frame *__fr = (env)->cur->frames[__f]; \
			for (__i = 0; __i < MAX_BPF_REG; __i++) {	\
				reg = &__fr->regs[__i];			\
				body;					\
			}						\
			for (__i = 0; __i < __fr->nr_slots; __i++) {	\
				if (__fr->slots[__i].kind[0] !=		\
				    KBPF_SLOT_SPILL)			\
					continue;			\
				reg = &__fr->slots[__i].spill;		\
				body;					\
			}						\
		}							\
	} while (0)

/* A comparison taught us @reg's bounds: so do its copies. */
static void sync_linked_scalars(struct kbpf_env *env,
				const struct kbpf_reg *known)
{
	struct kbpf_reg *reg;

	if (known->type != KBPF_SCALAR || !known->id)
		return;
	for_each_reg(env, reg, {
		if (reg->type == KBPF_SCALAR && reg->id == known->id)
			reg->val = known->val;
	});
}

static u32 new_id(struct kbpf_env *env)
{
	return ++env->next_id;
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

/* What a pointer operand allows, before any arithmetic on it. */
static int check_ptr_operand(struct kbpf_env *env, const struct kbpf_reg *ptr,
			     u8 regno)
{
	switch (ptr->type) {
	case KBPF_CONST_RING:
		return reject(env, -EACCES,
			      "arithmetic on a ring pointer is prohibited");
	case KBPF_PTR_RECORD_OR_NULL:
		return reject(env, -EACCES,
			      "r%u may be NULL: compare it with 0 first",
			      regno);
	default:
		return 0;
	}
}

/* ptr += scalar or ptr -= scalar: offsets stay exact and bounded. */
static int adjust_ptr(struct kbpf_env *env, struct kbpf_reg *ptr, u8 op,
		      const struct kbpf_scalar *delta, u8 delta_regno)
{
	if (kbpf_scalar_is_const(delta)) {
		s64 c = (s64)delta->var_off.value;
		s64 off;

		/*
		 * The constant first: both terms then lie within
		 * +-KBPF_MAX_VAR_OFF, so their sum or difference cannot
		 * overflow (c near +-2^63 would: undefined behaviour in C).
		 */
		if (c >= KBPF_MAX_VAR_OFF || c <= -KBPF_MAX_VAR_OFF)
			return reject(env, -EACCES,
				      "pointer offset out of range");
		off = op == BPF_ADD ? (s64)ptr->off + c : (s64)ptr->off - c;
		if (off >= KBPF_MAX_VAR_OFF || off <= -KBPF_MAX_VAR_OFF)
			return reject(env, -EACCES,
				      "pointer offset out of range");
		ptr->off = (s32)off;
		return 0;
	}
	if (!env->bypass_spec_v1)
		return reject(env, -EACCES,
			      "variable offset pointer arithmetic needs bypass_spec_v1");
	if (delta->smin <= -KBPF_MAX_VAR_OFF || delta->smax >= KBPF_MAX_VAR_OFF)
		return reject(env, -EACCES,
			      "r%u has an unbounded value: bound it before adding it to a pointer",
			      delta_regno);
	kbpf_scalar_alu(&ptr->val, delta, op, true);
	if (ptr->val.smin <= -KBPF_MAX_VAR_OFF ||
	    ptr->val.smax >= KBPF_MAX_VAR_OFF)
		return reject(env, -EACCES, "pointer offset out of range");
	return 0;
}

static int check_ptr_alu(struct kbpf_env *env, const struct bpf_insn *insn,
			 struct kbpf_reg *dst, const struct kbpf_reg *src)
{
	u8 op = BPF_OP(insn->code);
	bool dst_ptr = kbpf_reg_is_pointer(dst);
	bool src_ptr = src && kbpf_reg_is_pointer(src);
	struct kbpf_reg sum;
	int err;

	if (BPF_CLASS(insn->code) == BPF_ALU)
		return reject(env, -EACCES, "alu32 on a pointer is prohibited");
	if (dst_ptr && src_ptr) {
		if (op == BPF_ADD)
			return reject(env, -EACCES,
				      "adding two pointers is prohibited");
		if (op != BPF_SUB)
			return reject(env, -EACCES,
				      "%s on a pointer is prohibited",
				      alu_op_name(op));
		if (!env->allow_ptr_leaks)
			return reject(env, -EACCES,
				      "subtracting pointers needs allow_ptr_leaks");
		kbpf_reg_mark_unknown(dst);
		return 0;
	}
	if (op != BPF_ADD && op != BPF_SUB)
		return reject(env, -EACCES, "%s on a pointer is prohibited",
			      alu_op_name(op));
	if (src_ptr) {
		/* scalar + pointer: the pointer is the result. */
		if (op == BPF_SUB)
			return reject(env, -EACCES,
				      "subtracting a pointer from a scalar is prohibited");
		err = check_ptr_operand(env, src, insn->src_reg);
		if (err)
			return err;
		sum = *src;
		err = adjust_ptr(env, &sum, op, &dst->val, insn->dst_reg);
		if (!err)
			*dst = sum;
		return err;
	}
	err = check_ptr_operand(env, dst, insn->dst_reg);
	if (err)
		return err;
	if (src)
		return adjust_ptr(env, dst, op, &src->val, insn->src_reg);
	{
		struct kbpf_scalar imm;

		kbpf_scalar_set_const(&imm, (u64)(s64)insn->imm);
		return adjust_ptr(env, dst, op, &imm, insn->dst_reg);
	}
}

static int check_alu(struct kbpf_env *env, const struct bpf_insn *insn)
{
	struct kbpf_reg *regs = cur_regs(env);
	struct kbpf_reg *dst = &regs[insn->dst_reg];
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	bool reg_src = kbpf_alu_reads_src_reg(insn);
	u8 op = BPF_OP(insn->code);
	struct kbpf_reg *src = reg_src ? &regs[insn->src_reg] : NULL;
	struct kbpf_scalar imm;
	int err;

	err = check_reg_writable(env, insn->dst_reg);
	if (!err && reg_src)
		err = check_reg_init(env, insn->src_reg);
	if (!err && op != BPF_MOV)
		err = check_reg_init(env, insn->dst_reg);
	if (err)
		return err;

	if (op == BPF_MOV) {
		if (reg_src && alu64) {
			/* Copies share an id, so a comparison refines both. */
			if (src->type == KBPF_SCALAR && !src->id)
				src->id = new_id(env);
			*dst = *src;
			return 0;
		}
		if (reg_src) {
			if (kbpf_reg_is_pointer(src) && !env->allow_ptr_leaks)
				return reject(env, -EACCES,
					      "alu32 on a pointer is prohibited");
			/* A pointer's low half is just a number. */
			if (kbpf_reg_is_pointer(src))
				kbpf_scalar_set_unknown(&imm);
			else
				imm = src->val;
			kbpf_scalar_zext32(&imm, &imm);
			kbpf_reg_mark_unknown(dst);
			dst->val = imm;
			return 0;
		}
		kbpf_reg_mark_const(dst, alu64 ? (u64)(s64)insn->imm :
					(u64)(u32)insn->imm);
		return 0;
	}
	if (op == BPF_END || op == BPF_NEG) {
		if (kbpf_reg_is_pointer(dst))
			return reject(env, -EACCES,
				      "%s on a pointer is prohibited",
				      alu_op_name(op));
		dst->id = 0;
		if (op == BPF_END)
			kbpf_scalar_endian(&dst->val,
					   BPF_SRC(insn->code) == BPF_TO_BE,
					   insn->imm);
		else
			kbpf_scalar_alu(&dst->val, &dst->val, BPF_NEG, alu64);
		return 0;
	}
	if (kbpf_reg_is_pointer(dst) || (src && kbpf_reg_is_pointer(src)))
		return check_ptr_alu(env, insn, dst, src);
	if (!src) {
		kbpf_scalar_set_const(&imm, alu64 ? (u64)(s64)insn->imm :
					    (u64)(u32)insn->imm);
		kbpf_scalar_alu(&dst->val, &imm, op, alu64);
	} else {
		imm = src->val;	/* src may be dst */
		kbpf_scalar_alu(&dst->val, &imm, op, alu64);
	}
	dst->id = 0;
	return 0;
}

/* ---- memory ---- */

static u32 access_bytes(u8 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

/* A value read from memory: a number of @size bytes. */
static void mark_loaded(struct kbpf_reg *reg, u32 size)
{
	kbpf_reg_mark_unknown(reg);
	if (size < 8) {
		reg->val.umin = 0;
		reg->val.umax = (1ULL << (8 * size)) - 1;
		kbpf_scalar_sync(&reg->val);
	}
}

static void note_stack_depth(struct kbpf_env *env, u32 frameno, s64 off)
{
	u32 func = env->cur->frames[frameno]->func;

	if ((u64)-off > env->func_depth[func])
		env->func_depth[func] = (u32)-off;
}

/*
 * A scalar as a load of @size bytes reads it back: its low bytes,
 * zero-extended. One that does not fit is no longer the register's value,
 * so it loses the register's links.
 */
static void cut_to_size(struct kbpf_reg *reg, u32 size)
{
	struct kbpf_scalar mask;

	if (size == 8)
		return;
	kbpf_scalar_set_const(&mask, (1ULL << (8 * size)) - 1);
	if (reg->val.umax <= mask.var_off.value)
		return;
	reg->id = 0;
	kbpf_scalar_alu(&reg->val, &mask, BPF_AND, true);
}

/*
 * Before a write that may change any of the @size bytes at fp + @off: a
 * spilled pointer there may only be overwritten by a pointer, and a spill
 * whose bytes change no longer holds its register. Bytes keep their state
 * (uninitialised or written) until stack_mark() says what was written.
 */
static int stack_clobber(struct kbpf_env *env, struct kbpf_frame *frame,
			 s32 off, u32 size, bool value_ptr)
{
	u32 first = (u32)(-off - 1) / 8, last = (u32)(-(off + (s32)size)) / 8;
	u32 s, b;
	int err;

	err = kbpf_frame_grow(frame, first + 1);
	if (err)
		return err;
	for (s = last; s <= first; s++) {
		struct kbpf_slot *slot = &frame->slots[s];

		if (kbpf_slot_holds_pointer(slot) && !value_ptr &&
		    !env->bypass_spec_v4)
			return reject(env, -EACCES,
				      "overwriting a spilled pointer needs bypass_spec_v4");
	}
	for (s = last; s <= first; s++) {
		struct kbpf_slot *slot = &frame->slots[s];
		/*
		 * Bytes the write leaves (past a narrow store, or past a
		 * variable-size helper write's minimum) may still hold the
		 * spilled pointer's: without allow_ptr_leaks they must not be
		 * read, as bytes never written are not.
		 */
		u8 rest = kbpf_slot_holds_pointer(slot) && !env->allow_ptr_leaks ?
			  KBPF_SLOT_INVALID : KBPF_SLOT_MISC;

		/* Any byte changed: the slot no longer holds the register. */
		for (b = 0; b < 8; b++)
			if (slot->kind[b] == KBPF_SLOT_SPILL)
				slot->kind[b] = rest;
	}
	return 0;
}

/* The @size bytes at fp + @off are now of @kind (after stack_clobber()). */
static void stack_mark(struct kbpf_frame *frame, s32 off, u32 size, u8 kind)
{
	u32 b;

	for (b = 0; b < size; b++) {
		s32 byte = off + (s32)b;
		u32 slot = (u32)(-byte - 1) / 8;

		frame->slots[slot].kind[(u32)(byte + 8 * (s32)(slot + 1))] =
			kind;
	}
}

/* A write of @size bytes at fp + @off; @value is the register or NULL. */
static int stack_write(struct kbpf_env *env, struct kbpf_frame *frame,
		       s32 off, u32 size, const struct kbpf_reg *value)
{
	u32 first = (u32)(-off - 1) / 8;
	bool value_ptr = value && kbpf_reg_is_pointer(value);
	/* Kept: a whole register, or a scalar at the slot's base (Linux's rule). */
	bool spill = value && (size == 8 || (!value_ptr && !(off % 8)));
	int err;

	if (value_ptr && size != 8 && !env->allow_ptr_leaks)
		return reject(env, -EACCES,
			      "storing part of a pointer leaks a pointer");
	err = stack_clobber(env, frame, off, size, value_ptr);
	if (err)
		return err;
	stack_mark(frame, off, size,
		   spill ? KBPF_SLOT_SPILL : KBPF_SLOT_MISC);
	if (spill) {
		frame->slots[first].spill = *value;
		cut_to_size(&frame->slots[first].spill, size);
	}
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
static int stack_check_read(struct kbpf_env *env,
			    const struct kbpf_frame *frame, s32 off, u32 size)
{
	u32 b;

	for (b = 0; b < size; b++) {
		s32 byte = off + (s32)b;
		u8 kind = stack_byte(frame, byte);

		if (kind == KBPF_SLOT_INVALID && !env->allow_ptr_leaks)
			return reject(env, -EACCES,
				      "reading uninitialised stack off=%d size=%u",
				      off, size);
		if (kind == KBPF_SLOT_SPILL && !env->allow_ptr_leaks &&
		    kbpf_slot_holds_pointer(&frame->slots[(u32)(-byte - 1) / 8]))
			return reject(env, -EACCES,
				      "reading part of a spilled pointer leaks a pointer");
	}
	return 0;
}

static int stack_read(struct kbpf_env *env, const struct kbpf_frame *frame,
		      s32 off, u32 size, struct kbpf_reg *dst)
{
	u32 slot = (u32)(-off - 1) / 8;
	int err;

	/* A fill: the size and place of the spill give its register back. */
	if (!(off % 8) && slot < frame->nr_slots &&
	    kbpf_slot_spill_size(&frame->slots[slot]) == size) {
		*dst = frame->slots[slot].spill;
		return 0;
	}
	err = stack_check_read(env, frame, off, size);
	if (err)
		return err;
	mark_loaded(dst, size);
	return 0;
}

/* The stack access at @reg + @off, checked; returns the frame offset. */
static int check_stack_range(struct kbpf_env *env, const struct kbpf_reg *reg,
			     s32 insn_off, u32 size, bool aligned, s32 *out)
{
	s64 off;

	if (!kbpf_scalar_is_const(&reg->val))
		return reject(env, -EACCES, "variable offset stack access");
	off = (s64)reg->off + insn_off + (s64)reg->val.var_off.value;
	if (off < -KBPF_FRAME_STACK_SIZE || off + (s64)size > 0)
		return reject(env, -EACCES,
			      "invalid stack access off=%lld size=%u",
			      (long long)off, size);
	if (aligned && size && off % size)
		return reject(env, -EACCES,
			      "misaligned stack access off=%lld size=%u",
			      (long long)off, size);
	note_stack_depth(env, reg->frameno, off);
	*out = (s32)off;
	return 0;
}

/* A record access of [@off, @off + @max_size) bytes past @reg. */
static int check_record_range(struct kbpf_env *env, const struct kbpf_reg *reg,
			      s32 insn_off, u64 max_size)
{
	s64 lo = (s64)reg->off + insn_off + reg->val.smin;
	s64 hi = (s64)reg->off + insn_off + reg->val.smax + (s64)max_size;

	if (lo < 0 || hi > (s64)reg->mem_size)
		return reject(env, -EACCES,
			      "invalid ring record access off=%lld size=%llu (record size %u)",
			      (long long)lo, (unsigned long long)max_size,
			      reg->mem_size);
	return 0;
}

static int check_mem_base(struct kbpf_env *env, u8 regno)
{
	const struct kbpf_reg *reg = &cur_regs(env)[regno];
	int err = check_reg_init(env, regno);

	if (err)
		return err;
	if (reg->type == KBPF_PTR_RECORD_OR_NULL)
		return reject(env, -EACCES,
			      "r%u may be NULL: compare it with 0 first",
			      regno);
	if (reg->type == KBPF_SCALAR || reg->type == KBPF_CONST_RING)
		return reject(env, -EACCES, "r%u (%s) cannot be dereferenced",
			      regno, kbpf_reg_type_name(reg));
	return 0;
}

/* LDX, STX, ST. */
static int check_mem(struct kbpf_env *env, const struct bpf_insn *insn)
{
	u8 class = BPF_CLASS(insn->code);
	bool is_load = class == BPF_LDX;
	u8 base_regno = is_load ? insn->src_reg : insn->dst_reg;
	struct kbpf_reg *regs = cur_regs(env);
	struct kbpf_reg *base = &regs[base_regno];
	u32 size = access_bytes(insn->code);
	const struct kbpf_reg *value = NULL;
	struct kbpf_reg stored;
	struct kbpf_reg loaded;
	int err;

	err = check_mem_base(env, base_regno);
	if (err)
		return err;
	if (is_load) {
		err = check_reg_writable(env, insn->dst_reg);
		if (err)
			return err;
	} else if (class == BPF_STX) {
		err = check_reg_init(env, insn->src_reg);
		if (err)
			return err;
		value = &regs[insn->src_reg];
	} else {
		kbpf_reg_mark_const(&stored, (u64)(s64)insn->imm);
		value = &stored;
	}

	switch (base->type) {
	case KBPF_PTR_CTX: {
		const struct kbpf_ctx_desc *ctx = &env->attr->ctx;
		s64 off;

		if (!kbpf_scalar_is_const(&base->val))
			return reject(env, -EACCES,
				      "variable offset context access");
		off = (s64)base->off + insn->off +
		      (s64)base->val.var_off.value;
		if (off < 0 || off + size > ctx->size)
			return reject(env, -EACCES,
				      "invalid context access off=%lld size=%u",
				      (long long)off, size);
		if (off % size)
			return reject(env, -EACCES,
				      "misaligned context access off=%lld size=%u",
				      (long long)off, size);
		if (!is_load && !ctx->writable)
			return reject(env, -EACCES, "context is read-only");
		if (value && kbpf_reg_is_pointer(value) &&
		    !env->allow_ptr_leaks)
			return reject(env, -EACCES,
				      "storing r%u into the context leaks a pointer",
				      insn->src_reg);
		if (is_load)
			mark_loaded(&loaded, size);
		break;
	}
	case KBPF_PTR_STACK: {
		struct kbpf_frame *frame = env->cur->frames[base->frameno];
		s32 off;

		err = check_stack_range(env, base, insn->off, size, true, &off);
		if (err)
			return err;
		if (is_load)
			err = stack_read(env, frame, off, size, &loaded);
		else
			err = stack_write(env, frame, off, size, value);
		if (err)
			return err;
		break;
	}
	case KBPF_PTR_RECORD:
		err = check_record_range(env, base, insn->off, size);
		if (err)
			return err;
		if (value && kbpf_reg_is_pointer(value) &&
		    !env->allow_ptr_leaks)
			return reject(env, -EACCES,
				      "storing r%u into a ring record leaks a pointer",
				      insn->src_reg);
		if (is_load)
			mark_loaded(&loaded, size);
		break;
	default:
		return reject(env, -EACCES, "r%u (%s) cannot be dereferenced",
			      base_regno, kbpf_reg_type_name(base));
	}
	if (is_load)
		regs[insn->dst_reg] = loaded;
	return 0;
}

/* ---- LD_IMM64 ---- */

static int check_ld_imm64(struct kbpf_env *env, const struct bpf_insn *insn)
{
	struct kbpf_reg *dst = &cur_regs(env)[insn->dst_reg];
	int err = check_reg_writable(env, insn->dst_reg);

	if (err)
		return err;
	if (insn->src_reg == BPF_PSEUDO_MAP_FD) {
		kbpf_reg_mark_not_init(dst);
		dst->type = KBPF_CONST_RING;
		dst->ring = env->st.ring_index[env->insn];
		kbpf_scalar_set_const(&dst->val, 0);
		return 0;
	}
	kbpf_reg_mark_const(dst, (u64)(u32)insn[0].imm |
				 ((u64)(u32)insn[1].imm << 32));
	return 0;
}

/* ---- helper calls and references ---- */

static int acquire_ref(struct kbpf_env *env, u32 *id)
{
	struct kbpf_state *st = env->cur;

	if (st->nr_refs == KBPF_MAX_REFS)
		return reject(env, -EACCES,
			      "more than %u ring records reserved at once",
			      KBPF_MAX_REFS);
	*id = new_id(env);
	st->refs[st->nr_refs].id = *id;
	st->refs[st->nr_refs].insn = env->insn;
	st->nr_refs++;
	return 0;
}

static bool drop_ref(struct kbpf_state *st, u32 id)
{
	u32 i;

	for (i = 0; i < st->nr_refs; i++) {
		if (st->refs[i].id != id)
			continue;
		memmove(&st->refs[i], &st->refs[i + 1],
			(st->nr_refs - i - 1) * sizeof(st->refs[0]));
		st->nr_refs--;
		return true;
	}
	return false;
}

static void release_record(struct kbpf_env *env, u32 ref_id)
{
	struct kbpf_reg *reg;

	drop_ref(env->cur, ref_id);
	for_each_reg(env, reg, {
		if ((reg->type == KBPF_PTR_RECORD ||
		     reg->type == KBPF_PTR_RECORD_OR_NULL) &&
		    reg->ref_id == ref_id) {
			kbpf_reg_mark_not_init(reg);
			reg->type = KBPF_RELEASED;
			reg->ref_id = ref_id;
		}
	});
}

/* Memory a helper reads or writes: [reg, reg + size in @size_reg). */
static int check_helper_mem(struct kbpf_env *env, u8 mem_regno, bool write,
			    bool nonzero)
{
	struct kbpf_reg *regs = cur_regs(env);
	const struct kbpf_reg *mem = &regs[mem_regno];
	const struct kbpf_reg *size = &regs[mem_regno + 1];
	u8 size_regno = mem_regno + 1;
	int err;

	if (size->type != KBPF_SCALAR)
		return reject(env, -EACCES, "r%u expects a size, got %s",
			      size_regno, kbpf_reg_type_name(size));
	if (size->val.smin < 0)
		return reject(env, -EACCES,
			      "r%u has an unbounded value: the size may be negative",
			      size_regno);
	if (size->val.umax >= KBPF_MAX_VAR_OFF)
		return reject(env, -EACCES,
			      "r%u has an unbounded value: bound the size",
			      size_regno);
	if (nonzero && !size->val.umin)
		return reject(env, -EACCES,
			      "r%u: the size may be 0, which this helper refuses",
			      size_regno);
	if (mem->type == KBPF_PTR_RECORD)
		return check_record_range(env, mem, 0, size->val.umax);
	if (mem->type == KBPF_PTR_STACK) {
		struct kbpf_frame *frame = env->cur->frames[mem->frameno];
		u32 n = (u32)size->val.umax;
		s32 off;

		err = check_stack_range(env, mem, 0, n, false, &off);
		if (err || !n)
			return err;
		if (!write)
			return stack_check_read(env, frame, off, n);
		err = stack_clobber(env, frame, off, n, false);
		if (err)
			return err;
		/*
		 * A run writes as many bytes as its size, so only the first
		 * umin are written by every run; the others keep what an
		 * earlier run left on the shared stack. Programs that may leak
		 * pointers may have them all as unknown bytes, as Linux marks
		 * umax bytes for the programs that may read uninitialised
		 * stack.
		 */
		if (!env->allow_ptr_leaks)
			n = (u32)size->val.umin;
		stack_mark(frame, off, n, KBPF_SLOT_MISC);
		return 0;
	}
	return reject(env, -EACCES,
		      "r%u expects memory (stack or ring record), got %s",
		      mem_regno, kbpf_reg_type_name(mem));
}

static int check_helper_arg(struct kbpf_env *env, u8 regno, u8 kind,
			    u8 next_kind, u64 *alloc_size)
{
	struct kbpf_reg *reg = &cur_regs(env)[regno];
	int err;

	if (reg->type == KBPF_NOT_INIT)
		return reject(env, -EACCES, "r%u is not initialised", regno);
	if (reg->type == KBPF_RELEASED)
		return reject(env, -EACCES,
			      "r%u was already submitted or discarded", regno);
	if (reg->type == KBPF_PTR_RECORD_OR_NULL)
		return reject(env, -EACCES,
			      "r%u may be NULL: compare it with 0 first",
			      regno);
	switch (kind) {
	case KBPF_ARG_ANYTHING:
		if (kbpf_reg_is_pointer(reg) && !env->allow_ptr_leaks)
			return reject(env, -EACCES,
				      "passing r%u to a helper leaks a pointer",
				      regno);
		return 0;
	case KBPF_ARG_RING:
		if (reg->type != KBPF_CONST_RING)
			return reject(env, -EACCES,
				      "r%u expects a ring, got %s", regno,
				      kbpf_reg_type_name(reg));
		return 0;
	case KBPF_ARG_MEM_READ:
	case KBPF_ARG_MEM_WRITE:
		err = check_helper_mem(env, regno, kind == KBPF_ARG_MEM_WRITE,
				       next_kind == KBPF_ARG_SIZE_NONZERO);
		return err;
	case KBPF_ARG_SIZE:
	case KBPF_ARG_SIZE_NONZERO:
		return 0;	/* checked with its memory argument */
	case KBPF_ARG_ALLOC_SIZE:
		if (reg->type != KBPF_SCALAR || !kbpf_scalar_is_const(&reg->val))
			return reject(env, -EACCES,
				      "r%u: the record size must be a constant",
				      regno);
		*alloc_size = reg->val.var_off.value;
		if (*alloc_size > KRING_MAX_DATA_SIZE)
			return reject(env, -EACCES,
				      "r%u: record size %llu is larger than any ring",
				      regno, (unsigned long long)*alloc_size);
		return 0;
	case KBPF_ARG_RELEASE_RECORD:
		if (reg->type != KBPF_PTR_RECORD)
			return reject(env, -EACCES,
				      "r%u expects a reserved ring record, got %s",
				      regno, kbpf_reg_type_name(reg));
		if (reg->off || !kbpf_scalar_is_const(&reg->val) ||
		    reg->val.var_off.value)
			return reject(env, -EACCES,
				      "r%u must point to the start of the reserved record (off=%d%s)",
				      regno, reg->off,
				      kbpf_scalar_is_const(&reg->val) ? "" :
				      " plus a variable offset");
		return 0;
	}
	return 0;
}

static int check_helper_call(struct kbpf_env *env, const struct bpf_insn *insn)
{
	const struct kbpf_helper_proto *proto = kbpf_helper_proto(insn->imm);
	struct kbpf_reg *regs = cur_regs(env);
	u64 alloc_size = 0;
	u32 release_id = 0;
	u8 r;
	int err;

	if (!proto)
		return reject(env, -EINVAL, "unknown helper %d", insn->imm);
	for (r = 1; r <= 5 && proto->args[r - 1] != KBPF_ARG_UNUSED; r++) {
		err = check_helper_arg(env, r, proto->args[r - 1],
				       r < 5 ? proto->args[r] : KBPF_ARG_UNUSED,
				       &alloc_size);
		if (err)
			return err;
		if (proto->args[r - 1] == KBPF_ARG_RELEASE_RECORD)
			release_id = regs[r].ref_id;
	}
	if (release_id)
		release_record(env, release_id);
	regs = cur_regs(env);
	for (r = 1; r <= 5; r++)
		kbpf_reg_mark_not_init(&regs[r]);
	switch (proto->ret) {
	case KBPF_RET_SCALAR:
		kbpf_reg_mark_unknown(&regs[BPF_REG_0]);
		break;
	case KBPF_RET_VOID:
		kbpf_reg_mark_not_init(&regs[BPF_REG_0]);
		break;
	case KBPF_RET_RECORD_OR_NULL: {
		struct kbpf_reg *r0 = &regs[BPF_REG_0];
		u32 id = 0;

		err = acquire_ref(env, &id);
		if (err)
			return err;
		kbpf_reg_mark_not_init(r0);
		r0->type = KBPF_PTR_RECORD_OR_NULL;
		r0->id = id;
		r0->ref_id = id;
		r0->mem_size = (u32)alloc_size;
		kbpf_scalar_set_const(&r0->val, 0);
		break;
	}
	}
	return 0;
}

/* ---- bpf-to-bpf calls and exit ---- */

static int check_global_call(struct kbpf_env *env, const struct kbpf_func *f,
			     u32 func)
{
	struct kbpf_reg *regs = cur_regs(env);
	u8 a;

	for (a = 0; a < f->nr_args; a++) {
		const struct kbpf_reg *arg = &regs[a + 1];
		bool ok = f->arg_kinds[a] == KRING_ARG_SCALAR ?
			  arg->type == KBPF_SCALAR :
			  arg->type == KBPF_PTR_CTX && !arg->off &&
			  kbpf_scalar_is_const(&arg->val) &&
			  !arg->val.var_off.value;

		if (!ok)
			return reject(env, -EACCES,
				      "global function %u: argument r%u expects %s, got %s%s",
				      func, a + 1,
				      f->arg_kinds[a] == KRING_ARG_SCALAR ?
				      "a scalar" : "the context at offset 0",
				      kbpf_reg_type_name(arg),
				      arg->type == KBPF_PTR_CTX ?
				      " at another offset" : "");
	}
	for (a = 1; a <= 5; a++)
		kbpf_reg_mark_not_init(&regs[a]);
	kbpf_reg_mark_unknown(&regs[BPF_REG_0]);
	return 0;
}

static int check_pseudo_call(struct kbpf_env *env, const struct bpf_insn *insn,
			     u32 *next)
{
	u32 target = env->insn + 1 + insn->imm;
	u32 func = env->st.insn_func[target];
	const struct kbpf_func *f = &env->st.funcs[func];
	struct kbpf_state *st = env->cur;
	struct kbpf_frame *caller = cur_frame(env), *callee;
	u8 r;

	if (f->linkage == KRING_FUNC_GLOBAL) {
		*next = env->insn + 1;
		return check_global_call(env, f, func);
	}
	if (st->curframe + 1 >= KBPF_MAX_CALL_FRAMES)
		return reject(env, -EACCES,
			      "call stack of %u frames is too deep (at most %u)",
			      st->curframe + 2, KBPF_MAX_CALL_FRAMES);
	callee = kbpf_zalloc(sizeof(*callee));
	if (!callee)
		return -ENOMEM;
	callee->callsite = env->insn;
	callee->func = func;
	for (r = 0; r < MAX_BPF_REG; r++)
		kbpf_reg_mark_not_init(&callee->regs[r]);
	for (r = 1; r <= 5; r++) {
		callee->regs[r] = caller->regs[r];
		/* The callee's copies may be refined without the caller's. */
		if (callee->regs[r].type == KBPF_SCALAR)
			callee->regs[r].id = 0;
	}
	for (r = 0; r <= 5; r++)
		kbpf_reg_mark_not_init(&caller->regs[r]);
	callee->regs[BPF_REG_10].type = KBPF_PTR_STACK;
	callee->regs[BPF_REG_10].frameno = st->curframe + 1;
	kbpf_scalar_set_const(&callee->regs[BPF_REG_10].val, 0);
	st->frames[++st->curframe] = callee;
	*next = target;
	return 0;
}

static int check_exit(struct kbpf_env *env, u32 *next)
{
	struct kbpf_state *st = env->cur;
	struct kbpf_frame *callee = cur_frame(env);
	struct kbpf_reg *r0 = &callee->regs[BPF_REG_0];
	struct kbpf_reg *reg;
	int err;

	if (!st->curframe) {
		/*
		 * r0 is the result of the program or global function. A static
		 * function's r0 goes back as it is: only reading it fails.
		 */
		err = check_reg_init(env, BPF_REG_0);
		if (err)
			return err;
		if (kbpf_reg_is_pointer(r0) && !env->allow_ptr_leaks)
			return reject(env, -EACCES,
				      "returning r0 (%s) leaks a pointer",
				      kbpf_reg_type_name(r0));
		/* Its callers take a number back, as Linux requires. */
		if (kbpf_reg_is_pointer(r0) && callee->func)
			return reject(env, -EACCES,
				      "a global function must return a number, not r0 (%s)",
				      kbpf_reg_type_name(r0));
		if (st->nr_refs)
			return reject(env, -EACCES,
				      "unreleased ring record reserved at insn %u",
				      st->refs[0].insn);
		return PATH_ENDS;
	}
	if (r0->type == KBPF_PTR_STACK && r0->frameno == st->curframe)
		return reject(env, -EACCES,
			      "cannot return a stack pointer to the caller");
	st->curframe--;
	for_each_reg(env, reg, {
		if (reg->type == KBPF_PTR_STACK &&
		    reg->frameno > env->cur->curframe)
			return reject(env, -EACCES,
				      "a pointer to the returning function's stack outlives it");
	});
	cur_frame(env)->regs[BPF_REG_0] = *r0;
	*next = callee->callsite + 1;
	kbpf_frame_free(callee);
	st->frames[st->curframe + 1] = NULL;
	return PATH_CONTINUES;
}

/* ---- conditional jumps ---- */

static int push_branch(struct kbpf_env *env, struct kbpf_state *state)
{
	struct kbpf_pending *p;

	if (env->nr_pending >= KBPF_MAX_PENDING) {
		kbpf_state_free(state);
		return reject(env, -E2BIG,
			      "too complex: more than %u paths pending",
			      KBPF_MAX_PENDING);
	}
	p = kbpf_zalloc(sizeof(*p));
	if (!p) {
		kbpf_state_free(state);
		return -ENOMEM;
	}
	p->state = state;
	p->next = env->pending;
	env->pending = p;
	env->nr_pending++;
	if (state->parent)
		state->parent->branches++;
	return 0;
}

/* The NULL check of a reservation: decides it on each side. */
static void mark_null_check(struct kbpf_env *env, u32 id, bool is_null)
{
	struct kbpf_reg *reg;

	if (is_null)
		drop_ref(env->cur, id);	/* nothing to release */
	for_each_reg(env, reg, {
		if (reg->type != KBPF_PTR_RECORD_OR_NULL || reg->id != id)
			continue;
		if (is_null)
			kbpf_reg_mark_const(reg, 0);
		else
			reg->type = KBPF_PTR_RECORD;
	});
}

static bool is_zero(const struct kbpf_reg *reg)
{
	return reg->type == KBPF_SCALAR && kbpf_scalar_is_const(&reg->val) &&
	       !reg->val.var_off.value;
}

/*
 * Sets *@taken to 1/0 when the outcome is known, -1 otherwise, for a
 * comparison involving a pointer; handles NULL checks of reservations.
 */
static int check_ptr_cond(struct kbpf_env *env, const struct bpf_insn *insn,
			  struct kbpf_reg *dst, struct kbpf_reg *src,
			  int *taken, u32 *null_id)
{
	u8 op = BPF_OP(insn->code);
	struct kbpf_reg *ptr = kbpf_reg_is_pointer(dst) ? dst : src;
	struct kbpf_reg *other = ptr == dst ? src : dst;

	*taken = -1;
	*null_id = 0;
	if ((op == BPF_JEQ || op == BPF_JNE) && is_zero(other) &&
	    BPF_CLASS(insn->code) == BPF_JMP) {
		if (ptr->type == KBPF_PTR_RECORD_OR_NULL) {
			*null_id = ptr->id;
			return 0;
		}
		/* Other pointers are never NULL. */
		*taken = op == BPF_JNE;
		return 0;
	}
	if (!env->allow_ptr_leaks)
		return reject(env, -EACCES, "pointer comparison is prohibited");
	return 0;
}

static int check_cond_jmp(struct kbpf_env *env, const struct bpf_insn *insn,
			  u32 *next)
{
	struct kbpf_reg *regs = cur_regs(env);
	bool reg_src = BPF_SRC(insn->code) == BPF_X;
	bool jmp32 = BPF_CLASS(insn->code) == BPF_JMP32;
	u8 op = BPF_OP(insn->code);
	u32 target = env->insn + 1 + insn->off;
	struct kbpf_reg imm, *dst = &regs[insn->dst_reg], *src;
	struct kbpf_state *other;
	u32 null_id = 0;
	int taken, err;

	err = check_reg_init(env, insn->dst_reg);
	if (!err && reg_src)
		err = check_reg_init(env, insn->src_reg);
	if (err)
		return err;
	if (reg_src) {
		src = &regs[insn->src_reg];
	} else {
		kbpf_reg_mark_const(&imm, (u64)(s64)insn->imm);
		src = &imm;
	}
	if (kbpf_reg_is_pointer(dst) || kbpf_reg_is_pointer(src)) {
		err = check_ptr_cond(env, insn, dst, src, &taken, &null_id);
		if (err)
			return err;
	} else {
		taken = kbpf_scalar_branch_taken(&dst->val, &src->val, op,
						 jmp32);
	}
	if (taken >= 0) {
		*next = taken ? target : env->insn + 1;
		return 0;
	}

	/* Both outcomes possible: the jump side waits, we fall through. */
	other = kbpf_state_copy(env->cur);
	if (!other)
		return -ENOMEM;
	other->insn = target;
	*next = env->insn + 1;
	if (null_id) {
		bool null_when_taken = op == BPF_JEQ;

		mark_null_check(env, null_id, !null_when_taken);
		swap(env->cur, other);
		mark_null_check(env, null_id, null_when_taken);
		swap(env->cur, other);
		return push_branch(env, other);
	}
	if (!kbpf_reg_is_pointer(dst) && !kbpf_reg_is_pointer(src)) {
		struct kbpf_reg *odst, *osrc, oimm = imm;
		struct kbpf_frame *of = other->frames[other->curframe];
		bool other_possible, cur_possible;

		odst = &of->regs[insn->dst_reg];
		osrc = reg_src ? &of->regs[insn->src_reg] : &oimm;
		other_possible = kbpf_scalar_refine(&odst->val, &osrc->val, op,
						    jmp32, true);
		cur_possible = kbpf_scalar_refine(&dst->val, &src->val, op,
						  jmp32, false);
		if (!other_possible) {
			kbpf_state_free(other);
			if (!cur_possible) {
				/* Neither: bounds contradict; nothing runs here. */
				return PATH_ENDS;
			}
			sync_linked_scalars(env, dst);
			if (reg_src)
				sync_linked_scalars(env, src);
			return 0;
		}
		swap(env->cur, other);
		sync_linked_scalars(env, odst);
		if (reg_src)
			sync_linked_scalars(env, osrc);
		swap(env->cur, other);
		if (!cur_possible) {
			kbpf_state_free(env->cur);
			env->cur = other;
			*next = target;
			return 0;
		}
		sync_linked_scalars(env, dst);
		if (reg_src)
			sync_linked_scalars(env, src);
	}
	return push_branch(env, other);
}

/* ---- one instruction ---- */

static int do_insn(struct kbpf_env *env, u32 *next)
{
	const struct bpf_insn *insn = &env->insns[env->insn];
	u8 class = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	*next = env->insn + 1;
	switch (class) {
	case BPF_ALU:
	case BPF_ALU64:
		return check_alu(env, insn);
	case BPF_LDX:
	case BPF_STX:
	case BPF_ST:
		return check_mem(env, insn);
	case BPF_LD:
		*next = env->insn + 2;
		return check_ld_imm64(env, insn);
	case BPF_JMP:
	case BPF_JMP32:
		if (op != BPF_CALL && op != BPF_EXIT)
			env->jumps++;
		if (op == BPF_JA) {
			*next = env->insn + 1 + insn->off;
			return 0;
		}
		if (op == BPF_EXIT)
			return check_exit(env, next);
		if (op == BPF_CALL)
			return insn->src_reg == BPF_PSEUDO_CALL ?
			       check_pseudo_call(env, insn, next) :
			       check_helper_call(env, insn);
		return check_cond_jmp(env, insn, next);
	}
	return reject(env, -EINVAL, "unsupported instruction (opcode 0x%02x)",
		      insn->code);
}

/* ---- checkpoints ---- */

static struct kbpf_state **ancestor_bucket(struct kbpf_env *env, u64 fp)
{
	return &env->ancestors[fp % KBPF_ANCESTOR_BUCKETS];
}

/*
 * A checkpoint whose last path ended is complete: it leaves the ancestors
 * and joins the explored states that may prune.
 */
static void checkpoint_complete(struct kbpf_env *env, struct kbpf_state *sl)
{
	struct kbpf_state **link = ancestor_bucket(env, sl->fingerprint);

	while (*link != sl)
		link = &(*link)->next;
	*link = sl->next;
	env->in_progress[sl->insn]--;
	sl->next = env->checkpoints[sl->insn];
	env->checkpoints[sl->insn] = sl;
}

static void path_finished(struct kbpf_env *env, struct kbpf_state *parent)
{
	for (; parent; parent = parent->parent) {
		if (--parent->branches)
			break;
		checkpoint_complete(env, parent);
	}
}

static struct kbpf_liveness_at live_at(struct kbpf_env *env, u32 idx)
{
	struct kbpf_liveness_at l = {
		.regs = env->lv.live_regs[idx],
		.precise_regs = env->lv.precise_regs[idx],
		.slots = env->lv.live_slots[idx],
		.precise_slots = env->lv.precise_slots[idx],
		.ptr_checked_slots = env->lv.ptr_checked_slots[idx],
	};

	return l;
}

/*
 * Every bound of the two scalars agrees. Mutual containment
 * (kbpf_scalar_subsumes() both ways) compares each bound, so two precise
 * scalars of a repeating state agree on all of them: the 64- and 32-bit,
 * signed and unsigned bounds and the tnum.
 */
static bool scalar_bounds_equal(const struct kbpf_scalar *a,
				const struct kbpf_scalar *b)
{
	return a->umin == b->umin && a->umax == b->umax &&
	       a->smin == b->smin && a->smax == b->smax &&
	       a->u32_min == b->u32_min && a->u32_max == b->u32_max &&
	       a->s32_min == b->s32_min && a->s32_max == b->s32_max &&
	       tnum_equals(a->var_off, b->var_off);
}

/*
 * A cheap necessary condition for two states at one instruction to be
 * equal: the live registers of the innermost frame agree on type, offset
 * and (for precise scalars) bounds. Filters the loop check below, which
 * runs against every ancestor.
 */
static bool maybe_equal(const struct kbpf_state *a, const struct kbpf_state *b,
			const struct kbpf_liveness_at *live)
{
	const struct kbpf_reg *ra, *rb;
	u32 r;

	if (a->curframe != b->curframe || a->nr_refs != b->nr_refs)
		return false;
	ra = a->frames[a->curframe]->regs;
	rb = b->frames[b->curframe]->regs;
	for (r = 0; r < BPF_REG_10; r++) {
		if (!(live->regs & (1U << r)))
			continue;
		if (ra[r].type != rb[r].type || ra[r].off != rb[r].off)
			return false;
		if (ra[r].type == KBPF_SCALAR &&
		    (live->precise_regs & (1U << r)) &&
		    !scalar_bounds_equal(&ra[r].val, &rb[r].val))
			return false;
	}
	return true;
}

/*
 * A hash of what maybe_equal() compares: equal states have equal
 * fingerprints, so the loop check only looks at ancestors that share one.
 */
static u64 fingerprint(const struct kbpf_state *st, u32 insn,
		       const struct kbpf_liveness_at *live)
{
	const struct kbpf_reg *regs = st->frames[st->curframe]->regs;
	u64 h = 0xcbf29ce484222325ULL ^ insn;
	u32 r;

#define KBPF_MIX(v) (h = (h ^ (u64)(v)) * 0x100000001b3ULL)
	KBPF_MIX(st->curframe);
	KBPF_MIX(st->nr_refs);
	for (r = 0; r < BPF_REG_10; r++) {
		if (!(live->regs & (1U << r)))
			continue;
		KBPF_MIX(regs[r].type);
		KBPF_MIX((u32)regs[r].off);
		if (regs[r].type == KBPF_SCALAR &&
		    (live->precise_regs & (1U << r))) {
			const struct kbpf_scalar *v = &regs[r].val;

			KBPF_MIX(v->umin);
			KBPF_MIX(v->umax);
			KBPF_MIX(v->smin);
			KBPF_MIX(v->smax);
			KBPF_MIX((u64)v->u32_min << 32 | v->u32_max);
			KBPF_MIX((u64)(u32)v->s32_min << 32 | (u32)v->s32_max);
			KBPF_MIX(v->var_off.value);
			KBPF_MIX(v->var_off.mask);
		}
	}
#undef KBPF_MIX
	return h;
}

/* Returns 1 to prune the path, 0 to go on, or an error. */
static int checkpoint(struct kbpf_env *env)
{
	struct kbpf_state **link = &env->checkpoints[env->insn], *sl, *copy;
	struct kbpf_liveness_at live = live_at(env, env->insn);
	u64 fp = fingerprint(env->cur, env->insn, &live);
	bool in_loop = env->in_progress[env->insn];

	/* An ancestor: coming back to it unchanged never ends. */
	for (sl = *ancestor_bucket(env, fp); in_loop && sl; sl = sl->next) {
		if (sl->insn != env->insn || sl->fingerprint != fp ||
		    !maybe_equal(sl, env->cur, &live))
			continue;
		env->ancestors_compared++;
		if (kbpf_state_contains(sl, env->cur, &live,
					env->allow_ptr_leaks, &env->idmap) &&
		    kbpf_state_contains(env->cur, sl, &live,
					env->allow_ptr_leaks, &env->idmap))
			return reject(env, -EACCES,
				      "infinite loop: the state at this instruction repeats");
	}
	/* Explored states: one that contains this one prunes it. */
	while ((sl = *link)) {
		if (kbpf_state_contains(sl, env->cur, &live,
					env->allow_ptr_leaks, &env->idmap)) {
			sl->hits++;
			return 1;
		}
		/* Drop explored states that keep failing to prune. */
		if (++sl->misses > sl->hits * 3 + 3) {
			*link = sl->next;
			kbpf_state_free(sl);
			env->states_now--;
			continue;
		}
		link = &sl->next;
	}
	if (env->states_now >= KBPF_MAX_STORED_STATES)
		return 0;	/* fewer checkpoints only means less pruning */
	/*
	 * Going round a loop, each iteration's state differs and will rarely
	 * prune anything: checkpoint only every so often (as Linux does),
	 * which bounds the ancestors a later visit is compared with. A loop
	 * that repeats its state still meets the checkpoint it repeats.
	 */
	if (in_loop && !(env->attr->flags & KBPF_F_TEST_STATE_FREQ) &&
	    env->jumps - env->jumps_at_checkpoint < 20 &&
	    env->processed - env->processed_at_checkpoint < 100)
		return 0;
	env->jumps_at_checkpoint = env->jumps;
	env->processed_at_checkpoint = env->processed;
	copy = kbpf_state_copy(env->cur);
	if (!copy)
		return -ENOMEM;
	copy->insn = env->insn;
	copy->fingerprint = fp;
	copy->branches = 1;	/* the current path */
	copy->parent = env->cur->parent;
	copy->next = *ancestor_bucket(env, fp);
	*ancestor_bucket(env, fp) = copy;
	env->in_progress[env->insn]++;
	env->cur->parent = copy;
	env->states_now++;
	env->states_total++;
	if (env->states_now > env->states_peak)
		env->states_peak = env->states_now;
	return 0;
}

/*
 * Completed checkpoints may still be parents of live ones; freeing a
 * checkpoint is only safe once nothing refers to it, so all go at the end.
 */
static void free_checkpoints(struct kbpf_env *env)
{
	u32 i;

	for (i = 0; i < env->attr->insn_cnt; i++) {
		while (env->checkpoints[i]) {
			struct kbpf_state *sl = env->checkpoints[i];

			env->checkpoints[i] = sl->next;
			kbpf_state_free(sl);
		}
	}
	for (i = 0; i < KBPF_ANCESTOR_BUCKETS; i++) {
		while (env->ancestors[i]) {
			struct kbpf_state *sl = env->ancestors[i];

			env->ancestors[i] = sl->next;
			kbpf_state_free(sl);
		}
	}
	env->states_now = 0;
}

static void free_pending(struct kbpf_env *env)
{
	while (env->pending) {
		struct kbpf_pending *p = env->pending;

		env->pending = p->next;
		kbpf_state_free(p->state);
		kbpf_free(p);
	}
	env->nr_pending = 0;
}

static struct kbpf_state *initial_state(struct kbpf_env *env, u32 func)
{
	const struct kbpf_func *f = &env->st.funcs[func];
	struct kbpf_state *st = kbpf_zalloc(sizeof(*st));
	struct kbpf_frame *frame = kbpf_zalloc(sizeof(*frame));
	struct kbpf_reg *regs;
	u8 a;

	if (!st || !frame) {
		kbpf_free(st);
		kbpf_free(frame);
		return NULL;
	}
	st->frames[0] = frame;
	st->insn = f->start;
	frame->func = func;
	regs = frame->regs;
	for (a = 0; a < MAX_BPF_REG; a++)
		kbpf_reg_mark_not_init(&regs[a]);
	regs[BPF_REG_10].type = KBPF_PTR_STACK;
	kbpf_scalar_set_const(&regs[BPF_REG_10].val, 0);
	if (!func) {
		regs[BPF_REG_1].type = KBPF_PTR_CTX;
		kbpf_scalar_set_const(&regs[BPF_REG_1].val, 0);
		return st;
	}
	for (a = 0; a < f->nr_args; a++) {
		if (f->arg_kinds[a] == KRING_ARG_SCALAR) {
			kbpf_reg_mark_unknown(&regs[a + 1]);
		} else {
			regs[a + 1].type = KBPF_PTR_CTX;
			kbpf_scalar_set_const(&regs[a + 1].val, 0);
		}
	}
	return st;
}

/*
 * Every so often, lets the scheduler run and gives up if a signal is
 * pending: a verification may take seconds and must not hold its caller
 * past a signal (Linux's do_check() returns -EAGAIN at the next instruction).
 */
static int check_interrupted(struct kbpf_env *env)
{
	if (env->processed % KBPF_INTERRUPT_INTERVAL)
		return 0;
	kbpf_cond_resched();
	if (kbpf_signal_pending())
		return reject(env, -EAGAIN,
			      "interrupted by a signal after %llu processed instructions",
			      (unsigned long long)env->processed);
	return 0;
}

/* Explores every path of function @func as a program of its own. */
static int verify_root(struct kbpf_env *env, u32 func)
{
	u32 flags = env->attr->flags;
	u32 next;
	int err;

	env->cur = initial_state(env, func);
	if (!env->cur)
		return -ENOMEM;
	env->insn = env->cur->insn;
	for (;;) {
		if (++env->processed > KBPF_MAX_PROCESSED)
			return reject(env, -E2BIG,
				      "too complex: more than %u processed instructions",
				      KBPF_MAX_PROCESSED);
		err = check_interrupted(env);
		if (err)
			return err;
		if ((env->st.insn_flags[env->insn] & KBPF_INSN_PRUNE_POINT) ||
		    (flags & KBPF_F_TEST_STATE_FREQ)) {
			err = checkpoint(env);
			if (err < 0)
				return err;
			if (err) {
				if (kbpf_log_enabled(&env->log,
						     KBPF_LOG_LEVEL_INSNS))
					kbpf_log_printf(&env->log,
							"%u: safe: an explored state contains this one\n",
							env->insn);
				goto path_end;
			}
		}
		if (kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_INSNS))
			log_insn(env, env->insn);
		err = do_insn(env, &next);
		if (err < 0)
			return err;
		if (err == PATH_ENDS)
			goto path_end;
		env->insn = next;
		env->cur->insn = next;
		continue;
path_end:
		path_finished(env, env->cur->parent);
		kbpf_state_free(env->cur);
		env->cur = NULL;
		if (!env->pending)
			return 0;
		{
			struct kbpf_pending *p = env->pending;

			env->pending = p->next;
			env->nr_pending--;
			env->cur = p->state;
			kbpf_free(p);
		}
		env->insn = env->cur->insn;
		if (kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_INSNS))
			kbpf_log_printf(&env->log, "from pending path at insn %u\n",
					env->insn);
	}
}

/*
 * The stack a frame of function @f counts for in a call chain: as Linux
 * accounts it, at least one byte, rounded up to 32, so that every chain
 * kring accepts fits Linux's 512-byte limit too.
 */
static u32 frame_stack_size(const struct kbpf_env *env, u32 f)
{
	return ALIGN(max_t(u32, env->func_depth[f], 1), 32);
}

/*
 * The deepest stack and the longest chain of frames any call sequence
 * reaches, over the call graph (acyclic: the structure pass rejects
 * recursion). Global functions count: they run on the caller's stack.
 */
static int check_call_chains(struct kbpf_env *env)
{
	u32 n = env->st.nr_funcs, i, f, round;
	u32 *depth = kbpf_zalloc(2 * n * sizeof(u32));
	u32 *frames;
	int err = 0;

	if (!depth)
		return -ENOMEM;
	frames = depth + n;
	for (f = 0; f < n; f++) {
		depth[f] = frame_stack_size(env, f);
		frames[f] = 1;
	}
	/* Longest paths in a DAG of n nodes settle within n rounds. */
	for (round = 0; round < n; round++) {
		bool changed = false;

		for (i = 0; i < env->attr->insn_cnt; i++) {
			const struct bpf_insn *insn = &env->insns[i];
			u32 caller, callee;

			if (insn->code != (BPF_JMP | BPF_CALL) ||
			    insn->src_reg != BPF_PSEUDO_CALL)
				continue;
			caller = env->st.insn_func[i];
			callee = env->st.insn_func[i + 1 + insn->imm];
			if (frame_stack_size(env, caller) + depth[callee] >
			    depth[caller]) {
				depth[caller] = frame_stack_size(env, caller) +
						depth[callee];
				changed = true;
			}
			if (frames[callee] + 1 > frames[caller]) {
				frames[caller] = frames[callee] + 1;
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	for (f = 0; f < n && !err; f++) {
		env->insn = env->st.funcs[f].start;
		if (frames[f] > KBPF_MAX_CALL_FRAMES)
			err = reject(env, -EACCES,
				     "call stack of %u frames is too deep (at most %u)",
				     frames[f], KBPF_MAX_CALL_FRAMES);
		else if (depth[f] > KBPF_FRAME_STACK_SIZE)
			err = reject(env, -EACCES,
				     "stack of %u bytes across the call chain exceeds 512",
				     depth[f]);
	}
	kbpf_free(depth);
	return err;
}

static int verify_program(struct kbpf_env *env)
{
	const struct kbpf_verify_attr *attr = env->attr;
	u32 f;
	int err;

	err = kbpf_structure_check(&env->st, attr, &env->log);
	if (err)
		return err;
	err = kbpf_liveness_compute(&env->lv, attr->insns, attr->insn_cnt,
				    &env->st, attr->flags);
	if (err)
		return err;
	env->checkpoints = kbpf_zalloc(attr->insn_cnt *
				       sizeof(*env->checkpoints));
	env->in_progress = kbpf_zalloc(attr->insn_cnt *
				       sizeof(*env->in_progress));
	env->func_depth = kbpf_zalloc(env->st.nr_funcs *
				      sizeof(*env->func_depth));
	if (!env->checkpoints || !env->in_progress || !env->func_depth)
		return -ENOMEM;
	for (f = 0; f < env->st.nr_funcs; f++) {
		if (f && env->st.funcs[f].linkage != KRING_FUNC_GLOBAL)
			continue;
		err = verify_root(env, f);
		if (err) {
			if (env->cur && kbpf_log_enabled(&env->log,
							 KBPF_LOG_LEVEL_ERRORS)) {
				kbpf_log_printf(&env->log, "state at insn %u:",
						env->insn);
				log_state(env, env->cur);
			}
			return err;
		}
	}
	return check_call_chains(env);
}

int kbpf_verify(const struct kbpf_verify_attr *attr,
		struct kbpf_verify_stats *stats)
{
	struct kbpf_env *env;
	u64 start = kbpf_now_ns();
	u32 depth = 0, f;
	int err;

	env = kbpf_zalloc(sizeof(*env));
	if (!env)
		return -ENOMEM;
	env->attr = attr;
	env->insns = attr->insns;
	kbpf_log_init(&env->log, attr->log_buf, attr->log_size,
		      attr->log_level);
	env->allow_ptr_leaks = attr->flags & KBPF_F_ALLOW_PTR_LEAKS;
	env->bypass_spec_v1 = attr->flags & KBPF_F_BYPASS_SPEC_V1;
	env->bypass_spec_v4 = attr->flags & KBPF_F_BYPASS_SPEC_V4;

	err = verify_program(env);

	kbpf_state_free(env->cur);
	env->cur = NULL;
	free_pending(env);
	if (env->checkpoints)
		free_checkpoints(env);
	for (f = 0; env->func_depth && f < env->st.nr_funcs; f++)
		depth = max(depth, env->func_depth[f]);
	kbpf_log_printf(&env->log,
			"processed %llu insns (limit %u), total_states %u, peak_states %u, stack_depth %u, time_us %llu\n",
			(unsigned long long)env->processed, KBPF_MAX_PROCESSED,
			env->states_total, env->states_peak, depth,
			(unsigned long long)(kbpf_now_ns() - start) / 1000);
	if (stats) {
		stats->insns_processed = env->processed;
		stats->states_total = env->states_total;
		stats->states_peak = env->states_peak;
		stats->ancestors_compared = env->ancestors_compared;
		stats->time_ns = kbpf_now_ns() - start;
		stats->stack_depth = depth;
		stats->log_truncated = env->log.truncated;
	}
	if (!err && attr->func_stack_depth && env->func_depth)
		for (f = 0; f < env->st.nr_funcs && f < KBPF_MAX_FUNCS; f++)
			attr->func_stack_depth[f] = env->func_depth[f];
	kbpf_free(env->checkpoints);
	kbpf_free(env->in_progress);
	kbpf_free(env->func_depth);
	kbpf_liveness_free(&env->lv);
	kbpf_structure_free(&env->st);
	kbpf_free(env);
	return err;
}
