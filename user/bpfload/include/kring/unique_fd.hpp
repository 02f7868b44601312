// A file descriptor owned by one object and closed with it: what
// kring::Program, kring::Link and kring::LinuxMap hold. Move-only.
#pragma once

#include <unistd.h>
#include <utility>

namespace kring {

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { close(); }
    int get() const noexcept { return fd_; }

private:
    void close() noexcept {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int fd_;
};

} // namespace kring
