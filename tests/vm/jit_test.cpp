// The JIT (kmod/kring_jit.c): programs run as machine code from the kernel's
// eBPF JIT by default, in kring's interpreter with KRING_PROG_F_INTERPRETER,
// kring.jit=0 or the kernel's JIT off; both runtimes give the same R0 and
// records: division and modulo by zero, shifts, 32-bit operations,
// bpf-to-bpf calls, and the fuzzer's random programs (the JIT differential,
// which prints "jit-differential: N passed, N failed").
#include "gen.hpp"
#include "insn.hpp"
#include "jit_util.hpp"
#include "linux_bpf.hpp"
#include "vm_util.hpp"

#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <elf.h>
#include <fcntl.h>
#include <fstream>
#include <sched.h>
#include <string>
#include <vector>

using namespace vmtest;
using namespace jitvm;
using namespace insn;

namespace {

// R0 of @insns on @ctx, JIT'd (checked to be) and interpreted: both must agree.
struct Both {
    uint64_t jit = 0, interp = 0;
};

Both run_both(const std::vector<bpf_insn>& insns, const pt_regs& ctx,
              const std::vector<kring_func_info>& funcs = {}) {
    Loaded j = load(insns, 0, funcs), i = load(insns, KRING_PROG_F_INTERPRETER, funcs);
    INFO("JIT load: ", j.log, "\ninterpreter load: ", i.log);
    REQUIRE(j.err == 0);
    REQUIRE(i.err == 0);
    CHECK(info(j.prog.get()).runtime == KRING_RUNTIME_JIT);
    CHECK(info(i.prog.get()).runtime == KRING_RUNTIME_INTERPRETER);
    Both b;
    REQUIRE(test_run(j.prog.get(), ctx, &b.jit) == 0);
    REQUIRE(test_run(i.prog.get(), ctx, &b.interp) == 0);
    return b;
}

// Writes a sysctl or module parameter; returns its old value.
std::string write_knob(const std::string& path, const std::string& value) {
    std::string old;
    std::ifstream(path) >> old;
    std::ofstream out(path);
    out << value;
    out.flush();
    REQUIRE_MESSAGE(out.good(), "write ", path);
    return old;
}

constexpr const char* kJitParam = "/sys/module/kring/parameters/jit";

// @len bytes of kernel memory at @addr, through /proc/kcore's segments.
bool read_kcore(uint64_t addr, void* buf, size_t len) {
    Fd fd(::open("/proc/kcore", O_RDONLY | O_CLOEXEC));
    Elf64_Ehdr eh{};
    if (fd.get() < 0 || ::pread(fd.get(), &eh, sizeof(eh), 0) != sizeof(eh))
        return false;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph{};
        if (::pread(fd.get(), &ph, sizeof(ph), off_t(eh.e_phoff + i * eh.e_phentsize)) !=
            sizeof(ph))
            return false;
        if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr && addr + len <= ph.p_vaddr + ph.p_memsz)
            return ::pread(fd.get(), buf, len, off_t(ph.p_offset + (addr - ph.p_vaddr))) ==
                   ssize_t(len);
    }
    return false;
}

// Whether the running kernel was built with IBT (CONFIG_X86_KERNEL_IBT).
bool kernel_has_ibt() {
    return vmtest::kernel_symbol_address("ibt_selftest") != 0;
}

std::vector<bpf_insn> ret_arg0_plus(int32_t k) {
    return {ldx(BPF_DW, 0, 1, 8), alu64_imm(BPF_ADD, 0, k), exit_insn()};
}

// One runtime's copy of a program: its rings and its fd.
// Whether @prog loads a map or a global (a map of the generator's).
bool uses_maps(const fuzz::Prog& prog) {
    for (const bpf_insn& in : prog.insns)
        if (in.code == (BPF_LD | BPF_IMM | BPF_DW) &&
            (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE) &&
            fuzz::is_map_fd(in.imm))
            return true;
    return false;
}

struct Instance {
    static constexpr uint64_t kRingSize = 1 << 16;
    Fd rings[fuzz::NR_RINGS];
    Fd maps[fuzz::NR_MAPS]; // Linux maps as the generator describes them, if it loads one
    Loaded loaded;

