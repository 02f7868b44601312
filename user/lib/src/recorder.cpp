// kring::Recorder: rings to a record file, written straight from the mapped
// rings, acknowledging a span only once it is written.
//
// Per ring there are two positions: `written`, up to which chunks are in the
// file, and the consumer position, up to which they are acknowledged: at
// once when the policy never syncs, else once an fdatasync has made them
// durable. The producers get space back only at the second. The consumer
// positions advance in file order (the queue of unacknowledged chunks is
// acknowledged from its front), so that what a crash leaves in the file up
// to its first broken chunk is everything acknowledged and maybe more: never
// a hole before an acknowledged record. A restart cuts the file at its first
// broken chunk and skips, per ring, what the file holds past the consumer
// position (written, but the crash came before the acknowledgement).
//
// Writes are pwritev(2) calls of the thread that walked the records, with
// direct I/O where the file system has it (detail::ChunkAppender): then the
// disk reads the records from the ring's pages. A buffered write is a copy
// into the page cache, which an io_uring write would hand to a worker
// thread wherever the file system cannot write without blocking (ext4),
// costing a wakeup per chunk and a second CPU that pulls the ring's lines
// into its cache again (docs/bench.md, "Recording"). A sync waits for the
// disk: it goes through io_uring, and the recorder walks and writes on
// meanwhile. It covers exactly the chunks written before it was submitted.
#include "chunk_appender.hpp"
#include "kring/record_file.hpp"
#include "ring_reader.hpp"
#include "uring_polls.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <span>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace kring {

using namespace record_file;

struct Recorder::Impl {
    struct Source {
        RingView view;
        uint16_t id;
        uint64_t written; // chunks are in the file up to here
    };
    using Clock = std::chrono::steady_clock;
    // A chunk in the file whose records are not yet acknowledged.
    struct Chunk {
        size_t source;
        uint64_t end_pos; // the ring position after the chunk
        uint64_t records;
        uint64_t total; // its bytes in the file
        Clock::time_point written_at;
        bool in_sync = false; // the sync in flight covers it
        bool durable = false; // a completed sync covered it
    };
    // The user data of the one sync in flight; polls are 8-aligned
    // addresses.
    static constexpr uint64_t kSyncTag = 2;
    // How often the rings are looked at while written chunks await a sync.
    static constexpr std::chrono::milliseconds kLaggingTick{10};
    // Submission entries: one poll per ring (re-armed one-shot polls take
    // one each time) and the sync; UringPolls submits when they run out.
    static constexpr unsigned kUringEntries = 64;

    Impl(const std::string& file_path, const Options& opts)
        : path(file_path), options(opts),
          polls(UringOptions{nullptr, opts.multishot_poll, kUringEntries}, "a kring::Recorder") {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            throw Error(errno, "open of record file " + path);
        try {
            open_file();
        } catch (...) {
            ::close(fd);
            throw;
        }
    }

    ~Impl() {
        try {
            close();
        } catch (const Error&) {
            // Nothing after the failure is acknowledged: the next run cuts
            // the file there and writes it again.
        }
        ::close(fd);
    }

    // Lets the sync in flight finish (it must not outlive the file), makes
    // what was written since durable and acknowledges it. Throws the first
    // failure.
    void close() {
        closed = true;
        while (sync_in_flight) {
            try {
                reap(std::chrono::milliseconds(-1));
            } catch (const Error&) {
                // Remembered in `failure`; the sync must complete first.
            }
        }
        if (!failure && !options.sync.never() && !pending.empty()) {
            if (::fdatasync(fd) != 0)
                failure = Error(errno, "fdatasync of record file " + path);
            else
                stats.syncs++;
            for (Chunk& c : pending)
                c.durable = !failure;
        }
        acknowledge();
        if (failure)
            throw *failure;
    }

