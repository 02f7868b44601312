#include "elf_reader.hpp"

#include "invalid_object.hpp"

#include <cerrno>
#include <fcntl.h>
#include <kring/kring.hpp>
#include <unistd.h>

namespace kring::bpf {

ElfReader::ElfReader(const std::string& path) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        invalid(path, "libelf is too old");
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
        throw Error(errno, path + ": cannot open");
    elf_ = elf_begin(fd_, ELF_C_READ, nullptr);
    if (!elf_ || !gelf_getehdr(elf_, &header_)) {
        release(); // no destructor runs after a throwing constructor
        invalid(path, "not an ELF file");
    }
}

ElfReader::~ElfReader() {
    release();
}

void ElfReader::release() noexcept {
    if (elf_)
        elf_end(elf_);
    if (fd_ >= 0)
        ::close(fd_);
    elf_ = nullptr;
    fd_ = -1;
}

} // namespace kring::bpf
