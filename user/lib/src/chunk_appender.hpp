// Appending chunks to a record file: buffered, or with direct I/O where the
// file system has it (docs/record-file.md, "Direct I/O").
#pragma once

#include "kring/record_file.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <sys/uio.h>

namespace kring::detail {

// Appends whole chunks (header, payload, trailer) at the end of a record
// file, each with one write so that its trailer lands last.
//
// With direct I/O a write must start and end on the file system's block
// boundaries and come from memory aligned as it says. The appender keeps
// the file's last partial block in memory and writes it again at the start
// of the next write; the end of a write is zero-filled to the block, zeroes
// that the next write covers and readers ignore. A payload long enough to
// hold kMinDirectBlocks whole blocks is written from where it lies (a
// ring's mapping): a padding chunk before its header puts the payload's
// aligned bytes on a block boundary of the file, and only the bytes before
// and after them are copied. Anything shorter is copied whole.
class ChunkAppender {
public:
    // Direct writes only for payloads with at least this many whole blocks,
    // so that a padding chunk (up to a block and 40 bytes) costs little.
    static constexpr uint64_t kMinDirectBlocks = 8;

    // `fd` is open for writing; the file's chunks end at `end`. With
    // `try_direct`, turns on O_DIRECT for `fd` if the file system reports
    // its direct I/O alignment (statx's STATX_DIOALIGN) and takes it, and
    // reads the last partial block back.
    ChunkAppender(int fd, std::string path, uint64_t end, bool try_direct);
    ChunkAppender(const ChunkAppender&) = delete;
    ChunkAppender& operator=(const ChunkAppender&) = delete;

    // Appends `header`, `payload` and `trailer` as one write.
    void append(const record_file::ChunkHeader& header, std::span<const std::byte> payload,
                const record_file::ChunkTrailer& trailer);
    // Appends bytes that are not a chunk (the file header).
    void append_bytes(std::span<const std::byte> bytes);

    bool direct() const { return block_ != 0; }

private:
    // A page-aligned buffer that grows, keeping its bytes.
    struct Bounce {
        std::byte* data = nullptr;
        size_t capacity = 0;
        size_t size = 0;
        Bounce() = default;
        Bounce(const Bounce&) = delete;
        Bounce& operator=(const Bounce&) = delete;
        ~Bounce();
        void put(const void* bytes, size_t len);
        void zeroes(size_t len);
        void reserve(size_t bytes);
    };

    // The block size if the file can take direct I/O from memory aligned
    // as a ring's mapping is (a page), else 0.
    uint64_t direct_block() const;
    // Turns O_DIRECT on, having read the last partial block back.
    void enable_direct(uint64_t block);
    void append_direct(const record_file::ChunkHeader& header, std::span<const std::byte> payload,
                       const record_file::ChunkTrailer& trailer);
    // A padding chunk of `size` bytes (at least a header and a trailer).
    void put_padding(Bounce& buffer, uint64_t size);
    // Writes `iov` (whose last buffer is `last`, holding the file's bytes up
    // to `new_end`) from the block of end_, with `last` zero-filled to a
    // block, and keeps the new partial last block.
    void write_blocks(std::span<iovec> iov, Bounce& last, uint64_t new_end);

    int fd_;
    std::string path_;
    uint64_t end_;
    uint64_t block_ = 0;
    Bounce first_, last_; // the copied bytes before and after a direct payload
    Bounce tail_;         // the file's bytes from the block of end_ to end_
};

} // namespace kring::detail
