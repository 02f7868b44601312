// A BPF object of tests/bpf_progs in the VM, its maps made as kringctl run
// makes them: programs loaded by name, rings drained as records of one type.
#pragma once

#include <cstring>
#include <doctest/doctest.h>
#include <kring/bpfload.hpp>
#include <kring/kring.hpp>
#include <kring/linux_map.hpp>
#include <kring/program.hpp>
#include <string>
#include <unistd.h>
#include <vector>

namespace vmtest {

// Settings for the test objects whose programs report only the process
// their `const volatile __u32 target_tgid` names: this one.
inline kring::bpf::ObjectSettings reporting_this_process() {
    kring::bpf::ObjectSettings settings;
    settings.globals["target_tgid"] = std::to_string(::getpid());
    return settings;
}

struct TestObject {
    kring::bpf::Object obj;
    kring::ObjectMaps maps;

    // The object at `path`, loaded with `settings`; `name` names its maps
    // (as kringctl's object name).
    TestObject(const std::string& path, const std::string& name,
               const kring::bpf::ObjectSettings& settings = {})
        : obj(kring::bpf::load_elf(path, settings)), maps(obj, name) {}

    // Its program `prog_name`, whose section must name attach type `type`,
    // loaded with KRING_PROG_F_* `flags` (a tp_btf, fentry or fexit program
    // for the tracepoint or function its section names).
    kring::Program load(const std::string& prog_name, kring_attach_type type, uint32_t flags) {
        for (const auto& prog : obj.programs) {
            if (prog.name != prog_name)
                continue;
            std::string target;
            REQUIRE(kring::attach_type_of_section(prog.section, &target) == type);
            kring::LoadOptions options{1, flags, {}};
            if (kring::typed_attach(type))
                options.attach_target = target;
            return kring::Program::load(prog, maps.fds(), type, options);
        }
        FAIL("no program " << prog_name);
        throw 0;
    }

    // Every record of the ring map `ring`, each a T.
    template <typename T>
    std::vector<T> drain(const std::string& ring) {
        std::vector<T> out;
        kring::Consumer consumer;
        consumer.add(maps.ring(obj.map_index(ring)), [&](std::span<const std::byte> r) {
            REQUIRE(r.size() == sizeof(T));
            std::memcpy(&out.emplace_back(), r.data(), sizeof(T));
            return 0;
        });
        consumer.consume();
        return out;
    }
};

} // namespace vmtest
