// kring::Consumer over rings in userspace memory produced into with the
// module's own protocol code (kring/user_ring.hpp).
#include "consumer_checks.hpp"
#include "kring/kring.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <doctest/doctest.h>
#include <functional>
#include <kring/user_ring.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using kring::UserRing;

namespace {

void* produce(UserRing& ring, const std::string& text, bool commit = true, bool discard = false) {
    void* sample = ring.reserve(text.size());
    REQUIRE(sample != nullptr);
    std::memcpy(sample, text.data(), text.size());
    if (commit)
        ring.commit(sample, discard);
    return sample;
}

std::string as_text(std::span<const std::byte> record) {
    return std::string(reinterpret_cast<const char*>(record.data()), record.size());
}

struct Collector {
    std::vector<std::string> records;
    kring::Callback callback() {
        return [this](std::span<const std::byte> r) {
            records.push_back(as_text(r));
            return 0;
        };
    }
};

} // namespace

TEST_CASE("records arrive in ring order; discarded ones are skipped") {
    UserRing ring(4096);
    kring::Consumer consumer;
    Collector got;
    consumer.add(ring.view(), ring.wake_fd(), got.callback());
    produce(ring, "one");
    produce(ring, "two", true, true);
    produce(ring, "three");
    CHECK(consumer.consume() == 2);
    CHECK(got.records == std::vector<std::string>{"one", "three"});
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
    CHECK(consumer.consume() == 0);
}

TEST_CASE("a busy record stops consumption until it is committed") {
    UserRing ring(4096);
    kring::Consumer consumer;
    Collector got;
    consumer.add(ring.view(), ring.wake_fd(), got.callback());
    produce(ring, "first");
    void* busy = produce(ring, "second", false);
    produce(ring, "third");
    CHECK(consumer.consume() == 1);
    CHECK(got.records == std::vector<std::string>{"first"});
    ring.commit(busy);
    CHECK(consumer.consume() == 2);
    CHECK(got.records == std::vector<std::string>{"first", "second", "third"});
}

TEST_CASE("a record that wraps the end of the data area arrives intact") {
    UserRing ring(4096);
    kring::Consumer consumer;
    Collector got;
    consumer.add(ring.view(), ring.wake_fd(), got.callback());
    produce(ring, std::string(4000, 'a'));
    CHECK(consumer.consume() == 1);
    std::string wrapping;
    for (int i = 0; i < 1000; i++)
        wrapping += static_cast<char>('A' + i % 26);
    produce(ring, wrapping);
    CHECK((*ring.producer_pos() & 4095) < (*ring.consumer_pos() & 4095));
    CHECK(consumer.consume() == 1);
    CHECK(got.records.back() == wrapping);
}

TEST_CASE("a negative callback value stops consumption and is returned") {
    UserRing ring(4096);
    kring::Consumer consumer;
    int calls = 0;
    consumer.add(ring.view(), ring.wake_fd(),
                 [&](std::span<const std::byte>) { return ++calls == 2 ? -42 : 0; });
    for (int i = 0; i < 4; i++)
        produce(ring, "r" + std::to_string(i));
    CHECK(consumer.consume() == -42);
    CHECK(calls == 2);
    // The stopping record counts as consumed: the next call resumes after it.
    CHECK(consumer.consume() == 2);
    CHECK(calls == 4);
}

TEST_CASE("a callback that throws: its record stays unconsumed and comes first next time") {
    UserRing ring(4096);
    kring::Consumer consumer;
    std::vector<std::string> got;
    bool fail_once = true;
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte> r) {
        if (as_text(r) == "two" && fail_once) {
            fail_once = false;
            throw std::runtime_error("callback failed");
        }
        got.push_back(as_text(r));
        return 0;
    });
    produce(ring, "one");
    produce(ring, "gone", true, true); // discarded
    produce(ring, "two");
    produce(ring, "three");
    CHECK_THROWS_WITH_AS(consumer.consume(), "callback failed", std::runtime_error);
    CHECK(got == std::vector<std::string>{"one"});
    // "one" and the discarded record (8 bytes of header, 3 or 4 of payload,
    // rounded to 16) are given back to the producers, "two" is not.
    CHECK(*ring.consumer_pos() == 32);
    // poll() finds the record left behind without waiting for a wakeup.
    CHECK(consumer.poll(std::chrono::milliseconds(-1)) == 2);
    CHECK(got == std::vector<std::string>{"one", "two", "three"});
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
}