    Instance(const fuzz::Prog& prog, uint32_t flags) {
        std::vector<bpf_insn> insns = prog.insns;
        for (Fd& r : rings)
            r = make_ring(kRingSize);
        for (int32_t m = 0; m < fuzz::NR_MAPS && uses_maps(prog); m++) {
            const fuzz::FuzzMap& d = fuzz::fuzz_map(m);
            maps[m] = Fd(linuxbpf::create_map(static_cast<bpf_map_type>(d.type), d.key_size,
                                              d.value_size, d.max_entries, d.flags));
            REQUIRE(maps[m].get() >= 0);
            uint32_t zero = 0;
            if (d.frozen)
                REQUIRE(linuxbpf::fill_map(maps[m].get(), &zero, fuzz::frozen_value(), true) == 0);
        }
        for (size_t i = 0; i + 1 < insns.size(); i++) {
            bpf_insn& in = insns[i];
            // Ring i and map i are this instance's; a mutant's other fd
            // numbers name no fd in either instance.
            if (in.code == (BPF_LD | BPF_IMM | BPF_DW) &&
                (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE))
                in.imm = in.imm >= 0 && in.imm < fuzz::NR_RINGS ? rings[in.imm].get()
                         : fuzz::is_map_fd(in.imm) ? maps[in.imm - fuzz::NR_RINGS].get()
                                                   : 1 << 30;
            // The clock differs between any two runs: the CPU number instead.
            if (in.code == (BPF_JMP | BPF_CALL) && in.src_reg == 0 &&
                in.imm == BPF_FUNC_ktime_get_ns)
                in.imm = BPF_FUNC_get_smp_processor_id;
        }
        loaded = load(insns, flags, prog.funcs);
    }
    RunOutcome run(const pt_regs& ctx) {
        RunOutcome o;
        o.err = test_run(loaded.prog.get(), ctx, &o.r0);
        return o;
    }
    std::vector<uint8_t> records() { return drain_all(rings, kRingSize); }
    std::vector<uint8_t> map_entries() {
        std::vector<uint8_t> all;
        for (Fd& m : maps) {
            if (m.get() < 0)
                continue; // not made: the program loads no map
            std::vector<uint8_t> one = map_contents(m.get());
            all.insert(all.end(), one.begin(), one.end());
        }
        return all;
    }
};

} // namespace

TEST_CASE("jit: programs run JIT'd by default; the log, KRING_IOC_PROG_INFO and the flag say "
          "how") {
    Loaded j = load(ret_arg0_plus(1), 0);
    REQUIRE_MESSAGE(j.err == 0, j.log);
    CHECK(j.log.find("runtime: jit, ") != std::string::npos);
    kring_prog_info ji = info(j.prog.get());
    CHECK(ji.runtime == KRING_RUNTIME_JIT);
    CHECK(ji.jited_len > 0);
    CHECK(ji.nr_funcs == 1);
    CHECK(ji.jited_addr != 0); // root has CAP_SYSLOG
    CHECK(ji.nr_maps == 0);

    Loaded i = load(ret_arg0_plus(1), KRING_PROG_F_INTERPRETER);
    REQUIRE(i.err == 0);
    CHECK(i.log.find("runtime: interpreter (KRING_PROG_F_INTERPRETER)") != std::string::npos);
    kring_prog_info ii = info(i.prog.get());
    CHECK(ii.runtime == KRING_RUNTIME_INTERPRETER);
    CHECK(ii.jited_len == 0);
    CHECK(ii.jited_addr == 0);

    // 64-bit R0, not bpf_prog_run()'s 32 bits.
    pt_regs ctx{};
    ctx.r14 = 0x123456789abcdef0ULL;
    uint64_t r0 = 0;
    REQUIRE(test_run(j.prog.get(), ctx, &r0, 1000) == 0);
    CHECK(r0 == 0x123456789abcdef1ULL);
    REQUIRE(test_run(i.prog.get(), ctx, &r0, 10) == 0);
    CHECK(r0 == 0x123456789abcdef1ULL);
    // The per-CPU run counters, summed.
    CHECK(info(j.prog.get()).runs == 1000);
    CHECK(info(i.prog.get()).runs == 10);
    CHECK(info(j.prog.get()).misses == 0);
}

