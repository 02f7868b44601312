// kringctl record on the real module: killed at random points while a
// producer runs, and restarted on the same named ring and file, it must end
// with every record produced in the file exactly once and in order, and every
// record not in the file counted as a drop.
#include "kringctl_util.hpp"
#include "vm_util.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <fstream>
#include <kring/kring.hpp>
#include <kring/record_file.hpp>
#include <random>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace vmtest;
using namespace vmtest::cli;

namespace {

struct Event {
    uint64_t seq;
    uint64_t pad[2];
};

bool mounted(const std::string& dir) {
    std::ifstream mounts("/proc/mounts");
    std::string line;
    while (std::getline(mounts, line))
        if (line.find(" " + dir + " ") != std::string::npos)
            return true;
    return false;
}

// Records into `file` with chunks of at most `max_chunk` bytes; the last
// recorder's summary must say `direct_io` as given.
void record_killed_and_restarted(const std::string& file, const std::string& max_chunk,
                                 bool direct_io) {
    const std::string name = "crash-test";
    ::unlink(file.c_str());
    kring::Ring ring = kring::Ring::create(64 * 1024);
    ring.pin(name);
    std::random_device seed_source;
    const unsigned seed = seed_source();
    MESSAGE("seed " << seed);
    std::mt19937 random(seed);

    constexpr uint64_t kRecords = 60000;
    std::vector<char> dropped(kRecords, 0);
    std::atomic<bool> producing{true};
    std::thread producer([&] {
        for (uint64_t seq = 0; seq < kRecords; seq++) {
            Event e{seq, {seq, ~seq}};
            if (!ring.write(std::as_bytes(std::span(&e, 1))))
                dropped[seq] = 1;
            if (seq % 64 == 0) // a burst, then a breath: the recorder keeps up
                std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        producing = false;
    });

    int kills = 0;
    while (producing) {
        // No progress line: one cut by SIGKILL would run into the next
        // console line.
        pid_t recorder = spawn_kringctl(
            {"record", name, "--output", file, "--max-chunk", max_chunk, "--progress", "never"});
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 150)(random)));
        ::kill(recorder, SIGKILL);
        CHECK(wait_exit(recorder) == 128 + SIGKILL);
        kills++;
    }
    producer.join();
    MESSAGE(kills << " recorders killed");
    CHECK(kills >= 3);
    int status = 0;
    std::string summary =
        run_kringctl({"record", name, "--output", file, "--exit-when-empty", "--json"}, &status);
    CHECK(status == 0);
    CHECK(summary.find(std::string(",\"direct_io\":") + (direct_io ? "true" : "false") + ",") !=
          std::string::npos);

    kring::RecordFile recorded(file);
    uint64_t next = 0, in_file = 0;
    bool ordered = true, none_lost = true;
    bool sound = recorded.read([&](const kring::RecordedRecord& r) {
        Event e;
        REQUIRE(r.data.size() == sizeof(e));
        std::memcpy(&e, r.data.data(), sizeof(e));
        ordered = ordered && e.seq >= next && e.pad[0] == e.seq && e.pad[1] == ~e.seq;
        // Everything between the previous record and this one was dropped.
        for (uint64_t s = next; s < e.seq && s < kRecords; s++)
            none_lost = none_lost && dropped[s];
        next = e.seq + 1;
        in_file++;
        return true;
    });
    CHECK_MESSAGE(sound, recorded.error());
    CHECK(ordered);
    CHECK(none_lost);
    for (uint64_t s = next; s < kRecords; s++)
        none_lost = none_lost && dropped[s];
    CHECK(none_lost);
    uint64_t drops = 0;
    for (char d : dropped)
        drops += d;
    MESSAGE(in_file << " records in the file, " << drops << " dropped");
    CHECK(in_file + drops == kRecords);
    CHECK(ring.stats().dropped == drops);
    CHECK(ring.stats().committed == kRecords - drops);

    // The drops are visible where an operator looks.
    std::string stats = run_kringctl({"stats", "--json", name}, &status);
    CHECK(status == 0);
    CHECK(stats.find("\"dropped\":" + std::to_string(drops) + ",") != std::string::npos);
    CHECK(stats.find("\"unconsumed\":0,") != std::string::npos);
    // And the file replays as JSON lines, one per record.
    std::string replayed = run_kringctl({"replay", "--json", file}, &status);
    CHECK(status == 0);
    CHECK(static_cast<uint64_t>(std::count(replayed.begin(), replayed.end(), '\n')) == in_file);
    kring::Ring::unpin(name);
    ::unlink(file.c_str());
}

} // namespace

