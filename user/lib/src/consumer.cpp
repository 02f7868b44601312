// kring::Consumer: the wait backends (epoll, busy polling, io_uring) over
// many rings, and the consume loop they share.
#include "kring/kring.hpp"

#include <algorithm>
#include <cerrno>
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <utility>

namespace kring {

namespace {

constexpr uint32_t kLengthMask = ~(KRING_BUSY_BIT | KRING_DISCARD_BIT);

uint64_t record_span(uint32_t size) {
    return (uint64_t{size} + KRING_HDR_SZ + 7) & ~7ULL;
}

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

// One poll request per ring fd on an io_uring. A request's user data is the
// address of its Poll, so Polls live in unique_ptrs and the Uring itself is
// heap-allocated: moving the Consumer moves neither.
struct Consumer::Uring {
    struct Poll {
        int fd;
    };

    explicit Uring(const UringOptions& options) : multishot(options.multishot) {
        if (options.shared) {
            ring = options.shared;
            return;
        }
        if (int err = io_uring_queue_init(std::max(options.entries, 1u), &own, 0); err < 0)
            throw Error(-err,
                        "io_uring_queue_init for a kring::Consumer" + uring_init_advice(-err));
        ring = &own;
    }
    ~Uring() {
        if (ring == &own) {
            io_uring_queue_exit(&own); // cancels every request
            return;
        }
        // The caller's instance outlives us: withdraw our requests, whose
        // last CQEs (-ECANCELED) then carry user data nobody claims.
        for (const auto& poll : polls)
            if (io_uring_sqe* sqe = sqe_or_submit()) {
                io_uring_prep_poll_remove(sqe, reinterpret_cast<uint64_t>(poll.get()));
                io_uring_sqe_set_data(sqe, poll.get());
            }
        io_uring_submit(ring);
    }
    Uring(const Uring&) = delete;
    Uring& operator=(const Uring&) = delete;

    io_uring_sqe* sqe_or_submit() {
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (!sqe) { // the queue is full: make room
            io_uring_submit(ring);
            sqe = io_uring_get_sqe(ring);
        }
        return sqe;
    }

    void arm(const Poll& poll) {
        io_uring_sqe* sqe = sqe_or_submit();
        if (!sqe)
            throw Error(EBUSY, "no free io_uring submission entry to poll ring fd " +
                                   std::to_string(poll.fd) + ": reap completions first");
        if (multishot)
            io_uring_prep_poll_multishot(sqe, poll.fd, POLLIN);
        else
            io_uring_prep_poll_add(sqe, poll.fd, POLLIN);
        io_uring_sqe_set_data(sqe, const_cast<Poll*>(&poll));
        if (int err = io_uring_submit(ring); err < 0)
            throw Error(-err, "io_uring_submit of a poll of ring fd " + std::to_string(poll.fd));
    }

    void add(int fd) {
        polls.push_back(std::make_unique<Poll>(Poll{fd}));
        arm(*polls.back());
    }

    // Whether `cqe` is one of our polls; re-arms it when it has ended.
    bool handle(const io_uring_cqe& cqe) {
        auto it = std::find_if(polls.begin(), polls.end(), [&](const auto& poll) {
            return reinterpret_cast<uint64_t>(poll.get()) == cqe.user_data;
        });
        if (it == polls.end())
            return false;
        if (cqe.res == -EINVAL && multishot) {
            multishot = false; // a kernel before multishot poll (5.13)
            arm(**it);
            return true;
        }
        if (cqe.res < 0)
            throw Error(-cqe.res, "io_uring poll of ring fd " + std::to_string((*it)->fd));
        // A one-shot poll has ended; a multishot one ends without F_MORE
        // (for instance when the completion queue overflowed).
        if (!multishot || !(cqe.flags & IORING_CQE_F_MORE))
            arm(**it);
        return true;
    }

    // Waits for completions, handles every one ready; false on timeout.
    bool wait(std::chrono::milliseconds timeout) {
        io_uring_cqe* cqe = nullptr;
        int err;
        if (timeout.count() < 0) {
            err = io_uring_wait_cqe(ring, &cqe);
        } else {
            __kernel_timespec ts{};
            ts.tv_sec = timeout.count() / 1000;
            ts.tv_nsec = (timeout.count() % 1000) * 1000000;
            err = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
        }
        if (err == -ETIME || err == -EINTR)
            return false;
        if (err < 0)
            throw Error(-err, "io_uring_wait_cqe of a kring::Consumer");
        unsigned head, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe) {
            seen++;
            handle(*cqe); // an owned instance has only our requests
        }
        io_uring_cq_advance(ring, seen);
        return true;
    }

    ::io_uring own{};
    ::io_uring* ring = nullptr;
    bool multishot;
    std::vector<std::unique_ptr<Poll>> polls;
};

Consumer::Consumer(WaitMode mode) : mode_(mode) {
    if (mode == WaitMode::io_uring) {
        uring_ = std::make_unique<Uring>(UringOptions{});
        return;
    }
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0)
        throw Error(errno, "epoll_create1 for a kring::Consumer");
}

Consumer::Consumer(const UringOptions& uring)
    : mode_(WaitMode::io_uring), uring_(std::make_unique<Uring>(uring)) {}

