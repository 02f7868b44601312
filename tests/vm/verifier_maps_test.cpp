// The verifier table's map, atomic, global data, tail call, tracing-helper
// and BTF-typed cases (tests/verifier, groups "maps", "atomic operations",
// "global data", "tail calls", "tracing helpers" and "BTF-typed contexts";
// the last loaded into Linux as tp_btf programs of the same tracepoints,
// typed by the same BTF) against Linux's own verifier, on real Linux
// maps of the same types, sizes and flags (a frozen one for .rodata): every case the table accepts
// Linux accepts, and every case it refuses Linux refuses for the same reason (the message each
// gives is listed below). kring's verifier describes the maps as Linux does, through
// BPF_OBJ_GET_INFO_BY_FD. Cases verified without allow_ptr_leaks load into
// Linux as socket filters from a child with CAP_BPF alone (Linux then has
// no allow_ptr_leaks either); the others as kprobe programs of root.
#include "linux_bpf.hpp"
#include "linux_prog.hpp"
#include "vm_util.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <map>
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

// Linux 6.1's and 6.12's message for each map case the table refuses.
const std::map<std::string, std::string> linux_says = {
    {"CO-RE's poisoned call, reached", "invalid func unknown#195896080"},
    {"an unknown helper on one path only", "invalid func unknown#195896080"},
    {"a lookup's result read before its NULL check", "invalid mem access 'map_value_or_null'"},
    {"a lookup's result moved before its NULL check",
     "pointer arithmetic on map_value_or_null prohibited"},
    {"on its NULL side a lookup's result cannot be read", "invalid mem access 'scalar'"},
    {"one byte past the value", "invalid access to map value, value_size=16 off=16 size=1"},
    {"one byte before the value", "invalid access to map value, value_size=16 off=-1 size=1"},
    {"a variable offset that may reach past the value", "invalid access to map value"},
    {"a key never written", "invalid indirect read from stack"},
    {"a key shorter than the map's", "invalid indirect access to stack"},
    {"a number as the key", "type=scalar expected=fp"},
    {"a map given to a ring helper", "cannot pass map_type 2 into func bpf_ringbuf_query"},
    {"arithmetic on a map pointer", "pointer arithmetic on map_ptr prohibited"},
    {"a store into a read-only map's value", "write into map forbidden"},
    {"an update of a read-only map", "write into map forbidden"},
    {"a helper writing into a read-only map's value", "write into map forbidden"},
    {"a pointer stored into a map value without allow_ptr_leaks", "leaks addr into map"},
    {"a value shorter than the map's", "invalid indirect read from stack"},
    {"a map value returned without allow_ptr_leaks", "R0 leaks addr as return value"},
    {"an fd that is neither a ring nor a map", "is not pointing to valid bpf_map"},
    {"ringbuf_output of more bytes than the value holds", "invalid access to map value"},
    {"an atomic operation on the context", "BPF_ATOMIC stores into R1 ctx is not allowed"},
    {"a pointer added atomically", "R10 leaks addr into mem"},
    {"an atomic operation on stack never written", "invalid read from stack"},
    {"an atomic operation on a spilled pointer", "leaking pointer from stack off -8"},
    {"a misaligned atomic operation on a map value", "misaligned value access"},
    {"a variable offset that may misalign an atomic operation", "misaligned value access"},
    {"a misaligned atomic operation on the stack", "misaligned stack access"},
    {"an atomic operation on a read-only map's value", "write into map forbidden"},
    {"an atomic operation past the record", "invalid access to memory"},
    {"a lookup's result used atomically before its NULL check",
     "invalid mem access 'map_value_or_null'"},
    {"compare-and-exchange with a pointer in r0", "R0 leaks addr into mem"},
    {"an atomic subtraction, which BPF does not have", "BPF_ATOMIC uses invalid atomic opcode"},
    {"a one-byte atomic operation", "unknown opcode d3"},
    // 6.1 || 6.12: a helper the program type is not offered.
    {"probe_read_kernel without CAP_PERFMON",
     "unknown func bpf_probe_read_kernel#113||cannot use helper bpf_probe_read_kernel#113"},
    {"get_current_task without CAP_PERFMON",
     "unknown func bpf_get_current_task#35||cannot use helper bpf_get_current_task#35"},
    {"a probe read of an unbounded size", "R2 min value is negative"},
    {"trace_printk's format of size 0", "invalid zero-sized read"},
    {"trace_printk without CAP_PERFMON",
     "unknown func bpf_trace_printk#6||cannot use helper bpf_trace_printk#6"},
    {"trace_printk's format a number", "R1 type=scalar expected=fp"},
    {"trace_vprintk's arguments NULL but 8 bytes long", "R3 type=scalar expected=fp"},
    {"trace_vprintk's arguments past the stack's top",
     "invalid indirect access to stack R3 off=-8 size=16"},
    {"a probe read into a number", "R1 type=scalar expected="},
    {"a probe read past the stack's top", "invalid indirect access to stack R1 off=-8 size=16"},
    {"a probe read into a read-only map's value", "write into map forbidden"},
    {"a probe read past the record", "invalid access to memory, mem_size=8 off=0 size=16"},
    {"jiffies64's number is no pointer", "R0 invalid mem access 'scalar'"},
    {"a string's length may be its whole size: one byte too far",
     "R6 max value is outside of the allowed memory range"},
    {"a string read's result may be an error: negative before its check",
     "R6 min value is negative"},
    {"a read-only value that is not frozen is not known", "invalid mem access 'scalar'"},
    {"a writable global's bytes are not known", "invalid mem access 'scalar'"},
    {"a load past a global section's end",
     "invalid access to map value, value_size=16 off=16 size=8"},
    {"a store into a frozen .rodata", "write into map forbidden"},
    {"a global's address returned without allow_ptr_leaks", "R0 leaks addr as return value"},
    {"a value offset at the value's end",
     "invalid access to map value pointer, value_size=16 off=16"},
    {"the value of a multi-entry array",
     "invalid access to map value pointer, value_size=16 off=0"},
    {"the value of a hash map", "no direct value access support for this map type"},
    {"the value of a ring", "no direct value access support for this map type"},
    {"a value offset of 2^29", "direct value offset of 536870912 is not allowed"},
    {"a tail call with a ring record reserved", "tail_call would lead to reference leak"},
    // Linux's key tracking (record_func_key) finds no prog array first.
    {"a tail call through an ARRAY", "kernel subsystem misconfigured verifier"},
    {"a prog array looked up", "cannot pass map_type 3 into func bpf_map_lookup_elem#1"},
    {"a cgroup array looked up", "cannot pass map_type 8 into func bpf_map_lookup_elem#1"},
    {"an array given to current_task_under_cgroup",
     "cannot pass map_type 2 into func bpf_current_task_under_cgroup#37"},
    {"current_task_under_cgroup without CAP_PERFMON",
     "unknown func bpf_current_task_under_cgroup#37||cannot use helper "
     "bpf_current_task_under_cgroup#37"},
    {"an array given to perf_event_output",
     "cannot pass map_type 2 into func bpf_perf_event_output#25"},
    {"a perf event array looked up", "cannot pass map_type 4 into func bpf_map_lookup_elem#1"},
    {"perf_event_output of stack never written, without CAP_PERFMON",
     "invalid indirect read from stack R4 off -16+0 size 16"},
    {"perf_event_output's first argument not the context", "R1 type=scalar expected=ctx"},
    {"get_stack's length may be its whole size: one byte too far",
     "R6 max value is outside of the allowed memory range"},
    {"get_stack without CAP_PERFMON",
     "unknown func bpf_get_stack#67||cannot use helper bpf_get_stack#67"},
    {"get_stack's first argument not the context", "R1 type=scalar expected=ctx"},
    {"an array given to get_stackid", "cannot pass map_type 2 into func bpf_get_stackid#27"},
    {"a stack trace map looked up", "cannot pass map_type 7 into func bpf_map_lookup_elem#1"},
    {"get_stackid without CAP_PERFMON",
     "unknown func bpf_get_stackid#27||cannot use helper bpf_get_stackid#27"},
    {"get_stackid's first argument not the context", "R1 type=scalar expected=ctx"},
    {"get_attach_cookie's argument not the context", "R1 type=fp expected=ctx"},
    {"get_attach_cookie's result is no pointer", "R0 invalid mem access 'scalar'"},
    {"get_attach_cookie in a tp_btf program", "unknown func bpf_get_attach_cookie#174"}, // 6.1
    {"get_func_ip's argument not the context", "R1 type=fp expected=ctx"},
    {"get_func_ip in a tp_btf program",
     "func bpf_get_func_ip#173 supported only for fentry/fexit/fmod_ret programs"},
    {"get_stack past the stack's top", "invalid indirect access to stack R2 off=-64 size=72"},
    {"a prog array updated by a program", "cannot pass map_type 3 into func bpf_map_update_elem#2"},
    {"a tail call in a called function over 256 bytes of frames",
     "tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large"},
    {"a number as the tail call's context", "R1 type=scalar expected=ctx"},
    {"a moved context", "dereference of modified ctx ptr R1 off=8 disallowed"},
    {"a ring as the prog array", "kernel subsystem misconfigured verifier"},
    {"a number as the prog array", "R2 type=scalar expected=map_ptr"},
    {"a pointer as the key without allow_ptr_leaks", "R3 leaks addr into helper function"},
    {"r0 read after a tail call that failed", "R0 !read_ok"},
    {"a prog array's value loaded directly", "no direct value access support for this map type"},
    {"a store into a kernel struct", "only read is supported"},
    {"a read past a kernel struct's end", "access beyond struct task_struct at off"},
    {"a read before a kernel struct", "R2 is ptr_task_struct invalid negative access: off=-8"},
    {"a variable offset into a kernel struct", "R2 is ptr_task_struct invalid variable offset"},
    {"half of a pointer member", "cannot access ptr member real_parent with moff"},
    {"fentry: a result other than 0", "should have been in (0x0; 0x0)||should have been in [0, 0]"},
    {"fexit: the function's result returned",
     "should have been in (0x0; 0x0)||should have been in [0, 0]"},
    {"fentry: no result at entry", "func '__x64_sys_close' doesn't have 2-th argument"},
    {"fexit: nothing past the result", "func '__sys_socket' doesn't have 5-th argument"},
    {"fentry: an int argument dereferenced", "R2 invalid mem access 'scalar'"},
    {"a fourth argument of a three-argument tracepoint",
     "func 'sched_process_exec' doesn't have 4-th argument"},
    {"an argument read at an offset not a multiple of 8",
     "func 'sched_process_exec' offset 4 is not multiple of 8"},
    {"a store into a tp_btf context", "invalid bpf_context access off=0 size=8"},
    {"a number argument dereferenced", "R2 invalid mem access 'scalar'"},
    {"one load through a kernel struct on one path, the stack on another",
     "same insn cannot be used with different pointers"},
    {"get_socket_cookie of a moved socket pointer", "is of type sock but sock_common is expected"},
    {"get_socket_cookie of a task", "R1 is of type task_struct but sock_common is expected"},
    {"get_socket_cookie of NULL", "R1 type=scalar expected=sock_common"}, // 6.1
    {"get_socket_cookie in a kprobe program",
     "unknown func bpf_get_socket_cookie#46||cannot use helper bpf_get_socket_cookie#46"},
    {"a pointer argument read before its NULL check", "R1 invalid mem access 'mem_or_null'"},
    {"arithmetic on a pointer argument before its NULL check",
     "R1 pointer arithmetic on mem_or_null prohibited"},
    {"a pointer argument read past its size",
     "invalid access to memory, mem_size=16 off=16 size=8"},
    {"a variable offset that may reach past a pointer argument",
     "R1 max value is outside of the allowed memory range"},
    {"the caller forgets what it stored where a global function may write", "R3 !read_ok"},
    {"stack never written for a pointer argument",
     "invalid indirect read from stack R1 off -16+0 size 16"},
    {"a pointer argument past the stack's top",
     "invalid indirect access to stack R1 off=-8 size=16"},
    {"a map value smaller than the pointer argument",
     "invalid access to map value, value_size=24 off=0 size=32"},
    {"a read-only map's value for a pointer argument", "write into map forbidden"},
    {"a number for a pointer argument", "R1 type=scalar expected=fp"},
    {"the context for a pointer argument", "invalid bpf_context access"},
    {"the context for a number argument", "R1 is not a scalar"},
    {"a pointer stored into a pointer argument without allow_ptr_leaks", "R10 leaks addr into mem"},
    {"a pointer argument passed on to a function that wants more",
     "invalid access to memory, mem_size=8 off=0 size=16"},
};

