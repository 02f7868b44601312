// Programs in the kernel: load (with the verifier's log and privileges),
// attach to tracepoints and kprobes, test-run, detach, unload. Raw ioctls:
// these tests check the uapi itself.
#include "insn.hpp"
#include "vm_util.hpp"

#include <asm/ptrace.h>
#include <chrono>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <linux/capability.h>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

using namespace vmtest;

namespace {

constexpr uint64_t kRingSize = 1 << 20;

struct Loaded {
    int err = 0; // errno of the load, 0 on success
    Fd prog;
    std::string log;
};

// Loads through `dev_fd`, or a new /dev/kring fd when it is -1.
Loaded load(const std::vector<bpf_insn>& insns, uint32_t attach_type, uint32_t log_level = 1,
            int dev_fd = -1) {
    Fd own = dev_fd < 0 ? open_device() : Fd();
    int dev = dev_fd < 0 ? own.get() : dev_fd;
    std::vector<char> log(1 << 16);
    kring_prog_load req{};
    req.insns = reinterpret_cast<uint64_t>(insns.data());
    req.insn_cnt = static_cast<uint32_t>(insns.size());
    req.attach_type = attach_type;
    req.log_buf = reinterpret_cast<uint64_t>(log.data());
    req.log_size = static_cast<uint32_t>(log.size());
    req.log_level = log_level;
    Loaded out;
    int fd = ::ioctl(dev, KRING_IOC_PROG_LOAD, &req);
    out.err = fd < 0 ? errno : 0;
    out.prog = Fd(fd);
    out.log = log.data();
    return out;
}

uint32_t ctx_size(uint32_t attach_type) {
    switch (attach_type) {
    case KRING_ATTACH_SCHED_PROCESS_FORK:
        return sizeof(kring_ctx_fork);
    case KRING_ATTACH_SCHED_PROCESS_EXEC:
        return sizeof(kring_ctx_exec);
    case KRING_ATTACH_SCHED_PROCESS_EXIT:
        return sizeof(kring_ctx_exit);
    case KRING_ATTACH_SYS_ENTER:
        return sizeof(kring_ctx_sys_enter);
    case KRING_ATTACH_SYS_EXIT:
        return sizeof(kring_ctx_sys_exit);
    default:
        return sizeof(pt_regs);
    }
}

// Reserves 8 + ctx bytes, stores the attach type then the context, submits.
std::vector<bpf_insn> copy_ctx_program(int ring_fd, uint32_t attach_type) {
    using namespace insn;
    uint32_t size = ctx_size(attach_type);
    std::vector<bpf_insn> p = {mov64_reg(6, 1)};
    for (const bpf_insn& i : ld_map_fd(1, ring_fd))
        p.push_back(i);
    p.push_back(mov64_imm(2, static_cast<int32_t>(8 + size)));
    p.push_back(mov64_imm(3, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_reserve));
    p.push_back(jmp_imm(BPF_JNE, 0, 0, 2));
    p.push_back(mov64_imm(0, 1));
    p.push_back(exit_insn());
    p.push_back(st(BPF_DW, 0, 0, static_cast<int32_t>(attach_type)));
    for (uint32_t off = 0; off < size; off += 8) {
        p.push_back(ldx(BPF_DW, 1, 6, static_cast<int16_t>(off)));
        p.push_back(stx(BPF_DW, 0, 1, static_cast<int16_t>(8 + off)));
    }
    p.push_back(mov64_reg(1, 0));
    p.push_back(mov64_imm(2, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_submit));
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

// Writes `count` records of 16 bytes a run, each its index twice: a
// loop of reserve and submit, as a tracer that reports many events per run.
std::vector<bpf_insn> loop_program(int ring_fd, int32_t count) {
    using namespace insn;
    std::vector<bpf_insn> p = {mov64_imm(6, 0)};
    for (const bpf_insn& i : ld_map_fd(1, ring_fd)) // the loop's head
        p.push_back(i);
    p.push_back(mov64_imm(2, 16));
    p.push_back(mov64_imm(3, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_reserve));
    p.push_back(jmp_imm(BPF_JEQ, 0, 0, 5)); // a drop: the next index
    p.push_back(stx(BPF_DW, 0, 6, 0));
    p.push_back(stx(BPF_DW, 0, 6, 8));
    p.push_back(mov64_reg(1, 0));
    p.push_back(mov64_imm(2, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_submit));
    p.push_back(alu64_imm(BPF_ADD, 6, 1));
    p.push_back(jmp_imm(BPF_JLT, 6, count, -13)); // back to the head
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

// A program the verifier must reject: it never submits its reservation.
std::vector<bpf_insn> leaking_program(int ring_fd) {
    using namespace insn;
    std::vector<bpf_insn> p = ld_map_fd(1, ring_fd);
    p.push_back(mov64_imm(2, 8));
    p.push_back(mov64_imm(3, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_reserve));
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

// Stores the context pointer into a record: allowed only with CAP_PERFMON.
std::vector<bpf_insn> pointer_leak_program(int ring_fd) {
    using namespace insn;
    std::vector<bpf_insn> p = {mov64_reg(6, 1)};
    for (const bpf_insn& i : ld_map_fd(1, ring_fd))
        p.push_back(i);
    p.push_back(mov64_imm(2, 8));
    p.push_back(mov64_imm(3, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_reserve));
    p.push_back(jmp_imm(BPF_JEQ, 0, 0, 4));
    p.push_back(stx(BPF_DW, 0, 6, 0));
    p.push_back(mov64_reg(1, 0));
    p.push_back(mov64_imm(2, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_submit));
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

struct Record {
    uint64_t kind;
    std::vector<uint8_t> ctx;
    template <typename T>
    T as() const {
        T t;
        std::memcpy(&t, ctx.data(), sizeof(T));
        return t;
    }
};

std::vector<Record> drain(Mapping& m) {
    std::vector<Record> out;
    unsigned long pos = m.consumer_pos();
    while (pos != m.producer_pos()) {
        uint32_t len = m.len_at(pos);
        REQUIRE((len & KRING_BUSY_BIT) == 0);
        uint32_t size = len & ~(KRING_BUSY_BIT | KRING_DISCARD_BIT);
        if (!(len & KRING_DISCARD_BIT)) {
            const uint8_t* p = m.payload_at(pos);
            Record r;
            std::memcpy(&r.kind, p, 8);
            r.ctx.assign(p + 8, p + size);
            out.push_back(r);
        }
        pos += record_span(size);
        m.release(pos);
    }
    return out;
}

long meminfo_kb(const std::string& field) {
    std::ifstream in("/proc/meminfo");
    std::string name;
    long kb;
    std::string unit;
    while (in >> name >> kb) {
        std::getline(in, unit);
        if (name == field + ":")
            return kb;
    }
    return -1;
}

} // namespace

TEST_CASE("load validates its arguments") {
    Fd ring = make_ring(kRingSize);
    auto prog = copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER);
    Fd dev = open_device();
    kring_prog_load req{};
    req.insns = reinterpret_cast<uint64_t>(prog.data());
    req.insn_cnt = static_cast<uint32_t>(prog.size());
    req.attach_type = 99;
    CHECK(::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req) < 0);
    CHECK(errno == EINVAL);
    req.attach_type = KRING_ATTACH_SYS_ENTER;
    req.name = 8; // not a valid user pointer
    CHECK(::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req) < 0);
    CHECK(errno == EFAULT);
    req.name = 0;
    req.flags = 1U << 7;
    CHECK(::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req) < 0);
    CHECK(errno == EINVAL);
    req.flags = 0;
    req.insns = 8; // not a valid user pointer
    CHECK(::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req) < 0);
    CHECK(errno == EFAULT);
    // A ring load naming something that is not a ring.
    auto bad = copy_ctx_program(dev.get(), KRING_ATTACH_SYS_ENTER);
    CHECK(load(bad, KRING_ATTACH_SYS_ENTER).err == ENXIO);
}

