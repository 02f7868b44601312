// The CO-RE relocation engine (core_relo.hpp). A relocation names a local
// type and an access string: "0:3:1" is element 0 of the type, its member
// 3, that member's member 1 (array elements by index). The access is
// spelled again on each target type of the same essential name, member by
// member by name; the byte offsets, sizes, values found there replace the
// local ones.
#include <algorithm>
#include <bpf/btf.h>
#include <cerrno>
#include <climits>
#include <kring/core_relo.hpp>
#include <kring/hex.hpp>

extern "C" {
#include "structure.h"
}

namespace kring::bpf {
namespace {

// Why a relocation cannot be applied; the public functions make it a
// kring::Error naming the relocation's site.
struct Refusal {
    std::string why;
};

[[noreturn]] void refuse(const std::string& why) {
    throw Refusal{why};
}

bool is_field_kind(uint32_t kind) {
    return kind <= BPF_CORE_FIELD_RSHIFT_U64;
}
bool is_enumval_kind(uint32_t kind) {
    return kind == BPF_CORE_ENUMVAL_EXISTS || kind == BPF_CORE_ENUMVAL_VALUE;
}
bool is_type_kind(uint32_t kind) {
    return (kind >= BPF_CORE_TYPE_ID_LOCAL && kind <= BPF_CORE_TYPE_SIZE) ||
           kind == BPF_CORE_TYPE_MATCHES;
}

std::string_view name_of(const btf* b, uint32_t name_off) {
    const char* name = btf__name_by_offset(b, name_off);
    return name ? name : "";
}

// A name without its "___flavor" suffix: "task_struct___v2" is
// "task_struct". A flavor separator is the last run of exactly three
// underscores with a name character on both sides.
std::string_view essential_name(std::string_view name) {
    if (name.size() < 5)
        return name;
    for (size_t at = name.size() - 4; at >= 1; at--)
        if (name.substr(at, 3) == "___" && name[at - 1] != '_' && name[at + 3] != '_')
            return name.substr(0, at);
    return name;
}

bool essential_names_equal(std::string_view a, std::string_view b) {
    return essential_name(a) == essential_name(b);
}

// Candidates and compatible fields: the same kind, enum and enum64 alike.
bool kinds_compatible(const btf_type* a, const btf_type* b) {
    return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

// The enumerator names of an enum or enum64.
std::string_view enumerator_name(const btf* b, const btf_type* t, uint32_t index) {
    return name_of(b, btf_is_enum(t) ? btf_enum(t)[index].name_off : btf_enum64(t)[index].name_off);
}

// One step of an access: a named member of a struct or union (type_id is
// the struct's), or an array element or the root's element (name empty,
// type_id the element's type).
struct Access {
    uint32_t type_id = 0;
    uint32_t index = 0;
    std::string_view name;
};

// An access string spelled on one BTF: the named steps (anonymous members
// passed through are in `raw` only) and where the field starts.
struct Spec {
    const btf* b = nullptr;
    uint32_t root_id = 0;
    std::vector<Access> steps;
    std::vector<uint32_t> raw;
    uint64_t bit_offset = 0;
};

// The access string's indexes; throws if it is not "N[:N...]".
std::vector<uint32_t> parse_indexes(std::string_view access) {
    std::vector<uint32_t> out;
    size_t at = 0;
    while (true) {
        size_t colon = std::min(access.find(':', at), access.size());
        std::string_view part = access.substr(at, colon - at);
        if (part.empty() || part.size() > 9 ||
            part.find_first_not_of("0123456789") != std::string_view::npos)
            refuse("malformed access string \"" + std::string(access) + "\"");
        out.push_back(static_cast<uint32_t>(std::stoul(std::string(part))));
        if (colon == access.size())
            return out;
        at = colon + 1;
    }
}

int64_t size_of(const btf* b, uint32_t id) {
    int64_t size = btf__resolve_size(b, id);
    if (size < 0)
        refuse("type " + std::to_string(id) + " has no size");
    return size;
}

// An array with no elements as the last member of a struct: any index.
bool is_flexible_array(const btf* b, const Access& member, const struct btf_array* array) {
    if (member.name.empty() || array->nelems)
        return false;
    return member.index + 1u == btf_vlen(btf__type_by_id(b, member.type_id));
}

std::string bad_access(const std::string& access, size_t step, const std::string& what) {
    return "access string \"" + access + "\": index " + std::to_string(step) + " " + what;
}

// The access string of `relo` spelled on the object's BTF.
Spec parse_spec(const btf* b, const CoreRelo& relo) {
    std::string access(name_of(b, relo.access_str_off));
    Spec spec{b, relo.type_id, {}, {}, 0};
    if (is_type_kind(relo.kind)) {
        if (access != "0")
            refuse("a type relocation's access string is \"0\", not \"" + access + "\"");
        return spec;
    }
    spec.raw = parse_indexes(access);
    uint32_t id = relo.type_id;
    const btf_type* t = skip_mods(b, &id);
    if (!t)
        refuse("no type " + std::to_string(relo.type_id));
    if (is_enumval_kind(relo.kind)) {
        if (!btf_is_any_enum(t) || spec.raw.size() != 1 || spec.raw[0] >= btf_vlen(t))
            refuse("access string \"" + access + "\" names no enumerator of the type");
        spec.steps.push_back({id, spec.raw[0], enumerator_name(b, t, spec.raw[0])});
        return spec;
    }
    spec.steps.push_back({id, spec.raw[0], {}});
    spec.bit_offset = uint64_t{spec.raw[0]} * size_of(b, id) * 8;
    for (size_t i = 1; i < spec.raw.size(); i++) {
        t = skip_mods(b, &id);
        uint32_t index = spec.raw[i];
        if (t && btf_is_composite(t)) {
            if (index >= btf_vlen(t))
                refuse(bad_access(access, i, "is past the last member of its struct or union"));
            spec.bit_offset += btf_member_bit_offset(t, index);
            const btf_member& m = btf_members(t)[index];
            if (m.name_off)
                spec.steps.push_back({id, index, name_of(b, m.name_off)});
            id = m.type;
        } else if (t && btf_is_array(t)) {
            const struct btf_array* array = btf_array(t);
            id = array->type;
            if (!skip_mods(b, &id))
                refuse("no type " + std::to_string(array->type));
            if (!is_flexible_array(b, spec.steps.back(), array) && index >= array->nelems)
                refuse(bad_access(access, i, "is past the end of its array"));
            spec.steps.push_back({id, index, {}});
            spec.bit_offset += uint64_t{index} * size_of(b, id) * 8;
        } else {
            refuse(bad_access(access, i,
                              "goes into a type that is neither a struct, a union "
                              "nor an array"));
        }
    }
    return spec;
}

// Whether a local field's type may be read as the target's: both structs
// or unions, or the same kind with compatible parts (libbpf's rules).
bool fields_compatible(const btf* local, uint32_t local_id, const btf* target, uint32_t target_id) {
    for (int depth = 0; depth < 32; depth++) {
        const btf_type* l = skip_mods(local, &local_id);
        const btf_type* t = skip_mods(target, &target_id);
        if (!l || !t)
            refuse("a field's type is missing from the BTF");
        if (btf_is_composite(l) && btf_is_composite(t))
            return true;
        if (!kinds_compatible(l, t))
            return false;
        switch (btf_kind(l)) {
        case BTF_KIND_PTR:
        case BTF_KIND_FLOAT:
            return true;
        case BTF_KIND_FWD:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64: {
            std::string_view ln = essential_name(name_of(local, l->name_off));
            std::string_view tn = essential_name(name_of(target, t->name_off));
            return ln.empty() || tn.empty() || ln == tn;
        }
        case BTF_KIND_INT:
            return btf_int_offset(l) == 0 && btf_int_offset(t) == 0;
        case BTF_KIND_ARRAY:
            local_id = btf_array(l)->type;
            target_id = btf_array(t)->type;
            continue;
        default:
            return false;
        }
    }
    refuse("types nested too deep");
}

// Whether function types `l` and `t` take as many parameters, each pair
// of types satisfying `same`.
template <typename Same>
bool params_all(const btf_type* l, const btf_type* t, Same same) {
    if (btf_vlen(l) != btf_vlen(t))
        return false;
    for (uint16_t i = 0; i < btf_vlen(l); i++)
        if (!same(btf_params(l)[i].type, btf_params(t)[i].type))
            return false;
    return true;
}

// Whether a local type may be the target's, for type relocations: the same
// kind; integers without bit offset; pointers, arrays and function types
// by what they point to, hold, take and return.
bool types_compatible(const btf* local, uint32_t local_id, const btf* target, uint32_t target_id,
                      int level = 32) {
    if (level <= 0)
        refuse("types nested too deep");
    for (int depth = 0; depth < 32; depth++) {
        const btf_type* l = skip_mods(local, &local_id);
        const btf_type* t = skip_mods(target, &target_id);
        if (!l || !t)
            refuse("a type is missing from the BTF");
        if (!kinds_compatible(l, t))
            return false;
        switch (btf_kind(l)) {
        case BTF_KIND_UNKN:
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
        case BTF_KIND_FWD:
            return true;
        case BTF_KIND_INT:
            return btf_int_offset(l) == 0 && btf_int_offset(t) == 0;
        case BTF_KIND_PTR:
            local_id = l->type;
            target_id = t->type;
            continue;
        case BTF_KIND_ARRAY:
            local_id = btf_array(l)->type;
            target_id = btf_array(t)->type;
            continue;
        case BTF_KIND_FUNC_PROTO:
            if (!params_all(l, t, [&](uint32_t local_param, uint32_t target_param) {
                    return types_compatible(local, local_param, target, target_param, level - 1);
                }))
                return false;
            local_id = l->type;
            target_id = t->type;
            continue;
        default:
            return false;
        }
    }
    refuse("types nested too deep");
}

// Names match for bpf_core_type_matches(): both empty, or the same
// essential name.
bool names_match(const btf* local, uint32_t local_off, const btf* target, uint32_t target_off) {
    std::string_view l = name_of(local, local_off), t = name_of(target, target_off);
    return t.empty() ? l.empty() : essential_names_equal(l, t);
}

bool types_match(const btf* local, uint32_t local_id, const btf* target, uint32_t target_id,
                 bool behind_ptr, int level = 32);

// Every local enumerator is named in the target, of the same size.
bool enums_match(const btf* local, const btf_type* l, const btf* target, const btf_type* t) {
    if (l->size != t->size || btf_vlen(l) > btf_vlen(t))
        return false;
    for (uint16_t i = 0; i < btf_vlen(l); i++) {
        uint32_t local_off = btf_is_enum(l) ? btf_enum(l)[i].name_off : btf_enum64(l)[i].name_off;
        bool found = false;
        for (uint16_t j = 0; j < btf_vlen(t) && !found; j++)
            found =
                names_match(local, local_off, target,
                            btf_is_enum(t) ? btf_enum(t)[j].name_off : btf_enum64(t)[j].name_off);
        if (!found)
            return false;
    }
    return true;
}

// Every local member has a target member of its name whose type matches.
bool composites_match(const btf* local, const btf_type* l, const btf* target, const btf_type* t,
                      bool behind_ptr, int level) {
    if (btf_vlen(l) > btf_vlen(t))
        return false;
    for (uint16_t i = 0; i < btf_vlen(l); i++) {
        const btf_member& lm = btf_members(l)[i];
        bool found = false;
        for (uint16_t j = 0; j < btf_vlen(t) && !found; j++) {
            const btf_member& tm = btf_members(t)[j];
            found = names_match(local, lm.name_off, target, tm.name_off) &&
                    types_match(local, lm.type, target, tm.type, behind_ptr, level - 1);
        }
        if (!found)
            return false;
    }
    return true;
}

// bpf_core_type_matches(): the layouts agree member by member, by name,
// down to integers' size and sign (libbpf 1.1's rules; behind a pointer a
// struct also matches a declaration of it).
bool types_match(const btf* local, uint32_t local_id, const btf* target, uint32_t target_id,
                 bool behind_ptr, int level) {
    if (level <= 0)
        refuse("types nested too deep");
    for (int depth = 0; depth < 32; depth++) {
        const btf_type* l = skip_mods(local, &local_id);
        const btf_type* t = skip_mods(target, &target_id);
        if (!l || !t)
            refuse("a type is missing from the BTF");
        if (!names_match(local, l->name_off, target, t->name_off))
            return false;
        bool same_kind = btf_kind(l) == btf_kind(t);
        switch (btf_kind(l)) {
        case BTF_KIND_UNKN:
            return same_kind;
        case BTF_KIND_FWD:
            if (same_kind)
                return btf_kflag(l) == btf_kflag(t);
            return behind_ptr &&
                   ((btf_is_struct(t) && !btf_kflag(l)) || (btf_is_union(t) && btf_kflag(l)));
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
            return btf_is_any_enum(t) && enums_match(local, l, target, t);
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
            if (behind_ptr)
                return same_kind || (btf_is_fwd(t) && btf_is_union(l) == btf_kflag(t));
            return same_kind && composites_match(local, l, target, t, behind_ptr, level);
        case BTF_KIND_INT:
            return same_kind && l->size == t->size &&
                   (btf_int_encoding(l) & BTF_INT_SIGNED) == (btf_int_encoding(t) & BTF_INT_SIGNED);
        case BTF_KIND_PTR:
            if (!same_kind)
                return false;
            behind_ptr = true;
            local_id = l->type;
            target_id = t->type;
            continue;
        case BTF_KIND_ARRAY:
            if (!same_kind || btf_array(l)->nelems != btf_array(t)->nelems)
                return false;
            local_id = btf_array(l)->type;
            target_id = btf_array(t)->type;
            continue;
        case BTF_KIND_FUNC_PROTO:
            if (!same_kind || !params_all(l, t, [&](uint32_t local_param, uint32_t target_param) {
                    return types_match(local, local_param, target, target_param, behind_ptr,
                                       level - 1);
                }))
                return false;
            local_id = l->type;
            target_id = t->type;
            continue;
        default:
            return false;
        }
    }
    refuse("types nested too deep");
}

// Finds the local member `step` names among the members of target type
// `target_id`, looking inside anonymous structs and unions, and adds it to
// `spec`; *next_id is its type.
bool match_member(const btf* local, const Access& step, const btf* target, uint32_t target_id,
                  Spec& spec, uint32_t* next_id) {
    const btf_type* t = skip_mods(target, &target_id);
    if (!t)
        refuse("a target type is missing from its BTF");
    if (!btf_is_composite(t))
        return false;
    const btf_member& local_member = btf_members(btf__type_by_id(local, step.type_id))[step.index];
    for (uint16_t i = 0; i < btf_vlen(t); i++) {
        const btf_member& m = btf_members(t)[i];
        uint32_t offset = btf_member_bit_offset(t, i);
        std::string_view name = name_of(target, m.name_off);
        spec.bit_offset += offset;
        spec.raw.push_back(i);
        if (name.empty()) {
            if (match_member(local, step, target, m.type, spec, next_id))
                return true;
        } else if (name == step.name) {
            if (!fields_compatible(local, local_member.type, target, m.type))
                return false;
            spec.steps.push_back({target_id, i, name});
            *next_id = m.type;
            return true;
        }
        spec.bit_offset -= offset;
        spec.raw.pop_back();
    }
    return false;
}

// The local spec spelled on target type `candidate`, if the candidate has
// everything it names.
std::optional<Spec> match_spec(const Spec& local, uint32_t kind, const btf* target,
                               uint32_t candidate) {
    Spec spec{target, candidate, {}, {}, 0};
    if (is_type_kind(kind)) {
        bool matches = kind == BPF_CORE_TYPE_MATCHES
                           ? types_match(local.b, local.root_id, target, candidate, false)
                           : types_compatible(local.b, local.root_id, target, candidate);
        return matches ? std::optional(spec) : std::nullopt;
    }
    uint32_t id = candidate;
    if (is_enumval_kind(kind)) {
        const btf_type* t = skip_mods(target, &id);
        if (!t || !btf_is_any_enum(t))
            return std::nullopt;
        for (uint16_t i = 0; i < btf_vlen(t); i++)
            if (essential_names_equal(enumerator_name(target, t, i), local.steps[0].name)) {
                spec.steps.push_back({id, i, enumerator_name(target, t, i)});
                spec.raw.push_back(i);
                return spec;
            }
        return std::nullopt;
    }
    for (size_t i = 0; i < local.steps.size(); i++) {
        const Access& step = local.steps[i];
        const btf_type* t = skip_mods(target, &id);
        if (!t)
            refuse("a target type is missing from its BTF");
        if (!step.name.empty()) {
            if (!match_member(local.b, step, target, id, spec, &id))
                return std::nullopt;
            continue;
        }
        if (i > 0) {
            if (!btf_is_array(t))
                return std::nullopt;
            const struct btf_array* array = btf_array(t);
            if (!is_flexible_array(target, spec.steps.back(), array) && step.index >= array->nelems)
                return std::nullopt;
            id = array->type;
            if (!skip_mods(target, &id))
                refuse("a target type is missing from its BTF");
        }
        spec.steps.push_back({id, step.index, {}});
        spec.raw.push_back(step.index);
        spec.bit_offset += uint64_t{step.index} * size_of(target, id) * 8;
    }
    return spec;
}

// A field relocation's value on one side: `spec` null when the target has
// no such field.
struct FieldValue {
    uint64_t value = 0;
    uint32_t size = 0;    // a plain field's size, for loads at its offset
    uint32_t type_id = 0; // and its type
    bool exact = true;    // not a bitfield, whose offset and size clang may choose otherwise
};

FieldValue field_value(uint32_t kind, const Spec& spec) {
    const Access& last = spec.steps.back();
    FieldValue out;
    if (kind == BPF_CORE_FIELD_EXISTS) {
        out.value = 1;
        return out;
    }
    if (last.name.empty()) { // an array element, or the root itself
        if (kind != BPF_CORE_FIELD_BYTE_OFFSET && kind != BPF_CORE_FIELD_BYTE_SIZE)
            refuse("an array element has no signedness or bit shifts: the relocation needs a "
                   "field");
        uint64_t size = size_of(spec.b, last.type_id);
        out.value = kind == BPF_CORE_FIELD_BYTE_OFFSET ? spec.bit_offset / 8 : size;
        out.size = static_cast<uint32_t>(size);
        out.type_id = last.type_id;
        return out;
    }
    const btf_type* parent = btf__type_by_id(spec.b, last.type_id);
    uint32_t type_id = btf_members(parent)[last.index].type;
    const btf_type* type = skip_mods(spec.b, &type_id);
    uint64_t bit_offset = spec.bit_offset;
    uint32_t bit_size = btf_member_bitfield_size(parent, last.index);
    uint64_t byte_size, byte_offset;
    if (bit_size) {
        // The smallest aligned load of the bitfield's type, or of twice
        // its size..., that holds all its bits.
        byte_size = type->size;
        byte_offset = bit_offset / 8 / byte_size * byte_size;
        while (bit_offset + bit_size - byte_offset * 8 > byte_size * 8) {
            if (byte_size >= 8)
                refuse("the bitfield cannot be read with one 8-byte load");
            byte_size *= 2;
            byte_offset = bit_offset / 8 / byte_size * byte_size;
        }
        out.exact = false;
    } else {
        byte_size = size_of(spec.b, type_id);
        byte_offset = bit_offset / 8;
        bit_size = static_cast<uint32_t>(byte_size * 8);
        out.size = static_cast<uint32_t>(byte_size);
        out.type_id = type_id;
    }
    switch (kind) {
    case BPF_CORE_FIELD_BYTE_OFFSET:
        out.value = byte_offset;
        break;
    case BPF_CORE_FIELD_BYTE_SIZE:
        out.value = byte_size;
        break;
    case BPF_CORE_FIELD_SIGNED:
        out.value = (btf_is_any_enum(type) && btf_kflag(type)) ||
                    (btf_is_int(type) && (btf_int_encoding(type) & BTF_INT_SIGNED));
        out.exact = true;
        break;
    case BPF_CORE_FIELD_LSHIFT_U64: // little-endian
        out.value = 64 - (bit_offset + bit_size - byte_offset * 8);
        break;
    case BPF_CORE_FIELD_RSHIFT_U64:
        out.value = 64 - bit_size;
        out.exact = true;
        break;
    }
    return out;
}

uint64_t enumerator_value(const Spec& spec) {
    const btf_type* t = btf__type_by_id(spec.b, spec.steps[0].type_id);
    const Access& e = spec.steps[0];
    if (btf_is_enum(t)) // its value's sign as the enum's
        return btf_kflag(t) ? static_cast<uint64_t>(int64_t{btf_enum(t)[e.index].val})
                            : static_cast<uint32_t>(btf_enum(t)[e.index].val);
    return btf_enum64_value(&btf_enum64(t)[e.index]);
}

// The relocation's result with `target` the matching target spec, or null
// when no target type has what it names.
CoreResult compute(const CoreRelo& relo, const Spec& local, const Spec* target) {
    CoreResult out;
    if (is_field_kind(relo.kind)) {
        FieldValue l = field_value(relo.kind, local);
        out.local_value = l.value;
        out.check_local = l.exact;
        out.local_size = l.size;
        if (!target) {
            out.unresolved = relo.kind != BPF_CORE_FIELD_EXISTS;
            return out;
        }
        FieldValue t = field_value(relo.kind, *target);
        out.target_value = t.value;
        out.target_size = t.size;
        if (l.size != t.size) {
            const btf_type* lt = btf__type_by_id(local.b, l.type_id);
            const btf_type* tt = btf__type_by_id(target->b, t.type_id);
            bool unsigned_ints = lt && tt && btf_is_int(lt) && btf_is_int(tt) &&
                                 !(btf_int_encoding(lt) & BTF_INT_SIGNED) &&
                                 !(btf_int_encoding(tt) & BTF_INT_SIGNED);
            out.size_adjustable = (lt && tt && btf_is_ptr(lt) && btf_is_ptr(tt)) || unsigned_ints;
        }
    } else if (is_enumval_kind(relo.kind)) {
        bool value = relo.kind == BPF_CORE_ENUMVAL_VALUE;
        out.local_value = value ? enumerator_value(local) : 1;
        out.target_value = !target ? 0 : value ? enumerator_value(*target) : 1;
        out.unresolved = !target && value;
    } else {
        // A type's size, its id, or 1 for exists and matches; 0 without
        // a target type.
        auto value = [&](const Spec& spec) -> uint64_t {
            if (relo.kind == BPF_CORE_TYPE_SIZE)
                return size_of(spec.b, spec.root_id);
            return relo.kind == BPF_CORE_TYPE_ID_TARGET ? spec.root_id : 1;
        };
        out.local_value = value(local);
        out.target_value = target ? value(*target) : 0;
        out.check_local = relo.kind != BPF_CORE_TYPE_ID_TARGET; // ids change when objects link
    }
    return out;
}

std::string value_text(const CoreResult& r) {
    return r.unresolved ? "unresolved" : std::to_string(r.target_value);
}

} // namespace

std::vector<uint32_t> CoreRelocator::candidates(uint32_t local_id) {
    if (by_essential_name_.empty())
        for (uint32_t id = 1; id < btf__type_cnt(target_); id++) {
            std::string_view name = name_of(target_, btf__type_by_id(target_, id)->name_off);
            if (!name.empty())
                by_essential_name_[std::string(essential_name(name))].push_back(id);
        }
    const btf_type* local = btf__type_by_id(local_, local_id);
    std::vector<uint32_t> out;
    auto it =
        by_essential_name_.find(std::string(essential_name(name_of(local_, local->name_off))));
    if (it != by_essential_name_.end())
        for (uint32_t id : it->second)
            if (kinds_compatible(local, btf__type_by_id(target_, id)))
                out.push_back(id);
    return out;
}

CoreResult CoreRelocator::resolve(const CoreRelo& relo, const std::string& site) {
    try {
        return resolve_or_refuse(relo);
    } catch (const Refusal& r) {
        throw Error(EINVAL, site + ": " + r.why);
    }
}

CoreResult CoreRelocator::resolve_or_refuse(const CoreRelo& relo) {
    if (!is_field_kind(relo.kind) && !is_enumval_kind(relo.kind) && !is_type_kind(relo.kind))
        refuse("unknown relocation kind " + std::to_string(relo.kind));
    const btf_type* local_type = btf__type_by_id(local_, relo.type_id);
    if (!local_type)
        refuse("no type " + std::to_string(relo.type_id) + " in the object's BTF");
    Spec local = parse_spec(local_, relo);
    if (relo.kind == BPF_CORE_TYPE_ID_LOCAL) {
        CoreResult same;
        same.local_value = same.target_value = relo.type_id;
        same.check_local = false; // the id may have changed when objects were linked
        return same;
    }
    std::string_view local_name = name_of(local_, local_type->name_off);
    if (local_name.empty())
        refuse("an anonymous type cannot be found in the target");
    std::vector<uint32_t> candidates = this->candidates(relo.type_id);
    std::optional<CoreResult> chosen;
    std::optional<Spec> chosen_spec;
    for (uint32_t candidate : candidates) {
        std::optional<Spec> spec = match_spec(local, relo.kind, target_, candidate);
        if (!spec)
            continue;
        CoreResult result = compute(relo, local, &*spec);
        if (!chosen) {
            chosen = result;
            chosen_spec = spec;
        } else if (spec->bit_offset != chosen_spec->bit_offset ||
                   result.target_value != chosen->target_value) {
            refuse("ambiguous: target types " + std::to_string(chosen_spec->root_id) + " and " +
                   std::to_string(candidate) + " both match " + std::string(local_name) +
                   " and give " + value_text(*chosen) + " (bit offset " +
                   std::to_string(chosen_spec->bit_offset) + ") and " + value_text(result) +
                   " (bit offset " + std::to_string(spec->bit_offset) + ")");
        }
    }
    if (chosen)
        return *chosen;
    CoreResult missing = compute(relo, local, nullptr);
    if (missing.unresolved) {
        const char* what = is_enumval_kind(relo.kind) ? "enumerator" : "field";
        missing.unresolved_reason =
            candidates.empty()
                ? "the target kernel has no " + describe_btf_type(local_, relo.type_id)
                : "no such " + std::string(what) + " in the target kernel's " +
                      describe_btf_type(target_, candidates.front());
    }
    return missing;
}

namespace {

void poison(bpf_insn& insn) {
    insn = {};
    insn.code = BPF_JMP | BPF_CALL;
    insn.imm = kUnresolvedCoreHelper;
}

std::optional<uint8_t> size_code(uint32_t bytes) {
    switch (bytes) {
    case 1:
        return BPF_B;
    case 2:
        return BPF_H;
    case 4:
        return BPF_W;
    case 8:
        return BPF_DW;
    default:
        return std::nullopt;
    }
}

[[noreturn]] void unexpected_value(const char* what, uint64_t held, const CoreResult& r) {
    refuse(std::string("the instruction's ") + what + " is " + std::to_string(held) + ", not the " +
           std::to_string(r.local_value) +
           " the object's BTF gives (built against other types than the object describes?)");
}

} // namespace

namespace {

std::optional<std::string> patch_or_refuse(std::span<bpf_insn> insns, size_t at,
                                           const CoreResult& r) {
    if (at >= insns.size())
        refuse("no instruction " + std::to_string(at) + " (the section has " +
               std::to_string(insns.size()) + ")");
    bpf_insn& insn = insns[at];
    uint8_t cls = BPF_CLASS(insn.code);
    if (cls == BPF_ALU || cls == BPF_ALU64) {
        if (BPF_SRC(insn.code) != BPF_K)
            refuse("an ALU instruction with a register operand carries no relocated value");
        if (r.unresolved) {
            poison(insn);
            return r.unresolved_reason;
        }
        uint64_t held = static_cast<uint64_t>(int64_t{insn.imm});
        if (r.check_local && held != r.local_value &&
            !(cls == BPF_ALU && static_cast<uint32_t>(held) == r.local_value))
            unexpected_value("immediate", held, r);
        bool fits = static_cast<uint64_t>(int64_t{static_cast<int32_t>(r.target_value)}) ==
                        r.target_value ||
                    (cls == BPF_ALU && r.target_value <= UINT32_MAX);
        if (!fits)
            refuse("the value " + std::to_string(r.target_value) +
                   " does not fit the instruction's 32-bit immediate");
        insn.imm = static_cast<int32_t>(r.target_value);
        return std::nullopt;
    }
    if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
        if (r.unresolved) {
            poison(insn);
            return r.unresolved_reason;
        }
        if (r.check_local && static_cast<uint64_t>(int64_t{insn.off}) != r.local_value)
            unexpected_value("offset", static_cast<uint64_t>(int64_t{insn.off}), r);
        if (r.target_value > SHRT_MAX)
            refuse("the offset " + std::to_string(r.target_value) +
                   " does not fit the instruction's 16-bit offset");
        if (r.local_size != r.target_size && !r.size_adjustable) {
            poison(insn);
            return "the field is " + std::to_string(r.target_size) + " bytes in the target, not " +
                   std::to_string(r.local_size) +
                   ", and only pointers and unsigned integers may be read with another size";
        }
        insn.off = static_cast<int16_t>(r.target_value);
        if (r.local_size != r.target_size) {
            if (kbpf_access_bytes(insn.code) != r.local_size)
                refuse("the instruction accesses " + std::to_string(kbpf_access_bytes(insn.code)) +
                       " bytes of a field of " + std::to_string(r.local_size));
            std::optional<uint8_t> size = size_code(r.target_size);
            if (!size)
                refuse("the field is " + std::to_string(r.target_size) +
                       " bytes in the target: no load or store has that size");
            insn.code = static_cast<uint8_t>(BPF_MODE(insn.code) | *size | cls);
        }
        return std::nullopt;
    }
    if (insn.code == (BPF_LD | BPF_IMM | BPF_DW)) {
        if (at + 1 >= insns.size() || insn.src_reg || insn.off || insns[at + 1].code ||
            insns[at + 1].dst_reg || insns[at + 1].src_reg || insns[at + 1].off)
            refuse("the LD_IMM64 instruction is not a plain 64-bit constant");
        if (r.unresolved) {
            poison(insn);
            poison(insns[at + 1]);
            return r.unresolved_reason;
        }
        uint64_t held = static_cast<uint32_t>(insn.imm) |
                        (uint64_t{static_cast<uint32_t>(insns[at + 1].imm)} << 32);
        if (r.check_local && held != r.local_value)
            unexpected_value("value", held, r);
        insn.imm = static_cast<int32_t>(r.target_value);
        insns[at + 1].imm = static_cast<int32_t>(r.target_value >> 32);
        return std::nullopt;
    }
    refuse("instruction code 0x" + to_hex(std::as_bytes(std::span(&insn.code, 1))) +
           " carries no relocatable value (an ALU immediate, a load's or store's offset, a "
           "LD_IMM64 constant)");
}

} // namespace

std::optional<std::string> patch_core_insn(std::span<bpf_insn> insns, size_t at,
                                           const CoreResult& result, const std::string& site) {
    try {
        return patch_or_refuse(insns, at, result);
    } catch (const Refusal& r) {
        throw Error(EINVAL, site + ": " + r.why);
    }
}

std::string explain_core_rejection(const Program& prog, const std::string& log) {
    for (const UnresolvedCoreRelo& u : prog.unresolved_core) {
        std::string at = "insn " + std::to_string(u.insn) + ": unknown helper " +
                         std::to_string(kUnresolvedCoreHelper);
        if (log.find(at) != std::string::npos)
            return "insn " + std::to_string(u.insn) +
                   ": CO-RE relocation could not be resolved: " + u.description + "\n" + log;
    }
    return log;
}

} // namespace kring::bpf
