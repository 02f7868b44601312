// bpf_get_attach_cookie and bpf_get_func_ip: tests/bpf_progs/attach_cookie.bpf.c's
// kprobe, kretprobe, trace event, fentry and fexit programs on getpgid(2),
// its uprobe on a function of this test and its perf event program each
// record their link's cookie, and those that probe a function its address
// (the kernel function's entry; the uprobe's, its user address, as Linux
// gives it since 6.4, where 6.1 gives 0). Every link
// gives its own cookie, including two links of one program; a link
// attached without one gives 0, as does a test run (and no address);
// Linux's own run of the same object (libbpf, the same cookies) records the
// same. Raw tracepoint links take no cookie, the uapi of loaders built
// before cookies attaches with 0, and the link list shows each link's.
// JIT'd and interpreted alike.
#include "libbpf_object.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <algorithm>
#include <bpf/libbpf.h>
#include <cerrno>
#include <doctest/doctest.h>
#include <kring/uprobe.hpp>
#include <set>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>
#include <vector>

// The uprobe's function: not inlined.
extern "C" __attribute__((noinline)) int kring_cookie_target(int x) {
    asm volatile("" ::: "memory");
    return x + 1;
}

namespace {

const std::string kObject = "/lib/kring/attach_cookie.bpf.o";
const std::string kSelf = "/proc/self/exe";
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

enum CookieSource : uint32_t {
    kFromKprobe,
    kFromKretprobe,
    kFromTracepoint,
    kFromFentry,
    kFromFexit,
    kFromUprobe,
    kFromPerfEvent,
    kFromRawTp,
};

struct CookieEvent { // attach_cookie.bpf.c's
    uint32_t source;
    uint32_t pad;
    uint64_t cookie;
    uint64_t func_ip;
    auto operator<=>(const CookieEvent&) const = default;
};

// Cookies with every byte set, so that a cut or a swap of halves shows.
constexpr uint64_t kKprobeCookies[] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
constexpr uint64_t kKretprobeCookie = 0x8000000000000001ULL;
constexpr uint64_t kTracepointCookie = 0x1122334455667788ULL;
constexpr uint64_t kFentryCookie = 0x0f0f0f0f0f0f0f0fULL;
constexpr uint64_t kFexitCookie = 0xf0f0f0f0f0f0f0f0ULL;
constexpr uint64_t kUprobeCookie = 0xa5a5a5a55a5a5a5aULL;
constexpr uint64_t kPerfEventCookie = 0x0000000100000002ULL;

// One getpgid(2), one call of the uprobe's function.
void hit_once() {
    CHECK(::syscall(SYS_getpgid, 0) >= 0);
    int (*volatile fn)(int) = kring_cookie_target;
    CHECK(fn(1) == 2);
}

// The probed kernel function's entry, which get_func_ip gives.
uint64_t getpgid_entry() {
    static const uint64_t entry = vmtest::kernel_symbol_address("__x64_sys_getpgid");
    REQUIRE(entry != 0);
    return entry;
}

// The uprobe's address, which get_func_ip gives the uprobe in kring and in
// Linux since 6.4 (6.1 gives 0).
uint64_t uprobe_address() {
    return reinterpret_cast<uint64_t>(&kring_cookie_target);
}

// What one hit_once() records with the cookies above: each link once, the
// kprobe's two links each with its own; the uprobe's address `uprobe_ip`.
std::vector<CookieEvent> expected_hit(uint64_t uprobe_ip) {
    const uint64_t ip = getpgid_entry();
    return {{kFromKprobe, 0, kKprobeCookies[0], ip},   {kFromKprobe, 0, kKprobeCookies[1], ip},
            {kFromKretprobe, 0, kKretprobeCookie, ip}, {kFromTracepoint, 0, kTracepointCookie, 0},
            {kFromFentry, 0, kFentryCookie, ip},       {kFromFexit, 0, kFexitCookie, ip},
            {kFromUprobe, 0, kUprobeCookie, uprobe_ip}};
}

// The events of one hit_once(), sorted (the links of one event run in an
// order neither kernel promises), then whether the perf event samples all
// came with its link's cookie.
void check_hit(std::vector<CookieEvent> events, uint64_t uprobe_ip) {
    size_t samples = 0;
    std::erase_if(events, [&](const CookieEvent& e) {
        if (e.source != kFromPerfEvent)
            return false;
        CHECK(e.cookie == kPerfEventCookie);
        CHECK(e.func_ip == 0);
        samples++;
        return true;
    });
    std::sort(events.begin(), events.end());
    std::ostringstream seen;
    for (const CookieEvent& e : events)
        seen << std::hex << "\n  source " << e.source << " cookie 0x" << e.cookie << " ip 0x"
             << e.func_ip;
    seen << "\ngetpgid at 0x" << getpgid_entry() << ", the uprobe at 0x" << uprobe_ip;
    INFO("events:", seen.str());
    CHECK(events == expected_hit(uprobe_ip));
    CHECK(samples > 0);
}

} // namespace

