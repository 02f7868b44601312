// The differential of kring's verifier against the running kernel's: the
// fuzzer's random programs (tests/fuzz), shaped as Linux verifies a kprobe
// program loaded by root (struct pt_regs context, every privilege), and near
// misses of them, go through both kbpf_verify() and BPF_PROG_LOAD. The same
// bytecode is valid Linux BPF; the ring loads point at BPF ring buffer maps,
// the map loads at Linux maps of the generator's types, sizes and flags.
// Prints the four-way table and "differential: N passed, N failed".
#include "check_interp.hpp"
#include "fuzzer.hpp"
#include "gen.hpp"
#include "linux_bpf.hpp"
#include "linux_prog.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <doctest/doctest.h>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// Register numbers and other numbers of a verifier message as "N", so that
// messages group by what they say.
std::string normalized(const std::string& message) {
    static const std::regex number("[0-9]+");
    return std::regex_replace(message, number, "N");
}

// The verifier's error: for Linux, the last line before its statistics;
// for kring, the "insn N: message" line before the state it prints.
std::string error_line(const std::string& log) {
    std::string last;
    size_t pos = 0;
    while (pos < log.size()) {
        size_t end = log.find('\n', pos);
        if (end == std::string::npos)
            end = log.size();
        std::string line = log.substr(pos, end - pos);
        if (line.rfind("processed ", 0) == 0 || line.rfind("verification time", 0) == 0 ||
            line.rfind("stack depth", 0) == 0 || line.rfind("state at insn", 0) == 0 ||
            line.rfind("cur state:", 0) == 0)
            break;
        if (!line.empty())
            last = line;
        pos = end + 1;
    }
    return last;
}

// The last @lines lines of @log.
std::string log_tail(const std::string& log, int lines) {
    size_t at = log.size();
    while (lines-- >= 0 && at != std::string::npos && at > 0)
        at = log.rfind('\n', at - 1);
    return at == std::string::npos ? log : log.substr(at + 1);
}

// What Linux 6.1 refuses and kring accepts on purpose: each class is a rule
// of Linux's that is stricter than memory safety needs, named by the message
// Linux gives. docs/testing.md says why each is safe in kring.
struct Conservatism {
    const char* name;
    std::regex linux_message;
};

const std::vector<Conservatism>& conservatism_classes() {
    static const std::vector<Conservatism> classes = {
        {"context pointer moved by a constant",
         std::regex("negative offset ctx ptr|dereference of modified ctx ptr")},
        {"one instruction reached with pointers to different objects",
         std::regex("same insn cannot be used with different pointers")},
        {"pointer offset beyond Linux's 2^29 limit or without signed bounds",
         std::regex("math between .* pointer and .* is not allowed|makes .* pointer be out of "
                    "bounds")},
        // kring refuses every variable-offset stack or context access, so
        // where Linux saw a variable offset, kring knew the constant.
        {"bounds Linux does not learn",
         std::regex("unbounded memory access|(min|max) value is outside of the allowed "
                    "memory range|min value is negative|invalid indirect access to stack|"
                    "misaligned stack access off \\(|variable ctx access|"
                    "invalid unbounded variable-offset (read from|write to) stack")},
        // kring's checking interpreter faults a run that does not end.
        {"a loop whose exit Linux does not see", std::regex("infinite loop detected")},
        // kring refuses a pointer to the returning function's own frame.
        {"a function returns its caller's stack pointer",
         std::regex("cannot return stack pointer to the caller")},
        {"part of a pointer spilled or filled as a number",
         std::regex("invalid size of register (spill|fill)")},
        {"subtraction from a stack pointer",
         std::regex("subtraction from stack pointer prohibited")},
        {"32-bit arithmetic on a pointer", std::regex("32-bit pointer arithmetic prohibited")},
        {"NULL check of a record against a register holding 0", std::regex("mem_or_null")},
    };
    return classes;
}

