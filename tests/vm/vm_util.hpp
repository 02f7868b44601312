// Helpers shared by the in-VM tests: raw access to /dev/kring, its mappings,
// the kring_api_test module and module loading. Raw syscalls on purpose: these
// tests check the uapi itself, below libkring.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fstream>
#include <linux/capability.h>
#include <linux/kring.h>
#include <linux/perf_event.h>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace vmtest {

// A cpu-clock counter's attr, sampling every `period_ns` nanoseconds.
inline perf_event_attr cpu_clock(uint64_t period_ns) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = period_ns;
    return attr;
}

// Burns this thread's CPU for `ms` milliseconds of its own CPU time (for
// cpu-clock samples).
inline void spin(int ms) {
    timespec start{}, now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    volatile uint64_t sink = 0;
    do {
        for (int i = 0; i < 10000; i++)
            sink = sink + static_cast<uint64_t>(i);
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
}

// Whether `address` is in an executable mapping of this process.
inline bool in_executable_mapping(uint64_t address) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        uint64_t start = 0, end = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %4s", &start, &end, perms) == 3 && perms[2] == 'x' &&
            address >= start && address < end)
            return true;
    }
    return false;
}

inline size_t page_size() {
    return static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    void reset() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }
    int get() const { return fd_; }

private:
    int fd_;
};

inline Fd open_device() {
    int fd = ::open(KRING_DEVICE_PATH, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(std::string("open " KRING_DEVICE_PATH ": ") + strerror(errno));
    return Fd(fd);
}

// 0 or the errno of KRING_IOC_CREATE.
inline int create(int fd, uint64_t data_size, uint32_t flags = 0, uint32_t reserved = 0) {
    kring_create req{data_size, flags, reserved};
    return ::ioctl(fd, KRING_IOC_CREATE, &req) == 0 ? 0 : errno;
}

inline Fd make_ring(uint64_t data_size) {
    Fd fd = open_device();
    int err = create(fd.get(), data_size);
    if (err)
        throw std::runtime_error(std::string("KRING_IOC_CREATE: ") + strerror(err));
    return fd;
}

// 0 or the errno of write(2); a short write is reported as EIO.
inline int write_record(int fd, const void* data, size_t len) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0)
        return errno;
    return static_cast<size_t>(n) == len ? 0 : EIO;
}

inline int output(int fd, const void* data, uint32_t len, uint32_t flags) {
    kring_output req{reinterpret_cast<uint64_t>(data), len, flags};
    return ::ioctl(fd, KRING_IOC_OUTPUT, &req) == 0 ? 0 : errno;
}

inline kring_stats stats(int fd) {
    kring_stats s{};
    if (::ioctl(fd, KRING_IOC_STATS, &s) != 0)
        throw std::runtime_error(std::string("KRING_IOC_STATS: ") + strerror(errno));
    return s;
}

inline kring_query query(int fd) {
    kring_query q{};
    if (::ioctl(fd, KRING_IOC_QUERY, &q) != 0)
        throw std::runtime_error(std::string("KRING_IOC_QUERY: ") + strerror(errno));
    return q;
}

// A link fd for a program fd (KRING_IOC_PROG_ATTACH; a kprobe's function in
// `symbol`); the test fails if it cannot attach.
inline Fd attach(int prog_fd, const char* symbol = nullptr) {
    kring_prog_attach req{};
    req.symbol = reinterpret_cast<uint64_t>(symbol);
    int fd = ::ioctl(prog_fd, KRING_IOC_PROG_ATTACH, &req);
    REQUIRE_MESSAGE(fd >= 0, "attach: " << strerror(errno));
    return Fd(fd);
}

// 0 or the errno of a name ioctl; the name is copied into the fixed array
// as is (up to KRING_NAME_MAX bytes, no NUL added beyond that).
inline int name_ioctl(int fd, unsigned long request, const std::string& name, uint32_t flags = 0,
                      uint32_t reserved = 0) {
    kring_name req{};
    std::memcpy(req.name, name.data(), std::min(name.size(), sizeof(req.name)));
    req.flags = flags;
    req.reserved = reserved;
    return ::ioctl(fd, request, &req) == 0 ? 0 : errno;
}

