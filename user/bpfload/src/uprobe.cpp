#include "elf_reader.hpp"

#include <cerrno>
#include <cstdlib>
#include <gelf.h>
#include <kring/kring.hpp>
#include <kring/uprobe.hpp>
#include <libelf.h>
#include <optional>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace kring {

namespace {

// A native ELF file: its functions and the segments that map them.
class NativeElf {
public:
    explicit NativeElf(const std::string& path) : reader_(path), elf_(reader_.elf()) {}

    // The address of defined function `function`, from .symtab or .dynsym.
    std::optional<uint64_t> function_address(const std::string& function) const {
        for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf_, scn));) {
            GElf_Shdr shdr;
            if (!gelf_getshdr(scn, &shdr) ||
                (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM) || !shdr.sh_entsize)
                continue;
            Elf_Data* data = elf_getdata(scn, nullptr);
            for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
                GElf_Sym sym;
                if (!gelf_getsym(data, static_cast<int>(i), &sym))
                    break;
                int type = GELF_ST_TYPE(sym.st_info);
                if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
                    !sym.st_value)
                    continue;
                const char* name = elf_strptr(elf_, shdr.sh_link, sym.st_name);
                std::string_view n = name ? name : "";
                if (n == function || (n.starts_with(function) && n.size() > function.size() &&
                                      n[function.size()] == '@'))
                    return sym.st_value;
            }
        }
        return std::nullopt;
    }

    // The file offset of `address`, through the executable segment that
    // maps it.
    std::optional<uint64_t> file_offset(uint64_t address) const {
        size_t count = 0;
        if (elf_getphdrnum(elf_, &count))
            return std::nullopt;
        for (size_t i = 0; i < count; i++) {
            GElf_Phdr phdr;
            if (gelf_getphdr(elf_, static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD &&
                (phdr.p_flags & PF_X) && address >= phdr.p_vaddr &&
                address < phdr.p_vaddr + phdr.p_memsz)
                return address - phdr.p_vaddr + phdr.p_offset;
        }
        return std::nullopt;
    }

private:
    bpf::ElfReader reader_;
    Elf* elf_;
};

// The directories of a colon-separated list.
std::vector<std::string> split_dirs(const char* list) {
    std::vector<std::string> dirs;
    std::istringstream in(list ? list : "");
    for (std::string dir; std::getline(in, dir, ':');)
        if (!dir.empty())
            dirs.push_back(dir);
    return dirs;
}

} // namespace

std::string resolve_binary_path(const std::string& name) {
    if (name.find('/') != std::string::npos)
        return name;
    std::vector<std::string> dirs;
    if (name.find(".so") != std::string::npos) {
        dirs = split_dirs(std::getenv("LD_LIBRARY_PATH"));
        for (const char* dir : {"/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu",
                                "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"})
            dirs.emplace_back(dir);
    } else {
        dirs = split_dirs(std::getenv("PATH"));
    }
    for (const std::string& dir : dirs) {
        std::string path = dir + "/" + name;
        if (::access(path.c_str(), R_OK) == 0)
            return path;
    }
    throw Error(ENOENT, "uprobe: no file " + name + " in the library directories or $PATH");
}

uint64_t elf_function_offset(const std::string& path, const std::string& function) {
    NativeElf elf(path);
    std::optional<uint64_t> address = elf.function_address(function);
    if (!address)
        throw Error(ENOENT, "uprobe: " + path + " has no function " + function);
    std::optional<uint64_t> offset = elf.file_offset(*address);
    if (!offset)
        throw Error(EINVAL,
                    "uprobe: " + path + ": function " + function + " is in no executable segment");
    return *offset;
}

UprobeTarget resolve_uprobe_target(const std::string& target) {
    size_t colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size())
        throw Error(EINVAL, "uprobe target " + target + ": give PATH:FUNCTION[+OFFSET]");
    std::string function = target.substr(colon + 1);
    uint64_t extra = 0;
    if (size_t plus = function.find('+'); plus != std::string::npos) {
        std::string text = function.substr(plus + 1);
        size_t used = 0;
        try {
            extra = std::stoull(text, &used, 0);
        } catch (const std::exception&) {
            used = 0;
        }
        if (plus == 0 || text.empty() || used != text.size() || text.starts_with("-"))
            throw Error(EINVAL, "uprobe target " + target + ": give PATH:FUNCTION[+OFFSET]");
        function.resize(plus);
    }
    UprobeTarget out;
    out.path = resolve_binary_path(target.substr(0, colon));
    out.offset = elf_function_offset(out.path, function) + extra;
    return out;
}

} // namespace kring
