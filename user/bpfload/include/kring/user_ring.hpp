// A kring ring in userspace memory, laid out as the kernel lays it out
// ([consumer page][producer page][data][data], the data pages really mapped
// twice from one memfd) and produced into with kmod/kring_rb_core.h, the
// protocol code the module runs. An eventfd stands in for the ring fd's
// poll wakeups. kring-run runs programs against it; the tests use it to
// exercise libkring without the module.
#pragma once

extern "C" {
#include "kring_rb_core.h"
}

#include <cstddef>
#include <cstdint>
#include <kring/kring.hpp>
#include <mutex>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

namespace kring {

class UserRing {
public:
    explicit UserRing(size_t data_size) {
        page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
        total_ = 2 * page_ + 2 * data_size;
        void* area =
            mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memfd_ = memfd_create("kring-test-ring", MFD_CLOEXEC);
        wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (area == MAP_FAILED || memfd_ < 0 || wake_fd_ < 0 || ftruncate(memfd_, data_size) != 0)
            throw std::runtime_error("UserRing: cannot allocate");
        area_ = static_cast<uint8_t*>(area);
        for (int copy = 0; copy < 2; copy++) {
            void* at = area_ + 2 * page_ + copy * data_size;
            if (mmap(at, data_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd_, 0) !=
                at)
                throw std::runtime_error("UserRing: cannot map the data twice");
        }
        rb_.consumer_pos = reinterpret_cast<unsigned long*>(area_);
        rb_.producer_pos = reinterpret_cast<unsigned long*>(area_ + page_);
        rb_.data = area_ + 2 * page_;
        rb_.base = area_;
        rb_.mask = data_size - 1;
        rb_.pending_pos = 0;
        rb_.page_shift = static_cast<unsigned int>(__builtin_ctzl(page_));
    }
    UserRing(const UserRing&) = delete;
    UserRing& operator=(const UserRing&) = delete;
    ~UserRing() {
        munmap(area_, total_);
        close(memfd_);
        close(wake_fd_);
    }

    // As the module's kring_ring_reserve(): a lock serialises reservations.
    void* reserve(uint64_t size) {
        std::lock_guard<std::mutex> guard(lock_);
        return kring_rb_reserve_locked(&rb_, size);
    }
    // Commits and, when the protocol asks for it, wakes the eventfd.
    void commit(void* sample, bool discard = false, uint32_t flags = 0) {
        if (kring_rb_commit(&rb_, sample, discard, flags)) {
            uint64_t one = 1;
            if (::write(wake_fd_, &one, sizeof(one)) != sizeof(one))
                throw std::runtime_error("UserRing: eventfd write failed");
        }
    }
    kring_rb* rb() { return &rb_; }
    int wake_fd() const { return wake_fd_; }
    unsigned long* consumer_pos() { return rb_.consumer_pos; }
    const unsigned long* producer_pos() const { return rb_.producer_pos; }
    const uint8_t* data() const { return rb_.data; }
    uint64_t data_size() const { return rb_.mask + 1; }
    // Where a libkring Consumer reads it.
    RingView view() {
        RingView v;
        v.consumer_pos = consumer_pos();
        v.producer_pos = producer_pos();
        v.data = reinterpret_cast<const std::byte*>(data());
        v.data_size = data_size();
        return v;
    }

private:
    size_t page_ = 0, total_ = 0;
    uint8_t* area_ = nullptr;
    int memfd_ = -1, wake_fd_ = -1;
    std::mutex lock_;
    kring_rb rb_{};
};

} // namespace kring
