// The random-program generator: programs biased to where verifiers break.
// See docs/testing.md ("The verifier fuzzer").
#pragma once

#include "prog.hpp"

#include <cstdint>
#include <vector>

namespace fuzz {

// splitmix64: the same numbers on every platform for a seed.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    int range(int lo, int hi) {
        return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo + 1)));
    }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }

private:
    uint64_t s_;
};

// Values at the edges of 8-, 16-, 32- and 64-bit, signed and unsigned.
const std::vector<uint64_t>& boundary_values();

// What the generated programs are like.
struct GenOptions {
    // Programs as Linux verifies a kprobe program loaded by root, for the
    // differential against Linux's verifier (tests/vm/verifier_diff_test.cpp):
    // the context is x86-64's struct pt_regs (168 bytes, read-only) and every
    // privilege is on.
    bool linux_kprobe = false;
    // A read-only context of this size, a kring attach point's (0: any),
    // for programs the module loads (tests/vm/jit_test.cpp).
    uint32_t ctx_size = 0;
};

// sizeof(struct pt_regs) on x86-64: a kprobe program's context in Linux.
constexpr uint32_t PT_REGS_SIZE = 168;

// A new program from scratch.
Prog generate(Rng& rng, const GenOptions& options = {});

// A near miss of @prog: one or two instructions changed slightly (an
// immediate or offset by one, a condition, a width, a size, a register).
Prog mutate(const Prog& prog, Rng& rng);

// The constants @prog uses, each with its neighbours (c - 1, c + 1, -c, the
// 32-bit halves): what a context should hold to reach its boundaries.
std::vector<uint64_t> interesting_values(const Prog& prog);

} // namespace fuzz
