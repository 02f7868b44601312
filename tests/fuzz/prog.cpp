#include "prog.hpp"

#include <cstdio>
#include <fstream>

extern "C" {
#include "disasm.h"
}

namespace fuzz {

std::string disassemble(const Prog& prog) {
    std::string out;
    char buf[256];
    for (size_t i = 0; i < prog.insns.size(); i++) {
        const bpf_insn& insn = prog.insns[i];
        bool ld64 = insn.code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < prog.insns.size();
        kbpf_disasm(buf, sizeof(buf), &insn);
        char line[320];
        snprintf(line, sizeof(line), "%5zu: %s\n", i, buf);
        out += line;
        if (ld64)
            i++;
    }
    return out;
}

bool dump(const Prog& prog, const std::string& path, const std::string& note) {
    std::ofstream bin(path + ".bin", std::ios::binary);
    bin.write(reinterpret_cast<const char*>(prog.insns.data()),
              static_cast<std::streamsize>(prog.insns.size() * sizeof(bpf_insn)));
    std::ofstream txt(path + ".txt");
    txt << "insns " << prog.insns.size() << "\nctx_size " << prog.ctx_size << "\nctx_writable "
        << (prog.ctx_writable ? 1 : 0) << "\nflags 0x" << std::hex << prog.flags << std::dec
        << "\nrings " << NR_RINGS << " (ring fd i is ring i)\n";
    for (const kring_func_info& f : prog.funcs) {
        txt << "func insn_off " << f.insn_off << " linkage " << unsigned(f.linkage) << " args";
        for (unsigned a = 0; a < f.nr_args; a++) {
            txt << ' ' << unsigned(f.arg_kinds[a]);
            if (f.arg_kinds[a] == KRING_ARG_MEM) // KIND:BYTES
                txt << ':' << f.arg_mem_size[a];
        }
        txt << '\n';
    }
    txt << note << disassemble(prog);
    return bin.good() && txt.good();
}

} // namespace fuzz
