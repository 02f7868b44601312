// Programs for kring from files: ELF objects compiled with `clang -target bpf`
// (libbpf conventions: SEC() names, maps in ".maps", global data, BTF) or raw
// bytecode; their verification; and a userspace runtime that runs them in
// the interpreter against userspace rings, as the module would run them on
// kernel events.
#pragma once

#include <kring/kring.hpp>
#include <kring/user_map.hpp>
#include <kring/user_ring.hpp>

extern "C" {
#include "verifier.h"
}

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kring::bpf {

// A variable of a global data section (a symbol of the ELF object).
struct GlobalVar {
    std::string name;
    uint32_t offset = 0; // in its section
    uint32_t size = 0;
};

// A map the object uses: one it declares in ".maps" (a ring is a
// BPF_MAP_TYPE_RINGBUF map), or one of its global data sections, which
// libbpf makes a single-entry ARRAY whose value is the section (.rodata,
// .data, .bss and their ".NAME" variants).
struct MapDecl {
    std::string name;  // the map's variable, or the section: ".rodata"
    uint32_t type = 0; // BPF_MAP_TYPE_*
    uint32_t key_size = 0;
    uint32_t value_size = 0;
    uint32_t max_entries = 0; // a ring's data size in bytes
    uint32_t flags = 0;       // map_flags: BPF_F_RDONLY_PROG for .rodata
    // Global data: the section's bytes, the value of key 0 (zeros for
    // .bss), with --set's values; and its variables. Empty otherwise.
    std::vector<std::byte> data;
    std::vector<GlobalVar> vars;
    // The type of a ring's records, if the map's variable declares one with
    // the BTF declaration tag "kring.record:T" (KRING_RECORD_TYPE(T)): T's
    // name and the BTF size of struct T. Empty and 0 otherwise.
    std::string record_type;
    uint32_t record_size = 0;
    // A prog array's slots as the object initialises them (libbpf's
    // __array(values, ...) = { [i] = &prog }): the program (its function
    // name) that slot i gets at load, "" for none. Empty for other maps.
    std::vector<std::string> slots;
    // Where the slots' pointers are in section .maps (for its relocations).
    uint64_t slots_offset = 0;

    bool is_ring() const { return type == BPF_MAP_TYPE_RINGBUF; }
    // kring's own prog array (for bpf_tail_call), not a Linux map.
    bool is_prog_array() const { return type == BPF_MAP_TYPE_PROG_ARRAY; }
    // A Linux perf event array, which bpf_perf_event_output writes and a
    // kring::PerfBuffer reads.
    bool is_perf_event_array() const { return type == BPF_MAP_TYPE_PERF_EVENT_ARRAY; }
    bool is_global_data() const { return name.starts_with("."); }
    // .rodata: read-only to programs and frozen once filled, so the
    // verifier knows its values (as Linux knows a libbpf .rodata's).
    bool is_frozen() const { return is_global_data() && (flags & BPF_F_RDONLY_PROG); }
};

// An instruction whose CO-RE relocation the target kernel's BTF could not
// resolve (a field it does not have): the loader made it a call of helper
// kUnresolvedCoreHelper (core_relo.hpp), as libbpf does, which the verifier
// refuses only if the instruction is reachable.
struct UnresolvedCoreRelo {
    size_t insn = 0; // in Program::insns
    // The relocation and what the target lacks: "CO-RE field relocation
    // (byte offset) of struct task_view (access 0:3:1, .cred.gid) (the
    // target kernel has no struct task_view)".
    std::string description;
};

// One program: its own instructions followed by the subprograms it calls.
// Each map load is LD_IMM64 with src_reg BPF_PSEUDO_MAP_FD (the map) or
// BPF_PSEUDO_MAP_VALUE (the address of a global data section's value plus
// the second half's imm) and imm = the map's index in Object::maps.
struct Program {
    std::string name;    // the function's symbol
    std::string section; // its ELF section, e.g. "tracepoint/sched/sched_process_exec"
    std::vector<bpf_insn> insns;
    std::vector<kring_func_info> func_info; // empty when it calls nothing
    std::vector<UnresolvedCoreRelo> unresolved_core;
};

struct Object {
    std::vector<MapDecl> maps;
    std::vector<Program> programs;

    // The index in maps of the map named `name`; throws kring::Error
    // (EINVAL) naming the object's maps if there is none.
    size_t map_index(const std::string& name) const;
    // Whether a prog array's slot names the program `name` (its function):
    // a tail call's target, which loaders load but do not attach.
    bool in_slot(const std::string& name) const;
};

// What the loader sets before load, as libbpf's bpf_map__set_max_entries()
// and a skeleton's rodata fields do. Names that the object does not have,
// and values that do not fit, are errors.
struct ObjectSettings {
    // MAP=N (--max-entries): a map's max_entries, a ring's size in bytes.
    std::map<std::string, uint32_t> max_entries;
    // MAP=N (--value-size): a map's value size in bytes, as
    // bpf_map__set_value_size() sets it: libbpf-tools size their stack
    // maps (BPF_MAP_TYPE_STACK_TRACE) so, to the frames they keep.
    std::map<std::string, uint32_t> value_sizes;
    // NAME=VALUE (--set): a global variable's initial value, an integer
    // of the variable's size (1, 2, 4 or 8 bytes), decimal or 0x hex.
    std::map<std::string, std::string> globals;
    // --btf PATH: the BTF the object's CO-RE relocations are applied
    // against, as libbpf's btf_custom_path gives it: a raw BTF file (from
    // /sys/kernel/btf or scripts/kernel-btf.sh btf) or an ELF vmlinux.
    // Empty: the running kernel's, /sys/kernel/btf/vmlinux. Read only if
    // the object has CO-RE relocations.
    std::string target_btf;
    // MAP=TYPE (--map-type): a map's type, as libbpf's bpf_map__set_type()
    // sets it before load; a ring (BPF_MAP_TYPE_RINGBUF) has no key or
    // value. libbpf-tools make their perf buffer "events" a ring so, where
    // the kernel has rings.
    std::map<std::string, uint32_t> map_types;
    // --kconfig PATH: the kernel configuration (a .config, plain or
    // gzip'd) the object's CONFIG_ __kconfig externs are read from, as
    // libbpf's kconfig option gives it (kconfig.hpp). Empty: the running
    // kernel's, /boot/config-$(uname -r) or /proc/config.gz.
    std::string kconfig;
};

// The possible CPUs, as libbpf counts them: a per-CPU map's values and a
// perf event array's default size. Throws kring::Error.
uint32_t possible_cpus();

// The values of repeated --max-entries MAP=N, --value-size MAP=N and --set
// NAME=VALUE options, into `settings`. Throws kring::Error (EINVAL) naming
// the option.
void parse_max_entries(const std::vector<std::string>& args, ObjectSettings* settings);
void parse_value_sizes(const std::vector<std::string>& args, ObjectSettings* settings);
void parse_globals(const std::vector<std::string>& args, ObjectSettings* settings);
// --map-type MAP=TYPE: TYPE a name (ringbuf, array, percpu_array, hash,
// percpu_hash, lru_hash, lru_percpu_hash, with or without BPF_MAP_TYPE_, in
// any case) or a number.
void parse_map_types(const std::vector<std::string>& args, ObjectSettings* settings);

// Throws kring::Error (errno EINVAL for malformed or unsupported objects,
// or the open/read errno) with a message naming the file and the problem.
// A map whose max_entries the object leaves to the loader (0) needs
// `settings` to give it. CO-RE relocations are applied against the target
// BTF `settings.target_btf` names (core_relo.hpp); one the target cannot
// resolve leaves its instruction a call the verifier refuses if reached,
// listed in Program::unresolved_core.
Object load_elf(const std::string& path, const ObjectSettings& settings = {});
// A file of raw struct bpf_insn; one program named after the file.
Object load_raw(const std::string& path);

struct VerifyOptions {
    uint32_t flags =
        KBPF_F_BPF_CAPABLE | KBPF_F_ALLOW_PTR_LEAKS | KBPF_F_BYPASS_SPEC_V1 | KBPF_F_BYPASS_SPEC_V4;
    uint32_t log_level = 1;
    kbpf_ctx_desc ctx{64, false, nullptr, 0, nullptr, false};
    // The kernel's types (kring::KernelBtf), for tp_btf contexts and
    // get_current_task_btf; nullptr: none (such programs are refused).
    const kbpf_btf* btf = nullptr;
};

struct Verdict {
    int error = 0; // 0: accepted, else the negative errno kbpf_verify returned
    std::string log;
    kbpf_verify_stats stats{};
    // The loads through kernel struct pointers (kbpf_verify_attr's
    // insn_btf_load), by instruction index: a runtime makes them
    // faulting-safe (mark_probe_loads()).
    std::vector<uint32_t> probe_loads;
};

// Verifies `prog`, whose map loads name indexes in `maps`. A frozen map
// (MapDecl::is_frozen) is read as its data, as the loaders freeze it.
Verdict verify(const Program& prog, std::span<const MapDecl> maps, const VerifyOptions& options);
// Makes `verdict`'s loads through kernel struct pointers faulting-safe
// (KBPF_PROBE_MEM) in `prog`, as the module does after verifying it, so
// that Runtime runs it as the module would.
void mark_probe_loads(Program& prog, const Verdict& verdict);

// Runs programs in the interpreter with userspace rings, maps simulated in
// userspace (UserMap) and helpers.
class Runtime {
public:
    // A userspace ring per ring map, sized max_entries, a prog array per
    // prog array map, a perf event array per perf event array map (see
    // on_perf_sample), and a UserMap per other map (a global data
    // section's holds its data).
    explicit Runtime(std::span<const MapDecl> maps);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Runs `prog` (which must have been verified) once on `ctx`; returns R0.
    // Throws kring::Error if the interpreter stops with an error. A tail
    // call taken ends the program, and the slot's program runs next on
    // `ctx`, as in the module: at most KRING_MAX_TAIL_CALLS per run.
    uint64_t run(const Program& prog, std::span<std::byte> ctx);
    // The programs the prog arrays' slots run: those the object puts in
    // them (MapDecl::slots) found by name among `programs`, which must
    // outlive the runtime. Throws kring::Error (EINVAL) for a slot naming
    // none of them. Until then the slots are empty.
    void fill_slots(std::span<const Program> programs);
    // Slot `slot` of prog array map `index` runs `prog` (nullptr: empty).
    void set_slot(size_t index, uint32_t slot, const Program* prog);

    // Where bpf_trace_printk's and bpf_trace_vprintk's lines go, one call
    // per line, as the module's go to the kring:bpf_trace_printk trace
    // event; until set, nowhere.
    void on_trace_printk(std::function<void(std::string_view)> sink);
    // Where bpf_perf_event_output's samples go, one call per sample with
    // the index of its PERF_EVENT_ARRAY map, padded as the perf core pads
    // them (kring/perf_buffer.hpp); until set, nowhere. The array stands
    // for a perf buffer open on every CPU, as kringctl run opens it: a
    // sample for this CPU's slot is taken, another CPU's slot gives
    // -EOPNOTSUPP, one past the array -E2BIG.
    void on_perf_sample(std::function<void(size_t, std::span<const std::byte>)> sink);

    // The ring, or the map, of the object's map `index` (throws
    // std::out_of_range if that map is the other kind).
    UserRing& ring(size_t index);
    UserMap& map(size_t index);

    struct Objects;

private:
    uint64_t run_one(const Program& prog, std::span<std::byte> ctx);
    std::unique_ptr<Objects> objects_;
    std::vector<uint8_t> stack_;
};

} // namespace kring::bpf
