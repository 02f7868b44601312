// CO-RE relocations (core_relo.hpp): core_vmlinux.bpf.c, compiled against
// 6.1's vmlinux.h, relocated for the BTF of Debian's 6.1 and 6.12 kernels,
// each value checked against what this file reads from the same BTF with
// its own walk; core.bpf.c, whose struct no kernel has; the engine on small
// BTFs made here (ambiguity, bad access strings, load sizes); and the
// parsing of .BTF.ext.
#include <bpf/btf.h>
#include <cerrno>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <gelf.h>
#include <kring/btf_ext.hpp>
#include <kring/core_relo.hpp>
#include <kring/program.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const std::string kVmlinuxObject = BPF_OBJ_DIR "/core_vmlinux.bpf.o";
const std::string kLinux61 = BPF_OBJ_DIR "/linux-6.1.btf";
const std::string kLinux612 = BPF_OBJ_DIR "/linux-6.12.btf";

struct BtfDeleter {
    void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

BtfPtr parse_btf(const std::string& path) {
    BtfPtr b(btf__parse(path.c_str(), nullptr));
    REQUIRE(b);
    return b;
}

// The bytes of `path`'s section `name`, read with libelf.
std::vector<std::byte> section_bytes(const std::string& path, const std::string& name) {
    std::vector<std::byte> out;
    REQUIRE(elf_version(EV_CURRENT) != EV_NONE);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    size_t strndx = 0;
    REQUIRE((elf && elf_getshdrstrndx(elf, &strndx) == 0));
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr hdr;
        gelf_getshdr(scn, &hdr);
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (name == elf_strptr(elf, strndx, hdr.sh_name) && data)
            out.assign(static_cast<const std::byte*>(data->d_buf),
                       static_cast<const std::byte*>(data->d_buf) + data->d_size);
    }
    elf_end(elf);
    ::close(fd);
    return out;
}

// The type behind typedefs and qualifiers.
const btf_type* resolved(const btf* b, uint32_t id) {
    const btf_type* t = btf__type_by_id(b, id);
    while (t && (btf_is_mod(t) || btf_is_typedef(t)))
        t = btf__type_by_id(b, t->type);
    return t;
}

uint32_t struct_id(const btf* b, const char* name) {
    int id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
    REQUIRE(id > 0);
    return static_cast<uint32_t>(id);
}

// Member `name` of struct or union `t`, looked for inside its anonymous
// members too: its bit offset from the start of `t`, and the member.
struct Found {
    uint32_t bit_offset;
    const btf_type* parent;
    uint16_t index;
};

std::optional<Found> find_member(const btf* b, const btf_type* t, const std::string& name) {
    for (uint16_t i = 0; i < btf_vlen(t); i++) {
        const btf_member& m = btf_members(t)[i];
        const char* member = btf__name_by_offset(b, m.name_off);
        uint32_t offset = btf_member_bit_offset(t, i);
        if (member && name == member)
            return Found{offset, t, i};
        const btf_type* inner = resolved(b, m.type);
        if ((!member || !*member) && inner && btf_is_composite(inner))
            if (auto found = find_member(b, inner, name))
                return Found{offset + found->bit_offset, found->parent, found->index};
    }
    return std::nullopt;
}

Found member(const btf* b, const char* type, const std::string& name) {
    auto found = find_member(b, btf__type_by_id(b, struct_id(b, type)), name);
    REQUIRE_MESSAGE(found, "no member " << name << " in struct " << type);
    return *found;
}

uint64_t byte_offset(const btf* b, const char* type, const std::string& name) {
    Found f = member(b, type, name);
    REQUIRE(f.bit_offset % 8 == 0);
    return f.bit_offset / 8;
}

// Whether struct `type` has `name` as a member of its own (not inside an
// anonymous member).
bool direct_member(const btf* b, const char* type, const std::string& name) {
    return member(b, type, name).parent == btf__type_by_id(b, struct_id(b, type));
}

