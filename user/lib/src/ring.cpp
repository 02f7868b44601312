// kring::Ring: a ring fd and the mappings a consumer needs.
#include "kring/kring.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

namespace kring {

namespace {

size_t page_size() {
    return static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string describe_create_error(int err, uint64_t data_size) {
    std::string what =
        "KRING_IOC_CREATE on " KRING_DEVICE_PATH " with data_size=" + std::to_string(data_size);
    switch (err) {
    case EINVAL:
        return what + " (data size must be a power of two, at least the page size " +
               std::to_string(page_size()) + ")";
    case E2BIG:
        return what + " (data size must be at most " + std::to_string(KRING_MAX_DATA_SIZE) + ")";
    case ENOMEM:
        return what + " (the kernel could not allocate the ring: try a smaller one)";
    default:
        return what;
    }
}

// A /dev/kring fd, closed on destruction unless released.
class DeviceFd {
public:
    DeviceFd() : fd_(::open(KRING_DEVICE_PATH, O_RDWR | O_CLOEXEC)) {
        if (fd_ >= 0)
            return;
        int err = errno;
        throw Error(err, std::string("open " KRING_DEVICE_PATH) +
                             (err == ENOENT   ? " (is the kring module loaded? insmod kring.ko)"
                              : err == EACCES ? " (the device is root-only by default)"
                                              : ""));
    }
    DeviceFd(const DeviceFd&) = delete;
    DeviceFd& operator=(const DeviceFd&) = delete;
    ~DeviceFd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// A kring_name for `name`, or EINVAL saying what a name may be.
kring_name make_name(const std::string& name) {
    bool ok = !name.empty() && name.size() < KRING_NAME_MAX;
    for (char c : name)
        ok =
            ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok)
        throw Error(EINVAL, "name \"" + name + "\": use 1 to " +
                                std::to_string(KRING_NAME_MAX - 1) +
                                " characters of A-Z, a-z, 0-9, '_', '.' and '-'");
    kring_name req{};
    std::memcpy(req.name, name.data(), name.size());
    return req;
}

// Runs a name ioctl on fd; throws with advice for the errno.
void name_ioctl(int fd, unsigned long request, const std::string& what, const std::string& name) {
    kring_name req = make_name(name);
    if (::ioctl(fd, request, &req) == 0)
        return;
    int err = errno;
    std::string advice;
    if (err == EPERM)
        advice = " (needs CAP_BPF or CAP_SYS_ADMIN)";
    else if (err == ENOENT && request == KRING_IOC_OPEN_PINNED)
        advice = " (no ring has this name: kringctl stats lists the named rings)";
    else if (err == ENOENT)
        advice = " (nothing has this name: kringctl ring list, prog list and link list show "
                 "the names)";
    else if (err == EMEDIUMTYPE)
        advice = " (the name is a program's or a link's, not a ring's)";
    else if (err == EEXIST && request == KRING_IOC_PIN)
        advice = " (the name is taken, by a ring, a program or a link: unpin it first, or "
                 "pick another)";
    else if (err == ENOSPC)
        advice = " (" + std::to_string(KRING_MAX_PINNED) + " names exist: unpin some)";
    throw Error(err, what + " \"" + name + "\"" + advice);
}

// One list ioctl, retried until the buffer holds every object (more may
// come between two calls).
template <typename Info>
std::vector<Info> list_objects(unsigned long request, const char* what) {
    DeviceFd dev;
    std::vector<Info> infos;
    kring_obj_list req{};
    for (;;) {
        req.info = reinterpret_cast<uint64_t>(infos.data());
        req.capacity = static_cast<uint32_t>(infos.size());
        req.count = 0;
        if (::ioctl(dev.get(), request, &req) != 0) {
            int err = errno;
            throw Error(err, std::string(what) +
                                 (err == EPERM ? " (needs CAP_SYS_ADMIN, as Linux's id walks do)"
                                  : err == ENOTTY
                                      ? " (the loaded kring module is older than this library)"
                                      : ""));
        }
        if (req.count <= infos.size())
            break;
        infos.resize(req.count);
    }
    infos.resize(req.count);
    return infos;
}

} // namespace

void detail::pin_fd(int fd, const std::string& name, const char* kind) {
    name_ioctl(fd, KRING_IOC_PIN, std::string("KRING_IOC_PIN of a ") + kind + " as", name);
}

std::vector<kring_ring_info> list_rings() {
    return list_objects<kring_ring_info>(KRING_IOC_RING_LIST, "KRING_IOC_RING_LIST");
}

std::vector<kring_prog_info> list_programs() {
    return list_objects<kring_prog_info>(KRING_IOC_PROG_LIST, "KRING_IOC_PROG_LIST");
}

std::vector<kring_link_info> list_links() {
    return list_objects<kring_link_info>(KRING_IOC_LINK_LIST, "KRING_IOC_LINK_LIST");
}

Ring Ring::open_pinned(const std::string& name) {
    DeviceFd dev;
    name_ioctl(dev.get(), KRING_IOC_OPEN_PINNED, "KRING_IOC_OPEN_PINNED of ring", name);
    return adopt(dev.release());
}

void Ring::pin(const std::string& name) const {
    detail::pin_fd(fd_, name, "ring");
}

void Ring::unpin(const std::string& name) {
    DeviceFd dev;
    name_ioctl(dev.get(), KRING_IOC_UNPIN, "KRING_IOC_UNPIN of", name);
}

std::vector<std::string> Ring::pinned() {
    DeviceFd dev;
    std::vector<std::array<char, KRING_NAME_MAX>> names;
    kring_pinned_list req{};
    // The table may grow between the two calls: retry until it fits.
    for (;;) {
        req.names = reinterpret_cast<uint64_t>(names.data());
        req.capacity = static_cast<uint32_t>(names.size());
        req.count = 0;
        if (::ioctl(dev.get(), KRING_IOC_LIST_PINNED, &req) != 0) {
            int err = errno;
            throw Error(err, std::string("KRING_IOC_LIST_PINNED") +
                                 (err == EPERM ? " (needs CAP_BPF or CAP_SYS_ADMIN)" : ""));
        }
        if (req.count <= names.size())
            break;
        names.resize(req.count);
    }
    std::vector<std::string> out;
    for (uint32_t i = 0; i < req.count; i++)
        out.emplace_back(names[i].data(), strnlen(names[i].data(), KRING_NAME_MAX));
    return out;
}

Ring Ring::create(uint64_t data_size) {
    DeviceFd dev;
    kring_create req{};
    req.data_size = data_size;
    if (::ioctl(dev.get(), KRING_IOC_CREATE, &req) != 0) {
        int err = errno;
        throw Error(err, describe_create_error(err, data_size));
    }
    return Ring(dev.release(), data_size, "mmap of a new ring");
}

Ring Ring::adopt(int fd) {
    kring_query q{};
    if (::ioctl(fd, KRING_IOC_QUERY, &q) != 0) {
        int err = errno;
        ::close(fd);
        throw Error(err, "KRING_IOC_QUERY on fd " + std::to_string(fd) +
                             (err == ENXIO    ? " (the fd has no ring yet: KRING_IOC_CREATE first)"
                              : err == ENOTTY ? " (not a " KRING_DEVICE_PATH " fd)"
                                              : ""));
    }
    return Ring(fd, q.ring_size, "mmap of an adopted ring fd");
}

Ring Ring::adopt_bpf_map(int map_fd) {
    bpf_map_info info{};
    bpf_attr attr{};
    attr.info.bpf_fd = static_cast<uint32_t>(map_fd);
    attr.info.info_len = sizeof(info);
    attr.info.info = reinterpret_cast<uint64_t>(&info);
    if (::syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) != 0) {
        int err = errno;
        ::close(map_fd);
        throw Error(err, "BPF_OBJ_GET_INFO_BY_FD on map fd " + std::to_string(map_fd));
    }
    if (info.type != BPF_MAP_TYPE_RINGBUF) {
        ::close(map_fd);
        throw Error(EINVAL, "map fd " + std::to_string(map_fd) + " has map type " +
                                describe_bpf_map_type(info.type) + ", not BPF_MAP_TYPE_RINGBUF");
    }
    return Ring(map_fd, info.max_entries, "mmap of a BPF ring buffer map");
}

// Maps as libbpf maps a BPF ring buffer: the consumer page read-write, the
// producer page and the doubled data area read-only.
Ring::Ring(int fd, uint64_t data_size, const char* what) : fd_(fd) {
    size_t page = page_size();
    consumer_map_ = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (consumer_map_ == MAP_FAILED) {
        int err = errno;
        consumer_map_ = nullptr;
        release();
        throw Error(err, std::string(what) + " (consumer page)");
    }
    producer_map_len_ = page + 2 * data_size;
    producer_map_ =
        ::mmap(nullptr, producer_map_len_, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(page));
    if (producer_map_ == MAP_FAILED) {
        int err = errno;
        producer_map_ = nullptr;
        release();
        throw Error(err, std::string(what) + " (producer page and data, " +
                             std::to_string(producer_map_len_) + " bytes)");
    }
    view_.consumer_pos = static_cast<unsigned long*>(consumer_map_);
    view_.producer_pos = static_cast<const unsigned long*>(producer_map_);
    view_.data = static_cast<const std::byte*>(producer_map_) + page;
    view_.data_size = data_size;
    mapped_ = std::make_shared<const bool>(true);
}

Ring::Ring(Ring&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), consumer_map_(std::exchange(other.consumer_map_, nullptr)),
      producer_map_(std::exchange(other.producer_map_, nullptr)),
      producer_map_len_(std::exchange(other.producer_map_len_, 0)),
      view_(std::exchange(other.view_, RingView{})), mapped_(std::move(other.mapped_)) {}

Ring& Ring::operator=(Ring&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        consumer_map_ = std::exchange(other.consumer_map_, nullptr);
        producer_map_ = std::exchange(other.producer_map_, nullptr);
        producer_map_len_ = std::exchange(other.producer_map_len_, 0);
        view_ = std::exchange(other.view_, RingView{});
        mapped_ = std::move(other.mapped_);
    }
    return *this;
}