// The instructions of the path on which Linux failed with @error: those its
// level-1 log shows after the last "from N to M:" (where it took up a
// branch it had left), or from the start. Empty when the error is the call
// chains' stack, checked after exploring, on no path.
std::set<int> linux_failing_path(const std::string& log, const std::string& error) {
    std::set<int> path;
    if (error.find("combined stack size") != std::string::npos)
        return path;
    size_t from = log.rfind("\nfrom ");
    std::string tail = log.substr(from == std::string::npos ? 0 : from);
    static const std::regex insn_line("(^|\n)([0-9]+): \\(");
    for (std::sregex_iterator it(tail.begin(), tail.end(), insn_line), end; it != end; ++it)
        path.insert(std::stoi((*it)[2]));
    return path;
}

// Whether the path Linux failed on (as linux_failing_path() reads it) took
// the NULL side of "if rN == 0" or "if rN != 0" with rN the stack or the
// context pointer, which Linux 6.1 does not know is never NULL (only
// records, after their check, and a few socket types): code no run reaches,
// even where kring reaches the same instructions by another path.
bool linux_failed_on_null_side(const fuzz::Prog& prog, const std::string& log) {
    size_t from = log.rfind("\nfrom ");
    std::string tail = log.substr(from == std::string::npos ? 0 : from);
    // The edges of the path, each with the log text before its target:
    // the "from A to B:" it resumed at, then one instruction to the next.
    std::vector<std::pair<int, int>> edges;
    std::vector<size_t> edge_text_end;
    static const std::regex header("^\nfrom ([0-9]+) to ([0-9]+):");
    std::smatch m;
    if (std::regex_search(tail, m, header)) {
        edges.emplace_back(std::stoi(m[1]), std::stoi(m[2]));
        edge_text_end.push_back(static_cast<size_t>(m.position(0) + m.length(0)));
    }
    static const std::regex insn_line("(^|\n)([0-9]+): \\(");
    int prev = -1;
    for (std::sregex_iterator it(tail.begin(), tail.end(), insn_line), end; it != end; ++it) {
        int insn = std::stoi((*it)[2]);
        if (prev >= 0) {
            edges.emplace_back(prev, insn);
            edge_text_end.push_back(static_cast<size_t>(it->position(0)));
        }
        prev = insn;
    }
    for (size_t e = 0; e < edges.size(); e++) {
        auto [a, b] = edges[e];
        if (a < 0 || static_cast<size_t>(a) >= prog.insns.size())
            continue;
        const bpf_insn& in = prog.insns[static_cast<size_t>(a)];
        bool jeq = in.code == (BPF_JMP | BPF_JEQ | BPF_K);
        if ((!jeq && in.code != (BPF_JMP | BPF_JNE | BPF_K)) || in.imm != 0)
            continue;
        if (b != (jeq ? a + 1 + in.off : a + 1)) // not the NULL side
            continue;
        if (in.dst_reg == BPF_REG_10)
            return true;
        // The register's last state Linux printed before the edge.
        std::string before = tail.substr(0, edge_text_end[e]);
        std::regex state("R" + std::to_string(in.dst_reg) + "(_w)?=([a-z]+)");
        std::string last;
        for (std::sregex_iterator it(before.begin(), before.end(), state), end; it != end; ++it)
            last = (*it)[2];
        if (last == "fp" || last == "ctx")
            return true;
    }
    return false;
}

// The instructions kring's verifier reached on some path: each one its
// level-2 log shows ("N: insn", or "N: safe" where a path was pruned).
// Empty if the log was cut off before its statistics line.
std::set<int> kring_reached(const fuzz::Prog& prog) {
    std::string log;
    fuzz::verify_prog(prog, kbpf_verify, KBPF_LOG_LEVEL_INSNS, &log);
    std::set<int> reached;
    if (log.find("\nprocessed ") == std::string::npos)
        return reached;
    static const std::regex insn_line("(^|\n)([0-9]+): ");
    for (std::sregex_iterator it(log.begin(), log.end(), insn_line), end; it != end; ++it)
        reached.insert(std::stoi((*it)[2]));
    return reached;
}

