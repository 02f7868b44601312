// Record files: what `kringctl record` writes and `kringctl replay` reads
// (the format is in docs/record-file.md). kring::Recorder writes them straight
// from mapped rings; kring::RecordFile reads and checks them.
#pragma once

#include "kring/kring.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kring {

namespace record_file {

inline constexpr char kMagic[8] = {'K', 'R', 'I', 'N', 'G', 'R', 'E', 'C'};
// Version 2 may hold padding chunks and end in zeroes (direct I/O, below);
// readers read both, the recorder appends to a version 1 file buffered.
inline constexpr uint32_t kVersion = 2;
inline constexpr uint32_t kOldestVersion = 1;
inline constexpr uint32_t kChunkMagic = 0x4b4e4843; // "CHNK" in a little-endian file

// The file header, at offset 0. Little-endian, as every field below.
struct FileHeader {
    char magic[8];        // kMagic
    uint32_t version;     // kVersion
    uint32_t header_size; // sizeof(FileHeader)
    uint64_t created_ns;  // CLOCK_REALTIME when the file was created
    uint64_t reserved;    // 0
};
static_assert(sizeof(FileHeader) == 32);

enum ChunkKind : uint16_t {
    kRingChunk = 1,    // declares a ring id: RingPayload, then the name
    kRecordsChunk = 2, // a span of the ring's bytes, records with their headers
    kPaddingChunk = 3, // zeroes that put the next chunk's payload on a block boundary
};

// Direct I/O writes whole blocks of at most a page: the file may end in
// fewer zeroes than that after its last chunk, which readers ignore.
inline constexpr uint64_t kMaxZeroTail = 4096;

// Every chunk starts 8-byte aligned with this header; `length` payload bytes
// (a multiple of 8) and a ChunkTrailer follow.
struct ChunkHeader {
    uint32_t magic;       // kChunkMagic
    uint16_t kind;        // ChunkKind
    uint16_t ring_id;     // the ring, as declared by a kRingChunk
    uint32_t length;      // payload bytes
    uint32_t payload_crc; // CRC32C of the payload if kPayloadCrc, else 0
    uint64_t ring_pos;    // records: the ring position of the first byte
    uint32_t header_crc;  // CRC32C of the bytes before this field
    uint32_t flags;       // kPayloadCrc or 0
};
static_assert(sizeof(ChunkHeader) == 32);

inline constexpr uint32_t kPayloadCrc = 1U << 0;

// The last 8 bytes of a chunk, written by the same write as the rest: a write
// lands in order, so a chunk whose trailer is there was written whole, even
// without a payload checksum.
struct ChunkTrailer {
    uint32_t magic;      // kTrailerMagic
    uint32_t header_crc; // the chunk header's header_crc
};
static_assert(sizeof(ChunkTrailer) == 8);
inline constexpr uint32_t kTrailerMagic = 0x444e454b; // "KEND" in a little-endian file

// The payload of a kRingChunk, followed by the name, NUL-terminated, then
// the ring's record type if it has one (NUL-terminated), NUL-padded to 8
// bytes.
struct RingPayload {
    uint64_t cookie;    // the ring's kring_query cookie (0: unknown)
    uint64_t data_size; // the ring's data size
};
static_assert(sizeof(RingPayload) == 16);

inline constexpr uint32_t kMaxNameLength = 255;
// A record type is a C type name, e.g. "exec_snoop_event".
inline constexpr uint32_t kMaxTypeLength = 127;

// CRC32C (Castagnoli), as iSCSI and ext4 use it; continues from `crc`.
uint32_t crc32c(const void* data, size_t len, uint32_t crc = 0);

// A chunk header for the payload, with its payload CRC if `payload_crc`.
ChunkHeader make_chunk_header(ChunkKind kind, uint16_t ring_id, uint64_t ring_pos,
                              std::span<const std::byte> payload, bool payload_crc);
// The trailer that closes the chunk of `header`.
ChunkTrailer make_chunk_trailer(const ChunkHeader& header);

} // namespace record_file

// A ring declared in a record file.
struct RecordedRing {
    uint16_t id = 0;
    std::string name;
    uint64_t cookie = 0;
    uint64_t data_size = 0;
    std::string record_type; // the type of its records, if declared ("" if not)
    uint64_t end_pos = 0;    // the ring position after its last recorded chunk
    bool has_records = false;
};

// One record read back: its ring, its position in that ring, its payload,
// and where its chunk starts in the file.
struct RecordedRecord {
    const RecordedRing* ring;
    uint64_t ring_pos;
    std::span<const std::byte> data;
    uint64_t chunk_offset;
};

// A record file, mapped read-only and checked chunk by chunk as it is read.
// Thread safety: one thread at a time.
class RecordFile {
public:
    // Opens and maps `path`; throws kring::Error if it cannot, or if the
    // file header is not a kring record file's.
    explicit RecordFile(const std::string& path);
    RecordFile(const RecordFile&) = delete;
    RecordFile& operator=(const RecordFile&) = delete;
    ~RecordFile();

    // Calls `callback` for every committed record (discarded ones skipped)
    // in file order, until the callback returns false or the file ends or
    // breaks. True if everything up to the end of the file was sound.
    bool read(const std::function<bool(const RecordedRecord&)>& callback);

    // After read(): where the sound part of the file ends, and if it ended
    // early, what broke there ("offset N: ...").
    uint64_t sound_end() const { return sound_end_; }
    const std::string& error() const { return error_; }
    uint64_t size() const { return size_; }
    uint32_t version() const { return version_; }
    const std::vector<RecordedRing>& rings() const { return rings_; }

private:
    bool fail(uint64_t offset, const std::string& what);
    bool zero_tail(uint64_t offset) const;
    bool read_ring_chunk(uint64_t offset, const record_file::ChunkHeader& header,
                         const std::byte* payload);
    bool read_records_chunk(uint64_t offset, const record_file::ChunkHeader& header,
                            const std::byte* payload,
                            const std::function<bool(const RecordedRecord&)>& callback,
                            bool* stopped);

