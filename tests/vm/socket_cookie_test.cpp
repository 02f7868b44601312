// bpf_get_socket_cookie from tracing programs: tests/bpf_progs/socket_cookie.bpf.c's
// fentry program on tcp_close and tp_btf program on tcp_destroy_sock, each
// recording the cookie of this process's TCP sockets as they close. A
// socket whose cookie userspace asked for (SO_COOKIE) gets that cookie; one
// whose cookie no one asked for gets one made on first use, the same in
// both programs, as Linux's own run of the object (libbpf) gives them. A
// test run, whose arguments are the caller's bytes and no socket, gives 0.
// JIT'd and interpreted alike.
#include "libbpf_object.hpp"
#include "object_util.hpp"
#include "vm_util.hpp"

#include <bpf/libbpf.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

const std::string kObject = "/lib/kring/socket_cookie.bpf.o";
constexpr uint32_t kRuntimes[] = {0, KRING_PROG_F_INTERPRETER};

enum CookieSource : uint32_t { kFromTcpClose, kFromDestroySock };

struct CookieEvent { // socket_cookie.bpf.c's
    uint32_t source;
    uint32_t pad;
    uint64_t cookie;
};

// The object in kring, for this process's sockets.
struct SocketCookies : vmtest::TestObject {
    SocketCookies() : TestObject(kObject, "socket_cookie", vmtest::reporting_this_process()) {}
};

// Closes two TCP sockets: the first after asking its cookie, which it
// returns; the second without.
uint64_t close_two_sockets() {
    int asked = ::socket(AF_INET, SOCK_STREAM, 0);
    int unasked = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(asked >= 0);
    REQUIRE(unasked >= 0);
    uint64_t cookie = 0;
    socklen_t len = sizeof(cookie);
    REQUIRE(::getsockopt(asked, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0);
    CHECK(cookie != 0);
    ::close(asked);
    ::close(unasked);
    return cookie;
}

// Each socket is seen at tcp_close, then at its destruction, with one
// cookie: the asked one's, then another made for the second socket.
void check_cookies(const std::vector<CookieEvent>& events, uint64_t asked) {
    REQUIRE(events.size() == 4);
    CHECK(events[0].source == kFromTcpClose);
    CHECK(events[1].source == kFromDestroySock);
    CHECK(events[2].source == kFromTcpClose);
    CHECK(events[3].source == kFromDestroySock);
    CHECK(events[0].cookie == asked);
    CHECK(events[1].cookie == asked);
    CHECK(events[2].cookie != 0);
    CHECK(events[2].cookie != asked);
    CHECK(events[3].cookie == events[2].cookie);
}

} // namespace

TEST_CASE("get_socket_cookie: an fentry and a tp_btf program read the cookies of closing "
          "sockets as Linux's do, making one on first use") {
    {
        vmtest::LibbpfObject<CookieEvent> linux_cookies(kObject, "cookies",
                                                        static_cast<uint32_t>(::getpid()));
        for (const char* name : {"on_tcp_close", "on_destroy_sock"})
            linux_cookies.add_link(bpf_program__attach(linux_cookies.program(name)), name);
        uint64_t asked = close_two_sockets();
        linux_cookies.detach();
        check_cookies(linux_cookies.records(), asked);
    }
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        SocketCookies t;
        kring::Program on_close = t.load("on_tcp_close", KRING_ATTACH_FENTRY, runtime);
        kring::Program on_destroy = t.load("on_destroy_sock", KRING_ATTACH_TP_BTF, runtime);
        CHECK(on_close.jited() == !runtime);
        uint64_t asked = 0;
        {
            kring::Link close_link = on_close.attach("");
            kring::Link destroy_link = on_destroy.attach("");
            asked = close_two_sockets();
        }
        close_two_sockets(); // detached: not seen
        check_cookies(t.drain<CookieEvent>("cookies"), asked);
    }
}

TEST_CASE("get_socket_cookie: a test run's socket argument is the caller's bytes, and gives 0") {
    const uint64_t nowhere[] = {0x1000, 0xdead000000000000ULL, 0xffffffffff600000ULL};
    for (uint32_t runtime : kRuntimes) {
        CAPTURE(runtime);
        SocketCookies t;
        kring::Program on_destroy = t.load("on_destroy_sock", KRING_ATTACH_TP_BTF, runtime);
        for (uint64_t address : nowhere) {
            CAPTURE(address);
            uint64_t ctx[KRING_RAW_TP_MAX_ARGS] = {address};
            CHECK(on_destroy.test_run(std::as_writable_bytes(std::span(ctx))).retval == 0);
        }
        std::vector<CookieEvent> events = t.drain<CookieEvent>("cookies");
        REQUIRE(events.size() == std::size(nowhere));
        for (const CookieEvent& e : events)
            CHECK(e.cookie == 0);
    }
}