// Whether an instruction no path of kring's reaches accesses memory (a
// load, a store or a helper call, which may use the stack).
bool unreached_memory_access(const fuzz::Prog& prog, const std::set<int>& reached) {
    for (size_t i = 0; i < prog.insns.size(); i++) {
        const bpf_insn& in = prog.insns[i];
        uint8_t cls = BPF_CLASS(in.code);
        bool access = cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX ||
                      (in.code == (BPF_JMP | BPF_CALL) && in.src_reg == 0);
        if (access && !reached.count(static_cast<int>(i)))
            return true;
    }
    return false;
}

// Whether a global function of @prog takes the context: Linux types that
// argument by the kernel's BTF (struct pt_regs), which a kernel built
// without BTF (the debug kernel) lacks.
bool global_takes_ctx(const fuzz::Prog& prog) {
    for (const kring_func_info& f : prog.funcs)
        if (f.linkage == KRING_FUNC_GLOBAL)
            for (uint8_t a = 0; a < f.nr_args && a < KRING_FUNC_MAX_ARGS; a++)
                if (f.arg_kinds[a] == KRING_ARG_CTX)
                    return true;
    return false;
}

// The class of a program kring accepts and Linux refuses with @linux_log,
// or null if it is in none. First the checks that need no trust in a
// message: Linux explored code that kring proves dead (Linux 6.1 does not
// know a context pointer or a record is not NULL, takes a branch's outcome
// only from a constant source operand, decides an equality only against a
// constant register, and knows nothing of a division's result), and either
// failed on a path through an instruction no path of kring's reaches,
// or counted, for its stack limit, what such instructions use (kring counts
// a call chain's stack as Linux does, so over Linux's limit only with
// instructions kring does not reach).
const char* conservatism_class(const fuzz::Prog& prog, const std::string& linux_log,
                               const std::string& linux_error) {
    static const bool kernel_btf = ::access("/sys/kernel/btf/vmlinux", R_OK) == 0;
    if (!kernel_btf && global_takes_ctx(prog))
        return "a global function's context argument, on a kernel without BTF";
    std::set<int> reached = kring_reached(prog);
    for (int insn : linux_failing_path(linux_log, linux_error))
        if (!reached.empty() && !reached.count(insn))
            return "Linux fails in code kring proves unreachable";
    if (linux_failed_on_null_side(prog, linux_log))
        return "Linux fails on the NULL side of a stack or context pointer's check";
    if (linux_error.find("combined stack size") != std::string::npos && !reached.empty() &&
        unreached_memory_access(prog, reached))
        return "Linux counts stack used only in code kring proves unreachable";
    for (const Conservatism& c : conservatism_classes())
        if (std::regex_search(linux_error, c.linux_message))
            return c.name;
    return nullptr;
}

// A run of @prog in the checking interpreter that faults, on the fuzzer's
// boundary inputs; empty when every run is clean.
std::string fault_in_runs(const fuzz::Prog& prog, fuzz::Rng& rng, unsigned runs) {
    std::vector<uint64_t> interesting = fuzz::interesting_values(prog);
    for (unsigned run = 0; run < runs; run++) {
        fuzz::RunResult r = fuzz::check_run(prog, fuzz::make_config(rng, prog, interesting, run));
        if (!r.ok)
            return r.fault;
    }
    return "";
}

struct Verdicts {
    int kring = 0; // 0 or -errno
    int linux = 0;
    std::string kring_log, linux_log;
};