    void open_file() {
        struct stat st {};
        if (::fstat(fd, &st) != 0)
            throw Error(errno, "fstat of record file " + path);
        if (interrupted_creation(static_cast<uint64_t>(st.st_size))) {
            // Empty, or a crash cut the first write of the file header.
            // Before the header: if the directory cannot be synced, the
            // file stays empty, a creation the next run does again.
            if (!options.sync.never())
                sync_directory();
            if (st.st_size && ::ftruncate(fd, 0) != 0)
                throw Error(errno, "ftruncate of record file " + path);
            FileHeader header{};
            std::memcpy(header.magic, kMagic, sizeof(kMagic));
            header.version = kVersion;
            header.header_size = sizeof(header);
            timespec now{};
            clock_gettime(CLOCK_REALTIME, &now);
            header.created_ns = uint64_t(now.tv_sec) * 1000000000 + uint64_t(now.tv_nsec);
            appender.emplace(fd, path, 0, options.direct_io);
            appender->append_bytes(std::as_bytes(std::span(&header, 1)));
            return;
        }
        RecordFile existing(path);
        bool sound = existing.read([](const RecordedRecord&) { return true; });
        known = existing.rings();
        const uint64_t file_end = existing.sound_end();
        if (!sound) {
            stats.truncated_bytes = existing.size() - file_end;
            if (::ftruncate(fd, static_cast<off_t>(file_end)) != 0)
                throw Error(errno, "ftruncate of record file " + path + " to its sound part");
            notes += path + ": " + existing.error() + "; cut off the last " +
                     std::to_string(stats.truncated_bytes) + " bytes (a write the end of the " +
                     "last run interrupted; nothing acknowledged was in them)\n";
        }
        for (const RecordedRing& ring : known)
            next_id = std::max<unsigned>(next_id, ring.id + 1u);
        // Padding chunks and a zero tail are version 2's: a version 1 file
        // stays readable by what read it before.
        appender.emplace(fd, path, file_end, options.direct_io && existing.version() >= 2);
    }

    // A new file is a name in its directory too: a power failure before
    // the directory reaches the disk loses the whole file, however often
    // its data was synced. Syncs the directory once, before anything is
    // acknowledged.
    void sync_directory() const {
        std::filesystem::path dir = std::filesystem::path(path).parent_path();
        if (dir.empty())
            dir = ".";
        int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
            throw Error(errno, "open of directory " + dir.string() +
                                   " to sync the entry of new record file " + path +
                                   " (a sync policy other than never needs it: make the "
                                   "directory readable, or sync never)");
        int synced = ::fsync(dir_fd);
        int err = errno;
        ::close(dir_fd);
        if (synced != 0)
            throw Error(err, "fsync of directory " + dir.string() + " for new record file " + path);
    }

    // Whether the file is empty or holds a prefix of our magic shorter than
    // the header: a creation the last run did not finish. Anything else
    // short is someone else's file, and RecordFile refuses it.
    bool interrupted_creation(uint64_t size) const {
        if (size >= sizeof(FileHeader))
            return false;
        char head[sizeof(FileHeader)];
        ssize_t n = ::pread(fd, head, size, 0);
        return n == static_cast<ssize_t>(size) &&
               std::memcmp(head, kMagic, std::min<uint64_t>(size, sizeof(kMagic))) == 0;
    }

    void declare(const std::string& name, const std::string& record_type, uint64_t cookie,
                 uint64_t data_size, uint16_t id) {
        size_t strings = name.size() + 1 + (record_type.empty() ? 0 : record_type.size() + 1);
        std::vector<std::byte> payload(sizeof(RingPayload) + ((strings + 7) & ~size_t{7}));
        RingPayload ring{cookie, data_size};
        std::memcpy(payload.data(), &ring, sizeof(ring));
        std::memcpy(payload.data() + sizeof(ring), name.data(), name.size());
        std::memcpy(payload.data() + sizeof(ring) + name.size() + 1, record_type.data(),
                    record_type.size());
        ChunkHeader header = make_chunk_header(kRingChunk, id, 0, payload, true);
        ChunkTrailer trailer = make_chunk_trailer(header);
        appender->append(header, payload, trailer);
        RecordedRing declared;
        declared.id = id;
        declared.name = name;
        declared.record_type = record_type;
        declared.cookie = cookie;
        declared.data_size = data_size;
        known.push_back(declared);
    }

