// A fuzzed program as Linux's BPF_PROG_LOAD takes it, for the differential
// against Linux's verifier (tests/vm/verifier_diff_test.cpp): ring loads
// point at real BPF ring buffer maps, and func-info becomes BTF.
#pragma once

#include "prog.hpp"

#include <array>
#include <cstdint>
#include <linux/bpf.h>
#include <vector>

namespace fuzz {

struct LinuxProg {
    std::vector<bpf_insn> insns;
    std::vector<uint8_t> btf;             // raw BTF (BPF_BTF_LOAD); empty without func-info
    std::vector<bpf_func_info> func_info; // type ids into btf
};

// The Linux maps that stand for the generator's fds: @map_fds[i] for fd i,
// a BPF_MAP_TYPE_RINGBUF map for each ring (i < NR_RINGS), then a map of
// fuzz_map(i - NR_RINGS)'s type, sizes and flags.
using LinuxMapFds = std::array<int, NR_RINGS + NR_MAPS>;
// Each function of the program gets a BTF FUNC of its linkage whose
// prototype returns long and takes its declared arguments: long for
// KRING_ARG_SCALAR, struct pt_regs * for KRING_ARG_CTX (the name Linux
// matches a kprobe program's context by), a pointer to a struct of
// arg_mem_size bytes for KRING_ARG_MEM; main takes the context.
LinuxProg to_linux(const Prog& prog, const LinuxMapFds& map_fds);

} // namespace fuzz