TEST_CASE("a rejected program: the errno and the verifier's log reach the user") {
    Fd ring = make_ring(kRingSize);
    Loaded l = load(leaking_program(ring.get()), KRING_ATTACH_SYS_ENTER);
    CHECK(l.err == EACCES);
    CHECK(l.log.find("unreleased ring record reserved at insn") != std::string::npos);
    CHECK(l.log.find("processed ") != std::string::npos);
}

TEST_CASE("test-run: R0 and nanoseconds per run of a reserve+submit program") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    Loaded l = load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER), KRING_ATTACH_SYS_ENTER);
    REQUIRE_MESSAGE(l.err == 0, l.log);
    kring_ctx_sys_enter ctx{42, {1, 2, 3, 4, 5, 6}};
    kring_prog_test_run tr{};
    tr.ctx = reinterpret_cast<uint64_t>(&ctx);
    tr.ctx_size = sizeof(ctx);
    tr.repeat = 10000;
    REQUIRE(::ioctl(l.prog.get(), KRING_IOC_PROG_TEST_RUN, &tr) == 0);
    CHECK(tr.retval == 0);
    CHECK(tr.duration_ns > 0);
    MESSAGE("test-run reserve+submit: " << tr.duration_ns << " ns per run");
    auto records = drain(m);
    REQUIRE(records.size() == 10000);
    CHECK(records[9999].as<kring_ctx_sys_enter>().args[5] == 6);
    CHECK(stats(ring.get()).committed == 10000);
    tr.ctx_size = 8; // not the attach point's context size
    CHECK(::ioctl(l.prog.get(), KRING_IOC_PROG_TEST_RUN, &tr) < 0);
    CHECK(errno == EINVAL);
}

