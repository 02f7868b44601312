/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's BTF, as the verifier reads it: the types of a tp_btf
 * program's arguments and of the structs its pointers reach. Portable C:
 * the module parses /sys/kernel/btf/vmlinux with it, the userspace tools
 * parse --btf files (or the running kernel's) with the same code.
 *
 * Parsing checks the whole blob before anything reads it (a userspace tool
 * may be given any file): every type record inside the type section, every
 * type it names an existing id, every name a NUL-terminated string inside
 * the string section. After that the queries below never read out of bounds,
 * and every chain they follow is bounded (modifier and typedef chains, array
 * nesting), so a malicious blob can only make them return errors.
 */
#ifndef KBPF_KBPF_BTF_H
#define KBPF_KBPF_BTF_H

#include "kbpf_platform.h"
#include <linux/btf.h>

struct kbpf_btf;

/*
 * Parses the @size bytes at @data, which must be 4-byte aligned (the records
 * are read in place) and stay valid and unchanged until kbpf_btf_free().
 * Only BTF in this machine's byte order is accepted. Returns 0 and *@out, or
 * -EINVAL (malformed: @why, if not NULL, gets a static string that says
 * what), -ENOMEM.
 */
int kbpf_btf_parse(const void *data, u32 size, struct kbpf_btf **out,
		   const char **why);
void kbpf_btf_free(struct kbpf_btf *btf);

/* Type ids run from 1 to kbpf_btf_nr_types() - 1; 0 is void. */
u32 kbpf_btf_nr_types(const struct kbpf_btf *btf);
/* The type @id; NULL for 0 (void) and for ids out of range. */
const struct btf_type *kbpf_btf_type(const struct kbpf_btf *btf, u32 id);
/* The string at @name_off; "" when out of range. */
const char *kbpf_btf_name(const struct kbpf_btf *btf, u32 name_off);
/* The name of type @id ("" for anonymous types and void). */
const char *kbpf_btf_type_name(const struct kbpf_btf *btf, u32 id);
/*
 * Linux's name for @id's kind as its verifier prints it (btf_type_str():
 * "STRUCT", "PTR", "INT", "UNION", "TYPEDEF", ...), for messages. Void (0)
 * is "UNKNOWN", as Linux's btf_type_str(btf_type_by_id(btf, 0)); so is an
 * id out of range.
 */
const char *kbpf_btf_kind_str(const struct kbpf_btf *btf, u32 id);

/*
 * @id with const, volatile, restrict, type tags and typedefs skipped (the
 * id of what they name; 0 for void). With @keep_typedefs, typedefs stop the
 * walk (Linux's btf_type_skip_modifiers() skips them too: false is what the
 * verifier rules use). A chain longer than 32 gives 0.
 */
u32 kbpf_btf_skip_modifiers(const struct kbpf_btf *btf, u32 id,
			    bool keep_typedefs);

/* The id of the type named @name of kind @kind (BTF_KIND_*), or 0. */
u32 kbpf_btf_find(const struct kbpf_btf *btf, const char *name, u8 kind);

/* @id after modifiers is a struct or a union. */
bool kbpf_btf_is_struct(const struct kbpf_btf *btf, u32 id);

/*
 * Struct or union @id is @target, or starts with it: its first member, at
 * offset 0, is @target or starts with it (struct sock with its struct
 * sock_common), as Linux's btf_struct_ids_match() matches a pointer at
 * offset 0 to a helper's argument type. Modifiers and typedefs are skipped;
 * nesting deeper than 32 gives false.
 */
bool kbpf_btf_starts_with(const struct kbpf_btf *btf, u32 id, u32 target);

/*
 * What a read of @size bytes at byte @off of struct or union @struct_id
 * finds, as Linux's btf_struct_access() walks it for a PTR_TO_BTF_ID:
 * through nested structs, unions and arrays, down to the field the bytes
 * belong to.
 */
enum kbpf_btf_walk_result {
	KBPF_BTF_WALK_SCALAR,	/* a number (int, enum, bitfield, array bytes) */
	KBPF_BTF_WALK_PTR,	/* a pointer to struct/union *@next_id */
};

/*
 * Returns a kbpf_btf_walk_result (>= 0), or a negative errno with @msg
 * (@msg_size bytes, if not NULL) holding Linux's message for the refusal,
 * without a trailing newline:
 *   -EACCES "access beyond struct %s at off %u size %u"
 *   -EACCES "cannot access ptr member %s with moff %u in struct %s with off %u size %u"
 *   -EACCES "access beyond the end of member %s (mend:%u) in struct %s with off %u size %u"
 *   -EINVAL "struct %s doesn't have field at offset %d"
 *   -EINVAL "Type '%s' is not a struct"
 *   -EFAULT "field %s doesn't have size"
 * and one of kring's own, for what Linux's BTF checks would have refused
 * (a struct that contains itself):
 *   -E2BIG  "struct %s nests structs more than 32 deep"
 * A read of any pointer member must be exactly the member (8 bytes at its
 * offset), else it is refused; it gives KBPF_BTF_WALK_PTR when the pointer
 * points (after modifiers and typedefs) to a struct or union, a number
 * otherwise, as in Linux. A trailing flexible array (no elements) of
 * structs or ints may be read past the struct's end, as in Linux. A read at
 * the very start of a struct-typed element of an array whose element type
 * is a typedef or modifier (an array of atomic_t, say) is refused with
 * "Type '<typedef>' is not a struct", as Linux 6.1 refuses it (its walk
 * goes on in the array's element type id, unresolved).
 */
int kbpf_btf_struct_walk(const struct kbpf_btf *btf, u32 struct_id, u32 off,
			 u32 size, u32 *next_id, char *msg, size_t msg_size);

#endif /* KBPF_KBPF_BTF_H */
