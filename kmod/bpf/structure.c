// SPDX-License-Identifier: GPL-2.0
/* The structure pass: see structure.h. Messages: docs/verifier.md. */
#include "structure.h"
#include "helpers.h"
#include "interp.h"

static __printf(4, 5) int fail(struct kbpf_log *log, int err, s64 insn,
			       const char *fmt, ...)
{
	va_list args;

	if (!kbpf_log_enabled(log, KBPF_LOG_LEVEL_ERRORS))
		return err;
	if (insn >= 0)
		kbpf_log_printf(log, "insn %lld: ", (long long)insn);
	va_start(args, fmt);
	kbpf_log_vprintf(log, fmt, args);
	va_end(args);
	kbpf_log_printf(log, "\n");
	return err;
}

#define unsupported(log, i, code)					\
	fail(log, -EINVAL, i, "unsupported instruction (opcode 0x%02x)", code)
#define reserved(log, i, field)						\
	fail(log, -EINVAL, i, "reserved field %s must be 0", field)

static int check_alu_insn(const struct bpf_insn *insn, u32 i,
			  struct kbpf_log *log)
{
	u8 op = BPF_OP(insn->code);
	bool reg_src = BPF_SRC(insn->code) == BPF_X;

	if (op > BPF_END)
		return unsupported(log, i, insn->code);
	if (op == BPF_END) {
		/* ALU64 | END is the newer unconditional bswap. */
		if (BPF_CLASS(insn->code) == BPF_ALU64)
			return unsupported(log, i, insn->code);
		if (insn->src_reg)
			return reserved(log, i, "src_reg");
		if (insn->off)
			return reserved(log, i, "off");
		if (insn->imm != 16 && insn->imm != 32 && insn->imm != 64)
			return fail(log, -EINVAL, i,
				    "byte swap of %d bits: must be 16, 32 or 64",
				    insn->imm);
		return 0;
	}
	/* A non-zero off is a newer encoding (signed div/mod, movsx). */
	if (insn->off)
		return reserved(log, i, "off");
	if (op == BPF_NEG) {
		if (reg_src)
			return unsupported(log, i, insn->code);
		if (insn->src_reg)
			return reserved(log, i, "src_reg");
		if (insn->imm)
			return reserved(log, i, "imm");
		return 0;
	}
	if (reg_src && insn->imm)
		return reserved(log, i, "imm");
	if (!reg_src && insn->src_reg)
		return reserved(log, i, "src_reg");
	/* Constant operands that can only be mistakes, refused as Linux does. */
	if (!reg_src && (op == BPF_DIV || op == BPF_MOD) && !insn->imm)
		return fail(log, -EINVAL, i, "division by zero");
	if (!reg_src && (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (insn->imm < 0 ||
	     insn->imm >= (BPF_CLASS(insn->code) == BPF_ALU64 ? 64 : 32)))
		return fail(log, -EINVAL, i, "invalid shift %d", insn->imm);
	return 0;
}

/* Linux's BPF_ATOMIC operations: imm names one, with or without BPF_FETCH. */
static bool is_atomic_op(s32 imm)
{
	switch (imm) {
	case BPF_ADD:
	case BPF_ADD | BPF_FETCH:
	case BPF_AND:
	case BPF_AND | BPF_FETCH:
	case BPF_OR:
	case BPF_OR | BPF_FETCH:
	case BPF_XOR:
	case BPF_XOR | BPF_FETCH:
	case BPF_XCHG:
	case BPF_CMPXCHG:
		return true;
	default:
		return false;
	}
}

static int check_mem_insn(const struct bpf_insn *insn, u32 i,
			  struct kbpf_log *log)
{
	u8 class = BPF_CLASS(insn->code);

