// Tail calls in the module (issue 18): tests/bpf_progs/tail_calls.bpf.c
// attached to sys_enter, one program counting each process's system calls
// in a HASH map and tail-calling, every 4th, another that emits the total
// to a ring, through a prog array the object initialises; the limit of 33
// tail calls per run; the slots' rules; and slots changed while callers
// run on every CPU. JIT'd and interpreted alike.
#include "insn.hpp"
#include "jit_util.hpp"
#include "vm_util.hpp"

#include <asm/ptrace.h>
#include <atomic>
#include <chrono>
#include <doctest/doctest.h>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <map>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/tail_calls.bpf.o";

struct Total { // tail_calls.bpf.c's
    uint32_t pid;
    uint32_t hops;
    uint64_t count;
};

// The object's settings: its programs count the calls of process `pid`.
kring::bpf::ObjectSettings target_settings(uint32_t pid) {
    kring::bpf::ObjectSettings settings;
    settings.globals["target_pid"] = std::to_string(pid);
    return settings;
}

// The object loaded as kringctl run loads it: every program, the slots
// filled, the programs not in a slot attached.
struct TailCalls {
    kring::bpf::Object obj;
    kring::ObjectMaps maps;
    std::map<std::string, kring::Program> programs;
    std::vector<kring::Link> links;

    TailCalls(uint32_t flags, bool attach, uint32_t pid)
        : obj(kring::bpf::load_elf(kObject, target_settings(pid))), maps(obj, "tail_calls") {
        std::map<std::string, const kring::Program*> loaded;
        for (const auto& prog : obj.programs) {
            auto [it, _] = programs.emplace(
                prog.name,
                kring::Program::load(prog, maps.fds(), KRING_ATTACH_SYS_ENTER, {1, flags, {}}));
            loaded[prog.name] = &it->second;
        }
        REQUIRE(maps.fill_slots(obj, loaded) == 2);
        if (attach)
            links.push_back(programs.at("count").attach());
    }
    const kring::ProgArray& jump() const { return maps.prog_array(obj.map_index("jump")); }
    const kring::bpf::Program& source(const std::string& name) const {
        for (const auto& prog : obj.programs)
            if (prog.name == name)
                return prog;
        FAIL("no program " << name);
        throw 0;
    }
    uint64_t test_run(const std::string& name) {
        kring_ctx_sys_enter ctx{};
        return programs.at(name).test_run(std::as_writable_bytes(std::span(&ctx, 1))).retval;
    }
};

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

// @action must throw kring::Error with errno EINVAL and @says in its message.
template <typename Action>
void check_einval(Action action, const std::string& says = "") {
    try {
        action();
        FAIL("no error, where EINVAL was expected");
    } catch (const kring::Error& e) {
        CHECK(e.errno_value() == EINVAL);
        CHECK(std::string(e.what()).find(says) != std::string::npos);
    }
}

} // namespace

TEST_CASE("tail calls: counts per pid in a HASH map, every 4th total emitted by a tail call") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TailCalls tc(flags, true, static_cast<uint32_t>(getpid()));
        CHECK(tc.programs.at("count").jited() == !flags);
        for (int i = 0; i < 40; i++)
            ::syscall(SYS_getppid);
        tc.links.clear();
        std::vector<Total> totals;
        kring::Consumer consumer;
        consumer.add(tc.maps.ring(tc.obj.map_index("totals")), [&](std::span<const std::byte> r) {
            REQUIRE(r.size() == sizeof(Total));
            Total t;
            std::memcpy(&t, r.data(), sizeof(t));
            totals.push_back(t);
            return 0;
        });
        consumer.consume();
        // At least the 40 calls: each total a multiple of 4, in order.
        REQUIRE(totals.size() >= 10);
        for (size_t i = 0; i < totals.size(); i++) {
            CHECK(totals[i].pid == static_cast<uint32_t>(getpid()));
            CHECK(totals[i].count == 4 * (i + 1));
            CHECK(totals[i].hops == 0);
        }
        // The HASH map holds the same count.
        const kring::LinuxMap& counts = tc.maps.map(tc.obj.map_index("counts"));
        uint32_t pid = static_cast<uint32_t>(getpid());
        auto value = counts.lookup(std::as_bytes(std::span(&pid, 1)));
        REQUIRE(value);
        uint64_t n;
        std::memcpy(&n, value->data(), 8);
        CHECK(n >= totals.back().count);
        CHECK(n < totals.back().count + 4);
    }
}

