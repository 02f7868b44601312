// The interpreter runs Linux's BPF semantics: every instruction class
// against hand-computed results, and its defences against bad programs.
extern "C" {
#include "interp.h"
}
#include "insn.hpp"

#include <cstring>
#include <doctest/doctest.h>
#include <vector>

using namespace insn;

namespace {

struct Run {
    int err;
    uint64_t r0;
};

struct HelperLog {
    std::vector<int32_t> ids;
    std::vector<uint64_t> first_args;
};

uint64_t log_helper(void* priv, int32_t id, const uint64_t args[5]) {
    auto* log = static_cast<HelperLog*>(priv);
    log->ids.push_back(id);
    log->first_args.push_back(args[0]);
    return args[0] + args[1] + args[2] + args[3] + args[4];
}

Run run(const std::vector<bpf_insn>& prog, void* ctx = nullptr, HelperLog* log = nullptr,
        uint64_t budget = 0) {
    alignas(8) static uint8_t stack[KBPF_INTERP_STACK_SIZE];
    kbpf_interp_env env{};
    env.call_helper = log ? log_helper : nullptr;
    env.priv = log;
    env.stack = stack;
    env.insn_budget = budget;
    Run r{0, 0};
    r.err = kbpf_interp_run(prog.data(), static_cast<uint32_t>(prog.size()), ctx, &env, &r.r0);
    return r;
}

// r0 = (r0 OP imm) for a 64-bit value loaded into r0 first.
uint64_t alu(uint8_t cls_op, uint64_t dst, int32_t imm, bool alu32 = false) {
    std::vector<bpf_insn> prog;
    ld_imm64(prog, BPF_REG_0, dst);
    prog.push_back(alu32 ? alu32_imm(cls_op, BPF_REG_0, imm) : alu64_imm(cls_op, BPF_REG_0, imm));
    prog.push_back(exit_insn());
    Run r = run(prog);
    REQUIRE(r.err == 0);
    return r.r0;
}

} // namespace

TEST_CASE("64-bit ALU operations") {
    CHECK(alu(BPF_ADD, 40, 2) == 42);
    CHECK(alu(BPF_SUB, 0, 1) == UINT64_MAX);
    CHECK(alu(BPF_MUL, 1ULL << 40, 1 << 30) == 0); // wraps at 64 bits
    CHECK(alu(BPF_DIV, 100, 7) == 14);
    CHECK(alu(BPF_DIV, 100, -1) == 0); // imm sign-extends to 2^64-1
    CHECK(alu(BPF_MOD, 100, 7) == 2);
    CHECK(alu(BPF_OR, 0xf0, 0x0f) == 0xff);
    CHECK(alu(BPF_AND, 0xf0, 0x3c) == 0x30);
    CHECK(alu(BPF_XOR, 0xff, 0x0f) == 0xf0);
    CHECK(alu(BPF_LSH, 1, 63) == 1ULL << 63);
    CHECK(alu(BPF_RSH, 1ULL << 63, 63) == 1);
    CHECK(alu(BPF_ARSH, 1ULL << 63, 63) == UINT64_MAX);
    CHECK(alu(BPF_NEG, 5, 0) == static_cast<uint64_t>(-5));
    CHECK(alu(BPF_MOV, 123, -2) == static_cast<uint64_t>(-2));
}

TEST_CASE("32-bit ALU operations zero-extend") {
    CHECK(alu(BPF_ADD, 0xffffffff, 1, true) == 0);
    CHECK(alu(BPF_ADD, 0x1234567800000001ULL, 1, true) == 2);
    CHECK(alu(BPF_MOV, 0, -1, true) == 0xffffffffULL);
    CHECK(alu(BPF_ARSH, 0x80000000, 4, true) == 0xf8000000ULL);
    CHECK(alu(BPF_RSH, 0xffffffff00000000ULL, 1, true) == 0);
    CHECK(alu(BPF_NEG, 1, 0, true) == 0xffffffffULL);
    CHECK(alu(BPF_DIV, 0xffffffff, 2, true) == 0x7fffffff);
}

TEST_CASE("division by zero is defined: x / 0 == 0, x % 0 == x") {
    CHECK(alu(BPF_DIV, 77, 0) == 0);
    CHECK(alu(BPF_MOD, 77, 0) == 77);
    CHECK(alu(BPF_DIV, 77, 0, true) == 0);
    CHECK(alu(BPF_MOD, 0x1234567800000009ULL, 0, true) == 9);
    // And through a register holding zero.
    std::vector<bpf_insn> prog = {mov64_imm(BPF_REG_0, 9), mov64_imm(BPF_REG_1, 0),
                                  alu64_reg(BPF_MOD, BPF_REG_0, BPF_REG_1), exit_insn()};
    CHECK(run(prog).r0 == 9);
}

