// Trace events by name (issue 15): tests/bpf_progs/trace_events.bpf.c's
// programs, attached as "CATEGORY/NAME" to syscalls/sys_enter_close and
// sched/sched_process_exec, read the events' records as Linux lays them out
// for its tracepoint programs (a __data_loc string included); every event
// runs the program once, on every CPU; detaching stops them; bad names and
// missing rights are refused. JIT'd and interpreted alike.
#include "object_util.hpp"
#include "vm_util.hpp"

#include <atomic>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/trace_events.bpf.o";

struct CloseEvent { // trace_events.bpf.c's
    int32_t common_pid;
    int32_t syscall_nr;
    int64_t fd;
    uint16_t common_type;
    uint16_t pad[3];
};

struct ExecEvent {
    int32_t pid;
    int32_t old_pid;
    uint32_t filename_len;
    int32_t copied;
    char filename[64];
};

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

// The object; its programs are trace event ones.
struct TraceEvents : vmtest::TestObject {
    TraceEvents() : TestObject(kObject, "trace_events") {}
    kring::Program load(const std::string& name, uint32_t flags) {
        return TestObject::load(name, KRING_ATTACH_TRACEPOINT, flags);
    }
};

// The offset of `field` in the records of trace event `event`
// (CATEGORY/NAME), from its tracefs format file's line
// "field:TYPE NAME;	offset:N;	size:N;	signed:N;".
size_t format_offset(const std::string& event, const std::string& field) {
    std::ifstream format;
    for (const char* tracefs : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
        format.open(std::string(tracefs) + "/events/" + event + "/format");
        if (format)
            break;
    }
    REQUIRE_MESSAGE(format.is_open(), "no tracefs format file for " << event);
    std::string line;
    while (std::getline(format, line)) {
        size_t decl = line.find("field:"), end = line.find(';'), at = line.find("offset:");
        if (decl == std::string::npos || end == std::string::npos || at == std::string::npos)
            continue;
        std::string name = line.substr(decl, end - decl);
        name = name.substr(0, name.find('['));            // an array's length
        name = name.substr(name.find_last_of(" \t") + 1); // after its type
        if (name == field)
            return std::stoul(line.substr(at + 7));
    }
    FAIL("no field " << field << " in " << event << "'s format");
    return 0;
}

// The test's own closes: negative fds, which the program keeps.
std::vector<CloseEvent> mine(const std::vector<CloseEvent>& all, pid_t tid) {
    std::vector<CloseEvent> out;
    for (const CloseEvent& e : all)
        if (e.common_pid == tid)
            out.push_back(e);
    return out;
}

} // namespace

TEST_CASE("trace events: syscalls/sys_enter_close's record, as Linux lays it out") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TraceEvents te;
        kring::Program prog = te.load("on_close", flags);
        CHECK(prog.info().attach_type == KRING_ATTACH_TRACEPOINT);
        {
            kring::Link link = prog.attach("syscalls/sys_enter_close");
            for (int fd : {-7, -8, -9})
                CHECK(::syscall(SYS_close, fd) == -1);
            std::vector<CloseEvent> events = mine(te.drain<CloseEvent>("closes"), gettid());
            REQUIRE(events.size() == 3);
            for (size_t i = 0; i < 3; i++) {
                CHECK(events[i].fd == -7 - static_cast<int>(i));
                CHECK(events[i].syscall_nr == SYS_close);
                // struct trace_entry's type: the event's id, never 0.
                CHECK(events[i].common_type != 0);
                CHECK(events[i].common_type == events[0].common_type);
            }
            CHECK(prog.info().runs >= 3);
        }
        // Detached: closes are no longer seen.
        CHECK(::syscall(SYS_close, -10) == -1);
        CHECK(mine(te.drain<CloseEvent>("closes"), gettid()).empty());
    }
}

TEST_CASE("trace events: sched/sched_process_exec's __data_loc file name") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TraceEvents te;
        kring::Program prog = te.load("on_exec", flags);
        kring::Link link = prog.attach("sched/sched_process_exec");
        int status = 0;
        pid_t child = vmtest::run_busybox({"true"}, &status);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        bool seen = false;
        for (const ExecEvent& e : te.drain<ExecEvent>("execs")) {
            if (e.pid != child)
                continue;
            seen = true;
            CHECK(e.old_pid == child);
            CHECK(std::string(e.filename) == "/bin/busybox");
            CHECK(e.filename_len == sizeof("/bin/busybox"));
            CHECK(e.copied == static_cast<int32_t>(sizeof("/bin/busybox")));
        }
        CHECK(seen);
    }
}

