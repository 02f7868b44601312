// Programs with Linux's own maps, taken by fd (issue 18): the module holds
// the maps it verified the program against, and its helpers are the maps'
// own operations, JIT'd and interpreted alike; userspace reads the maps
// with bpf(2), as bpftool does.
#include "jit_util.hpp"
#include "linux_bpf.hpp"

#include <fstream>
#include <insn.hpp>
#include <sched.h>
#include <thread>
#include <unistd.h>

using namespace vmtest;
using namespace jitvm;
using namespace insn;

namespace {

using Prog = std::vector<bpf_insn>;
constexpr uint8_t R0 = BPF_REG_0, R1 = BPF_REG_1, R2 = BPF_REG_2, R3 = BPF_REG_3, R4 = BPF_REG_4,
                  R6 = BPF_REG_6, R10 = BPF_REG_10;

Prog cat(std::initializer_list<Prog> parts) {
    Prog out;
    for (const Prog& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Counts its runs per process in @map (HASH: u32 tgid -> u64): the
// count's first run inserts it (BPF_NOEXIST), later runs add one.
Prog count_per_process(int map) {
    return cat(
        {{call_helper(BPF_FUNC_get_current_pid_tgid), alu64_imm(BPF_RSH, R0, 32),
          stx(BPF_W, R10, R0, -4)},
         ld_map_fd(R1, map),
         {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -4), call_helper(BPF_FUNC_map_lookup_elem),
          jmp_imm(BPF_JEQ, R0, 0, 4), ldx(BPF_DW, R1, R0, 0), alu64_imm(BPF_ADD, R1, 1),
          stx(BPF_DW, R0, R1, 0), ja(9), st(BPF_DW, R10, -16, 1)},
         ld_map_fd(R1, map),
         {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -4), mov64_reg(R3, R10),
          alu64_imm(BPF_ADD, R3, -16), mov64_imm(R4, BPF_NOEXIST),
          call_helper(BPF_FUNC_map_update_elem), mov64_imm(R0, 0), exit_insn()}});
}

// Adds one to element 0 of @map (a PERCPU_ARRAY of u64), returns 0.
Prog count_per_cpu(int map) {
    return cat(
        {{st(BPF_W, R10, -4, 0)},
         ld_map_fd(R1, map),
         {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -4), call_helper(BPF_FUNC_map_lookup_elem),
          jmp_imm(BPF_JEQ, R0, 0, 3), ldx(BPF_DW, R1, R0, 0), alu64_imm(BPF_ADD, R1, 1),
          stx(BPF_DW, R0, R1, 0), mov64_imm(R0, 0), exit_insn()}});
}

// Deletes this process's key (u32 tgid) from @map; returns the result.
Prog delete_own_key(int map) {
    return cat({{call_helper(BPF_FUNC_get_current_pid_tgid), alu64_imm(BPF_RSH, R0, 32),
                 stx(BPF_W, R10, R0, -4)},
                ld_map_fd(R1, map),
                {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -4),
                 call_helper(BPF_FUNC_map_delete_elem), exit_insn()}});
}

// Returns element 0 of @map (an ARRAY of u64), or 1000 if the lookup fails.
Prog read_element_0(int map) {
    return cat({{st(BPF_W, R10, -4, 0)},
                ld_map_fd(R1, map),
                {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -4),
                 call_helper(BPF_FUNC_map_lookup_elem), jmp_imm(BPF_JNE, R0, 0, 2),
                 mov64_imm(R0, 1000), exit_insn(), ldx(BPF_DW, R0, R0, 0), exit_insn()}});
}