	if (class == BPF_STX && BPF_MODE(insn->code) == BPF_ATOMIC) {
		if (BPF_SIZE(insn->code) != BPF_W &&
		    BPF_SIZE(insn->code) != BPF_DW)
			return fail(log, -EINVAL, i,
				    "atomic operation on %u bytes: only 4 or 8",
				    kbpf_access_bytes(insn->code));
		if (!is_atomic_op(insn->imm))
			return fail(log, -EINVAL, i,
				    "unknown atomic operation 0x%x",
				    (u32)insn->imm);
		return 0;
	}
	if (BPF_MODE(insn->code) != BPF_MEM)
		return unsupported(log, i, insn->code);
	if (class != BPF_ST && insn->imm)
		return reserved(log, i, "imm");
	if (class == BPF_ST && insn->src_reg)
		return reserved(log, i, "src_reg");
	return 0;
}

static int check_jmp_insn(const struct bpf_insn *insn, u32 i, u32 cnt,
			  u32 flags, struct kbpf_log *log)
{
	u8 class = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
	bool reg_src = BPF_SRC(insn->code) == BPF_X;
	s64 target;

	if (op > BPF_JSLE)
		return unsupported(log, i, insn->code);
	if (op == BPF_CALL || op == BPF_EXIT || op == BPF_JA) {
		/* These exist only in the JMP class, with no register source. */
		if (class == BPF_JMP32 || reg_src)
			return unsupported(log, i, insn->code);
		if (insn->dst_reg)
			return reserved(log, i, "dst_reg");
	}
	switch (op) {
	case BPF_EXIT:
		if (insn->src_reg)
			return reserved(log, i, "src_reg");
		if (insn->off)
			return reserved(log, i, "off");
		if (insn->imm)
			return reserved(log, i, "imm");
		return 0;
	case BPF_CALL:
		if (insn->off)
			return reserved(log, i, "off");
		if (insn->src_reg == BPF_PSEUDO_CALL) {
			target = (s64)i + 1 + insn->imm;
			if (target < 0 || target >= cnt)
				return fail(log, -EINVAL, i,
					    "call out of range (to insn %lld)",
					    (long long)target);
			if (!(flags & KBPF_F_BPF_CAPABLE))
				return fail(log, -EACCES, i,
					    "bpf-to-bpf calls need bpf_capable");
			return 0;
		}
		if (insn->src_reg)
			return unsupported(log, i, insn->code);
		/*
		 * Which helper is the engine's check, where a path reaches
		 * the call: dead code may call one that does not exist, as a
		 * CO-RE relocation the loader could not resolve does.
		 */
		return 0;
	case BPF_JA:
		if (insn->src_reg)
			return reserved(log, i, "src_reg");
		if (insn->imm)
			return reserved(log, i, "imm");
		break;
	default:
		if (reg_src && insn->imm)
			return reserved(log, i, "imm");
		if (!reg_src && insn->src_reg)
			return reserved(log, i, "src_reg");
		break;
	}
	target = (s64)i + 1 + insn->off;
	if (target < 0 || target >= cnt)
		return fail(log, -EINVAL, i, "jump out of range (to insn %lld)",
			    (long long)target);
	return 0;
}

/*
 * A BPF_PSEUDO_MAP_VALUE load points @off bytes into the value of a
 * single-entry ARRAY, the only map whose value has one address (libbpf's
 * .rodata, .data and .bss are such maps). Linux's messages.
 */
static int check_direct_value(const struct kbpf_map_desc *desc, u32 off,
			      u32 i, struct kbpf_log *log)
{
	if (off >= KBPF_MAX_VAR_OFF)
		return fail(log, -EINVAL, i,
			    "direct value offset of %u is not allowed", off);
	if (desc->type != BPF_MAP_TYPE_ARRAY)
		return fail(log, -EINVAL, i,
			    "no direct value access support for this map type");
	/* Linux's ARRAY says ENOTSUPP, which userspace has no name for. */
	if (desc->max_entries != 1)
		return fail(log, -EOPNOTSUPP, i,
			    "invalid access to map value pointer, value_size=%u off=%u",
			    desc->value_size, off);
	if (off >= desc->value_size)
		return fail(log, -EINVAL, i,
			    "invalid access to map value pointer, value_size=%u off=%u",
			    desc->value_size, off);
	return 0;
}

static int check_ld_imm64(struct kbpf_structure *s,
			  const struct kbpf_verify_attr *attr, u32 i,
			  struct kbpf_log *log)
{
	const struct bpf_insn *insn = &attr->insns[i];
	const struct bpf_insn *hi = insn + 1;
	struct kbpf_map_desc desc = { 0 };
	int index, err;
	u32 m;

