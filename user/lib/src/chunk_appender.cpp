// ChunkAppender: whole chunks at the end of a record file, buffered or with
// direct I/O (docs/record-file.md, "Direct I/O").
#include "chunk_appender.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace kring::detail {

using namespace record_file;

namespace {

// The alignment of the copied buffers, and the most a block may need: a
// ring's data is page-aligned, so its bytes at a block-aligned position are
// block-aligned in memory for any block up to a page.
constexpr size_t kPage = 4096;
// The smallest padding chunk: a header and a trailer, no payload.
constexpr uint64_t kMinPadding = sizeof(ChunkHeader) + sizeof(ChunkTrailer);

// Writes all of `iov` at `offset` with pwritev, carrying on after short
// writes; throws kring::Error naming `path` and the offset it reached.
void write_all(int fd, std::span<iovec> iov, uint64_t offset, const std::string& path) {
    for (;;) {
        while (!iov.empty() && iov.front().iov_len == 0)
            iov = iov.subspan(1);
        if (iov.empty())
            return;
        ssize_t n =
            ::pwritev(fd, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO; // a write of nothing: the disk is full?
            throw Error(err, "write to record file " + path + " at offset " +
                                 std::to_string(offset) +
                                 (err == ENOSPC ? " (the disk is full)" : ""));
        }
        offset += static_cast<uint64_t>(n);
        for (auto left = static_cast<size_t>(n); left;) {
            size_t step = std::min(left, iov.front().iov_len);
            iov.front().iov_base = static_cast<char*>(iov.front().iov_base) + step;
            iov.front().iov_len -= step;
            left -= step;
            if (iov.front().iov_len == 0)
                iov = iov.subspan(1);
        }
    }
}

} // namespace

ChunkAppender::Bounce::~Bounce() {
    std::free(data);
}

void ChunkAppender::Bounce::reserve(size_t bytes) {
    if (bytes <= capacity)
        return;
    size_t grown = std::max(bytes, capacity * 2);
    grown = (grown + kPage - 1) & ~(kPage - 1);
    auto* bigger = static_cast<std::byte*>(std::aligned_alloc(kPage, grown));
    if (!bigger)
        throw std::bad_alloc();
    if (size)
        std::memcpy(bigger, data, size);
    std::free(data);
    data = bigger;
    capacity = grown;
}

void ChunkAppender::Bounce::put(const void* bytes, size_t len) {
    reserve(size + len);
    if (len)
        std::memcpy(data + size, bytes, len);
    size += len;
}

void ChunkAppender::Bounce::zeroes(size_t len) {
    reserve(size + len);
    if (len)
        std::memset(data + size, 0, len);
    size += len;
}

ChunkAppender::ChunkAppender(int fd, std::string path, uint64_t end, bool try_direct)
    : fd_(fd), path_(std::move(path)), end_(end) {
    if (!try_direct)
        return;
    if (uint64_t block = direct_block())
        enable_direct(block);
}

uint64_t ChunkAppender::direct_block() const {
    struct statx stx {};
    if (::statx(fd_, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) != 0 ||
        !(stx.stx_mask & STATX_DIOALIGN) || stx.stx_dio_offset_align == 0)
        return 0; // no direct I/O here (or a kernel before 6.1 that cannot say)
    uint64_t block = std::max(stx.stx_dio_mem_align, stx.stx_dio_offset_align);
    if (block > kPage || (block & (block - 1)))
        return 0;
    return block;
}

void ChunkAppender::enable_direct(uint64_t block) {
    // The partial last block is written again by the next write: read it
    // while reads need no alignment.
    const auto kept = static_cast<size_t>(end_ % block);
    tail_.size = 0;
    tail_.zeroes(kept);
    if (::pread(fd_, tail_.data, kept, static_cast<off_t>(end_ - kept)) !=
        static_cast<ssize_t>(kept))
        return;
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_DIRECT) != 0)
        return;
    block_ = block;
}

void ChunkAppender::append(const ChunkHeader& header, std::span<const std::byte> payload,
                           const ChunkTrailer& trailer) {
    if (direct()) {
        append_direct(header, payload, trailer);
        return;
    }
    iovec iov[3] = {{const_cast<ChunkHeader*>(&header), sizeof(header)},
                    {const_cast<std::byte*>(payload.data()), payload.size()},
                    {const_cast<ChunkTrailer*>(&trailer), sizeof(trailer)}};
    write_all(fd_, iov, end_, path_);
    end_ += sizeof(header) + payload.size() + sizeof(trailer);
}

