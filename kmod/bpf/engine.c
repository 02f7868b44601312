// SPDX-License-Identifier: GPL-2.0
/*
 * The engine: abstract interpretation of every path through a function, one
 * instruction at a time, by the transformer of transfer.c.
 *
 * Paths are explored depth first. A conditional jump whose outcome the
 * bounds do not decide leaves two states: one continues, the other waits
 * on a stack. At prune points (jump targets, branch fall-throughs) the
 * state is compared with the checkpoints already stored there: if a
 * finished one contains it, the path ends (its continuation was proven
 * safe); if one still being explored (an ancestor: the path came around a
 * loop) equals it, the loop can repeat forever and the program is rejected.
 * Otherwise the state becomes a checkpoint itself. Only finished
 * checkpoints prune, so every state a program can reach is covered by one
 * whose continuation was explored to the end; that is what makes bounded
 * loops safe to accept and the others impossible to sneak through.
 */
#include "engine.h"
#include "disasm.h"

/* Paths waiting to be explored, and checkpoints kept (memory bounds). */
#define KBPF_MAX_PENDING 8192U
#define KBPF_MAX_STORED_STATES 32768U

/*
 * Loop checks an ancestor may fail before it is no longer compared. Each
 * iteration of a loop whose counter lives on the stack differs from the
 * last only there, which the fingerprint leaves out: compared with every
 * earlier one, such a loop took time quadratic in its iterations (16 s to
 * reach the limit). Linux drops such states from its loop check too; a loop
 * whose state repeats only after longer than this still ends at the limit.
 */
#define KBPF_LOOP_CHECK_MISSES 32U

/* Processed instructions between looks at the scheduler and signals. */
#define KBPF_INTERRUPT_INTERVAL 256U

struct kbpf_pending {
	struct kbpf_state *state;
	struct kbpf_pending *next;
};

#ifndef __KERNEL__
bool (*kbpf_signal_pending_hook)(void);
#endif

/* ---- the log ---- */

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

static void log_insn(struct kbpf_env *env, const struct kbpf_state *st)
{
	kbpf_disasm(env->buf, sizeof(env->buf), &env->insns[env->insn]);
	kbpf_log_printf(&env->log, "%u: %s\t;", env->insn, env->buf);
	log_state(env, st);
}

/* ---- paths waiting ---- */

static int push_branch(struct kbpf_search *s, struct kbpf_state *state)
{
	struct kbpf_pending *p;

	if (s->nr_pending >= KBPF_MAX_PENDING) {
		kbpf_state_free(state);
		return kbpf_reject(s->env, -E2BIG,
				   "too complex: more than %u paths pending",
				   KBPF_MAX_PENDING);
	}
	p = kbpf_zalloc(sizeof(*p));
	if (!p) {
		kbpf_state_free(state);
		return -ENOMEM;
	}
	p->state = state;
	p->next = s->pending;
	s->pending = p;
	s->nr_pending++;
	if (state->parent)
		state->parent->branches++;
	return 0;
}

static struct kbpf_state *pop_branch(struct kbpf_search *s)
{
	struct kbpf_pending *p = s->pending;
	struct kbpf_state *state;

	if (!p)
		return NULL;
	s->pending = p->next;
	s->nr_pending--;
	state = p->state;
	kbpf_free(p);
	return state;
}

static void free_pending(struct kbpf_search *s)
{
	struct kbpf_state *state;

	while ((state = pop_branch(s)))
		kbpf_state_free(state);
}

/* ---- checkpoints ---- */

static struct kbpf_state **ancestor_bucket(struct kbpf_search *s, u64 fp)
{
	return &s->ancestors[fp % KBPF_ANCESTOR_BUCKETS];
}

/* Ancestor lists (a bucket, the retired) link both ways: leaving is O(1). */
static void ancestor_link(struct kbpf_state **head, struct kbpf_state *sl)
{
	sl->next = *head;
	if (sl->next)
		sl->next->pprev = &sl->next;
	*head = sl;
	sl->pprev = head;
}

static void ancestor_unlink(struct kbpf_state *sl)
{
	*sl->pprev = sl->next;
	if (sl->next)
		sl->next->pprev = sl->pprev;
	sl->pprev = NULL;
}

/*
 * A checkpoint whose last path ended is complete: it leaves the ancestors
 * and joins the explored states that may prune.
 */
static void checkpoint_complete(struct kbpf_search *s, struct kbpf_state *sl)
{
	ancestor_unlink(sl);
	s->in_progress[sl->insn]--;
	sl->next = s->checkpoints[sl->insn];
	s->checkpoints[sl->insn] = sl;
}

