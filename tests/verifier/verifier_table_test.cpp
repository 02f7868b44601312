// The verifier against a table of programs it must accept or reject.
//
// Every case names the verdict (errno) and, for a rejection, the key phrase
// of docs/verifier.md's message catalog that the log must contain, so that a
// program rejected for the wrong reason fails as loudly as one accepted by
// mistake. Every case (but the E2BIG limits) is verified a second time with
// a checkpoint at every instruction (KBPF_F_TEST_STATE_FREQ): pruning must
// not change a verdict. The groups follow the issue: 64- and 32-bit scalar
// bounds, pointer arithmetic, stack, context, rings, control flow, calls,
// pruning, privileges and malformed programs. Where the catalog has no
// phrase (Linux's malformed-instruction rules) a case names the insn.
#include "insn.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// Last: the portable C's platform header defines function-like macros
// (max, swap) that would break the C++ headers above.
extern "C" {
#include "kbpf_btf.h"
#include "log.h"
#include "tp_btf.h"
#include "verifier.h"
}

// The kernel BTF the BTF-typed cases are verified against: Debian 6.1's
// for the table here (CMake names the file), the running kernel's in the
// VM tests that include this file.
#ifndef KRING_TABLE_BTF
#error "KRING_TABLE_BTF: the kernel BTF file of the BTF-typed cases"
#endif

using namespace insn;

namespace {

using Prog = std::vector<bpf_insn>;

constexpr uint8_t R0 = BPF_REG_0, R1 = BPF_REG_1, R2 = BPF_REG_2, R3 = BPF_REG_3, R4 = BPF_REG_4,
                  R5 = BPF_REG_5, R6 = BPF_REG_6, R7 = BPF_REG_7, R8 = BPF_REG_8, R9 = BPF_REG_9,
                  R10 = BPF_REG_10;

constexpr uint32_t PRIV =
    KBPF_F_BPF_CAPABLE | KBPF_F_ALLOW_PTR_LEAKS | KBPF_F_BYPASS_SPEC_V1 | KBPF_F_BYPASS_SPEC_V4;
constexpr uint32_t NO_LEAKS = PRIV & ~KBPF_F_ALLOW_PTR_LEAKS;
constexpr uint32_t NO_CAP = PRIV & ~KBPF_F_BPF_CAPABLE;
constexpr uint32_t NO_SPEC_V1 = PRIV & ~KBPF_F_BYPASS_SPEC_V1;
constexpr uint32_t NO_SPEC_V4 = PRIV & ~KBPF_F_BYPASS_SPEC_V4;

// The fds the table's lookup knows; anything else is not a ring or a map.
constexpr int32_t RING = 100;
constexpr int32_t RING2 = 101;
// Maps, as Linux describes them: key and value sizes, entries, flags.
constexpr int32_t ARRAY_MAP = 200;  // BPF_MAP_TYPE_ARRAY: 4-byte keys, 16-byte values
constexpr int32_t HASH_MAP = 201;   // BPF_MAP_TYPE_HASH: 8-byte keys, 24-byte values
constexpr int32_t RDONLY_MAP = 202; // an ARRAY of 8-byte values programs only read
// Global data as libbpf makes it: single-entry ARRAYs of 16-byte values.
constexpr int32_t DATA_MAP = 203;   // .data or .bss: read and written
constexpr int32_t RODATA_MAP = 204; // .rodata: read-only to programs and frozen
constexpr int32_t PROG_ARRAY = 205; // BPF_MAP_TYPE_PROG_ARRAY of 4 slots
constexpr int32_t CGROUP_MAP = 206; // BPF_MAP_TYPE_CGROUP_ARRAY of 2 slots, empty
constexpr int32_t PERF_MAP = 207;   // BPF_MAP_TYPE_PERF_EVENT_ARRAY of 2 slots
constexpr int32_t STACK_MAP = 208;  // BPF_MAP_TYPE_STACK_TRACE of 16 stacks of 8 frames
// RODATA_MAP's value: the u32 8 at offset 0, a u64 at offset 8.
constexpr uint32_t RODATA_COUNT = 8;
constexpr uint64_t RODATA_WORD = 0x1122334455667788ULL;
alignas(8) const uint8_t rodata_value[16] = {8,    0,    0,    0,    0,    0,    0,    0,
                                             0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};

// One piece of a program: an instruction or a fragment (LD_IMM64's two
// slots, the helpers below), so that programs read top to bottom.
struct Part {
    Prog insns;
    Part(bpf_insn insn) : insns{insn} {}
    Part(Prog fragment) : insns(std::move(fragment)) {}
};

Prog P(std::initializer_list<Part> parts) {
    Prog prog;
    for (const Part& part : parts)
        prog.insert(prog.end(), part.insns.begin(), part.insns.end());
    return prog;
}

// A context of @size bytes that no attach type describes further.
kbpf_ctx_desc plain_ctx(uint32_t size, bool writable) {
    kbpf_ctx_desc ctx{};
    ctx.size = size;
    ctx.writable = writable;
    return ctx;
}

struct Case {
    std::string name;
    Prog prog;
    int err = 0;     // 0: accepted; else the negative errno
    std::string msg; // catalog phrase the log must contain when rejected
    uint32_t flags = PRIV;
    kbpf_ctx_desc ctx = plain_ctx(64, false);
    std::vector<kring_func_info> funcs;
    uint32_t log_level = KBPF_LOG_LEVEL_ERRORS;
    // A tp_btf program of this tracepoint, or an fentry or fexit program of
    // this function (typed_attach; its arguments typed by the table's BTF,
    // table_btf()); nullptr: another context.
    const char* typed_target = nullptr;
    uint32_t typed_attach = 0; // KRING_ATTACH_TP_BTF, _FENTRY or _FEXIT

    Case with_flags(uint32_t value) && {
        flags = value;
        return std::move(*this);
    }
    Case with_ctx(uint32_t size, bool writable) && {
        ctx = plain_ctx(size, writable);
        return std::move(*this);
    }
    Case with_funcs(std::vector<kring_func_info> value) && {
        funcs = std::move(value);
        return std::move(*this);
    }
    Case with_log_level(uint32_t value) && {
        log_level = value;
        return std::move(*this);
    }
    Case with_tp_btf(const char* name) && {
        return std::move(*this).with_typed(KRING_ATTACH_TP_BTF, name);
    }
    Case with_fentry(const char* function) && {
        return std::move(*this).with_typed(KRING_ATTACH_FENTRY, function);
    }
    Case with_fexit(const char* function) && {
        return std::move(*this).with_typed(KRING_ATTACH_FEXIT, function);
    }
    Case with_typed(uint32_t attach, const char* target) && {
        typed_attach = attach;
        typed_target = target;
        ctx = plain_ctx(KRING_RAW_TP_CTX_SIZE, false);
        ctx.attach_type = attach;
        return std::move(*this);
    }
};

// ---- the kernel's BTF, for the BTF-typed cases ----

struct TableBtf {
    std::vector<uint32_t> words; // the file, 4-byte aligned as the parser wants
    kbpf_btf* btf = nullptr;
    ~TableBtf() { kbpf_btf_free(btf); }
};

// KRING_TABLE_BTF, read once.
const kbpf_btf* table_btf() {
    static std::unique_ptr<TableBtf> table = [] {
        auto t = std::make_unique<TableBtf>();
        std::ifstream in(KRING_TABLE_BTF, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        t->words.resize((bytes.size() + 3) / 4);
        std::memcpy(t->words.data(), bytes.data(), bytes.size());
        const char* why = nullptr;
        if (kbpf_btf_parse(t->words.data(), static_cast<uint32_t>(bytes.size()), &t->btf, &why))
            t->btf = nullptr;
        return t;
    }();
    REQUIRE_MESSAGE(table->btf, "cannot read the kernel BTF " KRING_TABLE_BTF);
    return table->btf;
}

// The byte offset of member @member of struct @type in the table's BTF (a
// member of the struct itself, not of a nested anonymous one).
int16_t btf_off(const char* type, const char* member) {
    const kbpf_btf* btf = table_btf();
    uint32_t id = kbpf_btf_find(btf, type, BTF_KIND_STRUCT);
    REQUIRE_MESSAGE(id, "no struct ", type);
    const btf_type* t = kbpf_btf_type(btf, id);
    const auto* members = reinterpret_cast<const btf_member*>(t + 1);
    for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
        if (std::strcmp(kbpf_btf_name(btf, members[i].name_off), member) != 0)
            continue;
        uint32_t bits =
            BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(members[i].offset) : members[i].offset;
        return static_cast<int16_t>(bits / 8);
    }
    FAIL("no member ", member, " in struct ", type);
    return 0;
}

// The size of struct @type in the table's BTF.
int16_t btf_size(const char* type) {
    const kbpf_btf* btf = table_btf();
    uint32_t id = kbpf_btf_find(btf, type, BTF_KIND_STRUCT);
    REQUIRE_MESSAGE(id, "no struct ", type);
    return static_cast<int16_t>(kbpf_btf_type(btf, id)->size);
}

Case accept(std::string name, Prog prog) {
    Case c;
    c.name = std::move(name);
    c.prog = std::move(prog);
    return c;
}
Case reject(std::string name, Prog prog, int err, std::string msg) {
    Case c = accept(std::move(name), std::move(prog));
    c.err = err;
    c.msg = std::move(msg);
    return c;
}
// Unsafe: -EACCES.
Case deny(std::string name, Prog prog, std::string msg) {
    return reject(std::move(name), std::move(prog), -EACCES, std::move(msg));
}
// Malformed: -EINVAL.
Case malformed(std::string name, Prog prog, std::string msg) {
    return reject(std::move(name), std::move(prog), -EINVAL, std::move(msg));
}

kring_func_info func(uint32_t insn_off, uint8_t linkage, std::vector<uint8_t> args = {}) {
    kring_func_info info{};
    info.insn_off = insn_off;
    info.linkage = linkage;
    info.nr_args = static_cast<uint8_t>(args.size());
    for (size_t i = 0; i < args.size(); i++)
        info.arg_kinds[i] = args[i];
    return info;
}

// ---- program fragments ----

// r0 = ringbuf_reserve(ring fd, size, 0): 5 instructions.
Prog reserve(int32_t size, int32_t fd = RING) {
    return P({ld_map_fd(R1, fd), mov64_imm(R2, size), mov64_imm(R3, 0),
              call_helper(BPF_FUNC_ringbuf_reserve)});
}
// helper(reg, 0) for submit or discard: 3 instructions.
Prog release(uint8_t reg, int32_t helper = BPF_FUNC_ringbuf_submit) {
    return P({mov64_reg(R1, reg), mov64_imm(R2, 0), call_helper(helper)});
}
Prog submit(uint8_t reg) {
    return release(reg, BPF_FUNC_ringbuf_submit);
}
Prog discard(uint8_t reg) {
    return release(reg, BPF_FUNC_ringbuf_discard);
}
// r0 = map_lookup_elem(fd, fp-8), its key (the map's key size: 4 bytes for
// the arrays, 8 for the hash) written as 0 first: 6 instructions.
Prog lookup(int32_t fd) {
    return P({st(fd == HASH_MAP ? BPF_DW : BPF_W, R10, -8, 0), ld_map_fd(R1, fd),
              mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
              call_helper(BPF_FUNC_map_lookup_elem)});
}
// The same, then if (!r0) return 0: 9 instructions.
Prog lookup_checked(int32_t fd) {
    return P({lookup(fd), jmp_imm(BPF_JNE, R0, 0, 2), mov64_imm(R0, 0), exit_insn()});
}

// r0 = value; exit: 2 instructions.
Prog ret(int32_t value = 0) {
    return P({mov64_imm(R0, value), exit_insn()});
}

// The record scaffold most ring and bounds cases share:
//     r9 = ctx; r0 = reserve(size); if (!r0) return 0; r6 = r0;
//     BODY
//     submit(r6); return 0;
// A jump at body index i lands on the submit with offset len(BODY) - 1 - i,
// and past it (a path that leaks) with 3 more. record_prologue() is the
// first line alone, for programs that end differently.
Prog record_prologue(int32_t size) {
    return P(
        {mov64_reg(R9, R1), reserve(size), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0)});
}
Prog with_record(int32_t size, Prog body) {
    return P({record_prologue(size), std::move(body), submit(R6), ret(0)});
}
// In the scaffold: dst = an unknown 64-bit value from the context.
bpf_insn unknown(uint8_t dst, int16_t off = 0) {
    return ldx(BPF_DW, dst, R9, off);
}
// In the scaffold: one byte stored at record + r7 (3 instructions).
Prog poke_r7() {
    return P({mov64_reg(R8, R6), alu64_reg(BPF_ADD, R8, R7), st(BPF_B, R8, 0, 1)});
}

// get_current_comm into fp-24 with its size in [lo, lo + mod - 1], from the
// context in r1, then r0 = the byte at fp + read_off; exit. With read
// false, only the call (6 instructions).
Prog comm_var(int32_t mod, int32_t lo, int16_t read_off, bool read = true) {
    Prog call = P({ldx(BPF_H, R2, R1, 0), alu64_imm(BPF_MOD, R2, mod), alu64_imm(BPF_ADD, R2, lo),
                   mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -24),
                   call_helper(BPF_FUNC_get_current_comm)});
    if (!read)
        return call;
    return P({call, ldx(BPF_B, R0, R10, read_off), exit_insn()});
}

// A straight-line program of n instructions: r0 = 0; r0 += 1 ...; exit.
Prog straight_line(size_t n) {
    Prog prog{mov64_imm(R0, 0)};
    while (prog.size() + 1 < n)
        prog.push_back(alu64_imm(BPF_ADD, R0, 1));
    prog.push_back(exit_insn());
    return prog;
}

// Frame k at insn 2k calls frame k+1; the deepest returns 0.
Prog call_chain(int frames) {
    Prog prog;
    for (int k = 0; k + 1 < frames; k++) {
        prog.push_back(call_local(1));
        prog.push_back(exit_insn());
    }
    prog.push_back(mov64_imm(R0, 0));
    prog.push_back(exit_insn());
    return prog;
}

// func-info for call_chain(frames): every function but main global.
std::vector<kring_func_info> global_chain(int frames) {
    std::vector<kring_func_info> funcs{func(0, KRING_FUNC_STATIC)};
    for (int k = 1; k < frames; k++)
        funcs.push_back(func(static_cast<uint32_t>(2 * k), KRING_FUNC_GLOBAL));
    return funcs;
}

// ---- the verifier, run on one case ----

int lookup_map(void*, s32 fd, kbpf_map_desc* desc) {
    switch (fd) {
    case RING:
    case RING2:
        *desc = {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, nullptr};
        return fd - RING;
    case ARRAY_MAP:
        *desc = {BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0, nullptr};
        return 2;
    case HASH_MAP:
        *desc = {BPF_MAP_TYPE_HASH, 8, 24, 64, 0, nullptr};
        return 3;
    case RDONLY_MAP:
        *desc = {BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG, nullptr};
        return 4;
    case DATA_MAP:
        *desc = {BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0, nullptr};
        return 5;
    case RODATA_MAP:
        *desc = {BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG, rodata_value};
        return 6;
    case PROG_ARRAY:
        *desc = {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, nullptr};
        return 7;
    case CGROUP_MAP:
        *desc = {BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 2, 0, nullptr};
        return 8;
    case PERF_MAP:
        *desc = {BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, nullptr};
        return 9;
    case STACK_MAP:
        *desc = {BPF_MAP_TYPE_STACK_TRACE, 4, 64, 16, 0, nullptr};
        return 10;
    default:
        return -EBADF;
    }
}

struct Outcome {
    int err;
    std::string log;
    kbpf_verify_stats stats;
};

// Runs the verifier on c with a log of log_size bytes (none if 0).
Outcome verify(const Case& c, uint32_t extra_flags = 0, uint32_t log_size = 64 * 1024) {
    std::vector<char> log(log_size + 1, '\0');
    kbpf_verify_attr attr{};
    attr.insns = c.prog.data();
    attr.insn_cnt = static_cast<uint32_t>(c.prog.size());
    attr.func_info = c.funcs.empty() ? nullptr : c.funcs.data();
    attr.func_info_cnt = static_cast<uint32_t>(c.funcs.size());
    attr.ctx = c.ctx;
    kbpf_tp_btf tp{};
    if (c.typed_target) {
        char msg[256];
        REQUIRE_MESSAGE(kbpf_typed_args(table_btf(), c.typed_attach, c.typed_target, &tp, msg,
                                        sizeof(msg)) == 0,
                        msg);
        kbpf_typed_ctx(&tp, c.typed_attach, c.typed_target, &attr.ctx);
        attr.btf = table_btf();
    }
    attr.map_lookup = lookup_map;
    attr.flags = c.flags | extra_flags;
    attr.log_level = c.log_level;
    attr.log_buf = log_size ? log.data() : nullptr;
    attr.log_size = log_size;
    Outcome out{};
    out.err = kbpf_verify(&attr, &out.stats);
    out.log = log.data();
    return out;
}

std::string stats_line(const kbpf_verify_stats& stats) {
    return "processed " + std::to_string(stats.insns_processed) + " insns (limit 1000000)";
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

void check_case(const Case& c) {
    Outcome out = verify(c);
    INFO("case: ", c.name);
    INFO("expected: ", c.err, c.err ? " \"" + c.msg + "\"" : std::string(" (accept)"));
    INFO("log:\n", out.log);
    CHECK(out.err == c.err);
    if (c.err != 0)
        CHECK(contains(out.log, c.msg));
    CHECK(contains(out.log, stats_line(out.stats)));
    // More checkpoints may only end paths whose continuation was already
    // explored, so neither the verdict nor the first error may change. (The
    // issue asks this of accepted programs; a rejected one that a checkpoint
    // turns into an accept is the worse bug.) Size and complexity limits
    // (E2BIG) are left out: a checkpoint at each of a million instructions
    // only costs time there.
    if (out.err == c.err && c.err != -E2BIG && !(c.flags & ~KBPF_F_ALL)) {
        Outcome stressed = verify(c, KBPF_F_TEST_STATE_FREQ);
        INFO("log with KBPF_F_TEST_STATE_FREQ:\n", stressed.log);
        CHECK(stressed.err == c.err);
        if (c.err != 0)
            CHECK(contains(stressed.log, c.msg));
        CHECK(contains(stressed.log, stats_line(stressed.stats)));
    }
}

// ---- the table ----

std::vector<Case> scalar64_cases() {
    return {
        accept("AND with 7 bounds an index into an 8-byte record",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), poke_r7()}))),
        deny("AND with 15 does not bound an index into an 8-byte record",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 15), poke_r7()})),
             "invalid ring record access"),
        accept("JLT gives umax on the taken branch",
               with_record(8, P({unknown(R7), jmp_imm(BPF_JLT, R7, 8, 1), ja(3), poke_r7()}))),
        deny("JGT 8 leaves index 8, one past an 8-byte record",
             with_record(8, P({unknown(R7), jmp_imm(BPF_JGT, R7, 8, 3), poke_r7()})),
             "invalid ring record access"),
        accept("JGE gives umax on the fall-through branch",
               with_record(8, P({unknown(R7), jmp_imm(BPF_JGE, R7, 8, 3), poke_r7()}))),
        deny("a signed upper bound alone leaves the value unbounded below",
             with_record(8, P({unknown(R7), jmp_imm(BPF_JSGT, R7, 7, 3), poke_r7()})), "unbounded"),
        accept("signed bounds on both sides",
               with_record(8, P({unknown(R7), jmp_imm(BPF_JSLT, R7, 0, 4),
                                 jmp_imm(BPF_JSGT, R7, 7, 3), poke_r7()}))),
        accept("RSH 61 leaves 3 bits",
               with_record(8, P({unknown(R7), alu64_imm(BPF_RSH, R7, 61), poke_r7()}))),
        deny("RSH 60 leaves 4 bits",
             with_record(8, P({unknown(R7), alu64_imm(BPF_RSH, R7, 60), poke_r7()})),
             "invalid ring record access"),
        accept("LSH 61 then RSH 61 leaves 3 bits",
               with_record(8, P({unknown(R7), alu64_imm(BPF_LSH, R7, 61),
                                 alu64_imm(BPF_RSH, R7, 61), poke_r7()}))),
        accept(
            "the product of [0,3] and [0,3] fits a 10-byte record",
            with_record(10, P({unknown(R7), alu64_imm(BPF_AND, R7, 3), unknown(R5, 8),
                               alu64_imm(BPF_AND, R5, 3), alu64_reg(BPF_MUL, R7, R5), poke_r7()}))),
        deny("a product with an unknown factor is unbounded",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 3), unknown(R5, 8),
                               alu64_reg(BPF_MUL, R7, R5), poke_r7()})),
             "unbounded"),
        accept("constant arithmetic is exact: 3 + 4 in an 8-byte record",
               with_record(8, P({mov64_imm(R7, 3), alu64_imm(BPF_ADD, R7, 4), poke_r7()}))),
        deny("constant arithmetic is exact: 4 << 1 is one past an 8-byte record",
             with_record(8, P({mov64_imm(R7, 4), alu64_imm(BPF_LSH, R7, 1), poke_r7()})),
             "invalid ring record access"),
        deny("[0,7] - 8 is negative",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), alu64_imm(BPF_SUB, R7, 8),
                               poke_r7()})),
             "invalid ring record access"),
        deny("XOR 8 of [0,7] is [8,15]",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), alu64_imm(BPF_XOR, R7, 8),
                               poke_r7()})),
             "invalid ring record access"),
        accept("OR 1 then AND 7", with_record(8, P({unknown(R7), alu64_imm(BPF_OR, R7, 1),
                                                    alu64_imm(BPF_AND, R7, 7), poke_r7()}))),
        accept("a register comparison with a constant register bounds the index",
               with_record(
                   8, P({unknown(R7), mov64_imm(R5, 7), jmp_reg(BPF_JGT, R7, R5, 3), poke_r7()}))),
        deny("a register comparison with an unknown register does not",
             with_record(8,
                         P({unknown(R7), unknown(R5, 8), jmp_reg(BPF_JGT, R7, R5, 3), poke_r7()})),
             "unbounded"),
        deny("ARSH 61 keeps the sign: [-4,3]",
             with_record(8, P({unknown(R7), alu64_imm(BPF_ARSH, R7, 61), poke_r7()})),
             "invalid ring record access"),
        accept("a signed then an unsigned upper bound",
               with_record(8, P({unknown(R7), jmp_imm(BPF_JSGT, R7, 7, 4),
                                 jmp_imm(BPF_JGT, R7, 7, 3), poke_r7()}))),
        accept("a scalar returned by a helper, masked",
               with_record(8, P({call_helper(BPF_FUNC_get_smp_processor_id), mov64_reg(R7, R0),
                                 alu64_imm(BPF_AND, R7, 7), poke_r7()}))),
        deny("a scalar returned by a helper, unmasked",
             with_record(
                 8, P({call_helper(BPF_FUNC_get_smp_processor_id), mov64_reg(R7, R0), poke_r7()})),
             "unbounded"),
        deny("x % y with y in [0,7] may be x itself (x % 0 == x)",
             with_record(8, P({unknown(R7), unknown(R5, 8), alu64_imm(BPF_AND, R5, 7),
                               alu64_reg(BPF_MOD, R7, R5), poke_r7()})),
             "unbounded"),
        accept("NEG of [0,7] plus 7 is [0,7]",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), alu64_imm(BPF_NEG, R7, 0),
                                 alu64_imm(BPF_ADD, R7, 7), poke_r7()}))),
        deny("NEG of [0,7] is [-7,0]",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), alu64_imm(BPF_NEG, R7, 0),
                               poke_r7()})),
             "invalid ring record access"),
        deny("[0,3] << 62, s>> 62 is [-2,1]",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 3), alu64_imm(BPF_LSH, R7, 62),
                               alu64_imm(BPF_ARSH, R7, 62), poke_r7()})),
             "invalid ring record access"),
        accept("JNE 5 makes the fall-through a constant",
               with_record(8, P({unknown(R7), jmp_imm(BPF_JNE, R7, 5, 3), poke_r7()}))),
        accept("JSET -8 clears every bit but the low three on the fall-through",
               with_record(8, P({unknown(R7), jmp_imm(BPF_JSET, R7, -8, 3), poke_r7()}))),
        accept(
            "a lower bound from JLT: [8,15] - 8 is [0,7]",
            with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 15), jmp_imm(BPF_JLT, R7, 8, 4),
                              alu64_imm(BPF_SUB, R7, 8), poke_r7()}))),
        deny("without the lower bound, [0,15] - 8 goes negative",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 15), alu64_imm(BPF_SUB, R7, 8),
                               poke_r7()})),
             "invalid ring record access"),
    };
}