// Cases where Linux's errno is not one userspace names, and kring's.
const std::map<std::string, std::pair<int, int>> linux_errno_differs = {
    // Linux's ARRAY answers ENOTSUPP (524, kernel-internal); kring EOPNOTSUPP.
    {"the value of a multi-entry array", {-524, -EOPNOTSUPP}},
    // Linux loads no tracing program without CAP_PERFMON (EPERM, before
    // its verifier); kring's verifier refuses the read itself (and the
    // module, like Linux, refuses the load with EPERM first).
    {"a kernel struct read without CAP_PERFMON", {-EPERM, -EACCES}},
    // Linux's ENOTSUPP again: a tp_btf program probes no function.
    {"get_func_ip in a tp_btf program", {-524, -EOPNOTSUPP}},
};

// Whether Linux's log has one of the messages @says lists ("A||B").
bool linux_log_says(const std::string& log, const std::string& says) {
    size_t start = 0;
    while (true) {
        size_t end = says.find("||", start);
        if (log.find(says.substr(start, end - start)) != std::string::npos)
            return true;
        if (end == std::string::npos)
            return false;
        start = end + 2;
    }
}

// Map cases kring refuses and Linux accepts, and why kring's rule is
// stricter on purpose.
const std::map<std::string, std::string> linux_accepts = {
    // Linux lets programs with bpf_capable read struct bpf_map's fields
    // through its BTF; kring keeps a map's kernel object out of reach.
    {"a map pointer dereferenced", "Linux reads struct bpf_map by BTF"},
    // A memory argument may be anywhere in its caller's memory: a locked
    // operation across a cache line faults in the kernel on CPUs that
    // detect split locks (docs/verifier.md).
    {"an atomic add into a pointer argument", "Linux checks the alignment from the argument"},
    // get_socket_cookie writes into the socket: Linux takes any struct
    // sock pointer (in 6.12 too, where a pointer read from a struct stays
    // a plain PTR_TO_BTF_ID for tracing programs); kring takes only the
    // ones the kernel keeps valid for the run (docs/verifier.md).
    {"get_socket_cookie of a socket read from kernel memory", "Linux passes any struct sock"},
    {"get_socket_cookie of an fexit socket argument", "Linux passes any struct sock"},
};

