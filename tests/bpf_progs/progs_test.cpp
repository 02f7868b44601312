// Programs written in C and compiled with clang (progs.bpf.c, rejected.bpf.c):
// loaded from ELF, verified, and run in the interpreter against userspace
// rings, checking R0 and the records they produce.
#include <algorithm>
#include <array>
#include <bpf/libbpf.h>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fstream>
#include <gelf.h>
#include <kring/bpfload.hpp>
#include <kring/kconfig.hpp>
#include <kring/program.hpp>
#include <map>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>
#include <zlib.h>

namespace {

struct TestCtx {
    uint32_t a, b;
    uint8_t bytes[32];
};

struct Event {
    uint32_t a, b;
    uint64_t sum;
};

const kring::bpf::Program& find(const kring::bpf::Object& obj, const std::string& section) {
    for (const auto& p : obj.programs)
        if (p.section == section)
            return p;
    FAIL("no program in " << section);
    throw 0;
}

const kring::bpf::Program& find_named(const kring::bpf::Object& obj, const std::string& name) {
    for (const auto& p : obj.programs)
        if (p.name == name)
            return p;
    FAIL("no program " << name);
    throw 0;
}

kring::bpf::VerifyOptions ctx_options() {
    kring::bpf::VerifyOptions o;
    o.ctx.size = sizeof(TestCtx);
    return o;
}

// Verifies the program of `section` (it must be accepted) and runs it once
// in `rt` on a zeroed context: its R0.
uint64_t verify_and_run(const kring::bpf::Object& obj, const std::string& section,
                        kring::bpf::Runtime& rt) {
    const auto& prog = find(obj, section);
    auto v = kring::bpf::verify(prog, obj.maps, ctx_options());
    INFO(v.log);
    REQUIRE(v.error == 0);
    TestCtx ctx{};
    return rt.run(prog, std::as_writable_bytes(std::span(&ctx, 1)));
}

std::vector<Event> drain(kring::bpf::Runtime& rt) {
    std::vector<Event> events;
    kring::Consumer consumer;
    consumer.add(rt.ring(0).view(), rt.ring(0).wake_fd(), [&](std::span<const std::byte> rec) {
        REQUIRE(rec.size() == sizeof(Event));
        Event e;
        std::memcpy(&e, rec.data(), sizeof(e));
        events.push_back(e);
        return 0;
    });
    consumer.consume();
    return events;
}

} // namespace

TEST_CASE("the ELF object: its ring, its programs, func-info for the calls") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/progs.bpf.o");
    REQUIRE(obj.maps.size() == 1);
    CHECK(obj.maps[0].name == "events");
    CHECK(obj.maps[0].max_entries == 4096);
    CHECK(obj.programs.size() == 6);
    const auto& calls = find(obj, "kring/calls");
    REQUIRE(calls.func_info.size() == 3); // the program, twice (static), add_ten (global)
    CHECK(calls.func_info[1].linkage == KRING_FUNC_STATIC);
    CHECK(calls.func_info[2].linkage == KRING_FUNC_GLOBAL);
    CHECK(calls.func_info[2].nr_args == 1);
    CHECK(calls.func_info[2].arg_kinds[0] == KRING_ARG_SCALAR);
    // fill_global(struct event *e, __u32 a, __u32 b): e is memory of
    // sizeof(struct event), as Linux types it.
    const auto& global_ptr = find(obj, "kring/global_ptr");
    REQUIRE(global_ptr.func_info.size() == 2);
    const kring_func_info& fill = global_ptr.func_info[1];
    CHECK(fill.linkage == KRING_FUNC_GLOBAL);
    CHECK(fill.nr_args == 3);
    CHECK(fill.arg_kinds[0] == KRING_ARG_MEM);
    CHECK(fill.arg_mem_size[0] == sizeof(Event));
    CHECK(fill.arg_kinds[1] == KRING_ARG_SCALAR);
    CHECK(fill.arg_mem_size[1] == 0);
}

TEST_CASE("every program is accepted, and runs as written") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/progs.bpf.o");
    for (const auto& prog : obj.programs) {
        CAPTURE(prog.section);
        auto v = kring::bpf::verify(prog, obj.maps, ctx_options());
        INFO(v.log);
        CHECK(v.error == 0);
        CHECK(v.log.find("processed ") != std::string::npos);
    }
    kring::bpf::Runtime rt(obj.maps);
    TestCtx ctx{5, 7, {}};
    for (int i = 0; i < 32; i++)
        ctx.bytes[i] = static_cast<uint8_t>(i);
    auto bytes = std::as_writable_bytes(std::span(&ctx, 1));

    SUBCASE("reserve, fill, submit") {
        CHECK(rt.run(find(obj, "kring/reserve_submit"), bytes) == 0);
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].a == 5);
        CHECK(events[0].b == 7);
        CHECK(events[0].sum == 12);
    }
    SUBCASE("output from the stack") {
        CHECK(rt.run(find(obj, "kring/output_stack"), bytes) == 0);
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].a == 7);
        CHECK(events[0].sum == 7);
    }
    SUBCASE("a bounded loop") {
        CHECK(rt.run(find(obj, "kring/loop_sum"), bytes) == 496); // 0 + 1 + ... + 31
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].sum == 496);
    }
    SUBCASE("a static and a global function") {
        CHECK(rt.run(find(obj, "kring/calls"), bytes) == 20); // 5 * 2 + 10
    }
    SUBCASE("a global function given the stack, a record and NULL") {
        // An int: the upper half of r0 is not the program's.
        CHECK(static_cast<uint32_t>(rt.run(find(obj, "kring/global_ptr"), bytes)) == 9);
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].a == 7);   // e.b
        CHECK(events[0].b == 112); // e.sum: 5 + 7 + 100
        CHECK(events[0].sum == 7 + 112 + 100);
    }
    SUBCASE("a static function that returns nothing") {
        CHECK(rt.run(find(obj, "kring/void_call"), bytes) == 0);
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].a == 5);
        CHECK(events[0].b == 7);
        CHECK(events[0].sum == 35);
    }
    SUBCASE("a full ring drops, and the program sees the error") {
        for (int i = 0; i < 200; i++)
            rt.run(find(obj, "kring/reserve_submit"), bytes);
        // 4096 bytes hold 170 records of 24 bytes (8 header + 16).
        CHECK(drain(rt).size() == 170);
    }
}

