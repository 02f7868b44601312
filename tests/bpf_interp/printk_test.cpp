// bpf_trace_printk's formatting (kmod/bpf/printk.c), which the module and
// kring-run share: the formats Linux 6.1's bpf_bprintf_prepare() takes and
// refuses, and the text its bstr_printf() gives for them. The host here
// reads from a table of fake addresses and shows what it was asked to
// format for pointers, so that the flags and width it gets are visible.
extern "C" {
#include "printk.h"
}

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr uint64_t kCommAddr = 0x1000;     // "bash"
constexpr uint64_t kUserAddr = 0x2000;     // "/bin/ls"
constexpr uint64_t kIp4Addr = 0x3000;      // 10.0.2.15
constexpr uint64_t kIp6Addr = 0x4000;      // 2001:db8::1
constexpr uint64_t kLongAddr = 0x5000;     // 300 'a's
constexpr uint64_t kUnmapped = 0xdead0000; // every read fails

const std::map<uint64_t, std::string>& memory() {
    static const std::map<uint64_t, std::string> m = {
        {kCommAddr, std::string("bash", 5)},
        {kUserAddr, std::string("/bin/ls", 8)},
        {kIp4Addr, std::string("\x0a\x00\x02\x0f", 4)},
        {kIp6Addr, std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16)},
        {kLongAddr, std::string(300, 'a') + std::string(1, '\0')},
    };
    return m;
}

std::vector<char> spaces_read; // the address space each string read named

long read_str(char* dst, uint32_t size, uint64_t addr, char space) {
    spaces_read.push_back(space);
    auto it = memory().find(addr);
    if (it == memory().end())
        return -EFAULT;
    uint32_t n = 0;
    for (; n < size; n++) {
        dst[n] = it->second[n];
        if (!dst[n])
            return n + 1;
    }
    dst[size - 1] = '\0';
    return size;
}

int read_kernel(void* dst, uint32_t size, uint64_t addr) {
    auto it = memory().find(addr);
    if (it == memory().end() || it->second.size() < size)
        return -EFAULT;
    std::memcpy(dst, it->second.data(), size);
    return 0;
}

int format_ptr(char* dst, size_t size, const char* spec, uint64_t value) {
    return std::snprintf(dst, size, "<%s %llx>", spec, static_cast<unsigned long long>(value));
}

constexpr kbpf_printk_host host = {read_str, read_kernel, format_ptr};

struct Printed {
    int ret;
    std::string text;
};

// The format as a program passes it: @fmt and its NUL, @nargs arguments.
Printed print(const std::string& fmt, std::vector<uint64_t> args = {}, uint32_t nargs = 3) {
    auto buf = std::make_unique<kbpf_printk_buf>();
    std::memset(buf->out, 'X', sizeof(buf->out));
    args.resize(std::max<size_t>(args.size(), nargs), 0);
    int ret = kbpf_printk_format(buf.get(), fmt.c_str(), static_cast<uint32_t>(fmt.size() + 1),
                                 args.data(), nargs, &host);
    return {ret, ret >= 0 ? std::string(buf->out) : std::string()};
}

void check_prints(const std::string& fmt, std::vector<uint64_t> args, const std::string& want,
                  uint32_t nargs = 3) {
    Printed p = print(fmt, std::move(args), nargs);
    INFO("format: ", fmt);
    CHECK(p.ret == static_cast<int>(want.size()));
    CHECK(p.text == want);
}

void check_refused(const std::string& fmt, int err = -EINVAL, uint32_t nargs = 3) {
    INFO("format: ", fmt);
    CHECK(print(fmt, {kCommAddr, kCommAddr, kCommAddr}, nargs).ret == err);
}

} // namespace

TEST_CASE("printk: numbers as 32 bits without l, 64 with l or ll, flags and widths") {
    check_prints("pid %d", {1234}, "pid 1234");
    check_prints("%d %i", {0xffffffffULL, 0x1fffffffeULL}, "-1 -2");
    check_prints("%u %x %X", {0x1ffffffffULL, 0xabcULL, 0xabcULL}, "4294967295 abc ABC");
    check_prints("%ld %lld", {~0ULL, 1ULL << 40}, "-1 1099511627776");
    check_prints("%lu %llx %lX", {~0ULL, 0xdeadbeefcafeULL, 255},
                 "18446744073709551615 "
                 "deadbeefcafe FF");
    check_prints("[%5d][%-5d][%05d]", {42, 42, 42}, "[   42][42   ][00042]");
    check_prints("[%+d][% d][%+u]", {7, 7, 7}, "[+7][ 7][7]");
    check_prints("100%% of %d", {3}, "100% of 3");
    check_prints("%c%c%c", {'o', 'k', 0x121}, "ok!");
    check_prints("[%3c]", {'x'}, "[  x]");
}

