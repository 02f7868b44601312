// kring-bench: kring, Linux's BPF ring buffer and Linux's perf buffer through
// the same scenarios in one run, inside the test VM (bench/run.sh boots it).
// Every contender runs the same program logic on the same trigger: a kprobe
// on getpgid()'s entry, fired by a system-call loop, producing BENCH_BATCH
// records per call, each carrying its commit time. See docs/bench.md.
//
// Prints one line per measurement, "KRING-BENCH {json}", and one line about
// the machine, "KRING-BENCH-ENV {json}"; then the cost of a tail call
// (tail_call_bench.hpp); bench/report.py makes the tables.
#include "bench.h"
#include "pin_cpu.hpp"
#include "tail_call_bench.hpp"

#include <algorithm>
#include <atomic>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <kring/kring.hpp>
#include <kring/program.hpp>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <memory>
#include <optional>
#include <string>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Runs per KRING_IOC_PROG_TEST_RUN call of the "kring test-run" contender.
constexpr uint32_t kTestRunRepeat = 4;

// A record size and how the producers and the consumer are placed.
struct Scenario {
    std::string name;
    uint32_t size;
    int producers;
    bool same_cpu; // back-to-back: one thread triggers a batch, then consumes it
    bool sampled;  // NO_WAKEUP, FORCE_WAKEUP once BENCH_SAMPLE records wait
};

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts); // bpf_ktime_get_ns's clock
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// What the consumer saw: records and their commit-to-callback latencies.
// Only the consumer thread writes it.
struct Sink {
    uint64_t records = 0;
    std::vector<uint32_t> latency_ns;

    Sink() { latency_ns.reserve(kLatencySamples); }
    // Every 16th record's latency: reading the clock costs the consumer as
    // much as consuming a record. The sampling is a call of its own, so that
    // every contender's callback compiles to the same few instructions for
    // the other 15: inlined, the compiler saved the registers the sampling
    // needs on every call in some callbacks (libkring's) and not in others
    // (libbpf's), a difference of the bench's code, not of the consumers'.
    void take(const void* data, size_t size) {
        if (records++ % 16 == 0 && size >= sizeof(bench_record))
            sample_latency(data);
    }
    [[gnu::noinline]] void sample_latency(const void* data) {
        if (latency_ns.size() == kLatencySamples)
            return;
        bench_record rec;
        std::memcpy(&rec, data, sizeof(rec));
        uint64_t latency = now_ns() - rec.ts_ns;
        latency_ns.push_back(uint32_t(std::min<uint64_t>(latency, UINT32_MAX)));
    }
    uint64_t percentile(double p) {
        if (latency_ns.empty())
            return 0;
        size_t k = std::min(latency_ns.size() - 1, size_t(p * double(latency_ns.size())));
        std::nth_element(latency_ns.begin(), latency_ns.begin() + long(k), latency_ns.end());
        return latency_ns[k];
    }
    static constexpr size_t kLatencySamples = 1u << 20;
};

[[noreturn]] void fail(const std::string& what, int err) {
    throw kring::Error(err, what);
}

void fire_kprobe() {
    syscall(__NR_getpgid, 0);
}

// One way of producing and consuming. start() attaches what the scenario
// needs and points the consumer at the sink; trigger() is called by the
// producer threads; poll() and consume() by the consumer thread.
class Contender {
public:
    virtual ~Contender() = default;
    virtual std::string name() const = 0;
    virtual void start(const Scenario& s, Sink* sink) = 0;
    virtual uint64_t trigger() = 0; // records the programs were asked for
    virtual int64_t poll(int timeout_ms) = 0;
    virtual int64_t consume() = 0;
    virtual void stop() = 0;
    virtual uint64_t memory_bytes() const = 0;
};

std::string program_name(const char* prefix, const Scenario& s) {
    return std::string(prefix) + std::to_string(s.size) + (s.sampled ? "_sampled" : "");
}

