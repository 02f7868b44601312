// A raw tracepoint's arguments from the kernel's BTF: the typedef
// btf_trace_NAME is a pointer to the prototype of the tracepoint's probes,
// whose first parameter is the probe's data and the rest the arguments.
#include <bpf/btf.h>
#include <cerrno>
#include <kring/btf_ext.hpp>
#include <kring/program.hpp>
#include <memory>

namespace kring {

namespace {

struct BtfDeleter {
    void operator()(btf* b) const { btf__free(b); }
};

// log2 of an argument size a u64 slot holds (1, 2, 4 or 8 bytes), else -1.
int size_log2(long long size) {
    switch (size) {
    case 1:
        return 0;
    case 2:
        return 1;
    case 4:
        return 2;
    case 8:
        return 3;
    default:
        return -1;
    }
}

} // namespace

uint32_t raw_tracepoint_args(const std::string& name, const std::string& target_btf) {
    std::string file = target_btf.empty() ? "/sys/kernel/btf/vmlinux" : target_btf;
    std::unique_ptr<btf, BtfDeleter> b(btf__parse(file.c_str(), nullptr));
    if (!b)
        throw Error(errno ? errno : EINVAL,
                    "raw tracepoint " + name + ": cannot read the kernel's BTF " + file);
    std::string typedef_name = "btf_trace_" + name;
    int id = btf__find_by_name_kind(b.get(), typedef_name.c_str(), BTF_KIND_TYPEDEF);
    if (id < 0)
        throw Error(ENOENT, "raw tracepoint " + name + ": the kernel has no such tracepoint (no " +
                                typedef_name + " in " + file + ")");
    const btf_type* ptr = bpf::skip_mods(b.get(), static_cast<uint32_t>(id));
    const btf_type* proto = ptr && btf_is_ptr(ptr) ? bpf::skip_mods(b.get(), ptr->type) : nullptr;
    if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) == 0)
        throw Error(EINVAL, "raw tracepoint " + name + ": " + typedef_name + " in " + file +
                                " is not a pointer to a probe's prototype");
    uint32_t count = btf_vlen(proto) - 1; // the first is the probe's data
    if (count > KRING_RAW_TP_MAX_ARGS)
        throw Error(E2BIG, "raw tracepoint " + name + ": " + std::to_string(count) +
                               " arguments, more than a program's context holds (" +
                               std::to_string(KRING_RAW_TP_MAX_ARGS) + ")");
    uint32_t raw_args = KRING_RAW_ARGS_COUNT(count);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t type = btf_params(proto)[i + 1].type;
        int log2 = size_log2(btf__resolve_size(b.get(), type));
        // Linux's raw tracepoints take each argument as one u64 too.
        if (log2 < 0)
            throw Error(EINVAL, "raw tracepoint " + name + ": argument " + std::to_string(i) +
                                    " (" + bpf::describe_btf_type(b.get(), type) +
                                    ") is not 1, 2, 4 or 8 bytes: it does not fit a u64");
        raw_args |= KRING_RAW_ARG_SIZE(i, static_cast<uint32_t>(log2));
    }
    return raw_args;
}

} // namespace kring
