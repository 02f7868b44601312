// SPDX-License-Identifier: GPL-2.0
/*
 * BTF: see kbpf_btf.h. The parser checks a blob in two linear passes (the
 * first finds where each record ends and counts them, the second records
 * where each starts and checks the type ids and names it holds, which may
 * point forwards); the queries then read the records in place.
 */
#include "kbpf_btf.h"

/* Bounds of the chains the queries follow (Linux's MAX_RESOLVE_DEPTH). */
#define KBPF_BTF_MAX_CHAIN 32
/* Structs a walk may enter, nested in each other or as flexible arrays. */
#define KBPF_BTF_MAX_NESTING 32

/* A pointer's size on the target (BPF's, and x86-64's). */
#define KBPF_BTF_PTR_SIZE 8

/* Bits to whole bytes, rounded up. */
#define KBPF_BTF_BYTES(bits) (((bits) + 7) / 8)

struct kbpf_btf {
	const u8 *types;	/* the type section */
	const char *strs;	/* the string section */
	u32 str_len;
	u32 nr_types;		/* including void, id 0 */
	u32 offsets[];		/* of each id's record in types; [0] unused */
};

static u8 kbpf_btf_kind(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}

static u16 kbpf_btf_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

static bool kbpf_btf_kind_is_struct(const struct btf_type *t)
{
	return t && (kbpf_btf_kind(t) == BTF_KIND_STRUCT ||
		     kbpf_btf_kind(t) == BTF_KIND_UNION);
}

static bool kbpf_btf_kind_is(const struct btf_type *t, u8 kind)
{
	return t && kbpf_btf_kind(t) == kind;
}

/*
 * The bytes of a record of @t's kind that follow its struct btf_type, or
 * -1 for a kind this parser does not know (kind 0 included: no record has
 * it).
 */
