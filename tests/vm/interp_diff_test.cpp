// Differential test of kring's interpreter against the running kernel: random
// straight-line ALU programs (64 and 32 bit, every operation, immediate and
// register operands, byte swaps) run in kbpf_interp_run() and in Linux through
// BPF_PROG_TEST_RUN; their results must be identical. The same bytecode is a
// valid Linux program, which is what the ground rules promise.
extern "C" {
#include "interp.h"
}
#include "insn.hpp"
#include "linux_bpf.hpp"

#include <cerrno>
#include <cstring>
#include <doctest/doctest.h>
#include <random>
#include <unistd.h>
#include <vector>

using namespace insn;

namespace {

// Linux returns a socket filter's r0 truncated to 32 bits: fold the high half
// in first so that every bit of the 64-bit result is compared.
void append_fold_r0(std::vector<bpf_insn>& prog) {
    prog.push_back(mov64_reg(BPF_REG_1, BPF_REG_0));
    prog.push_back(alu64_imm(BPF_RSH, BPF_REG_1, 32));
    prog.push_back(alu64_reg(BPF_XOR, BPF_REG_0, BPF_REG_1));
    prog.push_back(alu32_reg(BPF_MOV, BPF_REG_0, BPF_REG_0));
}

std::vector<bpf_insn> random_program(std::mt19937_64& rng, int length) {
    static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV,  BPF_MOD, BPF_OR, BPF_AND,
                                  BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH, BPF_NEG, BPF_MOV};
    std::vector<bpf_insn> prog;
    for (uint8_t r = BPF_REG_0; r <= BPF_REG_5; r++)
        ld_imm64(prog, r, rng());
    for (int i = 0; i < length; i++) {
        uint8_t dst = rng() % 6, src = rng() % 6;
        bool is64 = rng() % 2;
        uint8_t op = ops[rng() % (sizeof(ops) / sizeof(ops[0]))];
        if (rng() % 10 == 0) {
            static const int bits[] = {16, 32, 64};
            prog.push_back(endian(rng() % 2, dst, bits[rng() % 3]));
            continue;
        }
        if (op == BPF_NEG) {
            prog.push_back(is64 ? alu64_imm(BPF_NEG, dst, 0) : alu32_imm(BPF_NEG, dst, 0));
            continue;
        }
        if (rng() % 2) { // register operand: anything goes, zero divisors included
            prog.push_back(is64 ? alu64_reg(op, dst, src) : alu32_reg(op, dst, src));
            continue;
        }
        int32_t imm = static_cast<int32_t>(rng());
        if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
            imm = static_cast<int32_t>(rng() % (is64 ? 64 : 32)); // Linux rejects larger
        if ((op == BPF_DIV || op == BPF_MOD) && imm == 0)
            imm = 3; // Linux rejects a constant zero divisor
        prog.push_back(is64 ? alu64_imm(op, dst, imm) : alu32_imm(op, dst, imm));
    }
    append_fold_r0(prog);
    prog.push_back(exit_insn());
    return prog;
}

// 0 and Linux's r0, or the errno of loading or running it.
int run_in_linux(const std::vector<bpf_insn>& prog, uint32_t* retval, std::string* log) {
    int fd = linuxbpf::load_socket_filter(prog, log);
    if (fd < 0)
        return -fd;
    int err = linuxbpf::test_run(fd, 1, retval);
    ::close(fd);
    return err;
}

} // namespace

TEST_CASE("the interpreter computes what Linux computes (random ALU programs)") {
    std::mt19937_64 rng(20261124);
    alignas(8) static uint8_t stack[KBPF_INTERP_STACK_SIZE];
    kbpf_interp_env env{};
    env.stack = stack;
    constexpr int kPrograms = 400;
    int agreed = 0;
    for (int n = 0; n < kPrograms; n++) {
        std::vector<bpf_insn> prog = random_program(rng, 24);
        uint64_t ours = 0;
        REQUIRE(kbpf_interp_run(prog.data(), static_cast<uint32_t>(prog.size()), nullptr, &env,
                                &ours) == 0);
        uint32_t theirs = 0;
        std::string log;
        int err = run_in_linux(prog, &theirs, &log);
        REQUIRE_MESSAGE(err == 0, "program " << n << ": Linux refused it: " << strerror(err) << "\n"
                                             << log);
        if (static_cast<uint32_t>(ours) == theirs)
            agreed++;
        else
            FAIL_CHECK("program " << n << ": kring " << ours << ", Linux " << theirs);
    }
    CHECK(agreed == kPrograms);
}
