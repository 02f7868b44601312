// Named rings against the real module: KRING_IOC_PIN, KRING_IOC_OPEN_PINNED,
// KRING_IOC_UNPIN and KRING_IOC_LIST_PINNED, their validation, privileges and
// lifetimes, and the ring cookie.
#include "vm_util.hpp"

#include <doctest/doctest.h>
#include <set>
#include <vector>

using namespace vmtest;

namespace {

constexpr uint64_t kSize = 16 * 1024;

std::vector<std::string> pinned(uint32_t capacity, uint32_t* count) {
    std::vector<char> names(size_t{capacity} * KRING_NAME_MAX, 'x');
    kring_pinned_list req{reinterpret_cast<uint64_t>(names.data()), capacity, 0};
    Fd dev = open_device();
    if (::ioctl(dev.get(), KRING_IOC_LIST_PINNED, &req) != 0)
        throw std::runtime_error(std::string("KRING_IOC_LIST_PINNED: ") + strerror(errno));
    *count = req.count;
    std::vector<std::string> out;
    for (uint32_t i = 0; i < std::min(req.count, capacity); i++)
        out.emplace_back(&names[i * KRING_NAME_MAX]);
    return out;
}

} // namespace

TEST_CASE("pin validates the name, flags and reserved fields") {
    Fd ring = make_ring(kSize);
    CHECK(pin(ring.get(), "") == EINVAL);
    CHECK(pin(ring.get(), "has space") == EINVAL);
    CHECK(pin(ring.get(), "a/b") == EINVAL);
    CHECK(pin(ring.get(), std::string(KRING_NAME_MAX, 'a')) == EINVAL); // no NUL
    CHECK(pin(ring.get(), std::string("ab\0cd", 5)) == EINVAL);         // bytes after the NUL
    // ASCII only: the kernel's isalnum() takes Latin-1 letters too.
    CHECK(pin(ring.get(), "\xff\xfe") == EINVAL);
    CHECK(pin(ring.get(), "caf\xe9") == EINVAL);
    CHECK(pin(ring.get(), "\xc0") == EINVAL);
    CHECK(name_ioctl(ring.get(), KRING_IOC_PIN, "ok", 1) == EINVAL);
    CHECK(name_ioctl(ring.get(), KRING_IOC_PIN, "ok", 0, 1) == EINVAL);
    CHECK(::ioctl(ring.get(), KRING_IOC_PIN, reinterpret_cast<void*>(8)) != 0);
    CHECK(errno == EFAULT);
    Fd no_ring = open_device();
    CHECK(pin(no_ring.get(), "ok") == ENXIO);
    const std::string longest(KRING_NAME_MAX - 1, 'z');
    CHECK(pin(ring.get(), longest) == 0);
    CHECK(pin(ring.get(), "Aa0_.-") == 0); // one ring may have several names
    CHECK(unpin(longest) == 0);
    CHECK(unpin("Aa0_.-") == 0);
}

TEST_CASE("a pinned ring outlives its fds and mappings, with its records and positions") {
    int vmaps = kring_vmaps();
    uint64_t cookie;
    unsigned long consumed;
    {
        Fd ring = make_ring(kSize);
        Mapping m(ring.get(), kSize);
        REQUIRE(write_record(ring.get(), "one", 3) == 0);
        REQUIRE(write_record(ring.get(), "two", 3) == 0);
        consumed = record_span(3);
        m.release(consumed); // "one" consumed, "two" not
        REQUIRE(pin(ring.get(), "survivor") == 0);
        cookie = query(ring.get()).cookie;
    }
    CHECK(kring_vmaps() == vmaps + 1);
    Fd again = open_device();
    REQUIRE(name_ioctl(again.get(), KRING_IOC_OPEN_PINNED, "survivor") == 0);
    kring_query q = query(again.get());
    CHECK(q.cookie == cookie);
    CHECK(q.consumer_pos == consumed);
    CHECK(q.avail_data == record_span(3));
    {
        Mapping m(again.get(), kSize);
        CHECK(std::memcmp(m.payload_at(consumed), "two", 3) == 0);
    }
    CHECK(name_ioctl(again.get(), KRING_IOC_OPEN_PINNED, "survivor") == EEXIST);
    Fd other = open_device();
    CHECK(name_ioctl(other.get(), KRING_IOC_OPEN_PINNED, "nonexistent") == ENOENT);
    CHECK(name_ioctl(other.get(), KRING_IOC_OPEN_PINNED, "bad name") == EINVAL);
    // The name is taken, by this ring or any other.
    Fd second = make_ring(kSize);
    CHECK(pin(second.get(), "survivor") == EEXIST);
    CHECK(unpin("survivor") == 0);
    CHECK(unpin("survivor") == ENOENT);
    // The fd that opened it by name still holds it.
    REQUIRE(write_record(again.get(), "three", 5) == 0);
    CHECK(query(again.get()).avail_data == record_span(3) + record_span(5));
    again.reset();
    second.reset();
    CHECK(kring_vmaps() == vmaps);
}