TEST_CASE("a program writing many records a run: all of them, in order, and the run's end "
          "wakes a consumer asleep at them") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    Loaded l = load(loop_program(ring.get(), 100), KRING_ATTACH_SYS_ENTER);
    REQUIRE_MESSAGE(l.err == 0, l.log);
    kring_ctx_sys_enter ctx{};
    kring_prog_test_run tr{};
    tr.ctx = reinterpret_cast<uint64_t>(&ctx);
    tr.ctx_size = sizeof(ctx);
    int woke = -1;
    std::thread sleeper([&] {
        pollfd pfd{ring.get(), POLLIN, 0};
        woke = ::poll(&pfd, 1, 10000);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    tr.repeat = 3;
    REQUIRE(::ioctl(l.prog.get(), KRING_IOC_PROG_TEST_RUN, &tr) == 0);
    sleeper.join();
    CHECK(woke == 1);
    auto records = drain(m);
    REQUIRE(records.size() == 300);
    for (size_t i = 0; i < records.size(); i++) {
        CHECK(records[i].kind == i % 100);
        CHECK(records[i].as<uint64_t>() == i % 100);
    }
    kring_stats s = stats(ring.get());
    CHECK(s.committed == 300);
    CHECK(s.bytes == 300 * 16);
    CHECK(s.discarded == 0);
    CHECK(s.dropped == 0);
    CHECK(s.wakeups >= 1);
}

TEST_CASE("a program keeps its ring alive after the ring fd is closed") {
    Loaded l;
    {
        Fd ring = make_ring(kRingSize);
        l = load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER), KRING_ATTACH_SYS_ENTER);
        REQUIRE(l.err == 0);
    }
    kring_ctx_sys_enter ctx{};
    kring_prog_test_run tr{reinterpret_cast<uint64_t>(&ctx), sizeof(ctx), 3, 0, 0, 0};
    CHECK(::ioctl(l.prog.get(), KRING_IOC_PROG_TEST_RUN, &tr) == 0);
    CHECK(tr.retval == 0); // 0: the reservation succeeded
}

TEST_CASE("unprivileged loads are refused; CAP_BPF alone cannot leak pointers") {
    Fd ring = make_ring(kRingSize);
    auto good = copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER);
    auto leak = pointer_leak_program(ring.get());
    // Root (CAP_SYS_ADMIN, CAP_PERFMON) may store a pointer into a record.
    CHECK(load(leak, KRING_ATTACH_SYS_ENTER).err == 0);
    // /dev/kring is root's (0600): the children inherit a device fd opened
    // as root, so what is checked is the loader's privilege, not the fd's.
    Fd dev = open_device();
    int nobody = in_child([&] {
        if (setresuid(65534, 65534, 65534) != 0)
            return 10;
        return load(good, KRING_ATTACH_SYS_ENTER, 1, dev.get()).err == EPERM ? 0 : 1;
    });
    CHECK(nobody == 0);
    int bpf_only = in_child([&] {
        if (!keep_only_caps({CAP_BPF}))
            return 10;
        if (load(good, KRING_ATTACH_SYS_ENTER, 1, dev.get()).err != 0)
            return 1;
        Loaded l = load(leak, KRING_ATTACH_SYS_ENTER, 1, dev.get());
        return l.err == EACCES && l.log.find("leaks a pointer") != std::string::npos ? 0 : 2;
    });
    CHECK(bpf_only == 0);
}