void ChunkAppender::append_bytes(std::span<const std::byte> bytes) {
    if (!direct()) {
        iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
        write_all(fd_, std::span(&iov, 1), end_, path_);
        end_ += bytes.size();
        return;
    }
    first_.size = 0;
    first_.put(tail_.data, tail_.size);
    first_.put(bytes.data(), bytes.size());
    iovec iov[1];
    write_blocks(iov, first_, end_ + bytes.size());
}

void ChunkAppender::append_direct(const ChunkHeader& header, std::span<const std::byte> payload,
                                  const ChunkTrailer& trailer) {
    const uint64_t chunk = sizeof(header) + payload.size() + sizeof(trailer);
    const auto at = reinterpret_cast<uintptr_t>(payload.data());
    const uint64_t aligned_begin = (at + block_ - 1) & ~(block_ - 1);
    const uint64_t aligned_end = (at + payload.size()) & ~(block_ - 1);
    first_.size = 0;
    first_.put(tail_.data, tail_.size);
    if (aligned_end < aligned_begin + kMinDirectBlocks * block_) {
        // Short: copied whole, after the partial block it continues.
        first_.put(&header, sizeof(header));
        first_.put(payload.data(), payload.size());
        first_.put(&trailer, sizeof(trailer));
        iovec iov[1];
        write_blocks(iov, first_, end_ + chunk);
        return;
    }
    // The payload's bytes from aligned_begin go to a block boundary of the
    // file: the header, and the bytes before them, end there.
    const uint64_t before = aligned_begin - at, after = at + payload.size() - aligned_end;
    uint64_t padding = (block_ - (end_ + sizeof(header) + before) % block_) % block_;
    if (padding && padding < kMinPadding)
        padding += block_;
    put_padding(first_, padding);
    first_.put(&header, sizeof(header));
    first_.put(payload.data(), before);
    last_.size = 0;
    last_.put(payload.data() + payload.size() - after, after);
    last_.put(&trailer, sizeof(trailer));
    iovec iov[3] = {{first_.data, first_.size},
                    {const_cast<std::byte*>(payload.data() + before), aligned_end - aligned_begin},
                    {}};
    write_blocks(iov, last_, end_ + padding + chunk);
}

void ChunkAppender::put_padding(Bounce& buffer, uint64_t size) {
    if (!size)
        return;
    const size_t at = buffer.size;
    buffer.zeroes(size);
    std::span<const std::byte> zeroes(buffer.data + at + sizeof(ChunkHeader), size - kMinPadding);
    const ChunkHeader header = make_chunk_header(kPaddingChunk, 0, 0, zeroes, false);
    const ChunkTrailer trailer = make_chunk_trailer(header);
    std::memcpy(buffer.data + at, &header, sizeof(header));
    std::memcpy(buffer.data + at + size - sizeof(trailer), &trailer, sizeof(trailer));
}

void ChunkAppender::write_blocks(std::span<iovec> iov, Bounce& last, uint64_t new_end) {
    const size_t filled = last.size;
    const auto kept = static_cast<size_t>(new_end % block_);
    last.zeroes((block_ - filled % block_) % block_);
    iov.back() = iovec{last.data, last.size};
    const uint64_t at = end_ - end_ % block_;
    const std::vector<iovec> again(iov.begin(), iov.end());
    try {
        write_all(fd_, iov, at, path_);
    } catch (const Error& error) {
        // The file system took O_DIRECT but refuses this write: buffered
        // from here on. The same bytes at the same offset, written again
        // whole, so whatever part of them landed is overwritten alike.
        int flags = ::fcntl(fd_, F_GETFL);
        if (error.errno_value() != EINVAL || flags < 0 ||
            ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0)
            throw;
        block_ = 0;
        std::vector<iovec> buffered = again;
        write_all(fd_, buffered, at, path_);
    }
    end_ = new_end;
    if (block_) {
        tail_.size = 0;
        tail_.put(last.data + filled - kept, kept);
    }
}

} // namespace kring::detail