// kring: bench.bpf.o's programs verified and loaded into the module, on a
// /dev/kring ring consumed by libkring. Either attached to the kprobe, or
// run by KRING_IOC_PROG_TEST_RUN with a repeat count (no kprobe at all).
// JIT'd by the kernel's eBPF JIT, or run by kring's interpreter
// (KRING_PROG_F_INTERPRETER): the name says which ran, ", interpreter".
// Each measurement loads its program afresh, so that each gets its own JIT
// image: under emulation the image's address moves a JIT'd program's speed
// (docs/bench.md, "Where the JIT puts a program"), and rounds that shared
// one load would share its luck.
class KringContender : public Contender {
public:
    KringContender(const std::string& object, bool test_run, bool interpreter)
        : test_run_(test_run), flags_(interpreter ? KRING_PROG_F_INTERPRETER : 0),
          object_(kring::bpf::load_elf(object)), ring_(kring::Ring::create(BENCH_RING_SIZE)) {
        ctx_.resize(kring::context_size(KRING_ATTACH_KPROBE));
    }
    std::string name() const override {
        return std::string(test_run_ ? "kring test-run" : "kring kprobe") +
               (jited_ ? "" : ", interpreter");
    }
    void start(const Scenario& s, Sink* sink) override {
        const std::string wanted = program_name("produce_", s);
        auto prog = std::find_if(object_.programs.begin(), object_.programs.end(),
                                 [&](const kring::bpf::Program& p) { return p.name == wanted; });
        if (prog == object_.programs.end())
            fail("no program " + wanted + " in the benchmark object", ENOENT);
        int ring_fd = ring_.fd();
        program_.emplace(kring::Program::load(*prog, std::span(&ring_fd, 1), KRING_ATTACH_KPROBE,
                                              {0, flags_, {}}));
        jited_ = program_->jited();
        if (!test_run_)
            link_.emplace(program_->attach(BENCH_KPROBE));
        consumer_.emplace();
        consumer_->add(ring_, [sink](std::span<const std::byte> r) {
            sink->take(r.data(), r.size());
            return 0;
        });
    }
    uint64_t trigger() override {
        if (!test_run_) {
            fire_kprobe();
            return BENCH_BATCH;
        }
        std::vector<std::byte> ctx(ctx_);
        program_->test_run(ctx, kTestRunRepeat);
        return uint64_t(BENCH_BATCH) * kTestRunRepeat;
    }
    int64_t poll(int timeout_ms) override {
        return consumer_->poll(std::chrono::milliseconds(timeout_ms));
    }
    int64_t consume() override { return consumer_->consume(); }
    void stop() override {
        link_.reset();
        consumer_.reset();
        program_.reset();
    }
    uint64_t memory_bytes() const override {
        return ring_.data_size() + 2 * uint64_t(sysconf(_SC_PAGESIZE));
    }

private:
    bool test_run_;
    uint32_t flags_;
    bool jited_ = false; // of the last program loaded
    kring::bpf::Object object_;
    kring::Ring ring_;
    std::vector<std::byte> ctx_;
    std::optional<kring::Program> program_;
    std::optional<kring::Link> link_;
    std::optional<kring::Consumer> consumer_;
};