inline int pin(int fd, const std::string& name) {
    return name_ioctl(fd, KRING_IOC_PIN, name);
}

inline int unpin(const std::string& name) {
    Fd dev = open_device();
    return name_ioctl(dev.get(), KRING_IOC_UNPIN, name);
}

// The ring mapped as a consumer maps it: consumer page RW, the rest RO.
struct Mapping {
    void* consumer = MAP_FAILED;
    void* rest = MAP_FAILED;
    size_t rest_len = 0;
    uint64_t data_size = 0;

    Mapping(int fd, uint64_t size) : data_size(size) {
        consumer = ::mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        rest_len = page_size() + 2 * size;
        rest = ::mmap(nullptr, rest_len, PROT_READ, MAP_SHARED, fd, page_size());
        if (consumer == MAP_FAILED || rest == MAP_FAILED)
            throw std::runtime_error(std::string("mmap ring: ") + strerror(errno));
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() {
        if (consumer != MAP_FAILED)
            ::munmap(consumer, page_size());
        if (rest != MAP_FAILED)
            ::munmap(rest, rest_len);
    }
    unsigned long& consumer_pos() { return *static_cast<unsigned long*>(consumer); }
    unsigned long producer_pos() const {
        return __atomic_load_n(static_cast<const unsigned long*>(rest), __ATOMIC_ACQUIRE);
    }
    const uint8_t* data() const { return static_cast<const uint8_t*>(rest) + page_size(); }
    const kring_record_header* header_at(unsigned long pos) const {
        return reinterpret_cast<const kring_record_header*>(data() + (pos & (data_size - 1)));
    }
    uint32_t len_at(unsigned long pos) const {
        return __atomic_load_n(&header_at(pos)->len, __ATOMIC_ACQUIRE);
    }
    const uint8_t* payload_at(unsigned long pos) const {
        return reinterpret_cast<const uint8_t*>(header_at(pos)) + KRING_HDR_SZ;
    }
    void release(unsigned long pos) { __atomic_store_n(&consumer_pos(), pos, __ATOMIC_RELEASE); }
};

inline uint64_t record_span(uint64_t size) {
    return KRING_RECORD_SPAN(size);
}

// --- processes and privileges ---------------------------------------------

// Runs f in a child process; returns its exit status (99: f threw). The
// child never returns into the test runner.
// Runs busybox's applet argv[0] with its arguments in a child and waits for
// it: the child's pid; its wait status in *status.
inline pid_t run_busybox(std::vector<const char*> argv, int* status = nullptr) {
    pid_t child = fork();
    if (child == 0) {
        argv.push_back(nullptr);
        execv("/bin/busybox", const_cast<char* const*>(argv.data()));
        _exit(127);
    }
    REQUIRE(child > 0);
    int wait_status = 0;
    REQUIRE(waitpid(child, &wait_status, 0) == child);
    if (status)
        *status = wait_status;
    return child;
}

template <typename F>
int in_child(F&& f) {
    pid_t pid = fork();
    if (pid == 0) {
        int status = 99;
        try {
            status = f();
        } catch (...) {
        }
        _exit(status);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// Keeps only `caps` (effective and permitted).
inline bool keep_only_caps(std::initializer_list<int> caps) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    for (int cap : caps) {
        data[cap / 32].effective |= 1U << (cap % 32);
        data[cap / 32].permitted |= 1U << (cap % 32);
    }
    return ::syscall(SYS_capset, &hdr, data) == 0;
}

// Whether the running kernel is a PREEMPT_RT one (Debian's -rt kernels say
// so in their version string).
inline bool kernel_is_preempt_rt() {
    utsname u{};
    return ::uname(&u) == 0 && std::strstr(u.version, "PREEMPT_RT") != nullptr;
}

// Whether the running kernel's release is major.minor or later ("6.12.118+deb12-amd64").
inline bool kernel_release_at_least(int major, int minor) {
    utsname u{};
    int have_major = 0, have_minor = 0;
    if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &have_major, &have_minor) != 2)
        return false;
    return have_major > major || (have_major == major && have_minor >= minor);
}

