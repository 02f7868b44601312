// libkring: consume kring rings (and Linux BPF_MAP_TYPE_RINGBUF maps, which
// share their layout) from userspace.
//
//   kring::Ring ring = kring::Ring::create(1 << 20);
//   kring::Consumer consumer;
//   consumer.add(ring, [](std::span<const std::byte> record) {
//       handle(record);
//       return 0;             // negative: stop, and poll() returns it
//   });
//   while (running)
//       consumer.poll(std::chrono::milliseconds(100));
//
// Memory ordering (the litmus tests in litmus/ prove each pairing with the
// kernel's side): the producer position and every record header are read with
// acquire; the consumer position is published with release after each record,
// so its space goes back to the producers only after the callback is done
// with it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <linux/kring.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

struct io_uring;
struct io_uring_cqe;

namespace kring {

namespace detail {
class UringPolls;
struct Wakeup;
struct PullRing;
} // namespace detail

// Every failure: the errno, what was being done, and what to do about it.
// Immutable once thrown: any thread may read it.
class Error : public std::system_error {
public:
    Error(int err, const std::string& what)
        : std::system_error(err, std::generic_category(), what) {}
    int errno_value() const noexcept { return code().value(); }
};

// A Linux map type for messages: "1 (BPF_MAP_TYPE_HASH)", the number and the
// name Linux 6.1's <linux/bpf.h> gives it (the number alone past its last).
std::string describe_bpf_map_type(uint32_t type);

// Where a ring's consumer reads: the three parts of its mapping.
struct RingView {
    unsigned long* consumer_pos = nullptr;
    const unsigned long* producer_pos = nullptr;
    const std::byte* data = nullptr; // mapped twice back to back
    uint64_t data_size = 0;          // a power of two
};

// A ring fd and its mappings, unmapped and closed on destruction. Move-only.
// Thread safety: its const members may be called from any number of threads
// at once (each is one system call, or reads what the constructor set);
// moving, assigning or destroying it needs every other use to be over.
class Ring {
public:
    // Opens /dev/kring and creates a ring of data_size bytes.
    static Ring create(uint64_t data_size);
    // Takes ownership of fd, a /dev/kring fd that already has a ring
    // (inherited, or received with SCM_RIGHTS).
    static Ring adopt(int fd);
    // Maps a Linux BPF_MAP_TYPE_RINGBUF map; takes ownership of map_fd.
    static Ring adopt_bpf_map(int map_fd);

    // Named rings (KRING_IOC_PIN, needs CAP_BPF): a name keeps the ring,
    // its unconsumed records and its consumer position alive with no fd
    // open, so that a restarted consumer reopens it and carries on. Rings,
    // programs and links share one table of names (kring::Program::pin,
    // kring::Link::pin): open_pinned() of a program's or a link's name
    // throws EMEDIUMTYPE.
    static Ring open_pinned(const std::string& name);
    void pin(const std::string& name) const;
    // Drops a name of any kind; a link held by nothing else is detached.
    static void unpin(const std::string& name);
    static std::vector<std::string> pinned(); // every kind, in pinning order

    Ring(Ring&& other) noexcept;
    Ring& operator=(Ring&& other) noexcept;
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
    ~Ring();

    int fd() const noexcept { return fd_; }
    uint64_t data_size() const noexcept { return view_.data_size; }
    const RingView& view() const noexcept { return view_; }

    // Producing through the device (not for BPF maps): one record per call.
    // False when the ring is full: the record is dropped (the kernel counts
    // it), so the result must be looked at. Throws on any other failure.
    [[nodiscard]] bool write(std::span<const std::byte> record) const;
    [[nodiscard]] bool output(std::span<const std::byte> record, uint32_t flags) const;
    kring_query query() const;
    kring_stats stats() const;

private:
    Ring(int fd, uint64_t data_size, const char* what);
    void release() noexcept;

