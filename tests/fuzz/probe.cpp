#include "probe.hpp"

#include "insn.hpp"

#include <cinttypes>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace fuzz {
namespace {

// What the log says of a scalar; omitted bounds are taken as no claim.
struct Claim {
    uint64_t umin = 0, umax = UINT64_MAX;
    int64_t smin = INT64_MIN, smax = INT64_MAX;
    uint32_t u32_min = 0, u32_max = UINT32_MAX;
    int32_t s32_min = INT32_MIN, s32_max = INT32_MAX;
    uint64_t known_zero = 0; // bits the tnum says are 0
};

std::optional<Claim> parse_scalar(const std::string& tok) {
    Claim c;
    if (tok.rfind("scalar(", 0) != 0) {
        // A constant, printed as a signed decimal.
        char* end = nullptr;
        errno = 0;
        long long v = strtoll(tok.c_str(), &end, 10);
        if (errno || end == tok.c_str() || *end)
            return std::nullopt;
        uint64_t u = static_cast<uint64_t>(v);
        c.umin = c.umax = u;
        c.smin = c.smax = v;
        c.u32_min = c.u32_max = static_cast<uint32_t>(u);
        c.s32_min = c.s32_max = static_cast<int32_t>(u);
        c.known_zero = ~u;
        return c;
    }
    std::string body = tok.substr(7, tok.size() - 8); // within "scalar(...)"
    size_t pos = 0;
    while (pos < body.size()) {
        size_t eq = body.find('=', pos);
        if (eq == std::string::npos)
            return std::nullopt;
        std::string key = body.substr(pos, eq - pos);
        if (key == "var_off") {
            unsigned long long v, m;
            if (sscanf(body.c_str() + eq + 1, "(%llx; %llx)", &v, &m) != 2)
                return std::nullopt;
            c.known_zero = ~v & ~m;
            size_t close = body.find(')', eq);
            pos = close == std::string::npos ? body.size() : close + 2;
            continue;
        }
        size_t comma = body.find(',', eq);
        std::string val =
            body.substr(eq + 1, comma == std::string::npos ? std::string::npos : comma - eq - 1);
        pos = comma == std::string::npos ? body.size() : comma + 1;
        if (key == "umin")
            c.umin = strtoull(val.c_str(), nullptr, 10);
        else if (key == "umax")
            c.umax = strtoull(val.c_str(), nullptr, 10);
        else if (key == "smin")
            c.smin = strtoll(val.c_str(), nullptr, 10);
        else if (key == "smax")
            c.smax = strtoll(val.c_str(), nullptr, 10);
        else if (key == "u32_min")
            c.u32_min = static_cast<uint32_t>(strtoul(val.c_str(), nullptr, 10));
        else if (key == "u32_max")
            c.u32_max = static_cast<uint32_t>(strtoul(val.c_str(), nullptr, 10));
        else if (key == "s32_min")
            c.s32_min = static_cast<int32_t>(strtol(val.c_str(), nullptr, 10));
        else if (key == "s32_max")
            c.s32_max = static_cast<int32_t>(strtol(val.c_str(), nullptr, 10));
        else
            return std::nullopt;
    }
    return c;
}

void widen(Claim* a, const Claim& b) {
    a->umin = std::min(a->umin, b.umin);
    a->umax = std::max(a->umax, b.umax);
    a->smin = std::min(a->smin, b.smin);
    a->smax = std::max(a->smax, b.smax);
    a->u32_min = std::min(a->u32_min, b.u32_min);
    a->u32_max = std::max(a->u32_max, b.u32_max);
    a->s32_min = std::min(a->s32_min, b.s32_min);
    a->s32_max = std::max(a->s32_max, b.s32_max);
    a->known_zero &= b.known_zero;
}

// The token after " rN=" on a state line, up to the next space outside
// parentheses.
std::optional<std::string> reg_token(const std::string& line, unsigned reg) {
    std::string key = " r" + std::to_string(reg) + "=";
    size_t at = line.find(key);
    if (at == std::string::npos)
        return std::nullopt;
    size_t start = at + key.size(), i = start;
    int depth = 0;
    for (; i < line.size(); i++) {
        if (line[i] == '(')
            depth++;
        else if (line[i] == ')')
            depth--;
        else if (line[i] == ' ' && depth == 0)
            break;
    }
    return line.substr(start, i - start);
}

// The union of the claims on @reg over every logged visit of insn @k;
// nothing if some visit has it uninitialised or not a scalar.
std::optional<Claim> claim_at(const std::string& log, size_t k, unsigned reg) {
    std::string prefix = std::to_string(k) + ": ";
    std::optional<Claim> all;
    size_t pos = 0;
    while (pos < log.size()) {
        size_t end = log.find('\n', pos);
        if (end == std::string::npos)
            end = log.size();
        if (log.compare(pos, prefix.size(), prefix) == 0) {
            std::string line = log.substr(pos, end - pos);
            size_t semi = line.find("\t;");
            if (semi != std::string::npos) {
                std::optional<std::string> tok = reg_token(line.substr(semi + 1), reg);
                if (!tok)
                    return std::nullopt;
                std::optional<Claim> c = parse_scalar(*tok);
                if (!c)
                    return std::nullopt;
                if (all)
                    widen(&*all, *c);
                else
                    all = c;
            }
        }
        pos = end + 1;
    }
    return all;
}

bool fits_imm64(uint64_t v) {
    int64_t s = static_cast<int64_t>(v);
    return s >= INT32_MIN && s <= INT32_MAX;
}

} // namespace

