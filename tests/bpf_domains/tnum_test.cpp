// Soundness of every tnum operation, checked exhaustively at small widths
// against the concrete operation: for all tnums a, b and all members x of a
// and y of b, op(x, y) must be a member of op(a, b).
//
// Widths: unary operations, shifts and tnum_range are checked at 8 bits
// (all 3^8 = 6561 tnums, all shift amounts, all 32896 ranges). Binary
// operations are checked at 6 bits: all 729^2 tnum pairs with all their
// members, 4^6 * 4^6 = 16.8M concrete pairs per operation (at 8 bits it
// would be 4.3G, too slow for every `make check`). The operations are tested
// at 64 bits with the result truncated to the test width, which is exactly
// how the verifier uses them for 32-bit subregisters; see tnum.h.
extern "C" {
#include "tnum.h"
}

#include <cstdint>
#include <doctest/doctest.h>
#include <functional>
#include <string>
#include <vector>

namespace {

std::vector<tnum> all_tnums(unsigned bits) {
    std::vector<tnum> out;
    uint64_t width = tnum_width_mask(bits);
    for (uint64_t mask = 0; mask <= width; mask++)
        for (uint64_t value = 0; value <= width; value++)
            if (!(value & mask))
                out.push_back(tnum{value, mask});
    return out;
}

// Calls f(x) for every member x of t.
template <typename F>
void for_each_member(tnum t, F&& f) {
    uint64_t sub = 0;
    do {
        f(t.value | sub);
        sub = (sub - t.mask) & t.mask; // next subset of the mask
    } while (sub);
}

bool well_formed(tnum t) {
    return !(t.value & t.mask);
}

using BinaryAbstract = std::function<tnum(tnum, tnum)>;
using BinaryConcrete = std::function<uint64_t(uint64_t, uint64_t)>;

// Returns the number of concrete pairs that escaped the abstract result.
uint64_t unsound_pairs(unsigned bits, const BinaryAbstract& abstract,
                       const BinaryConcrete& concrete) {
    const auto tnums = all_tnums(bits);
    const uint64_t width = tnum_width_mask(bits);
    uint64_t escaped = 0;
    for (tnum a : tnums)
        for (tnum b : tnums) {
            tnum r = tnum_truncate(abstract(a, b), bits);
            if (!well_formed(r))
                return UINT64_MAX;
            for_each_member(a, [&](uint64_t x) {
                for_each_member(
                    b, [&](uint64_t y) { escaped += !tnum_contains(r, concrete(x, y) & width); });
            });
        }
    return escaped;
}

} // namespace

TEST_CASE("tnum enumeration covers 3^n tnums") {
    CHECK(all_tnums(6).size() == 729);
    CHECK(all_tnums(8).size() == 6561);
    int members = 0;
    for_each_member(tnum{0b100, 0b011}, [&](uint64_t x) { members += x >= 4 && x <= 7; });
    CHECK(members == 4);
}

TEST_CASE("add, sub, mul are sound (6-bit, exhaustive)") {
    CHECK(unsound_pairs(6, tnum_add, [](uint64_t x, uint64_t y) { return x + y; }) == 0);
    CHECK(unsound_pairs(6, tnum_sub, [](uint64_t x, uint64_t y) { return x - y; }) == 0);
    CHECK(unsound_pairs(6, tnum_mul, [](uint64_t x, uint64_t y) { return x * y; }) == 0);
}

TEST_CASE("and, or, xor are sound (6-bit, exhaustive)") {
    CHECK(unsound_pairs(6, tnum_and, [](uint64_t x, uint64_t y) { return x & y; }) == 0);
    CHECK(unsound_pairs(6, tnum_or, [](uint64_t x, uint64_t y) { return x | y; }) == 0);
    CHECK(unsound_pairs(6, tnum_xor, [](uint64_t x, uint64_t y) { return x ^ y; }) == 0);
}

TEST_CASE("the checker catches an unsound operation") {
    // A deliberately wrong add (no carries) must be reported.
    auto carryless = [](tnum a, tnum b) {
        return tnum_xor(a, b);
    };
    CHECK(unsound_pairs(4, carryless, [](uint64_t x, uint64_t y) { return x + y; }) > 0);
}