static void path_finished(struct kbpf_search *s, struct kbpf_state *parent)
{
	for (; parent; parent = parent->parent) {
		if (--parent->branches)
			break;
		checkpoint_complete(s, parent);
	}
}

static struct kbpf_liveness_at live_at(const struct kbpf_search *s, u32 idx)
{
	struct kbpf_liveness_at l = {
		.regs = s->lv->live_regs[idx],
		.precise_regs = s->lv->precise_regs[idx],
		.slots = s->lv->live_slots[idx],
		.precise_slots = s->lv->precise_slots[idx],
		.ptr_checked_slots = s->lv->ptr_checked_slots[idx],
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

/*
 * @st at its instruction: returns 1 to prune the path, 0 to go on (having
 * made @st a checkpoint, or not), or an error.
 */
static int checkpoint(struct kbpf_search *s, struct kbpf_state *st)
{
	struct kbpf_env *env = s->env;
	u32 insn = st->insn;
	struct kbpf_state **link = &s->checkpoints[insn], *sl, *next, *copy;
	struct kbpf_liveness_at live = live_at(s, insn);
	u64 fp = fingerprint(st, insn, &live);
	bool in_loop = s->in_progress[insn];

	/* An ancestor: coming back to it unchanged never ends. */
	for (sl = *ancestor_bucket(s, fp); in_loop && sl; sl = next) {
		next = sl->next;
		if (sl->insn != insn || sl->fingerprint != fp ||
		    !maybe_equal(sl, st, &live))
			continue;
		s->ancestors_compared++;
		if (kbpf_state_contains(sl, st, &live, env->allow_ptr_leaks,
					&s->idmap) &&
		    kbpf_state_contains(st, sl, &live, env->allow_ptr_leaks,
					&s->idmap))
			return kbpf_reject(env, -EACCES,
					   "infinite loop: the state at this instruction repeats");
		if (++sl->loop_misses > KBPF_LOOP_CHECK_MISSES) {
			ancestor_unlink(sl);
			ancestor_link(&s->retired, sl);
		}
	}
	/* Explored states: one that contains this one prunes it. */
	while ((sl = *link)) {
		if (kbpf_state_contains(sl, st, &live, env->allow_ptr_leaks,
					&s->idmap)) {
			sl->hits++;
			return 1;
		}
		/* Drop explored states that keep failing to prune. */
		if (++sl->misses > sl->hits * 3 + 3) {
			*link = sl->next;
			kbpf_state_free(sl);
			s->states_now--;
			continue;
		}
		link = &sl->next;
	}
	if (s->states_now >= KBPF_MAX_STORED_STATES)
		return 0;	/* fewer checkpoints only means less pruning */
	/*
	 * Going round a loop, each iteration's state differs and will rarely
	 * prune anything: checkpoint only every so often (as Linux does),
	 * which bounds the ancestors a later visit is compared with. A loop
	 * that repeats its state still meets the checkpoint it repeats.
	 */
	if (in_loop && !(env->attr->flags & KBPF_F_TEST_STATE_FREQ) &&
	    s->jumps - s->jumps_at_checkpoint < 20 &&
	    s->processed - s->processed_at_checkpoint < 100)
		return 0;
	s->jumps_at_checkpoint = s->jumps;
	s->processed_at_checkpoint = s->processed;
	copy = kbpf_state_copy(st);
	if (!copy)
		return -ENOMEM;
	copy->fingerprint = fp;
	copy->branches = 1;	/* the current path */
	ancestor_link(ancestor_bucket(s, fp), copy);
	s->in_progress[insn]++;
	st->parent = copy;
	s->states_now++;
	s->states_total++;
	if (s->states_now > s->states_peak)
		s->states_peak = s->states_now;
	return 0;
}

/*
 * Completed checkpoints may still be parents of live ones; freeing a
 * checkpoint is only safe once nothing refers to it, so all go at the end.
 */
static void free_list(struct kbpf_state **head)
{
	while (*head) {
		struct kbpf_state *sl = *head;

		*head = sl->next;
		kbpf_state_free(sl);
	}
}

static void free_checkpoints(struct kbpf_search *s)
{
	u32 i;

	for (i = 0; i < s->env->attr->insn_cnt; i++)
		free_list(&s->checkpoints[i]);
	for (i = 0; i < KBPF_ANCESTOR_BUCKETS; i++)
		free_list(&s->ancestors[i]);
	free_list(&s->retired);
	s->states_now = 0;
}

/* ---- exploring ---- */

/*
 * Every so often, lets the scheduler run and gives up if a signal is
 * pending: a verification may take seconds and must not hold its caller
 * past a signal (Linux's do_check() returns -EAGAIN at the next instruction).
 */
static int check_interrupted(struct kbpf_search *s)
{
	if (s->processed % KBPF_INTERRUPT_INTERVAL)
		return 0;
	kbpf_cond_resched();
	if (kbpf_signal_pending())
		return kbpf_reject(s->env, -EAGAIN,
				   "interrupted by a signal after %llu processed instructions",
				   (unsigned long long)s->processed);
	return 0;
}

/*
 * One step of the path in @st at its instruction: 1 when the path goes on
 * (in @st, or in the state *@next_state when it takes @st's place), 0 when
 * it ended, or an error.
 */
static int step_path(struct kbpf_search *s, struct kbpf_state *st,
		     struct kbpf_state **next_state)
{
	struct kbpf_env *env = s->env;
	struct kbpf_step step;
	int err;

