// /dev/kring from userspace, against the real module: argument validation,
// mappings and their permissions, record layout, wrap-around, full rings,
// statistics and lifetime.
#include "vm_util.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

using namespace vmtest;

namespace {

constexpr uint64_t kSize = 16 * 1024;

std::vector<uint8_t> pattern(size_t len, uint8_t seed) {
    std::vector<uint8_t> v(len);
    for (size_t i = 0; i < len; i++)
        v[i] = static_cast<uint8_t>(seed + i * 7);
    return v;
}

// An address no process has mapped, hidden from the compiler's checks.
const void* unmapped_address() {
    static volatile uintptr_t addr = 8;
    return reinterpret_cast<const void*>(addr);
}

void* map(int fd, size_t len, int prot, int flags, off_t pgoff) {
    return ::mmap(nullptr, len, prot, flags, fd, pgoff * static_cast<off_t>(page_size()));
}

} // namespace

TEST_CASE("create validates size, flags and reserved fields") {
    Fd fd = open_device();
    CHECK(create(fd.get(), 0) == EINVAL);
    CHECK(create(fd.get(), page_size() / 2) == EINVAL);
    CHECK(create(fd.get(), 3 * page_size()) == EINVAL);
    CHECK(create(fd.get(), KRING_MAX_DATA_SIZE * 2) == E2BIG);
    CHECK(create(fd.get(), ~0ULL) == E2BIG);
    CHECK(create(fd.get(), kSize, 1) == EINVAL);
    CHECK(create(fd.get(), kSize, 0x80000000u) == EINVAL);
    CHECK(create(fd.get(), kSize, 0, 1) == EINVAL);
    CHECK(::ioctl(fd.get(), KRING_IOC_CREATE, nullptr) == -1);
    CHECK(errno == EFAULT);
    CHECK(create(fd.get(), page_size()) == 0);
    CHECK(create(fd.get(), kSize) == EEXIST);
    CHECK(query(fd.get()).ring_size == page_size());
}

TEST_CASE("a fd without a ring refuses everything but create, and polls without events") {
    Fd fd = open_device();
    uint8_t byte = 1;
    kring_query q;
    kring_stats s;
    CHECK(::write(fd.get(), &byte, 1) == -1);
    CHECK(errno == ENXIO);
    CHECK(::ioctl(fd.get(), KRING_IOC_QUERY, &q) == -1);
    CHECK(errno == ENXIO);
    CHECK(::ioctl(fd.get(), KRING_IOC_STATS, &s) == -1);
    CHECK(errno == ENXIO);
    CHECK(map(fd.get(), page_size(), PROT_READ, MAP_SHARED, 0) == MAP_FAILED);
    CHECK(errno == ENXIO);
    pollfd pfd{fd.get(), POLLIN, 0};
    CHECK(::poll(&pfd, 1, 0) == 0);
}

TEST_CASE("unknown ioctls fail with ENOTTY") {
    Fd fd = make_ring(kSize);
    CHECK(::ioctl(fd.get(), _IO(KRING_IOC_MAGIC, 99)) == -1);
    CHECK(errno == ENOTTY);
    CHECK(::ioctl(fd.get(), _IOR('x', 2, kring_query), nullptr) == -1);
    CHECK(errno == ENOTTY);
}

TEST_CASE("write validates its arguments") {
    Fd fd = make_ring(kSize);
    CHECK(::write(fd.get(), nullptr, 0) == 0);
    CHECK(query(fd.get()).producer_pos == 0);
    std::vector<uint8_t> big(kSize);
    CHECK(write_record(fd.get(), big.data(), kSize - KRING_HDR_SZ + 1) == EMSGSIZE);
    CHECK(write_record(fd.get(), unmapped_address(), 16) == EFAULT);
    CHECK(query(fd.get()).producer_pos == 0);
    uint8_t byte = 0;
    CHECK(output(fd.get(), &byte, 1, 4) == EINVAL);
    CHECK(output(fd.get(), nullptr, 8, 0) == EFAULT);
    CHECK(::ioctl(fd.get(), KRING_IOC_OUTPUT, reinterpret_cast<void*>(8)) == -1);
    CHECK(errno == EFAULT);
    kring_stats s = stats(fd.get());
    CHECK(s.committed == 0);
    CHECK(s.dropped == 0);
}