std::vector<Case> scalar32_cases() {
    return {
        accept("w AND 7 zero-extends into a 64-bit index",
               with_record(8, P({unknown(R7), alu32_imm(BPF_AND, R7, 7), poke_r7()}))),
        deny("w AND 15 is too wide for an 8-byte record",
             with_record(8, P({unknown(R7), alu32_imm(BPF_AND, R7, 15), poke_r7()})),
             "invalid ring record access"),
        accept("JMP32 bounds a zero-extended register",
               with_record(8, P({unknown(R7), mov32_reg(R7, R7), jmp32_imm(BPF_JGT, R7, 7, 3),
                                 poke_r7()}))),
        deny("JMP32 leaves the upper half of a 64-bit unknown unbounded",
             with_record(8, P({unknown(R7), jmp32_imm(BPF_JGT, R7, 7, 3), poke_r7()})),
             "unbounded"),
        accept("a 32-bit shift followed by 64-bit use",
               with_record(8, P({unknown(R7), alu32_imm(BPF_RSH, R7, 29), poke_r7()}))),
        accept("a 32-bit wrap below zero is zero-extended: (w7 - 1) >> 29 <= 7",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), alu32_imm(BPF_SUB, R7, 1),
                                 alu64_imm(BPF_RSH, R7, 29), poke_r7()}))),
        deny("a 64-bit wrap below zero is not: (r7 - 1) >> 60 reaches 15",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), alu64_imm(BPF_SUB, R7, 1),
                               alu64_imm(BPF_RSH, R7, 60), poke_r7()})),
             "invalid ring record access"),
        // CVE-2020-8835: a 64-bit range [1, 2^32 + 1] says nothing about its
        // low 32 bits, which a verifier once took to be [1, 1].
        deny("a 64-bit range across 2^32 does not bound the low half",
             with_record(8, P({unknown(R7), ld_imm64_pair(R5, 0x100000001ULL),
                               jmp_reg(BPF_JGT, R7, R5, 6), jmp_imm(BPF_JLT, R7, 1, 5),
                               alu32_imm(BPF_SUB, R7, 1), alu32_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
        accept("JMP32 bounds a register whose upper half is known zero",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 0xff),
                                 jmp32_imm(BPF_JGT, R7, 7, 3), poke_r7()}))),
        deny("JMP32 against a register leaves the upper half unbounded",
             with_record(
                 8, P({unknown(R7), mov64_imm(R5, 7), jmp32_reg(BPF_JGT, R7, R5, 3), poke_r7()})),
             "unbounded"),
        accept("w = -1 is 0xffffffff: >> 29 is 7",
               with_record(8, P({mov32_imm(R7, -1), alu64_imm(BPF_RSH, R7, 29), poke_r7()}))),
        deny("r = -1 sign-extends: >> 60 is 15",
             with_record(8, P({mov64_imm(R7, -1), alu64_imm(BPF_RSH, R7, 60), poke_r7()})),
             "invalid ring record access"),
        accept("JMP32 signed bounds on both sides of a zero-extended register",
               with_record(8, P({unknown(R7), mov32_reg(R7, R7), jmp32_imm(BPF_JSLT, R7, 0, 4),
                                 jmp32_imm(BPF_JSGT, R7, 7, 3), poke_r7()}))),
        deny("a JMP32 signed upper bound alone leaves every unsigned low half",
             with_record(8, P({unknown(R7), mov32_reg(R7, R7), jmp32_imm(BPF_JSGT, R7, 7, 4),
                               alu32_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
        accept("ALU32 add within range: [0,3] + 4",
               with_record(8, P({unknown(R7), alu32_imm(BPF_AND, R7, 3), alu32_imm(BPF_ADD, R7, 4),
                                 poke_r7()}))),
        deny("ALU32 add that wraps: ([0,3] - 1) >> 28 reaches 15",
             with_record(8, P({unknown(R7), alu32_imm(BPF_AND, R7, 3), alu32_imm(BPF_ADD, R7, -1),
                               alu32_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
        accept("JMP32 equality makes a zero-extended register constant",
               with_record(8, P({unknown(R7), mov32_reg(R7, R7), jmp32_imm(BPF_JNE, R7, 5, 3),
                                 poke_r7()}))),
        deny("w s>>= 31 is 0 or 0xffffffff: >> 28 reaches 15",
             with_record(8, P({unknown(R7), alu32_imm(BPF_ARSH, R7, 31), alu64_imm(BPF_RSH, R7, 28),
                               poke_r7()})),
             "invalid ring record access"),
        deny("w % w5 with w5 in [0,7] may keep all 32 bits (x % 0 == x)",
             with_record(8, P({unknown(R7), unknown(R5, 8), alu32_imm(BPF_AND, R5, 7),
                               alu32_reg(BPF_MOD, R7, R5), alu64_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
        // r7 in [0xfffffff8, 0x100000007]: its low half below 8 means the
        // upper half is 1, not 0.
        deny("JMP32 on a 64-bit range that crosses 2^32",
             with_record(8,
                         P({unknown(R7), alu64_imm(BPF_AND, R7, 15), ld_imm64_pair(R5, 0xfffffff8),
                            alu64_reg(BPF_ADD, R7, R5), jmp32_imm(BPF_JLT, R7, 8, 1), ja(4),
                            alu64_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
        accept(
            "JMP32 on a 64-bit range that crosses 2^32, upper half removed",
            with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 15),
                              ld_imm64_pair(R5, 0xfffffff8), alu64_reg(BPF_ADD, R7, R5),
                              jmp32_imm(BPF_JLT, R7, 8, 1), ja(4), mov32_reg(R7, R7), poke_r7()}))),
        accept("a 16-bit byte swap leaves at most 16 bits: >> 13 is [0,7]",
               with_record(8, P({unknown(R7), endian(false, R7, 16), alu64_imm(BPF_RSH, R7, 13),
                                 poke_r7()}))),
        deny("a 32-bit byte swap leaves 32 bits: >> 28 is [0,15]",
             with_record(
                 8, P({unknown(R7), endian(true, R7, 32), alu64_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
        // BPF_TO_BE is the source bit of BPF_END's opcode, not a source
        // register: r0 (src_reg 0) is never read. Linux accepts this too.
        accept("a byte swap to big-endian while r0 is not initialised",
               P({mov64_imm(R2, 0x1234), endian(true, R2, 16), mov64_reg(R0, R2), exit_insn()})),
        deny("a byte swap of a register that is not initialised", P({endian(true, R2, 16), ret(0)}),
             "r2 is not initialised"),
        deny("w-ops after a 64-bit bound: ([0,7] as w) - 1 wraps to 0xffffffff",
             with_record(8, P({unknown(R7), jmp_imm(BPF_JGT, R7, 7, 5), alu32_imm(BPF_SUB, R7, 1),
                               alu64_imm(BPF_RSH, R7, 28), poke_r7()})),
             "invalid ring record access"),
    };
}

std::vector<Case> pointer_cases() {
    return {
        accept("ctx + constant, then a read within the context",
               P({alu64_imm(BPF_ADD, R1, 8), ldx(BPF_W, R0, R1, 0), exit_insn()})),
        accept("stack + constant",
               P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), st(BPF_DW, R2, 0, 1),
                  ldx(BPF_DW, R0, R10, -8), exit_insn()})),
        accept("stack - constant",
               P({mov64_reg(R2, R10), alu64_imm(BPF_SUB, R2, 16), st(BPF_DW, R2, 8, 1),
                  ldx(BPF_DW, R0, R10, -8), exit_insn()})),
        accept("record + constant, submitted through the original",
               with_record(
                   16, P({mov64_reg(R8, R6), alu64_imm(BPF_ADD, R8, 8), st(BPF_DW, R8, 0, 1)}))),
        accept("record + a bounded variable (0 or 8), 8-byte store",
               with_record(16, P({unknown(R7), alu64_imm(BPF_AND, R7, 8), mov64_reg(R8, R6),
                                  alu64_reg(BPF_ADD, R8, R7), st(BPF_DW, R8, 0, 1)}))),
        accept("record + constant - a bounded variable",
               with_record(16, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), mov64_reg(R8, R6),
                                  alu64_imm(BPF_ADD, R8, 15), alu64_reg(BPF_SUB, R8, R7),
                                  st(BPF_B, R8, 0, 1)}))),
        deny("record + an unbounded variable", with_record(16, P({unknown(R7), poke_r7()})),
             "unbounded"),
        accept(
            "scalar + pointer gives a pointer",
            with_record(8, P({mov64_imm(R8, 4), alu64_reg(BPF_ADD, R8, R6), st(BPF_B, R8, 0, 1)}))),
        deny("pointer + pointer",
             with_record(8, P({mov64_reg(R8, R6), alu64_reg(BPF_ADD, R8, R9)})),
             "adding two pointers is prohibited"),
        deny("scalar - pointer", with_record(8, P({mov64_imm(R7, 0), alu64_reg(BPF_SUB, R7, R6)})),
             "subtracting a pointer from a scalar is prohibited"),
        deny("pointer - pointer without allow_ptr_leaks",
             P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_reg(R0, R10),
                alu64_reg(BPF_SUB, R0, R2), exit_insn()}),
             "subtracting pointers needs allow_ptr_leaks")
            .with_flags(NO_LEAKS),
        accept("pointer - pointer with allow_ptr_leaks is a scalar",
               P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_reg(R0, R10),
                  alu64_reg(BPF_SUB, R0, R2), exit_insn()})),
        deny("ALU32 on a pointer",
             with_record(8, P({mov64_reg(R8, R6), alu32_imm(BPF_ADD, R8, 1)})),
             "on a pointer is prohibited"),
        deny("MUL on a pointer", with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_MUL, R8, 2)})),
             "on a pointer is prohibited"),
        deny("DIV on a pointer", with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_DIV, R8, 2)})),
             "on a pointer is prohibited"),
        deny("AND on a pointer", with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_AND, R8, -8)})),
             "on a pointer is prohibited"),
        deny("OR on a pointer", with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_OR, R8, 1)})),
             "on a pointer is prohibited"),
        deny("NEG on a pointer", with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_NEG, R8, 0)})),
             "on a pointer is prohibited"),
        deny("arithmetic on a ring pointer",
             P({ld_map_fd(R1, RING), alu64_imm(BPF_ADD, R1, 8), ret(0)}),
             "arithmetic on a ring pointer is prohibited"),
        deny("arithmetic on a maybe-NULL record",
             P({reserve(8), alu64_imm(BPF_ADD, R0, 8), ret(0)}), "may be NULL"),
        deny("a variable offset without bypass_spec_v1",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), poke_r7()})),
             "variable offset pointer arithmetic needs bypass_spec_v1")
            .with_flags(NO_SPEC_V1),
        deny("a constant offset of 2^30",
             with_record(8, P({ld_imm64_pair(R7, 1ULL << 30), poke_r7()})),
             "pointer offset out of range"),
        // A constant near +-2^63 overflowed the signed offset sum before the
        // range check: undefined behaviour, which this UBSan build stops at.
        // The operand is checked first; the verdict is the same.
        deny("context - 2^63 (-2^63 as a constant)",
             P({ld_imm64_pair(R2, 1ULL << 63), alu64_reg(BPF_SUB, R1, R2), ret(0)}),
             "pointer offset out of range"),
        deny("context + 8 + 2^63-1",
             P({alu64_imm(BPF_ADD, R1, 8), ld_imm64_pair(R2, INT64_MAX), alu64_reg(BPF_ADD, R1, R2),
                ret(0)}),
             "pointer offset out of range"),
        deny("2^63-1 + (context + 8): the scalar on the left",
             P({alu64_imm(BPF_ADD, R1, 8), ld_imm64_pair(R2, INT64_MAX), alu64_reg(BPF_ADD, R2, R1),
                ret(0)}),
             "pointer offset out of range"),
        deny("fp-8 + -2^63",
             P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), ld_imm64_pair(R2, 1ULL << 63),
                alu64_reg(BPF_ADD, R1, R2), ret(0)}),
             "pointer offset out of range"),
        deny("fp-8 - (2^63-1)",
             P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), ld_imm64_pair(R2, INT64_MAX),
                alu64_reg(BPF_SUB, R1, R2), ret(0)}),
             "pointer offset out of range"),
        deny("fp - -2^63",
             P({mov64_reg(R1, R10), ld_imm64_pair(R2, 1ULL << 63), alu64_reg(BPF_SUB, R1, R2),
                ret(0)}),
             "pointer offset out of range"),
        deny("record + 4 + 2^63-1",
             with_record(
                 8, P({mov64_reg(R8, R6), alu64_imm(BPF_ADD, R8, 4), ld_imm64_pair(R7, INT64_MAX),
                       alu64_reg(BPF_ADD, R8, R7), st(BPF_B, R8, 0, 1)})),
             "pointer offset out of range"),
        deny("record + 4 - -2^63",
             with_record(
                 8, P({mov64_reg(R8, R6), alu64_imm(BPF_ADD, R8, 4), ld_imm64_pair(R7, 1ULL << 63),
                       alu64_reg(BPF_SUB, R8, R7), st(BPF_B, R8, 0, 1)})),
             "pointer offset out of range"),
        deny("record - 4 + -2^63, with bpf_capable alone",
             with_record(
                 8, P({mov64_reg(R8, R6), alu64_imm(BPF_ADD, R8, -4), ld_imm64_pair(R7, 1ULL << 63),
                       alu64_reg(BPF_ADD, R8, R7), st(BPF_B, R8, 0, 1)})),
             "pointer offset out of range")
            .with_flags(KBPF_F_BPF_CAPABLE),
        accept("record + 100000 - 100000",
               with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_ADD, R8, 100000),
                                 alu64_imm(BPF_SUB, R8, 100000), st(BPF_B, R8, 0, 1)}))),
        deny("three additions of 2^28 to a record pointer",
             with_record(8, P({mov64_reg(R8, R6), alu64_imm(BPF_ADD, R8, 1 << 28),
                               alu64_imm(BPF_ADD, R8, 1 << 28), alu64_imm(BPF_ADD, R8, 1 << 28),
                               alu64_imm(BPF_SUB, R8, 3 << 28), st(BPF_B, R8, 0, 1)})),
             "pointer offset out of range"),
        deny("stack pointer moved below the frame, then used",
             P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -520), st(BPF_DW, R2, 0, 0), ret(0)}),
             "invalid stack access"),
        deny("a scalar cannot be dereferenced",
             P({mov64_imm(R2, 4096), ldx(BPF_DW, R0, R2, 0), exit_insn()}),
             "cannot be dereferenced"),
    };
}

