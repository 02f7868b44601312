// .BTF.ext, as clang writes it next to .BTF: a header giving the offset and
// length of each part (function info, line info and, when the header is long
// enough, CO-RE relocations), offsets counted from the end of the header.
// Each part starts with its record size, then blocks of records, one block
// per code section: the section's name (a .BTF string offset), the number of
// records, the records. Only the CO-RE part is read here.
#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <kring/btf_ext.hpp>
#include <kring/kring.hpp>

namespace kring::bpf {
namespace {

constexpr uint16_t kBtfMagic = 0xeb9f;
constexpr size_t kMinHeader = 24;  // magic, version, flags, header length, func and line info
constexpr size_t kCoreHeader = 32; // ... and the CO-RE part's offset and length
constexpr size_t kCoreReloSize = 16;

class Reader {
public:
    Reader(const std::string& path, std::span<const std::byte> bytes)
        : path_(path), bytes_(bytes) {}

    uint32_t u32(size_t at) const {
        uint32_t v;
        need(at, sizeof(v));
        std::memcpy(&v, bytes_.data() + at, sizeof(v));
        return v;
    }
    uint16_t u16(size_t at) const {
        uint16_t v;
        need(at, sizeof(v));
        std::memcpy(&v, bytes_.data() + at, sizeof(v));
        return v;
    }
    uint8_t u8(size_t at) const {
        need(at, 1);
        return static_cast<uint8_t>(bytes_[at]);
    }
    void need(size_t at, size_t len) const {
        if (at > bytes_.size() || len > bytes_.size() - at)
            malformed("it ends at byte " + std::to_string(bytes_.size()) + ", " +
                      std::to_string(len) + " bytes at " + std::to_string(at) + " are missing");
    }
    [[noreturn]] void malformed(const std::string& what) const {
        throw Error(EINVAL, path_ + ": malformed .BTF.ext: " + what);
    }

private:
    const std::string& path_;
    std::span<const std::byte> bytes_;
};

const char* kind_name(uint32_t kind, const char** category) {
    struct Kind {
        const char* category;
        const char* name;
    };
    static const Kind kinds[] = {
        {"field", "byte offset"},  {"field", "byte size"},      {"field", "existence"},
        {"field", "signedness"},   {"field", "left shift"},     {"field", "right shift"},
        {"type", "local type id"}, {"type", "target type id"},  {"type", "existence"},
        {"type", "size"},          {"enum value", "existence"}, {"enum value", "value"},
        {"type", "layout match"},
    };
    if (kind < std::size(kinds)) {
        *category = kinds[kind].category;
        return kinds[kind].name;
    }
    *category = "unknown";
    return nullptr;
}

// The access string's indexes, or nothing if it is not "N:N:...".
std::vector<uint32_t> access_indexes(const std::string& access) {
    std::vector<uint32_t> out;
    size_t at = 0;
    while (at <= access.size()) {
        size_t colon = access.find(':', at);
        std::string part = access.substr(at, colon == std::string::npos ? colon : colon - at);
        if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
            part.size() > 9)
            return {};
        out.push_back(static_cast<uint32_t>(std::stoul(part)));
        if (colon == std::string::npos)
            break;
        at = colon + 1;
    }
    return out;
}

// The C spelling of a field access ("[2].inner.b"), empty if the BTF does
// not follow the indexes.
std::string field_path(const btf* b, uint32_t type_id, const std::vector<uint32_t>& indexes) {
    if (indexes.empty())
        return "";
    std::string path = indexes[0] ? "[" + std::to_string(indexes[0]) + "]" : "";
    const btf_type* t = skip_mods(b, type_id);
    for (size_t i = 1; i < indexes.size(); i++) {
        if (!t)
            return "";
        if (btf_is_composite(t)) {
            if (indexes[i] >= btf_vlen(t))
                return "";
            const btf_member& m = btf_members(t)[indexes[i]];
            const char* name = btf__name_by_offset(b, m.name_off);
            if (name && *name)
                path += std::string(".") + name;
            t = skip_mods(b, m.type);
        } else if (btf_is_array(t)) {
            path += "[" + std::to_string(indexes[i]) + "]";
            t = skip_mods(b, btf_array(t)->type);
        } else {
            return "";
        }
    }
    return path;
}

// The enumerator the access string names, empty if none.
std::string enumerator(const btf* b, uint32_t type_id, const std::vector<uint32_t>& indexes) {
    const btf_type* t = skip_mods(b, type_id);
    if (!t || indexes.size() != 1 || indexes[0] >= btf_vlen(t))
        return "";
    const char* name = nullptr;
    if (btf_is_enum(t))
        name = btf__name_by_offset(b, btf_enum(t)[indexes[0]].name_off);
    else if (btf_is_enum64(t))
        name = btf__name_by_offset(b, btf_enum64(t)[indexes[0]].name_off);
    return name ? name : "";
}

} // namespace

