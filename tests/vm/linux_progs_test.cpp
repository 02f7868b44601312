// ELF objects with maps and global data, loaded into the module as libbpf
// loads them into Linux (issue 18): Linux's own ring buffer selftest
// programs, test_ringbuf.c and ringbuf_bench.c (tests/linux_progs: taken
// from linux-source-6.1, fentry/ turned into kprobe/), with what their
// user-space halves in tools/testing/selftests/bpf check; and
// tests/bpf_progs/globals.bpf.c's .rodata, .data, .bss and hash map. The
// programs' global data is read and written through mmap(), as a libbpf
// skeleton's ->bss is, JIT'd and interpreted alike. And examples/opensnoop:
// a kprobe and a kretprobe on struct pt_regs, as bpf_tracing.h reads them.
#include "../../examples/exec-snoop.h"
#include "kringctl_util.hpp"
#include "vm_util.hpp"

#include <algorithm>
#include <asm/ptrace.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <kring/hex.hpp>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <map>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

using vmtest::cli::run_kringctl;

namespace {

const std::string kObjects = "/lib/kring/";

// A global data section's value, mapped as a skeleton maps it.
class GlobalView {
public:
    GlobalView(const kring::LinuxMap& map, const kring::bpf::MapDecl& decl)
        : decl_(decl), size_((decl.value_size + vmtest::page_size() - 1) / vmtest::page_size() *
                             vmtest::page_size()) {
        int prot = PROT_READ | (decl.is_frozen() ? 0 : PROT_WRITE);
        void* at = ::mmap(nullptr, size_, prot, MAP_SHARED, map.fd(), 0);
        REQUIRE(at != MAP_FAILED);
        base_ = static_cast<std::byte*>(at);
    }
    GlobalView(const GlobalView&) = delete;
    GlobalView& operator=(const GlobalView&) = delete;
    ~GlobalView() { ::munmap(base_, size_); }

    template <typename T>
    volatile T& at(const std::string& name) {
        for (const auto& var : decl_.vars)
            if (var.name == name) {
                REQUIRE(var.size == sizeof(T));
                return *reinterpret_cast<volatile T*>(base_ + var.offset);
            }
        FAIL("no variable " << name << " in " << decl_.name);
        throw 0;
    }

private:
    const kring::bpf::MapDecl& decl_;
    size_t size_;
    std::byte* base_ = nullptr;
};

// An object loaded and its programs attached, as a skeleton's load and
// attach do.
struct Loaded {
    kring::bpf::Object obj;
    kring::ObjectMaps maps;
    std::vector<kring::Program> programs;
    std::vector<kring::Link> links;

    Loaded(const std::string& file, const kring::bpf::ObjectSettings& settings, uint32_t flags,
           bool attach)
        : obj(kring::bpf::load_elf(kObjects + file, settings)), maps(obj, file) {
        for (const auto& prog : obj.programs) {
            std::string symbol;
            kring_attach_type type = kring::attach_type_of_section(prog.section, &symbol);
            programs.push_back(kring::Program::load(
                prog, maps.fds(), type ? type : KRING_ATTACH_KPROBE, {1, flags, {}}));
            if (attach)
                links.push_back(programs.back().attach(symbol));
        }
    }
    GlobalView view(const std::string& section) {
        size_t index = obj.map_index(section);
        return GlobalView(maps.map(index), obj.maps[index]);
    }
    kring::Ring& ring(const std::string& name) { return maps.ring(obj.map_index(name)); }
};

struct Sample { // test_ringbuf.c's
    int pid;
    int seq;
    long value;
    char comm[16];
};

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

} // namespace

