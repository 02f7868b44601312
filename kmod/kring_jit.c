// SPDX-License-Identifier: GPL-2.0
/*
 * The JIT: a verified program handed to the kernel's own eBPF JIT through
 * the functions Linux exports to GPL modules (bpf_prog_alloc,
 * bpf_prog_select_runtime, bpf_prog_free, __bpf_call_base). The kernel's
 * verifier never sees these programs, so what it would do before JIT'ing
 * kring does here:
 *  - division and modulo by a register get a zero check, since the JIT
 *    emits a bare div (kring_jit_guard_div);
 *  - without CAP_PERFMON, a pointer spill gets a speculation barrier
 *    (kring_jit_rewrite);
 *  - a faulting-safe load through a kernel struct pointer (KBPF_PROBE_MEM)
 *    becomes a call of kring's probe_load helper, r0-r5 saved around it
 *    (kring_jit_probe_load): the kernel's JIT compiles such loads inline,
 *    but it finds their fault fixups through a table modules cannot add
 *    programs to;
 *  - helper calls point at kring's helpers, which have the BPF calling
 *    convention (kring_helper_addr); a tail call becomes the kernel's
 *    BPF_TAIL_CALL, through the prog array's struct bpf_array view;
 *  - each function is JIT'd on its own, callees first, with its verified
 *    stack depth, and a bpf-to-bpf call becomes a direct call of the
 *    callee's image (Linux's jit_subprogs does this for its own programs
 *    and is not reachable from a module).
 * docs/programs.md, "JIT", lists the pitfalls and how each is handled.
 */
#include <linux/bpf.h>
#include <linux/err.h>
#include <linux/filter.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kring_helpers.h"
#include "kring_jit.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "bpf/verifier.h"

bool kring_jit_enabled = true;
module_param_named(jit, kring_jit_enabled, bool, 0644);
MODULE_PARM_DESC(jit, "Run programs as machine code through the kernel's eBPF JIT (default on; 0: kring's interpreter)");

static bool kring_is_div_by_reg(const struct bpf_insn *insn)
{
	u8 class = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	return (class == BPF_ALU || class == BPF_ALU64) &&
	       (op == BPF_DIV || op == BPF_MOD) && BPF_SRC(insn->code) == BPF_X;
}

#define KRING_JIT_GUARD_MAX 16
/* Below a function's verified stack: r0-r5 around a probe_load call. */
#define KRING_JIT_PROBE_SAVE (6 * 8)

static bool kring_is_probe_load(const struct bpf_insn *insn)
{
	return BPF_CLASS(insn->code) == BPF_LDX &&
	       BPF_MODE(insn->code) == KBPF_PROBE_MEM;
}

static struct bpf_insn kring_insn(u8 code, u8 dst, u8 src, s16 off, s32 imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
				  .off = off, .imm = imm };
}

/*
 * The instructions that replace a division or modulo by a register, with
 * the interpreter's semantics (bpf/alu.h): x / 0 is 0, x % 0 is x, and the
 * 32-bit forms compare, and zero-extend, 32 bits. Returns their number.
 */
static u32 kring_jit_guard_div(const struct bpf_insn *div,
			       struct bpf_insn out[KRING_JIT_GUARD_MAX])
{
	bool is64 = BPF_CLASS(div->code) == BPF_ALU64;
	u8 jeq = (is64 ? BPF_JMP : BPF_JMP32) | BPF_JEQ | BPF_K;
	u8 d = div->dst_reg, s = div->src_reg;

	if (BPF_OP(div->code) == BPF_DIV) {
		/* if s == 0 goto zero; d /= s; goto out; zero: w_d = 0 */
		out[0] = kring_insn(jeq, s, 0, 2, 0);
		out[1] = *div;
		out[2] = kring_insn(BPF_JMP | BPF_JA, 0, 0, 1, 0);
		out[3] = kring_insn(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, 0);
		return 4;
	}
	if (is64) {
		/* if s == 0 skip the modulo: d stays */
		out[0] = kring_insn(jeq, s, 0, 1, 0);
		out[1] = *div;
		return 2;
	}
	/*
	 * w_d = w_d; if w_s == 0 skip; w_d %= w_s. The move zero-extends the
	 * dividend the zero divisor leaves; a modulo zero-extends anyway, and
	 * reads only the low halves, so it changes nothing when d == s.
	 */
	out[0] = kring_insn(BPF_ALU | BPF_MOV | BPF_X, d, d, 0, 0);
	out[1] = kring_insn(jeq, s, 0, 1, 0);
	out[2] = *div;
	return 3;
}

