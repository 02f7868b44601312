// Soundness of the scalar bounds domain (kmod/bpf/scalar.c) against concrete
// semantics: every transfer function's result must contain every concrete
// outcome, a refinement must keep every pair for which the branch goes that
// way, and a "known" branch outcome must hold for every pair.
//
// Exhaustive where it can be: the width-generic core (struct kbpf_range) is
// run at small widths over families of abstract values (every unsigned
// interval, every signed interval and every tnum, each completed by
// kbpf_range_deduce) with every member:
//   - deduce at 8 bits: all 72353 family values, all 256 values each;
//   - ALU, branch outcome and refinement at 4 bits: all pairs of family
//     values (353^2), all member pairs, all 12 ALU ops and 11 conditions;
//   - ALU and refinement with a constant operand at 5 bits.
// (At 8 bits the pairs of intervals alone are 2^30, each with up to 2^16
// member pairs: beyond any test run; the widths above keep this under ~15 s
// with sanitizers.)
// The 64-bit register with its 32-bit views (sync, zero-extension, JMP32)
// is checked by lockstep random programs: a concrete value and its abstract
// scalar go through the same operations and refinements, and the value must
// stay inside all five views.
extern "C" {
#include "alu.h"
#include "scalar.h"
}

#include <algorithm>
#include <cstdint>
#include <doctest/doctest.h>
#include <iterator>
#include <random>
#include <vector>