	if (i + 1 >= attr->insn_cnt || hi->code || hi->dst_reg ||
	    hi->src_reg || hi->off)
		return fail(log, -EINVAL, i, "incomplete LD_IMM64");
	if (insn->off)
		return reserved(log, i, "off");
	if (insn->src_reg != 0 && insn->src_reg != BPF_PSEUDO_MAP_FD &&
	    insn->src_reg != BPF_PSEUDO_MAP_VALUE)
		return fail(log, -EINVAL, i, "unknown LD_IMM64 source %u",
			    insn->src_reg);
	s->insn_flags[i + 1] |= KBPF_INSN_LD_IMM64_HI;
	if (!insn->src_reg)
		return 0;
	if (insn->src_reg == BPF_PSEUDO_MAP_FD && hi->imm)
		return reserved(log, i + 1, "imm");
	index = attr->map_lookup ? attr->map_lookup(attr->map_priv, insn->imm,
						    &desc) : -EBADF;
	if (index < 0)
		return fail(log, index, i, "fd %d is not a ring or a map",
			    insn->imm);
	if (insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
		err = check_direct_value(&desc, (u32)hi->imm, i, log);
		if (err)
			return err;
	}
	for (m = 0; m < s->nr_maps && s->maps[m].index != index; m++)
		;
	if (m == KBPF_MAX_USED_MAPS)
		return fail(log, -E2BIG, i,
			    "more than %u rings and maps in one program",
			    KBPF_MAX_USED_MAPS);
	if (m == s->nr_maps) {
		s->maps[m].index = index;
		s->maps[m].desc = desc;
		s->nr_maps++;
	}
	s->map_slot[i] = (s32)m;
	return 0;
}

/* Opcodes, reserved fields, registers, LD_IMM64 pairs, targets in range. */
static int check_insns(struct kbpf_structure *s,
		       const struct kbpf_verify_attr *attr,
		       struct kbpf_log *log)
{
	u32 i;
	int err = 0;

	for (i = 0; i < attr->insn_cnt && !err; i++) {
		const struct bpf_insn *insn = &attr->insns[i];

		if (s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI)
			continue;
		if (insn->dst_reg > BPF_REG_10)
			return fail(log, -EINVAL, i, "invalid register r%u",
				    insn->dst_reg);
		if (insn->src_reg > BPF_REG_10 &&
		    BPF_CLASS(insn->code) != BPF_LD)
			return fail(log, -EINVAL, i, "invalid register r%u",
				    insn->src_reg);
		switch (BPF_CLASS(insn->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			err = check_alu_insn(insn, i, log);
			break;
		case BPF_LDX:
		case BPF_STX:
		case BPF_ST:
			err = check_mem_insn(insn, i, log);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			err = check_jmp_insn(insn, i, attr->insn_cnt,
					     attr->flags, log);
			break;
		case BPF_LD:
			if (!kbpf_insn_is_ld_imm64(insn))
				return unsupported(log, i, insn->code);
			err = check_ld_imm64(s, attr, i, log);
			break;
		}
	}
	if (err)
		return err;
	/* Now that every second half is known: nothing may land in one. */
	for (i = 0; i < attr->insn_cnt; i++) {
		const struct bpf_insn *insn = &attr->insns[i];
		u32 target;

		if (s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI)
			continue;
		if (kbpf_insn_is_pseudo_call(insn))
			target = i + 1 + insn->imm;
		else if (kbpf_insn_is_jump(insn))
			target = i + 1 + insn->off;
		else
			continue;
		if (s->insn_flags[target] & KBPF_INSN_LD_IMM64_HI)
			return fail(log, -EINVAL, i,
				    "jump into the middle of LD_IMM64");
	}
	return 0;
}

static int check_func_info(const struct kbpf_verify_attr *attr,
			   struct kbpf_log *log)
{
	u32 k, a;

