// kringctl: verify BPF programs, run them on kernel events through the kring
// module and print what they produce. See docs/kringctl.md.
#include "format.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <kring/program.hpp>

namespace po = boost::program_options;

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) {
    stop_requested = 1;
}

const char* const kUsage = R"(Usage: kringctl COMMAND [options]

Commands:
  verify FILE   verify the programs of an ELF object (or --raw bytecode) with
                kring's verifier, as the module will; no kernel needed
  run FILE      load the object's programs into the kring module, attach them,
                and print their records until SIGINT/SIGTERM, --count or
                --duration; then the rings' statistics
Run kringctl COMMAND --help for its options.
)";

// The attach point of each program: --attach, else its section name.
kring_attach_type attach_of(const kring::bpf::Program& prog, const std::string& forced,
                            std::string* kprobe) {
    if (!forced.empty())
        return kring::attach_type_of_name(forced);
    return kring::attach_type_of_section(prog.section, kprobe);
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

int verify_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl verify FILE: options");
    std::string section, attach, file;
    uint32_t log_level = 1;
    opts.add_options()("help,h", "this help")("raw", "FILE is raw struct bpf_insn bytecode")(
        "section,s", po::value(&section), "only the program in this ELF section")(
        "attach,a", po::value(&attach),
        "attach point whose context to verify against (default: from the section name)")(
        "log-level,l", po::value(&log_level)->default_value(1),
        "0: statistics, 1: errors and the failing state, 2: every instruction");
    po::options_description hidden;
    hidden.add_options()("file", po::value(&file));
    po::positional_options_description pos;
    pos.add("file", 1);
    po::options_description all;
    all.add(opts).add(hidden);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (file.empty() || log_level > 2)
        throw po::error(file.empty() ? "no FILE" : "--log-level is 0, 1 or 2");
    auto obj = vm.count("raw") ? kring::bpf::load_raw(file) : kring::bpf::load_elf(file);
    int status = 0;
    for (const auto& prog : obj.programs) {
        if (!section.empty() && prog.section != section)
            continue;
        std::string kprobe;
        kring_attach_type type = attach_of(prog, attach, &kprobe);
        kring::bpf::VerifyOptions options;
        options.log_level = log_level;
        // Unknown attach points: the largest context any attach point gives.
        options.ctx = {type ? kring::context_size(type) : 96, false};
        auto verdict = kring::bpf::verify(prog, obj.rings.size(), options);
        std::cout << prog.section << " (" << prog.name << ", "
                  << (type ? kring::attach_type_name(type) : "unknown attach point")
                  << "): " << (verdict.error ? "rejected" : "accepted") << "\n"
                  << verdict.log;
        if (verdict.error)
            status = 1;
    }
    return status;
}

int run_command(const std::vector<std::string>& args) {
    po::options_description opts("kringctl run FILE: options");
    std::string file, attach, kprobe, format, wait;
    std::vector<std::string> sections;
    uint64_t ring_size = 0, count = 0;
    double duration = 0;
    opts.add_options()("help,h", "this help")(
        "section,s", po::value(&sections),
        "run only the programs of these sections (repeatable; default: all)")(
        "attach,a", po::value(&attach),
        "attach point for every program: sched_process_fork, sched_process_exec, "
        "sched_process_exit, sys_enter, sys_exit, kprobe (default: from section names)")(
        "kprobe", po::value(&kprobe), "the kernel function for --attach kprobe")(
        "ring-size", po::value(&ring_size),
        "bytes per ring (power of two; default: the object's max_entries)")(
        "format,f", po::value(&format)->default_value("auto"),
        "record format: auto, exec-snoop, syscount or hex")(
        "json", "one JSON object per record, per line")("count,c", po::value(&count),
                                                        "stop after this many records")(
        "duration,d", po::value(&duration),
        "stop after this many seconds")("quiet,q", "print no records (statistics only)")(
        "wait,w", po::value(&wait)->default_value("epoll"),
        "how to wait for records: epoll, io_uring or busy-poll");
    po::options_description hidden;
    hidden.add_options()("file", po::value(&file));
    po::positional_options_description pos;
    pos.add("file", 1);
    po::options_description all;
    all.add(opts).add(hidden);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (file.empty())
        throw po::error("no FILE");
    auto wait_mode = parse_wait_mode(wait);
    auto record_format = kringctl::parse_format(format);
    if (!record_format)
        throw po::error("--format is auto, exec-snoop, syscount or hex");
    bool json = vm.count("json") > 0, quiet = vm.count("quiet") > 0;

    auto obj = kring::bpf::load_elf(file);
    std::vector<kring::Ring> rings;
    std::vector<int> ring_fds;
    for (const auto& decl : obj.rings) {
        rings.push_back(kring::Ring::create(ring_size ? ring_size : decl.max_entries));
        ring_fds.push_back(rings.back().fd());
    }
    std::vector<kring::Program> progs;
    std::vector<kring::Link> links;
    for (const auto& prog : obj.programs) {
        if (!sections.empty() &&
            std::find(sections.begin(), sections.end(), prog.section) == sections.end())
            continue;
        std::string symbol = kprobe;
        kring_attach_type type = attach_of(prog, attach, &symbol);
        if (!type)
            throw kring::Error(EINVAL, prog.section + ": no attach point: use --attach");
        progs.push_back(kring::Program::load(prog, ring_fds, type));
        links.push_back(progs.back().attach(type == KRING_ATTACH_KPROBE ? symbol : ""));
        std::cerr << "kringctl: " << prog.section << " attached to "
                  << kring::attach_type_name(type)
                  << (type == KRING_ATTACH_KPROBE ? " " + symbol : "") << "\n";
    }
    if (links.empty())
        throw kring::Error(EINVAL, file + ": no program to run");

    struct sigaction sa {};
    sa.sa_handler = request_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    uint64_t seen = 0;
    kringctl::Printer printer(*record_format, json, std::cout);
    kring::Consumer consumer(wait_mode);
    for (size_t i = 0; i < rings.size(); i++) {
        const std::string& name = obj.rings[i].name;
        consumer.add(rings[i], [&, name](std::span<const std::byte> record) {
            if (count && seen >= count)
                return -1; // leave the rest in the ring
            seen++;
            if (!quiet)
                printer.print(name, record);
            return 0;
        });
    }
    std::cerr << "kringctl: running; SIGINT to stop\n";
    auto start = std::chrono::steady_clock::now();
    while (!stop_requested && (!count || seen < count)) {
        if (duration > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
                duration)
            break;
        consumer.poll(std::chrono::milliseconds(100));
        std::cout.flush();
    }
    links.clear(); // detach before reading the final statistics
    for (size_t i = 0; i < rings.size(); i++) {
        kring_stats s = rings[i].stats();
        std::cerr << "kringctl: ring " << obj.rings[i].name << ": " << seen
                  << " records printed, committed " << s.committed << ", discarded " << s.discarded
                  << ", dropped " << s.dropped << ", wakeups " << s.wakeups << "\n";
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    std::string command = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "verify")
            return verify_command(args);
        if (command == "run")
            return run_command(args);
        std::cerr << "kringctl: unknown command " << command << "\n" << kUsage;
        return 2;
    } catch (const po::error& e) {
        std::cerr << "kringctl " << command << ": " << e.what() << " (see --help)\n";
        return 2;
    } catch (const kring::Error& e) {
        std::cerr << "kringctl " << command << ": " << e.what() << "\n";
        return 1;
    }
}
