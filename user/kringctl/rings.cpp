// kringctl create, unpin and stats: named rings from the command line.
#include "commands.hpp"
#include "format.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <kring/kring.hpp>
#include <thread>

namespace kringctl {

int create_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl create NAME: options");
    uint64_t size = 0;
    bool json = false;
    opts.add_options()("help,h", "this help")("size", po::value(&size)->required(),
                                              "data bytes (a power of two, at least a page)")(
        "json", po::bool_switch(&json), "the ring created, as a JSON object on stdout");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, 1))
        return 0;
    if (names.empty())
        throw po::error("no NAME");
    kring::Ring ring = kring::Ring::create(size);
    ring.pin(names[0]);
    if (json)
        std::cout << "{\"ring\":" << json_string(names[0]) << ",\"size\":" << size
                  << ",\"cookie\":" << ring.query().cookie << "}\n";
    else
        std::cerr << "kringctl: created ring " << names[0] << " of " << size
                  << " bytes; kringctl unpin " << names[0] << " frees it\n";
    return 0;
}

int unpin_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl unpin NAME...: options");
    opts.add_options()("help,h", "this help");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, -1))
        return 0;
    if (names.empty())
        throw po::error("no NAME");
    for (const std::string& name : names)
        kring::Ring::unpin(name);
    return 0;
}

namespace {

struct Sample {
    kring_query query;
    kring_stats stats;
};

Sample sample(const kring::Ring& ring) {
    return Sample{ring.query(), ring.stats()};
}

void print_totals(const std::string& name, const Sample& now, bool json) {
    const kring_query& q = now.query;
    const kring_stats& s = now.stats;
    if (json) {
        std::cout << "{\"ring\":" << json_string(name) << ",\"size\":" << q.ring_size
                  << ",\"producer_pos\":" << q.producer_pos
                  << ",\"consumer_pos\":" << q.consumer_pos << ",\"unconsumed\":" << q.avail_data
                  << ",\"committed\":" << s.committed << ",\"discarded\":" << s.discarded
                  << ",\"bytes\":" << s.bytes << ",\"dropped\":" << s.dropped
                  << ",\"wakeups\":" << s.wakeups << "}\n";
    } else {
        std::cout << name << ": size " << q.ring_size << ", unconsumed " << q.avail_data
                  << " bytes, committed " << s.committed << ", discarded " << s.discarded
                  << ", dropped " << s.dropped << ", wakeups " << s.wakeups << "\n";
    }
}

// The counters' growth over `seconds`, per second.
void print_rates(const std::string& name, const Sample& before, const Sample& now, double seconds,
                 bool json) {
    auto rate = [&](__u64 kring_stats::*counter) {
        return static_cast<double>(now.stats.*counter - before.stats.*counter) / seconds;
    };
    char line[512];
    if (json)
        snprintf(line, sizeof(line),
                 ",\"seconds\":%.3f,\"committed_per_s\":%.1f,\"dropped_per_s\":%.1f,"
                 "\"wakeups_per_s\":%.1f,\"bytes_per_s\":%.1f,\"unconsumed\":%llu}\n",
                 seconds, rate(&kring_stats::committed), rate(&kring_stats::dropped),
                 rate(&kring_stats::wakeups), rate(&kring_stats::bytes),
                 static_cast<unsigned long long>(now.query.avail_data));
    else
        snprintf(line, sizeof(line),
                 ": committed %.1f/s, dropped %.1f/s, wakeups %.1f/s, bytes %.1f/s, "
                 "unconsumed %llu bytes\n",
                 rate(&kring_stats::committed), rate(&kring_stats::dropped),
                 rate(&kring_stats::wakeups), rate(&kring_stats::bytes),
                 static_cast<unsigned long long>(now.query.avail_data));
    std::cout << (json ? "{\"ring\":" + json_string(name) : name) << line;
}

} // namespace

int stats_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl stats [NAME...]: options");
    bool json = false;
    double watch = 0;
    uint64_t count = 0;
    opts.add_options()("help,h", "this help")("json", po::bool_switch(&json),
                                              "one JSON object per ring, per line")(
        "watch", po::value(&watch),
        "SECONDS: every SECONDS, each ring's counters per second over the last interval, "
        "until interrupted (or --count)")("count", po::value(&count),
                                          "with --watch: stop after this many intervals");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, -1))
        return 0;
    if (watch < 0 || (count && !watch))
        throw po::error("--watch takes a positive number of seconds; --count needs --watch");
    bool every_ring = names.empty();
    if (every_ring)
        names = kring::Ring::pinned();
    std::vector<kring::Ring> rings;
    std::vector<std::string> ring_names;
    for (const std::string& name : names) {
        try {
            rings.push_back(kring::Ring::open_pinned(name));
            ring_names.push_back(name);
        } catch (const kring::Error& e) {
            // Of all the names, those of programs and links (and any
            // unpinned since the list) are not rings to show.
            if (!every_ring || (e.errno_value() != EMEDIUMTYPE && e.errno_value() != ENOENT))
                throw;
        }
    }
    names = ring_names;
    std::vector<Sample> last;
    for (const kring::Ring& ring : rings)
        last.push_back(sample(ring));
    if (!watch) {
        for (size_t i = 0; i < rings.size(); i++)
            print_totals(names[i], last[i], json);
        return 0;
    }
    auto interval = std::chrono::duration<double>(watch);
    auto then = std::chrono::steady_clock::now();
    for (uint64_t n = 0; !count || n < count; n++) {
        std::this_thread::sleep_until(then + interval);
        auto now = std::chrono::steady_clock::now();
        double seconds = std::chrono::duration<double>(now - then).count();
        for (size_t i = 0; i < rings.size(); i++) {
            Sample current = sample(rings[i]);
            print_rates(names[i], last[i], current, seconds, json);
            last[i] = current;
        }
        std::cout.flush();
        then = now;
    }
    return 0;
}

} // namespace kringctl