class Differential {
public:
    Differential() {
        for (int32_t i = 0; i < fuzz::NR_RINGS + fuzz::NR_MAPS; i++) {
            int& fd = maps_[static_cast<size_t>(i)];
            if (i < fuzz::NR_RINGS) {
                fd = linuxbpf::create_ringbuf(4096);
            } else {
                const fuzz::FuzzMap& m = fuzz::fuzz_map(i - fuzz::NR_RINGS);
                fd = linuxbpf::create_map(static_cast<bpf_map_type>(m.type), m.key_size,
                                          m.value_size, m.max_entries, m.flags);
                uint32_t zero = 0;
                if (fd >= 0 && m.frozen)
                    REQUIRE(linuxbpf::fill_map(fd, &zero, fuzz::frozen_value(), true) == 0);
            }
            REQUIRE_MESSAGE(fd >= 0, "BPF_MAP_CREATE: " << strerror(-fd));
        }
    }
    ~Differential() {
        for (int fd : maps_)
            ::close(fd);
    }

    Verdicts verify(const fuzz::Prog& prog) {
        Verdicts v;
        v.kring = fuzz::verify_prog(prog, kbpf_verify, KBPF_LOG_LEVEL_ERRORS, &v.kring_log);
        fuzz::LinuxProg lp = fuzz::to_linux(prog, maps_);
        int btf_fd = -1;
        if (!lp.btf.empty()) {
            std::string btf_log;
            btf_fd = linuxbpf::load_btf(lp.btf, &btf_log);
            REQUIRE_MESSAGE(btf_fd >= 0, "BPF_BTF_LOAD: " << strerror(-btf_fd) << "\n" << btf_log);
        }
        int fd = linuxbpf::load_program(BPF_PROG_TYPE_KPROBE, lp.insns, btf_fd, lp.func_info,
                                        &v.linux_log);
        // A log that does not fit fails the load: the verdict without one.
        if (fd == -ENOSPC)
            fd = linuxbpf::load_program(BPF_PROG_TYPE_KPROBE, lp.insns, btf_fd, lp.func_info,
                                        nullptr);
        v.linux = fd < 0 ? fd : 0;
        if (fd >= 0)
            ::close(fd);
        if (btf_fd >= 0)
            ::close(btf_fd);
        return v;
    }

private:
    fuzz::LinuxMapFds maps_{};
};

} // namespace

TEST_CASE("kring's verifier agrees with Linux's on random programs") {
    constexpr uint64_t seed = 20261202;
    constexpr int programs = 1000, mutants = 2;
    constexpr unsigned runs = 6;
    Differential diff;
    fuzz::GenOptions options;
    options.linux_kprobe = true;
    fuzz::Rng rng(seed), run_rng(seed + 1);
    uint64_t table[2][2] = {};
    uint64_t passed = 0, failed = 0;
    // Normalized message -> programs; the first of each is printed.
    std::map<std::string, int> kring_only, linux_only;
    std::map<std::string, int> classes;
    for (int i = 0; i < programs; i++) {
        fuzz::Prog p = fuzz::generate(rng, options);
        for (int m = 0; m <= mutants; m++) {
            fuzz::Prog q = m == 0 ? p : fuzz::mutate(p, rng);
            Verdicts v = diff.verify(q);
            bool k = v.kring == 0, l = v.linux == 0;
            table[k][l]++;
            if (k == l) {
                passed++;
                continue;
            }
            std::string why = k ? error_line(v.linux_log) : error_line(v.kring_log);
            std::string kind = normalized(why);
            std::string problem;
            if (k) {
                const char* name = conservatism_class(q, v.linux_log, why);
                if (!name)
                    problem = "in no class of Linux's conservatism";
                else if (std::string fault = fault_in_runs(q, run_rng, runs); !fault.empty())
                    problem = "faults in the checking interpreter: " + fault;
                else
                    classes[name]++;
            }
            int seen = (k ? kring_only : linux_only)[kind]++;
            if (!problem.empty()) {
                failed++;
                printf("FAIL: program %d.%d, accepted by kring only, %s\nLinux: %s\n%s"
                       "Linux's log, its end:\n%s\n",
                       i, m, problem.c_str(), why.c_str(), fuzz::disassemble(q).c_str(),
                       log_tail(v.linux_log, 12).c_str());
            } else {
                passed++;
                if (seen == 0)
                    printf("DIFF %s only, program %d.%d: %s\n%s", k ? "kring" : "Linux", i, m,
                           why.c_str(), fuzz::disassemble(q).c_str());
            }
        }
    }
    printf(
        "differential table (%d programs, seed %llu): both accept %llu, both reject %llu, "
        "kring only %llu, Linux only %llu\n",
        programs * (mutants + 1), static_cast<unsigned long long>(seed),
        static_cast<unsigned long long>(table[1][1]), static_cast<unsigned long long>(table[0][0]),
        static_cast<unsigned long long>(table[1][0]), static_cast<unsigned long long>(table[0][1]));
    for (auto& [name, n] : classes)
        printf("  kring only %5d: %s\n", n, name.c_str());
    for (auto& [why, n] : kring_only)
        printf("  kring only %5d: Linux: %s\n", n, why.c_str());
    for (auto& [why, n] : linux_only)
        printf("  Linux only %5d: kring: %s\n", n, why.c_str());
    printf("differential: %llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
           static_cast<unsigned long long>(failed));
    CHECK(failed == 0);
}

