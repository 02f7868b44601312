/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verifier's abstract state: what it knows about every register and
 * stack byte at one instruction of one path. Internal to the verifier.
 */
#ifndef KBPF_VSTATE_H
#define KBPF_VSTATE_H

#include "kbpf_platform.h"
#include "scalar.h"
#include "interp.h"

enum kbpf_reg_type {
	KBPF_NOT_INIT,		/* never written: reading it is an error */
	KBPF_SCALAR,		/* a number: val holds its bounds */
	KBPF_PTR_CTX,		/* the context: off (+ val as variable offset) */
	KBPF_PTR_STACK,		/* frame @frameno's stack pointer + off */
	KBPF_CONST_RING,	/* a ring, from LD_IMM64 of a ring fd */
	KBPF_PTR_RECORD,	/* a reserved record of mem_size bytes */
	KBPF_PTR_RECORD_OR_NULL,	/* reserve's result before its NULL check */
	KBPF_RELEASED,		/* a record pointer after submit/discard */
	KBPF_CONST_MAP,		/* a map, from LD_IMM64 of a map fd */
	KBPF_PTR_MAP_VALUE,	/* a value of map @map, of mem_size bytes */
	KBPF_PTR_MAP_VALUE_OR_NULL,	/* a lookup's result before its NULL check */
	/*
	 * A kernel struct of BTF type @btf_id, + off: a tp_btf argument or a
	 * pointer read from one. May be NULL or stale: the runtimes read it
	 * with faulting-safe loads (a fault gives 0), as Linux's PROBE_MEM.
	 */
	KBPF_PTR_BTF,
	/*
	 * A global function's KRING_ARG_MEM argument: mem_size bytes it may
	 * read and write, whatever memory its caller passed (stack, a record,
	 * a map value), + off.
	 */
	KBPF_PTR_MEM,
	KBPF_PTR_MEM_OR_NULL,	/* the same before its NULL check */
};

/*
 * One register. For pointers, off is the constant offset and val the
 * variable one (a scalar, constant 0 when there is none).
 *
 * id links registers that hold the same value, so that learning about one
 * (a NULL check, a comparison of a scalar) teaches about all its copies.
 * ref_id names the reservation a record pointer belongs to; a map value has
 * none (a lookup takes no reference: the value lives as long as the map,
 * which the program holds).
 */
struct kbpf_reg {
	u8 type;
	u8 frameno;
	/*
	 * KBPF_PTR_BTF: one the kernel keeps valid for the run (an argument
	 * of a tp_btf or fentry program, the current task), not one read from
	 * kernel memory, which may be stale.
	 */
	bool trusted;
	s32 off;
	u32 id;
	u32 ref_id;
	u32 mem_size;
	s32 map;		/* a ring or map: its slot in the structure's maps */
	u32 btf_id;		/* KBPF_PTR_BTF: the struct's type in the BTF */
	struct kbpf_scalar val;
};

/* What each byte of an 8-byte stack slot holds. */
enum kbpf_slot_kind {
	KBPF_SLOT_INVALID,	/* never written */
	KBPF_SLOT_MISC,		/* written, value unknown */
	KBPF_SLOT_SPILL,	/* part of a spilled register */
};

/*
 * A register spilled into a slot fills its first N bytes: all 8 for any
 * register, 1, 2 or 4 for a scalar stored at the slot's base (as Linux 6.1
 * keeps them), cut to what a load of N bytes gives back.
 */
struct kbpf_slot {
	u8 kind[8];		/* kind[i]: byte (slot base + i) */
	struct kbpf_reg spill;	/* when kind[0] is KBPF_SLOT_SPILL */
};

/* N, the bytes the spilled register fills; 0 when the slot holds none. */
static inline u32 kbpf_slot_spill_size(const struct kbpf_slot *slot)
{
	u32 n = 0;

	while (n < 8 && slot->kind[n] == KBPF_SLOT_SPILL)
		n++;
	return n;
}

#define KBPF_STACK_SLOTS (KBPF_FRAME_STACK_SIZE / 8)