std::vector<Case> stack_cases() {
    return {
        accept("a spilled ctx pointer is filled as a ctx pointer",
               P({stx(BPF_DW, R10, R1, -8), ldx(BPF_DW, R2, R10, -8), ldx(BPF_W, R0, R2, 0),
                  exit_insn()})),
        accept("a spilled scalar keeps its bounds",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), stx(BPF_DW, R10, R7, -8),
                                 mov64_imm(R7, 0), ldx(BPF_DW, R7, R10, -8), poke_r7()}))),
        deny("a spilled scalar keeps its bounds, too wide ones too",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 15), stx(BPF_DW, R10, R7, -8),
                               ldx(BPF_DW, R7, R10, -8), poke_r7()})),
             "invalid ring record access"),
        // Spills narrower than 8 bytes: Linux 6.1 keeps a scalar stored at the
        // start of a slot (fp-8, fp-16, ...) and gives it back to a load of
        // the same size there, cut to that size; so does kring.
        accept("a bounded scalar spilled with a 4-byte store keeps its bounds (as Linux)",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), stx(BPF_W, R10, R7, -8),
                                 mov64_imm(R7, 0), ldx(BPF_W, R7, R10, -8), poke_r7()}))),
        deny("a scalar spilled with a 4-byte store keeps its bounds, too wide ones too",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 15), stx(BPF_W, R10, R7, -8),
                               ldx(BPF_W, R7, R10, -8), poke_r7()})),
             "invalid ring record access"),
        accept(
            "2-byte and 1-byte spills keep their bounds (as Linux)",
            with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 3), stx(BPF_H, R10, R7, -8),
                              stx(BPF_B, R10, R7, -16), ldx(BPF_H, R5, R10, -8),
                              ldx(BPF_B, R7, R10, -16), alu64_reg(BPF_ADD, R7, R5), poke_r7()}))),
        accept("a 4-byte store of -1 reads back as 0xffffffff: >> 29 is 7 (as Linux)",
               with_record(8, P({st(BPF_W, R10, -8, -1), ldx(BPF_W, R7, R10, -8),
                                 alu64_imm(BPF_RSH, R7, 29), poke_r7()}))),
        accept("a 4-byte spill of 2^32 + [0,7] reads back as [0,7]",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7),
                                 ld_imm64_pair(R5, 1ULL << 32), alu64_reg(BPF_ADD, R7, R5),
                                 stx(BPF_W, R10, R7, -8), ldx(BPF_W, R7, R10, -8), poke_r7()}))),
        accept("a 4-byte spill that fits stays linked: bounding the fill bounds the register",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 0xff), mov64_reg(R5, R7),
                                 stx(BPF_W, R10, R7, -8), ldx(BPF_W, R4, R10, -8),
                                 jmp_imm(BPF_JGT, R4, 7, 3), poke_r7()}))),
        deny("a 4-byte spill that does not fit is not linked to its register (as Linux)",
             with_record(8,
                         P({unknown(R7), alu64_imm(BPF_AND, R7, 7), ld_imm64_pair(R5, 1ULL << 32),
                            alu64_reg(BPF_ADD, R7, R5), mov64_reg(R5, R7), stx(BPF_W, R10, R7, -8),
                            ldx(BPF_W, R4, R10, -8), jmp_imm(BPF_JGT, R4, 3, 3), poke_r7()})),
             "unbounded"),
        deny("a 2-byte fill of a 4-byte spill is an unknown 16-bit number (as Linux)",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), stx(BPF_W, R10, R7, -8),
                               ldx(BPF_H, R7, R10, -8), poke_r7()})),
             "invalid ring record access"),
        deny("a 4-byte spill at fp-4 is not kept (as Linux: only at the start of a slot)",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), stx(BPF_W, R10, R7, -4),
                               ldx(BPF_W, R7, R10, -4), poke_r7()})),
             "unbounded"),
        deny("a 4-byte spill initialises 4 bytes only",
             P({mov64_imm(R2, 1), stx(BPF_W, R10, R2, -8), ldx(BPF_DW, R0, R10, -8), exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("a 4-byte spill over a spilled scalar leaves the other half a number",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), stx(BPF_DW, R10, R7, -8),
                               st(BPF_W, R10, -8, 1), ldx(BPF_DW, R7, R10, -8), poke_r7()})),
             "unbounded"),
        accept("a spilled stack pointer keeps its offset",
               P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -16), stx(BPF_DW, R10, R2, -8),
                  ldx(BPF_DW, R3, R10, -8), st(BPF_DW, R3, 0, 1), ldx(BPF_DW, R0, R10, -16),
                  exit_insn()})),
        // A store over part of a spilled pointer leaves the pointer's other
        // bytes: a number only to programs that may leak pointers.
        deny("a byte stored over a spilled pointer, then its other bytes read, without "
             "allow_ptr_leaks",
             P({stx(BPF_DW, R10, R1, -8), st(BPF_B, R10, -8, 0), ldx(BPF_B, R0, R10, -4),
                exit_insn()}),
             "insn 2: reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept("a byte stored over a spilled pointer, then its other bytes read",
               P({stx(BPF_DW, R10, R1, -8), st(BPF_B, R10, -8, 0), ldx(BPF_B, R0, R10, -4),
                  exit_insn()})),
        deny("get_current_comm of 1 to 21 bytes over a spilled pointer, then a byte past its "
             "minimum read, without allow_ptr_leaks",
             P({mov64_reg(R6, R1), stx(BPF_DW, R10, R10, -8), ldx(BPF_DW, R2, R6, 0),
                alu64_imm(BPF_MOD, R2, 21), alu64_imm(BPF_ADD, R2, 1), mov64_reg(R1, R10),
                alu64_imm(BPF_ADD, R1, -24), call_helper(BPF_FUNC_get_current_comm),
                ldx(BPF_B, R0, R10, -4), exit_insn()}),
             "insn 8: reading uninitialised stack")
            .with_flags(NO_LEAKS),
        // Perfmon programs (allow_ptr_leaks, as Linux's allow_uninit_stack)
        // read stack never written as unknown numbers.
        accept("reading never-written stack, with allow_ptr_leaks (as Linux for perfmon)",
               P({ldx(BPF_DW, R0, R10, -8), exit_insn()})),
        deny("never-written stack read with allow_ptr_leaks is an unknown number",
             P({ldx(BPF_DW, R0, R10, -8), jmp_imm(BPF_JEQ, R0, 0, 1), ldx(BPF_DW, R0, R10, 0),
                exit_insn()}),
             "invalid stack access off=0"),
        accept("output of a struct with a never-written hole, with allow_ptr_leaks",
               P({st(BPF_W, R10, -16, 1), st(BPF_DW, R10, -8, 2), ld_map_fd(R1, RING),
                  mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -16), mov64_imm(R3, 16),
                  mov64_imm(R4, 0), call_helper(BPF_FUNC_ringbuf_output), ret(0)})),
        deny("reading never-written stack", P({ldx(BPF_DW, R0, R10, -8), exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("reading 8 bytes of which 4 were written",
             P({st(BPF_W, R10, -4, 0), ldx(BPF_DW, R0, R10, -8), exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept("reading back the 4 bytes written",
               P({st(BPF_W, R10, -4, 0), ldx(BPF_W, R0, R10, -4), exit_insn()})),
        accept("8 byte stores initialise a slot",
               P({st(BPF_B, R10, -8, 1), st(BPF_B, R10, -7, 2), st(BPF_B, R10, -6, 3),
                  st(BPF_B, R10, -5, 4), st(BPF_B, R10, -4, 5), st(BPF_B, R10, -3, 6),
                  st(BPF_B, R10, -2, 7), st(BPF_B, R10, -1, 8), ldx(BPF_DW, R0, R10, -8),
                  exit_insn()})),
        accept("the bottom of the stack, fp-512",
               P({st(BPF_DW, R10, -512, 0), ldx(BPF_DW, R0, R10, -512), exit_insn()})),
        deny("fp-513 is below the stack", P({st(BPF_B, R10, -513, 0), ret(0)}),
             "invalid stack access"),
        deny("fp+0 is above the stack", P({st(BPF_DW, R10, 0, 0), ret(0)}), "invalid stack access"),
        deny("reading above the frame pointer", P({ldx(BPF_DW, R0, R10, 8), exit_insn()}),
             "invalid stack access"),
        deny("a misaligned 8-byte store", P({st(BPF_DW, R10, -12, 0), ret(0)}),
             "misaligned stack access"),
        deny("a misaligned 4-byte load",
             P({st(BPF_DW, R10, -8, 0), ldx(BPF_W, R0, R10, -6), exit_insn()}),
             "misaligned stack access"),
        deny("a variable offset stack store",
             P({ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 8), mov64_reg(R3, R10),
                alu64_imm(BPF_ADD, R3, -16), alu64_reg(BPF_ADD, R3, R2), st(BPF_DW, R3, 0, 0),
                ret(0)}),
             "variable offset stack access"),
        deny("r10 = 0", P({mov64_imm(R10, 0), ret(0)}), "r10 is read-only"),
        deny("r10 += 8", P({alu64_imm(BPF_ADD, R10, 8), ret(0)}), "r10 is read-only"),
        deny("a load into r10", P({ldx(BPF_DW, R10, R1, 0), ret(0)}), "r10 is read-only"),
        deny("partial overwrite of a spilled pointer without bypass_spec_v4",
             P({stx(BPF_DW, R10, R1, -8), st(BPF_W, R10, -8, 0), ret(0)}),
             "overwriting a spilled pointer needs bypass_spec_v4")
            .with_flags(NO_SPEC_V4),
        deny("a scalar over a whole spilled pointer without bypass_spec_v4",
             P({stx(BPF_DW, R10, R1, -8), st(BPF_DW, R10, -8, 0), ret(0)}),
             "overwriting a spilled pointer needs bypass_spec_v4")
            .with_flags(NO_SPEC_V4),
        accept("a pointer over a spilled pointer without bypass_spec_v4",
               P({stx(BPF_DW, R10, R1, -8), mov64_reg(R2, R10), stx(BPF_DW, R10, R2, -8), ret(0)}))
            .with_flags(NO_SPEC_V4),
        accept("partial overwrite of a spilled pointer with bypass_spec_v4",
               P({stx(BPF_DW, R10, R1, -8), st(BPF_W, R10, -8, 0), ret(0)})),
        deny("a partly overwritten pointer is no longer a pointer",
             P({stx(BPF_DW, R10, R1, -8), st(BPF_W, R10, -8, 0), ldx(BPF_DW, R2, R10, -8),
                ldx(BPF_W, R0, R2, 0), exit_insn()}),
             "cannot be dereferenced"),
        deny("a filled scalar cannot be dereferenced",
             P({st(BPF_DW, R10, -8, 0), ldx(BPF_DW, R2, R10, -8), ldx(BPF_W, R0, R2, 0),
                exit_insn()}),
             "cannot be dereferenced"),
        deny("spilling an uninitialised register", P({stx(BPF_DW, R10, R3, -8), ret(0)}),
             "r3 is not initialised"),
    };
}

std::vector<Case> context_cases() {
    return {
        accept("the last 8 bytes of a 64-byte context", P({ldx(BPF_DW, R0, R1, 56), exit_insn()})),
        accept("every access size",
               P({ldx(BPF_B, R0, R1, 0), ldx(BPF_H, R0, R1, 2), ldx(BPF_W, R0, R1, 4),
                  ldx(BPF_DW, R0, R1, 8), exit_insn()})),
        deny("one byte past the end", P({ldx(BPF_B, R0, R1, 64), exit_insn()}),
             "invalid context access"),
        deny("8 bytes past the end", P({ldx(BPF_DW, R0, R1, 64), exit_insn()}),
             "invalid context access"),
        deny("a negative offset", P({ldx(BPF_W, R0, R1, -4), exit_insn()}),
             "invalid context access"),
        deny("ST into a read-only context", P({st(BPF_W, R1, 0, 0), ret(0)}),
             "context is read-only"),
        deny("STX into a read-only context", P({mov64_imm(R2, 1), stx(BPF_DW, R1, R2, 0), ret(0)}),
             "context is read-only"),
        accept("stores into a writable context",
               P({st(BPF_W, R1, 0, 7), mov64_imm(R2, 1), stx(BPF_DW, R1, R2, 8), ret(0)}))
            .with_ctx(64, true),
        deny("a store past the end of a writable context", P({st(BPF_W, R1, 64, 7), ret(0)}),
             "invalid context access")
            .with_ctx(64, true),
        deny("a misaligned context load", P({ldx(BPF_W, R0, R1, 2), exit_insn()}),
             "misaligned context access"),
        deny("a misaligned context store", P({st(BPF_DW, R1, 4, 0), ret(0)}),
             "misaligned context access")
            .with_ctx(64, true),
        deny("a variable offset context load",
             P({ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 8), alu64_reg(BPF_ADD, R1, R2),
                ldx(BPF_DW, R0, R1, 0), exit_insn()}),
             "variable offset context access"),
        accept("a 4-byte context", P({ldx(BPF_W, R0, R1, 0), exit_insn()})).with_ctx(4, false),
        deny("an 8-byte read of a 4-byte context", P({ldx(BPF_DW, R0, R1, 0), exit_insn()}),
             "invalid context access")
            .with_ctx(4, false),
        deny("an empty context", P({ldx(BPF_B, R0, R1, 0), exit_insn()}), "invalid context access")
            .with_ctx(0, false),
        deny("the context pointer stored into a record without allow_ptr_leaks",
             with_record(8, P({stx(BPF_DW, R6, R9, 0)})), "leaks a pointer")
            .with_flags(NO_LEAKS),
        accept("the context pointer stored into a record with allow_ptr_leaks",
               with_record(8, P({stx(BPF_DW, R6, R9, 0)}))),
        deny("the context pointer stored into the context without allow_ptr_leaks",
             P({stx(BPF_DW, R1, R1, 0), ret(0)}), "leaks a pointer")
            .with_ctx(64, true)
            .with_flags(NO_LEAKS),
        deny("r1 does not survive a helper call",
             P({call_helper(BPF_FUNC_ktime_get_ns), ldx(BPF_W, R0, R1, 0), exit_insn()}),
             "r1 is not initialised"),
        accept("r6 does survive a helper call",
               P({mov64_reg(R6, R1), call_helper(BPF_FUNC_ktime_get_ns), ldx(BPF_W, R0, R6, 0),
                  exit_insn()})),
    };
}

std::vector<Case> ring_cases() {
    const Prog output_from_stack =
        P({ld_map_fd(R1, RING), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_imm(R3, 8),
           mov64_imm(R4, 0), call_helper(BPF_FUNC_ringbuf_output)});
    return {
        accept("reserve, NULL check, write, submit",
               with_record(16, P({st(BPF_DW, R6, 0, 1), st(BPF_DW, R6, 8, 2)}))),
        accept("reserve, NULL check, discard",
               P({reserve(16), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0),
                  discard(R6), ret(0)})),
        accept("reserve from the second ring",
               P({reserve(16, RING2), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0),
                  submit(R6), ret(0)})),
        deny("reserve with a non-constant size",
             P({ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 0xff), alu64_imm(BPF_ADD, R2, 8),
                ld_map_fd(R1, RING), mov64_imm(R3, 0), call_helper(BPF_FUNC_ringbuf_reserve),
                jmp_imm(BPF_JNE, R0, 0, 2), ret(0), submit(R0), ret(0)}),
             "size must be a constant"),
        accept("reserve with a size computed from constants",
               P({ld_map_fd(R1, RING), mov64_imm(R2, 8), alu64_imm(BPF_ADD, R2, 8), mov64_imm(R3, 0),
                  call_helper(BPF_FUNC_ringbuf_reserve), jmp_imm(BPF_JNE, R0, 0, 2), ret(0),
                  st(BPF_DW, R0, 8, 1), submit(R0), ret(0)})),
        deny("a store without the NULL check",
             P({reserve(8), st(BPF_DW, R0, 0, 1), submit(R0), ret(0)}), "may be NULL"),
        deny("submit without the NULL check", P({reserve(8), submit(R0), ret(0)}), "may be NULL"),
        deny("dereferencing the NULL branch",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 3), st(BPF_DW, R0, 0, 1), ret(0), submit(R0),
                ret(0)}),
             "cannot be dereferenced"),
        accept("a store at the last byte", with_record(16, P({st(BPF_B, R6, 15, 1)}))),
        // Records have no alignment rule, as in Linux on x86.
        accept("misaligned record accesses of every size",
               with_record(16, P({st(BPF_W, R6, 1, 1), st(BPF_H, R6, 5, 2), st(BPF_DW, R6, 7, 3),
                                  ldx(BPF_DW, R0, R6, 3), ldx(BPF_W, R0, R6, 9),
                                  ldx(BPF_H, R0, R6, 13)}))),
        deny("a store just past the end", with_record(16, P({st(BPF_DW, R6, 16, 1)})),
             "invalid ring record access"),
        deny("a store before the start", with_record(16, P({st(BPF_B, R6, -1, 1)})),
             "invalid ring record access"),
        deny("a load straddling the end", with_record(12, P({ldx(BPF_DW, R0, R6, 8)})),
             "invalid ring record access"),
        deny("a variable index one past the end",
             with_record(16, P({unknown(R7), alu64_imm(BPF_AND, R7, 15), mov64_reg(R8, R6),
                                alu64_reg(BPF_ADD, R8, R7), st(BPF_B, R8, 1, 1)})),
             "invalid ring record access"),
        deny("a reservation never released",
             P({reserve(8), jmp_imm(BPF_JEQ, R0, 0, 1), st(BPF_DW, R0, 0, 1), ret(0)}),
             "unreleased ring record"),
        deny("a reservation whose pointer is overwritten",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), ret(0)}),
             "unreleased ring record"),
        deny("a reservation released on one path only",
             with_record(8, P({unknown(R7), jmp_imm(BPF_JGT, R7, 5, 3)})),
             "unreleased ring record"),
        accept("submit on one path, discard on the other",
               P({mov64_reg(R9, R1), reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0),
                  mov64_reg(R6, R0), unknown(R7), jmp_imm(BPF_JGT, R7, 5, 4), submit(R6), ja(3),
                  discard(R6), ret(0)})),
        deny("submit twice", with_record(8, P({submit(R6)})), "was already submitted or discarded"),
        deny("discard after submit",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0), submit(R6),
                discard(R6), ret(0)}),
             "was already submitted or discarded"),
        deny("a store after submit",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0), submit(R6),
                st(BPF_DW, R6, 0, 1), ret(0)}),
             "was already submitted or discarded"),
        deny("a load through a copy after submit",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0),
                mov64_reg(R7, R6), submit(R6), ldx(BPF_DW, R0, R7, 0), exit_insn()}),
             "was already submitted or discarded"),
        deny("submit of record + 8",
             with_record(16, P({mov64_reg(R1, R6), alu64_imm(BPF_ADD, R1, 8), mov64_imm(R2, 0),
                                call_helper(BPF_FUNC_ringbuf_submit)})),
             "must point to the start of the reserved record"),
        // CVE-2021-4204: a release helper trusted a pointer moved back into
        // the ring's header.
        deny("CVE-2021-4204 shape: submit of record - 8",
             with_record(16, P({mov64_reg(R1, R6), alu64_imm(BPF_ADD, R1, -8), mov64_imm(R2, 0),
                                call_helper(BPF_FUNC_ringbuf_submit)})),
             "must point to the start of the reserved record"),
        deny("discard of record + a variable offset",
             with_record(16, P({unknown(R7), alu64_imm(BPF_AND, R7, 8), mov64_reg(R1, R6),
                                alu64_reg(BPF_ADD, R1, R7), mov64_imm(R2, 0),
                                call_helper(BPF_FUNC_ringbuf_discard)})),
             "must point to the start of the reserved record"),
        // CVE-2022-23222: arithmetic on a maybe-NULL pointer turned NULL into
        // a non-NULL pointer the NULL check could not catch.
        deny("CVE-2022-23222 shape: arithmetic on a copy before the NULL check",
             P({reserve(16), mov64_reg(R7, R0), alu64_imm(BPF_ADD, R7, 8),
                jmp_imm(BPF_JNE, R0, 0, 2), ret(0), st(BPF_B, R7, 0, 1), submit(R0), ret(0)}),
             "may be NULL"),
        deny("CVE-2022-23222 shape: subtracting from the maybe-NULL pointer",
             P({reserve(16), alu64_imm(BPF_SUB, R0, 1), jmp_imm(BPF_JNE, R0, 0, 2), ret(0),
                submit(R0), ret(0)}),
             "may be NULL"),
        accept("release through a copy that the NULL check covers",
               P({reserve(8), mov64_reg(R7, R0), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), submit(R7),
                  ret(0)})),
        accept("NULL check on the copy, release the original",
               P({reserve(8), mov64_reg(R7, R0), jmp_imm(BPF_JEQ, R7, 0, 3), submit(R0), ret(0)})),
        accept("a record pointer spilled and filled, then submitted",
               with_record(8, P({stx(BPF_DW, R10, R6, -8), mov64_imm(R6, 0),
                                 ldx(BPF_DW, R6, R10, -8)}))),
        accept("output from initialised stack",
               P({st(BPF_DW, R10, -8, 0), output_from_stack, ret(0)})),
        deny("output from uninitialised stack", P({output_from_stack, ret(0)}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("output with an unbounded size",
             P({st(BPF_DW, R10, -8, 0), ldx(BPF_DW, R6, R1, 0), ld_map_fd(R1, RING),
                mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_reg(R3, R6),
                mov64_imm(R4, 0), call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "unbounded"),
        deny("output with a negative size",
             P({st(BPF_DW, R10, -8, 0), ld_map_fd(R1, RING), mov64_reg(R2, R10),
                alu64_imm(BPF_ADD, R2, -8), mov64_imm(R3, -1), mov64_imm(R4, 0),
                call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "unbounded"),
        accept("output with a size in [1,8] from 8 initialised bytes",
               P({st(BPF_DW, R10, -8, 0), ldx(BPF_DW, R6, R1, 0), alu64_imm(BPF_AND, R6, 7),
                  alu64_imm(BPF_ADD, R6, 1), ld_map_fd(R1, RING), mov64_reg(R2, R10),
                  alu64_imm(BPF_ADD, R2, -8), mov64_reg(R3, R6), mov64_imm(R4, 0),
                  call_helper(BPF_FUNC_ringbuf_output), ret(0)})),
        deny("output of 16 bytes from fp-8",
             P({st(BPF_DW, R10, -8, 0), ld_map_fd(R1, RING), mov64_reg(R2, R10),
                alu64_imm(BPF_ADD, R2, -8), mov64_imm(R3, 16), mov64_imm(R4, 0),
                call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "invalid stack access"),
        accept("output from a reserved record into the other ring",
               with_record(16, P({st(BPF_DW, R6, 0, 1), st(BPF_DW, R6, 8, 2), ld_map_fd(R1, RING2),
                                  mov64_reg(R2, R6), mov64_imm(R3, 16), mov64_imm(R4, 0),
                                  call_helper(BPF_FUNC_ringbuf_output)}))),
        deny("a record larger than any ring",
             P({reserve(0x7fffffff), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), submit(R0), ret(0)}),
             "larger than any ring"),
        deny("65 reservations at once", [] {
            Prog prog;
            for (int i = 0; i < 65; i++)
                prog = P({prog, reserve(8)});
            return P({prog, ret(0)});
        }(),
             "more than 64 ring records reserved at once"),
        // The low half of a valid pointer may be zero: only a 64-bit
        // comparison with 0 is a NULL check.
        deny("a JMP32 comparison with 0 is not a NULL check",
             P({reserve(8), jmp32_imm(BPF_JEQ, R0, 0, 6), st(BPF_DW, R0, 0, 1), submit(R0), ret(0),
                submit(R0), ret(0)}),
             "may be NULL"),
        deny("a NULL check of one reservation says nothing about another",
             P({reserve(8), mov64_reg(R6, R0), reserve(8), mov64_reg(R7, R0),
                jmp_imm(BPF_JEQ, R6, 0, 0), st(BPF_DW, R7, 0, 1), ret(0)}),
             "may be NULL"),
        accept("a ring spilled and filled, then reserved from",
               P({ld_map_fd(R1, RING), stx(BPF_DW, R10, R1, -8), mov64_imm(R1, 0),
                  ldx(BPF_DW, R1, R10, -8), mov64_imm(R2, 8), mov64_imm(R3, 0),
                  call_helper(BPF_FUNC_ringbuf_reserve), jmp_imm(BPF_JEQ, R0, 0, 3), submit(R0),
                  ret(0)})),
        deny("a ring pointer stored into a record without allow_ptr_leaks",
             with_record(8, P({ld_map_fd(R1, RING), stx(BPF_DW, R6, R1, 0)})), "leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("submit with a pointer for flags without allow_ptr_leaks",
             with_record(8, P({mov64_reg(R1, R6), mov64_reg(R2, R10),
                               call_helper(BPF_FUNC_ringbuf_submit), mov64_reg(R6, R0)})),
             "leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("query of a record instead of a ring",
             with_record(8, P({mov64_reg(R1, R6), mov64_imm(R2, 0),
                               call_helper(BPF_FUNC_ringbuf_query)})),
             "expects"),
        accept("a spilled copy is covered by the NULL check",
               P({reserve(8), stx(BPF_DW, R10, R0, -8), jmp_imm(BPF_JEQ, R0, 0, 4),
                  ldx(BPF_DW, R1, R10, -8), mov64_imm(R2, 0), call_helper(BPF_FUNC_ringbuf_submit),
                  ret(0)})),
        deny("a spilled copy is released with the record",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), stx(BPF_DW, R10, R0, -8),
                submit(R0), ldx(BPF_DW, R6, R10, -8), st(BPF_DW, R6, 0, 1), ret(0)}),
             "was already submitted or discarded"),
        deny("submit returns nothing: r0 is not initialised after it",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), submit(R0), exit_insn()}),
             "r0 is not initialised"),
        accept("get_current_comm fills a record",
               with_record(16, P({mov64_reg(R1, R6), mov64_imm(R2, 16),
                                  call_helper(BPF_FUNC_get_current_comm)}))),
        deny("get_current_comm of 17 bytes into a 16-byte record",
             with_record(16, P({mov64_reg(R1, R6), mov64_imm(R2, 17),
                                call_helper(BPF_FUNC_get_current_comm)})),
             "invalid ring record access"),
        accept("output of 8 bytes from record + [0,8] of a 16-byte record",
               with_record(16, P({st(BPF_DW, R6, 0, 1), st(BPF_DW, R6, 8, 2), unknown(R7),
                                  alu64_imm(BPF_AND, R7, 8), ld_map_fd(R1, RING2), mov64_reg(R2, R6),
                                  alu64_reg(BPF_ADD, R2, R7), mov64_imm(R3, 8), mov64_imm(R4, 0),
                                  call_helper(BPF_FUNC_ringbuf_output)}))),
        deny("output of 8 bytes from record + [0,9] of a 16-byte record",
             with_record(16, P({st(BPF_DW, R6, 0, 1), st(BPF_DW, R6, 8, 2), unknown(R7),
                                jmp_imm(BPF_JGT, R7, 9, 7), ld_map_fd(R1, RING2), mov64_reg(R2, R6),
                                alu64_reg(BPF_ADD, R2, R7), mov64_imm(R3, 8), mov64_imm(R4, 0),
                                call_helper(BPF_FUNC_ringbuf_output)})),
             "invalid ring record access"),
        accept("query", P({ld_map_fd(R1, RING), mov64_imm(R2, KRING_QUERY_AVAIL_DATA),
                           call_helper(BPF_FUNC_ringbuf_query), exit_insn()})),
        reject("a ring fd that is not a ring",
               P({ld_map_fd(R1, 7), mov64_imm(R2, 0), call_helper(BPF_FUNC_ringbuf_query),
                  exit_insn()}),
               -EBADF, "is not a ring"),
        deny("query without its second argument",
             P({ld_map_fd(R1, RING), call_helper(BPF_FUNC_ringbuf_query), exit_insn()}),
             "r2 is not initialised"),
        deny("the record pointer stored into its record without allow_ptr_leaks",
             with_record(8, P({stx(BPF_DW, R6, R6, 0)})), "leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("reserve from a stack pointer",
             P({mov64_reg(R1, R10), mov64_imm(R2, 8), mov64_imm(R3, 0),
                call_helper(BPF_FUNC_ringbuf_reserve), ret(0)}),
             "expects"),
        deny("reserve from a scalar",
             P({mov64_imm(R1, 0), mov64_imm(R2, 8), mov64_imm(R3, 0),
                call_helper(BPF_FUNC_ringbuf_reserve), ret(0)}),
             "expects"),
        deny("submit of a stack pointer",
             P({mov64_reg(R6, R10), alu64_imm(BPF_ADD, R6, -8), submit(R6), ret(0)}), "expects"),
        deny("output into a record instead of a ring",
             with_record(16, P({st(BPF_DW, R10, -8, 0), mov64_reg(R1, R6), mov64_reg(R2, R10),
                                alu64_imm(BPF_ADD, R2, -8), mov64_imm(R3, 8), mov64_imm(R4, 0),
                                call_helper(BPF_FUNC_ringbuf_output)})),
             "expects"),
        accept("get_current_comm fills uninitialised stack",
               P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -16), mov64_imm(R2, 16),
                  call_helper(BPF_FUNC_get_current_comm), ldx(BPF_DW, R0, R10, -16),
                  exit_insn()})),
        deny("get_current_comm of 0 bytes (Linux: a zero-sized write)",
             with_record(16, P({mov64_reg(R1, R6), mov64_imm(R2, 0),
                                call_helper(BPF_FUNC_get_current_comm)})),
             "the size may be 0"),
        accept("output of 0 bytes is allowed (as Linux's ringbuf_output)",
               P({ld_map_fd(R1, RING), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                  mov64_imm(R3, 0), mov64_imm(R4, 0), call_helper(BPF_FUNC_ringbuf_output),
                  exit_insn()})),
        deny("get_current_comm of 16 bytes at fp-8",
             P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), mov64_imm(R2, 16),
                call_helper(BPF_FUNC_get_current_comm), ret(0)}),
             "invalid stack access"),
        // A helper writes as many bytes as the run's size: with the size in
        // [umin, umax], only the first umin bytes are written by every run.
        // The interpreter's stack is shared by all runs, so the others hold
        // what an earlier run left. Only programs that may leak pointers
        // (Linux: perfmon, which may read uninitialised stack) get all umax.
        deny("get_current_comm of [1,20] bytes at fp-24, then fp-5 read, with bpf_capable alone",
             comm_var(20, 1, -5), "reading uninitialised stack")
            .with_flags(KBPF_F_BPF_CAPABLE),
        deny("get_current_comm of [1,20] bytes at fp-24, then fp-5 read, without allow_ptr_leaks",
             comm_var(20, 1, -5), "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept("get_current_comm of [1,20] bytes at fp-24, then fp-5 read, with allow_ptr_leaks",
               comm_var(20, 1, -5)),
        accept("get_current_comm of [1,20] bytes at fp-24, then fp-24 read, with bpf_capable alone",
               comm_var(20, 1, -24))
            .with_flags(KBPF_F_BPF_CAPABLE),
        accept("get_current_comm of [9,20] bytes: fp-16, the 9th byte, is written",
               comm_var(12, 9, -16))
            .with_flags(KBPF_F_BPF_CAPABLE),
        deny("get_current_comm of [9,20] bytes: fp-15, the 10th byte, may not be",
             comm_var(12, 9, -15), "reading uninitialised stack")
            .with_flags(KBPF_F_BPF_CAPABLE),
        accept("get_current_comm of [1,20] bytes keeps bytes written before",
               P({st(BPF_DW, R10, -8, 0), comm_var(20, 1, -5)}))
            .with_flags(KBPF_F_BPF_CAPABLE),
        deny("get_current_comm of [1,20] bytes may overwrite a spilled scalar: no fill",
             P({mov64_imm(R3, 4), stx(BPF_DW, R10, R3, -8), comm_var(20, 1, -24, false),
                ldx(BPF_DW, R3, R10, -8), mov64_reg(R0, R10), alu64_reg(BPF_ADD, R0, R3),
                ret(0)}),
             "variable offset pointer arithmetic needs bypass_spec_v1")
            .with_flags(KBPF_F_BPF_CAPABLE),
        deny("get_current_comm of [1,20] bytes may overwrite a spilled pointer",
             P({stx(BPF_DW, R10, R1, -8), comm_var(20, 1, -24, false), ret(0)}),
             "overwriting a spilled pointer needs bypass_spec_v4")
            .with_flags(KBPF_F_BPF_CAPABLE),
        accept("get_current_comm of 16 constant bytes fills fp-24..fp-9, with bpf_capable alone",
               P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -24), mov64_imm(R2, 16),
                  call_helper(BPF_FUNC_get_current_comm), ldx(BPF_B, R0, R10, -9), exit_insn()}))
            .with_flags(KBPF_F_BPF_CAPABLE),
        deny("get_current_comm of 16 constant bytes leaves fp-8, without allow_ptr_leaks",
             P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -24), mov64_imm(R2, 16),
                call_helper(BPF_FUNC_get_current_comm), ldx(BPF_B, R0, R10, -8), exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept("helpers that return scalars",
               P({call_helper(BPF_FUNC_ktime_get_ns), mov64_reg(R6, R0),
                  call_helper(BPF_FUNC_get_smp_processor_id), alu64_reg(BPF_ADD, R6, R0),
                  call_helper(BPF_FUNC_get_current_pid_tgid), alu64_reg(BPF_ADD, R0, R6),
                  exit_insn()})),
        deny("argument registers do not survive a call",
             P({mov64_imm(R2, 1), call_helper(BPF_FUNC_ktime_get_ns), mov64_reg(R0, R2),
                exit_insn()}),
             "r2 is not initialised"),
    };
}