TEST_CASE("a global function's pointer argument: the context by its struct's name, else memory "
          "of the struct's size") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/global_args.bpf.o");
    // on_kprobe calls regs_first (struct pt_regs *) and pair_sum (struct pair *).
    const auto& kprobe = find(obj, "kprobe/do_nanosleep");
    REQUIRE(kprobe.func_info.size() == 3);
    for (size_t f = 1; f < 3; f++) {
        const kring_func_info& fi = kprobe.func_info[f];
        CAPTURE(f);
        CHECK(fi.linkage == KRING_FUNC_GLOBAL);
        REQUIRE(fi.nr_args == 1);
        bool ctx = fi.arg_kinds[0] == KRING_ARG_CTX;
        bool pair = fi.arg_kinds[0] == KRING_ARG_MEM && fi.arg_mem_size[0] == 16;
        CHECK(ctx != pair);
    }
    CHECK(kprobe.func_info[1].arg_kinds[0] != kprobe.func_info[2].arg_kinds[0]);
    // kring's own contexts by their struct's name too.
    const auto& sys_enter = find(obj, "kring/sys_enter");
    REQUIRE(sys_enter.func_info.size() == 2);
    CHECK(sys_enter.func_info[1].arg_kinds[0] == KRING_ARG_CTX);
    for (const char* section : {"kprobe/do_nanosleep", "kring/sys_enter"}) {
        CAPTURE(section);
        kring::bpf::VerifyOptions o;
        o.ctx.size = kring::context_size(kring::attach_type_of_section(section));
        auto v = kring::bpf::verify(find(obj, section), obj.maps, o);
        INFO(v.log);
        CHECK(v.error == 0);
    }
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/global_void.bpf.o"),
                         doctest::Contains("global_void.bpf.o: global function first_byte: "
                                           "argument 1 points to void, whose size is unknown: a "
                                           "global function's pointer argument is the context "
                                           "(struct pt_regs *) or memory of a known size, as in "
                                           "Linux"),
                         kring::Error);
}

TEST_CASE("the rejected program is rejected for its leak, not for something else") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/rejected.bpf.o");
    REQUIRE(obj.programs.size() == 1);
    kring::bpf::VerifyOptions o;
    o.ctx.size = 4;
    auto v = kring::bpf::verify(obj.programs[0], obj.maps, o);
    CHECK(v.error == -EACCES);
    CHECK(v.log.find("unreleased ring record reserved at insn") != std::string::npos);
}

TEST_CASE("bad files give clear errors") {
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf("/nonexistent.o"), doctest::Contains("cannot open"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf("/etc/hostname"),
                         doctest::Contains("not an ELF file"), kring::Error);
}

