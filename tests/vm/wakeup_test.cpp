// Lost wakeups, against the real module: every wait backend of libkring
// under a producer that commits one record at a time with random pauses, a
// write whose copy faults (discarded, then retried), and epoll registered
// before the file has a ring.
#include "kring/kring.hpp"
#include "vm_util.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <doctest/doctest.h>
#include <functional>
#include <liburing.h>
#include <optional>
#include <poll.h>
#include <random>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <thread>
#include <vector>

using namespace vmtest;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// A producer thread writing `count` records through write(2), one at a
// time, pausing at random between them (none, a yield, or a sleep of up to
// 100 us) so that the consumer keeps catching up and going to sleep.
class PacedProducer {
public:
    PacedProducer(int fd, uint32_t count)
        : thread_([this, fd, count] {
              std::mt19937 rng(count);
              for (uint32_t seq = 0; seq < count; seq++) {
                  uint32_t rec[4] = {seq, ~seq, seq * 2654435761u, 0};
                  size_t len = 4 + rng() % 13;
                  while (write_record(fd, rec, len) == EAGAIN)
                      std::this_thread::sleep_for(50us);
                  written_.fetch_add(1, std::memory_order_release);
                  uint32_t pause = rng() % 10;
                  if (pause >= 8)
                      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 100));
                  else if (pause >= 5)
                      std::this_thread::yield();
              }
          }) {}
    ~PacedProducer() { thread_.join(); }
    uint64_t written() const { return written_.load(std::memory_order_acquire); }

private:
    std::atomic<uint64_t> written_{0};
    std::thread thread_;
};

constexpr uint32_t kPacedRecords = 100000;
constexpr auto kStallTimeout = 2s;

// Adds `ring` to `consumer` and runs `wait_and_consume` (a wait of at most
// its argument, then consume) until every record of a paced producer
// arrived, intact and in order. A wait that timed out while the producer had
// committed records the consumer had not seen is a lost wakeup: the producer
// never pauses for that long, so its first commit after the consumer went
// to sleep must have woken it.
void check_paced(const kring::Ring& ring, kring::Consumer& consumer,
                 const std::function<int64_t(std::chrono::milliseconds)>& wait_and_consume) {
    uint64_t received = 0, bad = 0, lost = 0;
    consumer.add(ring, [&](std::span<const std::byte> r) {
        uint32_t rec[3];
        if (r.size() < 4 || r.size() > 16) {
            bad++;
            return 0;
        }
        std::memcpy(rec, r.data(), std::min(r.size(), sizeof(rec)));
        auto seq = static_cast<uint32_t>(received);
        if (rec[0] != seq || (r.size() >= 8 && rec[1] != ~seq) ||
            (r.size() >= 12 && rec[2] != seq * 2654435761u))
            bad++;
        received++;
        return 0;
    });
    auto start = Clock::now();
    {
        PacedProducer producer(ring.fd(), kPacedRecords);
        while (received < kPacedRecords && lost < 3) {
            auto waited = Clock::now();
            int64_t n = wait_and_consume(kStallTimeout);
            REQUIRE(n >= 0);
            if (n == 0 && Clock::now() - waited >= kStallTimeout && producer.written() > received)
                lost++;
        }
        // A consumer that lost a wakeup stops early; the producer may
        // then be waiting for room.
        while (received < kPacedRecords)
            if (consumer.consume() == 0)
                std::this_thread::sleep_for(1ms);
    }
    kring_stats s = ring.stats();
    CHECK(lost == 0);
    CHECK(bad == 0);
    CHECK(received == kPacedRecords);
    CHECK(s.committed == kPacedRecords);
    MESSAGE(kPacedRecords << " records in "
                          << std::chrono::duration<double>(Clock::now() - start).count() << " s, "
                          << s.wakeups << " wakeups, " << s.dropped << " drops");
}

} // namespace

