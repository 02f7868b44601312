#include "check_interp.hpp"

#include "map_model.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

extern "C" {
#include "alu.h"
#include "helpers.h"
#include "insn.h"
#include "interp.h"
#include "verifier.h"
}

namespace fuzz {
namespace {

enum class Kind : uint8_t { Scalar, Ctx, Stack, Record, Ring, Map, MapValue };

const char* kind_name(Kind k) {
    switch (k) {
    case Kind::Scalar:
        return "scalar";
    case Kind::Ctx:
        return "context";
    case Kind::Stack:
        return "stack frame";
    case Kind::Record:
        return "ring record";
    case Kind::Ring:
        return "ring";
    case Kind::Map:
        return "map";
    case Kind::MapValue:
        return "map value";
    }
    return "?";
}

// A register or a spilled one: the number, whether it was ever written, and
// for a pointer the object it points into (kind Scalar: none).
struct Val {
    uint64_t v = 0;
    bool init = false;
    Kind kind = Kind::Scalar;
    uint32_t obj = 0;
};

Val scalar(uint64_t v) {
    Val x;
    x.v = v;
    x.init = true;
    return x;
}

struct Object {
    Kind kind = Kind::Scalar;
    uint64_t base = 0; // virtual address of its first byte
    uint32_t size = 0;
    bool live = true;
    bool writable = true;
    std::vector<uint8_t> mem;  // exactly size bytes
    std::vector<uint8_t> init; // stack: per byte, written
    std::vector<Val> spill;    // stack: per 8-byte slot, a spilled pointer
    uint32_t made_at = 0;      // record: the reserving insn; stack: the call
    uint32_t depth = 0;        // stack: bytes below the frame pointer used
};

struct Frame {
    Val saved[5]; // the caller's r6-r10
    uint32_t return_pc = 0;
    bool global = false;
    // A global function's memory arguments (r1-r5) and their sizes.
    Val mem_arg[5];
    uint32_t mem_arg_size[5] = {};
};

constexpr uint32_t FRAME = KBPF_FRAME_STACK_SIZE;

class Machine {
public:
    Machine(const Prog& prog, const RunConfig& config) : prog_(prog), config_(config) {}

    RunResult run();

private:
    const Prog& prog_;
    const RunConfig& config_;
    RunResult res_;
    std::vector<Object> objs_;
    std::vector<Frame> frames_;
    Val regs_[MAX_BPF_REG];
    uint32_t insn_ = 0;
    size_t next_value_ = 0;
    unsigned reservations_ = 0;
    uint64_t record_pos_ = 0;
    MapModel maps_{config_.hash_keys_present};
    std::vector<uint32_t> map_objs_;    // map i's object
    std::vector<uint32_t> direct_objs_; // map i's value object, if it has one value
    std::vector<uint32_t> entry_objs_;  // map entry n's value object
    uint32_t recent_[16] = {};
    uint64_t steps_ = 0;

    bool leaks_allowed() const { return prog_.flags & KBPF_F_ALLOW_PTR_LEAKS; }

    __attribute__((format(printf, 2, 3))) bool fault(const char* fmt, ...) {
        char buf[512];
        va_list args;
        va_start(args, fmt);
        vsnprintf(buf, sizeof(buf), fmt, args);
        va_end(args);
        res_.ok = false;
        res_.insn = insn_;
        res_.fault = "insn " + std::to_string(insn_) + ": " + buf;
        res_.state = describe();
        return false;
    }

    std::string describe_val(const Val& x) const {
        char buf[128];
        if (!x.init)
            return "?";
        if (x.kind == Kind::Scalar) {
            snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(x.v));
            return buf;
        }
        const Object& o = objs_[x.obj];
        snprintf(buf, sizeof(buf), "%s#%u%s(size %u)%+lld", kind_name(o.kind), x.obj,
                 o.live ? "" : "[dead]", o.size,
                 static_cast<long long>(x.v - o.base - (o.kind == Kind::Stack ? FRAME : 0)));
        return buf;
    }

    std::string describe() const {
        std::string s = "frame " + std::to_string(frames_.size()) + ":";
        for (unsigned r = 0; r < MAX_BPF_REG; r++)
            if (regs_[r].init)
                s += " r" + std::to_string(r) + "=" + describe_val(regs_[r]);
        s += "\nlast insns executed:";
        uint64_t n = steps_ < 16 ? steps_ : 16;
        for (uint64_t i = steps_ - n; i < steps_; i++)
            s += " " + std::to_string(recent_[i % 16]);
        return s;
    }

    uint32_t add_object(Object o) {
        objs_.push_back(std::move(o));
        return static_cast<uint32_t>(objs_.size() - 1);
    }

    uint32_t new_frame_object() {
        Object o;
        o.kind = Kind::Stack;
        o.base = VA_STACK_TOP - (frames_.size() + 1) * FRAME;
        o.size = FRAME;
        o.mem.assign(FRAME, 0xcc);
        o.init.assign(FRAME, 0);
        o.spill.assign(FRAME / 8, Val{});
        o.made_at = insn_;
        return add_object(std::move(o));
    }

    // Whether stack object @o is a frame below the innermost global
    // function's: reached only through a memory argument, which the
    // verifier checks against its size, at any alignment (as Linux's
    // PTR_TO_MEM).
    bool below_global(const Object& o) const {
        size_t depth = (VA_STACK_TOP - o.base) / FRAME - 1; // main's is 0
        for (size_t i = frames_.size(); i-- > 0;)
            if (frames_[i].global)
                return depth < i + 1;
        return false;
    }

    Val frame_pointer(uint32_t obj) const {
        Val fp;
        fp.v = objs_[obj].base + FRAME;
        fp.init = true;
        fp.kind = Kind::Stack;
        fp.obj = obj;
        return fp;
    }

