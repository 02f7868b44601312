#include "gen.hpp"

#include "insn.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

extern "C" {
#include "verifier.h"
}

namespace fuzz {

const std::vector<uint64_t>& boundary_values() {
    static const std::vector<uint64_t> values = [] {
        std::vector<uint64_t> v = {0,  1,  2,  3,   4,   7,   8,   9,   15,  16,   17,  31,
                                   32, 63, 64, 127, 128, 255, 256, 511, 512, 4095, 4096};
        for (unsigned bits : {8U, 16U, 31U, 32U, 33U, 48U, 63U}) {
            uint64_t p = 1ULL << bits;
            for (uint64_t x : {p - 2, p - 1, p, p + 1})
                v.push_back(x);
        }
        for (uint64_t x : std::vector<uint64_t>(v))
            v.push_back(0 - x);
        v.push_back(0x8000000000000000ULL);
        v.push_back(0x7fffffffffffffffULL);
        v.push_back(0xffffffff00000000ULL);
        v.push_back(0x00000000ffffffffULL);
        v.push_back(0xffffffff80000000ULL);
        v.push_back(0x0000000080000000ULL);
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    }();
    return values;
}

namespace {

using namespace insn;

constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

// Mem: a global function's memory argument (size bytes), past its NULL check.
enum class T : uint8_t { None, Scalar, Ctx, Stack, Record, Ring, MapValue, Mem };

// What the generator believes a register holds (the verifier decides).
struct GReg {
    T t = T::None;
    int32_t off = 0;   // pointers: constant offset (stack: from the frame pointer)
    uint32_t size = 0; // records, map values and memory arguments: bytes
    bool is_ptr() const {
        return t == T::Ctx || t == T::Stack || t == T::Record || t == T::MapValue || t == T::Mem;
    }
    // Bounds-checked against its size, at any alignment.
    bool sized() const { return t == T::Record || t == T::Mem; }
};

struct Model {
    std::array<GReg, 11> r;
    std::array<GReg, 64> slot;    // spilled pointers, per 8-byte stack slot
    std::array<bool, 512> init{}; // stack byte fp-512+i written on every path
};

class Asm {
public:
    std::vector<bpf_insn> code;
    int label() {
        pos_.push_back(-1);
        return static_cast<int>(pos_.size() - 1);
    }
    void bind(int l) { pos_[static_cast<size_t>(l)] = static_cast<int>(code.size()); }
    void emit(bpf_insn i) { code.push_back(i); }
    void emit(const std::vector<bpf_insn>& v) { code.insert(code.end(), v.begin(), v.end()); }
    void jump(bpf_insn i, int l) {
        fix_.push_back({code.size(), l});
        code.push_back(i);
    }
    bool resolve() {
        for (const auto& [at, l] : fix_) {
            int target = pos_[static_cast<size_t>(l)];
            if (target < 0)
                return false;
            long rel = target - static_cast<long>(at) - 1;
            bpf_insn& i = code[at];
            if (i.code == (BPF_JMP | BPF_CALL)) {
                i.imm = static_cast<int32_t>(rel);
            } else {
                if (rel < INT16_MIN || rel > INT16_MAX)
                    return false;
                i.off = static_cast<int16_t>(rel);
            }
        }
        return true;
    }

private:
    std::vector<int> pos_;
    std::vector<std::pair<size_t, int>> fix_;
};

const uint8_t kSizes[4] = {BPF_B, BPF_H, BPF_W, BPF_DW};
uint32_t size_bytes(uint8_t sz) {
    return sz == BPF_B ? 1 : sz == BPF_H ? 2 : sz == BPF_W ? 4 : 8;
}

struct SubSpec {
    int label;
    bool global;
    GReg arg1;    // a pointer (static), the context or memory (global)
    int depth;    // call depth of its frame
    bool release; // it submits the record in r1 (its caller's r7)
};

class Gen {
public:
    Gen(Rng& rng, const GenOptions& options) : rng_(rng), options_(options) {}
    Prog run();

private:
    Rng& rng_;
    const GenOptions& options_;
    Prog prog_;
    Asm a_;
    Model m_;
    std::vector<SubSpec> subs_;
    std::vector<kring_func_info> funcs_;
    bool any_global_ = false;
    bool main_record_released_ = false; // by a subprogram
    int depth_ = 0;                     // frame depth of the function being generated
    int budget_ = 0;                    // snippets left in this function
    uint16_t busy_ = 0;                 // registers snippets must not overwrite

    int32_t imm32() {
        uint64_t v = rng_.pick(boundary_values());
        if (rng_.chance(20))
            v = rng_.below(64);
        return static_cast<int32_t>(v);
    }
    uint64_t imm64() { return rng_.chance(10) ? rng_.next() : rng_.pick(boundary_values()); }
    uint8_t size_code() { return kSizes[rng_.below(4)]; }

    bool is_busy(uint8_t r) const { return busy_ & (1U << r); }
    uint8_t scratch() {
        static const uint8_t cand[] = {R0, R1, R2, 3, 4, 5, R8, R9};
        for (int tries = 0; tries < 32; tries++) {
            uint8_t r = cand[rng_.below(8)];
            if (!is_busy(r))
                return r;
        }
        return R0;
    }
    // A register holding a number, making one if needed.
    uint8_t some_scalar() {
        std::vector<uint8_t> have;
        for (uint8_t r = 0; r < 10; r++)
            if (m_.r[r].t == T::Scalar && !is_busy(r))
                have.push_back(r);
        if (!have.empty() && rng_.chance(60))
            return rng_.pick(have);
        uint8_t r = scratch();
        fresh_scalar(r);
        return r;
    }
    std::vector<uint8_t> pointers() const {
        std::vector<uint8_t> v;
        for (uint8_t r = 0; r <= 10; r++)
            if (m_.r[r].is_ptr())
                v.push_back(r);
        return v;
    }
    int ctx_reg() const {
        for (uint8_t r : {R6, R1, R2, R3, R8, R9})
            if (m_.r[r].t == T::Ctx && m_.r[r].off == 0)
                return r;
        return -1;
    }

    void set(uint8_t r, T t, int32_t off = 0, uint32_t size = 0) { m_.r[r] = GReg{t, off, size}; }
    void clobber_call() {
        for (uint8_t r = 1; r <= 5; r++)
            m_.r[r] = GReg{};
    }

    // ---- snippets ----
    void ctx_load(uint8_t dst);
    void fresh_scalar(uint8_t dst);
    void random_alu(uint8_t dst);
    void bound(uint8_t x, uint64_t n, int skip);
    void guarded_access();
    void const_access();
    void stack_store();
    void stack_load();
    void helper_call();
    void second_record();
    void branch_merge();
    void loop();
    void call_sub();
    void linked_join();
    void spill_overwrite();
    void alu_chain();
    void atomic_op();
    void map_op();
    void direct_value_op();
    void map_value_access(uint8_t value, uint32_t size);
    uint8_t record_base();
    void access_at(uint8_t base, uint8_t x, uint32_t budget_size);
    void snippet();
    void body(int n);