    int fd_ = -1;
    void* consumer_map_ = nullptr;
    void* producer_map_ = nullptr;
    size_t producer_map_len_ = 0;
    RingView view_;
    // Lives as long as the mappings: a Consumer given this Ring, and its
    // RecordBatches, notice when it is gone instead of touching unmapped
    // memory.
    std::shared_ptr<const bool> mapped_;
    friend class Consumer;
};

namespace detail {
// Who keeps a consumer's ring mapped: the consumer, and the batches of a
// pull ring, each hold a copy.
struct RingHold {
    std::shared_ptr<const Ring> owned;      // a ring given as a shared_ptr: kept alive
    std::weak_ptr<const bool> by_reference; // a ring given by reference: its mappings' life
    bool referenced = false;                // given by reference
    // A ring given by reference whose kring::Ring was destroyed (unmapped).
    bool gone() const noexcept { return referenced && by_reference.expired(); }
};

// KRING_IOC_PIN of `fd` (a ring's, a program's or a link's; `kind` says
// which, for the message) as `name`; throws with advice.
void pin_fd(int fd, const std::string& name, const char* kind);
} // namespace detail

// What the module holds now, as bpftool map, prog and link list show
// Linux's objects: every ring, program and link alive, in increasing id
// order, each with its first pinned name (KRING_IOC_RING_LIST,
// KRING_IOC_PROG_LIST, KRING_IOC_LINK_LIST). Needs CAP_SYS_ADMIN, as
// Linux's id walks do. Thread safety: any thread, any number at once (each
// call opens its own device fd).
std::vector<kring_ring_info> list_rings();
std::vector<kring_prog_info> list_programs();
std::vector<kring_link_info> list_links();
// The C string in a fixed-size field of those structs (up to its first NUL).
template <size_t N>
std::string field_string(const char (&field)[N]) {
    size_t len = 0;
    while (len < N && field[len])
        len++;
    return std::string(field, len);
}

// One ring of a consumer as it stands (libbpf's ring__consumer_pos,
// ring__producer_pos, ring__avail_data_size and ring__size).
struct RingState {
    uint64_t consumer_pos = 0;
    uint64_t producer_pos = 0;    // reserved up to here (acquire)
    uint64_t available_bytes = 0; // producer_pos - consumer_pos: records,
                                  // their headers, and any still being written
    uint64_t size = 0;            // the data area's bytes
};

// Called once per record in ring order; a negative return stops consumption
// and becomes the return value of poll()/consume(). A callback that throws
// stops it too: the exception leaves poll()/consume(), the records before
// its record stay consumed, and its record is not: the next poll() or
// consume() delivers it first, without waiting.
//
// Any callable taking the record's bytes and returning an int converts to
// it, as to a std::function, and copies copy the callable. Not a
// std::function, whose call passes the record through memory to a second
// indirect call: the consume loop calls a Callback through one function
// pointer with the record in registers. Under QEMU's emulation the same
// record walk took 45 ns per record through a std::function and 25 through
// a function pointer (docs/bench.md, "Back-to-back"). An empty
// std::function or a null function pointer makes an empty Callback.
class Callback {
public:
    Callback() noexcept = default;

    template <typename F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, Callback> &&
             std::is_copy_constructible_v<std::decay_t<F>> &&
             std::is_invocable_r_v<int, std::decay_t<F>&, std::span<const std::byte>>)
        Callback(F&& callable) { // NOLINT(google-explicit-constructor): as std::function's
        using Target = std::decay_t<F>;
        if constexpr (std::is_constructible_v<bool, const Target&>)
            if (!static_cast<bool>(callable))
                return;
        target_ = new Target(std::forward<F>(callable));
        call_ = &call<Target>;
        lifetime_ = &lifetime_of<Target>;
    }
    Callback(const Callback& other)
        : target_(other.lifetime_ ? other.lifetime_->copy(other.target_) : nullptr),
          call_(other.call_), lifetime_(other.lifetime_) {}
    Callback(Callback&& other) noexcept
        : target_(std::exchange(other.target_, nullptr)),
          call_(std::exchange(other.call_, nullptr)),
          lifetime_(std::exchange(other.lifetime_, nullptr)) {}
    Callback& operator=(Callback other) noexcept {
        std::swap(target_, other.target_);
        std::swap(call_, other.call_);
        std::swap(lifetime_, other.lifetime_);
        return *this;
    }
    ~Callback() {
        if (lifetime_)
            lifetime_->destroy(target_);
    }