// kring's in-kernel API with no program: the test module kring_api_test
// (tests/kmod) reserves, stamps and submits each batch in the kernel, on a
// write to its debugfs file (one syscall per batch, as a getpgid() is for
// the kprobe contenders). The ring's own cost, apart from any program's.
class KringApiContender : public Contender {
public:
    KringApiContender() : ring_(kring::Ring::create(BENCH_RING_SIZE)) {
        if (::access("/sys/module/kring_api_test", F_OK) != 0) {
            const char* dir = getenv("KRING_MODULE_DIR");
            std::string path = std::string(dir ? dir : "/lib/kring") + "/kring_api_test.ko";
            int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
                fail("load " + path, errno);
            ::close(fd);
            loaded_ = true;
        }
        ctl_ = ::open("/sys/kernel/debug/kring_api_test/ctl", O_WRONLY | O_CLOEXEC);
        if (ctl_ < 0)
            fail("open kring_api_test's ctl", errno);
    }
    ~KringApiContender() override {
        ::close(ctl_);
        if (loaded_) // it holds kring.ko
            syscall(SYS_delete_module, "kring_api_test", O_NONBLOCK);
    }
    std::string name() const override { return "kring in-kernel API"; }
    void start(const Scenario& s, Sink* sink) override {
        uint64_t wakeup = s.sampled ? uint64_t(BENCH_SAMPLE) * (s.size + 8) : 0;
        cmd_ = "bench " + std::to_string(ring_.fd()) + " " + std::to_string(s.size) + " " +
               std::to_string(BENCH_BATCH) + " " + std::to_string(wakeup);
        consumer_.emplace();
        consumer_->add(ring_, [sink](std::span<const std::byte> r) {
            sink->take(r.data(), r.size());
            return 0;
        });
    }
    uint64_t trigger() override {
        if (::write(ctl_, cmd_.data(), cmd_.size()) != ssize_t(cmd_.size()))
            fail("kring_api_test bench", errno);
        return BENCH_BATCH;
    }
    int64_t poll(int timeout_ms) override {
        return consumer_->poll(std::chrono::milliseconds(timeout_ms));
    }
    int64_t consume() override { return consumer_->consume(); }
    void stop() override { consumer_.reset(); }
    uint64_t memory_bytes() const override {
        return ring_.data_size() + 2 * uint64_t(sysconf(_SC_PAGESIZE));
    }

private:
    kring::Ring ring_;
    bool loaded_ = false;
    int ctl_ = -1;
    std::string cmd_;
    std::optional<kring::Consumer> consumer_;
};

// A libbpf object loaded into Linux, one kprobe link at a time. Its maps are
// created once, by a load of none of its programs, and kept; each attach
// opens the object again, reuses those maps and loads the one program it
// attaches, so that each measurement gets its own JIT image, as kring's do
// (KringContender says why).
class LinuxObject {
public:
    explicit LinuxObject(const std::string& path) : path_(path) { maps_ = open_and_load(nullptr); }
    ~LinuxObject() {
        detach();
        bpf_object__close(maps_);
    }
    LinuxObject(const LinuxObject&) = delete;
    LinuxObject& operator=(const LinuxObject&) = delete;

    void attach(const std::string& program) {
        detach();
        loaded_ = open_and_load(program.c_str());
        link_ = bpf_program__attach(bpf_object__find_program_by_name(loaded_, program.c_str()));
        if (!link_)
            fail("attaching " + program + " to its kprobe", errno);
    }
    void detach() {
        if (link_)
            bpf_link__destroy(link_);
        link_ = nullptr;
        bpf_object__close(loaded_);
        loaded_ = nullptr;
    }
    int map_fd(const char* name) const { return bpf_object__find_map_fd_by_name(maps_, name); }

private:
    // Opens the object and loads `program` alone (none if null), on the
    // maps of maps_ once there are some.
    bpf_object* open_and_load(const char* program) {
        bpf_object* obj = bpf_object__open_file(path_.c_str(), nullptr);
        if (!obj)
            fail("bpf_object__open_file " + path_, errno);
        bpf_program* prog;
        bool found = false;
        bpf_object__for_each_program(prog, obj) {
            bool wanted = program && std::strcmp(bpf_program__name(prog), program) == 0;
            bpf_program__set_autoload(prog, wanted);
            found = found || wanted;
        }
        if (program && !found) {
            bpf_object__close(obj);
            fail("no program " + std::string(program) + " in " + path_, ENOENT);
        }
        int err = 0;
        bpf_map* map;
        bpf_object__for_each_map(map, obj) {
            if (maps_ && !err)
                err = bpf_map__reuse_fd(map, map_fd(bpf_map__name(map)));
        }
        if (!err)
            err = bpf_object__load(obj);
        if (err) {
            bpf_object__close(obj);
            fail("loading " + std::string(program ? program : "the maps") + " of " + path_ +
                     " (libbpf's messages above say why)",
                 -err);
        }
        return obj;
    }

