// The checking interpreter against hand-written programs: clean runs stay
// clean, and each kind of fault the fuzzer relies on is reported, including
// those ASan cannot see (one record into the next, one frame into another).
#include "check_interp.hpp"
#include "insn.hpp"

#include <doctest/doctest.h>
#include <string>

extern "C" {
#include "verifier.h"
}

using namespace insn;

namespace {

constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R6 = 6, R7 = 7, R8 = 8, R10 = 10;

using Prog = std::vector<bpf_insn>;

Prog cat(std::initializer_list<Prog> parts) {
    Prog p;
    for (const Prog& part : parts)
        p.insert(p.end(), part.begin(), part.end());
    return p;
}

// dst = ringbuf_reserve(ring 0, size, 0); NULL ends the program.
Prog reserve(uint8_t dst, int32_t size) {
    return cat({ld_map_fd(R1, 0),
                {mov64_imm(R2, size), mov64_imm(R3, 0), call_helper(BPF_FUNC_ringbuf_reserve),
                 jmp_imm(BPF_JNE, R0, 0, 2), mov64_imm(R0, 0), exit_insn(), mov64_reg(dst, R0)}});
}
Prog submit(uint8_t reg) {
    return {mov64_reg(R1, reg), mov64_imm(R2, 0), call_helper(BPF_FUNC_ringbuf_submit)};
}
Prog ret0() {
    return {mov64_imm(R0, 0), exit_insn()};
}

fuzz::RunResult run(const Prog& insns, uint32_t ctx_size = 16, bool writable = false,
                    uint64_t budget = 100000, uint32_t flags = 0xf) {
    fuzz::Prog p;
    p.insns = insns;
    p.ctx_size = ctx_size;
    p.ctx_writable = writable;
    p.flags = flags;
    fuzz::RunConfig c;
    c.ctx.assign(ctx_size, 1);
    c.budget = budget;
    return fuzz::check_run(p, c);
}

bool faults(const fuzz::RunResult& r, const std::string& phrase) {
    INFO("fault: ", r.fault);
    CHECK(!r.ok);
    return r.fault.find(phrase) != std::string::npos;
}

} // namespace

TEST_CASE("clean programs run clean") {
    fuzz::RunResult r = run(cat({reserve(R7, 8), {st(BPF_DW, R7, 0, 5)}, submit(R7), ret0()}));
    CHECK(r.ok);
    CHECK(r.fault.empty());
    // A pointer spilled and filled keeps its object.
    r = run(cat({reserve(R7, 4),
                 {stx(BPF_DW, R10, R7, -8), ldx(BPF_DW, R8, R10, -8), st(BPF_W, R8, 0, 1)},
                 submit(R8),
                 ret0()}));
    CHECK(r.ok);
}

TEST_CASE("one record into the next, which ASan cannot see") {
    // Two records are adjacent in the ring; the first is written one past.
    fuzz::RunResult r = run(cat(
        {reserve(R7, 8), reserve(R6, 8), {st(BPF_B, R7, 8, 1)}, submit(R7), submit(R6), ret0()}));
    CHECK(faults(r, "outside the object (8 bytes)"));
    CHECK(r.insn == 18);
}

TEST_CASE("one stack frame into another") {
    // The callee writes just above its frame pointer: the caller's frame.
    Prog p = {call_local(2),        mov64_imm(R0, 0), exit_insn(),
              st(BPF_B, R10, 0, 1), mov64_imm(R0, 0), exit_insn()};
    CHECK(faults(run(p), "outside the object (512 bytes"));
    // Through a pointer to the caller's slot, the caller's frame is fine,
    // but not 8 bytes further.
    Prog ok = {mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8), call_local(2),    mov64_imm(R0, 0),
               exit_insn(),        st(BPF_DW, R1, 0, 1),       mov64_imm(R0, 0), exit_insn()};
    CHECK(run(ok).ok);
    ok[5] = st(BPF_DW, R1, 8, 1);
    CHECK(faults(run(ok), "outside the object"));
}

TEST_CASE("the stack of the call chain is at most 512 bytes") {
    Prog p = {st(BPF_DW, R10, -512, 1), call_local(2),    mov64_imm(R0, 0), exit_insn(),
              st(BPF_DW, R10, -8, 1),   mov64_imm(R0, 0), exit_insn()};
    CHECK(faults(run(p), "more than 512"));
}