TEST_CASE("printk: strings read through the host, from the space the conversion names") {
    spaces_read.clear();
    check_prints("comm=%s exe=%pus k=%pks", {kCommAddr, kUserAddr, kCommAddr},
                 "comm=bash exe=/bin/ls k=bash");
    CHECK(spaces_read == std::vector<char>{'s', 'u', 'k'});
    check_prints("[%-6s][%6s]", {kCommAddr, kCommAddr}, "[bash  ][  bash]");
    // A string that cannot be read prints as nothing, as Linux's.
    check_prints("<%s>", {kUnmapped}, "<>");
    // Each string's copy is cut to the scratch space left (512 bytes).
    Printed p = print("%s|%s", {kLongAddr, kLongAddr});
    CHECK(p.ret == 300 + 1 + 210);
    CHECK(p.text == std::string(300, 'a') + "|" + std::string(210, 'a'));
}

TEST_CASE("printk: addresses, and the pointer conversions the host formats") {
    check_prints("%pI4 %pi4", {kIp4Addr, kIp4Addr}, "10.0.2.15 010.000.002.015");
    check_prints("%pI6", {kIp6Addr}, "2001:0db8:0000:0000:0000:0000:0000:0001");
    check_prints("%pi6", {kIp6Addr}, "20010db8000000000000000000000001");
    check_prints("[%pI4]", {kUnmapped}, "[0.0.0.0]");
    check_prints("%p, %px %pK", {0xff, 0xab, 0xcd}, "<%p ff>, <%px ab> <%pK cd>");
    check_prints("%-20ps %pS", {0x10, 0x20}, "<%-20ps 10> <%pS 20>");
    check_prints("%pB", {0x30}, "<%pB 30>");
}

TEST_CASE("printk: the text is cut to 1023 bytes, the length returned is the whole") {
    Printed p = print(std::string(1000, '.') + "%50d", {1});
    CHECK(p.ret == 1050);
    CHECK(p.text.size() == 1023);
    CHECK(p.text.substr(1000) == std::string(23, ' '));
    // A width past the text's size is the text's size.
    CHECK(print("%99999d", {1}).ret == 1023);
}

TEST_CASE("printk: formats Linux refuses") {
    check_refused("%q");
    check_refused("%.2d"); // no precision
    check_refused("%hd");  // no h
    check_refused("%lf");
    check_refused("%5");  // no conversion
    check_refused("%");   // nor here
    check_refused("%sx"); // a string conversion runs into a letter
    check_refused("%pksx");
    check_refused("%pa"); // %p with an unknown letter
    check_refused("%pI5");
    check_refused("a\x01z"); // a control character
    check_refused("%\xc3\xa9");
    check_refused("%d %d %d %d");                             // four for trace_printk's three
    check_refused("%d", -EINVAL, 0);                          // vprintk without arguments
    check_refused("%d%d%d%d%d%d%d%d%d%d%d%d%d", -EINVAL, 12); // 13 for 12
    // Text and its kinds of spaces pass; bytes past 0x7f pass as text.
    check_prints("tab\there\n", {}, "tab\there\n");
    check_prints("caf\xc3\xa9", {}, "caf\xc3\xa9");
    // 12 arguments at most, each a conversion.
    check_prints("%d%d%d%d%d%d%d%d%d%d%d%d", {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2}, "123456789012",
                 12);
}

TEST_CASE("printk: the format's NUL must lie within its size") {
    auto buf = std::make_unique<kbpf_printk_buf>();
    uint64_t args[3] = {};
    const char fmt[4] = {'a', 'b', 'c', 'd'};
    CHECK(kbpf_printk_format(buf.get(), fmt, sizeof(fmt), args, 3, &host) == -EINVAL);
    CHECK(kbpf_printk_format(buf.get(), "abc", 0, args, 3, &host) == -EINVAL);
    // What follows the NUL is not read.
    const char two[] = "ok\0%q";
    CHECK(kbpf_printk_format(buf.get(), two, sizeof(two), args, 3, &host) == 2);
    CHECK(std::string(buf->out) == "ok");
}

TEST_CASE("printk: copies that outgrow the 512-byte scratch space fail with ENOSPC") {
    // Two 300-byte strings: the second is cut to the 211 bytes left; a
    // third then finds no room.
    CHECK(print("%s%s%s", {kLongAddr, kLongAddr, kLongAddr}).ret == -ENOSPC);
    // Numbers take 4 or 8 bytes each, 4-aligned: 12 of them fit easily.
    CHECK(print("%lld%lld%lld", {1, 2, 3}).ret == 3);
}
