// The CO-RE relocations of an object's .BTF.ext section. kring does not
// apply them yet: the ELF loader refuses an object that has any, since its
// programs would run with the offsets they were compiled with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct btf;

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

} // namespace kring::bpf
