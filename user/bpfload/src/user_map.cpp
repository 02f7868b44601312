#include <cerrno>
#include <cstring>
#include <kring/kring.hpp>
#include <kring/user_map.hpp>
#include <linux/bpf.h>

extern "C" {
#include "helpers.h"
}

namespace kring {

UserMap::UserMap(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries)
    : type_(type), key_size_(key_size), value_size_(value_size), max_entries_(max_entries) {
    if (!kbpf_map_type_supported(type))
        throw Error(EINVAL,
                    "map type " + describe_bpf_map_type(type) + " is not simulated in userspace");
    if (!key_size || !value_size || !max_entries || (is_array() && key_size != 4))
        throw Error(EINVAL, "a map needs nonzero key and value sizes and max_entries (an "
                            "array's key is 4 bytes)");
    if (is_array()) // every index exists, zeroed
        for (uint32_t i = 0; i < max_entries; i++)
            entries_[key_of(&i)].value.reset(new_value());
}

bool UserMap::is_array() const {
    return type_ == BPF_MAP_TYPE_ARRAY || type_ == BPF_MAP_TYPE_PERCPU_ARRAY ||
           type_ == BPF_MAP_TYPE_CGROUP_ARRAY;
}

bool UserMap::is_lru() const {
    return type_ == BPF_MAP_TYPE_LRU_HASH || type_ == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

UserMap::Key UserMap::key_of(const void* key) const {
    const auto* bytes = static_cast<const std::byte*>(key);
    return Key(bytes, bytes + key_size_);
}

std::byte* UserMap::new_value() {
    auto* value = new std::byte[value_size_];
    std::memset(value, 0, value_size_);
    return value;
}

std::byte* UserMap::lookup(const void* key) {
    auto it = entries_.find(key_of(key));
    if (it == entries_.end())
        return nullptr;
    it->second.last_use = ++clock_;
    return it->second.value.get();
}

int64_t UserMap::update(const void* key, const void* value, uint64_t flags) {
    if (flags > BPF_EXIST)
        return -EINVAL;
    auto it = entries_.find(key_of(key));
    if (is_array()) {
        if (it == entries_.end())
            return -E2BIG;
        if (flags == BPF_NOEXIST)
            return -EEXIST;
    } else if (it != entries_.end() && flags == BPF_NOEXIST) {
        return -EEXIST;
    } else if (it == entries_.end() && flags == BPF_EXIST) {
        return -ENOENT;
    }
    if (it == entries_.end()) {
        if (entries_.size() >= max_entries_) {
            if (!is_lru())
                return -E2BIG;
            auto oldest = entries_.begin();
            for (auto e = entries_.begin(); e != entries_.end(); ++e)
                if (e->second.last_use < oldest->second.last_use)
                    oldest = e;
            deleted_.push_back(std::move(oldest->second.value));
            entries_.erase(oldest);
        }
        it = entries_.emplace(key_of(key), Entry{}).first;
        it->second.value.reset(new_value());
    }
    std::memcpy(it->second.value.get(), value, value_size_);
    it->second.last_use = ++clock_;
    return 0;
}

int64_t UserMap::remove(const void* key) {
    if (is_array())
        return -EINVAL;
    auto it = entries_.find(key_of(key));
    if (it == entries_.end())
        return -ENOENT;
    deleted_.push_back(std::move(it->second.value));
    entries_.erase(it);
    return 0;
}

std::vector<std::pair<std::vector<std::byte>, std::span<const std::byte>>>
UserMap::entries() const {
    std::vector<std::pair<std::vector<std::byte>, std::span<const std::byte>>> out;
    for (const auto& [key, entry] : entries_)
        out.emplace_back(key, std::span<const std::byte>(entry.value.get(), value_size_));
    return out;
}

} // namespace kring