// Adds one to element 0 of @map (an ARRAY of u64) with an atomic add (the
// fetching form when @fetch), returns 0.
Prog add_atomically(int map, bool fetch) {
    return cat(
        {{st(BPF_W, R10, -4, 0)},
         ld_map_fd(R1, map),
         {mov64_reg(R2, R10), alu64_imm(BPF_ADD, R2, -4), call_helper(BPF_FUNC_map_lookup_elem),
          jmp_imm(BPF_JEQ, R0, 0, 2), mov64_imm(R1, 1),
          raw(BPF_STX | BPF_ATOMIC | BPF_DW, R0, R1, 0, BPF_ADD | (fetch ? BPF_FETCH : 0)),
          mov64_imm(R0, 0), exit_insn()}});
}

int lookup_u64(int map, uint32_t key, uint64_t* value) {
    bpf_attr a{};
    a.map_fd = static_cast<uint32_t>(map);
    a.key = reinterpret_cast<uint64_t>(&key);
    a.value = reinterpret_cast<uint64_t>(value);
    return linuxbpf::bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0 ? 0 : errno;
}

// The CPUs a per-CPU map has a value for: /sys/devices/system/cpu/possible.
unsigned possible_cpus() {
    std::ifstream in("/sys/devices/system/cpu/possible");
    std::string spec;
    in >> spec; // "0" or "0-N"
    size_t dash = spec.find('-');
    return dash == std::string::npos ? 1
                                     : static_cast<unsigned>(std::stoul(spec.substr(dash + 1))) + 1;
}

const char* runtime_name(uint32_t flags) {
    return flags & KRING_PROG_F_INTERPRETER ? "interpreter" : "JIT";
}

} // namespace

TEST_CASE("maps: a program counts its runs per process in a Linux HASH map, JIT'd and "
          "interpreted; deleting its key removes the count") {
    for (uint32_t flags : {0u, static_cast<uint32_t>(KRING_PROG_F_INTERPRETER)}) {
        CAPTURE(runtime_name(flags));
        Fd map(linuxbpf::create_map(BPF_MAP_TYPE_HASH, 4, 8, 64));
        REQUIRE(map.get() >= 0);
        Loaded counter = load(count_per_process(map.get()), flags);
        INFO(counter.log);
        REQUIRE(counter.err == 0);
        CHECK(info(counter.prog.get()).runtime ==
              (flags ? KRING_RUNTIME_INTERPRETER : KRING_RUNTIME_JIT));
        uint64_t r0 = 1, count = 0;
        REQUIRE(test_run(counter.prog.get(), pt_regs{}, &r0, 1000) == 0);
        CHECK(r0 == 0);
        REQUIRE(lookup_u64(map.get(), static_cast<uint32_t>(::getpid()), &count) == 0);
        CHECK(count == 1000);

        Loaded deleter = load(delete_own_key(map.get()), flags);
        REQUIRE(deleter.err == 0);
        REQUIRE(test_run(deleter.prog.get(), pt_regs{}, &r0) == 0);
        CHECK(r0 == 0);
        CHECK(lookup_u64(map.get(), static_cast<uint32_t>(::getpid()), &count) == ENOENT);
        REQUIRE(test_run(deleter.prog.get(), pt_regs{}, &r0) == 0);
        CHECK(static_cast<int64_t>(r0) == -ENOENT); // the map's own answer
    }
}

TEST_CASE("maps: atomic adds from two CPUs at once lose no update, JIT'd and interpreted") {
    constexpr uint32_t kRuns = 20000;
    for (uint32_t flags : {0u, static_cast<uint32_t>(KRING_PROG_F_INTERPRETER)}) {
        for (bool fetch : {false, true}) {
            CAPTURE(runtime_name(flags));
            CAPTURE(fetch);
            Fd map(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1));
            REQUIRE(map.get() >= 0);
            Loaded adder = load(add_atomically(map.get(), fetch), flags);
            INFO(adder.log);
            REQUIRE(adder.err == 0);
            auto run_on = [&](int cpu) {
                cpu_set_t one;
                CPU_ZERO(&one);
                CPU_SET(cpu, &one);
                sched_setaffinity(0, sizeof(one), &one);
                uint64_t r0 = 0;
                return test_run(adder.prog.get(), pt_regs{}, &r0, kRuns);
            };
            int err1 = 0;
            std::thread other([&] { err1 = run_on(1); });
            int err0 = run_on(0);
            other.join();
            CHECK(err0 == 0);
            CHECK(err1 == 0);
            uint64_t total = 0;
            REQUIRE(lookup_u64(map.get(), 0, &total) == 0);
            CHECK(total == 2 * kRuns);
        }
    }
}