// The relocations of the program in `section` (alone in its section, so
// a relocation's instruction index is the program's).
struct Site {
    size_t insn;
    uint32_t kind;
    std::string description;
};

std::vector<Site> sites(const std::string& path, const std::string& section) {
    BtfPtr local(btf__parse_elf(path.c_str(), nullptr));
    REQUIRE(local);
    std::vector<Site> out;
    for (const auto& r : kring::bpf::parse_core_relos(path, section_bytes(path, ".BTF.ext")))
        if (section == btf__name_by_offset(local.get(), r.section_name_off))
            out.push_back({r.insn_off / sizeof(bpf_insn), r.kind,
                           kring::bpf::describe_core_relo(local.get(), r)});
    return out;
}

// The value a relocated instruction carries: an ALU immediate, a load's
// or store's offset, LD_IMM64's 64 bits.
uint64_t carried(const kring::bpf::Program& prog, size_t at) {
    REQUIRE(at + 1 < prog.insns.size());
    const bpf_insn& insn = prog.insns[at];
    switch (BPF_CLASS(insn.code)) {
    case BPF_ALU:
    case BPF_ALU64:
        return static_cast<uint64_t>(int64_t{insn.imm});
    case BPF_LDX:
    case BPF_ST:
    case BPF_STX:
        return static_cast<uint64_t>(int64_t{insn.off});
    default:
        REQUIRE(insn.code == (BPF_LD | BPF_IMM | BPF_DW));
        return static_cast<uint32_t>(insn.imm) |
               (uint64_t{static_cast<uint32_t>(prog.insns[at + 1].imm)} << 32);
    }
}

kring::bpf::Object load_for(const std::string& target_btf,
                            const std::string& path = kVmlinuxObject) {
    kring::bpf::ObjectSettings settings;
    settings.target_btf = target_btf;
    return kring::bpf::load_elf(path, settings);
}

const kring::bpf::Program& program(const kring::bpf::Object& obj, const std::string& name) {
    for (const auto& p : obj.programs)
        if (p.name == name)
            return p;
    FAIL("no program " << name);
    throw 0;
}

kring::bpf::Verdict verify_kprobe(const kring::bpf::Object& obj, const kring::bpf::Program& prog) {
    kring::bpf::VerifyOptions options;
    options.ctx.size = kring::context_size(KRING_ATTACH_KPROBE);
    return kring::bpf::verify(prog, obj.maps, options);
}

bool ends_with(const std::string& text, const std::string& end) {
    return text.ends_with(end);
}

} // namespace

