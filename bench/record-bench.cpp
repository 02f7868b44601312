// kring-record-bench: persisting a ring's records to a file, two ways, on
// the same ring and the same producer, inside the test VM (bench/run.sh):
//
//   kringctl record   kring::Recorder, what `kringctl record` runs: pwritev
//                     straight from the mapped ring (direct I/O, where the
//                     file system has it), the consumer position
//                     advanced once the chunk is written (--sync never) or,
//                     after that, made durable by an fdatasync
//                     (every second, the default; every 10 ms; every MiB);
//                     with the CRC32C of every chunk (the default) and
//                     without;
//   read-copy-write   the loop a daemon writes by hand: a kring::Consumer
//                     callback copies each record (behind a length and ring
//                     id) into a buffer, written with write(2) when full; the
//                     consumer position advances before the data is written.
//
// The producer is bench.bpf.o's program run by KRING_IOC_PROG_TEST_RUN on
// one CPU; the consumer runs on the other. The file is the third argument:
// on an ext4 file system on the VM's virtio disk (bench/run.sh gives it one),
// so that fdatasync reaches a block device. Prints one "KRING-RECORD-BENCH
// {json}" line per measurement.
#include "bench.h"
#include "pin_cpu.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <kring/kring.hpp>
#include <kring/program.hpp>
#include <kring/record_file.hpp>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

const char* kFile = "/tmp/record-bench.out";
constexpr uint32_t kTestRunRepeat = 4;
constexpr size_t kCopyBuffer = 256 * 1024; // the hand-written loop's buffer

