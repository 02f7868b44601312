// kring-run: verifies a program, runs it in the interpreter on given context
// bytes with userspace rings, and prints R0 and the records it produced.
// Exit status: 0 ran, 1 rejected by the verifier (or an unexpected
// failure), 2 bad usage or input.
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <kring/bpfload.hpp>
#include <kring/hex.hpp>
#include <kring/json.hpp>
#include <kring/program.hpp>
#include <kring/unexpected_error.hpp>
#include <kring/verify_cli.hpp>

namespace po = boost::program_options;

namespace {

// --maps: each map's entries as KEY: VALUE in hex; a global data
// section's variables by name (the bytes between them too, if unnamed).
// A ring's record, or a perf buffer's sample, of map `map`.
void print_record(const std::string& map, std::span<const std::byte> record, bool json) {
    if (json)
        std::cout << "{\"ring\":" << kring::json_string(map) << ",\"size\":" << record.size()
                  << ",\"data\":\"" << kring::to_hex(record) << "\"}\n";
    else
        std::cout << map << ": " << record.size() << " bytes " << kring::to_hex(record) << "\n";
}

void print_maps(const kring::bpf::Object& obj, kring::bpf::Runtime& runtime, bool json) {
    auto print = [&](const std::string& map, const std::string& key,
                     std::span<const std::byte> value) {
        if (json)
            std::cout << "{\"map\":" << kring::json_string(map)
                      << ",\"key\":" << kring::json_string(key) << ",\"value\":\""
                      << kring::to_hex(value) << "\"}\n";
        else
            std::cout << map << "[" << key << "] = " << kring::to_hex(value) << "\n";
    };
    for (size_t i = 0; i < obj.maps.size(); i++) {
        const kring::bpf::MapDecl& decl = obj.maps[i];
        if (decl.is_ring() || decl.is_prog_array() || decl.is_perf_event_array())
            continue;
        for (const auto& [key, value] : runtime.map(i).entries()) {
            if (decl.vars.empty()) {
                print(decl.name, kring::to_hex(key), value);
                continue;
            }
            for (const kring::bpf::GlobalVar& var : decl.vars)
                print(decl.name, var.name, value.subspan(var.offset, var.size));
        }
    }
}

int run(int argc, char** argv) {
    po::options_description opts(
        "Usage: kring-run [options] FILE\n"
        "Verifies a program of FILE and runs it in kring's interpreter "
        "with userspace\nrings, then prints R0 and each record.\n\nOptions");
    std::string section, attach, ctx_hex, ctx_file;
    uint32_t ctx_size = 64;
    uint64_t repeat = 1;
    opts.add_options()("help,h", "this help")("raw", "FILE is raw bytecode (no rings)")(
        "section,s", po::value(&section), "the program's ELF section (default: the first)")(
        "attach,a", po::value(&attach),
        "the attach point whose context the program gets (default: from the section name)")(
        "ctx", po::value(&ctx_hex),
        "context bytes in hex (exactly the attach point's context size, if it has one)")(
        "ctx-file", po::value(&ctx_file), "context bytes from a file")(
        "ctx-size", po::value(&ctx_size)->default_value(64),
        "for a program without an attach point: its context size when neither --ctx nor "
        "--ctx-file is given (zeroes)")("repeat,n", po::value(&repeat)->default_value(1), "runs")(
        "json", "records as JSON lines: {\"ring\":NAME,\"size\":N,\"data\":HEX}")(
        "maps", "after the runs, print every map's entries (global data: each variable) "
                "(JSON lines with --json)");
    kring::bpf::SettingsOptions settings;
    settings.add_to(opts);
    po::options_description hidden;
    std::string file;
    hidden.add_options()("file", po::value(&file));
    po::positional_options_description positional;
    positional.add("file", 1);
    po::options_description all;
    all.add(opts).add(hidden);
    po::variables_map vm;
    std::vector<std::byte> ctx;
    bool ctx_given = false;
    kring::bpf::Object obj;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << opts;
            return 0;
        }
        if (file.empty())
            throw std::invalid_argument("no FILE");
        ctx_given = !ctx_hex.empty() || !ctx_file.empty();
        if (!ctx_hex.empty()) {
            ctx = kring::parse_hex(ctx_hex, "--ctx");
        } else if (!ctx_file.empty()) {
            std::ifstream in(ctx_file, std::ios::binary);
            if (!in)
                throw std::invalid_argument("cannot read " + ctx_file);
            for (char c; in.get(c);)
                ctx.push_back(static_cast<std::byte>(c));
        }
        obj = vm.count("raw") ? kring::bpf::load_raw(file)
                              : kring::bpf::load_elf(file, settings.settings());
    } catch (const std::exception& e) {
        std::cerr << "kring-run: " << e.what() << "\n" << opts;
        return 2;
    }
    kring::bpf::Program* prog = nullptr;
    for (auto& p : obj.programs)
        if (!prog && (section.empty() || p.section == section))
            prog = &p;
    if (!prog) {
        std::cerr << "kring-run: " << file << ": no program in section " << section << "\n";
        return 2;
    }
    // The attach point's context, as the module would give it; a program
    // without one gets the bytes it is given.
    std::string why;
    kring::ProgramContext context;
    try {
        context = kring::context_of(*prog, attach, std::nullopt, settings.settings().target_btf);
        if (ctx_given && ctx.size() != context.size)
            why = "the context is " + std::to_string(ctx.size()) + " bytes, " +
                  context.description + "'s is " + std::to_string(context.size);
        else if (!ctx_given && !vm["ctx-size"].defaulted() && ctx_size != context.size)
            why = "--ctx-size " + std::to_string(ctx_size) + ": " + context.description +
                  "'s context is " + std::to_string(context.size) + " bytes";
        else
            ctx.resize(context.size);
    } catch (const kring::Error& e) {
        // An attach point named, but its context not to be had (a tp_btf
        // program without the kernel's BTF, say).
        if (!attach.empty() || kring::attach_type_of_section(prog->section))
            why = e.what();
        else if (!ctx_given)
            ctx.resize(ctx_size);
    }
    if (!why.empty()) {
        std::cerr << "kring-run: " << prog->section << ": " << why << "\n";
        return 2;
    }
    kring::bpf::VerifyOptions options;
    options.ctx = context.desc();
    options.ctx.size = static_cast<uint32_t>(ctx.size());
    options.btf = context.kernel_btf();
    // Verified, and runnable in the interpreter, which takes tail calls
    // from a program's main function only (the module's JIT takes them in
    // called functions too).
    auto runnable = [&](kring::bpf::Program& p, const std::string& what) {
        auto verdict = kring::bpf::verify(p, obj.maps, options);
        if (verdict.error) {
            std::cerr << "kring-run: " << what << ": rejected by the verifier\n" << verdict.log;
            return false;
        }
        if (verdict.stats.tail_calls_in_callees) {
            std::cerr << "kring-run: " << what
                      << ": tail_calls are not allowed in non-JITed programs with bpf-to-bpf "
                         "calls: a called function tail-calls, which only the module's JIT runs\n";
            return false;
        }
        // Loads through kernel struct pointers, as the module runs them.
        kring::bpf::mark_probe_loads(p, verdict);
        return true;
    };
    if (!runnable(*prog, prog->section))
        return 1;
    // The programs the prog arrays' slots run too: a tail call runs them.
    for (auto& target : obj.programs) {
        if (obj.in_slot(target.name) && &target != prog &&
            !runnable(target, target.section + " (" + target.name + ", a prog array's)"))
            return 1;
    }
    bool json = vm.count("json") > 0;
    kring::bpf::Runtime runtime(obj.maps);
    runtime.fill_slots(obj.programs);
    // bpf_printk's lines as they come, as trace_pipe shows the module's.
    runtime.on_trace_printk([json](std::string_view line) {
        if (json)
            std::cout << "{\"trace_printk\":" << kring::json_string(line) << "}\n";
        else
            std::cout << "bpf_trace_printk: " << line << "\n";
    });
    // A perf buffer's samples as they come, printed as records are.
    runtime.on_perf_sample([&obj, json](size_t map, std::span<const std::byte> sample) {
        print_record(obj.maps[map].name, sample, json);
    });
    uint64_t r0 = 0;
    try {
        for (uint64_t i = 0; i < repeat; i++)
            r0 = runtime.run(*prog, ctx);
    } catch (const kring::Error& e) {
        std::cerr << "kring-run: " << e.what() << "\n";
        return 2;
    }
    if (json)
        std::cout << "{\"r0\":" << r0 << "}\n";
    else
        std::cout << "r0 = " << r0 << " (0x" << std::hex << r0 << std::dec << ")\n";
    kring::Consumer consumer;
    for (size_t i = 0; i < obj.maps.size(); i++) {
        if (!obj.maps[i].is_ring())
            continue;
        const std::string& name = obj.maps[i].name;
        consumer.add(runtime.ring(i).view(), runtime.ring(i).wake_fd(),
                     [&name, json](std::span<const std::byte> record) {
                         print_record(name, record, json);
                         return 0;
                     });
    }
    consumer.consume();
    if (vm.count("maps"))
        print_maps(obj, runtime, json);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const kring::Error& e) {
        std::cerr << "kring-run: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "kring-run: " << kring::describe_unexpected(e) << "\n";
        return 1;
    }
}
