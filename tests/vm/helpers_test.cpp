// The helpers that answer a question (tests/verifier's "tracing helpers"
// case decides them as Linux does): each program calls one and returns its
// R0, in a test run, JIT'd and interpreted. get_prandom_u32 gives 32-bit
// numbers that vary; get_numa_node_id the VM's one node; jiffies64 a count
// that moves on; ktime_get_boot_ns CLOCK_BOOTTIME as userspace reads it
// around the call; get_current_cgroup_id the cgroup2 directory's inode;
// current_task_under_cgroup whether the task is in a Linux cgroup array
// slot's cgroup or below it.
#include "insn.hpp"
#include "jit_util.hpp"
#include "linux_bpf.hpp"
#include "vm_util.hpp"

#include <cstring>
#include <ctime>
#include <doctest/doctest.h>
#include <fcntl.h>
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

// The VM's init mounts no cgroup2: mount it where systemd would. Whether
// this call mounted it.
bool mount_cgroup2() {
    bool mounted = ::mount("none", "/sys/fs/cgroup", "cgroup2", 0, nullptr) == 0;
    REQUIRE_MESSAGE((mounted || errno == EBUSY), "mount cgroup2: " << std::strerror(errno));
    return mounted;
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
    struct stat st {};
    bool mounted = mount_cgroup2();
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

TEST_CASE("helpers: current_task_under_cgroup answers for a cgroup array's slot: 1 in its cgroup "
          "or below, 0 outside, -EAGAIN empty, -E2BIG past the end") {
    bool mounted = mount_cgroup2();
    const std::string child = "/sys/fs/cgroup/kring-under";
    REQUIRE((::mkdir(child.c_str(), 0755) == 0 || errno == EEXIST));
    {
        // Slot 0 the new cgroup, slot 1 the root, slot 2 empty.
        vmtest::Fd cgroups(linuxbpf::create_map(BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 3));
        vmtest::Fd child_dir(::open(child.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        vmtest::Fd root_dir(::open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        REQUIRE(cgroups.get() >= 0);
        REQUIRE(child_dir.get() >= 0);
        REQUIRE(root_dir.get() >= 0);
        for (uint32_t slot : {0U, 1U}) {
            uint32_t dir = static_cast<uint32_t>(slot ? root_dir.get() : child_dir.get());
            REQUIRE(linuxbpf::fill_map(cgroups.get(), &slot, &dir, false) == 0);
        }
        // r0 = current_task_under_cgroup(cgroups, index), run by this task.
        auto under = [&](int32_t index, uint32_t flags) {
            std::vector<bpf_insn> prog = ld_map_fd(BPF_REG_1, cgroups.get());
            prog.push_back(mov64_imm(BPF_REG_2, index));
            prog.push_back(call_helper(BPF_FUNC_current_task_under_cgroup));
            prog.push_back(exit_insn());
            Loaded loaded = load(prog, flags);
            REQUIRE_MESSAGE(loaded.err == 0, loaded.log);
            uint64_t r0 = 0;
            REQUIRE(test_run(loaded.prog.get(), pt_regs{}, &r0) == 0);
            return static_cast<int64_t>(r0);
        };
        for (uint32_t flags : kRuntimes) {
            CAPTURE(flags);
            CHECK(under(0, flags) == 0); // this task is in the root cgroup
            CHECK(under(1, flags) == 1);
            CHECK(under(2, flags) == -EAGAIN);
            CHECK(under(3, flags) == -E2BIG);
            // A child that moves itself into the new cgroup is under both.
            int status = vmtest::in_child([&] {
                std::ofstream procs(child + "/cgroup.procs");
                procs << "0\n";
                procs.close();
                if (!procs)
                    return 90;
                return (under(0, flags) == 1 ? 0 : 1) | (under(1, flags) == 1 ? 0 : 2);
            });
            CHECK(status == 0);
        }
    }
    CHECK(::rmdir(child.c_str()) == 0);
    if (mounted)
        CHECK(::umount("/sys/fs/cgroup") == 0);
}