	for (k = 0; k < attr->func_info_cnt; k++) {
		const struct kring_func_info *fi = &attr->func_info[k];

		if (fi->reserved)
			return fail(log, -EINVAL, -1,
				    "func-info %u: reserved field must be 0", k);
		if (!k && (fi->insn_off || fi->linkage != KRING_FUNC_STATIC ||
			   fi->nr_args))
			return fail(log, -EINVAL, -1,
				    "func-info 0: must describe the program at insn 0 (static, no arguments)");
		if (k && fi->insn_off <= attr->func_info[k - 1].insn_off)
			return fail(log, -EINVAL, -1,
				    "func-info %u: insn_off not increasing", k);
		if (fi->insn_off >= attr->insn_cnt)
			return fail(log, -EINVAL, -1,
				    "func-info %u: insn_off %u is past the end",
				    k, fi->insn_off);
		if (fi->linkage != KRING_FUNC_STATIC &&
		    fi->linkage != KRING_FUNC_GLOBAL)
			return fail(log, -EINVAL, -1,
				    "func-info %u: bad linkage %u", k,
				    fi->linkage);
		if (fi->nr_args > KRING_FUNC_MAX_ARGS ||
		    (fi->nr_args && fi->linkage != KRING_FUNC_GLOBAL))
			return fail(log, -EINVAL, -1,
				    "func-info %u: bad argument count %u", k,
				    fi->nr_args);
		for (a = 0; a < KRING_FUNC_MAX_ARGS; a++) {
			u8 kind = fi->arg_kinds[a];
			bool used = a < fi->nr_args;

			if (used ? kind != KRING_ARG_SCALAR &&
				   kind != KRING_ARG_CTX &&
				   kind != KRING_ARG_MEM : kind != 0)
				return fail(log, -EINVAL, -1,
					    "func-info %u: bad argument kind %u for r%u",
					    k, kind, a + 1);
			if (kind == KRING_ARG_MEM ?
			    fi->arg_mem_size[a] >= KRING_ARG_MEM_MAX :
			    fi->arg_mem_size[a] != 0)
				return fail(log, -EINVAL, -1,
					    "func-info %u: bad memory size %u for r%u",
					    k, fi->arg_mem_size[a], a + 1);
		}
	}
	return 0;
}

/* The first call to @target, for messages about it. */
static s64 first_call_to(const struct kbpf_verify_attr *attr, u32 target)
{
	u32 i;

	for (i = 0; i < attr->insn_cnt; i++)
		if (kbpf_insn_is_pseudo_call(&attr->insns[i]) &&
		    i + 1 + attr->insns[i].imm == target)
			return i;
	return -1;
}

/* Functions: insn 0 and every call target, checked against func-info. */
static int find_funcs(struct kbpf_structure *s,
		      const struct kbpf_verify_attr *attr,
		      struct kbpf_log *log)
{
	u32 cnt = attr->insn_cnt, i, f, n = 0;
	u8 *is_start = kbpf_zalloc(cnt);
	int err = 0;

	if (!is_start)
		return -ENOMEM;
	is_start[0] = 1;
	for (i = 0; i < cnt; i++)
		if (!(s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI) &&
		    kbpf_insn_is_pseudo_call(&attr->insns[i]))
			is_start[i + 1 + attr->insns[i].imm] = 1;
	for (i = 0; i < cnt; i++)
		n += is_start[i];
	if (n > KBPF_MAX_FUNCS) {
		err = fail(log, -E2BIG, -1, "%u functions, more than %u", n,
			   KBPF_MAX_FUNCS);
		goto out;
	}
	if (attr->func_info_cnt) {
		for (f = 0; f < attr->func_info_cnt && !err; f++)
			if (!is_start[attr->func_info[f].insn_off])
				err = fail(log, -EINVAL, -1,
					   "func-info %u: insn %u is not a call target",
					   f, attr->func_info[f].insn_off);
		for (i = 0, f = 0; i < cnt && !err; i++) {
			if (!is_start[i])
				continue;
			while (f < attr->func_info_cnt &&
			       attr->func_info[f].insn_off < i)
				f++;
			if (f == attr->func_info_cnt ||
			    attr->func_info[f].insn_off != i)
				err = fail(log, -EINVAL, first_call_to(attr, i),
					   "call to insn %u, which func-info does not declare",
					   i);
		}
		if (err)
			goto out;
	}
	s->funcs = kbpf_zalloc(n * sizeof(*s->funcs));
	if (!s->funcs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0, f = 0; i < cnt; i++) {
		if (!is_start[i])
			continue;
		if (f)
			s->funcs[f - 1].end = i;
		s->funcs[f].start = i;
		if (attr->func_info_cnt) {
			const struct kring_func_info *fi = &attr->func_info[f];

			s->funcs[f].linkage = fi->linkage;
			s->funcs[f].nr_args = fi->nr_args;
			memcpy(s->funcs[f].arg_kinds, fi->arg_kinds,
			       sizeof(fi->arg_kinds));
			memcpy(s->funcs[f].arg_mem_size, fi->arg_mem_size,
			       sizeof(fi->arg_mem_size));
		}
		f++;
	}
	s->funcs[n - 1].end = cnt;
	s->nr_funcs = n;
	for (f = 0; f < n; f++)
		for (i = s->funcs[f].start; i < s->funcs[f].end; i++)
			s->insn_func[i] = f;
out:
	kbpf_free(is_start);
	return err;
}

/* Jumps stay in their function; no function falls off its end. */
static int check_func_bounds(struct kbpf_structure *s,
			     const struct kbpf_verify_attr *attr,
			     struct kbpf_log *log)
{
	u32 f, i;