TEST_CASE("producing needs a writable fd: write(2) and KRING_IOC_OUTPUT on O_RDONLY fail EBADF") {
    Fd fd(::open(KRING_DEVICE_PATH, O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    REQUIRE(create(fd.get(), kSize) == 0);
    uint8_t byte = 1;
    CHECK(write_record(fd.get(), &byte, 1) == EBADF);
    CHECK(output(fd.get(), &byte, 1, 0) == EBADF);
    CHECK(output(fd.get(), &byte, 1, KRING_FORCE_WAKEUP) == EBADF);
    kring_stats s = stats(fd.get()); // reading is allowed
    CHECK(s.committed == 0);
    CHECK(query(fd.get()).producer_pos == 0);
}

TEST_CASE("mmap: only the consumer page may be writable, and mprotect cannot add write") {
    Fd fd = make_ring(kSize);
    size_t pg = page_size();
    size_t all = 2 * pg + 2 * kSize;

    void* cons = map(fd.get(), pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
    REQUIRE(cons != MAP_FAILED);
    ::munmap(cons, pg);

    CHECK(map(fd.get(), 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0) == MAP_FAILED);
    CHECK(errno == EPERM);
    CHECK(map(fd.get(), pg, PROT_READ | PROT_WRITE, MAP_SHARED, 1) == MAP_FAILED);
    CHECK(errno == EPERM);
    CHECK(map(fd.get(), pg, PROT_WRITE, MAP_SHARED, 2) == MAP_FAILED);
    CHECK(errno == EPERM);
    CHECK(map(fd.get(), pg, PROT_READ, MAP_PRIVATE, 0) == MAP_FAILED);
    CHECK(errno == EINVAL);
    CHECK(map(fd.get(), all + pg, PROT_READ, MAP_SHARED, 0) == MAP_FAILED);
    CHECK(errno == EINVAL);
    CHECK(map(fd.get(), pg, PROT_READ, MAP_SHARED, all / pg) == MAP_FAILED);

    void* ro = map(fd.get(), all, PROT_READ, MAP_SHARED, 0);
    REQUIRE(ro != MAP_FAILED);
    CHECK(::mprotect(ro, all, PROT_READ | PROT_WRITE) == -1);
    CHECK(errno == EACCES);
    CHECK(::mprotect(static_cast<uint8_t*>(ro) + 2 * pg, pg, PROT_READ | PROT_WRITE) == -1);
    ::munmap(ro, all);

    // The consumer page alone, mapped read-only, may become writable.
    void* cons_ro = map(fd.get(), pg, PROT_READ, MAP_SHARED, 0);
    REQUIRE(cons_ro != MAP_FAILED);
    CHECK(::mprotect(cons_ro, pg, PROT_READ | PROT_WRITE) == 0);
    ::munmap(cons_ro, pg);
}

TEST_CASE("records: header, payload, alignment and query") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    unsigned long pos = 0;
    for (size_t len : {1u, 7u, 8u, 9u, 100u, 4000u}) {
        auto payload = pattern(len, static_cast<uint8_t>(len));
        REQUIRE(write_record(fd.get(), payload.data(), len) == 0);
        CHECK(m.len_at(pos) == len);
        CHECK(std::memcmp(m.payload_at(pos), payload.data(), len) == 0);
        CHECK(reinterpret_cast<uintptr_t>(m.header_at(pos)) % 8 == 0);
        pos += record_span(len);
    }
    CHECK(m.producer_pos() == pos);
    kring_query q = query(fd.get());
    CHECK(q.producer_pos == pos);
    CHECK(q.consumer_pos == 0);
    CHECK(q.avail_data == pos);
    CHECK(q.ring_size == kSize);
    m.release(record_span(1));
    CHECK(query(fd.get()).avail_data == pos - record_span(1));
    kring_stats s = stats(fd.get());
    CHECK(s.committed == 6);
    CHECK(s.bytes == 1 + 7 + 8 + 9 + 100 + 4000);
}

TEST_CASE("the data area is mapped twice back to back") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    auto payload = pattern(1000, 3);
    REQUIRE(write_record(fd.get(), payload.data(), payload.size()) == 0);
    CHECK(std::memcmp(m.data(), m.data() + kSize, kSize) == 0);
    CHECK(std::memcmp(m.data() + kSize + KRING_HDR_SZ, payload.data(), payload.size()) == 0);
}

TEST_CASE("a record that wraps the end of the data area is contiguous") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    // Advance the positions to 200 bytes before the end.
    const size_t lead = kSize - 200 - KRING_HDR_SZ;
    std::vector<uint8_t> filler(lead, 0xaa);
    REQUIRE(write_record(fd.get(), filler.data(), filler.size()) == 0);
    unsigned long pos = record_span(lead);
    m.release(pos);
    auto payload = pattern(3000, 9);
    REQUIRE(write_record(fd.get(), payload.data(), payload.size()) == 0);
    CHECK((pos & (kSize - 1)) + KRING_HDR_SZ + payload.size() > kSize);
    CHECK(m.len_at(pos) == payload.size());
    CHECK(std::memcmp(m.payload_at(pos), payload.data(), payload.size()) == 0);
    // The wrapped tail is also where the first copy of the data starts.
    size_t head_bytes = kSize - (pos & (kSize - 1)) - KRING_HDR_SZ;
    CHECK(std::memcmp(m.data(), payload.data() + head_bytes, 100) == 0);
}

