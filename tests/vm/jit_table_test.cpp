// The JIT differential over the verifier's table (tests/verifier): every
// case the table accepts is loaded into the module twice, JIT'd and
// interpreted, and run on the same contexts: the same R0, errors, records
// and maps. Each instance has maps of its own, made as the table describes
// them (Linux maps of its types, sizes and flags, the .rodata filled and
// frozen; a kring prog array whose slot k returns 40 + k), so that map,
// global data, atomic and tail call cases run too. As the random programs' differential
// (jit_test.cpp), in a child with CAP_BPF alone, pinned to CPU 0, the calls of clocks and of
// get_prandom_u32 made get_smp_processor_id. Prints "jit-differential (verifier table): N
// passed, N failed".
#include "jit_util.hpp"
#include "linux_bpf.hpp"

#include <cstdio>
#include <map>
#include <random>
#include <sched.h>
#include <set>

// Last, as there: its C headers define function-like macros (max, swap).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#define KRING_VERIFIER_TABLE_ONLY
// The BTF-typed cases against the running kernel's own BTF.
#define KRING_TABLE_BTF "/sys/kernel/btf/vmlinux"
#include "../verifier/verifier_table_test.cpp"
#pragma GCC diagnostic pop

namespace {

// The exec context: read-only, 96 bytes, the largest of the attach points;
// a program verified against a smaller read-only context is valid on it.
constexpr uint32_t kTableCtxSize = sizeof(kring_ctx_exec);

// Cases whose R0 or records are an address or stack bytes never written
// (allow_ptr_leaks lets programs read those): they differ between a JIT'd
// run, on the kernel stack, and an interpreted one, on the interpreter's.
// Also the current task's first word, its thread flags, which change
// between runs (on the -rt kernels TIF_NEED_RESCHED_LAZY, 16, comes and
// goes). Both runtimes must still load and run them without error.
const std::set<std::string> kRuntimeDependent = {
    "a field of the current task, read and returned",
    "reading never-written stack, with allow_ptr_leaks (as Linux for perfmon)",
    "output of a struct with a never-written hole, with allow_ptr_leaks",
    "get_current_comm of [1,20] bytes at fp-24, then fp-5 read, with allow_ptr_leaks",
    "a stack pointer stored into a record with allow_ptr_leaks",
};

// The table's maps, made the first time a case names each.
class TableMaps {
public:
    explicit TableMaps(uint32_t flags) : flags_(flags) {}

    // The fd for the table's fd @table_fd; an fd of nothing for others.
    int fd_of(int32_t table_fd) {
        auto it = made_.find(table_fd);
        if (it == made_.end())
            it = made_.emplace(table_fd, make(table_fd)).first;
        return it->second.get() >= 0 ? it->second.get() : 1 << 30;
    }

    bool any() const { return !made_.empty(); }