    void join(const Model& before) {
        for (unsigned r = 0; r < 11; r++)
            if (m_.r[r].t != before.r[r].t || m_.r[r].off != before.r[r].off ||
                m_.r[r].size != before.r[r].size)
                m_.r[r] = GReg{};
        for (unsigned s = 0; s < 64; s++)
            if (m_.slot[s].t != before.slot[s].t || m_.slot[s].off != before.slot[s].off)
                m_.slot[s] = GReg{};
        for (unsigned b = 0; b < 512; b++)
            m_.init[b] = m_.init[b] && before.init[b];
    }
    void mark_stack(int32_t off, uint32_t n, bool written) {
        for (uint32_t b = 0; b < n; b++) {
            int32_t i = 512 + off + static_cast<int32_t>(b);
            if (i >= 0 && i < 512) {
                if (written)
                    m_.init[static_cast<size_t>(i)] = true;
                m_.slot[static_cast<size_t>(i) / 8] = GReg{};
            }
        }
    }
    bool stack_init(int32_t off, uint32_t n) const {
        for (uint32_t b = 0; b < n; b++) {
            int32_t i = 512 + off + static_cast<int32_t>(b);
            if (i < 0 || i >= 512 || !m_.init[static_cast<size_t>(i)])
                return false;
        }
        return true;
    }
    void gen_sub(const SubSpec& s);
    bool global_mem_arg(GReg* arg);
};

// r1 = memory of the caller's (stack, a record, a map value) for a global
// function's memory argument, *@arg its model: false if there is none to
// give. The size fits what the pointer has left, or now and then not.
bool Gen::global_mem_arg(GReg* arg) {
    if (rng_.chance(40))
        return false;
    std::vector<uint8_t> fit;
    for (uint8_t r : pointers())
        if (m_.r[r].t == T::Stack || m_.r[r].t == T::Record || m_.r[r].t == T::MapValue)
            fit.push_back(r);
    if (fit.empty())
        return false;
    uint8_t r = rng_.pick(fit);
    GReg g = m_.r[r];
    a_.emit(mov64_reg(R1, r));
    int64_t left; // bytes from the pointer to the object's end
    if (g.t == T::Stack) {
        int32_t k = g.off == 0 ? -8 * static_cast<int32_t>(rng_.range(1, 8)) : 0;
        if (k)
            a_.emit(alu64_imm(BPF_ADD, R1, k));
        left = -(g.off + k);
    } else {
        left = static_cast<int64_t>(g.size) - g.off;
    }
    int size = left > 0 ? rng_.range(1, static_cast<int>(std::min<int64_t>(left, 512))) : 1;
    if (rng_.chance(5))
        size += rng_.range(1, 8);
    // The callee may overwrite the stack it gets: spills there are gone.
    if (g.t == T::Stack)
        mark_stack(static_cast<int32_t>(-left), static_cast<uint32_t>(size), false);
    *arg = GReg{T::Mem, 0, static_cast<uint32_t>(size)};
    return true;
}

void Gen::ctx_load(uint8_t dst) {
    int c = ctx_reg();
    uint8_t sz = size_code();
    uint32_t n = size_bytes(sz);
    if (c < 0 || prog_.ctx_size < n) {
        a_.emit(mov64_imm(dst, imm32()));
        set(dst, T::Scalar);
        return;
    }
    int32_t off = static_cast<int32_t>(rng_.below((prog_.ctx_size - n) / n + 1) * n);
    if (rng_.chance(4))
        off += rng_.chance(50) ? 1 : static_cast<int32_t>(n);
    a_.emit(ldx(sz, dst, static_cast<uint8_t>(c), static_cast<int16_t>(off)));
    set(dst, T::Scalar);
}

void Gen::fresh_scalar(uint8_t dst) {
    switch (rng_.below(6)) {
    case 0:
        a_.emit(mov64_imm(dst, imm32()));
        break;
    case 1:
        a_.emit(mov32_imm(dst, imm32()));
        break;
    case 2:
        a_.emit(ld_imm64_pair(dst, imm64()));
        break;
    default:
        ctx_load(dst);
        return;
    }
    set(dst, T::Scalar);
}

void Gen::random_alu(uint8_t dst) {
    static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND,  BPF_LSH,
                                  BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
    uint8_t op = ops[rng_.below(sizeof(ops))];
    bool is64 = rng_.chance(60);
    if (op == BPF_END) {
        static const int32_t bits[] = {16, 32, 64};
        a_.emit(endian(rng_.chance(50), dst, bits[rng_.below(3)]));
        return;
    }
    if (op == BPF_NEG) {
        a_.emit(is64 ? alu64_imm(op, dst, 0) : alu32_imm(op, dst, 0));
    } else if (rng_.chance(50)) {
        int32_t imm = imm32();
        if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
            imm = rng_.chance(97) ? static_cast<int32_t>(rng_.below(is64 ? 64 : 32)) : 64;
        if ((op == BPF_DIV || op == BPF_MOD) && imm == 0 && rng_.chance(90))
            imm = 7;
        a_.emit(is64 ? alu64_imm(op, dst, imm) : alu32_imm(op, dst, imm));
    } else {
        uint8_t src = some_scalar();
        a_.emit(is64 ? alu64_reg(op, dst, src) : alu32_reg(op, dst, src));
    }
    set(dst, T::Scalar);
}

// On the fall-through, x in [0, n] (as the generator believes; one time in
// seven a bound is off by one, a near miss).
void Gen::bound(uint8_t x, uint64_t n, int skip) {
    if (n > 0x0fffffff) // huge records: keep the arithmetic below in range
        n = 0x0fffffff;
    if (rng_.chance(14))
        n += 1;
    int32_t ni = static_cast<int32_t>(n);
    auto low_mask = [](uint64_t v) {
        uint64_t m = 0;
        while (((m << 1) | 1) <= v)
            m = (m << 1) | 1;
        return m;
    };
    switch (rng_.below(19)) {
    case 0:
        a_.jump(jmp_imm(BPF_JGT, x, ni, 0), skip);
        break;
    case 1:
        a_.jump(jmp_imm(BPF_JGE, x, ni + 1, 0), skip);
        break;
    case 2: { // the limit in a register, either side of the comparison
        uint8_t k = scratch();
        while (k == x)
            k = scratch();
        a_.emit(mov64_imm(k, ni));
        if (rng_.chance(50))
            a_.jump(jmp_reg(BPF_JGT, x, k, 0), skip);
        else
            a_.jump(jmp_reg(BPF_JLT, k, x, 0), skip);
        set(k, T::Scalar);
        break;
    }
    case 3: // 32-bit compare after a 32-bit move (upper half zero)
        if (rng_.chance(80))
            a_.emit(mov32_reg(x, x));
        a_.jump(jmp32_imm(rng_.chance(50) ? BPF_JGT : BPF_JSGT, x, ni, 0), skip);
        if (rng_.chance(50))
            a_.jump(jmp32_imm(BPF_JSLT, x, 0, 0), skip);
        break;
    case 4: // signed pair
        a_.jump(jmp_imm(BPF_JSLT, x, 0, 0), skip);
        a_.jump(jmp_imm(BPF_JSGT, x, ni, 0), skip);
        break;
    case 5: // the taken side of JLT / JLE
    {
        int ok = a_.label();
        if (rng_.chance(50))
            a_.jump(jmp_imm(BPF_JLT, x, ni + 1, 0), ok);
        else
            a_.jump(jmp_imm(BPF_JLE, x, ni, 0), ok);
        a_.jump(ja(0), skip);
        a_.bind(ok);
        break;
    }
    case 6:
        a_.emit(alu64_imm(BPF_AND, x, static_cast<int32_t>(low_mask(n))));
        break;
    case 7:
        a_.emit(rng_.chance(50) ? alu64_imm(BPF_AND, x, ni) : alu32_imm(BPF_AND, x, ni));
        break;
    case 8:
        if (rng_.chance(50))
            a_.emit(alu64_imm(BPF_MOD, x, ni + 1));
        else
            a_.emit(alu32_imm(BPF_MOD, x, ni + 1));
        break;
    case 9: { // shifts keep the top bits
        unsigned bits = 0;
        while (bits < 63 && (1ULL << (bits + 1)) - 1 <= n)
            bits++;
        if (rng_.chance(50)) {
            a_.emit(alu64_imm(BPF_RSH, x, static_cast<int32_t>(64 - (bits ? bits : 1))));
            if (!bits)
                a_.emit(alu64_imm(BPF_AND, x, 0));
        } else {
            unsigned b32 = bits > 31 ? 31 : bits;
            a_.emit(alu32_imm(BPF_RSH, x, static_cast<int32_t>(32 - (b32 ? b32 : 1))));
            if (!b32)
                a_.emit(alu64_imm(BPF_AND, x, 0));
        }
        break;
    }
    case 10: { // a copy is compared, the original is used (ids link them)
        uint8_t y = scratch();
        while (y == x)
            y = scratch();
        a_.emit(mov64_reg(y, x));
        a_.jump(jmp_imm(rng_.chance(50) ? BPF_JGT : BPF_JSGT, y, ni, 0), skip);
        if (rng_.chance(70))
            a_.jump(jmp_imm(BPF_JSLT, rng_.chance(50) ? x : y, 0, 0), skip);
        set(y, T::Scalar);
        break;
    }
    case 11: { // two-sided range shifted down
        int32_t lo = static_cast<int32_t>(rng_.pick(boundary_values()) & 0x3fffffff);
        a_.jump(jmp_imm(BPF_JLT, x, lo, 0), skip);
        a_.jump(jmp_imm(BPF_JGT, x, static_cast<int32_t>(lo + ni), 0), skip);
        a_.emit(alu64_imm(BPF_SUB, x, lo));
        break;
    }
    case 12: // JSET with the bits above the mask
        a_.jump(jmp_imm(BPF_JSET, x, static_cast<int32_t>(~low_mask(n)), 0), skip);
        break;
    case 13: { // equality gives a constant
        a_.jump(jmp_imm(BPF_JNE, x, static_cast<int32_t>(rng_.below(n + 1)), 0), skip);
        break;
    }
    case 14: { // negative range, negated
        a_.jump(jmp_imm(BPF_JSGT, x, 0, 0), skip);
        a_.jump(jmp_imm(BPF_JSLT, x, -ni, 0), skip);
        a_.emit(alu64_imm(BPF_NEG, x, 0));
        break;
    }
    case 15: { // sign extension of the low 32 bits, then signed bounds
        a_.emit(alu64_imm(BPF_LSH, x, 32));
        a_.emit(alu64_imm(BPF_ARSH, x, 32));
        a_.jump(jmp_imm(BPF_JSLT, x, 0, 0), skip);
        a_.jump(jmp32_imm(BPF_JSGT, x, ni, 0), skip);
        break;
    }
    case 17: { // against another bounded variable
        uint8_t y = scratch();
        while (y == x)
            y = scratch();
        fresh_scalar(y);
        a_.emit(alu64_imm(BPF_AND, y, static_cast<int32_t>(low_mask(n))));
        switch (rng_.below(4)) {
        case 0:
            a_.jump(jmp_reg(BPF_JGT, x, y, 0), skip);
            break;
        case 1:
            a_.jump(jmp_reg(BPF_JLT, y, x, 0), skip);
            break;
        case 2:
            a_.jump(jmp_imm(BPF_JSLT, x, 0, 0), skip);
            a_.jump(jmp_reg(BPF_JSGT, x, y, 0), skip);
            break;
        default:
            a_.emit(mov32_reg(x, x));
            a_.jump(jmp32_reg(BPF_JGT, x, y, 0), skip);
            break;
        }
        set(y, T::Scalar);
        break;
    }
    case 18: { // a 64-bit compare, then a 32-bit view
        a_.jump(jmp_imm(BPF_JGT, x, ni, 0), skip);
        a_.emit(rng_.chance(50) ? mov32_reg(x, x) : alu32_imm(BPF_ADD, x, 0));
        break;
    }
    default: { // spilled, bounded, filled back: the spill shares the id
        int32_t off = -8 * static_cast<int32_t>(rng_.range(1, 8));
        a_.emit(stx(BPF_DW, R10, x, static_cast<int16_t>(off)));
        a_.jump(jmp_imm(BPF_JGT, x, ni, 0), skip);
        a_.emit(ldx(BPF_DW, x, R10, static_cast<int16_t>(off)));
        mark_stack(off, 8, true);
        break;
    }
    }
}

// A pointer plus a bounded variable offset, then a load or a store.
void Gen::guarded_access() {
    std::vector<uint8_t> ptrs = pointers();
    if (ptrs.empty())
        return;
    uint8_t base = rng_.pick(ptrs);
    GReg b = m_.r[base];
    // Variable offsets are for records; context and stack take constants.
    bool variable = b.sized() || rng_.chance(8);
    int64_t lo, hi; // the object's bytes relative to the pointer
    if (b.sized()) {
        lo = -b.off;
        hi = static_cast<int64_t>(b.size) - b.off;
    } else if (b.t == T::Ctx) {
        lo = -b.off;
        hi = static_cast<int64_t>(prog_.ctx_size) - b.off;
    } else {
        lo = -512 - b.off;
        hi = -b.off;
    }
    uint8_t sz = size_code();
    int64_t n = size_bytes(sz);
    bool store = rng_.chance(50) && (b.t != T::Ctx || prog_.ctx_writable || rng_.chance(10));
    int64_t c = hi - lo >= n
                    ? lo + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(hi - lo - n + 1)))
                    : 0;
    if (!b.sized())
        c -= ((c + b.off) % n + n) % n;
    if (b.t == T::Stack && !store &&
        !stack_init(static_cast<int32_t>(b.off + c), static_cast<uint32_t>(n)))
        store = rng_.chance(90);
    int64_t budget = hi - n - c;
    if (budget < 0)
        budget = 0;
    if (rng_.chance(5))
        c += rng_.chance(50) ? 1 : -1;