TEST_CASE("cookies tell rings apart: never zero, different for each ring") {
    std::set<uint64_t> cookies;
    std::vector<Fd> rings;
    for (int i = 0; i < 32; i++) {
        rings.push_back(make_ring(kSize));
        uint64_t cookie = query(rings.back().get()).cookie;
        CHECK(cookie != 0);
        cookies.insert(cookie);
    }
    CHECK(cookies.size() == 32);
}

TEST_CASE("the list gives every name in pinning order, and the count when short") {
    Fd a = make_ring(kSize), b = make_ring(kSize);
    REQUIRE(pin(a.get(), "list-a") == 0);
    REQUIRE(pin(b.get(), "list-b") == 0);
    REQUIRE(pin(a.get(), "list-c") == 0);
    uint32_t count = 0;
    CHECK(pinned(8, &count) == std::vector<std::string>{"list-a", "list-b", "list-c"});
    CHECK(count == 3);
    CHECK(pinned(1, &count) == std::vector<std::string>{"list-a"});
    CHECK(count == 3);
    kring_pinned_list req{0, 0, 0};
    CHECK(::ioctl(a.get(), KRING_IOC_LIST_PINNED, &req) == 0);
    CHECK(req.count == 3);
    req.count = 1; // an output field: must come in as zero
    CHECK(::ioctl(a.get(), KRING_IOC_LIST_PINNED, &req) != 0);
    CHECK(errno == EINVAL);
    for (const char* name : {"list-a", "list-b", "list-c"})
        CHECK(unpin(name) == 0);
    CHECK(pinned(8, &count).empty());
}

TEST_CASE("names need CAP_BPF: unprivileged pin, open, unpin and list are refused") {
    Fd ring = make_ring(kSize);
    REQUIRE(pin(ring.get(), "privileged") == 0);
    Fd dev = open_device(); // opened as root: the caller's privilege is checked
    int nobody = in_child([&] {
        if (setresuid(65534, 65534, 65534) != 0)
            return 10;
        kring_pinned_list list{0, 0, 0};
        bool refused = name_ioctl(ring.get(), KRING_IOC_PIN, "mine") == EPERM &&
                       name_ioctl(dev.get(), KRING_IOC_OPEN_PINNED, "privileged") == EPERM &&
                       name_ioctl(dev.get(), KRING_IOC_UNPIN, "privileged") == EPERM &&
                       ::ioctl(dev.get(), KRING_IOC_LIST_PINNED, &list) != 0 && errno == EPERM;
        return refused ? 0 : 1;
    });
    CHECK(nobody == 0);
    int bpf_only = in_child([&] {
        if (!keep_only_caps({CAP_BPF}))
            return 10;
        return name_ioctl(dev.get(), KRING_IOC_OPEN_PINNED, "privileged") == 0 ? 0 : 1;
    });
    CHECK(bpf_only == 0);
    CHECK(unpin("privileged") == 0);
}

TEST_CASE("the module cannot be unloaded while a ring is pinned") {
    if (module_loaded("kring_api_test"))
        REQUIRE(unload_module("kring_api_test") == 0);
    {
        Fd ring = make_ring(kSize);
        REQUIRE(pin(ring.get(), "holds-the-module") == 0);
    }
    CHECK(unload_module("kring") != 0);
    CHECK(module_loaded("kring"));
    CHECK(unpin("holds-the-module") == 0);
    CHECK(unload_module("kring") == 0);
    REQUIRE(load_module("kring") == 0);
}
