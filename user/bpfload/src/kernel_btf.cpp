// The kernel's BTF for the verifier, read from a file: see kernel_btf.hpp.
#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <kring/btf_ext.hpp>
#include <kring/kernel_btf.hpp>
#include <kring/kring.hpp>
#include <memory>

namespace kring {

KernelBtf::KernelBtf(const std::string& path) : path_(path.empty() ? kRunningKernel : path) {
    // libbpf reads it, raw or from an ELF vmlinux's .BTF section, as
    // --btf files may be; kring's parser checks what it then reads.
    bpf::BtfPtr file(btf__parse(path_.c_str(), nullptr));
    if (!file)
        throw Error(errno ? errno : EINVAL, "cannot read the kernel's BTF " + path_);
    uint32_t size = 0;
    const void* raw = btf__raw_data(file.get(), &size);
    if (!raw)
        throw Error(ENOMEM, "cannot read the kernel's BTF " + path_);
    data_.resize(size);
    std::memcpy(data_.data(), raw, size);
    const char* why = nullptr;
    int err = kbpf_btf_parse(data_.data(), size, &btf_, &why);
    if (err)
        throw Error(-err, path_ + ": not the kernel's BTF: " + (why ? why : strerror(-err)));
}

KernelBtf::~KernelBtf() {
    kbpf_btf_free(btf_);
}

kbpf_tp_btf KernelBtf::tracepoint(const std::string& name) const {
    return typed_args(KRING_ATTACH_TP_BTF, name);
}

kbpf_tp_btf KernelBtf::typed_args(uint32_t attach_type, const std::string& name) const {
    kbpf_tp_btf tp{};
    char msg[256];
    int err = kbpf_typed_args(btf_, attach_type, name.c_str(), &tp, msg, sizeof(msg));
    if (err)
        throw Error(-err, path_ + ": " + msg);
    return tp;
}

bool needs_kernel_btf(std::span<const bpf_insn> insns, bool typed) {
    return kbpf_needs_btf(insns.data(), static_cast<uint32_t>(insns.size()), typed);
}

} // namespace kring