    bool check_init(unsigned r) {
        if (!regs_[r].init)
            return fault("r%u is read but was never written", r);
        return true;
    }

    // The stack frames in use, with the frame sizes the verifier rounds to
    // 8 bytes, must fit the 512 bytes it promises for the whole call chain.
    bool check_chain_depth() {
        uint32_t total = 0;
        for (const Object& o : objs_)
            if (o.kind == Kind::Stack && o.live)
                total += (o.depth + 7) & ~7U;
        if (total > FRAME)
            return fault("the live stack frames use %u bytes, more than %u", total, FRAME);
        return true;
    }

    // [p + off, p + off + size) must lie in p's live object. Returns the
    // object and the offset in it, or nullptr after a fault.
    Object* access(const Val& p, int64_t off, uint64_t size, bool write, bool aligned,
                   const char* what, uint32_t* rel_out) {
        if (!p.init) {
            fault("%s through a register that was never written", what);
            return nullptr;
        }
        if (p.kind == Kind::Scalar || p.kind == Kind::Ring || p.kind == Kind::Map) {
            fault("%s through a %s (%#llx), not a pointer to memory", what, kind_name(p.kind),
                  static_cast<unsigned long long>(p.v));
            return nullptr;
        }
        Object& o = objs_[p.obj];
        uint64_t addr = p.v + static_cast<uint64_t>(off);
        uint64_t rel = addr - o.base;
        long long shown = static_cast<long long>(addr - o.base) -
                          (o.kind == Kind::Stack ? static_cast<long long>(FRAME) : 0);
        if (!o.live) {
            fault("%s of %llu bytes at %s#%u%+lld, which is no longer live (%s)", what,
                  static_cast<unsigned long long>(size), kind_name(o.kind), p.obj, shown,
                  o.kind == Kind::Record ? "submitted or discarded" : "its function returned");
            return nullptr;
        }
        if (rel > o.size || size > o.size - rel) {
            fault("%s of %llu bytes at %s#%u%+lld is outside the object (%u bytes%s)", what,
                  static_cast<unsigned long long>(size), kind_name(o.kind), p.obj, shown, o.size,
                  o.kind == Kind::Stack ? ", offsets -512..-1" : "");
            return nullptr;
        }
        if (aligned && (o.kind == Kind::Ctx || (o.kind == Kind::Stack && !below_global(o))) &&
            size && rel % size) {
            fault("%s of %llu bytes at %s%+lld is misaligned", what,
                  static_cast<unsigned long long>(size), kind_name(o.kind), shown);
            return nullptr;
        }
        if (write && o.kind == Kind::Ctx && !o.writable) {
            fault("%s into the read-only context at %+lld", what, shown);
            return nullptr;
        }
        if (write && o.kind == Kind::MapValue && !o.writable) {
            fault("%s into the value of a map programs only read", what);
            return nullptr;
        }
        if (o.kind == Kind::Stack && size) {
            uint32_t below = static_cast<uint32_t>(FRAME - rel);
            if (below > o.depth) {
                o.depth = below;
                if (!check_chain_depth())
                    return nullptr;
            }
        }
        *rel_out = static_cast<uint32_t>(rel);
        return &o;
    }

    bool load(const Val& p, int16_t off, unsigned size, Val* out) {
        uint32_t rel;
        Object* o = access(p, off, size, false, true, "load", &rel);
        if (!o)
            return false;
        if (o->kind == Kind::Stack) {
            if (size == 8 && rel % 8 == 0 && o->spill[rel / 8].init) {
                *out = o->spill[rel / 8];
                return true;
            }
            if (!leaks_allowed())
                for (uint32_t sl = rel / 8; sl <= (rel + size - 1) / 8; sl++)
                    if (o->spill[sl].init)
                        return fault("part of a spilled pointer is loaded without "
                                     "allow_ptr_leaks");
            // Perfmon programs may read stack never written (as on Linux).
            for (unsigned b = 0; b < size && !leaks_allowed(); b++)
                if (!o->init[rel + b])
                    return fault("load of %u bytes at stack%+d reads a byte never written (%+d)",
                                 size, static_cast<int>(rel) - static_cast<int>(FRAME),
                                 static_cast<int>(rel + b) - static_cast<int>(FRAME));
        }
        uint64_t v = 0;
        memcpy(&v, &o->mem[rel], size);
        *out = scalar(v);
        return true;
    }

    void write_bytes(Object* o, uint32_t rel, const void* bytes, uint64_t size) {
        if (!size)
            return;
        memcpy(&o->mem[rel], bytes, size);
        if (o->kind == Kind::Stack)
            mark_written(o, rel, size);
    }

    // Stack bytes now hold numbers: written, and no spill they touch holds
    // its register any more.
    static void mark_written(Object* o, uint32_t rel, uint64_t size) {
        for (uint64_t b = 0; b < size; b++)
            o->init[rel + b] = 1;
        for (uint64_t s = rel / 8; s <= (rel + size - 1) / 8; s++)
            o->spill[s] = Val{};
    }

    bool store(const Val& p, int16_t off, unsigned size, const Val& value) {
        uint32_t rel;
        Object* o = access(p, off, size, true, true, "store", &rel);
        if (!o)
            return false;
        bool ptr = value.kind != Kind::Scalar;
        if (ptr && o->kind != Kind::Stack && !leaks_allowed())
            return fault("a pointer is stored into the %s without allow_ptr_leaks",
                         kind_name(o->kind));
        write_bytes(o, rel, &value.v, size);
        if (o->kind == Kind::Stack && size == 8 && rel % 8 == 0 && ptr)
            o->spill[rel / 8] = value;
        return true;
    }

    uint64_t next_value() {
        if (config_.helper_values.empty())
            return 0;
        return config_.helper_values[next_value_++ % config_.helper_values.size()];
    }