static s64 kbpf_btf_trailer_size(const struct btf_type *t)
{
	u32 vlen = kbpf_btf_vlen(t);

	switch (kbpf_btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_INT:
		return sizeof(u32);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (s64)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (s64)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (s64)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (s64)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (s64)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

/*
 * Checks that every type id in @t's record names a type of @btf (whose
 * nr_types is final) and every name offset a string: NULL, or what is wrong.
 */
static const char *kbpf_btf_check_record(const struct kbpf_btf *btf,
					 const struct btf_type *t)
{
	static const char bad_id[] = "a type record names a type id past the last type";
	static const char bad_name[] = "a type record names a string past the string section";
	u32 nr = btf->nr_types, n = btf->str_len, vlen = kbpf_btf_vlen(t), i;
	const struct btf_member *m = (const struct btf_member *)(t + 1);
	const struct btf_enum *e = (const struct btf_enum *)(t + 1);
	const struct btf_enum64 *e64 = (const struct btf_enum64 *)(t + 1);
	const struct btf_param *p = (const struct btf_param *)(t + 1);
	const struct btf_var_secinfo *v = (const struct btf_var_secinfo *)(t + 1);
	const struct btf_array *a = (const struct btf_array *)(t + 1);

	if (t->name_off >= n)
		return bad_name;
	switch (kbpf_btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return t->type >= nr ? bad_id : NULL;
	case BTF_KIND_ARRAY:
		return a->type >= nr || a->index_type >= nr ? bad_id : NULL;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < vlen; i++) {
			if (m[i].name_off >= n)
				return bad_name;
			if (m[i].type >= nr)
				return bad_id;
		}
		return NULL;
	case BTF_KIND_ENUM:
		for (i = 0; i < vlen; i++)
			if (e[i].name_off >= n)
				return bad_name;
		return NULL;
	case BTF_KIND_ENUM64:
		for (i = 0; i < vlen; i++)
			if (e64[i].name_off >= n)
				return bad_name;
		return NULL;
	case BTF_KIND_FUNC_PROTO:
		if (t->type >= nr)
			return bad_id;
		for (i = 0; i < vlen; i++) {
			if (p[i].name_off >= n)
				return bad_name;
			if (p[i].type >= nr)
				return bad_id;
		}
		return NULL;
	case BTF_KIND_DATASEC:
		for (i = 0; i < vlen; i++)
			if (v[i].type >= nr)
				return bad_id;
		return NULL;
	default:
		/* INT, FWD, FLOAT: no ids, no names but their own. */
		return NULL;
	}
}

/*
 * The header, and that the sections it gives are inside the data: NULL and
 * *@hdrp, or what is wrong.
 */
static const char *kbpf_btf_check_header(const void *data, u32 size,
					 const struct btf_header **hdrp)
{
	const struct btf_header *hdr = data;
	const u8 *extra;
	u64 body;
	u32 i;

	if (!data || size < sizeof(*hdr))
		return "shorter than a BTF header";
	if ((uintptr_t)data % 4)
		return "the BTF data is not 4-byte aligned in memory";
	if (hdr->magic != BTF_MAGIC)
		return "bad magic (not BTF, or not in this machine's byte order)";
	if (hdr->version != BTF_VERSION)
		return "unsupported BTF version";
	if (hdr->hdr_len < sizeof(*hdr) || hdr->hdr_len > size)
		return "bad BTF header length";
	extra = (const u8 *)data + sizeof(*hdr);
	for (i = sizeof(*hdr); i < hdr->hdr_len; i++)
		if (extra[i - sizeof(*hdr)])
			return "unknown non-zero fields in the BTF header";
	body = size - hdr->hdr_len;
	if ((u64)hdr->type_off + hdr->type_len > body)
		return "the type section runs past the end of the data";
	if ((u64)hdr->str_off + hdr->str_len > body)
		return "the string section runs past the end of the data";
	if (((u64)hdr->hdr_len + hdr->type_off) % 4)
		return "the type section is not 4-byte aligned";
	if (hdr->type_len && hdr->str_len &&
	    (u64)hdr->type_off < (u64)hdr->str_off + hdr->str_len &&
	    (u64)hdr->str_off < (u64)hdr->type_off + hdr->type_len)
		return "the type and string sections overlap";
	*hdrp = hdr;
	return NULL;
}

/*
 * First pass: the number of type records in the @len bytes at @types, each
 * of a known kind and whole; 0 and *@why when one is not.
 */
static u32 kbpf_btf_count(const u8 *types, u32 len, const char **why)
{
	const struct btf_type *t;
	u32 pos = 0, count = 0;
	s64 trailer;

	while (pos < len) {
		if (len - pos < sizeof(*t)) {
			*why = "a type record is cut short by the type section's end";
			return 0;
		}
		t = (const struct btf_type *)(types + pos);
		trailer = kbpf_btf_trailer_size(t);
		if (trailer < 0) {
			*why = "a type record has an unknown kind";
			return 0;
		}
		if ((u64)trailer > len - pos - sizeof(*t)) {
			*why = "a type record is cut short by the type section's end";
			return 0;
		}
		pos += sizeof(*t) + (u32)trailer;
		count++;
	}
	return count;
}

int kbpf_btf_parse(const void *data, u32 size, struct kbpf_btf **out,
		   const char **why)
{
	const struct btf_header *hdr = NULL;
	const char *err, *strs;
	struct kbpf_btf *btf;
	const u8 *types;
	u32 count = 0, pos, id;

	*out = NULL;
	err = kbpf_btf_check_header(data, size, &hdr);
	if (err)
		goto invalid;
	types = (const u8 *)data + hdr->hdr_len + hdr->type_off;
	strs = (const char *)data + hdr->hdr_len + hdr->str_off;
	if (!hdr->str_len || strs[0] || strs[hdr->str_len - 1]) {
		err = "the string section does not start and end with a NUL";
		goto invalid;
	}
	if (hdr->type_len) {
		count = kbpf_btf_count(types, hdr->type_len, &err);
		if (!count)
			goto invalid;
	}
	/* count <= type_len / 12: neither sum nor product overflows. */
	btf = kbpf_zalloc(sizeof(*btf) + ((size_t)count + 1) * sizeof(u32));
	if (!btf)
		return -ENOMEM;
	btf->types = types;
	btf->strs = strs;
	btf->str_len = hdr->str_len;
	btf->nr_types = count + 1;
	for (id = 1, pos = 0; id <= count; id++) {
		const struct btf_type *t = (const struct btf_type *)(types + pos);

		btf->offsets[id] = pos;
		err = kbpf_btf_check_record(btf, t);
		if (err) {
			kbpf_free(btf);
			goto invalid;
		}
		pos += sizeof(*t) + (u32)kbpf_btf_trailer_size(t);
	}
	*out = btf;
	return 0;

invalid:
	if (why)
		*why = err;
	return -EINVAL;
}

void kbpf_btf_free(struct kbpf_btf *btf)
{
	kbpf_free(btf);
}

u32 kbpf_btf_nr_types(const struct kbpf_btf *btf)
{
	return btf->nr_types;
}

const struct btf_type *kbpf_btf_type(const struct kbpf_btf *btf, u32 id)
{
	if (!id || id >= btf->nr_types)
		return NULL;
	return (const struct btf_type *)(btf->types + btf->offsets[id]);
}

const char *kbpf_btf_name(const struct kbpf_btf *btf, u32 name_off)
{
	/* The section ends with a NUL: every offset in it starts a string. */
	return name_off < btf->str_len ? btf->strs + name_off : "";
}

const char *kbpf_btf_type_name(const struct kbpf_btf *btf, u32 id)
{
	const struct btf_type *t = kbpf_btf_type(btf, id);

	return t ? kbpf_btf_name(btf, t->name_off) : "";
}

const char *kbpf_btf_kind_str(const struct kbpf_btf *btf, u32 id)
{
	/* Linux's btf_kind_str[], indexed by BTF_KIND_*. */
	static const char * const names[] = {
		"UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM",
		"FWD", "TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "FUNC",
		"FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG",
		"TYPE_TAG", "ENUM64",
	};
	const struct btf_type *t = kbpf_btf_type(btf, id);
	u8 kind = t ? kbpf_btf_kind(t) : BTF_KIND_UNKN;

	return kind < ARRAY_SIZE(names) ? names[kind] : names[0];
}

static bool kbpf_btf_is_modifier(const struct btf_type *t, bool typedefs)
{
	switch (kbpf_btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
		return typedefs;
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return true;
	default:
		return false;
	}
}

u32 kbpf_btf_skip_modifiers(const struct kbpf_btf *btf, u32 id,
			    bool keep_typedefs)
{
	const struct btf_type *t;
	u32 i;

	for (i = 0; i <= KBPF_BTF_MAX_CHAIN; i++) {
		t = kbpf_btf_type(btf, id);
		if (!t)
			return 0;
		if (!kbpf_btf_is_modifier(t, !keep_typedefs))
			return id;
		id = t->type;
	}
	return 0;
}

u32 kbpf_btf_find(const struct kbpf_btf *btf, const char *name, u8 kind)
{
	const struct btf_type *t;
	u32 id;

	for (id = 1; id < btf->nr_types; id++) {
		t = kbpf_btf_type(btf, id);
		if (kbpf_btf_kind(t) == kind &&
		    !strcmp(kbpf_btf_name(btf, t->name_off), name))
			return id;
	}
	return 0;
}

bool kbpf_btf_is_struct(const struct kbpf_btf *btf, u32 id)
{
	return kbpf_btf_kind_is_struct(
		kbpf_btf_type(btf, kbpf_btf_skip_modifiers(btf, id, false)));
}

/*
 * A member's type resolved to a size, as Linux's __btf_resolve_size():
 * modifiers and typedefs skipped, nested arrays flattened into one.
 */
struct kbpf_btf_sized {
	const struct btf_type *type;	/* the outer array, or the type */
	const struct btf_type *elem;	/* the type under every array */
	u32 size;			/* of the whole (array) */
	u32 nelems;			/* product of the arrays' lengths */
	u32 elem_id;			/* the innermost array's element id */
	u32 id;				/* the type's id after modifiers */
};

static int kbpf_btf_resolve_size(const struct kbpf_btf *btf, u32 id,
				 struct kbpf_btf_sized *r)
{
	const struct btf_type *t = kbpf_btf_type(btf, id);
	const struct btf_array *arr;
	u32 i, size, nelems = 1;

	r->type = NULL;
	r->elem_id = 0;
	r->id = id;
	for (i = 0; i < KBPF_BTF_MAX_CHAIN && t; i++) {
		switch (kbpf_btf_kind(t)) {
		case BTF_KIND_INT:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_FLOAT:
		case BTF_KIND_ENUM64:
			size = t->size;
			goto resolved;
		case BTF_KIND_PTR:
			size = KBPF_BTF_PTR_SIZE;
			goto resolved;
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			r->id = t->type;
			t = kbpf_btf_type(btf, t->type);
			break;
		case BTF_KIND_ARRAY:
			if (!r->type)
				r->type = t;
			arr = (const struct btf_array *)(t + 1);
			if (nelems && arr->nelems > U32_MAX / nelems)
				return -EINVAL;
			nelems *= arr->nelems;
			r->elem_id = arr->type;
			t = kbpf_btf_type(btf, arr->type);
			break;
		default:
			return -EINVAL;
		}
	}
	/* void, or a chain too long (a cycle in a malformed blob). */
	return -EINVAL;

resolved:
	if (nelems && size > U32_MAX / nelems)
		return -EINVAL;
	r->size = nelems * size;
	r->nelems = nelems;
	r->elem = t;
	if (!r->type)
		r->type = t;
	return 0;
}

/* A struct walk in progress: where it is, and what it reports. */
struct kbpf_btf_walk {
	const struct kbpf_btf *btf;
	const struct btf_type *t;	/* the struct or union it is in */
	const char *tname;
	u32 off;			/* of the read, in t */
	u32 size;
	u32 *next_id;
	char *msg;
	size_t msg_size;
};

/* kbpf_btf_walk_*(): go on in w->t at w->off (not a kbpf_btf_walk_result). */
#define KBPF_BTF_WALK_ENTER 2

static __printf(3, 4) int kbpf_btf_walk_fail(struct kbpf_btf_walk *w, int err,
					     const char *fmt, ...)
{
	va_list args;

	if (w->msg && w->msg_size) {
		va_start(args, fmt);
		vsnprintf(w->msg, w->msg_size, fmt, args);
		va_end(args);
	}
	return err;
}

static u32 kbpf_btf_member_bit_off(const struct btf_type *t,
				   const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m->offset) :
					 m->offset;
}