TEST_CASE("BPF_CORE_READ(task, real_parent, tgid), task->mm->total_vm and a bitfield, relocated "
          "for 6.1 and for 6.12") {
    std::map<std::string, uint64_t> real_parent; // by kernel
    for (const std::string& kernel : {kLinux61, kLinux612}) {
        CAPTURE(kernel);
        auto obj = load_for(kernel);
        const auto& prog = program(obj, "parent");
        BtfPtr target = parse_btf(kernel);
        const btf* b = target.get();
        // mm_struct's fields are in an anonymous struct: the loader must
        // look inside it, as this walk does.
        REQUIRE_FALSE(direct_member(b, "mm_struct", "total_vm"));
        Found bitfield = member(b, "task_struct", "sched_reset_on_fork");
        uint32_t bits = btf_member_bitfield_size(bitfield.parent, bitfield.index);
        REQUIRE(bits == 1);
        const btf_type* unit_type = resolved(b, btf_members(bitfield.parent)[bitfield.index].type);
        uint64_t unit = unit_type->size;
        uint64_t unit_offset = bitfield.bit_offset / 8 / unit * unit;
        size_t checked = 0;
        for (const Site& s : sites(kVmlinuxObject, "kprobe/core_parent")) {
            CAPTURE(s.description);
            uint64_t expected;
            if (ends_with(s.description, ".real_parent)"))
                expected = real_parent[kernel] = byte_offset(b, "task_struct", "real_parent");
            else if (ends_with(s.description, ".tgid)"))
                expected = byte_offset(b, "task_struct", "tgid");
            else if (ends_with(s.description, ".mm)"))
                expected = byte_offset(b, "task_struct", "mm");
            else if (ends_with(s.description, ".total_vm)"))
                expected = byte_offset(b, "mm_struct", "total_vm");
            else if (s.kind == BPF_CORE_FIELD_BYTE_OFFSET)
                expected = unit_offset;
            else if (s.kind == BPF_CORE_FIELD_BYTE_SIZE)
                expected = unit;
            else if (s.kind == BPF_CORE_FIELD_LSHIFT_U64)
                expected = 64 - (bitfield.bit_offset + bits - unit_offset * 8);
            else if (s.kind == BPF_CORE_FIELD_RSHIFT_U64)
                expected = 64 - bits;
            else if (s.kind == BPF_CORE_FIELD_SIGNED)
                expected = (btf_int_encoding(unit_type) & BTF_INT_SIGNED) != 0;
            else
                FAIL("unexpected relocation");
            CHECK(carried(prog, s.insn) == expected);
            checked++;
        }
        // tgid twice (the task's, the parent's), real_parent, mm,
        // total_vm, and the bitfield's offset, size, signedness and shifts.
        CHECK(checked >= 10);
        CHECK(prog.unresolved_core.empty());
        auto verdict = verify_kprobe(obj, prog);
        CHECK_MESSAGE(verdict.error == 0, verdict.log);
    }
    // The layouts differ: so must the relocated programs.
    CHECK(real_parent[kLinux61] != real_parent[kLinux612]);
}

TEST_CASE("type, enumerator and field values relocated for 6.1 and 6.12") {
    BtfPtr local(btf__parse_elf(kVmlinuxObject.c_str(), nullptr));
    REQUIRE(local);
    std::map<std::string, uint64_t> pid_offset;
    for (const std::string& kernel : {kLinux61, kLinux612}) {
        CAPTURE(kernel);
        auto obj = load_for(kernel);
        const auto& prog = program(obj, "values");
        BtfPtr target = parse_btf(kernel);
        const btf* b = target.get();
        uint32_t task = struct_id(b, "task_struct");
        int pid_type = btf__find_by_name_kind(b, "pid_type", BTF_KIND_ENUM);
        REQUIRE(pid_type > 0);
        std::optional<uint64_t> sid;
        const btf_type* e = btf__type_by_id(b, pid_type);
        for (uint16_t i = 0; i < btf_vlen(e); i++)
            if (std::string("PIDTYPE_SID") == btf__name_by_offset(b, btf_enum(e)[i].name_off))
                sid = static_cast<uint32_t>(btf_enum(e)[i].val);
        REQUIRE(sid);
        Found pid = member(b, "task_struct", "pid");
        std::vector<uint32_t> kinds;
        for (const Site& s : sites(kVmlinuxObject, "kprobe/core_values")) {
            CAPTURE(s.description);
            bool old = s.description.find("task_struct___old") != std::string::npos;
            uint64_t expected = 0;
            switch (s.kind) {
            case BPF_CORE_TYPE_SIZE:
                expected = btf__resolve_size(b, task);
                break;
            case BPF_CORE_TYPE_EXISTS: // task_struct___old is a task_struct
                expected = 1;
                break;
            case BPF_CORE_TYPE_ID_TARGET:
                expected = task;
                break;
            case BPF_CORE_TYPE_ID_LOCAL:
                expected = struct_id(local.get(), "task_struct");
                break;
            case BPF_CORE_ENUMVAL_VALUE:
                expected = *sid;
                break;
            case BPF_CORE_ENUMVAL_EXISTS: // PIDTYPE_FUTURE
                expected = 0;
                break;
            case BPF_CORE_FIELD_BYTE_SIZE:
                expected = btf__resolve_size(b, btf_members(pid.parent)[pid.index].type);
                break;
            case BPF_CORE_FIELD_BYTE_OFFSET:
                expected = pid_offset[kernel] = pid.bit_offset / 8;
                break;
            case BPF_CORE_FIELD_EXISTS:
                expected = old ? 0 : 1;
                break;
            case BPF_CORE_FIELD_SIGNED: // pid_t is int
                expected = 1;
                break;
            default:
                FAIL("unexpected relocation");
            }
            CHECK(carried(prog, s.insn) == expected);
            kinds.push_back(s.kind);
        }
        // Every kind but the bit shifts (core_parent has those) and type
        // matches (clang 14 has not).
        std::sort(kinds.begin(), kinds.end());
        CHECK(kinds == std::vector<uint32_t>{
                           BPF_CORE_FIELD_BYTE_OFFSET, BPF_CORE_FIELD_BYTE_SIZE,
                           BPF_CORE_FIELD_EXISTS, BPF_CORE_FIELD_EXISTS, BPF_CORE_FIELD_SIGNED,
                           BPF_CORE_TYPE_ID_LOCAL, BPF_CORE_TYPE_ID_TARGET, BPF_CORE_TYPE_EXISTS,
                           BPF_CORE_TYPE_SIZE, BPF_CORE_ENUMVAL_EXISTS, BPF_CORE_ENUMVAL_VALUE});
        auto verdict = verify_kprobe(obj, prog);
        CHECK_MESSAGE(verdict.error == 0, verdict.log);
    }
    CHECK(pid_offset[kLinux61] != pid_offset[kLinux612]);
}

