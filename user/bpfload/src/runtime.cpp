// Verification, and running programs in userspace: the interpreter with
// helpers that do what the module's helpers do, on userspace rings.
#include <kring/bpfload.hpp>
#include <kring/core_relo.hpp>

extern "C" {
#include "interp.h"
#include "printk.h"
}

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace kring::bpf {

Verdict verify(const Program& prog, std::span<const MapDecl> maps, const VerifyOptions& options) {
    std::vector<char> log(1 << 20);
    kbpf_verify_attr attr{};
    attr.insns = prog.insns.data();
    attr.insn_cnt = static_cast<uint32_t>(prog.insns.size());
    attr.func_info = prog.func_info.empty() ? nullptr : prog.func_info.data();
    attr.func_info_cnt = static_cast<uint32_t>(prog.func_info.size());
    attr.ctx = options.ctx;
    attr.map_priv = &maps;
    attr.map_lookup = [](void* priv, int32_t index, kbpf_map_desc* desc) -> int {
        auto& all = *static_cast<std::span<const MapDecl>*>(priv);
        if (index < 0 || static_cast<size_t>(index) >= all.size())
            return -EBADF;
        const MapDecl& decl = all[static_cast<size_t>(index)];
        desc->type = decl.type;
        desc->key_size = decl.key_size;
        desc->value_size = decl.value_size;
        desc->max_entries = decl.max_entries;
        desc->flags = decl.flags;
        desc->frozen_value = decl.is_frozen() ? decl.data.data() : nullptr;
        return index;
    };
    attr.flags = options.flags;
    attr.log_level = options.log_level;
    attr.log_buf = log.data();
    attr.log_size = static_cast<uint32_t>(log.size());
    attr.btf = options.btf;
    std::unique_ptr<bool[]> btf_load(new bool[prog.insns.size() + 1]());
    attr.insn_btf_load = btf_load.get();
    Verdict v;
    v.error = kbpf_verify(&attr, &v.stats);
    v.log = v.error ? explain_core_rejection(prog, log.data()) : log.data();
    for (uint32_t i = 0; !v.error && i < prog.insns.size(); i++)
        if (btf_load[i])
            v.probe_loads.push_back(i);
    return v;
}

void mark_probe_loads(Program& prog, const Verdict& verdict) {
    for (uint32_t i : verdict.probe_loads)
        prog.insns[i].code = BPF_LDX | KBPF_PROBE_MEM | BPF_SIZE(prog.insns[i].code);
}

// A prog array in userspace: the program each slot runs, and the names
// the object gives them.
struct UserProgArray {
    std::vector<const Program*> slots;
    std::vector<std::string> names;
};

// A perf event array in userspace: its index among the object's maps, for
// the sink, and its size.
struct UserPerfArray {
    size_t index;
    uint32_t max_entries;
};

// The object's maps in userspace: a ring, a map, a prog array or a perf
// event array per index, the others null; and the tail calls of the run
// going on.
struct Runtime::Objects {
    std::vector<std::unique_ptr<UserRing>> rings;
    std::vector<std::unique_ptr<UserMap>> maps;
    std::vector<std::unique_ptr<UserProgArray>> arrays;
    std::vector<std::unique_ptr<UserPerfArray>> perf_arrays;
    uint32_t tail_calls = 0;
    const Program* tail_target = nullptr;
    std::function<void(std::string_view)> trace_printk;
    std::function<void(size_t, std::span<const std::byte>)> perf_sample;
};

Runtime::Runtime(std::span<const MapDecl> maps)
    : objects_(std::make_unique<Objects>()), stack_(KBPF_INTERP_STACK_SIZE) {
    for (const MapDecl& decl : maps) {
        objects_->rings.push_back(decl.is_ring() ? std::make_unique<UserRing>(decl.max_entries)
                                                 : nullptr);
        objects_->arrays.push_back(nullptr);
        if (decl.is_prog_array()) {
            objects_->arrays.back() = std::make_unique<UserProgArray>();
            objects_->arrays.back()->slots.assign(decl.max_entries, nullptr);
            objects_->arrays.back()->names = decl.slots;
        }
        bool perf_array = decl.is_perf_event_array();
        objects_->perf_arrays.push_back(perf_array
                                            ? std::make_unique<UserPerfArray>(UserPerfArray{
                                                  objects_->perf_arrays.size(), decl.max_entries})
                                            : nullptr);
        objects_->maps.push_back(decl.is_ring() || decl.is_prog_array() || perf_array
                                     ? nullptr
                                     : std::make_unique<UserMap>(decl.type, decl.key_size,
                                                                 decl.value_size,
                                                                 decl.max_entries));
        if (decl.is_global_data()) {
            uint32_t zero = 0;
            std::memcpy(objects_->maps.back()->lookup(&zero), decl.data.data(), decl.data.size());
        }
    }
}

Runtime::~Runtime() = default;

void Runtime::on_trace_printk(std::function<void(std::string_view)> sink) {
    objects_->trace_printk = std::move(sink);
}

void Runtime::on_perf_sample(std::function<void(size_t, std::span<const std::byte>)> sink) {
    objects_->perf_sample = std::move(sink);
}

UserRing& Runtime::ring(size_t index) {
    if (!objects_->rings.at(index))
        throw std::out_of_range("map " + std::to_string(index) + " is not a ring");
    return *objects_->rings[index];
}

UserMap& Runtime::map(size_t index) {
    if (!objects_->maps.at(index))
        throw std::out_of_range("map " + std::to_string(index) +
                                " is a ring, a prog array or a perf event array");
    return *objects_->maps[index];
}

void Runtime::set_slot(size_t index, uint32_t slot, const Program* prog) {
    if (!objects_->arrays.at(index))
        throw std::out_of_range("map " + std::to_string(index) + " is not a prog array");
    objects_->arrays[index]->slots.at(slot) = prog;
}

void Runtime::fill_slots(std::span<const Program> programs) {
    for (size_t index = 0; index < objects_->arrays.size(); index++) {
        const UserProgArray* array = objects_->arrays[index].get();
        for (uint32_t slot = 0; array && slot < array->names.size(); slot++) {
            const std::string& name = array->names[slot];
            if (name.empty())
                continue;
            auto prog = std::ranges::find(programs, name, &Program::name);
            if (prog == programs.end())
                throw Error(EINVAL, "prog array slot " + std::to_string(slot) + " names " + name +
                                        ", which is not a program of the object");
            set_slot(index, slot, &*prog);
        }
    }
}

namespace {

// A sample belongs to the ring whose doubled data area holds it.
UserRing* ring_of(const std::vector<std::unique_ptr<UserRing>>& rings, uint64_t sample) {
    for (const auto& ring : rings) {
        if (!ring)
            continue; // a map's index
        uint64_t data = reinterpret_cast<uint64_t>(ring->data());
        if (sample >= data && sample < data + 2 * ring->data_size())
            return ring.get();
    }
    return nullptr;
}

uint64_t clock_ns(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// The id of this process's cgroup v2: its directory's inode number, which
// is the kernel's cgroup id; 0 where cgroup2 is not mounted there.
uint64_t cgroup_v2_id() {
    std::ifstream f("/proc/self/cgroup");
    std::string line;
    while (std::getline(f, line)) {
        if (!line.starts_with("0::"))
            continue;
        struct stat st {};
        return ::stat(("/sys/fs/cgroup" + line.substr(3)).c_str(), &st) == 0 ? st.st_ino : 0;
    }
    return 0;
}

// What bpf_trace_printk's %s and %pI4 read here: this process's memory
// (the program's stack and maps), read so that a bad address fails with
// EFAULT instead of faulting, as the kernel's nofault reads do.
bool read_own_memory(void* dst, size_t size, uint64_t addr) {
    iovec local{dst, size};
    iovec remote{reinterpret_cast<void*>(addr), size};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

long printk_read_str(char* dst, uint32_t size, uint64_t addr, char) {
    for (uint32_t i = 0; i < size; i++) {
        if (!read_own_memory(&dst[i], 1, addr + i))
            return -EFAULT;
        if (!dst[i])
            return i + 1;
    }
    dst[size - 1] = '\0';
    return size;
}

int printk_read_memory(void* dst, uint32_t size, uint64_t addr) {
    return read_own_memory(dst, size, addr) ? 0 : -EFAULT;
}

// No kernel here to hash pointers or name symbols: every pointer
// conversion prints the address, as %px does.
int printk_format_ptr(char* dst, size_t size, const char*, uint64_t value) {
    return std::snprintf(dst, size, "%016llx", static_cast<unsigned long long>(value));
}

constexpr kbpf_printk_host printk_host = {printk_read_str, printk_read_memory, printk_format_ptr};

uint64_t trace_printk(const Runtime::Objects& objects, const uint64_t args[5], bool vprintk) {
    const auto* fmt = reinterpret_cast<const char*>(args[0]);
    auto fmt_size = static_cast<uint32_t>(args[1]);
    const uint64_t* values = &args[2];
    uint32_t nargs = KBPF_TRACE_PRINTK_ARGS;
    if (vprintk) {
        if (args[3] % 8 || args[3] > KBPF_TRACE_VPRINTK_ARGS * 8 || (args[3] && !args[2]))
            return static_cast<uint64_t>(-EINVAL);
        values = reinterpret_cast<const uint64_t*>(args[2]);
        nargs = static_cast<uint32_t>(args[3] / 8);
    }
    auto buf = std::make_unique<kbpf_printk_buf>();
    int len = kbpf_printk_format(buf.get(), fmt, fmt_size, values, nargs, &printk_host);
    if (len >= 0 && objects.trace_printk)
        objects.trace_printk(buf->out);
    return static_cast<uint64_t>(static_cast<int64_t>(len));
}

// bpf_perf_event_output on a perf buffer open on every CPU (see
// Runtime::on_perf_sample), the sample padded as the perf core pads it.
uint64_t perf_event_output(const Runtime::Objects& objects, const UserPerfArray& array,
                           uint64_t flags, const void* data, uint64_t size) {
    if (flags & ~static_cast<uint64_t>(BPF_F_INDEX_MASK))
        return static_cast<uint64_t>(-EINVAL);
    auto cpu = static_cast<uint64_t>(sched_getcpu());
    uint64_t index = flags == BPF_F_CURRENT_CPU ? cpu : flags;
    if (index >= array.max_entries)
        return static_cast<uint64_t>(-E2BIG);
    if (index != cpu)
        return static_cast<uint64_t>(-EOPNOTSUPP);
    std::vector<std::byte> sample((size + 4 + 7) / 8 * 8 - 4);
    std::memcpy(sample.data(), data, size);
    if (objects.perf_sample)
        objects.perf_sample(array.index, sample);
    return 0;
}

// bpf_tail_call as the module's kring_prog_tail_call: 0 when taken (the
// program then ends and run() runs the picked one), else an errno.
uint64_t tail_call(UserProgArray* array, uint32_t index, uint32_t* tail_calls,
                   const Program** target) {
    auto neg = [](int err) {
        return static_cast<uint64_t>(-static_cast<int64_t>(err));
    };
    if (index >= array->slots.size())
        return neg(E2BIG);
    if (*tail_calls >= KRING_MAX_TAIL_CALLS)
        return neg(ELOOP);
    ++*tail_calls;
    if (!array->slots[index])
        return neg(ENOENT);
    *target = array->slots[index];
    return 0;
}

uint64_t call_helper(void* priv, int32_t id, const uint64_t args[5]) {
    auto* objects = static_cast<Runtime::Objects*>(priv);
    auto& rings = objects->rings;
    // The verifier let through only the right kind of object per helper.
    auto* ring = reinterpret_cast<UserRing*>(args[0]);
    auto* map = reinterpret_cast<UserMap*>(args[0]);
    auto arg = [&](int i) {
        return reinterpret_cast<const void*>(args[i]);
    };
    auto neg = [](int err) {
        return static_cast<uint64_t>(-static_cast<int64_t>(err));
    };
    switch (id) {
    case BPF_FUNC_tail_call:
        return tail_call(reinterpret_cast<UserProgArray*>(args[1]), static_cast<uint32_t>(args[2]),
                         &objects->tail_calls, &objects->tail_target);
    case BPF_FUNC_map_lookup_elem:
        return reinterpret_cast<uint64_t>(map->lookup(arg(1)));
    case BPF_FUNC_map_update_elem:
        return static_cast<uint64_t>(map->update(arg(1), arg(2), args[3]));
    case BPF_FUNC_map_delete_elem:
        return static_cast<uint64_t>(map->remove(arg(1)));
    case BPF_FUNC_current_task_under_cgroup:
        // No cgroup fds here: every slot is empty, as a new array's.
        return static_cast<uint32_t>(args[1]) < map->max_entries() ? neg(EAGAIN) : neg(E2BIG);
    case BPF_FUNC_perf_event_output:
        return perf_event_output(*objects, *reinterpret_cast<const UserPerfArray*>(args[1]),
                                 args[2], arg(3), args[4]);
    case BPF_FUNC_trace_printk:
    case BPF_FUNC_trace_vprintk:
        return trace_printk(*objects, args, id == BPF_FUNC_trace_vprintk);
    case BPF_FUNC_ktime_get_ns:
        return clock_ns(CLOCK_MONOTONIC);
    case BPF_FUNC_ktime_get_boot_ns:
        return clock_ns(CLOCK_BOOTTIME);
    case BPF_FUNC_jiffies64: // no jiffies here: the monotonic clock in clock ticks
        return clock_ns(CLOCK_MONOTONIC) /
               (1000000000ULL / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
    case BPF_FUNC_get_prandom_u32: {
        thread_local std::minstd_rand generator{std::random_device{}()};
        return static_cast<uint32_t>(generator());
    }
    case BPF_FUNC_get_numa_node_id: {
        unsigned cpu = 0, node = 0;
        return getcpu(&cpu, &node) == 0 ? node : 0;
    }
    case BPF_FUNC_get_current_cgroup_id:
        return cgroup_v2_id();
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
    case BPF_FUNC_get_socket_cookie:
        return 0; // nor sockets: what Linux's gives for NULL
    case BPF_FUNC_get_attach_cookie:
    case BPF_FUNC_get_func_ip:
        return 0; // nor links: a test run's cookie and address, as the module's
    case BPF_FUNC_get_stack: {
        // No probe here, and so no stack to walk: a walk that found no
        // frame, after the module's checks of the flags and the size.
        constexpr uint64_t known = BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID;
        const bool build_ids = args[3] & BPF_F_USER_BUILD_ID;
        const uint64_t entry_size = build_ids ? sizeof(bpf_stack_build_id) : sizeof(uint64_t);
        std::memset(reinterpret_cast<void*>(args[1]), 0, args[2]);
        if ((args[3] & ~known) || (build_ids && !(args[3] & BPF_F_USER_STACK)) ||
            args[2] % entry_size)
            return neg(EINVAL);
        return args[3] & BPF_F_SKIP_FIELD_MASK ? neg(EFAULT) : 0;
    }
    case BPF_FUNC_get_stackid: {
        // No stack either: Linux's helper then finds no frame to hash,
        // after its check of the flags.
        constexpr uint64_t known =
            BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID;
        return args[2] & ~known ? neg(EINVAL) : neg(EFAULT);
    }
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
    objects_->tail_calls = 0;
    uint64_t r0 = 0;
    // The module's trampoline: a tail call taken ends its program, and the
    // program it picked runs next.
    for (const Program* next = &prog; next;) {
        objects_->tail_target = nullptr;
        r0 = run_one(*next, ctx);
        next = objects_->tail_target;
    }
    return r0;
}

uint64_t Runtime::run_one(const Program& prog, std::span<std::byte> ctx) {
    std::vector<bpf_insn> insns = prog.insns;
    // As the module does: each map load becomes the ring's or the map's
    // address, each value load the value's.
    for (size_t i = 0; i + 1 < insns.size(); i++) {
        if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW) || !insns[i].src_reg)
            continue;
        auto index = static_cast<size_t>(insns[i].imm);
        uint64_t address;
        if (insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
            uint32_t zero = 0;
            address = reinterpret_cast<uint64_t>(map(index).lookup(&zero)) +
                      static_cast<uint32_t>(insns[i + 1].imm);
        } else if (objects_->rings.at(index)) {
            address = reinterpret_cast<uint64_t>(objects_->rings[index].get());
        } else if (objects_->arrays.at(index)) {
            address = reinterpret_cast<uint64_t>(objects_->arrays[index].get());
        } else if (objects_->perf_arrays.at(index)) {
            address = reinterpret_cast<uint64_t>(objects_->perf_arrays[index].get());
        } else {
            address = reinterpret_cast<uint64_t>(objects_->maps[index].get());
        }
        insns[i].src_reg = 0;
        insns[i].imm = static_cast<int32_t>(static_cast<uint32_t>(address));
        insns[i + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(address >> 32));
        i++;
    }
    kbpf_interp_env env{};
    env.call_helper = call_helper;
    env.priv = objects_.get();
    env.stack = stack_.data();
    uint64_t r0 = 0;
    int err =
        kbpf_interp_run(insns.data(), static_cast<uint32_t>(insns.size()), ctx.data(), &env, &r0);
    if (err)
        throw Error(-err, prog.name + ": the interpreter stopped");
    return r0;
}

} // namespace kring::bpf