std::vector<Case> map_cases() {
    // map_update_elem(fd, key at fp-8 (4 bytes), value at fp-24, 0).
    auto update = [](int32_t fd) {
        return P({ld_map_fd(R1, fd), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                  mov64_reg(R3, R10), alu64_imm(BPF_ADD, R3, -24), mov64_imm(R4, 0),
                  call_helper(BPF_FUNC_map_update_elem)});
    };
    Prog key_and_value =
        P({st(BPF_W, R10, -8, 0), st(BPF_DW, R10, -24, 0), st(BPF_DW, R10, -16, 0)});
    // return current_task_under_cgroup(fd, 1).
    auto under_cgroup = [](int32_t fd) {
        return P({ld_map_fd(R1, fd), mov64_imm(R2, 1),
                  call_helper(BPF_FUNC_current_task_under_cgroup), exit_insn()});
    };
    return {
        accept(
            "lookup, NULL check, the value's first and last bytes",
            P({lookup_checked(ARRAY_MAP), ldx(BPF_B, R1, R0, 0), ldx(BPF_B, R1, R0, 15), ret(0)})),
        accept("the whole value written",
               P({lookup_checked(ARRAY_MAP), st(BPF_DW, R0, 0, 1), st(BPF_DW, R0, 8, 2), ret(0)})),
        accept("a value pointer moved by a constant",
               P({lookup_checked(HASH_MAP), alu64_imm(BPF_ADD, R0, 16), ldx(BPF_DW, R1, R0, 0),
                  ret(0)})),
        accept("a value pointer moved by a bounded variable",
               P({lookup_checked(ARRAY_MAP), ldx(BPF_DW, R1, R0, 0), alu64_imm(BPF_AND, R1, 7),
                  alu64_reg(BPF_ADD, R0, R1), ldx(BPF_B, R1, R0, 8), ret(0)})),
        accept("update with the key and the value on the stack",
               P({key_and_value, update(ARRAY_MAP), exit_insn()})),
        accept("delete from a hash map",
               P({st(BPF_DW, R10, -8, 0), ld_map_fd(R1, HASH_MAP), mov64_reg(R2, R10),
                  alu64_imm(BPF_ADD, R2, -8), call_helper(BPF_FUNC_map_delete_elem), exit_insn()})),
        accept("a map value as another map's key",
               P({lookup_checked(ARRAY_MAP), mov64_reg(R2, R0), ld_map_fd(R1, HASH_MAP),
                  call_helper(BPF_FUNC_map_lookup_elem), ret(0)})),
        accept(
            "a map value given to ringbuf_output",
            P({lookup_checked(ARRAY_MAP), mov64_reg(R2, R0), ld_map_fd(R1, RING), mov64_imm(R3, 16),
               mov64_imm(R4, 0), call_helper(BPF_FUNC_ringbuf_output), ret(0)})),
        accept("get_current_comm writes into a map value",
               P({lookup_checked(ARRAY_MAP), mov64_reg(R1, R0), mov64_imm(R2, 16),
                  call_helper(BPF_FUNC_get_current_comm), ret(0)})),
        accept("a read-only map's value read",
               P({lookup_checked(RDONLY_MAP), ldx(BPF_DW, R0, R0, 0), exit_insn()})),
        accept("the NULL check of a copy decides the original",
               P({lookup(ARRAY_MAP), mov64_reg(R6, R0), jmp_imm(BPF_JEQ, R6, 0, 1),
                  ldx(BPF_B, R1, R0, 0), ret(0)})),
        accept("on its NULL side a lookup's result is the number 0",
               P({lookup(ARRAY_MAP), jmp_imm(BPF_JNE, R0, 0, 1), exit_insn(), ret(0)}))
            .with_flags(NO_LEAKS),
        deny("a lookup's result read before its NULL check",
             P({lookup(ARRAY_MAP), ldx(BPF_B, R1, R0, 0), ret(0)}),
             "r0 may be NULL: compare it with 0 first"),
        deny("a lookup's result moved before its NULL check",
             P({lookup(ARRAY_MAP), alu64_imm(BPF_ADD, R0, 8), ret(0)}),
             "r0 may be NULL: compare it with 0 first"),
        deny("on its NULL side a lookup's result cannot be read",
             P({lookup(ARRAY_MAP), jmp_imm(BPF_JNE, R0, 0, 1), ldx(BPF_B, R1, R0, 0), ret(0)}),
             "r0 (scalar) cannot be dereferenced"),
        deny("one byte past the value",
             P({lookup_checked(ARRAY_MAP), ldx(BPF_B, R1, R0, 16), ret(0)}),
             "invalid map value access off=16 size=1 (value size 16)"),
        deny("one byte before the value",
             P({lookup_checked(ARRAY_MAP), ldx(BPF_B, R1, R0, -1), ret(0)}),
             "invalid map value access off=-1 size=1"),
        deny("a variable offset that may reach past the value",
             P({lookup_checked(ARRAY_MAP), ldx(BPF_DW, R1, R0, 0), alu64_imm(BPF_AND, R1, 15),
                alu64_reg(BPF_ADD, R0, R1), ldx(BPF_B, R1, R0, 8), ret(0)}),
             "invalid map value access off=8 size=1 (value size 16)"),
        deny("a key never written",
             P({ld_map_fd(R1, ARRAY_MAP), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                call_helper(BPF_FUNC_map_lookup_elem), ret(0)}),
             "reading uninitialised stack off=-8 size=4")
            .with_flags(NO_LEAKS),
        deny("a key shorter than the map's",
             P({st(BPF_W, R10, -4, 0), ld_map_fd(R1, HASH_MAP), mov64_reg(R2, R10),
                alu64_imm(BPF_ADD, R2, -4), call_helper(BPF_FUNC_map_lookup_elem), ret(0)}),
             "invalid stack access off=-4 size=8"),
        deny("a number as the key",
             P({ld_map_fd(R1, ARRAY_MAP), mov64_imm(R2, 0), call_helper(BPF_FUNC_map_lookup_elem),
                ret(0)}),
             "r2 expects a map key (stack or map value), got scalar"),
        deny("a ring given to a map helper",
             P({st(BPF_W, R10, -8, 0), ld_map_fd(R1, RING), mov64_reg(R2, R10),
                alu64_imm(BPF_ADD, R2, -8), call_helper(BPF_FUNC_map_lookup_elem), ret(0)}),
             "r1 expects a map, got ring"),
        deny("a map given to a ring helper",
             P({ld_map_fd(R1, ARRAY_MAP), mov64_imm(R2, 0), call_helper(BPF_FUNC_ringbuf_query),
                exit_insn()}),
             "r1 expects a ring, got map"),
        deny("arithmetic on a map pointer",
             P({ld_map_fd(R1, ARRAY_MAP), alu64_imm(BPF_ADD, R1, 8), ret(0)}),
             "arithmetic on a map pointer is prohibited"),
        deny("a map pointer dereferenced",
             P({ld_map_fd(R1, ARRAY_MAP), ldx(BPF_DW, R0, R1, 0), exit_insn()}),
             "r1 (map) cannot be dereferenced"),
        deny("a store into a read-only map's value",
             P({lookup_checked(RDONLY_MAP), st(BPF_DW, R0, 0, 1), ret(0)}),
             "is read-only to programs"),
        deny("an update of a read-only map", P({key_and_value, update(RDONLY_MAP), exit_insn()}),
             "is read-only to programs"),
        deny("a helper writing into a read-only map's value",
             P({lookup_checked(RDONLY_MAP), mov64_reg(R1, R0), mov64_imm(R2, 8),
                call_helper(BPF_FUNC_get_current_comm), ret(0)}),
             "is read-only to programs"),
        deny("a pointer stored into a map value without allow_ptr_leaks",
             P({lookup_checked(ARRAY_MAP), stx(BPF_DW, R0, R10, 0), ret(0)}),
             "storing r10 into a map value leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("a value shorter than the map's",
             P({st(BPF_W, R10, -8, 0), st(BPF_DW, R10, -16, 0), update(ARRAY_MAP), exit_insn()}),
             "reading uninitialised stack off=-24 size=16")
            .with_flags(NO_LEAKS),
        deny("a map value returned without allow_ptr_leaks",
             P({lookup_checked(ARRAY_MAP), exit_insn()}),
             "returning r0 (map value) leaks a pointer")
            .with_flags(NO_LEAKS),
        reject("an fd that is neither a ring nor a map",
               P({ld_map_fd(R1, 7), mov64_imm(R0, 0), exit_insn()}), -EBADF,
               "is not a ring or a map"),
        deny("ringbuf_output of more bytes than the value holds",
             P({lookup_checked(ARRAY_MAP), mov64_reg(R2, R0), ld_map_fd(R1, RING),
                mov64_imm(R3, 17), mov64_imm(R4, 0), call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "invalid map value access off=0 size=17 (value size 16)"),
        // A cgroup array goes to current_task_under_cgroup alone, which
        // takes nothing else (Linux's check_map_func_compatibility).
        accept("whether the task is under a cgroup array slot's cgroup", under_cgroup(CGROUP_MAP)),
        malformed("a cgroup array looked up", P({lookup(CGROUP_MAP), ret(0)}),
                  "cannot pass map_type 8 into func bpf_map_lookup_elem#1"),
        malformed("an array given to current_task_under_cgroup", under_cgroup(ARRAY_MAP),
                  "cannot pass map_type 2 into func bpf_current_task_under_cgroup#37"),
        deny("current_task_under_cgroup without CAP_PERFMON", under_cgroup(CGROUP_MAP),
             "helper 37 (current_task_under_cgroup) reads kernel memory or addresses: it needs "
             "CAP_PERFMON")
            .with_flags(NO_LEAKS),
    };
}

// *(size *)(dst + off) op= src, atomically (BPF_STX | BPF_ATOMIC).
bpf_insn atomic(uint8_t size, int32_t op, uint8_t dst, uint8_t src, int16_t off) {
    return raw(BPF_STX | BPF_ATOMIC | size, dst, src, off, op);
}

std::vector<Case> atomic_cases() {
    return {
        accept("add to a stack slot", P({st(BPF_DW, R10, -8, 0), mov64_imm(R1, 1),
                                         atomic(BPF_DW, BPF_ADD, R10, R1, -8), ret(0)})),
        accept(
            "fetch-add gives the old value, a number",
            P({st(BPF_DW, R10, -8, 5), mov64_imm(R1, 1),
               atomic(BPF_DW, BPF_ADD | BPF_FETCH, R10, R1, -8), mov64_reg(R0, R1), exit_insn()}))
            .with_flags(NO_LEAKS),
        accept("and, or and xor on a map value",
               P({lookup_checked(ARRAY_MAP), mov64_imm(R1, 3), atomic(BPF_DW, BPF_AND, R0, R1, 0),
                  atomic(BPF_DW, BPF_OR | BPF_FETCH, R0, R1, 8), atomic(BPF_W, BPF_XOR, R0, R1, 4),
                  ret(0)})),
        accept("exchange in a record",
               with_record(16, {mov64_imm(R1, 7), atomic(BPF_DW, BPF_XCHG, R6, R1, 8)})),
        accept("compare-and-exchange gives the old value in r0",
               P({st(BPF_DW, R10, -8, 0), mov64_imm(R0, 0), mov64_imm(R1, 1),
                  atomic(BPF_DW, BPF_CMPXCHG, R10, R1, -8), exit_insn()}))
            .with_flags(NO_LEAKS),
        accept("a 32-bit fetch is below 2^32",
               P({st(BPF_DW, R10, -8, 0), mov64_imm(R1, 1),
                  atomic(BPF_W, BPF_ADD | BPF_FETCH, R10, R1, -8), mov32_imm(R2, -1),
                  jmp_reg(BPF_JGT, R1, R2, 2), mov64_imm(R0, 0), exit_insn(),
                  ldx(BPF_DW, R0, R1, 0), exit_insn()})),
        deny("an atomic operation on the context",
             P({mov64_imm(R2, 1), atomic(BPF_DW, BPF_ADD, R1, R2, 0), ret(0)}),
             "atomic operation on r1 (context) is not allowed"),
        deny("a pointer added atomically",
             P({st(BPF_DW, R10, -8, 0), atomic(BPF_DW, BPF_ADD, R10, R10, -8), ret(0)}),
             "r10: an atomic operation takes a number, not stack pointer")
            .with_flags(NO_LEAKS),
        deny("an atomic operation on stack never written",
             P({mov64_imm(R1, 1), atomic(BPF_DW, BPF_ADD, R10, R1, -8), ret(0)}),
             "reading uninitialised stack off=-8 size=8")
            .with_flags(NO_LEAKS),
        deny("an atomic operation on a spilled pointer",
             P({stx(BPF_DW, R10, R1, -8), mov64_imm(R2, 1), atomic(BPF_DW, BPF_ADD, R10, R2, -8),
                ret(0)}),
             "atomic operation on a spilled pointer")
            .with_flags(NO_LEAKS),
        deny("a misaligned atomic operation on a map value",
             P({lookup_checked(ARRAY_MAP), mov64_imm(R1, 1), atomic(BPF_DW, BPF_ADD, R0, R1, 4),
                ret(0)}),
             "misaligned atomic access off=4 size=8"),
        deny("a variable offset that may misalign an atomic operation",
             P({lookup_checked(ARRAY_MAP), ldx(BPF_DW, R1, R0, 0), alu64_imm(BPF_AND, R1, 4),
                alu64_reg(BPF_ADD, R0, R1), mov64_imm(R1, 1), atomic(BPF_DW, BPF_ADD, R0, R1, 0),
                ret(0)}),
             "misaligned atomic access off=0 size=8"),
        deny("a misaligned atomic operation on the stack",
             P({st(BPF_DW, R10, -16, 0), st(BPF_DW, R10, -8, 0), mov64_imm(R1, 1),
                atomic(BPF_DW, BPF_ADD, R10, R1, -12), ret(0)}),
             "misaligned stack access off=-12 size=8"),
        deny("an atomic operation on a read-only map's value",
             P({lookup_checked(RDONLY_MAP), mov64_imm(R1, 1), atomic(BPF_DW, BPF_ADD, R0, R1, 0),
                ret(0)}),
             "is read-only to programs"),
        deny("an atomic operation past the record",
             with_record(8, {mov64_imm(R1, 1), atomic(BPF_DW, BPF_ADD, R6, R1, 8)}),
             "invalid ring record access"),
        deny("a lookup's result used atomically before its NULL check",
             P({lookup(ARRAY_MAP), mov64_imm(R1, 1), atomic(BPF_DW, BPF_ADD, R0, R1, 0), ret(0)}),
             "r0 may be NULL: compare it with 0 first"),
        deny("compare-and-exchange with a pointer in r0",
             P({st(BPF_DW, R10, -8, 0), mov64_reg(R0, R10), mov64_imm(R1, 1),
                atomic(BPF_DW, BPF_CMPXCHG, R10, R1, -8), ret(0)}),
             "r0: an atomic operation takes a number, not stack pointer")
            .with_flags(NO_LEAKS),
        malformed("an atomic subtraction, which BPF does not have",
                  P({st(BPF_DW, R10, -8, 0), mov64_imm(R1, 1), atomic(BPF_DW, BPF_SUB, R10, R1, -8),
                     ret(0)}),
                  "unknown atomic operation 0x10"),
        malformed("a one-byte atomic operation",
                  P({st(BPF_DW, R10, -8, 0), mov64_imm(R1, 1), atomic(BPF_B, BPF_ADD, R10, R1, -8),
                     ret(0)}),
                  "atomic operation on 1 bytes: only 4 or 8"),
    };
}

std::vector<Case> global_data_cases() {
    // If r2 is not `known`, a path dereferences a number: accepted only if
    // the verifier knows r2's value.
    auto require_known = [](int32_t known) {
        return P({jmp_imm(BPF_JNE, R2, known, 2), mov64_imm(R0, 0), exit_insn(),
                  ldx(BPF_DW, R0, R2, 0), exit_insn()});
    };
    return {
        accept("a global read and written through its section's value",
               P({ld_map_value(R1, DATA_MAP, 8), ldx(BPF_DW, R0, R1, 0), st(BPF_DW, R1, 0, 1),
                  exit_insn()})),
        accept("a global section's value as a helper's memory",
               P({ld_map_value(R1, DATA_MAP, 0), mov64_imm(R2, 16),
                  call_helper(BPF_FUNC_get_current_comm), ret(0)})),
        accept("a global added to atomically", P({ld_map_value(R1, DATA_MAP, 8), mov64_imm(R2, 1),
                                                  atomic(BPF_DW, BPF_ADD, R1, R2, 0), ret(0)})),
        accept("a global's address moved back to its section's start",
               P({ld_map_value(R1, DATA_MAP, 8), alu64_imm(BPF_ADD, R1, -8), ldx(BPF_DW, R0, R1, 0),
                  exit_insn()})),
        accept("a frozen value's 4 bytes load as their number",
               P({ld_map_value(R1, RODATA_MAP, 0), ldx(BPF_W, R2, R1, 0),
                  require_known(RODATA_COUNT)})),
        accept(
            "a frozen value's 8 bytes, past a moved pointer, load as their number",
            P({ld_map_value(R1, RODATA_MAP, 4), alu64_imm(BPF_ADD, R1, 4), ldx(BPF_DW, R2, R1, 0),
               ld_imm64_pair(R3, RODATA_WORD), jmp_reg(BPF_JNE, R2, R3, 2), mov64_imm(R0, 0),
               exit_insn(), ldx(BPF_DW, R0, R2, 0), exit_insn()})),
        accept("a loop bounded by a frozen value",
               P({ld_map_value(R1, RODATA_MAP, 0), ldx(BPF_W, R6, R1, 0), mov64_imm(R0, 0),
                  alu64_imm(BPF_ADD, R0, 1), jmp_reg(BPF_JLT, R0, R6, -2), exit_insn()})),
        deny("a read-only value that is not frozen is not known",
             P({ld_map_value(R1, RDONLY_MAP, 0), ldx(BPF_W, R2, R1, 0), require_known(8)}),
             "r2 (scalar) cannot be dereferenced"),
        deny("a writable global's bytes are not known",
             P({ld_map_value(R1, DATA_MAP, 0), ldx(BPF_W, R2, R1, 0), require_known(0)}),
             "r2 (scalar) cannot be dereferenced"),
        deny("a load past a global section's end",
             P({ld_map_value(R1, DATA_MAP, 8), ldx(BPF_DW, R0, R1, 8), exit_insn()}),
             "invalid map value access off=16 size=8 (value size 16)"),
        deny("a store into a frozen .rodata",
             P({ld_map_value(R1, RODATA_MAP, 0), st(BPF_W, R1, 0, 1), ret(0)}),
             "is read-only to programs"),
        deny("a global's address returned without allow_ptr_leaks",
             P({ld_map_value(R0, DATA_MAP, 0), exit_insn()}),
             "returning r0 (map value) leaks a pointer")
            .with_flags(NO_LEAKS),
        malformed("a value offset at the value's end", P({ld_map_value(R1, DATA_MAP, 16), ret(0)}),
                  "invalid access to map value pointer, value_size=16 off=16"),
        reject("the value of a multi-entry array", P({ld_map_value(R1, ARRAY_MAP, 0), ret(0)}),
               -EOPNOTSUPP, "invalid access to map value pointer, value_size=16 off=0"),
        malformed("the value of a hash map", P({ld_map_value(R1, HASH_MAP, 0), ret(0)}),
                  "no direct value access support for this map type"),
        malformed("the value of a ring", P({ld_map_value(R1, RING, 0), ret(0)}),
                  "no direct value access support for this map type"),
        malformed("a value offset of 2^29", P({ld_map_value(R1, DATA_MAP, 1U << 29), ret(0)}),
                  "direct value offset of 536870912 is not allowed"),
    };
}

// tail_call(r1, the prog array, r3 = key): 3 instructions.
Prog tail_call(int32_t key, int32_t fd = PROG_ARRAY) {
    return P({ld_map_fd(R2, fd), mov64_imm(R3, key), call_helper(BPF_FUNC_tail_call)});
}

std::vector<Case> tail_call_cases() {
    return {
        accept("a tail call with a constant key, then a fallback", P({tail_call(0), ret(1)})),
        accept("a tail call with a key from the context",
               P({ldx(BPF_W, R3, R1, 0), ld_map_fd(R2, PROG_ARRAY), call_helper(BPF_FUNC_tail_call),
                  ret(1)})),
        accept("a key past max_entries, which fails at run time", P({tail_call(100), ret(1)})),
        accept("tail calls with different keys on two paths",
               P({ldx(BPF_W, R4, R1, 0), jmp_imm(BPF_JEQ, R4, 0, 6), tail_call(1), ret(1),
                  tail_call(2), ret(2)})),
        accept("the context kept in r6 and passed back",
               P({mov64_reg(R6, R1), call_helper(BPF_FUNC_ktime_get_ns), mov64_reg(R1, R6),
                  tail_call(0), ret(0)})),
        accept("a tail call after the record is submitted",
               P({record_prologue(8), submit(R6), mov64_reg(R1, R9), tail_call(0), ret(0)})),
        accept("a tail call twice, the second after the first fails",
               P({mov64_reg(R6, R1), tail_call(0), mov64_reg(R1, R6), tail_call(1), ret(0)})),
        accept(
            "a tail call in the main function of a program with calls",
            P({mov64_reg(R6, R1), call_local(7), mov64_reg(R1, R6), tail_call(0), ret(0), ret(3)})),
        malformed("a tail call with a ring record reserved",
                  P({record_prologue(8), mov64_reg(R1, R9), tail_call(0), submit(R6), ret(0)}),
                  "tail_call would lead to reference leak"),
        malformed("a tail call through an ARRAY", P({tail_call(0, ARRAY_MAP), ret(0)}),
                  "cannot pass map_type 2 into func bpf_tail_call#12"),
        malformed("a prog array looked up", P({lookup(PROG_ARRAY), ret(0)}),
                  "cannot pass map_type 3 into func bpf_map_lookup_elem#1"),
        malformed("a prog array updated by a program",
                  P({st(BPF_W, R10, -8, 0), st(BPF_W, R10, -16, 0), ld_map_fd(R1, PROG_ARRAY),
                     mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_reg(R3, R10),
                     alu64_imm(BPF_ADD, R3, -16), mov64_imm(R4, 0),
                     call_helper(BPF_FUNC_map_update_elem), ret(0)}),
                  "cannot pass map_type 3 into func bpf_map_update_elem#2"),
        // In a called function: the JIT only (the interpreters refuse it at
        // load), with BTF in Linux; the frames below under 256 bytes.
        accept("a tail call in a called function", P({call_local(2), ret(0), tail_call(0), ret(1)}))
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_STATIC)}),
        accept("a tail call in a called function over 224 bytes of frames",
               P({st(BPF_DW, R10, -224, 0), call_local(2), ret(0), tail_call(0), ret(1)}))
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_STATIC)}),
        deny("a tail call in a called function over 256 bytes of frames",
             P({st(BPF_DW, R10, -256, 0), call_local(2), ret(0), tail_call(0), ret(1)}),
             "tail_calls are not allowed when call stack of previous frames is 256 bytes")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_STATIC)}),
        deny("a number as the tail call's context", P({mov64_imm(R1, 0), tail_call(0), ret(0)}),
             "r1 expects the context, got scalar"),
        deny("a moved context", P({alu64_imm(BPF_ADD, R1, 8), tail_call(0), ret(0)}),
             "r1: the context moved (off=8)"),
        deny("a ring as the prog array", P({tail_call(0, RING), ret(0)}),
             "r2 expects a map, got ring"),
        deny("a number as the prog array",
             P({mov64_imm(R2, 0), mov64_imm(R3, 0), call_helper(BPF_FUNC_tail_call), ret(0)}),
             "r2 expects a map, got scalar"),
        deny("a pointer as the key without allow_ptr_leaks",
             P({ld_map_fd(R2, PROG_ARRAY), mov64_reg(R3, R10), call_helper(BPF_FUNC_tail_call),
                ret(0)}),
             "passing r3 to a helper leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("r0 read after a tail call that failed", P({tail_call(0), exit_insn()}),
             "r0 is not initialised"),
        malformed("a prog array's value loaded directly",
                  P({ld_map_value(R1, PROG_ARRAY, 0), ret(0)}),
                  "no direct value access support for this map type"),
    };
}