    // Map entry @entry's value object, made (zeroed) when first needed.
    uint32_t entry_object(int entry, int map) {
        while (entry_objs_.size() <= static_cast<size_t>(entry)) {
            Object o;
            o.kind = Kind::MapValue;
            o.base = VA_MAP_VALUES + entry_objs_.size() * 0x100;
            o.size = fuzz_map(map).value_size;
            o.writable = !(fuzz_map(map).flags & BPF_F_RDONLY_PROG);
            o.mem.assign(o.size, 0);
            entry_objs_.push_back(add_object(std::move(o)));
        }
        return entry_objs_[static_cast<size_t>(entry)];
    }
    // A map helper's key or value argument: @size readable bytes (on the
    // stack, written ones) at @p, copied to *@out.
    bool map_arg(const Val& p, uint32_t size, const char* what, std::vector<uint8_t>* out) {
        if (!p.init || (p.kind != Kind::Stack && p.kind != Kind::MapValue))
            return fault("%s is %s, not the stack or a map value", what,
                         p.init ? kind_name(p.kind) : "never written");
        uint32_t rel;
        Object* o = access(p, 0, size, false, false, what, &rel);
        if (!o)
            return false;
        if (o->kind == Kind::Stack)
            for (uint32_t b = 0; b < size; b++) {
                if (o->spill[(rel + b) / 8].init && !leaks_allowed())
                    return fault("%s reads a spilled pointer", what);
                if (!o->init[rel + b] && !leaks_allowed())
                    return fault("%s reads a stack byte never written", what);
            }
        out->assign(o->mem.begin() + rel, o->mem.begin() + rel + size);
        return true;
    }
    bool map_helper(const bpf_insn& in, Val* r0);

    // A global function's memory argument of @size bytes at @p (r@regno),
    // at the call and at the return. The verifier checks the callee against
    // its declaration alone: the callee reads the bytes (so on the stack
    // they must have been written, or the program may read stack never
    // written), and for the caller it may have written any of them, so from
    // the call on they are unknown numbers (Linux clobbers them to
    // STACK_MISC). Here they become numbers too: a spilled pointer there is
    // its bits from now on, which only a program that may leak pointers
    // may have.
    bool clobber_mem_arg(const Val& p, uint32_t size, unsigned regno) {
        if (!size || p.kind != Kind::Stack)
            return true;
        uint32_t rel;
        Object* o = access(p, 0, size, false, false, "a global function's memory argument", &rel);
        if (!o)
            return false;
        for (uint32_t b = 0; b < size && !leaks_allowed(); b++) {
            if (o->spill[(rel + b) / 8].init)
                return fault("r%u, a global function's memory argument, holds a spilled "
                             "pointer, without allow_ptr_leaks",
                             regno);
            if (!o->init[rel + b])
                return fault("r%u, a global function's memory argument, holds a stack byte "
                             "never written (%+d)",
                             regno, static_cast<int>(rel + b) - static_cast<int>(FRAME));
        }
        mark_written(o, rel, size);
        return true;
    }

