// fentry and fexit: tests/bpf_progs/fentry.bpf.c's programs, typed by the
// running kernel's BTF, at close()'s syscall function (a struct pt_regs
// argument followed with a plain load; the result at exit) and at
// __sys_socket (three int arguments and an int result, each cut to 32
// bits). Each call of this process is seen once at entry and once at exit,
// in that order; detaching stops them; a function the kernel's BTF does not
// have, one with more arguments than registers, a read past the arguments
// and a return value other than 0 are refused at load.
// JIT'd and interpreted alike.
#include "insn.hpp"
#include "jit_util.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <cerrno>
#include <doctest/doctest.h>
#include <kring/program.hpp>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/fentry.bpf.o";
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};
constexpr int kMagicFd = -4321;     // close() of this fd fails with EBADF
constexpr int kMagicFamily = 12345; // no such address family: EAFNOSUPPORT
constexpr int kMagicProtocol = -1;  // arrives as 0xffffffff

enum CallKind : uint32_t { kCloseEntry, kCloseExit, kSocketEntry, kSocketExit };

struct CallEvent { // fentry.bpf.c's
    uint32_t kind;
    int32_t ret;
    int64_t args[3];
    uint64_t raw[3];
};

struct Fentry : vmtest::TestObject {
    Fentry() : TestObject(kObject, "fentry", vmtest::reporting_this_process()) {}
};

} // namespace

TEST_CASE("fentry and fexit: a syscall's pt_regs and result, and int arguments cut to 32 bits") {
    for (uint32_t flags : kRuntimes) {
        CAPTURE(flags);
        Fentry t;
        std::vector<kring::Program> progs;
        progs.push_back(t.load("close_entry", KRING_ATTACH_FENTRY, flags));
        progs.push_back(t.load("close_exit", KRING_ATTACH_FEXIT, flags));
        progs.push_back(t.load("socket_entry", KRING_ATTACH_FENTRY, flags));
        progs.push_back(t.load("socket_exit", KRING_ATTACH_FEXIT, flags));
        for (const kring::Program& p : progs)
            CHECK(p.jited() == !flags);
        CHECK(progs[0].info().attach_type == KRING_ATTACH_FENTRY);
        CHECK(progs[1].info().attach_type == KRING_ATTACH_FEXIT);
        {
            std::vector<kring::Link> links;
            for (kring::Program& p : progs)
                links.push_back(p.attach(""));
            CHECK(::syscall(SYS_close, kMagicFd) == -1);
            CHECK(errno == EBADF);
            CHECK(::socket(kMagicFamily, SOCK_DGRAM, kMagicProtocol) == -1);
            CHECK(errno == EAFNOSUPPORT);
        }
        // Detached: no more calls are seen.
        CHECK(::syscall(SYS_close, kMagicFd) == -1);
        std::vector<CallEvent> calls = t.drain<CallEvent>("calls");
        std::vector<CallEvent> seen;
        for (const CallEvent& c : calls)
            if (c.kind == kSocketEntry || c.kind == kSocketExit || c.args[0] == kMagicFd)
                seen.push_back(c);
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].kind == kCloseEntry);
        CHECK(seen[0].args[0] == kMagicFd);
        CHECK(seen[1].kind == kCloseExit);
        CHECK(seen[1].args[0] == kMagicFd);
        CHECK(seen[1].ret == -EBADF);
        CHECK(seen[2].kind == kSocketEntry);
        CHECK(seen[2].args[0] == kMagicFamily);
        CHECK(seen[2].args[1] == SOCK_DGRAM);
        CHECK(seen[2].args[2] == kMagicProtocol);
        CHECK(seen[2].raw[2] == 0xffffffffULL); // the int's 32 bits alone
        CHECK(seen[3].kind == kSocketExit);
        CHECK(seen[3].args[0] == kMagicFamily);
        CHECK(seen[3].ret == -EAFNOSUPPORT);
        CHECK(seen[3].raw[0] == static_cast<uint32_t>(-EAFNOSUPPORT));
        CHECK(progs[1].info().runs >= 1);
    }
}

TEST_CASE("fentry and fexit: a function the kernel's BTF lacks or with a seventh argument, a read "
          "past the arguments, a result other than 0: refused at load") {
    using namespace insn;
    const std::vector<bpf_insn> ret0 = {mov64_imm(BPF_REG_0, 0), exit_insn()};
    jitvm::Loaded missing = jitvm::load(ret0, 0, {}, KRING_ATTACH_FENTRY, "kring_no_such_function");
    CHECK(missing.err == ENOENT);
    CHECK(missing.log.find("fentry: the kernel's BTF has no function kring_no_such_function") !=
          std::string::npos);
    // tcp_v4_syn_recv_sock takes seven arguments, the seventh on the stack.
    jitvm::Loaded seven = jitvm::load(ret0, 0, {}, KRING_ATTACH_FEXIT, "tcp_v4_syn_recv_sock");
    CHECK(seven.err == E2BIG);
    CHECK(seven.log.find("fexit: function tcp_v4_syn_recv_sock has 7 arguments, more than the 6 "
                         "passed in registers") != std::string::npos);
    // Reading past a function's arguments: close's has one, and a result
    // at exit only.
    jitvm::Loaded past = jitvm::load({ldx(BPF_DW, BPF_REG_0, BPF_REG_1, 8), exit_insn()}, 0, {},
                                     KRING_ATTACH_FENTRY, "__x64_sys_close");
    CHECK(past.err == EACCES);
    CHECK(past.log.find("func '__x64_sys_close' doesn't have 2-th argument") != std::string::npos);
    jitvm::Loaded result =
        jitvm::load({ldx(BPF_DW, BPF_REG_3, BPF_REG_1, 8), mov64_imm(BPF_REG_0, 0), exit_insn()}, 0,
                    {}, KRING_ATTACH_FEXIT, "__x64_sys_close");
    CHECK(result.err == 0);
    // And, as Linux requires, each returns 0.
    jitvm::Loaded nonzero = jitvm::load({mov64_imm(BPF_REG_0, 1), exit_insn()}, 0, {},
                                        KRING_ATTACH_FENTRY, "__x64_sys_close");
    CHECK(nonzero.err == EACCES);
    CHECK(nonzero.log.find("an fentry or fexit program returns 0") != std::string::npos);
}