TEST_CASE("shift amounts are masked to the operand width") {
    std::vector<bpf_insn> prog = {mov64_imm(BPF_REG_0, 1), mov64_imm(BPF_REG_1, 65),
                                  alu64_reg(BPF_LSH, BPF_REG_0, BPF_REG_1), exit_insn()};
    CHECK(run(prog).r0 == 2);
    prog = {mov64_imm(BPF_REG_0, 1), mov64_imm(BPF_REG_1, 33),
            alu32_reg(BPF_LSH, BPF_REG_0, BPF_REG_1), exit_insn()};
    CHECK(run(prog).r0 == 2);
}

TEST_CASE("byte swaps: TO_BE swaps, TO_LE truncates (little-endian host)") {
    auto swap = [](bool to_be, int bits, uint64_t value) {
        std::vector<bpf_insn> prog;
        ld_imm64(prog, BPF_REG_0, value);
        prog.push_back(endian(to_be, BPF_REG_0, bits));
        prog.push_back(exit_insn());
        return run(prog).r0;
    };
    CHECK(swap(true, 16, 0x1122334455667788ULL) == 0x8877);
    CHECK(swap(true, 32, 0x1122334455667788ULL) == 0x88776655);
    CHECK(swap(true, 64, 0x1122334455667788ULL) == 0x8877665544332211ULL);
    CHECK(swap(false, 16, 0x1122334455667788ULL) == 0x7788);
    CHECK(swap(false, 32, 0x1122334455667788ULL) == 0x55667788);
    CHECK(swap(false, 64, 0x1122334455667788ULL) == 0x1122334455667788ULL);
}

TEST_CASE("conditional jumps, 64 and 32 bit, signed and unsigned") {
    auto taken = [](bpf_insn jump, uint64_t r1) {
        std::vector<bpf_insn> prog;
        ld_imm64(prog, BPF_REG_1, r1);
        prog.push_back(mov64_imm(BPF_REG_0, 0));
        prog.push_back(jump); // skips the next instruction when taken
        prog.push_back(mov64_imm(BPF_REG_0, 1));
        prog.push_back(exit_insn());
        return run(prog).r0 == 0;
    };
    CHECK(taken(jmp_imm(BPF_JEQ, BPF_REG_1, 5, 1), 5));
    CHECK_FALSE(taken(jmp_imm(BPF_JNE, BPF_REG_1, 5, 1), 5));
    CHECK(taken(jmp_imm(BPF_JGT, BPF_REG_1, -1, 1), 0) == false); // -1 is 2^64-1 unsigned
    CHECK(taken(jmp_imm(BPF_JSGT, BPF_REG_1, -1, 1), 0));
    CHECK(taken(jmp_imm(BPF_JLT, BPF_REG_1, 10, 1), 9));
    CHECK(taken(jmp_imm(BPF_JSLE, BPF_REG_1, -3, 1), static_cast<uint64_t>(-3)));
    CHECK(taken(jmp_imm(BPF_JSET, BPF_REG_1, 4, 1), 6));
    CHECK_FALSE(taken(jmp_imm(BPF_JSET, BPF_REG_1, 8, 1), 6));
    // JMP32 compares the low halves only.
    CHECK(taken(jmp32_imm(BPF_JEQ, BPF_REG_1, 7, 1), 0xabcdef0000000007ULL));
    CHECK(taken(jmp32_imm(BPF_JSLT, BPF_REG_1, 0, 1), 0x80000000ULL));
    CHECK_FALSE(taken(jmp_imm(BPF_JSLT, BPF_REG_1, 0, 1), 0x80000000ULL));
}

TEST_CASE("a bounded loop runs to completion") {
    // r0 = sum of 1..10
    std::vector<bpf_insn> prog = {
        mov64_imm(BPF_REG_0, 0),
        mov64_imm(BPF_REG_1, 10),
        alu64_reg(BPF_ADD, BPF_REG_0, BPF_REG_1),
        alu64_imm(BPF_SUB, BPF_REG_1, 1),
        jmp_imm(BPF_JNE, BPF_REG_1, 0, -3),
        exit_insn(),
    };
    Run r = run(prog);
    CHECK(r.err == 0);
    CHECK(r.r0 == 55);
}

TEST_CASE("memory: context loads, stack stores of every size") {
    uint64_t ctx[2] = {0x1122334455667788ULL, 0};
    std::vector<bpf_insn> prog = {
        ldx(BPF_W, BPF_REG_2, BPF_REG_1, 4),    // 0x11223344
        stx(BPF_DW, BPF_REG_10, BPF_REG_2, -8), // spill
        st(BPF_B, BPF_REG_10, -8, 0x55),        // overwrite the low byte
        ldx(BPF_DW, BPF_REG_0, BPF_REG_10, -8),
        st(BPF_H, BPF_REG_1, 8, -2), // ctx[1] low half = 0xfffe
        exit_insn(),
    };
    Run r = run(prog, ctx);
    CHECK(r.err == 0);
    CHECK(r.r0 == 0x11223355);
    CHECK(ctx[1] == 0xfffe);
}

