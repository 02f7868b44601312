// Where a uprobe goes: a function of a native ELF file (an executable or a
// shared library), found as libbpf finds it for SEC("uprobe/PATH:FUNC")
// and bpf_program__attach_uprobe(): the file by its path or, named without
// a slash, in the library directories or $PATH; the function by its symbol,
// as the offset of its entry in the file, which Linux's uprobes take.
#pragma once

#include <cstdint>
#include <string>

namespace kring {

struct UprobeTarget {
    std::string path;
    uint64_t offset = 0; // in the file
};

// "PATH:FUNCTION" or "PATH:FUNCTION+OFFSET" (OFFSET bytes into it, decimal
// or 0x hex). Throws kring::Error: EINVAL for a malformed target, ENOENT
// for a file or a function not found.
UprobeTarget resolve_uprobe_target(const std::string& target);

// The file `name` names: itself if it has a slash; a shared library
// ("libc.so.6", a name with ".so") in $LD_LIBRARY_PATH, then /lib64,
// /usr/lib64, /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib and
// /usr/lib; else an executable in $PATH. Throws kring::Error (ENOENT).
std::string resolve_binary_path(const std::string& name);

// The file offset of the entry of function `function` (a defined STT_FUNC
// or STT_GNU_IFUNC symbol of .symtab or .dynsym, "name@VERSION" matching
// "name") in ELF file `path`: its address less its executable segment's,
// plus that segment's file offset. Throws kring::Error.
uint64_t elf_function_offset(const std::string& path, const std::string& function);

} // namespace kring
