// Poll requests for ring fds on an io_uring (owned, or the caller's), shared
// by the io_uring wait backend of kring::Consumer and by kring::Recorder.
#pragma once

#include "kring/kring.hpp"

#include <chrono>
#include <functional>
#include <liburing.h>
#include <memory>
#include <string>
#include <vector>

namespace kring::detail {

// One poll request per fd: multishot where the kernel has it (Linux 5.13+;
// the first completion is -EINVAL elsewhere, and we fall back), else one-shot
// and re-armed after each completion. A request's user data is the address
// of its Poll: even, and stable, because Polls live in unique_ptrs and
// UringPolls itself is heap-allocated by its owners.
class UringPolls {
public:
    // `owner` names the user of the instance in error messages.
    UringPolls(const UringOptions& options, std::string owner);
    ~UringPolls();
    UringPolls(const UringPolls&) = delete;
    UringPolls& operator=(const UringPolls&) = delete;

    ::io_uring* ring() const noexcept { return ring_; }
    bool owned() const noexcept { return ring_ == &own_; }

    // A submission entry, submitting what is queued if the queue is full;
    // throws EBUSY if there is still none.
    io_uring_sqe* sqe(const char* what);
    // A poll of fd; on_ready, if set, runs for each of its completions
    // before the poll is re-armed (to drain an eventfd, say).
    void add(int fd, std::function<void()> on_ready = {});
    // Whether `cqe` is one of our polls; re-arms it when it has ended.
    bool handle(const io_uring_cqe& cqe);
    // Waits up to timeout (forever if negative) for completions, then
    // handles every ready one: ours here, any other by `other` (which must
    // be set if anyone else submits on the instance). False on timeout.
    bool wait(std::chrono::milliseconds timeout,
              const std::function<void(const io_uring_cqe&)>& other);

private:
    struct Poll {
        int fd;
        std::function<void()> on_ready;
    };
    void arm(const Poll& poll);
    // A submission entry, submitting what is queued if the queue is full;
    // null if there is still none.
    io_uring_sqe* free_sqe();

    std::string owner_;
    ::io_uring own_{};
    ::io_uring* ring_ = nullptr;
    bool multishot_;
    std::vector<std::unique_ptr<Poll>> polls_;
};

} // namespace kring::detail