TEST_CASE("consume() gives space back once per drain, and every quarter ring in a long one") {
    UserRing ring(4096);
    kring::Consumer consumer;
    std::vector<uint64_t> seen; // the consumer position during each callback
    consumer.add(ring.view(), ring.wake_fd(), [&](std::span<const std::byte>) {
        seen.push_back(*ring.consumer_pos());
        return 0;
    });
    const std::string payload(24, 'x'); // 32 bytes of ring each
    for (int i = 0; i < 100; i++)
        produce(ring, payload);
    CHECK(consumer.consume() == 100);
    REQUIRE(seen.size() == 100);
    // Published after the 32nd record (1024 bytes, a quarter of the ring),
    // the 64th and the 96th, and at the end of the drain.
    CHECK(seen[0] == 0);
    CHECK(seen[31] == 0);
    CHECK(seen[32] == 1024);
    CHECK(seen[64] == 2048);
    CHECK(seen[99] == 3072);
    CHECK(*ring.consumer_pos() == 3200);
}

TEST_CASE("per-ring access: state, and consuming one ring alone") {
    UserRing first(4096), second(8192);
    kring::Consumer consumer;
    Collector got_first, got_second;
    consumer.add(first.view(), first.wake_fd(), got_first.callback());
    consumer.add(second.view(), second.wake_fd(), got_second.callback());
    REQUIRE(consumer.ring_count() == 2);
    produce(first, "a");
    produce(second, "bb");
    produce(second, "ccc");
    void* busy = produce(second, "dddd", false);

    kring::RingState s = consumer.ring_state(1);
    CHECK(s.size == 8192);
    CHECK(s.consumer_pos == 0);
    CHECK(s.producer_pos == *second.producer_pos());
    // Three records, the busy one included: each a header and its payload
    // rounded up to 8 bytes.
    CHECK(s.available_bytes == 3 * KRING_RECORD_SPAN(4));
    CHECK(consumer.ring_state(0).available_bytes == KRING_RECORD_SPAN(1));

    // The second ring alone, at most one record, then the rest up to the
    // busy one; the first ring is left as it was.
    CHECK(consumer.consume_ring(1, 1) == 1);
    CHECK(consumer.consume_ring(1) == 1);
    CHECK(got_second.records == std::vector<std::string>{"bb", "ccc"});
    CHECK(got_first.records.empty());
    CHECK(consumer.ring_state(1).available_bytes == KRING_RECORD_SPAN(4));
    CHECK(consumer.ring_state(0).consumer_pos == 0);
    second.commit(busy);
    CHECK(consumer.consume_ring(1) == 1);
    CHECK(consumer.ring_state(1).available_bytes == 0);
    CHECK(consumer.consume_ring(0) == 1);
    CHECK(got_first.records == std::vector<std::string>{"a"});

    CHECK_THROWS_WITH_AS(consumer.ring_state(2), doctest::Contains("no ring 2 (it has 2"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(consumer.consume_ring(5), doctest::Contains("no ring 5"), kring::Error);
}

TEST_CASE("the pull API: next() hands out a ring's records one at a time, each released in turn") {
    UserRing ring(4096);
    kring::Consumer consumer;
    consumer.add(ring.view(), ring.wake_fd());
    CHECK_FALSE(consumer.next());
    produce(ring, "one");
    produce(ring, "two", true, true); // discarded
    produce(ring, "three");
    {
        std::optional<kring::RecordBatch> first = consumer.next();
        REQUIRE(first);
        REQUIRE(first->size() == 1);
        CHECK(as_text((*first)[0]) == "one");
        CHECK(first->ring() == 0);
        // Held: its space is not given back, and the ring hands out nothing.
        CHECK(*ring.consumer_pos() == 0);
        CHECK_FALSE(consumer.next());
    } // released here
    CHECK(*ring.consumer_pos() == KRING_RECORD_SPAN(3));
    std::optional<kring::RecordBatch> third = consumer.next();
    REQUIRE(third);
    CHECK(as_text((*third)[0]) == "three");
    third->release();
    CHECK(third->size() == 0);
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
    // consume() and poll() leave a pull ring alone; consume_ring refuses it.
    produce(ring, "four");
    CHECK(consumer.consume() == 0);
    CHECK_THROWS_WITH_AS(consumer.consume_ring(0), doctest::Contains("read with next()"),
                         kring::Error);
    CHECK(consumer.next_batch(8)->size() == 1);
}

TEST_CASE("the pull API: a batch, a busy record, several rings, and wait()") {
    UserRing a(4096), b(4096);
    kring::Consumer consumer;
    consumer.add(a.view(), a.wake_fd());
    consumer.add(b.view(), b.wake_fd());
    for (const char* text : {"a1", "a2", "a3"})
        produce(a, text);
    void* busy = produce(a, "a4", false);
    produce(a, "a5");
    produce(b, "b1");
    CHECK(consumer.wait(std::chrono::milliseconds(0)));
    // Ring 0 first, at most 2; then ring 0 is held, so ring 1.
    std::optional<kring::RecordBatch> batch = consumer.next_batch(2);
    REQUIRE(batch);
    CHECK(batch->ring() == 0);
    std::vector<std::string> texts;
    for (std::span<const std::byte> r : *batch)
        texts.push_back(as_text(r));
    CHECK(texts == std::vector<std::string>{"a1", "a2"});
    std::optional<kring::RecordBatch> other = consumer.next_batch(2);
    REQUIRE(other);
    CHECK(other->ring() == 1);
    CHECK(as_text((*other)[0]) == "b1");
    // Both rings held: nothing more, and wait() does not call that data.
    CHECK_FALSE(consumer.next());
    CHECK_FALSE(consumer.wait(std::chrono::milliseconds(10)));
    batch.reset();
    other.reset();
    // a3, then the busy a4 holds back a5.
    std::optional<kring::RecordBatch> rest = consumer.next_batch(10);
    REQUIRE(rest);
    CHECK(rest->size() == 1);
    CHECK(as_text((*rest)[0]) == "a3");
    rest.reset();
    CHECK_FALSE(consumer.next());
    // A producer on another thread commits it; wait() sees it.
    std::thread committer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        a.commit(busy);
    });
    bool committed = false;
    for (int i = 0; i < 100000 && !committed; i++)
        committed = consumer.wait(std::chrono::minutes(1));
    CHECK(committed);
    committer.join();
    rest = consumer.next_batch(10);
    REQUIRE(rest);
    CHECK(rest->size() == 2);
    // A batch outlives its consumer: releasing it needs only the ring.
    consumer = kring::Consumer();
    rest.reset();
    CHECK(*a.consumer_pos() == *a.producer_pos());
}

