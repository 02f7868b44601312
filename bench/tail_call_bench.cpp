#include "tail_call_bench.hpp"

#include <algorithm>
#include <asm/ptrace.h>
#include <bpf/bpf.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <kring/unique_fd.hpp>
#include <linux/bpf.h>
#include <linux/kring.h>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vector>

namespace tailcall_bench {
namespace {

// @fd owned, or the error that made it negative (libbpf returns -errno,
// the system calls -1 and errno).
kring::UniqueFd owned(int fd) {
    if (fd < 0)
        throw std::runtime_error(std::string("tail call bench: ") +
                                 std::strerror(fd == -1 ? errno : -fd));
    return kring::UniqueFd(fd);
}

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    return i;
}

// r0 = 7; exit, preceded (with @array_fd >= 0) by a tail call through
// slot 0 of @array_fd: its key 0 as a constant, or (@variable) the
// context's first word shifted right by 10, which the verifier does not
// know (the contexts hold 0 there: kring's zeros, Linux's packet length
// of 64).
std::vector<bpf_insn> program(int array_fd, bool variable) {
    std::vector<bpf_insn> p;
    if (array_fd >= 0) {
        if (variable) {
            p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0));
            p.push_back(insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 10));
        } else {
            p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0));
        }
        p.push_back(insn(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, array_fd));
        p.push_back(insn(0, 0, 0, 0, 0));
        p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call));
    }
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 7));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    return p;
}

// A kring program of @insns for kprobes (pt_regs), JIT'd or interpreted.
int kring_load(int dev, const std::vector<bpf_insn>& insns, bool interpreter) {
    kring_prog_load req{};
    req.insns = reinterpret_cast<uint64_t>(insns.data());
    req.insn_cnt = static_cast<uint32_t>(insns.size());
    req.attach_type = KRING_ATTACH_KPROBE;
    req.flags = interpreter ? KRING_PROG_F_INTERPRETER : 0;
    return ::ioctl(dev, KRING_IOC_PROG_LOAD, &req);
}

// Mean nanoseconds per run of @repeat test runs: the best of @rounds.
double kring_ns(int prog, uint32_t repeat, int rounds) {
    double best = 1e300;
    for (int r = 0; r < rounds; r++) {
        pt_regs ctx{};
        kring_prog_test_run tr{reinterpret_cast<uint64_t>(&ctx), sizeof(ctx), repeat, 0, 0, 0};
        if (::ioctl(prog, KRING_IOC_PROG_TEST_RUN, &tr) != 0 || tr.retval != 7)
            throw std::runtime_error("tail call bench: a kring test run failed");
        best = std::min(best, double(tr.duration_ns));
    }
    return best;
}

int linux_load(const std::vector<bpf_insn>& insns) {
    return bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, nullptr, "GPL", insns.data(), insns.size(),
                         nullptr);
}

double linux_ns(int prog, uint32_t repeat, int rounds) {
    double best = 1e300;
    for (int r = 0; r < rounds; r++) {
        uint8_t packet[64] = {};
        LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet, .data_size_in = sizeof(packet),
                    .repeat = static_cast<int>(repeat));
        if (bpf_prog_test_run_opts(prog, &run) != 0 || run.retval != 7)
            throw std::runtime_error("tail call bench: a Linux test run failed");
        best = std::min(best, double(run.duration));
    }
    return best;
}

void print(const char* contender, bool variable, double base_ns, double chain_ns) {
    std::printf("KRING-TAILCALL-BENCH {\"contender\": \"%s\", \"key\": \"%s\", "
                "\"base_ns\": %.1f, \"chain_ns\": %.1f, \"tail_calls\": %d, "
                "\"ns_per_tail_call\": %.2f}\n",
                contender, variable ? "variable" : "constant", base_ns, chain_ns,
                KRING_MAX_TAIL_CALLS, (chain_ns - base_ns) / KRING_MAX_TAIL_CALLS);
    std::fflush(stdout);
}

} // namespace

void run(uint32_t repeat, int rounds) {
    kring::UniqueFd dev = owned(::open("/dev/kring", O_RDWR | O_CLOEXEC));
    for (bool variable : {false, true}) {
        for (bool interpreter : {false, true}) {
            kring_prog_array_create create{1, 0};
            kring::UniqueFd array = owned(::ioctl(dev.get(), KRING_IOC_PROG_ARRAY_CREATE, &create));
            kring::UniqueFd base = owned(kring_load(dev.get(), program(-1, false), interpreter));
            kring::UniqueFd chain =
                owned(kring_load(dev.get(), program(array.get(), variable), interpreter));
            kring_prog_array_elem slot{0, chain.get(), 0, 0};
            if (::ioctl(array.get(), KRING_IOC_PROG_ARRAY_UPDATE, &slot) != 0)
                throw std::runtime_error("tail call bench: the kring prog array's update");
            print(interpreter ? "kring, interpreter" : "kring", variable,
                  kring_ns(base.get(), repeat, rounds), kring_ns(chain.get(), repeat, rounds));
        }
        kring::UniqueFd array =
            owned(bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, nullptr, 4, 4, 1, nullptr));
        kring::UniqueFd base = owned(linux_load(program(-1, false)));
        kring::UniqueFd chain = owned(linux_load(program(array.get(), variable)));
        uint32_t key = 0, value = static_cast<uint32_t>(chain.get());
        if (bpf_map_update_elem(array.get(), &key, &value, BPF_ANY) != 0)
            throw std::runtime_error("tail call bench: the Linux prog array's update");
        print("Linux", variable, linux_ns(base.get(), repeat, rounds),
              linux_ns(chain.get(), repeat, rounds));
    }
}

} // namespace tailcall_bench
