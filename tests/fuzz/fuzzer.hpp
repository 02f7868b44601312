// The fuzzing loop: generate, verify, run each accepted program in the
// checking interpreter on boundary contexts, report what faults.
#pragma once

#include "check_interp.hpp"
#include "gen.hpp"
#include "prog.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" {
#include "log.h"
#include "verifier.h"
}

namespace fuzz {

using VerifyFn = int (*)(const kbpf_verify_attr*, kbpf_verify_stats*);

// kbpf_verify() compiled with signed overflow wrapping, as in the kernel.
extern "C" int kbpf_verify_wrapv(const struct kbpf_verify_attr* attr,
                                 struct kbpf_verify_stats* stats);

struct Options {
    uint64_t seed = 1;
    uint64_t count = 0;   // programs from scratch; 0: until the time is up
    double seconds = 0;   // 0: until count
    unsigned runs = 6;    // runs of each accepted program
    unsigned mutants = 3; // near misses of each accepted program
    unsigned probes = 50; // percent of accepted programs that get bound checks
    // Percent of programs verified again with KBPF_F_TEST_STATE_FREQ toggled.
    unsigned state_freq = 20;
    VerifyFn verify = kbpf_verify;
    GenOptions gen;
    bool stop_at_failure = false;
    bool minimize = true;       // shrink a failing program before printing it
    std::string dump_dir;       // failing programs go here (and accepted ones
    bool dump_accepted = false; // too with this), as raw bytecode
    double progress_every = 0;  // seconds between progress lines; 0: none
    bool reasons = false;       // count the rejections by message, print the top ones
    std::string show;           // print rejected programs whose message has this
    FILE* out = stdout;
};

struct Stats {
    uint64_t generated = 0; // programs verified (from scratch and mutants)
    uint64_t mutants = 0;
    uint64_t probes = 0, probes_accepted = 0; // programs with bound checks
    uint64_t accepted = 0;
    uint64_t rejected = 0;
    uint64_t rejected_eacces = 0, rejected_einval = 0, rejected_e2big = 0;
    uint64_t passed = 0;           // accepted programs whose every run was clean
    uint64_t failed = 0;           // accepted programs that faulted (or changed verdict)
    uint64_t verdicts_changed = 0; // by KBPF_F_TEST_STATE_FREQ
    uint64_t runs = 0;
    uint64_t real_runs = 0;        // runs repeated in kbpf_interp_run() (without pointer leaks)
    uint64_t executed = 0;         // instructions run
    uint64_t first_failure_at = 0; // programs generated until the first failure
    double elapsed = 0;            // seconds
};

// kbpf_verify() (or @verify) on @prog, its rings numbered as fuzzed
// programs number them; the log (at @log_level) in *log when log is set.
// Returns 0 or the negative errno.
int verify_prog(const Prog& prog, VerifyFn verify, uint32_t log_level, std::string* log);

// The inputs of run @run of @prog: a context of boundary values and values
// from @interesting (interesting_values() of the program), the helpers'
// results, and which reservations fail (none in run 0, all in run 1).
RunConfig make_config(Rng& rng, const Prog& prog, const std::vector<uint64_t>& interesting,
                      unsigned run);

Stats run_fuzzer(const Options& options);

// Prints the summary lines, the last one "fuzz: N passed, N failed".
void print_summary(const Options& options, const Stats& stats, const char* name = "fuzz");

} // namespace fuzz
