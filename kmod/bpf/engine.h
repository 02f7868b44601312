/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine: explores every path of a function through the transformer
 * (rules.h), checkpointing states at prune points, pruning a path whose
 * state an explored one contains, and rejecting a loop whose state repeats.
 */
#ifndef KBPF_ENGINE_H
#define KBPF_ENGINE_H

#include "rules.h"
#include "liveness.h"

#define KBPF_ANCESTOR_BUCKETS 1024U

struct kbpf_pending;

/* One verification's paths and checkpoints, over all its root functions. */
struct kbpf_search {
	struct kbpf_env *env;
	const struct kbpf_liveness *lv;
	struct kbpf_idmap idmap;
	struct kbpf_state **checkpoints;	/* per insn: explored states */
	/* Checkpoints still being explored, hashed by fingerprint. */
	struct kbpf_state *ancestors[KBPF_ANCESTOR_BUCKETS];
	/* Ancestors that failed the loop check too often to be compared again. */
	struct kbpf_state *retired;
	u32 *in_progress;	/* per insn: how many of them */
	struct kbpf_pending *pending;	/* paths waiting to be explored */
	u32 nr_pending;
	u64 processed;		/* instructions, over all paths */
	u64 jumps;		/* jump instructions processed */
	u64 processed_at_checkpoint, jumps_at_checkpoint;
	u32 states_now, states_total, states_peak;
	u64 ancestors_compared;
};

int kbpf_search_init(struct kbpf_search *s, struct kbpf_env *env,
		     const struct kbpf_liveness *lv);
/*
 * Explores every path of function @func as a program of its own. Returns 0
 * when every path ends safely, or the error that rejects the program; the
 * log then ends with the state it was found in.
 */
int kbpf_search_function(struct kbpf_search *s, u32 func);
void kbpf_search_free(struct kbpf_search *s);

#endif /* KBPF_ENGINE_H */
