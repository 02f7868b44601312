// kring-verify and `kringctl verify`: both are this function.
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <kring/json.hpp>
#include <kring/program.hpp>
#include <kring/verify_cli.hpp>

namespace kring::bpf {

namespace po = boost::program_options;

namespace {

// The verifier's reason: the log's first line, when it rejected.
std::string rejection_message(const Verdict& verdict) {
    if (!verdict.error || verdict.log.rfind("processed ", 0) == 0)
        return "";
    return verdict.log.substr(0, verdict.log.find('\n'));
}

void print_json(std::ostream& out, const Program& prog, const kring::ProgramContext& ctx,
                const Verdict& verdict) {
    const kbpf_verify_stats& s = verdict.stats;
    out << "{\"section\":" << json_string(prog.section) << ",\"name\":" << json_string(prog.name)
        << ",\"context\":" << json_string(ctx.description) << ",\"insns\":" << prog.insns.size()
        << ",\"accepted\":" << (verdict.error ? "false" : "true") << ",\"errno\":" << -verdict.error
        << ",\"error\":" << json_string(verdict.error ? strerror(-verdict.error) : "")
        << ",\"message\":" << json_string(rejection_message(verdict))
        << ",\"insns_processed\":" << s.insns_processed << ",\"states_total\":" << s.states_total
        << ",\"states_peak\":" << s.states_peak << ",\"stack_depth\":" << s.stack_depth
        << ",\"time_us\":" << s.time_ns / 1000 << ",\"log\":" << json_string(verdict.log) << "}\n";
}

} // namespace

void SettingsOptions::add_to(po::options_description& opts) {
    opts.add_options()("max-entries", po::value(&max_entries),
                       "MAP=N: the map's max_entries (a ring's size in bytes), as "
                       "bpf_map__set_max_entries() sets it; needed for a map that leaves it 0; "
                       "repeatable")(
        "value-size", po::value(&value_sizes),
        "MAP=N: the map's value size in bytes, as bpf_map__set_value_size() sets it; needed "
        "for a map that leaves it 0 (libbpf-tools' stack maps); repeatable")(
        "set", po::value(&globals),
        "NAME=VALUE: a global variable's initial value (an integer of its size; a "
        "const volatile one in .rodata is a constant to the verifier); repeatable")(
        "map-type", po::value(&map_types),
        "MAP=TYPE: the map's type (ringbuf, array, hash...), as bpf_map__set_type() sets it; "
        "a ring has no key or value; repeatable")(
        "btf", po::value(&target_btf),
        "PATH: apply the object's CO-RE relocations against this kernel BTF (raw, as in "
        "/sys/kernel/btf, or an ELF vmlinux), as libbpf's btf_custom_path; default: the "
        "running kernel's /sys/kernel/btf/vmlinux")(
        "kconfig", po::value(&kconfig),
        "PATH: read the object's CONFIG_ __kconfig externs from this kernel configuration "
        "(a .config, plain or gzip'd), as libbpf's kconfig option; default: the running "
        "kernel's /boot/config-$(uname -r), else /proc/config.gz");
}

ObjectSettings SettingsOptions::settings() const {
    ObjectSettings out;
    parse_max_entries(max_entries, &out);
    parse_value_sizes(value_sizes, &out);
    parse_globals(globals, &out);
    parse_map_types(map_types, &out);
    out.target_btf = target_btf;
    out.kconfig = kconfig;
    return out;
}

int verify_command(const std::vector<std::string>& args, const std::string& tool, std::ostream& out,
                   std::ostream& err) {
    po::options_description opts(
        "Usage: " + tool +
        " [options] FILE\n"
        "Verifies the programs of FILE, an ELF object from clang -target bpf (or raw\n"
        "bytecode with --raw), as kring's module would on load, each against its\n"
        "attach point's context. Prints each program's verdict, the verifier log and\n"
        "its statistics. Exit status: 0 all accepted, 1 one rejected, 2 bad usage or\n"
        "input.\n\nOptions");
    std::string section, attach, file;
    uint32_t log_level = 1;
    opts.add_options()("help,h", "this help")("raw", "FILE is raw struct bpf_insn bytecode")(
        "section,s", po::value(&section), "verify only the program of this ELF section")(
        "attach,a", po::value(&attach),
        "the attach point whose context to verify against: sched_process_fork, "
        "sched_process_exec, sched_process_exit, sys_enter, sys_exit, kprobe, kretprobe, "
        "tracepoint, raw_tracepoint, tp_btf, fentry, fexit (default: from the section "
        "name)")("ctx-size", po::value<uint32_t>(),
                 "verify against this many bytes of context instead of an attach point's "
                 "(programs without one, such as tests)")("ctx-writable",
                                                          "the context is writable")(
        "log-level,l", po::value(&log_level)->default_value(1),
        "0: statistics only, 1: errors and the failing state, 2: every instruction")(
        "no-bpf-capable", "as without CAP_BPF: no loops, calls or more than 4096 instructions")(
        "no-ptr-leaks", "as without CAP_PERFMON: pointers may not leak")(
        "no-spec-v1-bypass", "as without CAP_PERFMON: constant pointer offsets only")(
        "no-spec-v4-bypass", "as without CAP_PERFMON: spilled pointers stay")(
        "test-state-freq", "checkpoint at every instruction (stresses pruning)")(
        "json", "one JSON object per program, per line: its verdict, the verifier's "
                "message and statistics, and the log");
    SettingsOptions settings;
    settings.add_to(opts);
    po::options_description hidden;
    hidden.add_options()("file", po::value(&file));
    po::positional_options_description positional;
    positional.add("file", 1);
    po::options_description all;
    all.add(opts).add(hidden);
    po::variables_map vm;
    auto usage = [&](const std::string& what) {
        err << tool << ": " << what << " (see " << tool << " --help)\n";
        return 2;
    };
    try {
        po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
        if (vm.count("help")) {
            out << opts;
            return 0;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        return usage(e.what());
    }
    if (file.empty())
        return usage("no FILE");
    if (log_level > 2)
        return usage("--log-level is 0, 1 or 2");
    std::optional<uint32_t> ctx_size;
    if (vm.count("ctx-size"))
        ctx_size = vm["ctx-size"].as<uint32_t>();
    if (ctx_size && !attach.empty())
        return usage("--attach and --ctx-size both give the context: give one");
    VerifyOptions options;
    options.log_level = log_level;
    const std::pair<const char*, uint32_t> drops[] = {{"no-bpf-capable", KBPF_F_BPF_CAPABLE},
                                                      {"no-ptr-leaks", KBPF_F_ALLOW_PTR_LEAKS},
                                                      {"no-spec-v1-bypass", KBPF_F_BYPASS_SPEC_V1},
                                                      {"no-spec-v4-bypass", KBPF_F_BYPASS_SPEC_V4}};
    for (const auto& [name, flag] : drops)
        if (vm.count(name))
            options.flags &= ~flag;
    if (vm.count("test-state-freq"))
        options.flags |= KBPF_F_TEST_STATE_FREQ;

    // Everything that makes the input unusable is found before any verdict.
    Object obj;
    std::vector<std::pair<const Program*, kring::ProgramContext>> chosen;
    try {
        obj = vm.count("raw") ? load_raw(file) : load_elf(file, settings.settings());
    } catch (const Error& e) {
        err << tool << ": " << e.what() << "\n"; // it names the file
        return 2;
    }
    try {
        for (const Program& prog : obj.programs)
            if (section.empty() || prog.section == section)
                chosen.emplace_back(&prog, kring::context_of(prog, attach, ctx_size,
                                                             settings.settings().target_btf));
    } catch (const Error& e) {
        err << tool << ": " << file << ": " << e.what() << "\n";
        return 2;
    }
    if (chosen.empty()) {
        std::string sections;
        for (const Program& prog : obj.programs)
            sections += (sections.empty() ? "" : ", ") + prog.section;
        err << tool << ": " << file << ": no program in section " << section << " (it has "
            << sections << ")\n";
        return 2;
    }
    int status = 0;
    for (const auto& [prog, ctx] : chosen) {
        options.ctx = ctx.desc(vm.count("ctx-writable") > 0);
        options.btf = ctx.kernel_btf();
        Verdict verdict = verify(*prog, obj.maps, options);
        if (verdict.error)
            status = 1;
        if (vm.count("json")) {
            print_json(out, *prog, ctx, verdict);
            continue;
        }
        out << prog->section << " (" << prog->name << ", " << ctx.description << ", "
            << prog->insns.size() << " insns): "
            << (verdict.error ? "rejected: " + std::string(strerror(-verdict.error))
                              : std::string("accepted"))
            << "\n"
            << verdict.log;
    }
    return status;
}

} // namespace kring::bpf
