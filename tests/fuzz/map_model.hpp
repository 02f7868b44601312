// What the fuzzed programs' maps (prog.hpp, fuzz_map) hold during one run,
// the same for the checking interpreter and for the module's interpreter
// (real_run): which entries exist, which one a lookup finds, and what
// map_update_elem and map_delete_elem return, as Linux's ARRAY and HASH
// maps answer. Entries are numbered; each interpreter keeps the value of
// entry n in memory of its own, zeroed when the entry is made.
#pragma once

#include "prog.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace fuzz {

// Index 0, the key of a single-entry array's one value (wide enough for
// every map's key).
inline constexpr uint8_t kZeroKey[8] = {};

class MapModel {
public:
    // @hash_keys_present: a HASH map starts with every key (until deleted),
    // so that lookups find values; else only the keys updated are there.
    explicit MapModel(bool hash_keys_present) : hash_keys_present_(hash_keys_present) {}

    // The entry a lookup of @key in map @m finds, or -1.
    int lookup(int m, const uint8_t* key) {
        Key k = make_key(m, key);
        if (fuzz_map(m).type == BPF_MAP_TYPE_ARRAY)
            return array_index(m, key) < fuzz_map(m).max_entries ? entry(k) : -1;
        return present(k) ? entry(k) : -1;
    }

    // map_update_elem's result; *@written: the entry whose value it
    // replaces, or -1 when it fails.
    int64_t update(int m, const uint8_t* key, uint64_t flags, int* written) {
        Key k = make_key(m, key);
        *written = -1;
        if (flags > BPF_EXIST)
            return -EINVAL;
        if (fuzz_map(m).type == BPF_MAP_TYPE_ARRAY) {
            if (array_index(m, key) >= fuzz_map(m).max_entries)
                return -E2BIG;
            if (flags == BPF_NOEXIST)
                return -EEXIST;
        } else {
            bool there = present(k);
            if (flags == BPF_NOEXIST && there)
                return -EEXIST;
            if (flags == BPF_EXIST && !there)
                return -ENOENT;
            if (!there && !hash_keys_present_ && count(m) >= fuzz_map(m).max_entries)
                return -E2BIG;
            deleted_.erase(k);
        }
        *written = entry(k);
        return 0;
    }

    // map_delete_elem's result. A deleted entry's memory stays valid for
    // the rest of the run (as a value a program still points to does
    // until its RCU grace period), but a later lookup does not find it.
    int64_t remove(int m, const uint8_t* key) {
        if (fuzz_map(m).type == BPF_MAP_TYPE_ARRAY)
            return -EINVAL;
        Key k = make_key(m, key);
        if (!present(k))
            return -ENOENT;
        entries_.erase(k);
        deleted_.insert(k);
        return 0;
    }

    // Entries made so far (the numbers lookup and update return).
    int entries_made() const { return next_; }

private:
    using Key = std::pair<int, std::vector<uint8_t>>;
    std::map<Key, int> entries_;
    std::set<Key> deleted_;
    int next_ = 0;
    bool hash_keys_present_;

    static Key make_key(int m, const uint8_t* key) {
        return {m, std::vector<uint8_t>(key, key + fuzz_map(m).key_size)};
    }
    static uint32_t array_index(int, const uint8_t* key) {
        uint32_t i;
        memcpy(&i, key, sizeof(i));
        return i;
    }
    bool present(const Key& k) const {
        return entries_.count(k) || (hash_keys_present_ && !deleted_.count(k));
    }
    uint32_t count(int m) const {
        uint32_t n = 0;
        for (const auto& [k, e] : entries_)
            n += k.first == m;
        return n;
    }
    int entry(const Key& k) {
        auto it = entries_.find(k);
        if (it != entries_.end())
            return it->second;
        entries_[k] = next_;
        return next_++;
    }
};

} // namespace fuzz