namespace {

// A program as the differential's are: root's kprobe program.
fuzz::Prog kprobe_prog(std::vector<bpf_insn> insns, std::vector<kring_func_info> funcs = {}) {
    fuzz::Prog p;
    p.insns = std::move(insns);
    p.funcs = std::move(funcs);
    p.ctx_size = fuzz::PT_REGS_SIZE;
    p.flags =
        KBPF_F_BPF_CAPABLE | KBPF_F_ALLOW_PTR_LEAKS | KBPF_F_BYPASS_SPEC_V1 | KBPF_F_BYPASS_SPEC_V4;
    return p;
}

} // namespace

// Each rule kring took from Linux because the differential found kring
// accepting what Linux refuses: its table case (tests/verifier), refused by
// this kernel's verifier for the same reason.
TEST_CASE("Linux refuses the table cases of the rules the differential found, for the same "
          "reason") {
    const bpf_insn exit_insn = insn::exit_insn();
    const bpf_insn r0_is_0 = insn::mov64_imm(BPF_REG_0, 0);
    const bpf_insn call_next = insn::call_local(1);
    struct {
        const char* name;
        fuzz::Prog prog;
        const char* kring_says;
        const char* linux_says;
    } cases[] = {
        {"512 + 8 bytes of stack across two frames",
         kprobe_prog({insn::st(BPF_DW, BPF_REG_10, -512, 0), call_next, exit_insn,
                      insn::st(BPF_DW, BPF_REG_10, -8, 0), r0_is_0, exit_insn}),
         "across the call chain exceeds 512", "combined stack size of 2 calls is"},
        {"a global function that returns a stack pointer",
         kprobe_prog({insn::call_local(2), r0_is_0, exit_insn,
                      insn::mov64_reg(BPF_REG_0, BPF_REG_10), exit_insn},
                     {{0, KRING_FUNC_STATIC, 0, {}, 0, {}}, {3, KRING_FUNC_GLOBAL, 0, {}, 0, {}}}),
         "a global function must return a number",
         "At subprogram exit the register R0 is not a scalar value"},
    };
    Differential diff;
    for (const auto& c : cases) {
        CAPTURE(c.name);
        Verdicts v = diff.verify(c.prog);
        INFO("kring: ", v.kring_log, "\nLinux: ", v.linux_log);
        CHECK(v.kring == -EACCES);
        CHECK(v.kring_log.find(c.kring_says) != std::string::npos);
        CHECK(v.linux < 0);
        CHECK(v.linux_log.find(c.linux_says) != std::string::npos);
    }
}
