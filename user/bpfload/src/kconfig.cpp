// libbpf's __kconfig externs: their types from BTF, their values from the
// kernel's configuration and the running kernel, laid out in the map
// ".kconfig" (kconfig.hpp).
#include "invalid_object.hpp"

#include <algorithm>
#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <kring/kconfig.hpp>
#include <optional>
#include <sys/utsname.h>
#include <zlib.h>

namespace kring::bpf {
namespace {

// The kinds of value libbpf gives an extern, by its type.
enum class Kind { Bool, Char, Tristate, Int, CharArray };

struct Slot {
    std::string name;
    bool weak = false;
    Kind kind = Kind::Int;
    bool is_signed = false;
    uint32_t size = 0;
    uint32_t align = 1;
    uint32_t offset = 0;
    bool set = false;
};

// libbpf_tristate's values (bpf_helpers.h).
constexpr uint8_t kTriNo = 0, kTriYes = 1, kTriModule = 2;

const btf_type* resolve(const btf* b, uint32_t id) {
    const btf_type* t = btf__type_by_id(b, id);
    while (t && (btf_is_mod(t) || btf_is_typedef(t)))
        t = btf__type_by_id(b, t->type);
    return t;
}

// The kind of a one-byte integer: bool or char (any other one-byte int,
// signed or not, holds a character or a number, as libbpf takes it).
std::optional<Kind> kind_of(const btf* b, const btf_type* t, bool* is_signed) {
    if (btf_is_int(t)) {
        uint8_t enc = btf_int_encoding(t);
        *is_signed = enc & BTF_INT_SIGNED;
        if (btf_int_offset(t) || btf_int_bits(t) != 8 * t->size)
            return std::nullopt;
        if (t->size == 1)
            return enc & BTF_INT_BOOL ? Kind::Bool : Kind::Char;
        if (t->size == 2 || t->size == 4 || t->size == 8)
            return Kind::Int;
        return std::nullopt;
    }
    if (btf_is_enum(t) && t->size == 4 &&
        std::strcmp(btf__name_by_offset(b, t->name_off), "libbpf_tristate") == 0)
        return Kind::Tristate;
    if (btf_is_array(t) && btf_array(t)->nelems) {
        bool elem_signed = false;
        const btf_type* elem = resolve(b, btf_array(t)->type);
        if (elem && kind_of(b, elem, &elem_signed) == Kind::Char)
            return Kind::CharArray;
    }
    return std::nullopt;
}

// The externs' types from DATASEC ".kconfig", laid out by decreasing
// alignment, then by name.
std::vector<Slot> lay_out(const std::string& path, const btf* b,
                          const std::vector<KconfigExtern>& externs) {
    int sec_id = b ? btf__find_by_name_kind(b, ".kconfig", BTF_KIND_DATASEC) : -1;
    if (sec_id < 0)
        invalid(path, "__kconfig extern " + externs.front().name +
                          " is not in the BTF's DATASEC .kconfig (compile with -g)");
    const btf_type* sec = btf__type_by_id(b, sec_id);
    std::vector<Slot> slots;
    for (const KconfigExtern& e : externs) {
        const btf_var_secinfo* info = btf_var_secinfos(sec);
        const btf_var_secinfo* end = info + btf_vlen(sec);
        const btf_type* var = nullptr;
        for (; info != end && !var; info++) {
            const btf_type* v = btf__type_by_id(b, info->type);
            if (v && btf_is_var(v) && e.name == btf__name_by_offset(b, v->name_off))
                var = v;
        }
        if (!var)
            invalid(path, "__kconfig extern " + e.name + " is not in the BTF's DATASEC .kconfig");
        Slot s;
        s.name = e.name;
        s.weak = e.weak;
        const btf_type* t = resolve(b, var->type);
        std::optional<Kind> kind = t ? kind_of(b, t, &s.is_signed) : std::nullopt;
        __s64 size = btf__resolve_size(b, var->type);
        int align = btf__align_of(b, var->type);
        if (!kind || size <= 0 || align <= 0)
            invalid(path, "__kconfig extern " + e.name +
                              ": its type is not one libbpf fills (bool, char, enum "
                              "libbpf_tristate, an integer of 2, 4 or 8 bytes, a char array)");
        s.kind = *kind;
        s.size = static_cast<uint32_t>(size);
        s.align = static_cast<uint32_t>(align);
        slots.push_back(s);
    }
    std::ranges::sort(slots, [](const Slot& x, const Slot& y) {
        return x.align != y.align ? x.align > y.align : x.name < y.name;
    });
    uint32_t off = 0;
    for (Slot& s : slots) {
        off = (off + s.align - 1) / s.align * s.align;
        s.offset = off;
        off += s.size;
    }
    return slots;
}

// A number into an integer or char slot, if its type holds it.
void set_number(const std::string& path, Slot& s, uint64_t value, const std::string& text,
                std::byte* data) {
    if (s.kind == Kind::Tristate || s.kind == Kind::CharArray)
        invalid(path, "__kconfig extern " + s.name + " = " + text +
                          ": a number, but the extern is not an integer, char or bool");
    uint32_t bits = 8 * s.size;
    bool fits = s.kind == Kind::Bool ? value <= 1
                : bits == 64         ? true
                : s.is_signed        ? value + (uint64_t{1} << (bits - 1)) < uint64_t{1} << bits
                                     : value >> bits == 0;
    if (!fits)
        invalid(path, "__kconfig extern " + s.name + " = " + text + ": does not fit in " +
                          std::to_string(s.size) + (s.is_signed ? " signed" : " unsigned") +
                          " byte" + (s.size == 1 ? "" : "s"));
    std::memcpy(data + s.offset, &value, s.size); // little-endian
    s.set = true;
}

// One value of the configuration ("y", "m", "250", "\"string\"").
void set_config_value(const std::string& path, Slot& s, const std::string& text, std::byte* data) {
    if (text == "y" || text == "n" || text == "m") {
        char c = text[0];
        uint8_t v = 0;
        switch (s.kind) {
        case Kind::Bool:
            if (c == 'm')
                invalid(path, "__kconfig extern " + s.name +
                                  " is m (a module), which a bool cannot say: declare it enum "
                                  "libbpf_tristate or char");
            v = c == 'y';
            break;
        case Kind::Tristate:
            v = c == 'y' ? kTriYes : c == 'm' ? kTriModule : kTriNo;
            break;
        case Kind::Char:
            v = static_cast<uint8_t>(c);
            break;
        default:
            invalid(path, "__kconfig extern " + s.name + " is " + text +
                              ", which needs a bool, tristate or char");
        }
        std::memset(data + s.offset, 0, s.size);
        std::memcpy(data + s.offset, &v, 1);
        s.set = true;
        return;
    }
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        if (s.kind != Kind::CharArray)
            invalid(path, "__kconfig extern " + s.name + " is a string, which needs a char array");
        std::string str = text.substr(1, text.size() - 2);
        size_t n = std::min<size_t>(str.size(), s.size - 1);
        std::memset(data + s.offset, 0, s.size);
        std::memcpy(data + s.offset, str.data(), n);
        s.set = true;
        return;
    }
    size_t used = 0;
    uint64_t value = 0;
    try {
        value = std::stoull(text, &used, 0);
    } catch (const std::exception&) {
        used = 0;
    }
    if (text.empty() || used != text.size())
        invalid(path, "__kconfig extern " + s.name + " = " + text +
                          ": not y, n, m, a number or a string");
    set_number(path, s, value, text, data);
}

std::string running_release() {
    utsname u{};
    uname(&u);
    return u.release;
}

// The configuration's lines, plain or gzip'd; std::nullopt if it cannot be
// opened (errno says why).
std::optional<std::vector<std::string>> read_lines(const std::string& file) {
    gzFile f = gzopen(file.c_str(), "rb");
    if (!f)
        return std::nullopt;
    std::vector<std::string> lines;
    std::string line;
    char buf[4096];
    while (gzgets(f, buf, sizeof(buf))) {
        line += buf;
        if (!line.empty() && line.back() == '\n') {
            line.pop_back();
            lines.push_back(std::move(line));
            line.clear();
        }
    }
    int err = 0;
    gzerror(f, &err);
    gzclose(f);
    if (err != Z_OK && err != Z_STREAM_END) {
        errno = EIO;
        return std::nullopt;
    }
    if (!line.empty())
        lines.push_back(line);
    return lines;
}

void fill_from_config(const std::string& path, std::vector<Slot>& slots,
                      const std::string& config_path, std::byte* data) {
    std::vector<std::string> tried =
        config_path.empty()
            ? std::vector<std::string>{"/boot/config-" + running_release(), "/proc/config.gz"}
            : std::vector<std::string>{config_path};
    std::optional<std::vector<std::string>> lines;
    std::string file;
    int err = ENOENT;
    for (const std::string& candidate : tried) {
        errno = 0;
        lines = read_lines(candidate);
        if (lines) {
            file = candidate;
            break;
        }
        if (errno && errno != ENOENT)
            err = errno;
    }
    if (!lines) {
        std::string first; // by name: the same one whatever the layout
        for (const Slot& s : slots)
            if (s.name.starts_with("CONFIG_") && (first.empty() || s.name < first))
                first = s.name;
        std::string names;
        for (const std::string& t : tried)
            names += (names.empty() ? "" : ", ") + t;
        throw Error(err, path + ": cannot read the kernel's configuration (" + names + ") for " +
                             "the __kconfig extern " + first + "; --kconfig gives a file");
    }
    for (const std::string& line : *lines) {
        if (!line.starts_with("CONFIG_"))
            continue; // comments ("# CONFIG_X is not set") and blank lines
        size_t eq = line.find('=');
        if (eq == std::string::npos)
            continue;
        std::string name = line.substr(0, eq);
        auto slot = std::ranges::find(slots, name, &Slot::name);
        if (slot == slots.end() || slot->set)
            continue;
        set_config_value(path + " (" + file + ")", *slot, line.substr(eq + 1), data);
    }
    for (const Slot& s : slots)
        if (s.name.starts_with("CONFIG_") && !s.set && !s.weak)
            invalid(path, "__kconfig extern " + s.name + " is not set in " + file +
                              " (declare it __weak to read 0 where it is not set)");
}

bool running_kernel_has(const std::string& symbol) {
    std::ifstream kallsyms("/proc/kallsyms");
    std::string addr, type, name;
    while (kallsyms >> addr >> type >> name) {
        if (name == symbol)
            return true;
        kallsyms.ignore(4096, '\n'); // a module's name, after the symbol
    }
    return false;
}

} // namespace

