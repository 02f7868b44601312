// kringctl create, unpin and stats: named rings from the command line.
#include "commands.hpp"
#include "format.hpp"

#include <iostream>
#include <kring/kring.hpp>

namespace kringctl {

int create_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl create NAME: options");
    uint64_t size = 0;
    opts.add_options()("help,h", "this help")("size", po::value(&size)->required(),
                                              "data bytes (a power of two, at least a page)");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, 1))
        return 0;
    if (names.empty())
        throw po::error("no NAME");
    kring::Ring ring = kring::Ring::create(size);
    ring.pin(names[0]);
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

int stats_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl stats [NAME...]: options");
    bool json = false;
    opts.add_options()("help,h", "this help")("json", po::bool_switch(&json),
                                              "one JSON object per ring, per line");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, -1))
        return 0;
    if (names.empty())
        names = kring::Ring::pinned();
    for (const std::string& name : names) {
        kring::Ring ring = kring::Ring::open_pinned(name);
        kring_query q = ring.query();
        kring_stats s = ring.stats();
        if (json) {
            std::cout << "{\"ring\":" << json_string(name) << ",\"size\":" << q.ring_size
                      << ",\"producer_pos\":" << q.producer_pos
                      << ",\"consumer_pos\":" << q.consumer_pos
                      << ",\"unconsumed\":" << q.avail_data << ",\"committed\":" << s.committed
                      << ",\"discarded\":" << s.discarded << ",\"bytes\":" << s.bytes
                      << ",\"dropped\":" << s.dropped << ",\"wakeups\":" << s.wakeups << "}\n";
        } else {
            std::cout << name << ": size " << q.ring_size << ", unconsumed " << q.avail_data
                      << " bytes, committed " << s.committed << ", discarded " << s.discarded
                      << ", dropped " << s.dropped << ", wakeups " << s.wakeups << "\n";
        }
    }
    return 0;
}

} // namespace kringctl