// The address of the kernel's symbol `name` in /proc/kallsyms (root reads
// them), or 0 if it has none.
inline uint64_t kernel_symbol_address(const std::string& name) {
    std::ifstream syms("/proc/kallsyms");
    std::string address, type, symbol;
    while (syms >> address >> type >> symbol) {
        if (symbol == name)
            return std::stoull(address, nullptr, 16);
        std::getline(syms, type); // a module's symbol: its [module]
    }
    return 0;
}

// Whether the running kernel was built with KASAN (the debug kernel).
inline bool kernel_has_kasan() {
    return kernel_symbol_address("kasan_report") != 0;
}

// Everything readable from fd until end of file (a child's pipe); closes it.
inline std::string read_to_end(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
}

// --- modules -------------------------------------------------------------

inline std::string module_dir() {
    const char* dir = getenv("KRING_MODULE_DIR");
    return dir ? dir : "/lib/kring";
}

inline bool module_loaded(const std::string& name) {
    return ::access(("/sys/module/" + name).c_str(), F_OK) == 0;
}

// 0 or errno of finit_module.
inline int load_module(const std::string& name) {
    std::string path = module_dir() + "/" + name + ".ko";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    long rc = ::syscall(SYS_finit_module, fd, "", 0);
    int err = rc == 0 ? 0 : errno;
    ::close(fd);
    return err;
}

// 0 or errno of delete_module (never waits for users to go away).
inline int unload_module(const std::string& name) {
    return ::syscall(SYS_delete_module, name.c_str(), O_NONBLOCK) == 0 ? 0 : errno;
}

// Areas the module has vmap()ed right now, from /proc/vmallocinfo.
inline int kring_vmaps() {
    std::ifstream in("/proc/vmallocinfo");
    std::string line;
    int count = 0;
    while (std::getline(in, line))
        if (line.find("[kring]") != std::string::npos)
            count++;
    return count;
}

// --- kring_api_test: the in-kernel API driven through debugfs -------------

constexpr const char* api_test_ctl = "/sys/kernel/debug/kring_api_test/ctl";

inline void ensure_api_test_module() {
    if (!module_loaded("kring_api_test")) {
        int err = load_module("kring_api_test");
        if (err)
            throw std::runtime_error(std::string("load kring_api_test: ") + strerror(err));
    }
}

// Runs one command; 0 or the errno the module returned.
inline int api_test(const std::string& cmd) {
    ensure_api_test_module();
    int fd = ::open(api_test_ctl, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(std::string("open ") + api_test_ctl + ": " + strerror(errno));
    ssize_t n = ::write(fd, cmd.data(), cmd.size());
    int err = n < 0 ? errno : 0;
    ::close(fd);
    return err;
}

inline uint64_t api_test_query(int ring_fd, uint64_t selector) {
    int err = api_test("query " + std::to_string(ring_fd) + " " + std::to_string(selector));
    if (err)
        throw std::runtime_error(std::string("api query: ") + strerror(err));
    int fd = ::open(api_test_ctl, O_RDONLY | O_CLOEXEC);
    char buf[32] = {};
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    if (n <= 0)
        throw std::runtime_error("api query: empty read");
    return std::stoull(buf);
}

// The payload the API module writes for sequence number @seq.
inline bool is_api_payload(const uint8_t* p, uint64_t size, uint64_t seq) {
    uint64_t got = 0;
    std::memcpy(&got, p, std::min<uint64_t>(size, 8));
    uint64_t want = seq;
    if (size < 8)
        want &= (1ULL << (8 * size)) - 1;
    if (got != want)
        return false;
    for (uint64_t i = 8; i < size; i++)
        if (p[i] != static_cast<uint8_t>(seq))
            return false;
    return true;
}

} // namespace vmtest
