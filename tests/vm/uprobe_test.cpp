// uprobes and uretprobes: tests/bpf_progs/uprobe.bpf.c's programs on a
// function of this test binary, found by its symbol as libbpf finds it.
// The entry sees the function's first two arguments and address, the
// return its result, both in this process only when attached for it; the
// same object loaded with libbpf and attached with Linux's own uprobes
// sees the same. A uprobe for one process puts its breakpoint in that
// process alone. Nothing runs after detaching; a file that is no regular
// file, a missing one, a pid with no process and uprobe fields on a kprobe
// are refused. JIT'd and interpreted alike.
#include "libbpf_object.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/uprobe.hpp>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vector>

// The probed function: not inlined, and its result depends on both
// arguments.
extern "C" __attribute__((noinline)) long kring_uprobe_target(long a, long b) {
    asm volatile("" ::: "memory");
    return a * 3 + b;
}

namespace {

const std::string kObject = "/lib/kring/uprobe.bpf.o";
const std::string kSelf = "/proc/self/exe";
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

struct UprobeEvent { // uprobe.bpf.c's
    uint32_t tgid;
    uint32_t at_return;
    uint64_t arg0;
    uint64_t arg1;
    uint64_t result;
    uint64_t ip;
};

// Whether a uprobe's breakpoint (int3) is in this process's copy of the
// function's first instruction: Linux writes it into every address space
// the uprobe's filters take.
bool breakpoint_here() {
    return *reinterpret_cast<const volatile uint8_t*>(&kring_uprobe_target) == 0xcc;
}

// One call, through a volatile pointer so that it is a real call.
long call_target(long a, long b) {
    long (*volatile fn)(long, long) = kring_uprobe_target;
    return fn(a, b);
}

// The events one call (5, 7) gives: the entry's, then the return's.
void check_call(const std::vector<UprobeEvent>& events) {
    REQUIRE(events.size() == 2);
    const UprobeEvent& entry = events[0];
    const UprobeEvent& exit = events[1];
    CHECK(entry.tgid == static_cast<uint32_t>(::getpid()));
    CHECK(entry.at_return == 0);
    CHECK(entry.arg0 == 5);
    CHECK(entry.arg1 == 7);
    CHECK(entry.ip == reinterpret_cast<uint64_t>(&kring_uprobe_target));
    CHECK(exit.tgid == entry.tgid);
    CHECK(exit.at_return == 1);
    CHECK(exit.result == 22);
    // At the return, the instruction pointer is back in the caller.
    CHECK(exit.ip != entry.ip);
}

} // namespace

// Linux's uprobe for one process is a per-task perf event, which turns on
// the perf hooks in __schedule: text the other vCPU runs, so the
// single-threaded suite (docs/testing.md, "Live text patching under TCG").
TEST_CASE("uprobe: a function's arguments at entry and result at return, as Linux's uprobes" *
          doctest::test_suite("live-text-patching")) {
    const uint64_t offset = kring::elf_function_offset(kSelf, "kring_uprobe_target");
    CHECK(kring::resolve_uprobe_target(kSelf + ":kring_uprobe_target").offset == offset);
    CHECK(kring::resolve_uprobe_target(kSelf + ":kring_uprobe_target+0x4").offset == offset + 4);
    {
        // The object in Linux, attached to the same offset in this process.
        vmtest::LibbpfObject<UprobeEvent> linux_uprobes(kObject, "events");
        for (auto [name, retprobe] :
             {std::pair{"function_entry", false}, {"function_return", true}})
            linux_uprobes.add_link(bpf_program__attach_uprobe(linux_uprobes.program(name), retprobe,
                                                              ::getpid(), kSelf.c_str(), offset),
                                   name);
        CHECK(call_target(5, 7) == 22);
        INFO("Linux's uprobes");
        check_call(linux_uprobes.records());
    }
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        vmtest::TestObject t(kObject, "uprobe");
        kring::Program entry = t.load("function_entry", KRING_ATTACH_UPROBE, runtime);
        kring::Program exit = t.load("function_return", KRING_ATTACH_URETPROBE, runtime);
        {
            // This process alone, as libbpf's pid.
            kring::Link on_entry = entry.attach_uprobe(kSelf, offset, ::getpid());
            kring::Link on_exit = exit.attach_uprobe(kSelf, offset, ::getpid());
            CHECK(breakpoint_here());
            CHECK(call_target(5, 7) == 22);
        }
        CHECK(!breakpoint_here());
        check_call(t.drain<UprobeEvent>("events"));
        CHECK(call_target(1, 1) == 4);
        CHECK(t.drain<UprobeEvent>("events").empty()); // detached
        {
            // Every process's, by PATH:FUNCTION as a section names it.
            kring::Link on_entry = entry.attach(kSelf + ":kring_uprobe_target");
            CHECK(call_target(5, 7) == 22);
        }
        std::vector<UprobeEvent> events = t.drain<UprobeEvent>("events");
        REQUIRE(events.size() == 1);
        CHECK(events[0].arg0 == 5);
        {
            // Another process's alone (init's): this one's calls run
            // nothing, and its text has no breakpoint.
            kring::Link on_entry = entry.attach_uprobe(kSelf, offset, 1);
            CHECK(!breakpoint_here());
            CHECK(call_target(5, 7) == 22);
        }
        CHECK(t.drain<UprobeEvent>("events").empty());
    }
}

TEST_CASE("uprobe: what cannot be probed is refused") {
    vmtest::TestObject t(kObject, "uprobe");
    kring::Program entry = t.load("function_entry", KRING_ATTACH_UPROBE, 0);
    const uint64_t offset = kring::elf_function_offset(kSelf, "kring_uprobe_target");
    auto refused = [&](const std::string& path, uint64_t at, int32_t pid) {
        try {
            entry.attach_uprobe(path, at, pid);
        } catch (const kring::Error& e) {
            return e.errno_value();
        }
        return 0;
    };
    CHECK(refused("/dev/null", 0, 0) == EINVAL);
    CHECK(refused("/nonexistent/kring", 0, 0) == ENOENT);
    CHECK(refused(kSelf, offset, -1) == EINVAL);
    CHECK(refused(kSelf, offset, 0x3ffffff0) == ESRCH);
    CHECK(refused(kSelf, uint64_t{1} << 40, 0) == EINVAL); // past the file's end
    CHECK_THROWS_WITH_AS(entry.attach(kSelf + ":kring_no_such_function"),
                         doctest::Contains("has no function kring_no_such_function"), kring::Error);
    // A uprobe's fields on a kprobe.
    vmtest::TestObject k("/lib/kring/stack.bpf.o", "stack");
    kring::Program kprobe = k.load("stack_kprobe", KRING_ATTACH_KPROBE, 0);
    kring_prog_attach req{};
    req.symbol = reinterpret_cast<uint64_t>("__x64_sys_getppid");
    req.offset = 4;
    CHECK(::ioctl(kprobe.fd(), KRING_IOC_PROG_ATTACH, &req) < 0);
    CHECK(errno == EINVAL);
    // A loader that knows only the 16-byte struct still attaches kprobes.
    req.offset = 0;
    vmtest::Fd link(::ioctl(kprobe.fd(), KRING_IOC_PROG_ATTACH_V1, &req));
    CHECK(link.get() >= 0);
}
