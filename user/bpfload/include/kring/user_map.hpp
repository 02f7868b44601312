// A Linux BPF map simulated in userspace memory, for programs that kring-run
// runs without a kernel: ARRAY, HASH and LRU_HASH, and their per-CPU forms
// as seen from one CPU. Lookups, updates and deletes answer as Linux's
// map_lookup_elem, map_update_elem and map_delete_elem helpers do. A
// CGROUP_ARRAY is an ARRAY whose slots stay empty (no cgroup fds here).
//
// Thread safety: none; one program run at a time, as kring-run runs them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

namespace kring {

class UserMap {
public:
    // Throws kring::Error (EINVAL) for another type or a zero size.
    UserMap(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries);
    UserMap(const UserMap&) = delete;
    UserMap& operator=(const UserMap&) = delete;

    // The value of `key` (key_size bytes), or nullptr. A value keeps its
    // address for the map's lifetime, deleted or not, as one a program
    // still points to stays valid until its RCU grace period in Linux.
    std::byte* lookup(const void* key);
    // 0, or -EINVAL (bad flags, deleting from an array), -E2BIG (past an
    // array's end, or a full hash), -EEXIST (BPF_NOEXIST on an entry),
    // -ENOENT (BPF_EXIST or delete of no entry). A full LRU hash evicts
    // its least recently used entry instead.
    int64_t update(const void* key, const void* value, uint64_t flags);
    int64_t remove(const void* key);

    // The entries, ordered by their keys' bytes (an array's every index).
    std::vector<std::pair<std::vector<std::byte>, std::span<const std::byte>>> entries() const;

    uint32_t type() const { return type_; }
    uint32_t key_size() const { return key_size_; }
    uint32_t value_size() const { return value_size_; }
    uint32_t max_entries() const { return max_entries_; }

private:
    using Key = std::vector<std::byte>;
    struct Entry {
        std::unique_ptr<std::byte[]> value;
        uint64_t last_use = 0;
    };
    bool is_array() const;
    bool is_lru() const;
    Key key_of(const void* key) const;
    std::byte* new_value();

    uint32_t type_, key_size_, value_size_, max_entries_;
    std::map<Key, Entry> entries_;
    std::vector<std::unique_ptr<std::byte[]>> deleted_; // see lookup()
    uint64_t clock_ = 0;
};

} // namespace kring