Consumer::Consumer(Consumer&& other) noexcept
    : mode_(other.mode_), epoll_fd_(std::exchange(other.epoll_fd_, -1)),
      uring_(std::move(other.uring_)), sources_(std::move(other.sources_)) {}

Consumer& Consumer::operator=(Consumer&& other) noexcept {
    if (this != &other) {
        if (epoll_fd_ >= 0)
            ::close(epoll_fd_);
        mode_ = other.mode_;
        epoll_fd_ = std::exchange(other.epoll_fd_, -1);
        uring_ = std::move(other.uring_);
        sources_ = std::move(other.sources_);
    }
    return *this;
}

Consumer::~Consumer() {
    if (epoll_fd_ >= 0)
        ::close(epoll_fd_);
}

void Consumer::add(const Ring& ring, Callback callback) {
    add(ring.view(), ring.fd(), std::move(callback));
}

void Consumer::add(const RingView& view, int wait_fd, Callback callback) {
    if (!callback)
        throw Error(EINVAL, "kring::Consumer::add without a callback");
    if (!view.consumer_pos || !view.producer_pos || !view.data ||
        (view.data_size & (view.data_size - 1)) != 0 || view.data_size == 0)
        throw Error(EINVAL, "kring::Consumer::add of a ring that is not mapped "
                            "(moved-from kring::Ring?)");
    if (uring_) {
        uring_->add(wait_fd);
    } else {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = sources_.size();
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wait_fd, &event) != 0)
            throw Error(errno, "EPOLL_CTL_ADD of ring fd " + std::to_string(wait_fd));
    }
    sources_.push_back(Source{view, std::move(callback)});
}

// The hot path: drains one ring in order, stopping at the first busy record.
int64_t Consumer::consume_source(Source& source, uint64_t limit) {
    const RingView& v = source.view;
    const uint64_t mask = v.data_size - 1;
    // Only this consumer writes its position.
    unsigned long cons = __atomic_load_n(v.consumer_pos, __ATOMIC_RELAXED);
    int64_t count = 0;
    for (;;) {
        // Acquire pairs with the reservation's release: the headers up to
        // prod are this lap's (litmus/rb-publish-header.litmus).
        unsigned long prod = __atomic_load_n(v.producer_pos, __ATOMIC_ACQUIRE);
        if (cons == prod)
            return count;
        while (cons != prod) {
            const auto* hdr = reinterpret_cast<const kring_record_header*>(v.data + (cons & mask));
            // Acquire pairs with the commit's exchange: a clear busy bit
            // means the payload is complete (litmus/rb-commit-publish.litmus).
            uint32_t len = __atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE);
            if (len & KRING_BUSY_BIT)
                return count;
            uint32_t size = len & kLengthMask;
            cons += record_span(size);
            int err = 0;
            if (!(len & KRING_DISCARD_BIT)) {
                err = source.callback(std::span<const std::byte>(
                    reinterpret_cast<const std::byte*>(hdr) + KRING_HDR_SZ, size));
                count++;
            }
            // Release gives the space back only after the callback's reads
            // (litmus/rb-space-reuse.litmus, litmus/rb-discard.litmus).
            __atomic_store_n(v.consumer_pos, cons, __ATOMIC_RELEASE);
            if (err < 0)
                return err;
            if (static_cast<uint64_t>(count) >= limit)
                return count;
        }
    }
}

int64_t Consumer::consume_all(uint64_t limit) {
    int64_t total = 0;
    for (Source& source : sources_) {
        int64_t n = consume_source(source, limit - static_cast<uint64_t>(total));
        if (n < 0)
            return n;
        total += n;
        if (static_cast<uint64_t>(total) >= limit)
            break;
    }
    return total;
}

int64_t Consumer::consume() {
    return consume_all(UINT64_MAX);
}

int64_t Consumer::consume_n(uint64_t n) {
    return n ? consume_all(n) : 0;
}

bool Consumer::any_data() const {
    for (const Source& s : sources_)
        if (__atomic_load_n(s.view.producer_pos, __ATOMIC_ACQUIRE) !=
            __atomic_load_n(s.view.consumer_pos, __ATOMIC_RELAXED))
            return true;
    return false;
}

int64_t Consumer::poll(std::chrono::milliseconds timeout) {
    if (mode_ == WaitMode::busy_poll) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!any_data()) {
            if (timeout.count() >= 0 && std::chrono::steady_clock::now() >= deadline)
                return 0;
        }
        return consume();
    }
    if (uring_) {
        if (uring_->ring != &uring_->own)
            throw Error(EINVAL, "kring::Consumer::poll with a shared io_uring: wait on your "
                                "io_uring, pass its CQEs to handle_completion(), then consume()");
        // A poll completes on wakeups, and a producer wakes the consumer
        // only once it has caught up: records left behind (a callback
        // stopped, consume_n) must not wait for one.
        if (any_data()) {
            uring_->wait(std::chrono::milliseconds(0));
            return consume();
        }
        return uring_->wait(timeout) ? consume() : 0;
    }
    epoll_event events[16];
    int n = ::epoll_wait(epoll_fd_, events, 16, timeout.count() < 0 ? -1 : int(timeout.count()));
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        throw Error(errno, "epoll_wait of a kring::Consumer");
    }
    return n ? consume() : 0;
}

bool Consumer::handle_completion(const ::io_uring_cqe& cqe) {
    return uring_ && uring_->handle(cqe);
}

} // namespace kring
