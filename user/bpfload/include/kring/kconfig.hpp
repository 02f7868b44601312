// libbpf's __kconfig externs: `extern int LINUX_KERNEL_VERSION __kconfig;`,
// `extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig __weak;`. The object
// leaves them undefined symbols, typed in its BTF's DATASEC ".kconfig"; the
// loader gives them their values as libbpf does, in a map ".kconfig": a
// single-entry ARRAY, read-only to programs and frozen, so the verifier
// knows the values as constants and skips the code they disable (bpf_tracing.h's
// BPF_KSYSCALL tests LINUX_HAS_SYSCALL_WRAPPER so).
#pragma once

#include <cstdint>
#include <kring/bpfload.hpp>
#include <string>
#include <vector>

struct btf;

namespace kring::bpf {

// An undefined symbol of the object that BTF places in DATASEC ".kconfig".
struct KconfigExtern {
    std::string name;
    bool weak = false; // __weak: 0 where the configuration has no value
};

// The map ".kconfig" with a variable for each of `externs` (of the object
// `path`, typed by its BTF `b`), at an offset aligned for its type, filled
// as libbpf fills them:
// - CONFIG_NAME from the kernel configuration `config_path` (a .config,
//   plain or gzip'd), or if empty the running kernel's: /boot/config-RELEASE,
//   else /proc/config.gz. "y"/"n"/"m" give a bool 1/0 (m: an error), an enum
//   libbpf_tristate TRI_YES/TRI_NO/TRI_MODULE, or a char 'y'/'n'/'m'; a
//   number an integer or char that holds it; a "string" a char array (cut to
//   fit, NUL-terminated). The file is read only if a CONFIG_ extern exists.
// - LINUX_KERNEL_VERSION: running_kernel_version().
// - LINUX_HAS_SYSCALL_WRAPPER: whether the running kernel has
//   __x64_sys_bpf (/proc/kallsyms), as libbpf probes it.
// - LINUX_HAS_BPF_COOKIE: 1 (kring has bpf_get_attach_cookie).
// A __weak extern without a value reads 0; a strong one, a value that does
// not fit its type, an unsupported type, an unknown LINUX_ name or a name
// without either prefix throws kring::Error (EINVAL, or the configuration
// file's errno) naming the extern.
MapDecl kconfig_map(const std::string& path, const btf* b,
                    const std::vector<KconfigExtern>& externs, const std::string& config_path);

// Linux's LINUX_VERSION_CODE, KERNEL_VERSION(a, b, c) = a << 16 | b << 8 |
// min(c, 255), of the kernel whose uname(2) `release` and `version` these
// are, and whose /proc/version_signature is `ubuntu_signature` (empty if
// none). Ubuntu's and Debian's releases do not carry the sublevel
// ("6.1.0-57-amd64"): it is in the signature ("Ubuntu 5.15.0-91.101-generic
// 5.15.131") or the version ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1"). 0
// if none of them has a version.
uint32_t kernel_version_code(const std::string& release, const std::string& version,
                             const std::string& ubuntu_signature);
// The same for the running kernel.
uint32_t running_kernel_version();

} // namespace kring::bpf