    // Where the ring resumes: skips what the file already holds past the
    // consumer position. Returns the ring's id.
    uint16_t resume(const RingView& view, const std::string& name, uint64_t cookie,
                    const std::string& record_type) {
        auto it = std::find_if(known.begin(), known.end(),
                               [&](const RecordedRing& r) { return cookie && r.cookie == cookie; });
        if (it == known.end()) {
            bool renamed = std::any_of(known.begin(), known.end(),
                                       [&](const RecordedRing& r) { return r.name == name; });
            if (next_id > UINT16_MAX)
                throw Error(ENOSPC, path + ": 65536 rings declared already: start a new file");
            auto id = static_cast<uint16_t>(next_id++);
            if (renamed && cookie)
                notes += "ring " + name + " is not the ring of that name the file has (a " +
                         "new cookie: it was created anew); recording it as ring id " +
                         std::to_string(id) + "\n";
            else if (renamed)
                notes += "ring " + name +
                         " has no cookie, so it cannot be resumed: recording it as ring id " +
                         std::to_string(id) + "\n";
            declare(name, record_type, cookie, view.data_size, id);
            return id;
        }
        if (!record_type.empty() && record_type != it->record_type)
            throw Error(EINVAL, path + ": ring " + name + " is recorded there with " +
                                    (it->record_type.empty() ? std::string("no record type")
                                                             : "record type " + it->record_type) +
                                    ", not " + record_type + ": record it into another file");
        if (!it->has_records)
            return it->id;
        uint64_t cons = detail::consumer_position(view);
        uint64_t prod = detail::RingReader(view, cons).producer_position();
        uint64_t end = it->end_pos;
        if (end > prod)
            throw Error(EINVAL, path + ": ring " + name + " was recorded up to position " +
                                    std::to_string(end) + ", past what it has produced (" +
                                    std::to_string(prod) + "): not this file's ring?");
        if (end > cons) {
            detail::publish_consumer_position(view, end);
            stats.skipped_bytes += end - cons;
            notes += "ring " + name + ": skipped " + std::to_string(end - cons) +
                     " bytes the file already has (written, not yet acknowledged)\n";
        } else if (end < cons) {
            notes += "ring " + name + ": " + std::to_string(cons - end) +
                     " bytes were consumed by someone else since the file's last record: " +
                     "they are not in the file\n";
        }
        return it->id;
    }

    void add(const RingView& view, int wait_fd, const std::string& name, uint64_t cookie,
             const std::string& record_type) {
        if (!view.consumer_pos || !view.producer_pos || !view.data || view.data_size == 0 ||
            (view.data_size & (view.data_size - 1)))
            throw Error(EINVAL, "kring::Recorder::add of a ring that is not mapped");
        if (name.empty() || name.size() > kMaxNameLength)
            throw Error(EINVAL, "kring::Recorder::add: a ring name has 1 to " +
                                    std::to_string(kMaxNameLength) + " bytes");
        if (record_type.size() > kMaxTypeLength || record_type.find('\0') != std::string::npos)
            throw Error(EINVAL, "kring::Recorder::add: a record type has at most " +
                                    std::to_string(kMaxTypeLength) + " bytes, no NUL");
        uint16_t id = resume(view, name, cookie, record_type);
        sources.push_back(Source{view, id, detail::consumer_position(view)});
        polls.add(wait_fd);
    }

    uint64_t max_chunk(const Source& s) const {
        uint64_t limit = options.max_chunk ? options.max_chunk : s.view.data_size / 4;
        return std::clamp<uint64_t>(limit, 8, UINT32_MAX & ~7ULL);
    }

    // The committed records from `s.written`: up to the first busy one, the
    // producer position or the chunk limit (always at least one whole
    // record if one is committed). Returns the end; counts committed ones.
    uint64_t committed_span(const Source& s, uint64_t* records) const {
        const uint64_t limit = max_chunk(s);
        detail::RingReader reader(s.view, s.written);
        *records = 0;
        while (std::optional<detail::CommittedRecord> record = reader.committed()) {
            if (reader.position() != s.written && record->end - s.written > limit)
                break;
            if (!record->discarded())
                (*records)++;
            reader.advance(*record);
        }
        return reader.position();
    }

    // Writes what is committed, acknowledging as it goes, then starts a
    // sync if one is due (`force`: if anything is not yet durable). Per
    // ring at most a ring's worth, so that it returns while producers keep
    // up. Returns the records acknowledged.
    uint64_t write_committed(bool force_sync = false) {
        if (failure)
            throw *failure;
        if (closed)
            throw Error(EINVAL, "kring::Recorder of " + path + " used after close()");
        uint64_t records = 0;
        for (size_t i = 0; i < sources.size(); i++) {
            Source& s = sources[i];
            for (uint64_t start = s.written; s.written - start < s.view.data_size;) {
                uint64_t count;
                uint64_t end = committed_span(s, &count);
                if (end == s.written)
                    break;
                write_chunk(i, end, count);
                records += acknowledge();
            }
        }
        if (!sync_in_flight && sync_due(Clock::now(), force_sync))
            start_sync();
        return records;
    }

