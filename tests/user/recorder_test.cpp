// kring::Recorder and kring::RecordFile over rings in userspace memory: what
// is written reads back in order, a restart resumes exactly once, a broken
// file is cut or reported at the offset where it breaks.
#include "kring/record_file.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <kring/user_ring.hpp>
#include <linux/capability.h>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

using kring::UserRing;

namespace {

// A file name in the temporary directory, removed at the end of the test.
struct TempPath {
    std::string path;
    TempPath() {
        char name[] = "/tmp/kring-recorder-test-XXXXXX";
        int fd = mkstemp(name);
        REQUIRE(fd >= 0);
        close(fd);
        unlink(name); // the recorder creates it
        path = name;
    }
    ~TempPath() { unlink(path.c_str()); }
};

void produce(UserRing& ring, const std::string& text, bool discard = false) {
    void* sample = ring.reserve(text.size());
    REQUIRE(sample != nullptr);
    std::memcpy(sample, text.data(), text.size());
    ring.commit(sample, discard);
}

struct Replayed {
    std::vector<std::string> records;
    std::vector<std::string> rings;
    std::vector<uint16_t> ring_ids;
    std::vector<uint64_t> positions;
};

// Reads a record file back; `error` gets what broke, if anything.
Replayed replay(const std::string& path, std::string* error = nullptr) {
    kring::RecordFile file(path);
    Replayed out;
    bool sound = file.read([&](const kring::RecordedRecord& r) {
        out.records.emplace_back(reinterpret_cast<const char*>(r.data.data()), r.data.size());
        out.rings.push_back(r.ring->name);
        out.ring_ids.push_back(r.ring->id);
        out.positions.push_back(r.ring_pos);
        return true;
    });
    if (error)
        *error = sound ? "" : file.error();
    else
        CHECK_MESSAGE(sound, file.error());
    return out;
}

uint64_t file_size(const std::string& path) {
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    return static_cast<uint64_t>(st.st_size);
}

// Where a record file's chunks end: its size, less the zeroes a direct
// write leaves after the last chunk (the rest of its block).
uint64_t chunks_end(const std::string& path) {
    kring::RecordFile file(path);
    REQUIRE(file.read([](const kring::RecordedRecord&) { return true; }));
    return file.sound_end();
}

// Whether the file system of `path` (a file) reports direct I/O, which the
// recorder then uses.
bool direct_io_here(const std::string& path) {
    struct statx stx {};
    REQUIRE(statx(AT_FDCWD, path.c_str(), 0, STATX_DIOALIGN, &stx) == 0);
    return (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align &&
           std::max(stx.stx_dio_offset_align, stx.stx_dio_mem_align) <= 4096;
}

} // namespace

TEST_CASE("CRC32C: the standard check value, and the same at every length and alignment") {
    CHECK(kring::record_file::crc32c("123456789", 9) == 0xe3069283);
    // Against a bitwise reference, so that the table and instruction paths
    // are checked at every tail length and misalignment.
    std::vector<uint8_t> bytes(100);
    for (size_t i = 0; i < bytes.size(); i++)
        bytes[i] = static_cast<uint8_t>(i * 37 + 11);
    for (size_t start = 0; start < 8; start++)
        for (size_t len = 0; len + start <= bytes.size(); len++) {
            uint32_t crc = ~0U;
            for (size_t i = start; i < start + len; i++) {
                crc ^= bytes[i];
                for (int k = 0; k < 8; k++)
                    crc = (crc >> 1) ^ (0x82f63b78 & (0U - (crc & 1)));
            }
            REQUIRE(kring::record_file::crc32c(bytes.data() + start, len) == ~crc);
        }
}

TEST_CASE("records read back in ring order with their rings; discarded ones are skipped") {
    TempPath tmp;
    UserRing a(4096), b(4096);
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(a.view(), a.wake_fd(), "alpha", 11);
        recorder.add(b.view(), b.wake_fd(), "beta", 22);
        produce(a, "a1");
        produce(a, "dropped", true);
        produce(b, "b1");
        produce(a, std::string(3000, 'x'));
        CHECK(recorder.flush() == 3);
        produce(a, std::string(2000, 'w')); // wraps the end of the data area
        CHECK(recorder.flush() == 1);
        CHECK(recorder.stats().records == 4);
        CHECK(recorder.notes().empty());
        // Acknowledged: the producers have their space back.
        CHECK(*a.consumer_pos() == *a.producer_pos());
        CHECK(*b.consumer_pos() == *b.producer_pos());
    }
    Replayed got = replay(tmp.path);
    REQUIRE(got.records.size() == 4);
    CHECK(got.records[0] == "a1");
    CHECK(got.rings[0] == "alpha");
    CHECK(got.positions[0] == 0);
    // Each ring's records keep their order; rings interleave by chunk.
    std::vector<std::string> alpha, beta;
    for (size_t i = 0; i < got.records.size(); i++)
        (got.rings[i] == "alpha" ? alpha : beta).push_back(got.records[i]);
    CHECK(alpha == std::vector<std::string>{"a1", std::string(3000, 'x'), std::string(2000, 'w')});
    CHECK(beta == std::vector<std::string>{"b1"});
}