TEST_CASE("Linux's test_ringbuf.c: two samples and a discarded copy, the globals it reports") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        kring::bpf::ObjectSettings settings;
        settings.max_entries["ringbuf"] = static_cast<uint32_t>(vmtest::page_size());
        Loaded loaded("test_ringbuf.bpf.o", settings, flags, true);
        REQUIRE(loaded.links.size() == 1);
        CHECK(loaded.programs[0].jited() == (flags == 0));
        GlobalView bss = loaded.view(".bss");
        bss.at<int>("pid") = getpid();
        bss.at<long>("value") = 333;
        ::syscall(SYS_getpgid);
        bss.at<long>("value") = 777;
        ::syscall(SYS_getpgid);
        // Two submitted records and one discarded: 40 bytes each with
        // the header, as Linux's (BPF_RINGBUF_HDR_SZ + sizeof(sample)).
        const long rec_sz = 8 + sizeof(Sample);
        CHECK(bss.at<long>("avail_data") == 3 * rec_sz);
        CHECK(bss.at<long>("ring_size") == static_cast<long>(vmtest::page_size()));
        CHECK(bss.at<long>("cons_pos") == 0);
        CHECK(bss.at<long>("prod_pos") == 3 * rec_sz);
        CHECK(bss.at<long>("dropped") == 0);
        CHECK(bss.at<long>("total") == 2);
        CHECK(bss.at<long>("discarded") == 1);
        std::vector<Sample> samples;
        kring::Consumer consumer;
        consumer.add(loaded.ring("ringbuf"), [&](std::span<const std::byte> record) {
            REQUIRE(record.size() == sizeof(Sample));
            Sample s;
            std::memcpy(&s, record.data(), sizeof(s));
            samples.push_back(s);
            return 0;
        });
        consumer.consume();
        REQUIRE(samples.size() == 2);
        CHECK(samples[0].seq == 0);
        CHECK(samples[0].value == 333);
        CHECK(samples[1].seq == 1);
        CHECK(samples[1].value == 777);
        for (const Sample& s : samples) {
            CHECK(s.pid == getpid());
            CHECK(std::string(s.comm) == "kring-vm-tests");
        }
    }
}

TEST_CASE("Linux's ringbuf_bench.c: batches reserved or output, as its .rodata configures them") {
    for (uint32_t flags : kRuntimes)
        for (const char* use_output : {"0", "1"}) {
            CAPTURE(flags);
            CAPTURE(use_output);
            kring::bpf::ObjectSettings settings;
            settings.max_entries["ringbuf"] = 1 << 19;
            settings.globals = {{"batch_cnt", "100"}, {"use_output", use_output}};
            Loaded loaded("ringbuf_bench.bpf.o", settings, flags, true);
            for (int i = 0; i < 10; i++)
                ::syscall(SYS_getpgid);
            loaded.links.clear(); // as the bench's consumer sees them: no more
            uint64_t samples = 0, right = 0;
            kring::Consumer consumer;
            consumer.add(loaded.ring("ringbuf"), [&](std::span<const std::byte> record) {
                long value;
                REQUIRE(record.size() == sizeof(value));
                std::memcpy(&value, record.data(), sizeof(value));
                samples++;
                right += value == 42;
                return 0;
            });
            consumer.consume();
            // Other processes' getpgid() calls produce too: at least ours.
            CHECK(samples >= 1000);
            CHECK(samples % 100 == 0);
            CHECK(right == samples);
            CHECK(loaded.view(".bss").at<long>("dropped") == 0); // zero: in .bss
        }
}