    // Throws std::bad_function_call when empty, as std::function does.
    int operator()(std::span<const std::byte> record) const {
        if (!call_)
            throw std::bad_function_call();
        return call_nonempty(record);
    }
    explicit operator bool() const noexcept { return call_ != nullptr; }

private:
    friend class Consumer;
    // The consume loop's call: Consumer::add refuses an empty Callback, so
    // the loop does without operator()'s check.
    int call_nonempty(std::span<const std::byte> record) const { return call_(target_, record); }

    struct Lifetime {
        void* (*copy)(const void* target);
        void (*destroy)(void* target) noexcept;
    };
    template <typename Target>
    static int call(void* target, std::span<const std::byte> record) {
        return std::invoke(*static_cast<Target*>(target), record);
    }
    template <typename Target>
    static constexpr Lifetime lifetime_of{
        [](const void* target) -> void* { return new Target(*static_cast<const Target*>(target)); },
        [](void* target) noexcept {
            delete static_cast<Target*>(target);
        }};

    void* target_ = nullptr;
    int (*call_)(void*, std::span<const std::byte>) = nullptr;
    const Lifetime* lifetime_ = nullptr;
};

enum class WaitMode {
    epoll,     // sleep in epoll_wait until a ring has data
    busy_poll, // spin on the producer positions: lowest latency, one core
    io_uring,  // sleep in io_uring_wait_cqe on poll requests for the ring fds
};

// The io_uring wait backend (liburing).
struct UringOptions {
    // The caller's instance, not owned. Then the caller waits and reaps:
    // it hands each CQE to handle_completion(), which claims the
    // consumer's own, and calls consume(). Null: the consumer creates and
    // owns an instance, and poll() does everything.
    ::io_uring* shared = nullptr;
    // Multishot poll: one request per ring for the consumer's lifetime
    // (Linux 5.13+; the consumer falls back by itself on older kernels).
    // False: one-shot poll, re-armed after each completion.
    bool multishot = true;
    unsigned entries = 64; // submission queue size of an owned instance
};

// Records taken from a ring with Consumer::next() or next_batch(): views of
// their payloads, valid until the batch is released (release(), or its
// destruction), which gives their space back to the producers. Until then
// its ring hands out nothing more. Move-only.
//
// Releasing needs the ring, not the consumer: a batch may outlive its
// consumer. A batch of a ring given to the consumer as a std::shared_ptr
// shares its ownership: the ring stays mapped until the batch is released
// too. A batch of a ring given by reference whose kring::Ring is destroyed
// first releases nothing (its views are invalid then): the ring's mapping
// went with it, so there is nothing to give back, and the consumer throws
// EPIPE for that ring. A batch of a ring given by its RingView needs that
// mapping until it is released.
//
// Thread safety: one thread at a time may use a batch; it may move to
// another thread and be read and released there while its consumer goes on
// on its own thread (the release publishes the consumer position, then
// frees the ring for the consumer's next take, with release ordering). The
// release must not run while a ring given by reference is being destroyed
// (as for any use of a kring::Ring).
class RecordBatch {
public:
    // The moved-from batch holds nothing (its hold moved), so it releases
    // nothing.
    RecordBatch(RecordBatch&& other) noexcept = default;
    RecordBatch& operator=(RecordBatch&& other) noexcept;
    RecordBatch(const RecordBatch&) = delete;
    RecordBatch& operator=(const RecordBatch&) = delete;
    ~RecordBatch();

    size_t ring() const noexcept { return ring_; } // the consumer's index of it
    size_t size() const noexcept { return records_.size(); }
    std::span<const std::byte> operator[](size_t i) const { return records_[i]; }
    auto begin() const noexcept { return records_.begin(); }
    auto end() const noexcept { return records_.end(); }
    // Gives the records' space back now (nothing if a ring given by
    // reference is gone); the views are then invalid.
    void release() noexcept;

private:
    friend class Consumer;
    RecordBatch(std::shared_ptr<detail::PullRing> ring, size_t index);

