// kring-fuzz: the verifier fuzzer (docs/testing.md). The fixed-seed ctest
// run and make fuzz both run this.
#include "fuzzer.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

// A UBSan error aborts, so that the fuzzer's SIGABRT handler can print the
// program it was working on (UBSan's own exit runs no death callback).
extern "C" const char* __ubsan_default_options() {
    return "abort_on_error=1:print_stacktrace=1";
}

namespace {

int usage() {
    fprintf(stderr, "usage: kring-fuzz [--seed N] [--count N] [--seconds S] [--runs N]\n"
                    "                  [--mutants N] [--probes PERCENT] [--dump DIR]\n"
                    "                  [--dump-accepted] [--stop] [--no-minimize] [--progress S]\n"
                    "                  [--reasons] [--show PHRASE] [--strict-overflow]\n"
                    "  at least one of --count and --seconds\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    fuzz::Options o;
    o.verify = fuzz::kbpf_verify_wrapv;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&]() -> const char* {
            return i + 1 < argc ? argv[++i] : nullptr;
        };
        const char* v = nullptr;
        if (a == "--dump-accepted") {
            o.dump_accepted = true;
        } else if (a == "--stop") {
            o.stop_at_failure = true;
        } else if (a == "--reasons") {
            o.reasons = true;
        } else if (a == "--strict-overflow") {
            o.verify = kbpf_verify;
        } else if (a == "--no-minimize") {
            o.minimize = false;
        } else if ((v = value()) == nullptr) {
            return usage();
        } else if (a == "--show") {
            o.show = v;
            o.reasons = true;
        } else if (a == "--seed") {
            o.seed = strtoull(v, nullptr, 0);
        } else if (a == "--count") {
            o.count = strtoull(v, nullptr, 0);
        } else if (a == "--seconds") {
            o.seconds = strtod(v, nullptr);
        } else if (a == "--runs") {
            o.runs = static_cast<unsigned>(strtoul(v, nullptr, 0));
        } else if (a == "--probes") {
            o.probes = static_cast<unsigned>(strtoul(v, nullptr, 0));
        } else if (a == "--mutants") {
            o.mutants = static_cast<unsigned>(strtoul(v, nullptr, 0));
        } else if (a == "--dump") {
            o.dump_dir = v;
        } else if (a == "--progress") {
            o.progress_every = strtod(v, nullptr);
        } else {
            return usage();
        }
    }
    if (!o.count && o.seconds <= 0)
        return usage();
    fuzz::Stats s = fuzz::run_fuzzer(o);
    fuzz::print_summary(o, s);
    return s.failed ? 1 : 0;
}
