// ELF objects from `clang -target bpf`, read with libelf (sections, symbols,
// relocations) and libbpf's BTF parser (ring declarations, function
// prototypes), linked the way libbpf links them: each program gets the .text
// subprograms it calls appended, calls and ring loads are relocated.
#include "elf_reader.hpp"
#include "invalid_object.hpp"

#include <algorithm>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gelf.h>
#include <kring/bpfload.hpp>
#include <kring/btf_ext.hpp>
#include <kring/core_relo.hpp>
#include <kring/kconfig.hpp>
#include <kring/program.hpp>
#include <libelf.h>
#include <map>
#include <optional>
#include <set>
#include <unistd.h>

extern "C" {
#include "helpers.h"
}

namespace kring::bpf {
namespace {

struct Section {
    std::string name;
    GElf_Shdr hdr{};
    Elf_Data* data = nullptr;
};

struct Symbol {
    std::string name;
    GElf_Sym sym{};
};

struct Reloc {
    size_t insn;   // index in the section
    size_t symbol; // index in the symbol table
};

class ElfFile {
public:
    explicit ElfFile(const std::string& path) : path_(path), reader_(path), elf_(reader_.elf()) {
        parse(path);
    }

private:
    void parse(const std::string& path) {
        if (reader_.header().e_machine != EM_BPF)
            invalid(path, "not a BPF object (compile with clang -target bpf)");
        size_t strndx;
        if (elf_getshdrstrndx(elf_, &strndx))
            invalid(path, "no section name table");
        for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf_, scn));) {
            Section s;
            gelf_getshdr(scn, &s.hdr);
            const char* name = elf_strptr(elf_, strndx, s.hdr.sh_name);
            s.name = name ? name : "";
            s.data = elf_getdata(scn, nullptr);
            sections_[elf_ndxscn(scn)] = s;
            if (s.hdr.sh_type == SHT_SYMTAB)
                read_symbols(s);
        }
        if (symbols_.empty())
            invalid(path, "no symbol table");
    }

public:
    const std::map<size_t, Section>& sections() const { return sections_; }
    const std::vector<Symbol>& symbols() const { return symbols_; }

    size_t section_index(const std::string& name) const {
        for (const auto& [index, s] : sections_)
            if (s.name == name)
                return index;
        return 0;
    }

    // Relocations of section `target`, from its SHT_REL section.
    std::vector<Reloc> relocs(size_t target) const {
        std::vector<Reloc> out;
        for (const auto& [index, s] : sections_) {
            if (s.hdr.sh_type != SHT_REL || s.hdr.sh_info != target)
                continue;
            size_t count = entries(s, ELF_T_REL, "relocation section");
            for (size_t i = 0; i < count; i++) {
                GElf_Rel rel;
                if (!gelf_getrel(s.data, static_cast<int>(i), &rel))
                    invalid(path_, "bad relocation in " + s.name);
                if (rel.r_offset % sizeof(bpf_insn))
                    invalid(path_, "misaligned relocation in " + s.name);
                if (GELF_R_SYM(rel.r_info) >= symbols_.size())
                    invalid(path_, "relocation " + std::to_string(i) + " in " + s.name +
                                       " names symbol " + std::to_string(GELF_R_SYM(rel.r_info)) +
                                       ", past the end of the symbol table (" +
                                       std::to_string(symbols_.size()) + " symbols)");
                out.push_back({rel.r_offset / sizeof(bpf_insn), GELF_R_SYM(rel.r_info)});
            }
        }
        return out;
    }

    const Section& section(size_t index) const {
        auto it = sections_.find(index);
        if (it == sections_.end())
            invalid(path_, "no section " + std::to_string(index));
        return it->second;
    }

    std::vector<bpf_insn> insns(size_t index) const {
        const Section& s = section(index);
        if (!s.data || !s.data->d_buf || s.data->d_size < s.hdr.sh_size)
            invalid(path_, "section " + s.name + ": its " + std::to_string(s.hdr.sh_size) +
                               " bytes are not in the file");
        std::vector<bpf_insn> out(s.hdr.sh_size / sizeof(bpf_insn));
        std::memcpy(out.data(), s.data->d_buf, out.size() * sizeof(bpf_insn));
        return out;
    }

private:
    // The number of entries of a table section (symbols, relocations),
    // whose entry size must be libelf's for `type` and whose bytes must be
    // in the file.
    size_t entries(const Section& s, Elf_Type type, const char* what) const {
        size_t size = gelf_fsize(elf_, type, 1, EV_CURRENT);
        if (s.hdr.sh_entsize != size)
            invalid(path_, std::string("malformed ") + what + " " + s.name + ": entries of " +
                               std::to_string(s.hdr.sh_entsize) + " bytes, not " +
                               std::to_string(size));
        if (s.hdr.sh_size && (!s.data || s.data->d_size < s.hdr.sh_size))
            invalid(path_, std::string("malformed ") + what + " " + s.name + ": its " +
                               std::to_string(s.hdr.sh_size) + " bytes are not in the file");
        return s.hdr.sh_size / size;
    }

    void read_symbols(const Section& s) {
        size_t count = entries(s, ELF_T_SYM, "symbol table");
        for (size_t i = 0; i < count; i++) {
            Symbol sym;
            gelf_getsym(s.data, static_cast<int>(i), &sym.sym);
            const char* name = elf_strptr(elf_, s.hdr.sh_link, sym.sym.st_name);
            sym.name = name ? name : "";
            symbols_.push_back(sym);
        }
    }

    std::string path_;
    ElfReader reader_;
    Elf* elf_;
    std::map<size_t, Section> sections_;
    std::vector<Symbol> symbols_;
};