    std::shared_ptr<detail::PullRing> pull_;
    size_t ring_ = 0;
    uint64_t end_ = 0; // the ring position past the last record
    std::vector<std::span<const std::byte>> records_;
};

// Waits on several rings (with epoll, busy polling or io_uring) and
// consumes their records. A ring given as a std::shared_ptr is owned (kept
// alive) by the consumer; one given by reference is not, and a consumer
// whose kring::Ring was destroyed throws (EPIPE) rather than read it; one
// given by its RingView must outlive the consumer.
// Thread safety: one thread at a time may use a Consumer (its callbacks run
// on that thread); it may move to another thread. Consumers of different
// rings may run in parallel on their own threads. A ring has one consumer
// at a time, as the ring's protocol has a single consumer position. The
// exceptions: wake(), shut_down() and is_shut_down() may be called from any
// thread, while another one is in poll().
class Consumer {
public:
    explicit Consumer(WaitMode mode = WaitMode::epoll);
    // WaitMode::io_uring with these options.
    explicit Consumer(const UringOptions& uring);
    Consumer(Consumer&& other) noexcept;
    Consumer& operator=(Consumer&& other) noexcept;
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;
    ~Consumer();

    void add(const Ring& ring, Callback callback);
    void add(std::shared_ptr<const Ring> ring, Callback callback);
    // A ring given by its view and the fd that polls readable when it has
    // data (for rings that are not kring::Ring objects).
    void add(const RingView& view, int wait_fd, Callback callback);

    // Rings without a callback, read with the pull API: next() and
    // next_batch() take their records; consume() and poll() leave them
    // alone (poll() still wakes for them). wait() waits for any ring.
    void add(const Ring& ring);
    void add(std::shared_ptr<const Ring> ring);
    void add(const RingView& view, int wait_fd);
    // The next committed record of the first pull ring (by index) that has
    // one and holds no record still unreleased; none without waiting. A
    // ring's records come in ring order, discarded ones skipped, and a busy
    // record holds back every later one, as for callbacks.
    std::optional<RecordBatch> next() { return next_batch(1); }
    // Up to max records of one ring, as next().
    std::optional<RecordBatch> next_batch(size_t max);
    // Up to max records of pull ring `index` alone (none if it holds a batch).
    std::optional<RecordBatch> next_from(size_t index, size_t max = 1);
    // Waits up to timeout (forever if negative) for a ring to have a
    // committed record: true if one has (next() takes it), false if none has
    // when the wait ends: timeout, wake(), shut_down(), or a ring woke with
    // its next record still being written (as poll() returns 0); loop on
    // it, checking is_shut_down(). Sleeps only after the check before a
    // sleep found nothing, so a release() then wait() loses no wakeup.
    bool wait(std::chrono::milliseconds timeout);

    // Waits up to timeout for data (forever if negative), then consumes
    // everything available. Returns the records consumed (0 on timeout) or a
    // callback's negative value. Not with a shared io_uring (EINVAL): there
    // the caller waits.
    int64_t poll(std::chrono::milliseconds timeout);
    // Consumes everything available without waiting.
    int64_t consume();
    // Consumes at most n records without waiting.
    int64_t consume_n(uint64_t n);