// Linux's uprobe for one process is a per-task perf event, which turns on
// the perf hooks in __schedule: text the other vCPU runs, so the
// single-threaded suite (docs/testing.md, "Live text patching under TCG").
TEST_CASE("get_attach_cookie: each link's cookie, in every kind of program that has one, "
          "and get_func_ip's address, as Linux's" *
          doctest::test_suite("live-text-patching")) {
    const uint64_t offset = kring::elf_function_offset(kSelf, "kring_cookie_target");
    {
        vmtest::LibbpfObject<CookieEvent> linux_cookies(kObject, "cookies",
                                                        static_cast<uint32_t>(::getpid()));
        for (uint64_t cookie : kKprobeCookies) {
            bpf_kprobe_opts opts{};
            opts.sz = sizeof(opts);
            opts.bpf_cookie = cookie;
            linux_cookies.add_link(
                bpf_program__attach_kprobe_opts(linux_cookies.program("on_kprobe"),
                                                "__x64_sys_getpgid", &opts),
                "on_kprobe");
        }
        bpf_kprobe_opts ret_opts{};
        ret_opts.sz = sizeof(ret_opts);
        ret_opts.bpf_cookie = kKretprobeCookie;
        ret_opts.retprobe = true;
        linux_cookies.add_link(
            bpf_program__attach_kprobe_opts(linux_cookies.program("on_kretprobe"),
                                            "__x64_sys_getpgid", &ret_opts),
            "on_kretprobe");
        bpf_tracepoint_opts tp_opts{};
        tp_opts.sz = sizeof(tp_opts);
        tp_opts.bpf_cookie = kTracepointCookie;
        linux_cookies.add_link(
            bpf_program__attach_tracepoint_opts(linux_cookies.program("on_tracepoint"), "syscalls",
                                                "sys_enter_getpgid", &tp_opts),
            "on_tracepoint");
        for (auto [name, cookie] :
             {std::pair{"on_fentry", kFentryCookie}, {"on_fexit", kFexitCookie}}) {
            bpf_trace_opts opts{};
            opts.sz = sizeof(opts);
            opts.cookie = cookie;
            linux_cookies.add_link(
                bpf_program__attach_trace_opts(linux_cookies.program(name), &opts), name);
        }
        bpf_uprobe_opts up_opts{};
        up_opts.sz = sizeof(up_opts);
        up_opts.bpf_cookie = kUprobeCookie;
        linux_cookies.add_link(bpf_program__attach_uprobe_opts(linux_cookies.program("on_uprobe"),
                                                               ::getpid(), kSelf.c_str(), offset,
                                                               &up_opts),
                               "on_uprobe");
        std::vector<vmtest::Fd> counters;
        perf_event_attr attr = vmtest::cpu_clock(1000000);
        for (int cpu = 0; cpu < libbpf_num_possible_cpus(); cpu++) {
            vmtest::Fd counter(
                static_cast<int>(::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, 0)));
            if (counter.get() < 0)
                continue; // an offline CPU
            bpf_perf_event_opts pe_opts{};
            pe_opts.sz = sizeof(pe_opts);
            pe_opts.bpf_cookie = kPerfEventCookie;
            linux_cookies.add_link(
                bpf_program__attach_perf_event_opts(linux_cookies.program("on_perf_event"),
                                                    counter.get(), &pe_opts),
                "on_perf_event");
            counters.push_back(std::move(counter));
        }
        hit_once();
        vmtest::spin(50);
        linux_cookies.detach();
        INFO("Linux's cookies");
        check_hit(linux_cookies.records(),
                  vmtest::kernel_release_at_least(6, 4) ? uprobe_address() : 0);
    }
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        vmtest::TestObject t(kObject, "attach_cookie", vmtest::reporting_this_process());
        kring::Program kprobe = t.load("on_kprobe", KRING_ATTACH_KPROBE, runtime);
        kring::Program kretprobe = t.load("on_kretprobe", KRING_ATTACH_KRETPROBE, runtime);
        kring::Program tracepoint = t.load("on_tracepoint", KRING_ATTACH_TRACEPOINT, runtime);
        kring::Program fentry = t.load("on_fentry", KRING_ATTACH_FENTRY, runtime);
        kring::Program fexit = t.load("on_fexit", KRING_ATTACH_FEXIT, runtime);
        kring::Program uprobe = t.load("on_uprobe", KRING_ATTACH_UPROBE, runtime);
        kring::Program perf_event = t.load("on_perf_event", KRING_ATTACH_PERF_EVENT, runtime);
        CHECK(kprobe.jited() == !runtime);
        {
            std::vector<kring::Link> links;
            for (uint64_t cookie : kKprobeCookies)
                links.push_back(kprobe.attach("__x64_sys_getpgid", "", cookie));
            links.push_back(kretprobe.attach("__x64_sys_getpgid", "", kKretprobeCookie));
            links.push_back(tracepoint.attach("syscalls/sys_enter_getpgid", "", kTracepointCookie));
            links.push_back(fentry.attach("", "", kFentryCookie));
            links.push_back(fexit.attach("", "", kFexitCookie));
            links.push_back(uprobe.attach_uprobe(kSelf, offset, ::getpid(), kUprobeCookie));
            links.push_back(
                perf_event.attach_perf_event(vmtest::cpu_clock(1000000), kPerfEventCookie));
            hit_once();
            vmtest::spin(50);
            // The link list shows each link's cookie.
            std::multiset<uint64_t> listed;
            for (const kring_link_info& l : kring::list_links())
                if (l.prog_id == kprobe.info().id)
                    listed.insert(l.cookie);
            CHECK(listed ==
                  std::multiset<uint64_t>(std::begin(kKprobeCookies), std::end(kKprobeCookies)));
        }
        check_hit(t.drain<CookieEvent>("cookies"), uprobe_address());
        hit_once();
        CHECK(t.drain<CookieEvent>("cookies").empty()); // detached
        {
            // Without a cookie, 0; a test run has no link, and 0 for both.
            kring::Link plain = kprobe.attach("__x64_sys_getpgid");
            hit_once();
        }
        std::vector<std::byte> regs(kring::context_size(KRING_ATTACH_KPROBE));
        CHECK(kprobe.test_run(regs).retval == 0);
        std::vector<CookieEvent> events = t.drain<CookieEvent>("cookies");
        CHECK(events == std::vector<CookieEvent>{{kFromKprobe, 0, 0, getpgid_entry()},
                                                 {kFromKprobe, 0, 0, 0}});
    }
}