// __uint(name, value) is "int (*name)[value]": value is the array's length.
uint32_t map_field(const btf* b, const btf_member& m) {
    const btf_type* ptr = skip_mods(b, m.type);
    const btf_type* array = ptr && btf_is_ptr(ptr) ? skip_mods(b, ptr->type) : nullptr;
    return array && btf_is_array(array) ? btf_array(array)->nelems : 0;
}

// __type(name, T) is "T *name": T's size.
uint32_t map_type_field_size(const std::string& path, const btf* b, const std::string& map,
                             const btf_member& m) {
    const btf_type* ptr = skip_mods(b, m.type);
    __s64 size = ptr && btf_is_ptr(ptr) ? btf__resolve_size(b, ptr->type) : -1;
    if (size <= 0 || size > UINT32_MAX)
        invalid(path, "map " + map + ": its " + btf__name_by_offset(b, m.name_off) +
                          " type has no size (__type(" + btf__name_by_offset(b, m.name_off) +
                          ", T) needs a complete T)");
    return static_cast<uint32_t>(size);
}

// The variables of section .maps (none without it).
std::span<const btf_var_secinfo> maps_vars(const btf* b) {
    int id = btf__find_by_name_kind(b, ".maps", BTF_KIND_DATASEC);
    if (id < 0)
        return {};
    const btf_type* sec = btf__type_by_id(b, id);
    return {btf_var_secinfos(sec), btf_vlen(sec)};
}

// A ring declares the type of its records, struct T, with the BTF
// declaration tag "kring.record:T" on its map's variable (KRING_RECORD_TYPE
// in examples/exec-snoop.h): Linux refuses a value type on a ring buffer.
constexpr std::string_view kRecordTag = "kring.record:";

// T for each map variable (by BTF id) that declares one.
std::map<uint32_t, std::string> record_tags(const std::string& path, const btf* b) {
    std::map<uint32_t, std::string> tags;
    auto maps = maps_vars(b);
    for (uint32_t id = 1; id < btf__type_cnt(b); id++) {
        const btf_type* t = btf__type_by_id(b, id);
        if (!btf_is_decl_tag(t))
            continue;
        std::string value = btf__name_by_offset(b, t->name_off);
        if (!value.starts_with(kRecordTag))
            continue;
        if (btf_decl_tag(t)->component_idx != -1 ||
            std::ranges::none_of(maps, [&](const auto& v) { return v.type == t->type; }))
            invalid(path, value + " is not on a map in .maps (KRING_RECORD_TYPE goes after the "
                                  "map's name)");
        const char* map = btf__name_by_offset(b, btf__type_by_id(b, t->type)->name_off);
        if (!tags.emplace(t->type, value.substr(kRecordTag.size())).second)
            invalid(path, std::string("map ") + map + " declares two record types");
    }
    return tags;
}

// The declared record type: struct T, found by name in the object's BTF.
void record_type(const std::string& path, const btf* b, const std::string& type, MapDecl* decl) {
    int id = type.empty() ? -1 : btf__find_by_name_kind(b, type.c_str(), BTF_KIND_STRUCT);
    if (id < 0)
        invalid(path, "ring " + decl->name + ": its records are declared as struct " + type +
                          ", which the object's BTF does not describe (clang describes a struct "
                          "there if a global uses it: KRING_RECORD_BTF(" +
                          type + "))");
    decl->record_type = type;
    decl->record_size = btf__type_by_id(b, id)->size;
}

// The index in `maps` of the map named `name` (a variable of .maps or a
// global data section), if there is one.
std::optional<size_t> find_map(std::span<const MapDecl> maps, const std::string& name) {
    for (size_t i = 0; i < maps.size(); i++)
        if (maps[i].name == name)
            return i;
    return std::nullopt;
}

// A prog array's __array(values, ...) member: as many slots as its
// initialiser has (the variable's bytes past the member, 8 per pointer);
// the programs in them come from .maps' relocations (fill_slots).
void read_slots(const std::string& path, const btf* b, const btf_var_secinfo& var,
                const btf_member& m, uint32_t bit_offset, MapDecl* decl) {
    const btf_type* array = skip_mods(b, m.type);
    const btf_type* ptr =
        array && btf_is_array(array) ? skip_mods(b, btf_array(array)->type) : nullptr;
    if (!ptr || !btf_is_ptr(ptr) || bit_offset % 64)
        invalid(path, "map " + decl->name + ": values is not __array(values, ...)");
    uint32_t offset = bit_offset / 8;
    decl->slots.assign(var.size > offset ? (var.size - offset) / 8 : 0, "");
    decl->slots_offset = var.offset + offset;
}

// The programs the prog arrays' slots get: .maps' relocations against
// function symbols, at the slots' pointers.
void fill_slots(const std::string& path, const ElfFile& elf, std::vector<MapDecl>& maps) {
    size_t section = elf.section_index(".maps");
    if (!section)
        return;
    for (const Reloc& r : elf.relocs(section)) {
        uint64_t at = r.insn * sizeof(bpf_insn);
        const Symbol& sym = elf.symbols()[r.symbol];
        for (MapDecl& decl : maps) {
            if (!decl.is_prog_array() || at < decl.slots_offset ||
                at >= decl.slots_offset + decl.slots.size() * 8)
                continue;
            if (GELF_ST_TYPE(sym.sym.st_info) != STT_FUNC)
                invalid(path, "prog array " + decl.name + ": slot " +
                                  std::to_string((at - decl.slots_offset) / 8) + " names " +
                                  sym.name + ", which is not a program");
            decl.slots[(at - decl.slots_offset) / 8] = sym.name;
        }
    }
}

