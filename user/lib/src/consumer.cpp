// kring::Consumer: the wait backends (epoll, busy polling, io_uring) over
// many rings, and the consume loop they share.
#include "kring/kring.hpp"
#include "ring_reader.hpp"
#include "uring_polls.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <utility>

namespace kring {

namespace detail {

// What wake() and shut_down() leave for the thread in poll(): an eventfd
// among the fds the consumer waits on (epoll, io_uring), and for busy
// polling, which waits on nothing, a flag. On the heap, so that another
// thread's reference to it survives nothing but the consumer itself.
struct Wakeup {
    int fd = -1;
    std::atomic<bool> busy_woken{false};
    std::atomic<bool> shut_down{false};

    Wakeup() : fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (fd < 0)
            throw Error(errno, "eventfd for a kring::Consumer's wake()");
    }
    ~Wakeup() { ::close(fd); }
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    void signal() {
        busy_woken.store(true, std::memory_order_release);
        uint64_t one = 1;
        // EAGAIN: the counter is full, so the fd is readable anyway.
        (void)!::write(fd, &one, sizeof(one));
    }
    // After the eventfd was seen readable: back to not readable.
    void drain() const {
        uint64_t count;
        (void)!::read(fd, &count, sizeof(count));
    }
};

// A pull ring's batch state: whether a RecordBatch of it is still
// unreleased, and the hold on its kring::Ring. Shared with its batches,
// which may outlive the consumer.
struct PullRing {
    RingView view;
    RingHold hold;
    std::atomic<bool> held{false};

    PullRing(const RingView& ring, RingHold ring_hold) : view(ring), hold(std::move(ring_hold)) {}
};

} // namespace detail

RecordBatch::RecordBatch(std::shared_ptr<detail::PullRing> ring, size_t index)
    : pull_(std::move(ring)), ring_(index) {}

RecordBatch& RecordBatch::operator=(RecordBatch&& other) noexcept {
    if (this != &other) {
        release();
        pull_ = std::move(other.pull_);
        ring_ = other.ring_;
        end_ = other.end_;
        records_ = std::move(other.records_);
    }
    return *this;
}

RecordBatch::~RecordBatch() {
    release();
}

void RecordBatch::release() noexcept {
    if (!pull_)
        return;
    // Release: after our reads of the records (as the callback path's
    // publish; litmus/rb-space-reuse.litmus), then the ring is free to
    // hand out more. A ring given by reference and destroyed since has
    // no mapping left to write to, and no space to give back.
    if (!pull_->hold.gone())
        detail::publish_consumer_position(pull_->view, end_);
    pull_->held.store(false, std::memory_order_release);
    // Last: this may drop the last owner of a ring given as a shared_ptr.
    pull_.reset();
    records_.clear();
}

namespace {

// epoll_event.data of the wakeup's eventfd; ring fds carry their index.
constexpr uint64_t kWakeupEvent = UINT64_MAX;

// The checks of add()'s arguments.
void require_callback(const Callback& callback) {
    if (!callback)
        throw Error(EINVAL, "kring::Consumer::add without a callback (for the pull API, "
                            "add the ring without one)");
}

void require_ring(const std::shared_ptr<const Ring>& ring) {
    if (!ring)
        throw Error(EINVAL, "kring::Consumer::add of a null std::shared_ptr<kring::Ring>");
}

} // namespace

Consumer::Consumer(WaitMode mode) : mode_(mode), wakeup_(std::make_unique<detail::Wakeup>()) {
    if (mode == WaitMode::io_uring) {
        uring_ = std::make_unique<detail::UringPolls>(UringOptions{}, "a kring::Consumer");
        watch_wakeup();
        return;
    }
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0)
        throw Error(errno, "epoll_create1 for a kring::Consumer");
    watch_wakeup();
}

Consumer::Consumer(const UringOptions& uring)
    : mode_(WaitMode::io_uring), wakeup_(std::make_unique<detail::Wakeup>()),
      uring_(std::make_unique<detail::UringPolls>(uring, "a kring::Consumer")) {
    watch_wakeup();
}

void Consumer::watch_wakeup() {
    const detail::Wakeup* wakeup = wakeup_.get();
    if (uring_) {
        uring_->add(wakeup->fd, [wakeup] { wakeup->drain(); });
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kWakeupEvent;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wakeup->fd, &event) != 0)
        throw Error(errno, "EPOLL_CTL_ADD of a kring::Consumer's wake() eventfd");
}

