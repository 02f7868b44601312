#include "linux_prog.hpp"

#include "gen.hpp"

#include <cstring>
#include <linux/btf.h>
#include <string>

namespace fuzz {
namespace {

// Raw BTF, written type by type (ids from 1) with its string section.
class BtfWriter {
public:
    BtfWriter() { strings_.push_back('\0'); }

    uint32_t add_int(const char* name, uint32_t bytes) {
        uint32_t id = add_type(name, BTF_KIND_INT, 0, bytes);
        put(BTF_INT_SIGNED << 24 | bytes * 8);
        return id;
    }
    uint32_t add_struct(const char* name, uint32_t bytes) {
        return add_type(name, BTF_KIND_STRUCT, 0, bytes);
    }
    uint32_t add_ptr(uint32_t to) { return add_type(nullptr, BTF_KIND_PTR, 0, to); }
    uint32_t add_func_proto(uint32_t ret, const std::vector<uint32_t>& params) {
        uint32_t id =
            add_type(nullptr, BTF_KIND_FUNC_PROTO, static_cast<uint32_t>(params.size()), ret);
        for (size_t i = 0; i < params.size(); i++) {
            put(add_string(("a" + std::to_string(i)).c_str()));
            put(params[i]);
        }
        return id;
    }
    uint32_t add_func(const char* name, uint32_t proto, uint32_t linkage) {
        return add_type(name, BTF_KIND_FUNC, linkage, proto);
    }

    std::vector<uint8_t> finish() const {
        btf_header h{};
        h.magic = BTF_MAGIC;
        h.version = BTF_VERSION;
        h.hdr_len = sizeof(h);
        h.type_off = 0;
        h.type_len = static_cast<uint32_t>(types_.size() * sizeof(uint32_t));
        h.str_off = h.type_len;
        h.str_len = static_cast<uint32_t>(strings_.size());
        std::vector<uint8_t> out(sizeof(h) + h.type_len + h.str_len);
        memcpy(out.data(), &h, sizeof(h));
        memcpy(out.data() + sizeof(h), types_.data(), h.type_len);
        memcpy(out.data() + sizeof(h) + h.type_len, strings_.data(), h.str_len);
        return out;
    }

private:
    std::vector<uint32_t> types_;
    std::string strings_;
    uint32_t next_id_ = 1;

    void put(uint32_t word) { types_.push_back(word); }
    uint32_t add_string(const char* s) {
        uint32_t off = static_cast<uint32_t>(strings_.size());
        strings_ += s;
        strings_.push_back('\0');
        return off;
    }
    uint32_t add_type(const char* name, uint32_t kind, uint32_t vlen, uint32_t size_or_type) {
        put(name ? add_string(name) : 0);
        put(kind << 24 | vlen);
        put(size_or_type);
        return next_id_++;
    }
};

} // namespace

LinuxProg to_linux(const Prog& prog, const LinuxMapFds& map_fds) {
    LinuxProg out;
    out.insns = prog.insns;
    for (size_t i = 0; i + 1 < out.insns.size(); i++) {
        bpf_insn& in = out.insns[i];
        if (in.code != (BPF_LD | BPF_IMM | BPF_DW))
            continue;
        // Another number names no map to kring: to Linux, no open fd
        // (the fd of a Linux map could be a small number).
        if (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE)
            in.imm = in.imm >= 0 && static_cast<size_t>(in.imm) < map_fds.size()
                         ? map_fds[static_cast<size_t>(in.imm)]
                         : -1;
        i++; // the second half
    }
    if (prog.funcs.empty())
        return out;
    BtfWriter btf;
    uint32_t long_id = btf.add_int("long", 8);
    uint32_t ctx_ptr = btf.add_ptr(btf.add_struct("pt_regs", PT_REGS_SIZE));
    for (size_t f = 0; f < prog.funcs.size(); f++) {
        const kring_func_info& info = prog.funcs[f];
        std::vector<uint32_t> params;
        if (f == 0)
            params.push_back(ctx_ptr);
        for (unsigned a = 0; a < info.nr_args; a++) {
            if (info.arg_kinds[a] == KRING_ARG_MEM) {
                // A pointer to a struct of that size (no members: Linux
                // types the argument by the size alone).
                std::string mem = "mem" + std::to_string(info.arg_mem_size[a]);
                params.push_back(btf.add_ptr(btf.add_struct(mem.c_str(), info.arg_mem_size[a])));
            } else {
                params.push_back(info.arg_kinds[a] == KRING_ARG_CTX ? ctx_ptr : long_id);
            }
        }
        uint32_t proto = btf.add_func_proto(long_id, params);
        std::string name = f == 0 ? "main" : "f" + std::to_string(f);
        uint32_t linkage = info.linkage == KRING_FUNC_GLOBAL ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC;
        out.func_info.push_back({info.insn_off, btf.add_func(name.c_str(), proto, linkage)});
    }
    out.btf = btf.finish();
    return out;
}

} // namespace fuzz
