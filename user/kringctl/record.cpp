// kringctl record and replay: named rings to a record file and back.
#include "commands.hpp"
#include "format.hpp"
#include "progress.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <kring/record_file.hpp>
#include <map>
#include <unistd.h>

namespace kringctl {

namespace {

// --sync: "never", or a time ("500ms", "2s") and/or a size ("64KiB",
// "16MiB", "1GiB"), comma-separated.
kring::Recorder::SyncPolicy parse_sync_policy(const std::string& text) {
    const std::string usage = "--sync is never, a time (500ms, 2s), a size (64KiB, 16MiB, 1GiB) "
                              "or a time and a size (1s,16MiB), not " +
                              text;
    kring::Recorder::SyncPolicy policy{std::chrono::milliseconds(0), 0};
    if (text == "never")
        return policy;
    bool have_time = false, have_size = false;
    for (size_t start = 0; start <= text.size();) {
        size_t end = std::min(text.find(',', start), text.size());
        std::string part = text.substr(start, end - start);
        size_t digits = part.find_first_not_of("0123456789");
        if (digits == 0 || digits == std::string::npos || digits > 12)
            throw po::error(usage);
        uint64_t n = std::stoull(part.substr(0, digits));
        std::string unit = part.substr(digits);
        static const std::map<std::string, uint64_t> kTimes = {{"ms", 1}, {"s", 1000}},
                                                     kSizes = {{"KiB", 1ULL << 10},
                                                               {"MiB", 1ULL << 20},
                                                               {"GiB", 1ULL << 30}};
        if (auto t = kTimes.find(unit); t != kTimes.end() && !have_time && n) {
            policy.interval = std::chrono::milliseconds(n * t->second);
            have_time = true;
        } else if (auto z = kSizes.find(unit); z != kSizes.end() && !have_size && n) {
            policy.bytes = n * z->second;
            have_size = true;
        } else {
            throw po::error(usage);
        }
        start = end + 1;
    }
    return policy;
}

std::string describe(const kring::Recorder::SyncPolicy& policy) {
    if (policy.never())
        return "never";
    std::string out;
    if (policy.interval.count() > 0)
        out = "every " + std::to_string(policy.interval.count()) + " ms";
    if (policy.bytes)
        out += (out.empty() ? "every " : " or ") + std::to_string(policy.bytes) + " bytes";
    return out;
}

std::string mib(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f MiB", double(bytes) / (1 << 20));
    return text;
}

} // namespace

int record_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl record NAME... --output FILE: options");
    std::string output;
    kring::Recorder::Options options;
    uint64_t count = 0;
    double duration = 0;
    bool exit_when_empty = false, oneshot_poll = false, no_checksum = false, json = false;
    bool buffered = false;
    std::vector<std::string> types;
    std::string sync, progress;
    opts.add_options()("help,h",
                       "this help")("output,o", po::value(&output)->required(),
                                    "the record file: created, or appended to after what it holds")(
        "max-chunk", po::value(&options.max_chunk),
        "bytes per write (default: a quarter of the ring)")("count,c", po::value(&count),
                                                            "stop after this many records")(
        "duration,d", po::value(&duration),
        "stop after this many seconds")("exit-when-empty", po::bool_switch(&exit_when_empty),
                                        "stop once every ring is written out and empty")(
        "oneshot-poll", po::bool_switch(&oneshot_poll),
        "re-armed one-shot polls instead of multishot ones")(
        "no-checksum", po::bool_switch(&no_checksum),
        "no CRC32C of the records: cheaper, but replay cannot tell corrupted records")(
        "buffered", po::bool_switch(&buffered),
        "write through the page cache even where the file system has direct I/O")(
        "type", po::value(&types),
        "NAME=TYPE: ring NAME's records are TYPE (a C type name such as exec_snoop_event), "
        "declared in the file so that replay decodes them; repeatable")(
        "sync", po::value(&sync)->default_value("1s"),
        "when written records are made durable (fdatasync) before the rings get their space "
        "back: never, a time (500ms, 2s), a size (16MiB) or both (1s,16MiB)")(
        "progress", po::value(&progress)->default_value("auto"),
        "a progress line on stderr: auto (if stderr is a terminal), always or never")(
        "json", po::bool_switch(&json), "the summary as JSON lines on stdout");
    std::vector<std::string> names;
    if (!parse_args(args, opts, &names, -1))
        return 0;
    options.sync = parse_sync_policy(sync);
    ProgressLine progress_line(parse_progress_mode(progress), isatty(STDERR_FILENO));
    if (names.empty())
        throw po::error("no ring NAME (kringctl create makes one)");
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
    options.direct_io = !buffered;

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
    const auto& st = recorder.stats();
    auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    while (!stop_requested && (!count || st.records < count)) {
        if (duration > 0 && seconds() >= duration)
            break;
        recorder.poll(std::chrono::milliseconds(100));
        if (exit_when_empty && empty())
            break;
        if (progress_line.due()) {
            uint64_t unconsumed = 0, dropped = 0;
            for (const kring::Ring& ring : rings) {
                unconsumed += ring.query().avail_data;
                dropped += ring.stats().dropped;
            }
            char rate[32];
            std::snprintf(rate, sizeof(rate), "%.0f", double(st.records) / seconds());
            progress_line.update("kringctl record: " + std::to_string(st.records) + " records, " +
                                 mib(st.bytes) + ", " + rate + " records/s, " +
                                 std::to_string(st.syncs) + " syncs, " + std::to_string(dropped) +
                                 " dropped, " + std::to_string(unconsumed) + " bytes unconsumed");
        }
    }
    progress_line.end();
    recorder.close();
    if (json)
        std::cout << "{\"file\":" << json_string(output) << ",\"records\":" << st.records
                  << ",\"bytes\":" << st.bytes << ",\"writes\":" << st.writes
                  << ",\"syncs\":" << st.syncs
                  << ",\"sync\":" << json_string(describe(options.sync))
                  << ",\"direct_io\":" << (recorder.direct_io() ? "true" : "false")
                  << ",\"seconds\":" << seconds() << "}\n";
    else
        std::cerr << "kringctl: recorded " << st.records << " records (" << st.bytes
                  << " bytes) in " << st.writes
                  << (recorder.direct_io() ? " direct writes" : " writes") << " and " << st.syncs
                  << " syncs (--sync " << describe(options.sync) << ") to " << output << "\n";
    for (size_t i = 0; i < rings.size(); i++) {
        kring_stats s = rings[i].stats();
        uint64_t unconsumed = rings[i].query().avail_data;
        if (json)
            std::cout << "{\"ring\":" << json_string(names[i]) << ",\"committed\":" << s.committed
                      << ",\"dropped\":" << s.dropped << ",\"unconsumed\":" << unconsumed << "}\n";
        else
            std::cerr << "kringctl: ring " << names[i] << ": committed " << s.committed
                      << ", dropped " << s.dropped << ", unconsumed " << unconsumed << " bytes\n";
    }
    return 0;
}