TEST_CASE("every wait backend, a producer pausing at random: no lost wakeup in 100k records") {
    kring::Ring ring = kring::Ring::create(64 * 1024);
    SUBCASE("epoll") {
        kring::Consumer consumer(kring::WaitMode::epoll);
        check_paced(ring, consumer, [&](auto timeout) { return consumer.poll(timeout); });
    }
    SUBCASE("io_uring, multishot poll") {
        kring::Consumer consumer(kring::UringOptions{nullptr, true, 64});
        check_paced(ring, consumer, [&](auto timeout) { return consumer.poll(timeout); });
    }
    SUBCASE("io_uring, one-shot polls") {
        kring::Consumer consumer(kring::UringOptions{nullptr, false, 64});
        check_paced(ring, consumer, [&](auto timeout) { return consumer.poll(timeout); });
    }
    SUBCASE("io_uring shared with the caller, who waits") {
        io_uring uring{};
        REQUIRE(io_uring_queue_init(64, &uring, 0) == 0);
        {
            kring::Consumer consumer(kring::UringOptions{&uring, true, 64});
            // The caller's loop: consume, then sleep on its own io_uring
            // until a completion, handing each to the consumer.
            check_paced(ring, consumer, [&](std::chrono::milliseconds timeout) {
                int64_t n = consumer.consume();
                if (n != 0)
                    return n;
                __kernel_timespec ts{timeout.count() / 1000, (timeout.count() % 1000) * 1000000};
                io_uring_cqe* cqe = nullptr;
                if (io_uring_wait_cqe_timeout(&uring, &cqe, &ts) != 0)
                    return int64_t{0};
                unsigned head, seen = 0;
                io_uring_for_each_cqe(&uring, head, cqe) {
                    seen++;
                    CHECK(consumer.handle_completion(*cqe));
                }
                io_uring_cq_advance(&uring, seen);
                return consumer.consume();
            });
        }
        io_uring_queue_exit(&uring);
    }
    SUBCASE("busy polling") {
        kring::Consumer consumer(kring::WaitMode::busy_poll);
        check_paced(ring, consumer, [&](auto timeout) { return consumer.poll(timeout); });
    }
}

TEST_CASE("an edge-triggered consumer of the raw mapping that fences and rechecks before "
          "sleeping loses no wakeup (docs/libkring.md)") {
    constexpr uint64_t kSize = 64 * 1024;
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    REQUIRE(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev) == 0);
    unsigned long pos = 0;
    uint64_t received = 0, bad = 0, lost = 0;
    // The committed record at pos, if any: its length word.
    auto committed_at = [&](unsigned long prod) -> std::optional<uint32_t> {
        if (pos == prod)
            return std::nullopt;
        uint32_t len = m.len_at(pos);
        if (len & KRING_BUSY_BIT)
            return std::nullopt;
        return len;
    };
    {
        PacedProducer producer(fd.get(), kPacedRecords);
        while (received < kPacedRecords && lost < 3) {
            // Drain, publishing the position after each record.
            while (std::optional<uint32_t> len = committed_at(m.producer_pos())) {
                uint32_t first;
                std::memcpy(&first, m.payload_at(pos), sizeof(first));
                bad += first != received;
                received++;
                pos += record_span(*len & ~KRING_DISCARD_BIT);
                m.release(pos);
            }
            // Store, full fence, check again: only then sleep.
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (committed_at(m.producer_pos()))
                continue;
            auto waited = Clock::now();
            epoll_event got{};
            int n = ::epoll_wait(ep.get(), &got, 1, static_cast<int>(kStallTimeout / 1ms));
            REQUIRE(n >= 0);
            if (n == 0 && Clock::now() - waited >= kStallTimeout && producer.written() > received)
                lost++;
        }
        while (received < kPacedRecords)
            while (std::optional<uint32_t> len = committed_at(m.producer_pos())) {
                received++;
                pos += record_span(*len & ~KRING_DISCARD_BIT);
                m.release(pos);
            }
    }
    CHECK(lost == 0);
    CHECK(bad == 0);
    CHECK(received == kPacedRecords);
}

