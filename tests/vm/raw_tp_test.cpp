// Raw tracepoints by name: tests/bpf_progs/raw_tp.bpf.c's programs, attached
// to sys_enter and sched_process_exec, read the tracepoints' arguments as
// u64 ctx[] (BPF_PROG and by hand), described from the kernel's BTF; each
// argument keeps only its size's bytes; detaching stops them; bad
// descriptions, unknown tracepoints and missing rights are refused. JIT'd
// and interpreted alike.
#include "object_util.hpp"
#include "vm_util.hpp"

#include <cstring>
#include <doctest/doctest.h>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/raw_tp.bpf.o";
constexpr int kMagicFd = -1234; // raw_tp.bpf.c reports only this close

struct SysEnterEvent { // raw_tp.bpf.c's
    int64_t id;
    int64_t fd;
    int64_t read_result;
};

struct ExecEvent {
    uint64_t old_pid;
    uint32_t task_nonzero;
    uint32_t bprm_nonzero;
};

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

// The object; its programs are raw tracepoint ones.
struct RawTps : vmtest::TestObject {
    RawTps() : TestObject(kObject, "raw_tp") {}
    kring::Program load(const std::string& name, uint32_t flags) {
        return TestObject::load(name, KRING_ATTACH_RAW_TRACEPOINT, flags);
    }
};

// KRING_IOC_PROG_ATTACH with the given name and description: the errno, or
// 0 with the link in *link.
int attach_errno(const kring::Program& prog, const char* name, uint32_t raw_args,
                 vmtest::Fd* link = nullptr) {
    kring_prog_attach req{};
    req.symbol = reinterpret_cast<uint64_t>(name);
    req.raw_args = raw_args;
    vmtest::Fd fd{::ioctl(prog.fd(), KRING_IOC_PROG_ATTACH, &req)};
    int err = fd.get() < 0 ? errno : 0;
    if (link)
        *link = std::move(fd);
    return err;
}

} // namespace

TEST_CASE("raw tp: sys_enter's arguments, the syscall number and the pt_regs pointer") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        RawTps rt;
        kring::Program prog = rt.load("on_sys_enter", flags);
        CHECK(prog.info().attach_type == KRING_ATTACH_RAW_TRACEPOINT);
        {
            kring::Link link = prog.attach("sys_enter");
            for (int i = 0; i < 3; i++)
                CHECK(::syscall(SYS_close, kMagicFd) == -1);
            std::vector<SysEnterEvent> events = rt.drain<SysEnterEvent>("sys_enters");
            REQUIRE(events.size() == 3);
            for (const SysEnterEvent& e : events) {
                CHECK(e.id == SYS_close);
                CHECK(e.read_result == 0);
                CHECK(e.fd == kMagicFd);
            }
            CHECK(prog.info().runs >= 3);
        }
        // Detached: the closes are no longer seen.
        CHECK(::syscall(SYS_close, kMagicFd) == -1);
        CHECK(rt.drain<SysEnterEvent>("sys_enters").empty());
    }
}

TEST_CASE("raw tp: sched_process_exec's old_pid, a pid_t zero-extended") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        RawTps rt;
        kring::Program prog = rt.load("on_exec", flags);
        kring::Link link = prog.attach("sched_process_exec");
        int status = 0;
        pid_t child = vmtest::run_busybox({"true"}, &status);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        bool seen = false;
        for (const ExecEvent& e : rt.drain<ExecEvent>("execs")) {
            CHECK(e.old_pid <= UINT32_MAX);
            if (e.old_pid != static_cast<uint64_t>(child))
                continue;
            seen = true;
            CHECK(e.task_nonzero == 1);
            CHECK(e.bprm_nonzero == 1);
        }
        CHECK(seen);
    }
}