uint32_t kernel_version_code(const std::string& release, const std::string& version,
                             const std::string& ubuntu_signature) {
    unsigned major = 0, minor = 0, patch = 0;
    auto code = [&] {
        return major << 16 | minor << 8 | std::min(patch, 255U);
    };
    // "Ubuntu 5.15.0-91.101-generic 5.15.131": the last field.
    if (!ubuntu_signature.empty()) {
        size_t last = ubuntu_signature.find_last_of(' ');
        if (last != std::string::npos && std::sscanf(ubuntu_signature.c_str() + last + 1,
                                                     "%u.%u.%u", &major, &minor, &patch) == 3)
            return code();
    }
    if (size_t at = version.find("Debian ");
        at != std::string::npos &&
        std::sscanf(version.c_str() + at, "Debian %u.%u.%u", &major, &minor, &patch) == 3)
        return code();
    if (std::sscanf(release.c_str(), "%u.%u.%u", &major, &minor, &patch) == 3)
        return code();
    return 0;
}

uint32_t running_kernel_version() {
    utsname u{};
    uname(&u);
    std::string signature;
    std::ifstream f("/proc/version_signature");
    std::getline(f, signature);
    return kernel_version_code(u.release, u.version, signature);
}

MapDecl kconfig_map(const std::string& path, const btf* b,
                    const std::vector<KconfigExtern>& externs, const std::string& config_path) {
    std::vector<Slot> slots = lay_out(path, b, externs);
    MapDecl decl;
    decl.name = ".kconfig";
    decl.type = BPF_MAP_TYPE_ARRAY;
    decl.key_size = 4;
    decl.max_entries = 1;
    decl.flags = BPF_F_RDONLY_PROG;
    const Slot& last = slots.back();
    decl.value_size = last.offset + last.size;
    decl.data.resize(decl.value_size);
    bool needs_config = false;
    for (Slot& s : slots) {
        if (s.name.starts_with("CONFIG_")) {
            needs_config = true;
        } else if (s.name == "LINUX_KERNEL_VERSION") {
            uint32_t version = running_kernel_version();
            if (!version)
                invalid(path, "__kconfig extern LINUX_KERNEL_VERSION: the running kernel's "
                              "version cannot be read from uname(2)");
            set_number(path, s, version, "the kernel's version " + std::to_string(version),
                       decl.data.data());
        } else if (s.name == "LINUX_HAS_SYSCALL_WRAPPER" || s.name == "LINUX_HAS_BPF_COOKIE") {
            // kring has bpf_get_attach_cookie, which libbpf probes for.
            bool has = s.name == "LINUX_HAS_BPF_COOKIE" || running_kernel_has("__x64_sys_bpf");
            set_number(path, s, has, has ? "1" : "0", decl.data.data());
        } else if (!s.name.starts_with("LINUX_")) {
            invalid(path, "__kconfig extern " + s.name +
                              ": libbpf fills CONFIG_ names from the kernel's configuration and "
                              "a few LINUX_ names, not this");
        } else if (!s.weak) {
            invalid(path, "__kconfig extern " + s.name +
                              ": not a LINUX_ name libbpf knows (LINUX_KERNEL_VERSION, "
                              "LINUX_HAS_SYSCALL_WRAPPER, LINUX_HAS_BPF_COOKIE); declare it "
                              "__weak to read 0");
        }
        decl.vars.push_back({s.name, s.offset, s.size});
    }
    if (needs_config)
        fill_from_config(path, slots, config_path, decl.data.data());
    return decl;
}

} // namespace kring::bpf
