#pragma once
// The kernel's BTF as kring's verifier reads it (kmod/bpf/btf.h): the
// running kernel's /sys/kernel/btf/vmlinux, which the module reads too, or
// another kernel's BTF file (--btf), for verifying a program against it.

extern "C" {
#include "kbpf_btf.h"
#include "tp_btf.h"
}

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kring {

class KernelBtf {
public:
    static constexpr const char* kRunningKernel = "/sys/kernel/btf/vmlinux";

    // Reads and parses `path` (empty: kRunningKernel). Throws kring::Error:
    // the read's errno, or EINVAL with what is malformed.
    explicit KernelBtf(const std::string& path = {});
    ~KernelBtf();
    KernelBtf(const KernelBtf&) = delete;
    KernelBtf& operator=(const KernelBtf&) = delete;

    const kbpf_btf* get() const noexcept { return btf_; }
    const std::string& path() const noexcept { return path_; }
    // The arguments of the tracepoint `name` ("sched_process_exec"), as a
    // tp_btf program's context has them (kbpf_tp_btf_args). Throws
    // kring::Error: ENOENT if there is no such tracepoint, E2BIG, EINVAL.
    kbpf_tp_btf tracepoint(const std::string& name) const;
    // The arguments of a typed program's (kring::typed_attach())
    // tracepoint or kernel function `name`: a tp_btf program's as above,
    // an fentry program's the function's, an fexit program's the result
    // after them (kbpf_typed_args). Throws kring::Error: ENOENT if there
    // is no such tracepoint or function, E2BIG, EINVAL.
    kbpf_tp_btf typed_args(uint32_t attach_type, const std::string& name) const;

private:
    std::string path_;
    std::vector<std::byte> data_;
    kbpf_btf* btf_ = nullptr;
};

// Whether the verifier needs the kernel's BTF for `insns`: a program of a
// typed context (`typed`: tp_btf, fentry, fexit), or one that calls
// get_current_task_btf (kbpf_needs_btf).
bool needs_kernel_btf(std::span<const bpf_insn> insns, bool typed);

} // namespace kring