TEST_CASE("raw tp: each argument keeps only the bytes its description gives") {
    RawTps rt;
    kring::Program prog = rt.load("on_exec", 0);
    // old_pid described as 1 byte: the program sees its low byte.
    const uint32_t one_byte_pid = KRING_RAW_ARGS_COUNT(3) | KRING_RAW_ARG_SIZE(0, 3) |
                                  KRING_RAW_ARG_SIZE(1, 0) | KRING_RAW_ARG_SIZE(2, 3);
    vmtest::Fd link;
    REQUIRE(attach_errno(prog, "sched_process_exec", one_byte_pid, &link) == 0);
    pid_t child = 0;
    // A pid with a byte above the lowest, so that the mask shows.
    while ((child = vmtest::run_busybox({"true"})) <= 0xff)
        ;
    bool seen = false;
    for (const ExecEvent& e : rt.drain<ExecEvent>("execs")) {
        CHECK(e.old_pid <= 0xff);
        seen = seen || e.old_pid == (static_cast<uint64_t>(child) & 0xff);
    }
    CHECK(seen);
}

TEST_CASE("raw tp: a test run reads the arguments it is given") {
    RawTps rt;
    kring::Program prog = rt.load("on_exec", 0);
    uint64_t args[KRING_RAW_TP_MAX_ARGS] = {0xffff888000001000, 4242, 0};
    CHECK(prog.test_run(std::as_writable_bytes(std::span(args))).retval == 0);
    std::vector<ExecEvent> events = rt.drain<ExecEvent>("execs");
    REQUIRE(events.size() == 1);
    CHECK(events[0].old_pid == 4242);
    CHECK(events[0].task_nonzero == 1);
    CHECK(events[0].bprm_nonzero == 0);
}

TEST_CASE("raw tp: bad descriptions, unknown tracepoints and missing rights are refused") {
    RawTps rt;
    kring::Program prog = rt.load("on_sys_enter", 0);
    const uint32_t sys_enter_args = kring::raw_tracepoint_args("sys_enter");
    CHECK(sys_enter_args ==
          (KRING_RAW_ARGS_COUNT(2) | KRING_RAW_ARG_SIZE(0, 3) | KRING_RAW_ARG_SIZE(1, 3)));
    CHECK(attach_errno(prog, "sys_enter", KRING_RAW_ARGS_COUNT(13)) == EINVAL);
    // A size for a third argument of a description of two.
    CHECK(attach_errno(prog, "sys_enter", sys_enter_args | KRING_RAW_ARG_SIZE(2, 1)) == EINVAL);
    CHECK(attach_errno(prog, "no_such_tracepoint", sys_enter_args) == ENOENT);
    CHECK(attach_errno(prog, "raw_syscalls/sys_enter", sys_enter_args) == ENOENT);
    CHECK(attach_errno(prog, nullptr, sys_enter_args) == EINVAL);
    try {
        prog.attach("no_such_tracepoint");
        FAIL("attached to a tracepoint the kernel's BTF does not have");
    } catch (const kring::Error& e) {
        CHECK(e.errno_value() == ENOENT);
    }
    // A description on another attach type's program.
    kring::bpf::Object other = kring::bpf::load_elf("/lib/kring/trace_events.bpf.o");
    kring::ObjectMaps other_maps{other, "trace_events"};
    for (const auto& p : other.programs) {
        if (p.name != "on_close")
            continue;
        kring::Program tracepoint =
            kring::Program::load(p, other_maps.fds(), KRING_ATTACH_TRACEPOINT);
        CHECK(attach_errno(tracepoint, "syscalls/sys_enter_close", sys_enter_args) == EINVAL);
    }
    // Attaching needs CAP_PERFMON.
    CHECK(vmtest::in_child([&] {
              if (!vmtest::keep_only_caps({CAP_BPF}))
                  return 1;
              return attach_errno(prog, "sys_enter", sys_enter_args) == EPERM ? 0 : 2;
          }) == 0);
    vmtest::Fd link;
    CHECK(attach_errno(prog, "sys_enter", sys_enter_args, &link) == 0);
}
