// A raw tracepoint's arguments from the kernel's BTF: the typedef
// btf_trace_NAME is a pointer to the prototype of the tracepoint's probes,
// whose first parameter is the probe's data and the rest the arguments. The
// module describes a tp_btf program's tracepoint with the same code
// (kmod/bpf/tp_btf.c).
#include <kring/kernel_btf.hpp>
#include <kring/program.hpp>

namespace kring {

uint32_t raw_tracepoint_args(const std::string& name, const std::string& target_btf) {
    return KernelBtf(target_btf).tracepoint(name).raw_args;
}

} // namespace kring