TEST_CASE("kringctl record killed at random points and restarted: every record once, in order") {
    // tmpfs: buffered writes.
    record_killed_and_restarted("/tmp/crash-test.krec", "2048", false);
}

TEST_CASE("kringctl record with direct I/O (ext4), killed and restarted: every record once") {
    // run-vm.sh --disk: ext4 on a virtio disk, which has direct I/O. Chunks
    // of up to 16 KiB: the longer ones go to the disk from the ring's pages.
    REQUIRE(mounted("/mnt/disk"));
    record_killed_and_restarted("/mnt/disk/crash-test.krec", "16384", true);
}

TEST_CASE("kringctl record --buffered on ext4 writes through the page cache: no padding, no "
          "zeroes after the last chunk") {
    REQUIRE(mounted("/mnt/disk"));
    const std::string name = "buffered-test", file = "/mnt/disk/buffered-test.krec";
    ::unlink(file.c_str());
    kring::Ring ring = kring::Ring::create(1 << 20);
    ring.pin(name);
    constexpr int kRecords = 3000; // 96 KB: chunks long enough to be written direct
    for (int seq = 0; seq < kRecords; seq++) {
        Event e{uint64_t(seq), {}};
        REQUIRE(ring.write(std::as_bytes(std::span(&e, 1))));
    }
    int status = 0;
    std::string summary = run_kringctl(
        {"record", name, "-o", file, "--buffered", "--exit-when-empty", "--json"}, &status);
    CHECK(status == 0);
    CHECK(summary.find(",\"direct_io\":false,") != std::string::npos);
    kring::RecordFile recorded(file);
    int records = 0;
    CHECK(recorded.read([&](const kring::RecordedRecord&) { return ++records > 0; }));
    CHECK(records == kRecords);
    // Buffered, the chunks end where the file does.
    CHECK(recorded.sound_end() == recorded.size());
    kring::Ring::unpin(name);
    ::unlink(file.c_str());
}

TEST_CASE("kringctl record --json --progress always: a summary object per line, a live line") {
    const std::string name = "record-json", file = "/tmp/record-json.krec";
    ::unlink(file.c_str());
    kring::Ring ring = kring::Ring::create(64 * 1024);
    ring.pin(name);
    constexpr int kRecords = 1000;
    for (int seq = 0; seq < kRecords; seq++) {
        Event e{uint64_t(seq), {}};
        REQUIRE(ring.write(std::as_bytes(std::span(&e, 1))));
    }
    int out[2], err[2];
    REQUIRE(pipe(out) == 0);
    REQUIRE(pipe(err) == 0);
    // A slow producer keeps it running long enough for the progress line.
    std::thread producer([&] {
        for (int seq = kRecords; seq < 2 * kRecords; seq++) {
            Event e{uint64_t(seq), {}};
            CHECK(ring.write(std::as_bytes(std::span(&e, 1))));
            std::this_thread::sleep_for(std::chrono::microseconds(1500));
        }
    });
    pid_t recorder = spawn_kringctl({"record", name, "-o", file, "--count", "2000", "--json",
                                     "--progress", "always", "--sync", "20ms"},
                                    out[1], err[1]);
    ::close(out[1]);
    ::close(err[1]);
    std::string summary = read_to_end(out[0]);
    std::string progress = read_to_end(err[0]);
    producer.join();
    CHECK(wait_exit(recorder) == 0);
    CHECK(summary.find("{\"file\":\"" + file + "\",\"records\":2000,") == 0);
    CHECK(summary.find(",\"sync\":\"every 20 ms\",") != std::string::npos);
    CHECK(summary.find("\n{\"ring\":\"" + name +
                       "\",\"committed\":2000,\"dropped\":0,"
                       "\"unconsumed\":0}\n") != std::string::npos);
    // The line is rewritten in place, and ended by a newline: nothing else
    // went to stderr with --json.
    CHECK(progress.find("\rkringctl record: ") == 0);
    CHECK(progress.find(" records/s, ") != std::string::npos);
    CHECK(std::count(progress.begin(), progress.end(), '\n') == 1);
    CHECK(progress.back() == '\n');
    int status = 0;
    std::string replayed = run_kringctl({"replay", "--json", file}, &status);
    CHECK(status == 0);
    CHECK(std::count(replayed.begin(), replayed.end(), '\n') == 2000);
    kring::Ring::unpin(name);
    ::unlink(file.c_str());
}