// The verifier accepts misaligned record accesses (as Linux does on x86),
// so the interpreter must perform them without C undefined behaviour: the
// UBSan build stops at the first misaligned typed access.
TEST_CASE("memory: misaligned loads and stores of every size, record and stack") {
    const uint64_t pattern = 0x8877665544332211ULL;
    for (uint8_t size : {BPF_B, BPF_H, BPF_W, BPF_DW}) {
        const size_t bytes = size == BPF_B ? 1 : size == BPF_H ? 2 : size == BPF_W ? 4 : 8;
        const uint64_t expected = bytes == 8 ? pattern : pattern & ((1ULL << (8 * bytes)) - 1);
        for (int16_t off = 1; off < 8; off++) {
            INFO("size ", bytes, ", offset ", off);
            // A record (R1): store, then load back, at record + off.
            alignas(8) uint8_t record[16] = {};
            std::vector<bpf_insn> prog;
            ld_imm64(prog, BPF_REG_2, pattern);
            prog.push_back(stx(size, BPF_REG_1, BPF_REG_2, off));
            prog.push_back(ldx(size, BPF_REG_0, BPF_REG_1, off));
            prog.push_back(exit_insn());
            Run r = run(prog, record);
            CHECK(r.err == 0);
            CHECK(r.r0 == expected);
            uint64_t stored = 0;
            std::memcpy(&stored, record + off, bytes);
            CHECK(stored == expected);
            CHECK(record[off - 1] == 0);
            // The stack: the same at fp - 16 + off.
            prog.clear();
            ld_imm64(prog, BPF_REG_2, pattern);
            prog.push_back(stx(size, BPF_REG_10, BPF_REG_2, static_cast<int16_t>(off - 16)));
            prog.push_back(ldx(size, BPF_REG_0, BPF_REG_10, static_cast<int16_t>(off - 16)));
            prog.push_back(exit_insn());
            r = run(prog);
            CHECK(r.err == 0);
            CHECK(r.r0 == expected);
        }
    }
}

TEST_CASE("helper calls pass R1-R5 and return in R0") {
    HelperLog log;
    std::vector<bpf_insn> prog = {
        mov64_imm(BPF_REG_1, 1),
        mov64_imm(BPF_REG_2, 2),
        mov64_imm(BPF_REG_3, 3),
        mov64_imm(BPF_REG_4, 4),
        mov64_imm(BPF_REG_5, 5),
        call_helper(BPF_FUNC_ktime_get_ns),
        exit_insn(),
    };
    Run r = run(prog, nullptr, &log);
    CHECK(r.err == 0);
    CHECK(r.r0 == 15);
    CHECK(log.ids == std::vector<int32_t>{BPF_FUNC_ktime_get_ns});
    CHECK(run(prog).err == -EINVAL); // no helper callback
}

TEST_CASE("bpf-to-bpf calls: own stack frame, callee-saved registers restored") {
    std::vector<bpf_insn> prog = {
        // caller, indices 0-7
        mov64_imm(BPF_REG_6, 100),
        st(BPF_DW, BPF_REG_10, -8, 7), // the caller's stack slot
        mov64_imm(BPF_REG_1, 5),
        call_local(4), // to index 3 + 4 + 1 = 8
        ldx(BPF_DW, BPF_REG_2, BPF_REG_10, -8),
        alu64_reg(BPF_ADD, BPF_REG_0, BPF_REG_6), // callee's result + 100 (r6 restored)
        alu64_reg(BPF_ADD, BPF_REG_0, BPF_REG_2), // + 7 (slot untouched by the callee)
        exit_insn(),
        // callee, index 8: clobbers r6 and its own slot, returns r1 * 2
        mov64_imm(BPF_REG_6, -1),
        st(BPF_DW, BPF_REG_10, -8, 999),
        mov64_reg(BPF_REG_0, BPF_REG_1),
        alu64_imm(BPF_MUL, BPF_REG_0, 2),
        exit_insn(),
    };
    Run r = run(prog);
    CHECK(r.err == 0);
    CHECK(r.r0 == 10 + 100 + 7);
}

TEST_CASE("calls nested deeper than 8 frames stop the run") {
    // Each function calls the next: depth 9 is one too many.
    auto chain = [](int depth) {
        std::vector<bpf_insn> prog;
        for (int i = 0; i < depth - 1; i++) {
            prog.push_back(call_local(1)); // to the next function (2 insns on)
            prog.push_back(exit_insn());
        }
        prog.push_back(mov64_imm(BPF_REG_0, 1));
        prog.push_back(exit_insn());
        return prog;
    };
    CHECK(run(chain(8)).err == 0);
    CHECK(run(chain(9)).err == -EOVERFLOW);
}

