// Poll requests for ring fds on an io_uring (see uring_polls.hpp).
#include "uring_polls.hpp"

#include <algorithm>
#include <cerrno>
#include <poll.h>

namespace kring::detail {

namespace {

std::string uring_init_advice(int err) {
    switch (err) {
    case ENOSYS:
        return ": this kernel has no io_uring; use WaitMode::epoll";
    case EPERM:
        return ": io_uring is disabled here (sysctl kernel.io_uring_disabled, or a seccomp "
               "filter); use WaitMode::epoll";
    case ENOMEM:
        return ": raise RLIMIT_MEMLOCK (ulimit -l) or ask for fewer entries";
    default:
        return "";
    }
}

} // namespace

UringPolls::UringPolls(const UringOptions& options, std::string owner)
    : owner_(std::move(owner)), multishot_(options.multishot) {
    if (options.shared) {
        ring_ = options.shared;
        return;
    }
    if (int err = io_uring_queue_init(std::max(options.entries, 1u), &own_, 0); err < 0)
        throw Error(-err, "io_uring_queue_init for " + owner_ + uring_init_advice(-err));
    ring_ = &own_;
}

UringPolls::~UringPolls() {
    if (owned()) {
        io_uring_queue_exit(&own_); // cancels every request
        return;
    }
    // The caller's instance outlives us: withdraw our requests, whose last
    // CQEs (-ECANCELED) then carry user data nobody claims.
    for (const auto& poll : polls_) {
        if (io_uring_sqe* entry = free_sqe()) {
            io_uring_prep_poll_remove(entry, reinterpret_cast<uint64_t>(poll.get()));
            io_uring_sqe_set_data(entry, poll.get());
        }
    }
    io_uring_submit(ring_);
}

io_uring_sqe* UringPolls::free_sqe() {
    io_uring_sqe* entry = io_uring_get_sqe(ring_);
    if (!entry) { // the queue is full: make room
        io_uring_submit(ring_);
        entry = io_uring_get_sqe(ring_);
    }
    return entry;
}

io_uring_sqe* UringPolls::sqe(const char* what) {
    io_uring_sqe* entry = free_sqe();
    if (!entry)
        throw Error(EBUSY, std::string("no free io_uring submission entry for ") + what + " of " +
                               owner_ + ": reap completions first");
    return entry;
}

void UringPolls::arm(const Poll& poll) {
    io_uring_sqe* entry = sqe("a poll");
    if (multishot_)
        io_uring_prep_poll_multishot(entry, poll.fd, POLLIN);
    else
        io_uring_prep_poll_add(entry, poll.fd, POLLIN);
    io_uring_sqe_set_data(entry, const_cast<Poll*>(&poll));
    if (int err = io_uring_submit(ring_); err < 0)
        throw Error(-err, "io_uring_submit of a poll of ring fd " + std::to_string(poll.fd));
}

void UringPolls::add(int fd, std::function<void()> on_ready) {
    polls_.push_back(std::make_unique<Poll>(Poll{fd, std::move(on_ready)}));
    arm(*polls_.back());
}

bool UringPolls::handle(const io_uring_cqe& cqe) {
    auto it = std::find_if(polls_.begin(), polls_.end(), [&](const auto& poll) {
        return reinterpret_cast<uint64_t>(poll.get()) == cqe.user_data;
    });
    if (it == polls_.end())
        return false;
    if (cqe.res == -EINVAL && multishot_) {
        multishot_ = false; // a kernel before multishot poll (5.13)
        arm(**it);
        return true;
    }
    if (cqe.res < 0)
        throw Error(-cqe.res, "io_uring poll of ring fd " + std::to_string((*it)->fd));
    if ((*it)->on_ready)
        (*it)->on_ready();
    // A one-shot poll has ended; a multishot one ends without F_MORE (for
    // instance when the completion queue overflowed).
    if (!multishot_ || !(cqe.flags & IORING_CQE_F_MORE))
        arm(**it);
    return true;
}

bool UringPolls::wait(std::chrono::milliseconds timeout,
                      const std::function<void(const io_uring_cqe&)>& other) {
    io_uring_cqe* cqe = nullptr;
    int err;
    if (timeout.count() < 0) {
        err = io_uring_wait_cqe(ring_, &cqe);
    } else {
        __kernel_timespec ts{};
        ts.tv_sec = timeout.count() / 1000;
        ts.tv_nsec = (timeout.count() % 1000) * 1000000;
        err = io_uring_wait_cqe_timeout(ring_, &cqe, &ts);
    }
    if (err == -ETIME || err == -EINTR)
        return false;
    if (err < 0)
        throw Error(-err, "io_uring_wait_cqe of " + owner_);
    unsigned head, seen = 0;
    try {
        io_uring_for_each_cqe(ring_, head, cqe) {
            seen++; // a CQE that throws is consumed all the same
            if (!handle(*cqe) && other)
                other(*cqe);
        }
    } catch (...) {
        io_uring_cq_advance(ring_, seen);
        throw;
    }
    io_uring_cq_advance(ring_, seen);
    return true;
}

} // namespace kring::detail