TEST_CASE("poll waits for data, writes it and times out when there is none") {
    TempPath tmp;
    UserRing ring(4096);
    kring::Recorder recorder(tmp.path);
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    CHECK(recorder.poll(std::chrono::milliseconds(0)) == 0);
    std::thread producer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        produce(ring, "late");
    });
    // Acknowledged once synced, within the default second; poll returns
    // sooner than its timeout meanwhile (it looks at the ring itself).
    uint64_t got = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got == 0 && std::chrono::steady_clock::now() < deadline)
        got += recorder.poll(std::chrono::milliseconds(100));
    producer.join();
    CHECK(got == 1);
    CHECK(recorder.stats().syncs == 1);
    CHECK(replay(tmp.path).records == std::vector<std::string>{"late"});
    // Nothing more: poll times out.
    auto before = std::chrono::steady_clock::now();
    CHECK(recorder.poll(std::chrono::milliseconds(50)) == 0);
    CHECK(std::chrono::steady_clock::now() - before >= std::chrono::milliseconds(50));
}

TEST_CASE("a restart skips what the file has past the consumer position: exactly once") {
    TempPath tmp;
    UserRing ring(4096);
    unsigned long written_but_unacknowledged;
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(ring.view(), ring.wake_fd(), "r", 7);
        produce(ring, "one");
        CHECK(recorder.flush() == 1);
        written_but_unacknowledged = *ring.consumer_pos();
        produce(ring, "two");
        produce(ring, "three");
        CHECK(recorder.flush() == 2);
    }
    // The crash came after the write of "two" and "three" completed, before
    // the consumer position moved past them.
    *ring.consumer_pos() = written_but_unacknowledged;
    produce(ring, "four");
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(ring.view(), ring.wake_fd(), "r", 7);
        CHECK(recorder.stats().skipped_bytes == 32);
        CHECK(recorder.notes().find("skipped 32 bytes") != std::string::npos);
        CHECK(recorder.flush() == 1);
    }
    CHECK(replay(tmp.path).records == std::vector<std::string>{"one", "two", "three", "four"});
}

TEST_CASE("a restart cuts an interrupted write off the file and writes it again") {
    TempPath tmp;
    UserRing ring(4096);
    unsigned long acknowledged;
    uint64_t sound_size;
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(ring.view(), ring.wake_fd(), "r", 7);
        produce(ring, "kept");
        recorder.flush();
        acknowledged = *ring.consumer_pos();
        sound_size = chunks_end(tmp.path);
        produce(ring, std::string(100, 'p'));
        recorder.flush();
    }
    // The crash interrupted the second write, and so its acknowledgement.
    REQUIRE(truncate(tmp.path.c_str(), static_cast<off_t>(sound_size + 50)) == 0);
    *ring.consumer_pos() = acknowledged;
    std::string error;
    CHECK(replay(tmp.path, &error).records == std::vector<std::string>{"kept"});
    CHECK(error == "offset " + std::to_string(sound_size) +
                       ": chunk of 112 bytes cut short: the file ends 18 bytes into it (an "
                       "interrupted write?)");
    {
        kring::Recorder recorder(tmp.path);
        CHECK(recorder.stats().truncated_bytes == 50);
        CHECK(recorder.notes().find("cut off the last 50 bytes") != std::string::npos);
        recorder.add(ring.view(), ring.wake_fd(), "r", 7);
        CHECK(recorder.stats().skipped_bytes == 0);
        CHECK(recorder.flush() == 1);
    }
    CHECK(replay(tmp.path).records == std::vector<std::string>{"kept", std::string(100, 'p')});
}

TEST_CASE("a file whose header the crash cut short is started again") {
    TempPath tmp;
    FILE* f = fopen(tmp.path.c_str(), "w");
    REQUIRE(f);
    fputs("KRINGR", f); // the first bytes of the magic, and no more
    fclose(f);
    UserRing ring(4096);
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(ring.view(), ring.wake_fd(), "r", 1);
        produce(ring, "after");
        recorder.flush();
    }
    CHECK(replay(tmp.path).records == std::vector<std::string>{"after"});
}

TEST_CASE("a ring created anew under a known name gets a new ring id") {
    TempPath tmp;
    {
        UserRing old_ring(4096);
        kring::Recorder recorder(tmp.path);
        recorder.add(old_ring.view(), old_ring.wake_fd(), "events", 100);
        produce(old_ring, "old");
        recorder.flush();
    }
    UserRing new_ring(4096);
    produce(new_ring, "new");
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(new_ring.view(), new_ring.wake_fd(), "events", 200);
        CHECK(recorder.notes().find("created anew") != std::string::npos);
        CHECK(recorder.stats().skipped_bytes == 0);
        recorder.flush();
    }
    CHECK(replay(tmp.path).ring_ids == std::vector<uint16_t>{0, 1});
    kring::RecordFile file(tmp.path);
    file.read([](const kring::RecordedRecord&) { return true; });
    REQUIRE(file.rings().size() == 2);
    CHECK(file.rings()[1].cookie == 200);
}