TEST_CASE("a pointer into a returned frame") {
    Prog p = {
        call_local(3),          ldx(BPF_DW, R1, R0, 0), mov64_imm(R0, 0),           exit_insn(),
        st(BPF_DW, R10, -8, 1), mov64_reg(R0, R10),     alu64_imm(BPF_ADD, R0, -8), exit_insn()};
    CHECK(faults(run(p), "its function returned"));
}

// Every privilege but allow_ptr_leaks, which lets perfmon programs read
// stack never written, as on Linux.
constexpr uint32_t NO_LEAKS = 0xf & ~KBPF_F_ALLOW_PTR_LEAKS;

fuzz::RunResult run_no_leaks(const Prog& insns) {
    return run(insns, 16, false, 100000, NO_LEAKS);
}

TEST_CASE("uninitialised stack and registers") {
    CHECK(faults(run_no_leaks({ldx(BPF_W, R0, R10, -4), exit_insn()}), "never written"));
    CHECK(faults(run_no_leaks({st(BPF_H, R10, -4, 1), ldx(BPF_W, R0, R10, -4), exit_insn()}),
                 "never written (-2)"));
    CHECK(run({ldx(BPF_W, R0, R10, -4), exit_insn()}).ok);
    CHECK(faults(run({mov64_reg(R0, R3), exit_insn()}), "r3 is read but was never written"));
    // r1-r5 do not survive a helper call.
    CHECK(faults(
        run({mov64_imm(R2, 1), call_helper(BPF_FUNC_ktime_get_ns), mov64_reg(R0, R2), exit_insn()}),
        "r2 is read"));
    // A helper reading stack bytes never written.
    Prog out = cat({{st(BPF_W, R10, -8, 1), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                     mov64_imm(R3, 8), mov64_imm(4, 0)},
                    ld_map_fd(R1, 0),
                    {call_helper(BPF_FUNC_ringbuf_output)},
                    ret0()});
    CHECK(faults(run_no_leaks(out), "ringbuf_output reads stack byte -4"));
    CHECK(run(out).ok);
}

TEST_CASE("records: use after submit, a leak, a release not at the start") {
    CHECK(faults(run(cat({reserve(R7, 8), submit(R7), {st(BPF_B, R7, 0, 1)}, ret0()})),
                 "no longer live"));
    CHECK(faults(run(cat({reserve(R7, 8), ret0()})), "still held"));
    CHECK(faults(run(cat({reserve(R7, 8), {alu64_imm(BPF_ADD, R7, 1)}, submit(R7), ret0()})),
                 "not its start"));
}

TEST_CASE("context: bounds and writability") {
    CHECK(faults(run({ldx(BPF_DW, R0, R1, 16), exit_insn()}), "outside the object (16 bytes)"));
    CHECK(faults(run({st(BPF_W, R1, 0, 1), mov64_imm(R0, 0), exit_insn()}), "read-only"));
    CHECK(run({st(BPF_W, R1, 0, 1), mov64_imm(R0, 0), exit_insn()}, 16, true).ok);
    CHECK(faults(run({ldx(BPF_W, R0, R1, 2), exit_insn()}), "misaligned"));
}

TEST_CASE("scalars and rings are not memory") {
    CHECK(faults(run({mov64_imm(R2, 64), ldx(BPF_B, R0, R2, 0), exit_insn()}), "through a scalar"));
    // A pointer's low half is a number, not a pointer.
    CHECK(
        faults(run({mov32_reg(R2, R10), ldx(BPF_B, R0, R2, -1), exit_insn()}), "through a scalar"));
    CHECK(faults(run(cat({ld_map_fd(R2, 0), {ldx(BPF_B, R0, R2, 0), exit_insn()}})),
                 "through a ring"));
}

TEST_CASE("a program that does not end") {
    CHECK(faults(run({ja(-1)}, 16, false, 1000), "more than 1000 instructions"));
}

