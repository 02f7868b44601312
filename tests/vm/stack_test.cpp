// bpf_get_stack in the kernel: tests/bpf_progs/stack.bpf.c's programs on a
// kprobe, a syscall trace event and a raw tracepoint, each at this
// process's getppid(). The kprobe's kernel stack is the one Linux's own
// helper gives for the same object (the same return addresses, from the
// probed function to the syscall entry); a syscall trace event has user
// registers and so, as in Linux, no kernel stack; a raw tracepoint's
// begins at kring's probe. Every user stack begins at the same return
// address in this process's text. The calls the helper refuses answer as
// Linux's: -EINVAL, -EOPNOTSUPP for user build ids, -EFAULT when more
// frames are skipped than there are, each with its buffer zeroed. JIT'd
// and interpreted alike. bpf_get_stackid, from the same programs, writes
// Linux's stack maps through Linux's own helper: each id names the stack
// bpf_get_stack gave, address for address; a trace event's kernel stack is
// -EFAULT (empty), an unknown flag -EINVAL, as in Linux.
#include "libbpf_object.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <algorithm>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const std::string kObject = "/lib/kring/stack.bpf.o";
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

enum Source : uint32_t { kKprobe = 0, kTracepoint = 1, kRawTp = 2 };

struct StackEvent { // stack.bpf.c's
    uint32_t source;
    uint32_t pad;
    int64_t kernel_len;
    int64_t user_len;
    int64_t odd_size;
    int64_t skip_all;
    int64_t build_ids_len;
    int64_t kernel_id;
    int64_t user_id;
    int64_t bad_flags_id;
    uint64_t kernel[16];
    uint64_t user[4];
    bpf_stack_build_id build_ids[2];
};

// The kernel's text symbols by address (root reads /proc/kallsyms' addresses).
class KernelSymbols {
public:
    KernelSymbols() {
        std::ifstream syms("/proc/kallsyms");
        std::string line;
        while (std::getline(syms, line)) {
            std::istringstream fields(line);
            std::string address, type, name;
            fields >> address >> type >> name;
            if (type == "t" || type == "T")
                by_address_[std::stoull(address, nullptr, 16)] = name;
        }
        REQUIRE(by_address_.size() > 1000);
    }
    // The function whose text holds `address`: the last symbol at or below it.
    std::string name_of(uint64_t address) const {
        auto it = by_address_.upper_bound(address);
        return it == by_address_.begin() ? "" : std::prev(it)->second;
    }
    std::vector<std::string> names_of(const uint64_t* addresses, int64_t len) const {
        std::vector<std::string> names;
        for (int64_t i = 0; i < len / 8; i++)
            names.push_back(name_of(addresses[i]));
        return names;
    }

private:
    std::map<uint64_t, std::string> by_address_;
};

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// What every event shows whatever its source: the refusals, and the
// buffers zeroed past what the walks copied.
void check_common(const StackEvent& e) {
    CHECK(e.odd_size == -EINVAL);
    CHECK(e.skip_all == -EFAULT);
    CHECK(e.bad_flags_id == -EINVAL);
    REQUIRE(e.kernel_len >= 0);
    REQUIRE(e.kernel_len % 8 == 0);
    REQUIRE(e.kernel_len <= static_cast<int64_t>(sizeof(e.kernel)));
    for (int64_t i = e.kernel_len / 8; i < 16; i++)
        CHECK(e.kernel[i] == 0);
    REQUIRE(e.user_len >= 8);
    REQUIRE(e.user_len % 8 == 0);
    REQUIRE(e.user_len <= static_cast<int64_t>(sizeof(e.user)));
    for (int64_t i = e.user_len / 8; i < 4; i++)
        CHECK(e.user[i] == 0);
    CHECK(vmtest::in_executable_mapping(e.user[0]));
    // Linux reads the build id where it can, and gives the address where
    // it cannot; kring always gives the address.
    REQUIRE(e.build_ids_len > 0);
    REQUIRE(e.build_ids_len % sizeof(bpf_stack_build_id) == 0);
    CHECK((e.build_ids[0].status == BPF_STACK_BUILD_ID_VALID ||
           e.build_ids[0].status == BPF_STACK_BUILD_ID_IP));
}

// kring's build id entries: each the user stack's address.
void check_build_ids(const StackEvent& e) {
    for (size_t i = 0; i < e.build_ids_len / sizeof(bpf_stack_build_id); i++) {
        CAPTURE(i);
        CHECK(e.build_ids[i].status == BPF_STACK_BUILD_ID_IP);
        CHECK(e.build_ids[i].ip == e.user[i]);
        CHECK(std::all_of(std::begin(e.build_ids[i].build_id), std::end(e.build_ids[i].build_id),
                          [](unsigned char b) { return b == 0; }));
    }
}

// The stacks the event's get_stackid calls stored: the addresses get_stack
// gave, and the same zeroes after them (a frame chain may end in a 0).
void check_stack_ids(const StackEvent& e, int kernel_stacks, int user_stacks) {
    CHECK(vmtest::stack_of(user_stacks, e.user_id, 4) == std::vector<uint64_t>(e.user, e.user + 4));
    if (e.kernel_len == 0) {
        CHECK(e.kernel_id == -EFAULT);
        return;
    }
    CHECK(vmtest::stack_of(kernel_stacks, e.kernel_id, 16) ==
          std::vector<uint64_t>(e.kernel, e.kernel + 16));
}