TEST_CASE("a ring without a cookie is never resumed: each run declares it anew") {
    TempPath tmp;
    UserRing ring(4096);
    for (const char* text : {"first run", "second run"}) {
        kring::Recorder recorder(tmp.path);
        recorder.add(ring.view(), ring.wake_fd(), "bpf-map", 0);
        produce(ring, text);
        CHECK(recorder.flush() == 1);
        if (std::string(text) == "second run")
            CHECK(recorder.notes().find("has no cookie, so it cannot be resumed") !=
                  std::string::npos);
    }
    CHECK(replay(tmp.path).ring_ids == std::vector<uint16_t>{0, 1});
}

TEST_CASE("a corrupted file reads up to the chunk that breaks, and says where") {
    TempPath tmp;
    UserRing ring(4096);
    uint64_t second_chunk;
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(ring.view(), ring.wake_fd(), "r", 1);
        produce(ring, "first");
        recorder.flush();
        second_chunk = chunks_end(tmp.path);
        produce(ring, "second");
        recorder.flush();
        produce(ring, "third");
        recorder.flush();
    }
    int fd = open(tmp.path.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    // One flipped payload byte in the second chunk.
    char byte;
    off_t at = static_cast<off_t>(second_chunk + sizeof(kring::record_file::ChunkHeader) + 9);
    REQUIRE(pread(fd, &byte, 1, at) == 1);
    byte ^= 0x20;
    REQUIRE(pwrite(fd, &byte, 1, at) == 1);
    std::string error;
    CHECK(replay(tmp.path, &error).records == std::vector<std::string>{"first"});
    CHECK(error == "offset " + std::to_string(second_chunk) +
                       ": chunk payload checksum mismatch (16 bytes)");
    // A chunk header overwritten with something else.
    REQUIRE(pwrite(fd, "garbage!", 8, static_cast<off_t>(second_chunk)) == 8);
    close(fd);
    replay(tmp.path, &error);
    CHECK(error.find("offset " + std::to_string(second_chunk) + ": no chunk here") == 0);
}

TEST_CASE("without payload checksums, the trailer still tells a whole chunk from a cut one") {
    TempPath tmp;
    UserRing ring(4096);
    uint64_t second_chunk;
    kring::Recorder::Options options;
    options.checksum = false;
    {
        kring::Recorder recorder(tmp.path, options);
        recorder.add(ring.view(), ring.wake_fd(), "r", 1);
        produce(ring, "whole");
        recorder.flush();
        second_chunk = chunks_end(tmp.path);
        produce(ring, "cut");
        recorder.flush();
    }
    // The file as if the second write had stopped before its last 8 bytes,
    // and a later write had then extended the file past the hole.
    uint64_t size = chunks_end(tmp.path);
    REQUIRE(truncate(tmp.path.c_str(), static_cast<off_t>(size - 8)) == 0);
    REQUIRE(truncate(tmp.path.c_str(), static_cast<off_t>(size)) == 0);
    std::string error;
    CHECK(replay(tmp.path, &error).records == std::vector<std::string>{"whole"});
    CHECK(error == "offset " + std::to_string(second_chunk) +
                       ": chunk of 16 bytes without its trailer (an interrupted write?)");
}

TEST_CASE("files that are not record files are refused whole") {
    TempPath tmp;
    const std::string text = "this is a text file, not a kring record file at all";
    FILE* f = fopen(tmp.path.c_str(), "w");
    REQUIRE(f);
    fputs(text.c_str(), f);
    fclose(f);
    CHECK_THROWS_WITH_AS(kring::RecordFile file(tmp.path),
                         doctest::Contains("not a kring record file (no KRINGREC magic)"),
                         kring::Error);
    // The recorder refuses it too, and leaves it alone.
    CHECK_THROWS_AS(kring::Recorder recorder(tmp.path), kring::Error);
    CHECK(file_size(tmp.path) == text.size());
    CHECK_THROWS_WITH_AS(kring::RecordFile file("/nonexistent/file"),
                         doctest::Contains("open of record file /nonexistent/file"), kring::Error);
}

TEST_CASE("a write that fails is an error naming the file, and acknowledges nothing") {
    CHECK_THROWS_WITH_AS(kring::Recorder recorder("/dev/full"),
                         doctest::Contains("write to record file /dev/full at offset 0"),
                         kring::Error);
}

TEST_CASE("producer threads against the recorder: every record once, in order") {
    for (bool multishot : {true, false}) {
        CAPTURE(multishot);
        TempPath tmp;
        UserRing ring(16384);
        constexpr uint32_t kPerThread = 4000;
        std::atomic<uint32_t> dropped{0};
        std::atomic<bool> done{false};
        {
            kring::Recorder::Options options;
            options.max_chunk = 1024; // many small chunks
            options.multishot_poll = multishot;
            kring::Recorder recorder(tmp.path, options);
            recorder.add(ring.view(), ring.wake_fd(), "r", 1);
            std::vector<std::thread> producers;
            for (uint32_t t = 0; t < 2; t++)
                producers.emplace_back([&, t] {
                    for (uint32_t i = 0; i < kPerThread; i++) {
                        uint32_t value[2] = {t, i};
                        void* sample = ring.reserve(sizeof(value));
                        if (!sample) {
                            dropped++;
                            std::this_thread::yield();
                            continue;
                        }
                        std::memcpy(sample, value, sizeof(value));
                        ring.commit(sample);
                    }
                });
            std::thread stopper([&] {
                for (auto& p : producers)
                    p.join();
                done = true;
            });
            while (!done)
                recorder.poll(std::chrono::milliseconds(10));
            stopper.join();
            recorder.flush();
            CHECK(recorder.stats().records + dropped == 2 * kPerThread);
        }
        kring::RecordFile file(tmp.path);
        uint32_t next[2] = {0, 0}, count = 0;
        bool in_order = true;
        CHECK(file.read([&](const kring::RecordedRecord& r) {
            uint32_t value[2];
            std::memcpy(value, r.data.data(), sizeof(value));
            in_order = in_order && value[0] < 2 && value[1] >= next[value[0]];
            next[value[0]] = value[1] + 1;
            count++;
            return true;
        }));
        CHECK(in_order);
        CHECK(count + dropped == 2 * kPerThread);
    }
}