static u32 kbpf_btf_member_bits(const struct btf_type *t,
				const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) :
					 0;
}

bool kbpf_btf_starts_with(const struct kbpf_btf *btf, u32 id, u32 target)
{
	const struct btf_type *t;
	const struct btf_member *first;
	u32 depth;

	for (depth = 0; depth <= KBPF_BTF_MAX_CHAIN; depth++) {
		id = kbpf_btf_skip_modifiers(btf, id, false);
		if (id && id == kbpf_btf_skip_modifiers(btf, target, false))
			return true;
		t = kbpf_btf_type(btf, id);
		if (!kbpf_btf_kind_is_struct(t) || !kbpf_btf_vlen(t))
			return false;
		first = (const struct btf_member *)(t + 1);
		if (kbpf_btf_member_bit_off(t, first))
			return false;
		id = first->type;
	}
	return false;
}

/*
 * A read that ends past w->t: allowed only into a trailing flexible array
 * (no elements) of ints (a number) or of structs (the walk goes on in the
 * element the read starts in).
 */
static int kbpf_btf_walk_flex(struct kbpf_btf_walk *w)
{
	const struct kbpf_btf *btf = w->btf;
	const struct btf_type *t = w->t, *at, *et;
	const struct btf_member *last;
	const struct btf_array *arr;
	u32 vlen = kbpf_btf_vlen(t), moff;

	if (!vlen)
		goto beyond;
	last = (const struct btf_member *)(t + 1) + vlen - 1;
	at = kbpf_btf_type(btf, kbpf_btf_skip_modifiers(btf, last->type,
							 false));
	if (!kbpf_btf_kind_is(at, BTF_KIND_ARRAY))
		goto beyond;
	arr = (const struct btf_array *)(at + 1);
	if (arr->nelems)
		goto beyond;
	moff = kbpf_btf_member_bit_off(t, last) / 8;
	if (w->off < moff)
		goto beyond;
	et = kbpf_btf_type(btf, kbpf_btf_skip_modifiers(btf, arr->type,
							 false));
	if (kbpf_btf_kind_is(et, BTF_KIND_INT))
		return KBPF_BTF_WALK_SCALAR;
	if (!kbpf_btf_kind_is_struct(et) || !et->size)
		goto beyond;
	w->off = (w->off - moff) % et->size;
	w->t = et;
	return KBPF_BTF_WALK_ENTER;

beyond:
	return kbpf_btf_walk_fail(w, -EACCES,
				  "access beyond struct %s at off %u size %u",
				  w->tname, w->off, w->size);
}