TEST_CASE("a field the target lacks: the instruction is poisoned, and the verifier's refusal of "
          "a reachable one names the relocation") {
    auto obj = load_for(kLinux612);
    const std::string missing =
        "CO-RE field relocation (byte offset) of struct task_struct___old (access 0:0, .state) "
        "(no such field in the target kernel's struct task_struct)";
    for (const char* name : {"guarded", "unguarded"}) {
        CAPTURE(name);
        const auto& prog = program(obj, name);
        REQUIRE(prog.unresolved_core.size() == 1);
        const auto& unresolved = prog.unresolved_core[0];
        CHECK(unresolved.description == missing);
        const bpf_insn& poisoned = prog.insns.at(unresolved.insn);
        CHECK(poisoned.code == (BPF_JMP | BPF_CALL));
        CHECK(poisoned.src_reg == 0);
        CHECK(poisoned.imm == kring::bpf::kUnresolvedCoreHelper);
    }
    // guarded's field-exists check is 0 on 6.12: its poisoned read is dead.
    for (const Site& s : sites(kVmlinuxObject, "kprobe/core_guarded"))
        if (s.kind == BPF_CORE_FIELD_EXISTS)
            CHECK(carried(program(obj, "guarded"), s.insn) == 0);
    const auto& unguarded = program(obj, "unguarded");
    auto verdict = verify_kprobe(obj, unguarded);
    REQUIRE(verdict.error == -EINVAL);
    std::string insn = "insn " + std::to_string(unguarded.unresolved_core[0].insn);
    CHECK(verdict.log.starts_with(insn + ": CO-RE relocation could not be resolved: " + missing +
                                  "\n" + insn + ": unknown helper 195896080"));
    // Not at such an instruction, the log is the verifier's alone.
    CHECK(kring::bpf::explain_core_rejection(unguarded, "insn 0: r1 is not initialised\n") ==
          "insn 0: r1 is not initialised\n");
}

