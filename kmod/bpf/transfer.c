// SPDX-License-Identifier: GPL-2.0
/*
 * The transformer: the abstract state one instruction leaves, given the
 * state it runs in. Each instruction is checked first (checks.c); what
 * follows here only computes, except where a result must be checked once
 * it is known (a pointer's new offset). An undecided conditional jump
 * leaves two states, one per side, each refined by what its side implies;
 * the engine (engine.c) decides when each is explored.
 */
#include "rules.h"
#include "helpers.h"

/* Runs @body with @reg on every register and spilled register of @st. */
#define kbpf_for_each_reg(st, reg, body)				\
	do {								\
		u32 __f, __i;						\
		for (__f = 0; __f <= (st)->curframe; __f++) {		\
			struct kbpf_frame *__fr = (st)->frames[__f];	\
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

static u32 new_id(struct kbpf_env *env)
{
	return ++env->next_id;
}

/* A comparison taught us @known's bounds: so do its copies in @st. */
static void sync_linked_scalars(struct kbpf_state *st,
				const struct kbpf_reg *known)
{
	struct kbpf_reg *reg;

	if (known->type != KBPF_SCALAR || !known->id)
		return;
	kbpf_for_each_reg(st, reg, {
		if (reg->type == KBPF_SCALAR && reg->id == known->id)
			reg->val = known->val;
	});
}

/* ---- ALU ---- */

/* ptr += delta or ptr -= delta (checked): offsets stay exact and bounded. */
static int adjust_ptr(struct kbpf_env *env, struct kbpf_reg *ptr, u8 op,
		      const struct kbpf_scalar *delta)
{
	int err;

	if (kbpf_scalar_is_const(delta)) {
		/*
		 * The check kept the constant within +-KBPF_MAX_VAR_OFF, as
		 * the offset is: their sum or difference cannot overflow.
		 */
		s64 c = (s64)delta->var_off.value;
		s64 off = op == BPF_ADD ? (s64)ptr->off + c :
					  (s64)ptr->off - c;

		err = kbpf_check_ptr_offset(env, off);
		if (!err)
			ptr->off = (s32)off;
		return err;
	}
	kbpf_scalar_alu(&ptr->val, delta, op, true);
	err = kbpf_check_ptr_offset(env, ptr->val.smin);
	return err ? err : kbpf_check_ptr_offset(env, ptr->val.smax);
}

static int transfer_ptr_alu(struct kbpf_env *env, const struct bpf_insn *insn,
			    struct kbpf_reg *dst, const struct kbpf_reg *src)
{
	u8 op = BPF_OP(insn->code);
	struct kbpf_scalar imm;
	struct kbpf_reg sum;
	int err;

	if (kbpf_reg_is_pointer(dst) && src && kbpf_reg_is_pointer(src)) {
		kbpf_reg_mark_unknown(dst);	/* ptr - ptr: a number */
		return 0;
	}
	if (src && kbpf_reg_is_pointer(src)) {
		/* scalar + pointer: the pointer is the result. */
		sum = *src;
		err = adjust_ptr(env, &sum, op, &dst->val);
		if (!err)
			*dst = sum;
		return err;
	}
	if (src)
		return adjust_ptr(env, dst, op, &src->val);
	kbpf_scalar_set_const(&imm, (u64)(s64)insn->imm);
	return adjust_ptr(env, dst, op, &imm);
}

static int transfer_alu(struct kbpf_env *env, struct kbpf_state *st,
			const struct bpf_insn *insn)
{
	struct kbpf_reg *regs = kbpf_cur_regs(st);
	struct kbpf_reg *dst = &regs[insn->dst_reg];
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	bool reg_src = kbpf_alu_reads_src_reg(insn);
	u8 op = BPF_OP(insn->code);
	struct kbpf_reg *src = reg_src ? &regs[insn->src_reg] : NULL;
	struct kbpf_scalar imm;
	int err;

	err = kbpf_check_alu(env, st, insn);
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
		return transfer_ptr_alu(env, insn, dst, src);
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
 * Before a write (checked) that may change any of the @size bytes at
 * fp + @off: a spill whose bytes change no longer holds its register. Bytes
 * keep their state (uninitialised or written) until stack_mark() says what
 * was written.
 */
static int stack_clobber(struct kbpf_env *env, struct kbpf_frame *frame,
			 s32 off, u32 size)
{
	u32 first = (u32)(-off - 1) / 8, last = (u32)(-(off + (s32)size)) / 8;
	u32 s, b;
	int err;

	err = kbpf_frame_grow(frame, first + 1);
	if (err)
		return err;
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

/* A store of @size bytes of @value at fp + @off. */
static int stack_write(struct kbpf_env *env, struct kbpf_frame *frame,
		       s32 off, u32 size, const struct kbpf_reg *value)
{
	u32 first = (u32)(-off - 1) / 8;
	bool value_ptr = kbpf_reg_is_pointer(value);
	/* Kept: a whole register, or a scalar at the slot's base (Linux's rule). */
	bool spill = size == 8 || (!value_ptr && !(off % 8));
	int err;

	err = stack_clobber(env, frame, off, size);
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

/* A load of @size bytes at fp + @off: a fill gives the spill back. */
static void stack_read(const struct kbpf_frame *frame, s32 off, u32 size,
		       struct kbpf_reg *dst)
{
	u32 slot = (u32)(-off - 1) / 8;

	if (!(off % 8) && slot < frame->nr_slots &&
	    kbpf_slot_spill_size(&frame->slots[slot]) == size)
		*dst = frame->slots[slot].spill;
	else
		mark_loaded(dst, size);
}

/*
 * A load of @size bytes at @off past @base from a frozen value (struct
 * kbpf_map_desc) at a constant offset: the number there, as Linux knows a
 * libbpf .rodata's configuration at load time (so that a loop bounded by
 * it is bounded). Returns whether it was one.
 */
static bool frozen_read(const struct kbpf_env *env,
			const struct kbpf_reg *base, s16 off, u32 size,
			struct kbpf_reg *dst)
{
	const u8 *value;
	u64 number = 0;
	u32 b;

	if (base->type != KBPF_PTR_MAP_VALUE ||
	    !kbpf_scalar_is_const(&base->val))
		return false;
	value = env->structure.maps[base->map].desc.frozen_value;
	if (!value)
		return false;
	/* In bounds (checked), little-endian as every kring target. */
	value += base->off + (s64)base->val.var_off.value + off;
	for (b = 0; b < size; b++)
		number |= (u64)value[b] << (8 * b);
	kbpf_reg_mark_const(dst, number);
	return true;
}

/* LDX, STX, ST. */
static int transfer_mem(struct kbpf_env *env, struct kbpf_state *st,
			const struct bpf_insn *insn)
{
	bool is_load = BPF_CLASS(insn->code) == BPF_LDX;
	struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *base =
		&regs[is_load ? insn->src_reg : insn->dst_reg];
	u32 size = kbpf_access_bytes(insn->code);
	struct kbpf_reg stored, loaded;
	struct kbpf_mem_facts facts;
	int err;

	err = kbpf_check_mem(env, st, insn, &facts);
	if (err)
		return err;
	if (facts.btf_id) {
		/* A kernel struct pointer, from the context or a struct. */
		kbpf_reg_mark_const(&loaded, 0);
		loaded.type = KBPF_PTR_BTF;
		loaded.btf_id = facts.btf_id;
		loaded.trusted = base->type == KBPF_PTR_CTX &&
				 env->attr->ctx.args_trusted;
	} else if (base->type == KBPF_PTR_STACK) {
		struct kbpf_frame *frame = st->frames[base->frameno];

		if (is_load) {
			stack_read(frame, facts.stack_off, size, &loaded);
		} else {
			if (BPF_CLASS(insn->code) == BPF_STX)
				stored = regs[insn->src_reg];
			else
				kbpf_reg_mark_const(&stored,
						    (u64)(s64)insn->imm);
			err = stack_write(env, frame, facts.stack_off, size,
					  &stored);
			if (err)
				return err;
		}
	} else if (is_load && !frozen_read(env, base, insn->off, size,
					    &loaded)) {
		/*
		 * The context, records, map values and kernel structs
		 * (where the checks found no pointer) hold numbers.
		 */
		mark_loaded(&loaded, size);
	}
	if (is_load)
		regs[insn->dst_reg] = loaded;
	return 0;
}

/*
 * BPF_STX | BPF_ATOMIC: the memory holds an unknown number afterwards (on
 * the stack: written bytes, no spill), as does the register that gets the
 * old value (src with BPF_FETCH, R0 for BPF_CMPXCHG).
 */
static int transfer_atomic(struct kbpf_env *env, struct kbpf_state *st,
			   const struct bpf_insn *insn)
{
	struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *base = &regs[insn->dst_reg];
	u32 size = kbpf_access_bytes(insn->code);
	s32 stack_off;
	int err;

	err = kbpf_check_atomic(env, st, insn, &stack_off);
	if (err)
		return err;
	if (base->type == KBPF_PTR_STACK) {
		struct kbpf_frame *frame = st->frames[base->frameno];

		err = stack_clobber(env, frame, stack_off, size);
		if (err)
			return err;
		stack_mark(frame, stack_off, size, KBPF_SLOT_MISC);
	}
	if (insn->imm == BPF_CMPXCHG)
		mark_loaded(&regs[BPF_REG_0], size);
	else if (insn->imm & BPF_FETCH)
		mark_loaded(&regs[insn->src_reg], size);
	return 0;
}

static int transfer_ld_imm64(struct kbpf_env *env, struct kbpf_state *st,
			     const struct bpf_insn *insn)
{
	struct kbpf_reg *dst = &kbpf_cur_regs(st)[insn->dst_reg];
	int err = kbpf_check_ld_imm64(env, insn);

	if (err)
		return err;
	if (insn->src_reg == BPF_PSEUDO_MAP_FD) {
		s32 slot = env->structure.map_slot[env->insn];

		kbpf_reg_mark_not_init(dst);
		dst->type = env->structure.maps[slot].desc.type ==
			    BPF_MAP_TYPE_RINGBUF ? KBPF_CONST_RING :
						   KBPF_CONST_MAP;
		dst->map = slot;
		kbpf_scalar_set_const(&dst->val, 0);
		return 0;
	}
	if (insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
		s32 slot = env->structure.map_slot[env->insn];

		/* Checked by the structure pass: within the value. */
		kbpf_reg_mark_not_init(dst);
		dst->type = KBPF_PTR_MAP_VALUE;
		dst->map = slot;
		dst->off = insn[1].imm;
		dst->mem_size = env->structure.maps[slot].desc.value_size;
		kbpf_scalar_set_const(&dst->val, 0);
		return 0;
	}
	kbpf_reg_mark_const(dst, (u64)(u32)insn[0].imm |
				 ((u64)(u32)insn[1].imm << 32));
	return 0;
}

/* ---- helper calls and references ---- */

static u32 acquire_ref(struct kbpf_env *env, struct kbpf_state *st)
{
	u32 id = new_id(env);

	st->refs[st->nr_refs].id = id;
	st->refs[st->nr_refs].insn = env->insn;
	st->nr_refs++;
	return id;
}

static void drop_ref(struct kbpf_state *st, u32 id)
{
	u32 i;

	for (i = 0; i < st->nr_refs; i++) {
		if (st->refs[i].id != id)
			continue;
		memmove(&st->refs[i], &st->refs[i + 1],
			(st->nr_refs - i - 1) * sizeof(st->refs[0]));
		st->nr_refs--;
		return;
	}
}

static void release_record(struct kbpf_state *st, u32 ref_id)
{
	struct kbpf_reg *reg;

	drop_ref(st, ref_id);
	kbpf_for_each_reg(st, reg, {
		if ((reg->type == KBPF_PTR_RECORD ||
		     reg->type == KBPF_PTR_RECORD_OR_NULL) &&
		    reg->ref_id == ref_id) {
			kbpf_reg_mark_not_init(reg);
			reg->type = KBPF_RELEASED;
			reg->ref_id = ref_id;
		}
	});
}

/*
 * A call that may write any of the @size bytes at fp + @off, and writes the
 * first @written of them for sure: those hold unknown bytes after it.
 */
static int stack_write_unknown(struct kbpf_env *env, struct kbpf_frame *frame,
			       s32 off, u32 size, u32 written)
{
	int err = stack_clobber(env, frame, off, size);

	if (!err)
		stack_mark(frame, off, written, KBPF_SLOT_MISC);
	return err;
}

/*
 * Stack [fp + @off, + the size in R(@mem_regno + 1)) that a helper writes:
 * a run writes as many bytes as its size, so only the first umin are
 * written by every run; the others keep what an earlier run left on the
 * shared stack. Programs that may leak pointers may have them all as
 * unknown bytes, as Linux marks umax bytes for the programs that may read
 * uninitialised stack.
 */
static int helper_stack_write(struct kbpf_env *env, struct kbpf_state *st,
			      u8 mem_regno, s32 off)
{
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *size = &regs[mem_regno + 1];

	return stack_write_unknown(env, st->frames[regs[mem_regno].frameno],
				   off, (u32)size->val.umax,
				   (u32)(env->allow_ptr_leaks ? size->val.umax :
								size->val.umin));
}

/*
 * The seed's constant-key tracking: a tail call whose key (R3) is the same
 * constant, within the prog array, on every path is recorded as that key;
 * any other is recorded as checked at run time. Pruning keeps this exact:
 * R3 is live at the call, so a path is pruned only where an explored one
 * had a key that contains its own.
 */
static int record_tail_call_key(struct kbpf_env *env, struct kbpf_state *st,
				s32 map)
{
	const struct kbpf_reg *key = &kbpf_cur_regs(st)[BPF_REG_3];
	u32 max = env->structure.maps[map].desc.max_entries, seen;
	u32 *slot;

	if (!env->tail_keys) {
		env->tail_keys = kbpf_zalloc(env->attr->insn_cnt *
					     sizeof(*env->tail_keys));
		if (!env->tail_keys)
			return -ENOMEM;
	}
	slot = &env->tail_keys[env->insn];
	if (key->type != KBPF_SCALAR || !kbpf_scalar_is_const(&key->val) ||
	    key->val.var_off.value >= max) {
		*slot = KBPF_TAIL_KEY_VARIABLE;
		return 0;
	}
	seen = (u32)key->val.var_off.value + 1;
	if (!*slot)
		*slot = seen;
	else if (*slot != seen)
		*slot = KBPF_TAIL_KEY_VARIABLE;
	return 0;
}

/*
 * A string copy or a stack walk returns the length it copied, at most
 * @size_max, or an errno: Linux's do_refine_retval_range() bounds it so,
 * and programs add it to a pointer after only an `if (len >= 0)` (libbpf's
 * test_varlen).
 */
static void bound_copy_len(struct kbpf_scalar *len, u64 size_max)
{
	len->smin = -KBPF_MAX_ERRNO;
	len->smax = (s64)size_max;
	len->s32_min = -KBPF_MAX_ERRNO;
	len->s32_max = size_max > S32_MAX ? S32_MAX : (s32)size_max;
	kbpf_scalar_sync(len);
}

static int transfer_helper_call(struct kbpf_env *env, struct kbpf_state *st,
				const struct bpf_insn *insn)
{
	struct kbpf_call_facts facts;
	struct kbpf_reg *regs, *r0;
	u8 r;
	int err;

	err = kbpf_check_helper_call(env, st, insn, &facts);
	if (err)
		return err;
	for (r = 1; r <= 5; r++) {
		if (!(facts.stack_writes & (1U << r)))
			continue;
		err = helper_stack_write(env, st, r, facts.stack_off[r]);
		if (err)
			return err;
	}
	if (facts.release_id)
		release_record(st, facts.release_id);
	if (facts.proto->id == BPF_FUNC_tail_call) {
		err = record_tail_call_key(env, st, facts.map);
		if (err)
			return err;
	}
	regs = kbpf_cur_regs(st);
	for (r = 1; r <= 5; r++)
		kbpf_reg_mark_not_init(&regs[r]);
	r0 = &regs[BPF_REG_0];
	switch (facts.proto->ret) {
	case KBPF_RET_SCALAR:
		kbpf_reg_mark_unknown(r0);
		break;
	case KBPF_RET_VOID:
		kbpf_reg_mark_not_init(r0);
		break;
	case KBPF_RET_RECORD_OR_NULL:
		kbpf_reg_mark_not_init(r0);
		r0->type = KBPF_PTR_RECORD_OR_NULL;
		r0->id = acquire_ref(env, st);
		r0->ref_id = r0->id;
		r0->mem_size = (u32)facts.alloc_size;
		kbpf_scalar_set_const(&r0->val, 0);
		break;
	case KBPF_RET_MAP_VALUE_OR_NULL:
		/* No reference: the value lives as long as the map. */
		kbpf_reg_mark_not_init(r0);
		r0->type = KBPF_PTR_MAP_VALUE_OR_NULL;
		r0->id = new_id(env);
		r0->map = facts.map;
		r0->mem_size = env->structure.maps[facts.map].desc.value_size;
		kbpf_scalar_set_const(&r0->val, 0);
		break;
	case KBPF_RET_TASK_BTF:
		kbpf_reg_mark_const(r0, 0);
		r0->type = KBPF_PTR_BTF;
		r0->btf_id = env->task_btf_id;	/* found by the check */
		r0->trusted = true;
		break;
	case KBPF_RET_COPY_LEN:
		kbpf_reg_mark_unknown(r0);
		bound_copy_len(&r0->val, facts.mem_size_max);
		break;
	}
	return 0;
}

/* ---- bpf-to-bpf calls and exit ---- */

static int transfer_pseudo_call(struct kbpf_env *env, struct kbpf_state *st,
				const struct bpf_insn *insn,
				struct kbpf_step *step)
{
	u32 target = env->insn + 1 + insn->imm;
	u32 func = env->structure.insn_func[target];
	const struct kbpf_func *f = &env->structure.funcs[func];
	struct kbpf_frame *caller = kbpf_cur_frame(st), *callee;
	struct kbpf_call_facts facts;
	u8 r;
	int err;

	err = kbpf_check_pseudo_call(env, st, func, &facts);
	if (err)
		return err;
	if (f->linkage == KRING_FUNC_GLOBAL) {
		/*
		 * Verified on its own: the call gives back a number, and the
		 * stack it was given holds unknown bytes (written before, the
		 * check made sure, or readable uninitialised).
		 */
		for (r = 1; r <= 5; r++) {
			u32 size = f->arg_mem_size[r - 1];

			if (!(facts.stack_writes & (1U << r)))
				continue;
			err = stack_write_unknown(env,
						  st->frames[caller->regs[r].frameno],
						  facts.stack_off[r], size, size);
			if (err)
				return err;
		}
		for (r = 1; r <= 5; r++)
			kbpf_reg_mark_not_init(&caller->regs[r]);
		kbpf_reg_mark_unknown(&caller->regs[BPF_REG_0]);
		return 0;
	}
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
	step->next = target;
	return 0;
}

static int transfer_exit(struct kbpf_env *env, struct kbpf_state *st,
			 struct kbpf_step *step)
{
	struct kbpf_frame *callee = kbpf_cur_frame(st);
	int err;

	err = kbpf_check_exit(env, st);
	if (err)
		return err;
	if (!st->curframe) {
		step->live = false;	/* the program or a global function ends */
		return 0;
	}
	st->frames[st->curframe--] = NULL;
	kbpf_cur_regs(st)[BPF_REG_0] = callee->regs[BPF_REG_0];
	step->next = callee->callsite + 1;
	kbpf_frame_free(callee);
	return 0;
}

/* ---- conditional jumps ---- */

/*
 * The NULL check of a reservation, a lookup's result or a memory argument
 * @id, decided in @st.
 */
static void mark_null_check(struct kbpf_state *st, u32 id, bool is_null)
{
	struct kbpf_reg *reg;

	if (is_null)
		drop_ref(st, id);	/* nothing to release */
	kbpf_for_each_reg(st, reg, {
		if (!kbpf_reg_maybe_null(reg) || reg->id != id)
			continue;
		if (is_null)
			kbpf_reg_mark_const(reg, 0);
		else
			reg->type = kbpf_type_past_null_check(reg->type);
	});
}

/*
 * Refines the scalar operands of a jump in @st by the side @taken; returns
 * whether that side can happen at all.
 */
static bool refine_scalar_branch(struct kbpf_state *st,
				 const struct bpf_insn *insn, bool taken)
{
	struct kbpf_reg *regs = kbpf_cur_regs(st);
	struct kbpf_reg *dst = &regs[insn->dst_reg], *src, imm;
	bool reg_src = BPF_SRC(insn->code) == BPF_X;

	if (reg_src) {
		src = &regs[insn->src_reg];
	} else {
		kbpf_reg_mark_const(&imm, (u64)(s64)insn->imm);
		src = &imm;
	}
	if (!kbpf_scalar_refine(&dst->val, &src->val, BPF_OP(insn->code),
				BPF_CLASS(insn->code) == BPF_JMP32, taken))
		return false;
	sync_linked_scalars(st, dst);
	if (reg_src)
		sync_linked_scalars(st, src);
	return true;
}

static int transfer_cond_jmp(struct kbpf_env *env, struct kbpf_state *st,
			     const struct bpf_insn *insn,
			     struct kbpf_step *step)
{
	const struct kbpf_reg *regs = kbpf_cur_regs(st);
	const struct kbpf_reg *dst = &regs[insn->dst_reg];
	u32 target = env->insn + 1 + insn->off;
	struct kbpf_state *other;
	bool jump_possible;
	u32 null_id;
	int taken, err;

	err = kbpf_check_cond_jmp(env, st, insn, &taken, &null_id);
	if (err)
		return err;
	if (!null_id && taken < 0 && !kbpf_reg_is_pointer(dst)) {
		struct kbpf_reg imm;
		const struct kbpf_reg *src = &imm;

		if (BPF_SRC(insn->code) == BPF_X)
			src = &regs[insn->src_reg];
		else
			kbpf_reg_mark_const(&imm, (u64)(s64)insn->imm);
		if (!kbpf_reg_is_pointer(src))
			taken = kbpf_scalar_branch_taken(&dst->val, &src->val,
							 BPF_OP(insn->code),
							 BPF_CLASS(insn->code) ==
							 BPF_JMP32);
	}
	if (taken >= 0) {
		if (taken)
			step->next = target;
		return 0;
	}

	/* Both outcomes possible: one state per side. */
	other = kbpf_state_copy(st);
	if (!other)
		return -ENOMEM;
	other->insn = target;
	if (null_id) {
		bool null_when_taken = BPF_OP(insn->code) == BPF_JEQ;

		mark_null_check(st, null_id, !null_when_taken);
		mark_null_check(other, null_id, null_when_taken);
		step->branch = other;
		return 0;
	}
	if (kbpf_reg_is_pointer(dst) ||
	    (BPF_SRC(insn->code) == BPF_X &&
	     kbpf_reg_is_pointer(&regs[insn->src_reg]))) {
		/* Compared pointers (allow_ptr_leaks) teach nothing. */
		step->branch = other;
		return 0;
	}
	jump_possible = refine_scalar_branch(other, insn, true);
	step->live = refine_scalar_branch(st, insn, false);
	if (jump_possible)
		step->branch = other;
	else
		kbpf_state_free(other);
	return 0;
}

/* ---- one instruction ---- */

int kbpf_transfer(struct kbpf_env *env, struct kbpf_state *st,
		  struct kbpf_step *step)
{
	const struct bpf_insn *insn = &env->insns[env->insn];
	u8 op = BPF_OP(insn->code);

	step->live = true;
	step->next = env->insn + 1;
	step->branch = NULL;
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return transfer_alu(env, st, insn);
	case BPF_STX:
		if (BPF_MODE(insn->code) == BPF_ATOMIC)
			return transfer_atomic(env, st, insn);
		return transfer_mem(env, st, insn);
	case BPF_LDX:
	case BPF_ST:
		return transfer_mem(env, st, insn);
	case BPF_LD:
		step->next = env->insn + 2;
		return transfer_ld_imm64(env, st, insn);
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
			step->next = env->insn + 1 + insn->off;
			return 0;
		}
		if (op == BPF_EXIT)
			return transfer_exit(env, st, step);
		if (op == BPF_CALL)
			return insn->src_reg == BPF_PSEUDO_CALL ?
			       transfer_pseudo_call(env, st, insn, step) :
			       transfer_helper_call(env, st, insn);
		return transfer_cond_jmp(env, st, insn, step);
	}
	return kbpf_reject(env, -EINVAL,
			   "unsupported instruction (opcode 0x%02x)",
			   insn->code);
}

struct kbpf_state *kbpf_initial_state(struct kbpf_env *env, u32 func)
{
	const struct kbpf_func *f = &env->structure.funcs[func];
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
		struct kbpf_reg *arg = &regs[a + 1];

		if (f->arg_kinds[a] == KRING_ARG_SCALAR) {
			kbpf_reg_mark_unknown(arg);
		} else if (f->arg_kinds[a] == KRING_ARG_MEM) {
			kbpf_reg_mark_const(arg, 0);
			arg->type = KBPF_PTR_MEM_OR_NULL;
			arg->mem_size = f->arg_mem_size[a];
			arg->id = new_id(env);
		} else {
			arg->type = KBPF_PTR_CTX;
			kbpf_scalar_set_const(&arg->val, 0);
		}
	}
	return st;
}