TEST_CASE("a ring's record type is declared in the file, kept on resume, never changed") {
    TempPath tmp;
    UserRing a(4096), b(4096);
    const std::string long_name(kring::record_file::kMaxNameLength, 'n');
    const std::string long_type(kring::record_file::kMaxTypeLength, 't');
    {
        kring::Recorder recorder(tmp.path);
        recorder.add(a.view(), a.wake_fd(), "alpha", 11, "exec_snoop_event");
        recorder.add(b.view(), b.wake_fd(), long_name, 22, long_type);
        produce(a, "one");
        CHECK(recorder.flush() == 1);
    }
    {
        kring::RecordFile file(tmp.path);
        CHECK(file.read([](const kring::RecordedRecord&) { return true; }));
        REQUIRE(file.rings().size() == 2);
        CHECK(file.rings()[0].record_type == "exec_snoop_event");
        CHECK(file.rings()[1].name == long_name);
        CHECK(file.rings()[1].record_type == long_type);
    }
    {
        // Resumed without a type: the file's stays.
        kring::Recorder recorder(tmp.path);
        recorder.add(a.view(), a.wake_fd(), "alpha", 11);
        produce(a, "two");
        CHECK(recorder.flush() == 1);
    }
    {
        kring::Recorder recorder(tmp.path);
        CHECK_THROWS_WITH_AS(recorder.add(a.view(), a.wake_fd(), "alpha", 11, "other_event"),
                             doctest::Contains("ring alpha is recorded there with record type "
                                               "exec_snoop_event, not other_event"),
                             kring::Error);
        CHECK_THROWS_AS(recorder.add(b.view(), b.wake_fd(), "beta", 33, long_type + "x"),
                        kring::Error);
    }
    kring::RecordFile file(tmp.path);
    CHECK(file.read([](const kring::RecordedRecord&) { return true; }));
    CHECK(file.rings()[0].record_type == "exec_snoop_event");
    CHECK(replay(tmp.path).records == std::vector<std::string>{"one", "two"});

    // A ring declared without a type (as every file before types) has none.
    TempPath plain;
    UserRing c(4096);
    {
        kring::Recorder recorder(plain.path);
        recorder.add(c.view(), c.wake_fd(), "abcdefg", 1); // name and NUL fill 8 bytes
        recorder.add(a.view(), a.wake_fd(), "x", 2);
        produce(c, "three");
        CHECK(recorder.flush() == 1);
    }
    kring::RecordFile untyped(plain.path);
    CHECK(untyped.read([](const kring::RecordedRecord&) { return true; }));
    REQUIRE(untyped.rings().size() == 2);
    CHECK(untyped.rings()[0].record_type.empty());
    CHECK(untyped.rings()[1].record_type.empty());
}

namespace {

kring::Recorder::Options sync_options(std::chrono::milliseconds interval, uint64_t bytes) {
    kring::Recorder::Options options;
    options.sync.interval = interval;
    options.sync.bytes = bytes;
    return options;
}

// Polls until `records` are acknowledged or `limit` passes; the count.
uint64_t poll_until(kring::Recorder& recorder, uint64_t records, std::chrono::milliseconds limit) {
    uint64_t got = 0;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (got < records && std::chrono::steady_clock::now() < deadline)
        got += recorder.poll(std::chrono::milliseconds(5));
    return got;
}

} // namespace