TEST_CASE("a ring's record type is declared only as KRING_RECORD_TYPE does it, for a struct "
          "in BTF") {
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/undescribed.bpf.o"),
                         doctest::Contains("undescribed.bpf.o: ring samples: its records are "
                                           "declared as struct sample, which the object's BTF "
                                           "does not describe (clang describes a struct there if "
                                           "a global uses it: KRING_RECORD_BTF(sample))"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/misplaced.bpf.o"),
                         doctest::Contains("misplaced.bpf.o: kring.record:sample is not on a map "
                                           "in .maps (KRING_RECORD_TYPE goes after the map's "
                                           "name)"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(
        kring::bpf::load_elf(BPF_OBJ_DIR "/two_types.bpf.o"),
        doctest::Contains("two_types.bpf.o: map samples declares two record types"), kring::Error);
    // A ring without the tag has no record type.
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/progs.bpf.o");
    CHECK(obj.maps.at(0).record_type.empty());
    CHECK(obj.maps.at(0).record_size == 0);
}

namespace {

// progs.bpf.o with something broken in it, as a file of its own: the
// loader and every tool must say what is wrong and name the file.
class BrokenObject {
public:
    explicit BrokenObject(const std::string& what) : path_("/tmp/kring-" + what + "-XXXXXX") {
        int in = ::open(BPF_OBJ_DIR "/progs.bpf.o", O_RDONLY | O_CLOEXEC);
        REQUIRE(in >= 0);
        char buf[4096];
        for (ssize_t n; (n = ::read(in, buf, sizeof(buf))) > 0;)
            bytes_.insert(bytes_.end(), buf, buf + n);
        ::close(in);
        REQUIRE(bytes_.size() > sizeof(Elf64_Ehdr));
    }
    ~BrokenObject() {
        if (written_)
            ::unlink(path_.c_str());
    }
    BrokenObject(const BrokenObject&) = delete;
    BrokenObject& operator=(const BrokenObject&) = delete;

    Elf64_Shdr& section(const std::string& name) {
        const Elf64_Shdr& names = section_at(header().e_shstrndx);
        for (uint16_t i = 0; i < header().e_shnum; i++)
            if (name == string_at(names, section_at(i).sh_name))
                return section_at(i);
        FAIL("progs.bpf.o has no section " << name);
        throw 0;
    }
    Elf64_Sym& symbol(const std::string& name) {
        const Elf64_Shdr& symtab = section(".symtab");
        auto* syms = reinterpret_cast<Elf64_Sym*>(bytes_.data() + symtab.sh_offset);
        for (size_t i = 0; i < symtab.sh_size / sizeof(Elf64_Sym); i++)
            if (name == string_at(section_at(symtab.sh_link), syms[i].st_name))
                return syms[i];
        FAIL("progs.bpf.o has no symbol " << name);
        throw 0;
    }
    Elf64_Rel& first_relocation(const std::string& rel_section) {
        return *reinterpret_cast<Elf64_Rel*>(bytes_.data() + section(rel_section).sh_offset);
    }

    // Writes the bytes as they are now; the file's path.
    const std::string& write() {
        int fd = ::mkstemp(path_.data());
        REQUIRE(fd >= 0);
        written_ = true;
        REQUIRE(::write(fd, bytes_.data(), bytes_.size()) == static_cast<ssize_t>(bytes_.size()));
        ::close(fd);
        return path_;
    }

private:
    Elf64_Ehdr& header() { return *reinterpret_cast<Elf64_Ehdr*>(bytes_.data()); }
    Elf64_Shdr& section_at(size_t index) {
        return reinterpret_cast<Elf64_Shdr*>(bytes_.data() + header().e_shoff)[index];
    }
    std::string string_at(const Elf64_Shdr& table, uint32_t offset) const {
        return bytes_.data() + table.sh_offset + offset;
    }

    std::string path_;
    std::vector<char> bytes_;
    bool written_ = false;
};

// A tool's exit status and everything it printed (stdout and stderr).
std::string run_tool(const std::string& command, int* status) {
    std::string out;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe);
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe))
        out.append(buf, n);
    int st = ::pclose(pipe);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

} // namespace

TEST_CASE("a malformed object is refused, saying what is wrong in which file") {
    BrokenObject relocation("bad-relocation");
    const uint32_t type = ELF64_R_TYPE(relocation.first_relocation(".relkring/calls").r_info);
    relocation.first_relocation(".relkring/calls").r_info = ELF64_R_INFO(4000, type);
    const std::string& bad_relocation = relocation.write();
    const std::string expected = bad_relocation +
                                 ": relocation 0 in .relkring/calls names symbol 4000, past the "
                                 "end of the symbol table";
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(bad_relocation), doctest::Contains(expected.c_str()),
                         kring::Error);

    BrokenObject symtab("bad-symtab");
    symtab.section(".symtab").sh_entsize = 0;
    CHECK_THROWS_WITH_AS(
        kring::bpf::load_elf(symtab.write()),
        doctest::Contains(": malformed symbol table .symtab: entries of 0 bytes, not 24"),
        kring::Error);

    BrokenObject outside("bad-function");
    outside.symbol("calls").st_size = 4096;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(outside.write()),
                         doctest::Contains(": function calls (512 instructions from 0) does "
                                           "not fit in its section kring/calls"),
                         kring::Error);

    BrokenObject far_text("bad-text-function");
    far_text.symbol("add_ten").st_value = 8 * 1000;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(far_text.write()),
                         doctest::Contains(": function add_ten (3 instructions from 1000) "
                                           "does not fit in its section .text"),
                         kring::Error);

    BrokenObject cut_section("cut-section");
    cut_section.section("kring/calls").sh_size = 1ULL << 40;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(cut_section.write()),
                         doctest::Contains(": section kring/calls: its 1099511627776 bytes are "
                                           "not in the file"),
                         kring::Error);

    // The tools say the same, with their exit status for bad input, and
    // never an exception's raw text.
    for (const auto& [command, status] : {std::pair{std::string(KRING_VERIFY), 2},
                                          {std::string(KRINGCTL) + " verify", 2},
                                          {std::string(KRING_RUN), 2},
                                          {std::string(KRINGCTL) + " run", 1}}) {
        CAPTURE(command);
        int got = -1;
        std::string out = run_tool(command + " " + bad_relocation, &got);
        CHECK(got == status);
        CHECK(out.find(expected) != std::string::npos);
        CHECK(out.find("vector") == std::string::npos);
        CHECK(out.find("terminate") == std::string::npos);
    }
}

TEST_CASE("a map type kring does not take is refused, its type named as Linux names it") {
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/queue_map.bpf.o"),
                         doctest::Contains("map pending: type 22 (BPF_MAP_TYPE_QUEUE) is "
                                           "not supported"),
                         kring::Error);
    CHECK(kring::describe_bpf_map_type(27) == "27 (BPF_MAP_TYPE_RINGBUF)");
    CHECK(kring::describe_bpf_map_type(31) == "31 (BPF_MAP_TYPE_USER_RINGBUF)"); // 6.1's last
    CHECK(kring::describe_bpf_map_type(32) == "32");
}

TEST_CASE("an extern other than __kconfig (a __ksym) is refused, named") {
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/ksym.bpf.o"),
                         doctest::Contains("ksym: reference to bpf_prog_active: not a map or "
                                           "global data (function pointers and externs other "
                                           "than __kconfig are not supported)"),
                         kring::Error);
}

