// bpf_perf_event_output in the kernel: the module hands the sample to
// Linux's bpf_event_output(), and a kring::PerfBuffer (libbpf's
// perf_buffer, as libbpf-tools read their events) reads it from this CPU's
// BPF output event. The slot checks answer as Linux's helper does: -E2BIG
// past the array, -ENOENT for an empty slot, -EOPNOTSUPP for another
// CPU's event, -EINVAL for flags outside the index. Then
// tests/bpf_progs/perf_output.bpf.c's kprobe program, through the library
// and through kringctl run. JIT'd and interpreted alike.
#include "insn.hpp"
#include "jit_util.hpp"
#include "kringctl_util.hpp"
#include "linux_bpf.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <array>
#include <bpf/libbpf.h>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/perf_buffer.hpp>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace insn;

namespace {

constexpr uint8_t R2 = BPF_REG_2, R3 = BPF_REG_3, R4 = BPF_REG_4, R5 = BPF_REG_5, R10 = BPF_REG_10;
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};
const std::string kObject = "/lib/kring/perf_output.bpf.o";

struct Sample {
    int cpu;
    std::vector<std::byte> data;
};

// A perf buffer on `map_fd` whose samples go to `samples`; losses fail.
kring::PerfBuffer read_into(int map_fd, std::vector<Sample>* samples) {
    return kring::PerfBuffer(
        map_fd, 8,
        [samples](int cpu, std::span<const std::byte> data) {
            samples->push_back({cpu, {data.begin(), data.end()}});
        },
        [](int cpu, uint64_t lost) { FAIL("CPU " << cpu << " lost " << lost << " samples"); });
}

// perf_event_output(ctx, map_fd, flags, fp-8 = {0x11223344, 0x55667788}, 8).
int64_t output_once(int map_fd, uint64_t flags, uint32_t runtime) {
    std::vector<bpf_insn> prog = {st(BPF_W, R10, -8, 0x11223344), st(BPF_W, R10, -4, 0x55667788)};
    for (const bpf_insn& in : ld_map_fd(R2, map_fd))
        prog.push_back(in);
    for (const bpf_insn& in : ld_imm64_pair(R3, flags))
        prog.push_back(in);
    for (const bpf_insn& in : {mov64_reg(R4, R10), alu64_imm(BPF_ADD, R4, -8), mov64_imm(R5, 8),
                               call_helper(BPF_FUNC_perf_event_output), exit_insn()})
        prog.push_back(in);
    jitvm::Loaded loaded = jitvm::load(prog, runtime);
    REQUIRE_MESSAGE(loaded.err == 0, loaded.log);
    uint64_t r0 = 0;
    REQUIRE(jitvm::test_run(loaded.prog.get(), pt_regs{}, &r0) == 0);
    return static_cast<int64_t>(r0);
}

// Keeps this thread on CPU 0 while it lives, so that "this CPU" is known.
struct OnCpu0 {
    cpu_set_t before{};
    OnCpu0() {
        REQUIRE(::sched_getaffinity(0, sizeof(before), &before) == 0);
        cpu_set_t zero;
        CPU_ZERO(&zero);
        CPU_SET(0, &zero);
        REQUIRE(::sched_setaffinity(0, sizeof(zero), &zero) == 0);
    }
    ~OnCpu0() { ::sched_setaffinity(0, sizeof(before), &before); }
};

} // namespace