Prog insert_insns(const Prog& p, size_t k, const std::vector<bpf_insn>& block) {
    const std::vector<bpf_insn>& v = p.insns;
    long n = static_cast<long>(block.size());
    auto moved = [&](long t) {
        return t > static_cast<long>(k) ? t + n : t;
    };
    Prog out = p;
    out.insns.clear();
    for (size_t i = 0; i < v.size(); i++) {
        if (i == k)
            out.insns.insert(out.insns.end(), block.begin(), block.end());
        bpf_insn in = v[i];
        if (!second_half(v, i) && has_relative_target(in)) {
            bool call = BPF_OP(in.code) == BPF_CALL;
            long self = static_cast<long>(i) + (i >= k ? n : 0);
            long target = moved(static_cast<long>(i) + 1 + (call ? in.imm : in.off));
            long rel = target - self - 1;
            if (call)
                in.imm = static_cast<int32_t>(rel);
            else
                in.off = static_cast<int16_t>(rel);
        }
        out.insns.push_back(in);
    }
    for (kring_func_info& f : out.funcs)
        f.insn_off = static_cast<uint32_t>(moved(f.insn_off));
    return out;
}

bool add_bound_checks(const Prog& prog, const std::string& log, Rng& rng, Prog* out,
                      std::string* what) {
    const std::vector<bpf_insn>& v = prog.insns;
    // The main function ends where the first other function starts.
    size_t main_end = v.size();
    for (size_t i = 0; i < v.size(); i++)
        if (!second_half(v, i) && v[i].code == (BPF_JMP | BPF_CALL) &&
            v[i].src_reg == BPF_PSEUDO_CALL)
            main_end = std::min<size_t>(main_end,
                                        static_cast<size_t>(static_cast<long>(i) + 1 + v[i].imm));
    if (main_end < 2)
        return false;
    size_t k = rng.below(main_end);
    if (second_half(v, k))
        k--;
    unsigned reg = static_cast<unsigned>(rng.below(10));
    std::optional<Claim> c;
    for (unsigned tries = 0; tries < 10; tries++, reg = (reg + 1) % 10)
        if ((c = claim_at(log, k, reg)))
            break;
    if (!c)
        return false;
    uint8_t r = static_cast<uint8_t>(reg);
    using namespace insn;
    std::vector<bpf_insn> checks;
    char buf[512];
    snprintf(buf, sizeof(buf),
             "r%u at insn %zu: u64 [%" PRIu64 ", %" PRIu64 "] s64 [%" PRId64 ", %" PRId64
             "] u32 [%u, %u] s32 [%d, %d] known zero %#" PRIx64,
             reg, k, c->umin, c->umax, c->smin, c->smax, c->u32_min, c->u32_max, c->s32_min,
             c->s32_max, c->known_zero);
    *what = buf;
    if (c->umax != UINT64_MAX && fits_imm64(c->umax))
        checks.push_back(jmp_imm(BPF_JGT, r, static_cast<int32_t>(c->umax), 0));
    if (c->umin && fits_imm64(c->umin))
        checks.push_back(jmp_imm(BPF_JLT, r, static_cast<int32_t>(c->umin), 0));
    if (c->smax != INT64_MAX && fits_imm64(static_cast<uint64_t>(c->smax)))
        checks.push_back(jmp_imm(BPF_JSGT, r, static_cast<int32_t>(c->smax), 0));
    if (c->smin != INT64_MIN && fits_imm64(static_cast<uint64_t>(c->smin)))
        checks.push_back(jmp_imm(BPF_JSLT, r, static_cast<int32_t>(c->smin), 0));
    if (c->u32_max != UINT32_MAX)
        checks.push_back(jmp32_imm(BPF_JGT, r, static_cast<int32_t>(c->u32_max), 0));
    if (c->u32_min)
        checks.push_back(jmp32_imm(BPF_JLT, r, static_cast<int32_t>(c->u32_min), 0));
    if (c->s32_max != INT32_MAX)
        checks.push_back(jmp32_imm(BPF_JSGT, r, c->s32_max, 0));
    if (c->s32_min != INT32_MIN)
        checks.push_back(jmp32_imm(BPF_JSLT, r, c->s32_min, 0));
    if (c->known_zero & 0x7fffffff)
        checks.push_back(jmp_imm(BPF_JSET, r, static_cast<int32_t>(c->known_zero & 0x7fffffff), 0));
    if ((c->known_zero >> 31) == (UINT64_MAX >> 31))
        checks.push_back(jmp_imm(BPF_JSET, r, INT32_MIN, 0));
    if (checks.empty())
        return false;
    // Each check jumps to the trap, a load the verifier rejects if reached.
    size_t n = checks.size();
    for (size_t i = 0; i < n; i++)
        checks[i].off = static_cast<int16_t>(n - i);
    checks.push_back(ja(1));
    checks.push_back(ldx(BPF_B, 0, BPF_REG_10, 0));
    *out = insert_insns(prog, k, checks);
    return true;
}

} // namespace fuzz
