// Checks that every wait mode of kring::Consumer must pass, shared by the
// epoll and io_uring consumer tests.
#pragma once

#include <atomic>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/kring.hpp>
#include <kring/user_ring.hpp>
#include <string>
#include <thread>
#include <vector>

// poll() returns 0 on timeout, then sleeps until a record comes and
// returns it.
inline void check_poll_timeout_then_wake(kring::Consumer& consumer) {
    kring::UserRing ring(4096);
    std::vector<std::string> got;
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte> r) {
        got.emplace_back(reinterpret_cast<const char*>(r.data()), r.size());
        return 0;
    });
    CHECK(consumer.poll(std::chrono::milliseconds(10)) == 0);
    std::thread producer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        void* sample = ring.reserve(4);
        REQUIRE(sample != nullptr);
        std::memcpy(sample, "late", 4);
        ring.commit(sample);
    });
    int64_t n = 0;
    for (int i = 0; i < 100 && n == 0; i++)
        n = consumer.poll(std::chrono::milliseconds(100));
    producer.join();
    CHECK(n == 1);
    CHECK(got == std::vector<std::string>{"late"});
}

// Records no producer woke anyone for (KRING_NO_WAKEUP), and records a
// consume_n() limit left behind, are consumed by the next poll() at once: it
// never sleeps while a committed record waits.
inline void check_poll_takes_waiting_records(kring::Consumer& consumer) {
    kring::UserRing ring(4096);
    int got = 0;
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte>) {
        got++;
        return 0;
    });
    for (int i = 0; i < 5; i++) {
        void* sample = ring.reserve(8);
        REQUIRE(sample != nullptr);
        std::memset(sample, i, 8);
        ring.commit(sample, false, KRING_NO_WAKEUP);
    }
    CHECK(consumer.consume_n(2) == 2);
    auto start = std::chrono::steady_clock::now();
    CHECK(consumer.poll(std::chrono::seconds(20)) == 3);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CHECK(got == 5);
}

// wake() from another thread ends a poll() that waits with nothing to
// consume (it returns 0), and a wake() before poll() ends the next one; the
// wakeup is used up, so the poll after waits again. shut_down() from another
// thread ends waiting for good: poll() then consumes what is there without
// waiting, and is_shut_down() tells the loop to stop. The generous bounds
// only catch a poll() that missed its wakeup (it would wait a minute).
inline void check_wake_and_shut_down(kring::Consumer& consumer) {
    using namespace std::chrono;
    kring::UserRing ring(4096);
    int got = 0;
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte>) {
        got++;
        return 0;
    });
    const auto forever = minutes(1);
    auto timed_poll = [&](milliseconds timeout, milliseconds* took) {
        auto start = steady_clock::now();
        int64_t n = consumer.poll(timeout);
        *took = duration_cast<milliseconds>(steady_clock::now() - start);
        return n;
    };
    milliseconds took{};

    std::thread waker([&] {
        std::this_thread::sleep_for(milliseconds(20));
        consumer.wake();
    });
    CHECK(timed_poll(forever, &took) == 0);
    CHECK(took < seconds(30));
    waker.join();

    consumer.wake();
    CHECK(timed_poll(forever, &took) == 0);
    CHECK(took < seconds(30));
    // Used up: this one waits for its whole timeout.
    CHECK(timed_poll(milliseconds(50), &took) == 0);
    CHECK(took >= milliseconds(40));

    CHECK_FALSE(consumer.is_shut_down());
    std::thread stopper([&] {
        std::this_thread::sleep_for(milliseconds(20));
        consumer.shut_down();
    });
    int rounds = 0;
    while (!consumer.is_shut_down()) {
        timed_poll(forever, &took);
        CHECK(took < seconds(30));
        rounds++;
    }
    stopper.join();
    CHECK(rounds >= 1);
    for (int i = 0; i < 2; i++) {
        void* sample = ring.reserve(8);
        REQUIRE(sample != nullptr);
        std::memset(sample, i, 8);
        ring.commit(sample, false, KRING_NO_WAKEUP);
    }
    CHECK(timed_poll(forever, &took) == 2);
    CHECK(timed_poll(forever, &took) == 0);
    CHECK(took < seconds(30));
    CHECK(got == 2);
}

// Producer threads writing (producer, sequence number) records into one
// ring, and the check of what a consumer received: every record exactly
// once, and in each producer's order.
struct ProducerThreads {
    static constexpr int kProducers = 3;
    static constexpr uint32_t kEach = 5000;
    kring::UserRing ring{8192};
    std::atomic<int> running{kProducers};
    std::atomic<uint64_t> committed{0};
    std::vector<std::thread> threads;
    std::vector<uint32_t> next = std::vector<uint32_t>(kProducers, 0);
    uint64_t received = 0, bad = 0;

    void start() {
        for (int p = 0; p < kProducers; p++)
            threads.emplace_back([this, p] {
                for (uint32_t seq = 0; seq < kEach; seq++) {
                    void* s;
                    while (!(s = ring.reserve(8)))
                        std::this_thread::yield();
                    uint32_t rec[2] = {static_cast<uint32_t>(p), seq};
                    std::memcpy(s, rec, sizeof(rec));
                    ring.commit(s);
                    committed++;
                }
                running--;
            });
    }
    // One record as the consumer received it.
    void received_record(std::span<const std::byte> r) {
        uint32_t rec[2];
        if (r.size() != sizeof(rec)) {
            bad++;
            return;
        }
        std::memcpy(rec, r.data(), sizeof(rec));
        if (rec[0] >= kProducers || rec[1] != next[rec[0]])
            bad++;
        else
            next[rec[0]]++;
        received++;
    }
    bool done() const { return running.load() == 0 && received >= committed.load(); }
    void finish() {
        for (auto& t : threads)
            t.join();
        CHECK(bad == 0);
        CHECK(received == uint64_t{kProducers} * kEach);
    }
};

// Producer threads against the consumer's callback path.
inline void check_producer_threads(kring::Consumer& consumer) {
    ProducerThreads producers;
    producers.start();
    consumer.add(producers.ring.view(), producers.ring.wake_fd(),
                 [&](std::span<const std::byte> r) {
                     producers.received_record(r);
                     return 0;
                 });
    // The short timeout bounds any wait on a wakeup the protocol skipped
    // (none should be: the records must all arrive either way).
    while (!producers.done())
        consumer.poll(std::chrono::milliseconds(1));
    producers.finish();
}
