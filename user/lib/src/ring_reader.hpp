// The one record walk of libkring. Every reader of a mapped ring goes
// through RingReader: the Consumer's consume loop, the Recorder's chunking,
// and the check both make before they sleep. The walk pairs with the
// kernel's reserve and commit in kmod/kring_rb_core.h; each barrier names the
// litmus test in litmus/ that shows it is needed.
#pragma once

#include "kring/kring.hpp"
#include "record_layout.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace kring::detail {

// A record whose producer is done with it: committed or discarded.
struct CommittedRecord {
    uint32_t len;                       // the header's length word
    uint64_t end;                       // the ring position just past it
    std::span<const std::byte> payload; // valid until the position is published past it

    bool discarded() const { return (len & KRING_DISCARD_BIT) != 0; }
    // The ring position of its header.
    uint64_t start() const { return end - record_span(len); }
};

// Gives the ring up to `pos` back to the producers: the consumer's only
// store of its position (RingReader::publish() says why it is a release).
inline void publish_consumer_position(const RingView& view, uint64_t pos) {
    __atomic_store_n(view.consumer_pos, pos, __ATOMIC_RELEASE);
}

// A reader's position in one ring and the committed records ahead of it.
// It keeps its own copy of the ring's addresses, on its walker's stack,
// which the callbacks called between records cannot change: through a
// reference into the consumer's sources, the compiler would have to load
// the reference and then each address again after every call.
class RingReader {
public:
    RingReader(const RingView& view, uint64_t pos)
        : view_(view), mask_(view.data_size - 1), pos_(pos) {
        refresh();
    }

    uint64_t position() const { return pos_; }
    // The producer position as last loaded.
    uint64_t producer_position() const { return prod_; }

    // Reloads the producer position. Acquire pairs with the reservation's
    // release: every header up to it is this lap's, busy or complete
    // (litmus/rb-publish-header.litmus).
    void refresh() { prod_ = __atomic_load_n(view_.producer_pos, __ATOMIC_ACQUIRE); }

    // Ends the walk at the first record that starts at or past `pos`, as
    // if the producers were there, until the next refresh(): a walk that
    // must stop by some position checks for it in the same comparison as
    // for the producer position, not in a second one per record.
    void stop_at(uint64_t pos) {
        if (pos < prod_)
            prod_ = pos;
    }

    // The record at the position if its producer is done with it; none at
    // the producer position last loaded (or the stop_at() position) or at
    // a record still busy, which holds back every later one.
    std::optional<CommittedRecord> committed() const {
        if (pos_ >= prod_)
            return std::nullopt;
        uint32_t len = header_len();
        if (len & KRING_BUSY_BIT)
            return std::nullopt;
        return record_here(len);
    }

    // The next record for a callback, taken: discarded records before it
    // are passed over (their space goes back with the next publish()); none
    // as committed(). A header with neither state bit set, the common case,
    // costs one test here, where committed() and then discarded() cost two.
    std::optional<CommittedRecord> next_delivered() {
        while (pos_ < prod_) {
            uint32_t len = header_len();
            if (__builtin_expect((len & (KRING_BUSY_BIT | KRING_DISCARD_BIT)) == 0, 1)) {
                CommittedRecord record = record_here(len);
                advance(record);
                return record;
            }
            if (len & KRING_BUSY_BIT)
                break;
            pos_ += record_span(len);
        }
        return std::nullopt;
    }

    // Takes `record`, the one committed() returned, and moves past it.
    void advance(const CommittedRecord& record) { pos_ = record.end; }

    // The committed record at the position, taken; none as committed().
    std::optional<CommittedRecord> next() {
        std::optional<CommittedRecord> record = committed();
        if (record)
            advance(*record);
        return record;
    }

    // Gives the ring up to the position back to the producers. Release:
    // only after our reads of the records behind it, the callbacks' or
    // the kernel's for a completed write (litmus/rb-space-reuse.litmus,
    // litmus/rb-discard.litmus, litmus/rb-recorder-ack.litmus).
    void publish() const { publish_consumer_position(view_, pos_); }

    // The check before a sleep, once the consumer position is published at
    // this reader's position: whether a committed record is there now. A
    // producer wakes the consumer only if its commit reads the consumer
    // position at its record; the full fence orders our position store
    // before the loads of the producer position and the header, the mirror
    // of the commit's exchange, so that either we see the record or its
    // producer sees us and wakes us (litmus/rb-consume-sleep.litmus; without
    // it, litmus/weakened/rb-consume-sleep-no-fence.litmus loses a wakeup).
    // The kernel's poll() has the same barrier, but neither an io_uring
    // multishot poll nor epoll for a file that is not on its ready list
    // calls poll() again before the thread sleeps.
    bool committed_after_fence() {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        refresh();
        return committed().has_value();
    }

private:
    // The length word of the header at the position. Acquire pairs with
    // the commit's exchange: a clear busy bit means the payload is complete
    // (litmus/rb-commit-publish.litmus,
    // litmus/rb-two-producers-payload.litmus).
    uint32_t header_len() const {
        const auto* hdr = reinterpret_cast<const kring_record_header*>(view_.data + (pos_ & mask_));
        return __atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE);
    }

    // The record at the position, whose header holds `len`.
    CommittedRecord record_here(uint32_t len) const {
        const std::byte* at = view_.data + (pos_ & mask_);
        return CommittedRecord{len, pos_ + record_span(len),
                               std::span<const std::byte>(at + KRING_HDR_SZ, len & kLengthMask)};
    }

    const RingView view_;
    const uint64_t mask_;
    uint64_t pos_;
    unsigned long prod_ = 0;
};

// Where a ring's single consumer stands. Relaxed: only the consumer writes
// its position.
inline uint64_t consumer_position(const RingView& view) {
    return __atomic_load_n(view.consumer_pos, __ATOMIC_RELAXED);
}

} // namespace kring::detail
