// SPDX-License-Identifier: GPL-2.0
/*
 * Abstract states: copying them, comparing them for pruning, printing them.
 *
 * Pruning is sound when the stored state contains the current one: every
 * concrete state the current path may be in is one the stored state's
 * fully explored continuation already covered. "Contains" is checked
 * component by component, skipping what liveness.h shows cannot matter.
 */
#include "vstate.h"

void kbpf_reg_mark_unknown(struct kbpf_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = KBPF_SCALAR;
	kbpf_scalar_set_unknown(&reg->val);
}

void kbpf_reg_mark_const(struct kbpf_reg *reg, u64 value)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = KBPF_SCALAR;
	kbpf_scalar_set_const(&reg->val, value);
}

void kbpf_reg_mark_not_init(struct kbpf_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->type = KBPF_NOT_INIT;
}

bool kbpf_reg_is_pointer(const struct kbpf_reg *reg)
{
	return reg->type != KBPF_SCALAR && reg->type != KBPF_NOT_INIT;
}

static struct kbpf_frame *copy_frame(const struct kbpf_frame *src)
{
	struct kbpf_frame *dst = kbpf_zalloc(sizeof(*dst));

	if (!dst)
		return NULL;
	*dst = *src;
	dst->slots = NULL;
	if (src->nr_slots) {
		dst->slots = kbpf_zalloc(src->nr_slots * sizeof(*dst->slots));
		if (!dst->slots) {
			kbpf_free(dst);
			return NULL;
		}
		memcpy(dst->slots, src->slots,
		       src->nr_slots * sizeof(*dst->slots));
	}
	return dst;
}

void kbpf_frame_free(struct kbpf_frame *frame)
{
	if (!frame)
		return;
	kbpf_free(frame->slots);
	kbpf_free(frame);
}