TEST_CASE("maps: a PERCPU_ARRAY counts on the CPU that runs the program") {
    Fd map(linuxbpf::create_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1));
    REQUIRE(map.get() >= 0);
    Loaded counter = load(count_per_cpu(map.get()), 0);
    INFO(counter.log);
    REQUIRE(counter.err == 0);
    uint64_t r0 = 1;
    REQUIRE(test_run(counter.prog.get(), pt_regs{}, &r0, 500) == 0);
    std::vector<uint64_t> per_cpu(possible_cpus());
    bpf_attr a{};
    uint32_t key = 0;
    a.map_fd = static_cast<uint32_t>(map.get());
    a.key = reinterpret_cast<uint64_t>(&key);
    a.value = reinterpret_cast<uint64_t>(per_cpu.data());
    REQUIRE(linuxbpf::bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0);
    uint64_t total = 0, cpus_counted = 0;
    for (uint64_t v : per_cpu) {
        total += v;
        cpus_counted += v != 0;
    }
    CHECK(total == 500);
    CHECK(cpus_counted >= 1); // a test run may move between batches
}

TEST_CASE("maps: a program holds its map after the last fd closes; a read-only map is read") {
    Fd map(linuxbpf::create_map(BPF_MAP_TYPE_HASH, 4, 8, 64));
    REQUIRE(map.get() >= 0);
    bpf_map_info minfo;
    REQUIRE(linuxbpf::map_info(map.get(), &minfo) == 0);
    Loaded counter = load(count_per_process(map.get()), 0);
    REQUIRE(counter.err == 0);
    map = Fd();
    uint64_t r0 = 1, count = 0;
    REQUIRE(test_run(counter.prog.get(), pt_regs{}, &r0, 10) == 0);
    bpf_attr by_id{};
    by_id.map_id = minfo.id;
    Fd again(static_cast<int>(linuxbpf::bpf(BPF_MAP_GET_FD_BY_ID, &by_id)));
    REQUIRE(again.get() >= 0);
    REQUIRE(lookup_u64(again.get(), static_cast<uint32_t>(::getpid()), &count) == 0);
    CHECK(count == 10);

    Fd config(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG));
    REQUIRE(config.get() >= 0);
    uint32_t key = 0;
    uint64_t value = 42;
    bpf_attr update{};
    update.map_fd = static_cast<uint32_t>(config.get());
    update.key = reinterpret_cast<uint64_t>(&key);
    update.value = reinterpret_cast<uint64_t>(&value);
    REQUIRE(linuxbpf::bpf(BPF_MAP_UPDATE_ELEM, &update) == 0);
    for (uint32_t flags : {0u, static_cast<uint32_t>(KRING_PROG_F_INTERPRETER)}) {
        CAPTURE(runtime_name(flags));
        Loaded reader = load(read_element_0(config.get()), flags);
        INFO(reader.log);
        REQUIRE(reader.err == 0);
        REQUIRE(test_run(reader.prog.get(), pt_regs{}, &r0) == 0);
        CHECK(r0 == 42);
    }
}