TEST_CASE("a write whose copy faults is discarded with a commit's wake rule: the consumer wakes") {
    // The writer's buffer is zapped (MADV_DONTNEED) over and over by another
    // thread, so the copy from it, made with page faults disabled while the
    // record is reserved, often finds a page gone after the kernel faulted
    // it in: the record is discarded and the write tried again. The zapper
    // and the writer run on different CPUs: on one CPU the zap never lands
    // between the fault-in and the copy (a CI run saw no discard in 4,000
    // writes), on two it does within a few dozen. A consumer
    // asleep at the discarded record's position must be woken by the
    // discard, since no later commit compares the consumer position with
    // its own.
    constexpr size_t kRecord = 60 * 1024;
    constexpr uint64_t kWantDiscards = 64;
    kring::Ring ring = kring::Ring::create(1 << 20);
    void* buf =
        ::mmap(nullptr, kRecord, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(buf != MAP_FAILED);
    std::atomic<bool> zapping{true};
    auto on_cpu = [](int cpu) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return ::sched_setaffinity(0, sizeof(one), &one) == 0;
    };
    REQUIRE(::sysconf(_SC_NPROCESSORS_ONLN) >= 2);
    cpu_set_t was;
    REQUIRE(::sched_getaffinity(0, sizeof(was), &was) == 0);
    REQUIRE(on_cpu(0)); // the writer: this thread (the later tests get `was` back)
    std::thread zapper([&] {
        on_cpu(1);
        while (zapping.load(std::memory_order_relaxed))
            ::madvise(buf, kRecord, MADV_DONTNEED);
    });
    std::atomic<bool> consuming{true};
    std::atomic<uint64_t> received{0};
    kring::Consumer consumer(kring::WaitMode::epoll);
    consumer.add(ring, [&](std::span<const std::byte>) {
        received.fetch_add(1, std::memory_order_relaxed);
        return 0;
    });
    // Sleeps in epoll with no timeout: only a wakeup moves it.
    std::thread consumer_thread([&] {
        while (consuming.load())
            consumer.poll(std::chrono::milliseconds(-1));
    });
    auto caught_up = [&] {
        auto deadline = Clock::now() + 3s;
        for (;;) {
            kring_query q = ring.query();
            if (q.consumer_pos == q.producer_pos)
                return true;
            if (Clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(1ms);
        }
    };
    uint64_t writes = 0, failed = 0, lost = 0;
    auto start = Clock::now();
    while (ring.stats().discarded < kWantDiscards && writes < 4000 && lost < 3 &&
           Clock::now() - start < 120s) {
        // Each write: the consumer is asleep, caught up, before it.
        ssize_t n = ::write(ring.fd(), buf, kRecord);
        writes++;
        if (n < 0) {
            REQUIRE(errno == EFAULT); // three copies in a row faulted
            failed++;
        }
        if (!caught_up()) {
            lost++;
            uint8_t rescue = 0;
            CHECK(output(ring.fd(), &rescue, 1, KRING_FORCE_WAKEUP) == 0);
            CHECK(caught_up());
        }
    }
    zapping = false;
    zapper.join();
    consuming = false;
    uint8_t last = 0;
    CHECK(output(ring.fd(), &last, 1, KRING_FORCE_WAKEUP) == 0);
    consumer_thread.join();
    ::sched_setaffinity(0, sizeof(was), &was);
    ::munmap(buf, kRecord);
    kring_stats s = ring.stats();
    MESSAGE(writes << " writes, " << failed << " failed with EFAULT, " << s.discarded
                   << " discarded copies, " << s.wakeups << " wakeups");
    CHECK(lost == 0);
    CHECK(s.discarded >= 1); // the fault path ran
    CHECK(s.committed == received.load());
}

TEST_CASE("epoll registered before the file has a ring is woken by its data") {
    // No events while there is no ring: the fd waits on the file's queue,
    // which the ring joins when it is installed.
    Fd fd = open_device();
    Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event ev{};
    ev.events = EPOLLIN;
    REQUIRE(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev) == 0);
    epoll_event got{};
    CHECK(::epoll_wait(ep.get(), &got, 1, 0) == 0);

    SUBCASE("created: a later write wakes the waiter") {
        REQUIRE(create(fd.get(), 16 * 1024) == 0);
        CHECK(::epoll_wait(ep.get(), &got, 1, 0) == 0); // an empty ring
        std::thread writer([&] {
            std::this_thread::sleep_for(50ms);
            uint64_t v = 7;
            CHECK(write_record(fd.get(), &v, sizeof(v)) == 0);
        });
        auto start = Clock::now();
        CHECK(::epoll_wait(ep.get(), &got, 1, 10000) == 1);
        writer.join();
        CHECK(uint32_t{got.events} == EPOLLIN);
        CHECK(Clock::now() - start < 5s);
    }
    SUBCASE("opened by name: records already there wake the waiter") {
        kring::Ring named = kring::Ring::create(16 * 1024);
        uint64_t v = 9;
        REQUIRE(named.write(std::as_bytes(std::span(&v, 1))));
        named.pin("wakeup-test");
        std::thread opener([&] {
            std::this_thread::sleep_for(50ms);
            kring_name req{};
            std::memcpy(req.name, "wakeup-test", 11);
            CHECK(::ioctl(fd.get(), KRING_IOC_OPEN_PINNED, &req) == 0);
        });
        CHECK(::epoll_wait(ep.get(), &got, 1, 10000) == 1);
        opener.join();
        CHECK(uint32_t{got.events} == EPOLLIN);
        kring::Ring::unpin("wakeup-test");
    }
    SUBCASE("poll(2) on a file without a ring waits, and reports nothing") {
        pollfd pfd{fd.get(), POLLIN, 0};
        CHECK(::poll(&pfd, 1, 20) == 0);
    }
}