// The maps of .maps, as libbpf reads their BTF definitions: type, key and
// value (__type or __uint key_size/value_size), max_entries, map_flags.
std::vector<MapDecl> read_maps(const std::string& path, const btf* b,
                               const std::map<std::string, uint32_t>& map_types) {
    std::vector<MapDecl> maps;
    size_t retyped = 0;
    std::map<uint32_t, std::string> tags = record_tags(path, b);
    for (const btf_var_secinfo& v : maps_vars(b)) {
        const btf_type* var = btf__type_by_id(b, v.type);
        MapDecl decl;
        decl.name = btf__name_by_offset(b, var->name_off);
        const btf_type* def = skip_mods(b, var->type);
        if (!def || !btf_is_struct(def))
            invalid(path, "map " + decl.name + ": not a libbpf map definition");
        const btf_member* members = btf_members(def);
        for (uint16_t k = 0; k < btf_vlen(def); k++) {
            std::string field = btf__name_by_offset(b, members[k].name_off);
            if (field == "type")
                decl.type = map_field(b, members[k]);
            else if (field == "max_entries")
                decl.max_entries = map_field(b, members[k]);
            else if (field == "map_flags")
                decl.flags = map_field(b, members[k]);
            else if (field == "key_size")
                decl.key_size = map_field(b, members[k]);
            else if (field == "value_size")
                decl.value_size = map_field(b, members[k]);
            else if (field == "key")
                decl.key_size = map_type_field_size(path, b, decl.name, members[k]);
            else if (field == "value")
                decl.value_size = map_type_field_size(path, b, decl.name, members[k]);
            else if (field == "values")
                read_slots(path, b, v, members[k], btf_member_bit_offset(def, k), &decl);
            else
                invalid(path, "map " + decl.name + ": field " + field +
                                  " is not supported (type, key, value, key_size, value_size, "
                                  "max_entries, map_flags, values are)");
        }
        if (auto type = map_types.find(decl.name); type != map_types.end()) {
            decl.type = type->second;
            if (decl.is_ring())
                decl.key_size = decl.value_size = 0;
            retyped++;
        }
        // A perf event array's keys and values are u32s, the only sizes
        // Linux takes, which loaders fill in where an object leaves them
        // out (cilium/ebpf does).
        if (decl.is_perf_event_array()) {
            decl.key_size = decl.key_size ? decl.key_size : sizeof(uint32_t);
            decl.value_size = decl.value_size ? decl.value_size : sizeof(uint32_t);
        }
        if (!decl.slots.empty() && !decl.is_prog_array())
            invalid(path, "map " + decl.name +
                              ": __array(values, ...) initialises prog arrays only (kring has "
                              "no maps of maps)");
        if (decl.is_prog_array() && (decl.key_size != 4 || decl.value_size != 4))
            invalid(path, "prog array " + decl.name + ": its key and value are 4 bytes (__u32)");
        if (decl.slots.size() > decl.max_entries)
            invalid(path, "prog array " + decl.name + ": " + std::to_string(decl.slots.size()) +
                              " slots initialised, max_entries is " +
                              std::to_string(decl.max_entries));
        if (!decl.is_ring() && !decl.is_prog_array() && !kbpf_map_type_supported(decl.type))
            invalid(path, "map " + decl.name + ": type " + describe_bpf_map_type(decl.type) +
                              " is not supported: kring takes RINGBUF, ARRAY, PERCPU_ARRAY, "
                              "HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, CGROUP_ARRAY, "
                              "PERF_EVENT_ARRAY, STACK_TRACE and PROG_ARRAY maps (--map-type " +
                              decl.name + "=TYPE changes it, as bpf_map__set_type())");
        if (decl.is_ring() && (decl.key_size || decl.value_size))
            invalid(path, "ring " + decl.name + ": a ring has no key or value");
        if (auto tag = tags.find(v.type); tag != tags.end())
            record_type(path, b, tag->second, &decl);
        maps.push_back(decl);
    }
    if (retyped != map_types.size())
        for (const auto& [name, type] : map_types)
            if (!find_map(maps, name))
                invalid(path,
                        "--map-type " + name + ": the object has no map " + name + " in .maps");
    return maps;
}

// libbpf's global data sections: .rodata, .data and their ".NAME" forms,
// and .bss.
bool is_global_data_section(const Section& s) {
    auto named = [&](const std::string& base) {
        return s.name == base || s.name.starts_with(base + ".");
    };
    if (s.hdr.sh_type == SHT_NOBITS)
        return s.name == ".bss";
    return s.hdr.sh_type == SHT_PROGBITS && !(s.hdr.sh_flags & SHF_EXECINSTR) &&
           (named(".rodata") || named(".data"));
}

