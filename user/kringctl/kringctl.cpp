// kringctl: verify BPF programs, run them on kernel events through the kring
// module and print what they produce. See docs/kringctl.md.
#include "commands.hpp"
#include "format.hpp"

#include <chrono>
#include <csignal>
#include <deque>
#include <iostream>
#include <kring/linux_map.hpp>
#include <kring/perf_buffer.hpp>
#include <kring/program.hpp>
#include <kring/unexpected_error.hpp>
#include <kring/verify_cli.hpp>
#include <map>
#include <thread>

namespace kringctl {

std::atomic<bool> stop_requested{false};

namespace {

// Each CPU's perf buffer for a perf event array: 256 KiB, four times
// libbpf-tools' 16 pages.
constexpr size_t kPerfBufferPages = 64;

void request_stop(int) {
    stop_requested = true;
}

const char* const kUsage = R"(Usage: kringctl COMMAND [options]

Commands:
  verify FILE    verify the programs of an ELF object (or --raw bytecode) with
                 kring's verifier, as the module will; no kernel needed (the
                 same command as kring-verify)
  run FILE       load the object's programs into the kring module, attach
                 them, and print their records until SIGINT/SIGTERM, --count
                 or --duration; then the rings' statistics
  create NAME    create a ring and keep it alive under NAME (pinned)
  unpin NAME...  drop the names of rings, programs or links (a ring goes and
                 a link detaches when nothing else holds it)
  stats [NAME...]  the named rings' positions and counters (default: all);
                 --watch SECONDS for their rates per second
  record NAME... consume named rings into a record file, zero-copy,
                 restartable without loss or duplicates
  replay FILE    print a record file's records as text or JSON lines
  ring list      every ring in the module: ids, sizes, counters, names
  prog list      every program: ids, names, attach points, runs, rings
  link list      every link: ids, programs, attach points, names
  map dump|lookup|update|delete MAP
                 the entries of a Linux map programs use (MAP: id N or
                 name NAME), keys and values in hex
Run kringctl COMMAND --help for its options (kringctl --help: every command's).
)";

using Command = int (*)(const std::vector<std::string>&);

// The commands, in the order kUsage lists them.
const std::vector<std::pair<std::string, Command>>& commands() {
    static const std::vector<std::pair<std::string, Command>> all = {
        {"verify", verify_command}, {"run", run_command},     {"create", create_command},
        {"unpin", unpin_command},   {"stats", stats_command}, {"record", record_command},
        {"replay", replay_command}, {"ring", ring_command},   {"prog", prog_command},
        {"link", link_command},     {"map", map_command},
    };
    return all;
}

// kringctl --help: the command list, then each command's own --help, from
// the options each command parses with (so the man page help2man makes
// of it has every option, and cannot drift from them).
void print_help() {
    std::cout << kUsage;
    for (const auto& [name, command] : commands()) {
        std::cout << "\n";
        command({"--help"});
    }
}

// The attach point of each program: --attach, else its section name.
kring_attach_type attach_of(const kring::bpf::Program& prog, const std::string& forced,
                            std::string* target) {
    if (!forced.empty())
        return kring::attach_type_of_name(forced);
    return kring::attach_type_of_section(prog.section, target);
}

kring::WaitMode parse_wait_mode(const std::string& name) {
    if (name == "epoll")
        return kring::WaitMode::epoll;
    if (name == "io_uring")
        return kring::WaitMode::io_uring;
    if (name == "busy-poll")
        return kring::WaitMode::busy_poll;
    throw po::error("--wait is epoll, io_uring or busy-poll");
}

// With --json, an error is a JSON object on stdout too (as bpftool -j
// prints it), so that a reader of the JSON lines sees why they stopped.
void print_json_error(const std::vector<std::string>& args, const std::string& what) {
    if (std::find(args.begin(), args.end(), "--json") != args.end())
        std::cout << "{\"error\":" << json_string(what) << "}" << std::endl;
}

} // namespace

int verify_command(const std::vector<std::string>& args) {
    return kring::bpf::verify_command(args, "kringctl verify", std::cout, std::cerr);
}