    bool alu(const bpf_insn& in);
    bool atomic(const bpf_insn& in);
    bool helper(const bpf_insn& in);
    bool call(const bpf_insn& in, uint32_t* pc);
    bool exit(uint32_t* pc, bool* done);
    const kring_func_info* func_at(uint32_t insn) const {
        for (const kring_func_info& f : prog_.funcs)
            if (f.insn_off == insn)
                return &f;
        return nullptr;
    }
};

// BPF_STX | BPF_ATOMIC: a read and a write of aligned memory that is not
// the context, with a number as the operand (and in R0 for BPF_CMPXCHG); on
// the stack, bytes written before and no spilled pointer. With
// allow_ptr_leaks a spill there is its bits, a number from then on: the
// verifier takes them for one where a helper wrote fewer bytes than its
// largest size, and a spill it still tracked would fault at its next use
// as a pointer.
bool Machine::atomic(const bpf_insn& in) {
    unsigned size = kbpf_access_bytes(in.code);
    bool cmpxchg = in.imm == BPF_CMPXCHG;
    if (size != 4 && size != 8)
        return fault("an atomic operation on %u bytes", size);
    if (!check_init(in.src_reg) || (cmpxchg && !check_init(BPF_REG_0)))
        return false;
    if (regs_[in.src_reg].kind != Kind::Scalar ||
        (cmpxchg && regs_[BPF_REG_0].kind != Kind::Scalar))
        return fault("an atomic operation with a pointer operand");
    uint32_t rel;
    Object* o = access(regs_[in.dst_reg], in.off, size, true, true, "atomic operation", &rel);
    if (!o)
        return false;
    if (o->kind == Kind::Ctx)
        return fault("an atomic operation on the context");
    if (rel % size)
        return fault("a misaligned atomic operation (%u bytes at offset %u)", size, rel);
    if (o->kind == Kind::Stack) {
        if (o->spill[rel / 8].init && !leaks_allowed())
            return fault("an atomic operation on a spilled pointer without allow_ptr_leaks");
        for (unsigned b = 0; b < size && !leaks_allowed(); b++)
            if (!o->init[rel + b])
                return fault("an atomic operation reads a stack byte never written");
    }
    uint64_t old = 0, src = regs_[in.src_reg].v, mask = size == 8 ? ~0ULL : 0xffffffffULL;
    memcpy(&old, &o->mem[rel], size);
    uint64_t result = old;
    switch (in.imm) {
    case BPF_ADD:
    case BPF_ADD | BPF_FETCH:
        result = old + src;
        break;
    case BPF_AND:
    case BPF_AND | BPF_FETCH:
        result = old & src;
        break;
    case BPF_OR:
    case BPF_OR | BPF_FETCH:
        result = old | src;
        break;
    case BPF_XOR:
    case BPF_XOR | BPF_FETCH:
        result = old ^ src;
        break;
    case BPF_XCHG:
        result = src;
        break;
    case BPF_CMPXCHG:
        result = old == (regs_[BPF_REG_0].v & mask) ? src : old;
        break;
    default:
        return fault("an unknown atomic operation %#x", in.imm);
    }
    write_bytes(o, rel, &result, size);
    if (cmpxchg)
        regs_[BPF_REG_0] = scalar(old);
    else if (in.imm & BPF_FETCH)
        regs_[in.src_reg] = scalar(old);
    return true;
}

bool Machine::alu(const bpf_insn& in) {
    bool is64 = BPF_CLASS(in.code) == BPF_ALU64;
    bool reg_src = BPF_SRC(in.code) == BPF_X;
    uint8_t op = BPF_OP(in.code);
    Val& dst = regs_[in.dst_reg];
    if (in.dst_reg == BPF_REG_10)
        return fault("r10 is written");
    // Newer encodings (signed division, sign-extending moves, bswap) that
    // the interpreter does not implement.
    if (in.off != 0)
        return fault("an ALU instruction with off %d (a form kring does not run)", in.off);
    if (op == BPF_END && is64)
        return fault("BPF_ALU64 | BPF_END (a form kring does not run)");
    if (op == BPF_END) {
        if (!check_init(in.dst_reg))
            return false;
        uint64_t out;
        if (!kbpf_endian(reg_src, static_cast<unsigned>(in.imm), dst.v, &out))
            return fault("byte swap of %d bits", in.imm);
        if (dst.kind != Kind::Scalar && !leaks_allowed())
            return fault("a byte swap turns a pointer into a number without allow_ptr_leaks");
        dst = scalar(out);
        return true;
    }
    if (reg_src && !check_init(in.src_reg))
        return false;
    if (op != BPF_MOV && !check_init(in.dst_reg))
        return false;
    Val src =
        reg_src ? regs_[in.src_reg] : scalar(static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
    uint64_t out;
    bool ok = is64 ? kbpf_alu64(op, dst.v, src.v, &out) : kbpf_alu32(op, dst.v, src.v, &out);
    if (!ok)
        return fault("unsupported ALU opcode %#x", in.code);
    Val res = scalar(out);
    if (is64) {
        bool dptr = dst.kind != Kind::Scalar, sptr = src.kind != Kind::Scalar;
        if (op == BPF_MOV) {
            res = src;
        } else if ((op == BPF_ADD || op == BPF_SUB) && dptr && !sptr && dst.kind != Kind::Ring) {
            res.kind = dst.kind;
            res.obj = dst.obj;
        } else if (op == BPF_ADD && sptr && !dptr && src.kind != Kind::Ring) {
            res.kind = src.kind;
            res.obj = src.obj;
        }
    }
    // Without allow_ptr_leaks no number may be computed from a pointer.
    bool from_ptr =
        (op != BPF_MOV && dst.kind != Kind::Scalar) || (reg_src && src.kind != Kind::Scalar);
    if (res.kind == Kind::Scalar && !leaks_allowed() && from_ptr)
        return fault("an ALU operation turns a pointer into a number without allow_ptr_leaks");
    dst = res;
    return true;
}

bool Machine::helper(const bpf_insn& in) {
    const struct kbpf_helper_proto* proto = kbpf_helper_proto(in.imm);
    if (!proto)
        return fault("call of unknown helper %d", in.imm);
    for (unsigned r = 1; r <= 5; r++) {
        uint8_t kind = proto->args[r - 1];
        if (kind == KBPF_ARG_UNUSED)
            break;
        const Val& a = regs_[r];
        if (!a.init)
            return fault("%s: argument r%u was never written", proto->name, r);
        switch (kind) {
        case KBPF_ARG_ANYTHING:
            if (a.kind != Kind::Scalar && !leaks_allowed())
                return fault("%s: a pointer in r%u without allow_ptr_leaks", proto->name, r);
            break;
        case KBPF_ARG_RING:
            if (a.kind != Kind::Ring || a.v != objs_[a.obj].base)
                return fault("%s: r%u is not a ring", proto->name, r);
            break;
        case KBPF_ARG_MAP:
            if (a.kind != Kind::Map || a.v != objs_[a.obj].base)
                return fault("%s: r%u is not a map", proto->name, r);
            break;
        case KBPF_ARG_MAP_KEY:
        case KBPF_ARG_MAP_VALUE:
            break; // map_helper() reads them
        case KBPF_ARG_MEM_READ_OR_NULL:
            if (a.kind == Kind::Scalar && !a.v) {
                if (regs_[r + 1].v)
                    return fault("%s: r%u is NULL with a size of %llu", proto->name, r,
                                 static_cast<unsigned long long>(regs_[r + 1].v));
                break;
            }
            [[fallthrough]];
        case KBPF_ARG_MEM_READ:
        case KBPF_ARG_MEM_WRITE: {
            const Val& n = regs_[r + 1];
            if (!n.init || n.kind != Kind::Scalar)
                return fault("%s: the size in r%u is not a number", proto->name, r + 1);
            if (proto->args[r] == KBPF_ARG_SIZE_NONZERO && !n.v)
                return fault("%s: the size in r%u is 0", proto->name, r + 1);
            if (a.kind != Kind::Stack && a.kind != Kind::Record && a.kind != Kind::MapValue)
                return fault("%s: r%u is %s, not a stack, record or map value pointer", proto->name,
                             r, kind_name(a.kind));
            uint32_t rel;
            bool write = kind == KBPF_ARG_MEM_WRITE;
            Object* o = access(a, 0, n.v, write, false, proto->name, &rel);
            if (!o)
                return false;
            if (o->kind == Kind::Stack && !write && !leaks_allowed() && n.v)
                for (uint64_t sl = rel / 8; sl <= (rel + n.v - 1) / 8; sl++)
                    if (o->spill[sl].init)
                        return fault("%s reads a spilled pointer without allow_ptr_leaks",
                                     proto->name);
            if (o->kind == Kind::Stack && !write && !leaks_allowed())
                for (uint64_t b = 0; b < n.v; b++)
                    if (!o->init[rel + b])
                        return fault("%s reads stack byte %+d, never written", proto->name,
                                     static_cast<int>(rel + b) - static_cast<int>(FRAME));
            if (write) {
                std::vector<uint8_t> comm(n.v, 0);
                memcpy(comm.data(), "fuzz", n.v > 4 ? 4 : n.v - 1);
                write_bytes(o, rel, comm.data(), n.v);
            }
            break;
        }
        case KBPF_ARG_RELEASE_RECORD:
            if (a.kind != Kind::Record)
                return fault("%s: r%u is %s, not a ring record", proto->name, r, kind_name(a.kind));
            if (!objs_[a.obj].live)
                return fault("%s: r%u's record was already submitted or discarded", proto->name, r);
            if (a.v != objs_[a.obj].base)
                return fault("%s: r%u is record#%u%+lld, not its start", proto->name, r, a.obj,
                             static_cast<long long>(a.v - objs_[a.obj].base));
            break;
        default: // sizes: checked with their memory
            if (a.kind != Kind::Scalar)
                return fault("%s: r%u is a pointer where a size is expected", proto->name, r);
            break;
        }
    }
    Val r0 = scalar(0);
    switch (in.imm) {
    case BPF_FUNC_map_lookup_elem:
    case BPF_FUNC_map_update_elem:
    case BPF_FUNC_map_delete_elem:
        if (!map_helper(in, &r0))
            return false;
        break;
    case BPF_FUNC_get_smp_processor_id:
        r0 = scalar(next_value() & 3);
        break;
    case BPF_FUNC_get_current_comm:
    case BPF_FUNC_ringbuf_output:
        break;
    case BPF_FUNC_ringbuf_reserve: {
        uint64_t size = regs_[2].v;
        unsigned index = reservations_++;
        bool fail = regs_[3].v || (config_.reserve_fail >> (index < 63 ? index : 63)) & 1 ||
                    size > RECORD_AREA - record_pos_;
        if (fail)
            break;
        Object o;
        o.kind = Kind::Record;
        o.base = VA_RECORDS + record_pos_ + 8; // after its 8-byte header
        o.size = static_cast<uint32_t>(size);
        o.mem.assign(size, 0x5a);
        o.made_at = insn_;
        record_pos_ += (size + 8 + 7) & ~7ULL;
        r0.v = o.base;
        r0.kind = Kind::Record;
        r0.obj = add_object(std::move(o));
        break;
    }
    case BPF_FUNC_ringbuf_submit:
    case BPF_FUNC_ringbuf_discard:
        objs_[regs_[1].obj].live = false;
        r0 = Val{};
        break;
    default:
        r0 = scalar(next_value());
        break;
    }
    for (unsigned r = 1; r <= 5; r++)
        regs_[r] = Val{};
    regs_[BPF_REG_0] = r0;
    return true;
}

// The map helpers, as MapModel says Linux's maps answer.
bool Machine::map_helper(const bpf_insn& in, Val* r0) {
    int m = static_cast<int>(regs_[1].obj - map_objs_[0]);
    const FuzzMap& d = fuzz_map(m);
    std::vector<uint8_t> key, value;
    if (!map_arg(regs_[2], d.key_size, "the key", &key))
        return false;
    if (in.imm == BPF_FUNC_map_lookup_elem) {
        int entry = maps_.lookup(m, key.data());
        if (entry >= 0) {
            r0->kind = Kind::MapValue;
            r0->obj = entry_object(entry, m);
            r0->v = objs_[r0->obj].base;
        }
        return true;
    }
    if (in.imm == BPF_FUNC_map_delete_elem) {
        *r0 = scalar(static_cast<uint64_t>(maps_.remove(m, key.data())));
        return true;
    }
    if (!map_arg(regs_[3], d.value_size, "the value", &value))
        return false;
    if (d.flags & BPF_F_RDONLY_PROG)
        return fault("map_update_elem of a map programs only read");
    int written;
    *r0 = scalar(static_cast<uint64_t>(maps_.update(m, key.data(), regs_[4].v, &written)));
    if (written >= 0) {
        Object& o = objs_[entry_object(written, m)];
        memcpy(o.mem.data(), value.data(), value.size());
    }
    return true;
}

bool Machine::call(const bpf_insn& in, uint32_t* pc) {
    uint32_t target = *pc + static_cast<uint32_t>(in.imm);
    if (!(prog_.flags & KBPF_F_BPF_CAPABLE))
        return fault("a bpf-to-bpf call without bpf_capable");
    if (target >= prog_.insns.size())
        return fault("call to insn %u, outside the program", target);
    if (frames_.size() + 1 >= KBPF_MAX_CALL_FRAMES)
        return fault("a call makes %zu frames, more than %u", frames_.size() + 2,
                     KBPF_MAX_CALL_FRAMES);
    const kring_func_info* f = func_at(target);
    Frame fr;
    for (unsigned r = 0; r < 5; r++)
        fr.saved[r] = regs_[BPF_REG_6 + r];
    fr.return_pc = *pc;
    fr.global = f && f->linkage == KRING_FUNC_GLOBAL;
    if (fr.global)
        for (unsigned a = 0; a < f->nr_args && a < 5; a++) {
            if (f->arg_kinds[a] != KRING_ARG_MEM)
                continue;
            fr.mem_arg[a] = regs_[1 + a];
            fr.mem_arg_size[a] = f->arg_mem_size[a];
            if (!clobber_mem_arg(fr.mem_arg[a], fr.mem_arg_size[a], 1 + a))
                return false;
        }
    frames_.push_back(fr);
    regs_[BPF_REG_0] = Val{};
    for (unsigned r = BPF_REG_6; r <= BPF_REG_9; r++)
        regs_[r] = Val{};
    if (fr.global)
        for (unsigned r = 1 + f->nr_args; r <= 5; r++)
            regs_[r] = Val{};
    regs_[BPF_REG_10] = frame_pointer(new_frame_object());
    *pc = target;
    return true;
}

bool Machine::exit(uint32_t* pc, bool* done) {
    // A static function may return with r0 unset (as on Linux): only a
    // read of it in the caller is an error. The program's and global
    // functions' exits need it.
    bool static_return = !frames_.empty() && !frames_.back().global;
    if (!static_return && !check_init(BPF_REG_0))
        return false;
    if (frames_.empty()) {
        for (const Object& o : objs_)
            if (o.kind == Kind::Record && o.live)
                return fault("exit with the record reserved at insn %u still held", o.made_at);
        if (regs_[0].kind != Kind::Scalar && !leaks_allowed())
            return fault("r0 returns a pointer without allow_ptr_leaks");
        *done = true;
        return true;
    }
    Frame fr = frames_.back();
    frames_.pop_back();
    objs_[regs_[BPF_REG_10].obj].live = false;
    for (unsigned a = 0; a < 5; a++)
        if (!clobber_mem_arg(fr.mem_arg[a], fr.mem_arg_size[a], 1 + a))
            return false;
    for (unsigned r = 0; r < 5; r++)
        regs_[BPF_REG_6 + r] = fr.saved[r];
    for (unsigned r = 1; r <= 5; r++)
        regs_[r] = Val{};
    if (fr.global)
        regs_[0] = scalar(regs_[0].v);
    *pc = fr.return_pc;
    return true;
}

RunResult Machine::run() {
    const std::vector<bpf_insn>& insns = prog_.insns;
    Object ctx;
    ctx.kind = Kind::Ctx;
    ctx.base = VA_CTX;
    ctx.size = prog_.ctx_size;
    ctx.writable = prog_.ctx_writable;
    ctx.mem = config_.ctx;
    ctx.mem.resize(prog_.ctx_size);
    uint32_t ctx_obj = add_object(std::move(ctx));
    for (int32_t i = 0; i < NR_RINGS; i++) {
        Object ring;
        ring.kind = Kind::Ring;
        ring.base = VA_RINGS + static_cast<uint64_t>(i) * 0x1000;
        add_object(std::move(ring));
    }
    for (int32_t i = 0; i < NR_MAPS; i++) {
        Object map;
        map.kind = Kind::Map;
        map.base = VA_MAPS + static_cast<uint64_t>(i) * 0x1000;
        map_objs_.push_back(add_object(std::move(map)));
    }
    // Each single-entry ARRAY's value, made first, in map order, as
    // real_run makes them: the entry numbers match.
    for (int32_t i = 0; i < NR_MAPS; i++)
        if (has_direct_value(i))
            direct_objs_.push_back(entry_object(maps_.lookup(i, kZeroKey), i));
        else
            direct_objs_.push_back(0);
    regs_[BPF_REG_1].v = VA_CTX;
    regs_[BPF_REG_1].init = true;
    regs_[BPF_REG_1].kind = Kind::Ctx;
    regs_[BPF_REG_1].obj = ctx_obj;
    regs_[BPF_REG_10] = frame_pointer(new_frame_object());

    uint32_t pc = 0;
    bool done = false;
    while (!done) {
        if (pc >= insns.size()) {
            fault("execution left the program (pc %u)", pc);
            break;
        }
        insn_ = pc;
        recent_[steps_ % 16] = pc;
        if (++steps_ > config_.budget) {
            fault("more than %llu instructions executed",
                  static_cast<unsigned long long>(config_.budget));
            break;
        }
        const bpf_insn& in = insns[pc++];
        uint8_t cls = BPF_CLASS(in.code), op = BPF_OP(in.code);
        bool ok = true;
        if (in.dst_reg >= MAX_BPF_REG || in.src_reg >= MAX_BPF_REG) {
            fault("invalid register");
            break;
        }
        switch (cls) {
        case BPF_ALU:
        case BPF_ALU64:
            ok = alu(in);
            break;
        case BPF_LDX: {
            if (BPF_MODE(in.code) != BPF_MEM) {
                ok = fault("unsupported load mode %#x", in.code);
                break;
            }
            if (in.dst_reg == BPF_REG_10) {
                ok = fault("r10 is written");
                break;
            }
            Val v;
            ok = load(regs_[in.src_reg], in.off, kbpf_access_bytes(in.code), &v);
            if (ok)
                regs_[in.dst_reg] = v;
            break;
        }
        case BPF_STX:
        case BPF_ST: {
            if (cls == BPF_STX && BPF_MODE(in.code) == BPF_ATOMIC) {
                ok = atomic(in);
                break;
            }
            if (BPF_MODE(in.code) != BPF_MEM) {
                ok = fault("unsupported store mode %#x", in.code);
                break;
            }
            if (cls == BPF_STX && !check_init(in.src_reg)) {
                ok = false;
                break;
            }
            Val v = cls == BPF_STX ? regs_[in.src_reg]
                                   : scalar(static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
            ok = store(regs_[in.dst_reg], in.off, kbpf_access_bytes(in.code), v);
            break;
        }
        case BPF_LD: {
            if (in.code != (BPF_LD | BPF_IMM | BPF_DW) || pc >= insns.size()) {
                ok = fault("unsupported instruction %#x", in.code);
                break;
            }
            if (in.dst_reg == BPF_REG_10) {
                ok = fault("r10 is written");
                break;
            }
            if (in.src_reg == BPF_PSEUDO_MAP_VALUE) {
                uint32_t off = static_cast<uint32_t>(insns[pc].imm);
                if (!is_map_fd(in.imm) || !has_direct_value(in.imm - NR_RINGS)) {
                    ok = fault("a value load of fd %d, not a single-entry array", in.imm);
                    break;
                }
                uint32_t obj = direct_objs_[static_cast<size_t>(in.imm - NR_RINGS)];
                if (off >= objs_[obj].size) {
                    ok =
                        fault("a value load at offset %u of a %u-byte value", off, objs_[obj].size);
                    break;
                }
                Val value;
                value.obj = obj;
                value.v = objs_[obj].base + off;
                value.init = true;
                value.kind = Kind::MapValue;
                regs_[in.dst_reg] = value;
            } else if (in.src_reg == BPF_PSEUDO_MAP_FD && is_map_fd(in.imm)) {
                Val map;
                map.obj = map_objs_[static_cast<size_t>(in.imm - NR_RINGS)];
                map.v = objs_[map.obj].base;
                map.init = true;
                map.kind = Kind::Map;
                regs_[in.dst_reg] = map;
            } else if (in.src_reg == BPF_PSEUDO_MAP_FD) {
                if (in.imm < 0 || in.imm >= NR_RINGS) {
                    ok = fault("ring fd %d does not exist", in.imm);
                    break;
                }
                Val ring;
                ring.obj = 1 + static_cast<uint32_t>(in.imm);
                ring.v = objs_[ring.obj].base;
                ring.init = true;
                ring.kind = Kind::Ring;
                regs_[in.dst_reg] = ring;
            } else if (in.src_reg == 0) {
                regs_[in.dst_reg] =
                    scalar(static_cast<uint32_t>(in.imm) |
                           static_cast<uint64_t>(static_cast<uint32_t>(insns[pc].imm)) << 32);
            } else {
                ok = fault("unknown LD_IMM64 source %u", in.src_reg);
            }
            pc++;
            break;
        }
        case BPF_JMP:
        case BPF_JMP32: {
            if (cls == BPF_JMP && op == BPF_JA) {
                if (in.off < 0 && !(prog_.flags & KBPF_F_BPF_CAPABLE)) {
                    ok = fault("a backward jump without bpf_capable");
                    break;
                }
                pc += static_cast<uint32_t>(static_cast<int32_t>(in.off));
                break;
            }
            if (cls == BPF_JMP && op == BPF_CALL) {
                if (in.src_reg != 0 && in.src_reg != BPF_PSEUDO_CALL)
                    ok = fault("a call with src_reg %u (a form kring does not run)", in.src_reg);
                else
                    ok = in.src_reg == BPF_PSEUDO_CALL ? call(in, &pc) : helper(in);
                break;
            }
            if (cls == BPF_JMP && op == BPF_EXIT) {
                ok = exit(&pc, &done);
                break;
            }
            if (!check_init(in.dst_reg) || (BPF_SRC(in.code) == BPF_X && !check_init(in.src_reg))) {
                ok = false;
                break;
            }
            uint64_t src = BPF_SRC(in.code) == BPF_X
                               ? regs_[in.src_reg].v
                               : static_cast<uint64_t>(static_cast<int64_t>(in.imm));
            if (!leaks_allowed()) {
                // A pointer may only be tested against NULL.
                const Val& d = regs_[in.dst_reg];
                Val sv = BPF_SRC(in.code) == BPF_X ? regs_[in.src_reg] : scalar(src);
                bool dp = d.kind != Kind::Scalar, sp = sv.kind != Kind::Scalar;
                bool null_test = cls == BPF_JMP && (op == BPF_JEQ || op == BPF_JNE) && dp != sp &&
                                 (dp ? sv.v : d.v) == 0;
                if ((dp || sp) && !null_test) {
                    ok = fault("a pointer is compared without allow_ptr_leaks");
                    break;
                }
            }
            bool taken;
            if (!kbpf_jmp_cond(op, regs_[in.dst_reg].v, src, cls == BPF_JMP32, &taken)) {
                ok = fault("unsupported jump %#x", in.code);
                break;
            }
            if (taken && in.off < 0 && !(prog_.flags & KBPF_F_BPF_CAPABLE)) {
                ok = fault("a backward jump without bpf_capable");
                break;
            }
            if (taken)
                pc += static_cast<uint32_t>(static_cast<int32_t>(in.off));
            break;
        }
        default:
            ok = fault("unsupported instruction %#x", in.code);
            break;
        }
        if (!ok)
            break;
    }
    res_.r0 = regs_[BPF_REG_0].v;
    res_.executed = steps_;
    for (uint32_t obj : entry_objs_)
        res_.map_values.insert(res_.map_values.end(), objs_[obj].mem.begin(), objs_[obj].mem.end());
    return res_;
}

} // namespace

RunResult check_run(const Prog& prog, const RunConfig& config) {
    Machine m(prog, config);
    return m.run();
}

namespace {

// What a map load becomes in real_run: the address of one of these.
uint64_t real_maps[NR_MAPS];

struct RealEnv {
    explicit RealEnv(const RunConfig* c) : config(c), maps(c->hash_keys_present) {}
    const RunConfig* config;
    MapModel maps;
    std::vector<std::unique_ptr<uint8_t[]>> values; // entry n's value
    std::vector<uint32_t> value_sizes;              // and its size
    size_t next_value = 0;
    unsigned reservations = 0;
    uint64_t reserved = 0;
    std::vector<void*> records; // live ones
    uint64_t value() {
        if (config->helper_values.empty())
            return 0;
        return config->helper_values[next_value++ % config->helper_values.size()];
    }
};

// Entry @entry's value in @env, zeroed when first needed; kept to the end of
// the run, as Linux keeps a deleted value until its RCU grace period.
uint8_t* real_value(RealEnv* env, int entry, int map) {
    while (env->values.size() <= static_cast<size_t>(entry)) {
        env->values.emplace_back(new uint8_t[fuzz_map(map).value_size]());
        env->value_sizes.push_back(fuzz_map(map).value_size);
    }
    return env->values[static_cast<size_t>(entry)].get();
}

uint64_t real_helper(void* priv, s32 id, const u64 args[5]) {
    RealEnv* env = static_cast<RealEnv*>(priv);
    int map =
        static_cast<int>((args[0] - reinterpret_cast<uint64_t>(real_maps)) / sizeof(uint64_t));
    auto* key = reinterpret_cast<const uint8_t*>(args[1]);
    switch (id) {
    case BPF_FUNC_map_lookup_elem: {
        int entry = env->maps.lookup(map, key);
        return entry < 0 ? 0 : reinterpret_cast<uint64_t>(real_value(env, entry, map));
    }
    case BPF_FUNC_map_update_elem: {
        int written;
        int64_t err = env->maps.update(map, key, args[3], &written);
        if (written >= 0)
            memcpy(real_value(env, written, map), reinterpret_cast<const void*>(args[2]),
                   fuzz_map(map).value_size);
        return static_cast<uint64_t>(err);
    }
    case BPF_FUNC_map_delete_elem:
        return static_cast<uint64_t>(env->maps.remove(map, key));
    case BPF_FUNC_get_smp_processor_id:
        return env->value() & 3;
    case BPF_FUNC_get_current_comm: {
        auto* buf = reinterpret_cast<uint8_t*>(args[0]);
        memset(buf, 0, args[1]);
        memcpy(buf, "fuzz", args[1] > 4 ? 4 : args[1] - 1);
        return 0;
    }
    case BPF_FUNC_ringbuf_output: {
        std::vector<uint8_t> copy(args[2]);
        if (args[2])
            memcpy(copy.data(), reinterpret_cast<const void*>(args[1]), args[2]);
        return 0;
    }
    case BPF_FUNC_ringbuf_reserve: {
        unsigned index = env->reservations++;
        uint64_t size = args[1];
        if (args[2] || (env->config->reserve_fail >> (index < 63 ? index : 63)) & 1 ||
            size > RECORD_AREA - env->reserved)
            return 0;
        env->reserved += (size + 8 + 7) & ~7ULL;
        void* rec = malloc(size ? size : 1);
        memset(rec, 0x5a, size);
        env->records.push_back(rec);
        return reinterpret_cast<uint64_t>(rec);
    }
    case BPF_FUNC_ringbuf_submit:
    case BPF_FUNC_ringbuf_discard:
        for (size_t i = 0; i < env->records.size(); i++) {
            if (reinterpret_cast<uint64_t>(env->records[i]) != args[0])
                continue;
            free(env->records[i]);
            env->records.erase(env->records.begin() + static_cast<long>(i));
            break;
        }
        return 0;
    default:
        return env->value();
    }
}

} // namespace

int real_run(const Prog& prog, const RunConfig& config, uint64_t* r0,
             std::vector<uint8_t>* map_values) {
    std::vector<bpf_insn> insns = prog.insns;
    static uint64_t rings[NR_RINGS];
    RealEnv renv(&config);
    // Each single-entry ARRAY's value first, in map order, as the checking
    // interpreter makes them.
    uint8_t* direct[NR_MAPS] = {};
    for (int32_t m = 0; m < NR_MAPS; m++)
        if (has_direct_value(m))
            direct[m] = real_value(&renv, renv.maps.lookup(m, kZeroKey), m);
    for (size_t i = 0; i + 1 < insns.size(); i++) {
        if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
            continue;
        if (insns[i].src_reg == BPF_PSEUDO_MAP_VALUE && is_map_fd(insns[i].imm) &&
            direct[insns[i].imm - NR_RINGS]) {
            auto address = reinterpret_cast<uint64_t>(direct[insns[i].imm - NR_RINGS]) +
                           static_cast<uint32_t>(insns[i + 1].imm);
            insns[i].src_reg = 0;
            insns[i].imm = static_cast<int32_t>(static_cast<uint32_t>(address));
            insns[i + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(address >> 32));
        } else if (insns[i].src_reg == BPF_PSEUDO_MAP_FD &&
                   (is_map_fd(insns[i].imm) || (insns[i].imm >= 0 && insns[i].imm < NR_RINGS))) {
            auto address = is_map_fd(insns[i].imm)
                               ? reinterpret_cast<uint64_t>(&real_maps[insns[i].imm - NR_RINGS])
                               : reinterpret_cast<uint64_t>(&rings[insns[i].imm]);
            insns[i].src_reg = 0;
            insns[i].imm = static_cast<int32_t>(static_cast<uint32_t>(address));
            insns[i + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(address >> 32));
        }
        i++;
    }
    std::unique_ptr<uint8_t[]> ctx(new uint8_t[prog.ctx_size ? prog.ctx_size : 1]);
    memcpy(ctx.get(), config.ctx.data(), std::min<size_t>(prog.ctx_size, config.ctx.size()));
    std::unique_ptr<uint64_t[]> stack(new uint64_t[KBPF_INTERP_STACK_SIZE / 8]());
    kbpf_interp_env env{};
    env.call_helper = real_helper;
    env.priv = &renv;
    env.stack = reinterpret_cast<u8*>(stack.get());
    env.insn_budget = config.budget;
    int err =
        kbpf_interp_run(insns.data(), static_cast<uint32_t>(insns.size()), ctx.get(), &env, r0);
    for (void* rec : renv.records)
        free(rec);
    map_values->clear();
    for (size_t e = 0; e < renv.values.size(); e++)
        map_values->insert(map_values->end(), renv.values[e].get(),
                           renv.values[e].get() + renv.value_sizes[e]);
    return err;
}

} // namespace fuzz
