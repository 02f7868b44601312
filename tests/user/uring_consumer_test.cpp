// kring::Consumer's io_uring backend over userspace rings (kring/user_ring.hpp),
// whose eventfd stands in for a ring fd's poll wakeups.
#include "consumer_checks.hpp"
#include "kring/kring.hpp"

#include <atomic>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/user_ring.hpp>
#include <liburing.h>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using kring::UserRing;

namespace {

void produce(UserRing& ring, const std::string& text) {
    void* sample = ring.reserve(text.size());
    REQUIRE(sample != nullptr);
    std::memcpy(sample, text.data(), text.size());
    ring.commit(sample);
}

struct Collector {
    std::vector<std::string> records;
    kring::Callback callback() {
        return [this](std::span<const std::byte> r) {
            records.emplace_back(reinterpret_cast<const char*>(r.data()), r.size());
            return 0;
        };
    }
};

// The caller's own io_uring, for the shared-instance tests.
struct CallerRing {
    io_uring ring{};
    CallerRing() { REQUIRE(io_uring_queue_init(16, &ring, 0) == 0); }
    ~CallerRing() { io_uring_queue_exit(&ring); }
    // The next CQE within timeout_ms, copied and marked seen; false if none.
    bool next(io_uring_cqe* out, int timeout_ms = 1000) {
        io_uring_cqe* cqe = nullptr;
        __kernel_timespec ts{};
        ts.tv_nsec = timeout_ms * 1000000LL;
        if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) != 0)
            return false;
        *out = *cqe;
        io_uring_cqe_seen(&ring, cqe);
        return true;
    }
};

// Options that run the calling test case once with multishot polls and once
// with re-armed one-shot polls (a doctest subcase each).
kring::UringOptions each_poll_kind() {
    kring::UringOptions options;
    SUBCASE("multishot poll") {
        options.multishot = true;
    }
    SUBCASE("one-shot poll, re-armed") {
        options.multishot = false;
    }
    return options;
}

// A consumer on the caller's io_uring, with one ring added.
struct SharedUring {
    CallerRing caller;
    UserRing ring{4096};
    Collector got;
    std::optional<kring::Consumer> consumer; // destroyed before the caller's ring
    SharedUring() {
        kring::UringOptions options;
        options.shared = &caller.ring;
        consumer.emplace(options);
        consumer->add(ring.view(), ring.wake_fd(), got.callback());
    }
};

} // namespace

TEST_CASE("io_uring mode: poll times out with 0, and wakes up for a record") {
    kring::Consumer consumer(each_poll_kind());
    CHECK(consumer.epoll_fd() == -1);
    check_poll_timeout_then_wake(consumer);
}

TEST_CASE("io_uring mode: poll consumes waiting records without sleeping") {
    kring::Consumer consumer(each_poll_kind());
    check_poll_takes_waiting_records(consumer);
}

TEST_CASE("io_uring mode: several rings in order; a callback's stop value is returned") {
    UserRing a(4096), b(8192);
    kring::Consumer consumer(kring::WaitMode::io_uring);
    Collector got_a;
    std::vector<std::string> got_b;
    consumer.add(a.view(), a.wake_fd(), got_a.callback());
    consumer.add(b.view(), b.wake_fd(), [&](std::span<const std::byte> r) {
        got_b.emplace_back(reinterpret_cast<const char*>(r.data()), r.size());
        return got_b.back() == "stop" ? -42 : 0;
    });
    produce(a, "a1");
    produce(a, "a2");
    produce(b, "b1");
    CHECK(consumer.poll(std::chrono::milliseconds(100)) == 3);
    CHECK(got_a.records == std::vector<std::string>{"a1", "a2"});
    CHECK(got_b == std::vector<std::string>{"b1"});
    produce(b, "stop");
    produce(b, "after");
    CHECK(consumer.poll(std::chrono::milliseconds(100)) == -42);
    CHECK(got_b == std::vector<std::string>{"b1", "stop"});
    CHECK(consumer.poll(std::chrono::milliseconds(100)) == 1); // "after" is still there
    CHECK(got_b.back() == "after");
}