TEST_CASE("tail calls: 33 per run, then they fail; an empty slot fails; the slots' rules") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TailCalls tc(flags, false, 0);
        // hop tail-calls itself: 33 taken, 34 runs; hops (.bss) goes on.
        CHECK(tc.test_run("hop") == 134);
        CHECK(tc.test_run("hop") == 168);
        CHECK(tc.jump().lookup(1) == tc.programs.at("emit_total").info().id);
        CHECK(!tc.jump().lookup(0));
        CHECK(tc.jump().remove(2));
        CHECK(!tc.jump().remove(2));
        // Its tail call to slot 2 fails now; the one to slot 1 is taken:
        // emit_total finds no count (nothing counted) and returns 3.
        CHECK(tc.test_run("hop") == 3);
        CHECK(tc.jump().remove(1));
        CHECK(tc.test_run("hop") == 100 + 70); // both fail: one run
        // Runs count where a run entered, as Linux's run_cnt: not tail calls.
        CHECK(tc.programs.at("hop").info().runs == 4);
        CHECK_THROWS_WITH_AS(tc.jump().update(4, tc.programs.at("hop")),
                             doctest::Contains("slot 4: update"), kring::Error);
        // A program of the other runtime is refused in the array, and
        // refused at load when it tail-calls through it: a JIT'd tail call
        // jumps into JIT'd images only (Linux's rule too).
        uint32_t other_runtime = flags ? 0 : KRING_PROG_F_INTERPRETER;
        const kring::bpf::Program& emit = tc.source("emit_total");
        kring::Program other_emit = kring::Program::load(
            emit, tc.maps.fds(), KRING_ATTACH_SYS_ENTER, {1, other_runtime, {}});
        check_einval([&] { tc.jump().update(1, other_emit); });
        check_einval(
            [&] {
                kring::Program::load(tc.source("count"), tc.maps.fds(), KRING_ATTACH_SYS_ENTER,
                                     {1, other_runtime, {}});
            },
            "holds programs of another attach type, runtime or target");
        // A program of another context (a kprobe's pt_regs) is refused.
        // (emit_total: it does not tail-call, so it loads as a kprobe.)
        kring::bpf::Program other = tc.source("emit_total");
        kring::Program kprobe =
            kring::Program::load(other, tc.maps.fds(), KRING_ATTACH_KPROBE, {1, flags, {}});
        check_einval([&] { tc.jump().update(0, kprobe); });
    }
}

TEST_CASE("tail calls: a slot keeps its program loaded; closing the prog array lets it go") {
    uint32_t emit_id = 0;
    auto listed = [&] {
        for (const kring_prog_info& p : kring::list_programs())
            if (p.id == emit_id)
                return true;
        return false;
    };
    {
        TailCalls tc(0, false, 0);
        emit_id = tc.programs.at("emit_total").info().id;
        tc.programs.erase("emit_total"); // its fd closes: the slot holds it
        CHECK(tc.jump().lookup(1) == emit_id);
        CHECK(listed());
    }
    // The array's fd closed: the slots emptied, and emit_total goes a grace
    // period later (a tail call may still be running it). Grace periods on
    // the -rt kernels under TCG can take seconds: wait up to 60 s.
    const auto start = std::chrono::steady_clock::now();
    bool gone = !listed();
    while (!gone && std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
        ::usleep(10000);
        gone = !listed();
    }
    MESSAGE("the slot's program went after ",
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count(),
            " ms");
    CHECK(gone);
}

TEST_CASE("tail calls: slots updated while callers run on every CPU") {
    // count, attached, tail-calls slot 1 every 4th call of each process;
    // threads make system calls while the slot changes between emit_total,
    // hop and nothing. Nothing crashes, and every record is a total.
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        TailCalls tc(flags, true, 0);
        std::atomic<bool> stop{false};
        std::vector<std::thread> callers;
        for (unsigned t = 0; t < 2 * std::max(1U, std::thread::hardware_concurrency()); t++)
            callers.emplace_back([&] {
                while (!stop.load(std::memory_order_relaxed))
                    ::syscall(SYS_getppid);
            });
        for (int round = 0; round < 300; round++) {
            switch (round % 3) {
            case 0:
                tc.jump().update(1, tc.programs.at("emit_total"));
                break;
            case 1:
                tc.jump().update(1, tc.programs.at("hop"));
                break;
            default:
                tc.jump().remove(1);
            }
            ::usleep(200);
        }
        stop = true;
        for (auto& c : callers)
            c.join();
        tc.links.clear();
        size_t records = 0;
        kring::Consumer consumer;
        consumer.add(tc.maps.ring(tc.obj.map_index("totals")), [&](std::span<const std::byte> r) {
            CHECK(r.size() == sizeof(Total));
            records++;
            return 0;
        });
        consumer.consume();
        MESSAGE("slot changes under load: ", records, " totals emitted (the ring holds 682)");
        CHECK(records > 0);
        CHECK(tc.programs.at("count").info().runs > 0);
    }
}