    // Its rings, by index in the order add() was called.
    size_t ring_count() const noexcept { return sources_.size(); }
    // Throws (ERANGE) for an index past the last ring.
    RingState ring_state(size_t index) const;
    // Consumes at most n records of that ring alone, without waiting (all
    // of them by default); returns as consume().
    int64_t consume_ring(size_t index, uint64_t n = UINT64_MAX);
    // From any thread: a poll() waiting now, or else the next one, returns
    // without waiting any longer, having consumed what is there (maybe
    // nothing). With a shared io_uring, the caller's wait gets a completion
    // that handle_completion() claims.
    void wake();
    // From any thread: wakes as wake() does, and from then on poll() never
    // waits (it consumes what is there and returns), so the thread in it
    // can see is_shut_down() and leave its loop. consume() works as before,
    // to drain the rings. Destroying the consumer is still its own thread's
    // business, once no other thread is in it.
    void shut_down();
    bool is_shut_down() const noexcept;
    // The epoll fd (-1 in io_uring mode): readable when some ring has data,
    // for the caller's loop.
    int epoll_fd() const noexcept { return epoll_fd_; }
    // io_uring mode: true if `cqe` is one of this consumer's poll
    // completions (it re-arms the poll if needed; then call consume()),
    // false if it belongs to someone else. Throws if the poll failed.
    bool handle_completion(const ::io_uring_cqe& cqe);

private:
    struct Source {
        RingView view;
        Callback callback;                      // empty for a pull ring
        std::shared_ptr<detail::PullRing> pull; // a pull ring's batch state
        detail::RingHold hold;                  // a kring::Ring's: who keeps it mapped
    };
    void add_ring(const Ring& ring, Callback callback, std::shared_ptr<const Ring> owned);
    // The source's view; throws if its kring::Ring is gone.
    const RingView& live_view(const Source& source) const;
    void add_source(const RingView& view, int wait_fd, Callback callback,
                    detail::RingHold hold = {});
    std::optional<RecordBatch> take(size_t index, size_t max);
    friend class Merger;
    // Waits as poll() does; true if it should consume.
    bool wait_for_data(std::chrono::milliseconds timeout);
    // A limit of kNoLimit takes every record there is.
    static constexpr uint64_t kNoLimit = UINT64_MAX;
    int64_t consume_source(Source& source, uint64_t limit);
    template <bool kLimited>
    static int64_t drain(const RingView& view, const Callback& callback, uint64_t limit);
    const Source& source_at(size_t index) const;
    void watch_wakeup();
    int64_t consume_all(uint64_t limit);
    bool any_committed() const;

    WaitMode mode_;
    int epoll_fd_ = -1;
    // Declared before uring_, which polls its eventfd: destroyed after it.
    std::unique_ptr<detail::Wakeup> wakeup_;
    std::unique_ptr<detail::UringPolls> uring_; // the io_uring backend
    std::vector<Source> sources_;
};

// Several pull rings of a consumer read as one stream in the order of a key
// each record carries (its timestamp, say; each ring's keys non-decreasing,
// as per-CPU or per-subsystem rings of one clock are): a k-way merge that
// holds at most one record per ring, in place in its ring (no copy), so its
// memory is bounded by the number of rings.
//
// next() returns the record with the smallest key among the rings' next
// records once every ring has one. A ring with none holds the others back
// until it has stayed empty for `settle`; then the others go on without
// it, and a record it gets later with a key below one already returned
// comes out late (counted by late(), never dropped).
// Thread safety: as its consumer's, through which it takes its records:
// one thread at a time, the one that uses the consumer; it may move to
// another thread together with its consumer. The records it returns are
// RecordBatches, released on any thread as any batch.
class Merger {
public:
    using Key = std::function<uint64_t(std::span<const std::byte>)>;
    // Merges every pull ring the consumer has (rings added without a
    // callback); the consumer must outlive the merger.
    Merger(Consumer& consumer, Key key, std::chrono::milliseconds settle);

    // The next record in key order (a RecordBatch of one), or none now.
    std::optional<RecordBatch> next();
    uint64_t late() const noexcept { return late_; }

private:
    struct Head {
        size_t ring;
        std::optional<RecordBatch> record; // held in its ring
        uint64_t key = 0;
        std::chrono::steady_clock::time_point empty_since{};
    };

    Consumer* consumer_;
    Key key_;
    std::chrono::milliseconds settle_;
    std::vector<Head> heads_;
    bool any_returned_ = false;
    uint64_t last_key_ = 0;
    uint64_t late_ = 0;
};

} // namespace kring