TEST_CASE("attaching needs CAP_PERFMON, for every attach point; CAP_BPF alone loads and "
          "test-runs") {
    Fd ring = make_ring(kRingSize);
    const uint32_t types[] = {KRING_ATTACH_SCHED_PROCESS_FORK, KRING_ATTACH_SCHED_PROCESS_EXEC,
                              KRING_ATTACH_SCHED_PROCESS_EXIT, KRING_ATTACH_SYS_ENTER,
                              KRING_ATTACH_SYS_EXIT,           KRING_ATTACH_KPROBE};
    Fd dev = open_device();
    for (uint32_t type : types) {
        CAPTURE(type);
        auto program = copy_ctx_program(ring.get(), type);
        const char* symbol = type == KRING_ATTACH_KPROBE ? "vfs_read" : nullptr;
        // Each child attaches a program it loaded itself, and one that root
        // loaded and it inherited: the attacher's privilege is what counts.
        Loaded by_root = load(program, type);
        REQUIRE(by_root.err == 0);
        auto try_attach = [&](int prog_fd) {
            kring_prog_attach req{};
            req.symbol = reinterpret_cast<uint64_t>(symbol);
            int fd = ::ioctl(prog_fd, KRING_IOC_PROG_ATTACH, &req);
            int err = fd < 0 ? errno : 0;
            if (fd >= 0)
                ::close(fd);
            return err;
        };
        int bpf_only = in_child([&] {
            if (!keep_only_caps({CAP_BPF}))
                return 10;
            Loaded own = load(program, type, 1, dev.get());
            if (own.err != 0)
                return 1;
            std::vector<uint8_t> ctx(ctx_size(type));
            kring_prog_test_run tr{
                reinterpret_cast<uint64_t>(ctx.data()), ctx_size(type), 1, 0, 0, 0};
            if (::ioctl(own.prog.get(), KRING_IOC_PROG_TEST_RUN, &tr) != 0)
                return 2;
            return try_attach(own.prog.get()) == EPERM && try_attach(by_root.prog.get()) == EPERM
                       ? 0
                       : 3;
        });
        CHECK(bpf_only == 0);
        int with_perfmon = in_child([&] {
            if (!keep_only_caps({CAP_BPF, CAP_PERFMON}))
                return 10;
            Loaded own = load(program, type, 1, dev.get());
            if (own.err != 0)
                return 1;
            return try_attach(own.prog.get()) == 0 && try_attach(by_root.prog.get()) == 0 ? 0 : 3;
        });
        CHECK(with_perfmon == 0);
    }
}