std::vector<Case> tracing_helper_cases() {
    // helper(dst = fp-16, 16, an address from the context); return 0.
    auto read_to_stack = [](int32_t helper, int32_t size = 16, int16_t dst = -16) {
        return P({ldx(BPF_DW, R3, R1, 0), mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, dst),
                  mov64_imm(R2, size), call_helper(helper), ret(0)});
    };
    // A string of at most 8 bytes read into a 16-byte map value; if the
    // read did not fail, its length moves r6 along the value (as
    // test_varlen.c appends strings), and then a byte at r6 + at is stored.
    auto store_after_string = [](int16_t at, bool checked = true) {
        Prog p = P({mov64_reg(R9, R1), lookup_checked(ARRAY_MAP), mov64_reg(R6, R0),
                    mov64_reg(R1, R0), mov64_imm(R2, 8), ldx(BPF_DW, R3, R9, 0),
                    call_helper(BPF_FUNC_probe_read_kernel_str)});
        if (checked)
            p.push_back(jmp_imm(BPF_JSLT, R0, 0, 2));
        return P({p, alu64_reg(BPF_ADD, R6, R0), st(BPF_B, R6, at, 0), ret(0)});
    };
    // trace_printk(fp-8 = "%d", size, 42).
    auto printk = [](int32_t size) {
        return P({st(BPF_W, R10, -8, 0x6425), mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8),
                  mov64_imm(R2, size), mov64_imm(R3, 42), call_helper(BPF_FUNC_trace_printk),
                  ret(0)});
    };
    // trace_vprintk(fp-24 = "%d %d", 6, fp + @args (or NULL if 0), @size),
    // fp-16 and fp-8 holding 1 and 2.
    auto vprintk = [](int16_t args, int32_t size) {
        Prog p = P({st(BPF_W, R10, -24, 0x25206425), st(BPF_W, R10, -20, 0x64),
                    st(BPF_DW, R10, -16, 1), st(BPF_DW, R10, -8, 2), mov64_reg(R1, R10),
                    alu64_imm(BPF_ADD, R1, -24), mov64_imm(R2, 6)});
        if (args)
            p = P({p, mov64_reg(R3, R10), alu64_imm(BPF_ADD, R3, args)});
        else
            p.push_back(mov64_imm(R3, 0));
        return P({p, mov64_imm(R4, size), call_helper(BPF_FUNC_trace_vprintk), ret(0)});
    };
    // perf_event_output(ctx, fd, BPF_F_CURRENT_CPU, fp-16, size) with 8
    // bytes stored at fp-8.
    auto perf_output = [](int32_t fd, int32_t size) {
        return P({st(BPF_DW, R10, -8, 42), ld_map_fd(R2, fd), mov32_imm(R3, -1), mov64_reg(R4, R10),
                  alu64_imm(BPF_ADD, R4, -size), mov64_imm(R5, size),
                  call_helper(BPF_FUNC_perf_event_output), exit_insn()});
    };
    // get_stack(ctx, fp-64, size, flags), r1 still the context.
    auto stack_to_stack = [](int32_t size, int32_t flags) {
        return P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -64), mov64_imm(R3, size),
                  mov64_imm(R4, flags), call_helper(BPF_FUNC_get_stack), exit_insn()});
    };
    // get_stackid(ctx, fd, flags), r1 still the context; returns 0, so
    // that JIT'd and interpreted runs (whose stacks differ) agree.
    auto stackid = [](int32_t fd, int32_t flags) {
        return P(
            {ld_map_fd(R2, fd), mov64_imm(R3, flags), call_helper(BPF_FUNC_get_stackid), ret(0)});
    };
    // A user stack of at most 8 bytes walked into a 16-byte map value; if
    // the walk did not fail, its length moves r6 along the value, and then
    // a byte at r6 + at is stored.
    auto store_after_stack = [](int16_t at) {
        return P({mov64_reg(R9, R1), lookup_checked(ARRAY_MAP), mov64_reg(R6, R0),
                  mov64_reg(R1, R9), mov64_reg(R2, R0), mov64_imm(R3, 8),
                  mov64_imm(R4, BPF_F_USER_STACK), call_helper(BPF_FUNC_get_stack),
                  jmp_imm(BPF_JSLT, R0, 0, 2), alu64_reg(BPF_ADD, R6, R0), st(BPF_B, R6, at, 0),
                  ret(0)});
    };
    return {
        accept("probe_read_kernel into the stack", read_to_stack(BPF_FUNC_probe_read_kernel)),
        accept("probe_read_user into the stack", read_to_stack(BPF_FUNC_probe_read_user)),
        accept("the legacy probe_read", read_to_stack(BPF_FUNC_probe_read)),
        accept("the legacy probe_read_str", read_to_stack(BPF_FUNC_probe_read_str)),
        accept("probe_read_user_str into a record",
               with_record(32, {mov64_reg(R1, R6), mov64_imm(R2, 32), ldx(BPF_DW, R3, R9, 8),
                                call_helper(BPF_FUNC_probe_read_user_str)})),
        accept(
            "probe_read_kernel_str into a map value",
            P({mov64_reg(R9, R1), lookup_checked(ARRAY_MAP), mov64_reg(R1, R0), mov64_imm(R2, 16),
               ldx(BPF_DW, R3, R9, 0), call_helper(BPF_FUNC_probe_read_kernel_str), ret(0)})),
        accept("a string's length, at most its size, moves a pointer within the value",
               store_after_string(7)),
        // Linux's base helpers kring has (bpf_base_func_proto's) and the
        // cgroup id of tracing programs: numbers, whatever privileges.
        accept("the random, NUMA node, jiffies, boot time and cgroup id helpers",
               P({call_helper(BPF_FUNC_get_prandom_u32), mov64_reg(R6, R0),
                  call_helper(BPF_FUNC_get_numa_node_id), alu64_reg(BPF_ADD, R6, R0),
                  call_helper(BPF_FUNC_jiffies64), alu64_reg(BPF_ADD, R6, R0),
                  call_helper(BPF_FUNC_ktime_get_boot_ns), alu64_reg(BPF_ADD, R6, R0),
                  call_helper(BPF_FUNC_get_current_cgroup_id), alu64_reg(BPF_ADD, R0, R6),
                  exit_insn()})),
        deny("jiffies64's number is no pointer",
             P({call_helper(BPF_FUNC_jiffies64), ldx(BPF_DW, R0, R0, 0), exit_insn()}),
             "r0 (scalar) cannot be dereferenced"),
        accept("a field of the current task, read and returned",
               P({call_helper(BPF_FUNC_get_current_task), mov64_reg(R3, R0), mov64_reg(R1, R10),
                  alu64_imm(BPF_ADD, R1, -8), mov64_imm(R2, 8),
                  call_helper(BPF_FUNC_probe_read_kernel), ldx(BPF_DW, R0, R10, -8), exit_insn()})),
        accept("a probe read of 0 bytes", read_to_stack(BPF_FUNC_probe_read_kernel, 0)),
        accept("get_current_uid_gid", P({call_helper(BPF_FUNC_get_current_uid_gid), exit_insn()})),
        deny("probe_read_kernel without CAP_PERFMON",
             P({mov64_imm(R3, 0), mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -16),
                mov64_imm(R2, 16), call_helper(BPF_FUNC_probe_read_kernel), ret(0)}),
             "helper 113 (probe_read_kernel) reads kernel memory or addresses: it needs "
             "CAP_PERFMON")
            .with_flags(NO_LEAKS),
        deny("get_current_task without CAP_PERFMON",
             P({call_helper(BPF_FUNC_get_current_task), ret(0)}),
             "helper 35 (get_current_task) reads kernel memory or addresses: it needs CAP_PERFMON")
            .with_flags(NO_LEAKS),
        deny("a probe read of an unbounded size",
             P({ldx(BPF_DW, R3, R1, 0), ldx(BPF_DW, R2, R1, 8), mov64_reg(R1, R10),
                alu64_imm(BPF_ADD, R1, -16), call_helper(BPF_FUNC_probe_read_kernel), ret(0)}),
             "r2 has an unbounded value"),
        deny("a probe read into a number",
             P({ldx(BPF_DW, R3, R1, 0), mov64_imm(R1, 0), mov64_imm(R2, 8),
                call_helper(BPF_FUNC_probe_read_kernel), ret(0)}),
             "r1 expects memory (stack, ring record or map value), got scalar"),
        deny("a probe read past the stack's top", read_to_stack(BPF_FUNC_probe_read_kernel, 16, -8),
             "invalid stack access off=-8 size=16"),
        deny("a probe read into a read-only map's value",
             P({mov64_reg(R9, R1), lookup_checked(RDONLY_MAP), mov64_reg(R1, R0), mov64_imm(R2, 8),
                ldx(BPF_DW, R3, R9, 0), call_helper(BPF_FUNC_probe_read_kernel), ret(0)}),
             "is read-only to programs"),
        deny("a probe read past the record",
             with_record(8, {mov64_reg(R1, R6), mov64_imm(R2, 16), ldx(BPF_DW, R3, R9, 8),
                             call_helper(BPF_FUNC_probe_read_user_str)}),
             "invalid ring record access off=0 size=16 (record size 8)"),
        deny("a string's length may be its whole size: one byte too far", store_after_string(8),
             "invalid map value access off=8 size=1 (value size 16)"),
        deny("a string read's result may be an error: negative before its check",
             store_after_string(7, false), "invalid map value access off=-4088 size=1"),
        // bpf_printk: trace_printk("%d", 3, 42) with the format on the
        // stack; R4 and R5, which the format does not print, never written.
        accept("trace_printk of one number: r4 and r5 never written", printk(3)),
        deny("trace_printk's format of size 0", printk(0),
             "r2: the size may be 0, which this helper refuses"),
        deny("trace_printk without CAP_PERFMON", printk(3),
             "helper 6 (trace_printk) reads kernel memory or addresses: it needs CAP_PERFMON")
            .with_flags(NO_LEAKS),
        deny("trace_printk's format a number",
             P({mov64_imm(R1, 0), mov64_imm(R2, 3), call_helper(BPF_FUNC_trace_printk), ret(0)}),
             "r1 expects memory (stack, ring record or map value), got scalar"),
        // bpf_printk of more than three: trace_vprintk("%d %d", 6, args, 16)
        // with both on the stack, or with no arguments, NULL and 0.
        accept("trace_vprintk of two numbers from the stack", vprintk(-16, 16)),
        accept("trace_vprintk without arguments: NULL and 0", vprintk(0, 0)),
        deny("trace_vprintk's arguments NULL but 8 bytes long", vprintk(0, 8),
             "r3 is NULL, and its size in r4 may be nonzero"),
        deny("trace_vprintk's arguments past the stack's top", vprintk(-8, 16),
             "invalid stack access off=-8 size=16"),
        // perf_event_output, which libbpf-tools call without a ring: the
        // context, a perf event array alone (Linux's
        // check_map_func_compatibility), and memory to copy; no CAP_PERFMON,
        // as Linux gives socket filters the same number.
        accept("perf_event_output of 8 bytes from the stack", perf_output(PERF_MAP, 8)),
        accept("perf_event_output without CAP_PERFMON", perf_output(PERF_MAP, 8))
            .with_flags(NO_LEAKS),
        malformed("an array given to perf_event_output", perf_output(ARRAY_MAP, 8),
                  "cannot pass map_type 2 into func bpf_perf_event_output#25"),
        malformed("a perf event array looked up", P({lookup(PERF_MAP), ret(0)}),
                  "cannot pass map_type 4 into func bpf_map_lookup_elem#1"),
        deny("perf_event_output of stack never written, without CAP_PERFMON",
             perf_output(PERF_MAP, 16), "reading uninitialised stack off=-16 size=16")
            .with_flags(NO_LEAKS),
        deny("perf_event_output's first argument not the context",
             P({mov64_imm(R1, 0), perf_output(PERF_MAP, 8)}), "r1 expects the context, got scalar"),
        // get_stack, as opensnoop and biostacks call it: the context, memory
        // it fills, its size, the flags; its result is at most the size.
        accept("get_stack of the kernel stack into the stack", stack_to_stack(64, 0)),
        accept("get_stack of the user stack, two frames skipped",
               stack_to_stack(64, BPF_F_USER_STACK | 2)),
        accept("get_stack's length, at most its size, moves a pointer within the value",
               store_after_stack(7)),
        deny("get_stack's length may be its whole size: one byte too far", store_after_stack(8),
             "invalid map value access off=8 size=1 (value size 16)"),
        deny("get_stack without CAP_PERFMON", stack_to_stack(64, 0),
             "helper 67 (get_stack) reads kernel memory or addresses: it needs CAP_PERFMON")
            .with_flags(NO_LEAKS),
        deny("get_stack's first argument not the context",
             P({mov64_imm(R1, 0), stack_to_stack(64, 0)}), "r1 expects the context, got scalar"),
        deny("get_stack past the stack's top", stack_to_stack(72, 0),
             "invalid stack access off=-64 size=72"),
        // get_stackid, as offcputime and profile call it: the context, a
        // stack trace map alone (Linux's check_map_func_compatibility), the
        // flags; its result is any scalar (an id or an errno).
        accept("get_stackid of the kernel stack", stackid(STACK_MAP, 0)),
        accept("get_stackid of the user stack, compared fast",
               stackid(STACK_MAP, BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP)),
        accept("get_stackid's id used as an array index after a bounds check",
               P({ld_map_fd(R2, STACK_MAP), mov64_imm(R3, 0), call_helper(BPF_FUNC_get_stackid),
                  jmp_imm(BPF_JSLT, R0, 0, 7), jmp_imm(BPF_JGT, R0, 3, 6), stx(BPF_W, R10, R0, -8),
                  ld_map_fd(R1, ARRAY_MAP), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                  call_helper(BPF_FUNC_map_lookup_elem), ret(0)})),
        malformed("an array given to get_stackid", stackid(ARRAY_MAP, 0),
                  "cannot pass map_type 2 into func bpf_get_stackid#27"),
        malformed("a stack trace map looked up", P({lookup(STACK_MAP), ret(0)}),
                  "cannot pass map_type 7 into func bpf_map_lookup_elem#1"),
        deny("get_stackid without CAP_PERFMON", stackid(STACK_MAP, 0),
             "helper 27 (get_stackid) reads kernel memory or addresses: it needs CAP_PERFMON")
            .with_flags(NO_LEAKS),
        deny("get_stackid's first argument not the context",
             P({mov64_imm(R1, 0), stackid(STACK_MAP, 0)}), "r1 expects the context, got scalar"),
        // get_attach_cookie(ctx): the cookie the link was attached with, as
        // libbpf's USDT support and multi-attach tools read it.
        accept("get_attach_cookie's cookie returned",
               P({call_helper(BPF_FUNC_get_attach_cookie), exit_insn()})),
        accept("get_attach_cookie's cookie kept across a call",
               P({call_helper(BPF_FUNC_get_attach_cookie), mov64_reg(R6, R0),
                  call_helper(BPF_FUNC_ktime_get_ns), alu64_reg(BPF_ADD, R0, R6), exit_insn()})),
        deny("get_attach_cookie's argument not the context",
             P({mov64_reg(R1, R10), call_helper(BPF_FUNC_get_attach_cookie), ret(0)}),
             "r1 expects the context, got stack pointer"),
        // get_func_ip(ctx): the probed function's address, as ksnoop reads it.
        accept("get_func_ip's address returned",
               P({call_helper(BPF_FUNC_get_func_ip), exit_insn()})),
        deny("get_func_ip's argument not the context",
             P({mov64_reg(R1, R10), call_helper(BPF_FUNC_get_func_ip), ret(0)}),
             "r1 expects the context, got stack pointer"),
        deny("get_attach_cookie's result is no pointer",
             P({call_helper(BPF_FUNC_get_attach_cookie), ldx(BPF_DW, R0, R0, 0), exit_insn()}),
             "r0 (scalar) cannot be dereferenced"),
    };
}

// tp_btf programs on sched_process_exec (struct task_struct *p, pid_t
// old_pid, struct linux_binprm *bprm) and sys_enter (struct pt_regs *regs,
// long id): the arguments and the structs they reach, typed by the kernel's
// BTF. Offsets come from that BTF, so the same cases run against any kernel.
std::vector<Case> btf_cases() {
    const char* exec = "sched_process_exec";
    const int16_t pid = btf_off("task_struct", "pid");
    const int16_t tgid = btf_off("task_struct", "tgid");
    const int16_t parent = btf_off("task_struct", "real_parent");
    const int16_t comm = btf_off("task_struct", "comm");
    const int16_t task_size = btf_size("task_struct");
    const int16_t regs_di = btf_off("pt_regs", "di");
    // r2 = p (the task), the first instruction of most cases.
    const bpf_insn task = ldx(BPF_DW, R2, R1, 0);
    auto on_exec = [exec](Case c) {
        return std::move(c).with_tp_btf(exec);
    };
    return {
        on_exec(accept("a task's pid through a tp_btf argument",
                       P({task, ldx(BPF_W, R0, R2, pid), exit_insn()}))),
        on_exec(
            accept("a pointer read from a kernel struct is followed: real_parent->tgid",
                   P({task, ldx(BPF_DW, R2, R2, parent), ldx(BPF_W, R0, R2, tgid), exit_insn()}))),
        on_exec(accept("a number argument reads as a number",
                       P({ldx(BPF_W, R0, R1, 8), alu64_imm(BPF_ADD, R0, 1), exit_insn()}))),
        on_exec(accept(
            "a kernel struct pointer compared with NULL, both ways",
            P({task, jmp_imm(BPF_JEQ, R2, 0, 2), ldx(BPF_W, R0, R2, pid), exit_insn(), ret(0)}))),
        on_exec(accept("a byte of task->comm",
                       P({task, ldx(BPF_B, R0, R2, static_cast<int16_t>(comm + 3)), exit_insn()}))),
        on_exec(accept("a constant added to a kernel struct pointer, then read",
                       P({task, alu64_imm(BPF_ADD, R2, pid), ldx(BPF_W, R0, R2, 0), exit_insn()}))),
        on_exec(accept("get_current_task_btf()->pid", P({call_helper(BPF_FUNC_get_current_task_btf),
                                                         ldx(BPF_W, R0, R0, pid), exit_insn()}))),
        accept(
            "sys_enter's regs->di",
            P({ldx(BPF_DW, R2, R1, 0), ldx(BPF_DW, R0, R2, btf_off("pt_regs", "di")), exit_insn()}))
            .with_tp_btf("sys_enter"),
        on_exec(accept("a kernel struct pointer kept on the stack and read back",
                       P({task, stx(BPF_DW, R10, R2, -8), ldx(BPF_DW, R3, R10, -8),
                          ldx(BPF_W, R0, R3, pid), exit_insn()}))),
        on_exec(deny("a kernel struct read without CAP_PERFMON",
                     P({task, ldx(BPF_W, R0, R2, pid), exit_insn()}),
                     "reading a kernel struct needs CAP_PERFMON")
                    .with_flags(NO_LEAKS)),
        on_exec(deny("a store into a kernel struct", P({task, st(BPF_W, R2, pid, 0), ret(0)}),
                     "only read is supported")),
        on_exec(deny("a read past a kernel struct's end",
                     P({task, ldx(BPF_B, R0, R2, task_size), exit_insn()}),
                     "access beyond struct task_struct at off " + std::to_string(task_size) +
                         " size 1")),
        on_exec(deny("a read before a kernel struct",
                     P({task, ldx(BPF_W, R0, R2, -8), exit_insn()}),
                     "R2 is ptr_task_struct invalid negative access: off=-8")),
        on_exec(deny("a variable offset into a kernel struct",
                     P({task, ldx(BPF_W, R3, R1, 8), alu64_imm(BPF_AND, R3, 7),
                        alu64_reg(BPF_ADD, R2, R3), ldx(BPF_B, R0, R2, 0), exit_insn()}),
                     "R2 is ptr_task_struct invalid variable offset")),
        on_exec(deny("half of a pointer member", P({task, ldx(BPF_W, R0, R2, parent), exit_insn()}),
                     "cannot access ptr member real_parent with moff " + std::to_string(parent) +
                         " in struct task_struct with off " + std::to_string(parent) + " size 4")),
        on_exec(deny("a fourth argument of a three-argument tracepoint",
                     P({ldx(BPF_DW, R0, R1, 24), exit_insn()}),
                     "func 'sched_process_exec' doesn't have 4-th argument")),
        on_exec(deny("an argument read at an offset not a multiple of 8",
                     P({ldx(BPF_W, R0, R1, 4), exit_insn()}),
                     "func 'sched_process_exec' offset 4 is not multiple of 8")),
        on_exec(deny("a store into a tp_btf context",
                     P({mov64_imm(R2, 0), stx(BPF_DW, R1, R2, 0), ret(0)}),
                     "invalid bpf_context access off=0 size=8")),
        on_exec(deny("a number argument dereferenced",
                     P({ldx(BPF_DW, R2, R1, 8), ldx(BPF_W, R0, R2, 0), exit_insn()}),
                     "r2 (scalar) cannot be dereferenced")),
        on_exec(deny(
            "one load through a kernel struct on one path, the stack on another",
            P({st(BPF_DW, R10, -8, 0), task, ldx(BPF_W, R3, R1, 8), jmp_imm(BPF_JNE, R3, 0, 2),
               mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), ldx(BPF_W, R0, R2, 0), exit_insn()}),
            "same insn cannot be used with different pointers")),
        // fentry and fexit: a function's arguments (__x64_sys_close's
        // struct pt_regs *regs; __sys_socket's three ints), and at exit
        // its result after them.
        // Each returns 0, as Linux requires of them.
        accept("fentry: a function's pointer argument followed to a field",
               P({ldx(BPF_DW, R2, R1, 0), ldx(BPF_DW, R3, R2, regs_di), ret(0)}))
            .with_fentry("__x64_sys_close"),
        accept("fexit: the result after the arguments", P({ldx(BPF_DW, R3, R1, 8), ret(0)}))
            .with_fexit("__x64_sys_close"),
        accept("fexit: int arguments and an int result as numbers",
               P({ldx(BPF_DW, R3, R1, 0), ldx(BPF_DW, R2, R1, 24), alu64_reg(BPF_ADD, R3, R2),
                  ret(0)}))
            .with_fexit("__sys_socket"),
        deny("fentry: a result other than 0", ret(1),
             "r0 may be other than 0 at exit: an fentry or fexit program returns 0")
            .with_fentry("__x64_sys_close"),
        deny("fexit: the function's result returned", P({ldx(BPF_DW, R0, R1, 8), exit_insn()}),
             "r0 may be other than 0 at exit: an fentry or fexit program returns 0")
            .with_fexit("__x64_sys_close"),
        deny("fentry: no result at entry", P({ldx(BPF_DW, R0, R1, 8), exit_insn()}),
             "func '__x64_sys_close' doesn't have 2-th argument")
            .with_fentry("__x64_sys_close"),
        deny("fexit: nothing past the result", P({ldx(BPF_DW, R0, R1, 32), exit_insn()}),
             "func '__sys_socket' doesn't have 5-th argument")
            .with_fexit("__sys_socket"),
        deny("fentry: an int argument dereferenced",
             P({ldx(BPF_DW, R2, R1, 0), ldx(BPF_W, R0, R2, 0), exit_insn()}),
             "r2 (scalar) cannot be dereferenced")
            .with_fentry("__sys_socket"),
        // get_socket_cookie (tcppktlat) writes the cookie into the socket
        // it is given: a socket argument of tcp_destroy_sock (const struct
        // sock *sk) or tcp_close (struct sock *sk, long timeout), whose
        // struct starts with struct sock_common, as Linux's
        // ARG_PTR_TO_BTF_ID_SOCK_COMMON matches it.
        accept("get_socket_cookie of a tp_btf socket argument",
               P({ldx(BPF_DW, R1, R1, 0), call_helper(BPF_FUNC_get_socket_cookie), ret(0)}))
            .with_tp_btf("tcp_destroy_sock"),
        accept("get_socket_cookie of an fentry socket argument",
               P({ldx(BPF_DW, R1, R1, 0), call_helper(BPF_FUNC_get_socket_cookie), ret(0)}))
            .with_fentry("tcp_close"),
        accept("get_socket_cookie of a socket argument kept on the stack",
               P({ldx(BPF_DW, R2, R1, 0), stx(BPF_DW, R10, R2, -8), ldx(BPF_DW, R1, R10, -8),
                  call_helper(BPF_FUNC_get_socket_cookie), ret(0)}))
            .with_tp_btf("tcp_destroy_sock"),
        deny("get_socket_cookie of a moved socket pointer",
             P({ldx(BPF_DW, R1, R1, 0), alu64_imm(BPF_ADD, R1, 8),
                call_helper(BPF_FUNC_get_socket_cookie), ret(0)}),
             "r1 is of type sock (off=8) but sock_common is expected")
            .with_tp_btf("tcp_destroy_sock"),
        on_exec(deny("get_socket_cookie of a task",
                     P({task, mov64_reg(R1, R2), call_helper(BPF_FUNC_get_socket_cookie), ret(0)}),
                     "r1 is of type task_struct (off=0) but sock_common is expected")),
        deny("get_socket_cookie of NULL",
             P({mov64_imm(R1, 0), call_helper(BPF_FUNC_get_socket_cookie), ret(0)}),
             "r1 expects a pointer to struct sock_common, got scalar")
            .with_tp_btf("tcp_destroy_sock"),
        malformed("get_socket_cookie in a kprobe program",
                  P({mov64_imm(R1, 0), call_helper(BPF_FUNC_get_socket_cookie), ret(0)}),
                  "helper 46 (get_socket_cookie) is for tp_btf, fentry and fexit programs only"),
        // Stricter than Linux, which takes these too: a socket read from
        // kernel memory (socket->sk) may be stale, and at fexit the
        // function may have freed its argument.
        deny("get_socket_cookie of a socket read from kernel memory",
             P({ldx(BPF_DW, R2, R1, 0), ldx(BPF_DW, R1, R2, btf_off("socket", "sk")),
                call_helper(BPF_FUNC_get_socket_cookie), ret(0)}),
             "r1: struct sock may be stale")
            .with_fentry("sock_sendmsg"),
        deny("get_socket_cookie of an fexit socket argument",
             P({ldx(BPF_DW, R1, R1, 0), call_helper(BPF_FUNC_get_socket_cookie), ret(0)}),
             "r1: struct sock may be stale")
            .with_fexit("tcp_close"),
        // get_attach_cookie: fentry and fexit links have one (Linux's
        // trampoline programs), tp_btf links none in Linux 6.1.
        accept("get_attach_cookie in an fentry program",
               P({call_helper(BPF_FUNC_get_attach_cookie), ret(0)}))
            .with_fentry("__x64_sys_close"),
        accept("get_attach_cookie in an fexit program",
               P({call_helper(BPF_FUNC_get_attach_cookie), ret(0)}))
            .with_fexit("__x64_sys_close"),
        // get_func_ip: fentry and fexit programs probe a function, tp_btf
        // ones none (Linux's ENOTSUPP, 524; kring's EOPNOTSUPP).
        accept("get_func_ip in an fentry program", P({call_helper(BPF_FUNC_get_func_ip), ret(0)}))
            .with_fentry("__x64_sys_close"),
        accept("get_func_ip in an fexit program", P({call_helper(BPF_FUNC_get_func_ip), ret(0)}))
            .with_fexit("__x64_sys_close"),
        reject("get_func_ip in a tp_btf program", P({call_helper(BPF_FUNC_get_func_ip), ret(0)}),
               -EOPNOTSUPP,
               "helper 173 (get_func_ip) is for kprobe, uprobe, fentry and fexit programs only")
            .with_tp_btf("sched_process_exec"),
        malformed("get_attach_cookie in a tp_btf program",
                  P({call_helper(BPF_FUNC_get_attach_cookie), ret(0)}),
                  "helper 174 (get_attach_cookie): raw tracepoints and tp_btf programs have no "
                  "cookie")
            .with_tp_btf("sched_process_exec"),
    };
}

// ---- global functions' pointer arguments ----

// call_local(fn(k)) calls function k of linked()'s list.
constexpr int32_t fn(int k) {
    return -1000 - k;
}

// A global function whose arguments are memory of @sizes bytes each.
kring_func_info mem_args(std::vector<uint32_t> sizes) {
    kring_func_info info =
        func(0, KRING_FUNC_GLOBAL, std::vector<uint8_t>(sizes.size(), KRING_ARG_MEM));
    for (size_t i = 0; i < sizes.size(); i++)
        info.arg_mem_size[i] = sizes[i];
    return info;
}

// @c's program (main) followed by @callees, each declared by @decls (main
// static), their calls (call_local(fn(k))) pointed at them.
Case linked(Case c, std::vector<Prog> callees, std::vector<kring_func_info> decls) {
    std::vector<size_t> start{0};
    for (const Prog& callee : callees) {
        start.push_back(c.prog.size());
        c.prog.insert(c.prog.end(), callee.begin(), callee.end());
    }
    for (size_t i = 0; i < c.prog.size(); i++) {
        bpf_insn& in = c.prog[i];
        if (in.code == (BPF_JMP | BPF_CALL) && in.src_reg == BPF_PSEUDO_CALL && in.imm <= fn(0))
            in.imm = static_cast<int32_t>(start.at(static_cast<size_t>(fn(0) - in.imm))) -
                     static_cast<int32_t>(i + 1);
    }
    std::vector<kring_func_info> funcs{func(0, KRING_FUNC_STATIC)};
    for (size_t k = 0; k < decls.size(); k++) {
        funcs.push_back(decls[k]);
        funcs.back().insn_off = static_cast<uint32_t>(start.at(k + 1));
    }
    return std::move(c).with_funcs(std::move(funcs));
}

// In a callee: if (!r1) return 0; then @body.
Prog if_r1(Prog body) {
    return P({jmp_imm(BPF_JNE, R1, 0, 2), ret(0), std::move(body)});
}

// r1 = fp + off: 2 instructions.
Prog stack_arg(int16_t off) {
    return P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, off)});
}