TEST_CASE("the largest record fits an empty ring, one byte more does not") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    auto payload = pattern(kSize - KRING_HDR_SZ, 5);
    auto oversize = pattern(kSize - KRING_HDR_SZ + 1, 5);
    CHECK(write_record(fd.get(), oversize.data(), oversize.size()) == EMSGSIZE);
    REQUIRE(write_record(fd.get(), payload.data(), payload.size()) == 0);
    CHECK(m.len_at(0) == payload.size());
    CHECK(std::memcmp(m.payload_at(0), payload.data(), payload.size()) == 0);
    // Full now: even one byte is dropped until the consumer moves on.
    uint8_t byte = 1;
    CHECK(write_record(fd.get(), &byte, 1) == EAGAIN);
    CHECK(stats(fd.get()).dropped == 1);
    m.release(kSize);
    CHECK(write_record(fd.get(), &byte, 1) == 0);
}

TEST_CASE("a full ring fails reservations, counts drops and overwrites nothing") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    std::vector<std::vector<uint8_t>> written;
    for (int i = 0;; i++) {
        auto payload = pattern(100, static_cast<uint8_t>(i));
        int err = write_record(fd.get(), payload.data(), payload.size());
        if (err) {
            CHECK(err == EAGAIN);
            break;
        }
        written.push_back(payload);
    }
    CHECK(written.size() == kSize / record_span(100));
    for (int i = 0; i < 5; i++) {
        auto payload = pattern(100, 0xee);
        CHECK(write_record(fd.get(), payload.data(), payload.size()) == EAGAIN);
    }
    kring_stats s = stats(fd.get());
    CHECK(s.dropped == 6);
    CHECK(s.committed == written.size());
    unsigned long pos = 0;
    for (auto& payload : written) {
        CHECK(m.len_at(pos) == 100);
        CHECK(std::memcmp(m.payload_at(pos), payload.data(), 100) == 0);
        pos += record_span(100);
    }
    // Consuming one record makes room for exactly one more.
    m.release(record_span(100));
    auto payload = pattern(100, 0x42);
    CHECK(write_record(fd.get(), payload.data(), payload.size()) == 0);
    CHECK(write_record(fd.get(), payload.data(), payload.size()) == EAGAIN);
}