namespace {

kring::bpf::Object load_globals(std::map<std::string, std::string> globals = {}) {
    kring::bpf::ObjectSettings settings;
    settings.max_entries["big"] = 8192;
    settings.globals = std::move(globals);
    return kring::bpf::load_elf(BPF_OBJ_DIR "/globals.bpf.o", settings);
}

const kring::bpf::GlobalVar& var(const kring::bpf::MapDecl& decl, const std::string& name) {
    for (const auto& v : decl.vars)
        if (v.name == name)
            return v;
    FAIL("no variable " << name << " in " << decl.name);
    throw 0;
}

template <typename T>
T value_of(const kring::bpf::MapDecl& decl, const std::string& name) {
    T out;
    REQUIRE(var(decl, name).size == sizeof(T));
    std::memcpy(&out, decl.data.data() + var(decl, name).offset, sizeof(T));
    return out;
}

template <typename T>
T value_in(kring::bpf::Runtime& rt, const kring::bpf::Object& obj, const std::string& section,
           const std::string& name) {
    size_t index = obj.map_index(section);
    uint32_t zero = 0;
    T out;
    std::memcpy(&out, rt.map(index).lookup(&zero) + var(obj.maps[index], name).offset, sizeof(T));
    return out;
}

} // namespace

TEST_CASE("global data and maps: each map as libbpf declares it, each section a one-entry array") {
    auto obj = load_globals();
    std::vector<std::string> names;
    for (const auto& m : obj.maps)
        names.push_back(m.name);
    CHECK(names ==
          std::vector<std::string>{"counts", "big", ".rodata", ".data", ".rodata.cst16", ".bss"});
    const auto& counts = obj.maps[obj.map_index("counts")];
    CHECK(counts.type == BPF_MAP_TYPE_HASH);
    CHECK(counts.key_size == 4);
    CHECK(counts.value_size == 8);
    CHECK(counts.max_entries == 64);
    CHECK(obj.maps[obj.map_index("big")].max_entries == 8192);
    const auto& rodata = obj.maps[obj.map_index(".rodata")];
    CHECK(rodata.type == BPF_MAP_TYPE_ARRAY);
    CHECK(rodata.max_entries == 1);
    CHECK(rodata.flags == BPF_F_RDONLY_PROG);
    CHECK(rodata.is_frozen());
    CHECK(value_of<uint32_t>(rodata, "threshold") == 10);
    CHECK(value_of<uint64_t>(rodata, "scale") == 1);
    const auto& data = obj.maps[obj.map_index(".data")];
    CHECK_FALSE(data.is_frozen());
    CHECK(value_of<uint64_t>(data, "runs") == 100);
    const auto& bss = obj.maps[obj.map_index(".bss")];
    CHECK(bss.flags == 0);
    CHECK(bss.value_size == 16);
    CHECK(value_of<uint64_t>(bss, "over") == 0);
    CHECK_THROWS_WITH_AS(obj.map_index("nope"),
                         doctest::Contains("no map nope (the object's maps: counts, big, .rodata"),
                         kring::Error);
}

TEST_CASE("global data: --max-entries and --set, and what is wrong with them") {
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/globals.bpf.o"),
                         doctest::Contains("map big: max_entries is 0, left to the loader: give "
                                           "it with --max-entries big=N"),
                         kring::Error);
    auto set = load_globals({{"threshold", "0x20"}, {"scale", "-3"}, {"runs", "7"}});
    CHECK(value_of<uint32_t>(set.maps[set.map_index(".rodata")], "threshold") == 32);
    CHECK(value_of<int64_t>(set.maps[set.map_index(".rodata")], "scale") == -3);
    CHECK(value_of<uint64_t>(set.maps[set.map_index(".data")], "runs") == 7);
    CHECK_THROWS_WITH_AS(load_globals({{"threshold", "4294967296"}}),
                         doctest::Contains("--set threshold=4294967296: not an integer of 4 bytes"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(load_globals({{"threshold", "ten"}}),
                         doctest::Contains("not an integer of 4 bytes"), kring::Error);
    CHECK_THROWS_WITH_AS(load_globals({{"count.weights", "1"}}),
                         doctest::Contains("a variable of 16 bytes"), kring::Error);
    CHECK_THROWS_WITH_AS(load_globals({{"missing", "1"}}),
                         doctest::Contains("--set missing: the object has no global variable"),
                         kring::Error);
    kring::bpf::ObjectSettings settings;
    settings.max_entries["big"] = 5000;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/globals.bpf.o", settings),
                         doctest::Contains("ring big: max_entries 5000 must be a power of two"),
                         kring::Error);
    settings.max_entries["nope"] = 1;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/globals.bpf.o", settings),
                         doctest::Contains("--max-entries nope: the object has no map nope"),
                         kring::Error);
    kring::bpf::ObjectSettings parsed;
    kring::bpf::parse_max_entries({"big=0x2000"}, &parsed);
    CHECK(parsed.max_entries.at("big") == 8192);
    CHECK_THROWS_WITH_AS(kring::bpf::parse_max_entries({"big"}, &parsed),
                         doctest::Contains("--max-entries takes NAME=VALUE, not big"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::parse_max_entries({"big=-1"}, &parsed),
                         doctest::Contains("the count is from 1 to 4294967295"), kring::Error);
}