std::vector<Case> global_arg_cases() {
    const bpf_insn call_f = call_local(fn(1));
    // main: fp-16 = 1, fp-8 = 2; return f(fp - 16).
    const Prog pass_stack =
        P({st(BPF_DW, R10, -16, 1), st(BPF_DW, R10, -8, 2), stack_arg(-16), call_f, exit_insn()});
    // f: return p ? p[1] : 0, of 16 bytes.
    const Prog read_second = if_r1(P({ldx(BPF_DW, R0, R1, 8), exit_insn()}));
    const Prog write_first = if_r1(P({st(BPF_DW, R1, 0, 1), ret(0)}));
    const kring_func_info mem16 = mem_args({16});
    kring_func_info mixed =
        func(0, KRING_FUNC_GLOBAL, {KRING_ARG_CTX, KRING_ARG_SCALAR, KRING_ARG_MEM});
    mixed.arg_mem_size[2] = 16;
    return {
        linked(accept("16 bytes of stack for a 16-byte pointer argument", pass_stack),
               {read_second}, {mem16}),
        linked(accept("NULL for a pointer argument", P({mov64_imm(R1, 0), call_f, exit_insn()})),
               {read_second}, {mem16}),
        linked(deny("a pointer argument read before its NULL check", pass_stack,
                    "r1 may be NULL: compare it with 0 first"),
               {P({ldx(BPF_DW, R0, R1, 0), exit_insn()})}, {mem16}),
        linked(deny("arithmetic on a pointer argument before its NULL check", pass_stack,
                    "r1 may be NULL: compare it with 0 first"),
               {P({alu64_imm(BPF_ADD, R1, 8), ret(0)})}, {mem16}),
        linked(deny("a pointer argument read past its size", pass_stack,
                    "invalid memory argument access off=16 size=8 (argument size 16)"),
               {if_r1(P({ldx(BPF_DW, R0, R1, 16), exit_insn()}))}, {mem16}),
        linked(accept("a variable offset within a pointer argument", pass_stack),
               {if_r1(P({ldx(BPF_B, R2, R1, 0), alu64_imm(BPF_AND, R2, 7),
                         alu64_reg(BPF_ADD, R1, R2), ldx(BPF_B, R0, R1, 8), exit_insn()}))},
               {mem16}),
        linked(deny("a variable offset that may reach past a pointer argument", pass_stack,
                    "invalid memory argument access off=8 size=1 (argument size 16)"),
               {if_r1(P({ldx(BPF_B, R2, R1, 0), alu64_imm(BPF_AND, R2, 8),
                         alu64_reg(BPF_ADD, R1, R2), ldx(BPF_B, R0, R1, 8), exit_insn()}))},
               {mem16}),
        linked(deny("an atomic add into a pointer argument", pass_stack,
                    "atomic operation on a memory argument, whose alignment is its caller's"),
               {if_r1(P({mov64_imm(R2, 1), atomic(BPF_DW, BPF_ADD, R1, R2, 8), ret(0)}))}, {mem16}),
        linked(accept("a helper writes a pointer argument", pass_stack),
               {if_r1(P({mov64_imm(R2, 16), call_helper(BPF_FUNC_get_current_comm), ret(0)}))},
               {mem16}),
        linked(accept("the caller reads back the stack a global function wrote",
                      P({st(BPF_DW, R10, -16, 0), st(BPF_DW, R10, -8, 0), stack_arg(-16), call_f,
                         ldx(BPF_DW, R0, R10, -16), exit_insn()})),
               {write_first}, {mem16}),
        linked(deny("the caller forgets what it stored where a global function may write",
                    P({st(BPF_DW, R10, -16, 0), st(BPF_DW, R10, -8, 0), stack_arg(-16), call_f,
                       ldx(BPF_DW, R2, R10, -16), jmp_imm(BPF_JEQ, R2, 0, 2), mov64_reg(R0, R3),
                       exit_insn(), ret(0)}),
                    "r3 is not initialised"),
               {write_first}, {mem16}),
        linked(reject("stack never written for a pointer argument",
                      P({stack_arg(-16), call_f, exit_insn()}), -EINVAL,
                      "reading uninitialised stack")
                   .with_flags(NO_LEAKS),
               {ret(0)}, {mem16}),
        // (f reads nothing: what it would read differs between runtimes.)
        linked(accept("stack never written for a pointer argument, with allow_ptr_leaks",
                      P({stack_arg(-16), call_f, exit_insn()})),
               {ret(0)}, {mem16}),
        linked(reject("a pointer argument past the stack's top",
                      P({st(BPF_DW, R10, -8, 0), stack_arg(-8), call_f, exit_insn()}), -EINVAL,
                      "invalid stack access off=-8 size=16"),
               {read_second}, {mem16}),
        linked(accept("a lookup's result passed before its NULL check",
                      P({lookup(ARRAY_MAP), mov64_reg(R1, R0), call_f, exit_insn()})),
               {write_first}, {mem16}),
        linked(reject("a map value smaller than the pointer argument",
                      P({lookup_checked(HASH_MAP), mov64_reg(R1, R0), call_f, exit_insn()}),
                      -EINVAL, "invalid map value access off=0 size=32 (value size 24)"),
               {read_second}, {mem_args({32})}),
        linked(reject("a read-only map's value for a pointer argument",
                      P({lookup_checked(RDONLY_MAP), mov64_reg(R1, R0), call_f, exit_insn()}),
                      -EINVAL, "is read-only to programs"),
               {if_r1(P({ldx(BPF_DW, R0, R1, 0), exit_insn()}))}, {mem_args({8})}),
        linked(accept("a ring record for a pointer argument",
                      P({reserve(16), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0),
                         mov64_reg(R1, R0), call_f, submit(R6), ret(0)})),
               {write_first}, {mem16}),
        linked(reject("a number for a pointer argument", P({mov64_imm(R1, 5), call_f, exit_insn()}),
                      -EINVAL, "r1 expects memory (stack, ring record or map value), got scalar"),
               {read_second}, {mem16}),
        linked(reject("the context for a number argument", P({call_f, exit_insn()}), -EINVAL,
                      "argument r1 expects a scalar, got context\n"),
               {ret(0)}, {func(0, KRING_FUNC_GLOBAL, {KRING_ARG_SCALAR})}),
        linked(reject("the context for a pointer argument", P({call_f, exit_insn()}), -EINVAL,
                      "r1 expects memory (stack, ring record or map value), got context"),
               {read_second}, {mem16}),
        linked(deny("a pointer stored into a pointer argument without allow_ptr_leaks", pass_stack,
                    "storing r10 into a memory argument leaks a pointer")
                   .with_flags(NO_LEAKS),
               {if_r1(P({stx(BPF_DW, R1, R10, 0), ret(0)}))}, {mem16}),
        linked(accept("a pointer argument passed on to another global function", pass_stack),
               {P({call_local(fn(2)), exit_insn()}), read_second}, {mem16, mem16}),
        linked(reject("a pointer argument passed on to a function that wants more", pass_stack,
                      -EINVAL, "invalid memory argument access off=0 size=16 (argument size 8)"),
               {P({call_local(fn(2)), exit_insn()}), read_second}, {mem_args({8}), mem16}),
        linked(accept("the context, a number and memory in one call",
                      P({st(BPF_DW, R10, -16, 1), st(BPF_DW, R10, -8, 2), mov64_reg(R3, R10),
                         alu64_imm(BPF_ADD, R3, -16), mov64_imm(R2, 7), call_f, exit_insn()})),
               {P({ldx(BPF_W, R4, R1, 0), jmp_imm(BPF_JNE, R3, 0, 2), ret(0),
                   ldx(BPF_DW, R0, R3, 8), alu64_reg(BPF_ADD, R0, R2), exit_insn()})},
               {mixed}),
    };
}

std::vector<Case> control_flow_cases() {
    const Prog counted_loop =
        P({mov64_imm(R0, 0), mov64_imm(R1, 0), alu64_reg(BPF_ADD, R0, R1),
           alu64_imm(BPF_ADD, R1, 1), jmp_imm(BPF_JLT, R1, 10, -3), exit_insn()});
    return {
        accept("a loop of 10 iterations with bpf_capable", counted_loop),
        deny("a loop without bpf_capable is a back-edge", counted_loop, "loops need bpf_capable")
            .with_flags(NO_CAP),
        deny("a conditional jump to itself that is always taken",
             P({mov64_imm(R0, 0), mov64_imm(R1, 0), jmp_imm(BPF_JEQ, R1, 0, -1), exit_insn()}),
             "infinite loop"),
        deny("a two-instruction loop that never changes its state",
             P({ldx(BPF_DW, R0, R1, 0), jmp_imm(BPF_JEQ, R0, 0, 2), mov64_imm(R0, 1), ja(-2),
                exit_insn()}),
             "infinite loop"),
        accept("a loop counting down from an unknown value in [0,15]",
               P({ldx(BPF_DW, R1, R1, 0), alu64_imm(BPF_AND, R1, 15), mov64_imm(R0, 0),
                  alu64_imm(BPF_ADD, R1, -1), alu64_imm(BPF_ADD, R0, 1),
                  jmp_imm(BPF_JSGT, R1, 0, -3), exit_insn()})),
        // Each loop's counter reaches its exit test by a different road, which
        // precision must follow, or the repeating state looks infinite.
        accept("a loop counter kept on the stack",
               P({st(BPF_DW, R10, -8, 0), ldx(BPF_DW, R1, R10, -8), alu64_imm(BPF_ADD, R1, 1),
                  stx(BPF_DW, R10, R1, -8), jmp_imm(BPF_JLT, R1, 10, -4), ret(0)})),
        accept("a 32-bit loop counter", P({mov32_imm(R1, 0), alu32_imm(BPF_ADD, R1, 1),
                                           jmp32_imm(BPF_JLT, R1, 10, -2), ret(0)})),
        // The fill keeps the counter's value, so each iteration differs.
        accept("a u32 loop counter kept on the stack with 4-byte accesses (as Linux)",
               P({st(BPF_W, R10, -8, 0), ldx(BPF_W, R1, R10, -8), alu32_imm(BPF_ADD, R1, 1),
                  stx(BPF_W, R10, R1, -8), jmp32_imm(BPF_JLT, R1, 10, -4), ret(0)})),
        accept("a loop counter in r6 across a static call",
               P({mov64_imm(R6, 0), call_local(4), alu64_imm(BPF_ADD, R6, 1),
                  jmp_imm(BPF_JLT, R6, 5, -3), ret(0), ret(1)})),
        accept("a loop counter incremented by a static callee",
               P({mov64_imm(R6, 0), mov64_reg(R1, R6), call_local(4), mov64_reg(R6, R0),
                  jmp_imm(BPF_JLT, R6, 5, -4), ret(0), mov64_reg(R0, R1), alu64_imm(BPF_ADD, R0, 1),
                  exit_insn()})),
        accept("a loop inside a static callee called twice",
               P({call_local(3), call_local(2), ret(0), mov64_imm(R1, 0), alu64_imm(BPF_ADD, R1, 1),
                  jmp_imm(BPF_JLT, R1, 4, -2), ret(0)})),
        accept("a loop calling a helper",
               P({mov64_imm(R6, 0), call_helper(BPF_FUNC_ktime_get_ns), alu64_imm(BPF_ADD, R6, 1),
                  jmp_imm(BPF_JLT, R6, 5, -3), ret(0)})),
        deny("a loop whose stack pointer walks off the stack",
             P({mov64_imm(R1, 0), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                st(BPF_DW, R2, 0, 0), alu64_imm(BPF_ADD, R1, 1), jmp_imm(BPF_JLT, R1, 100, -4),
                ret(0)}),
             "invalid stack access"),
        deny("a loop that reserves on every iteration",
             P({mov64_imm(R6, 0), reserve(8), alu64_imm(BPF_ADD, R6, 1),
                jmp_imm(BPF_JLT, R6, 3, -7), ret(0)}),
             "unreleased ring record"),
        accept("a branch never taken is not explored (JEQ on a constant)",
               P({mov64_imm(R1, 0), jmp_imm(BPF_JEQ, R1, 0, 1), ldx(BPF_DW, R0, R10, -8), ret(0)})),
        deny("a branch always taken is explored",
             P({mov64_imm(R1, 1), jmp_imm(BPF_JEQ, R1, 0, 1), ldx(BPF_DW, R0, R10, -8), ret(0)}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept(
            "a branch never taken is not explored (JMP32 on a constant)",
            P({mov32_imm(R1, 5), jmp32_imm(BPF_JGT, R1, 3, 1), ldx(BPF_DW, R0, R10, -8), ret(0)})),
        accept("a branch never taken is not explored (known range)",
               P({ldx(BPF_DW, R1, R1, 0), alu64_imm(BPF_AND, R1, 7), jmp_imm(BPF_JLT, R1, 8, 1),
                  ldx(BPF_DW, R0, R10, -8), ret(0)})),
        accept("both arms of a diamond",
               P({ldx(BPF_DW, R0, R1, 0), jmp_imm(BPF_JGT, R0, 5, 2), mov64_imm(R0, 1), ja(1),
                  mov64_imm(R0, 2), exit_insn()})),
        deny("r0 set on one arm only",
             P({ldx(BPF_DW, R2, R1, 0), jmp_imm(BPF_JGT, R2, 5, 1), mov64_imm(R0, 1), exit_insn()}),
             "r0 is not initialised"),
        deny("exit without setting r0", P({exit_insn()}), "r0 is not initialised"),
        malformed("an unreachable instruction", P({ret(0), ret(1)}), "unreachable instruction"),
        malformed("a jump past the end",
                  P({mov64_imm(R0, 0), jmp_imm(BPF_JEQ, R0, 0, 5), exit_insn()}),
                  "jump out of range"),
        malformed("a jump before the start",
                  P({mov64_imm(R0, 0), jmp_imm(BPF_JEQ, R0, 0, -3), exit_insn()}),
                  "jump out of range"),
        malformed("falling off the end", P({mov64_imm(R0, 0)}), "falls through past the end"),
        malformed("a conditional jump as the last instruction",
                  P({mov64_imm(R0, 0), jmp_imm(BPF_JEQ, R0, 0, -2)}), "falls through past the end"),
        malformed("a jump into the second slot of LD_IMM64",
                  P({ja(1), ld_imm64_pair(R0, 1), exit_insn()}),
                  "jump into the middle of LD_IMM64"),
    };
}

std::vector<Case> call_cases() {
    // main: r1 = 5; r0 = f(r1); r0 += 1; exit.   f (insn 4): return r1 * 2.
    const Prog double_it =
        P({mov64_imm(R1, 5), call_local(2), alu64_imm(BPF_ADD, R0, 1), exit_insn(),
           mov64_reg(R0, R1), alu64_imm(BPF_MUL, R0, 2), exit_insn()});
    // main passes ctx and r2 = 0; f (insn 3) reads ctx + (r2 & 8).
    const Prog ctx_index =
        P({mov64_imm(R2, 0), call_local(1), exit_insn(), alu64_imm(BPF_AND, R2, 8),
           alu64_reg(BPF_ADD, R1, R2), ldx(BPF_DW, R0, R1, 0), exit_insn()});
    // main calls f (insn 2), which reserves and returns without releasing.
    const Prog leaky_callee = P({call_local(1), exit_insn(), reserve(8), ret(0)});
    return {
        accept("a static call with an argument and a return value", double_it),
        accept("the same call declared static in func-info", double_it)
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_STATIC)}),
        accept("a global function with a scalar argument", double_it)
            .with_funcs(
                {func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_GLOBAL, {KRING_ARG_SCALAR})}),
        accept(
            "a global function called twice",
            P({mov64_imm(R1, 1), call_local(5), mov64_reg(R6, R0), mov64_imm(R1, 2), call_local(2),
               alu64_reg(BPF_ADD, R0, R6), exit_insn(), mov64_reg(R0, R1), exit_insn()}))
            .with_funcs(
                {func(0, KRING_FUNC_STATIC), func(7, KRING_FUNC_GLOBAL, {KRING_ARG_SCALAR})}),
        accept("a global function with a ctx argument",
               P({call_local(1), exit_insn(), ldx(BPF_W, R0, R1, 0), exit_insn()}))
            .with_funcs({func(0, KRING_FUNC_STATIC), func(2, KRING_FUNC_GLOBAL, {KRING_ARG_CTX})}),
        reject(
            "a global function given a scalar for its ctx argument",
            P({mov64_imm(R1, 0), call_local(1), exit_insn(), ldx(BPF_W, R0, R1, 0), exit_insn()}),
            -EINVAL, "global function")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_GLOBAL, {KRING_ARG_CTX})}),
        deny("a global function given ctx + 8 for its ctx argument",
             P({alu64_imm(BPF_ADD, R1, 8), call_local(1), exit_insn(), ldx(BPF_W, R0, R1, 0),
                exit_insn()}),
             "global function")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_GLOBAL, {KRING_ARG_CTX})}),
        accept("a static function sees the caller's constant index", ctx_index),
        deny("a global function is verified for every value of its scalar", ctx_index,
             "variable offset context access")
            .with_funcs({func(0, KRING_FUNC_STATIC),
                         func(3, KRING_FUNC_GLOBAL, {KRING_ARG_CTX, KRING_ARG_SCALAR})}),
        deny("a global function sees only its declared arguments",
             P({mov64_imm(R1, 1), mov64_imm(R2, 2), call_local(1), exit_insn(), mov64_reg(R0, R2),
                exit_insn()}),
             "r2 is not initialised")
            .with_funcs(
                {func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_GLOBAL, {KRING_ARG_SCALAR})}),
        accept("8 frames", call_chain(8)),
        deny("9 frames", call_chain(9), "is too deep"),
        accept("8 frames of global functions", call_chain(8)).with_funcs(global_chain(8)),
        deny("9 frames of global functions", call_chain(9), "is too deep")
            .with_funcs(global_chain(9)),
        accept("256 + 256 bytes of stack across two frames",
               P({st(BPF_DW, R10, -256, 0), call_local(1), exit_insn(), st(BPF_DW, R10, -256, 0),
                  ret(0)})),
        deny("512 + 32 bytes of stack across two frames",
             P({st(BPF_DW, R10, -512, 0), call_local(1), exit_insn(), st(BPF_DW, R10, -32, 0),
                ret(0)}),
             "exceeds 512"),
        // Linux counts each frame of a chain as its depth, at least 1 byte,
        // rounded up to 32.
        deny("512 + 8 bytes of stack across two frames (Linux counts 512 + 32)",
             P({st(BPF_DW, R10, -512, 0), call_local(1), exit_insn(), st(BPF_DW, R10, -8, 0),
                ret(0)}),
             "stack of 544 bytes across the call chain exceeds 512"),
        deny("512 bytes of stack and a call to a function that uses none (Linux counts 32)",
             P({st(BPF_DW, R10, -512, 0), call_local(1), exit_insn(), ret(0)}),
             "stack of 544 bytes across the call chain exceeds 512"),
        accept("480 bytes of stack and a callee that uses 8",
               P({st(BPF_DW, R10, -480, 0), call_local(1), exit_insn(), st(BPF_DW, R10, -8, 0),
                  ret(0)})),
        accept("a stack chain that is too deep only on a path kring proves dead",
               P({mov64_reg(R6, R1), jmp_imm(BPF_JNE, R6, 0, 1), st(BPF_DW, R10, -512, 0),
                  call_local(1), exit_insn(), st(BPF_DW, R10, -8, 0), ret(0)})),
        deny("a static callee that leaks a reservation", leaky_callee, "unreleased ring record"),
        deny("a global callee that leaks a reservation", leaky_callee, "unreleased ring record")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(2, KRING_FUNC_GLOBAL)}),
        deny("a callee cannot read the caller's r6",
             P({mov64_imm(R6, 1), call_local(1), exit_insn(), mov64_reg(R0, R6), exit_insn()}),
             "r6 is not initialised"),
        deny("a static callee cannot read an argument the caller did not set",
             P({mov64_imm(R1, 1), call_local(1), exit_insn(), mov64_reg(R0, R2), exit_insn()}),
             "r2 is not initialised"),
        accept("the caller's r6 survives a call that writes its own r6",
               P({mov64_imm(R6, 7), call_local(2), mov64_reg(R0, R6), exit_insn(), mov64_imm(R6, 1),
                  ret(0)})),
        deny("the caller's r2 does not survive a call",
             P({mov64_imm(R2, 7), call_local(2), mov64_reg(R0, R2), exit_insn(), ret(0)}),
             "r2 is not initialised"),
        accept("a callee reads the caller's stack through an argument",
               P({st(BPF_DW, R10, -8, 3), mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8),
                  call_local(1), exit_insn(), ldx(BPF_DW, R0, R1, 0), exit_insn()})),
        deny("a callee that returns a pointer to its own stack",
             P({call_local(1), exit_insn(), mov64_reg(R0, R10), alu64_imm(BPF_ADD, R0, -8),
                exit_insn()}),
             "cannot return a stack pointer"),
        deny("a callee stores a pointer to its own stack into the caller's",
             P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), call_local(1), exit_insn(),
                mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), stx(BPF_DW, R1, R2, 0), ret(0)}),
             "outlives it"),
        deny("512 + 32 bytes of stack across a global call",
             P({st(BPF_DW, R10, -512, 0), call_local(1), exit_insn(), st(BPF_DW, R10, -32, 0),
                ret(0)}),
             "exceeds 512")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_GLOBAL)}),
        deny("a record used after a callee submitted it",
             P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0),
                mov64_reg(R1, R0), call_local(3), st(BPF_DW, R6, 0, 1), ret(0), mov64_imm(R2, 0),
                call_helper(BPF_FUNC_ringbuf_submit), ret(0)}),
             "was already submitted or discarded"),
        accept("a record kept in r6 across a call, then submitted",
               P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R6, R0), call_local(5),
                  submit(R6), ret(0), mov64_imm(R6, 1), ret(0)})),
        accept("a static callee's constant result decides a branch",
               P({call_local(4), jmp_imm(BPF_JNE, R0, 0, 1), exit_insn(), ldx(BPF_DW, R0, R10, -8),
                  exit_insn(), ret(0)})),
        deny("a global callee's result is unknown",
             P({call_local(4), jmp_imm(BPF_JNE, R0, 0, 1), exit_insn(), ldx(BPF_DW, R0, R10, -8),
                exit_insn(), ret(0)}),
             "reading uninitialised stack")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(5, KRING_FUNC_GLOBAL)})
            .with_flags(NO_LEAKS),
        accept("a callee initialises the caller's stack through a pointer",
               P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), call_local(2),
                  ldx(BPF_DW, R0, R10, -8), exit_insn(), st(BPF_DW, R1, 0, 5), ret(0)})),
        // Linux checks r0 at the exit of the program and of a global
        // function, where it is the result; a static function's r0 goes
        // back to its caller as it is, and only a read of it there fails.
        deny("a callee returns without setting r0, and the program returns that",
             P({call_local(1), exit_insn(), exit_insn()}), "insn 1: r0 is not initialised"),
        accept("a static function that returns nothing (as Linux)",
               P({call_local(2), mov64_imm(R0, 0), exit_insn(), mov64_imm(R2, 1), exit_insn()})),
        deny("the caller reads r0 after a static function that returns nothing",
             P({call_local(2), alu64_imm(BPF_ADD, R0, 1), exit_insn(), mov64_imm(R2, 1),
                exit_insn()}),
             "insn 1: r0 is not initialised"),
        deny("a global function must set r0 (as Linux)",
             P({call_local(2), mov64_imm(R0, 0), exit_insn(), mov64_imm(R2, 1), exit_insn()}),
             "r0 is not initialised")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_GLOBAL)}),
        deny("a global function that returns a stack pointer (as Linux, even for root)",
             P({call_local(2), mov64_imm(R0, 0), exit_insn(), mov64_reg(R0, R10), exit_insn()}),
             "insn 4: a global function must return a number, not r0 (stack pointer)")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_GLOBAL)}),
        deny("a global function that returns its context, without allow_ptr_leaks",
             P({call_local(2), mov64_imm(R0, 0), exit_insn(), mov64_reg(R0, R1), exit_insn()}),
             "insn 4: returning r0 (context) leaks a pointer")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(3, KRING_FUNC_GLOBAL, {KRING_ARG_CTX})})
            .with_flags(NO_LEAKS),
        accept("a static function returns its caller's stack pointer",
               P({mov64_reg(R1, R10), call_local(2), ldx(BPF_DW, R0, R0, -8), exit_insn(),
                  st(BPF_DW, R1, -8, 1), mov64_reg(R0, R1), exit_insn()})),
        deny("calls without bpf_capable", double_it, "bpf-to-bpf calls need bpf_capable")
            .with_flags(NO_CAP),
        malformed("a function calling itself",
                  P({call_local(1), exit_insn(), call_local(-1), exit_insn()}), "recursive call"),
        malformed("two functions calling each other",
                  P({call_local(1), exit_insn(), call_local(1), exit_insn(), call_local(-3),
                     exit_insn()}),
                  "recursive call"),
        malformed("a call past the end", P({call_local(10), exit_insn()}), "call out of range"),
        malformed("a call to a function func-info does not declare", double_it,
                  "which func-info does not declare")
            .with_funcs({func(0, KRING_FUNC_STATIC)}),
        malformed("a jump from main into a function",
                  P({call_local(2), jmp_imm(BPF_JEQ, R0, 0, 2), exit_insn(), mov64_imm(R0, 0),
                     exit_insn()}),
                  "jump out of its function"),
        malformed("func-info that does not start at insn 0", double_it,
                  "must describe the program at insn 0")
            .with_funcs({func(4, KRING_FUNC_STATIC)}),
        malformed("func-info with a bad linkage", double_it, "bad linkage")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, 7)}),
        malformed("func-info with a bad argument kind", double_it, "bad argument")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_GLOBAL, {9})}),
        malformed("func-info with a memory argument of 1 << 29 bytes", double_it, "bad memory size")
            .with_funcs({func(0, KRING_FUNC_STATIC),
                         [] {
                             kring_func_info info = func(4, KRING_FUNC_GLOBAL, {KRING_ARG_MEM});
                             info.arg_mem_size[0] = KRING_ARG_MEM_MAX;
                             return info;
                         }()}),
        malformed("func-info with a memory size for a number argument", double_it,
                  "bad memory size")
            .with_funcs({func(0, KRING_FUNC_STATIC),
                         [] {
                             kring_func_info info = func(4, KRING_FUNC_GLOBAL, {KRING_ARG_SCALAR});
                             info.arg_mem_size[0] = 8;
                             return info;
                         }()}),
        malformed("func-info with its reserved byte set", double_it, "reserved field must be 0")
            .with_funcs({func(0, KRING_FUNC_STATIC),
                         [] {
                             kring_func_info info = func(4, KRING_FUNC_STATIC);
                             info.reserved = 1;
                             return info;
                         }()}),
        // A well-formed function at insn 7 that nothing calls.
        malformed("func-info naming an insn that is not a call target", P({double_it, ret(0)}),
                  "is not a call target")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_STATIC),
                         func(7, KRING_FUNC_STATIC)}),
        malformed("func-info out of order", double_it, "insn_off not increasing")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(4, KRING_FUNC_STATIC),
                         func(2, KRING_FUNC_STATIC)}),
    };
}

