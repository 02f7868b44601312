// perf_event programs: tests/bpf_progs/perf_event.bpf.c, a profiler's
// program, on a cpu-clock counter of each CPU (period 1 ms) while this
// process spins. Each sample of this process has the counter's period, an
// instruction in user mode in this process's text or in kernel mode, and
// stack ids in "stacks" through get_stackid: a user-mode sample has no
// kernel stack (-EFAULT) and a user stack beginning at that instruction.
// The same object in Linux, on counters libbpf attaches it to, samples the
// same way. Nothing after detaching; hardware events, a period of 0 and a
// plain attach() are refused. JIT'd and interpreted alike. kringctl run
// samples the section's program on cpu-clock at --sample-freq.
#include "kringctl_util.hpp"
#include "libbpf_object.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <linux/perf_event.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

const std::string kObject = "/lib/kring/perf_event.bpf.o";
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};
constexpr uint64_t kPeriodNs = 1000000;

struct Sample { // perf_event.bpf.c's
    uint32_t tgid;
    uint32_t user_mode;
    uint64_t period;
    uint64_t ip;
    int64_t kernel_id;
    int64_t user_id;
};

// What every sample of 200 ms of spinning shows, whoever took it.
void check_samples(const std::vector<Sample>& samples, int stacks_fd) {
    INFO(samples.size(), " samples");
    CHECK(samples.size() >= 20);
    size_t user_samples = 0;
    size_t collided = 0;
    for (const Sample& s : samples) {
        CHECK(s.tgid == static_cast<uint32_t>(::getpid()));
        CHECK(s.period == kPeriodNs);
        CHECK(s.ip != 0);
        if (!s.user_mode)
            continue;
        user_samples++;
        CHECK(vmtest::in_executable_mapping(s.ip));
        CHECK(s.kernel_id == -EFAULT); // no kernel stack under user registers
        // Without BPF_F_REUSE_STACKID, a stack whose bucket another stack
        // holds is not stored: Linux's documented -EEXIST.
        if (s.user_id == -EEXIST) {
            collided++;
            continue;
        }
        CHECK(vmtest::stack_of(stacks_fd, s.user_id, 32).at(0) == s.ip);
    }
    CHECK(user_samples * 2 > samples.size()); // spinning is mostly in user mode
    CHECK(collided * 4 < user_samples);       // 4096 buckets: collisions are rare
}

} // namespace

TEST_CASE(
    "perf_event: cpu-clock samples of this process, their stacks by get_stackid, as Linux's") {
    {
        // The object in Linux, attached to a cpu-clock counter of each CPU
        // that perf_event_open(2) made, as libbpf-tools' profile does.
        vmtest::LibbpfObject<Sample> profiler(kObject, "samples",
                                              static_cast<uint32_t>(::getpid()));
        std::vector<vmtest::Fd> counters;
        perf_event_attr attr = vmtest::cpu_clock(kPeriodNs);
        for (int cpu = 0; cpu < libbpf_num_possible_cpus(); cpu++) {
            vmtest::Fd counter(
                static_cast<int>(::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, 0)));
            if (counter.get() < 0)
                continue; // an offline CPU
            profiler.add_link(
                bpf_program__attach_perf_event(profiler.program("on_sample"), counter.get()),
                "on_sample");
            counters.push_back(std::move(counter));
        }
        vmtest::spin(200);
        profiler.detach();
        INFO("Linux's samples");
        check_samples(profiler.records(), profiler.map_fd("stacks"));
    }
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        vmtest::TestObject t(kObject, "perf_event", vmtest::reporting_this_process());
        kring::Program prog = t.load("on_sample", KRING_ATTACH_PERF_EVENT, runtime);
        {
            kring::Link link = prog.attach_perf_event(vmtest::cpu_clock(kPeriodNs));
            vmtest::spin(200);
        }
        check_samples(t.drain<Sample>("samples"), t.maps.map(t.obj.map_index("stacks")).fd());
        vmtest::spin(20);
        CHECK(t.drain<Sample>("samples").empty()); // detached
    }
}

TEST_CASE("perf_event: what kring does not sample is refused") {
    vmtest::TestObject t(kObject, "perf_event", vmtest::reporting_this_process());
    kring::Program prog = t.load("on_sample", KRING_ATTACH_PERF_EVENT, 0);
    auto refused = [&](const perf_event_attr& attr) {
        try {
            prog.attach_perf_event(attr);
        } catch (const kring::Error& e) {
            return e.errno_value();
        }
        return 0;
    };
    perf_event_attr hardware = vmtest::cpu_clock(kPeriodNs);
    hardware.type = PERF_TYPE_HARDWARE;
    hardware.config = PERF_COUNT_HW_CPU_CYCLES;
    CHECK(refused(hardware) == EOPNOTSUPP);
    perf_event_attr no_period = vmtest::cpu_clock(kPeriodNs);
    no_period.sample_period = 0;
    CHECK(refused(no_period) == EINVAL);
    perf_event_attr too_small = vmtest::cpu_clock(kPeriodNs);
    too_small.size = 8;
    CHECK(refused(too_small) == EINVAL);
    CHECK_THROWS_WITH_AS(prog.attach(), doctest::Contains("attach_perf_event()"), kring::Error);
}

TEST_CASE("perf_event: kringctl run samples a perf_event section at --sample-freq") {
    int status = 0;
    std::string out = vmtest::cli::run_kringctl_while(
        {"run", kObject, "--set", "target_tgid=" + std::to_string(::getpid()), "--sample-freq",
         "1000", "--count", "5", "--json"},
        [] { vmtest::spin(10); }, std::chrono::seconds(60), &status); // this process is sampled
    REQUIRE_MESSAGE(status >= 0, "kringctl run printed no 5 samples in 60 s");
    CHECK(status == 0);
    size_t records = 0;
    for (size_t at = 0;
         (at = out.find("{\"ring\":\"samples\",\"size\":40,", at)) != std::string::npos; at++)
        records++;
    CHECK(records == 5);
}