TEST_CASE("a stack map's value size and entries left to the loader: --value-size, --max-entries") {
    const std::string path = BPF_OBJ_DIR "/stack_sizes.bpf.o";
    kring::bpf::ObjectSettings settings;
    settings.max_entries["stackmap"] = 64;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(path, settings),
                         doctest::Contains("map stackmap: no value type (__type(value, T)), or a "
                                           "value size left to the loader: give it with "
                                           "--value-size stackmap=N"),
                         kring::Error);
    kring::bpf::parse_value_sizes({"stackmap=1016"}, &settings);
    kring::bpf::Object obj = kring::bpf::load_elf(path, settings);
    const kring::bpf::MapDecl& stackmap = obj.maps.at(obj.map_index("stackmap"));
    CHECK(stackmap.type == BPF_MAP_TYPE_STACK_TRACE);
    CHECK(stackmap.key_size == 4);
    CHECK(stackmap.value_size == 1016);
    CHECK(stackmap.max_entries == 64);
    kring::bpf::VerifyOptions options; // with CAP_PERFMON, as get_stackid needs
    options.ctx.size = 168;            // struct pt_regs, a kprobe's context
    kring::bpf::Verdict v =
        kring::bpf::verify(find(obj, "kprobe/__x64_sys_getppid"), obj.maps, options);
    INFO(v.log);
    CHECK(v.error == 0);
    settings.value_sizes["nope"] = 8;
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(path, settings),
                         doctest::Contains("--value-size nope: the object has no map nope"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::parse_value_sizes({"stackmap=0"}, &settings),
                         doctest::Contains("--value-size stackmap=0: the size is from 1 to "
                                           "4294967295"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(BPF_OBJ_DIR "/queue_map.bpf.o", settings),
                         doctest::Contains("type 22 (BPF_MAP_TYPE_QUEUE) is not supported"),
                         kring::Error);
}

TEST_CASE("global data: programs count in maps and globals, read .rodata and its constant table") {
    auto obj = load_globals({{"threshold", "6"}, {"scale", "3"}});
    const auto& count = find(obj, "kring/count");
    auto v = kring::bpf::verify(count, obj.maps, ctx_options());
    INFO(v.log);
    REQUIRE(v.error == 0);
    kring::bpf::Runtime rt(obj.maps);
    for (uint32_t run = 0; run < 10; run++) {
        TestCtx ctx{run % 4 + 5, run, {}}; // a = 5..8, b = run
        REQUIRE(rt.run(count, std::as_writable_bytes(std::span(&ctx, 1))) == 0);
    }
    CHECK(value_in<uint64_t>(rt, obj, ".data", "runs") == 110);
    CHECK(value_in<uint64_t>(rt, obj, ".bss", "over") == 4); // a = 7 or 8: runs 2, 3, 6, 7
    // The last run: a = 6 (run 9), weights[9 & 3] = 5: 6 * 3 + 5.
    CHECK(value_in<uint64_t>(rt, obj, ".bss", "last_sum") == 23);
    auto& counts = rt.map(obj.map_index("counts"));
    std::map<uint32_t, uint64_t> got;
    for (const auto& [key, value] : counts.entries()) {
        uint32_t k;
        uint64_t n;
        std::memcpy(&k, key.data(), 4);
        std::memcpy(&n, value.data(), 8);
        got[k] = n;
    }
    CHECK(got == std::map<uint32_t, uint64_t>{{5, 3}, {6, 3}, {7, 2}, {8, 2}});
    int records = 0;
    kring::Consumer consumer;
    size_t big = obj.map_index("big");
    consumer.add(rt.ring(big).view(), rt.ring(big).wake_fd(), [&](std::span<const std::byte> r) {
        REQUIRE(r.size() == 16);
        uint32_t a, weight;
        std::memcpy(&a, r.data(), 4);
        std::memcpy(&weight, r.data() + 4, 4);
        const uint32_t weights[4] = {3, 5, 7, 11};
        CHECK(a == static_cast<uint32_t>(records) % 4 + 5);
        CHECK(weight == weights[records & 3]);
        records++;
        return 0;
    });
    consumer.consume();
    CHECK(records == 10);
}

TEST_CASE("global data: a loop bounded by a .rodata value verifies, with the value --set gives") {
    for (uint32_t loops : {0U, 5U, 100U}) {
        CAPTURE(loops);
        auto obj = load_globals({{"loops", std::to_string(loops)}});
        kring::bpf::Runtime rt(obj.maps);
        CHECK(verify_and_run(obj, "kring/loop", rt) == loops * (loops - 1) / 2);
    }
    // Unfrozen, the same bytes bound nothing the verifier knows.
    auto obj = load_globals({{"loops", "5"}});
    obj.maps[obj.map_index(".rodata")].flags = 0;
    auto v = kring::bpf::verify(find(obj, "kring/loop"), obj.maps, ctx_options());
    CHECK(v.error != 0);
}

namespace {

kring::bpf::Object load_kconfig(const std::string& config) {
    kring::bpf::ObjectSettings settings;
    settings.kconfig = config;
    return kring::bpf::load_elf(BPF_OBJ_DIR "/kconfig.bpf.o", settings);
}

uint64_t run_kconfig(const kring::bpf::Object& obj, const std::string& section) {
    kring::bpf::Runtime rt(obj.maps);
    return verify_and_run(obj, section, rt);
}

// A configuration file with kconfig.config's lines, each of `replace`
// (NAME: the whole line, "" to drop it) instead of the line for NAME.
std::string config_with(const std::map<std::string, std::string>& replace) {
    std::ifstream in(KRING_TEST_KCONFIG);
    std::string text, line;
    while (std::getline(in, line)) {
        auto it = replace.find(line.substr(0, line.find('=')));
        if (it == replace.end())
            text += line + "\n";
        else if (!it->second.empty())
            text += it->second + "\n";
    }
    char path[] = "/tmp/kring-kconfig-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
    return path;
}

bool running_kernel_has_syscall_wrapper() {
    std::ifstream kallsyms("/proc/kallsyms");
    std::string line;
    while (std::getline(kallsyms, line))
        if (line.ends_with(" __x64_sys_bpf"))
            return true;
    return false;
}

} // namespace