/*
 * The member of w->t that @m describes, which the read overlaps (its
 * resolved type in @r): enter it, or the result.
 */
static int kbpf_btf_walk_member(struct kbpf_btf_walk *w,
				const struct btf_member *m, u64 moff,
				struct kbpf_btf_sized *r)
{
	const struct kbpf_btf *btf = w->btf;
	const char *mname = kbpf_btf_name(btf, m->name_off);
	const struct btf_type *mtype = r->type;
	u64 mtrue_end = moff + r->size, msize = r->size;
	u32 mid = r->id, sid;

	if (kbpf_btf_kind_is(mtype, BTF_KIND_ARRAY)) {
		/*
		 * The arrays, however nested, as one of their elements:
		 * the one the read starts in. The member still ends where
		 * the array does, so an array of numbers may be read as
		 * bytes anywhere inside it.
		 */
		msize /= r->nelems;
		moff += (w->off - moff) / msize * msize;
		mtype = r->elem;
		mid = r->elem_id;
	}
	if (kbpf_btf_kind_is_struct(mtype)) {
		if (w->off == moff) {
			/*
			 * Linux returns WALK_STRUCT, and its caller walks
			 * type mid at 0: the id an array element names, which
			 * may be a typedef or a modifier (then it refuses
			 * the read: "Type ... is not a struct").
			 */
			w->t = kbpf_btf_type(btf, mid);
			w->off = 0;
		} else {
			w->t = mtype;
			w->off -= (u32)moff;
		}
		return KBPF_BTF_WALK_ENTER;
	}
	if (kbpf_btf_kind_is(mtype, BTF_KIND_PTR)) {
		if (msize != w->size || moff != w->off)
			return kbpf_btf_walk_fail(w, -EACCES,
				"cannot access ptr member %s with moff %u in struct %s with off %u size %u",
				mname, (u32)moff, w->tname, w->off, w->size);
		sid = kbpf_btf_skip_modifiers(btf, mtype->type, false);
		if (kbpf_btf_kind_is_struct(kbpf_btf_type(btf, sid))) {
			*w->next_id = sid;
			return KBPF_BTF_WALK_PTR;
		}
	}
	if ((u64)w->off + w->size > mtrue_end)
		return kbpf_btf_walk_fail(w, -EACCES,
			"access beyond the end of member %s (mend:%u) in struct %s with off %u size %u",
			mname, (u32)mtrue_end, w->tname, w->off, w->size);
	return KBPF_BTF_WALK_SCALAR;
}