// Cases Linux 6.1 refuses as kring does (linux_says) and 6.12 accepts:
// kring keeps to what 6.1 takes.
const std::set<std::string> later_linux_accepts = {
    // 6.12 takes NULL for the socket (PTR_MAYBE_NULL), and gives 0.
    "get_socket_cookie of NULL",
    // 6.10 gave raw tracepoint and tp_btf links a cookie.
    "get_attach_cookie in a tp_btf program",
};

// Cases both refuse where Linux logs no reason (only EACCES, or the errno
// linux_errno_differs gives).
const std::set<std::string> linux_refuses_silently = {
    // Linux checks the ring's key size (0) as the key's before the map's
    // type, and logs nothing for it.
    "a ring given to a map helper",
    // Refused before Linux's verifier runs (EPERM, above).
    "a kernel struct read without CAP_PERFMON",
};

// The frozen map's fd, and its value as it was filled: what the module
// reads of it (Linux gives userspace no way to ask if a map is frozen).
struct Frozen {
    int fd = -1;
    const void* value = nullptr;
};

int describe(void* priv, s32 fd, kbpf_map_desc* desc) {
    const Frozen* frozen = static_cast<const Frozen*>(priv);
    bpf_map_info info;
    int err = linuxbpf::map_info(fd, &info);
    if (err)
        return err;
    *desc = {info.type,        info.key_size,  info.value_size,
             info.max_entries, info.map_flags, fd == frozen->fd ? frozen->value : nullptr};
    return fd;
}