    // Every entry of the Linux maps made, as jitvm::map_contents gives them.
    std::vector<uint8_t> contents() const {
        std::vector<uint8_t> all;
        for (const auto& [table_fd, fd] : made_) {
            // (Linux's syscall reads neither kind of fd array.)
            // A stack map's stacks are each runtime's own frames.
            if (table_fd == PROG_ARRAY || table_fd == CGROUP_MAP || table_fd == PERF_MAP ||
                table_fd == STACK_MAP || fd.get() < 0)
                continue;
            std::vector<uint8_t> one = jitvm::map_contents(fd.get());
            all.insert(all.end(), one.begin(), one.end());
        }
        return all;
    }

private:
    vmtest::Fd make(int32_t table_fd) {
        switch (table_fd) {
        case ARRAY_MAP:
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 4));
        case HASH_MAP:
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_HASH, 8, 24, 64));
        case RDONLY_MAP:
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG));
        case DATA_MAP:
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1));
        case RODATA_MAP: {
            vmtest::Fd fd(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG));
            uint32_t zero = 0;
            REQUIRE(linuxbpf::fill_map(fd.get(), &zero, rodata_value, true) == 0);
            return fd;
        }
        case PROG_ARRAY:
            return make_prog_array();
        case CGROUP_MAP: // its slots empty: current_task_under_cgroup says -EAGAIN
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 2));
        case PERF_MAP: // its slots empty: perf_event_output says -ENOENT
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2));
        case STACK_MAP:
            return vmtest::Fd(linuxbpf::create_map(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 16));
        default:
            return vmtest::Fd();
        }
    }

    // A prog array of the table's 4 slots, slot k running "r0 = 40 + k",
    // loaded in the same runtime as the case.
    vmtest::Fd make_prog_array() {
        vmtest::Fd dev = vmtest::open_device();
        kring_prog_array_create create{4, 0};
        vmtest::Fd array(::ioctl(dev.get(), KRING_IOC_PROG_ARRAY_CREATE, &create));
        REQUIRE(array.get() >= 0);
        for (uint32_t k = 0; k < 4; k++) {
            jitvm::Loaded slot = jitvm::load(
                {insn::mov64_imm(BPF_REG_0, static_cast<int32_t>(40 + k)), insn::exit_insn()},
                flags_, {}, KRING_ATTACH_SCHED_PROCESS_EXEC);
            REQUIRE(slot.err == 0);
            kring_prog_array_elem elem{k, slot.prog.get(), 0, 0};
            REQUIRE(::ioctl(array.get(), KRING_IOC_PROG_ARRAY_UPDATE, &elem) == 0);
        }
        return array;
    }

    uint32_t flags_;
    std::map<int32_t, vmtest::Fd> made_;
};

struct TableInstance {
    static constexpr uint64_t kRingSize = 1 << 16;
    vmtest::Fd rings[2];
    TableMaps maps;
    jitvm::Loaded loaded;

    TableInstance(const Case& c, uint32_t flags) : maps(flags) {
        Prog insns = c.prog;
        for (vmtest::Fd& r : rings)
            r = vmtest::make_ring(kRingSize);
        for (size_t i = 0; i + 1 < insns.size(); i++) {
            bpf_insn& in = insns[i];
            if (in.code == (BPF_LD | BPF_IMM | BPF_DW) &&
                (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE))
                in.imm = in.imm == RING || in.imm == RING2 ? rings[in.imm == RING2].get()
                                                           : maps.fd_of(in.imm);
            // Results that vary from run to run, and the printing helpers,
            // whose load enables a trace event: text patching, which
            // printk_test.cpp does in the live-text-patching suite.
            if (in.code == (BPF_JMP | BPF_CALL) && in.src_reg == 0 &&
                (in.imm == BPF_FUNC_ktime_get_ns || in.imm == BPF_FUNC_ktime_get_boot_ns ||
                 in.imm == BPF_FUNC_jiffies64 || in.imm == BPF_FUNC_get_prandom_u32 ||
                 in.imm == BPF_FUNC_trace_printk || in.imm == BPF_FUNC_trace_vprintk))
                in.imm = BPF_FUNC_get_smp_processor_id;
        }
        // A typed case for its tracepoint or function (its context is the same size),
        // typed by this kernel's BTF; the random contexts are pointers to
        // nowhere, which its kernel struct loads read as 0.
        loaded = c.typed_target
                     ? jitvm::load(insns, flags, c.funcs, c.typed_attach, c.typed_target)
                     : jitvm::load(insns, flags, c.funcs, KRING_ATTACH_SCHED_PROCESS_EXEC);
    }
    jitvm::RunOutcome run(const std::vector<uint8_t>& ctx) {
        jitvm::RunOutcome o;
        o.err = jitvm::test_run_raw(loaded.prog.get(), ctx.data(),
                                    static_cast<uint32_t>(ctx.size()), &o.r0);
        return o;
    }
    std::vector<uint8_t> records() { return jitvm::drain_all(rings, kRingSize); }
};

} // namespace