TEST_CASE("poll reports data once a record is committed") {
    Fd fd = make_ring(kSize);
    pollfd pfd{fd.get(), POLLIN, 0};
    CHECK(::poll(&pfd, 1, 0) == 0);
    uint8_t byte = 7;
    REQUIRE(write_record(fd.get(), &byte, 1) == 0);
    CHECK(::poll(&pfd, 1, 0) == 1);
    CHECK((pfd.revents & POLLIN) != 0);
}

TEST_CASE("in-kernel API: submit, discard, output and query") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    std::string f = std::to_string(fd.get());
    REQUIRE(api_test("submit " + f + " 24 3 0") == 0);
    REQUIRE(api_test("discard " + f + " 16 2 0") == 0);
    REQUIRE(api_test("output " + f + " 5 1 0") == 0);
    unsigned long pos = 0;
    for (uint64_t seq = 0; seq < 3; seq++) {
        CHECK(m.len_at(pos) == 24);
        CHECK(is_api_payload(m.payload_at(pos), 24, seq));
        pos += record_span(24);
    }
    for (int i = 0; i < 2; i++) {
        CHECK(m.len_at(pos) == (16 | KRING_DISCARD_BIT));
        pos += record_span(16);
    }
    CHECK(m.len_at(pos) == 5);
    CHECK(is_api_payload(m.payload_at(pos), 5, 0));
    pos += record_span(5);
    kring_stats s = stats(fd.get());
    CHECK(s.committed == 4);
    CHECK(s.discarded == 2);
    CHECK(s.bytes == 3 * 24 + 5);
    CHECK(api_test_query(fd.get(), KRING_QUERY_PROD_POS) == pos);
    CHECK(api_test_query(fd.get(), KRING_QUERY_RING_SIZE) == kSize);
    CHECK(api_test_query(fd.get(), KRING_QUERY_AVAIL_DATA) == pos);
    CHECK(api_test_query(fd.get(), 77) == 0);
    CHECK(api_test("submit " + f + " " + std::to_string(kSize) + " 1 0") == EAGAIN);
    CHECK(api_test("output 99999 8 1 0") == EBADF);
    Fd not_a_ring(::open("/proc/self/stat", O_RDONLY));
    CHECK(api_test("output " + std::to_string(not_a_ring.get()) + " 8 1 0") == EINVAL);
    Fd no_ring = open_device();
    CHECK(api_test("output " + std::to_string(no_ring.get()) + " 8 1 0") == ENXIO);
}

TEST_CASE("in-kernel API: records produced from hard IRQ context") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    REQUIRE(api_test("irq " + std::to_string(fd.get()) + " 40 10 0") == 0);
    unsigned long pos = 0;
    for (uint64_t seq = 0; seq < 10; seq++) {
        CHECK(m.len_at(pos) == 40);
        CHECK(is_api_payload(m.payload_at(pos), 40, seq));
        pos += record_span(40);
    }
    CHECK(stats(fd.get()).committed == 10);
}

TEST_CASE("a busy record holds back later records that were committed first") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    std::string f = std::to_string(fd.get());
    REQUIRE(api_test("hold " + f + " 32") == 0);
    uint8_t later[16] = {1, 2, 3};
    REQUIRE(write_record(fd.get(), later, sizeof(later)) == 0);
    CHECK((m.len_at(0) & KRING_BUSY_BIT) != 0);
    CHECK(m.len_at(record_span(32)) == sizeof(later));
    // Nothing is readable while the first record is busy: a consumer
    // woken now would find nothing and poll again at once.
    pollfd pfd{fd.get(), POLLIN, 0};
    CHECK(::poll(&pfd, 1, 0) == 0);
    REQUIRE(api_test("release submit") == 0);
    CHECK(m.len_at(0) == 32);
    CHECK(is_api_payload(m.payload_at(0), 32, ~0ULL));
    CHECK(::poll(&pfd, 1, 0) == 1);
}