/*
 * The instructions that replace a faulting-safe load @ld in a function
 * whose verified stack ends at fp - @frame_size: the call of
 * KRING_HELPER_PROBE_LOAD clobbers r0-r5, so those the load does not write
 * are saved below that stack and restored. Returns their number.
 */
static u32 kring_jit_probe_load(const struct bpf_insn *ld, u32 frame_size,
				struct bpf_insn out[KRING_JIT_GUARD_MAX])
{
	static const u8 bytes[] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2,
				    [BPF_B >> 3] = 1, [BPF_DW >> 3] = 8 };
	u8 d = ld->dst_reg, r;
	u32 n = 0;

#define KRING_SAVE_SLOT(r) ((s16)(-(s32)frame_size - 8 * ((r) + 1)))
	for (r = BPF_REG_0; r <= BPF_REG_5; r++)
		if (r != d)
			out[n++] = kring_insn(BPF_STX | BPF_MEM | BPF_DW,
					      BPF_REG_10, r, KRING_SAVE_SLOT(r),
					      0);
	/* r1 first: the source may be r2. */
	out[n++] = kring_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1,
			      ld->src_reg, 0, 0);
	out[n++] = kring_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0,
			      ld->off);
	out[n++] = kring_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0,
			      bytes[BPF_SIZE(ld->code) >> 3]);
	out[n++] = kring_insn(BPF_JMP | BPF_CALL, 0, 0, 0,
			      KRING_HELPER_PROBE_LOAD);
	if (d != BPF_REG_0)
		out[n++] = kring_insn(BPF_ALU64 | BPF_MOV | BPF_X, d,
				      BPF_REG_0, 0, 0);
	for (r = BPF_REG_0; r <= BPF_REG_5; r++)
		if (r != d)
			out[n++] = kring_insn(BPF_LDX | BPF_MEM | BPF_DW, r,
					      BPF_REG_10, KRING_SAVE_SLOT(r),
					      0);
#undef KRING_SAVE_SLOT
	return n;
}

/*
 * What replaces @insn in the JIT's copy (0: @insn stays as it is): a
 * faulting-safe load's call (its function's stack ends at fp -
 * @frame_size); a
 * guarded division; for a call of bpf_tail_call, the kernel's BPF_TAIL_CALL
 * (its JIT's inline tail call, through the prog array's view: see
 * kring_prog_array.h); with @nospec, an 8-byte register store followed by a
 * speculation barrier. Without CAP_PERFMON (bypass_spec_v4) the verifier
 * lets a program overwrite a spilled pointer only with a pointer, but a
 * pointer may still be spilled over a number, and a load that speculatively
 * bypasses the store would read the number as the pointer: Linux puts a
 * barrier after such a spill, and every pointer spill is an 8-byte STX.
 */
static u32 kring_jit_rewrite(const struct bpf_insn *insn, bool nospec,
			     u32 frame_size,
			     struct bpf_insn out[KRING_JIT_GUARD_MAX])
{
	if (kring_is_probe_load(insn))
		return kring_jit_probe_load(insn, frame_size, out);
	if (kring_is_div_by_reg(insn))
		return kring_jit_guard_div(insn, out);
	if (insn->code == (BPF_JMP | BPF_CALL) && !insn->src_reg &&
	    insn->imm == BPF_FUNC_tail_call) {
		/* The kernel's own: r2 is the prog array's struct bpf_array. */
		out[0] = kring_insn(BPF_JMP | BPF_TAIL_CALL, 0, 0, 0, 0);
		return 1;
	}
	if (nospec && insn->code == (BPF_STX | BPF_MEM | BPF_DW)) {
		out[0] = *insn;
		out[1] = kring_insn(BPF_ST | BPF_NOSPEC, 0, 0, 0, 0);
		return 2;
	}
	return 0;
}