Consumer::Consumer(Consumer&& other) noexcept
    : mode_(other.mode_), epoll_fd_(std::exchange(other.epoll_fd_, -1)),
      wakeup_(std::move(other.wakeup_)), uring_(std::move(other.uring_)),
      sources_(std::move(other.sources_)) {}

Consumer& Consumer::operator=(Consumer&& other) noexcept {
    if (this != &other) {
        if (epoll_fd_ >= 0)
            ::close(epoll_fd_);
        mode_ = other.mode_;
        epoll_fd_ = std::exchange(other.epoll_fd_, -1);
        uring_ = std::move(other.uring_);
        wakeup_ = std::move(other.wakeup_);
        sources_ = std::move(other.sources_);
    }
    return *this;
}

void Consumer::wake() {
    wakeup_->signal();
}

void Consumer::shut_down() {
    wakeup_->shut_down.store(true, std::memory_order_release);
    wakeup_->signal();
}

bool Consumer::is_shut_down() const noexcept {
    return wakeup_->shut_down.load(std::memory_order_acquire);
}

Consumer::~Consumer() {
    if (epoll_fd_ >= 0)
        ::close(epoll_fd_);
}

void Consumer::add(const Ring& ring, Callback callback) {
    require_callback(callback);
    add_ring(ring, std::move(callback), nullptr);
}

void Consumer::add(std::shared_ptr<const Ring> ring, Callback callback) {
    require_callback(callback);
    require_ring(ring);
    const Ring& r = *ring;
    add_ring(r, std::move(callback), std::move(ring));
}

void Consumer::add_ring(const Ring& ring, Callback callback, std::shared_ptr<const Ring> owned) {
    detail::RingHold hold;
    hold.referenced = !owned;
    if (!owned)
        hold.by_reference = ring.mapped_;
    hold.owned = std::move(owned);
    add_source(ring.view(), ring.fd(), std::move(callback), std::move(hold));
}

const RingView& Consumer::live_view(const Source& source) const {
    if (source.hold.gone())
        throw Error(EPIPE, "kring::Consumer: ring " + std::to_string(&source - sources_.data()) +
                               "'s kring::Ring was destroyed before its "
                               "consumer: keep it alive, or add it as a std::shared_ptr");
    return source.view;
}

void Consumer::add(const RingView& view, int wait_fd, Callback callback) {
    require_callback(callback);
    add_source(view, wait_fd, std::move(callback));
}

void Consumer::add(const Ring& ring) {
    add_ring(ring, Callback{}, nullptr);
}

void Consumer::add(std::shared_ptr<const Ring> ring) {
    require_ring(ring);
    const Ring& r = *ring;
    add_ring(r, Callback{}, std::move(ring));
}

void Consumer::add(const RingView& view, int wait_fd) {
    add_source(view, wait_fd, Callback{});
}

void Consumer::add_source(const RingView& view, int wait_fd, Callback callback,
                          detail::RingHold hold) {
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
    std::shared_ptr<detail::PullRing> pull;
    if (!callback)
        pull = std::make_shared<detail::PullRing>(view, hold);
    Source source;
    source.view = view;
    source.callback = std::move(callback);
    source.pull = std::move(pull);
    source.hold = std::move(hold);
    sources_.push_back(std::move(source));
}