// Each global data section with bytes: a single-entry ARRAY whose value is
// the section, read-only to programs for .rodata (as libbpf makes them).
std::vector<MapDecl> read_global_data(const std::string& path, const ElfFile& elf) {
    std::vector<MapDecl> maps;
    for (const auto& [index, s] : elf.sections()) {
        if (!is_global_data_section(s) || !s.hdr.sh_size)
            continue;
        if (s.hdr.sh_size > UINT32_MAX / 2)
            invalid(path, "section " + s.name + " is too large for a map value");
        MapDecl decl;
        decl.name = s.name;
        decl.type = BPF_MAP_TYPE_ARRAY;
        decl.key_size = 4;
        decl.value_size = static_cast<uint32_t>(s.hdr.sh_size);
        decl.max_entries = 1;
        decl.flags = s.name.starts_with(".rodata") ? BPF_F_RDONLY_PROG : 0;
        decl.data.resize(s.hdr.sh_size);
        if (s.hdr.sh_type == SHT_PROGBITS) {
            if (!s.data || !s.data->d_buf || s.data->d_size < s.hdr.sh_size)
                invalid(path, "section " + s.name + ": its " + std::to_string(s.hdr.sh_size) +
                                  " bytes are not in the file");
            std::memcpy(decl.data.data(), s.data->d_buf, s.hdr.sh_size);
        }
        for (const Symbol& sym : elf.symbols())
            if (sym.sym.st_shndx == index && GELF_ST_TYPE(sym.sym.st_info) == STT_OBJECT &&
                !sym.name.empty() && sym.sym.st_value + sym.sym.st_size <= s.hdr.sh_size)
                decl.vars.push_back({sym.name, static_cast<uint32_t>(sym.sym.st_value),
                                     static_cast<uint32_t>(sym.sym.st_size)});
        maps.push_back(std::move(decl));
    }
    return maps;
}

// The object's __kconfig externs: undefined global symbols that BTF
// declares in DATASEC ".kconfig" (libbpf's __kconfig attribute puts them
// there; __ksym externs are in ".ksyms").
std::vector<KconfigExtern> kconfig_externs(const ElfFile& elf, const btf* b) {
    std::vector<KconfigExtern> out;
    int sec_id = b ? btf__find_by_name_kind(b, ".kconfig", BTF_KIND_DATASEC) : -1;
    if (sec_id < 0)
        return out;
    const btf_type* sec = btf__type_by_id(b, sec_id);
    std::set<std::string> declared;
    for (uint16_t i = 0; i < btf_vlen(sec); i++) {
        const btf_type* var = btf__type_by_id(b, btf_var_secinfos(sec)[i].type);
        if (var && btf_is_var(var))
            declared.insert(btf__name_by_offset(b, var->name_off));
    }
    for (const Symbol& sym : elf.symbols()) {
        int bind = GELF_ST_BIND(sym.sym.st_info);
        if (sym.sym.st_shndx == SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
            declared.count(sym.name))
            out.push_back({sym.name, bind == STB_WEAK});
    }
    return out;
}

// A global variable's value from --set: an integer that fits its size.
void set_global(const std::string& path, MapDecl& decl, const GlobalVar& var,
                const std::string& text) {
    if (var.size != 1 && var.size != 2 && var.size != 4 && var.size != 8)
        invalid(path, "--set " + var.name + ": a variable of " + std::to_string(var.size) +
                          " bytes; --set takes integers of 1, 2, 4 or 8 bytes");
    size_t used = 0;
    bool negative = text.starts_with("-");
    uint64_t value = 0;
    try {
        value = negative ? static_cast<uint64_t>(std::stoll(text, &used, 0))
                         : std::stoull(text, &used, 0);
    } catch (const std::exception&) {
        used = 0;
    }
    uint64_t bits = 8 * var.size;
    bool fits = var.size == 8 ||
                (negative ? static_cast<int64_t>(value) >= -(int64_t{1} << (bits - 1))
                          : value <= (bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1));
    if (text.empty() || used != text.size() || !fits)
        invalid(path, "--set " + var.name + "=" + text + ": not an integer of " +
                          std::to_string(var.size) + " bytes");
    std::memcpy(decl.data.data() + var.offset, &value, var.size); // little-endian
}

// --max-entries, --value-size and --set, then the check that every map has
// its sizes.
void apply_settings(const std::string& path, Object& obj, const ObjectSettings& settings) {
    for (const auto& [name, entries] : settings.max_entries) {
        std::optional<size_t> index = find_map(obj.maps, name);
        if (!index)
            invalid(path, "--max-entries " + name + ": the object has no map " + name);
        MapDecl& decl = obj.maps[*index];
        if (decl.is_global_data())
            invalid(path, "--max-entries " + name + ": a global data section has one entry");
        decl.max_entries = entries;
    }
    for (const auto& [name, size] : settings.value_sizes) {
        std::optional<size_t> index = find_map(obj.maps, name);
        if (!index)
            invalid(path, "--value-size " + name + ": the object has no map " + name);
        MapDecl& decl = obj.maps[*index];
        if (decl.is_ring() || decl.is_prog_array() || decl.is_global_data())
            invalid(path, "--value-size " + name +
                              ": a ring has no value, and a prog array's and global data's "
                              "are fixed");
        decl.value_size = size;
    }
    for (const auto& [name, value] : settings.globals) {
        bool found = false;
        for (MapDecl& decl : obj.maps)
            for (const GlobalVar& var : decl.vars)
                if (var.name == name && !found) {
                    set_global(path, decl, var, value);
                    found = true;
                }
        if (!found)
            invalid(path, "--set " + name + ": the object has no global variable " + name);
    }
    for (MapDecl& decl : obj.maps) {
        // libbpf sizes a perf event array left at 0 to a slot per
        // possible CPU, which is where its perf_buffer puts the events.
        if (decl.is_perf_event_array() && !decl.max_entries)
            decl.max_entries = possible_cpus();
        if (!decl.max_entries)
            invalid(path, "map " + decl.name +
                              ": max_entries is 0, left to the loader: give it with "
                              "--max-entries " +
                              decl.name + "=N");
        if (!decl.is_ring() && !decl.key_size)
            invalid(path, "map " + decl.name + ": no key type (__type(key, T))");
        if (!decl.is_ring() && !decl.value_size)
            invalid(path, "map " + decl.name +
                              ": no value type (__type(value, T)), or a value size left to the "
                              "loader: give it with --value-size " +
                              decl.name + "=N");
        if (decl.is_ring() &&
            ((decl.max_entries & (decl.max_entries - 1)) || decl.max_entries < 4096))
            invalid(path, "ring " + decl.name + ": max_entries " +
                              std::to_string(decl.max_entries) +
                              " must be a power of two of at least 4096");
    }
}

