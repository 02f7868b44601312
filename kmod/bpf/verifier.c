// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier: the structure pass, static liveness, then the engine over
 * every root function (the program and each global function, verified on
 * its own), then the stack and frames of every call chain.
 *
 * Three parts do the abstract interpretation, each in a file of its own
 * and each given the state it works on: the checks (checks.c) say whether
 * an instruction is safe in a state, the transformer (transfer.c) what
 * state it leaves, and the engine (engine.c) which states to explore,
 * which to prune and which loops never end. The rules follow Linux's
 * verifier; docs/verifier.md lists them and every message.
 */
#include "verifier.h"
#include "engine.h"

/* One verification: what the rules see, the search, and liveness. */
struct kbpf_verification {
	struct kbpf_env env;
	struct kbpf_search search;
	struct kbpf_liveness lv;
};

/*
 * The stack a frame of function @f counts for in a call chain: as Linux
 * accounts it, at least one byte, rounded up to 32, so that every chain
 * kring accepts fits Linux's 512-byte limit too.
 */
static u32 frame_stack_size(const struct kbpf_env *env, u32 f)
{
	return ALIGN(max_t(u32, env->func_depth[f], 1), 32);
}

/* Whether function @f calls bpf_tail_call. */
static bool has_tail_call(const struct kbpf_env *env, u32 f)
{
	const struct kbpf_func *func = &env->structure.funcs[f];
	u32 i;

	for (i = func->start; i < func->end; i++)
		if (env->insns[i].code == (BPF_JMP | BPF_CALL) &&
		    !env->insns[i].src_reg &&
		    env->insns[i].imm == BPF_FUNC_tail_call)
			return true;
	return false;
}

/*
 * The deepest stack and the longest chain of frames any call sequence
 * reaches, over the call graph (acyclic: the structure pass rejects
 * recursion). Global functions count: they run on the caller's stack.
 * And Linux's limit for tail calls in called functions: a tail call leaves
 * the frames below it in place, up to 33 times over, so they may hold less
 * than 256 bytes (8 KiB at worst).
 */
static int check_call_chains(struct kbpf_env *env)
{
	u32 n = env->structure.nr_funcs, i, f, round;
	u32 *depth = kbpf_zalloc(3 * n * sizeof(u32));
	u32 *frames, *below;
	int err = 0;

	if (!depth)
		return -ENOMEM;
	frames = depth + n;
	below = frames + n;	/* stack of the frames under each function */
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
			caller = env->structure.insn_func[i];
			callee = env->structure.insn_func[i + 1 + insn->imm];
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
			if (below[caller] + frame_stack_size(env, caller) >
			    below[callee]) {
				below[callee] = below[caller] +
						frame_stack_size(env, caller);
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	for (f = 0; f < n && !err; f++) {
		env->insn = env->structure.funcs[f].start;
		if (frames[f] > KBPF_MAX_CALL_FRAMES)
			err = kbpf_reject(env, -EACCES,
				     "call stack of %u frames is too deep (at most %u)",
				     frames[f], KBPF_MAX_CALL_FRAMES);
		else if (depth[f] > KBPF_FRAME_STACK_SIZE)
			err = kbpf_reject(env, -EACCES,
				     "stack of %u bytes across the call chain exceeds 512",
				     depth[f]);
		else if (f && below[f] >= 256 && has_tail_call(env, f))
			err = kbpf_reject(env, -EACCES,
				     "tail_calls are not allowed when call stack of previous frames is %u bytes. Too large",
				     below[f]);
	}
	kbpf_free(depth);
	return err;
}

static int verify_program(struct kbpf_verification *v)
{
	struct kbpf_env *env = &v->env;
	const struct kbpf_verify_attr *attr = env->attr;
	u32 f;
	int err;

	err = kbpf_structure_check(&env->structure, attr, &env->log);
	if (err)
		return err;
	err = kbpf_liveness_compute(&v->lv, attr->insns, attr->insn_cnt,
				    &env->structure, attr->flags);
	if (err)
		return err;
	err = kbpf_search_init(&v->search, env, &v->lv);
	if (err)
		return err;
	env->func_depth = kbpf_zalloc(env->structure.nr_funcs *
				      sizeof(*env->func_depth));
	if (!env->func_depth)
		return -ENOMEM;
	for (f = 0; f < env->structure.nr_funcs; f++) {
		if (f && env->structure.funcs[f].linkage != KRING_FUNC_GLOBAL)
			continue;
		err = kbpf_search_function(&v->search, f);
		if (err)
			return err;
	}
	return check_call_chains(env);
}

/*
 * What the constant-key tracking found, one line per tail call: a loader
 * (and the log's reader) sees which tail calls always take one slot.
 */
static void log_tail_call_keys(struct kbpf_env *env)
{
	u32 i;

	if (!env->tail_keys ||
	    !kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_ERRORS))
		return;
	for (i = 0; i < env->attr->insn_cnt; i++) {
		u32 key = env->tail_keys[i];

		if (key == KBPF_TAIL_KEY_VARIABLE)
			kbpf_log_printf(&env->log,
					"tail_call at insn %u: key checked at run time\n",
					i);
		else if (key)
			kbpf_log_printf(&env->log,
					"tail_call at insn %u: key %u on every path\n",
					i, key - 1);
	}
}

