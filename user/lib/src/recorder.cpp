// kring::Recorder: rings to a record file with io_uring, straight from the
// mapped rings, acknowledging a span only once it is written.
//
// Per ring there are two positions: `submitted`, up to which writes have been
// queued, and the consumer position, up to which writes have completed (and,
// under a sync policy, been made durable by an fdatasync). The producers get
// space back only at the second. Writes complete in any order, but the
// consumer positions advance in file order only (the queue of pending writes
// is acknowledged from its front), so that what a crash leaves in the file up
// to its first broken chunk is everything acknowledged and maybe more: never
// a hole before an acknowledged record. A restart cuts the file at its first
// broken chunk and skips, per ring, what the file holds past the consumer
// position (written, but the crash came before the acknowledgement).
//
// A sync covers exactly the writes whose completion was seen before it was
// submitted, and the writes linked ahead of it (IOSQE_IO_LINK: it starts
// only once they have completed). A write still running when a sync is
// submitted may land after the sync has flushed, so that sync does not cover
// it; the next one does.
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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace kring {

using namespace record_file;

namespace {

void write_all(int fd, const void* data, size_t len, uint64_t offset, const std::string& path) {
    const auto* p = static_cast<const char*>(data);
    while (len) {
        ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Error(n < 0 ? errno : EIO,
                        "write to record file " + path + " at offset " + std::to_string(offset));
        p += n;
        len -= static_cast<size_t>(n);
        offset += static_cast<uint64_t>(n);
    }
}

} // namespace

struct Recorder::Impl {
    struct Source {
        RingView view;
        uint16_t id;
        uint64_t submitted; // writes are queued up to here
    };
    using Clock = std::chrono::steady_clock;
    // One chunk write: the header from here, the records from the ring.
    struct Write {
        size_t source;
        uint64_t end_pos; // the ring position after the chunk
        uint64_t records;
        uint64_t offset;
        uint64_t total;
        ChunkHeader header;
        ChunkTrailer trailer;
        iovec iov[3];
        io_uring_sqe* sqe = nullptr; // until submitted: where a link is set
        bool completed = false;      // its CQE came
        bool done = false;           // and it wrote everything
        Clock::time_point done_at;
        bool in_sync = false; // the sync in flight covers it
        bool durable = false; // a completed sync covered it
    };
    // Writes have user data (sequence << 2) | 1; polls are 8-aligned
    // addresses; the one sync in flight is this.
    static constexpr uint64_t kSyncTag = 2;
    // How often the rings are looked at while written chunks await a sync.
    static constexpr std::chrono::milliseconds kLaggingTick{10};

    Impl(const std::string& file_path, const Options& opts)
        : path(file_path), options(opts),
          polls(UringOptions{nullptr, opts.multishot_poll, std::max(opts.queue_depth, 1u) + 64},
                "a kring::Recorder") {
        options.queue_depth = std::max(options.queue_depth, 1u);
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

    // The kernel may still be reading our headers and the rings for writes
    // in flight: let them finish before anything is freed or unmapped; then
    // make what they wrote durable and acknowledge it. Throws the first
    // failure, once every write has completed.
    void close() {
        closed = true;
        while (writing || sync_in_flight) {
            try {
                reap(std::chrono::milliseconds(-1));
            } catch (const Error&) {
                // Remembered in `failure`; the rest must complete first.
            }
        }
        if (!failure && !options.sync.never() &&
            std::any_of(pending.begin(), pending.end(), [](const Write& w) { return w.done; })) {
            if (::fdatasync(fd) != 0)
                failure = Error(errno, "fdatasync of record file " + path);
            else
                stats.syncs++;
            for (Write& w : pending)
                w.durable = !failure && w.done;
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
            write_all(fd, &header, sizeof(header), 0, path);
            file_end = sizeof(header);
            return;
        }
        RecordFile existing(path);
        bool sound = existing.read([](const RecordedRecord&) { return true; });
        known = existing.rings();
        file_end = existing.sound_end();
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
        // One write, as for records, so that the trailer lands last.
        std::vector<std::byte> chunk(sizeof(header) + payload.size() + sizeof(trailer));
        std::memcpy(chunk.data(), &header, sizeof(header));
        std::memcpy(chunk.data() + sizeof(header), payload.data(), payload.size());
        std::memcpy(chunk.data() + sizeof(header) + payload.size(), &trailer, sizeof(trailer));
        write_all(fd, chunk.data(), chunk.size(), file_end, path);
        file_end += chunk.size();
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

    // The committed records from `s.submitted`: up to the first busy one,
    // the producer position or the chunk limit (always at least one whole
    // record if one is committed). Returns the end; counts committed ones.
    uint64_t committed_span(const Source& s, uint64_t* records) const {
        const uint64_t limit = max_chunk(s);
        detail::RingReader reader(s.view, s.submitted);
        *records = 0;
        while (std::optional<detail::CommittedRecord> record = reader.committed()) {
            if (reader.position() != s.submitted && record->end - s.submitted > limit)
                break;
            if (!record->discarded())
                (*records)++;
            reader.advance(*record);
        }
        return reader.position();
    }

    // Queues writes of what is committed, up to the queue depth, then a
    // sync if one is due (`force`: if anything is not yet durable), linked
    // after the writes just queued.
    void submit_writes(bool force_sync = false) {
        if (failure)
            throw *failure;
        if (closed)
            throw Error(EINVAL, "kring::Recorder of " + path + " used after close()");
        // Room for every write and the sync, so that no chain is submitted
        // in two parts (a cut chain would not order the sync after them).
        if (io_uring_sq_space_left(polls.ring()) < options.queue_depth + 1)
            if (int err = io_uring_submit(polls.ring()); err < 0)
                throw Error(-err, "io_uring_submit for record file " + path);
        const size_t first_new = pending.size();
        for (bool progress = true; progress && writing < options.queue_depth;) {
            progress = false;
            for (size_t i = 0; i < sources.size() && writing < options.queue_depth; i++) {
                Source& s = sources[i];
                uint64_t records;
                uint64_t end = committed_span(s, &records);
                if (end == s.submitted)
                    continue;
                queue_write(i, end, records);
                progress = true;
            }
        }
        bool queued = pending.size() > first_new;
        if (!sync_in_flight && sync_due(Clock::now(), force_sync, first_new)) {
            queue_sync(first_new);
            queued = true;
        }
        for (size_t i = first_new; i < pending.size(); i++)
            pending[i].sqe = nullptr;
        if (queued)
            if (int err = io_uring_submit(polls.ring()); err < 0)
                throw Error(-err, "io_uring_submit of writes to record file " + path);
    }

    // Whether a write is waiting for a sync to make it durable: written
    // (`done`), or queued just now (`index >= first_new`) and so linkable.
    bool awaits_sync(const Write& w, size_t index, size_t first_new) const {
        return !w.durable && !w.in_sync && (w.done || index >= first_new);
    }

    // When the oldest written chunk that awaits a sync was written.
    std::optional<Clock::time_point> oldest_unsynced_write() const {
        std::optional<Clock::time_point> oldest;
        for (const Write& w : pending)
            if (w.done && !w.durable && !w.in_sync && (!oldest || w.done_at < *oldest))
                oldest = w.done_at;
        return oldest;
    }

    // Whether some ring has half its space in chunks not yet durable.
    bool ring_half_held() const {
        for (size_t i = 0; i < sources.size(); i++) {
            uint64_t held = 0;
            for (const Write& w : pending)
                held += w.source == i && !w.durable ? w.total : 0;
            if (held >= sources[i].view.data_size / 2)
                return true;
        }
        return false;
    }

    // Whether the policy wants a sync now, for the writes that await one.
    bool sync_due(Clock::time_point now, bool force, size_t first_new) const {
        const SyncPolicy& policy = options.sync;
        if (policy.never())
            return false;
        uint64_t bytes = 0;
        bool any = false;
        for (size_t i = 0; i < pending.size(); i++)
            if (awaits_sync(pending[i], i, first_new)) {
                any = true;
                bytes += pending[i].total;
            }
        if (!any)
            return false;
        std::optional<Clock::time_point> oldest = oldest_unsynced_write();
        return force || (policy.bytes && bytes >= policy.bytes) ||
               (policy.interval.count() > 0 && oldest && now - *oldest >= policy.interval) ||
               ring_half_held();
    }

    // How long until the interval makes a sync due for what is written, if
    // nothing else is in flight; nullopt if the interval never will.
    std::optional<Clock::duration> until_sync_due(Clock::time_point now) const {
        std::optional<Clock::time_point> oldest = oldest_unsynced_write();
        if (options.sync.interval.count() <= 0 || !oldest)
            return std::nullopt;
        return std::max(Clock::duration::zero(), *oldest + options.sync.interval - now);
    }

    // An fdatasync for every write that awaits one: the written ones, and
    // the ones just queued, linked ahead of it.
    void queue_sync(size_t first_new) {
        for (size_t i = 0; i < pending.size(); i++) {
            Write& w = pending[i];
            if (!awaits_sync(w, i, first_new))
                continue;
            w.in_sync = true;
            if (i >= first_new)
                w.sqe->flags |= IOSQE_IO_LINK;
        }
        io_uring_sqe* sqe = polls.sqe("a sync");
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sqe, kSyncTag);
        sync_in_flight = true;
    }

    void queue_write(size_t index, uint64_t end, uint64_t records) {
        Source& s = sources[index];
        const std::byte* span = s.view.data + (s.submitted & (s.view.data_size - 1));
        uint64_t length = end - s.submitted;
        // The double mapping makes a span that wraps the end of the data
        // area contiguous: it is written from the mapping as it is.
        Write& w = pending.emplace_back();
        w.source = index;
        w.end_pos = end;
        w.records = records;
        w.offset = file_end;
        w.total = sizeof(ChunkHeader) + length + sizeof(ChunkTrailer);
        w.header = make_chunk_header(kRecordsChunk, s.id, s.submitted,
                                     std::span<const std::byte>(span, length), options.checksum);
        w.trailer = make_chunk_trailer(w.header);
        w.iov[0] = iovec{&w.header, sizeof(w.header)};
        w.iov[1] = iovec{const_cast<std::byte*>(span), length};
        w.iov[2] = iovec{&w.trailer, sizeof(w.trailer)};
        io_uring_sqe* sqe = polls.sqe("a write");
        io_uring_prep_writev(sqe, fd, w.iov, 3, w.offset);
        io_uring_sqe_set_data64(sqe, ((first_seq + pending.size() - 1) << 2) | 1);
        w.sqe = sqe;
        writing++;
        file_end += w.total;
        s.submitted = end;
    }

    void complete(const io_uring_cqe& cqe) {
        if (cqe.user_data == kSyncTag)
            return complete_sync(cqe);
        if ((cqe.user_data & 3) != 1)
            return; // not ours: a withdrawn poll's last completion
        uint64_t seq = cqe.user_data >> 2;
        if (seq < first_seq || seq - first_seq >= pending.size())
            return;
        Write& w = pending[seq - first_seq];
        w.completed = true;
        writing--;
        if (cqe.res < 0)
            fail(Error(-cqe.res, "write of " + std::to_string(w.total) + " bytes to " + path +
                                     " at offset " + std::to_string(w.offset) +
                                     (cqe.res == -ENOSPC ? " (the disk is full)" : "")));
        if (static_cast<uint64_t>(cqe.res) != w.total)
            fail(Error(EIO, "write to " + path + " at offset " + std::to_string(w.offset) + ": " +
                                std::to_string(cqe.res) + " of " + std::to_string(w.total) +
                                " bytes written (the disk is full?)"));
        w.done = true;
        w.done_at = Clock::now();
    }

    void complete_sync(const io_uring_cqe& cqe) {
        sync_in_flight = false;
        for (Write& w : pending) {
            // With links, a covered write completed before the sync began
            // (its own completion may come after this one's).
            w.durable = w.durable || (w.in_sync && cqe.res == 0);
            w.in_sync = false;
        }
        if (cqe.res < 0)
            // After a failed fdatasync the kernel may have dropped the dirty
            // pages: what it covered can never be known durable.
            fail(Error(-cqe.res, "fdatasync of record file " + path +
                                     (cqe.res == -ECANCELED ? " (a write before it failed)" : "")));
        stats.syncs++;
    }

    // Remembers the first failure, after which nothing more is acknowledged.
    [[noreturn]] void fail(const Error& error) {
        if (!failure)
            failure = error;
        throw error;
    }

    // Gives the producers back the space of every write completed (and, if
    // the policy syncs, made durable) in file order, from the front.
    uint64_t acknowledge() {
        uint64_t records = 0;
        const bool need_sync = !options.sync.never();
        while (!failure && !pending.empty() && pending.front().done &&
               (!need_sync || pending.front().durable)) {
            const Write& w = pending.front();
            // The kernel's reads of the span for the write are done (its
            // completion came first): the space is the producers' again.
            detail::publish_consumer_position(sources[w.source].view, w.end_pos);
            records += w.records;
            stats.records += w.records;
            stats.bytes += w.total - sizeof(ChunkHeader) - sizeof(ChunkTrailer);
            stats.writes++;
            pending.pop_front();
            first_seq++;
        }
        return records;
    }

    uint64_t reap(std::chrono::milliseconds timeout) {
        polls.wait(timeout, [this](const io_uring_cqe& cqe) { complete(cqe); });
        return acknowledge();
    }

    // How long poll() may sleep: until a completion while something is in
    // flight, not at all if data is waiting, else up to `timeout`, until a
    // sync falls due, and at most kLaggingTick while written chunks await a
    // sync. Then the consumer position lags behind what was written, and
    // a producer wakes the consumer only if its commit finds the consumer
    // position at its own record (the self-pacing wakeup): no wakeup would
    // come for the records produced meanwhile, so the recorder looks itself.
    std::chrono::milliseconds wait_time(std::chrono::milliseconds timeout) const {
        using std::chrono::milliseconds;
        if (writing || sync_in_flight)
            return milliseconds(-1);
        if (data_waiting())
            return milliseconds(0);
        auto cap = [&](milliseconds limit) {
            return timeout.count() < 0 ? limit : std::min(timeout, limit);
        };
        if (options.sync.never() ||
            std::none_of(pending.begin(), pending.end(), [](const Write& w) { return !w.durable; }))
            return timeout;
        milliseconds wait = kLaggingTick;
        if (std::optional<Clock::duration> due = until_sync_due(Clock::now()))
            // Rounded up, so that the sync is due when the wait ends.
            wait = std::min(wait, std::chrono::ceil<milliseconds>(*due));
        return cap(wait);
    }

    // Whether any ring has a committed record past what is queued: the
    // check before a sleep. Only called with nothing in flight, when each
    // consumer position is at what was queued.
    bool data_waiting() const {
        return std::any_of(sources.begin(), sources.end(), [](const Source& s) {
            return detail::RingReader(s.view, s.submitted).committed_after_fence();
        });
    }

    std::string path;
    Options options;
    detail::UringPolls polls;
    int fd = -1;
    uint64_t file_end = 0;
    std::vector<RecordedRing> known;
    unsigned next_id = 0;
    std::vector<Source> sources;
    std::deque<Write> pending; // not yet acknowledged, in file order
    uint64_t first_seq = 0;    // the sequence number of pending.front()
    unsigned writing = 0;      // writes whose completion has not come
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
    impl_->submit_writes();
    // With writes or a sync in flight, their completions wake us. Without,
    // a producer does; but data that came after submit_writes() (or a busy
    // record at the head of a ring) must not wait for that, nor a sync for
    // the next record.
    uint64_t records = impl_->reap(impl_->wait_time(timeout));
    impl_->submit_writes();
    return records;
}

uint64_t Recorder::flush() {
    uint64_t records = 0;
    for (;;) {
        impl_->submit_writes(true);
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

const std::string& Recorder::notes() const {
    return impl_->notes;
}

} // namespace kring