TEST_CASE("fork, exec and exit of a scripted workload arrive with its pids, in causal order") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    std::vector<Loaded> progs;
    std::vector<Fd> links;
    for (uint32_t type : {KRING_ATTACH_SCHED_PROCESS_FORK, KRING_ATTACH_SCHED_PROCESS_EXEC,
                          KRING_ATTACH_SCHED_PROCESS_EXIT}) {
        progs.push_back(load(copy_ctx_program(ring.get(), type), type));
        REQUIRE_MESSAGE(progs.back().err == 0, progs.back().log);
        links.push_back(attach(progs.back().prog.get()));
    }
    int status = 0;
    pid_t child = vmtest::run_busybox({"true"}, &status);
    CHECK(WIFEXITED(status));
    links.clear(); // detach
    auto records = drain(m);
    int fork_at = -1, exec_at = -1, exit_at = -1;
    for (size_t i = 0; i < records.size(); i++) {
        const Record& r = records[i];
        if (r.kind == KRING_ATTACH_SCHED_PROCESS_FORK &&
            r.as<kring_ctx_fork>().child_pid == static_cast<uint32_t>(child)) {
            CHECK(r.as<kring_ctx_fork>().parent_tgid == static_cast<uint32_t>(getpid()));
            fork_at = static_cast<int>(i);
        }
        if (r.kind == KRING_ATTACH_SCHED_PROCESS_EXEC &&
            r.as<kring_ctx_exec>().pid == static_cast<uint32_t>(child)) {
            CHECK(std::string(r.as<kring_ctx_exec>().filename) == "/bin/busybox");
            CHECK(r.as<kring_ctx_exec>().ppid == static_cast<uint32_t>(getpid()));
            exec_at = static_cast<int>(i);
        }
        if (r.kind == KRING_ATTACH_SCHED_PROCESS_EXIT &&
            r.as<kring_ctx_exit>().pid == static_cast<uint32_t>(child)) {
            CHECK(r.as<kring_ctx_exit>().exit_code == 0);
            exit_at = static_cast<int>(i);
        }
    }
    REQUIRE(fork_at >= 0);
    REQUIRE(exec_at >= 0);
    REQUIRE(exit_at >= 0);
    CHECK(fork_at < exec_at);
    CHECK(exec_at < exit_at);
    // Detached: the next fork produces nothing.
    size_t before = records.size();
    CHECK(in_child([] { return 0; }) == 0);
    CHECK(drain(m).empty());
    CHECK(before > 0);
}

TEST_CASE("sys_enter and sys_exit see our syscalls with their numbers and results") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    Loaded enter =
        load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER), KRING_ATTACH_SYS_ENTER);
    Loaded exit = load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_EXIT), KRING_ATTACH_SYS_EXIT);
    REQUIRE(enter.err == 0);
    REQUIRE(exit.err == 0);
    {
        Fd a = attach(enter.prog.get()), b = attach(exit.prog.get());
        for (int i = 0; i < 5; i++)
            ::syscall(SYS_getppid);
    }
    int enters = 0, exits = 0;
    for (const Record& r : drain(m)) {
        if (r.kind == KRING_ATTACH_SYS_ENTER && r.as<kring_ctx_sys_enter>().id == SYS_getppid)
            enters++;
        if (r.kind == KRING_ATTACH_SYS_EXIT && r.as<kring_ctx_sys_exit>().id == SYS_getppid) {
            CHECK(r.as<kring_ctx_sys_exit>().ret == getppid());
            exits++;
        }
    }
    CHECK(enters >= 5);
    CHECK(exits >= 5);
}

TEST_CASE("a kprobe on a kernel function sees its calls") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    Loaded l = load(copy_ctx_program(ring.get(), KRING_ATTACH_KPROBE), KRING_ATTACH_KPROBE);
    REQUIRE(l.err == 0);
    kring_prog_attach bad{};
    CHECK(::ioctl(l.prog.get(), KRING_IOC_PROG_ATTACH, &bad) < 0); // a kprobe needs a symbol
    CHECK(errno == EINVAL);
    {
        Fd link = attach(l.prog.get(), "__x64_sys_getppid");
        for (int i = 0; i < 3; i++)
            ::syscall(SYS_getppid);
    }
    auto records = drain(m);
    CHECK(records.size() >= 3);
    for (const Record& r : records)
        CHECK(r.as<pt_regs>().rip != 0);
}

