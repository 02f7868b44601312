// A kring::RecordBatch that outlives its consumer and its kring::Ring. A
// real kring::Ring needs no module here: a Linux BPF_MAP_TYPE_RINGBUF map,
// filled by a socket filter run with BPF_PROG_TEST_RUN (both need CAP_BPF;
// make check runs as root), is one (Ring::adopt_bpf_map). Its consumer page
// is really unmapped when the Ring goes, so a batch that wrote its consumer
// position there afterwards would fault (and ASan would report it).
#include "linux_bpf.hpp"

#include <algorithm>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/kring.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr uint32_t kRingSize = 4096;
constexpr uint64_t kValue = 0x11223344;

// A Linux ring buffer map and a program that outputs the 8-byte kValue to
// it each time it runs. The program holds the map, so the map outlives
// every kring::Ring of it.
struct LinuxRing {
    int map_fd = -1;
    int prog_fd = -1;

    LinuxRing() {
        map_fd = linuxbpf::create_ringbuf(kRingSize);
        REQUIRE_MESSAGE(map_fd >= 0, "BPF_MAP_CREATE of a ring buffer (needs CAP_BPF): "
                                         << std::strerror(-map_fd));
        std::string log;
        prog_fd = linuxbpf::load_ringbuf_output_filter(map_fd, static_cast<int32_t>(kValue), &log);
        REQUIRE_MESSAGE(prog_fd >= 0, "BPF_PROG_LOAD: " << std::strerror(-prog_fd) << "\n" << log);
    }
    ~LinuxRing() {
        ::close(prog_fd);
        ::close(map_fd);
    }
    LinuxRing(const LinuxRing&) = delete;
    LinuxRing& operator=(const LinuxRing&) = delete;

    // A kring::Ring of the map: a mapping of its own.
    kring::Ring ring() const { return kring::Ring::adopt_bpf_map(::dup(map_fd)); }

    void produce(uint32_t records) const {
        uint32_t retval = 0;
        int err = linuxbpf::test_run(prog_fd, records, &retval);
        REQUIRE_MESSAGE(err == 0, "BPF_PROG_TEST_RUN: " << std::strerror(err));
    }
};

uint64_t value_of(std::span<const std::byte> record) {
    uint64_t value = 0;
    std::memcpy(&value, record.data(), std::min(record.size(), sizeof(value)));
    return value;
}

} // namespace

TEST_CASE("a batch of a ring given as shared_ptr keeps it mapped after its consumer and the "
          "caller's pointer are gone") {
    LinuxRing linux_ring;
    const kring::Ring observer = linux_ring.ring(); // sees the consumer position
    auto ring = std::make_shared<const kring::Ring>(linux_ring.ring());
    const std::weak_ptr<const kring::Ring> watch = ring;
    std::optional<kring::RecordBatch> batch;
    {
        kring::Consumer consumer;
        consumer.add(ring);
        ring.reset();
        linux_ring.produce(2);
        batch = consumer.next_batch(8);
    }
    REQUIRE(batch);
    // The batch is the ring's last owner: still mapped, its records readable.
    CHECK_FALSE(watch.expired());
    REQUIRE(batch->size() == 2);
    CHECK(value_of((*batch)[0]) == kValue);
    CHECK(value_of((*batch)[1]) == kValue);
    CHECK(*observer.view().consumer_pos == 0);
    // Destroying it gives the space back, then lets the ring go.
    batch.reset();
    CHECK(*observer.view().consumer_pos == *observer.view().producer_pos);
    CHECK(watch.expired());
}

TEST_CASE("a batch of a ring given by reference releases nothing once that ring is destroyed") {
    LinuxRing linux_ring;
    const kring::Ring observer = linux_ring.ring();
    std::optional<kring::Ring> ring(linux_ring.ring());
    std::optional<kring::RecordBatch> batch;
    {
        kring::Consumer consumer;
        consumer.add(*ring);
        linux_ring.produce(1);
        batch = consumer.next();
    }
    REQUIRE(batch);
    CHECK(value_of((*batch)[0]) == kValue);
    ring.reset(); // unmapped, with the batch still unreleased
    // No write to the unmapped consumer page: the ring is gone, so there is
    // nothing to give back; the map (seen through another mapping) keeps
    // its record unconsumed.
    batch->release();
    CHECK(batch->size() == 0);
    CHECK(*observer.view().consumer_pos == 0);
    CHECK(*observer.view().producer_pos > 0);
}

TEST_CASE("a consumer whose by-reference ring is gone refuses it while one of its batches is "
          "out") {
    LinuxRing linux_ring;
    std::optional<kring::Ring> ring(linux_ring.ring());
    kring::Consumer consumer;
    consumer.add(*ring);
    linux_ring.produce(1);
    std::optional<kring::RecordBatch> batch = consumer.next();
    REQUIRE(batch);
    ring.reset();
    batch.reset(); // releases nothing, and no longer holds the ring back
    CHECK_THROWS_WITH_AS(consumer.next(), doctest::Contains("destroyed before its consumer"),
                         kring::Error);
}