const btf_type* skip_mods(const btf* b, uint32_t id) {
    return skip_mods(b, &id);
}

const btf_type* skip_mods(const btf* b, uint32_t* id) {
    const btf_type* t = btf__type_by_id(b, *id);
    while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
        *id = t->type;
        t = btf__type_by_id(b, *id);
    }
    return t;
}

void BtfDeleter::operator()(btf* b) const {
    btf__free(b);
}

std::string describe_btf_type(const btf* b, uint32_t id) {
    const btf_type* t = b ? btf__type_by_id(b, id) : nullptr;
    if (!t)
        return "type " + std::to_string(id);
    const char* n = btf__name_by_offset(b, t->name_off);
    std::string name = n ? n : "";
    const char* kind = btf_is_struct(t)       ? "struct"
                       : btf_is_union(t)      ? "union"
                       : btf_is_any_enum(t)   ? "enum"
                       : btf_is_typedef(t)    ? "typedef"
                       : btf_is_int(t)        ? "int"
                       : btf_is_ptr(t)        ? "pointer"
                       : btf_is_array(t)      ? "array"
                       : btf_is_fwd(t)        ? "declared type"
                       : btf_is_func_proto(t) ? "function type"
                                              : "type";
    return std::string(kind) + " " +
           (name.empty() ? "(anonymous, id " + std::to_string(id) + ")" : name);
}

std::vector<CoreRelo> parse_core_relos(const std::string& path,
                                       std::span<const std::byte> btf_ext) {
    Reader in(path, btf_ext);
    uint16_t magic = in.u16(0);
    if (magic != kBtfMagic)
        in.malformed(magic == __builtin_bswap16(kBtfMagic) ? "the other byte order"
                                                           : "no BTF magic");
    if (in.u8(2) != 1)
        in.malformed("version " + std::to_string(in.u8(2)) + ", not 1");
    uint32_t hdr_len = in.u32(4);
    if (hdr_len < kMinHeader || hdr_len > btf_ext.size())
        in.malformed("header length " + std::to_string(hdr_len));
    std::vector<CoreRelo> out;
    if (hdr_len < kCoreHeader)
        return out; // written before CO-RE existed
    uint64_t start = uint64_t{hdr_len} + in.u32(24), len = in.u32(28);
    if (!len)
        return out;
    if (start + len > btf_ext.size())
        in.malformed("the CO-RE part (" + std::to_string(len) + " bytes at " +
                     std::to_string(start) + ") is past its end");
    size_t at = static_cast<size_t>(start), end = static_cast<size_t>(start + len);
    uint32_t rec_size = in.u32(at);
    if (rec_size < kCoreReloSize || rec_size % 4)
        in.malformed("CO-RE record size " + std::to_string(rec_size));
    at += 4;
    while (at < end) {
        if (end - at < 8)
            in.malformed("a CO-RE block header cut short at " + std::to_string(at));
        uint32_t section = in.u32(at), count = in.u32(at + 4);
        at += 8;
        if (uint64_t{count} * rec_size > end - at)
            in.malformed(std::to_string(count) + " CO-RE records at " + std::to_string(at) +
                         " do not fit in the part");
        for (uint32_t i = 0; i < count; i++, at += rec_size)
            out.push_back({section, in.u32(at), in.u32(at + 4), in.u32(at + 8), in.u32(at + 12)});
    }
    return out;
}

std::string describe_core_relo(const btf* b, const CoreRelo& relo) {
    const char* category;
    const char* kind = kind_name(relo.kind, &category);
    std::string out = std::string("CO-RE ") + category + " relocation (" +
                      (kind ? kind : "kind " + std::to_string(relo.kind)) + ") of " +
                      describe_btf_type(b, relo.type_id);
    const char* access = b ? btf__name_by_offset(b, relo.access_str_off) : nullptr;
    if (!access || !*access)
        return out;
    out += std::string(" (access ") + access;
    std::vector<uint32_t> indexes = access_indexes(access);
    std::string spelled;
    if (std::string(category) == "field")
        spelled = field_path(b, relo.type_id, indexes);
    else if (std::string(category) == "enum value")
        spelled = enumerator(b, relo.type_id, indexes);
    if (!spelled.empty())
        out += ", " + spelled;
    return out + ")";
}

} // namespace kring::bpf