TEST_CASE("a write cut short (the file size limit) fails at the offset it reached, is not "
          "acknowledged, and a new recorder writes it again") {
    TempPath tmp;
    UserRing ring(65536);
    // Buffered: a direct write of whole blocks may begin before the old end
    // of the file (its last block again), which the limit cuts elsewhere.
    auto never = sync_options(std::chrono::milliseconds(0), 0);
    never.direct_io = false;
    const std::string big(1000, 'x');
    unsigned long acknowledged = 0;
    uint64_t cut_at = 0;
    {
        kring::Recorder recorder(tmp.path, never);
        recorder.add(ring.view(), ring.wake_fd(), "r", 1);
        produce(ring, "first");
        CHECK(recorder.flush() == 1);
        acknowledged = *ring.consumer_pos();
        // The next chunk's write stops 100 bytes in (past its header, in
        // the ring's bytes), and the write of the rest fails with EFBIG.
        cut_at = file_size(tmp.path) + 100;
        rlimit saved{};
        REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
        sighandler_t saved_handler = signal(SIGXFSZ, SIG_IGN);
        rlimit limited{cut_at, saved.rlim_max};
        REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
        produce(ring, big);
        const std::string error = "write to record file " + tmp.path + " at offset " +
                                  std::to_string(cut_at) + ": File too large";
        CHECK_THROWS_WITH_AS(recorder.flush(), doctest::Contains(error.c_str()), kring::Error);
        CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
        signal(SIGXFSZ, saved_handler);
        CHECK(file_size(tmp.path) == cut_at);
        CHECK(*ring.consumer_pos() == acknowledged);
        CHECK(recorder.stats().records == 1);
        CHECK_THROWS_WITH_AS(recorder.poll(std::chrono::milliseconds(0)),
                             doctest::Contains(error.c_str()), kring::Error);
    }
    CHECK(*ring.consumer_pos() == acknowledged);
    {
        kring::Recorder again(tmp.path, never);
        CHECK(again.stats().truncated_bytes == 100);
        again.add(ring.view(), ring.wake_fd(), "r", 1);
        CHECK(again.flush() == 1);
    }
    CHECK(replay(tmp.path).records == std::vector<std::string>{"first", big});
}

TEST_CASE("with sync never, a chunk is acknowledged once written, unsynced") {
    TempPath tmp;
    UserRing ring(4096);
    kring::Recorder recorder(tmp.path, sync_options(std::chrono::milliseconds(0), 0));
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    produce(ring, "one");
    CHECK(poll_until(recorder, 1, std::chrono::seconds(5)) == 1);
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
    CHECK(recorder.flush() == 0);
    CHECK(recorder.stats().syncs == 0);
}

TEST_CASE("with a sync interval, the space goes back only after the sync, within the interval") {
    TempPath tmp;
    UserRing ring(4096);
    const auto interval = std::chrono::milliseconds(300);
    kring::Recorder recorder(tmp.path, sync_options(interval, 0));
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    produce(ring, "one");
    auto written = std::chrono::steady_clock::now();
    // Written at once, but not acknowledged before the interval is up.
    uint64_t early = poll_until(recorder, 1, interval / 3);
    CHECK(early == 0);
    CHECK(*ring.consumer_pos() == 0);
    CHECK(file_size(tmp.path) > sizeof(kring::record_file::FileHeader) + 100);
    CHECK(recorder.stats().syncs == 0);
    // A record produced meanwhile sends no wakeup (the consumer position
    // lags); the recorder finds it by itself, and one sync covers both.
    produce(ring, "two");
    CHECK(poll_until(recorder, 2, std::chrono::seconds(10)) == 2);
    CHECK(std::chrono::steady_clock::now() - written >= interval);
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
    CHECK(recorder.stats().syncs >= 1);
    CHECK(recorder.stats().writes == 2);
}

TEST_CASE("with a sync size, a sync comes once that many bytes are written, not before") {
    TempPath tmp;
    UserRing ring(65536);
    // Chunks of 32 + 1016 + 8 bytes: the third one reaches 3000 bytes.
    kring::Recorder recorder(tmp.path, sync_options(std::chrono::milliseconds(0), 3000));
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    const std::string record(1008, 'b');
    for (int i = 0; i < 2; i++) {
        produce(ring, record);
        CHECK(poll_until(recorder, 1, std::chrono::milliseconds(100)) == 0);
    }
    CHECK(recorder.stats().syncs == 0);
    CHECK(*ring.consumer_pos() == 0);
    produce(ring, record);
    CHECK(poll_until(recorder, 3, std::chrono::seconds(10)) == 3);
    CHECK(recorder.stats().syncs == 1);
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
}

TEST_CASE("a sync comes early when a ring has half its space written but not yet durable") {
    TempPath tmp;
    UserRing ring(4096);
    // Neither an hour nor a GiB would come: the ring's fill starts the sync.
    kring::Recorder recorder(tmp.path, sync_options(std::chrono::hours(1), 1ULL << 30));
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    produce(ring, std::string(1000, 'a'));
    CHECK(poll_until(recorder, 1, std::chrono::milliseconds(100)) == 0);
    produce(ring, std::string(1000, 'b'));
    produce(ring, std::string(1000, 'c'));
    CHECK(poll_until(recorder, 3, std::chrono::seconds(10)) == 3);
    CHECK(recorder.stats().syncs >= 1);
    // With room again, the producers carry on.
    produce(ring, std::string(1000, 'd'));
    produce(ring, std::string(1000, 'e'));
    CHECK(recorder.flush() >= 1);
    CHECK(replay(tmp.path).records.size() == 5);
}

TEST_CASE("flush and the destructor make everything durable before acknowledging it") {
    TempPath tmp;
    UserRing ring(4096);
    {
        kring::Recorder recorder(tmp.path, sync_options(std::chrono::hours(1), 0));
        recorder.add(ring.view(), ring.wake_fd(), "r", 1);
        produce(ring, "flushed");
        CHECK(recorder.flush() == 1);
        CHECK(recorder.stats().syncs == 1);
        CHECK(*ring.consumer_pos() == *ring.producer_pos());
        produce(ring, "at the end");
        CHECK(poll_until(recorder, 1, std::chrono::milliseconds(100)) == 0);
        CHECK(*ring.consumer_pos() != *ring.producer_pos());
    }
    CHECK(*ring.consumer_pos() == *ring.producer_pos());
    CHECK(replay(tmp.path).records == std::vector<std::string>{"flushed", "at the end"});
}

