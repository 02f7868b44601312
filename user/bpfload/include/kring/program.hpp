// Programs in the kernel: load a verified program into the module, attach
// it to an event, test-run it, pin it. RAII: closing a Program or a Link
// releases it (a Link detaches on destruction, unless it is pinned). See
// docs/programs.md.
//
// Thread safety: the const members of Program and Link may be called from
// any number of threads at once (each is one system call); moving,
// assigning or destroying one needs every other use of it to be over.
#pragma once

#include <kring/bpfload.hpp>
#include <kring/kernel_btf.hpp>
#include <kring/unique_fd.hpp>
#include <linux/kring.h>
#include <linux/perf_event.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kring {

// An attached program: detaches when destroyed, unless pinned. Move-only.
class Link {
public:
    explicit Link(int fd) : fd_(fd) {}
    int fd() const noexcept { return fd_.get(); }
    // Names the link (KRING_IOC_PIN, needs CAP_BPF), as bpftool link pin
    // does: it then stays attached after this object and its process are
    // gone, until kring::Ring::unpin(name) drops the name (then it is
    // detached, if nothing else holds it). Names are shared with rings and
    // programs.
    void pin(const std::string& name) const;

private:
    UniqueFd fd_;
};

struct LoadOptions {
    uint32_t log_level = 1;
    uint32_t flags = 0; // KRING_PROG_F_*
    // KRING_ATTACH_TP_BTF: the tracepoint ("sched_process_exec"); _FENTRY,
    // _FEXIT: the function ("do_unlinkat"); named at load, since the
    // verifier types the context by its arguments (typed_attach()).
    std::string attach_target;
};

struct TestRun {
    uint64_t retval = 0;
    uint64_t duration_ns = 0; // mean per run
};

class Program {
public:
    // Loads `prog` for `attach_type`; its map loads name maps by index
    // (kring::bpf::Object::maps), which map_fds maps to the fds of rings
    // (kring::Ring) and Linux maps (kring::LinuxMap). Throws
    // kring::Error with the verifier's log when the module refuses it. The
    // module is given the program's name as kernel_name() makes it.
    static Program load(const bpf::Program& prog, std::span<const int> map_fds,
                        kring_attach_type attach_type, const LoadOptions& options = {});

    // Attaches to the program's attach point: a kprobe's needs the
    // function, a trace event's its "CATEGORY/NAME", a raw tracepoint's
    // its NAME, a uprobe's its "PATH:FUNCTION[+OFFSET]" (needs_target();
    // resolve_uprobe_target(), in every process); a tp_btf program's was
    // named at load. A raw tracepoint's arguments are read from the kernel
    // BTF `target_btf` names (raw_tracepoint_args()). The link's runs get
    // `cookie` from bpf_get_attach_cookie() (libbpf's bpf_cookie; not for
    // raw tracepoints and tp_btf: kbpf_attach_has_cookie()).
    Link attach(const std::string& target = {}, const std::string& target_btf = {},
                uint64_t cookie = 0) const;
    // A uprobe's or uretprobe's: at `offset` in the file at `path`, hit by
    // process `pid` only, or by every process for 0.
    Link attach_uprobe(const std::string& path, uint64_t offset, int32_t pid = 0,
                       uint64_t cookie = 0) const;
    // A perf event program's: a sampling counter of `attr` (a software
    // event, its sample_period or, with freq, sample_freq set) on each
    // online CPU, counting every task.
    Link attach_perf_event(const perf_event_attr& attr, uint64_t cookie = 0) const;
    // Runs it `repeat` times on `ctx` in the kernel (KRING_IOC_PROG_TEST_RUN).
    TestRun test_run(std::span<std::byte> ctx, uint32_t repeat = 1) const;
    // Names the program (KRING_IOC_PIN, needs CAP_BPF), as bpftool prog
    // load ... pinned does: it lives on, loaded but attached to nothing,
    // until kring::Ring::unpin(name). Names are shared with rings and links.
    void pin(const std::string& name) const;
    // The verifier's log of the load (its statistics line at level 0 or 1),
    // then the line that says which runtime runs it ("runtime: jit, ...").
    const std::string& log() const noexcept { return log_; }
    // How it runs, its run counters (KRING_IOC_PROG_INFO).
    kring_prog_info info() const;
    // Whether it runs as machine code from the kernel's JIT (else kring's
    // interpreter: KRING_PROG_F_INTERPRETER, kring.jit=0, the JIT off).
    bool jited() const { return info().runtime == KRING_RUNTIME_JIT; }
    int fd() const noexcept { return fd_.get(); }

private:
    Program(int fd, std::string log, kring_attach_type attach_type)
        : fd_(fd), log_(std::move(log)), attach_type_(attach_type) {}
    UniqueFd fd_;
    std::string log_;
    kring_attach_type attach_type_;
};

// A prog array of the module (KRING_IOC_PROG_ARRAY_*): the slots a
// program's bpf_tail_call() jumps through, each holding a loaded program.
// Closing it empties every slot (docs/programs.md, "Tail calls"). Move-only.
class ProgArray {
public:
    // A new prog array of `max_entries` slots; throws kring::Error.
    static ProgArray create(uint32_t max_entries);
    // Slot `index` runs `prog` (E2BIG: past max_entries; EINVAL: a program
    // of another context than the array's).
    void update(uint32_t index, const Program& prog) const;
    // Empties slot `index`; false if it was empty.
    bool remove(uint32_t index) const;
    // The id of the program in slot `index`, or nothing if it is empty.
    std::optional<uint32_t> lookup(uint32_t index) const;
    int fd() const noexcept { return fd_.get(); }

private:
    explicit ProgArray(int fd) : fd_(fd) {}
    UniqueFd fd_;
};

