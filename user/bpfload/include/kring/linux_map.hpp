// A Linux BPF map, which kring's programs use by fd (docs/programs.md,
// "Maps"): made for a map an ELF object declares or for one of its global
// data sections (filled, and frozen for .rodata, as libbpf does), or opened
// by id. RAII: the fd closes with the object; the map lives while anything
// (a loaded program, a pin) holds it.
//
// Thread safety: the const members may be called from any number of
// threads at once (each is one system call).
#pragma once

#include <functional>
#include <kring/bpfload.hpp>
#include <kring/program.hpp>
#include <kring/unique_fd.hpp>
#include <linux/bpf.h>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kring {

class LinuxMap {
public:
    // bpf(BPF_MAP_CREATE) for `decl` (not a ring), named as libbpf names
    // it: the variable, or for global data the first characters of
    // `object_name` and the section (".rodata"). Global data gets its
    // bytes, and .rodata is then frozen. Throws kring::Error.
    static LinuxMap create(const bpf::MapDecl& decl, const std::string& object_name);
    // The map with Linux map id `id` (BPF_MAP_GET_FD_BY_ID).
    static LinuxMap from_id(uint32_t id);

    // The value of `key`, or nothing (ENOENT). A per-CPU map's value is
    // every CPU's, each rounded up to 8 bytes, as the syscall gives them.
    std::optional<std::vector<std::byte>> lookup(std::span<const std::byte> key) const;
    void update(std::span<const std::byte> key, std::span<const std::byte> value,
                uint64_t flags = BPF_ANY) const;
    void remove(std::span<const std::byte> key) const;
    // The key after `key` (the first with none), or nothing at the end.
    std::optional<std::vector<std::byte>> next_key(const std::vector<std::byte>* key) const;
    bpf_map_info info() const;
    // The bytes lookup() and update() take for a value: value_size, or
    // value_size rounded up to 8 times the possible CPUs for a per-CPU map.
    size_t value_bytes() const noexcept { return value_bytes_; }
    int fd() const noexcept { return fd_.get(); }

private:
    // Takes `fd` and reads the sizes, which a map keeps for its life.
    explicit LinuxMap(int fd);
    UniqueFd fd_;
    uint32_t key_size_ = 0;
    size_t value_bytes_ = 0;
};

// The kernel objects an ELF object's programs load, as libbpf's
// bpf_object__load() makes them: a kring ring for each ring map (from
// make_ring: a new ring of its max_entries, or a pinned one), a kring prog
// array for each prog array, a Linux map for each other map and global
// data section (LinuxMap::create).
class ObjectMaps {
public:
    using RingMaker = std::function<Ring(const bpf::MapDecl&)>;
    // The default: Ring::create(decl.max_entries).
    static Ring new_ring(const bpf::MapDecl& decl);

    ObjectMaps(const bpf::Object& obj, const std::string& object_name,
               const RingMaker& make_ring = new_ring);

    // One fd per map of the object, for Program::load.
    std::span<const int> fds() const { return fds_; }
    // The rings, in the order of the object's ring maps.
    std::vector<Ring>& rings() { return rings_; }
    // The ring, or the Linux map, of the object's map `index` (throws
    // std::out_of_range if it is the other kind).
    Ring& ring(size_t index);
    const LinuxMap& map(size_t index) const;
    const ProgArray& prog_array(size_t index) const;
    // Puts the programs the object's prog arrays name (MapDecl::slots) in
    // their slots, as libbpf does after loading: `loaded` maps a program's
    // function name to it. Throws kring::Error (EINVAL) for a slot that
    // names a program not loaded. Returns how many slots it filled.
    size_t fill_slots(const bpf::Object& obj,
                      const std::map<std::string, const Program*>& loaded) const;

private:
    enum class Kind { ring, map, prog_array };
    std::vector<Ring> rings_;
    std::vector<LinuxMap> maps_;
    std::vector<ProgArray> arrays_;
    std::vector<int> fds_;
    std::vector<size_t> position_; // of map i in rings_, maps_ or arrays_
    std::vector<Kind> kind_;
};

} // namespace kring