TEST_CASE("a failed fdatasync is an error naming the file; nothing after it is acknowledged") {
    UserRing ring(4096);
    // /dev/null takes writes but has no fdatasync (EINVAL).
    kring::Recorder recorder("/dev/null", sync_options(std::chrono::milliseconds(1), 0));
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    produce(ring, "lost?");
    CHECK_THROWS_WITH_AS(recorder.flush(), doctest::Contains("fdatasync of record file /dev/null"),
                         kring::Error);
    CHECK(*ring.consumer_pos() == 0);
    // And so on: the recorder refuses to carry on.
    produce(ring, "later");
    CHECK_THROWS_WITH_AS(recorder.poll(std::chrono::milliseconds(0)),
                         doctest::Contains("fdatasync of record file /dev/null"), kring::Error);
    CHECK_THROWS_WITH_AS(recorder.close(), doctest::Contains("fdatasync of record file /dev/null"),
                         kring::Error);
    CHECK(*ring.consumer_pos() == 0);
}

TEST_CASE("close makes what was written durable, acknowledges it and writes nothing new") {
    TempPath tmp;
    UserRing ring(4096);
    kring::Recorder recorder(tmp.path, sync_options(std::chrono::hours(1), 0));
    recorder.add(ring.view(), ring.wake_fd(), "r", 1);
    produce(ring, "written");
    CHECK(poll_until(recorder, 1, std::chrono::milliseconds(100)) == 0);
    unsigned long written_end = *ring.producer_pos();
    produce(ring, "left in the ring");
    recorder.close();
    CHECK(recorder.stats().records == 1);
    CHECK(recorder.stats().syncs == 1);
    CHECK(*ring.consumer_pos() == written_end);
    CHECK_THROWS_WITH_AS(recorder.poll(std::chrono::milliseconds(0)),
                         doctest::Contains("used after close()"), kring::Error);
    CHECK(replay(tmp.path).records == std::vector<std::string>{"written"});
}

namespace {

// Takes CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of this thread's
// effective capabilities (capabilities are per thread), so that root meets
// file permissions as their owner does; puts them back on destruction.
class WithoutDacOverride {
public:
    WithoutDacOverride() {
        REQUIRE(::syscall(SYS_capget, &header_, saved_) == 0);
        __user_cap_data_struct dropped[2] = {saved_[0], saved_[1]};
        dropped[0].effective &= ~((1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH));
        REQUIRE(::syscall(SYS_capset, &header_, dropped) == 0);
    }
    ~WithoutDacOverride() { CHECK(::syscall(SYS_capset, &header_, saved_) == 0); }
    WithoutDacOverride(const WithoutDacOverride&) = delete;
    WithoutDacOverride& operator=(const WithoutDacOverride&) = delete;

private:
    __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct saved_[2]{};
};

} // namespace

TEST_CASE("a new record file's directory is synced, unless the policy is never; failing is an "
          "error naming it") {
    char dir_name[] = "/tmp/kring-recorder-dir-XXXXXX";
    REQUIRE(mkdtemp(dir_name));
    const std::string dir = dir_name, path = dir + "/new.krec";
    // Files can be made in it (write and search), but it cannot be opened
    // to be synced (no read).
    REQUIRE(chmod(dir.c_str(), 0300) == 0);
    {
        WithoutDacOverride as_its_owner;
        const std::string error =
            "open of directory " + dir + " to sync the entry of new record file " + path;
        CHECK_THROWS_WITH_AS(kring::Recorder recorder(path), doctest::Contains(error.c_str()),
                             kring::Error);
        // Before the file header: the file stays empty, a creation to redo.
        CHECK(file_size(path) == 0);
        // Never promises nothing against a power failure: no directory sync.
        CHECK_NOTHROW(kring::Recorder(path, sync_options(std::chrono::milliseconds(0), 0)));
        CHECK(chunks_end(path) == sizeof(kring::record_file::FileHeader));
        // An existing record file is not new: its directory is not synced.
        CHECK_NOTHROW(kring::Recorder{path});
    }
    CHECK(unlink(path.c_str()) == 0);
    CHECK(rmdir(dir.c_str()) == 0);
}

namespace {

// A file of three chunks of ring "r", the last one's records acknowledged
// or not as a crash might leave it; the ring still holds every record.
struct ThreeChunks {
    TempPath tmp;
    UserRing ring{4096};
    uint64_t last_chunk = 0, size = 0;
    uint64_t on_disk = 0;          // size and the zeroes of the last direct write
    unsigned long before_last = 0; // the consumer position before the last chunk
    const std::vector<std::string> records = {"first", "second-one", "third", "fourth!", "five"};

    // Unsynced: what is on the disk does not matter here, and it is fast.
    kring::Recorder::Options options = sync_options(std::chrono::milliseconds(0), 0);