// A global function's pointer argument, as Linux's btf_prepare_func_args()
// types it: the context when it points to the struct the attach point's
// context is (by name), else memory of the size of what it points to.
void describe_pointer_arg(const std::string& path, const btf* b, const std::string& name,
                          kring_attach_type attach, const btf_type* ptr, uint16_t i,
                          kring_func_info& fi) {
    uint32_t target_id = ptr->type; // past modifiers and typedefs
    const btf_type* target = skip_mods(b, &target_id);
    const char* ctx_struct = context_struct_name(attach);
    if (target && btf_is_struct(target) && ctx_struct &&
        std::strcmp(btf__name_by_offset(b, target->name_off), ctx_struct) == 0) {
        fi.arg_kinds[i] = KRING_ARG_CTX;
        return;
    }
    long long size = btf__resolve_size(b, ptr->type);
    if (size < 0 || size >= KRING_ARG_MEM_MAX) {
        std::string what = target_id == 0 ? "void" : describe_btf_type(b, target_id);
        invalid(path, "global function " + name + ": argument " + std::to_string(i + 1) +
                          " points to " + what +
                          (size < 0 ? ", whose size is unknown" : ", too large") +
                          ": a global function's pointer argument is " +
                          (ctx_struct ? "the context (struct " + std::string(ctx_struct) +
                                            " *) or memory of a known size, as in Linux"
                                      : std::string("memory of a known size, as in Linux (this "
                                                    "program's context cannot be passed)")));
    }
    fi.arg_kinds[i] = KRING_ARG_MEM;
    fi.arg_mem_size[i] = static_cast<uint32_t>(size);
}

// Global functions' arguments from their BTF prototype, for a program of
// `attach`.
kring_func_info describe_global(const std::string& path, const btf* b, const std::string& name,
                                kring_attach_type attach) {
    kring_func_info fi{};
    fi.linkage = KRING_FUNC_GLOBAL;
    int id = b ? btf__find_by_name_kind(b, name.c_str(), BTF_KIND_FUNC) : -1;
    if (id < 0)
        invalid(path,
                "global function " + name + " has no BTF: compile with -g, or make it static");
    const btf_type* proto = btf__type_by_id(b, btf__type_by_id(b, id)->type);
    if (btf_vlen(proto) > KRING_FUNC_MAX_ARGS)
        invalid(path, "global function " + name + " has more than 5 arguments");
    const btf_param* params = btf_params(proto);
    for (uint16_t i = 0; i < btf_vlen(proto); i++) {
        const btf_type* t = skip_mods(b, params[i].type);
        if (t && (btf_is_int(t) || btf_is_any_enum(t)))
            fi.arg_kinds[i] = KRING_ARG_SCALAR;
        else if (t && btf_is_ptr(t))
            describe_pointer_arg(path, b, name, attach, t, i, fi);
        else
            invalid(path, "global function " + name + ": argument " + std::to_string(i + 1) +
                              " must be an integer or a pointer");
    }
    fi.nr_args = static_cast<uint8_t>(btf_vlen(proto));
    return fi;
}

// "section S: insn N (function+K)": where a CO-RE relocation is.
std::string relocation_site(const ElfFile& elf, const std::string& section, size_t insn) {
    std::string where = "section " + section + ": insn " + std::to_string(insn);
    size_t shndx = elf.section_index(section);
    for (const Symbol& sym : elf.symbols()) {
        size_t first = sym.sym.st_value / sizeof(bpf_insn);
        if (shndx && sym.sym.st_shndx == shndx && GELF_ST_TYPE(sym.sym.st_info) == STT_FUNC &&
            insn >= first && insn < first + sym.sym.st_size / sizeof(bpf_insn))
            where += " (" + sym.name + "+" + std::to_string(insn - first) + ")";
    }
    return where;
}

// A code section after its CO-RE relocations: its instructions, and those
// whose relocation could not be resolved (by index in the section) with
// what the relocation was and why.
struct CoreSection {
    std::vector<bpf_insn> insns;
    std::map<size_t, std::string> unresolved;
};

constexpr const char* kRunningKernelBtf = "/sys/kernel/btf/vmlinux";

