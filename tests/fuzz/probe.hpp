// Bound checks: an accepted program gets, before one of its instructions,
// conditional jumps that test what the verifier's log claims a scalar
// register holds there (its unsigned, signed, 32-bit bounds and known-zero
// bits), each to a trap the verifier must then prove unreachable. If the
// verifier accepts that program too, a run that reaches the trap shows a
// claimed bound that does not hold, whether or not memory is at stake.
#pragma once

#include "gen.hpp"
#include "prog.hpp"

#include <string>
#include <vector>

namespace fuzz {

// @prog with @block inserted before instruction @k; jumps, calls and
// func-info renumbered (a jump to @k now lands on the block).
Prog insert_insns(const Prog& prog, size_t k, const std::vector<bpf_insn>& block);

// @prog with bound checks inserted at a random instruction of its main
// function, from @log (kbpf_verify at KBPF_LOG_LEVEL_INSNS). Returns false
// when the chosen instruction has no scalar register to check; *@what says
// which register and claims were checked.
bool add_bound_checks(const Prog& prog, const std::string& log, Rng& rng, Prog* out,
                      std::string* what);

} // namespace fuzz