    explicit ThreeChunks(bool direct) {
        options.direct_io = direct;
        kring::Recorder recorder(tmp.path, options);
        CHECK(recorder.direct_io() == (direct && direct_io_here(tmp.path)));
        recorder.add(ring.view(), ring.wake_fd(), "r", 7);
        produce(ring, records[0]);
        recorder.flush();
        produce(ring, records[1]);
        produce(ring, records[2]);
        recorder.flush();
        last_chunk = chunks_end(tmp.path);
        before_last = *ring.consumer_pos();
        produce(ring, records[3]);
        produce(ring, records[4]);
        recorder.flush();
        size = chunks_end(tmp.path);
        on_disk = file_size(tmp.path);
    }

    // Reopens the file after the crash, which came before the last chunk
    // was acknowledged, and records one more record; checks the file then
    // holds every record once, in order. `cut` is what the reopen cuts off.
    void reopen_and_carry_on(uint64_t cut) {
        *ring.consumer_pos() = before_last;
        {
            kring::Recorder recorder(tmp.path, options);
            CHECK(recorder.stats().truncated_bytes == cut);
            recorder.add(ring.view(), ring.wake_fd(), "r", 7);
            produce(ring, "after");
            CHECK(recorder.flush() == 3);
        }
        std::vector<std::string> expected = records;
        expected.push_back("after");
        CHECK(replay(tmp.path).records == expected);
    }
};

} // namespace

// Both ways of writing: buffered, and direct, where the last write's block
// is kept in memory and written again by the next (after a reopen, read
// back from the file).
TEST_CASE("a record file cut at every byte of its last chunk reopens at the chunk before") {
    for (bool direct : {false, true}) {
        CAPTURE(direct);
        uint64_t chunk_size;
        {
            ThreeChunks file(direct);
            chunk_size = file.size - file.last_chunk;
        }
        REQUIRE(chunk_size == 32 + 32 + 8);
        for (uint64_t cut_at = 0; cut_at < chunk_size; cut_at++) {
            CAPTURE(cut_at);
            ThreeChunks file(direct);
            REQUIRE(truncate(file.tmp.path.c_str(), static_cast<off_t>(file.last_chunk + cut_at)) ==
                    0);
            file.reopen_and_carry_on(cut_at);
        }
    }
}

TEST_CASE("a record file with any byte of its last chunk corrupted reopens at the chunk before") {
    for (bool direct : {false, true}) {
        CAPTURE(direct);
        uint64_t chunk_size;
        {
            ThreeChunks file(direct);
            chunk_size = file.size - file.last_chunk;
        }
        for (uint64_t at = 0; at < chunk_size; at++) {
            for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
                CAPTURE(at);
                CAPTURE(int(flip));
                ThreeChunks file(direct);
                int fd = open(file.tmp.path.c_str(), O_RDWR);
                REQUIRE(fd >= 0);
                uint8_t byte;
                off_t offset = static_cast<off_t>(file.last_chunk + at);
                REQUIRE(pread(fd, &byte, 1, offset) == 1);
                byte ^= flip;
                REQUIRE(pwrite(fd, &byte, 1, offset) == 1);
                close(fd);
                file.reopen_and_carry_on(file.on_disk - file.last_chunk);
            }
        }
    }
}

namespace {

struct ChunkAt {
    uint64_t offset;
    kring::record_file::ChunkHeader header;
};

// The chunk headers of a record file in file order, up to its chunks' end.
std::vector<ChunkAt> chunks_of(const std::string& path) {
    using namespace kring::record_file;
    const uint64_t end = chunks_end(path);
    int fd = open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    std::vector<ChunkAt> chunks;
    for (uint64_t at = sizeof(FileHeader); at < end;) {
        ChunkAt chunk{at, {}};
        REQUIRE(pread(fd, &chunk.header, sizeof(chunk.header), static_cast<off_t>(at)) ==
                sizeof(chunk.header));
        chunks.push_back(chunk);
        at += sizeof(ChunkHeader) + chunk.header.length + sizeof(ChunkTrailer);
    }
    close(fd);
    return chunks;
}

uint32_t file_version(const std::string& path) {
    kring::RecordFile file(path);
    return file.version();
}

} // namespace