// The object's CO-RE relocations (.BTF.ext) applied against the target
// kernel's BTF (`target_path`, default the running kernel's), by code
// section; none if the object has none, and the target BTF is then not read.
std::map<size_t, CoreSection> relocate_core(const std::string& path, const ElfFile& elf,
                                            const btf* local, const std::string& target_path) {
    std::map<size_t, CoreSection> out;
    size_t index = elf.section_index(".BTF.ext");
    const Section* ext = index ? &elf.section(index) : nullptr;
    if (!ext || !ext->data || !ext->data->d_buf)
        return out;
    std::span bytes(static_cast<const std::byte*>(ext->data->d_buf), ext->data->d_size);
    std::vector<CoreRelo> relos = parse_core_relos(path, bytes);
    if (relos.empty())
        return out;
    if (!local)
        invalid(path, "CO-RE relocations need the object's BTF (.BTF)");
    auto site = [&](const CoreRelo& r, std::string* section) {
        const char* name = btf__name_by_offset(local, r.section_name_off);
        *section = name ? name : "";
        return relocation_site(elf, *section, r.insn_off / sizeof(bpf_insn)) + ": " +
               describe_core_relo(local, r);
    };
    std::string target_file = target_path.empty() ? kRunningKernelBtf : target_path;
    BtfPtr target(btf__parse(target_file.c_str(), nullptr));
    if (!target) {
        int err = errno ? errno : EINVAL;
        std::string section;
        throw Error(err, path + ": cannot read the target kernel's BTF " + target_file +
                             " (for the object's CO-RE relocations, the first at " +
                             site(relos.front(), &section) + "; --btf gives another file)");
    }
    CoreRelocator relocator(local, target.get());
    for (const CoreRelo& r : relos) {
        std::string section;
        std::string where = site(r, &section);
        size_t shndx = elf.section_index(section);
        if (!shndx)
            invalid(path, where + ": the object has no section " + section);
        auto [it, added] = out.try_emplace(shndx);
        if (added)
            it->second.insns = elf.insns(shndx);
        size_t insn = r.insn_off / sizeof(bpf_insn);
        if (r.insn_off % sizeof(bpf_insn))
            invalid(path, where + ": misaligned instruction offset " + std::to_string(r.insn_off));
        std::optional<std::string> unresolved = patch_core_insn(
            it->second.insns, insn, relocator.resolve(r, path + ": " + where), path + ": " + where);
        if (unresolved)
            it->second.unresolved[insn] = describe_core_relo(local, r) + " (" + *unresolved + ")";
    }
    return out;
}

class Linker {
public:
    Linker(const std::string& path, const ElfFile& elf, const btf* b,
           const std::vector<MapDecl>& maps, const std::map<size_t, CoreSection>& core)
        : path_(path), elf_(elf), btf_(b), maps_(maps), core_(core) {
        text_ = elf.section_index(".text");
        maps_section_ = elf.section_index(".maps");
    }

    Program link(const Symbol& entry, size_t section) {
        Program prog;
        prog.name = entry.name;
        prog.section = elf_.section(section).name;
        appended_.clear();
        std::vector<bpf_insn> all = code(section);
        size_t first = entry.sym.st_value / sizeof(bpf_insn);
        size_t count = entry.sym.st_size / sizeof(bpf_insn);
        if (!count && first < all.size())
            count = all.size() - first;
        require_within(entry, prog.section, first, count, all.size());
        append_code(prog, section, all, first, count);
        relocate(prog, section, first, 0, count);
        if (prog.func_info.size()) {
            kring_func_info main{};
            prog.func_info.insert(prog.func_info.begin(), main);
        }
        return prog;
    }

private:
    // A code section's instructions, CO-RE relocated.
    std::vector<bpf_insn> code(size_t section) const {
        auto it = core_.find(section);
        return it == core_.end() ? elf_.insns(section) : it->second.insns;
    }

    // Appends [first, first + count) of `section` (its instructions `all`)
    // to prog, with the instructions among them whose CO-RE relocation
    // could not be resolved.
    void append_code(Program& prog, size_t section, const std::vector<bpf_insn>& all, size_t first,
                     size_t count) {
        size_t at = prog.insns.size();
        prog.insns.insert(prog.insns.end(), all.begin() + first, all.begin() + first + count);
        auto it = core_.find(section);
        if (it == core_.end())
            return;
        for (const auto& [insn, description] : it->second.unresolved)
            if (insn >= first && insn < first + count)
                prog.unresolved_core.push_back({at + insn - first, description});
    }

    // Applies the relocations of [first, first + count) of `section`, now
    // at `at` in prog, appending called .text functions as needed.
    void relocate(Program& prog, size_t section, size_t first, size_t at, size_t count) {
        std::set<size_t> relocated;
        for (const Reloc& r : elf_.relocs(section)) {
            if (r.insn < first || r.insn >= first + count)
                continue;
            relocated.insert(r.insn);
            bpf_insn& insn = prog.insns[at + r.insn - first];
            const Symbol& sym = elf_.symbols()[r.symbol]; // in range: relocs() checks
            if (insn.code == (BPF_LD | BPF_IMM | BPF_DW) && maps_section_ &&
                sym.sym.st_shndx == maps_section_) {
                insn.src_reg = BPF_PSEUDO_MAP_FD;
                insn.imm = map_index(prog, sym.name);
            } else if (insn.code == (BPF_LD | BPF_IMM | BPF_DW) &&
                       elf_.sections().count(sym.sym.st_shndx) &&
                       is_global_data_section(elf_.section(sym.sym.st_shndx))) {
                // A variable (its offset in st_value) or the section
                // itself (the offset in imm), as libbpf relocates both.
                const std::string& section = elf_.section(sym.sym.st_shndx).name;
                int64_t off = int64_t{insn.imm} + static_cast<int64_t>(sym.sym.st_value);
                insn.src_reg = BPF_PSEUDO_MAP_VALUE;
                insn.imm = map_index(prog, section);
                prog.insns[at + r.insn - first + 1].imm = static_cast<int32_t>(off);
            } else if (insn.code == (BPF_JMP | BPF_CALL) && insn.src_reg == BPF_PSEUDO_CALL &&
                       text_ && sym.sym.st_shndx == text_) {
                size_t target = sym.sym.st_value / sizeof(bpf_insn) + insn.imm + 1;
                size_t here = at + r.insn - first;
                size_t pos = append_text_function(prog, target); // may move prog.insns
                prog.insns[here].imm = static_cast<int32_t>(pos) - static_cast<int32_t>(here) - 1;
            } else if (std::optional<uint32_t> off = kconfig_offset(insn, sym)) {
                insn.src_reg = BPF_PSEUDO_MAP_VALUE;
                insn.imm = map_index(prog, ".kconfig");
                prog.insns[at + r.insn - first + 1].imm = static_cast<int32_t>(*off);
            } else if (insn.code == (BPF_LD | BPF_IMM | BPF_DW)) {
                invalid(path_, prog.name + ": reference to " +
                                   (sym.name.empty() ? std::string("a section") : sym.name) +
                                   ": not a map or global data (function pointers and externs "
                                   "other than __kconfig are not supported)");
            } else {
                invalid(path_, prog.name + ": unsupported relocation at instruction " +
                                   std::to_string(r.insn));
            }
        }
        // A call inside one section may carry no relocation: its imm is
        // relative to the section.
        for (size_t i = first; i < first + count; i++) {
            bpf_insn& insn = prog.insns[at + i - first];
            if (relocated.count(i) || insn.code != (BPF_JMP | BPF_CALL) ||
                insn.src_reg != BPF_PSEUDO_CALL)
                continue;
            if (section != text_)
                invalid(path_, prog.name + ": calls within a program section are not supported; "
                                           "call static functions in .text");
            size_t pos = append_text_function(prog, i + insn.imm + 1);
            prog.insns[at + i - first].imm =
                static_cast<int32_t>(pos) - static_cast<int32_t>(at + i - first) - 1;
        }
    }