TEST_CASE("neg and shifts are sound (8-bit, exhaustive)") {
    const unsigned bits = 8;
    const uint64_t width = tnum_width_mask(bits);
    uint64_t escaped = 0;
    for (tnum a : all_tnums(bits)) {
        tnum neg = tnum_truncate(tnum_neg(a), bits);
        for_each_member(a, [&](uint64_t x) { escaped += !tnum_contains(neg, (0 - x) & width); });
        for (unsigned s = 0; s < bits; s++) {
            tnum l = tnum_truncate(tnum_lshift(a, s), bits);
            tnum r = tnum_rshift(a, s, bits);
            tnum ar = tnum_arshift(a, s, bits);
            for_each_member(a, [&](uint64_t x) {
                int64_t sx = static_cast<int8_t>(static_cast<uint8_t>(x));
                escaped += !tnum_contains(l, (x << s) & width);
                escaped += !tnum_contains(r, x >> s);
                escaped += !tnum_contains(ar, static_cast<uint64_t>(sx >> s) & width);
            });
        }
    }
    CHECK(escaped == 0);
}

TEST_CASE("arshift at 32 and 64 bits keeps the sign") {
    CHECK(tnum_equals(tnum_arshift(tnum_const(0x80000000u), 4, 32), tnum_const(0xf8000000u)));
    CHECK(tnum_equals(tnum_arshift(tnum_const(1ULL << 63), 63, 64), tnum_const(UINT64_MAX)));
    tnum unknown_sign = tnum_arshift(tnum{0, 1ULL << 63}, 60, 64);
    CHECK(unknown_sign.mask == 0xfffffffffffffff8ULL);
    CHECK(unknown_sign.value == 0);
}

TEST_CASE("range contains every value between its bounds (8-bit, all ranges)") {
    uint64_t escaped = 0, ranges = 0;
    for (uint64_t lo = 0; lo < 256; lo++)
        for (uint64_t hi = lo; hi < 256; hi++, ranges++) {
            tnum t = tnum_range(lo, hi);
            escaped += !well_formed(t);
            for (uint64_t x = lo; x <= hi; x++)
                escaped += !tnum_contains(t, x);
        }
    CHECK(ranges == 32896);
    CHECK(escaped == 0);
    CHECK(tnum_equals(tnum_range(5, 5), tnum_const(5)));
    CHECK(tnum_equals(tnum_range(0, UINT64_MAX), tnum_unknown()));
    CHECK(tnum_equals(tnum_range(8, 15), tnum{8, 7}));
}

TEST_CASE("union, intersect and in agree with set semantics (6-bit, exhaustive)") {
    const auto tnums = all_tnums(6);
    uint64_t wrong = 0;
    for (tnum a : tnums)
        for (tnum b : tnums) {
            tnum u = tnum_union(a, b);
            tnum i = tnum_intersect(a, b);
            bool subset = true; // is gamma(b) a subset of gamma(a)?
            for_each_member(b, [&](uint64_t y) {
                subset &= tnum_contains(a, y);
                wrong += !tnum_contains(u, y);
                wrong += tnum_contains(a, y) && !tnum_contains(i, y);
            });
            for_each_member(a, [&](uint64_t x) { wrong += !tnum_contains(u, x); });
            wrong += tnum_in(a, b) != subset;
            wrong += !well_formed(u) || !well_formed(i);
        }
    CHECK(wrong == 0);
}

TEST_CASE("constants stay exact through every operation") {
    const uint64_t xs[] = {0, 1, 7, 0x80, 0xdeadbeef, 1ULL << 63, UINT64_MAX};
    for (uint64_t x : xs)
        for (uint64_t y : xs) {
            CHECK(tnum_equals(tnum_add(tnum_const(x), tnum_const(y)), tnum_const(x + y)));
            CHECK(tnum_equals(tnum_sub(tnum_const(x), tnum_const(y)), tnum_const(x - y)));
            CHECK(tnum_equals(tnum_mul(tnum_const(x), tnum_const(y)), tnum_const(x * y)));
            CHECK(tnum_equals(tnum_and(tnum_const(x), tnum_const(y)), tnum_const(x & y)));
            CHECK(tnum_equals(tnum_or(tnum_const(x), tnum_const(y)), tnum_const(x | y)));
            CHECK(tnum_equals(tnum_xor(tnum_const(x), tnum_const(y)), tnum_const(x ^ y)));
        }
}

TEST_CASE("format prints constants and (value; mask)") {
    char buf[64];
    tnum_format(buf, sizeof(buf), tnum_const(16));
    CHECK(std::string(buf) == "0x10");
    tnum_format(buf, sizeof(buf), tnum{0x10, 0x3});
    CHECK(std::string(buf) == "(0x10; 0x3)");
}
