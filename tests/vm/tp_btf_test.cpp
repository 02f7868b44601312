// BTF-typed raw tracepoints (tp_btf): tests/bpf_progs/tp_btf.bpf.c's
// programs, typed by the running kernel's BTF, follow kernel structs with
// plain loads (p->real_parent->tgid, p->comm[i], bprm->filename) and
// bpf_get_current_task_btf(); a load through a pointer to nothing reads 0
// instead of faulting; the tracepoint is named at load, and a wrong one is
// refused there. JIT'd and interpreted alike.
#include "insn.hpp"
#include "jit_util.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <cstring>
#include <doctest/doctest.h>
#include <kring/program.hpp>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/tp_btf.bpf.o";

struct ExecEvent { // tp_btf.bpf.c's
    int32_t pid;
    int32_t tgid;
    int32_t ppid;
    int32_t old_pid;
    int32_t current_pid;
    int32_t copied;
    char comm[16];
    char filename[64];
};

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

struct TpBtf : vmtest::TestObject {
    TpBtf() : TestObject(kObject, "tp_btf") {}
    kring::Program load(const std::string& name, uint32_t flags) {
        return TestObject::load(name, KRING_ATTACH_TP_BTF, flags);
    }
};

// KRING_IOC_PROG_LOAD of `insns` as a tp_btf program of `target`: the
// errno (0: loaded), and the log.
int load_errno(const std::vector<bpf_insn>& insns, const char* target, std::string* log) {
    jitvm::Loaded loaded = jitvm::load(insns, 0, {}, KRING_ATTACH_TP_BTF, target);
    *log = loaded.log;
    return loaded.err;
}

} // namespace

TEST_CASE("tp_btf: an exec's task, its parent, the current task and the file name, by plain "
          "loads through kernel structs") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TpBtf t;
        kring::Program prog = t.load("on_exec", flags);
        CHECK(prog.info().attach_type == KRING_ATTACH_TP_BTF);
        CHECK(prog.jited() == !flags);
        std::vector<pid_t> children;
        {
            kring::Link link = prog.attach();
            for (int i = 0; i < 3; i++)
                children.push_back(vmtest::run_busybox({"true"}));
        }
        vmtest::run_busybox({"true"}); // detached: not seen
        std::vector<ExecEvent> events = t.drain<ExecEvent>("execs");
        // Other processes may exec meanwhile: the children's are these.
        std::vector<ExecEvent> ours;
        for (const ExecEvent& e : events)
            for (pid_t child : children)
                if (e.pid == child)
                    ours.push_back(e);
        REQUIRE(ours.size() == children.size());
        for (size_t i = 0; i < ours.size(); i++) {
            const ExecEvent& e = ours[i];
            CAPTURE(i);
            CHECK(e.pid == children[i]);
            CHECK(e.tgid == children[i]);
            CHECK(e.ppid == getpid());
            CHECK(e.old_pid == children[i]);
            CHECK(e.current_pid == children[i]);
            CHECK(std::string(e.comm, strnlen(e.comm, sizeof(e.comm))) == "busybox");
            CHECK(std::string(e.filename) == "/bin/busybox");
            CHECK(e.copied == static_cast<int32_t>(sizeof("/bin/busybox")));
        }
    }
}

TEST_CASE("tp_btf: a load through a pointer to nothing reads 0, JIT'd and interpreted") {
    // Addresses where no kernel struct is: NULL, a user address, one in
    // the kernel's half that is not canonical, the vsyscall page.
    const uint64_t nowhere[] = {0,
                                0x1000,
                                0x00007fffffff0000ULL,
                                0x8000000000000000ULL,
                                0xdead000000000000ULL,
                                0xffffffffff600000ULL};
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TpBtf t;
        kring::Program prog = t.load("read_task", flags);
        for (uint64_t address : nowhere) {
            CAPTURE(address);
            uint64_t ctx[KRING_RAW_TP_MAX_ARGS] = {address};
            kring::TestRun run = prog.test_run(std::as_writable_bytes(std::span(ctx)));
            CHECK(run.retval == 0);
        }
    }
}

TEST_CASE("tp_btf: the tracepoint is named at load, and checked there") {
    const std::vector<bpf_insn> ret0 = {insn::mov64_imm(BPF_REG_0, 0), insn::exit_insn()};
    std::string log;
    CHECK(load_errno(ret0, "sched_process_exec", &log) == 0);
    CHECK(load_errno(ret0, "no_such_tracepoint", &log) == ENOENT);
    CHECK(log.find("the kernel's BTF has no tracepoint no_such_tracepoint (no typedef "
                   "btf_trace_no_such_tracepoint)") != std::string::npos);
    CHECK(load_errno(ret0, "", &log) == EINVAL);
    CHECK(load_errno(ret0, nullptr, &log) == EINVAL);
    std::string long_name(KRING_SYMBOL_MAX, 'a');
    CHECK(load_errno(ret0, long_name.c_str(), &log) == ENAMETOOLONG);
    // A target for another attach type is refused.
    {
        vmtest::Fd dev = vmtest::open_device();
        kring_prog_load req{};
        req.insns = reinterpret_cast<uint64_t>(ret0.data());
        req.insn_cnt = static_cast<uint32_t>(ret0.size());
        req.attach_type = KRING_ATTACH_RAW_TRACEPOINT;
        req.attach_target = reinterpret_cast<uint64_t>("sys_enter");
        CHECK(::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req) < 0);
        CHECK(errno == EINVAL);
    }
    // A loader built before attach_target existed still loads (the
    // struct's first 56 bytes, KRING_IOC_PROG_LOAD_V1).
    {
        vmtest::Fd dev = vmtest::open_device();
        kring_prog_load req{};
        req.insns = reinterpret_cast<uint64_t>(ret0.data());
        req.insn_cnt = static_cast<uint32_t>(ret0.size());
        req.attach_type = KRING_ATTACH_SYS_ENTER;
        vmtest::Fd fd{::ioctl(dev.get(), KRING_IOC_PROG_LOAD_V1, &req)};
        CHECK(fd.get() >= 0);
    }
    // The attach names nothing: the load did.
    TpBtf t;
    kring::Program prog = t.load("on_exec", 0);
    kring_prog_attach req{};
    req.symbol = reinterpret_cast<uint64_t>("sched_process_exec");
    vmtest::Fd link{::ioctl(prog.fd(), KRING_IOC_PROG_ATTACH, &req)};
    CHECK(link.get() < 0);
    CHECK(errno == EINVAL);
    // Reading kernel structs needs what tracing needs, as Linux's tracing
    // programs do: CAP_PERFMON, to load.
    int status = vmtest::in_child([&] {
        if (!vmtest::keep_only_caps({CAP_BPF}))
            return 98;
        std::string why;
        return load_errno(ret0, "sched_process_exec", &why) == EPERM ? 0 : 1;
    });
    CHECK(status == 0);
}