int kbpf_frame_grow(struct kbpf_frame *frame, u32 nr_slots)
{
	struct kbpf_slot *slots;

	if (nr_slots <= frame->nr_slots)
		return 0;
	slots = kbpf_zalloc(nr_slots * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	if (frame->nr_slots)
		memcpy(slots, frame->slots, frame->nr_slots * sizeof(*slots));
	kbpf_free(frame->slots);
	frame->slots = slots;
	frame->nr_slots = nr_slots;
	return 0;
}

struct kbpf_state *kbpf_state_copy(const struct kbpf_state *src)
{
	struct kbpf_state *dst = kbpf_zalloc(sizeof(*dst));
	u32 i;

	if (!dst)
		return NULL;
	*dst = *src;
	memset(dst->frames, 0, sizeof(dst->frames));
	dst->next = NULL;
	dst->pprev = NULL;
	dst->hits = 0;
	dst->misses = 0;
	dst->loop_misses = 0;
	for (i = 0; i <= src->curframe; i++) {
		dst->frames[i] = copy_frame(src->frames[i]);
		if (!dst->frames[i]) {
			kbpf_state_free(dst);
			return NULL;
		}
	}
	return dst;
}

void kbpf_state_free(struct kbpf_state *state)
{
	u32 i;

	if (!state)
		return;
	for (i = 0; i < KBPF_MAX_CALL_FRAMES; i++)
		kbpf_frame_free(state->frames[i]);
	kbpf_free(state);
}

static bool ids_match(struct kbpf_idmap *map, u32 old_id, u32 cur_id)
{
	u32 i;

	if (!old_id)
		return true;	/* the stored state relied on no link */
	if (!cur_id)
		return false;
	for (i = 0; i < map->count; i++)
		if (map->pairs[i].old_id == old_id)
			return map->pairs[i].cur_id == cur_id;
	if (map->count == ARRAY_SIZE(map->pairs))
		return false;
	map->pairs[map->count].old_id = old_id;
	map->pairs[map->count].cur_id = cur_id;
	map->count++;
	return true;
}

/* Whether @old contains @cur, a register that may be read later. */
static bool reg_contains(const struct kbpf_reg *old, const struct kbpf_reg *cur,
			 bool precise, struct kbpf_idmap *map)
{
	if (old->type == KBPF_NOT_INIT)
		return true;	/* the explored path never read it */
	if (old->type != cur->type)
		return false;
	switch (old->type) {
	case KBPF_SCALAR:
		if (!precise)
			return true;
		return kbpf_scalar_subsumes(&old->val, &cur->val) &&
		       ids_match(map, old->id, cur->id);
	case KBPF_PTR_CTX:
		return old->off == cur->off &&
		       kbpf_scalar_subsumes(&old->val, &cur->val);
	case KBPF_PTR_STACK:
		return old->frameno == cur->frameno && old->off == cur->off &&
		       kbpf_scalar_subsumes(&old->val, &cur->val);
	case KBPF_CONST_RING:
	case KBPF_CONST_MAP:
		return old->map == cur->map;
	case KBPF_PTR_MAP_VALUE:
	case KBPF_PTR_MAP_VALUE_OR_NULL:
		return old->map == cur->map && old->off == cur->off &&
		       kbpf_scalar_subsumes(&old->val, &cur->val) &&
		       ids_match(map, old->id, cur->id);
	case KBPF_PTR_RECORD:
	case KBPF_PTR_RECORD_OR_NULL:
		return old->mem_size == cur->mem_size && old->off == cur->off &&
		       kbpf_scalar_subsumes(&old->val, &cur->val) &&
		       ids_match(map, old->id, cur->id) &&
		       ids_match(map, old->ref_id, cur->ref_id);
	case KBPF_PTR_BTF:
		/* A trusted pointer goes wherever an untrusted one may. */
		return old->btf_id == cur->btf_id && old->off == cur->off &&
		       (cur->trusted || !old->trusted) &&
		       kbpf_scalar_subsumes(&old->val, &cur->val);
	case KBPF_PTR_MEM:
	case KBPF_PTR_MEM_OR_NULL:
		return old->mem_size == cur->mem_size && old->off == cur->off &&
		       kbpf_scalar_subsumes(&old->val, &cur->val) &&
		       ids_match(map, old->id, cur->id);
	case KBPF_RELEASED:
		return true;	/* any use is an error on both paths */
	}
	return false;
}

static u8 slot_byte(const struct kbpf_frame *frame, u32 slot, u32 byte)
{
	return slot < frame->nr_slots ? frame->slots[slot].kind[byte] :
					KBPF_SLOT_INVALID;
}

static u32 spill_size(const struct kbpf_frame *frame, u32 slot)
{
	return slot < frame->nr_slots ?
	       kbpf_slot_spill_size(&frame->slots[slot]) : 0;
}

/*
 * With @uninit_reads (perfmon programs), a byte never written reads as an
 * unknown number, so it is one: it contains what a number can be, and only
 * that. Otherwise reading it is an error, so @old never depended on it.
 */
static bool slot_contains(const struct kbpf_frame *old,
			  const struct kbpf_frame *cur, u32 slot, bool precise,
			  bool uninit_reads, struct kbpf_idmap *map)
{
	u32 old_spill = spill_size(old, slot), cur_spill = spill_size(cur, slot);
	bool cur_scalar_spill = cur_spill &&
				cur->slots[slot].spill.type == KBPF_SCALAR;
	u32 b;

	/* A fill of the spill's size gives its register back. */
	if (old_spill &&
	    (cur_spill != old_spill ||
	     !reg_contains(&old->slots[slot].spill, &cur->slots[slot].spill,
			   precise, map)))
		return false;
	for (b = old_spill; b < 8; b++) {
		u8 old_kind = slot_byte(old, slot, b);
		u8 cur_kind = slot_byte(cur, slot, b);

		if (old_kind == KBPF_SLOT_INVALID && !uninit_reads)
			continue;
		/* Unknown bytes: any number will do. */
		if (cur_kind == KBPF_SLOT_MISC ||
		    (cur_kind == KBPF_SLOT_INVALID && uninit_reads))
			continue;
		if (cur_kind != KBPF_SLOT_SPILL || !cur_scalar_spill)
			return false;
	}
	return true;
}

/*
 * A check that reads whether a slot holds a spilled pointer (a store
 * without bypass_spec_v4, a function's exit in its callers' frames) passes
 * on @cur only if it passed on @old: a pointer in @cur must be one in @old,
 * even in a slot @old never used (past its frame, all INVALID).
 */
static bool ptr_slot_contains(const struct kbpf_frame *old,
			      const struct kbpf_frame *cur, u32 slot)
{
	return !kbpf_slot_holds_pointer(&cur->slots[slot]) ||
	       (slot < old->nr_slots &&
		kbpf_slot_holds_pointer(&old->slots[slot]));
}

static bool frame_contains(const struct kbpf_frame *old,
			   const struct kbpf_frame *cur,
			   const struct kbpf_liveness_at *live,
			   bool uninit_reads, struct kbpf_idmap *map)
{
	/* Slots past @old's frame are never-written bytes there. */
	u32 nr_slots = uninit_reads ? max(old->nr_slots, cur->nr_slots) :
				      old->nr_slots;
	u32 r, slot;

	if (old->callsite != cur->callsite || old->func != cur->func)
		return false;
	for (r = 0; r < BPF_REG_10; r++) {
		if (!(live->regs & (1U << r)))
			continue;
		if (!reg_contains(&old->regs[r], &cur->regs[r],
				  live->precise_regs & (1U << r), map))
			return false;
	}
	for (slot = 0; slot < nr_slots; slot++) {
		if (!(live->slots & (1ULL << slot)))
			continue;
		if (!slot_contains(old, cur, slot,
				   live->precise_slots & (1ULL << slot),
				   uninit_reads, map))
			return false;
	}
	for (slot = 0; slot < cur->nr_slots; slot++) {
		if ((live->ptr_checked_slots & (1ULL << slot)) &&
		    !ptr_slot_contains(old, cur, slot))
			return false;
	}
	return true;
}

bool kbpf_state_contains(const struct kbpf_state *old,
			 const struct kbpf_state *cur,
			 const struct kbpf_liveness_at *live, bool uninit_reads,
			 struct kbpf_idmap *map)
{
	/* Callers' frames are compared whole. */
	static const struct kbpf_liveness_at everything = {
		.regs = 0x3ff, .precise_regs = 0x3ff,
		.slots = U64_MAX, .precise_slots = U64_MAX,
		.ptr_checked_slots = U64_MAX,
	};
	u32 i;

	if (old->curframe != cur->curframe || old->nr_refs != cur->nr_refs)
		return false;
	map->count = 0;
	for (i = 0; i < old->nr_refs; i++)
		if (!ids_match(map, old->refs[i].id, cur->refs[i].id))
			return false;
	for (i = 0; i <= old->curframe; i++) {
		const struct kbpf_liveness_at *l =
			i == old->curframe ? live : &everything;

		if (!frame_contains(old->frames[i], cur->frames[i], l,
				    uninit_reads, map))
			return false;
	}
	return true;
}

u8 kbpf_type_past_null_check(u8 type)
{
	switch (type) {
	case KBPF_PTR_RECORD_OR_NULL:
		return KBPF_PTR_RECORD;
	case KBPF_PTR_MAP_VALUE_OR_NULL:
		return KBPF_PTR_MAP_VALUE;
	case KBPF_PTR_MEM_OR_NULL:
		return KBPF_PTR_MEM;
	default:
		return KBPF_NOT_INIT;
	}
}

int kbpf_reg_format(char *buf, size_t size, const struct kbpf_reg *reg)
{
	char val[160];

	switch (reg->type) {
	case KBPF_SCALAR:
		kbpf_scalar_format(buf, size, &reg->val);
		return (int)strlen(buf);
	case KBPF_PTR_CTX:
	case KBPF_PTR_STACK:
	case KBPF_PTR_RECORD:
	case KBPF_PTR_RECORD_OR_NULL:
	case KBPF_PTR_MAP_VALUE:
	case KBPF_PTR_MAP_VALUE_OR_NULL:
	case KBPF_PTR_BTF:
	case KBPF_PTR_MEM:
	case KBPF_PTR_MEM_OR_NULL:
		val[0] = '\0';
		if (!kbpf_scalar_is_const(&reg->val) || reg->val.umin) {
			val[0] = ',';
			kbpf_scalar_format(val + 1, sizeof(val) - 1, &reg->val);
		}
		if (reg->type == KBPF_PTR_CTX)
			return snprintf(buf, size, "ctx(off=%d%s)", reg->off,
					val);
		if (reg->type == KBPF_PTR_BTF)
			return snprintf(buf, size, "btf_ptr(id=%u,off=%d%s)",
					reg->btf_id, reg->off, val);
		if (reg->type == KBPF_PTR_MEM ||
		    reg->type == KBPF_PTR_MEM_OR_NULL)
			return snprintf(buf, size, "%s(size=%u,off=%d%s)",
					reg->type == KBPF_PTR_MEM ?
					"mem" : "mem_or_null",
					reg->mem_size, reg->off, val);
		if (reg->type == KBPF_PTR_STACK)
			return snprintf(buf, size, "fp%u%+d%s%s", reg->frameno,
					reg->off, val[0] ? "+" : "",
					val[0] ? val + 1 : "");
		if (reg->type == KBPF_PTR_MAP_VALUE ||
		    reg->type == KBPF_PTR_MAP_VALUE_OR_NULL)
			return snprintf(buf, size,
					"%s(map#%d,size=%u,off=%d%s)",
					reg->type == KBPF_PTR_MAP_VALUE ?
					"map_value" : "map_value_or_null",
					reg->map, reg->mem_size, reg->off, val);
		return snprintf(buf, size, "%s(size=%u,off=%d,ref=%u%s)",
				reg->type == KBPF_PTR_RECORD ? "record" :
				"record_or_null", reg->mem_size, reg->off,
				reg->ref_id, val);
	case KBPF_CONST_RING:
		return snprintf(buf, size, "ring#%d", reg->map);
	case KBPF_CONST_MAP:
		return snprintf(buf, size, "map#%d", reg->map);
	case KBPF_RELEASED:
		return snprintf(buf, size, "released(ref=%u)", reg->ref_id);
	default:
		return snprintf(buf, size, "?");
	}
}

const char *kbpf_reg_type_name(const struct kbpf_reg *reg)
{
	static const char *const names[] = {
		[KBPF_NOT_INIT] = "uninitialised",
		[KBPF_SCALAR] = "scalar",
		[KBPF_PTR_CTX] = "context",
		[KBPF_PTR_STACK] = "stack pointer",
		[KBPF_CONST_RING] = "ring",
		[KBPF_PTR_RECORD] = "ring record",
		[KBPF_PTR_RECORD_OR_NULL] = "ring record or NULL",
		[KBPF_RELEASED] = "released ring record",
		[KBPF_CONST_MAP] = "map",
		[KBPF_PTR_MAP_VALUE] = "map value",
		[KBPF_PTR_MAP_VALUE_OR_NULL] = "map value or NULL",
		[KBPF_PTR_BTF] = "kernel struct pointer",
		[KBPF_PTR_MEM] = "memory argument",
		[KBPF_PTR_MEM_OR_NULL] = "memory argument or NULL",
	};

	return reg->type < ARRAY_SIZE(names) ? names[reg->type] : "?";
}