namespace {

// Walks the ring from the consumer position to the producer position as a
// consumer would: the sequence numbers of the committed records, and how
// many discarded records (a batch's unused blocks) it skipped.
struct Walk {
    std::vector<uint64_t> seqs;
    unsigned discarded = 0;
    bool busy = false;
};

Walk walk(const Mapping& m, uint64_t size, unsigned long from = 0) {
    Walk w;
    for (unsigned long pos = from; pos != m.producer_pos();) {
        uint32_t len = m.len_at(pos);
        if (len & KRING_BUSY_BIT) {
            w.busy = true;
            break;
        }
        uint32_t payload = len & ~KRING_DISCARD_BIT;
        if (len & KRING_DISCARD_BIT) {
            w.discarded++;
        } else {
            uint64_t seq = 0;
            std::memcpy(&seq, m.payload_at(pos), 8);
            if (payload == size && is_api_payload(m.payload_at(pos), size, seq))
                w.seqs.push_back(seq);
            else
                w.seqs.push_back(~0ULL);
        }
        pos += record_span(payload);
    }
    return w;
}

} // namespace

TEST_CASE("in-kernel API: a batch's records arrive in order, its unused block as a discarded "
          "record") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    std::string f = std::to_string(fd.get());
    REQUIRE(api_test("batch " + f + " 24 100 0") == 0);
    Walk w = walk(m, 24);
    CHECK_FALSE(w.busy);
    REQUIRE(w.seqs.size() == 100);
    for (uint64_t seq = 0; seq < 100; seq++)
        CHECK(w.seqs[seq] == seq);
    // Blocks grow with the batch; only the last one has a rest.
    CHECK(w.discarded <= 1);
    CHECK(m.producer_pos() < 2 * 100 * record_span(24));
    kring_stats s = stats(fd.get());
    CHECK(s.committed == 100);
    CHECK(s.discarded == 0); // a batch's unused space is no discard of its producer
    CHECK(s.bytes == 100 * 24);
    CHECK(s.dropped == 0);
    // A batch of one record is that record alone.
    unsigned long before = m.producer_pos();
    REQUIRE(api_test("batch " + f + " 40 1 0") == 0);
    CHECK(m.producer_pos() == before + record_span(40));
    CHECK(m.len_at(before) == 40);
    CHECK(is_api_payload(m.payload_at(before), 40, 0));
}

TEST_CASE("in-kernel API: a batch into a full ring drops what does not fit, overlapping nothing") {
    constexpr uint64_t kSmall = 4096;
    Fd fd = make_ring(kSmall);
    Mapping m(fd.get(), kSmall);
    std::string f = std::to_string(fd.get());
    REQUIRE(api_test("batch " + f + " 24 200 0") == 0);
    Walk w = walk(m, 24);
    CHECK_FALSE(w.busy);
    kring_stats s = stats(fd.get());
    CHECK(s.committed == w.seqs.size());
    CHECK(s.committed + s.dropped == 200);
    CHECK(m.producer_pos() <= kSmall);
    // Most of the ring holds records: blocks shrink to what is left.
    CHECK(w.seqs.size() * record_span(24) >= kSmall - 4 * record_span(24));
    for (size_t i = 1; i < w.seqs.size(); i++)
        CHECK(w.seqs[i] > w.seqs[i - 1]);
    // Consumed, the space takes another batch.
    m.release(m.producer_pos());
    unsigned long from = m.producer_pos();
    REQUIRE(api_test("batch " + f + " 24 50 0") == 0);
    Walk again = walk(m, 24, from);
    CHECK_FALSE(again.busy);
    CHECK(again.seqs.size() == 50);
}

