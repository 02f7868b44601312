// Issue 15's acceptance: tests/bpf_progs/bootstrap.bpf.c, a tracer in the
// style of libbpf-bootstrap's bootstrap.bpf.c written against vmlinux.h
// (CO-RE reads of task->real_parent->tgid and task->exit_code, trace
// events sched/sched_process_exec and _exit by name, the exec's __data_loc
// file name, a HASH map of exec times), loaded unchanged into kring by its
// ELF loader and into Linux by libbpf, each while the same children run:
// both report them the same, field by field. One at a time: a Linux
// tracepoint program that returns 0 drops the event before perf, and so
// kring, sees it (docs/programs.md). JIT'd and interpreted alike.
#include "object_util.hpp"
#include "vm_util.hpp"

#include <bpf/libbpf.h>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/bootstrap.bpf.o";

struct LifecycleEvent { // bootstrap.bpf.c's
    uint32_t pid;
    uint32_t ppid;
    uint32_t exit_code;
    uint32_t is_exit;
    uint64_t duration_ns;
    char comm[16];
    char filename[128];
};

std::string describe(const LifecycleEvent& e) {
    std::ostringstream out;
    out << (e.is_exit ? "exit " : "exec ") << "pid " << e.pid << " ppid " << e.ppid << " comm "
        << std::string(e.comm, strnlen(e.comm, sizeof(e.comm)));
    if (e.is_exit)
        out << " code " << e.exit_code << " after " << e.duration_ns / 1000 << " us";
    else
        out << " file " << std::string(e.filename, strnlen(e.filename, sizeof(e.filename)));
    return out.str();
}

// The object in kring: as kringctl run loads it, every program attached.
struct KringBootstrap : vmtest::TestObject {
    std::vector<kring::Program> programs;
    std::vector<kring::Link> links;

    explicit KringBootstrap(uint32_t flags) : TestObject(kObject, "bootstrap") {
        for (const auto& prog : obj.programs) {
            std::string target;
            REQUIRE(kring::attach_type_of_section(prog.section, &target) ==
                    KRING_ATTACH_TRACEPOINT);
            programs.push_back(load(prog.name, KRING_ATTACH_TRACEPOINT, flags));
            CHECK(programs.back().jited() == !(flags & KRING_PROG_F_INTERPRETER));
            links.push_back(programs.back().attach(target));
        }
    }
};

// The same object in Linux, as a libbpf user loads it.
struct LinuxBootstrap {
    bpf_object* obj = nullptr;
    std::vector<bpf_link*> links;
    ring_buffer* ring = nullptr;
    std::vector<LifecycleEvent> events;

    LinuxBootstrap() {
        obj = bpf_object__open_file(kObject.c_str(), nullptr);
        REQUIRE_MESSAGE(obj, "libbpf: open: " << strerror(errno));
        REQUIRE_MESSAGE(bpf_object__load(obj) == 0, "libbpf: load: " << strerror(errno));
        bpf_program* prog;
        bpf_object__for_each_program(prog, obj) {
            bpf_link* link = bpf_program__attach(prog);
            REQUIRE_MESSAGE(link, "libbpf: attach " << bpf_program__name(prog) << ": "
                                                    << strerror(errno));
            links.push_back(link);
        }
        ring = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")),
                                &LinuxBootstrap::on_record, this, nullptr);
        REQUIRE(ring);
    }
    ~LinuxBootstrap() {
        ring_buffer__free(ring);
        for (bpf_link* link : links)
            bpf_link__destroy(link);
        bpf_object__close(obj);
    }
    static int on_record(void* self, void* data, size_t size) {
        REQUIRE(size == sizeof(LifecycleEvent));
        auto* me = static_cast<LinuxBootstrap*>(self);
        std::memcpy(&me->events.emplace_back(), data, sizeof(LifecycleEvent));
        return 0;
    }
    std::vector<LifecycleEvent> drain() {
        CHECK(ring_buffer__consume(ring) >= 0);
        return std::exchange(events, {});
    }
};

// Runs each command (busybox argv) in a child; their pids.
std::vector<pid_t> run_children(const std::vector<std::vector<const char*>>& commands) {
    std::vector<pid_t> pids;
    for (const auto& argv : commands)
        pids.push_back(vmtest::run_busybox(argv));
    return pids;
}

// The events of `pids`, in the order they came.
std::vector<LifecycleEvent> of(const std::vector<LifecycleEvent>& all,
                               const std::vector<pid_t>& pids) {
    std::vector<LifecycleEvent> out;
    for (const LifecycleEvent& e : all)
        if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(e.pid)) != pids.end())
            out.push_back(e);
    return out;
}

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

} // namespace

TEST_CASE("bootstrap: a libbpf-bootstrap-style tracer reports the same events in kring as in "
          "Linux") {
    const std::vector<std::vector<const char*>> commands = {
        {"true"}, {"sh", "-c", "exit 3"}, {"usleep", "20000"}, {"false"}};
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        std::vector<LifecycleEvent> in_kring, in_linux;
        std::vector<pid_t> kring_pids, linux_pids;
        {
            KringBootstrap kring_side(flags);
            kring_pids = run_children(commands);
            in_kring = of(kring_side.drain<LifecycleEvent>("events"), kring_pids);
            // The HASH map of exec times (a Linux map, as libbpf makes it):
            // each exit took its child's entry out.
            const kring::LinuxMap& starts =
                kring_side.maps.map(kring_side.obj.map_index("exec_start"));
            for (pid_t pid : kring_pids) {
                uint32_t key = static_cast<uint32_t>(pid);
                CHECK_FALSE(starts.lookup(std::as_bytes(std::span(&key, 1))).has_value());
            }
        }
        {
            LinuxBootstrap linux_side;
            linux_pids = run_children(commands);
            in_linux = of(linux_side.drain(), linux_pids);
        }
        // An exec and an exit for each child.
        REQUIRE(in_linux.size() == 2 * commands.size());
        REQUIRE(in_kring.size() == in_linux.size());
        const uint32_t exit_codes[] = {0, 3, 0, 1};
        for (size_t i = 0; i < in_kring.size(); i++) {
            const LifecycleEvent &k = in_kring[i], &l = in_linux[i];
            MESSAGE("kring: ", describe(k), "\nLinux: ", describe(l));
            CHECK(k.pid == static_cast<uint32_t>(kring_pids[i / 2]));
            CHECK(l.pid == static_cast<uint32_t>(linux_pids[i / 2]));
            CHECK(k.ppid == l.ppid);
            CHECK(k.ppid == static_cast<uint32_t>(getpid()));
            CHECK(k.is_exit == l.is_exit);
            CHECK(k.is_exit == i % 2);
            CHECK(k.exit_code == l.exit_code);
            CHECK(std::string(k.comm, 16) == std::string(l.comm, 16));
            CHECK(std::string(k.comm) == "busybox");
            CHECK(std::string(k.filename, 128) == std::string(l.filename, 128));
            if (k.is_exit) {
                CHECK(k.exit_code == exit_codes[i / 2]);
                // Each timed it from the exec it saw.
                CHECK(k.duration_ns > 0);
                CHECK(l.duration_ns > 0);
            } else {
                CHECK(std::string(k.filename) == "/bin/busybox");
            }
        }
        // usleep 20000 ran at least 20 ms after its exec, in both.
        CHECK(in_kring[5].duration_ns >= 20'000'000ULL);
        CHECK(in_linux[5].duration_ns >= 20'000'000ULL);
    }
}