/*
 * One call frame. Slot i covers bytes [fp - 8 * (i + 1), fp - 8 * i);
 * slots beyond nr_slots are KBPF_SLOT_INVALID.
 */
struct kbpf_frame {
	struct kbpf_reg regs[MAX_BPF_REG];
	u32 callsite;		/* the call insn in the caller; 0 for frame 0 */
	u32 func;		/* index into the structure's functions */
	u32 nr_slots;
	struct kbpf_slot *slots;
};

/* A reservation that must be submitted or discarded before exit. */
struct kbpf_ref {
	u32 id;
	u32 insn;		/* where it was reserved */
};

#define KBPF_MAX_REFS 64

struct kbpf_state {
	struct kbpf_frame *frames[KBPF_MAX_CALL_FRAMES];
	u32 curframe;
	u32 nr_refs;
	struct kbpf_ref refs[KBPF_MAX_REFS];
	/* Checkpoints: the path tree, for completion and loop detection. */
	struct kbpf_state *parent;
	u32 branches;		/* unfinished paths below this checkpoint */
	u32 insn;
	u32 hits, misses;
	u32 loop_misses;	/* loop checks it failed, as an ancestor */
	u64 fingerprint;	/* of what the loop check compares */
	struct kbpf_state *next;	/* in its list of checkpoints */
	struct kbpf_state **pprev;	/* what points to it, as an ancestor */
};

/*
 * Register ids are names local to a path; two states name the same links
 * with different numbers. The map pairs each id of the stored state with
 * the current state's id the first time they meet, and then insists on it.
 */
struct kbpf_idmap {
	u32 count;
	struct {
		u32 old_id, cur_id;
	} pairs[2 * MAX_BPF_REG * KBPF_MAX_CALL_FRAMES + KBPF_MAX_REFS];
};

/* liveness.h's sets at one instruction. */
struct kbpf_liveness_at {
	u16 regs, precise_regs;
	u64 slots, precise_slots;
	u64 ptr_checked_slots;
};

/*
 * What a store checks without bypass_spec_v4, and the exit of a function
 * in its callers' slots (a pointer to its stack must not outlive it).
 */
static inline bool kbpf_slot_holds_pointer(const struct kbpf_slot *slot)
{
	return slot->kind[0] == KBPF_SLOT_SPILL &&
	       slot->spill.type != KBPF_SCALAR;
}

void kbpf_reg_mark_unknown(struct kbpf_reg *reg);
void kbpf_reg_mark_const(struct kbpf_reg *reg, u64 value);
void kbpf_reg_mark_not_init(struct kbpf_reg *reg);
bool kbpf_reg_is_pointer(const struct kbpf_reg *reg);
/*
 * What a maybe-NULL pointer (a reservation, a lookup's result, a memory
 * argument, before its NULL check) is past the check; KBPF_NOT_INIT for
 * any other type.
 */
u8 kbpf_type_past_null_check(u8 type);
static inline bool kbpf_reg_maybe_null(const struct kbpf_reg *reg)
{
	return kbpf_type_past_null_check(reg->type) != KBPF_NOT_INIT;
}
int kbpf_reg_format(char *buf, size_t size, const struct kbpf_reg *reg);
const char *kbpf_reg_type_name(const struct kbpf_reg *reg);

/* Makes room for @nr_slots slots; new ones are KBPF_SLOT_INVALID. */
int kbpf_frame_grow(struct kbpf_frame *frame, u32 nr_slots);
void kbpf_frame_free(struct kbpf_frame *frame);

/* A deep copy, outside any checkpoint list; NULL when out of memory. */
struct kbpf_state *kbpf_state_copy(const struct kbpf_state *src);
void kbpf_state_free(struct kbpf_state *state);

/*
 * Whether every concrete state of @cur is one of @old, looking only at what
 * @live says may matter in the innermost frame. @uninit_reads: stack bytes
 * never written may be read (as unknown numbers), as perfmon programs may.
 */
bool kbpf_state_contains(const struct kbpf_state *old,
			 const struct kbpf_state *cur,
			 const struct kbpf_liveness_at *live, bool uninit_reads,
			 struct kbpf_idmap *map);

#endif /* KBPF_VSTATE_H */
