#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <unistd.h>
#include <utility>

namespace kring {
namespace {

// libbpf's name for a global data map: up to 8 characters of the object's
// name before the section's, within Linux's 15.
std::string global_data_map_name(const std::string& object_name, const std::string& section) {
    std::string base = object_name.substr(object_name.find_last_of('/') + 1);
    base = base.substr(0, base.find('.'));
    size_t room = section.size() < BPF_OBJ_NAME_LEN - 1 ? BPF_OBJ_NAME_LEN - 1 - section.size() : 0;
    return kernel_name(base.substr(0, std::min<size_t>(8, room)) + section);
}

bool is_percpu(uint32_t type) {
    return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
           type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

} // namespace

LinuxMap LinuxMap::create(const bpf::MapDecl& decl, const std::string& object_name) {
    if (decl.is_ring())
        throw Error(EINVAL, "map " + decl.name + " is a ring: rings are kring::Ring");
    std::string name = decl.is_global_data() ? global_data_map_name(object_name, decl.name)
                                             : kernel_name(decl.name);
    LIBBPF_OPTS(bpf_map_create_opts, opts);
    // Global data is mmap()able, as libbpf makes it (a skeleton's view).
    opts.map_flags = decl.flags | (decl.is_global_data() ? BPF_F_MMAPABLE : 0);
    int fd = bpf_map_create(static_cast<bpf_map_type>(decl.type), name.c_str(), decl.key_size,
                            decl.value_size, decl.max_entries, &opts);
    if (fd < 0) {
        int err = errno;
        throw Error(err, "map " + decl.name + ": cannot create it (BPF_MAP_CREATE" +
                             (err == EPERM ? ", which needs CAP_BPF" : "") + ")");
    }
    LinuxMap map(fd);
    if (decl.is_global_data()) {
        uint32_t zero = 0;
        map.update(std::as_bytes(std::span(&zero, 1)), decl.data);
        if (decl.is_frozen() && bpf_map_freeze(fd) != 0)
            throw Error(errno, "map " + decl.name + ": cannot freeze it (BPF_MAP_FREEZE)");
    }
    return map;
}

LinuxMap LinuxMap::from_id(uint32_t id) {
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0)
        throw Error(errno, "no map with id " + std::to_string(id));
    return LinuxMap(fd);
}

LinuxMap::LinuxMap(int fd) : fd_(fd) {
    bpf_map_info i = info();
    key_size_ = i.key_size;
    value_bytes_ = i.value_size;
    if (is_percpu(i.type))
        value_bytes_ = size_t{bpf::possible_cpus()} * ((i.value_size + 7) / 8 * 8);
}

bpf_map_info LinuxMap::info() const {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd_.get(), &info, &len) != 0)
        throw Error(errno, "BPF_OBJ_GET_INFO_BY_FD of a map");
    return info;
}

std::optional<std::vector<std::byte>> LinuxMap::lookup(std::span<const std::byte> key) const {
    std::vector<std::byte> value(value_bytes_);
    if (bpf_map_lookup_elem(fd_.get(), key.data(), value.data()) == 0)
        return value;
    if (errno == ENOENT)
        return std::nullopt;
    throw Error(errno, "map lookup");
}

void LinuxMap::update(std::span<const std::byte> key, std::span<const std::byte> value,
                      uint64_t flags) const {
    if (value.size() != value_bytes_)
        throw Error(EINVAL, "map update: the value is " + std::to_string(value.size()) +
                                " bytes, the map's " + std::to_string(value_bytes_));
    if (bpf_map_update_elem(fd_.get(), key.data(), value.data(), flags) != 0)
        throw Error(errno, "map update");
}

void LinuxMap::remove(std::span<const std::byte> key) const {
    if (bpf_map_delete_elem(fd_.get(), key.data()) != 0)
        throw Error(errno, "map delete");
}

std::optional<std::vector<std::byte>> LinuxMap::next_key(const std::vector<std::byte>* key) const {
    std::vector<std::byte> next(key_size_);
    if (bpf_map_get_next_key(fd_.get(), key ? key->data() : nullptr, next.data()) == 0)
        return next;
    if (errno == ENOENT)
        return std::nullopt;
    throw Error(errno, "map get-next-key");
}

Ring ObjectMaps::new_ring(const bpf::MapDecl& decl) {
    return Ring::create(decl.max_entries);
}

ObjectMaps::ObjectMaps(const bpf::Object& obj, const std::string& object_name,
                       const RingMaker& make_ring) {
    for (const bpf::MapDecl& decl : obj.maps) {
        if (decl.is_ring()) {
            kind_.push_back(Kind::ring);
            position_.push_back(rings_.size());
            rings_.push_back(make_ring(decl));
            fds_.push_back(rings_.back().fd());
        } else if (decl.is_prog_array()) {
            kind_.push_back(Kind::prog_array);
            position_.push_back(arrays_.size());
            arrays_.push_back(ProgArray::create(decl.max_entries));
            fds_.push_back(arrays_.back().fd());
        } else {
            kind_.push_back(Kind::map);
            position_.push_back(maps_.size());
            maps_.push_back(LinuxMap::create(decl, object_name));
            fds_.push_back(maps_.back().fd());
        }
    }
}

Ring& ObjectMaps::ring(size_t index) {
    if (kind_.at(index) != Kind::ring)
        throw std::out_of_range("map " + std::to_string(index) + " is not a ring");
    return rings_[position_[index]];
}

const LinuxMap& ObjectMaps::map(size_t index) const {
    if (kind_.at(index) != Kind::map)
        throw std::out_of_range("map " + std::to_string(index) + " is not a Linux map");
    return maps_[position_[index]];
}

const ProgArray& ObjectMaps::prog_array(size_t index) const {
    if (kind_.at(index) != Kind::prog_array)
        throw std::out_of_range("map " + std::to_string(index) + " is not a prog array");
    return arrays_[position_[index]];
}

size_t ObjectMaps::fill_slots(const bpf::Object& obj,
                              const std::map<std::string, const Program*>& loaded) const {
    size_t filled = 0;
    for (size_t index = 0; index < obj.maps.size(); index++) {
        const bpf::MapDecl& decl = obj.maps[index];
        for (uint32_t slot = 0; slot < decl.slots.size(); slot++) {
            if (decl.slots[slot].empty())
                continue;
            auto prog = loaded.find(decl.slots[slot]);
            if (prog == loaded.end())
                throw Error(EINVAL, "prog array " + decl.name + ": slot " + std::to_string(slot) +
                                        " names " + decl.slots[slot] +
                                        ", which is not a program loaded from the object");
            prog_array(index).update(slot, *prog->second);
            filled++;
        }
    }
    return filled;
}

} // namespace kring
