// Ids, the list ioctls (KRING_IOC_RING_LIST, _PROG_LIST, _LINK_LIST),
// program names, and pinned programs and links, against the real module;
// then kringctl run --pin, link list and unpin end to end.
#include "insn.hpp"
#include "kringctl_util.hpp"
#include "vm_util.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <kring/kring.hpp>
#include <optional>
#include <set>
#include <vector>

using namespace vmtest;

namespace {

constexpr uint64_t kSize = 64 * 1024;

// The list ioctl `request` with room for `capacity` infos: 0 or the errno;
// *count is what the kernel says there are.
template <typename Info>
int list(unsigned long request, std::vector<Info>* out, uint32_t* count = nullptr,
         uint32_t capacity = 4096) {
    out->assign(capacity, Info{});
    kring_obj_list req{reinterpret_cast<uint64_t>(out->data()), capacity, 0};
    Fd dev = open_device();
    if (::ioctl(dev.get(), request, &req) != 0)
        return errno;
    if (count)
        *count = req.count;
    out->resize(std::min(req.count, capacity));
    return 0;
}

std::vector<kring_ring_info> rings() {
    std::vector<kring_ring_info> out;
    REQUIRE(list(KRING_IOC_RING_LIST, &out) == 0);
    return out;
}

std::vector<kring_prog_info> progs() {
    std::vector<kring_prog_info> out;
    REQUIRE(list(KRING_IOC_PROG_LIST, &out) == 0);
    return out;
}

std::vector<kring_link_info> links() {
    std::vector<kring_link_info> out;
    REQUIRE(list(KRING_IOC_LINK_LIST, &out) == 0);
    return out;
}

// The listed ring with this cookie, the program with this name, the link
// of this program, or none.
std::optional<kring_ring_info> ring_with_cookie(uint64_t cookie) {
    for (const kring_ring_info& r : rings())
        if (r.cookie == cookie)
            return r;
    return std::nullopt;
}

std::optional<kring_prog_info> prog_named(const std::string& name) {
    for (const kring_prog_info& p : progs())
        if (kring::field_string(p.name) == name)
            return p;
    return std::nullopt;
}

std::vector<kring_link_info> links_of(uint32_t prog_id) {
    std::vector<kring_link_info> out;
    for (const kring_link_info& l : links())
        if (l.prog_id == prog_id)
            out.push_back(l);
    return out;
}

template <typename Info>
bool reserved_zero(const Info& info) {
    return std::all_of(std::begin(info.reserved), std::end(info.reserved),
                       [](uint64_t v) { return v == 0; });
}

template <typename Info>
bool ids_unique_and_ascending(const std::vector<Info>& infos) {
    for (size_t i = 1; i < infos.size(); i++)
        if (infos[i].id <= infos[i - 1].id)
            return false;
    return infos.empty() || infos[0].id > 0;
}

// Reserves 16 bytes of `ring_fd`'s ring and stores the context's u32 at
// `ctx_off` and the constant `tag`; uses 16 bytes of stack. With
// `second_ring_fd` >= 0 it names that ring first (loads it, unused).
std::vector<bpf_insn> event_program(int ring_fd, int16_t ctx_off, int32_t tag,
                                    int second_ring_fd = -1) {
    using namespace insn;
    std::vector<bpf_insn> p;
    if (second_ring_fd >= 0)
        for (const bpf_insn& i : ld_map_fd(2, second_ring_fd))
            p.push_back(i);
    p.push_back(mov64_reg(6, 1));
    p.push_back(st(BPF_DW, 10, -16, 0));
    for (const bpf_insn& i : ld_map_fd(1, ring_fd))
        p.push_back(i);
    p.push_back(mov64_imm(2, 16));
    p.push_back(mov64_imm(3, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_reserve));
    p.push_back(jmp_imm(BPF_JNE, 0, 0, 2));
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    p.push_back(ldx(BPF_W, 1, 6, ctx_off));
    p.push_back(stx(BPF_DW, 0, 1, 0));
    p.push_back(st(BPF_DW, 0, 8, tag));
    p.push_back(mov64_reg(1, 0));
    p.push_back(mov64_imm(2, 0));
    p.push_back(call_helper(BPF_FUNC_ringbuf_submit));
    p.push_back(mov64_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

constexpr int16_t kForkChildPid = offsetof(kring_ctx_fork, child_pid);

// 0 or the errno of a load named by `name` (the pointer as given).
int load_named(const std::vector<bpf_insn>& insns, uint32_t attach_type, uint64_t name, Fd* prog,
               int dev_fd = -1) {
    Fd own = dev_fd < 0 ? open_device() : Fd();
    kring_prog_load req{};
    req.insns = reinterpret_cast<uint64_t>(insns.data());
    req.insn_cnt = static_cast<uint32_t>(insns.size());
    req.attach_type = attach_type;
    req.name = name;
    int fd = ::ioctl(dev_fd < 0 ? own.get() : dev_fd, KRING_IOC_PROG_LOAD, &req);
    if (fd < 0)
        return errno;
    *prog = Fd(fd);
    return 0;
}

Fd load(const std::vector<bpf_insn>& insns, uint32_t attach_type, const char* name) {
    Fd prog;
    int err = load_named(insns, attach_type, reinterpret_cast<uint64_t>(name), &prog);
    REQUIRE_MESSAGE(err == 0, "load " << name << ": " << strerror(err));
    return prog;
}

int open_pinned(const std::string& name) {
    Fd dev = open_device();
    return name_ioctl(dev.get(), KRING_IOC_OPEN_PINNED, name);
}

std::vector<std::string> pinned_names() {
    std::vector<char> names(size_t{KRING_MAX_PINNED} * KRING_NAME_MAX);
    kring_pinned_list req{reinterpret_cast<uint64_t>(names.data()), KRING_MAX_PINNED, 0};
    Fd dev = open_device();
    REQUIRE(::ioctl(dev.get(), KRING_IOC_LIST_PINNED, &req) == 0);
    std::vector<std::string> out;
    for (uint32_t i = 0; i < req.count; i++)
        out.emplace_back(&names[size_t{i} * KRING_NAME_MAX]);
    return out;
}

bool is_pinned(const std::string& name) {
    auto names = pinned_names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The first words of each committed record: (ctx field, tag).
std::vector<std::pair<uint64_t, uint64_t>> drain(Mapping& m) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    unsigned long pos = m.consumer_pos();
    while (pos != m.producer_pos()) {
        uint32_t len = m.len_at(pos);
        REQUIRE((len & KRING_BUSY_BIT) == 0);
        uint32_t size = len & ~(KRING_BUSY_BIT | KRING_DISCARD_BIT);
        if (!(len & KRING_DISCARD_BIT) && size >= 16) {
            uint64_t words[2];
            std::memcpy(words, m.payload_at(pos), sizeof(words));
            out.emplace_back(words[0], words[1]);
        }
        pos += record_span(size);
        m.release(pos);
    }
    return out;
}

// Forks a child that exits at once; its pid.
pid_t fork_one() {
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

bool has_child(const std::vector<std::pair<uint64_t, uint64_t>>& records, pid_t child) {
    return std::any_of(records.begin(), records.end(), [&](const auto& r) {
        return r.first == static_cast<uint64_t>(child) && r.second == 7;
    });
}

} // namespace

TEST_CASE("rings, programs and links have ids, and the lists give each one's info") {
    Fd a = make_ring(kSize), b = make_ring(2 * kSize);
    std::optional<Mapping> m(std::in_place, a.get(), kSize);
    REQUIRE(write_record(a.get(), "abc", 3) == 0);
    REQUIRE(write_record(a.get(), "defgh", 5) == 0);
    m->release(record_span(3));
    REQUIRE(pin(a.get(), "objs-a") == 0);
    REQUIRE(pin(a.get(), "objs-a2") == 0);
    const uint64_t ca = query(a.get()).cookie, cb = query(b.get()).cookie;

    auto all_rings = rings();
    CHECK(ids_unique_and_ascending(all_rings));
    auto ra = ring_with_cookie(ca), rb = ring_with_cookie(cb);
    REQUIRE(ra);
    REQUIRE(rb);
    CHECK(ra->id != rb->id);
    CHECK(ra->data_size == kSize);
    CHECK(rb->data_size == 2 * kSize);
    CHECK(ra->producer_pos == record_span(3) + record_span(5));
    CHECK(ra->consumer_pos == record_span(3));
    CHECK(ra->stats.committed == 2);
    CHECK(ra->stats.bytes == 8);
    CHECK(ra->stats.discarded == 0);
    CHECK(ra->stats.dropped == 0);
    CHECK(ra->stats.wakeups == stats(a.get()).wakeups);
    CHECK(ra->nr_pinned == 2);
    CHECK(kring::field_string(ra->pinned) == "objs-a"); // the first, in pinning order
    CHECK(rb->nr_pinned == 0);
    CHECK(kring::field_string(rb->pinned).empty());
    CHECK(rb->stats.committed == 0);
    CHECK(reserved_zero(*ra));

    // A program naming both rings, b first; test-run 3 times.
    auto insns = event_program(a.get(), 0, 7, b.get());
    Fd prog = load(insns, KRING_ATTACH_SYS_ENTER, "objs_prog.1");
    kring_ctx_sys_enter ctx{42, {}};
    kring_prog_test_run tr{reinterpret_cast<uint64_t>(&ctx), sizeof(ctx), 3, 0, 0, 0};
    REQUIRE(::ioctl(prog.get(), KRING_IOC_PROG_TEST_RUN, &tr) == 0);
    auto all_progs = progs();
    CHECK(ids_unique_and_ascending(all_progs));
    auto p = prog_named("objs_prog.1");
    REQUIRE(p);
    CHECK(p->attach_type == KRING_ATTACH_SYS_ENTER);
    CHECK(p->insn_cnt == insns.size());
    CHECK(p->stack_depth == 16);
    CHECK(p->runs == 3);
    CHECK(p->misses == 0);
    REQUIRE(p->nr_rings == 2);
    CHECK(p->ring_ids[0] == rb->id); // in the order the program names them
    CHECK(p->ring_ids[1] == ra->id);
    CHECK(p->ring_ids[2] == 0);
    CHECK(p->nr_pinned == 0);
    CHECK(p->nr_maps == 0); // rings only: no Linux map
    CHECK(std::all_of(std::begin(p->map_ids), std::end(p->map_ids),
                      [](uint32_t id) { return id == 0; }));
    CHECK(ring_with_cookie(ca)->stats.committed == 5);

    // Links: a tracepoint's target is its name, a kprobe's its function.
    Fd kprog = load(event_program(a.get(), 0, 8), KRING_ATTACH_KPROBE, "objs_kprobe");
    auto kp = prog_named("objs_kprobe");
    REQUIRE(kp);
    CHECK(kp->id != p->id);
    Fd link = attach(prog.get());
    Fd klink = attach(kprog.get(), "vfs_read");
    auto all_links = links();
    CHECK(ids_unique_and_ascending(all_links));
    auto lp = links_of(p->id), lk = links_of(kp->id);
    REQUIRE(lp.size() == 1);
    REQUIRE(lk.size() == 1);
    CHECK(lp[0].id != lk[0].id);
    CHECK(lp[0].attach_type == KRING_ATTACH_SYS_ENTER);
    CHECK(kring::field_string(lp[0].target) == "sys_enter");
    CHECK(lk[0].attach_type == KRING_ATTACH_KPROBE);
    CHECK(kring::field_string(lk[0].target) == "vfs_read");
    CHECK(lp[0].nr_pinned == 0);
    CHECK(reserved_zero(lk[0]));
    // A second link of one program has an id of its own.
    Fd link2 = attach(prog.get());
    auto two = links_of(p->id);
    REQUIRE(two.size() == 2);
    CHECK(two[0].id != two[1].id);
    CHECK(prog_named("objs_prog.1")->runs > 3); // attached to every syscall

    // Ids go with their objects: the last reference removes them.
    const uint32_t link_id = lp[0].id, prog_id = p->id;
    link.reset();
    link2.reset();
    CHECK(links_of(prog_id).empty());
    klink.reset();
    kprog.reset();
    CHECK(!prog_named("objs_kprobe"));
    prog.reset();
    CHECK(!prog_named("objs_prog.1"));
    b.reset(); // the program held it until now
    CHECK(!ring_with_cookie(cb));
    for (const kring_link_info& l : links())
        CHECK(l.id != link_id);
    CHECK(unpin("objs-a") == 0);
    CHECK(unpin("objs-a2") == 0);
    CHECK(ring_with_cookie(ca)->nr_pinned == 0);
    a.reset();
    CHECK(ring_with_cookie(ca)); // mapped
    m.reset();
    CHECK(!ring_with_cookie(ca));
}

TEST_CASE("a list shorter than the objects: the first ones and the count") {
    std::vector<Fd> rs;
    for (int i = 0; i < 3; i++)
        rs.push_back(make_ring(kSize));
    uint32_t total = 0;
    std::vector<kring_ring_info> all;
    REQUIRE(list(KRING_IOC_RING_LIST, &all, &total) == 0);
    REQUIRE(total >= 3);
    CHECK(all.size() == total);
    std::vector<kring_ring_info> buf(2);
    std::memset(buf.data(), 0xab, sizeof(kring_ring_info) * 2);
    kring_obj_list req{reinterpret_cast<uint64_t>(buf.data()), 1, 0};
    Fd dev = open_device();
    REQUIRE(::ioctl(dev.get(), KRING_IOC_RING_LIST, &req) == 0);
    CHECK(req.count == total);
    CHECK(buf[0].id == all[0].id);
    CHECK(buf[0].cookie == all[0].cookie);
    const auto* past = reinterpret_cast<const unsigned char*>(&buf[1]);
    CHECK(std::all_of(past, past + sizeof(kring_ring_info),
                      [](unsigned char c) { return c == 0xab; })); // untouched
    // Capacity 0: the count alone, for each kind.
    for (unsigned long request : {KRING_IOC_RING_LIST, KRING_IOC_PROG_LIST, KRING_IOC_LINK_LIST}) {
        kring_obj_list none{0, 0, 0};
        CHECK(::ioctl(dev.get(), request, &none) == 0);
        if (request == KRING_IOC_RING_LIST)
            CHECK(none.count == total);
        none.count = 1; // an output field: must come in as zero
        CHECK(::ioctl(dev.get(), request, &none) != 0);
        CHECK(errno == EINVAL);
    }
    kring_obj_list bad{8, 1, 0}; // not a user pointer
    CHECK(::ioctl(dev.get(), KRING_IOC_RING_LIST, &bad) != 0);
    CHECK(errno == EFAULT);
    CHECK(::ioctl(dev.get(), KRING_IOC_RING_LIST, reinterpret_cast<void*>(8)) != 0);
    CHECK(errno == EFAULT);
}

TEST_CASE("program names follow Linux's rule: 15 characters of A-Za-z0-9_.") {
    Fd ring = make_ring(kSize);
    auto insns = event_program(ring.get(), 0, 7);
    auto load_as = [&](const char* name) {
        Fd prog;
        return load_named(insns, KRING_ATTACH_SYS_ENTER, reinterpret_cast<uint64_t>(name), &prog);
    };
    CHECK(load_as("Aa0_.xxxxxxxxxx") == 0);       // 15
    CHECK(load_as("Aa0_.xxxxxxxxxxx") == EINVAL); // 16: no room for the NUL
    CHECK(load_as("bad-name") == EINVAL);
    CHECK(load_as("bad name") == EINVAL);
    CHECK(load_as("caf\xe9") == EINVAL); // ASCII only
    CHECK(load_as("") == 0);
    Fd prog;
    CHECK(load_named(insns, KRING_ATTACH_SYS_ENTER, 8, &prog) == EFAULT);
    REQUIRE(load_named(insns, KRING_ATTACH_SYS_ENTER, 0, &prog) == 0);
    // No name: listed with an empty one.
    uint64_t cookie = query(ring.get()).cookie;
    uint32_t ring_id = ring_with_cookie(cookie)->id;
    bool found = false;
    for (const kring_prog_info& p : progs())
        if (p.nr_rings == 1 && p.ring_ids[0] == ring_id)
            found = found || kring::field_string(p.name).empty();
    CHECK(found);
}

TEST_CASE("listing needs CAP_SYS_ADMIN, as Linux's id walks; pinning programs and links CAP_BPF") {
    Fd ring = make_ring(kSize);
    Fd prog = load(event_program(ring.get(), 0, 7), KRING_ATTACH_SYS_ENTER, "objs_priv");
    Fd link = attach(prog.get());
    Fd dev = open_device(); // opened as root: the caller's privilege is checked
    auto lists = [&] {
        kring_obj_list req{0, 0, 0};
        int refused = 0;
        for (unsigned long r : {KRING_IOC_RING_LIST, KRING_IOC_PROG_LIST, KRING_IOC_LINK_LIST})
            refused += ::ioctl(dev.get(), r, &req) != 0 && errno == EPERM;
        return refused;
    };
    int bpf_perfmon = in_child([&] {
        if (!keep_only_caps({CAP_BPF, CAP_PERFMON}))
            return 10;
        // CAP_BPF pins (and unpins) a program and a link, but lists nothing.
        if (pin(prog.get(), "objs-priv-p") != 0 || pin(link.get(), "objs-priv-l") != 0)
            return 1;
        if (unpin("objs-priv-p") != 0 || unpin("objs-priv-l") != 0)
            return 2;
        return lists() == 3 ? 0 : 3;
    });
    CHECK(bpf_perfmon == 0);
    int admin = in_child([&] {
        if (!keep_only_caps({CAP_SYS_ADMIN}))
            return 10;
        return lists() == 0 ? 0 : 1;
    });
    CHECK(admin == 0);
    int nobody = in_child([&] {
        if (setresuid(65534, 65534, 65534) != 0)
            return 10;
        return pin(prog.get(), "objs-priv-p") == EPERM && pin(link.get(), "objs-priv-l") == EPERM
                   ? 0
                   : 1;
    });
    CHECK(nobody == 0);
    CHECK(!is_pinned("objs-priv-p"));
    CHECK(!is_pinned("objs-priv-l"));
}

TEST_CASE("a pinned link keeps firing with no fd open; unpinning it detaches it") {
    Fd ring = make_ring(kSize);
    Mapping m(ring.get(), kSize);
    uint32_t prog_id;
    {
        Fd prog = load(event_program(ring.get(), kForkChildPid, 7), KRING_ATTACH_SCHED_PROCESS_FORK,
                       "objs_fork");
        Fd link = attach(prog.get());
        CHECK(pin(link.get(), "objs-link") == 0);
        CHECK(pin(link.get(), "objs-link") == EEXIST);
        CHECK(pin(link.get(), "bad name") == EINVAL);
        kring_query q{};
        CHECK(::ioctl(link.get(), KRING_IOC_QUERY, &q) != 0); // a link fd pins, nothing else
        CHECK(errno == ENOTTY);
        prog_id = prog_named("objs_fork")->id;
    } // every fd of the program and the link closed
    pid_t child = fork_one();
    CHECK(has_child(drain(m), child));
    auto ls = links_of(prog_id);
    REQUIRE(ls.size() == 1);
    CHECK(kring::field_string(ls[0].pinned) == "objs-link");
    CHECK(ls[0].nr_pinned == 1);
    CHECK(kring::field_string(ls[0].target) == "sched_process_fork");
    CHECK(prog_named("objs_fork")->runs >= 1);
    CHECK(is_pinned("objs-link"));

    CHECK(unpin("objs-link") == 0);
    CHECK(links_of(prog_id).empty());
    CHECK(!prog_named("objs_fork")); // the link held the last reference
    child = fork_one();
    CHECK(drain(m).empty());
    CHECK(child > 0);
    CHECK(unpin("objs-link") == ENOENT);
}

TEST_CASE("a link pinned and still open: unpinning leaves it attached until its fd closes") {
    Fd ring = make_ring(kSize);
    Mapping m(ring.get(), kSize);
    Fd prog = load(event_program(ring.get(), kForkChildPid, 7), KRING_ATTACH_SCHED_PROCESS_FORK,
                   "objs_fork2");
    Fd link = attach(prog.get());
    REQUIRE(pin(link.get(), "objs-link2") == 0);
    REQUIRE(unpin("objs-link2") == 0);
    pid_t child = fork_one();
    CHECK(has_child(drain(m), child));
    link.reset();
    child = fork_one();
    CHECK(!has_child(drain(m), child));
}

TEST_CASE("pinned programs: one name table for every kind; only rings open by name") {
    Fd ring = make_ring(kSize);
    uint32_t prog_id;
    {
        Fd prog = load(event_program(ring.get(), 0, 7), KRING_ATTACH_SYS_ENTER, "objs_pinned");
        REQUIRE(pin(prog.get(), "objs-prog") == 0);
        prog_id = prog_named("objs_pinned")->id;
        // The program's fd says of it what the list says.
        kring_prog_info by_fd{};
        REQUIRE(::ioctl(prog.get(), KRING_IOC_PROG_INFO, &by_fd) == 0);
        auto listed = prog_named("objs_pinned");
        REQUIRE(listed);
        CHECK(by_fd.id == prog_id);
        CHECK(kring::field_string(by_fd.name) == "objs_pinned");
        CHECK(kring::field_string(by_fd.pinned) == "objs-prog");
        CHECK(by_fd.nr_pinned == 1);
        CHECK(by_fd.insn_cnt == listed->insn_cnt);
        CHECK(by_fd.nr_rings == 1);
        CHECK(by_fd.ring_ids[0] == listed->ring_ids[0]);
        CHECK(by_fd.runtime == listed->runtime);
        CHECK(by_fd.jited_len == listed->jited_len);
        Fd link = attach(prog.get());
        REQUIRE(pin(link.get(), "objs-link3") == 0);
        // A name is taken whatever holds it.
        CHECK(pin(ring.get(), "objs-prog") == EEXIST);
        CHECK(pin(ring.get(), "objs-link3") == EEXIST);
        CHECK(pin(link.get(), "objs-prog") == EEXIST);
        REQUIRE(pin(ring.get(), "objs-ring") == 0);
        CHECK(pin(prog.get(), "objs-ring") == EEXIST);
    }
    // The program outlives its fd.
    auto p = prog_named("objs_pinned");
    REQUIRE(p);
    CHECK(p->id == prog_id);
    CHECK(kring::field_string(p->pinned) == "objs-prog");
    CHECK(p->nr_pinned == 1);
    // Every kind is listed by name; only a ring opens.
    CHECK(is_pinned("objs-prog"));
    CHECK(is_pinned("objs-link3"));
    CHECK(is_pinned("objs-ring"));
    CHECK(open_pinned("objs-prog") == EMEDIUMTYPE);
    CHECK(open_pinned("objs-link3") == EMEDIUMTYPE);
    CHECK(open_pinned("objs-ring") == 0);
    CHECK(unpin("objs-link3") == 0);
    CHECK(links_of(prog_id).empty());
    CHECK(prog_named("objs_pinned")); // its name still holds it
    CHECK(unpin("objs-prog") == 0);
    CHECK(!prog_named("objs_pinned"));
    CHECK(unpin("objs-ring") == 0);
}

TEST_CASE("the module cannot be unloaded while a link is pinned") {
    if (module_loaded("kring_api_test"))
        REQUIRE(unload_module("kring_api_test") == 0);
    {
        Fd ring = make_ring(kSize);
        Fd prog = load(event_program(ring.get(), 0, 7), KRING_ATTACH_SYS_EXIT, "objs_unload");
        Fd link = attach(prog.get());
        REQUIRE(pin(link.get(), "objs-holds-module") == 0);
    }
    CHECK(unload_module("kring") != 0);
    CHECK(module_loaded("kring"));
    CHECK(prog_named("objs_unload")->runs > 0); // still attached, still running
    CHECK(unpin("objs-holds-module") == 0);
    CHECK(unload_module("kring") == 0);
    REQUIRE(load_module("kring") == 0);
}

TEST_CASE("kringctl run --pin leaves exec-snoop attached, link list shows it, unpin detaches") {
    using namespace vmtest::cli;
    const std::string obj = "/lib/kring/exec-snoop.bpf.o";
    int status = -1;
    std::string out = run_kringctl({"run", obj, "--pin", "e2e"}, &status);
    CHECK(status == 0);
    CHECK(out == "pinned link e2e.on_fork\npinned link e2e.on_exec\npinned link e2e.on_exit\n"
                 "pinned ring e2e.events\n");
    std::string listed = run_kringctl({"link", "list", "--json"}, &status);
    INFO("link list --json:\n", listed);
    CHECK(status == 0);
    CHECK(listed.find("\"prog_name\":\"on_exec\",\"attach\":\"tracepoint\","
                      "\"target\":\"sched/sched_process_exec\",\"pinned\":\"e2e.on_exec\","
                      "\"pinned_names\":1}\n") != std::string::npos);
    std::string text = run_kringctl({"prog", "list"}, &status);
    CHECK(status == 0);
    MESSAGE("kringctl prog list:\n"
            << text << "kringctl link list:\n"
            << run_kringctl({"link", "list"}, &status) << "kringctl ring list:\n"
            << run_kringctl({"ring", "list"}, &status));
    CHECK(text.find(": on_fork, tracepoint, ") != std::string::npos);
    // The VM's kernels JIT: each program says it runs as machine code.
    CHECK(std::count(text.begin(), text.end(), '\n') == 3);
    CHECK(text.find("bytes, JIT'd (") != std::string::npos);
    CHECK(text.find("interpreter") == std::string::npos);
    CHECK(run_kringctl({"ring", "list", "--json"}, &status).find("\"pinned\":\"e2e.events\"") !=
          std::string::npos);
    // stats of every name shows the rings and passes over the links.
    CHECK(run_kringctl({"stats"}, &status).find("e2e.events: size 262144") != std::string::npos);
    CHECK(status == 0);

    // Records arrive in the pinned ring with kringctl gone.
    kring::Ring ring = kring::Ring::open_pinned("e2e.events");
    uint64_t before = ring.stats().committed;
    int child_status = 0;
    vmtest::run_busybox({"true"}, &child_status);
    REQUIRE(WIFEXITED(child_status));
    REQUIRE(WEXITSTATUS(child_status) == 0);
    uint64_t after = ring.stats().committed;
    CHECK(after >= before + 3); // fork, exec, exit

    // Unpinning the links detaches them: nothing more arrives.
    out = run_kringctl({"unpin", "e2e.on_fork", "e2e.on_exec", "e2e.on_exit"}, &status);
    CHECK(status == 0);
    CHECK(out.empty());
    const uint64_t detached = ring.stats().committed;
    CHECK(detached >= after); // kringctl's own fork, exec (and exit)
    CHECK(run_kringctl({"link", "list", "--json"}, &status).find("e2e.") == std::string::npos);
    CHECK(fork_one() > 0);
    CHECK(ring.stats().committed == detached);
    CHECK(run_kringctl({"unpin", "e2e.events"}, &status).empty());
    CHECK(status == 0);

    // A name already taken: nothing is left pinned (the links pinned before
    // the ring failed are unpinned again), exit 1.
    kring::Ring taken = kring::Ring::create(4096);
    taken.pin("e2e.events");
    run_kringctl({"run", obj, "--pin", "e2e"}, &status);
    CHECK(status == 1);
    CHECK(!is_pinned("e2e.on_fork"));
    CHECK(!is_pinned("e2e.on_exit"));
    CHECK(links().size() == 0);
    kring::Ring::unpin("e2e.events");
}
