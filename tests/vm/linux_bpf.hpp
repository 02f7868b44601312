// Linux's own BPF from the in-VM tests: load a socket filter and test-run it;
// load any program type with BTF func-info; create maps and BTF.
#pragma once

#include "insn.hpp"

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

// A BPF_MAP_TYPE_RINGBUF map of @size bytes (a power of two, pages), or -errno.
inline int create_ringbuf(uint32_t size) {
    bpf_attr create{};
    create.map_type = BPF_MAP_TYPE_RINGBUF;
    create.max_entries = size;
    int fd = static_cast<int>(bpf(BPF_MAP_CREATE, &create));
    return fd < 0 ? -errno : fd;
}

// A map of @type with the sizes, entries and flags given, or -errno.
inline int create_map(bpf_map_type type, uint32_t key_size, uint32_t value_size,
                      uint32_t max_entries, uint32_t flags = 0) {
    bpf_attr create{};
    create.map_type = type;
    create.key_size = key_size;
    create.value_size = value_size;
    create.max_entries = max_entries;
    create.map_flags = flags;
    int fd = static_cast<int>(bpf(BPF_MAP_CREATE, &create));
    return fd < 0 ? -errno : fd;
}

// map_update_elem(@key, @value) from userspace, then, if @freeze,
// BPF_MAP_FREEZE (as libbpf freezes a .rodata): 0, or -errno.
inline int fill_map(int fd, const void* key, const void* value, bool freeze) {
    bpf_attr update{};
    update.map_fd = static_cast<uint32_t>(fd);
    update.key = reinterpret_cast<uint64_t>(key);
    update.value = reinterpret_cast<uint64_t>(value);
    if (bpf(BPF_MAP_UPDATE_ELEM, &update) != 0)
        return -errno;
    bpf_attr frozen{};
    frozen.map_fd = static_cast<uint32_t>(fd);
    return !freeze || bpf(BPF_MAP_FREEZE, &frozen) == 0 ? 0 : -errno;
}

// What Linux says of map @fd (BPF_OBJ_GET_INFO_BY_FD): 0, or -errno.
inline int map_info(int fd, bpf_map_info* info) {
    *info = {};
    bpf_attr get{};
    get.info.bpf_fd = static_cast<uint32_t>(fd);
    get.info.info_len = sizeof(*info);
    get.info.info = reinterpret_cast<uint64_t>(info);
    return bpf(BPF_OBJ_GET_INFO_BY_FD, &get) == 0 ? 0 : -errno;
}

// A BTF object fd for raw BTF, or -errno with the BTF log in *log.
inline int load_btf(const std::vector<uint8_t>& raw, std::string* log) {
    static char btf_log[1 << 16];
    bpf_attr load{};
    load.btf = reinterpret_cast<uint64_t>(raw.data());
    load.btf_size = static_cast<uint32_t>(raw.size());
    load.btf_log_buf = reinterpret_cast<uint64_t>(btf_log);
    load.btf_log_size = sizeof(btf_log);
    load.btf_log_level = 1;
    btf_log[0] = 0;
    int fd = static_cast<int>(bpf(BPF_BTF_LOAD, &load));
    if (fd < 0) {
        int err = errno;
        *log = btf_log;
        return -err;
    }
    return fd;
}

// A program of @type (with func-info into @btf_fd when it is >= 0), or
// -errno; Linux's verifier log (level 1) in *log either way, or no log when
// @log is null (a full log fails the load with ENOSPC). A tracing program
// names its @expected_attach_type and the vmlinux BTF type it attaches to.
inline int load_program(bpf_prog_type type, const std::vector<bpf_insn>& prog, int btf_fd,
                        const std::vector<bpf_func_info>& func_info, std::string* log,
                        uint32_t expected_attach_type = 0, uint32_t attach_btf_id = 0) {
    static char verifier_log[1 << 18];
    bpf_attr load{};
    load.prog_type = type;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>("GPL");
    load.expected_attach_type = expected_attach_type;
    load.attach_btf_id = attach_btf_id;
    if (log) {
        load.log_buf = reinterpret_cast<uint64_t>(verifier_log);
        load.log_size = sizeof(verifier_log);
        load.log_level = 1;
    }
    if (btf_fd >= 0) {
        load.prog_btf_fd = static_cast<uint32_t>(btf_fd);
        load.func_info = reinterpret_cast<uint64_t>(func_info.data());
        load.func_info_cnt = static_cast<uint32_t>(func_info.size());
        load.func_info_rec_size = sizeof(bpf_func_info);
    }
    verifier_log[0] = 0;
    int fd = static_cast<int>(bpf(BPF_PROG_LOAD, &load));
    int err = errno;
    if (log)
        *log = verifier_log;
    return fd < 0 ? -err : fd;
}

// A BPF_PROG_TYPE_TRACING program: tp_btf (BPF_TRACE_RAW_TP) of the
// tracepoint whose typedef btf_trace_NAME is vmlinux's BTF type @btf_id, or
// fentry or fexit (BPF_TRACE_FENTRY, _FEXIT) of the function whose FUNC it
// is: its fd, or -errno with Linux's verifier log in *log.
inline int load_tracing(const std::vector<bpf_insn>& prog, uint32_t attach, uint32_t btf_id,
                        std::string* log) {
    return load_program(BPF_PROG_TYPE_TRACING, prog, -1, {}, log, attach, btf_id);
}

// A BPF_PROG_TYPE_SOCKET_FILTER program fd, or -errno with Linux's verifier
// log in *log.
inline int load_socket_filter(const std::vector<bpf_insn>& prog, std::string* log) {
    return load_program(BPF_PROG_TYPE_SOCKET_FILTER, prog, -1, {}, log);
}

// A socket filter that writes the 8-byte @value from its stack into the ring
// buffer map @map_fd each time it runs (bpf_ringbuf_output(map, r10 - 8, 8,
// 0); return 0): its fd, or -errno with Linux's log in *log.
inline int load_ringbuf_output_filter(int map_fd, int32_t value, std::string* log) {
    std::vector<bpf_insn> prog = {
        insn::mov64_imm(BPF_REG_1, value),
        insn::stx(BPF_DW, BPF_REG_10, BPF_REG_1, -8),
    };
    insn::ld_imm64(prog, BPF_REG_1, static_cast<uint32_t>(map_fd), BPF_PSEUDO_MAP_FD);
    prog.insert(prog.end(), {
                                insn::mov64_reg(BPF_REG_2, BPF_REG_10),
                                insn::alu64_imm(BPF_ADD, BPF_REG_2, -8),
                                insn::mov64_imm(BPF_REG_3, 8),
                                insn::mov64_imm(BPF_REG_4, 0),
                                insn::call_helper(BPF_FUNC_ringbuf_output),
                                insn::mov64_imm(BPF_REG_0, 0),
                                insn::exit_insn(),
                            });
    return load_socket_filter(prog, log);
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