namespace {

// The differential in a child with CAP_BPF, and CAP_PERFMON if @perfmon
// (then programs may leak pointers and bypass the Spectre rules, as the
// table verifies most cases). Returns the child's status: 0 if every case
// agreed and some used maps.
int table_differential(bool perfmon) {
    const char* caps = perfmon ? "CAP_BPF+CAP_PERFMON" : "CAP_BPF";
    return vmtest::in_child([perfmon, caps] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        sched_setaffinity(0, sizeof(one), &one);
        if (!(perfmon ? vmtest::keep_only_caps({CAP_BPF, CAP_PERFMON})
                      : vmtest::keep_only_caps({CAP_BPF})))
            return 98;
        std::mt19937_64 rng(20261216);
        unsigned long passed = 0, failed = 0, refused = 0, other_ctx = 0, calls = 0, with_maps = 0,
                      jit_only = 0;
        for (const Group& group : groups) {
            for (const Case& c : group.cases()) {
                if (c.err != 0)
                    continue;
                if (c.ctx.writable || c.ctx.size > kTableCtxSize) {
                    other_ctx++;
                    continue;
                }
                TableInstance j(c, 0), in(c, KRING_PROG_F_INTERPRETER);
                // A tail call in a called function: the JIT alone runs it.
                if (!j.loaded.err && in.loaded.err == EINVAL &&
                    in.loaded.log.find("not allowed in non-JITed programs") != std::string::npos) {
                    bool ok = !j.run(std::vector<uint8_t>(kTableCtxSize)).err;
                    (ok ? passed : failed)++;
                    jit_only++;
                    if (!ok)
                        printf("JIT-FAIL table case \"%s\": a JIT'd run failed\n", c.name.c_str());
                    continue;
                }
                if (j.loaded.err != in.loaded.err) {
                    failed++;
                    printf("JIT-FAIL table case \"%s\": load %s JIT'd, %s interpreted\n",
                           c.name.c_str(), strerror(j.loaded.err), strerror(in.loaded.err));
                    continue;
                }
                if (j.loaded.err) { // it needs more than CAP_BPF
                    refused++;
                    continue;
                }
                kring_prog_info ji{};
                ::ioctl(j.loaded.prog.get(), KRING_IOC_PROG_INFO, &ji);
                if (ji.runtime != KRING_RUNTIME_JIT) {
                    failed++;
                    printf("JIT-FAIL table case \"%s\": not JIT'd: %s\n", c.name.c_str(),
                           j.loaded.log.c_str());
                    continue;
                }
                calls += ji.nr_funcs > 1;
                with_maps += j.maps.any();
                if (kRuntimeDependent.count(c.name)) {
                    bool ok = true;
                    for (int r = 0; r < 4 && ok; r++)
                        ok = !j.run(std::vector<uint8_t>(kTableCtxSize)).err &&
                             !in.run(std::vector<uint8_t>(kTableCtxSize)).err;
                    (ok ? passed : failed)++;
                    if (!ok)
                        printf("JIT-FAIL table case \"%s\": an error in a run\n", c.name.c_str());
                    continue;
                }
                std::string why;
                for (int r = 0; r < 4 && why.empty(); r++) {
                    std::vector<uint8_t> ctx(kTableCtxSize, 0);
                    for (uint8_t& b : ctx)
                        b = r == 0 ? 0 : r == 1 ? 0xff : static_cast<uint8_t>(rng());
                    why = jitvm::run_difference(r, j.run(ctx), in.run(ctx));
                }
                if (why.empty() && j.records() != in.records())
                    why = "different records";
                if (why.empty() && j.maps.contents() != in.maps.contents())
                    why = "different maps";
                if (why.empty()) {
                    passed++;
                } else {
                    failed++;
                    printf("JIT-FAIL table case \"%s\": %s\n", c.name.c_str(), why.c_str());
                }
            }
        }
        printf("jit-differential (verifier table, %s): %lu JIT'd (%lu with calls, %lu with "
               "maps or a prog array, %lu that only the JIT runs); %lu need more privileges, %lu "
               "a writable or larger context\n",
               caps, passed + failed, calls, with_maps, jit_only, refused, other_ctx);
        printf("jit-differential (verifier table, %s): %lu passed, %lu failed\n", caps, passed,
               failed);
        fflush(stdout);
        return failed ? 1 : (passed && with_maps ? 0 : 2);
    });
}

} // namespace

TEST_CASE("jit: the verifier table's accepted programs, JIT'd and interpreted, same R0, records "
          "and maps") {
    CHECK(table_differential(false) == 0);
    CHECK(table_differential(true) == 0);
}