TEST_CASE("__kconfig externs: each type filled from the configuration as libbpf fills it") {
    auto obj = load_kconfig(KRING_TEST_KCONFIG);
    const auto& kconfig = obj.maps[obj.map_index(".kconfig")];
    CHECK(kconfig.type == BPF_MAP_TYPE_ARRAY);
    CHECK(kconfig.max_entries == 1);
    CHECK(kconfig.is_frozen());
    CHECK(value_of<uint32_t>(kconfig, "LINUX_KERNEL_VERSION") ==
          kring::bpf::running_kernel_version());
    CHECK(value_of<uint8_t>(kconfig, "LINUX_HAS_SYSCALL_WRAPPER") ==
          running_kernel_has_syscall_wrapper());
    CHECK(value_of<uint8_t>(kconfig, "LINUX_HAS_BPF_COOKIE") == 1);
    CHECK(value_of<uint8_t>(kconfig, "CONFIG_KRING_BOOL") == 1);
    CHECK(value_of<uint32_t>(kconfig, "CONFIG_KRING_TRISTATE") == 2); // TRI_MODULE
    CHECK(value_of<char>(kconfig, "CONFIG_KRING_CHAR") == 'y');
    CHECK(value_of<int32_t>(kconfig, "CONFIG_KRING_HZ") == 250);
    CHECK(value_of<int64_t>(kconfig, "CONFIG_KRING_NEGATIVE") == -1000);
    CHECK(value_of<uint16_t>(kconfig, "CONFIG_KRING_SHORT") == 0xffff);
    CHECK(value_of<std::array<char, 8>>(kconfig, "CONFIG_KRING_STRING") ==
          std::array<char, 8>{'k', 'r', 'i', 'n', 'g', '-', 's', 0}); // cut to fit
    CHECK(value_of<uint8_t>(kconfig, "CONFIG_KRING_ABSENT") == 0);
    CHECK(value_of<int32_t>(kconfig, "CONFIG_KRING_ABSENT_INT") == 0);
    // Each at an offset aligned for its type, none overlapping another.
    for (const auto& [name, align] : std::map<std::string, uint32_t>{{"CONFIG_KRING_NEGATIVE", 8},
                                                                     {"CONFIG_KRING_HZ", 4},
                                                                     {"CONFIG_KRING_TRISTATE", 4},
                                                                     {"LINUX_KERNEL_VERSION", 4},
                                                                     {"CONFIG_KRING_SHORT", 2}})
        CHECK(var(kconfig, name).offset % align == 0);
    std::vector<kring::bpf::GlobalVar> vars = kconfig.vars;
    std::ranges::sort(vars, {}, &kring::bpf::GlobalVar::offset);
    for (size_t i = 0; i + 1 < vars.size(); i++)
        CHECK(vars[i].offset + vars[i].size <= vars[i + 1].offset);
    CHECK(vars.back().offset + vars.back().size == kconfig.value_size);
    CHECK(run_kconfig(obj, "kring/version") == kring::bpf::running_kernel_version());
    CHECK(run_kconfig(obj, "kring/sum") == 250 - 1000 + 0xffff);
    CHECK(run_kconfig(obj, "kring/flags") == (1 | 2 | 4 | 16 | 'r' << 8));
    CHECK(run_kconfig(obj, "kring/dead_code") == running_kernel_has_syscall_wrapper());
    // Unfrozen, the same bytes tell the verifier nothing: the call is live.
    obj.maps[obj.map_index(".kconfig")].flags = 0;
    auto v = kring::bpf::verify(find(obj, "kring/dead_code"), obj.maps, ctx_options());
    CHECK(v.error == -EINVAL);
    CHECK(v.log.find("unknown helper 999") != std::string::npos);
}

TEST_CASE("__kconfig externs: a gzip'd configuration, as /proc/config.gz") {
    char path[] = "/tmp/kring-kconfig-gz-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ifstream in(KRING_TEST_KCONFIG);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gzFile gz = gzopen(path, "wb");
    REQUIRE(gz);
    REQUIRE(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) ==
            static_cast<int>(text.size()));
    REQUIRE(gzclose(gz) == Z_OK);
    auto obj = load_kconfig(path);
    ::unlink(path);
    CHECK(value_of<int32_t>(obj.maps[obj.map_index(".kconfig")], "CONFIG_KRING_HZ") == 250);
    CHECK(run_kconfig(obj, "kring/sum") == 250 - 1000 + 0xffff);
}