std::vector<Case> privilege_cases() {
    const Prog stack_diff = P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_reg(R0, R10),
                               alu64_reg(BPF_SUB, R0, R2), exit_insn()});
    const Prog compare_pointers =
        P({mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_imm(R0, 0),
           jmp_reg(BPF_JGT, R10, R2, 1), mov64_imm(R0, 1), exit_insn()});
    const Prog output_spilled_ctx =
        P({stx(BPF_DW, R10, R1, -8), ld_map_fd(R1, RING), mov64_reg(R2, R10),
           alu64_imm(BPF_ADD, R2, -8), mov64_imm(R3, 8), mov64_imm(R4, 0),
           call_helper(BPF_FUNC_ringbuf_output), ret(0)});
    const Prog query_with_pointer_flags = P({ld_map_fd(R1, RING), mov64_reg(R2, R10),
                                             call_helper(BPF_FUNC_ringbuf_query), exit_insn()});
    const Prog counted_loop = P({mov64_imm(R0, 0), mov64_imm(R1, 0), alu64_imm(BPF_ADD, R1, 1),
                                 jmp_imm(BPF_JLT, R1, 4, -2), exit_insn()});
    return {
        accept("no privileges: a straight-line program", P({ldx(BPF_W, R0, R1, 0), exit_insn()}))
            .with_flags(0),
        accept("no privileges: reserve, NULL check, submit",
               with_record(8, P({st(BPF_DW, R6, 0, 1)})))
            .with_flags(0),
        deny("no privileges: a loop", counted_loop, "loops need bpf_capable").with_flags(0),
        accept("bpf_capable alone: a loop", counted_loop).with_flags(KBPF_F_BPF_CAPABLE),
        deny("no privileges: a call", P({call_local(1), exit_insn(), ret(0)}),
             "bpf-to-bpf calls need bpf_capable")
            .with_flags(0),
        accept("4096 instructions without bpf_capable", straight_line(4096)).with_flags(NO_CAP),
        reject("4097 instructions without bpf_capable", straight_line(4097), -E2BIG,
               "more than 4096 need bpf_capable")
            .with_flags(NO_CAP),
        accept("4097 instructions with bpf_capable", straight_line(4097)),
        deny("returning the ctx pointer without allow_ptr_leaks",
             P({mov64_reg(R0, R1), exit_insn()}), "leaks a pointer")
            .with_flags(NO_LEAKS),
        accept("returning the ctx pointer with allow_ptr_leaks",
               P({mov64_reg(R0, R1), exit_insn()})),
        deny("no privileges: returning ctx + 8",
             P({mov64_reg(R0, R1), alu64_imm(BPF_ADD, R0, 8), exit_insn()}), "leaks a pointer")
            .with_flags(0),
        deny("storing half of a pointer without allow_ptr_leaks",
             P({stx(BPF_W, R10, R1, -8), ret(0)}), "leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("reading back half of a spilled pointer without allow_ptr_leaks",
             P({stx(BPF_DW, R10, R1, -8), ldx(BPF_W, R0, R10, -8), exit_insn()}), "leaks a pointer")
            .with_flags(NO_LEAKS),
        deny("a stack pointer stored into a record without allow_ptr_leaks",
             with_record(8, P({stx(BPF_DW, R6, R10, 0)})), "leaks a pointer")
            .with_flags(NO_LEAKS),
        accept("a stack pointer stored into a record with allow_ptr_leaks",
               with_record(8, P({stx(BPF_DW, R6, R10, 0)}))),
        deny("a pointer as a helper's scalar argument without allow_ptr_leaks",
             query_with_pointer_flags, "leaks a pointer")
            .with_flags(NO_LEAKS),
        accept("a pointer as a helper's scalar argument with allow_ptr_leaks",
               query_with_pointer_flags),
        deny("a spilled pointer copied out by output without allow_ptr_leaks", output_spilled_ctx,
             "leaks a pointer")
            .with_flags(NO_LEAKS),
        accept("a spilled pointer copied out by output with allow_ptr_leaks", output_spilled_ctx),
        deny("a variable stack offset without bypass_spec_v1",
             P({ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 8), mov64_reg(R3, R10),
                alu64_imm(BPF_ADD, R3, -16), alu64_reg(BPF_ADD, R3, R2), ret(0)}),
             "variable offset pointer arithmetic needs bypass_spec_v1")
            .with_flags(NO_SPEC_V1),
        accept("a variable record offset with bypass_spec_v1",
               with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), poke_r7()})))
            .with_flags(KBPF_F_BYPASS_SPEC_V1),
        deny("a 32-bit copy of a pointer without allow_ptr_leaks",
             P({mov32_reg(R0, R1), exit_insn()}), "on a pointer is prohibited")
            .with_flags(NO_LEAKS),
        accept("a 32-bit copy of a pointer with allow_ptr_leaks is a number",
               P({mov32_reg(R0, R1), exit_insn()})),
        deny("no privileges: subtracting pointers", stack_diff,
             "subtracting pointers needs allow_ptr_leaks")
            .with_flags(0),
        deny("comparing pointers without allow_ptr_leaks", compare_pointers,
             "pointer comparison is prohibited")
            .with_flags(NO_LEAKS),
        accept("comparing pointers with allow_ptr_leaks", compare_pointers),
        reject("an unknown flag", P({ret(0)}), -EINVAL, "unknown flags")
            .with_flags(PRIV | (KBPF_F_ALL + 1)),
    };
}

// Every ALU operation, 64 and 32 bits, immediate and register, on r0.
Prog every_alu_op() {
    Prog prog{mov64_imm(R0, 1), mov64_imm(R1, 3)};
    for (uint8_t op : {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
                       BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH}) {
        prog.push_back(alu64_imm(op, R0, 3));
        prog.push_back(alu64_reg(op, R0, R1));
        prog.push_back(alu32_imm(op, R0, 3));
        prog.push_back(alu32_reg(op, R0, R1));
    }
    prog.push_back(alu64_imm(BPF_NEG, R0, 0));
    prog.push_back(alu32_imm(BPF_NEG, R0, 0));
    prog.push_back(exit_insn());
    return prog;
}

// Every condition, JMP and JMP32, immediate and register, each jumping to
// the next instruction so that both sides meet again.
Prog every_condition() {
    Prog prog{ldx(BPF_DW, R0, R1, 0), ldx(BPF_DW, R2, R1, 8)};
    for (uint8_t op : {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT,
                       BPF_JLE, BPF_JSLT, BPF_JSLE}) {
        prog.push_back(jmp_imm(op, R0, 5, 0));
        prog.push_back(jmp_reg(op, R0, R2, 0));
        prog.push_back(jmp32_imm(op, R0, 5, 0));
        prog.push_back(jmp32_reg(op, R0, R2, 0));
    }
    prog.push_back(exit_insn());
    return prog;
}

std::vector<Case> malformed_cases() {
    return {
        accept("every ALU operation of the subset", every_alu_op()),
        accept("every jump condition of the subset", every_condition()),
        accept("byte swaps of 16, 32 and 64 bits, both ways",
               P({ldx(BPF_DW, R0, R1, 0), endian(true, R0, 16), endian(true, R0, 32),
                  endian(true, R0, 64), endian(false, R0, 16), endian(false, R0, 32),
                  endian(false, R0, 64), exit_insn()})),
        accept("LD_IMM64 of a constant", P({ld_imm64_pair(R0, 0x123456789abcdefULL), exit_insn()})),
        accept("every load and store size",
               P({st(BPF_B, R10, -1, 1), st(BPF_H, R10, -4, 2), st(BPF_W, R10, -8, 3),
                  st(BPF_DW, R10, -16, 4), ldx(BPF_B, R0, R10, -1), stx(BPF_B, R10, R0, -17),
                  ldx(BPF_H, R0, R10, -4), stx(BPF_H, R10, R0, -20), ldx(BPF_W, R0, R10, -8),
                  stx(BPF_W, R10, R0, -24), ldx(BPF_DW, R0, R10, -16), stx(BPF_DW, R10, R0, -32),
                  exit_insn()})),
        malformed("an empty program", Prog{}, "program is empty"),
        reject("more than 1000000 instructions", straight_line(KBPF_MAX_INSNS + 1), -E2BIG,
               "more than"),
        malformed("ALU64 opcode 0xf0", P({mov64_imm(R0, 0), raw(0xff, 0, 0, 0, 0), exit_insn()}),
                  "unsupported instruction"),
        malformed("an atomic store of an immediate (BPF_ST | BPF_ATOMIC)",
                  P({st(BPF_DW, R10, -8, 0), raw(BPF_ST | BPF_ATOMIC | BPF_DW, R10, 0, -8, BPF_ADD),
                     ret(0)}),
                  "unsupported instruction"),
        malformed("LD_ABS",
                  P({mov64_reg(R6, R1), raw(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), ret(0)}),
                  "unsupported instruction"),
        malformed("LD_IND",
                  P({mov64_reg(R6, R1), mov64_imm(R2, 0),
                     raw(BPF_LD | BPF_IND | BPF_W, 0, R2, 0, 0), ret(0)}),
                  "unsupported instruction"),
        malformed("JMP32 | JA (gotol)",
                  P({mov64_imm(R0, 0), raw(BPF_JMP32 | BPF_JA, 0, 0, 0, 0), exit_insn()}),
                  "unsupported instruction"),
        malformed("ALU64 | END (unconditional bswap)",
                  P({mov64_imm(R0, 0), raw(BPF_ALU64 | BPF_END, R0, 0, 0, 16), exit_insn()}),
                  "unsupported instruction"),
        malformed("a sign-extending load (mode 0x80)",
                  P({raw(BPF_LDX | 0x80 | BPF_W, R0, R1, 0, 0), exit_insn()}),
                  "unsupported instruction"),
        malformed("a kfunc call",
                  P({raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1), exit_insn()}),
                  "unsupported instruction"),
        malformed("MOV immediate with src_reg set",
                  P({raw(BPF_ALU64 | BPF_MOV | BPF_K, R0, R1, 0, 5), exit_insn()}),
                  "reserved field"),
        malformed("ADD immediate with off set",
                  P({mov64_imm(R0, 0), raw(BPF_ALU64 | BPF_ADD | BPF_K, R0, 0, 1, 5), exit_insn()}),
                  "reserved field"),
        malformed(
            "ADD register with imm set",
            P({mov64_imm(R0, 0), raw(BPF_ALU64 | BPF_ADD | BPF_X, R0, R0, 0, 7), exit_insn()}),
            "reserved field"),
        malformed("EXIT with imm set", P({mov64_imm(R0, 0), raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 1)}),
                  "reserved field"),
        malformed("LDX with imm set",
                  P({raw(BPF_LDX | BPF_MEM | BPF_W, R0, R1, 0, 1), exit_insn()}), "reserved field"),
        malformed("ST with src_reg set",
                  P({raw(BPF_ST | BPF_MEM | BPF_DW, R10, R1, -8, 0), ret(0)}), "reserved field"),
        malformed("JA with src_reg set",
                  P({mov64_imm(R0, 0), raw(BPF_JMP | BPF_JA, 0, R1, 0, 0), exit_insn()}),
                  "reserved field"),
        malformed("destination register r11",
                  P({raw(BPF_ALU64 | BPF_MOV | BPF_K, 11, 0, 0, 0), ret(0)}), "invalid register"),
        malformed("source register r12",
                  P({raw(BPF_ALU64 | BPF_MOV | BPF_X, R0, 12, 0, 0), exit_insn()}),
                  "invalid register"),
        malformed("LD_IMM64 without its second slot",
                  P({mov64_imm(R0, 0), raw(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1)}),
                  "incomplete LD_IMM64"),
        malformed("LD_IMM64 whose second slot is an instruction",
                  P({raw(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1), mov64_imm(R0, 0), exit_insn()}),
                  "incomplete LD_IMM64"),
        malformed("LD_IMM64 with a source Linux does not define (src_reg 7)",
                  P({ld_imm64_pair(R0, 1, 7), exit_insn()}), "unknown LD_IMM64 source 7"),
        // Linux's verifier refuses these as malformed (EINVAL), so kring must
        // too, or it would accept programs that are not valid Linux BPF. The
        // catalog has no phrase for them: the error must name the insn.
        malformed("division by an immediate 0",
                  P({mov64_imm(R0, 5), alu64_imm(BPF_DIV, R0, 0), exit_insn()}), "insn 1: "),
        malformed("32-bit modulo by an immediate 0",
                  P({mov64_imm(R0, 5), alu32_imm(BPF_MOD, R0, 0), exit_insn()}), "insn 1: "),
        malformed("a 64-bit shift by an immediate 64",
                  P({mov64_imm(R0, 5), alu64_imm(BPF_LSH, R0, 64), exit_insn()}), "insn 1: "),
        malformed("a 32-bit shift by an immediate 32",
                  P({mov64_imm(R0, 5), alu32_imm(BPF_RSH, R0, 32), exit_insn()}), "insn 1: "),
        malformed("a byte swap of 8 bits", P({mov64_imm(R0, 5), endian(true, R0, 8), exit_insn()}),
                  "insn 1: "),
        // Helpers kring lacks are named as Linux 6.1's <linux/bpf.h> does.
        malformed("helper 47 (get_socket_uid) is not in the subset",
                  P({call_helper(47), exit_insn()}), "unknown helper 47 (bpf_get_socket_uid)"),
        malformed("helper 51 (redirect_map) is not in the subset",
                  P({call_helper(51), exit_insn()}), "unknown helper 51 (bpf_redirect_map)"),
        malformed("helper 209, Linux 6.1's last (user_ringbuf_drain)",
                  P({call_helper(209), exit_insn()}),
                  "unknown helper 209 (bpf_user_ringbuf_drain)"),
        malformed("helper 210, past Linux 6.1's, has no name", P({call_helper(210), exit_insn()}),
                  "unknown helper 210\n"),
        malformed("helper 0 has no name", P({call_helper(0), exit_insn()}), "unknown helper 0\n"),
        malformed("helper 100000", P({call_helper(100000), exit_insn()}),
                  "unknown helper 100000\n"),
        // Only where a path reaches it, as in Linux: a CO-RE loader turns an
        // instruction it cannot relocate into a call of helper 0xbad2310,
        // often in code a bpf_core_field_exists() test makes dead.
        accept(
            "an unknown helper in dead code (CO-RE's poisoned call)",
            P({mov64_imm(R0, 0), jmp_imm(BPF_JEQ, R0, 0, 1), call_helper(0xbad2310), exit_insn()})),
        malformed("CO-RE's poisoned call, reached", P({call_helper(0xbad2310), exit_insn()}),
                  "insn 0: unknown helper 195896080\n"),
        malformed("an unknown helper on one path only",
                  P({ldx(BPF_W, R0, R1, 0), jmp_imm(BPF_JEQ, R0, 0, 1), call_helper(0xbad2310),
                     exit_insn()}),
                  "insn 2: unknown helper 195896080\n"),
        malformed("log level 3", P({ret(0)}), "bad log level").with_log_level(3),
    };
}

// Paths that meet again: a checkpoint may end a path only if it contains it,
// registers that copy one another learn together, and nothing else does.
std::vector<Case> pruning_cases() {
    // r7 = 0 or 1 from the context, in the record scaffold or at top level.
    const Prog coin = P({unknown(R7), alu64_imm(BPF_AND, R7, 1)});
    const Prog top_coin = P({ldx(BPF_DW, R7, R1, 0), alu64_imm(BPF_AND, R7, 1)});
    auto offset_join = [&](int32_t second) {
        return with_record(
            8, P({coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_imm(R5, 0), ja(1), mov64_imm(R5, second),
                  mov64_reg(R8, R6), alu64_reg(BPF_ADD, R8, R5), st(BPF_B, R8, 0, 1)}));
    };
    auto counted_index = [&](int32_t iterations) {
        return with_record(8, P({mov64_imm(R1, 0), mov64_reg(R7, R1), alu64_imm(BPF_ADD, R1, 1),
                                 jmp_imm(BPF_JLT, R1, iterations, -3), poke_r7()}));
    };
    return {
        deny("offsets 0 and 8 meet: the second path is not pruned", offset_join(8),
             "invalid ring record access"),
        accept("offsets 0 and 7 meet", offset_join(7)),
        deny(
            "spilled offsets 0 and 8 meet, then are filled",
            with_record(8, P({coin, jmp_imm(BPF_JEQ, R7, 0, 3), mov64_imm(R5, 0),
                              stx(BPF_DW, R10, R5, -8), ja(2), mov64_imm(R5, 8),
                              stx(BPF_DW, R10, R5, -8), mov64_imm(R5, 0), ldx(BPF_DW, R5, R10, -8),
                              mov64_reg(R8, R6), alu64_reg(BPF_ADD, R8, R5), st(BPF_B, R8, 0, 1)})),
            "invalid ring record access"),
        deny(
            "4-byte spilled offsets 0 and 8 meet, then are filled",
            with_record(8, P({coin, jmp_imm(BPF_JEQ, R7, 0, 3), mov64_imm(R5, 0),
                              stx(BPF_W, R10, R5, -8), ja(2), mov64_imm(R5, 8),
                              stx(BPF_W, R10, R5, -8), mov64_imm(R5, 0), ldx(BPF_W, R5, R10, -8),
                              mov64_reg(R8, R6), alu64_reg(BPF_ADD, R8, R5), st(BPF_B, R8, 0, 1)})),
            "invalid ring record access"),
        accept("4-byte spilled offsets 0 and 7 meet, then are filled",
               with_record(
                   8, P({coin, jmp_imm(BPF_JEQ, R7, 0, 3), mov64_imm(R5, 0),
                         stx(BPF_W, R10, R5, -8), ja(2), mov64_imm(R5, 7), stx(BPF_W, R10, R5, -8),
                         mov64_imm(R5, 0), ldx(BPF_W, R5, R10, -8), mov64_reg(R8, R6),
                         alu64_reg(BPF_ADD, R8, R5), st(BPF_B, R8, 0, 1)}))),
        deny("a slot written on one path only",
             P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 1), st(BPF_DW, R10, -8, 0),
                ldx(BPF_DW, R0, R10, -8), exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept("a slot written on both paths",
               P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 2), st(BPF_DW, R10, -8, 1), ja(1),
                  st(BPF_DW, R10, -8, 2), ldx(BPF_DW, R0, R10, -8), exit_insn()})),
        deny("a pointer on one path, a scalar on the other",
             P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_reg(R5, R1), ja(1), mov64_imm(R5, 0),
                ldx(BPF_W, R0, R5, 0), exit_insn()}),
             "cannot be dereferenced"),
        deny("record pointers at offsets 0 and 8 meet",
             with_record(8, P({coin, mov64_reg(R8, R6), jmp_imm(BPF_JEQ, R7, 0, 1),
                               alu64_imm(BPF_ADD, R8, 8), st(BPF_B, R8, 0, 1)})),
             "invalid ring record access"),
        deny("ctx pointers at offsets 0 and 60 meet",
             P({top_coin, mov64_reg(R2, R1), jmp_imm(BPF_JEQ, R7, 0, 1), alu64_imm(BPF_ADD, R2, 60),
                ldx(BPF_DW, R0, R2, 0), exit_insn()}),
             "invalid context access"),
        deny("stack pointers at fp-8 and fp-16 meet, only fp-8 written",
             P({top_coin, st(BPF_DW, R10, -8, 0), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                jmp_imm(BPF_JEQ, R7, 0, 1), alu64_imm(BPF_ADD, R2, -8), ldx(BPF_DW, R0, R2, 0),
                exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        accept("a dead register that differs where paths meet",
               P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_reg(R3, R1), ja(1), mov64_imm(R3, 0),
                  ret(0)})),
        deny("a record submitted on one path only, paths meet at the exit",
             P({mov64_reg(R9, R1), reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0),
                mov64_reg(R6, R0), unknown(R7), jmp_imm(BPF_JEQ, R7, 0, 3), submit(R6), ret(0)}),
             "unreleased ring record"),
        // Where the paths meet, r5 and r7 have the same ranges; on the first
        // path r5 is a copy of r7, on the second it is not. Bounding r5 then
        // bounds r7 only on the first, so it cannot stand for the second.
        deny("a linked copy on one path, an independent value on the other",
             with_record(8,
                         P({unknown(R7), alu64_imm(BPF_AND, R7, 0xff), unknown(R8, 8),
                            jmp_imm(BPF_JEQ, R8, 0, 2), mov64_reg(R5, R7), ja(2), unknown(R5, 16),
                            alu64_imm(BPF_AND, R5, 0xff), jmp_imm(BPF_JGT, R5, 7, 3), poke_r7()})),
             "invalid ring record access"),
        deny("an independent value on one path, a linked copy on the other",
             with_record(
                 8, P({unknown(R7), alu64_imm(BPF_AND, R7, 0xff), unknown(R8, 8),
                       jmp_imm(BPF_JNE, R8, 0, 3), unknown(R5, 16), alu64_imm(BPF_AND, R5, 0xff),
                       ja(1), mov64_reg(R5, R7), jmp_imm(BPF_JGT, R5, 7, 3), poke_r7()})),
             "invalid ring record access"),
        // Paths meet before a helper reads or sizes stack memory.
        deny("a slot a helper reads, written on one path only",
             P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 1), st(BPF_DW, R10, -8, 0), ld_map_fd(R1, RING),
                mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), mov64_imm(R3, 8), mov64_imm(R4, 0),
                call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("the second of two slots a helper reads, written on one path only",
             P({top_coin, st(BPF_DW, R10, -8, 0), jmp_imm(BPF_JEQ, R7, 0, 1),
                st(BPF_DW, R10, -16, 0), ld_map_fd(R1, RING), mov64_reg(R2, R10),
                alu64_imm(BPF_ADD, R2, -16), mov64_imm(R3, 16), mov64_imm(R4, 0),
                call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("helper sizes 8 and 16 meet",
             P({st(BPF_DW, R10, -8, 0), top_coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_imm(R5, 8),
                ja(1), mov64_imm(R5, 16), ld_map_fd(R1, RING), mov64_reg(R2, R10),
                alu64_imm(BPF_ADD, R2, -8), mov64_reg(R3, R5), mov64_imm(R4, 0),
                call_helper(BPF_FUNC_ringbuf_output), ret(0)}),
             "invalid stack access"),
        deny("reservation sizes 16 and 8 meet",
             P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_imm(R2, 16), ja(1), mov64_imm(R2, 8),
                ld_map_fd(R1, RING), mov64_imm(R3, 0), call_helper(BPF_FUNC_ringbuf_reserve),
                jmp_imm(BPF_JEQ, R0, 0, 4), st(BPF_DW, R0, 8, 1), submit(R0), ret(0)}),
             "invalid ring record access"),
        deny("values 0 and 1 meet, then decide a branch",
             P({top_coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_imm(R5, 0), ja(1), mov64_imm(R5, 1),
                jmp_imm(BPF_JEQ, R5, 0, 1), ldx(BPF_DW, R0, R10, -8), ret(0)}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("shift amounts 0 and 3 meet, then shift an offset",
             with_record(
                 8, P({coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_imm(R5, 0), ja(1), mov64_imm(R5, 3),
                       mov64_imm(R7, 1), alu64_reg(BPF_LSH, R7, R5), poke_r7()})),
             "invalid ring record access"),
        // Inside a callee, values 0 and 8 meet; the callee then stores the
        // value through a pointer into the caller's stack, and the caller
        // uses it as an offset.
        deny("a callee's values meet, then are stored into the caller's stack",
             P({record_prologue(8), st(BPF_DW, R10, -8, 0), mov64_reg(R1, R10),
                alu64_imm(BPF_ADD, R1, -8), unknown(R2), alu64_imm(BPF_AND, R2, 1), call_local(9),
                ldx(BPF_DW, R7, R10, -8), poke_r7(), submit(R6), ret(0), jmp_imm(BPF_JEQ, R2, 0, 2),
                mov64_imm(R5, 0), ja(1), mov64_imm(R5, 8), stx(BPF_DW, R1, R5, 0), ret(0)}),
             "invalid ring record access"),
        deny("a callee's values meet, then are returned",
             P({record_prologue(8), mov64_reg(R1, R9), call_local(9), mov64_reg(R7, R0), poke_r7(),
                submit(R6), ret(0), ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 1),
                jmp_imm(BPF_JEQ, R2, 0, 2), mov64_imm(R5, 0), ja(1), mov64_imm(R5, 8),
                mov64_reg(R0, R5), exit_insn()}),
             "invalid ring record access"),
        accept("a bound on a copy bounds the original",
               with_record(
                   8, P({unknown(R7), mov64_reg(R5, R7), jmp_imm(BPF_JGT, R5, 7, 3), poke_r7()}))),
        deny("a bound on copy + 1 does not bound the original",
             with_record(8, P({unknown(R7), mov64_reg(R5, R7), alu64_imm(BPF_ADD, R5, 1),
                               jmp_imm(BPF_JGT, R5, 7, 3), poke_r7()})),
             "unbounded"),
        deny("a JMP32 bound on a 32-bit copy does not bound the original",
             with_record(
                 8, P({unknown(R7), mov32_reg(R5, R7), jmp32_imm(BPF_JGT, R5, 7, 3), poke_r7()})),
             "unbounded"),
        deny("a byte written over a spilled bounded scalar",
             with_record(8, P({unknown(R7), alu64_imm(BPF_AND, R7, 7), stx(BPF_DW, R10, R7, -8),
                               st(BPF_B, R10, -1, 0x7f), ldx(BPF_DW, R7, R10, -8), poke_r7()})),
             "unbounded"),
        // Paths meet before a call; the callee reads the slot that differs.
        deny("slots that differ where paths meet, read by a callee",
             P({record_prologue(8), coin, jmp_imm(BPF_JEQ, R7, 0, 3), mov64_imm(R5, 0),
                stx(BPF_DW, R10, R5, -8), ja(2), mov64_imm(R5, 8), stx(BPF_DW, R10, R5, -8),
                mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), mov64_reg(R2, R6), call_local(5),
                submit(R6), ret(0), ldx(BPF_DW, R3, R1, 0), alu64_reg(BPF_ADD, R2, R3),
                st(BPF_B, R2, 0, 1), ret(0)}),
             "invalid ring record access"),
        // Paths meet inside a callee; the caller's r8, which differs, is an
        // offset after the return.
        deny("caller registers that differ where paths meet inside a callee",
             P({record_prologue(8), coin, jmp_imm(BPF_JEQ, R7, 0, 2), mov64_imm(R8, 0), ja(1),
                mov64_imm(R8, 8), mov64_reg(R1, R7), call_local(8), mov64_reg(R2, R6),
                alu64_reg(BPF_ADD, R2, R8), st(BPF_B, R2, 0, 1), submit(R6), ret(0),
                mov64_imm(R0, 0), jmp_imm(BPF_JEQ, R1, 0, 1), mov64_imm(R3, 1), exit_insn()}),
             "invalid ring record access"),
        accept("a non-NULL pointer compared with 0: the branch is never taken",
               P({jmp_imm(BPF_JEQ, R1, 0, 2), ldx(BPF_W, R0, R1, 0), exit_insn(),
                  ldx(BPF_DW, R0, R10, -8), exit_insn()}))
            .with_flags(0),
        accept("nested loops, 5 by 5",
               P({mov64_imm(R0, 0), mov64_imm(R1, 0), mov64_imm(R2, 0), alu64_imm(BPF_ADD, R0, 1),
                  alu64_imm(BPF_ADD, R2, 1), jmp_imm(BPF_JLT, R2, 5, -3), alu64_imm(BPF_ADD, R1, 1),
                  jmp_imm(BPF_JLT, R1, 5, -6), exit_insn()})),
        accept("a loop bounded by a value from the context in [0,15]",
               P({ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 15), mov64_imm(R0, 0),
                  mov64_imm(R1, 0), jmp_reg(BPF_JGE, R1, R2, 3), alu64_imm(BPF_ADD, R0, 2),
                  alu64_imm(BPF_ADD, R1, 1), ja(-4), exit_insn()})),
        accept("a loop that reserves and submits on every iteration",
               P({mov64_imm(R6, 0), reserve(8), jmp_imm(BPF_JEQ, R0, 0, 3), submit(R0),
                  alu64_imm(BPF_ADD, R6, 1), jmp_imm(BPF_JLT, R6, 3, -11), ret(0)})),
        accept("the last index of an 8-iteration loop", counted_index(8)),
        deny("the last index of a 10-iteration loop", counted_index(10),
             "invalid ring record access"),
        accept("a static callee submits the caller's record",
               P({reserve(8), jmp_imm(BPF_JNE, R0, 0, 2), ret(0), mov64_reg(R1, R0), call_local(2),
                  ret(0), mov64_imm(R2, 0), call_helper(BPF_FUNC_ringbuf_submit), ret(0)})),
        deny("a callee writes past the caller's frame",
             P({st(BPF_DW, R10, -8, 0), mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8),
                call_local(1), exit_insn(), st(BPF_DW, R1, 8, 0), ret(0)}),
             "invalid stack access"),
        deny("a callee reads the caller's uninitialised stack",
             P({mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), call_local(1), exit_insn(),
                ldx(BPF_DW, R0, R1, 0), exit_insn()}),
             "reading uninitialised stack")
            .with_flags(NO_LEAKS),
        deny("a global function reads past its ctx argument",
             P({call_local(1), exit_insn(), ldx(BPF_W, R0, R1, 64), exit_insn()}),
             "invalid context access")
            .with_funcs({func(0, KRING_FUNC_STATIC), func(2, KRING_FUNC_GLOBAL, {KRING_ARG_CTX})}),
    };
}

