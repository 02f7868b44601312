// libkring against the real module: several producer processes, epoll
// wakeups and their flags, and a kernel BPF_MAP_TYPE_RINGBUF map.
#include "kring/kring.hpp"
#include "linux_bpf.hpp"
#include "vm_util.hpp"

#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <linux/bpf.h>
#include <memory>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes_of(const void* p, size_t n) {
    return {static_cast<const std::byte*>(p), n};
}

struct SeqRecord {
    uint32_t producer;
    uint32_t seq;
    uint32_t check; // producer * 7919 + seq, to see torn records
};

} // namespace

TEST_CASE("producer processes: every record exactly once, intact, in each producer's order") {
    constexpr int kProducers = 3;
    constexpr uint32_t kEach = 20000;
    kring::Ring ring = kring::Ring::create(64 * 1024);
    int pipes[kProducers][2];
    std::vector<pid_t> pids;
    for (int p = 0; p < kProducers; p++) {
        REQUIRE(::pipe(pipes[p]) == 0);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            uint64_t failed = 0;
            for (uint32_t seq = 0; seq < kEach; seq++) {
                SeqRecord rec{static_cast<uint32_t>(p), seq, p * 7919u + seq};
                // A record of 12..(12+31) bytes: the tail repeats the seq.
                uint8_t buf[sizeof(rec) + 31];
                size_t len = sizeof(rec) + seq % 32;
                std::memcpy(buf, &rec, sizeof(rec));
                std::memset(buf + sizeof(rec), static_cast<uint8_t>(seq), len - sizeof(rec));
                if (::write(ring.fd(), buf, len) < 0) {
                    if (errno != EAGAIN)
                        _exit(2);
                    failed++;
                    sched_yield();
                }
            }
            _exit(::write(pipes[p][1], &failed, sizeof(failed)) == sizeof(failed) ? 0 : 3);
        }
        ::close(pipes[p][1]);
        pids.push_back(pid);
    }

    std::vector<uint32_t> next(kProducers, 0);
    uint64_t received = 0, bad = 0;
    kring::Consumer consumer;
    consumer.add(ring, [&](std::span<const std::byte> r) {
        SeqRecord rec;
        if (r.size() < sizeof(rec)) {
            bad++;
            return 0;
        }
        std::memcpy(&rec, r.data(), sizeof(rec));
        bool ok = rec.producer < kProducers && rec.check == rec.producer * 7919u + rec.seq &&
                  r.size() == sizeof(rec) + rec.seq % 32 && rec.seq >= next[rec.producer];
        for (size_t i = sizeof(rec); ok && i < r.size(); i++)
            ok = static_cast<uint8_t>(r[i]) == static_cast<uint8_t>(rec.seq);
        if (ok)
            next[rec.producer] = rec.seq + 1;
        else
            bad++;
        received++;
        return 0;
    });

    int running = kProducers;
    while (running > 0) {
        consumer.poll(50ms);
        for (pid_t& pid : pids) {
            int status;
            if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) {
                CHECK(WIFEXITED(status));
                CHECK(WEXITSTATUS(status) == 0);
                pid = 0;
                running--;
            }
        }
    }
    while (consumer.consume() > 0) {
    }
    uint64_t failed_writes = 0;
    for (int p = 0; p < kProducers; p++) {
        uint64_t failed = 0;
        CHECK(::read(pipes[p][0], &failed, sizeof(failed)) == sizeof(failed));
        ::close(pipes[p][0]);
        failed_writes += failed;
    }
    kring_stats s = ring.stats();
    CHECK(bad == 0);
    CHECK(received + failed_writes == uint64_t{kProducers} * kEach);
    CHECK(s.committed == received);
    CHECK(s.dropped == failed_writes);
    CHECK(ring.query().avail_data == 0);
    MESSAGE("received " << received << ", dropped " << failed_writes << ", wakeups " << s.wakeups);
}