    // A function's `count` instructions from `first` must lie in its
    // section of `size` instructions.
    void require_within(const Symbol& fn, const std::string& section, size_t first, size_t count,
                        size_t size) const {
        if (first >= size || count > size - first)
            invalid(path_, "function " + fn.name + " (" + std::to_string(count) +
                               " instructions from " + std::to_string(first) +
                               ") does not fit in its section " + section + " (" +
                               std::to_string(size) + " instructions)");
        if (!count)
            invalid(path_, "function " + fn.name + " in section " + section +
                               " is empty (its symbol's size is 0)");
    }

    // A load of a __kconfig extern: its offset in .kconfig (plus the
    // instruction's), as libbpf relocates it.
    std::optional<uint32_t> kconfig_offset(const bpf_insn& insn, const Symbol& sym) const {
        std::optional<size_t> kconfig = find_map(maps_, ".kconfig");
        if (insn.code != (BPF_LD | BPF_IMM | BPF_DW) || sym.sym.st_shndx != SHN_UNDEF || !kconfig)
            return std::nullopt;
        for (const GlobalVar& var : maps_[*kconfig].vars)
            if (var.name == sym.name)
                return static_cast<uint32_t>(insn.imm) + var.offset;
        return std::nullopt;
    }

    int32_t map_index(const Program& prog, const std::string& name) const {
        std::optional<size_t> index = find_map(maps_, name);
        if (!index)
            invalid(path_, prog.name + ": reference to " + name +
                               ", which is not a map in .maps or a global data section");
        return static_cast<int32_t>(*index);
    }

    // The .text function starting at `target` (an instruction index in
    // .text), appended once; returns its position in the program.
    size_t append_text_function(Program& prog, size_t target) {
        if (auto it = appended_.find(target); it != appended_.end())
            return it->second;
        const Symbol* fn = nullptr;
        for (const Symbol& s : elf_.symbols())
            if (text_ && s.sym.st_shndx == text_ && GELF_ST_TYPE(s.sym.st_info) == STT_FUNC &&
                s.sym.st_value / sizeof(bpf_insn) == target)
                fn = &s;
        if (!fn)
            invalid(path_, prog.name + ": call to .text instruction " + std::to_string(target) +
                               ", which starts no function");
        std::vector<bpf_insn> text = code(text_);
        size_t count = fn->sym.st_size / sizeof(bpf_insn);
        require_within(*fn, ".text", target, count, text.size());
        size_t pos = prog.insns.size();
        appended_[target] = pos;
        append_code(prog, text_, text, target, count);
        kring_func_info fi{};
        if (GELF_ST_BIND(fn->sym.st_info) == STB_GLOBAL)
            fi = describe_global(path_, btf_, fn->name, attach_type_of_section(prog.section));
        fi.insn_off = static_cast<uint32_t>(pos);
        prog.func_info.push_back(fi);
        relocate(prog, text_, target, pos, count);
        return pos;
    }

    const std::string& path_;
    const ElfFile& elf_;
    const btf* btf_;
    const std::vector<MapDecl>& maps_;
    const std::map<size_t, CoreSection>& core_;
    size_t text_ = 0, maps_section_ = 0;
    std::map<size_t, size_t> appended_;
};

} // namespace

bool Object::in_slot(const std::string& name) const {
    return std::ranges::any_of(maps, [&](const MapDecl& decl) {
        return std::ranges::find(decl.slots, name) != decl.slots.end();
    });
}

size_t Object::map_index(const std::string& name) const {
    if (std::optional<size_t> index = find_map(maps, name))
        return *index;
    std::string names;
    for (const MapDecl& decl : maps)
        names += (names.empty() ? "" : ", ") + decl.name;
    throw Error(EINVAL, "no map " + name +
                            " (the object's maps: " + (names.empty() ? "none" : names) + ")");
}

namespace {

// NAME=VALUE, as --max-entries and --set give it.
std::pair<std::string, std::string> split_setting(const std::string& option,
                                                  const std::string& arg) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
        throw Error(EINVAL, option + " takes NAME=VALUE, not " + arg);
    return {arg.substr(0, eq), arg.substr(eq + 1)};
}

} // namespace