// Pruning against the privilege rules. A fork on a coin sends one path
// through `first`, the other through `second`; they meet at the tail, a
// prune point. The fall-through (`first`) is explored first and leaves a
// checkpoint at the tail that the other path is compared with, so each
// program comes in both shapes: the safe side first (the unsafe one must not
// be pruned) and the unsafe side first (rejected before any checkpoint).
Prog fork(Prog coin, Prog first, Prog second, Prog tail) {
    const auto first_len = static_cast<int16_t>(first.size() + 1);
    const auto second_len = static_cast<int16_t>(second.size());
    return P({std::move(coin), jmp_imm(BPF_JEQ, R7, 0, first_len), std::move(first), ja(second_len),
              std::move(second), std::move(tail)});
}

std::vector<Case> privilege_pruning_cases() {
    const Prog top_coin = P({ldx(BPF_DW, R7, R1, 0), alu64_imm(BPF_AND, R7, 1)});
    const Prog coin = P({unknown(R7), alu64_imm(BPF_AND, R7, 1)});
    std::vector<Case> cases;
    // Denies both shapes of a program the unsafe side makes unsafe; returns
    // the safe-side-first one, for a case with the privilege that allows it.
    using Parts = std::initializer_list<Part>;
    auto both = [&](const std::string& name, uint32_t flags, Parts safe, Parts unsafe, Parts tail,
                    const std::string& msg, bool in_record = false) {
        auto build = [&](Parts first, Parts second) {
            Prog prog = fork(in_record ? coin : top_coin, P(first), P(second), P(tail));
            return in_record ? with_record(16, prog) : prog;
        };
        cases.push_back(
            deny(name + " (safe side first)", build(safe, unsafe), msg).with_flags(flags));
        cases.push_back(
            deny(name + " (unsafe side first)", build(unsafe, safe), msg).with_flags(flags));
        return build(safe, unsafe);
    };
    const bpf_insn no_spill = mov64_imm(R8, 0);
    const bpf_insn spill_ctx = stx(BPF_DW, R10, R1, -8);
    const std::string v4 = "overwriting a spilled pointer needs bypass_spec_v4";

    // Without bypass_spec_v4 a store checks whether the slot holds a spilled
    // pointer: a full 8-byte store does not read the slot's value, but pruning
    // must still compare that status, also where the explored path never
    // used the slot (it lies beyond that path's frame).
    const Prog v4_prog = both("a number stored over a pointer spilled on one path", NO_SPEC_V4,
                              {no_spill}, {spill_ctx}, {st(BPF_DW, R10, -8, 0), ret(0)}, v4);
    cases.push_back(accept("a number stored over a pointer spilled on one path, with "
                           "bypass_spec_v4",
                           v4_prog));
    both("4 bytes stored over a pointer spilled on one path", NO_SPEC_V4, {no_spill}, {spill_ctx},
         {st(BPF_W, R10, -8, 0), ret(0)}, v4);
    both("a number stored over a number on one path, over a pointer on the other", NO_SPEC_V4,
         {st(BPF_DW, R10, -8, 1)}, {spill_ctx}, {st(BPF_DW, R10, -8, 0), ret(0)}, v4);
    both("a number stored through a stack pointer over a pointer spilled on one path", NO_SPEC_V4,
         {no_spill}, {spill_ctx},
         {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8), st(BPF_DW, R2, 0, 0), ret(0)}, v4);
    both("a helper writes over a pointer spilled on one path", NO_SPEC_V4, {no_spill}, {spill_ctx},
         {mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), mov64_imm(R2, 8),
          call_helper(BPF_FUNC_get_current_comm), ret(0)},
         v4);
    // The callee (insn 5 of the tail) stores through its argument.
    const Prog callee_store =
        both("a callee stores a number over the caller's pointer spilled on one path", NO_SPEC_V4,
             {no_spill}, {spill_ctx},
             {mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), call_local(2), ret(0),
              st(BPF_DW, R1, 0, 0), ret(0)},
             v4);
    cases.push_back(
        accept("a callee stores a number over the caller's spilled pointer, with bypass_spec_v4",
               callee_store));
    cases.push_back(accept("a pointer stored over a pointer spilled on one path",
                           fork(top_coin, {no_spill}, {spill_ctx},
                                P({mov64_reg(R2, R10), stx(BPF_DW, R10, R2, -8), ret(0)})))
                        .with_flags(NO_SPEC_V4));

    // With allow_ptr_leaks a never-written slot reads as a number; a path
    // that spilled a pointer there is not one of its states.
    both("a slot never written on one path, a spilled pointer on the other, multiplied", PRIV,
         {no_spill}, {spill_ctx}, {ldx(BPF_DW, R3, R10, -8), alu64_imm(BPF_MUL, R3, 2), ret(0)},
         "mul on a pointer is prohibited");

    // Without allow_ptr_leaks.
    const Prog leak_prog = both("r0 a pointer on one path, returned", NO_LEAKS, {mov64_imm(R0, 0)},
                                {mov64_reg(R0, R1)}, {exit_insn()}, "leaks a pointer");
    cases.push_back(accept("r0 a pointer on one path, returned, with allow_ptr_leaks", leak_prog));
    both("half of a pointer spilled on one path read back", NO_LEAKS, {st(BPF_DW, R10, -8, 0)},
         {spill_ctx}, {ldx(BPF_W, R0, R10, -8), exit_insn()}, "leaks a pointer");
    both("a pointer on one path stored into a record", NO_LEAKS, {mov64_imm(R5, 0)},
         {mov64_reg(R5, R9)}, {stx(BPF_DW, R6, R5, 0)}, "leaks a pointer", true);

    // Without bypass_spec_v1.
    const std::string v1 = "variable offset pointer arithmetic needs bypass_spec_v1";
    const Prog add_r5 = P({mov64_reg(R8, R6), alu64_reg(BPF_ADD, R8, R5), st(BPF_B, R8, 0, 1)});
    const Prog v1_prog =
        both("an offset constant on one path, variable on the other", NO_SPEC_V1,
             {mov64_imm(R5, 0)}, {unknown(R5), alu64_imm(BPF_AND, R5, 7)}, {add_r5}, v1, true);
    cases.push_back(accept(
        "an offset constant on one path, variable on the other, with bypass_spec_v1", v1_prog));
    both("a spilled offset constant on one path, variable on the other", NO_SPEC_V1,
         {st(BPF_DW, R10, -8, 0)},
         {unknown(R5), alu64_imm(BPF_AND, R5, 7), stx(BPF_DW, R10, R5, -8)},
         {ldx(BPF_DW, R5, R10, -8), add_r5}, v1, true);

    // Not a privilege rule, but the same hole: the exit check reads the
    // callers' stack slots for pointers into the returning frame, so a slot
    // the explored path never wrote must not contain one. The callee (insn
    // 6) stores its own stack pointer into the caller's fp-8 on one path.
    auto outlives = [](Prog first, Prog second) {
        return P({ldx(BPF_DW, R2, R1, 0), alu64_imm(BPF_AND, R2, 1), mov64_reg(R1, R10),
                  alu64_imm(BPF_ADD, R1, -8), call_local(1), exit_insn(),
                  jmp_imm(BPF_JEQ, R2, 0, static_cast<int16_t>(first.size() + 1)), first,
                  ja(static_cast<int16_t>(second.size())), second, ret(0)});
    };
    const Prog leave_fp = P({mov64_reg(R3, R10), stx(BPF_DW, R1, R3, 0)});
    cases.push_back(deny("a callee's stack pointer left in the caller's stack on one path (safe "
                         "side first)",
                         outlives({mov64_imm(R3, 0)}, leave_fp), "outlives it"));
    cases.push_back(deny("a callee's stack pointer left in the caller's stack on one path (unsafe "
                         "side first)",
                         outlives(leave_fp, {mov64_imm(R3, 0)}), "outlives it"));
    return cases;
}

struct Group {
    const char* name;
    std::vector<Case> (*cases)();
};

const Group groups[] = {
    {"scalar bounds and tnums, 64-bit", scalar64_cases},
    {"32-bit subregisters", scalar32_cases},
    {"pointer arithmetic", pointer_cases},
    {"stack", stack_cases},
    {"context", context_cases},
    {"helpers and rings", ring_cases},
    {"maps", map_cases},
    {"atomic operations", atomic_cases},
    {"global data", global_data_cases},
    {"tail calls", tail_call_cases},
    {"tracing helpers", tracing_helper_cases},
    {"BTF-typed contexts", btf_cases},
    {"global function arguments", global_arg_cases},
    {"control flow and loops", control_flow_cases},
    {"calls", call_cases},
    {"pruning and linked registers", pruning_cases},
    {"privileges", privilege_cases},
    {"pruning and privileges", privilege_pruning_cases},
    {"malformed programs", malformed_cases},
};

void run_group(const char* name) {
    for (const Group& group : groups) {
        if (std::string(group.name) != name)
            continue;
        for (const Case& c : group.cases())
            check_case(c);
        return;
    }
    FAIL("no group named ", name);
}

} // namespace

// tests/vm/jit_table_test.cpp includes this file for the table alone.
#ifndef KRING_VERIFIER_TABLE_ONLY

TEST_CASE("the table: at least 170 cases, every group both accepts and rejects") {
    size_t total = 0;
    for (const Group& group : groups) {
        std::vector<Case> cases = group.cases();
        size_t accepted = 0;
        for (const Case& c : cases)
            accepted += c.err == 0;
        INFO("group: ", std::string(group.name));
        CHECK(cases.size() >= 12);
        CHECK(accepted > 0);
        CHECK(accepted < cases.size());
        total += cases.size();
    }
    MESSAGE("verifier table: ", total, " cases");
    CHECK(total >= 170);
}

TEST_CASE("scalar bounds and tnums, 64-bit") {
    run_group("scalar bounds and tnums, 64-bit");
}
TEST_CASE("32-bit subregisters") {
    run_group("32-bit subregisters");
}
TEST_CASE("pointer arithmetic") {
    run_group("pointer arithmetic");
}
TEST_CASE("stack") {
    run_group("stack");
}
TEST_CASE("context") {
    run_group("context");
}
TEST_CASE("helpers and rings") {
    run_group("helpers and rings");
}
TEST_CASE("maps") {
    run_group("maps");
}
TEST_CASE("atomic operations") {
    run_group("atomic operations");
}
TEST_CASE("global data") {
    run_group("global data");
}
TEST_CASE("tail calls") {
    run_group("tail calls");
}
TEST_CASE("tail calls: the key each call site always takes, or that it is checked at run time") {
    auto log_of = [](Prog prog) {
        Case c = accept("", std::move(prog));
        Outcome out = verify(c);
        CHECK(out.err == 0);
        return out.log;
    };
    // Two call sites, each always key 1.
    std::string same = log_of(P({ldx(BPF_W, R4, R1, 0), jmp_imm(BPF_JEQ, R4, 0, 5), tail_call(1),
                                 ja(4), tail_call(1), ret(1)}));
    CHECK(contains(same, "tail_call at insn 5: key 1 on every path"));
    CHECK(contains(same, "tail_call at insn 10: key 1 on every path"));
    // One call site reached with keys 1 and 2.
    std::string differ = log_of(
        P({ldx(BPF_W, R4, R1, 0), mov64_imm(R3, 1), jmp_imm(BPF_JEQ, R4, 0, 1), mov64_imm(R3, 2),
           ld_map_fd(R2, PROG_ARRAY), call_helper(BPF_FUNC_tail_call), ret(1)}));
    INFO(differ);
    CHECK(contains(differ, "tail_call at insn 6: key checked at run time"));
    CHECK(contains(log_of(P({tail_call(4), ret(1)})),
                   "tail_call at insn 3: key checked at run time"));
    CHECK(contains(log_of(P({tail_call(3), ret(1)})), "tail_call at insn 3: key 3 on every path"));
}
TEST_CASE("tracing helpers") {
    run_group("tracing helpers");
}
TEST_CASE("BTF-typed contexts") {
    run_group("BTF-typed contexts");
}
TEST_CASE("control flow and loops") {
    run_group("control flow and loops");
}
TEST_CASE("global function arguments") {
    run_group("global function arguments");
}
TEST_CASE("calls") {
    run_group("calls");
}
TEST_CASE("pruning and linked registers") {
    run_group("pruning and linked registers");
}
TEST_CASE("privileges") {
    run_group("privileges");
}
TEST_CASE("pruning and privileges") {
    run_group("pruning and privileges");
}
TEST_CASE("malformed programs") {
    run_group("malformed programs");
}

TEST_CASE("more than 1000000 processed instructions is too complex") {
    // 1000 instructions per iteration, 2000 iterations: the limit comes
    // after 1000 iterations, so few checkpoints are stored on the way.
    constexpr int body = 1000;
    Prog loop{mov64_imm(R0, 0), mov64_imm(R1, 0), alu64_imm(BPF_ADD, R1, 1)};
    for (int i = 0; i < body - 2; i++)
        loop.push_back(mov64_reg(R2, R1));
    loop.push_back(jmp_imm(BPF_JLT, R1, 2000, -body));
    loop.push_back(exit_insn());
    check_case(reject("a counted loop of 2000 iterations", loop, -E2BIG, "too complex"));
}

TEST_CASE("a tight counted loop reaches the limit in bounded time") {
    // 50 instructions per iteration: 20000 iterations, each leaving a
    // checkpoint at the loop head that never prunes (the counter differs).
    // Comparing every new state with all of them is quadratic; Linux drops
    // checkpoints that keep missing so that the limit also bounds the time.
    constexpr int body = 50;
    Prog loop{mov64_imm(R0, 0), mov64_imm(R1, 0), alu64_imm(BPF_ADD, R1, 1)};
    for (int i = 0; i < body - 2; i++)
        loop.push_back(mov64_reg(R2, R1));
    loop.push_back(jmp_imm(BPF_JLT, R1, 200000, -body));
    loop.push_back(exit_insn());
    Case tight = reject("a counted loop of 200000 short iterations", loop, -E2BIG, "too complex");
    Outcome out = verify(tight);
    MESSAGE("tight loop: processed ", out.stats.insns_processed, " insns, ", out.stats.states_total,
            " states, ", out.stats.time_ns / 1000000, " ms");
    CHECK(out.err == -E2BIG);
    CHECK(contains(out.log, "too complex"));
    // The 1000000 straight-line instructions of the other cases take well
    // under a second even with sanitizers.
    CHECK(out.stats.time_ns < 5000000000ULL);
}

TEST_CASE("a loop whose iterations differ only in signed bounds reaches the limit in bounded "
          "time") {
    // r4 = 0 - r9 over and over while r4 s< r9 (r9 a context byte): each
    // iteration lowers r4's smin by 255 and leaves its unsigned bounds and
    // tnum unknown. The loop check hashes ancestors by the bounds it
    // compares; with the signed ones left out of the hash, every iteration
    // was compared in full with all earlier ones (found by kring-fuzz, seed
    // 7007: over 10 minutes).
    Prog loop{mov64_reg(R6, R1),
              ldx(BPF_B, R9, R6, 0),
              mov64_imm(R4, 0),
              alu64_reg(BPF_SUB, R4, R9),
              jmp_reg(BPF_JSLT, R4, R9, -2),
              mov64_imm(R0, 0),
              exit_insn()};
    Case signed_loop =
        reject("a loop lowering a signed bound forever", loop, -E2BIG, "too complex");
    Outcome out = verify(signed_loop);
    MESSAGE("signed-bounds loop: processed ", out.stats.insns_processed, " insns, ",
            out.stats.states_total, " states, ", out.stats.ancestors_compared,
            " ancestors compared in full, ", out.stats.time_ns / 1000000, " ms");
    CHECK(out.err == -E2BIG);
    CHECK(contains(out.log, "too complex"));
    // The cost, counted rather than timed: without the signed bounds in the
    // fingerprint, each new checkpoint was compared with every ancestor.
    CHECK(out.stats.ancestors_compared < out.stats.states_total);
}

TEST_CASE("a loop whose counter lives on the stack costs time linear in its iterations") {
    // i = 0; do i++ while (i < 20000), with i in fp-8 (as clang leaves a
    // volatile or spilled counter): at the loop head every live register
    // is the same, so all ancestors share one fingerprint and differ only
    // in the stack slot. Each was compared in full with every later
    // iteration, quadratic in the iterations (Linux's selftest loop3.c, a
    // million instructions: 16 s). An ancestor that keeps failing the loop
    // check is no longer compared.
    Prog loop{mov64_imm(R1, 0),         stx(BPF_DW, R10, R1, -8),
              ldx(BPF_DW, R1, R10, -8), alu64_imm(BPF_ADD, R1, 1),
              stx(BPF_DW, R10, R1, -8), jmp_imm(BPF_JLT, R1, 20000, -4),
              mov64_imm(R0, 0),         exit_insn()};
    Outcome out = verify(accept("a counted loop with its counter on the stack", loop));
    MESSAGE("stack-counter loop: processed ", out.stats.insns_processed, " insns, ",
            out.stats.states_total, " states, ", out.stats.ancestors_compared,
            " ancestors compared in full, ", out.stats.time_ns / 1000000, " ms");
    CHECK(out.err == 0);
    CHECK(out.stats.insns_processed > 80000);
    // Counted rather than timed: a bounded number of loop checks for each
    // checkpoint, where it was one for each (checkpoint, later iteration).
    CHECK(out.stats.ancestors_compared <= 33 * uint64_t(out.stats.states_total));
}

// The hook stands for the kernel's signal_pending(): it reports a signal
// from its third call on.
int signal_checks = 0;
bool signal_after_two_checks() {
    return ++signal_checks > 2;
}

TEST_CASE("a pending signal stops a long verification with -EAGAIN (as Linux)") {
    // The tight loop of the case above, which runs to the 1000000 limit.
    Prog loop{mov64_imm(R0, 0), mov64_imm(R1, 0), alu64_imm(BPF_ADD, R1, 1)};
    for (int i = 0; i < 48; i++)
        loop.push_back(mov64_reg(R2, R1));
    loop.push_back(jmp_imm(BPF_JLT, R1, 200000, -50));
    loop.push_back(exit_insn());
    const Case long_loop =
        reject("a counted loop of 200000 iterations", loop, -E2BIG, "too complex");

    signal_checks = 0;
    kbpf_signal_pending_hook = signal_after_two_checks;
    Outcome out = verify(long_loop);
    kbpf_signal_pending_hook = nullptr;
    INFO("log:\n", out.log);
    CHECK(out.err == -EAGAIN);
    CHECK(contains(out.log, "interrupted by a signal after " +
                                std::to_string(out.stats.insns_processed) +
                                " processed instructions"));
    CHECK(contains(out.log, stats_line(out.stats)));
    // Checked every few hundred instructions, not only at the end.
    CHECK(signal_checks == 3);
    CHECK(out.stats.insns_processed < 1000);

    // No signal: the same program runs to its limit.
    check_case(long_loop);
}

TEST_CASE("more than 8192 pending paths is too complex") {
    // 9000 two-way branches, each on a value freshly loaded from the
    // context: whichever side is explored first, the other is left pending.
    Prog prog{mov64_reg(R6, R1), mov64_imm(R0, 0)};
    for (int i = 0; i < 9000; i++) {
        prog.push_back(ldx(BPF_DW, R2, R6, 0));
        prog.push_back(jmp_imm(BPF_JEQ, R2, 0, 1));
        prog.push_back(mov64_imm(R3, i));
    }
    prog.push_back(exit_insn());
    check_case(reject("9000 branches", prog, -E2BIG, "paths pending"));
}

TEST_CASE("a global function is verified once, a static one at every call") {
    // main calls f (insn 7) twice; f returns its argument.
    const Prog twice =
        P({mov64_imm(R1, 1), call_local(5), mov64_reg(R6, R0), mov64_imm(R1, 2), call_local(2),
           alu64_reg(BPF_ADD, R0, R6), exit_insn(), mov64_reg(R0, R1), exit_insn()});
    Case global = accept("global f", twice)
                      .with_funcs({func(0, KRING_FUNC_STATIC),
                                   func(7, KRING_FUNC_GLOBAL, {KRING_ARG_SCALAR})});
    Case as_static = accept("static f", twice)
                         .with_funcs({func(0, KRING_FUNC_STATIC), func(7, KRING_FUNC_STATIC)});
    check_case(global);
    check_case(as_static);
    Outcome global_out = verify(global);
    Outcome static_out = verify(as_static);
    // main's 7 instructions, and f's 2 once (global) or per call (static).
    CHECK(global_out.stats.insns_processed == 7 + 2);
    CHECK(static_out.stats.insns_processed == 7 + 2 * 2);
}

TEST_CASE("the log: its levels and a short buffer do not change the verdict") {
    const Case diamond =
        accept("a diamond", P({ldx(BPF_DW, R0, R1, 0), jmp_imm(BPF_JGT, R0, 5, 2), mov64_imm(R0, 1),
                               ja(1), mov64_imm(R0, 2), exit_insn()}));
    const Case unsafe = deny("an uninitialised read", P({ldx(BPF_DW, R0, R10, -8), exit_insn()}),
                             "reading uninitialised stack")
                            .with_flags(NO_LEAKS);

    // Level 2: every instruction, each at the start of a line "N: ...".
    Outcome insns = verify(Case(diamond).with_log_level(KBPF_LOG_LEVEL_INSNS));
    INFO("level 2 log:\n", insns.log);
    CHECK(insns.err == 0);
    for (int idx = 0; idx < 6; idx++) {
        const std::string line_start = std::to_string(idx) + ": ";
        CHECK((insns.log.rfind(line_start, 0) == 0 ||
               contains(insns.log, std::string(1, '\n').append(line_start))));
    }
    CHECK(contains(insns.log, stats_line(insns.stats)));

    // Level 0: the statistics line alone, and the same verdict.
    Outcome quiet = verify(Case(unsafe).with_log_level(0));
    INFO("level 0 log:\n", quiet.log);
    CHECK(quiet.err == -EACCES);
    CHECK(!contains(quiet.log, unsafe.msg));
    CHECK(contains(quiet.log, stats_line(quiet.stats)));

    // 24 bytes: cut off and flagged, NUL-terminated inside the buffer.
    Outcome cut = verify(unsafe, 0, 24);
    CHECK(cut.err == -EACCES);
    CHECK(cut.stats.log_truncated);
    CHECK(cut.log.size() < 24);

    // No buffer at all.
    Outcome none = verify(unsafe, 0, 0);
    CHECK(none.err == -EACCES);
    CHECK(none.stats.insns_processed > 0);
}

TEST_CASE("cost: a 1000-instruction straight line and a 100-iteration loop") {
    Case line = accept("1000 instructions, straight line", straight_line(1000));
    check_case(line);
    Outcome out = verify(line);
    MESSAGE("straight line: processed ", out.stats.insns_processed, " insns, ",
            out.stats.states_total, " states, ", out.stats.time_ns / 1000, " us");
    // Every instruction once, no branch to explore twice.
    CHECK(out.stats.insns_processed == 1000);
    CHECK(out.stats.time_ns < 1000000000ULL);

    // r0 = 0; r1 = 0; do { r0 += r1; r1 += 1 } while (r1 < 100); exit.
    Case loop = accept("100 iterations",
                       P({mov64_imm(R0, 0), mov64_imm(R1, 0), alu64_reg(BPF_ADD, R0, R1),
                          alu64_imm(BPF_ADD, R1, 1), jmp_imm(BPF_JLT, R1, 100, -3), exit_insn()}));
    check_case(loop);
    out = verify(loop);
    MESSAGE("bounded loop: processed ", out.stats.insns_processed, " insns, ",
            out.stats.states_total, " states, ", out.stats.time_ns / 1000, " us");
    // The counter differs on every iteration, so no state is pruned: the two
    // moves, three instructions per iteration, and the exit.
    CHECK(out.stats.insns_processed == 2 + 3 * 100 + 1);
    CHECK(out.stats.time_ns < 1000000000ULL);
}

#endif // KRING_VERIFIER_TABLE_ONLY
