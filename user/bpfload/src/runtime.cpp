// Verification, and running programs in userspace: the interpreter with
// helpers that do what the module's helpers do, on userspace rings.
#include <kring/bpfload.hpp>

extern "C" {
#include "interp.h"
}

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace kring::bpf {

Verdict verify(const Program& prog, size_t nr_rings, const VerifyOptions& options) {
    std::vector<char> log(1 << 20);
    kbpf_verify_attr attr{};
    attr.insns = prog.insns.data();
    attr.insn_cnt = static_cast<uint32_t>(prog.insns.size());
    attr.func_info = prog.func_info.empty() ? nullptr : prog.func_info.data();
    attr.func_info_cnt = static_cast<uint32_t>(prog.func_info.size());
    attr.ctx = options.ctx;
    attr.map_priv = &nr_rings;
    attr.map_lookup = [](void* priv, int32_t index, kbpf_map_desc* desc) -> int {
        size_t count = *static_cast<size_t*>(priv);
        desc->type = BPF_MAP_TYPE_RINGBUF;
        return index >= 0 && static_cast<size_t>(index) < count ? index : -EBADF;
    };
    attr.flags = options.flags;
    attr.log_level = options.log_level;
    attr.log_buf = log.data();
    attr.log_size = static_cast<uint32_t>(log.size());
    Verdict v;
    v.error = kbpf_verify(&attr, &v.stats);
    v.log = log.data();
    return v;
}

Runtime::Runtime(const std::vector<RingDecl>& rings) : stack_(KBPF_INTERP_STACK_SIZE) {
    for (const RingDecl& decl : rings)
        rings_.push_back(std::make_unique<UserRing>(decl.max_entries));
}

Runtime::~Runtime() = default;

namespace {

// A sample belongs to the ring whose doubled data area holds it.
UserRing* ring_of(const std::vector<std::unique_ptr<UserRing>>& rings, uint64_t sample) {
    for (const auto& ring : rings) {
        uint64_t data = reinterpret_cast<uint64_t>(ring->data());
        if (sample >= data && sample < data + 2 * ring->data_size())
            return ring.get();
    }
    return nullptr;
}

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t call_helper(void* priv, int32_t id, const uint64_t args[5]) {
    auto& rings = *static_cast<std::vector<std::unique_ptr<UserRing>>*>(priv);
    auto* ring = reinterpret_cast<UserRing*>(args[0]);
    auto neg = [](int err) {
        return static_cast<uint64_t>(-static_cast<int64_t>(err));
    };
    switch (id) {
    case BPF_FUNC_ktime_get_ns:
        return now_ns();
    case BPF_FUNC_get_smp_processor_id:
        return static_cast<uint64_t>(sched_getcpu());
    case BPF_FUNC_get_current_pid_tgid:
        return static_cast<uint64_t>(getpid()) << 32 | static_cast<uint64_t>(gettid());
    case BPF_FUNC_get_current_comm: {
        char comm[16] = {};
        auto* buf = reinterpret_cast<char*>(args[0]);
        if (!args[1])
            return neg(EINVAL);
        prctl(PR_GET_NAME, comm);
        std::memset(buf, 0, args[1]);
        std::memcpy(buf, comm, std::min<uint64_t>(args[1] - 1, std::strlen(comm)));
        return 0;
    }
    case BPF_FUNC_ringbuf_output: {
        if (args[3] & ~static_cast<uint64_t>(KRING_WAKEUP_FLAGS))
            return neg(EINVAL);
        void* sample = ring->reserve(args[2]);
        if (!sample)
            return neg(EAGAIN);
        std::memcpy(sample, reinterpret_cast<const void*>(args[1]), args[2]);
        ring->commit(sample, false, static_cast<uint32_t>(args[3]));
        return 0;
    }
    case BPF_FUNC_ringbuf_reserve:
        if (args[2])
            return 0;
        return reinterpret_cast<uint64_t>(ring->reserve(args[1]));
    case BPF_FUNC_ringbuf_submit:
    case BPF_FUNC_ringbuf_discard: {
        UserRing* owner = ring_of(rings, args[0]);
        if (owner)
            owner->commit(reinterpret_cast<void*>(args[0]), id == BPF_FUNC_ringbuf_discard,
                          static_cast<uint32_t>(args[1] & KRING_WAKEUP_FLAGS));
        return 0;
    }
    case BPF_FUNC_ringbuf_query:
        return kring_rb_query(ring->rb(), args[1]);
    case BPF_FUNC_get_current_uid_gid:
        return static_cast<uint64_t>(getgid()) << 32 | static_cast<uint64_t>(getuid());
    case BPF_FUNC_get_current_task:
        return 0; // no kernel here: no task
    case BPF_FUNC_probe_read:
    case BPF_FUNC_probe_read_str:
    case BPF_FUNC_probe_read_user:
    case BPF_FUNC_probe_read_kernel:
    case BPF_FUNC_probe_read_user_str:
    case BPF_FUNC_probe_read_kernel_str:
        // No kernel memory here, and a program's pointers are the kernel's:
        // every read fails as an unmapped address does, its buffer zeroed.
        std::memset(reinterpret_cast<void*>(args[0]), 0, args[1]);
        return neg(EFAULT);
    }
    return neg(ENOSYS);
}

} // namespace

uint64_t Runtime::run(const Program& prog, std::span<std::byte> ctx) {
    std::vector<bpf_insn> insns = prog.insns;
    // As the module does: each ring load becomes the ring's address.
    for (size_t i = 0; i + 1 < insns.size(); i++) {
        if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW) || insns[i].src_reg != BPF_PSEUDO_MAP_FD)
            continue;
        auto address =
            reinterpret_cast<uint64_t>(rings_.at(static_cast<size_t>(insns[i].imm)).get());
        insns[i].src_reg = 0;
        insns[i].imm = static_cast<int32_t>(static_cast<uint32_t>(address));
        insns[i + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(address >> 32));
        i++;
    }
    kbpf_interp_env env{};
    env.call_helper = call_helper;
    env.priv = &rings_;
    env.stack = stack_.data();
    uint64_t r0 = 0;
    int err =
        kbpf_interp_run(insns.data(), static_cast<uint32_t>(insns.size()), ctx.data(), &env, &r0);
    if (err)
        throw Error(-err, prog.name + ": the interpreter stopped");
    return r0;
}

} // namespace kring::bpf
