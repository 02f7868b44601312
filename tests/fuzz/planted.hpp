// The planted verifier bugs (planted.cpp) and the verifier that has them.
#pragma once

extern "C" {
#include "verifier.h"
}

enum {
    PLANTED_NONE,
    PLANTED_REFINE_OFF_BY_ONE,
    PLANTED_JMP32_AS_JMP64,
    PLANTED_ZEXT_KEEPS_64,
};

// Which bug kbpf_verify_planted() has; PLANTED_NONE: it is kbpf_verify().
extern int fuzz_planted_bug;

extern "C" int kbpf_verify_planted(const struct kbpf_verify_attr* attr,
                                   struct kbpf_verify_stats* stats);