    // Appends the span from `written` to `end` as one chunk, from the ring's
    // mapping as it is: the double mapping makes a span that wraps the end
    // of the data area contiguous.
    void write_chunk(size_t index, uint64_t end, uint64_t records) {
        Source& s = sources[index];
        const std::byte* span = s.view.data + (s.written & (s.view.data_size - 1));
        uint64_t length = end - s.written;
        ChunkHeader header =
            make_chunk_header(kRecordsChunk, s.id, s.written,
                              std::span<const std::byte>(span, length), options.checksum);
        ChunkTrailer trailer = make_chunk_trailer(header);
        const uint64_t total = sizeof(header) + length + sizeof(trailer);
        try {
            appender->append(header, std::span<const std::byte>(span, length), trailer);
        } catch (const Error& error) {
            fail(error);
        }
        pending.push_back(Chunk{index, end, records, total, Clock::now()});
        s.written = end;
        stats.writes++;
    }

    // Whether a chunk waits for a sync to make it durable.
    static bool awaits_sync(const Chunk& c) { return !c.durable && !c.in_sync; }

    // The oldest chunk that awaits a sync, or pending.end(): chunks are
    // written in file order, so it is the first.
    std::deque<Chunk>::const_iterator oldest_awaiting_sync() const {
        return std::find_if(pending.begin(), pending.end(), awaits_sync);
    }

    // Whether some ring has half its space in chunks not yet durable.
    bool ring_half_held() const {
        for (size_t i = 0; i < sources.size(); i++) {
            uint64_t held = 0;
            for (const Chunk& c : pending)
                held += c.source == i && !c.durable ? c.total : 0;
            if (held >= sources[i].view.data_size / 2)
                return true;
        }
        return false;
    }

    // Whether the policy wants a sync now, for the chunks that await one.
    bool sync_due(Clock::time_point now, bool force) const {
        const SyncPolicy& policy = options.sync;
        if (policy.never())
            return false;
        auto oldest = oldest_awaiting_sync();
        if (oldest == pending.end())
            return false;
        uint64_t bytes = 0;
        for (auto c = oldest; c != pending.end(); ++c)
            bytes += awaits_sync(*c) ? c->total : 0;
        return force || (policy.bytes && bytes >= policy.bytes) ||
               (policy.interval.count() > 0 && now - oldest->written_at >= policy.interval) ||
               ring_half_held();
    }

    // How long until the interval makes a sync due for what is written, if
    // nothing else is in flight; nullopt if the interval never will.
    std::optional<Clock::duration> until_sync_due(Clock::time_point now) const {
        auto oldest = oldest_awaiting_sync();
        if (options.sync.interval.count() <= 0 || oldest == pending.end())
            return std::nullopt;
        return std::max(Clock::duration::zero(), oldest->written_at + options.sync.interval - now);
    }