	for (f = 0; f < s->nr_funcs; f++) {
		const struct kbpf_func *fn = &s->funcs[f];
		const struct bpf_insn *last = &attr->insns[fn->end - 1];

		if ((s->insn_flags[fn->end - 1] & KBPF_INSN_LD_IMM64_HI) ||
		    !(kbpf_insn_is_exit(last) || kbpf_insn_is_ja(last)))
			return fail(log, -EINVAL, fn->end - 1,
				    "falls through past the end of its function");
		for (i = fn->start; i < fn->end; i++) {
			const struct bpf_insn *insn = &attr->insns[i];
			u32 target = i + 1 + insn->off;

			if ((s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI) ||
			    !kbpf_insn_is_jump(insn))
				continue;
			if (target < fn->start || target >= fn->end)
				return fail(log, -EINVAL, i,
					    "jump out of its function");
		}
	}
	return 0;
}

/*
 * Depth-first search from every function start (each is reachable if its
 * callers are: checked after), iteratively: the kernel stack is small.
 * An edge to an instruction still on the search path is a back-edge.
 */
enum { WHITE, GREY, BLACK };

static int search_paths(struct kbpf_structure *s,
			const struct kbpf_verify_attr *attr,
			struct kbpf_log *log)
{
	u32 cnt = attr->insn_cnt, f, i;
	u8 *color = kbpf_zalloc(cnt);
	u32 *stack = kbpf_zalloc(cnt * sizeof(u32));
	u8 *edge = kbpf_zalloc(cnt);	/* next successor to try */
	int err = 0;

	if (!color || !stack || !edge) {
		err = -ENOMEM;
		goto out;
	}
	for (f = 0; f < s->nr_funcs && !err; f++) {
		u32 depth = 0;

		stack[depth++] = s->funcs[f].start;
		color[s->funcs[f].start] = GREY;
		while (depth && !err) {
			u32 t = stack[depth - 1], succ[2], n, w;

			n = kbpf_insn_successors(attr->insns, t, succ);
			if (edge[t] == n) {
				color[t] = BLACK;
				depth--;
				continue;
			}
			w = succ[edge[t]++];
			if (kbpf_insn_is_jump(&attr->insns[t]))
				s->insn_flags[w] |= KBPF_INSN_PRUNE_POINT;
			if (color[w] == GREY) {
				if (!(attr->flags & KBPF_F_BPF_CAPABLE))
					err = fail(log, -EACCES, t,
						   "back-edge to insn %u: loops need bpf_capable",
						   w);
				s->has_loops = true;
				s->insn_flags[w] |= KBPF_INSN_LOOP_HEAD;
			} else if (color[w] == WHITE) {
				color[w] = GREY;
				stack[depth++] = w;
			}
		}
	}
	for (i = 0; i < cnt && !err; i++) {
		if (color[i] == WHITE &&
		    !(s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI))
			err = fail(log, -EINVAL, i, "unreachable instruction");
		if (kbpf_insn_is_pseudo_call(&attr->insns[i]) && i + 1 < cnt)
			s->insn_flags[i + 1] |= KBPF_INSN_PRUNE_POINT;
	}
out:
	kbpf_free(color);
	kbpf_free(stack);
	kbpf_free(edge);
	return err;
}

/*
 * Functions only static code calls must be reached from the program; the
 * call graph must be acyclic (calls are never recursive).
 */
static int check_call_graph(struct kbpf_structure *s,
			    const struct kbpf_verify_attr *attr,
			    struct kbpf_log *log)
{
	u32 n = s->nr_funcs, words = (n + 63) / 64, f, i, round;
	u64 *reach = kbpf_zalloc((size_t)n * words * sizeof(u64));
	bool changed = true;
	int err = 0;

