// The fuzzer against a verifier with a planted bug (planted.cpp): it must
// report a failure within a bounded number of programs, and none when the
// planted copy has no bug switched on.
#include "fuzzer.hpp"
#include "planted.hpp"

#include <doctest/doctest.h>

namespace {

fuzz::Stats hunt(int bug, uint64_t count, uint64_t seed = 7) {
    fuzz_planted_bug = bug;
    fuzz::Options o;
    o.seed = seed;
    o.count = count;
    o.verify = kbpf_verify_planted;
    o.stop_at_failure = true;
    fuzz::Stats s = fuzz::run_fuzzer(o);
    fuzz_planted_bug = PLANTED_NONE;
    MESSAGE("planted bug ", bug, ", seed ", seed, ": first failure after ", s.first_failure_at,
            " programs (", s.accepted, " accepted)");
    return s;
}

} // namespace

TEST_CASE("the planted copy of the verifier without a bug: no failure") {
    fuzz::Stats s = hunt(PLANTED_NONE, 300);
    CHECK(s.failed == 0);
    CHECK(s.accepted > 0);
}

TEST_CASE("planted: off-by-one upper bound after an unsigned comparison") {
    for (uint64_t seed = 7; seed < 10; seed++)
        CHECK(hunt(PLANTED_REFINE_OFF_BY_ONE, 5000, seed).failed > 0);
}

TEST_CASE("planted: a 32-bit comparison decided on 64 bits") {
    for (uint64_t seed = 7; seed < 10; seed++)
        CHECK(hunt(PLANTED_JMP32_AS_JMP64, 5000, seed).failed > 0);
}

TEST_CASE("planted: a 32-bit move that keeps the 64-bit bounds") {
    for (uint64_t seed = 7; seed < 10; seed++)
        CHECK(hunt(PLANTED_ZEXT_KEEPS_64, 5000, seed).failed > 0);
}
