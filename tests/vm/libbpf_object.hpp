// An ELF object in Linux, loaded as a libbpf user loads it, for the tests
// that compare kring's run of an object with Linux's: opened and loaded
// (the objects' `const volatile __u32 target_tgid`, their .rodata's first
// word, set first when given), links added as the test attaches programs,
// and one ring map read into records of type T. Everything is released
// with the object.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <vector>

namespace vmtest {

// Stack map `fd`'s stack `id`: `depth` addresses, zeroed past the stack.
inline std::vector<uint64_t> stack_of(int fd, int64_t id, size_t depth) {
    REQUIRE(id >= 0);
    auto key = static_cast<uint32_t>(id);
    std::vector<uint64_t> ips(depth);
    REQUIRE_MESSAGE(bpf_map_lookup_elem(fd, &key, ips.data()) == 0,
                    "stack " << id << ": " << strerror(errno));
    return ips;
}

template <typename T>
class LibbpfObject {
public:
    LibbpfObject(const std::string& path, const std::string& ring_map,
                 std::optional<uint32_t> target_tgid = std::nullopt) {
        obj_ = bpf_object__open_file(path.c_str(), nullptr);
        REQUIRE_MESSAGE(obj_, "libbpf: open: " << strerror(errno));
        if (target_tgid) {
            bpf_map* rodata = bpf_object__find_map_by_name(obj_, ".rodata");
            REQUIRE(rodata);
            REQUIRE(bpf_map__set_initial_value(rodata, &*target_tgid, sizeof(*target_tgid)) == 0);
        }
        REQUIRE_MESSAGE(bpf_object__load(obj_) == 0, "libbpf: load: " << strerror(errno));
        ring_ = ring_buffer__new(map_fd(ring_map), &LibbpfObject::on_record, this, nullptr);
        REQUIRE(ring_);
    }
    ~LibbpfObject() {
        ring_buffer__free(ring_);
        detach();
        bpf_object__close(obj_);
    }
    LibbpfObject(const LibbpfObject&) = delete;
    LibbpfObject& operator=(const LibbpfObject&) = delete;

    bpf_program* program(const std::string& name) const {
        bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
        REQUIRE_MESSAGE(prog, "no program " << name);
        return prog;
    }
    int map_fd(const std::string& name) const {
        bpf_map* map = bpf_object__find_map_by_name(obj_, name.c_str());
        REQUIRE_MESSAGE(map, "no map " << name);
        return bpf_map__fd(map);
    }
    // Keeps `link`, which a libbpf attach just returned (NULL: it failed).
    void add_link(bpf_link* link, const std::string& what) {
        REQUIRE_MESSAGE(link, "libbpf: attach " << what << ": " << strerror(errno));
        links_.push_back(link);
    }
    void detach() {
        for (bpf_link* link : links_)
            bpf_link__destroy(link);
        links_.clear();
    }
    // The ring's records so far.
    const std::vector<T>& records() {
        ring_buffer__consume(ring_);
        return records_;
    }

private:
    static int on_record(void* self, void* data, size_t size) {
        REQUIRE(size == sizeof(T));
        std::memcpy(&static_cast<LibbpfObject*>(self)->records_.emplace_back(), data, size);
        return 0;
    }

    bpf_object* obj_ = nullptr;
    std::vector<bpf_link*> links_;
    ring_buffer* ring_ = nullptr;
    std::vector<T> records_;
};

} // namespace vmtest