// The name the module is given for a program called `name` (its function
// name): its first KRING_PROG_NAME_LEN - 1 characters, each outside
// [A-Za-z0-9_.] as '_', since the module takes Linux's rule for prog_name;
// libbpf cuts a function name to the same length.
std::string kernel_name(const std::string& name);

// The attach point a libbpf-style section name means: "kprobe/do_unlinkat"
// and "kretprobe/do_unlinkat" (then *target is the function),
// "kprobe" and "kretprobe" (the function given at attach: *target is left
// as it is), "ksyscall/kill" and "kretsyscall/kill" (a kprobe and kretprobe
// on the syscall's function: *target is "__x64_sys_kill"),
// "tracepoint/sched/sched_process_exec" or "tp/sched/sched_process_exec"
// (any trace event, with Linux's record as context; *target is
// "sched/sched_process_exec"), "raw_tp/sys_enter" or
// "raw_tracepoint/sys_enter" (a tracepoint's raw arguments; *target is
// "sys_enter"), "tp_btf/sched_process_exec" (the same arguments, typed by
// the kernel's BTF; *target is "sched_process_exec", which the load names:
// LoadOptions::attach_target), "fentry/do_unlinkat" and "fexit/do_unlinkat"
// (a kernel function's typed arguments at entry, and at exit its result;
// *target is the function, named at load too), "uprobe/PATH:FUNCTION" and
// "uretprobe/PATH:FUNCTION" (a user function's entry and return; *target is
// "PATH:FUNCTION"; bare "uprobe" and "uretprobe", and those naming no
// function, "uretprobe/readline", take it at attach),
// "perf_event" (a sampling counter's overflows: attach_perf_event()), or
// "kring/sched_process_exec" for kring's own contexts (struct
// kring_ctx_exec...); 0 if none.
kring_attach_type attach_type_of_section(const std::string& section, std::string* target = nullptr);
// By name: "sched_process_fork", ..., "sys_enter", "sys_exit", "kprobe",
// "kretprobe", "tracepoint", "raw_tracepoint", "tp_btf", "fentry", "fexit";
// 0 if none.
kring_attach_type attach_type_of_name(const std::string& name);
const char* attach_type_name(kring_attach_type type);
// A kprobe, kretprobe, trace event, raw tracepoint, uprobe or uretprobe:
// attached to a function or an event it names (struct kring_prog_attach's
// symbol; a uprobe's file, and its offset).
bool needs_target(kring_attach_type type);
// A tp_btf, fentry or fexit program: its context typed by the kernel's BTF,
// its tracepoint or function named at load (LoadOptions::attach_target).
bool typed_attach(kring_attach_type type);
// The struct a global function's pointer argument points to when that
// argument is the program's context, as Linux tells by the struct's name:
// "pt_regs" for kprobes, "bpf_raw_tracepoint_args" for raw tracepoints,
// "kring_ctx_exec"... for kring's own contexts; nullptr where the context
// is no struct to Linux (trace events, tp_btf), whose programs cannot pass
// it to a global function.
const char* context_struct_name(kring_attach_type type);
// struct kring_prog_attach's raw_args for the raw tracepoint `name`
// ("sys_enter"): its arguments' count and sizes, from the typedef
// btf_trace_NAME of the BTF file `target_btf` (empty: the running
// kernel's, /sys/kernel/btf/vmlinux). Throws kring::Error: ENOENT if that
// BTF has no such tracepoint, E2BIG past KRING_RAW_TP_MAX_ARGS arguments,
// EINVAL for an argument not of 1, 2, 4 or 8 bytes (a struct passed by
// value, as Linux refuses), or the error reading the file.
uint32_t raw_tracepoint_args(const std::string& name, const std::string& target_btf = {});
// The context size the attach point gives its programs.
uint32_t context_size(kring_attach_type type);

// The context a program is verified (and run) against.
struct ProgramContext {
    kring_attach_type attach = static_cast<kring_attach_type>(0); // 0 with an explicit size
    uint32_t size = 0;
    std::string description; // "sched_process_exec" or "40-byte context"
    // The kernel's BTF, when the program needs it (needs_kernel_btf()):
    // a typed program's, whose tracepoint or function `target` has the
    // arguments `tp`.
    std::shared_ptr<const KernelBtf> btf;
    std::string target;
    kbpf_tp_btf tp{};

    // What the verifier is given (it points into this object).
    kbpf_ctx_desc desc(bool writable = false) const;
    const kbpf_btf* kernel_btf() const { return btf ? btf->get() : nullptr; }
};

// `ctx_size` if given, else the attach point `attach` names (an --attach
// name) if not empty, else the one the program's section names. Throws
// kring::Error (EINVAL) if that leaves none, or `attach` names none. A
// program that needs the kernel's BTF gets that of `target_btf` (empty:
// the running kernel's); a typed program's section names its tracepoint
// (tp_btf/NAME) or function (fentry/NAME, fexit/NAME), whose arguments it
// then has.
ProgramContext context_of(const bpf::Program& prog, const std::string& attach,
                          std::optional<uint32_t> ctx_size, const std::string& target_btf = {});

} // namespace kring
