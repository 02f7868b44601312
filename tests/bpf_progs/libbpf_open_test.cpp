// The example programs are Linux BPF: libbpf opens them without a warning,
// and their ring maps have no key or value (Linux refuses to create a ring
// buffer whose key or value size is not 0, and libbpf takes value_size from
// a map's __type(value, T): a ring declares its record type with a BTF
// declaration tag instead, see docs/programs.md).
#include <bpf/libbpf.h>
#include <cstdarg>
#include <cstdio>
#include <doctest/doctest.h>
#include <string>

namespace {

std::string warnings;

int collect_warnings(libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_WARN) {
        char line[512];
        vsnprintf(line, sizeof(line), format, args);
        warnings += line;
    }
    return 0;
}

} // namespace

TEST_CASE("libbpf opens the examples, and their ring maps have no key or value") {
    libbpf_set_print(collect_warnings);
    for (const auto& [object, ring] :
         {std::pair{"exec-snoop.bpf.o", "events"}, std::pair{"syscount.bpf.o", "syscalls"}}) {
        CAPTURE(object);
        warnings.clear();
        bpf_object* obj =
            bpf_object__open_file((std::string(EXAMPLES_DIR "/") + object).c_str(), nullptr);
        REQUIRE(obj);
        CHECK(warnings == "");
        CHECK(bpf_object__find_map_by_name(obj, ring));
        int rings = 0;
        bpf_map* map;
        bpf_object__for_each_map(map, obj) {
            if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF)
                continue;
            CAPTURE(bpf_map__name(map));
            rings++;
            CHECK(bpf_map__key_size(map) == 0);
            CHECK(bpf_map__value_size(map) == 0);
            CHECK(bpf_map__btf_key_type_id(map) == 0);
            CHECK(bpf_map__btf_value_type_id(map) == 0);
        }
        CHECK(rings == 1);
        bpf_object__close(obj);
    }
    libbpf_set_print(nullptr);
}
