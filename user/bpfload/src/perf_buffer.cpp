#include <bpf/libbpf.h>
#include <cerrno>
#include <kring/kring.hpp>
#include <kring/perf_buffer.hpp>
#include <utility>

namespace kring {

PerfBuffer::PerfBuffer(int map_fd, size_t pages_per_cpu, Sample on_sample, Lost on_lost)
    : callbacks_(std::make_unique<Callbacks>(Callbacks{std::move(on_sample), std::move(on_lost)})) {
    auto sample = [](void* ctx, int cpu, void* data, uint32_t size) {
        static_cast<Callbacks*>(ctx)->on_sample(
            cpu, std::span(static_cast<const std::byte*>(data), size));
    };
    auto lost = [](void* ctx, int cpu, __u64 count) {
        static_cast<Callbacks*>(ctx)->on_lost(cpu, count);
    };
    buffer_ = perf_buffer__new(map_fd, pages_per_cpu, sample, lost, callbacks_.get(), nullptr);
    if (!buffer_) {
        int err = errno;
        throw Error(err, std::string("a perf buffer on a PERF_EVENT_ARRAY map (perf_event_open") +
                             (err == EACCES || err == EPERM ? ", which needs CAP_PERFMON" : "") +
                             ")");
    }
}

PerfBuffer::~PerfBuffer() {
    perf_buffer__free(buffer_);
}

PerfBuffer::PerfBuffer(PerfBuffer&& other) noexcept
    : callbacks_(std::move(other.callbacks_)), buffer_(std::exchange(other.buffer_, nullptr)) {}

PerfBuffer& PerfBuffer::operator=(PerfBuffer&& other) noexcept {
    if (this != &other) {
        perf_buffer__free(buffer_);
        callbacks_ = std::move(other.callbacks_);
        buffer_ = std::exchange(other.buffer_, nullptr);
    }
    return *this;
}

void PerfBuffer::poll(std::chrono::milliseconds timeout) {
    int n = perf_buffer__poll(buffer_, static_cast<int>(timeout.count()));
    if (n < 0 && n != -EINTR)
        throw Error(-n, "reading a perf buffer");
}

void PerfBuffer::consume() {
    int err = perf_buffer__consume(buffer_);
    if (err < 0)
        throw Error(-err, "reading a perf buffer");
}

} // namespace kring