TEST_CASE("the pull API against producer threads: each record once, in order") {
    ProducerThreads producers;
    producers.start();
    kring::Consumer consumer;
    consumer.add(producers.ring.view(), producers.ring.wake_fd());
    while (!producers.done()) {
        std::optional<kring::RecordBatch> batch = consumer.next_batch(64);
        if (!batch) {
            consumer.wait(std::chrono::milliseconds(1));
            continue;
        }
        for (std::span<const std::byte> r : *batch)
            producers.received_record(r);
    }
    producers.finish();
}

namespace {

void produce_key(UserRing& ring, uint64_t key) {
    void* sample = ring.reserve(sizeof(key));
    REQUIRE(sample != nullptr);
    std::memcpy(sample, &key, sizeof(key));
    ring.commit(sample);
}

uint64_t key_of(std::span<const std::byte> record) {
    uint64_t key = 0;
    std::memcpy(&key, record.data(), std::min(record.size(), sizeof(key)));
    return key;
}

// The keys next() returns until it returns none, each released at once.
std::vector<uint64_t> drain(kring::Merger& merger) {
    std::vector<uint64_t> keys;
    while (std::optional<kring::RecordBatch> r = merger.next())
        keys.push_back(key_of((*r)[0]));
    return keys;
}

} // namespace

