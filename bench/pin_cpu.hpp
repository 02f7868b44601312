// The benchmarks' threads run on chosen CPUs, so that producer and consumer
// placement is what a scenario says it is.
#pragma once

#include <cerrno>
#include <kring/kring.hpp>
#include <sched.h>
#include <string>

inline void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        throw kring::Error(errno, "sched_setaffinity to CPU " + std::to_string(cpu));
}