TEST_CASE("trace events: each event runs the program once, on every CPU") {
    // Threads on every CPU close negative fds; every close is one record,
    // none lost and none twice (the ring holds them all).
    const unsigned threads = 2 * std::max(1U, std::thread::hardware_concurrency());
    constexpr int kPerThread = 200;
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TraceEvents te;
        kring::Program prog = te.load("on_close", flags);
        kring::Link link = prog.attach("syscalls/sys_enter_close");
        std::vector<pid_t> tids(threads);
        std::vector<std::thread> closers;
        for (unsigned t = 0; t < threads; t++)
            closers.emplace_back([&, t] {
                tids[t] = gettid();
                cpu_set_t cpus;
                CPU_ZERO(&cpus);
                CPU_SET(t % std::max(1U, std::thread::hardware_concurrency()), &cpus);
                sched_setaffinity(0, sizeof(cpus), &cpus);
                for (int i = 0; i < kPerThread; i++)
                    ::syscall(SYS_close, -1000 - i);
            });
        for (auto& c : closers)
            c.join();
        std::vector<CloseEvent> all = te.drain<CloseEvent>("closes");
        size_t total = 0;
        for (pid_t tid : tids) {
            std::vector<CloseEvent> events = mine(all, tid);
            CHECK(events.size() == kPerThread);
            for (size_t i = 0; i < events.size(); i++)
                CHECK(events[i].fd == -1000 - static_cast<int64_t>(i));
            total += events.size();
        }
        MESSAGE(total, " closes on ", threads, " threads, each one record");
    }
}

TEST_CASE("trace events: a test run reads the record laid out as the event's format file says") {
    // The program reads vmlinux.h's struct, relocated by CO-RE for this
    // kernel; the record is built from tracefs's description of it.
    TraceEvents te;
    kring::Program prog = te.load("on_close", 0);
    std::vector<std::byte> record(KRING_TRACEPOINT_CTX_SIZE);
    const int32_t pid = 4242, nr = SYS_close;
    const int64_t fd = -5;
    const std::string event = "syscalls/sys_enter_close";
    std::memcpy(record.data() + format_offset(event, "common_pid"), &pid, 4);
    std::memcpy(record.data() + format_offset(event, "__syscall_nr"), &nr, 4);
    std::memcpy(record.data() + format_offset(event, "fd"), &fd, 8);
    MESSAGE(event, ": common_pid at ", format_offset(event, "common_pid"), ", __syscall_nr at ",
            format_offset(event, "__syscall_nr"), ", fd at ", format_offset(event, "fd"));
    CHECK(prog.test_run(record).retval == 0);
    std::vector<CloseEvent> events = te.drain<CloseEvent>("closes");
    REQUIRE(events.size() == 1);
    CHECK(events[0].common_pid == pid);
    CHECK(events[0].syscall_nr == nr);
    CHECK(events[0].fd == fd);
}

TEST_CASE("trace events: unknown events, bad names and missing rights are refused") {
    TraceEvents te;
    kring::Program prog = te.load("on_close", 0);
    auto attach_errno = [&](const char* name) {
        kring_prog_attach req{};
        req.symbol = reinterpret_cast<uint64_t>(name);
        vmtest::Fd link{::ioctl(prog.fd(), KRING_IOC_PROG_ATTACH, &req)};
        return link.get() < 0 ? errno : 0;
    };
    CHECK(attach_errno("sched/no_such_event") == ENOENT);
    CHECK(attach_errno("no_such_category/sched_process_exec") == ENOENT);
    CHECK(attach_errno("sched_process_exec") == EINVAL);
    CHECK(attach_errno("sched/") == EINVAL);
    CHECK(attach_errno("/sched_process_exec") == EINVAL);
    CHECK(attach_errno("sched/sched_process_exec/x") == EINVAL);
    CHECK(attach_errno(nullptr) == EINVAL);
    // Raw tracepoint data needs CAP_PERFMON, as perf_event_open(2) does.
    CHECK(vmtest::in_child([&] {
              if (!vmtest::keep_only_caps({CAP_BPF}))
                  return 1;
              return attach_errno("syscalls/sys_enter_close") == EPERM ? 0 : 2;
          }) == 0);
}