TEST_CASE("a merger reads several rings in key order, one record held per ring") {
    UserRing a(4096), b(4096), c(4096);
    kring::Consumer consumer;
    for (UserRing* r : {&a, &b, &c})
        consumer.add(r->view(), r->wake_fd());
    for (uint64_t k : {1, 4, 7})
        produce_key(a, k);
    for (uint64_t k : {2, 5, 8})
        produce_key(b, k);
    for (uint64_t k : {3, 6, 9})
        produce_key(c, k);
    kring::Merger merger(consumer, key_of, std::chrono::hours(1));
    {
        std::optional<kring::RecordBatch> first = merger.next();
        REQUIRE(first);
        CHECK(key_of((*first)[0]) == 1);
        // Each ring holds its next record in place: nothing else is taken.
        CHECK(consumer.ring_state(1).consumer_pos == 0);
        CHECK(consumer.ring_state(2).consumer_pos == 0);
        CHECK_FALSE(consumer.next());
    }
    // Then every ring must have a record: a drained ring holds the rest back.
    CHECK(drain(merger) == std::vector<uint64_t>{2, 3, 4, 5, 6, 7});
    produce_key(a, 10);
    CHECK(drain(merger) == std::vector<uint64_t>{8});
    CHECK(merger.late() == 0);
}

TEST_CASE("a merger goes on without a ring that stayed empty; its later records come out late") {
    UserRing a(4096), b(4096);
    kring::Consumer consumer;
    consumer.add(a.view(), a.wake_fd());
    consumer.add(b.view(), b.wake_fd());
    kring::Merger merger(consumer, key_of, std::chrono::milliseconds(0));
    CHECK_FALSE(merger.next());
    produce_key(a, 5);
    produce_key(a, 6);
    CHECK(drain(merger) == std::vector<uint64_t>{5, 6});
    produce_key(b, 3);
    CHECK(drain(merger) == std::vector<uint64_t>{3});
    CHECK(merger.late() == 1);
    CHECK(*a.consumer_pos() == *a.producer_pos());
    CHECK(*b.consumer_pos() == *b.producer_pos());
    kring::Consumer no_pull_rings;
    CHECK_THROWS_WITH_AS(kring::Merger(no_pull_rings, key_of, std::chrono::milliseconds(0)),
                         doctest::Contains("no ring added without a callback"), kring::Error);
}

TEST_CASE("consume_n consumes at most n records") {
    UserRing ring(4096);
    kring::Consumer consumer;
    Collector got;
    consumer.add(ring.view(), ring.wake_fd(), got.callback());
    for (int i = 0; i < 5; i++) {
        produce(ring, std::to_string(i));
        produce(ring, "gone", true, true); // discarded: not counted
    }
    CHECK(consumer.consume_n(0) == 0);
    CHECK(consumer.consume_n(2) == 2);
    CHECK(consumer.consume_n(2) == 2);
    CHECK(consumer.consume_n(2) == 1);
    CHECK(got.records == std::vector<std::string>{"0", "1", "2", "3", "4"});
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
}

TEST_CASE("kring::Callback: converts like a std::function, copies the callable, empty when "
          "given nothing to call") {
    const std::byte bytes[3] = {};
    const std::span<const std::byte> record(bytes);
    int calls = 0;
    kring::Callback counting = [&calls, seen = 0](std::span<const std::byte> r) mutable {
        calls++;
        return ++seen * 10 + int(r.size());
    };
    REQUIRE(counting);
    CHECK(counting(record) == 13);
    // A copy has its own callable: its state goes on from the copy's.
    kring::Callback copy = counting;
    CHECK(copy(record) == 23);
    CHECK(copy(record) == 33);
    CHECK(counting(record) == 23);
    CHECK(calls == 4);
    kring::Callback moved = std::move(counting);
    CHECK_FALSE(counting); // NOLINT(bugprone-use-after-move): moved from is empty
    CHECK(moved(record) == 33);
    copy = moved;
    CHECK(copy(record) == 43);

    CHECK_FALSE(kring::Callback{});
    CHECK_FALSE(kring::Callback(std::function<int(std::span<const std::byte>)>{}));
    CHECK_FALSE(kring::Callback(static_cast<int (*)(std::span<const std::byte>)>(nullptr)));
    CHECK_THROWS_AS(kring::Callback{}(record), std::bad_function_call);
    std::function<int(std::span<const std::byte>)> wrapped = [](auto r) {
        return int(r.size());
    };
    kring::Callback from_function = wrapped;
    CHECK(from_function(record) == 3);

    // As a consumer's callback, for each record.
    UserRing ring(4096);
    kring::Consumer consumer;
    calls = 0;
    consumer.add(ring.view(), ring.wake_fd(), copy);
    produce(ring, "a");
    produce(ring, "b");
    CHECK(consumer.consume() == 2);
    CHECK(calls == 2);
}