TEST_CASE("epoll wakeups: a write wakes a blocked consumer; NO_WAKEUP and self-pacing do not; "
          "FORCE_WAKEUP does; poll() does not sleep while records wait") {
    kring::Ring ring = kring::Ring::create(16 * 1024);
    kring::Consumer consumer;
    int records = 0;
    consumer.add(ring, [&](std::span<const std::byte>) {
        records++;
        return 0;
    });
    uint64_t payload = 42;
    auto later = [&](uint32_t flags) {
        return std::thread([&, flags] {
            std::this_thread::sleep_for(50ms);
            CHECK(ring.output(bytes_of(&payload, sizeof(payload)), flags));
        });
    };

    // A consumer blocked in epoll_wait is woken by a plain commit.
    auto start = std::chrono::steady_clock::now();
    std::thread t1 = later(0);
    CHECK(consumer.poll(10s) == 1);
    t1.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(consumer.poll(10ms) == 0); // nothing left: the ring polls empty again

    // NO_WAKEUP: the record is there, but the sleeping consumer is not woken.
    std::thread t2 = later(KRING_NO_WAKEUP);
    CHECK(consumer.poll(400ms) == 0);
    t2.join();
    CHECK(ring.query().avail_data > 0);

    // Self-pacing: the consumer is behind (the NO_WAKEUP record is still
    // unconsumed), so a plain commit does not wake a thread asleep on its
    // epoll fd either...
    epoll_event event{};
    std::thread t3 = later(0);
    CHECK(::epoll_wait(consumer.epoll_fd(), &event, 1, 400) == 0);
    t3.join();

    // ...but FORCE_WAKEUP always does.
    std::thread t4 = later(KRING_FORCE_WAKEUP);
    CHECK(::epoll_wait(consumer.epoll_fd(), &event, 1, 10000) == 1);
    t4.join();

    // poll() never sleeps while committed records wait: it catches up on
    // all three at once.
    start = std::chrono::steady_clock::now();
    CHECK(consumer.poll(10s) == 3);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(records == 4);
    CHECK(ring.stats().wakeups == 2);
}

TEST_CASE("the same consumer reads a kernel BPF_MAP_TYPE_RINGBUF map") {
    bpf_attr attr{};
    attr.map_type = BPF_MAP_TYPE_RINGBUF;
    attr.max_entries = 64 * 1024;
    int map_fd = static_cast<int>(linuxbpf::bpf(BPF_MAP_CREATE, &attr));
    REQUIRE_MESSAGE(map_fd >= 0, "BPF_MAP_CREATE: " << strerror(errno));

    // A socket filter that outputs the 8-byte value 0x11223344.
    std::string log;
    int prog_fd = linuxbpf::load_ringbuf_output_filter(map_fd, 0x11223344, &log);
    REQUIRE_MESSAGE(prog_fd >= 0, "BPF_PROG_LOAD: " << strerror(-prog_fd) << "\n" << log);

    kring::Ring ring = kring::Ring::adopt_bpf_map(map_fd);
    CHECK(ring.data_size() == 64 * 1024);
    kring::Consumer consumer;
    std::vector<uint64_t> values;
    consumer.add(ring, [&](std::span<const std::byte> r) {
        uint64_t v = 0;
        std::memcpy(&v, r.data(), std::min(r.size(), sizeof(v)));
        values.push_back(r.size() == 8 ? v : 0);
        return 0;
    });

    constexpr uint32_t kRuns = 100;
    uint32_t retval = 0;
    int err = linuxbpf::test_run(prog_fd, kRuns, &retval);
    REQUIRE_MESSAGE(err == 0, "BPF_PROG_TEST_RUN: " << strerror(err));

    int64_t total = 0;
    for (int i = 0; i < 100 && total < kRuns; i++) {
        int64_t n = consumer.poll(100ms);
        REQUIRE(n >= 0);
        total += n;
    }
    CHECK(total == kRuns);
    CHECK(values == std::vector<uint64_t>(kRuns, 0x11223344));
    ::close(prog_fd);
}

TEST_CASE("a ring fd adopted from another holder maps the same ring") {
    kring::Ring ring = kring::Ring::create(8192);
    uint32_t value = 7;
    REQUIRE(ring.write(bytes_of(&value, sizeof(value))));
    kring::Ring same = kring::Ring::adopt(::dup(ring.fd()));
    CHECK(same.data_size() == 8192);
    kring::Consumer consumer;
    int seen = 0;
    consumer.add(same, [&](std::span<const std::byte> r) {
        seen += r.size() == sizeof(value) && std::memcmp(r.data(), &value, sizeof(value)) == 0;
        return 0;
    });
    CHECK(consumer.consume() == 1);
    CHECK(seen == 1);
    CHECK(ring.query().consumer_pos == same.query().consumer_pos);
}

