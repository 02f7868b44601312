// Verifier bugs planted on purpose, to show that the fuzzer finds them.
//
// CMakeLists.txt compiles a second copy of the verifier (kmod/bpf), with
// kbpf_verify renamed kbpf_verify_planted and its calls of three scalar
// functions redirected here. Each wrapper does what the real function does
// unless fuzz_planted_bug selects its bug. kmod/bpf is not changed.
#include "planted.hpp"

extern "C" {
#include "scalar.h"
}

int fuzz_planted_bug = 0;

extern "C" {

// Bug 1: after an unsigned 64-bit comparison with a constant, the upper
// bound is one too small (an off-by-one in branch refinement).
bool kbpf_planted_scalar_refine(struct kbpf_scalar* a, struct kbpf_scalar* b, u8 op, bool jmp32,
                                bool taken) {
    bool possible = kbpf_scalar_refine(a, b, op, jmp32, taken);
    if (fuzz_planted_bug == PLANTED_REFINE_OFF_BY_ONE && possible && !jmp32 &&
        (op == BPF_JGT || op == BPF_JGE || op == BPF_JLT || op == BPF_JLE) &&
        kbpf_scalar_is_const(b) && !kbpf_scalar_is_const(a) && a->umax > a->umin) {
        a->umax--;
        kbpf_scalar_sync(a);
    }
    return possible;
}

// Bug 2: a 32-bit comparison decided from the 64-bit bounds (a 32/64-bit
// mix-up): the side it wrongly rules out is never explored.
int kbpf_planted_scalar_branch_taken(const struct kbpf_scalar* a, const struct kbpf_scalar* b,
                                     u8 op, bool jmp32) {
    if (fuzz_planted_bug == PLANTED_JMP32_AS_JMP64 && jmp32)
        return kbpf_scalar_branch_taken(a, b, op, false);
    return kbpf_scalar_branch_taken(a, b, op, jmp32);
}

// Bug 3: a 32-bit move keeps the source's 64-bit bounds (no truncation).
void kbpf_planted_scalar_zext32(struct kbpf_scalar* dst, const struct kbpf_scalar* src) {
    if (fuzz_planted_bug == PLANTED_ZEXT_KEEPS_64) {
        *dst = *src;
        return;
    }
    kbpf_scalar_zext32(dst, src);
}
}
