// The differential of kring's verifier against the running kernel's: the
// fuzzer's random programs (tests/fuzz), shaped as Linux verifies a kprobe
// program loaded by root (struct pt_regs context, every privilege), and near
// misses of them, go through both kbpf_verify() and BPF_PROG_LOAD. The same
// bytecode is valid Linux BPF; the ring loads point at BPF ring buffer maps.
// Prints the four-way table and "differential: N passed, N failed".
#include "fuzzer.hpp"
#include "gen.hpp"
#include "linux_bpf.hpp"
#include "linux_prog.hpp"

#include <array>
#include <cstdio>
#include <doctest/doctest.h>
#include <map>
#include <string>
#include <unistd.h>

namespace {

// The verifier's error: the log line before Linux's statistics, or kring's
// "insn N: message" line.
std::string error_line(const std::string& log) {
    std::string last, prev;
    size_t pos = 0;
    while (pos < log.size()) {
        size_t end = log.find('\n', pos);
        if (end == std::string::npos)
            end = log.size();
        std::string line = log.substr(pos, end - pos);
        if (line.rfind("processed ", 0) == 0 || line.rfind("verification time", 0) == 0 ||
            line.rfind("stack depth", 0) == 0)
            break;
        if (!line.empty()) {
            prev = last;
            last = line;
        }
        pos = end + 1;
    }
    return last;
}

struct Verdicts {
    int kring = 0; // 0 or -errno
    int linux = 0;
    std::string kring_log, linux_log;
};

class Differential {
public:
    Differential() {
        for (int& fd : rings_) {
            fd = linuxbpf::create_ringbuf(4096);
            REQUIRE_MESSAGE(fd >= 0, "BPF_MAP_CREATE ringbuf: " << strerror(-fd));
        }
    }
    ~Differential() {
        for (int fd : rings_)
            ::close(fd);
    }

    Verdicts verify(const fuzz::Prog& prog) {
        Verdicts v;
        v.kring = fuzz::verify_prog(prog, kbpf_verify, KBPF_LOG_LEVEL_ERRORS, &v.kring_log);
        fuzz::LinuxProg lp = fuzz::to_linux(prog, rings_);
        int btf_fd = -1;
        if (!lp.btf.empty()) {
            std::string btf_log;
            btf_fd = linuxbpf::load_btf(lp.btf, &btf_log);
            REQUIRE_MESSAGE(btf_fd >= 0, "BPF_BTF_LOAD: " << strerror(-btf_fd) << "\n" << btf_log);
        }
        int fd = linuxbpf::load_program(BPF_PROG_TYPE_KPROBE, lp.insns, btf_fd, lp.func_info,
                                        &v.linux_log);
        v.linux = fd < 0 ? fd : 0;
        if (fd >= 0)
            ::close(fd);
        if (btf_fd >= 0)
            ::close(btf_fd);
        return v;
    }

private:
    std::array<int, fuzz::NR_RINGS> rings_{};
};

} // namespace

TEST_CASE("kring's verifier agrees with Linux's on random programs") {
    constexpr uint64_t seed = 20261202;
    constexpr int programs = 1000, mutants = 2;
    Differential diff;
    fuzz::GenOptions options;
    options.linux_kprobe = true;
    fuzz::Rng rng(seed);
    uint64_t table[2][2] = {};
    std::map<std::string, int> kring_only, linux_only;
    int shown = 0;
    for (int i = 0; i < programs; i++) {
        fuzz::Prog p = fuzz::generate(rng, options);
        for (int m = 0; m <= mutants; m++) {
            fuzz::Prog q = m == 0 ? p : fuzz::mutate(p, rng);
            Verdicts v = diff.verify(q);
            bool k = v.kring == 0, l = v.linux == 0;
            table[k][l]++;
            if (k == l)
                continue;
            std::string why = k ? error_line(v.linux_log) : error_line(v.kring_log);
            (k ? kring_only : linux_only)[why]++;
            if (shown++ < 40)
                printf("DIFF %s only, program %d.%d: %s\n%s", k ? "kring" : "Linux", i, m,
                       why.c_str(), fuzz::disassemble(q).c_str());
        }
    }
    printf(
        "differential table (%d programs, seed %llu): both accept %llu, both reject %llu, "
        "kring only %llu, Linux only %llu\n",
        programs * (mutants + 1), static_cast<unsigned long long>(seed),
        static_cast<unsigned long long>(table[1][1]), static_cast<unsigned long long>(table[0][0]),
        static_cast<unsigned long long>(table[1][0]), static_cast<unsigned long long>(table[0][1]));
    for (auto& [why, n] : kring_only)
        printf("  kring only %5d: Linux: %s\n", n, why.c_str());
    for (auto& [why, n] : linux_only)
        printf("  Linux only %5d: kring: %s\n", n, why.c_str());
}
