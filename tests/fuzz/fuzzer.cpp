#include "fuzzer.hpp"

#include "check_interp.hpp"
#include "gen.hpp"
#include "probe.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <sys/stat.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <sanitizer/common_interface_defs.h>
#define FUZZ_SANITIZED 1
#endif

namespace fuzz {

int verify_prog(const Prog& p, VerifyFn verify, uint32_t log_level, std::string* log) {
    static std::vector<char> buf(4 << 20);
    kbpf_verify_attr attr{};
    attr.insns = p.insns.data();
    attr.insn_cnt = static_cast<uint32_t>(p.insns.size());
    attr.func_info = p.funcs.empty() ? nullptr : p.funcs.data();
    attr.func_info_cnt = static_cast<uint32_t>(p.funcs.size());
    attr.ctx.size = p.ctx_size;
    attr.ctx.writable = p.ctx_writable;
    attr.map_lookup = [](void*, s32 fd, kbpf_map_desc* desc) -> int {
        if (is_map_fd(fd)) {
            const FuzzMap& m = fuzz_map(fd - NR_RINGS);
            *desc = {m.type,        m.key_size, m.value_size,
                     m.max_entries, m.flags,    m.frozen ? frozen_value() : nullptr};
            return fd;
        }
        desc->type = BPF_MAP_TYPE_RINGBUF;
        return fd >= 0 && fd < NR_RINGS ? fd : -EBADF;
    };
    attr.flags = p.flags;
    attr.log_level = log ? log_level : 0;
    attr.log_buf = log ? buf.data() : nullptr;
    attr.log_size = !log                                ? 0
                    : log_level > KBPF_LOG_LEVEL_ERRORS ? static_cast<uint32_t>(buf.size())
                                                        : 4096;
    int err = verify(&attr, nullptr);
    if (log)
        *log = buf.data();
    return err;
}

namespace {

// What the fuzzer is doing, for a sanitizer that stops the process.
struct Current {
    const Options* options = nullptr;
    const Prog* prog = nullptr;
    uint64_t index = 0;
    const char* stage = "";
} current;

void on_sanitizer_death() {
    if (!current.prog)
        return;
    const Options& o = *current.options;
    fprintf(o.out,
            "FAIL: the fuzzer was stopped (a sanitizer, or SIGABRT) while %s program #%llu "
            "(seed %llu), "
            "%zu insns, flags %#x, ctx %u bytes:\n%s",
            current.stage, static_cast<unsigned long long>(current.index),
            static_cast<unsigned long long>(o.seed), current.prog->insns.size(),
            current.prog->flags, current.prog->ctx_size, disassemble(*current.prog).c_str());
    if (!o.dump_dir.empty())
        dump(*current.prog, o.dump_dir + "/sanitizer-" + std::to_string(o.seed) + "-" +
                                std::to_string(current.index));
    fflush(o.out);
}

// UBSan ends the process with abort() (kring-fuzz sets abort_on_error).
void on_abort(int sig) {
    on_sanitizer_death();
    signal(sig, SIG_DFL);
    raise(sig);
}

using Clock = std::chrono::steady_clock;

int verify(const Options& o, const Prog& p, uint32_t log_level, std::string* log) {
    current.prog = &p;
    current.stage = "verifying";
    return verify_prog(p, o.verify, log_level, log);
}

// The kind of a fault: its message's first letters, numbers left out.
std::string fault_kind(const std::string& fault) {
    std::string kind;
    size_t colon = fault.find(": ");
    for (size_t i = colon == std::string::npos ? 0 : colon + 2; i < fault.size(); i++) {
        char ch = fault[i];
        if (ch == '(' || kind.size() >= 24)
            break;
        if ((ch >= 'a' && ch <= 'z') || ch == ' ')
            kind += ch;
    }
    return kind;
}

// Still accepted, and still the same kind of fault on the same inputs.
bool fails(const Options& o, const Prog& p, const RunConfig& c, const std::string& kind) {
    if (verify(o, p, 0, nullptr) != 0)
        return false;
    RunResult r = check_run(p, c);
    return !r.ok && fault_kind(r.fault) == kind;
}

// The program without its "goto pc+0" no-ops, jumps and func-info renumbered.
Prog drop_nops(const Prog& p) {
    const std::vector<bpf_insn>& v = p.insns;
    auto nop = [&](size_t i) {
        return !second_half(v, i) && v[i].code == (BPF_JMP | BPF_JA) && v[i].off == 0;
    };
    std::vector<long> map(v.size() + 1);
    long n = 0;
    for (size_t i = 0; i < v.size(); i++) {
        map[i] = n;
        if (!nop(i))
            n++;
    }
    map[v.size()] = n;
    Prog out = p;
    out.insns.clear();
    for (size_t i = 0; i < v.size(); i++) {
        if (nop(i))
            continue;
        bpf_insn in = v[i];
        if (!second_half(v, i) && has_relative_target(in)) {
            bool call = BPF_OP(in.code) == BPF_CALL;
            long target = static_cast<long>(i) + 1 + (call ? in.imm : in.off);
            if (target < 0 || target > static_cast<long>(v.size()))
                return p;
            long rel = map[static_cast<size_t>(target)] - map[i] - 1;
            if (call)
                in.imm = static_cast<int32_t>(rel);
            else
                in.off = static_cast<int16_t>(rel);
        }
        out.insns.push_back(in);
    }
    for (kring_func_info& f : out.funcs)
        f.insn_off = static_cast<uint32_t>(map[f.insn_off]);
    return out;
}

// Replaces instructions by no-ops while the program is still accepted and
// still faults on the same inputs, then removes the no-ops.
Prog minimize(const Options& o, Prog p, const RunConfig& c, const std::string& kind) {
    for (int round = 0; round < 4; round++) {
        bool changed = false;
        for (size_t i = p.insns.size(); i-- > 0;) {
            Prog q = p;
            bpf_insn& in = q.insns[i];
            if (in.code == (BPF_JMP | BPF_JA) && in.off == 0)
                continue;
            if (second_half(q.insns, i))
                continue;
            in = bpf_insn{};
            in.code = BPF_JMP | BPF_JA;
            if (p.insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < q.insns.size())
                q.insns[i + 1] = in;
            if (fails(o, q, c, kind)) {
                p = q;
                changed = true;
            }
        }
        Prog compact = drop_nops(p);
        if (fails(o, compact, c, kind))
            p = compact;
        if (!changed)
            break;
    }
    return p;
}

std::string hex(const std::vector<uint8_t>& bytes) {
    std::string s;
    char b[4];
    for (size_t i = 0; i < bytes.size(); i++) {
        snprintf(b, sizeof(b), "%02x", bytes[i]);
        s += b;
        if (i % 8 == 7 && i + 1 < bytes.size())
            s += ' ';
    }
    return s;
}

void report(const Options& o, const Prog& p, const RunConfig& c, const RunResult& r, uint64_t index,
            const char* what, bool with_log, const std::string& note) {
    FILE* f = o.out;
    std::string log;
    verify(o, p, KBPF_LOG_LEVEL_INSNS, &log);
    fprintf(f, "FAIL: %s #%llu (seed %llu): the verifier accepted it, the run faulted:\n  %s\n",
            what, static_cast<unsigned long long>(index), static_cast<unsigned long long>(o.seed),
            r.fault.c_str());
    if (!note.empty())
        fprintf(f, "  bound checks of what the log claims (their trap must be unreachable): %s\n",
                note.c_str());
    fprintf(f, "  %s\n", r.state.c_str());
    fprintf(f, "ctx (%u bytes%s): %s\nreservations failing: %#llx; helper results:", p.ctx_size,
            p.ctx_writable ? ", writable" : "", hex(c.ctx).c_str(),
            static_cast<unsigned long long>(c.reserve_fail));
    for (uint64_t v : c.helper_values)
        fprintf(f, " %#llx", static_cast<unsigned long long>(v));
    fprintf(f, "\nflags %#x, %zu insns:\n%s", p.flags, p.insns.size(), disassemble(p).c_str());
    if (!with_log)
        return;
    fprintf(f, "verifier log (level 2):\n");
    size_t lines = 0, pos = 0;
    while (pos < log.size() && lines < 400) {
        size_t end = log.find('\n', pos);
        if (end == std::string::npos)
            end = log.size();
        fprintf(f, "  %s\n", log.substr(pos, end - pos).c_str());
        pos = end + 1;
        lines++;
    }
    if (pos < log.size())
        fprintf(f, "  ... (%zu more bytes of log)\n", log.size() - pos);
    fflush(f);
}

} // namespace

static uint64_t pick_value(Rng& rng, const std::vector<uint64_t>& interesting) {
    uint64_t r = rng.below(100);
    if (r < 55 && !interesting.empty())
        return rng.pick(interesting);
    if (r < 90)
        return rng.pick(boundary_values());
    return rng.next();
}

RunConfig make_config(Rng& rng, const Prog& p, const std::vector<uint64_t>& interesting,
                      unsigned run) {
    RunConfig c;
    c.ctx.assign(p.ctx_size, 0);
    unsigned unit = rng.chance(35) ? 4 : 8;
    for (size_t off = 0; off < c.ctx.size(); off += unit) {
        uint64_t v = pick_value(rng, interesting);
        memcpy(&c.ctx[off], &v, std::min<size_t>(unit, c.ctx.size() - off));
    }
    c.reserve_fail = run == 0 ? 0 : run == 1 ? ~0ULL : rng.next() & rng.next();
    c.hash_keys_present = run % 2 == 0;
    for (int i = 0; i < 8; i++)
        c.helper_values.push_back(pick_value(rng, interesting));
    return c;
}

Stats run_fuzzer(const Options& o) {
    Stats s;
    current.options = &o;
#ifdef FUZZ_SANITIZED
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
    signal(SIGABRT, on_abort);
    std::map<std::string, uint64_t> reasons;
    int shown = 0;
    Clock::time_point start = Clock::now(), last_progress = start;
    if (!o.dump_dir.empty())
        mkdir(o.dump_dir.c_str(), 0755);
    auto elapsed = [&] {
        return std::chrono::duration<double>(Clock::now() - start).count();
    };
    // Returns false to stop.
    auto process = [&](const Prog& p, uint64_t index, bool mutant, Rng& rng,
                       const std::string& note, auto& self) -> bool {
        s.generated++;
        current.index = index;
        s.probes += !note.empty();
        s.mutants += mutant;
        std::string log;
        int err = verify(o, p, KBPF_LOG_LEVEL_ERRORS, o.reasons ? &log : nullptr);
        if (err && o.reasons) {
            size_t at = log.find(": ");
            std::string why = log.substr(at == std::string::npos ? 0 : at + 2);
            why = why.substr(0, why.find('\n'));
            for (char& ch : why)
                if (ch >= '0' && ch <= '9')
                    ch = 'N';
            reasons[why]++;
            if (!o.show.empty() && log.find(o.show) != std::string::npos && shown++ < 5)
                fprintf(o.out, "rejected:\n%s%s\n", disassemble(p).c_str(), log.c_str());
        }
        // A checkpoint at every instruction may end more paths, never change
        // the verdict (but for E2BIG: it only costs more).
        if (rng.below(100) < o.state_freq && err != -E2BIG) {
            Prog q = p;
            q.flags ^= KBPF_F_TEST_STATE_FREQ;
            int err2 = verify(o, q, 0, nullptr);
            if (err2 != err && err2 != -E2BIG) {
                std::string log1, log2;
                verify(o, p, KBPF_LOG_LEVEL_ERRORS, &log1);
                verify(o, q, KBPF_LOG_LEVEL_ERRORS, &log2);
                fprintf(o.out,
                        "FAIL: program #%llu (seed %llu): KBPF_F_TEST_STATE_FREQ changes the "
                        "verdict: %d with flags %#x, %d with %#x\n%s%s%s",
                        static_cast<unsigned long long>(index),
                        static_cast<unsigned long long>(o.seed), err, p.flags, err2, q.flags,
                        disassemble(p).c_str(), log1.c_str(), log2.c_str());
                if (!o.dump_dir.empty())
                    dump(p, o.dump_dir + "/verdict-" + std::to_string(o.seed) + "-" +
                                std::to_string(index) + (mutant ? "m" : ""));
                s.failed++;
                s.verdicts_changed++;
                if (!s.first_failure_at)
                    s.first_failure_at = s.generated;
                if (o.stop_at_failure)
                    return false;
            }
        }
        if (err) {
            s.rejected++;
            s.rejected_eacces += err == -EACCES;
            s.rejected_einval += err == -EINVAL;
            s.rejected_e2big += err == -E2BIG;
            return true;
        }
        s.accepted++;
        s.probes_accepted += !note.empty();
        std::vector<uint64_t> interesting = interesting_values(p);
        for (unsigned run = 0; run < o.runs; run++) {
            RunConfig c = make_config(rng, p, interesting, run);
            current.prog = &p;
            current.stage = "running (checking interpreter)";
            RunResult r = check_run(p, c);
            s.runs++;
            s.executed += r.executed;
            // With allow_ptr_leaks a program may branch on pointer values,
            // which differ between the two interpreters.
            if (r.ok && (p.flags & KBPF_F_ALLOW_PTR_LEAKS))
                continue;
            if (r.ok) {
                // The module's interpreter on the same inputs, under ASan:
                // it must finish, and without pointer leaks return the same
                // and leave the same in the maps.
                uint64_t r0 = 0;
                std::vector<uint8_t> map_values;
                current.stage = "running (kbpf_interp_run)";
                int err = real_run(p, c, &r0, &map_values);
                s.real_runs++;
                if (!err && r0 == r.r0 && map_values == r.map_values)
                    continue;
                r.ok = false;
                r.fault = "kbpf_interp_run() returned " + std::to_string(err) + " with r0 " +
                          std::to_string(r0) + ", the checking interpreter 0 with r0 " +
                          std::to_string(r.r0) +
                          (map_values == r.map_values ? "" : "; the maps' values differ");
            }
            s.failed++;
            if (!s.first_failure_at)
                s.first_failure_at = s.generated;
            const char* what = !note.empty() ? "program with bound checks from"
                               : mutant      ? "mutant of program"
                                             : "program";
            std::string name = o.dump_dir + "/fail-" + std::to_string(o.seed) + "-" +
                               std::to_string(index) + (mutant ? "m" : "") +
                               (note.empty() ? "" : "b");
            if (!o.dump_dir.empty())
                dump(p, name, "fault: " + r.fault + "\n");
            report(o, p, c, r, index, what, !o.minimize, note);
            if (o.minimize) {
                Prog small = minimize(o, p, c, fault_kind(r.fault));
                RunResult sr = check_run(small, c);
                fprintf(o.out, "minimized to %zu insns:\n", small.insns.size());
                report(o, small, c, sr, index, "minimized program", true, note);
                if (!o.dump_dir.empty())
                    dump(small, name + "-min", "fault: " + sr.fault + "\n");
            }
            return !o.stop_at_failure;
        }
        s.passed++;
        if (note.empty() && rng.below(100) < o.probes) {
            std::string log, what;
            Prog checked;
            verify(o, p, KBPF_LOG_LEVEL_INSNS, &log);
            if (add_bound_checks(p, log, rng, &checked, &what) &&
                !self(checked, index, mutant, rng, what, self))
                return false;
        }
        if (o.dump_accepted && !o.dump_dir.empty())
            dump(p, o.dump_dir + "/ok-" + std::to_string(o.seed) + "-" + std::to_string(index) +
                        (mutant ? "m" + std::to_string(s.mutants) : "") +
                        (note.empty() ? "" : "b"));
        return true;
    };
    for (uint64_t i = 0;; i++) {
        if (o.count && i >= o.count)
            break;
        if (o.seconds > 0 && elapsed() >= o.seconds)
            break;
        if (!o.count && o.seconds <= 0)
            break;
        Rng rng(o.seed * 0x2545f4914f6cdd1dULL + i);
        Prog p = generate(rng, o.gen);
        uint64_t acc = s.accepted;
        if (!process(p, i, false, rng, "", process))
            break;
        bool go = true;
        if (s.accepted > acc)
            for (unsigned m = 0; m < o.mutants && go; m++)
                go = process(mutate(p, rng), i, true, rng, "", process);
        if (!go)
            break;
        if (o.progress_every > 0 &&
            std::chrono::duration<double>(Clock::now() - last_progress).count() >=
                o.progress_every) {
            last_progress = Clock::now();
            fprintf(o.out,
                    "fuzz: %.0f s: %llu generated, %llu accepted, %llu failed, %.0f programs/s\n",
                    elapsed(), static_cast<unsigned long long>(s.generated),
                    static_cast<unsigned long long>(s.accepted),
                    static_cast<unsigned long long>(s.failed), s.generated / elapsed());
            fflush(o.out);
        }
    }
    s.elapsed = elapsed();
    current.prog = nullptr;
    std::vector<std::pair<uint64_t, std::string>> top;
    for (const auto& [why, n] : reasons)
        top.emplace_back(n, why);
    std::sort(top.rbegin(), top.rend());
    for (size_t i = 0; i < top.size() && i < 25; i++)
        fprintf(o.out, "%8llu  %s\n", static_cast<unsigned long long>(top[i].first),
                top[i].second.c_str());
    return s;
}

void print_summary(const Options& o, const Stats& s, const char* name) {
    double rate = s.elapsed > 0 ? s.generated / s.elapsed : 0;
    fprintf(
        o.out,
        "%s: seed %llu: %llu programs generated (%llu near-miss mutants), %llu accepted "
        "(%.1f%%), %llu rejected (EACCES %llu, EINVAL %llu, E2BIG %llu); %llu runs, %llu "
        "insns executed; %.1f s, %.0f programs/s\n",
        name, static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(s.generated),
        static_cast<unsigned long long>(s.mutants), static_cast<unsigned long long>(s.accepted),
        s.generated ? 100.0 * static_cast<double>(s.accepted) / static_cast<double>(s.generated)
                    : 0.0,
        static_cast<unsigned long long>(s.rejected),
        static_cast<unsigned long long>(s.rejected_eacces),
        static_cast<unsigned long long>(s.rejected_einval),
        static_cast<unsigned long long>(s.rejected_e2big), static_cast<unsigned long long>(s.runs),
        static_cast<unsigned long long>(s.executed), s.elapsed, rate);
    fprintf(o.out,
            "%s: %llu programs with bound checks of the verifier's log, %llu accepted; %llu "
            "verdicts changed by KBPF_F_TEST_STATE_FREQ; %llu runs repeated in "
            "kbpf_interp_run()\n",
            name, static_cast<unsigned long long>(s.probes),
            static_cast<unsigned long long>(s.probes_accepted),
            static_cast<unsigned long long>(s.verdicts_changed),
            static_cast<unsigned long long>(s.real_runs));
    if (s.failed)
        fprintf(o.out, "%s: the first failure after %llu programs\n", name,
                static_cast<unsigned long long>(s.first_failure_at));
    fprintf(o.out, "%s: %llu passed, %llu failed\n", name,
            static_cast<unsigned long long>(s.passed), static_cast<unsigned long long>(s.failed));
    fflush(o.out);
}

} // namespace fuzz
