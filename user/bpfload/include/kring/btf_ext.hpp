// The CO-RE relocations of an object's .BTF.ext section, which the ELF
// loader applies (core_relo.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct btf;
struct btf_type;

namespace kring::bpf {

// One CO-RE relocation record.
struct CoreRelo {
    uint32_t section_name_off = 0; // the program section's name, in .BTF's strings
    uint32_t insn_off = 0;         // the instruction's byte offset in that section
    uint32_t type_id = 0;          // the local BTF type the relocation is about
    uint32_t access_str_off = 0;   // its access string ("0:1:0"), in .BTF's strings
    uint32_t kind = 0;             // what is relocated: a field's offset, a type's size...
};

// The CO-RE relocations of the bytes of a .BTF.ext section, none if it has
// no CO-RE part. Throws kring::Error (EINVAL) naming `path` if the section
// is malformed.
std::vector<CoreRelo> parse_core_relos(const std::string& path, std::span<const std::byte> btf_ext);

// What `relo` relocates, from the object's BTF (which may be null), e.g.
// "CO-RE field relocation (byte offset) of struct task (access 0:1, .tgid)".
std::string describe_core_relo(const btf* b, const CoreRelo& relo);

// Type `id` of `b` behind its typedefs and qualifiers (const, volatile...),
// null if there is no such type.
const btf_type* skip_mods(const btf* b, uint32_t id);
// The same, leaving the id of the type behind them in *id.
const btf_type* skip_mods(const btf* b, uint32_t* id);

// A libbpf btf, freed with btf__free().
struct BtfDeleter {
    void operator()(btf* b) const;
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

// Type `id` of `b` as messages name it: "struct task_struct", "enum
// (anonymous, id 7)", "type 7" if `b` is null or has no such type.
std::string describe_btf_type(const btf* b, uint32_t id);

} // namespace kring::bpf