    std::string path_;
    bpf_object* maps_ = nullptr;   // the maps every load shares
    bpf_object* loaded_ = nullptr; // the attached program's
    bpf_link* link_ = nullptr;
};

// Linux's BPF_MAP_TYPE_RINGBUF: the same bytecode, consumed either by
// libbpf's ring_buffer or by libkring (the two share the layout).
class LinuxRingbufContender : public Contender {
public:
    LinuxRingbufContender(const std::string& object, bool libkring)
        : libkring_(libkring), obj_(object) {}
    std::string name() const override {
        return libkring_ ? "Linux ringbuf, libkring" : "Linux ringbuf, libbpf";
    }
    void start(const Scenario& s, Sink* sink) override {
        obj_.attach(program_name("produce_", s));
        int fd = obj_.map_fd("ring");
        if (libkring_) {
            int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
            if (dup_fd < 0)
                fail("dup of the ring map fd", errno);
            ring_.emplace(kring::Ring::adopt_bpf_map(dup_fd));
            consumer_.emplace();
            consumer_->add(*ring_, [sink](std::span<const std::byte> r) {
                sink->take(r.data(), r.size());
                return 0;
            });
            return;
        }
        rb_ = ring_buffer__new(fd, on_record, sink, nullptr);
        if (!rb_)
            fail("ring_buffer__new", errno);
    }
    uint64_t trigger() override {
        fire_kprobe();
        return BENCH_BATCH;
    }
    int64_t poll(int timeout_ms) override {
        if (libkring_)
            return consumer_->poll(std::chrono::milliseconds(timeout_ms));
        return ring_buffer__poll(rb_, timeout_ms);
    }
    int64_t consume() override {
        return libkring_ ? consumer_->consume() : ring_buffer__consume(rb_);
    }
    void stop() override {
        obj_.detach();
        consumer_.reset();
        ring_.reset();
        if (rb_)
            ring_buffer__free(rb_);
        rb_ = nullptr;
    }
    uint64_t memory_bytes() const override {
        return BENCH_RING_SIZE + 2 * uint64_t(sysconf(_SC_PAGESIZE));
    }

private:
    static int on_record(void* ctx, void* data, size_t size) {
        static_cast<Sink*>(ctx)->take(data, size);
        return 0;
    }
    bool libkring_;
    LinuxObject obj_;
    ring_buffer* rb_ = nullptr;
    std::optional<kring::Ring> ring_;
    std::optional<kring::Consumer> consumer_;
};

// Linux's perf buffer: one buffer per CPU of BENCH_RING_SIZE bytes (as in
// bench_ringbufs: the same size per CPU), consumed by libbpf's perf_buffer.
// Sampled notification is the perf event's wakeup_events.
class LinuxPerfbufContender : public Contender {
public:
    explicit LinuxPerfbufContender(const std::string& object) : obj_(object) {}
    std::string name() const override { return "Linux perfbuf, libbpf"; }
    void start(const Scenario& s, Sink* sink) override {
        obj_.attach("output_" + std::to_string(s.size));
        perf_event_attr attr{};
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_BPF_OUTPUT;
        attr.sample_type = PERF_SAMPLE_RAW;
        attr.sample_period = 1;
        attr.wakeup_events = s.sampled ? BENCH_SAMPLE : 1;
        sink_ = sink;
        pb_ = perf_buffer__new_raw(obj_.map_fd("perfbuf"), kPages, &attr, on_event, this, nullptr);
        if (!pb_)
            fail("perf_buffer__new_raw", errno);
    }
    uint64_t trigger() override {
        fire_kprobe();
        return BENCH_BATCH;
    }
    int64_t poll(int timeout_ms) override { return perf_buffer__poll(pb_, timeout_ms); }
    int64_t consume() override {
        uint64_t before = sink_->records;
        if (int err = perf_buffer__consume(pb_); err < 0)
            fail("perf_buffer__consume", -err);
        return int64_t(sink_->records - before);
    }
    void stop() override {
        obj_.detach();
        if (pb_)
            perf_buffer__free(pb_);
        pb_ = nullptr;
    }
    uint64_t memory_bytes() const override {
        return uint64_t(libbpf_num_possible_cpus()) * (kPages + 1) *
               uint64_t(sysconf(_SC_PAGESIZE));
    }

private:
    static constexpr size_t kPages = BENCH_RING_SIZE / 4096;
    static bpf_perf_event_ret on_event(void* ctx, int, perf_event_header* event) {
        auto* self = static_cast<LinuxPerfbufContender*>(ctx);
        if (event->type == PERF_RECORD_SAMPLE) {
            struct raw_sample {
                perf_event_header header;
                uint32_t size;
                char data[];
            };
            auto* sample = reinterpret_cast<raw_sample*>(event);
            self->sink_->take(sample->data, sample->size);
        }
        return LIBBPF_PERF_EVENT_CONT;
    }
    LinuxObject obj_;
    perf_buffer* pb_ = nullptr;
    Sink* sink_ = nullptr;
};

