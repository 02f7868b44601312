// CO-RE relocations applied against a target kernel's BTF: the field
// offsets, sizes, existence checks, type and enumerator values clang
// compiled in for the program's own view of the kernel's types, rewritten
// for the target's, as libbpf's bpf_object__relocate_core() does. libbpf
// does not export its relocation engine, so this is kring's own, with
// libbpf 1.1's rules (docs/programs.md, "CO-RE").
#pragma once

#include <kring/bpfload.hpp>
#include <kring/btf_ext.hpp>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

struct btf;

namespace kring::bpf {

// The helper an instruction whose relocation cannot be resolved becomes a
// call of, as libbpf makes it (0xbad2310, "bad relo"): no kernel has it, so
// the verifier refuses the instruction if it is reachable, and the program
// loads if it is dead code (behind bpf_core_field_exists(), say).
constexpr int32_t kUnresolvedCoreHelper = 0xbad2310;

// What one relocation gives on the target.
struct CoreResult {
    uint64_t local_value = 0;  // what clang compiled in, from the object's BTF
    uint64_t target_value = 0; // what the target's types give
    // Whether the instruction must hold local_value before it is patched
    // (not for a bitfield's offset or size, which clang may place
    // differently, nor for a target type id).
    bool check_local = true;
    // The target has no match (a field, an enumerator) and the relocation
    // needs one: the instruction is made a call of kUnresolvedCoreHelper.
    // `unresolved_reason` says what the target lacks.
    bool unresolved = false;
    std::string unresolved_reason;
    // A field's size where clang and the target place it, for a load or
    // store at its offset (0 for bitfields and other kinds); whether a
    // different size may be loaded instead (a pointer, an unsigned integer).
    uint32_t local_size = 0;
    uint32_t target_size = 0;
    bool size_adjustable = true;
};

// Resolves relocations of the object whose BTF is `local` against the
// target's BTF `target`. Both must outlive it.
class CoreRelocator {
public:
    CoreRelocator(const btf* local, const btf* target) : local_(local), target_(target) {}

    // Throws kring::Error (EINVAL), its message `site` (where the
    // relocation is) and why `relo` is malformed (an access string its type
    // does not have) or ambiguous (target types of the same essential name
    // giving different results).
    CoreResult resolve(const CoreRelo& relo, const std::string& site);

private:
    CoreResult resolve_or_refuse(const CoreRelo& relo);
    // The target's types that `local_id` may be: the same name without any
    // "___flavor" suffix, a compatible kind.
    std::vector<uint32_t> candidates(uint32_t local_id);

    const btf* local_;
    const btf* target_;
    // The target's named types by essential name, made on first use.
    std::unordered_map<std::string, std::vector<uint32_t>> by_essential_name_;
};

// Patches instruction `at` of `insns` (and the next, for LD_IMM64) with
// `result`: an ALU immediate, a load's or store's offset (and size, when
// the field's size differs and that is safe), LD_IMM64's value. Returns why
// it made the instruction a call of kUnresolvedCoreHelper instead, if it
// did. Throws kring::Error (EINVAL), its message `site` and why, if the
// instruction cannot carry the relocation or does not hold the value clang
// gave it.
std::optional<std::string> patch_core_insn(std::span<bpf_insn> insns, size_t at,
                                           const CoreResult& result, const std::string& site);

// The verifier's `log` of `prog`, with a first line naming the relocation
// when the verifier refused an instruction whose relocation could not be
// resolved: "insn N: CO-RE relocation could not be resolved: <what> (<why>)".
// The log itself otherwise. verify() and Program::load report it so.
std::string explain_core_rejection(const Program& prog, const std::string& log);

} // namespace kring::bpf
