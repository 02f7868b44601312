// ring-daemon: what a daemon built on libkring looks like. It consumes named
// rings with the pull API (next_batch), prints each ring's state and
// counters every --stats-every milliseconds, and on SIGTERM or SIGINT shuts
// its consumer down from a signal thread, drains what is left and prints
// its totals. Exits 0 after a clean shutdown.
//
//   ring-daemon [--stats-every MS] NAME...   (rings pinned under NAME)
#include "kring/kring.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Watched {
    std::string name;
    kring::Ring ring;
    uint64_t records = 0;
    uint64_t bytes = 0;
};

void take(std::vector<Watched>& rings, const kring::RecordBatch& batch) {
    Watched& w = rings[batch.ring()];
    for (std::span<const std::byte> record : batch) {
        w.records++;
        w.bytes += record.size();
    }
}

void print_stats(const std::vector<Watched>& rings, const kring::Consumer& consumer) {
    for (size_t i = 0; i < rings.size(); i++) {
        kring::RingState state = consumer.ring_state(i);
        kring_stats stats = rings[i].ring.stats();
        printf("stats %s: consumer %llu producer %llu available %llu of %llu; committed %llu "
               "dropped %llu; taken %llu records\n",
               rings[i].name.c_str(), static_cast<unsigned long long>(state.consumer_pos),
               static_cast<unsigned long long>(state.producer_pos),
               static_cast<unsigned long long>(state.available_bytes),
               static_cast<unsigned long long>(state.size),
               static_cast<unsigned long long>(stats.committed),
               static_cast<unsigned long long>(stats.dropped),
               static_cast<unsigned long long>(rings[i].records));
    }
    fflush(stdout);
}

int usage() {
    fprintf(stderr, "usage: ring-daemon [--stats-every MS] NAME...\n"
                    "  consumes the rings pinned under each NAME until SIGTERM or SIGINT\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) try {
    std::chrono::milliseconds stats_every(1000);
    std::vector<Watched> rings;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stats-every") && i + 1 < argc) {
            char* end = nullptr;
            long ms = strtol(argv[++i], &end, 10);
            if (*end || ms <= 0)
                return usage();
            stats_every = std::chrono::milliseconds(ms);
        } else if (argv[i][0] == '-') {
            return usage();
        } else {
            rings.push_back(Watched{argv[i], kring::Ring::open_pinned(argv[i])});
        }
    }
    if (rings.empty())
        return usage();

    kring::Consumer consumer;
    for (const Watched& w : rings)
        consumer.add(w.ring); // no callback: read with the pull API

    // Signals go to one thread, which shuts the consumer down: the only
    // calls another thread may make into it.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::thread signals([&] {
        int sig = 0;
        sigwait(&stop, &sig);
        consumer.shut_down();
    });
    printf("ring-daemon: consuming %zu rings\n", rings.size());
    fflush(stdout);

    auto next_stats = std::chrono::steady_clock::now() + stats_every;
    while (!consumer.is_shut_down()) {
        if (std::optional<kring::RecordBatch> batch = consumer.next_batch(256)) {
            take(rings, *batch);
        } else {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                next_stats - std::chrono::steady_clock::now());
            consumer.wait(std::max(left, std::chrono::milliseconds(0)));
        }
        if (std::chrono::steady_clock::now() >= next_stats) {
            print_stats(rings, consumer);
            next_stats += stats_every;
        }
    }
    signals.join();
    // Shut down: what was committed before now is still taken.
    while (std::optional<kring::RecordBatch> batch = consumer.next_batch(256))
        take(rings, *batch);
    print_stats(rings, consumer);
    for (const Watched& w : rings)
        printf("total %s: %llu records, %llu bytes\n", w.name.c_str(),
               static_cast<unsigned long long>(w.records),
               static_cast<unsigned long long>(w.bytes));
    return 0;
} catch (const std::exception& e) {
    fprintf(stderr, "ring-daemon: %s\n", e.what());
    return 1;
}
