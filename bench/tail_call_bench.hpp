// The cost of one tail call, kring against Linux (make bench's "Tail
// calls" table): a program that tail-calls itself through slot 0 of a prog
// array (33 tail calls a run, then the limit stops it) against the same
// program without a prog array slot filled, each test-run many times; the
// difference over 33 is what one tail call costs. kring's programs JIT'd
// and interpreted; Linux's as socket filters under BPF_PROG_TEST_RUN. The
// key is a constant (Linux's JIT then patches a direct jump; kring's is the
// kernel's indirect form) or a number the verifier does not know. Prints
// one "KRING-TAILCALL-BENCH {json}" line per contender and key.
#pragma once

#include <cstdint>

namespace tailcall_bench {

// Measures and prints; throws std::runtime_error if something cannot load.
void run(uint32_t repeat, int rounds);

} // namespace tailcall_bench