TEST_CASE("poll times out with 0, and wakes up for a record") {
    kring::Consumer consumer;
    check_poll_timeout_then_wake(consumer);
}

TEST_CASE("poll consumes waiting records without sleeping, in epoll and busy-poll mode") {
    kring::Consumer epoll_consumer(kring::WaitMode::epoll);
    check_poll_takes_waiting_records(epoll_consumer);
    kring::Consumer busy_consumer(kring::WaitMode::busy_poll);
    check_poll_takes_waiting_records(busy_consumer);
}

TEST_CASE("busy-poll mode consumes without epoll") {
    UserRing ring(4096);
    kring::Consumer consumer(kring::WaitMode::busy_poll);
    Collector got;
    consumer.add(ring.view(), ring.wake_fd(), got.callback());
    CHECK(consumer.poll(std::chrono::milliseconds(5)) == 0);
    produce(ring, "spin");
    CHECK(consumer.poll(std::chrono::milliseconds(1000)) == 1);
    CHECK(got.records == std::vector<std::string>{"spin"});
}

TEST_CASE("one consumer, several rings, each with its own callback") {
    UserRing a(4096), b(8192);
    kring::Consumer consumer;
    Collector got_a, got_b;
    consumer.add(a.view(), a.wake_fd(), got_a.callback());
    consumer.add(b.view(), b.wake_fd(), got_b.callback());
    produce(a, "a1");
    produce(b, "b1");
    produce(b, "b2");
    CHECK(consumer.poll(std::chrono::milliseconds(100)) == 3);
    CHECK(got_a.records == std::vector<std::string>{"a1"});
    CHECK(got_b.records == std::vector<std::string>{"b1", "b2"});
}

TEST_CASE("a moved consumer keeps its rings; the epoll fd is exposed") {
    UserRing ring(4096);
    kring::Consumer first;
    Collector got;
    first.add(ring.view(), ring.wake_fd(), got.callback());
    int epfd = first.epoll_fd();
    CHECK(epfd >= 0);
    kring::Consumer second(std::move(first));
    CHECK(second.epoll_fd() == epfd);
    CHECK(first.epoll_fd() == -1);
    produce(ring, "moved");
    CHECK(second.consume() == 1);
}

TEST_CASE("errors carry errno and say what was being done") {
    kring::Consumer consumer;
    UserRing ring(4096);
    CHECK_THROWS_WITH_AS(consumer.add(ring.view(), ring.wake_fd(), kring::Callback{}),
                         doctest::Contains("without a callback"), kring::Error);
    CHECK_THROWS_WITH_AS(consumer.add(kring::RingView{}, ring.wake_fd(), [](auto) { return 0; }),
                         doctest::Contains("not mapped"), kring::Error);
    try {
        consumer.add(ring.view(), -1, [](auto) { return 0; });
        FAIL("adding fd -1 must throw");
    } catch (const kring::Error& e) {
        CHECK(e.errno_value() == EBADF);
        CHECK(std::string(e.what()).find("EPOLL_CTL_ADD of ring fd -1") != std::string::npos);
    }
    try {
        kring::Ring::adopt(ring.wake_fd() >= 0 ? ::dup(ring.wake_fd()) : -1);
        FAIL("adopting an eventfd must throw");
    } catch (const kring::Error& e) {
        CHECK(e.errno_value() == ENOTTY);
        CHECK(std::string(e.what()).find("not a /dev/kring fd") != std::string::npos);
    }
}