    Model before = m_;
    uint16_t saved = busy_;
    busy_ |= static_cast<uint16_t>(1U << base);
    int skip = a_.label();
    uint8_t x = some_scalar();
    busy_ |= static_cast<uint16_t>(1U << x);
    if (rng_.chance(30))
        random_alu(x);
    // Range-preserving steps after the bound, applied in order; the bound
    // is their inverse image of the budget.
    struct Step {
        uint8_t op;
        int32_t k;
        bool is64;
    };
    std::vector<Step> steps;
    uint64_t limit = variable ? static_cast<uint64_t>(budget) : 0;
    for (int i = rng_.range(0, 2); i > 0; i--) {
        switch (rng_.below(6)) {
        case 0:
            if (limit >= 3) {
                int32_t k = rng_.range(1, static_cast<int>(std::min<uint64_t>(limit, 64)));
                steps.insert(steps.begin(), Step{BPF_ADD, k, rng_.chance(70)});
                limit -= static_cast<uint64_t>(k);
            }
            break;
        case 1:
            steps.insert(steps.begin(), Step{BPF_LSH, 1, rng_.chance(70)});
            limit /= 2;
            break;
        case 2:
            if (limit >= 3) {
                int32_t k = rng_.range(2, 5);
                steps.insert(steps.begin(), Step{BPF_MUL, k, rng_.chance(70)});
                limit /= static_cast<uint64_t>(k);
            }
            break;
        case 3:
            steps.insert(steps.begin(), Step{BPF_RSH, 1, rng_.chance(70)});
            limit = limit * 2 + 1;
            break;
        case 4:
            steps.insert(steps.begin(), Step{BPF_MOV, 0, false}); // w = w
            break;
        default: { // away and back, maybe through a 32-bit move
            int32_t k = static_cast<int32_t>(rng_.range(1, 1000));
            bool up = rng_.chance(50);
            std::vector<Step> trip = {
                Step{static_cast<uint8_t>(up ? BPF_ADD : BPF_SUB), k, rng_.chance(75)},
                Step{static_cast<uint8_t>(up ? BPF_SUB : BPF_ADD), k, rng_.chance(75)}};
            if (rng_.chance(40))
                trip.insert(trip.begin() + 1, Step{BPF_MOV, 0, false});
            steps.insert(steps.begin(), trip.begin(), trip.end());
            break;
        }
        }
    }
    bound(x, limit, skip);
    for (const Step& s : steps) {
        if (s.op == BPF_MOV)
            a_.emit(mov32_reg(x, x));
        else
            a_.emit(s.is64 ? alu64_imm(s.op, x, s.k) : alu32_imm(s.op, x, s.k));
    }
    uint8_t p = scratch();
    while (p == x || p == base)
        p = scratch();
    if (!variable) {
        // A constant offset: x itself is not added.
        a_.emit(mov64_reg(p, base));
    } else if (rng_.chance(80)) {
        a_.emit(mov64_reg(p, base));
        a_.emit(alu64_reg(BPF_ADD, p, x));
    } else {
        a_.emit(mov64_reg(p, x));
        a_.emit(alu64_reg(BPF_ADD, p, base));
    }
    if (rng_.chance(15)) { // split the constant across pointer and insn
        int32_t k = static_cast<int32_t>(c / 2);
        a_.emit(alu64_imm(rng_.chance(50) ? BPF_ADD : BPF_SUB, p, rng_.chance(50) ? k : -k));
        c -= a_.code.back().code == (BPF_ALU64 | BPF_ADD | BPF_K) ? a_.code.back().imm
                                                                  : -a_.code.back().imm;
    }
    if (store) {
        if (rng_.chance(50))
            a_.emit(st(sz, p, static_cast<int16_t>(c), imm32()));
        else
            a_.emit(stx(sz, p, some_scalar(), static_cast<int16_t>(c)));
    } else {
        uint8_t d = scratch();
        a_.emit(ldx(sz, d, p, static_cast<int16_t>(c)));
        set(d, T::Scalar);
    }
    a_.bind(skip);
    join(before);
    busy_ = saved;
}

// Pointer arithmetic with constants only, and accesses at the edges.
void Gen::const_access() {
    std::vector<uint8_t> ptrs = pointers();
    if (ptrs.empty())
        return;
    uint8_t base = rng_.pick(ptrs);
    GReg b = m_.r[base];
    uint8_t sz = size_code();
    int32_t n = static_cast<int32_t>(size_bytes(sz));
    int32_t lo, hi; // valid [lo, hi) relative to the pointer
    if (b.sized()) {
        lo = -b.off;
        hi = static_cast<int32_t>(b.size) - b.off;
    } else if (b.t == T::Ctx) {
        lo = -b.off;
        hi = static_cast<int32_t>(prog_.ctx_size) - b.off;
    } else {
        lo = -512 - b.off;
        hi = -b.off;
    }
    if (hi - lo < n)
        return;
    // An edge: the first or last slot, or just outside.
    int32_t off = rng_.chance(50) ? lo : hi - n;
    if (!b.sized())
        off -= ((off + b.off) % n + n) % n;
    if (rng_.chance(40))
        off = lo + static_cast<int32_t>(rng_.below(static_cast<uint64_t>(hi - lo - n + 1)));
    if (!b.sized())
        off -= ((off + b.off) % n + n) % n;
    if (rng_.chance(8))
        off += rng_.chance(50) ? n : -n;
    uint8_t p = base;
    if (rng_.chance(40) && base != R10) {
        p = scratch();
        int32_t k = static_cast<int32_t>(rng_.range(-16, 16));
        a_.emit(mov64_reg(p, base));
        a_.emit(alu64_imm(BPF_ADD, p, k));
        off -= k;
        set(p, b.t, b.off + k, b.size);
    }
    bool store = rng_.chance(50) && (b.t != T::Ctx || prog_.ctx_writable || rng_.chance(10));
    if (b.t == T::Stack && !store && !stack_init(b.off + off, static_cast<uint32_t>(n)) &&
        rng_.chance(90))
        store = true;
    if (store) {
        if (rng_.chance(40))
            a_.emit(st(sz, p, static_cast<int16_t>(off), imm32()));
        else
            a_.emit(stx(sz, p, some_scalar(), static_cast<int16_t>(off)));
        if (b.t == T::Stack)
            mark_stack(b.off + off, static_cast<uint32_t>(n), true);
    } else {
        uint8_t d = scratch();
        a_.emit(ldx(sz, d, p, static_cast<int16_t>(off)));
        set(d, T::Scalar);
    }
}