struct Measurement {
    double seconds = 0;
    uint64_t produced = 0; // records the programs were asked for
    uint64_t consumed = 0;
    uint64_t wakeups = 0; // polls that returned records
    uint64_t p50_ns = 0, p99_ns = 0;
    // Back-to-back: the time spent in consume(), which is all any consumer
    // could save there; the rest is the trigger and the producers.
    double consume_seconds = 0;
};

// Producers run for `duration`; the consumer waits (epoll) on its CPU, then
// drains what is left once the producers are done.
Measurement measure(Contender& c, const Scenario& s, std::chrono::milliseconds duration,
                    int ncpus) {
    auto sink = std::make_unique<Sink>();
    c.start(s, sink.get());
    Measurement m;
    std::atomic<bool> producing{true};
    std::atomic<uint64_t> produced{0};
    auto begin = Clock::now();
    auto deadline = begin + duration;
    if (s.same_cpu) {
        std::thread both([&] {
            pin_to_cpu(1 % ncpus);
            uint64_t n = 0;
            Clock::duration consuming{};
            while (Clock::now() < deadline) {
                n += c.trigger();
                auto before = Clock::now();
                c.consume();
                consuming += Clock::now() - before;
            }
            produced = n;
            m.consume_seconds = std::chrono::duration<double>(consuming).count();
        });
        both.join();
        m.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    } else {
        uint64_t wakeups = 0;
        std::thread consumer([&] {
            pin_to_cpu(0);
            while (producing.load(std::memory_order_acquire))
                if (c.poll(50) > 0)
                    wakeups++;
        });
        std::vector<std::thread> producers;
        for (int i = 0; i < s.producers; i++)
            producers.emplace_back([&, i] {
                pin_to_cpu((1 + i) % ncpus);
                uint64_t n = 0;
                while (Clock::now() < deadline)
                    n += c.trigger();
                produced += n;
            });
        for (auto& t : producers)
            t.join();
        m.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
        producing.store(false, std::memory_order_release);
        consumer.join();
        m.wakeups = wakeups;
    }
    while (c.consume() > 0) {
    }
    c.stop();
    m.produced = produced;
    m.consumed = sink->records;
    m.p50_ns = sink->percentile(0.50);
    m.p99_ns = sink->percentile(0.99);
    return m;
}

std::string read_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line.empty() ? "unknown" : line;
}

void print_env(int ncpus) {
    utsname u{};
    uname(&u);
    std::printf(
        "KRING-BENCH-ENV {\"kernel\": \"%s\", \"vcpus\": %d, \"clocksource\": \"%s\", "
        "\"bpf_jit\": \"%s\", \"batch\": %d, \"sample\": %d, \"ring_bytes\": %u, "
        "\"test_run_repeat\": %u}\n",
        u.release, ncpus,
        read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource").c_str(),
        read_line("/proc/sys/net/core/bpf_jit_enable").c_str(), BENCH_BATCH, BENCH_SAMPLE,
        BENCH_RING_SIZE, kTestRunRepeat);
}