TEST_CASE("perf_event_output: a sample reaches this CPU's perf buffer, and the slot checks answer "
          "as Linux's") {
    OnCpu0 pinned;
    int cpus = libbpf_num_possible_cpus();
    REQUIRE(cpus > 0);
    long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        // One slot more than the CPUs, which the perf buffer leaves empty.
        vmtest::Fd map(linuxbpf::create_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4,
                                            static_cast<uint32_t>(cpus + 1)));
        REQUIRE(map.get() >= 0);
        std::vector<Sample> samples;
        kring::PerfBuffer perf = read_into(map.get(), &samples);
        CHECK(output_once(map.get(), BPF_F_CURRENT_CPU, runtime) == 0);
        CHECK(output_once(map.get(), 0, runtime) == 0); // slot 0 by its index
        CHECK(output_once(map.get(), static_cast<uint64_t>(cpus), runtime) == -ENOENT);
        CHECK(output_once(map.get(), static_cast<uint64_t>(cpus + 1), runtime) == -E2BIG);
        CHECK(output_once(map.get(), 1ULL << 32 | BPF_F_CURRENT_CPU, runtime) == -EINVAL);
        if (online > 1)
            CHECK(output_once(map.get(), 1, runtime) == -EOPNOTSUPP);
        perf.poll(std::chrono::milliseconds(1000));
        REQUIRE(samples.size() == 2);
        for (const Sample& s : samples) {
            CHECK(s.cpu == 0);
            REQUIRE(s.data.size() == 12); // 8 bytes, and the perf core's 4 of padding
            std::array<uint32_t, 3> words{};
            std::memcpy(words.data(), s.data.data(), 12);
            CHECK(words == std::array<uint32_t, 3>{0x11223344, 0x55667788, 0});
        }
    }
}

TEST_CASE("perf_event_output: a kprobe program's samples, through the library and kringctl run") {
    struct PerfSample { // perf_output.bpf.c's, and the padding
        uint32_t tgid, count, pad;
    };
    auto decode = [](const std::vector<Sample>& samples) {
        std::vector<uint32_t> counts;
        for (const Sample& s : samples) {
            REQUIRE(s.data.size() == sizeof(PerfSample));
            PerfSample p{};
            std::memcpy(&p, s.data.data(), sizeof(p));
            CHECK(p.tgid == static_cast<uint32_t>(::getpid()));
            counts.push_back(p.count);
        }
        return counts;
    };
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        vmtest::TestObject t(kObject, "perf_output", vmtest::reporting_this_process());
        std::vector<Sample> samples;
        kring::PerfBuffer perf = read_into(t.maps.map(t.obj.map_index("events")).fd(), &samples);
        kring::Program prog = t.load("perf_output", KRING_ATTACH_KPROBE, runtime);
        {
            kring::Link link = prog.attach("__x64_sys_getppid");
            for (int i = 0; i < 3; i++)
                CHECK(::getppid() >= 0);
        }
        perf.poll(std::chrono::milliseconds(1000));
        CHECK(decode(samples) == std::vector<uint32_t>{1, 2, 3});
    }

    // kringctl run reads the array as libbpf-tools do, and prints each
    // sample as a record: this process's getppid() calls until it stops.
    int status = 0;
    std::string out = vmtest::cli::run_kringctl_while(
        {"run", kObject, "--set", "target_tgid=" + std::to_string(::getpid()), "--count", "3",
         "--json"},
        [] { ::getppid(); }, std::chrono::seconds(60), &status);
    REQUIRE_MESSAGE(status >= 0, "kringctl run printed no 3 samples in 60 s");
    CHECK(status == 0);
    // The sample's tgid, then counts 1, 2, 3, then the padding, in hex.
    std::string tgid_hex;
    auto pid = static_cast<uint32_t>(::getpid());
    for (int b = 0; b < 4; b++) {
        char byte[3];
        std::snprintf(byte, sizeof(byte), "%02x", (pid >> (8 * b)) & 0xff);
        tgid_hex += byte;
    }
    for (const char* count : {"01000000", "02000000", "03000000"})
        CHECK(out.find("{\"ring\":\"events\",\"size\":12,\"data\":\"" + tgid_hex + count +
                       "00000000\"}") != std::string::npos);
    CHECK(out.find("{\"event\":\"summary\",\"perf_buffer\":\"events\",\"samples\":") !=
          std::string::npos);
    CHECK(out.find(",\"lost\":0}") != std::string::npos);

    // --pin would leave the program writing to perf events that close as
    // kringctl exits: refused, and nothing pinned.
    int pin_status = 0;
    vmtest::cli::run_kringctl({"run", kObject, "--pin", "perfpin"}, &pin_status);
    CHECK(pin_status == 1);
    for (const std::string& name : kring::Ring::pinned())
        CHECK(!name.starts_with("perfpin."));
}