/* The members of w->t, in order, for the one the read is in. */
static int kbpf_btf_walk_members(struct kbpf_btf_walk *w)
{
	const struct btf_type *t = w->t;
	const struct btf_member *m = (const struct btf_member *)(t + 1);
	u64 end = (u64)w->off + w->size, bit_off, moff;
	u32 vlen = kbpf_btf_vlen(t), i, bits;
	struct kbpf_btf_sized r;

	for (i = 0; i < vlen; i++, m++) {
		bit_off = kbpf_btf_member_bit_off(t, m);
		moff = bit_off / 8;
		if (end <= moff)
			break;	/* this member and those after: too far */
		bits = kbpf_btf_member_bits(t, m);
		if (bits) {
			/*
			 * A bitfield is a number to a read that covers all
			 * of it; a read of part of it goes on to the next
			 * members (and so fails if no other member has the
			 * bytes). off <= moff: clang leaves unnamed
			 * bitfields out of BTF, so the read may start before.
			 */
			if (w->off <= moff &&
			    KBPF_BTF_BYTES(bit_off + bits) <= end)
				return KBPF_BTF_WALK_SCALAR;
			continue;
		}
		if (w->off < moff)
			break;	/* in a hole */
		if (kbpf_btf_resolve_size(w->btf, m->type, &r))
			return kbpf_btf_walk_fail(w, -EFAULT,
						  "field %s doesn't have size",
						  kbpf_btf_name(w->btf,
								m->name_off));
		/* Past the member (or an empty one: size 0, no division). */
		if (w->off >= moff + r.size)
			continue;
		return kbpf_btf_walk_member(w, m, moff, &r);
	}
	return kbpf_btf_walk_fail(w, -EINVAL,
				  "struct %s doesn't have field at offset %d",
				  w->tname, (s32)w->off);
}

int kbpf_btf_struct_walk(const struct kbpf_btf *btf, u32 struct_id, u32 off,
			 u32 size, u32 *next_id, char *msg, size_t msg_size)
{
	struct kbpf_btf_walk w = {
		.btf = btf,
		.t = kbpf_btf_type(btf, struct_id),
		.off = off,
		.size = size,
		.next_id = next_id,
		.msg = msg,
		.msg_size = msg_size,
	};
	int depth, ret;

	if (msg && msg_size)
		msg[0] = '\0';
	for (depth = 0; depth <= KBPF_BTF_MAX_NESTING; depth++) {
		w.tname = w.t ? kbpf_btf_name(btf, w.t->name_off) : "";
		if (!kbpf_btf_kind_is_struct(w.t))
			return kbpf_btf_walk_fail(&w, -EINVAL,
						  "Type '%s' is not a struct",
						  w.tname);
		if ((u64)w.off + w.size > w.t->size)
			ret = kbpf_btf_walk_flex(&w);
		else
			ret = kbpf_btf_walk_members(&w);
		if (ret != KBPF_BTF_WALK_ENTER)
			return ret;
	}
	return kbpf_btf_walk_fail(&w, -E2BIG,
				  "struct %s nests structs more than %d deep",
				  w.tname, KBPF_BTF_MAX_NESTING);
}