TEST_CASE("core.bpf.o: struct task_view is in no kernel") {
    const std::string path = BPF_OBJ_DIR "/core.bpf.o";
    auto obj = load_for(kLinux61, path);
    const auto& read_gid = program(obj, "read_gid");
    REQUIRE(read_gid.unresolved_core.size() == 1);
    CHECK(read_gid.unresolved_core[0].insn == 0);
    CHECK(read_gid.unresolved_core[0].description ==
          "CO-RE field relocation (byte offset) of struct task_view (access 0:3:1, .cred.gid) (the "
          "target kernel has no struct task_view)");
    // An enumerator's value is poisoned too; a type's size is 0.
    const auto& sizes = program(obj, "sizes");
    REQUIRE(sizes.unresolved_core.size() == 1);
    CHECK(sizes.unresolved_core[0].description ==
          "CO-RE enum value relocation (value) of enum probe_kind (access 1, PROBE_B) (the target "
          "kernel has no enum probe_kind)");
    // guarded_gid's check is 0, its read poisoned.
    CHECK(program(obj, "guarded_gid").unresolved_core.size() == 1);

    // Every relocation of the object, as clang wrote them.
    auto relos = kring::bpf::parse_core_relos(path, section_bytes(path, ".BTF.ext"));
    REQUIRE(relos.size() == 5);
    BtfPtr b(btf__parse_elf(path.c_str(), nullptr));
    REQUIRE(b);
    std::vector<std::string> described;
    for (const auto& r : relos)
        described.push_back(kring::bpf::describe_core_relo(b.get(), r));
    CHECK(std::count(described.begin(), described.end(),
                     "CO-RE field relocation (byte offset) of struct task_view (access 0:3:1, "
                     ".cred.gid)") == 2);
    CHECK(std::count(described.begin(), described.end(),
                     "CO-RE field relocation (existence) of struct task_view (access 0:3:1, "
                     ".cred.gid)") == 1);
    CHECK(std::count(described.begin(), described.end(),
                     "CO-RE enum value relocation (value) of enum probe_kind (access 1, "
                     "PROBE_B)") == 1);
    CHECK(std::count(described.begin(), described.end(),
                     "CO-RE type relocation (size) of struct task_view (access 0)") == 1);

    // Objects without CO-RE relocations never read a target BTF.
    CHECK(kring::bpf::parse_core_relos(path, section_bytes(BPF_OBJ_DIR "/progs.bpf.o", ".BTF.ext"))
              .empty());
    CHECK_NOTHROW(load_for("/nonexistent.btf", BPF_OBJ_DIR "/progs.bpf.o"));
    CHECK_THROWS_WITH_AS(load_for("/nonexistent.btf", path),
                         doctest::Contains("core.bpf.o: cannot read the target kernel's BTF "
                                           "/nonexistent.btf (for the object's CO-RE relocations, "
                                           "the first at section "),
                         kring::Error);
}

namespace {

// Small BTFs for the engine: ints, structs of int members.
class TestBtf {
public:
    TestBtf() : b_(btf__new_empty()) {
        REQUIRE(b_);
        int_ = btf__add_int(b_.get(), "int", 4, BTF_INT_SIGNED);
        uint_ = btf__add_int(b_.get(), "unsigned int", 4, 0);
        ulong_ = btf__add_int(b_.get(), "unsigned long", 8, 0);
        long_ = btf__add_int(b_.get(), "long", 8, BTF_INT_SIGNED);
    }
    // struct `name` with `members` (name, type) at consecutive offsets of
    // each one's size.
    uint32_t add_struct(const char* name, std::vector<std::pair<const char*, int>> members) {
        uint32_t size = 0;
        for (const auto& [member, type] : members)
            size += static_cast<uint32_t>(btf__resolve_size(b_.get(), type));
        int id = btf__add_struct(b_.get(), name, size);
        uint32_t at = 0;
        for (const auto& [member, type] : members) {
            REQUIRE(btf__add_field(b_.get(), member, type, at * 8, 0) == 0);
            at += static_cast<uint32_t>(btf__resolve_size(b_.get(), type));
        }
        return static_cast<uint32_t>(id);
    }
    uint32_t str(const char* s) { return static_cast<uint32_t>(btf__add_str(b_.get(), s)); }
    const btf* get() const { return b_.get(); }
    int int_, uint_, ulong_, long_;

private:
    BtfPtr b_;
};

kring::bpf::CoreRelo field_offset(TestBtf& local, uint32_t type, const char* access) {
    return {0, 0, type, local.str(access), BPF_CORE_FIELD_BYTE_OFFSET};
}

} // namespace