void Gen::stack_store() {
    int32_t slot = rng_.range(0, 15);
    int32_t off = -8 * (slot + 1);
    std::vector<uint8_t> ptrs = pointers();
    if (!ptrs.empty() && rng_.chance(40)) { // spill a pointer
        uint8_t r = rng_.pick(ptrs);
        a_.emit(stx(BPF_DW, R10, r, static_cast<int16_t>(off)));
        mark_stack(off, 8, true);
        GReg g = m_.r[r];
        if (g.t == T::Stack && depth_ > 0)
            g.t = T::None; // keep the model simple: no callee stack pointers
        m_.slot[static_cast<size_t>(64 - slot - 1)] = g;
        return;
    }
    uint8_t sz = size_code();
    uint32_t n = size_bytes(sz);
    off += static_cast<int32_t>(rng_.below(8 / n) * n);
    if (rng_.chance(50))
        a_.emit(st(sz, R10, static_cast<int16_t>(off), imm32()));
    else
        a_.emit(stx(sz, R10, some_scalar(), static_cast<int16_t>(off)));
    mark_stack(off, n, true);
}

void Gen::stack_load() {
    std::vector<int32_t> slots;
    for (int32_t s = 0; s < 64; s++)
        if (stack_init(-8 * (s + 1), 8))
            slots.push_back(s);
    if (slots.empty() && rng_.chance(90)) {
        stack_store();
        return;
    }
    int32_t s = slots.empty() || rng_.chance(3) ? rng_.range(0, 8) : rng_.pick(slots);
    uint8_t d = scratch();
    uint8_t sz = rng_.chance(70) ? BPF_DW : size_code();
    a_.emit(ldx(sz, d, R10, static_cast<int16_t>(-8 * (s + 1))));
    GReg g = m_.slot[static_cast<size_t>(64 - s - 1)];
    if (sz == BPF_DW && g.t != T::None)
        m_.r[d] = g;
    else
        set(d, T::Scalar);
}

void Gen::helper_call() {
    uint16_t saved = busy_;
    switch (rng_.below(5)) {
    case 0:
        a_.emit(
            call_helper(rng_.chance(50) ? BPF_FUNC_ktime_get_ns : BPF_FUNC_get_smp_processor_id));
        clobber_call();
        set(R0, T::Scalar);
        break;
    case 1: { // get_current_comm into the stack
        int32_t n = rng_.range(1, 24);
        int32_t off = -8 * rng_.range(1, 6);
        if (off + n > 0)
            off = -((n + 7) & ~7);
        // Without allow_ptr_leaks only umin bytes count as written; with it
        // the bytes past umin read as unknown numbers, as uninitialised stack
        // does for perfmon programs (as on Linux).
        bool variable = rng_.chance(30);
        if (variable) { // a size in [1, n]: the helper may write less
            uint16_t saved_busy = busy_;
            ctx_load(2);
            busy_ |= 1U << 2;
            a_.emit(alu64_imm(BPF_MOD, 2, n));
            a_.emit(alu64_imm(BPF_ADD, 2, 1));
            busy_ = saved_busy;
        }
        a_.emit(mov64_reg(R1, R10));
        a_.emit(alu64_imm(BPF_ADD, R1, off));
        if (!variable)
            a_.emit(mov64_imm(2, rng_.chance(95) ? n : 0));
        a_.emit(call_helper(BPF_FUNC_get_current_comm));
        clobber_call();
        mark_stack(off, static_cast<uint32_t>(n), true);
        set(R0, T::Scalar);
        if (variable && rng_.chance(50)) { // read back its last bytes
            uint8_t d = scratch();
            a_.emit(ldx(BPF_B, d, R10, static_cast<int16_t>(off + n - 1)));
            set(d, T::Scalar);
        }
        break;
    }
    case 2: { // ringbuf_output of the stack or a record, size bounded
        std::vector<uint8_t> recs;
        for (uint8_t r : {R7, R8, R9})
            if (m_.r[r].t == T::Record && m_.r[r].off == 0)
                recs.push_back(r);
        int skip = a_.label();
        Model before = m_;
        int32_t room;
        if (!recs.empty() && rng_.chance(50)) {
            uint8_t r = rng_.pick(recs);
            a_.emit(mov64_reg(2, r));
            room = static_cast<int32_t>(m_.r[r].size);
        } else {
            room = 8 * rng_.range(1, 4);
            for (int32_t o = -room; o < 0; o += 8)
                if (!stack_init(o, 8) && rng_.chance(95))
                    a_.emit(st(BPF_DW, R10, static_cast<int16_t>(o), imm32()));
            mark_stack(-room, static_cast<uint32_t>(room), true);
            before = m_;
            a_.emit(mov64_reg(2, R10));
            a_.emit(alu64_imm(BPF_ADD, 2, -room));
        }
        busy_ |= 1U << 2;
        if (rng_.chance(50)) {
            a_.emit(mov64_imm(3, room + (rng_.chance(10) ? 1 : 0)));
        } else {
            ctx_load(3);
            busy_ |= 1U << 3;
            bound(3, static_cast<uint64_t>(room), skip);
        }
        a_.emit(ld_map_fd(R1, static_cast<int32_t>(rng_.below(NR_RINGS))));
        a_.emit(mov64_imm(4, 0));
        a_.emit(call_helper(BPF_FUNC_ringbuf_output));
        a_.bind(skip);
        clobber_call();
        set(R0, T::Scalar);
        join(before);
        break;
    }
    case 3:
        a_.emit(ld_map_fd(R1, static_cast<int32_t>(rng_.below(NR_RINGS))));
        a_.emit(mov64_imm(2, static_cast<int32_t>(rng_.below(4))));
        a_.emit(call_helper(BPF_FUNC_ringbuf_query));
        clobber_call();
        set(R0, T::Scalar);
        break;
    default:
        a_.emit(call_helper(BPF_FUNC_get_current_pid_tgid));
        clobber_call();
        set(R0, T::Scalar);
        break;
    }
    busy_ = saved;
}

uint32_t record_size(Rng& rng) {
    if (rng.chance(2))
        return rng.chance(50) ? 0 : static_cast<uint32_t>(KRING_MAX_DATA_SIZE);
    static const std::vector<uint64_t> sizes = {1,  2,  3,  4,  7,  8,  9,   15,  16,  17,  24,
                                                31, 32, 33, 48, 63, 64, 100, 128, 255, 256, 4096};
    return static_cast<uint32_t>(rng.pick(sizes));
}

