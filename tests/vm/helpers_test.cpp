// The helpers that answer a question (tests/verifier's "tracing helpers"
// case decides them as Linux does): each program calls one and returns its
// R0, in a test run, JIT'd and interpreted. get_prandom_u32 gives 32-bit
// numbers that vary; get_numa_node_id the VM's one node; jiffies64 a count
// that moves on; ktime_get_boot_ns CLOCK_BOOTTIME as userspace reads it
// around the call; get_current_cgroup_id the cgroup2 directory's inode.
#include "insn.hpp"
#include "jit_util.hpp"
#include "vm_util.hpp"

#include <cstring>
#include <ctime>
#include <doctest/doctest.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace jitvm;
using namespace insn;

namespace {

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

// r0 = helper(); exit, loaded with @flags, run once.
uint64_t call_once(int32_t helper, uint32_t flags) {
    Loaded prog = load({call_helper(helper), exit_insn()}, flags);
    REQUIRE_MESSAGE(prog.err == 0, prog.log);
    uint64_t r0 = 0;
    REQUIRE(test_run(prog.prog.get(), pt_regs{}, &r0) == 0);
    return r0;
}

uint64_t boottime_ns() {
    timespec ts{};
    REQUIRE(::clock_gettime(CLOCK_BOOTTIME, &ts) == 0);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace

TEST_CASE("helpers: get_prandom_u32, get_numa_node_id, jiffies64, ktime_get_boot_ns") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        std::set<uint64_t> randoms;
        for (int i = 0; i < 16; i++) {
            uint64_t r = call_once(BPF_FUNC_get_prandom_u32, flags);
            CHECK(r <= UINT32_MAX);
            randoms.insert(r);
        }
        CHECK(randoms.size() > 1);
        CHECK(call_once(BPF_FUNC_get_numa_node_id, flags) == 0);
        uint64_t before = call_once(BPF_FUNC_jiffies64, flags);
        ::usleep(50000); // 12 ticks at HZ=250
        CHECK(call_once(BPF_FUNC_jiffies64, flags) > before);
        uint64_t earliest = boottime_ns();
        uint64_t boot = call_once(BPF_FUNC_ktime_get_boot_ns, flags);
        uint64_t latest = boottime_ns();
        CHECK(boot >= earliest);
        CHECK(boot <= latest);
    }
}

TEST_CASE("helpers: get_current_cgroup_id is the id of the task's cgroup v2") {
    // The VM's init mounts no cgroup2: mount it where systemd would.
    struct stat st {};
    bool mounted = ::mount("none", "/sys/fs/cgroup", "cgroup2", 0, nullptr) == 0;
    REQUIRE_MESSAGE((mounted || errno == EBUSY), "mount cgroup2: " << std::strerror(errno));
    std::ifstream f("/proc/self/cgroup");
    std::string line, path;
    while (std::getline(f, line))
        if (line.starts_with("0::"))
            path = line.substr(3);
    REQUIRE(!path.empty());
    REQUIRE(::stat(("/sys/fs/cgroup" + path).c_str(), &st) == 0);
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        CHECK(call_once(BPF_FUNC_get_current_cgroup_id, flags) == st.st_ino);
    }
    if (mounted)
        CHECK(::umount("/sys/fs/cgroup") == 0);
}
