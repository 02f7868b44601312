// A fuzzed program: everything kbpf_verify() needs besides the code itself,
// so that it can be verified, run, printed and dumped as raw bytecode.
#pragma once

#include <cstdint>
#include <linux/bpf.h>
#include <linux/kring.h>
#include <string>
#include <vector>

namespace fuzz {

// The ring fds programs load: kbpf_verify's lookup maps fd i to ring i,
// as kring-verify --raw and the ELF loader number an object's rings.
constexpr int32_t NR_RINGS = 2;

// The maps programs load: fd NR_RINGS + i is map i, described to
// kbpf_verify as Linux describes a map.
// A frozen map (as libbpf freezes a .rodata) holds zeros, which the
// verifier reads as known numbers.
struct FuzzMap {
    uint32_t type, key_size, value_size, max_entries, flags;
    bool frozen;
};
constexpr int32_t NR_MAPS = 4;
inline const FuzzMap& fuzz_map(int32_t i) {
    static const FuzzMap maps[NR_MAPS] = {
        {BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0, false},
        {BPF_MAP_TYPE_HASH, 8, 24, 8, 0, false},
        {BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG, true}, // a .rodata
        {BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0, false},               // a .data
    };
    return maps[i];
}
// The value a frozen map's programs see (and the verifier reads): zeros.
inline const uint8_t* frozen_value() {
    static const uint8_t zeros[64] = {};
    return zeros;
}
// Map i has one value with one address (BPF_PSEUDO_MAP_VALUE loads it).
inline bool has_direct_value(int32_t i) {
    return fuzz_map(i).type == BPF_MAP_TYPE_ARRAY && fuzz_map(i).max_entries == 1;
}
inline bool is_map_fd(int32_t fd) {
    return fd >= NR_RINGS && fd < NR_RINGS + NR_MAPS;
}

struct Prog {
    std::vector<bpf_insn> insns;
    std::vector<kring_func_info> funcs; // empty: no func-info
    uint32_t ctx_size = 64;
    bool ctx_writable = false;
    uint32_t flags = 0; // KBPF_F_*
};

// Whether insns[i] is the second half of an LD_IMM64, not an instruction.
inline bool second_half(const std::vector<bpf_insn>& insns, size_t i) {
    return i && insns[i - 1].code == (BPF_LD | BPF_IMM | BPF_DW);
}

// Whether the instruction names another by its distance: a jump (off) or a
// call of one of the program's functions (imm). Code that inserts or drops
// instructions renumbers these.
inline bool has_relative_target(const bpf_insn& in) {
    uint8_t cls = BPF_CLASS(in.code), op = BPF_OP(in.code);
    if (cls != BPF_JMP && cls != BPF_JMP32)
        return false;
    return op != BPF_EXIT && !(op == BPF_CALL && in.src_reg != BPF_PSEUDO_CALL);
}

// One instruction per line, "  12: r1 = *(u32 *)(r6 +4)".
std::string disassemble(const Prog& prog);

// Writes PATH.bin (the raw struct bpf_insn array, for kring-verify --raw and
// for Linux) and PATH.txt (ctx size, writability, flags, func-info, and the
// text of the program). Returns false if a file cannot be written.
bool dump(const Prog& prog, const std::string& path, const std::string& note = "");

} // namespace fuzz