TEST_CASE("__kconfig externs: a value the extern cannot take is refused, naming it") {
    const std::pair<std::map<std::string, std::string>, std::string> cases[] = {
        {{{"CONFIG_KRING_BOOL", ""}},
         "__kconfig extern CONFIG_KRING_BOOL is not set in /tmp/kring-kconfig-"},
        {{{"CONFIG_KRING_BOOL", "CONFIG_KRING_BOOL=m"}},
         "__kconfig extern CONFIG_KRING_BOOL is m (a module), which a bool cannot say"},
        {{{"CONFIG_KRING_SHORT", "CONFIG_KRING_SHORT=70000"}},
         "__kconfig extern CONFIG_KRING_SHORT = 70000: does not fit in 2 unsigned bytes"},
        {{{"CONFIG_KRING_HZ", "CONFIG_KRING_HZ=2147483648"}},
         "__kconfig extern CONFIG_KRING_HZ = 2147483648: does not fit in 4 signed bytes"},
        {{{"CONFIG_KRING_HZ", "CONFIG_KRING_HZ=\"fast\""}},
         "__kconfig extern CONFIG_KRING_HZ is a string, which needs a char array"},
        {{{"CONFIG_KRING_TRISTATE", "CONFIG_KRING_TRISTATE=12"}},
         "__kconfig extern CONFIG_KRING_TRISTATE = 12: a number, but the extern is not an "
         "integer, char or bool"},
        {{{"CONFIG_KRING_STRING", "CONFIG_KRING_STRING=y"}},
         "__kconfig extern CONFIG_KRING_STRING is y, which needs a bool, tristate or char"},
        {{{"CONFIG_KRING_CHAR", "CONFIG_KRING_CHAR=yes"}},
         "__kconfig extern CONFIG_KRING_CHAR = yes: not y, n, m, a number or a string"},
    };
    for (const auto& [replace, message] : cases) {
        std::string path = config_with(replace);
        CAPTURE(message);
        CHECK_THROWS_WITH_AS(load_kconfig(path), doctest::Contains(message.c_str()), kring::Error);
        ::unlink(path.c_str());
    }
    try {
        load_kconfig("/nonexistent/config");
        FAIL("loaded without a configuration");
    } catch (const kring::Error& e) {
        CHECK(e.code().value() == ENOENT);
        CHECK(std::string(e.what()).find(
                  "cannot read the kernel's configuration (/nonexistent/config) for the "
                  "__kconfig extern CONFIG_KRING_ABSENT; --kconfig gives a file") !=
              std::string::npos);
    }
}

TEST_CASE("LINUX_KERNEL_VERSION: the sublevel Debian and Ubuntu keep out of the release") {
    auto version = [](unsigned a, unsigned b, unsigned c) {
        return a << 16 | b << 8 | c;
    };
    CHECK(kring::bpf::kernel_version_code("6.1.0-57-amd64",
                                          "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)",
                                          "") == version(6, 1, 158));
    CHECK(kring::bpf::kernel_version_code("5.15.0-91-generic", "#101-Ubuntu SMP",
                                          "Ubuntu 5.15.0-91.101-generic 5.15.131") ==
          version(5, 15, 131));
    CHECK(kring::bpf::kernel_version_code("6.18.44-fc", "#1 SMP", "") == version(6, 18, 44));
    // Linux's KERNEL_VERSION() keeps the sublevel under 256.
    CHECK(kring::bpf::kernel_version_code("4.19.0-27-amd64", "#1 SMP Debian 4.19.316-1", "") ==
          version(4, 19, 255));
    CHECK(kring::bpf::kernel_version_code("unknown", "#1", "") == 0);
}

TEST_CASE("a CGROUP_ARRAY filter, as libbpf-tools' --cgroup: the map declared, the helper "
          "verified; kring-run's slots are empty") {
    kring::bpf::ObjectSettings settings;
    settings.target_btf = BPF_OBJ_DIR "/linux-6.1.btf";
    kring::bpf::parse_map_types({"events=RINGBUF"}, &settings);
    settings.max_entries["events"] = 4096;
    for (bool filter : {false, true}) {
        CAPTURE(filter);
        settings.globals["filter_cg"] = filter ? "1" : "0";
        auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/compat.bpf.o", settings);
        const auto& cgroups = obj.maps[obj.map_index("cgroup_map")];
        CHECK(cgroups.type == BPF_MAP_TYPE_CGROUP_ARRAY);
        CHECK(cgroups.key_size == 4);
        CHECK(cgroups.value_size == 4);
        kring::bpf::Runtime rt(obj.maps);
        CHECK(static_cast<int64_t>(verify_and_run(obj, "kring/cgroup_filter", rt)) ==
              (filter ? -EAGAIN : 1));
    }
}

