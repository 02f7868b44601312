// kring-verify: verifies BPF programs with kring's verifier, without a
// kernel. Exit status: 0 all accepted, 1 one rejected, 2 bad usage or input.
#include <boost/program_options.hpp>
#include <iostream>
#include <kring/bpfload.hpp>

namespace po = boost::program_options;

int main(int argc, char** argv) {
    po::options_description opts(
        "Usage: kring-verify [options] FILE\n"
        "Verifies the programs of FILE, an ELF object from clang -target bpf (or raw\n"
        "bytecode with --raw), as kring's module would on load. Prints each program's\n"
        "verdict, the verifier log and its statistics.\n\nOptions");
    std::string section;
    uint32_t log_level = 1, ctx_size = 64;
    opts.add_options()("help,h", "this help")("raw", "FILE is raw struct bpf_insn bytecode")(
        "section,s", po::value(&section), "verify only the program in this ELF section")(
        "log-level,l", po::value(&log_level)->default_value(1),
        "0: statistics only, 1: errors and the failing state, 2: every instruction")(
        "ctx-size", po::value(&ctx_size)->default_value(64),
        "bytes of context the program may read")("ctx-writable", "the context is writable")(
        "no-bpf-capable", "as without CAP_BPF: no loops, calls or more than 4096 instructions")(
        "no-ptr-leaks", "as without CAP_PERFMON: pointers may not leak")(
        "no-spec-v1-bypass", "as without CAP_PERFMON: constant pointer offsets only")(
        "no-spec-v4-bypass", "as without CAP_PERFMON: spilled pointers stay")(
        "test-state-freq", "checkpoint at every instruction (stresses pruning)");
    po::options_description hidden;
    std::string file;
    hidden.add_options()("file", po::value(&file));
    po::positional_options_description positional;
    positional.add("file", 1);
    po::options_description all;
    all.add(opts).add(hidden);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "kring-verify: " << e.what() << "\n" << opts;
        return 2;
    }
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (file.empty() || log_level > 2) {
        std::cerr << "kring-verify: " << (file.empty() ? "no FILE" : "--log-level is 0, 1 or 2")
                  << "\n"
                  << opts;
        return 2;
    }
    kring::bpf::VerifyOptions options;
    options.log_level = log_level;
    options.ctx = {ctx_size, vm.count("ctx-writable") > 0};
    const std::pair<const char*, uint32_t> drops[] = {{"no-bpf-capable", KBPF_F_BPF_CAPABLE},
                                                      {"no-ptr-leaks", KBPF_F_ALLOW_PTR_LEAKS},
                                                      {"no-spec-v1-bypass", KBPF_F_BYPASS_SPEC_V1},
                                                      {"no-spec-v4-bypass", KBPF_F_BYPASS_SPEC_V4}};
    for (const auto& [name, flag] : drops)
        if (vm.count(name))
            options.flags &= ~flag;
    if (vm.count("test-state-freq"))
        options.flags |= KBPF_F_TEST_STATE_FREQ;

    kring::bpf::Object obj;
    try {
        obj = vm.count("raw") ? kring::bpf::load_raw(file) : kring::bpf::load_elf(file);
    } catch (const kring::Error& e) {
        std::cerr << "kring-verify: " << e.what() << "\n";
        return 2;
    }
    int status = 0;
    bool found = false;
    for (const auto& prog : obj.programs) {
        if (!section.empty() && prog.section != section)
            continue;
        found = true;
        auto verdict = kring::bpf::verify(prog, obj.rings.size(), options);
        std::cout << prog.section << " (" << prog.name << ", " << prog.insns.size() << " insns): "
                  << (verdict.error ? "rejected: " + std::string(strerror(-verdict.error))
                                    : std::string("accepted"))
                  << "\n"
                  << verdict.log;
        if (verdict.error)
            status = 1;
    }
    if (!found) {
        std::cerr << "kring-verify: " << file << ": no program in section " << section << "\n";
        return 2;
    }
    return status;
}