struct Verdict {
    int err = 0;
    std::string log;
};

Verdict kring_verdict(const Case& c, const Prog& insns, const Frozen& frozen) {
    if (c.typed_target) { // typed by this kernel's BTF, as the table does
        Outcome out = verify(c);
        return {out.err, out.log};
    }
    std::vector<char> log(1 << 16, '\0');
    kbpf_verify_attr attr{};
    attr.insns = insns.data();
    attr.insn_cnt = static_cast<uint32_t>(insns.size());
    attr.ctx = c.ctx;
    attr.func_info = c.funcs.empty() ? nullptr : c.funcs.data();
    attr.func_info_cnt = static_cast<uint32_t>(c.funcs.size());
    attr.map_lookup = describe;
    attr.map_priv = const_cast<Frozen*>(&frozen);
    attr.flags = c.flags;
    attr.log_level = KBPF_LOG_LEVEL_ERRORS;
    attr.log_buf = log.data();
    attr.log_size = static_cast<uint32_t>(log.size() - 1);
    Verdict v;
    v.err = kbpf_verify(&attr, nullptr);
    v.log = log.data();
    return v;
}

// A typed case's verdict from Linux, as a tp_btf, fentry or fexit program:
// root's program, or without allow_ptr_leaks a child's with CAP_BPF alone.
Verdict linux_typed_verdict(const Case& c, const Prog& insns) {
    uint32_t btf_id = 0, attach = BPF_TRACE_RAW_TP;
    if (c.typed_attach == KRING_ATTACH_TP_BTF) {
        std::string typedef_name = std::string("btf_trace_") + c.typed_target;
        btf_id = kbpf_btf_find(table_btf(), typedef_name.c_str(), BTF_KIND_TYPEDEF);
    } else {
        btf_id = kbpf_btf_find(table_btf(), c.typed_target, BTF_KIND_FUNC);
        attach = c.typed_attach == KRING_ATTACH_FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT;
    }
    REQUIRE(btf_id);
    Verdict v;
    if (c.flags & KBPF_F_ALLOW_PTR_LEAKS) {
        int fd = linuxbpf::load_tracing(insns, attach, btf_id, &v.log);
        v.err = fd < 0 ? fd : 0;
        if (fd >= 0)
            ::close(fd);
        return v;
    }
    int status = vmtest::in_child([&] {
        if (!vmtest::keep_only_caps({CAP_BPF}))
            return 98;
        std::string log;
        int fd = linuxbpf::load_tracing(insns, attach, btf_id, &log);
        return fd == -EPERM ? 1 : fd < 0 ? 2 : 0;
    });
    REQUIRE(status < 90);
    v.err = status == 1 ? -EPERM : status ? -EACCES : 0;
    return v;
}