TEST_CASE("global data in the module: .rodata known to the verifier, .data and .bss written, a "
          "hash map counted") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        kring::bpf::ObjectSettings settings;
        settings.max_entries["big"] = 4096;
        settings.globals = {{"threshold", "6"}, {"scale", "3"}, {"loops", "5"}};
        Loaded loaded("globals.bpf.o", settings, flags, false);
        REQUIRE(loaded.programs.size() == 2);
        pt_regs ctx{};
        for (uint32_t run = 0; run < 10; run++) {
            uint32_t ab[2] = {run % 4 + 5, run}; // globals.bpf.c's test_ctx: a, b
            std::memcpy(&ctx, ab, sizeof(ab));
            CHECK(loaded.programs[0].test_run(std::as_writable_bytes(std::span(&ctx, 1))).retval ==
                  0);
        }
        // The loop bounded by .rodata's loops (5): 0 + 1 + 2 + 3 + 4.
        CHECK(loaded.programs[1].test_run(std::as_writable_bytes(std::span(&ctx, 1))).retval == 10);
        CHECK(loaded.view(".data").at<uint64_t>("runs") == 110);
        CHECK(loaded.view(".bss").at<uint64_t>("over") == 4);
        CHECK(loaded.view(".bss").at<uint64_t>("last_sum") == 6 * 3 + 5);
        CHECK(loaded.view(".rodata").at<uint32_t>("threshold") == 6);
        const kring::LinuxMap& counts = loaded.maps.map(loaded.obj.map_index("counts"));
        std::map<uint32_t, uint64_t> got;
        for (auto key = counts.next_key(nullptr); key; key = counts.next_key(&*key)) {
            auto value = counts.lookup(*key);
            REQUIRE(value);
            uint32_t k;
            uint64_t n;
            std::memcpy(&k, key->data(), 4);
            std::memcpy(&n, value->data(), 8);
            got[k] = n;
        }
        CHECK(got == std::map<uint32_t, uint64_t>{{5, 3}, {6, 3}, {7, 2}, {8, 2}});
        // The program holds five Linux maps (counts and four sections), by id.
        kring_prog_info info = loaded.programs[0].info();
        CHECK(info.nr_maps == 5);
        std::vector<uint32_t> ids(info.map_ids, info.map_ids + 5);
        CHECK(std::count(ids.begin(), ids.end(), counts.info().id) == 1);
        CHECK(std::count(ids.begin(), ids.end(), 0U) == 0);
        // As libbpf names them: the object's name, then the section.
        CHECK(std::string(loaded.maps.map(loaded.obj.map_index(".rodata")).info().name) ==
              "globals.rodata");
        // Frozen: userspace can no longer change what the verifier read.
        uint32_t zero = 0;
        std::vector<std::byte> value(loaded.obj.maps[loaded.obj.map_index(".rodata")].value_size);
        CHECK_THROWS_WITH_AS(loaded.maps.map(loaded.obj.map_index(".rodata"))
                                 .update(std::as_bytes(std::span(&zero, 1)), value),
                             doctest::Contains("map update"), kring::Error);
    }
}

