// kring-demo: three producer processes write text records into one ring
// with write(2); the parent consumes them with libkring's epoll consumer and
// prints each as it arrives, then the ring's statistics. Exits 0 when every
// record arrived.
#include "kring/kring.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int kProducers = 3;
constexpr int kRecordsEach = 5;

[[noreturn]] void produce(const kring::Ring& ring, int producer) {
    for (int i = 0; i < kRecordsEach; i++) {
        usleep(static_cast<useconds_t>(20000 * (producer + 1)));
        std::string text = "producer " + std::to_string(producer) + " record " + std::to_string(i) +
                           " pid " + std::to_string(getpid());
        std::span<const std::byte> record(reinterpret_cast<const std::byte*>(text.data()),
                                          text.size());
        while (!ring.write(record))
            usleep(1000); // full: the consumer will make room
    }
    _exit(0);
}

} // namespace

int main() try {
    kring::Ring ring = kring::Ring::create(64 * 1024);
    for (int p = 0; p < kProducers; p++) {
        pid_t pid = fork();
        if (pid < 0)
            throw kring::Error(errno, "fork of a producer");
        if (pid == 0)
            produce(ring, p);
    }

    int received = 0;
    kring::Consumer consumer;
    consumer.add(ring, [&](std::span<const std::byte> record) {
        std::printf("kring-demo: [%2d] %.*s\n", ++received, static_cast<int>(record.size()),
                    reinterpret_cast<const char*>(record.data()));
        return 0;
    });
    int running = kProducers;
    while (running > 0 || ring.query().avail_data > 0) {
        consumer.poll(std::chrono::milliseconds(100));
        while (running > 0 && waitpid(-1, nullptr, WNOHANG) > 0)
            running--;
    }
    kring_stats s = ring.stats();
    std::printf("kring-demo: %d records; stats: committed %llu, dropped %llu, bytes %llu, "
                "wakeups %llu\n",
                received, static_cast<unsigned long long>(s.committed),
                static_cast<unsigned long long>(s.dropped),
                static_cast<unsigned long long>(s.bytes),
                static_cast<unsigned long long>(s.wakeups));
    return received == kProducers * kRecordsEach ? 0 : 1;
} catch (const kring::Error& e) {
    std::fprintf(stderr, "kring-demo: %s\n", e.what());
    return 1;
}
