// kringctl's pure parts: which attach point a section names, and how
// records print (text and JSON lines).
#include "format.hpp"

#include <cstring>
#include <doctest/doctest.h>
#include <kring/program.hpp>
#include <sstream>

TEST_CASE("libbpf-style section names give the attach point") {
    std::string symbol;
    CHECK(kring::attach_type_of_section("tracepoint/sched/sched_process_exec") ==
          KRING_ATTACH_SCHED_PROCESS_EXEC);
    CHECK(kring::attach_type_of_section("tp/sched/sched_process_fork") ==
          KRING_ATTACH_SCHED_PROCESS_FORK);
    CHECK(kring::attach_type_of_section("tracepoint/raw_syscalls/sys_enter") ==
          KRING_ATTACH_SYS_ENTER);
    CHECK(kring::attach_type_of_section("raw_tracepoint/sys_exit") == KRING_ATTACH_SYS_EXIT);
    CHECK(kring::attach_type_of_section("kprobe/do_unlinkat", &symbol) == KRING_ATTACH_KPROBE);
    CHECK(symbol == "do_unlinkat");
    CHECK(kring::attach_type_of_section("kprobe/") == 0);
    CHECK(kring::attach_type_of_section("tracepoint/sched/sched_switch") == 0);
    CHECK(kring::attach_type_of_section("xdp") == 0);
    CHECK(kring::context_size(KRING_ATTACH_SCHED_PROCESS_EXEC) == sizeof(kring_ctx_exec));
    CHECK(std::string(kring::attach_type_name(KRING_ATTACH_SYS_EXIT)) == "sys_exit");
}

TEST_CASE("JSON strings escape quotes, backslashes and control bytes") {
    CHECK(kringctl::json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(kringctl::json_string(std::string("x\ny\x01", 4)) == "\"x\\u000ay\\u0001\"");
    CHECK(kringctl::json_string("\xff") == "\"\\u00ff\"");
}

TEST_CASE("exec-snoop events print as text and as JSON lines") {
    exec_snoop_event e{};
    e.ts_ns = 1000;
    e.kind = EXEC_SNOOP_EXEC;
    e.pid = 42;
    e.ppid = 1;
    std::strcpy(e.comm, "true");
    std::strcpy(e.filename, "/bin/busybox");
    auto bytes = std::as_bytes(std::span(&e, 1));
    std::ostringstream text, json;
    kringctl::Printer(kringctl::Format::automatic, false, text).print("events", bytes);
    kringctl::Printer(kringctl::Format::automatic, true, json).print("events", bytes);
    CHECK(text.str().find("exec pid 42     ppid 1      true") != std::string::npos);
    CHECK(text.str().find("/bin/busybox") != std::string::npos);
    CHECK(json.str() == "{\"event\":\"exec\",\"ts_ns\":1000,\"cpu\":0,\"pid\":42,\"ppid\":1,"
                        "\"comm\":\"true\",\"filename\":\"/bin/busybox\"}\n");
}

TEST_CASE("other records print as hex") {
    const uint8_t raw[3] = {1, 0xab, 0xff};
    std::ostringstream json;
    kringctl::Printer(kringctl::Format::automatic, true, json)
        .print("r", std::as_bytes(std::span(raw)));
    CHECK(json.str() == "{\"ring\":\"r\",\"size\":3,\"data\":\"01abff\"}\n");
    CHECK_FALSE(kringctl::parse_format("yaml"));
}