int kbpf_verify(const struct kbpf_verify_attr *attr,
		struct kbpf_verify_stats *stats)
{
	struct kbpf_verification *v;
	struct kbpf_env *env;
	struct kbpf_search *search;
	u64 start = kbpf_now_ns();
	u32 depth = 0, f;
	int err;

	v = kbpf_zalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	env = &v->env;
	search = &v->search;
	env->attr = attr;
	env->insns = attr->insns;
	kbpf_log_init(&env->log, attr->log_buf, attr->log_size,
		      attr->log_level);
	env->allow_ptr_leaks = attr->flags & KBPF_F_ALLOW_PTR_LEAKS;
	env->bypass_spec_v1 = attr->flags & KBPF_F_BYPASS_SPEC_V1;
	env->bypass_spec_v4 = attr->flags & KBPF_F_BYPASS_SPEC_V4;

	err = verify_program(v);
	if (!err)
		log_tail_call_keys(env);

	kbpf_search_free(search);
	for (f = 0; env->func_depth && f < env->structure.nr_funcs; f++)
		depth = max(depth, env->func_depth[f]);
	kbpf_log_printf(&env->log,
			"processed %llu insns (limit %u), total_states %u, peak_states %u, stack_depth %u, time_us %llu\n",
			(unsigned long long)search->processed,
			KBPF_MAX_PROCESSED, search->states_total,
			search->states_peak, depth,
			(unsigned long long)(kbpf_now_ns() - start) / 1000);
	if (stats) {
		stats->insns_processed = search->processed;
		stats->states_total = search->states_total;
		stats->states_peak = search->states_peak;
		stats->ancestors_compared = search->ancestors_compared;
		stats->time_ns = kbpf_now_ns() - start;
		stats->stack_depth = depth;
		stats->tail_calls_in_callees = false;
		for (f = 1; !err && f < env->structure.nr_funcs; f++)
			stats->tail_calls_in_callees |= has_tail_call(env, f);
		stats->log_truncated = env->log.truncated;
	}
	if (!err && attr->insn_btf_load)
		for (f = 0; f < attr->insn_cnt; f++)
			attr->insn_btf_load[f] = env->load_kinds &&
				env->load_kinds[f] == KBPF_LOAD_BTF;
	if (!err && attr->func_stack_depth && env->func_depth)
		for (f = 0; f < env->structure.nr_funcs && f < KBPF_MAX_FUNCS;
		     f++)
			attr->func_stack_depth[f] = env->func_depth[f];
	kbpf_free(env->func_depth);
	kbpf_free(env->tail_keys);
	kbpf_free(env->load_kinds);
	kbpf_liveness_free(&v->lv);
	kbpf_structure_free(&env->structure);
	kbpf_free(v);
	return err;
}