// A second reservation in r9 (or r8), used, then submitted or discarded.
void Gen::second_record() {
    uint8_t h = !is_busy(R9) ? R9 : !is_busy(R8) ? R8 : 0;
    if (!h)
        return;
    Model before = m_;
    uint16_t saved = busy_;
    uint32_t size = record_size(rng_);
    a_.emit(ld_map_fd(R1, static_cast<int32_t>(rng_.below(NR_RINGS))));
    a_.emit(mov64_imm(2, static_cast<int32_t>(size)));
    a_.emit(mov64_imm(3, 0));
    a_.emit(call_helper(BPF_FUNC_ringbuf_reserve));
    clobber_call();
    int skip = a_.label();
    bool copy_first = rng_.chance(30); // test the check on a copy
    uint8_t tested = copy_first ? h : R0;
    if (copy_first)
        a_.emit(mov64_reg(h, R0));
    switch (rng_.below(4)) {
    case 0: { // against a register holding 0, on either side
        uint8_t z = 3;
        a_.emit(mov64_imm(z, 0));
        a_.jump(rng_.chance(50) ? jmp_reg(BPF_JEQ, tested, z, 0) : jmp_reg(BPF_JEQ, z, tested, 0),
                skip);
        break;
    }
    case 1: { // JNE: the record is on the taken side
        int ok = a_.label();
        a_.jump(jmp_imm(BPF_JNE, tested, 0, 0), ok);
        a_.jump(ja(0), skip);
        a_.bind(ok);
        break;
    }
    default:
        a_.jump(jmp_imm(BPF_JEQ, tested, 0, 0), skip);
        break;
    }
    if (!copy_first)
        a_.emit(mov64_reg(h, R0));
    set(h, T::Record, 0, size);
    set(R0, T::Record, 0, size);
    busy_ |= static_cast<uint16_t>(1U << h);
    for (int i = rng_.range(1, 3); i > 0; i--) {
        if (rng_.chance(60))
            guarded_access();
        else
            const_access();
    }
    int32_t spill = rng_.chance(25) ? -8 * rng_.range(1, 8) : 0;
    if (spill) // a copy on the stack, released with the others
        a_.emit(stx(BPF_DW, R10, h, static_cast<int16_t>(spill)));
    a_.emit(mov64_reg(R1, h));
    a_.emit(mov64_imm(2, 0));
    a_.emit(call_helper(rng_.chance(50) ? BPF_FUNC_ringbuf_submit : BPF_FUNC_ringbuf_discard));
    clobber_call();
    m_.r[h] = GReg{};
    m_.r[R0] = GReg{};
    if (rng_.chance(3)) { // use after submit: must be rejected
        a_.emit(st(BPF_B, h, 0, 1));
    } else if (spill && rng_.chance(15)) { // through the spilled copy: rejected too
        a_.emit(ldx(BPF_DW, 3, R10, static_cast<int16_t>(spill)));
        a_.emit(st(BPF_B, 3, 0, 1));
        m_.r[3] = GReg{};
    }
    if (spill)
        mark_stack(spill, 8, false);
    a_.bind(skip);
    join(before);
    m_.r[h] = GReg{};
    busy_ = saved;
}

// Two pointers meet at a join; the access must suit both.
void Gen::branch_merge() {
    std::vector<uint8_t> ptrs = pointers();
    if (ptrs.size() < 1)
        return;
    uint8_t pa = rng_.pick(ptrs), pb = rng_.pick(ptrs);
    uint8_t x = some_scalar();
    uint8_t y = scratch();
    while (y == x || is_busy(y))
        y = scratch();
    int other = a_.label(), join_l = a_.label();
    static const uint8_t ops[] = {BPF_JGT, BPF_JSGT, BPF_JEQ, BPF_JSET, BPF_JLE};
    a_.jump((rng_.chance(70) ? jmp_imm : jmp32_imm)(ops[rng_.below(5)], x, imm32(), 0), other);
    a_.emit(mov64_reg(y, pa));
    a_.jump(ja(0), join_l);
    a_.bind(other);
    a_.emit(mov64_reg(y, pb));
    a_.bind(join_l);
    GReg ga = m_.r[pa], gb = m_.r[pb];
    if (ga.t != gb.t || ga.off != gb.off || ga.size != gb.size) {
        // Different objects: an access valid in both at offset 0 if any.
        uint32_t n = 1;
        auto room = [&](const GReg& g) -> int64_t {
            if (g.t == T::Record)
                return static_cast<int64_t>(g.size) - g.off;
            if (g.t == T::Ctx)
                return static_cast<int64_t>(prog_.ctx_size) - g.off;
            return 0; // stack: offset 0 is the frame's end
        };
        if (ga.t == T::Stack || gb.t == T::Stack) {
            a_.emit(ldx(BPF_B, scratch(), y, -1));
        } else if (std::min(room(ga), room(gb)) >= n || rng_.chance(10)) {
            a_.emit(ldx(BPF_B, scratch(), y, 0));
        }
        set(y, T::None);
    } else {
        m_.r[y] = ga;
    }
}

// A bounded loop writing (or reading) each byte of a record.
void Gen::loop() {
    std::vector<uint8_t> recs;
    for (uint8_t r = 0; r <= 10; r++)
        if (m_.r[r].t == T::Record && m_.r[r].off == 0 && m_.r[r].size > 0 && m_.r[r].size <= 64)
            recs.push_back(r);
    if (recs.empty())
        return;
    uint8_t base = rng_.pick(recs);
    uint32_t size = m_.r[base].size;
    uint16_t saved = busy_;
    busy_ |= static_cast<uint16_t>(1U << base);
    uint8_t i = scratch();
    busy_ |= static_cast<uint16_t>(1U << i);
    uint8_t p = scratch();
    int32_t step = rng_.chance(70) ? 1 : rng_.range(2, 4);
    int32_t limit = static_cast<int32_t>(size);
    if (rng_.chance(10))
        limit += 1;
    a_.emit(mov64_imm(i, 0));
    int head = a_.label();
    a_.bind(head);
    a_.emit(mov64_reg(p, base));
    a_.emit(alu64_reg(BPF_ADD, p, i));
    a_.emit(st(BPF_B, p, 0, static_cast<int32_t>(rng_.below(256))));
    a_.emit(alu64_imm(BPF_ADD, i, step));
    switch (rng_.below(3)) {
    case 0:
        a_.jump(jmp_imm(BPF_JLT, i, limit, 0), head);
        break;
    case 1:
        a_.jump(jmp32_imm(BPF_JLT, i, limit, 0), head);
        break;
    default:
        a_.jump(jmp_imm(BPF_JSLT, i, limit, 0), head);
        break;
    }
    set(i, T::Scalar);
    set(p, T::None);
    busy_ = saved;
}

void Gen::call_sub() {
    // Another call of a subprogram from main, with another object of the
    // same kind: it is verified again in this caller's state.
    if (depth_ == 0 && !subs_.empty() && rng_.chance(35)) {
        const SubSpec s0 = rng_.pick(subs_);
        std::vector<uint8_t> fit;
        for (uint8_t r : pointers())
            if (m_.r[r].t == s0.arg1.t && m_.r[r].off == (s0.arg1.t == T::Stack ? 0 : s0.arg1.off))
                fit.push_back(r);
        if (!s0.global && !s0.release && s0.depth == 1 && !fit.empty()) {
            uint8_t r = rng_.pick(fit);
            a_.emit(mov64_reg(R1, r));
            if (s0.arg1.t == T::Stack)
                a_.emit(alu64_imm(BPF_ADD, R1, s0.arg1.off));
            a_.emit(mov64_reg(2, some_scalar()));
            a_.jump(call_local(0), s0.label);
            clobber_call();
            set(R0, T::Scalar);
            return;
        }
    }
    if (depth_ >= 3 || subs_.size() >= 4)
        return;
    SubSpec s;
    s.release = false;
    s.label = a_.label();
    s.global = rng_.chance(25);
    s.depth = depth_ + 1;
    if (s.global) {
        if (!global_mem_arg(&s.arg1)) {
            int c = ctx_reg();
            if (c < 0)
                return;
            a_.emit(mov64_reg(R1, static_cast<uint8_t>(c)));
            s.arg1 = GReg{T::Ctx, 0, 0};
        }
        any_global_ = true;
    } else {
        std::vector<uint8_t> ptrs = pointers();
        if (ptrs.empty())
            return;
        uint8_t r = rng_.pick(ptrs);
        GReg g = m_.r[r];
        if (g.t == T::Stack && depth_ > 0)
            return;
        s.release = depth_ == 0 && m_.r[R7].t == T::Record && m_.r[R7].off == 0 &&
                    !main_record_released_ && rng_.chance(25);
        if (s.release) {
            r = R7;
            g = m_.r[R7];
        }
        if (g.t == T::Stack && g.off == 0) {
            int32_t k = -8 * rng_.range(1, 8);
            a_.emit(mov64_reg(R1, r));
            a_.emit(alu64_imm(BPF_ADD, R1, k));
            g.off = k;
        } else {
            a_.emit(mov64_reg(R1, r));
        }
        s.arg1 = g;
    }
    uint8_t x = some_scalar();
    a_.emit(mov64_reg(2, x));
    a_.jump(call_local(0), s.label);
    clobber_call();
    set(R0, T::Scalar);
    subs_.push_back(s);
    if (s.release) {
        main_record_released_ = true;
        m_.r[R7] = GReg{};
        if (rng_.chance(5)) // the caller's copy is released too: rejected
            a_.emit(st(BPF_B, R7, 0, 1));
    }
}

// A record pointer register, or 0 when there is none.
uint8_t Gen::record_base() {
    std::vector<uint8_t> recs;
    for (uint8_t r = 0; r <= 10; r++)
        if (m_.r[r].t == T::Record && m_.r[r].off == 0 && m_.r[r].size > 0)
            recs.push_back(r);
    return recs.empty() ? 0 : rng_.pick(recs);
}

