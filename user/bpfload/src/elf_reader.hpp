// An ELF file open for reading with libelf: the descriptor and libelf's
// handle, released together. The BPF object loader (elf_loader.cpp) and
// the uprobe resolver (uprobe.cpp) read their files through it.
#pragma once

#include <gelf.h>
#include <libelf.h>
#include <string>

namespace kring::bpf {

class ElfReader {
public:
    // Throws kring::Error: "PATH: cannot open" with the open's errno, or
    // EINVAL with "PATH: not an ELF file".
    explicit ElfReader(const std::string& path);
    ~ElfReader();
    ElfReader(const ElfReader&) = delete;
    ElfReader& operator=(const ElfReader&) = delete;

    Elf* elf() const noexcept { return elf_; }
    const GElf_Ehdr& header() const noexcept { return header_; }

private:
    void release() noexcept;

    int fd_ = -1;
    Elf* elf_ = nullptr;
    GElf_Ehdr header_{};
};

} // namespace kring::bpf