TEST_CASE("the instruction budget stops an endless loop") {
    std::vector<bpf_insn> prog = {mov64_imm(BPF_REG_0, 0), ja(-1), exit_insn()};
    CHECK(run(prog, nullptr, nullptr, 1000).err == -E2BIG);
}

TEST_CASE("bad programs stop with -EINVAL") {
    CHECK(run({raw(0xff, 0, 0, 0, 0)}).err == -EINVAL);                 // unknown opcode
    CHECK(run({raw(BPF_ALU64 | BPF_END, 0, 0, 0, 16)}).err == -EINVAL); // no 64-bit END
    CHECK(run({endian(true, BPF_REG_0, 24), exit_insn()}).err == -EINVAL);
    CHECK(run({ja(5), exit_insn()}).err == -EINVAL);                         // jump out
    CHECK(run({mov64_imm(BPF_REG_0, 0)}).err == -EINVAL);                    // falls off the end
    CHECK(run({raw(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 0)}).err == -EINVAL); // half an LD_IMM64
    CHECK(run({raw(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), exit_insn()}).err == -EINVAL);
    CHECK(run({raw(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0)}).err == -EINVAL);
    CHECK(run({raw(BPF_ALU64 | BPF_MOV | BPF_K, 11, 0, 0, 0), exit_insn()}).err == -EINVAL);
    CHECK(run({call_local(-5), exit_insn()}).err == -EINVAL); // call outside
}

namespace {

// *(size *)ctx op= operand (BPF_STX | BPF_ATOMIC) on a context whose first
// word is @mem, R0 set to @r0 first: the word after, R0 after, and the
// operand register after (where BPF_FETCH puts the old value).
struct Atomic {
    uint64_t mem, r0, operand;
};
Atomic atomic_run(uint8_t size, int32_t op, uint64_t mem, uint64_t operand, uint64_t r0 = 0) {
    alignas(8) uint64_t ctx[2] = {mem, 0};
    std::vector<bpf_insn> prog;
    ld_imm64(prog, BPF_REG_2, operand);
    ld_imm64(prog, BPF_REG_0, r0);
    prog.push_back(raw(BPF_STX | BPF_ATOMIC | size, BPF_REG_1, BPF_REG_2, 0, op));
    prog.push_back(stx(BPF_DW, BPF_REG_1, BPF_REG_2, 8));
    prog.push_back(exit_insn());
    Run r = run(prog, ctx);
    REQUIRE(r.err == 0);
    return {ctx[0], r.r0, ctx[1]};
}

} // namespace

TEST_CASE("atomic operations: every operation on 4 and 8 bytes, with its operand register") {
    const uint64_t high = 0x1111111100000000ULL;
    // 4 bytes: the low half of the word changes; a fetch is zero-extended.
    Atomic a = atomic_run(BPF_W, BPF_ADD, high | 3, 5);
    CHECK(a.mem == (high | 8));
    CHECK(a.operand == 5);
    a = atomic_run(BPF_W, BPF_ADD | BPF_FETCH, high | 0xfffffffe, 3);
    CHECK(a.mem == (high | 1));
    CHECK(a.operand == 0xfffffffe);
    a = atomic_run(BPF_W, BPF_OR | BPF_FETCH, high | 0x10, 0x31);
    CHECK(a.mem == (high | 0x31));
    CHECK(a.operand == 0x10);
    a = atomic_run(BPF_W, BPF_XCHG, high | 7, 0xabcd);
    CHECK(a.mem == (high | 0xabcd));
    CHECK(a.operand == 7);
    a = atomic_run(BPF_W, BPF_CMPXCHG, high | 7, 9, 0xffffffff00000007ULL); // low halves equal
    CHECK(a.mem == (high | 9));
    CHECK(a.r0 == 7);
    // 8 bytes.
    a = atomic_run(BPF_DW, BPF_AND | BPF_FETCH, 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL);
    CHECK(a.mem == 0x0f000f000f000f00ULL);
    CHECK(a.operand == 0xff00ff00ff00ff00ULL);
    a = atomic_run(BPF_DW, BPF_XOR, 0xffULL, 0x0fULL);
    CHECK(a.mem == 0xf0ULL);
    CHECK(a.operand == 0x0fULL);
    a = atomic_run(BPF_DW, BPF_CMPXCHG, 5, 6, 4); // R0 differs: no change
    CHECK(a.mem == 5);
    CHECK(a.r0 == 5);
    a = atomic_run(BPF_DW, BPF_CMPXCHG, 5, 6, 5);
    CHECK(a.mem == 6);
    CHECK(a.r0 == 5);
}