// Linux's verdict, with as much privilege as @c has: root's kprobe program,
// or without allow_ptr_leaks a socket filter from a child with CAP_BPF.
Verdict linux_verdict(const Case& c, const Prog& insns) {
    if (c.typed_target)
        return linux_typed_verdict(c, insns);
    Verdict v;
    // The case's func-info as BTF (Linux takes tail calls in called
    // functions, and global functions' arguments, only from it); the
    // instructions as they are, their fds real already.
    fuzz::Prog prog;
    prog.funcs = c.funcs;
    fuzz::LinuxProg lp = fuzz::to_linux(prog, {});
    vmtest::Fd btf(lp.btf.empty() ? -1 : linuxbpf::load_btf(lp.btf, &v.log));
    if (!lp.btf.empty())
        REQUIRE_MESSAGE(btf.get() >= 0, "BPF_BTF_LOAD: " << v.log);
    if (c.flags & KBPF_F_ALLOW_PTR_LEAKS) {
        int fd =
            linuxbpf::load_program(BPF_PROG_TYPE_KPROBE, insns, btf.get(), lp.func_info, &v.log);
        v.err = fd < 0 ? fd : 0;
        if (fd >= 0)
            ::close(fd);
        return v;
    }
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    int status = vmtest::in_child([&] {
        ::close(pipe_fds[0]);
        if (!vmtest::keep_only_caps({CAP_BPF}))
            return 98;
        std::string log;
        int fd = linuxbpf::load_program(BPF_PROG_TYPE_SOCKET_FILTER, insns, btf.get(), lp.func_info,
                                        &log);
        if (::write(pipe_fds[1], log.data(), log.size()) < 0)
            return 97;
        return fd < 0 ? -fd : 0; // the errno
    });
    ::close(pipe_fds[1]);
    v.log = vmtest::read_to_end(pipe_fds[0]);
    ::close(pipe_fds[0]);
    REQUIRE(status < 90);
    v.err = -status;
    return v;
}