uint32_t possible_cpus() {
    int cpus = libbpf_num_possible_cpus();
    if (cpus < 0)
        throw Error(-cpus, "the number of possible CPUs");
    return static_cast<uint32_t>(cpus);
}

namespace {

// Repeated OPTION MAP=N options, N from 1 to UINT32_MAX (decimal or 0x hex),
// into `out`; `what` names N in the error.
void parse_map_sizes(const std::string& option, const std::string& what,
                     const std::vector<std::string>& args, std::map<std::string, uint32_t>* out) {
    for (const std::string& arg : args) {
        auto [name, text] = split_setting(option, arg);
        size_t used = 0;
        unsigned long long n = 0;
        try {
            n = std::stoull(text, &used, 0);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != text.size() || !n || n > UINT32_MAX || text.starts_with("-"))
            throw Error(EINVAL, option + " " + arg + ": the " + what + " is from 1 to 4294967295");
        (*out)[name] = static_cast<uint32_t>(n);
    }
}

} // namespace

void parse_max_entries(const std::vector<std::string>& args, ObjectSettings* settings) {
    parse_map_sizes("--max-entries", "count", args, &settings->max_entries);
}

void parse_value_sizes(const std::vector<std::string>& args, ObjectSettings* settings) {
    parse_map_sizes("--value-size", "size", args, &settings->value_sizes);
}

void parse_map_types(const std::vector<std::string>& args, ObjectSettings* settings) {
    static const std::pair<const char*, uint32_t> names[] = {
        {"ringbuf", BPF_MAP_TYPE_RINGBUF},
        {"array", BPF_MAP_TYPE_ARRAY},
        {"percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY},
        {"hash", BPF_MAP_TYPE_HASH},
        {"percpu_hash", BPF_MAP_TYPE_PERCPU_HASH},
        {"lru_hash", BPF_MAP_TYPE_LRU_HASH},
        {"lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH},
    };
    for (const std::string& arg : args) {
        auto [name, text] = split_setting("--map-type", arg);
        std::string lower;
        for (char c : text)
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.starts_with("bpf_map_type_"))
            lower = lower.substr(13);
        std::optional<uint32_t> type;
        for (const auto& [n, t] : names)
            if (lower == n)
                type = t;
        size_t used = 0;
        if (!type && !text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
            try {
                unsigned long v = std::stoul(text, &used, 0);
                if (used == text.size() && v <= UINT32_MAX)
                    type = static_cast<uint32_t>(v);
            } catch (const std::exception&) {
            }
        }
        if (!type)
            throw Error(EINVAL, "--map-type " + arg +
                                    ": TYPE is ringbuf, array, percpu_array, hash, percpu_hash, "
                                    "lru_hash, lru_percpu_hash or a number");
        settings->map_types[name] = *type;
    }
}

void parse_globals(const std::vector<std::string>& args, ObjectSettings* settings) {
    for (const std::string& arg : args) {
        auto [name, value] = split_setting("--set", arg);
        settings->globals[name] = value;
    }
}

Object load_elf(const std::string& path, const ObjectSettings& settings) {
    ElfFile elf(path);
    BtfPtr b(btf__parse_elf(path.c_str(), nullptr));
    std::map<size_t, CoreSection> core = relocate_core(path, elf, b.get(), settings.target_btf);
    Object obj;
    if (b)
        obj.maps = read_maps(path, b.get(), settings.map_types);
    else if (!settings.map_types.empty())
        invalid(path, "--map-type " + settings.map_types.begin()->first +
                          ": the object has no maps in .maps (no BTF)");
    else if (elf.section_index(".maps"))
        invalid(path, "maps in .maps need BTF: compile with -g");
    fill_slots(path, elf, obj.maps);
    for (MapDecl& decl : read_global_data(path, elf))
        obj.maps.push_back(std::move(decl));
    if (std::vector<KconfigExtern> externs = kconfig_externs(elf, b.get()); !externs.empty())
        obj.maps.push_back(kconfig_map(path, b.get(), externs, settings.kconfig));
    apply_settings(path, obj, settings);
    Linker linker(path, elf, b.get(), obj.maps, core);
    size_t text = elf.section_index(".text");
    for (const auto& [index, s] : elf.sections()) {
        if (index == text || s.hdr.sh_type != SHT_PROGBITS || !(s.hdr.sh_flags & SHF_EXECINSTR) ||
            !s.hdr.sh_size)
            continue;
        for (const Symbol& sym : elf.symbols())
            if (sym.sym.st_shndx == index && GELF_ST_TYPE(sym.sym.st_info) == STT_FUNC)
                obj.programs.push_back(linker.link(sym, index));
    }
    if (obj.programs.empty())
        invalid(path, "no programs (functions in SEC() sections other than .text)");
    return obj;
}

Object load_raw(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(errno, path + ": cannot open");
    std::vector<bpf_insn> insns;
    bpf_insn insn;
    ssize_t n;
    while ((n = ::read(fd, &insn, sizeof(insn))) == sizeof(insn))
        insns.push_back(insn);
    int err = errno;
    ::close(fd);
    if (n < 0)
        throw Error(err, path + ": cannot read");
    if (n > 0)
        invalid(path, "size is not a multiple of 8 bytes (struct bpf_insn)");
    Object obj;
    std::string name = path.substr(path.find_last_of('/') + 1);
    obj.programs.push_back({name, "raw", std::move(insns), {}, {}});
    return obj;
}

} // namespace kring::bpf