/*
 * A copy of @insns rewritten by kring_jit_rewrite; jump and bpf-to-bpf call
 * offsets follow the moved instructions. @owner[i]: the function of
 * instruction i, whose stack ends at fp - @frame_size[function]. Returns
 * ERR_PTR(-ENOMEM), or ERR_PTR(-ERANGE) if a jump no longer fits in 16
 * bits.
 */
static struct bpf_insn *kring_jit_patch(const struct bpf_insn *insns, u32 cnt,
					bool nospec, const u32 *owner,
					const u32 *frame_size, u32 *new_cnt)
{
	struct bpf_insn guard[KRING_JIT_GUARD_MAX], *out;
	u32 *pos, i, n = 0, len;

	pos = kvmalloc_array(cnt + 1, sizeof(*pos), GFP_KERNEL);
	if (!pos)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < cnt; i++) {
		pos[i] = n;
		n += kring_jit_rewrite(&insns[i], nospec,
				       frame_size[owner[i]], guard) ?: 1;
	}
	pos[cnt] = n;
	out = kvmalloc_array(n, sizeof(*out), GFP_KERNEL);
	if (!out) {
		kvfree(pos);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < cnt; i++) {
		const struct bpf_insn *insn = &insns[i];
		struct bpf_insn *to = &out[pos[i]];
		s64 target, rel;

		len = kring_jit_rewrite(insn, nospec, frame_size[owner[i]],
					guard);
		if (len) {
			memcpy(to, guard, len * sizeof(*to));
			continue;
		}
		*to = *insn;
		if (kbpf_insn_is_jump(insn) || kbpf_insn_is_pseudo_call(insn)) {
			/* The verifier keeps every target inside the program. */
			target = (s64)i + 1 +
				 (kbpf_insn_is_jump(insn) ? insn->off : insn->imm);
			if (target < 0 || target > cnt)
				goto range;
			rel = (s64)pos[target] - (pos[i] + 1);
			if (kbpf_insn_is_jump(insn)) {
				if (rel != (s16)rel)
					goto range;
				to->off = rel;
			} else {
				to->imm = rel;
			}
		}
		if (kbpf_insn_is_ld_imm64(insn) && i + 1 < cnt) {
			out[pos[i] + 1] = insns[i + 1];	/* its second half */
			i++;
		}
	}
	kvfree(pos);
	*new_cnt = n;
	return out;
range:
	kvfree(pos);
	kvfree(out);
	return ERR_PTR(-ERANGE);
}