	if (!reach)
		return -ENOMEM;
	for (round = 0; changed && round <= n; round++) {
		changed = false;
		for (i = 0; i < attr->insn_cnt; i++) {
			u32 caller, callee, w;

			if ((s->insn_flags[i] & KBPF_INSN_LD_IMM64_HI) ||
			    !kbpf_insn_is_pseudo_call(&attr->insns[i]))
				continue;
			caller = s->insn_func[i];
			callee = s->insn_func[i + 1 + attr->insns[i].imm];
			if (!(reach[caller * words + callee / 64] &
			      (1ULL << (callee % 64)))) {
				reach[caller * words + callee / 64] |=
					1ULL << (callee % 64);
				changed = true;
			}
			for (w = 0; w < words; w++) {
				u64 more = reach[callee * words + w] &
					   ~reach[caller * words + w];

				if (more) {
					reach[caller * words + w] |= more;
					changed = true;
				}
			}
		}
	}
	for (f = 0; f < n && !err; f++) {
		if (!(reach[f * words + f / 64] & (1ULL << (f % 64))))
			continue;
		err = fail(log, -EINVAL, s->funcs[f].start,
			   "recursive call: function %u calls itself", f);
	}
	/* Static functions must be reached from a root (the program or a global). */
	for (f = 1; f < n && !err; f++) {
		u32 r;
		bool reached = s->funcs[f].linkage == KRING_FUNC_GLOBAL;

		for (r = 0; r < n && !reached; r++)
			reached = (!r || s->funcs[r].linkage ==
				   KRING_FUNC_GLOBAL) &&
				  (reach[r * words + f / 64] & (1ULL << (f % 64)));
		if (!reached)
			err = fail(log, -EINVAL, s->funcs[f].start,
				   "unreachable instruction");
	}
	kbpf_free(reach);
	return err;
}

int kbpf_structure_check(struct kbpf_structure *s,
			 const struct kbpf_verify_attr *attr,
			 struct kbpf_log *log)
{
	u32 cnt = attr->insn_cnt, i;
	int err;

	memset(s, 0, sizeof(*s));
	if (attr->flags & ~KBPF_F_ALL)
		return fail(log, -EINVAL, -1, "unknown flags 0x%x",
			    attr->flags & ~KBPF_F_ALL);
	if (attr->log_level > KBPF_LOG_LEVEL_INSNS)
		return fail(log, -EINVAL, -1, "bad log level %u",
			    attr->log_level);
	if (!cnt || !attr->insns)
		return fail(log, -EINVAL, -1, "program is empty");
	if (cnt > KBPF_MAX_INSNS)
		return fail(log, -E2BIG, -1,
			    "program has %u instructions, more than %u", cnt,
			    KBPF_MAX_INSNS);
	if (cnt > KBPF_MAX_INSNS_UNPRIV && !(attr->flags & KBPF_F_BPF_CAPABLE))
		return fail(log, -E2BIG, -1,
			    "program has %u instructions: more than %u need bpf_capable",
			    cnt, KBPF_MAX_INSNS_UNPRIV);
	if (attr->func_info_cnt && !attr->func_info)
		return fail(log, -EINVAL, -1, "func-info count without func-info");
	s->insn_flags = kbpf_zalloc(cnt);
	s->insn_func = kbpf_zalloc(cnt * sizeof(*s->insn_func));
	s->map_slot = kbpf_zalloc(cnt * sizeof(*s->map_slot));
	if (!s->insn_flags || !s->insn_func || !s->map_slot)
		return -ENOMEM;
	for (i = 0; i < cnt; i++)
		s->map_slot[i] = -1;
	err = check_insns(s, attr, log);
	if (!err)
		err = check_func_info(attr, log);
	if (!err)
		err = find_funcs(s, attr, log);
	if (!err)
		err = check_func_bounds(s, attr, log);
	if (!err)
		err = search_paths(s, attr, log);
	if (!err)
		err = check_call_graph(s, attr, log);
	return err;
}

void kbpf_structure_free(struct kbpf_structure *s)
{
	kbpf_free(s->funcs);
	kbpf_free(s->insn_flags);
	kbpf_free(s->insn_func);
	kbpf_free(s->map_slot);
	memset(s, 0, sizeof(*s));
}