Ring::~Ring() {
    release();
}

void Ring::release() noexcept {
    if (producer_map_)
        ::munmap(producer_map_, producer_map_len_);
    if (consumer_map_)
        ::munmap(consumer_map_, page_size());
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    consumer_map_ = producer_map_ = nullptr;
    view_ = RingView{};
    mapped_.reset();
}

bool Ring::write(std::span<const std::byte> record) const {
    ssize_t n = ::write(fd_, record.data(), record.size());
    if (n >= 0)
        return true;
    if (errno == EAGAIN)
        return false;
    int err = errno;
    throw Error(err,
                "write of a " + std::to_string(record.size()) + "-byte record" +
                    (err == EMSGSIZE ? " (larger than the ring can hold: at most " +
                                           std::to_string(data_size() - KRING_HDR_SZ) + " bytes)"
                                     : ""));
}

bool Ring::output(std::span<const std::byte> record, uint32_t flags) const {
    kring_output req{};
    req.data = reinterpret_cast<uint64_t>(record.data());
    req.len = static_cast<uint32_t>(record.size());
    req.flags = flags;
    if (::ioctl(fd_, KRING_IOC_OUTPUT, &req) == 0)
        return true;
    if (errno == EAGAIN)
        return false;
    int err = errno;
    throw Error(err, "KRING_IOC_OUTPUT of a " + std::to_string(record.size()) +
                         "-byte record with flags " + std::to_string(flags) +
                         (err == EINVAL ? " (flags: KRING_NO_WAKEUP, KRING_FORCE_WAKEUP)" : ""));
}

kring_query Ring::query() const {
    kring_query q{};
    if (::ioctl(fd_, KRING_IOC_QUERY, &q) != 0)
        throw Error(errno, "KRING_IOC_QUERY");
    return q;
}

kring_stats Ring::stats() const {
    kring_stats s{};
    if (::ioctl(fd_, KRING_IOC_STATS, &s) != 0)
        throw Error(errno, "KRING_IOC_STATS");
    return s;
}

} // namespace kring
