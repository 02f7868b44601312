// The checking interpreter: runs a program with the semantics of
// kmod/bpf/interp.c (ALU and jumps from alu.h), but every register and
// every stack slot carries the provenance of the value it holds (which
// object a pointer came from: the context, one live stack frame, one ring
// record, a ring), every object knows its bounds and whether it is still
// alive, and every stack byte whether it was written. Each memory access,
// helper argument and exit is checked against what the verifier promises
// of an accepted program; the first violation ends the run as a fault.
//
// Pointers are virtual addresses (fixed, so runs are reproducible); memory
// behind them is a separate exactly-sized host buffer per object, so that
// ASan also sees anything the checks miss.
#pragma once

#include "prog.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fuzz {

struct RunConfig {
    std::vector<uint8_t> ctx;  // the context's bytes (prog.ctx_size of them)
    uint64_t reserve_fail = 0; // bit i set: the i-th ringbuf_reserve returns NULL
    // Results of the helpers that return a number, taken in turn.
    std::vector<uint64_t> helper_values;
    uint64_t budget = 2000000; // instructions; more is a fault (no termination)
    // A HASH map starts with every key (MapModel): its lookups find values.
    bool hash_keys_present = true;
};

struct RunResult {
    bool ok = true;
    uint32_t insn = 0; // where the fault happened
    std::string fault; // "insn N: what"; empty when ok
    std::string state; // registers at the fault
    uint64_t r0 = 0;
    uint64_t executed = 0;
    // The maps' values at the end, entry after entry (MapModel's numbers).
    std::vector<uint8_t> map_values;
};

RunResult check_run(const Prog& prog, const RunConfig& config);

// Runs @prog in the module's own interpreter (kmod/bpf/interp.c) on the
// same inputs, with helpers that behave as check_run's and memory that ASan
// watches: the context, the stack and each record are separate heap buffers
// of their exact sizes, and a record is freed when submitted. Returns
// kbpf_interp_run()'s result; *@r0 is R0 and *@map_values the maps' values
// at the end, as RunResult::map_values.
int real_run(const Prog& prog, const RunConfig& config, uint64_t* r0,
             std::vector<uint8_t>* map_values);

// Virtual layout, for tests: where frame 0's stack ends and the context is.
constexpr uint64_t VA_CTX = 0xffffc90000010000ULL;
constexpr uint64_t VA_STACK_TOP = 0xffffc90000100000ULL;
constexpr uint64_t VA_RINGS = 0xffffc90000200000ULL;      // ring i at + i * 0x1000
constexpr uint64_t VA_RECORDS = 0xffffc90001000000ULL;    // the records' data area
constexpr uint64_t RECORD_AREA = 1 << 20;                 // bytes of it a run may reserve
constexpr uint64_t VA_MAPS = 0xffffc90000300000ULL;       // map i at + i * 0x1000
constexpr uint64_t VA_MAP_VALUES = 0xffffc90002000000ULL; // entry n's value at + n * 0x100

} // namespace fuzz