TEST_CASE("library errors name the call and the fix") {
    CHECK_THROWS_WITH_AS(kring::Ring::create(12345), doctest::Contains("must be a power of two"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::Ring::create(1ULL << 40), doctest::Contains("at most"),
                         kring::Error);
    kring::Ring ring = kring::Ring::create(4096);
    std::vector<std::byte> big(4096);
    CHECK_THROWS_WITH_AS((void)ring.write(big), doctest::Contains("larger than the ring can hold"),
                         kring::Error);
    vmtest::Fd no_ring = vmtest::open_device();
    CHECK_THROWS_WITH_AS(kring::Ring::adopt(::dup(no_ring.get())),
                         doctest::Contains("has no ring yet"), kring::Error);
    // The advice names a command that exists.
    CHECK_THROWS_WITH_AS(kring::Ring::open_pinned("no-such-ring"),
                         doctest::Contains("kringctl stats lists the named rings"), kring::Error);
}

TEST_CASE("the daemon example: pull API, per-ring state, a clean shutdown on SIGTERM") {
    // examples/ring-daemon.cpp on two pinned rings, fed while it runs.
    const std::vector<std::string> names = {"daemon-a", "daemon-b"};
    const uint32_t counts[] = {500, 300};
    std::vector<kring::Ring> rings;
    for (const std::string& name : names) {
        rings.push_back(kring::Ring::create(64 * 1024));
        rings.back().pin(name);
    }
    int out[2];
    REQUIRE(::pipe(out) == 0);
    pid_t daemon = ::fork();
    REQUIRE(daemon >= 0);
    if (daemon == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::execl("/bin/ring-daemon", "ring-daemon", "--stats-every", "100", names[0].c_str(),
                names[1].c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    ::close(out[1]);
    for (size_t r = 0; r < rings.size(); r++)
        for (uint32_t i = 0; i < counts[r]; i++)
            while (!rings[r].write(bytes_of(&i, sizeof(i))))
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Taken: every record's space given back (a minute is a hang).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    auto all_taken = [&] {
        for (const kring::Ring& ring : rings)
            if (__atomic_load_n(ring.view().consumer_pos, __ATOMIC_ACQUIRE) !=
                __atomic_load_n(ring.view().producer_pos, __ATOMIC_ACQUIRE))
                return false;
        return true;
    };
    while (!all_taken() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(all_taken());
    std::this_thread::sleep_for(std::chrono::milliseconds(250)); // a stats line or two
    REQUIRE(::kill(daemon, SIGTERM) == 0);
    std::string output = vmtest::read_to_end(out[0]);
    int status = 0;
    REQUIRE(::waitpid(daemon, &status, 0) == daemon);
    INFO("ring-daemon's output:\n", output);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(output.find("ring-daemon: consuming 2 rings") != std::string::npos);
    CHECK(output.find("stats daemon-a: consumer ") != std::string::npos);
    CHECK(output.find("committed 500 dropped 0; taken 500 records") != std::string::npos);
    CHECK(output.find("total daemon-a: 500 records, 2000 bytes") != std::string::npos);
    CHECK(output.find("total daemon-b: 300 records, 1200 bytes") != std::string::npos);
    for (const std::string& name : names)
        kring::Ring::unpin(name);
}

TEST_CASE("a consumer keeps a ring given as shared_ptr, and says so when it outlived one "
          "given by reference") {
    uint32_t value = 7;
    int got = 0;
    auto count = [&](std::span<const std::byte>) {
        got++;
        return 0;
    };
    // Owned: the caller's pointer goes, the consumer keeps the ring.
    kring::Consumer owner;
    {
        auto ring = std::make_shared<const kring::Ring>(kring::Ring::create(4096));
        REQUIRE(ring->write(bytes_of(&value, sizeof(value))));
        owner.add(ring, count);
    }
    CHECK(owner.consume() == 1);
    CHECK(got == 1);

    // Referenced and moved: the mapping moves with the Ring, the consumer
    // goes on reading it.
    kring::Consumer referrer;
    kring::Ring first = kring::Ring::create(4096);
    referrer.add(first);
    kring::Ring moved = std::move(first);
    REQUIRE(moved.write(bytes_of(&value, sizeof(value))));
    CHECK(referrer.next_batch(8)->size() == 1);

    // Referenced and destroyed first: an error, not a read of unmapped memory.
    kring::Consumer orphan;
    {
        kring::Ring ring = kring::Ring::create(4096);
        orphan.add(ring, count);
    }
    const char* says = "kring::Ring was destroyed before its consumer";
    CHECK_THROWS_WITH_AS(orphan.consume(), doctest::Contains(says), kring::Error);
    CHECK_THROWS_WITH_AS(orphan.poll(std::chrono::milliseconds(0)), doctest::Contains(says),
                         kring::Error);
    CHECK_THROWS_WITH_AS(orphan.ring_state(0), doctest::Contains(says), kring::Error);
}