TEST_CASE("get_attach_cookie: a raw tracepoint's link takes none; older loaders attach with 0") {
    vmtest::TestObject t(kObject, "attach_cookie", vmtest::reporting_this_process());
    kring::Program raw_tp = t.load("on_raw_tp", KRING_ATTACH_RAW_TRACEPOINT, 0);
    kring_prog_attach req{};
    req.symbol = reinterpret_cast<uint64_t>("sys_enter");
    req.raw_args = kring::raw_tracepoint_args("sys_enter");
    req.cookie = 7;
    CHECK(::ioctl(raw_tp.fd(), KRING_IOC_PROG_ATTACH, &req) < 0);
    CHECK(errno == EINVAL);
    try {
        raw_tp.attach("sys_enter", "", 7);
        FAIL("a raw tracepoint's link took a cookie");
    } catch (const kring::Error& e) {
        CHECK(e.errno_value() == EINVAL);
        CHECK(std::string(e.what()).find("has no cookie") != std::string::npos);
    }
    req.cookie = 0; // the same request without the cookie attaches
    {
        vmtest::Fd link(::ioctl(raw_tp.fd(), KRING_IOC_PROG_ATTACH, &req));
        CHECK(link.get() >= 0);
        hit_once();
    }
    std::vector<CookieEvent> events = t.drain<CookieEvent>("cookies");
    CHECK(!events.empty());
    for (const CookieEvent& e : events)
        CHECK(e.source == kFromRawTp);

    // A loader built before cookies sends 32 bytes: whatever follows them
    // is not read, and its links have cookie 0.
    kring::Program kprobe = t.load("on_kprobe", KRING_ATTACH_KPROBE, 0);
    kring_prog_attach old{};
    old.symbol = reinterpret_cast<uint64_t>("__x64_sys_getpgid");
    old.cookie = 0x5555;
    {
        vmtest::Fd link(::ioctl(kprobe.fd(), KRING_IOC_PROG_ATTACH_V2, &old));
        CHECK(link.get() >= 0);
        hit_once();
    }
    CHECK(t.drain<CookieEvent>("cookies") ==
          std::vector<CookieEvent>{{kFromKprobe, 0, 0, getpgid_entry()}});
}
