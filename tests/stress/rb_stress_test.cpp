// Several producer threads run the protocol of kmod/kring_rb_core.h, the
// very code the module runs, on a ring laid out as the kernel lays it out
// (data mapped twice), and one libkring Consumer, the code users run,
// consumes it. Under ThreadSanitizer this is the empirical check beside the
// litmus proofs: every committed record arrives exactly once, intact, in each
// producer's order, and every failed reservation is accounted for.
#include <atomic>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/user_ring.hpp>
#include <thread>
#include <vector>

using kring::UserRing;

namespace {

struct Record {
    uint32_t producer;
    uint32_t seq;
    // followed by (seq % 61) bytes, each (producer + seq) & 0xff
};

struct Consumed {
    std::vector<uint32_t> next_seq;
    uint64_t records = 0;
    uint64_t corrupt = 0;
    uint64_t out_of_order = 0;
};

int check_record(Consumed* c, const void* data, size_t size) {
    Record rec;
    if (size < sizeof(rec)) {
        c->corrupt++;
        return 0;
    }
    std::memcpy(&rec, data, sizeof(rec));
    uint32_t extra = rec.seq % 61;
    if (rec.producer >= c->next_seq.size() || size != sizeof(rec) + extra) {
        c->corrupt++;
        return 0;
    }
    const auto* bytes = static_cast<const uint8_t*>(data) + sizeof(rec);
    for (uint32_t i = 0; i < extra; i++)
        if (bytes[i] != static_cast<uint8_t>(rec.producer + rec.seq))
            c->corrupt++;
    // Discarded and dropped sequence numbers never arrive: only order counts.
    if (rec.seq < c->next_seq[rec.producer])
        c->out_of_order++;
    c->next_seq[rec.producer] = rec.seq + 1;
    c->records++;
    return 0;
}

struct ProducerTally {
    uint64_t committed = 0, discarded = 0, dropped = 0;
};

// Record `seq` of producer `p`, as check_record() expects it.
void fill_record(void* sample, int p, uint32_t seq) {
    Record rec{static_cast<uint32_t>(p), seq};
    std::memcpy(sample, &rec, sizeof(rec));
    std::memset(static_cast<uint8_t*>(sample) + sizeof(rec), static_cast<uint8_t>(p + seq),
                seq % 61);
}

// libkring's Consumer on `ring` until the producers are done (`running`
// reaches 0) and the ring is empty: what it received.
Consumed consume_all(UserRing& ring, int producers, const std::atomic<int>& running) {
    Consumed consumed;
    consumed.next_seq.assign(producers, 0);
    kring::Consumer consumer(kring::WaitMode::busy_poll);
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte> record) {
        return check_record(&consumed, record.data(), record.size());
    });
    for (;;) {
        bool done = running.load() == 0;
        int64_t n = consumer.consume();
        REQUIRE(n >= 0);
        if (done && n == 0 && kring_rb_avail_data(ring.rb()) == 0)
            break;
        if (n == 0)
            std::this_thread::yield();
    }
    return consumed;
}

} // namespace

TEST_CASE("producer threads and a consumer: every record exactly once, intact, in order") {
    constexpr int kProducers = 4;
    constexpr uint32_t kRecordsEach = 20000;
    UserRing ring(16 * 1024);
    std::vector<ProducerTally> tally(kProducers);
    std::atomic<int> running{kProducers};

    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; p++) {
        producers.emplace_back([&, p] {
            for (uint32_t seq = 0; seq < kRecordsEach; seq++) {
                uint32_t extra = seq % 61;
                void* sample = ring.reserve(sizeof(Record) + extra);
                if (!sample) {
                    tally[p].dropped++;
                    std::this_thread::yield();
                    continue;
                }
                fill_record(sample, p, seq);
                bool discard = seq % 17 == 0;
                ring.commit(sample, discard);
                (discard ? tally[p].discarded : tally[p].committed)++;
            }
            running--;
        });
    }

    Consumed consumed = consume_all(ring, kProducers, running);
    for (auto& t : producers)
        t.join();

    uint64_t committed = 0, dropped = 0, discarded = 0;
    for (auto& t : tally) {
        committed += t.committed;
        dropped += t.dropped;
        discarded += t.discarded;
    }
    CHECK(consumed.corrupt == 0);
    CHECK(consumed.out_of_order == 0);
    CHECK(consumed.records == committed);
    CHECK(committed + discarded + dropped == uint64_t{kProducers} * kRecordsEach);
    CHECK(discarded > 0);
    MESSAGE("committed " << committed << ", discarded " << discarded << ", dropped " << dropped);
}