void check_against_linux(const std::vector<Case>& cases) {
    vmtest::Fd ring(linuxbpf::create_ringbuf(4096)), ring2(linuxbpf::create_ringbuf(4096));
    vmtest::Fd array(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 4));
    vmtest::Fd hash(linuxbpf::create_map(BPF_MAP_TYPE_HASH, 8, 24, 64));
    vmtest::Fd rdonly(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG));
    // Global data, as libbpf makes it: .data, and a filled, frozen .rodata.
    vmtest::Fd data(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1));
    vmtest::Fd rodata(linuxbpf::create_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG));
    // A Linux prog array: kring's verifier sees the same type and sizes.
    vmtest::Fd prog_array(linuxbpf::create_map(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4));
    vmtest::Fd cgroups(linuxbpf::create_map(BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 2));
    vmtest::Fd perf_events(linuxbpf::create_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2));
    REQUIRE(perf_events.get() >= 0);
    vmtest::Fd stacks(linuxbpf::create_map(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 16));
    REQUIRE(stacks.get() >= 0);
    REQUIRE(prog_array.get() >= 0);
    REQUIRE(cgroups.get() >= 0);
    REQUIRE(data.get() >= 0);
    REQUIRE(rodata.get() >= 0);
    uint32_t zero = 0;
    REQUIRE(linuxbpf::fill_map(rodata.get(), &zero, rodata_value, true) == 0);
    Frozen frozen{rodata.get(), rodata_value};
    REQUIRE(ring.get() >= 0);
    REQUIRE(ring2.get() >= 0);
    REQUIRE(array.get() >= 0);
    REQUIRE(hash.get() >= 0);
    REQUIRE(rdonly.get() >= 0);
    // Any other fd of the table names neither a ring nor a map: here a file.
    vmtest::Fd not_a_map(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    const std::map<int32_t, int> fds = {{RING, ring.get()},          {RING2, ring2.get()},
                                        {ARRAY_MAP, array.get()},    {HASH_MAP, hash.get()},
                                        {RDONLY_MAP, rdonly.get()},  {DATA_MAP, data.get()},
                                        {RODATA_MAP, rodata.get()},  {PROG_ARRAY, prog_array.get()},
                                        {CGROUP_MAP, cgroups.get()}, {PERF_MAP, perf_events.get()},
                                        {STACK_MAP, stacks.get()}};
    size_t accepted = 0, refused = 0, stricter = 0;
    for (const Case& c : cases) {
        Prog insns = c.prog;
        for (size_t i = 0; i + 1 < insns.size(); i++) {
            bpf_insn& in = insns[i];
            if (in.code == (BPF_LD | BPF_IMM | BPF_DW) &&
                (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE))
                in.imm = fds.count(in.imm) ? fds.at(in.imm) : not_a_map.get();
        }
        Verdict k = kring_verdict(c, insns, frozen), l = linux_verdict(c, insns);
        CAPTURE(c.name);
        INFO("kring (", k.err, "): ", k.log, "\nLinux (", l.err, "): ", l.log);
        if (c.err == 0) {
            CHECK(k.err == 0);
            CHECK(l.err == 0);
            accepted++;
            continue;
        }
        CHECK(k.log.find(c.msg) != std::string::npos);
        if (linux_accepts.count(c.name) ||
            (later_linux_accepts.count(c.name) && vmtest::kernel_release_at_least(6, 12))) {
            CHECK(k.err == c.err);
            CHECK(l.err == 0);
            stricter++;
            continue;
        }
        // The lookup's error passes through: Linux's, for an fd that names
        // no map; the table's lookup says EBADF.
        if (auto differs = linux_errno_differs.find(c.name); differs != linux_errno_differs.end()) {
            CHECK(l.err == differs->second.first);
            CHECK(k.err == differs->second.second);
        } else {
            CHECK(k.err == (c.err == -EACCES ? c.err : l.err));
        }
        CHECK(l.err < 0);
        if (linux_refuses_silently.count(c.name)) {
            CHECK(l.err == (linux_errno_differs.count(c.name) ? linux_errno_differs.at(c.name).first
                                                              : -EACCES));
            refused++;
            continue;
        }
        REQUIRE(linux_says.count(c.name) == 1);
        CHECK(linux_log_says(l.log, linux_says.at(c.name)));
        refused++;
    }
    MESSAGE("against Linux: ", accepted, " accepted and ", refused, " refused by both, ", stricter,
            " refused by kring alone on purpose");
    CHECK(accepted + refused + stricter == cases.size());
}

} // namespace