TEST_CASE("relocation engine: ambiguous candidates, bad access strings") {
    TestBtf local;
    uint32_t amb = local.add_struct("amb", {{"x", local.int_}});
    SUBCASE("two target types of the essential name, the field at different offsets") {
        TestBtf target;
        target.add_struct("amb", {{"pad", target.int_}, {"x", target.int_}});
        target.add_struct("amb___v2", {{"x", target.int_}});
        kring::bpf::CoreRelocator relocator(local.get(), target.get());
        CHECK_THROWS_WITH_AS(relocator.resolve(field_offset(local, amb, "0:0"), "here"),
                             "here: ambiguous: target types 5 and 6 both match amb and give 4 "
                             "(bit offset 32) and 0 (bit offset 0): Invalid argument",
                             kring::Error);
    }
    SUBCASE("two candidates agreeing are no ambiguity; a flavor matches its base name") {
        TestBtf target;
        target.add_struct("amb___a", {{"pad", target.int_}, {"x", target.int_}});
        target.add_struct("amb___b", {{"y", target.int_}, {"x", target.int_}});
        kring::bpf::CoreRelocator relocator(local.get(), target.get());
        auto r = relocator.resolve(field_offset(local, amb, "0:0"), "here");
        CHECK(r.local_value == 0);
        CHECK(r.target_value == 4);
        CHECK_FALSE(r.unresolved);
    }
    SUBCASE("access strings the local type does not have") {
        TestBtf target;
        target.add_struct("amb", {{"x", target.int_}});
        kring::bpf::CoreRelocator relocator(local.get(), target.get());
        CHECK_THROWS_WITH_AS(relocator.resolve(field_offset(local, amb, "0:1"), "here"),
                             doctest::Contains("here: access string \"0:1\": index 1 is past the "
                                               "last member of its struct or union"),
                             kring::Error);
        CHECK_THROWS_WITH_AS(relocator.resolve(field_offset(local, amb, "0:0:2"), "here"),
                             doctest::Contains("index 2 goes into a type that is neither a "
                                               "struct, a union nor an array"),
                             kring::Error);
        CHECK_THROWS_WITH_AS(relocator.resolve(field_offset(local, amb, "0::1"), "here"),
                             doctest::Contains("malformed access string \"0::1\""), kring::Error);
        kring::bpf::CoreRelo size{0, 0, amb, local.str("0:0"), BPF_CORE_TYPE_SIZE};
        CHECK_THROWS_WITH_AS(relocator.resolve(size, "here"),
                             doctest::Contains("a type relocation's access string is \"0\""),
                             kring::Error);
        kring::bpf::CoreRelo unknown{0, 0, amb, local.str("0"), 13};
        CHECK_THROWS_WITH_AS(relocator.resolve(unknown, "here"),
                             doctest::Contains("unknown relocation kind 13"), kring::Error);
    }
}

TEST_CASE("relocation engine: type exists, matches and size against a flavor") {
    TestBtf local;
    uint32_t pair = local.add_struct("pair___mine", {{"a", local.int_}, {"b", local.uint_}});
    auto type_relo = [&](uint32_t kind) {
        return kring::bpf::CoreRelo{0, 0, pair, local.str("0"), kind};
    };
    TestBtf same;
    same.add_struct("pair", {{"b", same.uint_}, {"a", same.int_}, {"c", same.long_}});
    kring::bpf::CoreRelocator relocator(local.get(), same.get());
    // Members by name, in any order, more in the target: a match.
    CHECK(relocator.resolve(type_relo(BPF_CORE_TYPE_MATCHES), "here").target_value == 1);
    CHECK(relocator.resolve(type_relo(BPF_CORE_TYPE_EXISTS), "here").target_value == 1);
    auto size = relocator.resolve(type_relo(BPF_CORE_TYPE_SIZE), "here");
    CHECK(size.local_value == 8);
    CHECK(size.target_value == 16);
    // b signed in the target: it exists, but does not match.
    TestBtf other;
    other.add_struct("pair", {{"a", other.int_}, {"b", other.int_}});
    kring::bpf::CoreRelocator differs(local.get(), other.get());
    CHECK(differs.resolve(type_relo(BPF_CORE_TYPE_MATCHES), "here").target_value == 0);
    CHECK(differs.resolve(type_relo(BPF_CORE_TYPE_EXISTS), "here").target_value == 1);
    // No pair at all: 0, never poisoned.
    TestBtf none;
    kring::bpf::CoreRelocator missing(local.get(), none.get());
    auto absent = missing.resolve(type_relo(BPF_CORE_TYPE_SIZE), "here");
    CHECK(absent.target_value == 0);
    CHECK_FALSE(absent.unresolved);
}