// The module calls the image indirectly: with IBT (Debian's 6.12) it must
// land on an endbr64. QEMU's TCG does not enforce IBT, so look at the bytes.
TEST_CASE("jit: the image's entry is an endbr64 on a kernel with IBT") {
    Loaded j = load(ret_arg0_plus(1), 0);
    REQUIRE(j.err == 0);
    uint64_t addr = info(j.prog.get()).jited_addr;
    REQUIRE(addr != 0);
    uint8_t entry[4] = {};
    REQUIRE_MESSAGE(read_kcore(addr, entry, sizeof(entry)), "/proc/kcore at the image");
    const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    bool endbr = std::memcmp(entry, endbr64, sizeof(entry)) == 0, ibt = kernel_has_ibt();
    std::string what = std::string("IBT ") + (ibt ? "on" : "off") + ", the image starts with " +
                       (endbr ? "endbr64" : "no endbr64");
    MESSAGE(what);
    CHECK(endbr == ibt);
}

TEST_CASE("jit: kring.jit=0 and bpf_jit_enable=0 fall back to the interpreter; bpf_jit_harden=2 "
          "still JITs") {
    pt_regs ctx{};
    ctx.r14 = 41;
    uint64_t r0 = 0;
    {
        std::string old = write_knob(kJitParam, "0");
        Loaded l = load(ret_arg0_plus(1), 0);
        write_knob(kJitParam, old);
        REQUIRE(l.err == 0);
        CHECK(l.log.find("runtime: interpreter (kring.jit=0)") != std::string::npos);
        CHECK(info(l.prog.get()).runtime == KRING_RUNTIME_INTERPRETER);
        REQUIRE(test_run(l.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == 42);
    }
    {
        std::string old = write_knob("/proc/sys/net/core/bpf_jit_enable", "0");
        Loaded l = load(ret_arg0_plus(1), 0);
        write_knob("/proc/sys/net/core/bpf_jit_enable", old);
        REQUIRE(l.err == 0);
        CHECK(l.log.find("runtime: interpreter (the kernel's JIT is off or failed)") !=
              std::string::npos);
        CHECK(info(l.prog.get()).runtime == KRING_RUNTIME_INTERPRETER);
        REQUIRE(test_run(l.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == 42);
    }
    {
        // Constant blinding: the kernel JITs a rewritten copy of the program.
        std::string old = write_knob("/proc/sys/net/core/bpf_jit_harden", "2");
        std::vector<bpf_insn> p = {ldx(BPF_DW, 0, 1, 8), alu64_imm(BPF_XOR, 0, 0x5a5a5a5a),
                                   alu32_imm(BPF_ADD, 0, 7)};
        ld_imm64(p, 2, 0x1122334455667788ULL);
        p.push_back(alu64_reg(BPF_ADD, 0, 2));
        p.push_back(jmp_imm(BPF_JEQ, 0, 12345, 1));
        p.push_back(alu64_imm(BPF_MUL, 0, 3));
        p.push_back(exit_insn());
        Both b = run_both(p, ctx);
        write_knob("/proc/sys/net/core/bpf_jit_harden", old);
        CHECK(b.jit == b.interp);
    }
}

TEST_CASE("jit: division and modulo by zero, 32 and 64 bits, as the interpreter") {
    // r0 = r14 OP r13 for every form; the divisor is a register.
    const uint64_t values[] = {0,
                               1,
                               7,
                               0xffffffffULL,
                               1ULL << 32,
                               0x100000007,
                               ~0ULL,
                               0x8000000000000000ULL,
                               0xdeadbeef00000000ULL};
    int checked = 0;
    for (uint8_t op : {BPF_DIV, BPF_MOD}) {
        for (bool is64 : {true, false}) {
            for (bool same : {false, true}) { // dst == src: r0 /= r0
                std::vector<bpf_insn> p = {ldx(BPF_DW, 0, 1, 8), ldx(BPF_DW, 2, 1, 16)};
                uint8_t src = same ? 0 : 2;
                p.push_back(is64 ? alu64_reg(op, 0, src) : alu32_reg(op, 0, src));
                p.push_back(exit_insn());
                for (uint64_t a : values) {
                    for (uint64_t d : values) {
                        pt_regs ctx{};
                        ctx.r14 = a;
                        ctx.r13 = d;
                        Both b = run_both(p, ctx);
                        CAPTURE(op);
                        CAPTURE(is64);
                        CAPTURE(same);
                        CAPTURE(a);
                        CAPTURE(d);
                        CHECK(b.jit == b.interp);
                        uint64_t dv = same ? a : d;
                        if (is64 && !dv)
                            CHECK(b.jit == (op == BPF_DIV ? 0 : a));
                        if (!is64 && !static_cast<uint32_t>(dv))
                            CHECK(b.jit == (op == BPF_DIV ? 0 : static_cast<uint32_t>(a)));
                        checked++;
                    }
                }
            }
        }
    }
    CHECK(checked == 2 * 2 * 2 * 81);
}

TEST_CASE("jit: division guards move jumps and calls: a loop and a call around divisions") {
    // r6 = r14; r7 = r13; for r8 in 5..0: r6 += r6 / r7 % (r8) ...
    std::vector<bpf_insn> p = {
        ldx(BPF_DW, 6, 1, 8),
        ldx(BPF_DW, 7, 1, 16),
        mov64_imm(8, 5),
        // loop:
        mov64_reg(1, 6),
        mov64_reg(2, 7),
        mov64_reg(3, 8),
        call_local(7), // f(r1, r2, r3)
        alu64_reg(BPF_ADD, 6, 0),
        alu32_reg(BPF_MOD, 7, 8),
        alu64_imm(BPF_ADD, 7, 3),
        alu64_imm(BPF_SUB, 8, 1),
        jmp_imm(BPF_JSGE, 8, 0, -9),
        mov64_reg(0, 6),
        exit_insn(),
        // f: r0 = (r1 / r2) % r3 + (r1 w/ r3)
        mov64_reg(0, 1),
        alu64_reg(BPF_DIV, 0, 2),
        alu64_reg(BPF_MOD, 0, 3),
        alu32_reg(BPF_DIV, 1, 3),
        alu64_reg(BPF_ADD, 0, 1),
        exit_insn(),
    };
    for (uint64_t a : {0ULL, 1ULL, 1000ULL, ~0ULL})
        for (uint64_t d : {0ULL, 3ULL, 1ULL << 33}) {
            pt_regs ctx{};
            ctx.r14 = a;
            ctx.r13 = d;
            Both b = run_both(p, ctx);
            CHECK(b.jit == b.interp);
        }
}

TEST_CASE("jit: shifts and 32-bit operations, as the interpreter") {
    // Register shift amounts the verifier cannot bound are masked alike.
    uint8_t ops[] = {BPF_LSH, BPF_RSH, BPF_ARSH, BPF_ADD, BPF_SUB,
                     BPF_MUL, BPF_OR,  BPF_AND,  BPF_XOR, BPF_MOV};
    for (uint8_t op : ops)
        for (bool is64 : {true, false}) {
            std::vector<bpf_insn> p = {ldx(BPF_DW, 0, 1, 8), ldx(BPF_DW, 2, 1, 16)};
            if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
                p.push_back(alu64_imm(BPF_AND, 2, is64 ? 63 : 31));
            p.push_back(is64 ? alu64_reg(op, 0, 2) : alu32_reg(op, 0, 2));
            p.push_back(is64 ? alu64_imm(op, 0, 5) : alu32_imm(op, 0, 5));
            p.push_back(is64 ? alu64_imm(BPF_NEG, 0, 0) : alu32_imm(BPF_NEG, 0, 0));
            p.push_back(endian(true, 0, 32));
            p.push_back(exit_insn());
            for (uint64_t a : {0x8000000080000001ULL, 0x7fffffffffffffffULL, 5ULL})
                for (uint64_t s : {0ULL, 1ULL, 31ULL, 32ULL, 63ULL}) {
                    pt_regs ctx{};
                    ctx.r14 = a;
                    ctx.r13 = s;
                    Both b = run_both(p, ctx);
                    CAPTURE(op);
                    CAPTURE(is64);
                    CHECK(b.jit == b.interp);
                }
        }
}

TEST_CASE("jit: bpf-to-bpf calls, each frame with its own stack, a global function") {
    // main: fp-8 = r14; r0 = f(fp-8) + fp-8 + g(r13)
    // f (static): fp-16 = *r1 * 3; r0 = h(fp-16) + fp-16
    // h (static): *r1 += 1000; r0 = *r1
    // g (global, a scalar argument): fp-256 = r1; r0 = fp-256 ^ 0xff
    std::vector<bpf_insn> p = {
        mov64_reg(6, 1),             // 0: main
        ldx(BPF_DW, 2, 6, 8),        // 1
        stx(BPF_DW, 10, 2, -8),      // 2
        mov64_reg(1, 10),            // 3
        alu64_imm(BPF_ADD, 1, -8),   // 4
        call_local(7),               // 5: f
        ldx(BPF_DW, 2, 10, -8),      // 6
        alu64_reg(BPF_ADD, 0, 2),    // 7
        mov64_reg(7, 0),             // 8
        ldx(BPF_DW, 1, 6, 16),       // 9
        call_local(17),              // 10: g
        alu64_reg(BPF_ADD, 0, 7),    // 11
        exit_insn(),                 // 12
        ldx(BPF_DW, 2, 1, 0),        // 13: f
        alu64_imm(BPF_MUL, 2, 3),    // 14
        stx(BPF_DW, 10, 2, -16),     // 15
        st(BPF_DW, 10, -8, 0),       // 16
        mov64_reg(1, 10),            // 17
        alu64_imm(BPF_ADD, 1, -16),  // 18
        call_local(3),               // 19: h
        ldx(BPF_DW, 2, 10, -16),     // 20
        alu64_reg(BPF_ADD, 0, 2),    // 21
        exit_insn(),                 // 22
        ldx(BPF_DW, 2, 1, 0),        // 23: h
        alu64_imm(BPF_ADD, 2, 1000), // 24
        stx(BPF_DW, 1, 2, 0),        // 25
        mov64_reg(0, 2),             // 26
        exit_insn(),                 // 27
        stx(BPF_DW, 10, 1, -256),    // 28: g
        ldx(BPF_DW, 0, 10, -256),    // 29
        alu64_imm(BPF_XOR, 0, 0xff), // 30
        exit_insn(),                 // 31
    };
    std::vector<kring_func_info> funcs = {
        {0, KRING_FUNC_STATIC, 0, {}, 0, {}},
        {13, KRING_FUNC_STATIC, 0, {}, 0, {}},
        {23, KRING_FUNC_STATIC, 0, {}, 0, {}},
        {28, KRING_FUNC_GLOBAL, 1, {KRING_ARG_SCALAR}, 0, {}},
    };
    pt_regs ctx{};
    ctx.r14 = 5;
    ctx.r13 = 0x1234;
    Loaded j = load(p, 0, funcs);
    REQUIRE_MESSAGE(j.err == 0, j.log);
    CHECK(info(j.prog.get()).nr_funcs == 4);
    CHECK(j.log.find("in 4 functions") != std::string::npos);
    Both b = run_both(p, ctx, funcs);
    CHECK(b.jit == b.interp);
    // f's frame: 5 * 3 = 15; h makes it 1015 and returns it; f returns 2030;
    // main adds its own slot (5) and g's 0x1234 ^ 0xff.
    CHECK(b.jit == 2030 + 5 + (0x1234 ^ 0xff));
}

TEST_CASE("jit: a global function's memory argument: the caller's stack, written by the callee") {
    // main: fp-16 = r14, fp-8 = 0; r0 = f(fp-16) + fp-16 + fp-8 + f(NULL)
    // f (global, 16 bytes of memory): if (!p) return 100;
    //                                 p[1] = p[0] * 2; return p[0] + 1
    std::vector<bpf_insn> p = {
        mov64_reg(6, 1),            // 0: main
        ldx(BPF_DW, 2, 6, 8),       // 1
        stx(BPF_DW, 10, 2, -16),    // 2
        st(BPF_DW, 10, -8, 0),      // 3
        mov64_reg(1, 10),           // 4
        alu64_imm(BPF_ADD, 1, -16), // 5
        call_local(9),              // 6: f
        mov64_reg(7, 0),            // 7
        ldx(BPF_DW, 2, 10, -16),    // 8
        alu64_reg(BPF_ADD, 7, 2),   // 9
        ldx(BPF_DW, 2, 10, -8),     // 10
        alu64_reg(BPF_ADD, 7, 2),   // 11
        mov64_imm(1, 0),            // 12
        call_local(2),              // 13: f(NULL)
        alu64_reg(BPF_ADD, 0, 7),   // 14
        exit_insn(),                // 15
        mov64_imm(0, 100),          // 16: f
        jmp_imm(BPF_JEQ, 1, 0, 5),  // 17
        ldx(BPF_DW, 2, 1, 0),       // 18
        mov64_reg(0, 2),            // 19
        alu64_imm(BPF_ADD, 0, 1),   // 20
        alu64_imm(BPF_MUL, 2, 2),   // 21
        stx(BPF_DW, 1, 2, 8),       // 22
        exit_insn(),                // 23
    };
    kring_func_info f{16, KRING_FUNC_GLOBAL, 1, {KRING_ARG_MEM}, 0, {16}};
    std::vector<kring_func_info> funcs = {{0, KRING_FUNC_STATIC, 0, {}, 0, {}}, f};
    pt_regs ctx{};
    ctx.r14 = 21;
    Both b = run_both(p, ctx, funcs);
    CHECK(b.jit == b.interp);
    // f gives 22 and makes fp-8 42; main adds 21, 42 and f(NULL)'s 100.
    CHECK(b.jit == 22 + 21 + 42 + 100);
}

TEST_CASE("jit: a loader built before memory arguments: func-info records of 12 bytes") {
    // main: r0 = g(r14); g (global, a number): r0 = r1 * 2.
    std::vector<bpf_insn> p = {
        ldx(BPF_DW, 1, 1, 8),     call_local(1), exit_insn(), mov64_reg(0, 1),
        alu64_imm(BPF_MUL, 0, 2), exit_insn()};
    const kring_func_info funcs[] = {{0, KRING_FUNC_STATIC, 0, {}, 0, {}},
                                     {3, KRING_FUNC_GLOBAL, 1, {KRING_ARG_SCALAR}, 0, {}}};
    // KRING_IOC_PROG_LOAD_V1's layout: each record its first 12 bytes, the
    // next right after (read as whole structs, the second would be garbage).
    std::vector<uint8_t> records(2 * KRING_FUNC_INFO_V1_SIZE, 0xff);
    for (size_t k = 0; k < 2; k++)
        std::memcpy(records.data() + k * KRING_FUNC_INFO_V1_SIZE, &funcs[k],
                    KRING_FUNC_INFO_V1_SIZE);
    Fd dev = open_device();
    kring_prog_load req{};
    req.insns = reinterpret_cast<uint64_t>(p.data());
    req.insn_cnt = static_cast<uint32_t>(p.size());
    req.attach_type = KRING_ATTACH_KPROBE;
    req.func_info = reinterpret_cast<uint64_t>(records.data());
    req.func_info_cnt = 2;
    Fd prog(::ioctl(dev.get(), KRING_IOC_PROG_LOAD_V1, &req));
    REQUIRE_MESSAGE(prog.get() >= 0, strerror(errno));
    CHECK(info(prog.get()).nr_funcs == 2);
    pt_regs ctx{};
    ctx.r14 = 21;
    uint64_t r0 = 0;
    REQUIRE(test_run(prog.get(), ctx, &r0) == 0);
    CHECK(r0 == 42);
}

// The fuzzer's programs (tests/fuzz/gen.cpp) and near misses of them, loaded
// with CAP_BPF alone (no pointer leaks, no uninitialised stack: what either
// runtime would show of its own addresses or stack), each accepted one run
// JIT'd and interpreted on the same contexts.
TEST_CASE("jit: the differential: random programs, JIT'd and interpreted, same R0 and records") {
    int status = in_child([] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        sched_setaffinity(0, sizeof(one), &one); // get_smp_processor_id alike
        if (!keep_only_caps({CAP_BPF}))
            return 98;
        constexpr uint64_t seed = 20261215;
        constexpr int mutants = 2, runs = 4;
        // A PREEMPT_RT kernel JITs with the same code as its non-RT twin,
        // whose run covers the programs in full; there, under TCG, each
        // program's rings and load cost about eight times as much (docs/testing.md):
        // the first quarter.
        const int programs = vmtest::kernel_is_preempt_rt() ? 250 : 1000;
        fuzz::GenOptions options;
        options.ctx_size = sizeof(pt_regs);
        fuzz::Rng rng(seed);
        unsigned long passed = 0, failed = 0, refused = 0, jited = 0, calls = 0, divs = 0,
                      with_maps = 0;
        for (int i = 0; i < programs; i++) {
            fuzz::Prog p = fuzz::generate(rng, options);
            for (int m = 0; m <= mutants; m++) {
                fuzz::Prog q = m == 0 ? p : fuzz::mutate(p, rng);
                Instance j(q, 0), in(q, KRING_PROG_F_INTERPRETER);
                if (j.loaded.err != in.loaded.err) {
                    failed++;
                    printf("JIT-FAIL program %d.%d: load %s JIT'd, %s interpreted\n", i, m,
                           strerror(j.loaded.err), strerror(in.loaded.err));
                    continue;
                }
                if (j.loaded.err) {
                    refused++;
                    continue;
                }
                kring_prog_info ji{};
                ::ioctl(j.loaded.prog.get(), KRING_IOC_PROG_INFO, &ji);
                if (ji.runtime != KRING_RUNTIME_JIT) {
                    failed++;
                    printf("JIT-FAIL program %d.%d: not JIT'd: %s\n", i, m, j.loaded.log.c_str());
                    continue;
                }
                jited++;
                calls += ji.nr_funcs > 1;
                with_maps += uses_maps(q);
                for (const bpf_insn& in2 : q.insns)
                    if ((BPF_CLASS(in2.code) == BPF_ALU || BPF_CLASS(in2.code) == BPF_ALU64) &&
                        (BPF_OP(in2.code) == BPF_DIV || BPF_OP(in2.code) == BPF_MOD) &&
                        BPF_SRC(in2.code) == BPF_X) {
                        divs++;
                        break;
                    }
                std::vector<uint64_t> interesting = fuzz::interesting_values(q);
                std::string why;
                for (int r = 0; r < runs && why.empty(); r++) {
                    pt_regs ctx{};
                    auto* words = reinterpret_cast<uint64_t*>(&ctx);
                    for (size_t w = 0; w < sizeof(ctx) / 8; w++)
                        words[w] = r == 0 ? 0
                                   : rng.chance(50) && !interesting.empty()
                                       ? rng.pick(interesting)
                                       : rng.pick(fuzz::boundary_values());
                    why = run_difference(r, j.run(ctx), in.run(ctx));
                }
                if (why.empty() && j.records() != in.records())
                    why = "different records";
                if (why.empty() && j.map_entries() != in.map_entries())
                    why = "different map entries";
                if (why.empty()) {
                    passed++;
                } else {
                    failed++;
                    printf("JIT-FAIL program %d.%d: %s\n%s", i, m, why.c_str(),
                           fuzz::disassemble(q).c_str());
                }
            }
        }
        printf("jit-differential (seed %llu): %lu JIT'd (%lu with calls, %lu dividing by a "
               "register, %lu with maps or globals), %lu refused by the verifier\n",
               static_cast<unsigned long long>(seed), jited, calls, divs, with_maps, refused);
        printf("jit-differential: %lu passed, %lu failed\n", passed, failed);
        fflush(stdout);
        return failed ? 1 : (passed && with_maps ? 0 : 2);
    });
    CHECK(status == 0);
}

// Without CAP_PERFMON the JIT's copy gets a speculation barrier after each
// 8-byte register store (a pointer spill): the program still computes the
// same, and its image is longer than root's.
TEST_CASE("jit: CAP_BPF alone: pointer spills get a barrier, results unchanged") {
    std::vector<bpf_insn> p = {
        stx(BPF_DW, 10, 1, -8),  // spill the context pointer
        st(BPF_DW, 10, -16, 7),  // a number
        ldx(BPF_DW, 2, 10, -8),  // fill it
        ldx(BPF_DW, 0, 2, 8),    // r14: the input
        ldx(BPF_DW, 3, 10, -16), // 7
        alu64_reg(BPF_ADD, 0, 3), exit_insn(),
    };
    Loaded root = load(p, 0);
    REQUIRE_MESSAGE(root.err == 0, root.log);
    uint32_t root_len = info(root.prog.get()).jited_len;
    int status = in_child([&] {
        if (!keep_only_caps({CAP_BPF}))
            return 98;
        Loaded l = load(p, 0);
        if (l.err)
            return 10;
        kring_prog_info i{};
        if (::ioctl(l.prog.get(), KRING_IOC_PROG_INFO, &i) != 0 || i.runtime != KRING_RUNTIME_JIT)
            return 11;
        if (i.jited_len <= root_len || i.jited_addr != 0) // no CAP_SYSLOG: no address
            return 12;
        pt_regs ctx{};
        ctx.r14 = 35;
        uint64_t r0 = 0;
        if (test_run(l.prog.get(), ctx, &r0) != 0 || r0 != 42)
            return 13;
        return 0;
    });
    CHECK(status == 0);
}