// *(u8 *)(base + x) = imm, or a load.
void Gen::access_at(uint8_t base, uint8_t x, uint32_t) {
    uint8_t p = scratch();
    while (p == x || p == base)
        p = scratch();
    a_.emit(mov64_reg(p, base));
    a_.emit(alu64_reg(BPF_ADD, p, x));
    if (rng_.chance(50)) {
        a_.emit(st(BPF_B, p, 0, 1));
    } else {
        uint8_t d = scratch();
        a_.emit(ldx(BPF_B, d, p, 0));
        set(d, T::Scalar);
    }
    set(p, T::None);
}

// A comparison of one copy bounds the other, on the paths where they are
// copies: where they are not, the verifier must not carry the bound over
// (a join where pruning compares the links).
void Gen::linked_join() {
    uint8_t base = record_base();
    if (!base)
        return;
    uint32_t size = m_.r[base].size;
    Model before = m_;
    uint16_t saved = busy_;
    busy_ |= static_cast<uint16_t>(1U << base);
    uint8_t x = scratch();
    fresh_scalar(x);
    busy_ |= static_cast<uint16_t>(1U << x);
    uint8_t y = scratch();
    busy_ |= static_cast<uint16_t>(1U << y);
    uint8_t c = some_scalar();
    int other = a_.label(), join_l = a_.label(), skip = a_.label();
    a_.jump(jmp_imm(rng_.chance(50) ? BPF_JGT : BPF_JSET, c, imm32(), 0), other);
    a_.emit(mov64_reg(y, x));
    a_.jump(ja(0), join_l);
    a_.bind(other);
    switch (rng_.below(4)) {
    case 0: // linked there too: safe
        a_.emit(mov64_reg(y, x));
        break;
    case 1: // a copy that lost its link
        a_.emit(mov64_reg(y, x));
        a_.emit(alu64_imm(BPF_ADD, y, 0));
        break;
    case 2: // through the stack: still linked
        a_.emit(stx(BPF_DW, R10, x, -8));
        a_.emit(ldx(BPF_DW, y, R10, -8));
        break;
    default:
        fresh_scalar(y);
        break;
    }
    a_.bind(join_l);
    a_.jump(jmp_imm(BPF_JGE, y, static_cast<int32_t>(size - (rng_.chance(90) ? 0 : 1)), 0), skip);
    access_at(base, x, size);
    a_.bind(skip);
    join(before);
    mark_stack(-8, 8, false);
    busy_ = saved;
}

// A bounded number spilled, partly overwritten (or by a helper, or not at
// all), filled back and used as an offset: the bound must not survive a
// change to the slot.
void Gen::spill_overwrite() {
    uint8_t base = record_base();
    if (!base)
        return;
    uint32_t size = m_.r[base].size;
    Model before = m_;
    uint16_t saved = busy_;
    busy_ |= static_cast<uint16_t>(1U << base);
    int skip = a_.label();
    uint8_t x = scratch();
    fresh_scalar(x);
    busy_ |= static_cast<uint16_t>(1U << x);
    a_.jump(jmp_imm(BPF_JGE, x, static_cast<int32_t>(size), 0), skip);
    int32_t off = -8 * rng_.range(1, 8);
    // 8 bytes, or a narrow spill (whose bounds a fill of the same size
    // keeps), of the value or of the value shifted below 0.
    uint8_t sz = rng_.chance(60) ? BPF_DW : kSizes[rng_.below(3)];
    int32_t shift = rng_.chance(30) ? rng_.range(1, 8) : 0;
    if (shift)
        a_.emit(alu64_imm(BPF_SUB, x, shift));
    a_.emit(stx(sz, R10, x, static_cast<int16_t>(off)));
    switch (rng_.below(4)) {
    case 0: { // one byte of it
        uint8_t bsz = kSizes[rng_.below(3)];
        uint32_t n = size_bytes(bsz);
        int32_t at = off + static_cast<int32_t>(rng_.below(8 / n) * n);
        a_.emit(st(bsz, R10, static_cast<int16_t>(at), imm32()));
        break;
    }
    case 1: // a helper writes it
        a_.emit(mov64_reg(R1, R10));
        a_.emit(alu64_imm(BPF_ADD, R1, off));
        a_.emit(mov64_imm(R2, 8));
        a_.emit(call_helper(BPF_FUNC_get_current_comm));
        clobber_call();
        break;
    case 2: { // another value, whole
        uint8_t z = some_scalar();
        a_.emit(stx(BPF_DW, R10, z, static_cast<int16_t>(off)));
        break;
    }
    default: // untouched: safe
        break;
    }
    uint8_t y = scratch();
    while (y == x || y == base)
        y = scratch();
    a_.emit(ldx(rng_.chance(85) ? sz : kSizes[rng_.below(4)], y, R10, static_cast<int16_t>(off)));
    if (shift)
        a_.emit(alu64_imm(BPF_ADD, y, shift));
    access_at(base, y, size);
    a_.bind(skip);
    join(before);
    busy_ = saved;
}

// Several ALU operations in a row, 32- and 64-bit, on one value.
void Gen::alu_chain() {
    uint8_t x = some_scalar();
    uint16_t saved = busy_;
    busy_ |= static_cast<uint16_t>(1U << x);
    for (int i = rng_.range(2, 6); i > 0; i--)
        random_alu(x);
    if (rng_.chance(50)) { // compare with another variable, both refined
        uint8_t y = some_scalar();
        int skip = a_.label();
        Model before = m_;
        static const uint8_t ops[] = {BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE,
                                      BPF_JSLT, BPF_JSLE, BPF_JEQ, BPF_JNE, BPF_JSET};
        uint8_t op = ops[rng_.below(sizeof(ops))];
        a_.jump(rng_.chance(60) ? jmp_reg(op, x, y, 0) : jmp32_reg(op, x, y, 0), skip);
        random_alu(x);
        a_.bind(skip);
        join(before);
    }
    busy_ = saved;
}

// An atomic operation on a stack slot (written or not, maybe holding a
// spilled pointer) or a record, 4 or 8 bytes, now and then misaligned, with
// a number or now and then a pointer as its operand (and R0's for
// compare-and-exchange).
void Gen::atomic_op() {
    static const int32_t ops[] = {BPF_ADD,  BPF_ADD | BPF_FETCH, BPF_AND, BPF_AND | BPF_FETCH,
                                  BPF_OR,   BPF_OR | BPF_FETCH,  BPF_XOR, BPF_XOR | BPF_FETCH,
                                  BPF_XCHG, BPF_CMPXCHG};
    int32_t op = ops[rng_.below(10)];
    uint8_t sz = rng_.chance(50) ? BPF_W : BPF_DW;
    uint32_t n = size_bytes(sz);
    uint8_t base = R10;
    int32_t off;
    uint8_t rec = record_base();
    if (rec && rng_.chance(40)) {
        base = rec;
        off = static_cast<int32_t>(rng_.below(m_.r[rec].size / n + 1) * n);
    } else {
        off = -8 * (rng_.range(0, 15) + 1) + static_cast<int32_t>(rng_.below(8 / n) * n);
    }
    if (rng_.chance(5))
        off += rng_.chance(50) ? 4 : 1; // misaligned
    std::vector<uint8_t> ptrs = pointers();
    uint8_t src = !ptrs.empty() && rng_.chance(5) ? rng_.pick(ptrs) : some_scalar();
    while (src == base || (op == BPF_CMPXCHG && src == R0))
        src = some_scalar();
    if (op == BPF_CMPXCHG && base != R0 && rng_.chance(90))
        fresh_scalar(R0);
    a_.emit(raw(BPF_STX | BPF_ATOMIC | sz, base, src, static_cast<int16_t>(off), op));
    if (base == R10)
        mark_stack(off, n, true);
    if (op == BPF_CMPXCHG)
        set(R0, T::Scalar);
    else if (op & BPF_FETCH)
        set(src, T::Scalar);
}

// Accesses through a map value pointer in @value (of @size bytes): loads,
// stores and atomics at constant offsets around its end, or past a bounded
// variable offset; now and then one byte too far.
void Gen::map_value_access(uint8_t value, uint32_t size) {
    for (int i = rng_.range(1, 3); i > 0; i--) {
        uint8_t sz = size_code();
        uint32_t n = size_bytes(sz);
        int32_t off = static_cast<int32_t>(rng_.below(size / n + 1) * n);
        if (rng_.chance(8))
            off += rng_.chance(50) ? 1 : -static_cast<int32_t>(n);
        uint8_t p = value;
        if (rng_.chance(30)) { // a bounded variable offset first
            uint8_t x = scratch();
            while (x == value)
                x = scratch();
            a_.emit(ldx(BPF_DW, x, value, 0));
            a_.emit(alu64_imm(BPF_AND, x, static_cast<int32_t>(rng_.chance(85) ? 7 : 15)));
            p = scratch();
            while (p == x || p == value)
                p = scratch();
            a_.emit(mov64_reg(p, value));
            a_.emit(alu64_reg(BPF_ADD, p, x));
            set(x, T::Scalar);
            off = static_cast<int32_t>(size) - 8 - static_cast<int32_t>(rng_.below(2)) * 8;
            if (off < 0)
                off = 0;
        }
        switch (rng_.below(4)) {
        case 0:
            a_.emit(st(sz, p, static_cast<int16_t>(off), imm32()));
            break;
        case 1: {
            uint8_t d = scratch();
            while (d == p || d == value)
                d = scratch();
            a_.emit(ldx(sz, d, p, static_cast<int16_t>(off)));
            set(d, T::Scalar);
            break;
        }
        case 2:
            a_.emit(stx(sz, p, some_scalar(), static_cast<int16_t>(off)));
            break;
        default: {
            uint8_t s = some_scalar();
            if (s == p)
                break;
            a_.emit(raw(BPF_STX | BPF_ATOMIC | (rng_.chance(50) ? BPF_DW : BPF_W), p, s,
                        static_cast<int16_t>(off & ~3), BPF_ADD | BPF_FETCH));
            set(s, T::Scalar);
            break;
        }
        }
        if (p != value)
            m_.r[p] = GReg{};
    }
}