TEST_CASE("in-kernel API: a batch wakes a consumer asleep at its records when it ends") {
    Fd fd = make_ring(kSize);
    std::string f = std::to_string(fd.get());
    std::atomic<int> woke{-1};
    std::thread sleeper([&] {
        pollfd pfd{fd.get(), POLLIN, 0};
        woke = ::poll(&pfd, 1, 10000);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(api_test("batch " + f + " 24 50 0") == 0);
    sleeper.join();
    CHECK(woke == 1);
    CHECK(stats(fd.get()).wakeups >= 1);

    // Records that ask for no wakeup wake nobody, as single ones do, and
    // are there for the next poll.
    Fd quiet = make_ring(kSize);
    std::string q = std::to_string(quiet.get());
    REQUIRE(api_test("batch " + q + " 24 50 " + std::to_string(KRING_NO_WAKEUP)) == 0);
    CHECK(stats(quiet.get()).wakeups == 0);
    pollfd pfd{quiet.get(), POLLIN, 0};
    CHECK(::poll(&pfd, 1, 0) == 1);
}

TEST_CASE("a consumer position claiming too much never lets a reservation overlap a busy record") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    std::string f = std::to_string(fd.get());
    REQUIRE(api_test("hold " + f + " 64") == 0);
    // A lying consumer says it has consumed the busy record too.
    m.release(m.producer_pos());
    uint64_t accepted = record_span(64);
    std::vector<uint8_t> payload(56, 0x11);
    while (write_record(fd.get(), payload.data(), payload.size()) == 0)
        accepted += record_span(payload.size());
    CHECK(accepted <= kSize);
    CHECK((m.len_at(0) & KRING_BUSY_BIT) != 0);
    REQUIRE(api_test("release submit") == 0);
    CHECK(m.len_at(0) == 64);
    CHECK(is_api_payload(m.payload_at(0), 64, ~0ULL));
}

TEST_CASE("a garbage consumer position makes reservations fail, not corrupt") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    m.release(12345 * 8); // ahead of the producer
    uint8_t byte = 1;
    CHECK(write_record(fd.get(), &byte, 1) == EAGAIN);
    m.release(0);
    CHECK(write_record(fd.get(), &byte, 1) == 0);
}

TEST_CASE("a mapping keeps the ring alive after the fd is closed") {
    Mapping* m;
    {
        Fd fd = make_ring(kSize);
        auto payload = pattern(300, 1);
        REQUIRE(write_record(fd.get(), payload.data(), payload.size()) == 0);
        m = new Mapping(fd.get(), kSize);
    }
    auto payload = pattern(300, 1);
    CHECK(m->len_at(0) == 300);
    CHECK(std::memcmp(m->payload_at(0), payload.data(), 300) == 0);
    m->release(record_span(300));
    delete m;
}

TEST_CASE("several processes share a ring through an inherited fd") {
    Fd fd = make_ring(kSize);
    Mapping m(fd.get(), kSize);
    constexpr int kChildren = 3;
    for (int c = 0; c < kChildren; c++) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            uint8_t rec[8] = {static_cast<uint8_t>(c)};
            _exit(write_record(fd.get(), rec, sizeof(rec)) == 0 ? 0 : 1);
        }
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    for (int c = 0; c < kChildren; c++)
        CHECK(m.payload_at(c * record_span(8))[0] == c);
    CHECK(stats(fd.get()).committed == kChildren);
}

TEST_CASE("closing rings frees their memory") {
    int before = kring_vmaps();
    {
        Fd fd = make_ring(64 * 1024);
        CHECK(kring_vmaps() == before + 1);
    }
    CHECK(kring_vmaps() == before);
    for (int i = 0; i < 200; i++) {
        Fd fd = make_ring(64 * 1024);
        Mapping m(fd.get(), 64 * 1024);
        uint8_t byte = 1;
        REQUIRE(write_record(fd.get(), &byte, 1) == 0);
    }
    CHECK(kring_vmaps() == before);
}

