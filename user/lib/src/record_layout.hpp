// The record layout that libkring's readers walk (the consume loop, the
// recorder, record files): what a header's length word holds and how much
// ring a record takes.
#pragma once

#include <cstdint>
#include <linux/kring.h>

namespace kring::detail {

// The payload size in a header's length word, without the state bits.
inline constexpr uint32_t kLengthMask = ~(KRING_BUSY_BIT | KRING_DISCARD_BIT);

// The bytes a record takes in the ring: its header and payload, rounded up
// to 8. `len` is the header's length word; its state bits are ignored.
inline uint64_t record_span(uint32_t len) {
    return KRING_RECORD_SPAN(len & kLengthMask);
}

} // namespace kring::detail