TEST_CASE("with direct I/O, a long chunk's payload lands on the ring's alignment after a padding "
          "chunk, short ones are copied, and the file reads back across reopens") {
    TempPath tmp;
    UserRing ring(1 << 18);
    std::vector<std::string> expected;
    auto produce_many = [&](int count, size_t size) {
        for (int i = 0; i < count; i++) {
            expected.push_back(std::string(size, static_cast<char>('a' + expected.size() % 26)));
            produce(ring, expected.back());
        }
    };
    auto options = sync_options(std::chrono::milliseconds(0), 0);
    {
        kring::Recorder recorder(tmp.path, options);
        REQUIRE(recorder.direct_io() == direct_io_here(tmp.path));
        if (!recorder.direct_io()) {
            MESSAGE("no direct I/O on the file system of " << tmp.path << ": nothing to check");
            return;
        }
        recorder.add(ring.view(), ring.wake_fd(), "r", 3);
        produce_many(3, 10); // short: copied whole
        recorder.flush();
        produce_many(300, 250); // about 77 KiB: written from the ring
        recorder.flush();
        produce_many(1, 5);
        recorder.flush();
    }
    CHECK(replay(tmp.path).records == expected);
    CHECK(file_version(tmp.path) == kring::record_file::kVersion);
    // The file ends with the rest of its last block in zeroes.
    CHECK(file_size(tmp.path) > chunks_end(tmp.path));
    CHECK(file_size(tmp.path) % 512 == 0);
    {
        // Reopened: the partial last block is read back and written again.
        kring::Recorder recorder(tmp.path, options);
        CHECK(recorder.direct_io());
        CHECK(recorder.stats().truncated_bytes == 0);
        recorder.add(ring.view(), ring.wake_fd(), "r", 3);
        produce_many(2, 7);
        recorder.flush();
        produce_many(200, 300);
        recorder.flush();
    }
    CHECK(replay(tmp.path).records == expected);
    using kring::record_file::kPaddingChunk;
    using kring::record_file::kRecordsChunk;
    const std::vector<ChunkAt> chunks = chunks_of(tmp.path);
    unsigned long_chunks = 0, paddings = 0;
    for (const ChunkAt& chunk : chunks) {
        CAPTURE(chunk.offset);
        if (chunk.header.kind == kPaddingChunk) {
            paddings++;
            continue;
        }
        if (chunk.header.kind != kRecordsChunk || chunk.header.length < 10 * 4096)
            continue;
        // A long payload's bytes sit in the file where a ring byte at the
        // same place in a page would: the ring's bytes went to the disk as
        // they lie in its mapping.
        long_chunks++;
        const uint64_t payload_at = chunk.offset + sizeof(kring::record_file::ChunkHeader);
        const auto ring_at = reinterpret_cast<uintptr_t>(ring.view().data) +
                             (chunk.header.ring_pos & (ring.view().data_size - 1));
        CHECK(payload_at % 512 == ring_at % 512);
    }
    CHECK(long_chunks == 2);
    CHECK(paddings >= 1);
}

TEST_CASE("a version 1 record file is appended to with buffered writes and stays version 1") {
    TempPath tmp;
    UserRing ring(1 << 18);
    auto options = sync_options(std::chrono::milliseconds(0), 0);
    options.direct_io = false;
    std::vector<std::string> expected = {"old"};
    {
        kring::Recorder recorder(tmp.path, options);
        recorder.add(ring.view(), ring.wake_fd(), "r", 3);
        produce(ring, expected.back());
        recorder.flush();
    }
    // Buffered, the file is what a version 1 writer wrote, but for the number.
    int fd = open(tmp.path.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    const uint32_t one = 1;
    REQUIRE(pwrite(fd, &one, sizeof(one), offsetof(kring::record_file::FileHeader, version)) ==
            sizeof(one));
    close(fd);
    CHECK(file_version(tmp.path) == 1);
    options.direct_io = true;
    {
        kring::Recorder recorder(tmp.path, options);
        CHECK_FALSE(recorder.direct_io());
        recorder.add(ring.view(), ring.wake_fd(), "r", 3);
        for (int i = 0; i < 300; i++) {
            expected.push_back(std::string(250, 'v'));
            produce(ring, expected.back());
        }
        recorder.flush();
    }
    CHECK(replay(tmp.path).records == expected);
    CHECK(file_version(tmp.path) == 1);
    CHECK(file_size(tmp.path) == chunks_end(tmp.path));
    for (const ChunkAt& chunk : chunks_of(tmp.path))
        CHECK(chunk.header.kind != kring::record_file::kPaddingChunk);
}

TEST_CASE("zeroes after the last chunk, fewer than a page, end a record file; more do not") {
    TempPath tmp;
    UserRing ring(4096);
    auto options = sync_options(std::chrono::milliseconds(0), 0);
    options.direct_io = false;
    {
        kring::Recorder recorder(tmp.path, options);
        recorder.add(ring.view(), ring.wake_fd(), "r", 3);
        produce(ring, "only");
        recorder.flush();
    }
    const uint64_t end = file_size(tmp.path);
    REQUIRE(truncate(tmp.path.c_str(), static_cast<off_t>(end + 4095)) == 0);
    CHECK(replay(tmp.path).records == std::vector<std::string>{"only"});
    CHECK(chunks_end(tmp.path) == end);
    {
        // Not a broken tail: nothing is cut, the next chunk goes at the end.
        kring::Recorder recorder(tmp.path, options);
        CHECK(recorder.stats().truncated_bytes == 0);
        CHECK(recorder.notes().empty());
    }
    REQUIRE(truncate(tmp.path.c_str(), static_cast<off_t>(end + 4096)) == 0);
    std::string error;
    CHECK(replay(tmp.path, &error).records == std::vector<std::string>{"only"});
    CHECK(error == "offset " + std::to_string(end) + ": no chunk here (magic 0x00000000)");
    REQUIRE(truncate(tmp.path.c_str(), static_cast<off_t>(end + 100)) == 0);
    {
        // A byte that is not zero: not the rest of a block.
        int fd = open(tmp.path.c_str(), O_RDWR);
        REQUIRE(fd >= 0);
        REQUIRE(pwrite(fd, "x", 1, static_cast<off_t>(end + 99)) == 1);
        close(fd);
    }
    CHECK(replay(tmp.path, &error).records == std::vector<std::string>{"only"});
    CHECK(error == "offset " + std::to_string(end) + ": no chunk here (magic 0x00000000)");
}