TEST_CASE("tail calls: from a called function, JIT'd: the target's R0 returns to the caller; "
          "the interpreter refuses it") {
    using namespace insn;
    // main: r0 = sub(ctx) + 1000; sub: tail_call(ctx, array, 0); r0 = 5.
    kring::bpf::Program prog;
    prog.name = "sub_tail";
    prog.insns = {call_local(2), alu64_imm(BPF_ADD, BPF_REG_0, 1000), exit_insn(),
                  mov64_imm(BPF_REG_3, 0)};
    ld_imm64(prog.insns, BPF_REG_2, 0, BPF_PSEUDO_MAP_FD); // map 0: the array
    prog.insns.push_back(call_helper(BPF_FUNC_tail_call));
    prog.insns.push_back(mov64_imm(BPF_REG_0, 5));
    prog.insns.push_back(exit_insn());
    kring_func_info main_info{}, sub_info{};
    sub_info.insn_off = 3;
    prog.func_info = {main_info, sub_info};
    kring::bpf::Program target;
    target.name = "forty";
    target.insns = {mov64_imm(BPF_REG_0, 40), exit_insn()};

    kring::ProgArray array = kring::ProgArray::create(1);
    int fds[] = {array.fd()};
    kring::Program caller = kring::Program::load(prog, fds, KRING_ATTACH_KPROBE);
    REQUIRE(caller.jited());
    pt_regs ctx{};
    auto run = [&] {
        return caller.test_run(std::as_writable_bytes(std::span(&ctx, 1))).retval;
    };
    CHECK(run() == 1005); // the slot is empty: sub goes on
    array.update(0, kring::Program::load(target, {}, KRING_ATTACH_KPROBE));
    CHECK(run() == 1040); // forty replaced sub: its 40 went back to main
    check_einval(
        [&] {
            kring::Program::load(prog, fds, KRING_ATTACH_KPROBE, {1, KRING_PROG_F_INTERPRETER, {}});
        },
        "tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls");
}

TEST_CASE("tail calls: typed programs share a prog array only with programs of the same "
          "tracepoint or function") {
    // A tail call passes its context on: a tp_btf program of tcp_destroy_sock
    // reached from one of sched_process_exec would take the task for its
    // socket, which get_socket_cookie writes into.
    const std::vector<bpf_insn> ret0 = {insn::mov64_imm(BPF_REG_0, 0), insn::exit_insn()};
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        vmtest::Fd dev = vmtest::open_device();
        kring_prog_array_create create{2, 0};
        vmtest::Fd array(::ioctl(dev.get(), KRING_IOC_PROG_ARRAY_CREATE, &create));
        REQUIRE(array.get() >= 0);
        jitvm::Loaded exec =
            jitvm::load(ret0, flags, {}, KRING_ATTACH_TP_BTF, "sched_process_exec");
        jitvm::Loaded exec2 =
            jitvm::load(ret0, flags, {}, KRING_ATTACH_TP_BTF, "sched_process_exec");
        jitvm::Loaded sock = jitvm::load(ret0, flags, {}, KRING_ATTACH_TP_BTF, "tcp_destroy_sock");
        REQUIRE(exec.err == 0);
        REQUIRE(exec2.err == 0);
        REQUIRE(sock.err == 0);
        kring_prog_array_elem elem{0, exec.prog.get(), 0, 0};
        CHECK(::ioctl(array.get(), KRING_IOC_PROG_ARRAY_UPDATE, &elem) == 0);
        elem = {1, sock.prog.get(), 0, 0};
        CHECK(::ioctl(array.get(), KRING_IOC_PROG_ARRAY_UPDATE, &elem) == -1);
        CHECK(errno == EINVAL);
        elem = {1, exec2.prog.get(), 0, 0};
        CHECK(::ioctl(array.get(), KRING_IOC_PROG_ARRAY_UPDATE, &elem) == 0);
        // A tcp_destroy_sock program that tail-calls through it: refused.
        const std::vector<bpf_insn> tail_call = {insn::ld_map_fd(BPF_REG_2, array.get())[0],
                                                 insn::ld_map_fd(BPF_REG_2, array.get())[1],
                                                 insn::mov64_imm(BPF_REG_3, 0),
                                                 insn::call_helper(BPF_FUNC_tail_call),
                                                 insn::mov64_imm(BPF_REG_0, 0),
                                                 insn::exit_insn()};
        jitvm::Loaded caller =
            jitvm::load(tail_call, flags, {}, KRING_ATTACH_TP_BTF, "tcp_destroy_sock");
        CHECK(caller.err == EINVAL);
        CHECK(caller.log.find("another attach type, runtime or target") != std::string::npos);
        CHECK(jitvm::load(tail_call, flags, {}, KRING_ATTACH_TP_BTF, "sched_process_exec").err ==
              0);
    }
}