TEST_CASE("maps: map types programs may not use are refused with EOPNOTSUPP") {
    struct {
        const char* name;
        int fd;
    } refused[] = {
        {"a Linux ring buffer (kring's rings are /dev/kring's)", linuxbpf::create_ringbuf(4096)},
        {"a queue", linuxbpf::create_map(BPF_MAP_TYPE_QUEUE, 0, 8, 4)},
        {"an array programs may only write",
         linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_WRONLY_PROG)},
    };
    for (const auto& r : refused) {
        CAPTURE(r.name);
        REQUIRE(r.fd >= 0);
        Fd map(r.fd);
        Prog prog = cat({ld_map_fd(R1, map.get()), {mov64_imm(R0, 0), exit_insn()}});
        Loaded l = load(prog, 0);
        CHECK(l.err == EOPNOTSUPP);
        CHECK(l.log.find("is not a ring or a map") != std::string::npos);
    }
}

// The probe reads and task helpers in the module, JIT'd and interpreted, on
// a kprobe context whose first argument is a user address: the test run
// runs in this process, so the user reads see this process's memory.
TEST_CASE("tracing helpers: probe reads of user and kernel memory, the task and its ids") {
    static const char message[] = "kring reads this";
    // r0 = helper(fp-32, size, r14).
    auto program = [](int32_t helper, int32_t size) {
        return Prog{mov64_reg(R6, R1),   ldx(BPF_DW, R3, R6, 8), // r14
                    mov64_reg(R1, R10),  alu64_imm(BPF_ADD, R1, -32),
                    mov64_imm(R2, size), call_helper(helper),
                    exit_insn()};
    };
    for (uint32_t flags : {0u, static_cast<uint32_t>(KRING_PROG_F_INTERPRETER)}) {
        CAPTURE(runtime_name(flags));
        pt_regs ctx{};
        ctx.r14 = reinterpret_cast<uint64_t>(message);
        uint64_t r0 = 0;

        Loaded str = load(program(BPF_FUNC_probe_read_user_str, 32), flags);
        INFO(str.log);
        REQUIRE(str.err == 0);
        REQUIRE(test_run(str.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == sizeof(message)); // the length with its NUL

        Loaded cut = load(program(BPF_FUNC_probe_read_user_str, 5), flags);
        REQUIRE(cut.err == 0);
        REQUIRE(test_run(cut.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == 5); // cut, NUL-terminated

        Loaded user = load(program(BPF_FUNC_probe_read_user, 8), flags);
        REQUIRE(user.err == 0);
        REQUIRE(test_run(user.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == 0);

        // The kernel reads refuse a user address (-ERANGE, as Linux's).
        Loaded kernel = load(program(BPF_FUNC_probe_read_kernel, 8), flags);
        REQUIRE(kernel.err == 0);
        ctx.r14 = 8;
        REQUIRE(test_run(kernel.prog.get(), ctx, &r0) == 0);
        CHECK(static_cast<int64_t>(r0) == -ERANGE);
        Loaded kernel_str = load(program(BPF_FUNC_probe_read_kernel_str, 8), flags);
        REQUIRE(kernel_str.err == 0);
        REQUIRE(test_run(kernel_str.prog.get(), ctx, &r0) == 0);
        CHECK(static_cast<int64_t>(r0) == -ERANGE);

        // The current task is a kernel address that reads.
        Prog task = {call_helper(BPF_FUNC_get_current_task),
                     mov64_reg(R3, R0),
                     mov64_reg(R1, R10),
                     alu64_imm(BPF_ADD, R1, -8),
                     mov64_imm(R2, 8),
                     call_helper(BPF_FUNC_probe_read_kernel),
                     exit_insn()};
        Loaded t = load(task, flags);
        REQUIRE(t.err == 0);
        REQUIRE(test_run(t.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == 0);

        Loaded ids = load(Prog{call_helper(BPF_FUNC_get_current_uid_gid), exit_insn()}, flags);
        REQUIRE(ids.err == 0);
        REQUIRE(test_run(ids.prog.get(), ctx, &r0) == 0);
        CHECK(r0 == (static_cast<uint64_t>(::getgid()) << 32 | ::getuid()));
    }
}