// Whether `only` (KRING_BENCH_ONLY: bench/run.sh --only, an underscore for
// each space) selects the scenario; every scenario when it is empty.
bool selected(const Scenario& s, std::string only) {
    std::replace(only.begin(), only.end(), '_', ' ');
    return (s.name + " " + std::to_string(s.size) + " B").find(only) != std::string::npos;
}

std::vector<Scenario> scenarios() {
    std::vector<Scenario> list;
    for (uint32_t size : {8u, 64u, 512u, 4096u})
        list.push_back({"1 producer, other CPU", size, 1, false, false});
    list.push_back({"back-to-back, same CPU", 64, 1, true, false});
    list.push_back({"sampled wakeup", 64, 1, false, true});
    for (int producers : {2, 4, 8})
        list.push_back({std::to_string(producers) + " producers", 64, producers, false, false});
    return list;
}

int libbpf_warnings(libbpf_print_level level, const char* format, va_list args) {
    return level == LIBBPF_WARN ? std::vfprintf(stderr, format, args) : 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: kring-bench BENCH.BPF.O PERFBUF.BPF.O [SECONDS]\n"
                             "  KRING_BENCH_ONLY=WORDS: the scenarios whose name contains "
                             "WORDS ('_' for ' ') only\n"
                             "  KRING_BENCH_ROUNDS=N: each scenario N times, the contenders "
                             "interleaved\n");
        return 2;
    }
    std::chrono::milliseconds duration(argc > 3 ? int(std::atof(argv[3]) * 1000) : 1000);
    libbpf_set_print(libbpf_warnings);
    int ncpus = int(sysconf(_SC_NPROCESSORS_ONLN));
    print_env(ncpus);
    try {
        std::vector<std::unique_ptr<Contender>> contenders;
        contenders.push_back(std::make_unique<LinuxRingbufContender>(argv[1], false));
        contenders.push_back(std::make_unique<LinuxRingbufContender>(argv[1], true));
        contenders.push_back(std::make_unique<KringContender>(argv[1], false, false));
        contenders.push_back(std::make_unique<KringContender>(argv[1], true, false));
        contenders.push_back(std::make_unique<KringContender>(argv[1], false, true));
        contenders.push_back(std::make_unique<KringContender>(argv[1], true, true));
        contenders.push_back(std::make_unique<KringApiContender>());
        contenders.push_back(std::make_unique<LinuxPerfbufContender>(argv[2]));
        const char* only_env = std::getenv("KRING_BENCH_ONLY");
        const std::string only = only_env ? only_env : "";
        const char* rounds_env = std::getenv("KRING_BENCH_ROUNDS");
        const int rounds = std::max(1, rounds_env ? std::atoi(rounds_env) : 1);
        for (const Scenario& s : scenarios()) {
            if (!selected(s, only))
                continue;
            // Rounds interleave the contenders, so that each round's ratios
            // compare measurements taken moments apart.
            for (int round = 0; round < rounds; round++) {
                for (auto& c : contenders) {
                    Measurement m = measure(*c, s, duration, ncpus);
                    std::printf(
                        "KRING-BENCH {\"scenario\": \"%s\", \"size\": %u, \"producers\": %d, "
                        "\"round\": %d, \"contender\": \"%s\", \"seconds\": %.3f, "
                        "\"produced\": %llu, \"consumed\": %llu, \"wakeups\": %llu, "
                        "\"p50_ns\": %llu, \"p99_ns\": %llu, \"memory_bytes\": %llu, "
                        "\"consume_seconds\": %.3f}\n",
                        s.name.c_str(), s.size, s.producers, round, c->name().c_str(), m.seconds,
                        (unsigned long long)m.produced, (unsigned long long)m.consumed,
                        (unsigned long long)m.wakeups, (unsigned long long)m.p50_ns,
                        (unsigned long long)m.p99_ns, (unsigned long long)c->memory_bytes(),
                        m.consume_seconds);
                    std::fflush(stdout);
                }
            }
        }
        if (only.empty())
            tailcall_bench::run(20000, 5);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kring-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
