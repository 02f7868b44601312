// Linux's own BPF from the in-VM tests: load a socket filter and test-run it.
#pragma once

#include <cerrno>
#include <cstdint>
#include <linux/bpf.h>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace linuxbpf {

inline long bpf(int cmd, bpf_attr* attr) {
    return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

// A BPF_PROG_TYPE_SOCKET_FILTER program fd, or -errno with Linux's verifier
// log in *log.
inline int load_socket_filter(const std::vector<bpf_insn>& prog, std::string* log) {
    static char verifier_log[1 << 16];
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>("GPL");
    load.log_buf = reinterpret_cast<uint64_t>(verifier_log);
    load.log_size = sizeof(verifier_log);
    load.log_level = 1;
    verifier_log[0] = 0;
    int fd = static_cast<int>(bpf(BPF_PROG_LOAD, &load));
    if (fd < 0) {
        int err = errno;
        *log = verifier_log;
        return -err;
    }
    return fd;
}

// Runs the program @repeat times on a zeroed 64-byte packet; 0 and its r0
// (truncated to 32 bits by Linux), or the errno.
inline int test_run(int prog_fd, uint32_t repeat, uint32_t* retval) {
    uint8_t packet[64] = {};
    bpf_attr run{};
    run.test.prog_fd = static_cast<uint32_t>(prog_fd);
    run.test.data_in = reinterpret_cast<uint64_t>(packet);
    run.test.data_size_in = sizeof(packet);
    run.test.repeat = repeat;
    if (bpf(BPF_PROG_TEST_RUN, &run) != 0)
        return errno;
    *retval = run.test.retval;
    return 0;
}

} // namespace linuxbpf
