// Programs for kring from files: ELF objects compiled with `clang -target bpf`
// (libbpf conventions: SEC() names, ring maps in ".maps", BTF) or raw
// bytecode; their verification; and a userspace runtime that runs them in
// the interpreter against userspace rings, as the module would run them on
// kernel events.
#pragma once

#include <kring/kring.hpp>
#include <kring/user_ring.hpp>

extern "C" {
#include "verifier.h"
}

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kring::bpf {

// A BPF_MAP_TYPE_RINGBUF map the object declares.
struct RingDecl {
    std::string name;
    uint32_t max_entries = 0; // the ring's data size in bytes
    // The type of its records, if the map's variable declares one with the
    // BTF declaration tag "kring.record:T" (KRING_RECORD_TYPE(T)): T's name
    // and the BTF size of struct T. Empty and 0 otherwise.
    std::string record_type;
    uint32_t record_size = 0;
};

// One program: its own instructions followed by the subprograms it calls.
// Each ring load is LD_IMM64 with src_reg BPF_PSEUDO_MAP_FD and imm = the
// ring's index in Object::rings.
struct Program {
    std::string name;    // the function's symbol
    std::string section; // its ELF section, e.g. "tracepoint/sched/sched_process_exec"
    std::vector<bpf_insn> insns;
    std::vector<kring_func_info> func_info; // empty when it calls nothing
};

struct Object {
    std::vector<RingDecl> rings;
    std::vector<Program> programs;
};

// Throws kring::Error (errno EINVAL for malformed or unsupported objects,
// or the open/read errno) with a message naming the file and the problem.
Object load_elf(const std::string& path);
// A file of raw struct bpf_insn; one program named after the file.
Object load_raw(const std::string& path);

struct VerifyOptions {
    uint32_t flags =
        KBPF_F_BPF_CAPABLE | KBPF_F_ALLOW_PTR_LEAKS | KBPF_F_BYPASS_SPEC_V1 | KBPF_F_BYPASS_SPEC_V4;
    uint32_t log_level = 1;
    kbpf_ctx_desc ctx{64, false};
};

struct Verdict {
    int error = 0; // 0: accepted, else the negative errno kbpf_verify returned
    std::string log;
    kbpf_verify_stats stats{};
};

// Verifies `prog`, whose ring loads name indexes below `nr_rings`.
Verdict verify(const Program& prog, size_t nr_rings, const VerifyOptions& options);

// Runs programs in the interpreter with userspace rings and helpers.
class Runtime {
public:
    // One userspace ring per declaration, sized max_entries.
    explicit Runtime(const std::vector<RingDecl>& rings);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Runs `prog` (which must have been verified) once on `ctx`; returns R0.
    // Throws kring::Error if the interpreter stops with an error.
    uint64_t run(const Program& prog, std::span<std::byte> ctx);

    UserRing& ring(size_t index) { return *rings_.at(index); }
    size_t ring_count() const { return rings_.size(); }

private:
    std::vector<std::unique_ptr<UserRing>> rings_;
    std::vector<uint8_t> stack_;
};

} // namespace kring::bpf