TEST_CASE("relocation engine: a load of a field whose size changed") {
    TestBtf local;
    uint32_t s = local.add_struct("s", {{"u", local.uint_}, {"i", local.int_}});
    TestBtf target;
    target.add_struct("s", {{"u", target.ulong_}, {"i", target.long_}});
    kring::bpf::CoreRelocator relocator(local.get(), target.get());
    // r0 = *(u32 *)(r1 + 0): an unsigned int become unsigned long is read
    // as 8 bytes.
    std::vector<bpf_insn> insns(2);
    insns[0].code = BPF_LDX | BPF_MEM | BPF_W;
    insns[0].src_reg = 1;
    auto unsigned_field = relocator.resolve(field_offset(local, s, "0:0"), "here");
    CHECK(kring::bpf::patch_core_insn(insns, 0, unsigned_field, "here") == std::nullopt);
    CHECK(insns[0].code == (BPF_LDX | BPF_MEM | BPF_DW));
    CHECK(insns[0].off == 0);
    // A signed int become long cannot be: the load is poisoned, saying why.
    insns[1].code = BPF_LDX | BPF_MEM | BPF_W;
    insns[1].off = 4;
    auto signed_field = relocator.resolve(field_offset(local, s, "0:1"), "here");
    CHECK(signed_field.target_value == 8);
    CHECK(kring::bpf::patch_core_insn(insns, 1, signed_field, "here") ==
          "the field is 8 bytes in the target, not 4, and only pointers and unsigned integers "
          "may be read with another size");
    CHECK(insns[1].imm == kring::bpf::kUnresolvedCoreHelper);
    // An instruction that does not hold the local value is refused.
    insns[0] = {};
    insns[0].code = BPF_LDX | BPF_MEM | BPF_W;
    insns[0].off = 12;
    CHECK_THROWS_WITH_AS(kring::bpf::patch_core_insn(insns, 0, signed_field, "here"),
                         doctest::Contains("here: the instruction's offset is 12, not the 4 the "
                                           "object's BTF gives"),
                         kring::Error);
    // A register ALU operation carries no value.
    insns[0].code = BPF_ALU64 | BPF_ADD | BPF_X;
    CHECK_THROWS_AS(kring::bpf::patch_core_insn(insns, 0, signed_field, "here"), kring::Error);
}

