// Producer threads against a kring::Consumer (any wait mode): every record
// must arrive exactly once and in each producer's order. Shared by the epoll
// and io_uring consumer tests.
#pragma once

#include <atomic>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/kring.hpp>
#include <kring/user_ring.hpp>
#include <thread>
#include <vector>

inline void check_producer_threads(kring::Consumer& consumer) {
    using kring::UserRing;
    constexpr int kProducers = 3;
    constexpr uint32_t kEach = 5000;
    UserRing ring(8192);
    std::atomic<int> running{kProducers};
    std::atomic<uint64_t> committed{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; p++)
        producers.emplace_back([&, p] {
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
    std::vector<uint32_t> next(kProducers, 0);
    uint64_t received = 0, bad = 0;
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte> r) {
        uint32_t rec[2];
        if (r.size() != sizeof(rec)) {
            bad++;
            return 0;
        }
        std::memcpy(rec, r.data(), sizeof(rec));
        if (rec[0] >= kProducers || rec[1] != next[rec[0]])
            bad++;
        else
            next[rec[0]]++;
        received++;
        return 0;
    });
    // The short timeout bounds any wait on a wakeup the protocol skipped
    // (none should be: the records must all arrive either way).
    while (running.load() > 0 || received < committed.load())
        consumer.poll(std::chrono::milliseconds(1));
    for (auto& t : producers)
        t.join();
    CHECK(bad == 0);
    CHECK(received == uint64_t{kProducers} * kEach);
}