// One getppid() from this one call site, so that every user stack begins at
// the same return address.
__attribute__((noinline)) void call_getppid() {
    CHECK(::getppid() >= 0);
}

} // namespace

TEST_CASE("get_stack and get_stackid: kernel and user stacks from a kprobe, a trace event and a "
          "raw tracepoint, the kprobe's as Linux's") {
    KernelSymbols symbols;
    std::vector<std::string> linux_kprobe_stack;
    uint64_t user_ip = 0;
    {
        // The object in Linux, its kprobe program alone, as a libbpf user
        // loads it.
        vmtest::LibbpfObject<StackEvent> linux_stack(kObject, "events",
                                                     static_cast<uint32_t>(::getpid()));
        linux_stack.add_link(bpf_program__attach(linux_stack.program("stack_kprobe")),
                             "stack_kprobe");
        call_getppid();
        REQUIRE(linux_stack.records().size() == 1);
        const StackEvent& e = linux_stack.records().at(0);
        check_common(e);
        linux_kprobe_stack = symbols.names_of(e.kernel, e.kernel_len);
        user_ip = e.user[0];
        check_stack_ids(e, linux_stack.map_fd("kernel_stacks"), linux_stack.map_fd("user_stacks"));
        INFO("Linux's kprobe stack: ", doctest::toString(linux_kprobe_stack));
        REQUIRE(linux_kprobe_stack.size() >= 2);
        CHECK(linux_kprobe_stack[0] == "__x64_sys_getppid");
        CHECK(contains(linux_kprobe_stack, "do_syscall_64"));
    }
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        vmtest::TestObject t(kObject, "stack", vmtest::reporting_this_process());
        kring::Program kprobe = t.load("stack_kprobe", KRING_ATTACH_KPROBE, runtime);
        kring::Program tracepoint = t.load("stack_tracepoint", KRING_ATTACH_TRACEPOINT, runtime);
        kring::Program raw_tp = t.load("stack_raw_tp", KRING_ATTACH_RAW_TRACEPOINT, runtime);
        {
            kring::Link on_kprobe = kprobe.attach("__x64_sys_getppid");
            kring::Link on_tracepoint = tracepoint.attach("syscalls/sys_exit_getppid");
            kring::Link on_raw_tp = raw_tp.attach("sys_exit");
            call_getppid();
        }
        std::vector<StackEvent> events = t.drain<StackEvent>("events");
        std::map<uint32_t, StackEvent> by_source;
        for (const StackEvent& e : events)
            by_source[e.source] = e; // the raw tracepoint sees other syscalls too
        REQUIRE(by_source.size() == 3);
        for (const auto& [source, e] : by_source) {
            CAPTURE(source);
            check_common(e);
            check_build_ids(e);
            CHECK(e.user[0] == user_ip);
            check_stack_ids(e, t.maps.map(t.obj.map_index("kernel_stacks")).fd(),
                            t.maps.map(t.obj.map_index("user_stacks")).fd());
            std::vector<std::string> names = symbols.names_of(e.kernel, e.kernel_len);
            INFO("kring's kernel stack: ", doctest::toString(names));
            switch (source) {
            case kKprobe:
                CHECK(names == linux_kprobe_stack);
                break;
            case kTracepoint:
                CHECK(e.kernel_len == 0);
                break;
            case kRawTp:
                REQUIRE(!names.empty());
                CHECK(names[0].starts_with("kring_"));
                CHECK(contains(names, "do_syscall_64"));
                break;
            default:
                FAIL("unknown source");
            }
        }
    }
}

namespace {

// The map ids of every Linux program named kring_stackid: the programs the
// module loads for bpf_get_stackid, one per stack map and kring program.
std::multiset<uint32_t> stackid_program_maps() {
    std::multiset<uint32_t> maps;
    for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
        vmtest::Fd fd(bpf_prog_get_fd_by_id(id));
        if (fd.get() < 0)
            continue; // gone since
        uint32_t map_ids[4] = {};
        bpf_prog_info info{};
        info.nr_map_ids = 4;
        info.map_ids = reinterpret_cast<uint64_t>(map_ids);
        uint32_t len = sizeof(info);
        REQUIRE(bpf_obj_get_info_by_fd(fd.get(), &info, &len) == 0);
        if (std::string(info.name) != "kring_stackid")
            continue;
        REQUIRE(info.type == BPF_PROG_TYPE_KPROBE);
        REQUIRE(info.nr_map_ids == 1);
        maps.insert(map_ids[0]);
    }
    return maps;
}

// Linux frees a program's id when its last reference goes, which may be a
// grace period after kring's program goes.
bool no_stackid_programs_within(int seconds) {
    for (int i = 0; i < seconds * 100; i++) {
        if (stackid_program_maps().empty())
            return true;
        ::usleep(10000);
    }
    return false;
}

} // namespace

TEST_CASE("get_stackid: a Linux program per stack map of a kring program, for its life") {
    REQUIRE(no_stackid_programs_within(5));
    vmtest::TestObject t(kObject, "stack", vmtest::reporting_this_process());
    {
        kring::Program kprobe = t.load("stack_kprobe", KRING_ATTACH_KPROBE, 0);
        CHECK(stackid_program_maps() ==
              std::multiset<uint32_t>{t.maps.map(t.obj.map_index("kernel_stacks")).info().id,
                                      t.maps.map(t.obj.map_index("user_stacks")).info().id});
    }
    CHECK(no_stackid_programs_within(5));
}