double cpu_seconds(int who) {
    rusage ru{};
    getrusage(who, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One way of persisting a ring: run() consumes until `producing` is false,
// then drains; returns the records written. writes(): the write system
// calls of the last run.
class Persister {
public:
    virtual ~Persister() = default;
    virtual const char* name() const = 0;
    virtual uint64_t run(const kring::Ring& ring, const std::atomic<bool>& producing) = 0;
    uint64_t writes() const { return writes_; }

protected:
    uint64_t writes_ = 0;
};

class RecorderPersister : public Persister {
public:
    // `options` as the command line `name` sets them.
    RecorderPersister(std::string name, const kring::Recorder::Options& options)
        : name_(std::move(name)), options_(options) {}
    const char* name() const override { return name_.c_str(); }
    uint64_t run(const kring::Ring& ring, const std::atomic<bool>& producing) override {
        kring::Recorder recorder(kFile, options_);
        recorder.add(ring, "bench");
        while (producing.load(std::memory_order_acquire))
            recorder.poll(std::chrono::milliseconds(50));
        recorder.flush();
        syncs_ = recorder.stats().syncs;
        writes_ = recorder.stats().writes;
        direct_io_ = recorder.direct_io();
        return recorder.stats().records;
    }
    uint64_t syncs() const { return syncs_; }
    bool direct_io() const { return direct_io_; }

private:
    std::string name_;
    kring::Recorder::Options options_;
    uint64_t syncs_ = 0;
    bool direct_io_ = false;
};

kring::Recorder::Options recorder_options(bool checksum, std::chrono::milliseconds interval,
                                          uint64_t bytes) {
    kring::Recorder::Options options;
    options.checksum = checksum;
    options.sync.interval = interval;
    options.sync.bytes = bytes;
    return options;
}

class CopyLoopPersister : public Persister {
public:
    const char* name() const override { return "read-copy-write"; }
    uint64_t run(const kring::Ring& ring, const std::atomic<bool>& producing) override {
        int fd = ::open(kFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            throw kring::Error(errno, std::string("open ") + kFile);
        std::vector<std::byte> buffer(kCopyBuffer);
        size_t used = 0;
        uint64_t records = 0;
        writes_ = 0;
        auto flush = [&] {
            for (size_t done = 0; done < used;) {
                ssize_t n = ::write(fd, buffer.data() + done, used - done);
                writes_++;
                if (n < 0)
                    throw kring::Error(errno, std::string("write to ") + kFile);
                done += size_t(n);
            }
            used = 0;
        };
        kring::Consumer consumer;
        consumer.add(ring, [&](std::span<const std::byte> record) {
            struct {
                uint32_t len;
                uint32_t ring_id;
            } prefix{uint32_t(record.size()), 0};
            if (used + sizeof(prefix) + record.size() > buffer.size())
                flush();
            std::memcpy(buffer.data() + used, &prefix, sizeof(prefix));
            std::memcpy(buffer.data() + used + sizeof(prefix), record.data(), record.size());
            used += sizeof(prefix) + record.size();
            records++;
            return 0;
        });
        while (producing.load(std::memory_order_acquire))
            consumer.poll(std::chrono::milliseconds(50));
        while (consumer.consume() > 0) {
        }
        flush();
        ::close(fd);
        return records;
    }
};

struct Measurement {
    double seconds = 0;
    uint64_t asked = 0, committed = 0, dropped = 0, written = 0, file_bytes = 0;
    double consumer_cpu_s = 0; // the process's CPU time but the producer's
};

Measurement measure(Persister& persister, const kring::bpf::Object& obj, uint32_t size,
                    std::chrono::milliseconds duration) {
    ::unlink(kFile);
    kring::Ring ring = kring::Ring::create(BENCH_RING_SIZE);
    int ring_fd = ring.fd();
    const kring::bpf::Program* source = nullptr;
    for (const auto& prog : obj.programs)
        if (prog.name == "produce_" + std::to_string(size))
            source = &prog;
    if (!source)
        throw kring::Error(ENOENT, "no program produce_" + std::to_string(size));
    kring::Program program =
        kring::Program::load(*source, std::span(&ring_fd, 1), KRING_ATTACH_KPROBE, {0, 0, {}});

    Measurement m;
    std::atomic<bool> producing{true};
    std::atomic<double> producer_cpu{0};
    double cpu_before = cpu_seconds(RUSAGE_SELF);
    auto begin = Clock::now();
    std::thread consumer([&] {
        pin_to_cpu(0);
        m.written = persister.run(ring, producing);
    });
    std::thread producer([&] {
        pin_to_cpu(1);
        double before = cpu_seconds(RUSAGE_THREAD);
        std::vector<std::byte> ctx(kring::context_size(KRING_ATTACH_KPROBE));
        auto deadline = begin + duration;
        uint64_t asked = 0;
        while (Clock::now() < deadline) {
            program.test_run(ctx, kTestRunRepeat);
            asked += uint64_t(BENCH_BATCH) * kTestRunRepeat;
        }
        m.asked = asked;
        producer_cpu = cpu_seconds(RUSAGE_THREAD) - before;
        producing.store(false, std::memory_order_release);
    });
    producer.join();
    consumer.join();
    m.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    m.consumer_cpu_s = cpu_seconds(RUSAGE_SELF) - cpu_before - producer_cpu;
    kring_stats st = ring.stats();
    m.committed = st.committed;
    m.dropped = st.dropped;
    struct stat file {};
    if (::stat(kFile, &file) == 0)
        m.file_bytes = uint64_t(file.st_size);
    ::unlink(kFile);
    return m;
}

// What the checksum costs here against a plain copy, in MB/s: under software
// emulation the crc32 instruction is emulated, and the table says so.
void print_env() {
    std::vector<std::byte> from(1 << 20, std::byte{7}), to(1 << 20);
    constexpr int kRounds = 20;
    auto t0 = Clock::now();
    uint32_t crc = 0;
    for (int i = 0; i < kRounds; i++)
        crc ^= kring::record_file::crc32c(from.data(), from.size());
    auto t1 = Clock::now();
    for (int i = 0; i < kRounds; i++) {
        std::memcpy(to.data(), from.data(), from.size());
        asm volatile("" : : "r"(to.data()) : "memory"); // keep every copy
    }
    auto t2 = Clock::now();
    auto mb_s = [](auto elapsed) {
        return kRounds / std::chrono::duration<double>(elapsed).count();
    };
    std::printf("KRING-RECORD-BENCH-ENV {\"crc32c_mb_s\": %.0f, \"memcpy_mb_s\": %.0f, "
                "\"crc_of_zeros\": %u}\n",
                mb_s(t1 - t0), mb_s(t2 - t1), crc);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: kring-record-bench BENCH.BPF.O [SECONDS [FILE]]\n"
                             "  KRING_BENCH_ROUNDS=N: each record size N times, the "
                             "persisters interleaved\n");
        return 2;
    }
    std::chrono::milliseconds duration(argc > 2 ? int(std::atof(argv[2]) * 1000) : 1000);
    if (argc > 3)
        kFile = argv[3];
    try {
        auto obj = kring::bpf::load_elf(argv[1]);
        print_env();
        using std::chrono::milliseconds;
        RecorderPersister unsynced("kringctl record --sync never",
                                   recorder_options(true, milliseconds(0), 0)),
            unchecked("kringctl record --sync never --no-checksum",
                      recorder_options(false, milliseconds(0), 0)),
            every_second("kringctl record", recorder_options(true, milliseconds(1000), 0)),
            every_10ms("kringctl record --sync 10ms", recorder_options(true, milliseconds(10), 0)),
            every_mib("kringctl record --sync 1MiB",
                      recorder_options(true, milliseconds(0), 1 << 20)),
            // The default policy without the checksum, whose emulated cost
            // would hide the sync's.
            unchecked_every_second("kringctl record --no-checksum",
                                   recorder_options(false, milliseconds(1000), 0));
        CopyLoopPersister copy_loop;
        const std::vector<Persister*> persisters = {
            &unsynced, &unchecked, &every_second, &every_10ms, &every_mib, &unchecked_every_second,
            &copy_loop};
        const char* rounds_env = std::getenv("KRING_BENCH_ROUNDS");
        const int rounds = std::max(1, rounds_env ? std::atoi(rounds_env) : 1);
        for (uint32_t size : {64u, 512u, 4096u}) {
            // Rounds interleave the persisters, so that each round's ratios
            // compare measurements taken moments apart.
            for (int round = 0; round < rounds; round++) {
                for (Persister* p : persisters) {
                    Measurement m = measure(*p, obj, size, duration);
                    auto* recorder = dynamic_cast<RecorderPersister*>(p);
                    std::printf("KRING-RECORD-BENCH {\"size\": %u, \"round\": %d, "
                                "\"contender\": \"%s\", "
                                "\"seconds\": %.3f, \"asked\": %llu, \"committed\": %llu, "
                                "\"dropped\": %llu, \"written\": %llu, \"file_bytes\": %llu, "
                                "\"consumer_cpu_s\": %.3f, \"syncs\": %llu, \"writes\": %llu, "
                                "\"direct_io\": %s, \"file\": \"%s\"}\n",
                                size, round, p->name(), m.seconds, (unsigned long long)m.asked,
                                (unsigned long long)m.committed, (unsigned long long)m.dropped,
                                (unsigned long long)m.written, (unsigned long long)m.file_bytes,
                                m.consumer_cpu_s,
                                (unsigned long long)(recorder ? recorder->syncs() : 0),
                                (unsigned long long)p->writes(),
                                recorder && recorder->direct_io() ? "true" : "false", kFile);
                    std::fflush(stdout);
                    if (m.written != m.committed)
                        throw kring::Error(EIO, std::string(p->name()) + " wrote " +
                                                    std::to_string(m.written) + " of " +
                                                    std::to_string(m.committed) + " records");
                }
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kring-record-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
