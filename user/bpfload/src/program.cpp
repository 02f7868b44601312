#include <asm/ptrace.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <kring/core_relo.hpp>
#include <kring/program.hpp>
#include <kring/uprobe.hpp>
#include <linux/bpf_perf_event.h>
#include <optional>
#include <sstream>
#include <sys/ioctl.h>
#include <unistd.h>
#include <utility>

namespace kring {

namespace {

// /dev/kring, for a load or a prog array's creation.
UniqueFd open_device() {
    int fd = ::open(KRING_DEVICE_PATH, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw Error(errno,
                    "open " KRING_DEVICE_PATH " (is the kring module loaded? are you root?)");
    return UniqueFd(fd);
}

} // namespace

void Link::pin(const std::string& name) const {
    detail::pin_fd(fd_.get(), name, "link");
}

void Program::pin(const std::string& name) const {
    detail::pin_fd(fd_.get(), name, "program");
}

std::string kernel_name(const std::string& name) {
    std::string out = name.substr(0, KRING_PROG_NAME_LEN - 1);
    for (char& c : out)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.'))
            c = '_';
    return out;
}

Program Program::load(const bpf::Program& prog, std::span<const int> map_fds,
                      kring_attach_type attach_type, const LoadOptions& options) {
    std::vector<bpf_insn> insns = prog.insns;
    for (size_t i = 0; i + 1 < insns.size(); i++) {
        if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
            continue;
        if (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
            size_t index = static_cast<size_t>(insns[i].imm);
            if (index >= map_fds.size())
                throw Error(EINVAL, prog.name + ": map " + std::to_string(index) +
                                        " has no fd: pass one per map of the object");
            insns[i].imm = map_fds[index];
        }
        i++;
    }
    UniqueFd dev = open_device();
    std::vector<char> log(1 << 20);
    std::string name = kernel_name(prog.name);
    kring_prog_load req{};
    req.name = reinterpret_cast<uint64_t>(name.c_str());
    req.insns = reinterpret_cast<uint64_t>(insns.data());
    req.insn_cnt = static_cast<uint32_t>(insns.size());
    req.attach_type = attach_type;
    req.func_info = prog.func_info.empty() ? 0 : reinterpret_cast<uint64_t>(prog.func_info.data());
    req.func_info_cnt = static_cast<uint32_t>(prog.func_info.size());
    req.flags = options.flags;
    req.log_buf = reinterpret_cast<uint64_t>(log.data());
    req.log_size = static_cast<uint32_t>(log.size());
    req.log_level = options.log_level;
    req.attach_target = options.attach_target.empty()
                            ? 0
                            : reinterpret_cast<uint64_t>(options.attach_target.c_str());
    int fd = ::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req);
    int err = errno;
    if (fd < 0) {
        std::string why = err == EPERM ? " (loading needs CAP_BPF or CAP_SYS_ADMIN)" : "";
        throw Error(err, prog.name + ": load refused" + why + "\n" +
                             bpf::explain_core_rejection(prog, log.data()));
    }
    return Program(fd, log.data(), attach_type);
}

ProgArray ProgArray::create(uint32_t max_entries) {
    UniqueFd dev = open_device();
    kring_prog_array_create req{};
    req.max_entries = max_entries;
    int fd = ::ioctl(dev.get(), KRING_IOC_PROG_ARRAY_CREATE, &req);
    if (fd < 0)
        throw Error(errno, "a prog array of " + std::to_string(max_entries) + " slots");
    return ProgArray(fd);
}

void ProgArray::update(uint32_t index, const Program& prog) const {
    kring_prog_array_elem elem{};
    elem.index = index;
    elem.prog_fd = prog.fd();
    if (::ioctl(fd_.get(), KRING_IOC_PROG_ARRAY_UPDATE, &elem) != 0)
        throw Error(errno, "prog array slot " + std::to_string(index) + ": update");
}

bool ProgArray::remove(uint32_t index) const {
    kring_prog_array_elem elem{};
    elem.index = index;
    if (::ioctl(fd_.get(), KRING_IOC_PROG_ARRAY_DELETE, &elem) == 0)
        return true;
    if (errno == ENOENT)
        return false;
    throw Error(errno, "prog array slot " + std::to_string(index) + ": delete");
}

std::optional<uint32_t> ProgArray::lookup(uint32_t index) const {
    kring_prog_array_elem elem{};
    elem.index = index;
    if (::ioctl(fd_.get(), KRING_IOC_PROG_ARRAY_LOOKUP, &elem) == 0)
        return elem.prog_id;
    if (errno == ENOENT)
        return std::nullopt;
    throw Error(errno, "prog array slot " + std::to_string(index) + ": lookup");
}

kring_prog_info Program::info() const {
    kring_prog_info info{};
    if (::ioctl(fd_.get(), KRING_IOC_PROG_INFO, &info) != 0)
        throw Error(errno, "KRING_IOC_PROG_INFO");
    return info;
}

Link Program::attach(const std::string& target, const std::string& target_btf,
                     uint64_t cookie) const {
    if (attach_type_ == KRING_ATTACH_UPROBE || attach_type_ == KRING_ATTACH_URETPROBE) {
        UprobeTarget where = resolve_uprobe_target(target);
        return attach_uprobe(where.path, where.offset, 0, cookie);
    }
    if (attach_type_ == KRING_ATTACH_PERF_EVENT)
        throw Error(EINVAL, "a perf event program attaches to counters: attach_perf_event()");
    if (cookie && !kbpf_attach_has_cookie(attach_type_))
        throw Error(EINVAL, std::string("a ") + attach_type_name(attach_type_) +
                                " program's link has no cookie");
    kring_prog_attach req{};
    req.cookie = cookie;
    req.symbol = target.empty() ? 0 : reinterpret_cast<uint64_t>(target.c_str());
    if (attach_type_ == KRING_ATTACH_RAW_TRACEPOINT && !target.empty())
        req.raw_args = raw_tracepoint_args(target, target_btf);
    int fd = ::ioctl(fd_.get(), KRING_IOC_PROG_ATTACH, &req);
    if (fd < 0)
        throw Error(errno, target.empty() ? "attach" : "attach to " + target);
    return Link(fd);
}

Link Program::attach_uprobe(const std::string& path, uint64_t offset, int32_t pid,
                            uint64_t cookie) const {
    kring_prog_attach req{};
    req.cookie = cookie;
    req.symbol = reinterpret_cast<uint64_t>(path.c_str());
    req.offset = offset;
    req.pid = pid;
    int fd = ::ioctl(fd_.get(), KRING_IOC_PROG_ATTACH, &req);
    if (fd < 0) {
        std::ostringstream where;
        where << "attach to " << path << "+0x" << std::hex << offset;
        if (pid)
            where << std::dec << " in process " << pid;
        throw Error(errno, where.str());
    }
    return Link(fd);
}

Link Program::attach_perf_event(const perf_event_attr& attr, uint64_t cookie) const {
    kring_prog_attach req{};
    req.cookie = cookie;
    req.symbol = reinterpret_cast<uint64_t>(&attr);
    int fd = ::ioctl(fd_.get(), KRING_IOC_PROG_ATTACH, &req);
    if (fd < 0)
        throw Error(errno,
                    "attach to perf counters of event " + std::to_string(attr.type) + ":" +
                        std::to_string(attr.config) +
                        (errno == EOPNOTSUPP ? " (kring samples software events only)" : ""));
    return Link(fd);
}

TestRun Program::test_run(std::span<std::byte> ctx, uint32_t repeat) const {
    kring_prog_test_run req{};
    req.ctx = reinterpret_cast<uint64_t>(ctx.data());
    req.ctx_size = static_cast<uint32_t>(ctx.size());
    req.repeat = repeat;
    if (::ioctl(fd_.get(), KRING_IOC_PROG_TEST_RUN, &req) < 0)
        throw Error(errno, "test run (the context must be exactly the attach point's size)");
    return {req.retval, req.duration_ns};
}

namespace {

struct AttachName {
    const char* name;
    kring_attach_type type;
    uint32_t ctx_size;
    const char* ctx_struct; // context_struct_name()
};

const AttachName kAttachNames[] = {
    {"sched_process_fork", KRING_ATTACH_SCHED_PROCESS_FORK, sizeof(kring_ctx_fork),
     "kring_ctx_fork"},
    {"sched_process_exec", KRING_ATTACH_SCHED_PROCESS_EXEC, sizeof(kring_ctx_exec),
     "kring_ctx_exec"},
    {"sched_process_exit", KRING_ATTACH_SCHED_PROCESS_EXIT, sizeof(kring_ctx_exit),
     "kring_ctx_exit"},
    {"sys_enter", KRING_ATTACH_SYS_ENTER, sizeof(kring_ctx_sys_enter), "kring_ctx_sys_enter"},
    {"sys_exit", KRING_ATTACH_SYS_EXIT, sizeof(kring_ctx_sys_exit), "kring_ctx_sys_exit"},
    {"kprobe", KRING_ATTACH_KPROBE, sizeof(pt_regs), "pt_regs"},
    {"kretprobe", KRING_ATTACH_KRETPROBE, sizeof(pt_regs), "pt_regs"},
    {"uprobe", KRING_ATTACH_UPROBE, sizeof(pt_regs), "pt_regs"},
    {"uretprobe", KRING_ATTACH_URETPROBE, sizeof(pt_regs), "pt_regs"},
    {"perf_event", KRING_ATTACH_PERF_EVENT, sizeof(bpf_perf_event_data), "bpf_perf_event_data"},
    {"tracepoint", KRING_ATTACH_TRACEPOINT, KRING_TRACEPOINT_CTX_SIZE, nullptr},
    {"raw_tracepoint", KRING_ATTACH_RAW_TRACEPOINT, KRING_RAW_TP_CTX_SIZE,
     "bpf_raw_tracepoint_args"},
    {"tp_btf", KRING_ATTACH_TP_BTF, KRING_RAW_TP_CTX_SIZE, nullptr},
    {"fentry", KRING_ATTACH_FENTRY, KRING_RAW_TP_CTX_SIZE, nullptr},
    {"fexit", KRING_ATTACH_FEXIT, KRING_RAW_TP_CTX_SIZE, nullptr},
};

} // namespace

bool needs_target(kring_attach_type type) {
    return type == KRING_ATTACH_KPROBE || type == KRING_ATTACH_KRETPROBE ||
           type == KRING_ATTACH_TRACEPOINT || type == KRING_ATTACH_RAW_TRACEPOINT ||
           type == KRING_ATTACH_UPROBE || type == KRING_ATTACH_URETPROBE;
}

bool typed_attach(kring_attach_type type) {
    return kbpf_attach_typed(type);
}

kring_attach_type attach_type_of_name(const std::string& name) {
    for (const auto& a : kAttachNames)
        if (name == a.name)
            return a.type;
    return static_cast<kring_attach_type>(0);
}

const char* attach_type_name(kring_attach_type type) {
    for (const auto& a : kAttachNames)
        if (type == a.type)
            return a.name;
    return "?";
}

const char* context_struct_name(kring_attach_type type) {
    for (const auto& a : kAttachNames)
        if (type == a.type)
            return a.ctx_struct;
    return nullptr;
}

uint32_t context_size(kring_attach_type type) {
    for (const auto& a : kAttachNames)
        if (type == a.type)
            return a.ctx_size;
    return 0;
}

kring_attach_type attach_type_of_section(const std::string& section, std::string* target) {
    auto after = [&](const std::string& prefix) -> std::optional<std::string> {
        if (section.rfind(prefix, 0) != 0 || section.size() == prefix.size())
            return std::nullopt;
        return section.substr(prefix.size());
    };
    // libbpf's SEC("kprobe") and SEC("kretprobe"): the function is given
    // at attach (kringctl run --target).
    if (section == "kprobe")
        return KRING_ATTACH_KPROBE;
    if (section == "kretprobe")
        return KRING_ATTACH_KRETPROBE;
    // The same for uprobes: the tool names PATH:FUNCTION at attach.
    if (section == "uprobe")
        return KRING_ATTACH_UPROBE;
    if (section == "uretprobe")
        return KRING_ATTACH_URETPROBE;
    // libbpf's SEC("perf_event"): the counters are given at attach.
    if (section == "perf_event")
        return KRING_ATTACH_PERF_EVENT;
    // uprobe/PATH:FUNCTION: the path may have slashes. Without a
    // function ("uretprobe/readline", bashreadline's), libbpf loads it and
    // leaves the attach to the tool, as for a bare section: so here.
    for (auto [prefix, type] :
         {std::pair{"uprobe/", KRING_ATTACH_UPROBE}, {"uretprobe/", KRING_ATTACH_URETPROBE}}) {
        std::optional<std::string> where = after(prefix);
        if (!where)
            continue;
        size_t colon = where->rfind(':');
        if (target && colon != std::string::npos && colon != 0 && colon + 1 != where->size())
            *target = *where;
        return type;
    }
    for (auto [prefix, type] : {std::pair{"kprobe/", KRING_ATTACH_KPROBE},
                                {"kretprobe/", KRING_ATTACH_KRETPROBE},
                                {"tracepoint/", KRING_ATTACH_TRACEPOINT},
                                {"tp/", KRING_ATTACH_TRACEPOINT},
                                {"raw_tracepoint/", KRING_ATTACH_RAW_TRACEPOINT},
                                {"raw_tp/", KRING_ATTACH_RAW_TRACEPOINT},
                                {"tp_btf/", KRING_ATTACH_TP_BTF},
                                {"fentry/", KRING_ATTACH_FENTRY},
                                {"fexit/", KRING_ATTACH_FEXIT}}) {
        std::optional<std::string> name = after(prefix);
        if (!name)
            continue;
        size_t slash = name->find('/');
        // A raw tracepoint's or a function's name has no category.
        if ((type == KRING_ATTACH_RAW_TRACEPOINT || typed_attach(type)) &&
            slash != std::string::npos)
            return static_cast<kring_attach_type>(0);
        // A trace event is CATEGORY/NAME, both parts there.
        if (type == KRING_ATTACH_TRACEPOINT &&
            (slash == 0 || slash == std::string::npos || slash + 1 == name->size() ||
             name->find('/', slash + 1) != std::string::npos))
            return static_cast<kring_attach_type>(0);
        if (target)
            *target = *name;
        return type;
    }
    // ksyscall/kill, kretsyscall/kill: a kprobe on the syscall's function,
    // as libbpf attaches them; x86-64 kernels (4.17 on) name it
    // __x64_sys_kill, and it gets the syscall's pt_regs as its argument
    // (bpf_tracing.h's BPF_KSYSCALL reads them through it).
    for (auto [prefix, type] :
         {std::pair{"ksyscall/", KRING_ATTACH_KPROBE}, {"kretsyscall/", KRING_ATTACH_KRETPROBE}}) {
        std::optional<std::string> name = after(prefix);
        if (!name)
            continue;
        if (name->find('/') != std::string::npos)
            return static_cast<kring_attach_type>(0);
        if (target)
            *target = "__x64_sys_" + *name;
        return type;
    }
    // kring/sched_process_exec...: kring's own context structs.
    if (std::optional<std::string> name = after("kring/")) {
        kring_attach_type type = attach_type_of_name(*name);
        return needs_target(type) ? static_cast<kring_attach_type>(0) : type;
    }
    return static_cast<kring_attach_type>(0);
}

kbpf_ctx_desc ProgramContext::desc(bool writable) const {
    kbpf_ctx_desc d{};
    d.size = size;
    d.writable = writable;
    d.attach_type = attach;
    if (typed_attach(attach))
        kbpf_typed_ctx(&tp, attach, target.c_str(), &d);
    return d;
}

namespace {

// The kernel's BTF for a program that needs it, and a typed program's
// tracepoint or function, named by its section.
void add_kernel_btf(const bpf::Program& prog, ProgramContext* ctx, const std::string& target_btf) {
    bool typed = typed_attach(ctx->attach);
    if (!needs_kernel_btf(prog.insns, typed))
        return;
    ctx->btf = std::make_shared<const KernelBtf>(target_btf);
    if (!typed)
        return;
    if (attach_type_of_section(prog.section, &ctx->target) != ctx->attach) {
        std::string name = attach_type_name(ctx->attach);
        throw Error(EINVAL, "section " + prog.section + " (" + prog.name + "): a " + name +
                                " program's section names its " +
                                (ctx->attach == KRING_ATTACH_TP_BTF ? "tracepoint" : "function") +
                                " (" + name + "/NAME)");
    }
    ctx->tp = ctx->btf->typed_args(ctx->attach, ctx->target);
    ctx->description += " " + ctx->target;
}

} // namespace

ProgramContext context_of(const bpf::Program& prog, const std::string& attach,
                          std::optional<uint32_t> ctx_size, const std::string& target_btf) {
    ProgramContext ctx;
    if (ctx_size) {
        ctx.size = *ctx_size;
        ctx.description = std::to_string(*ctx_size) + "-byte context";
        return ctx;
    }
    if (!attach.empty()) {
        ctx.attach = attach_type_of_name(attach);
        if (!ctx.attach)
            throw Error(EINVAL, "--attach " + attach +
                                    ": not an attach point (sched_process_fork, "
                                    "sched_process_exec, sched_process_exit, sys_enter, "
                                    "sys_exit, kprobe, kretprobe, tracepoint, "
                                    "raw_tracepoint, tp_btf, fentry, fexit)");
    } else {
        ctx.attach = attach_type_of_section(prog.section);
        if (!ctx.attach)
            throw Error(EINVAL, "section " + prog.section + " (" + prog.name +
                                    "): unknown attach point: name one with --attach, or "
                                    "give --ctx-size");
    }
    ctx.size = context_size(ctx.attach);
    ctx.description = attach_type_name(ctx.attach);
    add_kernel_btf(prog, &ctx, target_btf);
    return ctx;
}

} // namespace kring