TEST_CASE("a malformed .BTF.ext is refused, not read past its end") {
    // A .BTF.ext with a CO-RE part of `count` records (16 bytes each) in
    // one block for section name offset 1.
    auto btf_ext_words = [](uint32_t count) {
        std::vector<uint32_t> w = {0x0001eb9f, 32, 0, 0, 0, 0, 0, 4 + 8 + 16 * count};
        w.insert(w.end(), {16, 1, count});
        for (uint32_t i = 0; i < count; i++)
            w.insert(w.end(), {8 * i, 7, 0, 0});
        return w;
    };
    auto bytes_of = [](const std::vector<uint32_t>& words) {
        return std::as_bytes(std::span(words));
    };
    auto words = btf_ext_words(2);
    auto relos = kring::bpf::parse_core_relos("x.o", bytes_of(words));
    REQUIRE(relos.size() == 2);
    CHECK(relos[1].insn_off == 8);
    CHECK(relos[1].type_id == 7);
    CHECK(relos[1].section_name_off == 1);
    CHECK(kring::bpf::describe_core_relo(nullptr, relos[1]) ==
          "CO-RE field relocation (byte offset) of type 7");

    auto cut = bytes_of(words).first(words.size() * 4 - 4);
    CHECK_THROWS_WITH_AS(kring::bpf::parse_core_relos("x.o", cut),
                         doctest::Contains("x.o: malformed .BTF.ext: the CO-RE part"),
                         kring::Error);
    auto overcount = words;
    overcount[10] = 0x10000000; // records in the block
    CHECK_THROWS_WITH_AS(kring::bpf::parse_core_relos("x.o", bytes_of(overcount)),
                         doctest::Contains("do not fit"), kring::Error);
    auto small_records = words;
    small_records[8] = 8;
    CHECK_THROWS_WITH_AS(kring::bpf::parse_core_relos("x.o", bytes_of(small_records)),
                         doctest::Contains("CO-RE record size 8"), kring::Error);
    auto bad_magic = words;
    bad_magic[0] = 0x0001beef;
    CHECK_THROWS_WITH_AS(kring::bpf::parse_core_relos("x.o", bytes_of(bad_magic)),
                         doctest::Contains("no BTF magic"), kring::Error);
    auto long_header = words;
    long_header[1] = 4096;
    CHECK_THROWS_WITH_AS(kring::bpf::parse_core_relos("x.o", bytes_of(long_header)),
                         doctest::Contains("header length 4096"), kring::Error);
    CHECK_THROWS_AS(kring::bpf::parse_core_relos("x.o", bytes_of(words).first(3)), kring::Error);
    // A header from before CO-RE: no CO-RE part.
    std::vector<uint32_t> old = {0x0001eb9f, 24, 0, 0, 0, 0};
    CHECK(kring::bpf::parse_core_relos("x.o", bytes_of(old)).empty());
}

TEST_CASE("a raw tracepoint's arguments come from its btf_trace_ typedef") {
    for (const std::string& btf_file : {kLinux61, kLinux612}) {
        CAPTURE(btf_file);
        // (struct task_struct *, pid_t, struct linux_binprm *)
        uint32_t exec = kring::raw_tracepoint_args("sched_process_exec", btf_file);
        CHECK(KRING_RAW_ARGS_COUNT_OF(exec) == 3);
        CHECK(KRING_RAW_ARGS_SIZE_OF(exec, 0) == 8);
        CHECK(KRING_RAW_ARGS_SIZE_OF(exec, 1) == 4);
        CHECK(KRING_RAW_ARGS_SIZE_OF(exec, 2) == 8);
        CHECK(exec == (KRING_RAW_ARGS_COUNT(3) | KRING_RAW_ARG_SIZE(0, 3) |
                       KRING_RAW_ARG_SIZE(1, 2) | KRING_RAW_ARG_SIZE(2, 3)));
        // (struct pt_regs *, long)
        CHECK(kring::raw_tracepoint_args("sys_enter", btf_file) ==
              (KRING_RAW_ARGS_COUNT(2) | KRING_RAW_ARG_SIZE(0, 3) | KRING_RAW_ARG_SIZE(1, 3)));
        try {
            kring::raw_tracepoint_args("no_such_tracepoint", btf_file);
            FAIL("an unknown tracepoint was described");
        } catch (const kring::Error& e) {
            CHECK(e.errno_value() == ENOENT);
            CHECK(std::string(e.what()).find("no_such_tracepoint") != std::string::npos);
        }
    }
    CHECK_THROWS_WITH_AS(kring::raw_tracepoint_args("sys_enter", "/nonexistent.btf"),
                         doctest::Contains("cannot read the kernel's BTF /nonexistent.btf"),
                         kring::Error);
}