// The hot path: drains one ring in order, stopping at the first busy record.
// It returns only after the check before a sleep found nothing committed,
// or with records left behind (a callback's error, the limit), which
// poll() then consumes without sleeping.
//
// The position is published once per drain, and once per quarter of the
// ring within a long one, not after every record: each store is a line the
// producers' reservations then read from another CPU, and the space comes
// back soon enough for them either way.
//
// Per record it branches three times: on the position, on the header's
// state bits (one test for both, RingReader::next_delivered()) and on the
// callback's result. The quarter-ring stop is part of the position test
// (stop_at()), the callback is called without an emptiness check, and a
// drain without a limit (consume(), poll()) is compiled without the limit
// test: under QEMU's emulation every branch ends a translated block, and
// with seven the walk took 46 ns per record where libbpf's took 29
// (docs/bench.md, "Back-to-back").
template <bool kLimited>
int64_t Consumer::drain(const RingView& view, const Callback& callback, uint64_t limit) {
    detail::RingReader reader(view, detail::consumer_position(view));
    const uint64_t publish_every = view.data_size / 4;
    uint64_t taken = 0;
    do {
        reader.stop_at(reader.position() + publish_every);
        while (std::optional<detail::CommittedRecord> record = reader.next_delivered()) {
            int err;
            try {
                err = callback.call_nonempty(record->payload);
            } catch (...) {
                // The records before it are consumed, this one is not.
                detail::publish_consumer_position(view, record->start());
                throw;
            }
            ++taken;
            if (err < 0 || (kLimited && taken == limit)) {
                reader.publish();
                return err < 0 ? err : static_cast<int64_t>(taken);
            }
        }
        reader.publish();
        // Every store of the position above is followed by this check
        // before the caller may sleep: records it finds are consumed, and
        // checked for again after their own store. At a quarter ring's
        // stop, it finds the records past it.
    } while (reader.committed_after_fence());
    return static_cast<int64_t>(taken);
}

int64_t Consumer::consume_source(Source& source, uint64_t limit) {
    const RingView& view = live_view(source);
    if (limit == kNoLimit)
        return drain<false>(view, source.callback, limit);
    return drain<true>(view, source.callback, limit);
}

int64_t Consumer::consume_all(uint64_t limit) {
    int64_t total = 0;
    for (Source& source : sources_) {
        if (source.pull)
            continue;
        const uint64_t left = limit == kNoLimit ? kNoLimit : limit - static_cast<uint64_t>(total);
        int64_t n = consume_source(source, left);
        if (n < 0)
            return n;
        total += n;
        if (static_cast<uint64_t>(total) >= limit)
            break;
    }
    return total;
}

int64_t Consumer::consume() {
    return consume_all(kNoLimit);
}

int64_t Consumer::consume_n(uint64_t n) {
    return n ? consume_all(n) : 0;
}

const Consumer::Source& Consumer::source_at(size_t index) const {
    if (index >= sources_.size())
        throw Error(ERANGE, "kring::Consumer: no ring " + std::to_string(index) + " (it has " +
                                std::to_string(sources_.size()) +
                                ", numbered from 0 in the order they were added)");
    return sources_[index];
}

RingState Consumer::ring_state(size_t index) const {
    const RingView& view = live_view(source_at(index));
    RingState state;
    state.consumer_pos = detail::consumer_position(view);
    state.producer_pos = detail::RingReader(view, state.consumer_pos).producer_position();
    state.available_bytes = state.producer_pos - state.consumer_pos;
    state.size = view.data_size;
    return state;
}

int64_t Consumer::consume_ring(size_t index, uint64_t n) {
    if (source_at(index).pull)
        throw Error(EINVAL, "kring::Consumer::consume_ring(" + std::to_string(index) +
                                "): a ring added without a callback is read with next()");
    return n ? consume_source(sources_[index], n) : 0;
}

std::optional<RecordBatch> Consumer::take(size_t index, size_t max) {
    const Source& source = sources_[index];
    if (!max || !source.pull || source.pull->held.load(std::memory_order_acquire))
        return std::nullopt;
    const RingView& view = live_view(source);
    detail::RingReader reader(view, detail::consumer_position(view));
    RecordBatch batch(source.pull, index);
    while (batch.size() < max) {
        std::optional<detail::CommittedRecord> record = reader.next();
        if (!record)
            break;
        if (record->discarded()) {
            // Nothing held before it: its space goes back now.
            if (!batch.size())
                reader.publish();
            continue;
        }
        batch.records_.push_back(record->payload);
        batch.end_ = reader.position();
    }
    if (!batch.size()) {
        batch.pull_.reset(); // nothing taken: nothing to release
        return std::nullopt;
    }
    source.pull->held.store(true, std::memory_order_relaxed);
    return batch;
}

std::optional<RecordBatch> Consumer::next_batch(size_t max) {
    for (size_t i = 0; i < sources_.size(); i++)
        if (std::optional<RecordBatch> batch = take(i, max))
            return batch;
    return std::nullopt;
}