TEST_CASE("kringctl map: test_ringbuf.c run pinned, its .bss dumped, looked up and updated by "
          "name, as with bpftool") {
    const std::string file = kObjects + "test_ringbuf.bpf.o";
    int status = -1;
    run_kringctl({"run", file, "--max-entries", "ringbuf=4096", "--set",
                  "pid=" + std::to_string(getpid()), "--pin", "maptest"},
                 &status);
    REQUIRE(status == 0);
    // The .bss's layout, from the object; its value, from the map by name.
    auto obj = kring::bpf::load_elf(file, {{{"ringbuf", 4096}}, {}, {}, {}});
    const auto& bss = obj.maps[obj.map_index(".bss")];
    auto offset_of = [&](const std::string& name) {
        for (const auto& v : bss.vars)
            if (v.name == name)
                return v.offset;
        FAIL("no " << name);
        return 0U;
    };
    std::string out = run_kringctl(
        {"map", "lookup", "name", "test_rin.bss", "--key", "00000000", "--json"}, &status);
    REQUIRE(status == 0);
    const std::string prefix = "{\"key\":\"00000000\",\"value\":\"";
    REQUIRE(out.rfind(prefix, 0) == 0);
    std::vector<std::byte> value =
        kring::parse_hex(out.substr(prefix.size(), 2 * bss.value_size), "value");
    int pid;
    std::memcpy(&pid, value.data() + offset_of("pid"), sizeof(pid));
    CHECK(pid == getpid()); // --set's
    long v = 555;
    std::memcpy(value.data() + offset_of("value"), &v, sizeof(v));
    run_kringctl({"map", "update", "name", "test_rin.bss", "--key", "00 00 00 00", "--value",
                  kring::to_hex(value)},
                 &status);
    CHECK(status == 0);
    ::syscall(SYS_getpgid);
    // The dump: one entry (a section is a one-entry array), total now 1.
    out = run_kringctl({"map", "dump", "name", "test_rin.bss"}, &status);
    CHECK(status == 0);
    REQUIRE(out.rfind("key: 00000000  value: ", 0) == 0);
    value = kring::parse_hex(out.substr(22, 2 * bss.value_size), "value");
    long total;
    std::memcpy(&total, value.data() + offset_of("total"), sizeof(total));
    CHECK(total == 1);
    kring::Ring ring = kring::Ring::open_pinned("maptest.ringbuf");
    std::vector<Sample> samples;
    kring::Consumer consumer;
    consumer.add(ring, [&](std::span<const std::byte> record) {
        Sample s;
        std::memcpy(&s, record.data(), sizeof(s));
        samples.push_back(s);
        return 0;
    });
    consumer.consume();
    REQUIRE(samples.size() == 1);
    CHECK(samples[0].value == 555);
    // Wrong input: an array's entries cannot be deleted; a key of the
    // wrong size; no such name.
    run_kringctl({"map", "delete", "name", "test_rin.bss", "--key", "00000000"}, &status);
    CHECK(status == 1);
    run_kringctl({"map", "lookup", "name", "test_rin.bss", "--key", "00"}, &status);
    CHECK(status == 2);
    run_kringctl({"map", "dump", "name", "no_such_map"}, &status);
    CHECK(status == 1);
    run_kringctl({"unpin", "maptest.test_ringbuf", "maptest.ringbuf"}, &status);
    CHECK(status == 0);
}

TEST_CASE("opensnoop: a kprobe and a kretprobe on struct pt_regs (BPF_KPROBE, BPF_KRETPROBE), "
          "a name read with probe_read_user_str, a hash map between them") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        kring::bpf::ObjectSettings settings;
        settings.globals = {{"target_pid", std::to_string(getpid())}};
        Loaded loaded("opensnoop.bpf.o", settings, flags, true);
        REQUIRE(loaded.links.size() == 2);
        const std::string missing = "/tmp/kring-opensnoop-missing-" + std::to_string(flags);
        int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        CHECK(::open(missing.c_str(), O_RDONLY | O_CLOEXEC) == -1);
        ::close(fd);
        std::map<std::string, opensnoop_event> seen;
        kring::Consumer consumer;
        consumer.add(loaded.ring("opens"), [&](std::span<const std::byte> record) {
            REQUIRE(record.size() == sizeof(opensnoop_event));
            opensnoop_event e;
            std::memcpy(&e, record.data(), sizeof(e));
            seen[e.filename] = e;
            return 0;
        });
        consumer.consume();
        REQUIRE(seen.count("/proc/self/status") == 1);
        const opensnoop_event& opened = seen["/proc/self/status"];
        CHECK(opened.ret == fd);       // PT_REGS_RC at the return
        CHECK(opened.dfd == AT_FDCWD); // PT_REGS_PARM1 at the entry
        CHECK(opened.pid == static_cast<uint32_t>(getpid()));
        CHECK(opened.tid == static_cast<uint32_t>(gettid()));
        CHECK(std::string(opened.comm) == "kring-vm-tests");
        REQUIRE(seen.count(missing) == 1);
        CHECK(seen[missing].ret == -ENOENT);
        // Only this process (--set target_pid): every event is ours.
        for (const auto& [name, e] : seen)
            CHECK(e.pid == static_cast<uint32_t>(getpid()));
    }
}