TEST_CASE("producer threads carving records from blocks: every record exactly once, intact, in "
          "order") {
    // What the module's batches do (kring_batch_reserve() in
    // kmod/kring_ring.c): a block reserved under the lock as one busy record,
    // carved without it, each record committed with a release alone, the
    // unused rest discarded when a record does not fit or the batch ends.
    constexpr int kProducers = 4;
    constexpr uint32_t kRecordsEach = 20000;
    const uint64_t kBlock = 8 * kring_rb_record_span(sizeof(Record) + 60);
    UserRing ring(16 * 1024);
    std::vector<ProducerTally> tally(kProducers);
    std::vector<uint64_t> rests(kProducers);
    std::atomic<int> running{kProducers};
    std::atomic<uint64_t> carve_failures{0};

    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; p++) {
        producers.emplace_back([&, p] {
            kring_rb* rb = ring.rb();
            unsigned long next = 0, end = 0;
            for (uint32_t seq = 0; seq < kRecordsEach; seq++) {
                uint32_t extra = seq % 61;
                uint64_t size = sizeof(Record) + extra;
                void* sample = kring_rb_block_take(rb, &next, end, size);
                if (!sample) {
                    rests[p] += kring_rb_block_close(rb, &next, end);
                    void* block = ring.reserve(kBlock - KRING_HDR_SZ);
                    if (!block) {
                        tally[p].dropped++;
                        std::this_thread::yield();
                        continue;
                    }
                    // Offsets in the data area are positions enough here:
                    // the carve masks them, and only differences count.
                    next = static_cast<unsigned long>(static_cast<uint8_t*>(block) - KRING_HDR_SZ -
                                                      rb->data);
                    end = next + kBlock;
                    sample = kring_rb_block_take(rb, &next, end, size);
                    if (!sample) { // a fresh block holds any record
                        carve_failures++;
                        continue;
                    }
                }
                fill_record(sample, p, seq);
                bool discard = seq % 17 == 0;
                kring_rb_commit_quiet(sample, discard);
                (discard ? tally[p].discarded : tally[p].committed)++;
                // A batch ends now and then: its rest goes back at once.
                if (seq % 29 == 0)
                    rests[p] += kring_rb_block_close(rb, &next, end);
            }
            rests[p] += kring_rb_block_close(rb, &next, end);
            running--;
        });
    }

    Consumed consumed = consume_all(ring, kProducers, running);
    for (auto& t : producers)
        t.join();

    uint64_t committed = 0, dropped = 0, discarded = 0, rest = 0;
    for (int p = 0; p < kProducers; p++) {
        committed += tally[p].committed;
        dropped += tally[p].dropped;
        discarded += tally[p].discarded;
        rest += rests[p];
    }
    CHECK(consumed.corrupt == 0);
    CHECK(consumed.out_of_order == 0);
    CHECK(consumed.records == committed);
    CHECK(committed + discarded + dropped == uint64_t{kProducers} * kRecordsEach);
    CHECK(rest > 0);
    CHECK(carve_failures == 0);
    MESSAGE("committed " << committed << ", discarded " << discarded << ", dropped " << dropped
                         << ", rests " << rest);
}

TEST_CASE("a consumer position that claims too much never exposes a busy record's space") {
    UserRing ring(4096);
    void* held = ring.reserve(64);
    REQUIRE(held != nullptr);
    std::memset(held, 0xab, 64);
    // The consumer lies: it says it has consumed everything reserved so far.
    __atomic_store_n(ring.rb()->consumer_pos, *ring.rb()->producer_pos, __ATOMIC_RELEASE);
    uint64_t reserved = kring_rb_record_span(64);
    std::vector<void*> later;
    while (void* s = ring.reserve(56)) {
        std::memset(s, 0xcd, 56);
        later.push_back(s);
        reserved += kring_rb_record_span(56);
    }
    CHECK(reserved <= 4096);
    for (int i = 0; i < 64; i++)
        CHECK(static_cast<uint8_t*>(held)[i] == 0xab);
    kring_rb_commit(ring.rb(), held, false, 0);
    for (void* s : later)
        kring_rb_commit(ring.rb(), s, false, 0);
}

TEST_CASE("self-pacing: only the commit the consumer is waiting for asks for a wakeup") {
    UserRing ring(4096);
    void* first = ring.reserve(8);
    void* second = ring.reserve(8);
    REQUIRE(first);
    REQUIRE(second);
    // The consumer is at the first record: committing the second first must
    // not wake it (it cannot pass the first yet); committing the first must.
    CHECK_FALSE(kring_rb_commit(ring.rb(), second, false, 0));
    CHECK(kring_rb_commit(ring.rb(), first, false, 0));
    void* third = ring.reserve(8);
    CHECK_FALSE(kring_rb_commit(ring.rb(), third, false, KRING_NO_WAKEUP));
    void* fourth = ring.reserve(8);
    CHECK(kring_rb_commit(ring.rb(), fourth, false, KRING_FORCE_WAKEUP));
}