namespace {

const uint8_t kAluOps[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD,  BPF_OR,
                           BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH, BPF_NEG};
const uint8_t kConds[] = {BPF_JEQ,  BPF_JNE,  BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
                          BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET};

uint64_t mask_of(unsigned bits) {
    return tnum_width_mask(bits);
}

int64_t sext(uint64_t x, unsigned bits) {
    unsigned shift = 64 - bits;
    return static_cast<int64_t>(x << shift) >> shift;
}

// Linux's ALU semantics at a width of `bits`.
uint64_t alu_at(uint8_t op, uint64_t x, uint64_t y, unsigned bits) {
    uint64_t m = mask_of(bits);
    unsigned k = static_cast<unsigned>(y & (bits - 1));
    x &= m;
    y &= m;
    switch (op) {
    case BPF_ADD:
        return (x + y) & m;
    case BPF_SUB:
        return (x - y) & m;
    case BPF_MUL:
        return (x * y) & m;
    case BPF_DIV:
        return y ? x / y : 0;
    case BPF_MOD:
        return y ? x % y : x;
    case BPF_OR:
        return x | y;
    case BPF_AND:
        return x & y;
    case BPF_XOR:
        return x ^ y;
    case BPF_LSH:
        return (x << k) & m;
    case BPF_RSH:
        return x >> k;
    case BPF_ARSH:
        return static_cast<uint64_t>(sext(x, bits) >> k) & m;
    case BPF_NEG:
        return (0 - x) & m;
    }
    FAIL("unknown op");
    return 0;
}

bool cond_at(uint8_t op, uint64_t x, uint64_t y, unsigned bits) {
    int64_t sx = sext(x, bits), sy = sext(y, bits);
    switch (op) {
    case BPF_JEQ:
        return x == y;
    case BPF_JNE:
        return x != y;
    case BPF_JGT:
        return x > y;
    case BPF_JGE:
        return x >= y;
    case BPF_JLT:
        return x < y;
    case BPF_JLE:
        return x <= y;
    case BPF_JSGT:
        return sx > sy;
    case BPF_JSGE:
        return sx >= sy;
    case BPF_JSLT:
        return sx < sy;
    case BPF_JSLE:
        return sx <= sy;
    case BPF_JSET:
        return (x & y) != 0;
    }
    FAIL("unknown condition");
    return false;
}

struct Abstract {
    kbpf_range range;
    std::vector<uint64_t> members;
};

// Every unsigned interval, signed interval and tnum at `bits`, deduced.
std::vector<Abstract> family(unsigned bits) {
    std::vector<kbpf_range> seeds;
    const uint64_t m = mask_of(bits);
    kbpf_range r;
    for (uint64_t lo = 0; lo <= m; lo++)
        for (uint64_t hi = lo; hi <= m; hi++) {
            kbpf_range_unknown(&r, bits);
            r.umin = lo;
            r.umax = hi;
            seeds.push_back(r);
            kbpf_range_unknown(&r, bits);
            r.smin = sext(lo, bits) <= sext(hi, bits) ? sext(lo, bits) : sext(hi, bits);
            r.smax = sext(lo, bits) <= sext(hi, bits) ? sext(hi, bits) : sext(lo, bits);
            seeds.push_back(r);
        }
    for (uint64_t mask = 0; mask <= m; mask++)
        for (uint64_t value = 0; value <= m; value++)
            if (!(value & mask)) {
                kbpf_range_unknown(&r, bits);
                r.t = tnum{value, mask};
                seeds.push_back(r);
            }
    std::vector<Abstract> out;
    for (kbpf_range seed : seeds) {
        Abstract a{seed, {}};
        kbpf_range_deduce(&a.range, bits);
        REQUIRE_FALSE(kbpf_range_is_empty(&a.range, bits));
        for (uint64_t x = 0; x <= m; x++)
            if (kbpf_range_contains(&a.range, x, bits))
                a.members.push_back(x);
        out.push_back(a);
    }
    return out;
}

std::vector<Abstract> constants(unsigned bits) {
    std::vector<Abstract> out;
    for (uint64_t c = 0; c <= mask_of(bits); c++) {
        Abstract a{{}, {c}};
        kbpf_range_const(&a.range, c, bits);
        out.push_back(a);
    }
    return out;
}

// Counts (a, b, x, y) whose outcome escapes kbpf_range_alu.
uint64_t unsound_alu(const std::vector<Abstract>& as, const std::vector<Abstract>& bs,
                     unsigned bits) {
    uint64_t escaped = 0;
    for (uint8_t op : kAluOps)
        for (const Abstract& a : as)
            for (const Abstract& b : bs) {
                kbpf_range r;
                kbpf_range_alu(&r, &a.range, &b.range, op, bits);
                for (uint64_t x : a.members)
                    for (uint64_t y : b.members)
                        if (!kbpf_range_contains(&r, alu_at(op, x, y, bits), bits))
                            escaped++;
            }
    return escaped;
}

// Counts wrong certainties of branch_taken and pairs lost by refine.
uint64_t unsound_branches(const std::vector<Abstract>& as, const std::vector<Abstract>& bs,
                          unsigned bits) {
    uint64_t wrong = 0;
    for (uint8_t op : kConds)
        for (const Abstract& a : as)
            for (const Abstract& b : bs) {
                int known = kbpf_range_branch_taken(&a.range, &b.range, op);
                for (int taken = 0; taken <= 1; taken++) {
                    kbpf_range na = a.range, nb = b.range;
                    kbpf_range_refine(&na, &nb, op, taken, bits);
                    bool empty = kbpf_range_is_empty(&na, bits) || kbpf_range_is_empty(&nb, bits);
                    for (uint64_t x : a.members)
                        for (uint64_t y : b.members) {
                            if (cond_at(op, x, y, bits) != static_cast<bool>(taken))
                                continue;
                            if (known >= 0 && known != taken)
                                wrong++;
                            if (empty || !kbpf_range_contains(&na, x, bits) ||
                                !kbpf_range_contains(&nb, y, bits))
                                wrong++;
                        }
                }
            }
    return wrong;
}

TEST_CASE("deduce keeps every member (8 bits, exhaustive)") {
    const unsigned bits = 8;
    const uint64_t m = mask_of(bits);
    uint64_t lost = 0, checked = 0;
    auto check = [&](kbpf_range seed) {
        kbpf_range r = seed;
        kbpf_range_deduce(&r, bits);
        for (uint64_t x = 0; x <= m; x++) {
            if (!kbpf_range_contains(&seed, x, bits))
                continue;
            checked++;
            if (kbpf_range_is_empty(&r, bits) || !kbpf_range_contains(&r, x, bits))
                lost++;
        }
    };
    kbpf_range r;
    for (uint64_t lo = 0; lo <= m; lo++)
        for (uint64_t hi = lo; hi <= m; hi++) {
            kbpf_range_unknown(&r, bits);
            r.umin = lo;
            r.umax = hi;
            check(r);
            kbpf_range_unknown(&r, bits);
            r.smin = std::min(sext(lo, bits), sext(hi, bits));
            r.smax = std::max(sext(lo, bits), sext(hi, bits));
            check(r);
        }
    for (uint64_t mask = 0; mask <= m; mask++)
        for (uint64_t value = 0; value <= m; value++)
            if (!(value & mask)) {
                kbpf_range_unknown(&r, bits);
                r.t = tnum{value, mask};
                check(r);
            }
    MESSAGE("deduce: " << checked << " members checked");
    CHECK(lost == 0);
}

TEST_CASE("ALU transfer functions are sound (4 bits, all pairs)") {
    const auto fam = family(4);
    CHECK(unsound_alu(fam, fam, 4) == 0);
}

TEST_CASE("ALU with a constant operand is sound (5 bits)") {
    const auto fam = family(5);
    const auto consts = constants(5);
    CHECK(unsound_alu(fam, consts, 5) == 0);
    CHECK(unsound_alu(consts, fam, 5) == 0);
}

TEST_CASE("branch outcomes and refinements are sound (4 bits, all pairs)") {
    const auto fam = family(4);
    CHECK(unsound_branches(fam, fam, 4) == 0);
}

TEST_CASE("refinement against a constant is sound (5 bits)") {
    const auto fam = family(5);
    const auto consts = constants(5);
    CHECK(unsound_branches(fam, consts, 5) == 0);
    CHECK(unsound_branches(consts, fam, 5) == 0);
}

TEST_CASE("a deliberately wrong transfer function is caught") {
    // ADD that forgets the carry out of the low bit: must be reported.
    const auto fam = family(4);
    uint64_t escaped = 0;
    for (const Abstract& a : fam)
        for (const Abstract& b : fam) {
            kbpf_range r;
            kbpf_range_alu(&r, &a.range, &b.range, BPF_OR, 4);
            for (uint64_t x : a.members)
                for (uint64_t y : b.members)
                    if (!kbpf_range_contains(&r, alu_at(BPF_ADD, x, y, 4), 4))
                        escaped++;
        }
    CHECK(escaped > 0);
}

bool scalar_contains(const kbpf_scalar& s, uint64_t x) {
    return tnum_contains(s.var_off, x) && x >= s.umin && x <= s.umax &&
           static_cast<int64_t>(x) >= s.smin && static_cast<int64_t>(x) <= s.smax &&
           static_cast<uint32_t>(x) >= s.u32_min && static_cast<uint32_t>(x) <= s.u32_max &&
           static_cast<int32_t>(x) >= s.s32_min && static_cast<int32_t>(x) <= s.s32_max;
}

// Values near the edges where bugs live: 0, the 32-bit and sign boundaries.
uint64_t interesting(std::mt19937_64& rng) {
    static const uint64_t bases[] = {0,
                                     0x7fffffffULL,
                                     0x80000000ULL,
                                     0xffffffffULL,
                                     0x100000000ULL,
                                     0x7fffffffffffffffULL,
                                     0x8000000000000000ULL,
                                     ~0ULL};
    switch (rng() % 4) {
    case 0:
        return bases[rng() % 8] + (rng() % 9) - 4;
    case 1:
        return rng() % 64;
    case 2:
        return rng();
    default:
        return rng() & 0xffffffffULL;
    }
}

TEST_CASE("64-bit registers with 32-bit views: lockstep random programs") {
    std::mt19937_64 rng(20261124);
    uint64_t steps = 0, escapes = 0;
    for (int program = 0; program < 20000; program++) {
        uint64_t x = interesting(rng);
        kbpf_scalar s;
        kbpf_scalar_set_unknown(&s);
        for (int step = 0; step < 12; step++, steps++) {
            uint64_t y = interesting(rng);
            kbpf_scalar t;
            // The other operand: a constant, or unknown narrowed around y.
            if (rng() % 2) {
                kbpf_scalar_set_const(&t, y);
            } else {
                kbpf_scalar_set_unknown(&t);
                kbpf_scalar lim;
                kbpf_scalar_set_const(&lim, y + rng() % 5);
                if (y + 4 > y)
                    kbpf_scalar_refine(&t, &lim, BPF_JLE, false, true);
            }
            bool jmp32 = rng() % 2;
            switch (rng() % 4) {
            case 0:
            case 1: {
                uint8_t op = kAluOps[rng() % std::size(kAluOps)];
                bool alu64 = rng() % 2;
                uint64_t out = 0;
                if (alu64)
                    kbpf_alu64(op, x, y, &out);
                else
                    kbpf_alu32(op, x, y, &out);
                kbpf_scalar_alu(&s, &t, op, alu64);
                x = out;
                break;
            }
            case 2: {
                uint8_t op = kConds[rng() % std::size(kConds)];
                bool taken = false;
                kbpf_jmp_cond(op, x, y, jmp32, &taken);
                int known = kbpf_scalar_branch_taken(&s, &t, op, jmp32);
                if (known >= 0 && known != taken)
                    escapes++;
                if (!kbpf_scalar_refine(&s, &t, op, jmp32, taken))
                    escapes++;
                break;
            }
            default: {
                kbpf_scalar_zext32(&s, &s);
                x = static_cast<uint32_t>(x);
                break;
            }
            }
            if (!scalar_contains(s, x)) {
                escapes++;
                break;
            }
        }
    }
    MESSAGE("lockstep: " << steps << " steps");
    CHECK(escapes == 0);
}

TEST_CASE("precision: bounds that make programs verifiable") {
    kbpf_scalar a, b;
    SUBCASE("[0, 10] + 5 = [5, 15]") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_set_const(&b, 10);
        REQUIRE(kbpf_scalar_refine(&a, &b, BPF_JLE, false, true));
        kbpf_scalar_set_const(&b, 5);
        kbpf_scalar_alu(&a, &b, BPF_ADD, true);
        CHECK(a.umin == 5);
        CHECK(a.umax == 15);
        CHECK(a.smin == 5);
    }
    SUBCASE("after if r < 16 the fall-through is >= 16 and the jump < 16") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_set_const(&b, 16);
        kbpf_scalar fall = a, c = b;
        REQUIRE(kbpf_scalar_refine(&a, &b, BPF_JLT, false, true));
        CHECK(a.umax == 15);
        REQUIRE(kbpf_scalar_refine(&fall, &c, BPF_JLT, false, false));
        CHECK(fall.umin == 16);
    }
    SUBCASE("an ALU32 result fits in 32 bits") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_set_const(&b, 3);
        kbpf_scalar_alu(&a, &b, BPF_MUL, false);
        CHECK(a.umax <= 0xffffffffULL);
        CHECK(a.smin >= 0);
    }
    SUBCASE("AND with a mask bounds the value") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_set_const(&b, 0xff);
        kbpf_scalar_alu(&a, &b, BPF_AND, true);
        CHECK(a.umax == 0xff);
        CHECK(a.var_off.mask == 0xff);
    }
    SUBCASE("a JMP32 bound reaches the 64-bit bounds when the upper half is zero") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_zext32(&a, &a);
        kbpf_scalar_set_const(&b, 100);
        REQUIRE(kbpf_scalar_refine(&a, &b, BPF_JLT, true, true));
        CHECK(a.umax == 99);
    }
    SUBCASE("a JMP32 bound alone says nothing about an unknown upper half") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_set_const(&b, 100);
        REQUIRE(kbpf_scalar_refine(&a, &b, BPF_JLT, true, true));
        CHECK(a.u32_max == 99);
        // Only the tnum's low bits help: the upper half stays unknown.
        CHECK(a.umax > 0xffffffffULL);
    }
    SUBCASE("an impossible branch is reported") {
        kbpf_scalar_set_const(&a, 7);
        kbpf_scalar_set_const(&b, 7);
        CHECK_FALSE(kbpf_scalar_refine(&a, &b, BPF_JNE, false, true));
    }
    SUBCASE("subsumption is interval and tnum inclusion") {
        kbpf_scalar_set_unknown(&a);
        kbpf_scalar_set_const(&b, 5);
        CHECK(kbpf_scalar_subsumes(&a, &b));
        CHECK_FALSE(kbpf_scalar_subsumes(&b, &a));
    }
}

} // namespace