TEST_CASE("a helper that writes fewer bytes than its largest size") {
    // The first verifier bug the fuzzer found (docs/testing.md): with a
    // size in [1, 20], get_current_comm writes only that many bytes, so the
    // byte at fp-5 may never be written. The checking interpreter must see it.
    Prog p = {ldx(BPF_H, R2, R1, 0),       alu64_imm(BPF_MOD, R2, 20),
              alu64_imm(BPF_ADD, R2, 1),   mov64_reg(R1, R10),
              alu64_imm(BPF_ADD, R1, -24), call_helper(BPF_FUNC_get_current_comm),
              ldx(BPF_B, R0, R10, -5),     exit_insn()};
    CHECK(faults(run_no_leaks(p), "reads a byte never written (-5)")); // the context's u16 is 0x101
    // With allow_ptr_leaks the verifier takes all the bytes a helper may
    // write for written numbers: here 16, a pointer spilled in the 14 the
    // run leaves included (a fuzz run, seed 20261208, program 761). An
    // atomic operation there reads the pointer's bits as a number.
    Prog spill = {stx(BPF_DW, R10, R1, -8),
                  ldx(BPF_H, R2, R1, 0),
                  alu64_imm(BPF_MOD, R2, 16),
                  alu64_imm(BPF_ADD, R2, 1),
                  mov64_reg(R1, R10),
                  alu64_imm(BPF_ADD, R1, -16),
                  call_helper(BPF_FUNC_get_current_comm),
                  mov64_imm(R2, 1),
                  raw(BPF_STX | BPF_ATOMIC | BPF_DW, R10, R2, -8, BPF_ADD),
                  mov64_imm(R0, 0),
                  exit_insn()};
    fuzz::RunResult leaks = run(spill);
    INFO("fault: ", leaks.fault);
    CHECK(leaks.ok);
    CHECK(faults(run_no_leaks(spill), "an atomic operation on a spilled pointer without"));
}

TEST_CASE("without allow_ptr_leaks no pointer becomes a number") {
    auto leak = [&](const Prog& p) {
        return run(p, 16, true, 1000, NO_LEAKS);
    };
    CHECK(faults(leak({mov32_reg(R0, R10), exit_insn()}), "turns a pointer into a number"));
    CHECK(faults(leak({mov64_reg(R0, R10), alu64_reg(BPF_SUB, R0, R1), exit_insn()}),
                 "turns a pointer into a number"));
    CHECK(faults(leak({mov64_reg(R0, R10), exit_insn()}), "r0 returns a pointer"));
    CHECK(faults(leak({stx(BPF_DW, R1, R10, 0), mov64_imm(R0, 0), exit_insn()}),
                 "stored into the context"));
    CHECK(faults(leak({stx(BPF_DW, R10, R1, -8), ldx(BPF_W, R0, R10, -8), exit_insn()}),
                 "part of a spilled pointer"));
    CHECK(faults(leak({jmp_reg(BPF_JGT, R1, R10, 0), mov64_imm(R0, 0), exit_insn()}), "compared"));
    // A NULL test and pointer arithmetic are fine.
    CHECK(leak({jmp_imm(BPF_JEQ, R1, 0, 0), mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -8),
                st(BPF_DW, R2, 0, 1), mov64_imm(R0, 0), exit_insn()})
              .ok);
}

TEST_CASE("a global function's memory argument: its bytes are numbers from the call on") {
    // The context pointer spilled at fp-8, passed as 8 bytes of memory to a
    // global function that writes none of them; then an atomic add on them.
    Prog insns = {
        stx(BPF_DW, R10, R1, -8),   mov64_reg(R1, R10),
        alu64_imm(BPF_ADD, R1, -8), call_local(4),
        mov64_imm(R2, 1),           raw(BPF_STX | BPF_ATOMIC | BPF_DW, R10, R2, -8, BPF_ADD),
        mov64_imm(R0, 0),           exit_insn(),
        mov64_imm(R0, 0),           exit_insn()};
    auto run_with = [&](uint32_t flags) {
        fuzz::Prog p;
        p.insns = insns;
        p.ctx_size = 16;
        p.flags = flags;
        p.funcs.resize(2);
        p.funcs[1].insn_off = 8;
        p.funcs[1].linkage = KRING_FUNC_GLOBAL;
        p.funcs[1].nr_args = 1;
        p.funcs[1].arg_kinds[0] = KRING_ARG_MEM;
        p.funcs[1].arg_mem_size[0] = 8;
        fuzz::RunConfig c;
        c.ctx.assign(16, 1);
        c.budget = 1000;
        return fuzz::check_run(p, c);
    };
    // The verifier takes them for unknown numbers (the callee may have
    // written them), so the atomic operates on a number, not on a spill.
    fuzz::RunResult leaks = run_with(0xf);
    INFO("fault: ", leaks.fault);
    CHECK(leaks.ok);
    // A spilled pointer that becomes a number is a leak.
    CHECK(faults(run_with(NO_LEAKS), "holds a spilled pointer, without allow_ptr_leaks"));
}

TEST_CASE("a static function may return with r0 unset; its caller may not read it") {
    Prog p = {call_local(2), mov64_imm(R0, 0), exit_insn(), exit_insn()};
    CHECK(run(p).ok);
    p[1] = alu64_imm(BPF_ADD, R0, 1);
    CHECK(faults(run(p), "r0 is read but was never written"));
}