std::optional<RecordBatch> Consumer::next_from(size_t index, size_t max) {
    if (!source_at(index).pull)
        throw Error(EINVAL, "kring::Consumer::next_from(" + std::to_string(index) +
                                "): a ring added with a callback is read by consume()");
    return take(index, max);
}

bool Consumer::wait(std::chrono::milliseconds timeout) {
    return wait_for_data(timeout) && any_committed();
}

// Whether any ring has a record its reader could take now: a pull ring
// whose batch is still held has none.
bool Consumer::any_committed() const {
    for (const Source& s : sources_) {
        if (s.pull && s.pull->held.load(std::memory_order_acquire))
            continue;
        const RingView& view = live_view(s);
        detail::RingReader reader(view, detail::consumer_position(view));
        if (reader.committed_after_fence())
            return true;
    }
    return false;
}

int64_t Consumer::poll(std::chrono::milliseconds timeout) {
    return wait_for_data(timeout) ? consume() : 0;
}

bool Consumer::wait_for_data(std::chrono::milliseconds timeout) {
    if (is_shut_down())
        return true;
    if (mode_ == WaitMode::busy_poll) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!any_committed()) {
            if (wakeup_->busy_woken.exchange(false, std::memory_order_acquire))
                return true;
            if (timeout.count() >= 0 && std::chrono::steady_clock::now() >= deadline)
                return false;
        }
        return true;
    }
    if (uring_) {
        if (!uring_->owned())
            throw Error(EINVAL, "kring::Consumer::poll or wait with a shared io_uring: wait on "
                                "your io_uring, pass its CQEs to handle_completion(), then "
                                "consume()");
        // A poll completes on wakeups, and a producer wakes the consumer
        // only once it has caught up: records left behind (a callback
        // stopped, consume_n) must not wait for one.
        if (any_committed()) {
            uring_->wait(std::chrono::milliseconds(0), nullptr);
            return true;
        }
        return uring_->wait(timeout, nullptr);
    }
    // The same for epoll: a ring whose records were left behind may not be
    // on the epoll ready list, and no producer will put it there.
    if (any_committed())
        return true;
    epoll_event events[16];
    int n = ::epoll_wait(epoll_fd_, events, 16, timeout.count() < 0 ? -1 : int(timeout.count()));
    if (n < 0) {
        if (errno == EINTR)
            return false;
        throw Error(errno, "epoll_wait of a kring::Consumer");
    }
    for (int i = 0; i < n; i++)
        if (events[i].data.u64 == kWakeupEvent)
            wakeup_->drain();
    return n > 0;
}

bool Consumer::handle_completion(const ::io_uring_cqe& cqe) {
    return uring_ && uring_->handle(cqe);
}

Merger::Merger(Consumer& consumer, Key key, std::chrono::milliseconds settle)
    : consumer_(&consumer), key_(std::move(key)), settle_(settle) {
    if (!key_)
        throw Error(EINVAL, "kring::Merger without a key function");
    auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < consumer.ring_count(); i++)
        if (consumer.sources_[i].pull)
            heads_.push_back(Head{i, std::nullopt, 0, now});
    if (heads_.empty())
        throw Error(EINVAL, "kring::Merger: the consumer has no ring added without a callback "
                            "(the pull API's rings are the ones merged)");
}

std::optional<RecordBatch> Merger::next() {
    auto now = std::chrono::steady_clock::now();
    Head* smallest = nullptr;
    bool waiting = false; // a ring still empty for less than settle_
    for (Head& head : heads_) {
        if (!head.record) {
            head.record = consumer_->take(head.ring, 1);
            if (head.record)
                head.key = key_((*head.record)[0]);
            else if (head.empty_since == std::chrono::steady_clock::time_point{})
                head.empty_since = now;
        }
        if (!head.record) {
            waiting = waiting || now - head.empty_since < settle_;
            continue;
        }
        head.empty_since = {};
        if (!smallest || head.key < smallest->key)
            smallest = &head;
    }
    if (!smallest || waiting)
        return std::nullopt;
    if (any_returned_ && smallest->key < last_key_)
        late_++;
    any_returned_ = true;
    last_key_ = std::max(last_key_, smallest->key);
    std::optional<RecordBatch> out = std::move(smallest->record);
    smallest->record.reset();
    return out;
}

} // namespace kring
