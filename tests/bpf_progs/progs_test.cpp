// Programs written in C and compiled with clang (progs.bpf.c, rejected.bpf.c):
// loaded from ELF, verified, and run in the interpreter against userspace
// rings, checking R0 and the records they produce.
#include <array>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/bpfload.hpp>
#include <string>

namespace {

struct TestCtx {
    uint32_t a, b;
    uint8_t bytes[32];
};

struct Event {
    uint32_t a, b;
    uint64_t sum;
};

const kring::bpf::Program& find(const kring::bpf::Object& obj, const std::string& section) {
    for (const auto& p : obj.programs)
        if (p.section == section)
            return p;
    FAIL("no program in " << section);
    throw 0;
}

kring::bpf::VerifyOptions ctx_options() {
    kring::bpf::VerifyOptions o;
    o.ctx = {sizeof(TestCtx), false};
    return o;
}

std::vector<Event> drain(kring::bpf::Runtime& rt) {
    std::vector<Event> events;
    kring::Consumer consumer;
    consumer.add(rt.ring(0).view(), rt.ring(0).wake_fd(), [&](std::span<const std::byte> rec) {
        REQUIRE(rec.size() == sizeof(Event));
        Event e;
        std::memcpy(&e, rec.data(), sizeof(e));
        events.push_back(e);
        return 0;
    });
    consumer.consume();
    return events;
}

} // namespace

TEST_CASE("the ELF object: its ring, its programs, func-info for the calls") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/progs.bpf.o");
    REQUIRE(obj.rings.size() == 1);
    CHECK(obj.rings[0].name == "events");
    CHECK(obj.rings[0].max_entries == 4096);
    CHECK(obj.programs.size() == 4);
    const auto& calls = find(obj, "kring/calls");
    REQUIRE(calls.func_info.size() == 3); // the program, twice (static), add_ten (global)
    CHECK(calls.func_info[1].linkage == KRING_FUNC_STATIC);
    CHECK(calls.func_info[2].linkage == KRING_FUNC_GLOBAL);
    CHECK(calls.func_info[2].nr_args == 1);
    CHECK(calls.func_info[2].arg_kinds[0] == KRING_ARG_SCALAR);
}

TEST_CASE("every program is accepted, and runs as written") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/progs.bpf.o");
    for (const auto& prog : obj.programs) {
        CAPTURE(prog.section);
        auto v = kring::bpf::verify(prog, obj.rings.size(), ctx_options());
        INFO(v.log);
        CHECK(v.error == 0);
        CHECK(v.log.find("processed ") != std::string::npos);
    }
    kring::bpf::Runtime rt(obj.rings);
    TestCtx ctx{5, 7, {}};
    for (int i = 0; i < 32; i++)
        ctx.bytes[i] = static_cast<uint8_t>(i);
    auto bytes = std::as_writable_bytes(std::span(&ctx, 1));

    SUBCASE("reserve, fill, submit") {
        CHECK(rt.run(find(obj, "kring/reserve_submit"), bytes) == 0);
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].a == 5);
        CHECK(events[0].b == 7);
        CHECK(events[0].sum == 12);
    }
    SUBCASE("output from the stack") {
        CHECK(rt.run(find(obj, "kring/output_stack"), bytes) == 0);
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].a == 7);
        CHECK(events[0].sum == 7);
    }
    SUBCASE("a bounded loop") {
        CHECK(rt.run(find(obj, "kring/loop_sum"), bytes) == 496); // 0 + 1 + ... + 31
        auto events = drain(rt);
        REQUIRE(events.size() == 1);
        CHECK(events[0].sum == 496);
    }
    SUBCASE("a static and a global function") {
        CHECK(rt.run(find(obj, "kring/calls"), bytes) == 20); // 5 * 2 + 10
    }
    SUBCASE("a full ring drops, and the program sees the error") {
        for (int i = 0; i < 200; i++)
            rt.run(find(obj, "kring/reserve_submit"), bytes);
        // 4096 bytes hold 170 records of 24 bytes (8 header + 16).
        CHECK(drain(rt).size() == 170);
    }
}

TEST_CASE("the rejected program is rejected for its leak, not for something else") {
    auto obj = kring::bpf::load_elf(BPF_OBJ_DIR "/rejected.bpf.o");
    REQUIRE(obj.programs.size() == 1);
    kring::bpf::VerifyOptions o;
    o.ctx = {4, false};
    auto v = kring::bpf::verify(obj.programs[0], obj.rings.size(), o);
    CHECK(v.error == -EACCES);
    CHECK(v.log.find("unreleased ring record reserved at insn") != std::string::npos);
}

TEST_CASE("bad files give clear errors") {
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf("/nonexistent.o"), doctest::Contains("cannot open"),
                         kring::Error);
    CHECK_THROWS_WITH_AS(kring::bpf::load_elf("/etc/hostname"),
                         doctest::Contains("not an ELF file"), kring::Error);
}