TEST_CASE("a ring larger than the memory available fails with ENOMEM and kills no one") {
    // A bystander holding 150 MiB it has touched: the OOM killer's first
    // choice, were a create to invoke it.
    constexpr size_t kBystander = 150u << 20;
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t bystander = ::fork();
    REQUIRE(bystander >= 0);
    if (bystander == 0) {
        void* p = ::mmap(nullptr, kBystander, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        char ok = p != MAP_FAILED;
        if (::write(ready[1], &ok, 1) != 1)
            _exit(1);
        ::pause();
        _exit(0);
    }
    char ok = 0;
    REQUIRE(::read(ready[0], &ok, 1) == 1);
    CHECK(ok == 1);
    for (uint64_t size : {KRING_MAX_DATA_SIZE, KRING_MAX_DATA_SIZE / 2}) {
        CAPTURE(size);
        Fd fd = open_device();
        int err = create(fd.get(), size);
        CHECK((err == 0 || err == ENOMEM));
    }
    // The 1 GiB ring cannot fit a 1 GiB VM: it must have failed, and
    // everyone is still alive.
    Fd fd = open_device();
    CHECK(create(fd.get(), KRING_MAX_DATA_SIZE) == ENOMEM);
    CHECK(::kill(bystander, 0) == 0);
    int status = 0;
    CHECK(::waitpid(bystander, &status, WNOHANG) == 0);
    ::kill(bystander, SIGKILL);
    ::waitpid(bystander, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL); // ours, not the OOM killer's
    ::close(ready[0]);
    ::close(ready[1]);
}

// Removing a memory cgroup turns off static keys (memcg_bpf_enabled_key
// among them), which patches code the other vCPU runs, bpf_prog_alloc
// included: check.sh runs this suite on single-threaded TCG (docs/testing.md,
// "Live text patching under TCG").
TEST_CASE("ring memory is charged to the creator's memory cgroup" *
          doctest::test_suite("live-text-patching")) {
    // A cgroup limited to 48 MiB cannot hold 16 rings of 16 MiB: creates
    // fail with ENOMEM once the limit is reached, and nothing is killed.
    const std::string root = "/sys/fs/cgroup";
    if (::access((root + "/cgroup.controllers").c_str(), F_OK) != 0)
        REQUIRE(::mount("none", root.c_str(), "cgroup2", 0, nullptr) == 0);
    auto write_file = [](const std::string& path, const std::string& text) {
        std::ofstream out(path);
        out << text;
        out.flush();
        return static_cast<bool>(out);
    };
    REQUIRE(write_file(root + "/cgroup.subtree_control", "+memory"));
    const std::string group = root + "/kring-test";
    ::mkdir(group.c_str(), 0755);
    REQUIRE(write_file(group + "/memory.max", std::to_string(48u << 20)));
    int created = in_child([&] {
        if (!write_file(group + "/cgroup.procs", std::to_string(::getpid())))
            return 100;
        std::vector<Fd> rings;
        for (int i = 0; i < 16; i++) {
            Fd fd = open_device();
            int err = create(fd.get(), 16u << 20);
            if (err == ENOMEM)
                break;
            if (err != 0)
                return 101;
            rings.push_back(std::move(fd));
        }
        return static_cast<int>(rings.size());
    });
    MESSAGE(created << " rings of 16 MiB fit in 48 MiB");
    CHECK(created >= 1);
    CHECK(created <= 3);
    CHECK(::rmdir(group.c_str()) == 0);
}

TEST_CASE("the module cannot be unloaded while a ring is open or mapped") {
    if (module_loaded("kring_api_test"))
        REQUIRE(unload_module("kring_api_test") == 0);
    void* mapped;
    size_t len = 2 * page_size() + 2 * kSize;
    {
        Fd fd = make_ring(kSize);
        CHECK(unload_module("kring") != 0);
        mapped = map(fd.get(), len, PROT_READ, MAP_SHARED, 0);
        REQUIRE(mapped != MAP_FAILED);
    }
    CHECK(unload_module("kring") != 0);
    CHECK(module_loaded("kring"));
    ::munmap(mapped, len);
    CHECK(unload_module("kring") == 0);
    CHECK(::access(KRING_DEVICE_PATH, F_OK) != 0);
    REQUIRE(load_module("kring") == 0);
    Fd fd = make_ring(kSize);
    CHECK(query(fd.get()).ring_size == kSize);
}