TEST_CASE("io_uring mode: a moved consumer keeps its polls") {
    UserRing ring(4096);
    kring::Consumer first(kring::WaitMode::io_uring);
    Collector got;
    first.add(ring.view(), ring.wake_fd(), got.callback());
    kring::Consumer second(std::move(first));
    produce(ring, "moved");
    CHECK(second.poll(std::chrono::milliseconds(1000)) == 1);
    CHECK(got.records == std::vector<std::string>{"moved"});
}

TEST_CASE("io_uring mode: producer threads, each record once and in order") {
    kring::Consumer consumer(each_poll_kind());
    check_producer_threads(consumer);
}

TEST_CASE_FIXTURE(SharedUring,
                  "a shared io_uring: the caller reaps, the consumer claims its own CQEs") {
    CHECK_THROWS_WITH_AS(consumer->poll(std::chrono::milliseconds(1)),
                         doctest::Contains("handle_completion"), kring::Error);

    // The caller's own request is not the consumer's.
    io_uring_sqe* sqe = io_uring_get_sqe(&caller.ring);
    REQUIRE(sqe != nullptr);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 42);
    REQUIRE(io_uring_submit(&caller.ring) == 1);
    io_uring_cqe cqe{};
    REQUIRE(caller.next(&cqe));
    CHECK(cqe.user_data == 42);
    CHECK_FALSE(consumer->handle_completion(cqe));

    produce(ring, "shared");
    REQUIRE(caller.next(&cqe));
    CHECK(consumer->handle_completion(cqe));
    CHECK((cqe.flags & IORING_CQE_F_MORE) != 0); // multishot: the poll goes on
    CHECK(consumer->consume() == 1);
    CHECK(got.records == std::vector<std::string>{"shared"});

    // A poll that fails is an error with its errno.
    io_uring_cqe failed = cqe;
    failed.res = -EBADF;
    try {
        consumer->handle_completion(failed);
        FAIL("a failed poll must throw");
    } catch (const kring::Error& e) {
        CHECK(e.errno_value() == EBADF);
        CHECK(std::string(e.what()).find("io_uring poll of ring fd") != std::string::npos);
    }

    // A kernel without multishot poll answers EINVAL: the consumer falls
    // back to one-shot polls, whose completions end without F_MORE.
    io_uring_cqe no_multishot = cqe;
    no_multishot.res = -EINVAL;
    no_multishot.flags = 0;
    CHECK(consumer->handle_completion(no_multishot));
    REQUIRE(caller.next(&cqe)); // the re-armed one-shot poll: the eventfd is readable
    CHECK(consumer->handle_completion(cqe));
    CHECK((cqe.flags & IORING_CQE_F_MORE) == 0);

    consumer.reset();
}

TEST_CASE_FIXTURE(SharedUring, "destroying a consumer on a shared io_uring withdraws its polls") {
    produce(ring, "first");
    io_uring_cqe cqe{};
    REQUIRE(caller.next(&cqe));
    CHECK(consumer->handle_completion(cqe));
    CHECK(consumer->consume() == 1); // caught up: the next commit wakes
    // While the multishot poll lives, every wakeup posts a CQE.
    produce(ring, "second");
    REQUIRE(caller.next(&cqe));
    CHECK(consumer->handle_completion(cqe));
    CHECK(consumer->consume() == 1);
    consumer.reset();
    while (caller.next(&cqe, 100)) { // the withdrawn poll's last CQEs
    }
    produce(ring, "unwatched");
    CHECK_FALSE(caller.next(&cqe, 50));
}

TEST_CASE("io_uring mode: wake() and shut_down() from another thread end a waiting poll") {
    kring::Consumer consumer(each_poll_kind());
    check_wake_and_shut_down(consumer);
}

TEST_CASE_FIXTURE(SharedUring, "a shared io_uring: wake() posts one completion the consumer "
                               "claims") {
    consumer->wake();
    io_uring_cqe cqe{};
    REQUIRE(caller.next(&cqe));
    CHECK(consumer->handle_completion(cqe));
    CHECK(consumer->consume() == 0);
    // Used up: no other completion follows.
    CHECK_FALSE(caller.next(&cqe, 50));
    consumer.reset();
}

TEST_CASE("io_uring setup errors say what to do") {
    CHECK_THROWS_WITH_AS(kring::Consumer(kring::UringOptions{nullptr, true, 1u << 20}),
                         doctest::Contains("io_uring_queue_init"), kring::Error);
}
