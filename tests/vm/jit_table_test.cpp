// The JIT differential over the verifier's table (tests/verifier): every
// case the table accepts is loaded into the module twice, JIT'd and
// interpreted, and run on the same contexts: the same R0, errors and
// records. As the random programs' differential (jit_test.cpp), in a child
// with CAP_BPF alone, pinned to CPU 0, ktime_get_ns calls made
// get_smp_processor_id. Prints "jit-differential (verifier table): N
// passed, N failed".
#include "jit_util.hpp"

#include <cstdio>
#include <random>
#include <sched.h>

// Last, as there: its C headers define function-like macros (max, swap).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#define KRING_VERIFIER_TABLE_ONLY
#include "../verifier/verifier_table_test.cpp"
#pragma GCC diagnostic pop

namespace {

// The exec context: read-only, 96 bytes, the largest of the attach points;
// a program verified against a smaller read-only context is valid on it.
constexpr uint32_t kTableCtxSize = sizeof(kring_ctx_exec);

struct TableInstance {
    static constexpr uint64_t kRingSize = 1 << 16;
    vmtest::Fd rings[2];
    jitvm::Loaded loaded;

    TableInstance(const Case& c, uint32_t flags) {
        Prog insns = c.prog;
        for (vmtest::Fd& r : rings)
            r = vmtest::make_ring(kRingSize);
        for (size_t i = 0; i + 1 < insns.size(); i++) {
            bpf_insn& in = insns[i];
            if (in.code == (BPF_LD | BPF_IMM | BPF_DW) && in.src_reg == BPF_PSEUDO_MAP_FD)
                in.imm = in.imm == RING || in.imm == RING2 ? rings[in.imm == RING2].get() : 1 << 30;
            if (in.code == (BPF_JMP | BPF_CALL) && in.src_reg == 0 &&
                in.imm == BPF_FUNC_ktime_get_ns)
                in.imm = BPF_FUNC_get_smp_processor_id;
        }
        loaded = jitvm::load(insns, flags, c.funcs, KRING_ATTACH_SCHED_PROCESS_EXEC);
    }
    jitvm::RunOutcome run(const std::vector<uint8_t>& ctx) {
        jitvm::RunOutcome o;
        o.err = jitvm::test_run_raw(loaded.prog.get(), ctx.data(),
                                    static_cast<uint32_t>(ctx.size()), &o.r0);
        return o;
    }
    std::vector<uint8_t> records() { return jitvm::drain_all(rings, kRingSize); }
};

} // namespace

TEST_CASE("jit: the verifier table's accepted programs, JIT'd and interpreted, same R0 and "
          "records") {
    int status = vmtest::in_child([] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        sched_setaffinity(0, sizeof(one), &one);
        if (!vmtest::keep_only_caps({CAP_BPF}))
            return 98;
        std::mt19937_64 rng(20261216);
        unsigned long passed = 0, failed = 0, refused = 0, other_ctx = 0, calls = 0;
        for (const Group& group : groups) {
            for (const Case& c : group.cases()) {
                if (c.err != 0)
                    continue;
                if (c.ctx.writable || c.ctx.size > kTableCtxSize) {
                    other_ctx++;
                    continue;
                }
                TableInstance j(c, 0), in(c, KRING_PROG_F_INTERPRETER);
                if (j.loaded.err != in.loaded.err) {
                    failed++;
                    printf("JIT-FAIL table case \"%s\": load %s JIT'd, %s interpreted\n",
                           c.name.c_str(), strerror(j.loaded.err), strerror(in.loaded.err));
                    continue;
                }
                if (j.loaded.err) { // it needs more than CAP_BPF
                    refused++;
                    continue;
                }
                kring_prog_info ji{};
                ::ioctl(j.loaded.prog.get(), KRING_IOC_PROG_INFO, &ji);
                if (ji.runtime != KRING_RUNTIME_JIT) {
                    failed++;
                    printf("JIT-FAIL table case \"%s\": not JIT'd: %s\n", c.name.c_str(),
                           j.loaded.log.c_str());
                    continue;
                }
                calls += ji.nr_funcs > 1;
                std::string why;
                for (int r = 0; r < 4 && why.empty(); r++) {
                    std::vector<uint8_t> ctx(kTableCtxSize, 0);
                    for (uint8_t& b : ctx)
                        b = r == 0 ? 0 : r == 1 ? 0xff : static_cast<uint8_t>(rng());
                    why = jitvm::run_difference(r, j.run(ctx), in.run(ctx));
                }
                if (why.empty() && j.records() != in.records())
                    why = "different records";
                if (why.empty()) {
                    passed++;
                } else {
                    failed++;
                    printf("JIT-FAIL table case \"%s\": %s\n", c.name.c_str(), why.c_str());
                }
            }
        }
        printf("jit-differential (verifier table): %lu JIT'd (%lu with calls); %lu need more "
               "than CAP_BPF, %lu a writable or larger context\n",
               passed + failed, calls, refused, other_ctx);
        printf("jit-differential (verifier table): %lu passed, %lu failed\n", passed, failed);
        fflush(stdout);
        return failed ? 1 : (passed ? 0 : 2);
    });
    CHECK(status == 0);
}
