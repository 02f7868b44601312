// bpf_printk in the kernel: tests/bpf_progs/printk.bpf.c's kprobe program,
// libbpf's macro through bpf_trace_printk and bpf_trace_vprintk, writes its
// lines to the kring:bpf_trace_printk trace event, which its load enables,
// and trace_pipe shows them as it shows a Linux program's
// ("bpf_trace_printk: TEXT"). A format Linux refuses and a vprintk
// argument size that is no whole number of u64s fail with EINVAL at run
// time and print nothing. JIT'd and interpreted alike. Enabling the event
// patches text (its call site in the module), so these run in the
// live-text-patching suite (docs/testing.md).
#include "insn.hpp"
#include "jit_util.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <chrono>
#include <cstring>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

using namespace insn;

namespace {

constexpr uint8_t R1 = BPF_REG_1, R2 = BPF_REG_2, R3 = BPF_REG_3, R4 = BPF_REG_4, R5 = BPF_REG_5,
                  R10 = BPF_REG_10;

const std::string kObject = "/lib/kring/printk.bpf.o";
const std::string kTracing = "/sys/kernel/debug/tracing";
const std::string kEnable = kTracing + "/events/kring/bpf_trace_printk/enable";

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    REQUIRE_MESSAGE(f.is_open(), "cannot read " << path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::trunc);
    REQUIRE_MESSAGE(f.is_open(), "cannot write " << path);
    f << text;
}

// The trace's lines that the event wrote: the text after its name.
std::vector<std::string> printk_lines() {
    std::vector<std::string> lines;
    std::istringstream trace(read_file(kTracing + "/trace"));
    const std::string tag = "bpf_trace_printk: ";
    for (std::string line; std::getline(trace, line);)
        if (auto at = line.find(tag); at != std::string::npos)
            lines.push_back(line.substr(at + tag.size()));
    return lines;
}

void clear_trace() {
    write_file(kTracing + "/trace", "");
    REQUIRE(printk_lines().empty());
}

// The load enables the event from a work item: soon after, not at once.
bool event_enabled_within_seconds(int seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (read_file(kEnable).starts_with("1"))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// fp-8 = @fmt (8 bytes at most, NULs after it), then
// trace_printk(fp-8, 8, 42, 7, 9).
std::vector<bpf_insn> printk_prog(std::string_view fmt) {
    uint64_t word = 0;
    REQUIRE(fmt.size() <= sizeof(word));
    std::memcpy(&word, fmt.data(), fmt.size());
    std::vector<bpf_insn> prog = ld_imm64_pair(R1, word);
    for (const bpf_insn& in :
         {stx(BPF_DW, R10, R1, -8), mov64_reg(R1, R10), alu64_imm(BPF_ADD, R1, -8),
          mov64_imm(R2, 8), mov64_imm(R3, 42), mov64_imm(R4, 7), mov64_imm(R5, 9),
          call_helper(BPF_FUNC_trace_printk), exit_insn()})
        prog.push_back(in);
    return prog;
}

// trace_vprintk(fp-16 = "%d", 3, fp-8 = {5}, @size).
std::vector<bpf_insn> vprintk_prog(int32_t size) {
    return {st(BPF_W, R10, -16, 0x6425),
            st(BPF_DW, R10, -8, 5),
            mov64_reg(R1, R10),
            alu64_imm(BPF_ADD, R1, -16),
            mov64_imm(R2, 3),
            mov64_reg(R3, R10),
            alu64_imm(BPF_ADD, R3, -8),
            mov64_imm(R4, size),
            call_helper(BPF_FUNC_trace_vprintk),
            exit_insn()};
}

int64_t run_once(const std::vector<bpf_insn>& insns, uint32_t flags) {
    jitvm::Loaded prog = jitvm::load(insns, flags);
    REQUIRE_MESSAGE(prog.err == 0, prog.log);
    uint64_t r0 = 0;
    REQUIRE(jitvm::test_run(prog.prog.get(), pt_regs{}, &r0) == 0);
    return static_cast<int64_t>(r0);
}

} // namespace

TEST_CASE("bpf_printk: a kprobe program's lines reach the trace as Linux's do, and its load "
          "enables their event" *
          doctest::test_suite("live-text-patching")) {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        write_file(kEnable, "0");
        clear_trace();
        vmtest::TestObject t(kObject, "printk", vmtest::reporting_this_process());
        kring::Program prog = t.load("printk", KRING_ATTACH_KPROBE, flags);
        CHECK(event_enabled_within_seconds(5));
        {
            kring::Link link = prog.attach("__x64_sys_getppid");
            CHECK(::getppid() >= 0);
        }
        std::vector<std::string> want = {"kring printk: comm=kring-vm-tests",
                                         "kring printk: -1 2 ff 1099511627776 10.0.2.15"};
        CHECK(printk_lines() == want);
    }
}

TEST_CASE("bpf_printk: R0 is the text's length; a format Linux refuses and a vprintk size that "
          "is no multiple of 8 give EINVAL and print nothing" *
          doctest::test_suite("live-text-patching")) {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        write_file(kEnable, "0");
        jitvm::Loaded enabling = jitvm::load(printk_prog("%d"), flags);
        REQUIRE(enabling.err == 0);
        REQUIRE(event_enabled_within_seconds(5));
        clear_trace();
        CHECK(run_once(printk_prog("%d+%d"), flags) == 4);
        CHECK(run_once(vprintk_prog(8), flags) == 1);
        CHECK(run_once(printk_prog("%d %q"), flags) == -EINVAL);
        CHECK(run_once(printk_prog("%d%d%d%d"), flags) == -EINVAL); // no NUL in its 8 bytes
        CHECK(run_once(vprintk_prog(4), flags) == -EINVAL);
        CHECK(printk_lines() == std::vector<std::string>{"42+7", "5"});
    }
}