    // An fdatasync for every chunk that awaits one: all are written already.
    void start_sync() {
        for (Chunk& c : pending)
            c.in_sync = c.in_sync || awaits_sync(c);
        io_uring_sqe* sqe = polls.sqe("a sync");
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sqe, kSyncTag);
        if (int err = io_uring_submit(polls.ring()); err < 0)
            throw Error(-err, "io_uring_submit of an fdatasync of record file " + path);
        sync_in_flight = true;
    }

    void complete(const io_uring_cqe& cqe) {
        if (cqe.user_data != kSyncTag)
            return; // not ours: a withdrawn poll's last completion
        sync_in_flight = false;
        for (Chunk& c : pending) {
            c.durable = c.durable || (c.in_sync && cqe.res == 0);
            c.in_sync = false;
        }
        if (cqe.res < 0)
            // After a failed fdatasync the kernel may have dropped the dirty
            // pages: what it covered can never be known durable.
            fail(Error(-cqe.res, "fdatasync of record file " + path));
        stats.syncs++;
    }

    // Remembers the first failure, after which nothing more is acknowledged.
    [[noreturn]] void fail(const Error& error) {
        if (!failure)
            failure = error;
        throw error;
    }

    // Gives the producers back the space of every chunk written (and, if
    // the policy syncs, made durable) in file order, from the front.
    uint64_t acknowledge() {
        uint64_t records = 0;
        const bool need_sync = !options.sync.never();
        while (!failure && !pending.empty() && (!need_sync || pending.front().durable)) {
            const Chunk& c = pending.front();
            detail::publish_consumer_position(sources[c.source].view, c.end_pos);
            records += c.records;
            stats.records += c.records;
            stats.bytes += c.total - sizeof(ChunkHeader) - sizeof(ChunkTrailer);
            pending.pop_front();
        }
        return records;
    }

    uint64_t reap(std::chrono::milliseconds timeout) {
        polls.wait(timeout, [this](const io_uring_cqe& cqe) { complete(cqe); });
        return acknowledge();
    }

    // How long poll() may sleep: not at all if data is waiting; until a
    // completion while a sync is in flight; else up to `timeout`, until a
    // sync falls due, and at most kLaggingTick while written chunks await a
    // sync. Then the consumer position lags behind what was written, and
    // a producer wakes the consumer only if its commit finds the consumer
    // position at its own record (the self-pacing wakeup): no wakeup would
    // come for the records produced meanwhile, so the recorder looks itself.
    std::chrono::milliseconds wait_time(std::chrono::milliseconds timeout) const {
        using std::chrono::milliseconds;
        if (data_waiting())
            return milliseconds(0);
        if (sync_in_flight)
            return milliseconds(-1);
        if (pending.empty())
            return timeout;
        auto cap = [&](milliseconds limit) {
            return timeout.count() < 0 ? limit : std::min(timeout, limit);
        };
        milliseconds wait = kLaggingTick;
        if (std::optional<Clock::duration> due = until_sync_due(Clock::now()))
            // Rounded up, so that the sync is due when the wait ends.
            wait = std::min(wait, std::chrono::ceil<milliseconds>(*due));
        return cap(wait);
    }

    // Whether any ring has a committed record past what is written: the
    // check before a sleep, which no wakeup can race when every chunk is
    // acknowledged (each consumer position is at what was written).
    bool data_waiting() const {
        return std::any_of(sources.begin(), sources.end(), [](const Source& s) {
            return detail::RingReader(s.view, s.written).committed_after_fence();
        });
    }

    std::string path;
    Options options;
    detail::UringPolls polls;
    int fd = -1;
    std::optional<detail::ChunkAppender> appender; // once the file's end is known
    std::vector<RecordedRing> known;
    unsigned next_id = 0;
    std::vector<Source> sources;
    std::deque<Chunk> pending; // written, not yet acknowledged, in file order
    bool sync_in_flight = false;
    bool closed = false;
    std::optional<Error> failure; // the first failed write or sync
    Stats stats;
    std::string notes;
};

Recorder::Recorder(const std::string& path, const Options& options)
    : impl_(std::make_unique<Impl>(path, options)) {}

Recorder::~Recorder() = default;

void Recorder::add(const Ring& ring, const std::string& name, const std::string& record_type) {
    uint64_t cookie = 0;
    kring_query q{};
    // A Linux BPF ring buffer map has no cookie (and no KRING_IOC_QUERY).
    if (::ioctl(ring.fd(), KRING_IOC_QUERY, &q) == 0)
        cookie = q.cookie;
    impl_->add(ring.view(), ring.fd(), name, cookie, record_type);
}

void Recorder::add(const RingView& view, int wait_fd, const std::string& name, uint64_t cookie,
                   const std::string& record_type) {
    impl_->add(view, wait_fd, name, cookie, record_type);
}

uint64_t Recorder::poll(std::chrono::milliseconds timeout) {
    uint64_t records = impl_->write_committed();
    // With a sync in flight, its completion wakes us. Without, a producer
    // does; but data that came after write_committed() (or a busy record at
    // the head of a ring) must not wait for that, nor a sync for the next
    // record.
    records += impl_->reap(impl_->wait_time(timeout));
    return records + impl_->write_committed();
}

uint64_t Recorder::flush() {
    uint64_t records = 0;
    for (;;) {
        records += impl_->write_committed(true);
        if (impl_->pending.empty())
            return records;
        records += impl_->reap(std::chrono::milliseconds(-1));
    }
}

void Recorder::close() {
    impl_->close();
}

const Recorder::Stats& Recorder::stats() const {
    return impl_->stats;
}

bool Recorder::direct_io() const {
    return impl_->appender->direct();
}

const std::string& Recorder::notes() const {
    return impl_->notes;
}

} // namespace kring
