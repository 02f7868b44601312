// The reading end of a Linux BPF_MAP_TYPE_PERF_EVENT_ARRAY, which programs
// write with bpf_perf_event_output: libbpf's perf_buffer, which opens a BPF
// output perf event on each CPU, puts it in the CPU's slot of the map and
// mmap()s its buffer. Each sample is what the program gave, with the perf
// core's padding: its size is rounded up so that size + 4 is a multiple of
// 8 (an 8-byte sample arrives as 12 bytes, zeros after the 8).
//
// Thread safety: one thread polls; the callbacks run on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

struct perf_buffer;

namespace kring {

class PerfBuffer {
public:
    using Sample = std::function<void(int cpu, std::span<const std::byte> sample)>;
    using Lost = std::function<void(int cpu, uint64_t count)>;

    // Opens the events for the map `map_fd` (perf_event_open needs
    // CAP_PERFMON, or perf_event_paranoid below 1), each with a buffer of
    // `pages_per_cpu` pages (a power of two). Throws kring::Error.
    PerfBuffer(int map_fd, size_t pages_per_cpu, Sample on_sample, Lost on_lost);
    ~PerfBuffer();
    PerfBuffer(PerfBuffer&& other) noexcept;
    PerfBuffer& operator=(PerfBuffer&& other) noexcept;
    PerfBuffer(const PerfBuffer&) = delete;
    PerfBuffer& operator=(const PerfBuffer&) = delete;

    // Waits up to `timeout` for samples, then hands each one there to the
    // callbacks. Throws kring::Error.
    void poll(std::chrono::milliseconds timeout);
    // Hands every sample there to the callbacks, without waiting.
    void consume();

private:
    struct Callbacks {
        Sample on_sample;
        Lost on_lost;
    };
    std::unique_ptr<Callbacks> callbacks_; // libbpf's context: a stable address
    perf_buffer* buffer_ = nullptr;
};

} // namespace kring