TEST_CASE("maps: Linux decides the table's map cases as kring does, refusing for the same reason") {
    check_against_linux(map_cases());
}

TEST_CASE("atomics: Linux decides the table's atomic cases as kring does, refusing for the same "
          "reason") {
    check_against_linux(atomic_cases());
}

TEST_CASE("global data: Linux decides the table's global data cases as kring does, refusing for "
          "the same reason") {
    check_against_linux(global_data_cases());
}

TEST_CASE("tail calls: Linux decides the table's tail call cases as kring does, refusing for the "
          "same reason") {
    check_against_linux(tail_call_cases());
}

TEST_CASE("tracing helpers: Linux decides the table's probe-read cases as kring does, refusing for "
          "the same reason") {
    check_against_linux(tracing_helper_cases());
}

TEST_CASE("BTF-typed contexts: Linux decides the table's tp_btf cases as kring does, refusing for "
          "the same reason") {
    check_against_linux(btf_cases());
}

TEST_CASE("global function arguments: Linux decides the table's pointer argument cases as kring "
          "does, refusing for the same reason") {
    check_against_linux(global_arg_cases());
}

TEST_CASE("dead code: Linux, like kring, refuses an unknown helper only where a path reaches it") {
    std::vector<Case> cases;
    for (const Case& c : malformed_cases())
        if (c.name.find("unknown helper in dead code") != std::string::npos ||
            c.name.find("poisoned call, reached") != std::string::npos ||
            c.name.find("unknown helper on one path only") != std::string::npos)
            cases.push_back(c);
    REQUIRE(cases.size() == 3);
    check_against_linux(cases);
}