int run_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl run FILE: options");
    std::string attach, target, format, wait;
    bool json = false, quiet = false;
    std::vector<std::string> sections, pinned_rings;
    uint64_t ring_size = 0, count = 0, sample_freq = 49;
    double duration = 0;
    opts.add_options()("help,h", "this help")(
        "section,s", po::value(&sections),
        "run only the programs of these sections (repeatable; default: all)")(
        "attach,a", po::value(&attach),
        "attach point for every program: sched_process_fork, sched_process_exec, "
        "sched_process_exit, sys_enter, sys_exit, kprobe, kretprobe, tracepoint, raw_tracepoint, "
        "uprobe, uretprobe (default: from section names)")(
        "target", po::value(&target),
        "what --attach kprobe or kretprobe probes (a kernel function), --attach tracepoint "
        "traces (CATEGORY/NAME), --attach raw_tracepoint traces (NAME) or --attach uprobe "
        "probes (PATH:FUNCTION[+OFFSET])")(
        "sample-freq", po::value(&sample_freq),
        "perf_event programs: samples per second of each CPU's cpu-clock (default 49, as "
        "libbpf-tools' profile)")(
        "ring-size", po::value(&ring_size),
        "bytes per ring (power of two; default: the object's max_entries)")(
        "ring", po::value(&pinned_rings),
        "MAP=NAME: the programs write map MAP's records to the pinned ring NAME, "
        "which is left to its own consumer (kringctl record); repeatable")(
        "format,f", po::value(&format)->default_value("auto"),
        "record format: auto, exec-snoop, syscount, opensnoop or hex")(
        "json", po::bool_switch(&json), "one JSON object per record, per line")(
        "count,c", po::value(&count), "stop after this many records")(
        "duration,d", po::value(&duration), "stop after this many seconds")(
        "quiet,q", po::bool_switch(&quiet), "print no records (statistics only)")(
        "wait,w", po::value(&wait)->default_value("epoll"),
        "how to wait for records: epoll, io_uring or busy-poll");
    std::string pin;
    opts.add_options()("pin", po::value(&pin),
                       "PREFIX: pin each link as PREFIX.PROGRAM and each of the object's rings as "
                       "PREFIX.MAP, then exit and leave the programs running (kringctl unpin "
                       "detaches them)");
    kring::bpf::SettingsOptions settings;
    settings.add_to(opts);
    std::vector<std::string> files;
    if (!parse_args(args, opts, &files, 1))
        return 0;
    if (!pin.empty() && (count || duration > 0))
        throw po::error("--pin exits at once: no --count or --duration");
    if (files.empty())
        throw po::error("no FILE");
    const std::string& file = files[0];
    auto wait_mode = parse_wait_mode(wait);
    auto record_format = kringctl::parse_format(format);
    if (!record_format)
        throw po::error("--format is auto, exec-snoop, syscount, opensnoop or hex");

    auto obj = kring::bpf::load_elf(file, settings.settings());
    // The rings, in the order of the object's maps (rings[i] is ring_decls[i]'s).
    std::vector<const kring::bpf::MapDecl*> ring_decls;
    for (const auto& decl : obj.maps)
        if (decl.is_ring())
            ring_decls.push_back(&decl);
    std::map<std::string, std::string> pinned_of_map;
    for (const std::string& binding : pinned_rings) {
        auto eq = binding.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == binding.size())
            throw po::error("--ring is MAP=NAME, not " + binding);
        std::string map = binding.substr(0, eq);
        if (std::none_of(ring_decls.begin(), ring_decls.end(),
                         [&](const auto* decl) { return decl->name == map; }))
            throw po::error("--ring " + binding + ": " + file + " has no ring map " + map);
        pinned_of_map[map] = binding.substr(eq + 1);
    }
    std::optional<RunPins> pins; // checked before anything is created
    if (!pin.empty())
        pins = plan_run_pins(pin, obj, sections, pinned_of_map);
    std::vector<bool> consumed_here;
    kring::ObjectMaps maps(obj, file, [&](const kring::bpf::MapDecl& decl) {
        auto pinned = pinned_of_map.find(decl.name);
        consumed_here.push_back(pinned == pinned_of_map.end());
        return consumed_here.back() ? kring::Ring::create(ring_size ? ring_size : decl.max_entries)
                                    : kring::Ring::open_pinned(pinned->second);
    });
    std::vector<kring::Ring>& rings = maps.rings();
    uint64_t seen = 0;
    kringctl::Printer printer(*record_format, json, std::cout);
    // The perf event arrays (bpf_perf_event_output), read as libbpf's
    // perf_buffer reads them, opened before any program runs so that no
    // sample finds its slot empty; samples print as records do.
    struct PerfArray {
        std::string name;
        uint64_t samples = 0, lost = 0;
    };
    std::deque<PerfArray> perf_arrays; // stable addresses, for the callbacks
    std::vector<kring::PerfBuffer> perf_buffers;
    for (size_t i = 0; i < obj.maps.size(); i++) {
        if (!obj.maps[i].is_perf_event_array())
            continue;
        PerfArray& array = perf_arrays.emplace_back(PerfArray{obj.maps[i].name});
        if (pins)
            throw kring::Error(EOPNOTSUPP, "--pin: map " + array.name +
                                               " is a perf event array, whose perf events close "
                                               "when kringctl exits: nothing would read it");
        perf_buffers.emplace_back(
            maps.map(i).fd(), kPerfBufferPages,
            [&](int, std::span<const std::byte> sample) {
                array.samples++;
                if (count && seen >= count)
                    return;
                seen++;
                if (!quiet)
                    printer.print(array.name, "", sample);
            },
            [&](int cpu, uint64_t lost) {
                array.lost += lost;
                if (!quiet)
                    std::cerr << "kringctl: perf buffer " << array.name << ": CPU " << cpu
                              << " lost " << lost << " samples\n";
            });
    }
    // Programs in a prog array's slots run by tail calls: loaded, put in
    // their slots, not attached.
    std::deque<kring::Program> progs; // stable addresses, for the slots
    std::map<std::string, const kring::Program*> loaded;
    struct Attachment {
        const kring::Program* prog;
        std::string section;
        std::string symbol;
        kring_attach_type type;
    };
    std::vector<Attachment> to_attach;
    for (const auto& prog : obj.programs) {
        bool slot_program = obj.in_slot(prog.name);
        if (!slot_program && !sections.empty() &&
            std::find(sections.begin(), sections.end(), prog.section) == sections.end())
            continue;
        std::string symbol = target;
        kring_attach_type type = attach_of(prog, attach, &symbol);
        if (!type)
            throw kring::Error(EINVAL, prog.section + ": no attach point: use --attach");
        if (kring::needs_target(type) && symbol.empty())
            throw kring::Error(EINVAL, prog.section + ": names no " +
                                           kring::attach_type_name(type) +
                                           " target: give --target");
        kring::LoadOptions options;
        if (kring::typed_attach(type))
            options.attach_target = symbol; // the verifier types its arguments
        progs.push_back(kring::Program::load(prog, maps.fds(), type, options));
        loaded[prog.name] = &progs.back();
        if (slot_program)
            continue;
        to_attach.push_back({&progs.back(), prog.section, symbol, type});
    }
    size_t slots = maps.fill_slots(obj, loaded);
    if (slots && pins)
        throw kring::Error(EOPNOTSUPP, "--pin: kring cannot pin prog arrays yet, and their slots "
                                       "empty when kringctl exits");
    if (slots && !quiet)
        std::cerr << "kringctl: " << slots << " prog array slot" << (slots == 1 ? "" : "s")
                  << " filled (tail-call targets, not attached)\n";
    std::vector<kring::Link> links;
    for (const auto& [loaded_prog, section, target_name, type] : to_attach) {
        std::string symbol = target_name;
        if (type == KRING_ATTACH_PERF_EVENT) {
            perf_event_attr attr{};
            attr.size = sizeof(attr);
            attr.type = PERF_TYPE_SOFTWARE;
            attr.config = PERF_COUNT_SW_CPU_CLOCK;
            attr.freq = 1;
            attr.sample_freq = sample_freq;
            symbol = "cpu-clock at " + std::to_string(sample_freq) + " Hz";
            links.push_back(loaded_prog->attach_perf_event(attr));
        } else {
            links.push_back(loaded_prog->attach(kring::needs_target(type) ? symbol : ""));
        }
        kring_prog_info info = loaded_prog->info();
        bool named = kring::needs_target(type) || kring::typed_attach(type) ||
                     type == KRING_ATTACH_PERF_EVENT;
        std::cerr << "kringctl: " << section << " attached to " << kring::attach_type_name(type)
                  << (named ? " " + symbol : "")
                  << (info.runtime == KRING_RUNTIME_JIT
                          ? " (JIT'd, " + std::to_string(info.jited_len) + " bytes)"
                          : std::string(" (interpreter)"))
                  << "\n";
    }
    if (links.empty())
        throw kring::Error(EINVAL, file + ": no program to run");
    if (pins)
        return pin_run(*pins, links, rings, json);

    // Records decode only as the type their ring declares (docs/kringctl.md).
    std::vector<std::string> record_types;
    for (const auto* ring : ring_decls) {
        const auto& decl = *ring;
        record_types.push_back(kringctl::decodable_type(decl.record_type, decl.record_size));
        if (*record_format == kringctl::Format::automatic && !quiet && !decl.record_type.empty() &&
            record_types.back().empty())
            std::cerr << "kringctl: ring " << decl.name << ": records of type " << decl.record_type
                      << " (" << decl.record_size
                      << " bytes) are not a type kringctl decodes: printing them as hex\n";
        auto pinned = pinned_of_map.find(decl.name);
        if (pinned != pinned_of_map.end() && !decl.record_type.empty())
            std::cerr << "kringctl: ring " << decl.name << " (pinned " << pinned->second
                      << ") has records of type " << decl.record_type << ": kringctl record --type "
                      << pinned->second << "=" << decl.record_type << " declares it to replay\n";
    }
    install_stop_handlers();

    kring::Consumer consumer(wait_mode);
    for (size_t i = 0; i < rings.size(); i++) {
        if (!consumed_here[i])
            continue;
        const std::string& name = ring_decls[i]->name;
        consumer.add(rings[i],
                     [&, name, type = record_types[i]](std::span<const std::byte> record) {
                         if (count && seen >= count)
                             return -1; // leave the rest in the ring
                         seen++;
                         if (!quiet)
                             printer.print(name, type, record);
                         return 0;
                     });
    }
    std::cerr << "kringctl: running; SIGINT to stop\n";
    bool consuming =
        std::find(consumed_here.begin(), consumed_here.end(), true) != consumed_here.end();
    auto start = std::chrono::steady_clock::now();
    while (!stop_requested && (!count || seen < count)) {
        if (duration > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
                duration)
            break;
        // One wait of 100 ms at most: on the rings, else on a perf buffer.
        std::chrono::milliseconds wait(100);
        if (consuming) {
            consumer.poll(perf_buffers.empty() ? wait : std::chrono::milliseconds(10));
            wait = std::chrono::milliseconds(0);
        }
        for (kring::PerfBuffer& perf : perf_buffers) {
            perf.poll(wait);
            wait = std::chrono::milliseconds(0);
        }
        if (wait.count()) // every ring is someone else's: keep the programs attached
            std::this_thread::sleep_for(wait);
        std::cout.flush();
    }
    links.clear(); // detach before reading the final statistics
    for (kring::PerfBuffer& perf : perf_buffers)
        perf.consume(); // what came before the detach, counted
    for (const PerfArray& array : perf_arrays) {
        if (json)
            std::cout << "{\"event\":\"summary\",\"perf_buffer\":" << json_string(array.name)
                      << ",\"samples\":" << array.samples << ",\"lost\":" << array.lost << "}\n";
        else
            std::cerr << "kringctl: perf buffer " << array.name << ": " << array.samples
                      << " samples, lost " << array.lost << "\n";
    }
    for (size_t i = 0; i < rings.size(); i++) {
        kring_stats s = rings[i].stats();
        if (json) { // beside the records, as their last lines
            std::cout << "{\"event\":\"summary\",\"ring\":" << json_string(ring_decls[i]->name);
            if (consumed_here[i])
                std::cout << ",\"printed\":" << seen;
            else
                std::cout << ",\"pinned\":" << json_string(pinned_of_map[ring_decls[i]->name]);
            std::cout << ",\"committed\":" << s.committed << ",\"discarded\":" << s.discarded
                      << ",\"dropped\":" << s.dropped << ",\"wakeups\":" << s.wakeups << "}\n";
            continue;
        }
        std::cerr << "kringctl: ring " << ring_decls[i]->name;
        if (consumed_here[i])
            std::cerr << ": " << seen << " records printed";
        else
            std::cerr << " (pinned " << pinned_of_map[ring_decls[i]->name]
                      << ", consumed elsewhere)";
        std::cerr << ", committed " << s.committed << ", discarded " << s.discarded << ", dropped "
                  << s.dropped << ", wakeups " << s.wakeups << "\n";
    }
    return 0;
}

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = request_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool parse_args(const std::vector<std::string>& args, const po::options_description& opts,
                std::vector<std::string>* positional, int max_positional) {
    po::options_description hidden;
    hidden.add_options()("positional", po::value(positional));
    po::positional_options_description pos;
    pos.add("positional", max_positional);
    po::options_description all;
    all.add(opts).add(hidden);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    if (vm.count("help")) { // before notify(), which checks required options
        std::cout << opts;
        return false;
    }
    po::notify(vm);
    return true;
}

} // namespace kringctl

int main(int argc, char** argv) {
    using namespace kringctl;
    if (argc < 2) {
        std::cout << kUsage;
        return 2;
    }
    std::string command = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "--help" || command == "-h") {
            print_help();
            return 0;
        }
        for (const auto& [name, run] : commands())
            if (name == command)
                return run(args);
        std::cerr << "kringctl: unknown command " << command << "\n" << kUsage;
        return 2;
    } catch (const po::error& e) {
        print_json_error(args, e.what());
        std::cerr << "kringctl " << command << ": " << e.what() << " (see --help)\n";
        return 2;
    } catch (const kring::Error& e) {
        print_json_error(args, e.what());
        std::cerr << "kringctl " << command << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::string what = kring::describe_unexpected(e);
        print_json_error(args, what);
        std::cerr << "kringctl " << command << ": " << what << "\n";
        return 1;
    }
}