TEST_CASE("--map-type: a perf buffer made a ring, as libbpf-tools fall back, and the errors") {
    kring::bpf::ObjectSettings settings;
    settings.target_btf = BPF_OBJ_DIR "/linux-6.1.btf";
    const std::string file = BPF_OBJ_DIR "/compat.bpf.o";
    // Left a perf event array, the map is no ring for the ring's path.
    auto perf = kring::bpf::load_elf(file, settings);
    CHECK(perf.maps[perf.map_index("events")].is_perf_event_array());
    kring::bpf::Verdict refused =
        kring::bpf::verify(find(perf, "kring/compat"), perf.maps, ctx_options());
    CHECK(refused.error == -EACCES);
    CHECK(refused.log.find("r1 expects a ring, got map") != std::string::npos);
    kring::bpf::parse_map_types({"events=RINGBUF"}, &settings);
    settings.max_entries["events"] = 4096;
    auto obj = kring::bpf::load_elf(file, settings);
    const auto& events = obj.maps[obj.map_index("events")];
    CHECK(events.is_ring());
    CHECK(events.key_size == 0);
    CHECK(events.value_size == 0);
    // The perf buffer's path, bpf_perf_event_output (a helper kring does
    // not have), is dead code under the CO-RE type test.
    kring::bpf::Runtime rt(obj.maps);
    CHECK(verify_and_run(obj, "kring/compat", rt) == 0);
    std::vector<std::array<uint32_t, 2>> records;
    kring::Consumer consumer;
    size_t ring = obj.map_index("events");
    consumer.add(rt.ring(ring).view(), rt.ring(ring).wake_fd(), [&](std::span<const std::byte> r) {
        REQUIRE(r.size() == 8);
        std::memcpy(&records.emplace_back(), r.data(), 8);
        return 0;
    });
    consumer.consume();
    CHECK(records == std::vector<std::array<uint32_t, 2>>{{7, 42}});

    kring::bpf::ObjectSettings numbered = settings;
    kring::bpf::parse_map_types({"events=27", "heap=BPF_MAP_TYPE_ARRAY"}, &numbered);
    CHECK(numbered.map_types.at("events") == BPF_MAP_TYPE_RINGBUF);
    CHECK(kring::bpf::load_elf(file, numbered).maps[obj.map_index("heap")].type ==
          BPF_MAP_TYPE_ARRAY);
    kring::bpf::ObjectSettings unknown = settings;
    kring::bpf::parse_map_types({"nope=hash"}, &unknown);
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf(file, unknown),
                         doctest::Contains("--map-type nope: the object has no map nope in .maps"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::parse_map_types({"events=perf"}, &unknown),
                         doctest::Contains("--map-type events=perf: TYPE is ringbuf, array"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::parse_map_types({"events"}, &unknown),
                         doctest::Contains("--map-type takes NAME=VALUE"), kring::Error);
}

TEST_CASE("bpf_perf_event_output: the array sized per possible CPU, samples padded as perf pads "
          "them") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/perf_output.bpf.o");
    const kring::bpf::MapDecl& events = obj.maps[obj.map_index("events")];
    CHECK(events.is_perf_event_array());
    CHECK(events.max_entries == static_cast<uint32_t>(libbpf_num_possible_cpus()));
    CHECK(events.key_size == 4); // left out of the object
    CHECK(events.value_size == 4);
    kring::bpf::Runtime rt(obj.maps);
    std::vector<std::vector<std::byte>> samples;
    rt.on_perf_sample([&](size_t map, std::span<const std::byte> sample) {
        CHECK(map == obj.map_index("events"));
        samples.emplace_back(sample.begin(), sample.end());
    });
    CHECK(verify_and_run(obj, "kprobe/__x64_sys_getppid", rt) == 0);
    CHECK(verify_and_run(obj, "kprobe/__x64_sys_getppid", rt) == 0);
    REQUIRE(samples.size() == 2);
    for (uint32_t i = 0; i < 2; i++) {
        REQUIRE(samples[i].size() == 12); // 8 bytes, and 4 of padding
        std::array<uint32_t, 3> words{};
        std::memcpy(words.data(), samples[i].data(), 12);
        CHECK(words == std::array<uint32_t, 3>{0, i + 1, 0});
    }
}

TEST_CASE("tail calls: the object's prog array, counts and totals, and the limit of 33") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/tail_calls.bpf.o");
    const kring::bpf::MapDecl& jump = obj.maps[obj.map_index("jump")];
    CHECK(jump.is_prog_array());
    CHECK(jump.max_entries == 4);
    CHECK(jump.slots == std::vector<std::string>{"", "emit_total", "hop"});
    for (const auto& prog : obj.programs) {
        auto v = kring::bpf::verify(prog, obj.maps, ctx_options());
        INFO(prog.name, ": ", v.log);
        REQUIRE(v.error == 0);
        CHECK((v.log.find("tail_call at insn") != std::string::npos) ==
              (prog.name != "emit_total"));
    }
    CHECK(kring::bpf::verify(find_named(obj, "hop"), obj.maps, ctx_options())
              .log.find("key 2 on every path") != std::string::npos);
    kring::bpf::Runtime rt(obj.maps);
    rt.fill_slots(obj.programs);
    TestCtx ctx{};
    auto run = [&](const std::string& name) {
        return rt.run(find_named(obj, name), std::as_writable_bytes(std::span(&ctx, 1)));
    };
    std::vector<uint64_t> r0s;
    for (int i = 0; i < 8; i++)
        r0s.push_back(run("count"));
    // The first run counts 1; the 4th and the 8th emit (emit_total's 1).
    CHECK(r0s == std::vector<uint64_t>{0, 0, 0, 1, 0, 0, 0, 1});
    struct Total {
        uint32_t pid, hops;
        uint64_t count;
    };
    std::vector<uint64_t> counts;
    kring::Consumer consumer;
    size_t ring = obj.map_index("totals");
    consumer.add(rt.ring(ring).view(), rt.ring(ring).wake_fd(), [&](std::span<const std::byte> r) {
        REQUIRE(r.size() == sizeof(Total));
        Total t;
        std::memcpy(&t, r.data(), sizeof(t));
        CHECK(t.pid == static_cast<uint32_t>(getpid()));
        counts.push_back(t.count);
        return 0;
    });
    consumer.consume();
    CHECK(counts == std::vector<uint64_t>{4, 8});
    // An empty slot: the tail call fails and the caller goes on.
    rt.set_slot(obj.map_index("jump"), 1, nullptr);
    for (int i = 0; i < 3; i++)
        CHECK(run("count") == 0);
    CHECK(run("count") == 2);
    // hop tail-calls itself: 33 tail calls are taken, 34 runs in all, and
    // every tail call after them fails.
    CHECK(run("hop") == 134);
    // The limit is per run: the next run takes 33 more (hops, a global,
    // goes on from 34).
    CHECK(run("hop") == 168);
}