TEST_CASE("wake() and shut_down() from another thread end a waiting poll (epoll, busy poll)") {
    SUBCASE("epoll") {
        kring::Consumer consumer(kring::WaitMode::epoll);
        check_wake_and_shut_down(consumer);
    }
    SUBCASE("busy poll") {
        kring::Consumer consumer(kring::WaitMode::busy_poll);
        check_wake_and_shut_down(consumer);
    }
}

TEST_CASE("producer threads and the library's consumer: each record once, in order") {
    kring::Consumer consumer;
    check_producer_threads(consumer);
}

TEST_CASE("consumers made on one thread, moved to others, run there at once (as kring.hpp "
          "states)") {
    // What the header promises: a Consumer is used by one thread at a time,
    // may move between threads, and Consumers of different rings run in
    // parallel. TSan (make check's tsan suite) sees any state they share.
    std::vector<kring::Consumer> consumers;
    consumers.emplace_back(kring::WaitMode::epoll);
    consumers.emplace_back(kring::WaitMode::busy_poll);
    std::vector<std::thread> threads;
    for (kring::Consumer& c : consumers)
        threads.emplace_back([moved = std::move(c)]() mutable { check_producer_threads(moved); });
    for (std::thread& t : threads)
        t.join();
}

TEST_CASE("batches read and released on another thread while their consumer goes on taking (as "
          "kring.hpp states)") {
    // The consumer's thread takes batches and hands each to a reader
    // thread, which reads and releases it; meanwhile the consumer's thread
    // goes on trying the ring (held until that release) and waiting.
    ProducerThreads producers;
    producers.start();
    kring::Consumer consumer;
    consumer.add(producers.ring.view(), producers.ring.wake_fd());
    std::mutex mutex;
    std::condition_variable handed_over;
    std::optional<kring::RecordBatch> handed;
    bool taken_all = false;
    std::thread reader([&] {
        std::unique_lock lock(mutex);
        while (true) {
            handed_over.wait(lock, [&] { return handed || taken_all; });
            if (!handed)
                return;
            std::optional<kring::RecordBatch> batch = std::move(handed);
            handed.reset();
            lock.unlock();
            for (std::span<const std::byte> r : *batch)
                producers.received_record(r);
            batch.reset(); // released here, not on the consumer's thread
            lock.lock();
        }
    });
    const uint64_t total = uint64_t{ProducerThreads::kProducers} * ProducerThreads::kEach;
    for (uint64_t taken = 0; taken < total;) {
        std::optional<kring::RecordBatch> batch = consumer.next_batch(64);
        if (!batch) {
            consumer.wait(std::chrono::milliseconds(1));
            continue;
        }
        taken += batch->size();
        std::lock_guard lock(mutex);
        handed = std::move(batch);
        handed_over.notify_one();
    }
    {
        std::lock_guard lock(mutex);
        taken_all = true;
        handed_over.notify_one();
    }
    reader.join();
    producers.finish();
    CHECK(*producers.ring.consumer_pos() == *producers.ring.producer_pos());
}

TEST_CASE("a merger and its consumer made on one thread run on another, producers on a third") {
    UserRing a(4096), b(4096);
    kring::Consumer consumer;
    consumer.add(a.view(), a.wake_fd());
    consumer.add(b.view(), b.wake_fd());
    kring::Merger merger(consumer, key_of, std::chrono::hours(1));
    constexpr uint64_t kKeys = 400; // odd ones in a, even ones in b
    std::vector<uint64_t> keys;
    std::thread merging([&, moved = std::move(merger)]() mutable {
        // Every key but the last: a ring with none holds the others back.
        while (keys.size() < kKeys - 1) {
            if (std::optional<kring::RecordBatch> r = moved.next())
                keys.push_back(key_of((*r)[0]));
            else
                consumer.wait(std::chrono::milliseconds(1));
        }
    });
    for (uint64_t k = 1; k <= kKeys; k++) {
        UserRing& ring = k % 2 ? a : b;
        void* sample;
        while (!(sample = ring.reserve(sizeof(k))))
            std::this_thread::yield();
        std::memcpy(sample, &k, sizeof(k));
        ring.commit(sample);
    }
    merging.join();
    std::vector<uint64_t> expected(kKeys - 1);
    for (uint64_t k = 1; k < kKeys; k++)
        expected[k - 1] = k;
    CHECK(keys == expected);
}
