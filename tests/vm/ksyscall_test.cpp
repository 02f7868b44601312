// Syscall probes and __kconfig externs in the kernel:
// tests/bpf_progs/ksyscall.bpf.c's SEC("ksyscall/tgkill") program, written
// with bpf_tracing.h's BPF_KSYSCALL, reads tgkill(2)'s arguments through the
// syscall wrapper's pt_regs (its choice made by the extern
// LINUX_HAS_SYSCALL_WRAPPER, a constant to the verifier), and its
// SEC("kretsyscall/tgkill") program the result; LINUX_KERNEL_VERSION and
// CONFIG_HZ hold the running kernel's values, from /boot/config-RELEASE as
// on a Debian system. JIT'd and interpreted alike.
#include "kringctl_util.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/ksyscall.bpf.o";

struct TgkillEvent { // ksyscall.bpf.c's
    int32_t tgid, tid, sig;
    uint32_t version;
    int32_t hz, wrapper;
};

struct TgkillResult {
    int64_t ret;
};

constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

// The kernel's version as uname(2) states it: Debian's sublevel ("#1 SMP
// PREEMPT_DYNAMIC Debian 6.1.158-1 ..."), which the release (6.1.0-57-amd64)
// lacks.
uint32_t uname_version() {
    utsname u{};
    REQUIRE(::uname(&u) == 0);
    const char* debian = std::strstr(u.version, "Debian ");
    REQUIRE(debian);
    unsigned a = 0, b = 0, c = 0;
    REQUIRE(std::sscanf(debian, "Debian %u.%u.%u", &a, &b, &c) == 3);
    return a << 16 | b << 8 | (c > 255 ? 255 : c);
}

// CONFIG_HZ's line of the running kernel's configuration.
int config_hz() {
    utsname u{};
    REQUIRE(::uname(&u) == 0);
    std::ifstream f(std::string("/boot/config-") + u.release);
    std::string line;
    while (std::getline(f, line))
        if (line.starts_with("CONFIG_HZ="))
            return std::stoi(line.substr(10));
    FAIL("no CONFIG_HZ in /boot/config-" << u.release);
    return 0;
}

} // namespace

TEST_CASE("ksyscall: BPF_KSYSCALL reads tgkill's arguments through the syscall wrapper, "
          "kretsyscall its result, and __kconfig externs hold the kernel's values") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        vmtest::TestObject t(kObject, "ksyscall", vmtest::reporting_this_process());
        // libbpf's names: a kprobe and a kretprobe on the syscall's function.
        for (const auto& prog : t.obj.programs) {
            std::string target;
            kring::attach_type_of_section(prog.section, &target);
            CHECK(target == (prog.section == "kprobe" ? "" : "__x64_sys_tgkill"));
        }
        kring::Program entry = t.load("tgkill_entry", KRING_ATTACH_KPROBE, flags);
        kring::Program exit = t.load("tgkill_exit", KRING_ATTACH_KRETPROBE, flags);
        pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
        {
            kring::Link on_entry = entry.attach("__x64_sys_tgkill");
            kring::Link on_exit = exit.attach("__x64_sys_tgkill");
            // Signal 0 checks the target; 1000 is no signal at all.
            CHECK(::syscall(SYS_tgkill, ::getpid(), tid, 0) == 0);
            errno = 0;
            CHECK(::syscall(SYS_tgkill, ::getpid(), tid, 1000) == -1);
            CHECK(errno == EINVAL);
        }
        std::vector<TgkillEvent> calls = t.drain<TgkillEvent>("calls");
        REQUIRE(calls.size() == 2);
        for (size_t i = 0; i < 2; i++) {
            CAPTURE(i);
            CHECK(calls[i].tgid == ::getpid());
            CHECK(calls[i].tid == tid);
            CHECK(calls[i].sig == (i ? 1000 : 0));
            CHECK(calls[i].version == uname_version());
            CHECK(calls[i].hz == config_hz());
            CHECK(calls[i].wrapper == 1); // x86-64 kernels since 4.17
        }
        std::vector<TgkillResult> results = t.drain<TgkillResult>("results");
        REQUIRE(results.size() == 2);
        CHECK(results[0].ret == 0);
        CHECK(results[1].ret == -EINVAL);
        // Detached: no more reports.
        CHECK(::syscall(SYS_tgkill, ::getpid(), tid, 0) == 0);
        CHECK(t.drain<TgkillEvent>("calls").empty());
    }
}

TEST_CASE("a bare SEC(\"kprobe\"): attached to the function the loader names; kringctl run "
          "wants --target") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        vmtest::TestObject t(kObject, "bare", vmtest::reporting_this_process());
        kring::Program bare = t.load("bare_probe", KRING_ATTACH_KPROBE, flags);
        {
            kring::Link link = bare.attach("__x64_sys_getppid");
            CHECK(::getppid() >= 0);
        }
        std::vector<int32_t> seen = t.drain<int32_t>("bare");
        REQUIRE(seen.size() == 1);
        CHECK(seen[0] == ::getpid());
    }
    int status = 0;
    std::string out = vmtest::cli::run_kringctl(
        {"run", kObject, "--section", "kprobe", "--count", "1", "--json"}, &status);
    CHECK(status == 1);
    CHECK(out.find("kprobe: names no kprobe target: give --target") != std::string::npos);
}
