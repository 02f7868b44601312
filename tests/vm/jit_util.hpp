// What the JIT tests share (jit_test.cpp, jit_table_test.cpp): loading a
// program into the module JIT'd or interpreted, KRING_IOC_PROG_INFO,
// test-runs on a kprobe context, a ring's records and a map's entries as
// bytes.
#pragma once

#include "vm_util.hpp"

#include <asm/ptrace.h>
#include <cerrno>
#include <cstdint>
#include <doctest/doctest.h>
#include <linux/bpf.h>
#include <linux/kring.h>
#include <map>
#include <span>
#include <string>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace jitvm {

using vmtest::Fd;
using vmtest::Mapping;
using vmtest::open_device;
using vmtest::record_span;

struct Loaded {
    int err = 0; // errno of the load
    Fd prog;
    std::string log;
};

// (@attach_target: a tp_btf program's tracepoint.)
inline Loaded load(const std::vector<bpf_insn>& insns, uint32_t flags,
                   const std::vector<kring_func_info>& funcs = {},
                   uint32_t attach_type = KRING_ATTACH_KPROBE,
                   const char* attach_target = nullptr) {
    Fd dev = open_device();
    std::vector<char> log(1 << 16);
    kring_prog_load req{};
    req.insns = reinterpret_cast<uint64_t>(insns.data());
    req.insn_cnt = static_cast<uint32_t>(insns.size());
    req.attach_type = attach_type;
    req.attach_target = reinterpret_cast<uint64_t>(attach_target);
    req.func_info = funcs.empty() ? 0 : reinterpret_cast<uint64_t>(funcs.data());
    req.func_info_cnt = static_cast<uint32_t>(funcs.size());
    req.flags = flags;
    req.log_buf = reinterpret_cast<uint64_t>(log.data());
    req.log_size = static_cast<uint32_t>(log.size());
    req.log_level = 1;
    Loaded out;
    int fd = ::ioctl(dev.get(), KRING_IOC_PROG_LOAD, &req);
    out.err = fd < 0 ? errno : 0;
    out.prog = Fd(fd);
    out.log = log.data();
    return out;
}

inline kring_prog_info info(int prog_fd) {
    kring_prog_info i{};
    REQUIRE(::ioctl(prog_fd, KRING_IOC_PROG_INFO, &i) == 0);
    return i;
}

// 0 and R0, or the errno of the test run on @size bytes of context.
inline int test_run_raw(int prog_fd, const void* ctx, uint32_t size, uint64_t* r0,
                        uint32_t repeat = 1) {
    kring_prog_test_run tr{reinterpret_cast<uint64_t>(ctx), size, repeat, 0, 0, 0};
    if (::ioctl(prog_fd, KRING_IOC_PROG_TEST_RUN, &tr) != 0)
        return errno;
    *r0 = tr.retval;
    return 0;
}

// A kprobe program's test run, on struct pt_regs: the tests' programs read
// their inputs at offsets 8 and 16, r14 and r13.
inline int test_run(int prog_fd, pt_regs ctx, uint64_t* r0, uint32_t repeat = 1) {
    return test_run_raw(prog_fd, &ctx, sizeof(ctx), r0, repeat);
}

struct RunOutcome {
    int err = 0;
    uint64_t r0 = 0;
    bool operator==(const RunOutcome& o) const { return err == o.err && r0 == o.r0; }
};

// How run number `run` differed between the runtimes ("" if it did not).
inline std::string run_difference(int run, const RunOutcome& jit, const RunOutcome& interpreted) {
    if (jit == interpreted)
        return "";
    return "run " + std::to_string(run) + ": JIT r0 " + std::to_string(jit.r0) + " err " +
           std::to_string(jit.err) + ", interpreter r0 " + std::to_string(interpreted.r0) +
           " err " + std::to_string(interpreted.err);
}

// The records of a ring so far, each header (len with its bits) and payload,
// as bytes; then the ring is emptied.
inline std::vector<uint8_t> drain(int ring_fd, uint64_t size) {
    Mapping m(ring_fd, size);
    std::vector<uint8_t> out;
    unsigned long pos = m.consumer_pos(), end = m.producer_pos();
    while (pos < end) {
        uint32_t len = m.len_at(pos);
        uint32_t payload = len & ~(KRING_BUSY_BIT | KRING_DISCARD_BIT);
        const uint8_t* h = reinterpret_cast<const uint8_t*>(m.header_at(pos));
        out.insert(out.end(), h, h + 4);
        out.insert(out.end(), m.payload_at(pos), m.payload_at(pos) + payload);
        pos += record_span(payload);
    }
    m.release(end);
    return out;
}

// drain() of each ring in turn, each followed by a separator byte.
inline std::vector<uint8_t> drain_all(std::span<vmtest::Fd> rings, uint64_t size) {
    std::vector<uint8_t> all;
    for (vmtest::Fd& r : rings) {
        std::vector<uint8_t> one = drain(r.get(), size);
        all.insert(all.end(), one.begin(), one.end());
        all.push_back(0xee);
    }
    return all;
}

// Every entry of Linux map @fd, in key order, as bytes (key, then value),
// then a separator byte: what two runs that changed it alike leave.
inline std::vector<uint8_t> map_contents(int fd) {
    bpf_map_info info{};
    bpf_attr get{};
    get.info.bpf_fd = static_cast<uint32_t>(fd);
    get.info.info_len = sizeof(info);
    get.info.info = reinterpret_cast<uint64_t>(&info);
    REQUIRE(::syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &get, sizeof(get)) == 0);
    std::map<std::vector<uint8_t>, std::vector<uint8_t>> entries;
    std::vector<uint8_t> key(info.key_size), next(info.key_size), value(info.value_size);
    for (bool first = true;; first = false) {
        bpf_attr step{};
        step.map_fd = static_cast<uint32_t>(fd);
        step.key = first ? 0 : reinterpret_cast<uint64_t>(key.data());
        step.next_key = reinterpret_cast<uint64_t>(next.data());
        if (::syscall(SYS_bpf, BPF_MAP_GET_NEXT_KEY, &step, sizeof(step)) != 0)
            break;
        key = next;
        bpf_attr lookup{};
        lookup.map_fd = static_cast<uint32_t>(fd);
        lookup.key = reinterpret_cast<uint64_t>(key.data());
        lookup.value = reinterpret_cast<uint64_t>(value.data());
        if (::syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &lookup, sizeof(lookup)) == 0)
            entries[key] = value;
    }
    std::vector<uint8_t> all;
    for (const auto& [k, v] : entries) {
        all.insert(all.end(), k.begin(), k.end());
        all.insert(all.end(), v.begin(), v.end());
    }
    all.push_back(0xee);
    return all;
}

} // namespace jitvm