// A map helper on one of the maps (prog.hpp): a lookup, then NULL-tested
// (or, now and then, not) and used; or an update or a delete. The key (and
// value) on the stack, now and then short or not written.
void Gen::map_op() {
    int32_t m = static_cast<int32_t>(rng_.below(NR_MAPS));
    const FuzzMap& d = fuzz_map(m);
    int32_t key_off = -8 * (rng_.range(1, 4));
    if (!rng_.chance(4)) { // the key
        a_.emit(st(d.key_size == 8 && !rng_.chance(5) ? BPF_DW : BPF_W, R10,
                   static_cast<int16_t>(key_off), static_cast<int32_t>(rng_.below(6))));
        mark_stack(key_off, d.key_size == 8 ? 8 : 4, true);
    }
    uint32_t op = static_cast<uint32_t>(rng_.below(10));
    int32_t value_off = -32 - 8 * rng_.range(0, 3) - 24;
    if (op >= 8 && !rng_.chance(4)) { // the value, for an update
        for (uint32_t b = 0; b < d.value_size; b += 8)
            a_.emit(st(BPF_DW, R10, static_cast<int16_t>(value_off + static_cast<int32_t>(b)),
                       imm32()));
        mark_stack(value_off, d.value_size, true);
    }
    a_.emit(ld_map_fd(R1, NR_RINGS + m));
    a_.emit(mov64_reg(R2, R10));
    a_.emit(alu64_imm(BPF_ADD, R2, key_off));
    if (op >= 8) {
        a_.emit(mov64_reg(R3, R10));
        a_.emit(alu64_imm(BPF_ADD, R3, value_off));
        a_.emit(mov64_imm(4, static_cast<int32_t>(rng_.below(rng_.chance(5) ? 8 : 3))));
        a_.emit(call_helper(BPF_FUNC_map_update_elem));
        clobber_call();
        set(R0, T::Scalar);
        return;
    }
    if (op == 7) {
        a_.emit(call_helper(BPF_FUNC_map_delete_elem));
        clobber_call();
        set(R0, T::Scalar);
        return;
    }
    a_.emit(call_helper(BPF_FUNC_map_lookup_elem));
    clobber_call();
    if (rng_.chance(4)) { // used unchecked: refused
        map_value_access(R0, d.value_size);
        m_.r[R0] = GReg{};
        return;
    }
    Model before = m_;
    int skip = a_.label();
    a_.jump(jmp_imm(BPF_JEQ, R0, 0, 0), skip);
    set(R0, T::MapValue, 0, d.value_size);
    uint16_t saved = busy_;
    busy_ |= 1U << R0;
    map_value_access(R0, d.value_size);
    busy_ = saved;
    a_.bind(skip);
    join(before);
    m_.r[R0] = GReg{};
}

// A global's address (BPF_PSEUDO_MAP_VALUE) in one of the single-entry
// ARRAYs, a .data or a frozen .rodata (prog.hpp), now and then at its
// value's end or of another map (malformed), then used as a map value: the
// frozen one's bytes are known numbers to the verifier.
void Gen::direct_value_op() {
    std::vector<int32_t> direct;
    for (int32_t m = 0; m < NR_MAPS; m++)
        if (has_direct_value(m))
            direct.push_back(m);
    int32_t m = rng_.chance(5) ? static_cast<int32_t>(rng_.below(NR_MAPS))
                               : direct[rng_.below(static_cast<uint32_t>(direct.size()))];
    uint32_t size = fuzz_map(m).value_size;
    uint32_t off = rng_.chance(5) ? size : static_cast<uint32_t>(rng_.below(size / 4)) * 4;
    uint8_t r = scratch();
    a_.emit(ld_map_value(r, NR_RINGS + m, off));
    uint32_t left = size > off ? size - off : 0;
    set(r, T::MapValue, 0, left);
    uint16_t saved = busy_;
    busy_ |= static_cast<uint16_t>(1U << r);
    if (left)
        map_value_access(r, left);
    busy_ = saved;
}

void Gen::snippet() {
    switch (rng_.below(28)) {
    case 25:
    case 26:
        map_op();
        break;
    case 27:
        direct_value_op();
        break;
    case 24:
        atomic_op();
        break;
    case 20:
        linked_join();
        break;
    case 21:
        spill_overwrite();
        break;
    case 22:
    case 23:
        alu_chain();
        break;
    case 0:
    case 1:
        fresh_scalar(scratch());
        break;
    case 2:
    case 3: {
        uint8_t x = some_scalar();
        random_alu(x);
        break;
    }
    case 4:
    case 5:
    case 6:
    case 7:
        guarded_access();
        break;
    case 8:
    case 9:
        const_access();
        break;
    case 10:
        stack_store();
        break;
    case 11:
        stack_load();
        break;
    case 12:
        helper_call();
        break;
    case 13:
        if (depth_ == 0)
            second_record();
        break;
    case 14:
        branch_merge();
        break;
    case 15:
        loop();
        break;
    case 16:
        call_sub();
        break;
    case 17: { // a copy of a pointer or scalar
        uint8_t src = rng_.pick(std::vector<uint8_t>{R6, R7, R10, some_scalar()});
        if (m_.r[src].t == T::None)
            break;
        uint8_t d = scratch();
        a_.emit(mov64_reg(d, src));
        m_.r[d] = m_.r[src];
        break;
    }
    case 18: { // 32-bit view of a value, then 64-bit use
        uint8_t x = some_scalar();
        a_.emit(rng_.chance(50) ? mov32_reg(x, x) : alu32_imm(BPF_ADD, x, imm32()));
        set(x, T::Scalar);
        break;
    }
    default: { // a NULL test of a pointer that is never NULL
        std::vector<uint8_t> ptrs = pointers();
        if (ptrs.empty())
            break;
        int skip = a_.label();
        Model before = m_;
        a_.jump(jmp_imm(rng_.chance(50) ? BPF_JEQ : BPF_JNE, rng_.pick(ptrs), 0, 0), skip);
        const_access();
        a_.bind(skip);
        join(before);
        break;
    }
    }
}

void Gen::body(int n) {
    for (int i = 0; i < n; i++)
        snippet();
}

void Gen::gen_sub(const SubSpec& s) {
    a_.bind(s.label);
    kring_func_info info{};
    info.insn_off = static_cast<uint32_t>(a_.code.size());
    info.linkage = s.global ? KRING_FUNC_GLOBAL : KRING_FUNC_STATIC;
    if (s.global) {
        info.nr_args = 2;
        info.arg_kinds[0] = s.arg1.t == T::Mem ? KRING_ARG_MEM : KRING_ARG_CTX;
        info.arg_mem_size[0] = s.arg1.t == T::Mem ? s.arg1.size : 0;
        info.arg_kinds[1] = KRING_ARG_SCALAR;
    }
    funcs_.push_back(info);
    m_ = Model{};
    depth_ = s.depth;
    busy_ = static_cast<uint16_t>(1U << R10);
    set(R10, T::Stack, 0);
    m_.r[R1] = s.arg1;
    set(2, T::Scalar);
    // A memory argument may be NULL: the function returns at once then
    // (now and then it forgets to check, which the verifier refuses).
    int null_exit = a_.label();
    if (s.arg1.t == T::Mem && rng_.chance(95))
        a_.jump(jmp_imm(BPF_JEQ, R1, 0, 0), null_exit);
    if (s.release) {
        a_.emit(mov64_reg(R9, R1));
        m_.r[R9] = s.arg1;
        busy_ |= 1U << R9;
    }
    if (s.arg1.t == T::Ctx && rng_.chance(70)) {
        a_.emit(mov64_reg(R6, R1));
        m_.r[R6] = s.arg1;
        busy_ |= 1U << R6;
    }
    body(rng_.range(1, 5));
    if (s.release) {
        a_.emit(mov64_reg(R1, R9));
        a_.emit(mov64_imm(2, 0));
        a_.emit(call_helper(BPF_FUNC_ringbuf_submit));
    }
    a_.bind(null_exit);
    switch (rng_.below(10)) {
    case 0: // returning its own stack: must be rejected
        a_.emit(mov64_reg(R0, R10));
        break;
    case 1:
        a_.emit(mov64_reg(R0, 2));
        break;
    default:
        a_.emit(mov64_imm(R0, imm32()));
        break;
    }
    a_.emit(exit_insn());
}

