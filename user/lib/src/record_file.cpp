// Record files: CRC32C, chunk headers, and reading a file back with every
// chunk checked (docs/record-file.md).
#include "kring/record_file.hpp"

#include "record_layout.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kring {

namespace record_file {

namespace {

constexpr uint32_t kCastagnoli = 0x82f63b78; // reversed polynomial

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zeros.
struct Tables {
    std::array<std::array<uint32_t, 256>, 8> t{};
    Tables() {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t crc = b;
            for (int i = 0; i < 8; i++)
                crc = (crc >> 1) ^ (kCastagnoli & (0U - (crc & 1)));
            t[0][b] = crc;
        }
        for (uint32_t b = 0; b < 256; b++)
            for (size_t k = 1; k < 8; k++)
                t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
};

uint32_t crc32c_portable(const uint8_t* p, size_t len, uint32_t crc) {
    static const Tables tables;
    const auto& t = tables.t;
    while (len >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        word ^= crc;
        crc = t[7][word & 0xff] ^ t[6][(word >> 8) & 0xff] ^ t[5][(word >> 16) & 0xff] ^
              t[4][(word >> 24) & 0xff] ^ t[3][(word >> 32) & 0xff] ^ t[2][(word >> 40) & 0xff] ^
              t[1][(word >> 48) & 0xff] ^ t[0][word >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes exactly CRC32C, 8 bytes at a time.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const uint8_t* p, size_t len,
                                                        uint32_t crc) {
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    while (len--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

} // namespace

uint32_t crc32c(const void* data, size_t len, uint32_t crc) {
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
#if defined(__x86_64__)
    static const bool have_sse42 = __builtin_cpu_supports("sse4.2");
    crc = have_sse42 ? crc32c_sse42(p, len, crc) : crc32c_portable(p, len, crc);
#else
    crc = crc32c_portable(p, len, crc);
#endif
    return ~crc;
}

ChunkHeader make_chunk_header(ChunkKind kind, uint16_t ring_id, uint64_t ring_pos,
                              std::span<const std::byte> payload, bool payload_crc) {
    ChunkHeader h{};
    h.magic = kChunkMagic;
    h.kind = kind;
    h.ring_id = ring_id;
    h.length = static_cast<uint32_t>(payload.size());
    h.payload_crc = payload_crc ? crc32c(payload.data(), payload.size()) : 0;
    h.ring_pos = ring_pos;
    h.header_crc = crc32c(&h, offsetof(ChunkHeader, header_crc));
    h.flags = payload_crc ? kPayloadCrc : 0;
    return h;
}

ChunkTrailer make_chunk_trailer(const ChunkHeader& header) {
    return ChunkTrailer{kTrailerMagic, header.header_crc};
}

} // namespace record_file

using namespace record_file;
using detail::kLengthMask;
using detail::record_span;

namespace {

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%08x", v);
    return buf;
}

} // namespace

RecordFile::RecordFile(const std::string& path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(errno, "open of record file " + path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        throw Error(err, "fstat of record file " + path);
    }
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ < sizeof(FileHeader)) {
        ::close(fd);
        throw Error(EINVAL, path + ": not a kring record file (" + std::to_string(size_) +
                                " bytes, shorter than the file header)");
    }
    void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (map == MAP_FAILED)
        throw Error(err, "mmap of record file " + path);
    map_ = static_cast<const std::byte*>(map);
    FileHeader header;
    std::memcpy(&header, map_, sizeof(header));
    if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) {
        ::munmap(const_cast<std::byte*>(map_), size_);
        throw Error(EINVAL, path + ": not a kring record file (no KRINGREC magic)");
    }
    if (header.version < kOldestVersion || header.version > kVersion ||
        header.header_size != sizeof(FileHeader)) {
        ::munmap(const_cast<std::byte*>(map_), size_);
        throw Error(EINVAL, path + ": record file version " + std::to_string(header.version) +
                                " with a " + std::to_string(header.header_size) +
                                "-byte header; this kringctl reads versions " +
                                std::to_string(kOldestVersion) + " to " + std::to_string(kVersion));
    }
    version_ = header.version;
    sound_end_ = sizeof(FileHeader);
}

RecordFile::~RecordFile() {
    if (map_)
        ::munmap(const_cast<std::byte*>(map_), size_);
}

bool RecordFile::fail(uint64_t offset, const std::string& what) {
    error_ = "offset " + std::to_string(offset) + ": " + what;
    return false;
}

bool RecordFile::read_ring_chunk(uint64_t offset, const ChunkHeader& header,
                                 const std::byte* payload) {
    if (header.length < sizeof(RingPayload) + 8 ||
        header.length > sizeof(RingPayload) + kMaxNameLength + 1 + kMaxTypeLength + 1 + 7)
        return fail(offset, "ring declaration of " + std::to_string(header.length) + " bytes");
    for (const RecordedRing& ring : rings_)
        if (ring.id == header.ring_id)
            return fail(offset, "ring id " + std::to_string(header.ring_id) + " declared twice");
    RingPayload ring;
    std::memcpy(&ring, payload, sizeof(ring));
    const char* name = reinterpret_cast<const char*>(payload + sizeof(ring));
    size_t name_max = header.length - sizeof(ring);
    size_t name_len = strnlen(name, name_max);
    if (name_len == name_max)
        return fail(offset, "ring name without its NUL");
    // The record type, if any, follows the name's NUL; padding reads as none.
    const char* type = name + name_len + 1;
    size_t type_max = name_max - name_len - 1;
    size_t type_len = strnlen(type, type_max);
    if (type_len && type_len == type_max)
        return fail(offset, "record type without its NUL");
    RecordedRing declared;
    declared.id = header.ring_id;
    declared.name.assign(name, name_len);
    declared.record_type.assign(type, type_len);
    declared.cookie = ring.cookie;
    declared.data_size = ring.data_size;
    rings_.push_back(std::move(declared));
    return true;
}

bool RecordFile::read_records_chunk(uint64_t offset, const ChunkHeader& header,
                                    const std::byte* payload,
                                    const std::function<bool(const RecordedRecord&)>& callback,
                                    bool* stopped) {
    RecordedRing* ring = nullptr;
    for (RecordedRing& r : rings_)
        if (r.id == header.ring_id)
            ring = &r;
    if (!ring)
        return fail(offset, "records of ring id " + std::to_string(header.ring_id) +
                                ", which no earlier chunk declared");
    if (ring->has_records && header.ring_pos < ring->end_pos)
        return fail(offset, "records of ring " + ring->name + " at position " +
                                std::to_string(header.ring_pos) + ", before its end " +
                                std::to_string(ring->end_pos) + " (written twice)");
    // The chunk must be whole records, none busy: check it all before the
    // callback sees any of it, so a broken chunk yields nothing.
    uint64_t at = 0;
    while (at < header.length) {
        if (header.length - at < KRING_HDR_SZ)
            return fail(offset + sizeof(header) + at, "record header cut short");
        kring_record_header rec;
        std::memcpy(&rec, payload + at, sizeof(rec));
        if (rec.len & KRING_BUSY_BIT)
            return fail(offset + sizeof(header) + at, "record still marked busy");
        uint64_t size = rec.len & kLengthMask, span = record_span(rec.len);
        if (span > header.length - at)
            return fail(offset + sizeof(header) + at,
                        "a " + std::to_string(size) + "-byte record runs past its chunk");
        at += span;
    }
    for (at = 0; at < header.length && !*stopped;) {
        kring_record_header rec;
        std::memcpy(&rec, payload + at, sizeof(rec));
        if (!(rec.len & KRING_DISCARD_BIT)) {
            RecordedRecord record{
                ring, header.ring_pos + at,
                std::span<const std::byte>(payload + at + KRING_HDR_SZ, rec.len & kLengthMask),
                offset};
            *stopped = !callback(record);
        }
        at += record_span(rec.len);
    }
    ring->has_records = true;
    ring->end_pos = header.ring_pos + header.length;
    return true;
}

// Whether the file holds only zeroes from `offset` to its end, fewer than a
// direct-I/O block: the rest of the block of its last write.
bool RecordFile::zero_tail(uint64_t offset) const {
    return size_ - offset < kMaxZeroTail &&
           std::all_of(map_ + offset, map_ + size_, [](std::byte b) { return b == std::byte{0}; });
}

bool RecordFile::read(const std::function<bool(const RecordedRecord&)>& callback) {
    rings_.clear();
    error_.clear();
    uint64_t offset = sizeof(FileHeader);
    sound_end_ = offset;
    bool stopped = false;
    while (offset < size_ && !stopped && !zero_tail(offset)) {
        if (size_ - offset < sizeof(ChunkHeader))
            return fail(offset, "chunk header cut short: the file ends " +
                                    std::to_string(size_ - offset) +
                                    " bytes into it (an interrupted write?)");
        ChunkHeader header;
        std::memcpy(&header, map_ + offset, sizeof(header));
        if (header.magic != kChunkMagic)
            return fail(offset, "no chunk here (magic " + hex32(header.magic) + ")");
        if (header.header_crc != crc32c(&header, offsetof(ChunkHeader, header_crc)))
            return fail(offset, "chunk header checksum mismatch");
        if (header.length % 8 || (header.flags & ~kPayloadCrc) ||
            (!(header.flags & kPayloadCrc) && header.payload_crc))
            return fail(offset, "malformed chunk header (length " + std::to_string(header.length) +
                                    ", flags " + std::to_string(header.flags) + ")");
        uint64_t payload_at = offset + sizeof(header);
        if (size_ - payload_at < header.length)
            return fail(offset, "chunk of " + std::to_string(header.length) +
                                    " bytes cut short: the file ends " +
                                    std::to_string(size_ - payload_at) +
                                    " bytes into it (an interrupted write?)");
        const std::byte* payload = map_ + payload_at;
        uint64_t trailer_at = payload_at + header.length;
        ChunkTrailer trailer{};
        if (size_ - trailer_at >= sizeof(trailer))
            std::memcpy(&trailer, map_ + trailer_at, sizeof(trailer));
        if (trailer.magic != kTrailerMagic || trailer.header_crc != header.header_crc)
            return fail(offset, "chunk of " + std::to_string(header.length) +
                                    " bytes without its trailer (an interrupted write?)");
        if ((header.flags & kPayloadCrc) && header.payload_crc != crc32c(payload, header.length))
            return fail(offset, "chunk payload checksum mismatch (" +
                                    std::to_string(header.length) + " bytes)");
        bool ok;
        if (header.kind == kRingChunk)
            ok = read_ring_chunk(offset, header, payload);
        else if (header.kind == kRecordsChunk && header.length)
            ok = read_records_chunk(offset, header, payload, callback, &stopped);
        else if (header.kind == kPaddingChunk)
            ok = true;
        else
            ok = fail(offset, "unknown chunk kind " + std::to_string(header.kind));
        if (!ok)
            return false;
        offset = trailer_at + sizeof(trailer);
        sound_end_ = offset;
    }
    return true;
}

} // namespace kring