    std::string path_;
    const std::byte* map_ = nullptr;
    uint64_t size_ = 0;
    uint32_t version_ = 0;
    uint64_t sound_end_ = 0;
    std::string error_;
    std::vector<RecordedRing> rings_;
};

// Appends the records of several rings to a record file, writing each span
// of committed records straight from the ring's mapping (one pwritev, no copy
// in userspace, and none into the page cache where the file system has direct
// I/O; waits and syncs go through io_uring) and giving the span back
// to the producers (advancing the consumer position) only once it is written
// and, as the sync policy says, made durable. So a crash of the recorder
// loses nothing it acknowledged (nor does a power failure, unless the policy
// is never), and a restarted recorder, on the same rings (kept alive by name)
// and the same file, skips what the file already has: every record lands in
// the file exactly once.
// Thread safety: one thread at a time; it is its rings' one consumer.
class Recorder {
public:
    // When written chunks are made durable (an fdatasync on the io_uring)
    // and so when the producers get their space back: a ring's consumer
    // position advances only past durable chunks.
    // A sync starts once the oldest written chunk not yet durable was
    // written `interval` ago, or once `bytes` written bytes are not yet
    // durable, whichever comes first (0: not by that measure); and, with
    // either set, whenever a ring has half its space in written chunks not
    // yet durable (else its producers would drop while the data waits).
    // Both 0 is never: chunks are acknowledged once written, and a power
    // failure loses what the page cache held (docs/record-file.md, "What a
    // crash loses").
    struct SyncPolicy {
        std::chrono::milliseconds interval{1000};
        uint64_t bytes = 0;
        bool never() const { return interval.count() <= 0 && bytes == 0; }
    };
    struct Options {
        bool checksum = true;       // CRC32C of every chunk's payload
        uint64_t max_chunk = 0;     // bytes per write; 0: a quarter of the ring
        bool multishot_poll = true; // as UringOptions::multishot
        SyncPolicy sync;            // default: durable within a second
        // Direct I/O (O_DIRECT) where the file system has it and the file
        // is version 2: no copy into the page cache (docs/record-file.md,
        // "Direct I/O"). Else, or if false, buffered writes.
        bool direct_io = true;
    };
    struct Stats {
        uint64_t records = 0;         // committed records written and acknowledged
        uint64_t bytes = 0;           // ring bytes written and acknowledged
        uint64_t writes = 0;          // chunks written
        uint64_t syncs = 0;           // fdatasyncs completed
        uint64_t skipped_bytes = 0;   // ring bytes the file already had at add()
        uint64_t truncated_bytes = 0; // a broken tail cut off at open
    };

    // Opens (creating if needed) the record file at `path`. An existing file
    // is checked: a broken tail (a write the crash interrupted) is cut off;
    // a file that is not a record file is an error. A new file (or an empty
    // one, whose creation a crash interrupted) has its directory synced
    // before its header is written, unless the policy is never, so that a
    // power failure cannot take its name; failing that is an error.
    Recorder(const std::string& path, const Options& options);
    explicit Recorder(const std::string& path) : Recorder(path, Options{}) {}
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;
    // close(), errors ignored.
    ~Recorder();

    // Records `ring` under `name`. A ring the file already has (same cookie)
    // resumes: the bytes the file holds past the consumer position are
    // skipped. A Linux BPF ring buffer map has no cookie and is recorded
    // from its consumer position as a new ring. The ring must outlive the
    // recorder, and the recorder must be its only consumer. `record_type`,
    // if not empty, is the type of its records (a C type name), declared in
    // the file for readers: `kringctl replay` decodes only declared types.
    // A resumed ring keeps the type the file declares; another one is an
    // error.
    void add(const Ring& ring, const std::string& name, const std::string& record_type = {});
    // A ring mapped by other means, with the fd that polls readable when it
    // has data, and its cookie (0: never resume it).
    void add(const RingView& view, int wait_fd, const std::string& name, uint64_t cookie,
             const std::string& record_type = {});

    // Writes what is committed, starts a sync when the policy says so,
    // waits up to `timeout` for data (forever if negative; with a sync in
    // flight, until it completes or data comes), writes again, and
    // acknowledges what is written (and, unless the policy is never,
    // durable). Returns the records acknowledged. After a failed write or
    // sync (an exception) nothing more is acknowledged: every later call
    // throws the same error, and a new Recorder on the file carries on from
    // what the rings still hold.
    uint64_t poll(std::chrono::milliseconds timeout);
    // Writes everything committed now, makes it durable (unless the policy
    // is never) and waits until all of it is acknowledged. Returns the
    // records acknowledged. With producers that never pause, it may not
    // return: to stop, use close().
    uint64_t flush();
    // Stops: waits for the sync in flight, makes what was
    // written durable (one fdatasync, unless the policy is never) and
    // acknowledges it; writes nothing new, so what is still in the rings
    // stays there for the next run. Throws the first failure. Afterwards
    // only stats(), direct_io() and notes() may be called. The destructor does the same
    // and swallows the failure.
    void close();

    const Stats& stats() const;
    // Whether the writes go to the file with direct I/O.
    bool direct_io() const;
    // What open and add() found that the user should hear of (a cut tail,
    // skipped bytes, a re-created ring), a line each; empty if nothing.
    const std::string& notes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace kring