TEST_CASE("replay of a truncated file prints what precedes the break, then says where") {
    const std::string name = "replay-test", file = "/tmp/replay-test.krec";
    ::unlink(file.c_str());
    kring::Ring ring = kring::Ring::create(16 * 1024);
    ring.pin(name);
    for (uint64_t seq = 0; seq < 3; seq++) {
        Event e{seq, {seq, ~seq}};
        REQUIRE(ring.write(std::as_bytes(std::span(&e, 1))));
        pid_t recorder = spawn_kringctl({"record", name, "--output", file, "--exit-when-empty"});
        REQUIRE(wait_exit(recorder) == 0);
    }
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    REQUIRE(::truncate(file.c_str(), st.st_size - 5) == 0);
    int status = 0;
    std::string replayed = run_kringctl({"replay", "--json", file}, &status);
    CHECK(status == 1);
    // Two records, then the error as a JSON object.
    CHECK(std::count(replayed.begin(), replayed.end(), '\n') == 3);
    CHECK(replayed.find("\n{\"error\":\"" + file + ": offset ") != std::string::npos);
    CHECK(
        replayed.find("(an interrupted write?) (2 records before it printed)\",\"records\":2}\n") !=
        std::string::npos);
    kring::Ring::unpin(name);
    ::unlink(file.c_str());
}

TEST_CASE("kringctl run --ring feeds a named ring that kringctl record persists") {
    const std::string name = "exec-events", file = "/tmp/exec-events.krec";
    ::unlink(file.c_str());
    int status = 0;
    run_kringctl({"create", name, "--size", "65536"}, &status);
    REQUIRE(status == 0);
    // The programs write into the named ring and leave it to the recorder.
    pid_t snoop = spawn_kringctl(
        {"run", "/lib/kring/exec-snoop.bpf.o", "--ring", "events=" + name, "--duration", "3"});
    // Loaded and attached (reading the kernel's BTF for its CO-RE
    // relocations takes a while under TCG): its three links are listed.
    const auto start = std::chrono::steady_clock::now();
    while (kring::list_links().size() < 3 &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(kring::list_links().size() == 3);
    pid_t child = vmtest::run_busybox({"true"});
    CHECK(wait_exit(snoop) == 0);
    // Declared, the records replay as exec-snoop events (else as hex).
    CHECK(wait_exit(spawn_kringctl({"record", name, "--type", name + "=exec_snoop_event", "-o",
                                    file, "--exit-when-empty"})) == 0);
    std::string replayed = run_kringctl({"replay", "--json", file}, &status);
    CHECK(status == 0);
    CHECK(replayed.find("\"event\":\"exec\",") != std::string::npos);
    CHECK(replayed.find("\"pid\":" + std::to_string(child) + ",") != std::string::npos);
    // A map the object does not have is refused with a usage error.
    run_kringctl({"run", "/lib/kring/exec-snoop.bpf.o", "--ring", "nope=" + name}, &status);
    CHECK(status == 2);
    run_kringctl({"unpin", name}, &status);
    CHECK(status == 0);
    run_kringctl({"unpin", name}, &status);
    CHECK(status == 1); // no such name any more
    ::unlink(file.c_str());
}

TEST_CASE("kringctl stats --watch prints each ring's rates per second") {
    const std::string name = "watch-test";
    kring::Ring ring = kring::Ring::create(16 * 1024);
    ring.pin(name);
    // A writer for as long as kringctl watches; the ring fills and then
    // drops, which the rates show too.
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (uint64_t seq = 0; writing.load(); seq++) {
            (void)ring.write(std::as_bytes(std::span(&seq, 1)));
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    int status = 0;
    std::string out =
        run_kringctl({"stats", "--watch", "0.3", "--count", "3", "--json", name}, &status);
    writing = false;
    writer.join();
    INFO("kringctl stats --watch:\n", out);
    CHECK(status == 0);
    CHECK(std::count(out.begin(), out.end(), '\n') == 3);
    double committed_per_s = 0, dropped_per_s = 0, most = 0;
    for (size_t at = 0; (at = out.find("{\"ring\":\"watch-test\"", at)) != std::string::npos;
         at++) {
        size_t c = out.find("\"committed_per_s\":", at), d = out.find("\"dropped_per_s\":", at);
        REQUIRE(c != std::string::npos);
        REQUIRE(d != std::string::npos);
        committed_per_s = std::stod(out.substr(c + 18));
        dropped_per_s = std::stod(out.substr(d + 16));
        most = std::max(most, committed_per_s + dropped_per_s);
        CHECK(committed_per_s >= 0);
    }
    // Records went in at up to 5000/s: some interval saw them.
    CHECK(most > 0);
    CHECK(run_kringctl({"stats", "--count", "2", name}, &status).empty());
    CHECK(status == 2);
    kring::Ring::unpin(name);
}