	*next_state = st;
	env->insn = st->insn;
	if (env->attr->insn_reached) {
		env->attr->insn_reached[env->insn] = true;
		if (kbpf_insn_is_ld_imm64(&env->insns[env->insn]))
			env->attr->insn_reached[env->insn + 1] = true;
	}
	if (++s->processed > KBPF_MAX_PROCESSED)
		return kbpf_reject(env, -E2BIG,
				   "too complex: more than %u processed instructions",
				   KBPF_MAX_PROCESSED);
	err = check_interrupted(s);
	if (err)
		return err;
	if ((env->structure.insn_flags[env->insn] & KBPF_INSN_PRUNE_POINT) ||
	    (env->attr->flags & KBPF_F_TEST_STATE_FREQ)) {
		err = checkpoint(s, st);
		if (err < 0)
			return err;
		if (err) {
			if (kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_INSNS))
				kbpf_log_printf(&env->log,
						"%u: safe: an explored state contains this one\n",
						env->insn);
			return 0;
		}
	}
	if (kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_INSNS))
		log_insn(env, st);
	if (kbpf_insn_is_jump(&env->insns[env->insn]))
		s->jumps++;
	err = kbpf_transfer(env, st, &step);
	if (err)
		return err;
	if (step.live) {
		st->insn = step.next;
		if (step.branch) {
			err = push_branch(s, step.branch);
			if (err)
				return err;
		}
		return 1;
	}
	if (step.branch) {
		/* Only the jump's side can happen: it takes the path over. */
		*next_state = step.branch;
		return 1;
	}
	return 0;
}

int kbpf_search_function(struct kbpf_search *s, u32 func)
{
	struct kbpf_env *env = s->env;
	struct kbpf_state *st, *next_state;
	int ret;

	st = kbpf_initial_state(env, func);
	if (!st)
		return -ENOMEM;
	while (st) {
		ret = step_path(s, st, &next_state);
		if (ret < 0) {
			if (kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_ERRORS)) {
				kbpf_log_printf(&env->log, "state at insn %u:",
						env->insn);
				log_state(env, st);
			}
			kbpf_state_free(st);
			return ret;
		}
		if (ret) {
			if (next_state != st) {
				kbpf_state_free(st);
				st = next_state;
			}
			continue;
		}
		path_finished(s, st->parent);
		kbpf_state_free(st);
		st = pop_branch(s);
		if (st && kbpf_log_enabled(&env->log, KBPF_LOG_LEVEL_INSNS))
			kbpf_log_printf(&env->log,
					"from pending path at insn %u\n",
					st->insn);
	}
	return 0;
}

int kbpf_search_init(struct kbpf_search *s, struct kbpf_env *env,
		     const struct kbpf_liveness *lv)
{
	u32 insn_cnt = env->attr->insn_cnt;

	s->env = env;
	s->lv = lv;
	s->checkpoints = kbpf_zalloc(insn_cnt * sizeof(*s->checkpoints));
	s->in_progress = kbpf_zalloc(insn_cnt * sizeof(*s->in_progress));
	return s->checkpoints && s->in_progress ? 0 : -ENOMEM;
}

void kbpf_search_free(struct kbpf_search *s)
{
	free_pending(s);
	if (s->checkpoints)
		free_checkpoints(s);
	kbpf_free(s->checkpoints);
	kbpf_free(s->in_progress);
}