/* The function whose first instruction is @start (a call's target). */
static int kring_jit_func_at(const u32 *starts, u32 nr, u32 start)
{
	u32 lo = 0, hi = nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (starts[mid] == start)
			return mid;
		if (starts[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* @target's offset from __bpf_call_base, as a call's imm must hold it. */
static int kring_jit_call_imm(const void *target, s32 *imm)
{
	s64 off = (long)target - (long)__bpf_call_base;

	if (off != (s32)off || !off)
		return -ERANGE;
	*imm = off;
	return 0;
}

/*
 * JITs the function [@start, @end) of @insns, function @func_idx of the
 * program, whose callees are in @jit->funcs already. Returns the kernel's
 * program, JIT'd, or an ERR_PTR.
 */
static struct bpf_prog *kring_jit_func(struct kring_jit *jit,
				       const struct bpf_insn *insns,
				       u32 start, u32 end, u32 stack_depth,
				       u32 func_idx, bool tail_call_reachable,
				       const u32 *starts, const char **why)
{
	u32 len = end - start, i;
	struct bpf_prog *fp;
	int err = 0;

	fp = bpf_prog_alloc(bpf_prog_size(len), 0);
	if (!fp) {
		*why = "out of memory";
		return ERR_PTR(-ENOMEM);
	}
	/* A real eBPF type: BPF_PROG_TYPE_UNSPEC would mean classic BPF. */
	fp->type = BPF_PROG_TYPE_KPROBE;
	fp->len = len;
	memcpy(fp->insnsi, insns + start, len * sizeof(*insns));
	/* With 0, the JIT would reserve no stack for the program's frame. */
	fp->aux->stack_depth = stack_depth;
	/*
	 * As Linux's jit_subprogs numbers them: a called function (not 0)
	 * takes the tail call count from its caller instead of starting one.
	 * A function that tail-calls, or calls one that may, keeps the count
	 * in its frame and passes it on: 6.12's JIT does so only when
	 * tail_call_reachable is set, as Linux's verifier sets it (6.1's
	 * also finds BPF_TAIL_CALL itself).
	 */
	fp->aux->func_idx = func_idx;
	fp->aux->tail_call_reachable = tail_call_reachable;
	for (i = 0; i < len && !err; i++) {
		struct bpf_insn *insn = &fp->insnsi[i];
		const void *target;

		if (insn->code != (BPF_JMP | BPF_CALL))
			continue;
		if (insn->src_reg == BPF_PSEUDO_CALL) {
			int g = kring_jit_func_at(starts, jit->nr_funcs,
						  start + i + 1 + insn->imm);

			if (g < 0 || !jit->funcs[g]) {
				err = -EINVAL;
				break;
			}
			target = jit->funcs[g]->bpf_func;
		} else {
			target = kring_helper_addr(insn->imm);
		}
		/*
		 * A plain call of an address, for the JIT and for constant
		 * blinding alike (which would otherwise move the imm of a
		 * BPF_PSEUDO_CALL as if it were an instruction offset).
		 */
		insn->src_reg = 0;
		err = target ? kring_jit_call_imm(target, &insn->imm) : -EINVAL;
	}
	if (err) {
		*why = "a call target out of reach";
		bpf_prog_free(fp);
		return ERR_PTR(err);
	}
	/*
	 * With bpf_jit_harden, this frees fp and returns a blinded copy;
	 * with bpf_jit_enable=0 or a failed JIT, the kernel's interpreter.
	 */
	fp = bpf_prog_select_runtime(fp, &err);
	if (!err && !fp->jited)
		err = -EOPNOTSUPP;
	if (err) {
		*why = err == -EOPNOTSUPP || err == -ENOTSUPP ?
		       "the kernel's JIT is off or failed" :
		       "the kernel refused the program";
		bpf_prog_free(fp);
		return ERR_PTR(err);
	}
	return fp;
}

void kring_jit_free(struct kring_jit *jit)
{
	u32 f;

	if (!jit)
		return;
	for (f = 0; f < jit->nr_funcs; f++)
		if (jit->funcs[f])
			bpf_prog_free(jit->funcs[f]);
	kfree(jit);
}

/*
 * The functions of @prog: the program, then every call target, in order.
 * @starts (@cnt + 1 entries) gets each one's first instruction, then @cnt;
 * @owner (@cnt) each instruction's function. Returns their number.
 */
static u32 kring_jit_split(const struct bpf_insn *prog, u32 cnt, u32 *starts,
			   u32 *owner)
{
	u32 nr = 0, i, f;

	memset(starts, 0, (cnt + 1) * sizeof(*starts));
	for (i = 0; i < cnt; i++)
		if (kbpf_insn_is_pseudo_call(&prog[i]))
			starts[i + 1 + prog[i].imm] = 1;	/* a mark, for now */
	starts[0] = 1;
	for (i = 0; i < cnt; i++) {
		if (starts[i])
			nr++;
		owner[i] = nr - 1;
	}
	for (i = 0, f = 0; i < cnt; i++)
		if (starts[i])
			starts[f++] = i;
	starts[nr] = cnt;
	return nr;
}

/*
 * Each function's stack for the JIT (@depth, KBPF_MAX_FUNCS entries): its
 * verified depth, and with a faulting-safe load, the save area below it
 * (whose top, the verified depth rounded to 8, goes to @frame_size).
 */
static void kring_jit_frames(const struct bpf_insn *insns, u32 insn_cnt,
			     const u32 *owner, u32 nr, const u32 *func_depth,
			     u32 *frame_size, u32 *depth)
{
	u32 f, i;

	for (f = 0; f < nr; f++) {
		frame_size[f] = round_up(func_depth[f], 8);
		depth[f] = func_depth[f];
	}
	for (i = 0; i < insn_cnt; i++)
		if (kring_is_probe_load(&insns[i]))
			depth[owner[i]] = frame_size[owner[i]] +
					  KRING_JIT_PROBE_SAVE;
}

struct kring_jit *kring_jit_compile(const struct bpf_insn *insns, u32 insn_cnt,
				    const u32 *func_depth, bool nospec_spills,
				    const char **why)
{
	struct kring_jit *jit = NULL;
	struct bpf_insn *prog = NULL;
	u32 cnt, nr, i, f, done = 0;
	u32 *starts, *owner, *frame_size, *depth;
	bool *reaches_tail_call = NULL;
	int err = 0;

	*why = "out of memory";
	starts = kvcalloc(insn_cnt + 1, sizeof(*starts), GFP_KERNEL);
	owner = kvcalloc(insn_cnt, sizeof(*owner), GFP_KERNEL);
	frame_size = kcalloc(KBPF_MAX_FUNCS, sizeof(*frame_size), GFP_KERNEL);
	depth = kcalloc(KBPF_MAX_FUNCS, sizeof(*depth), GFP_KERNEL);
	if (!starts || !owner || !frame_size || !depth) {
		err = -ENOMEM;
		goto out;
	}
	nr = kring_jit_split(insns, insn_cnt, starts, owner);
	if (nr > KBPF_MAX_FUNCS) {
		err = -E2BIG;
		*why = "too many functions";
		goto out;
	}
	kring_jit_frames(insns, insn_cnt, owner, nr, func_depth, frame_size,
			 depth);
	prog = kring_jit_patch(insns, insn_cnt, nospec_spills, owner,
			       frame_size, &cnt);
	if (IS_ERR(prog)) {
		err = PTR_ERR(prog);
		prog = NULL;
		if (err == -ERANGE)
			*why = "a jump too long after guarding divisions";
		goto out;
	}
	/* The same functions, in the patched copy. */
	kvfree(starts);
	kvfree(owner);
	starts = kvcalloc(cnt + 1, sizeof(*starts), GFP_KERNEL);
	owner = kvcalloc(cnt, sizeof(*owner), GFP_KERNEL);
	reaches_tail_call = kvcalloc(cnt + 1, sizeof(*reaches_tail_call),
				     GFP_KERNEL);
	if (!starts || !owner || !reaches_tail_call) {
		err = -ENOMEM;
		goto out;
	}
	kring_jit_split(prog, cnt, starts, owner);
	jit = kzalloc(struct_size(jit, funcs, nr), GFP_KERNEL);
	if (!jit) {
		err = -ENOMEM;
		goto out;
	}
	jit->nr_funcs = nr;
	/*
	 * Callees first: a function is JIT'd once all it calls are. The call
	 * graph is acyclic (the verifier refuses recursion), so every round
	 * JITs at least one function.
	 */
	while (done < nr && !err) {
		u32 before = done;

		for (f = 0; f < nr && !err; f++) {
			bool ready = !jit->funcs[f];
			struct bpf_prog *fp;

			for (i = starts[f]; ready && i < starts[f + 1]; i++)
				if (kbpf_insn_is_pseudo_call(&prog[i]) &&
				    !jit->funcs[owner[i + 1 + prog[i].imm]])
					ready = false;
			if (!ready)
				continue;
			/* Its callees are done: whether it reaches a tail call. */
			for (i = starts[f]; i < starts[f + 1]; i++)
				reaches_tail_call[f] |=
					prog[i].code == (BPF_JMP | BPF_TAIL_CALL) ||
					(kbpf_insn_is_pseudo_call(&prog[i]) &&
					 reaches_tail_call[owner[i + 1 + prog[i].imm]]);
			fp = kring_jit_func(jit, prog, starts[f],
					    starts[f + 1], depth[f], f,
					    reaches_tail_call[f], starts, why);
			if (IS_ERR(fp)) {
				err = PTR_ERR(fp);
				break;
			}
			jit->funcs[f] = fp;
			jit->len += fp->jited_len;
			done++;
		}
		if (!err && done == before) {
			err = -EINVAL;
			*why = "a call cycle";
		}
	}
out:
	kvfree(reaches_tail_call);
	kfree(depth);
	kfree(frame_size);
	kvfree(owner);
	kvfree(starts);
	kvfree(prog);
	if (err) {
		kring_jit_free(jit);
		return ERR_PTR(err);
	}
	return jit;
}
