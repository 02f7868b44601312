// kringctl record and replay: named rings to a record file and back.
#include "commands.hpp"
#include "format.hpp"

#include <chrono>
#include <iostream>
#include <kring/record_file.hpp>
#include <map>

namespace kringctl {

int record_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl record NAME... --output FILE: options");
    std::string output;
    kring::Recorder::Options options;
    uint64_t count = 0;
    double duration = 0;
    bool exit_when_empty = false, oneshot_poll = false, no_checksum = false;
    std::vector<std::string> types;
    opts.add_options()("help,h",
                       "this help")("output,o", po::value(&output)->required(),
                                    "the record file: created, or appended to after what it holds")(
        "queue-depth", po::value(&options.queue_depth)->default_value(8),
        "writes in flight at most")("max-chunk", po::value(&options.max_chunk),
                                    "bytes per write (default: a quarter of the ring)")(
        "count,c", po::value(&count), "stop after this many records")(
        "duration,d", po::value(&duration),
        "stop after this many seconds")("exit-when-empty", po::bool_switch(&exit_when_empty),
                                        "stop once every ring is written out and empty")(
        "oneshot-poll", po::bool_switch(&oneshot_poll),
        "re-armed one-shot polls instead of multishot ones")(
        "no-checksum", po::bool_switch(&no_checksum),
        "no CRC32C of the records: cheaper, but replay cannot tell corrupted records")(
        "type", po::value(&types),
        "NAME=TYPE: ring NAME's records are TYPE (a C type name such as exec_snoop_event), "
        "declared in the file so that replay decodes them; repeatable");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, -1))
        return 0;
    if (names.empty())
        throw po::error("no ring NAME (kringctl create makes one)");
    if (options.queue_depth == 0 || options.queue_depth > 4096)
        throw po::error("--queue-depth is 1 to 4096");
    if (options.max_chunk && options.max_chunk % 8)
        throw po::error("--max-chunk is a multiple of 8");
    std::map<std::string, std::string> type_of;
    for (const std::string& binding : types) {
        auto eq = binding.find('=');
        std::string name = binding.substr(0, eq), type = binding.substr(eq + 1);
        if (eq == std::string::npos || name.empty() || type.empty() ||
            type.size() > kring::record_file::kMaxTypeLength ||
            type.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789_") != std::string::npos)
            throw po::error("--type is NAME=TYPE with TYPE a C type name, not " + binding);
        if (std::find(names.begin(), names.end(), name) == names.end())
            throw po::error("--type " + binding + ": " + name + " is not a ring to record");
        type_of[name] = type;
    }
    options.multishot_poll = !oneshot_poll;
    options.checksum = !no_checksum;

    std::vector<kring::Ring> rings;
    for (const std::string& name : names)
        rings.push_back(kring::Ring::open_pinned(name));
    kring::Recorder recorder(output, options);
    for (size_t i = 0; i < rings.size(); i++)
        recorder.add(rings[i], names[i], type_of[names[i]]);
    std::cerr << recorder.notes();
    install_stop_handlers();
    auto start = std::chrono::steady_clock::now();
    auto empty = [&] {
        for (const kring::Ring& ring : rings) {
            const kring::RingView& v = ring.view();
            if (__atomic_load_n(v.producer_pos, __ATOMIC_ACQUIRE) !=
                __atomic_load_n(v.consumer_pos, __ATOMIC_RELAXED))
                return false;
        }
        return true;
    };
    while (!stop_requested && (!count || recorder.stats().records < count)) {
        if (duration > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
                duration)
            break;
        recorder.poll(std::chrono::milliseconds(100));
        if (exit_when_empty && empty())
            break;
    }
    // The recorder's destructor waits for the writes in flight; what is
    // still in the rings stays there for the next run.
    const auto& st = recorder.stats();
    std::cerr << "kringctl: recorded " << st.records << " records (" << st.bytes << " bytes) in "
              << st.writes << " writes to " << output << "\n";
    for (size_t i = 0; i < rings.size(); i++) {
        kring_stats s = rings[i].stats();
        std::cerr << "kringctl: ring " << names[i] << ": committed " << s.committed << ", dropped "
                  << s.dropped << ", unconsumed " << rings[i].query().avail_data << " bytes\n";
    }
    return 0;
}

int replay_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl replay FILE: options");
    std::string format;
    bool json = false;
    opts.add_options()("help,h", "this help")("format,f", po::value(&format)->default_value("auto"),
                                              "record format: auto, exec-snoop, syscount or hex")(
        "json", po::bool_switch(&json), "one JSON object per record, per line");
    std::vector<std::string> files;
    if (!parse_args(args, opts, &files, 1))
        return 0;
    if (files.empty())
        throw po::error("no FILE");
    auto record_format = parse_format(format);
    if (!record_format)
        throw po::error("--format is auto, exec-snoop, syscount or hex");
    kring::RecordFile file(files[0]);
    Printer printer(*record_format, json, std::cout);
    uint64_t records = 0;
    bool sound = file.read([&](const kring::RecordedRecord& record) {
        printer.print(record.ring->name, record.ring->record_type, record.data);
        records++;
        return true;
    });
    std::cout.flush();
    if (!sound) {
        std::cerr << "kringctl replay: " << files[0] << ": " << file.error() << " (" << records
                  << " records before it printed)\n";
        return 1;
    }
    return 0;
}

} // namespace kringctl