// Arming a kprobe patches the text of a function the other vCPU runs all the
// time (the lock functions): check.sh runs this suite on single-threaded TCG,
// which emulates that patching coherently (docs/testing.md, "Live text
// patching under TCG").
TEST_CASE("a program on the lock, unlock or kring's own functions never deadlocks its ring" *
          doctest::test_suite("live-text-patching")) {
    // A kprobe program producing into a ring fires inside that ring's
    // reservation (the lock and unlock functions, kring's functions) while
    // write(2) and a hard-IRQ producer produce into the same ring: the
    // nested reservation must fail (a drop), not spin on the lock its own
    // CPU holds. A deadlock hangs the VM, which the harness reports.
    const char* symbols[] = {"_raw_spin_lock",         "_raw_spin_unlock",
                             "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore",
                             "_raw_spin_trylock",      "kring_ring_reserve",
                             "kring_ring_commit",      "irq_work_queue"};
    int attached = 0;
    for (const char* symbol : symbols) {
        CAPTURE(symbol);
        Fd ring = make_ring(kRingSize);
        Loaded l = load(copy_ctx_program(ring.get(), KRING_ATTACH_KPROBE), KRING_ATTACH_KPROBE);
        REQUIRE(l.err == 0);
        kring_prog_attach req{};
        req.symbol = reinterpret_cast<uint64_t>(symbol);
        Fd link(::ioctl(l.prog.get(), KRING_IOC_PROG_ATTACH, &req));
        if (link.get() < 0) {
            MESSAGE(std::string(symbol) << ": not probeable here (" << strerror(errno) << ")");
            continue;
        }
        attached++;
        std::thread irq(
            [&] { CHECK(api_test("irq " + std::to_string(ring.get()) + " 40 50 0") == 0); });
        uint64_t payload[4] = {1, 2, 3, 4};
        uint64_t written = 0;
        for (int i = 0; i < 200; i++)
            written += write_record(ring.get(), payload, sizeof(payload)) == 0;
        irq.join();
        link.reset();
        kring_stats s = stats(ring.get());
        MESSAGE(std::string(symbol) << ": " << written << " writes, " << s.committed
                                    << " committed, " << s.dropped << " dropped");
        CHECK(s.committed >= written);
    }
    CHECK(attached >= 4);
}

TEST_CASE("two programs on two CPUs share one ring") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    Loaded a = load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER), KRING_ATTACH_SYS_ENTER);
    Loaded b = load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_EXIT), KRING_ATTACH_SYS_EXIT);
    REQUIRE(a.err == 0);
    REQUIRE(b.err == 0);
    uint64_t before = stats(ring.get()).committed;
    {
        Fd la = attach(a.prog.get()), lb = attach(b.prog.get());
        auto work = [] {
            for (int i = 0; i < 500; i++)
                ::syscall(SYS_getppid);
        };
        std::thread t1(work), t2(work);
        t1.join();
        t2.join();
    }
    auto records = drain(m);
    CHECK(records.size() >= 2000); // 2 threads x 500 x (enter + exit)
    CHECK(stats(ring.get()).committed - before == records.size() + stats(ring.get()).discarded);
}

TEST_CASE("attach/detach cycles under load leave nothing behind") {
    Fd ring = make_ring(kRingSize);
    Mapping m(ring.get(), kRingSize);
    auto prog = copy_ctx_program(ring.get(), KRING_ATTACH_SYS_ENTER);
    auto cycle = [&] {
        Loaded l = load(prog, KRING_ATTACH_SYS_ENTER, 0);
        REQUIRE(l.err == 0);
        Fd link = attach(l.prog.get());
        ::syscall(SYS_getppid);
        drain(m);
    };
    for (int i = 0; i < 20; i++)
        cycle();
    long slab_before = meminfo_kb("Slab");
    for (int i = 0; i < 300; i++)
        cycle();
    long slab_after = meminfo_kb("Slab");
    MESSAGE("Slab before " << slab_before << " kB, after 300 cycles " << slab_after << " kB");
    // KASAN's quarantine holds freed objects back (up to 1/32 of memory),
    // so Slab grows there whether anything leaks or not.
    if (kernel_has_kasan())
        MESSAGE("KASAN kernel: slab growth not checked (its quarantine holds freed objects)");
    else
        CHECK(slab_after - slab_before < 128);
}

TEST_CASE("the module cannot be unloaded while a program is attached") {
    if (module_loaded("kring_api_test"))
        REQUIRE(unload_module("kring_api_test") == 0);
    Fd link;
    {
        Fd ring = make_ring(kRingSize);
        Loaded l = load(copy_ctx_program(ring.get(), KRING_ATTACH_SYS_EXIT), KRING_ATTACH_SYS_EXIT);
        REQUIRE(l.err == 0);
        link = attach(l.prog.get());
    }
    // Only the link is left: it holds the program, which holds the ring.
    CHECK(unload_module("kring") != 0);
    CHECK(module_loaded("kring"));
    link.reset();
    CHECK(unload_module("kring") == 0);
    REQUIRE(load_module("kring") == 0);
}