Prog Gen::run() {
    static const std::vector<uint64_t> ctx_sizes = {4, 8, 12, 16, 20, 24, 32, 40, 64, 72, 128, 256};
    prog_.ctx_size = static_cast<uint32_t>(rng_.pick(ctx_sizes));
    prog_.ctx_writable = rng_.chance(30);
    uint32_t priv =
        KBPF_F_BPF_CAPABLE | KBPF_F_ALLOW_PTR_LEAKS | KBPF_F_BYPASS_SPEC_V1 | KBPF_F_BYPASS_SPEC_V4;
    prog_.flags = priv;
    uint64_t drop = rng_.below(100);
    if (drop < 35) // no pointer leaks: the module's interpreter runs it too
        prog_.flags &= ~KBPF_F_ALLOW_PTR_LEAKS;
    else if (drop < 50)
        prog_.flags &= ~(1U << rng_.below(4));
    if (rng_.chance(10))
        prog_.flags |= KBPF_F_TEST_STATE_FREQ;
    if (options_.ctx_size) {
        prog_.ctx_size = options_.ctx_size;
        prog_.ctx_writable = false;
    }
    if (options_.linux_kprobe) {
        prog_.ctx_size = PT_REGS_SIZE;
        prog_.ctx_writable = false;
        prog_.flags = priv;
    }

    set(R1, T::Ctx);
    set(R10, T::Stack);
    busy_ = static_cast<uint16_t>(1U << R10 | 1U << R6);
    a_.emit(mov64_reg(R6, R1));
    set(R6, T::Ctx);
    bool record = rng_.chance(75);
    uint32_t size = record_size(rng_);
    if (record) {
        a_.emit(ld_map_fd(R1, static_cast<int32_t>(rng_.below(NR_RINGS))));
        a_.emit(mov64_imm(R2, static_cast<int32_t>(size)));
        a_.emit(mov64_imm(R3, 0));
        a_.emit(call_helper(BPF_FUNC_ringbuf_reserve));
        a_.emit(jmp_imm(BPF_JNE, R0, 0, 2));
        a_.emit(mov64_imm(R0, 0));
        a_.emit(exit_insn());
        a_.emit(mov64_reg(R7, R0));
        clobber_call();
        set(R0, T::Record, 0, size);
        set(R7, T::Record, 0, size);
        busy_ |= 1U << R7;
    }
    body(rng_.chance(90) ? rng_.range(2, 10) : rng_.range(10, 30));
    if (record && !main_record_released_ && rng_.chance(98)) {
        a_.emit(mov64_reg(R1, R7));
        a_.emit(mov64_imm(R2, 0));
        a_.emit(call_helper(rng_.chance(70) ? BPF_FUNC_ringbuf_submit : BPF_FUNC_ringbuf_discard));
        clobber_call();
    }
    if (rng_.chance(98))
        a_.emit(mov64_imm(R0, 0));
    a_.emit(exit_insn());
    kring_func_info main_info{};
    funcs_.push_back(main_info);
    for (size_t i = 0; i < subs_.size(); i++) { // subs may add subs
        SubSpec s = subs_[i];
        gen_sub(s);
    }
    if (!a_.resolve())
        a_.code = {mov64_imm(R0, 0), exit_insn()};
    prog_.insns = a_.code;
    if (any_global_)
        prog_.funcs = funcs_;
    return prog_;
}

} // namespace

Prog generate(Rng& rng, const GenOptions& options) {
    Gen g(rng, options);
    return g.run();
}

Prog mutate(const Prog& prog, Rng& rng) {
    Prog out = prog;
    std::vector<bpf_insn>& v = out.insns;
    if (v.empty())
        return out;
    for (int changes = rng.range(1, 2); changes > 0; changes--) {
        size_t i = rng.below(v.size());
        if (second_half(v, i))
            i--; // the first half of LD_IMM64
        bpf_insn& in = v[i];
        uint8_t cls = BPF_CLASS(in.code);
        switch (rng.below(rng.chance(90) ? 8 : 9)) {
        case 0: // an immediate by one, or to a boundary
            if (cls == BPF_LDX || cls == BPF_STX ||
                (cls != BPF_ST && cls != BPF_LD && BPF_SRC(in.code) == BPF_X))
                break; // imm is reserved there
            if (rng.chance(60))
                in.imm = static_cast<int32_t>(static_cast<uint32_t>(in.imm) +
                                              (rng.chance(50) ? 1U : ~0U));
            else
                in.imm = static_cast<int32_t>(rng.pick(boundary_values()));
            break;
        case 1: // a memory offset by one or a slot
            if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX)
                in.off = static_cast<int16_t>(in.off +
                                              (rng.chance(50) ? 1 : -1) * (rng.chance(50) ? 1 : 8));
            else if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(in.code) != BPF_CALL &&
                     BPF_OP(in.code) != BPF_EXIT) // a jump lands elsewhere
                in.off = static_cast<int16_t>(in.off + rng.range(-3, 3));
            else
                in.imm = static_cast<int32_t>(static_cast<uint32_t>(in.imm) + 1U);
            break;
        case 8: { // one bit of the encoding
            unsigned bit = static_cast<unsigned>(rng.below(64));
            uint64_t raw;
            memcpy(&raw, &in, sizeof(raw));
            raw ^= 1ULL << bit;
            memcpy(&in, &raw, sizeof(raw));
            break;
        }
        case 2: // another condition, or the other width
            if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(in.code) != BPF_JA &&
                BPF_OP(in.code) != BPF_CALL && BPF_OP(in.code) != BPF_EXIT) {
                static const uint8_t ops[] = {BPF_JEQ, BPF_JGT,  BPF_JGE,  BPF_JSET,
                                              BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT,
                                              BPF_JLE, BPF_JSLT, BPF_JSLE};
                if (rng.chance(50))
                    in.code = static_cast<uint8_t>((in.code & 0x0f) | ops[rng.below(11)]);
                else
                    in.code ^= BPF_JMP ^ BPF_JMP32;
            }
            break;
        case 3: // the other ALU width
            if (cls == BPF_ALU64 || (cls == BPF_ALU && BPF_OP(in.code) != BPF_END))
                in.code ^= BPF_ALU ^ BPF_ALU64;
            break;
        case 4: // another access size
            if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX)
                in.code = static_cast<uint8_t>((in.code & ~0x18) | kSizes[rng.below(4)]);
            break;
        case 5: // another register
            if (cls != BPF_LD && !(cls == BPF_JMP && BPF_OP(in.code) == BPF_CALL)) {
                if (rng.chance(50))
                    in.src_reg = static_cast<uint8_t>(rng.below(11));
                else
                    in.dst_reg = static_cast<uint8_t>(rng.below(10));
            }
            break;
        case 6: // drop it
            if (cls != BPF_LD)
                in = ja(0);
            break;
        default: // another ALU operation
            if (cls == BPF_ALU64 || cls == BPF_ALU) {
                static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_AND,  BPF_OR,  BPF_XOR,
                                              BPF_LSH, BPF_RSH, BPF_ARSH, BPF_MOV, BPF_MUL};
                if (BPF_OP(in.code) != BPF_END)
                    in.code = static_cast<uint8_t>((in.code & 0x0f) | ops[rng.below(10)]);
            }
            break;
        }
    }
    return out;
}

std::vector<uint64_t> interesting_values(const Prog& prog) {
    std::set<uint64_t> seen;
    const std::vector<bpf_insn>& v = prog.insns;
    for (size_t i = 0; i < v.size(); i++) {
        uint64_t c = static_cast<uint64_t>(static_cast<int64_t>(v[i].imm));
        if (v[i].code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < v.size()) {
            c = static_cast<uint32_t>(v[i].imm) |
                static_cast<uint64_t>(static_cast<uint32_t>(v[i + 1].imm)) << 32;
            i++;
        }
        for (uint64_t x : std::initializer_list<uint64_t>{
                 c, c + 1, c - 1, c + 2, 0 - c, static_cast<uint64_t>(static_cast<uint32_t>(c)),
                 static_cast<uint64_t>(static_cast<uint32_t>(c + 1)), c << 32, (c + 1) << 32,
                 c | 0xffffffff00000000ULL, (c + 1) | 0x100000000ULL})
            seen.insert(x);
    }
    return {seen.begin(), seen.end()};
}

} // namespace fuzz
