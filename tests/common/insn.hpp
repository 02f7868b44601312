// Builders for struct bpf_insn in tests: real eBPF encoding, spelled out.
#pragma once

#include <cstdint>
#include <linux/bpf.h>
#include <vector>

namespace insn {

inline bpf_insn raw(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

inline bpf_insn alu64_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return raw(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
inline bpf_insn alu64_reg(uint8_t op, uint8_t dst, uint8_t src) {
    return raw(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}
inline bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return raw(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
inline bpf_insn alu32_reg(uint8_t op, uint8_t dst, uint8_t src) {
    return raw(BPF_ALU | op | BPF_X, dst, src, 0, 0);
}
inline bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
    return alu64_imm(BPF_MOV, dst, imm);
}
inline bpf_insn mov64_reg(uint8_t dst, uint8_t src) {
    return alu64_reg(BPF_MOV, dst, src);
}
// to_be: BPF_TO_BE, else BPF_TO_LE; bits: 16, 32 or 64.
inline bpf_insn endian(bool to_be, uint8_t dst, int32_t bits) {
    return raw(BPF_ALU | BPF_END | (to_be ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0, bits);
}
inline bpf_insn ldx(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
    return raw(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}
inline bpf_insn stx(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
    return raw(BPF_STX | BPF_MEM | size, dst, src, off, 0);
}
inline bpf_insn st(uint8_t size, uint8_t dst, int16_t off, int32_t imm) {
    return raw(BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}
inline bpf_insn jmp_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
    return raw(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
inline bpf_insn jmp_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
    return raw(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
inline bpf_insn jmp32_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
    return raw(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}
inline bpf_insn ja(int16_t off) {
    return raw(BPF_JMP | BPF_JA, 0, 0, off, 0);
}
inline bpf_insn call_helper(int32_t id) {
    return raw(BPF_JMP | BPF_CALL, 0, 0, 0, id);
}
inline bpf_insn call_local(int32_t rel) {
    return raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel);
}
inline bpf_insn exit_insn() {
    return raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// Appends the two slots of BPF_LD | BPF_IMM | BPF_DW.
inline void ld_imm64(std::vector<bpf_insn>& prog, uint8_t dst, uint64_t value, uint8_t src = 0) {
    prog.push_back(raw(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, static_cast<int32_t>(value)));
    prog.push_back(raw(0, 0, 0, 0, static_cast<int32_t>(value >> 32)));
}

// Added for the verifier table: 32-bit moves and compares, and LD_IMM64 as a
// value (a pair of slots) so that it composes inside brace-initialised
// programs.
inline bpf_insn mov32_imm(uint8_t dst, int32_t imm) {
    return alu32_imm(BPF_MOV, dst, imm);
}
inline bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
    return alu32_reg(BPF_MOV, dst, src);
}
inline bpf_insn jmp32_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
    return raw(BPF_JMP32 | op | BPF_X, dst, src, off, 0);
}
inline std::vector<bpf_insn> ld_imm64_pair(uint8_t dst, uint64_t value, uint8_t src = 0) {
    std::vector<bpf_insn> pair;
    ld_imm64(pair, dst, value, src);
    return pair;
}
// dst = the ring or map that file descriptor fd names (BPF_PSEUDO_MAP_FD).
inline std::vector<bpf_insn> ld_map_fd(uint8_t dst, int32_t fd) {
    return ld_imm64_pair(dst, static_cast<uint32_t>(fd), BPF_PSEUDO_MAP_FD);
}
// dst = the address `off` bytes into the value of the single-entry ARRAY
// that file descriptor fd names (BPF_PSEUDO_MAP_VALUE): a global variable.
inline std::vector<bpf_insn> ld_map_value(uint8_t dst, int32_t fd, uint32_t off) {
    return ld_imm64_pair(dst, uint64_t{off} << 32 | static_cast<uint32_t>(fd),
                         BPF_PSEUDO_MAP_VALUE);
}

} // namespace insn