int replay_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl replay FILE: options");
    std::string format, progress;
    bool json = false;
    opts.add_options()("help,h",
                       "this help")("format,f", po::value(&format)->default_value("auto"),
                                    "record format: auto, exec-snoop, syscount, opensnoop or hex")(
        "json", po::bool_switch(&json), "one JSON object per record, per line")(
        "progress", po::value(&progress)->default_value("auto"),
        "a progress line on stderr: auto (if stderr is a terminal and stdout is not), always or "
        "never");
    std::vector<std::string> files;
    if (!parse_args(args, opts, &files, 1))
        return 0;
    // Records printed on the terminal would break the line up: auto shows
    // it only when they go elsewhere.
    ProgressLine progress_line(parse_progress_mode(progress),
                               isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO));
    if (files.empty())
        throw po::error("no FILE");
    auto record_format = parse_format(format);
    if (!record_format)
        throw po::error("--format is auto, exec-snoop, syscount, opensnoop or hex");
    kring::RecordFile file(files[0]);
    Printer printer(*record_format, json, std::cout);
    uint64_t records = 0;
    bool sound = file.read([&](const kring::RecordedRecord& record) {
        printer.print(record.ring->name, record.ring->record_type, record.data);
        records++;
        if (progress_line.due()) {
            char at[64];
            std::snprintf(at, sizeof(at), "%.0f%%",
                          100.0 * double(record.chunk_offset) / double(file.size()));
            progress_line.update("kringctl replay: " + std::to_string(records) + " records, " +
                                 mib(record.chunk_offset) + " of " + mib(file.size()) + " (" + at +
                                 ")");
        }
        return true;
    });
    progress_line.end();
    std::cout.flush();
    if (!sound) {
        std::string error = files[0] + ": " + file.error() + " (" + std::to_string(records) +
                            " records before it printed)";
        if (json)
            std::cout << "{\"error\":" << json_string(error) << ",\"records\":" << records << "}\n";
        std::cerr << "kringctl replay: " << error << "\n";
        return 1;
    }
    return 0;
}

} // namespace kringctl
