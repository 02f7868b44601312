// kringctl's pure parts: which attach point a section names, and how
// records print (text and JSON lines): decoded only as the type their ring
// declares, in `kringctl run` and in `kringctl replay`.
#include "format.hpp"

#include <asm/ptrace.h>
#include <cstdio>
#include <cstring>
#include <doctest/doctest.h>
#include <kring/kring.hpp>
#include <kring/program.hpp>
#include <kring/record_file.hpp>
#include <kring/uprobe.hpp>
#include <kring/user_ring.hpp>
#include <sstream>
#include <unistd.h>
#include <vector>

TEST_CASE("libbpf-style section names give the attach point") {
    std::string target;
    // Any trace event, by CATEGORY/NAME, with Linux's record.
    CHECK(kring::attach_type_of_section("tracepoint/sched/sched_process_exec", &target) ==
          KRING_ATTACH_TRACEPOINT);
    CHECK(target == "sched/sched_process_exec");
    CHECK(kring::attach_type_of_section("tp/sched/sched_switch", &target) ==
          KRING_ATTACH_TRACEPOINT);
    CHECK(target == "sched/sched_switch");
    CHECK(kring::attach_type_of_section("tracepoint/sched_switch") == 0);
    CHECK(kring::attach_type_of_section("tracepoint/sched/") == 0);
    CHECK(kring::attach_type_of_section("tracepoint//sched_switch") == 0);
    CHECK(kring::attach_type_of_section("tp/a/b/c") == 0);
    // kring's own contexts.
    CHECK(kring::attach_type_of_section("kring/sched_process_fork") ==
          KRING_ATTACH_SCHED_PROCESS_FORK);
    CHECK(kring::attach_type_of_section("kring/sys_enter") == KRING_ATTACH_SYS_ENTER);
    CHECK(kring::attach_type_of_section("kring/kprobe") == 0);
    CHECK(kring::attach_type_of_section("kring/nope") == 0);
    // A tracepoint's raw arguments, by the tracepoint's name.
    CHECK(kring::attach_type_of_section("raw_tracepoint/sys_exit", &target) ==
          KRING_ATTACH_RAW_TRACEPOINT);
    CHECK(target == "sys_exit");
    CHECK(kring::attach_type_of_section("raw_tp/sched_process_exec", &target) ==
          KRING_ATTACH_RAW_TRACEPOINT);
    CHECK(target == "sched_process_exec");
    CHECK(kring::attach_type_of_section("raw_tp/") == 0);
    CHECK(kring::attach_type_of_section("raw_tp/sched/sched_process_exec") == 0);
    CHECK(kring::needs_target(KRING_ATTACH_RAW_TRACEPOINT));
    CHECK(kring::attach_type_of_name("raw_tracepoint") == KRING_ATTACH_RAW_TRACEPOINT);
    CHECK(kring::context_size(KRING_ATTACH_RAW_TRACEPOINT) == KRING_RAW_TP_MAX_ARGS * 8);
    // BTF-typed arguments: the tracepoint is named at load, not attach.
    CHECK(kring::attach_type_of_section("tp_btf/sched_process_exec", &target) ==
          KRING_ATTACH_TP_BTF);
    CHECK(target == "sched_process_exec");
    CHECK(kring::attach_type_of_section("tp_btf/sched/sched_process_exec") == 0);
    CHECK(kring::attach_type_of_section("tp_btf/") == 0);
    CHECK(!kring::needs_target(KRING_ATTACH_TP_BTF));
    CHECK(kring::attach_type_of_name("tp_btf") == KRING_ATTACH_TP_BTF);
    CHECK(kring::context_size(KRING_ATTACH_TP_BTF) == KRING_RAW_TP_MAX_ARGS * 8);
    // fentry and fexit: a function, named at load as well.
    CHECK(kring::attach_type_of_section("fentry/do_unlinkat", &target) == KRING_ATTACH_FENTRY);
    CHECK(target == "do_unlinkat");
    CHECK(kring::attach_type_of_section("fexit/vfs_read", &target) == KRING_ATTACH_FEXIT);
    CHECK(target == "vfs_read");
    CHECK(kring::attach_type_of_section("fentry/") == 0);
    CHECK(kring::attach_type_of_section("fexit/a/b") == 0);
    CHECK(!kring::needs_target(KRING_ATTACH_FENTRY));
    CHECK(kring::typed_attach(KRING_ATTACH_FEXIT));
    CHECK(!kring::typed_attach(KRING_ATTACH_RAW_TRACEPOINT));
    CHECK(kring::attach_type_of_name("fexit") == KRING_ATTACH_FEXIT);
    CHECK(kring::context_size(KRING_ATTACH_FENTRY) == KRING_RAW_TP_MAX_ARGS * 8);
    CHECK(kring::attach_type_of_section("kprobe/do_unlinkat", &target) == KRING_ATTACH_KPROBE);
    CHECK(target == "do_unlinkat");
    CHECK(kring::attach_type_of_section("kprobe/") == 0);
    // Bare, as libbpf takes them: the target comes from elsewhere.
    target = "from --target";
    CHECK(kring::attach_type_of_section("kprobe", &target) == KRING_ATTACH_KPROBE);
    CHECK(kring::attach_type_of_section("kretprobe", &target) == KRING_ATTACH_KRETPROBE);
    CHECK(target == "from --target");
    // Syscalls: the x86-64 wrapper's function, as libbpf attaches them.
    CHECK(kring::attach_type_of_section("ksyscall/tgkill", &target) == KRING_ATTACH_KPROBE);
    CHECK(target == "__x64_sys_tgkill");
    CHECK(kring::attach_type_of_section("kretsyscall/kill", &target) == KRING_ATTACH_KRETPROBE);
    CHECK(target == "__x64_sys_kill");
    CHECK(kring::attach_type_of_section("ksyscall/") == 0);
    // uprobes: PATH:FUNCTION, the path with its slashes; bare ones too.
    CHECK(kring::attach_type_of_section("uprobe/usr/bin/bash:readline", &target) ==
          KRING_ATTACH_UPROBE);
    CHECK(target == "usr/bin/bash:readline");
    CHECK(kring::attach_type_of_section("uretprobe/libc.so.6:getaddrinfo", &target) ==
          KRING_ATTACH_URETPROBE);
    CHECK(target == "libc.so.6:getaddrinfo");
    CHECK(kring::attach_type_of_section("uprobe", &target) == KRING_ATTACH_UPROBE);
    CHECK(target == "libc.so.6:getaddrinfo");
    CHECK(kring::attach_type_of_section("uretprobe") == KRING_ATTACH_URETPROBE);
    // Without a function, as bashreadline's: the tool gives it at attach.
    target = "from --target";
    CHECK(kring::attach_type_of_section("uretprobe/readline", &target) == KRING_ATTACH_URETPROBE);
    CHECK(kring::attach_type_of_section("uprobe/bash:", &target) == KRING_ATTACH_UPROBE);
    CHECK(target == "from --target");
    CHECK(kring::needs_target(KRING_ATTACH_URETPROBE));
    CHECK(kring::context_size(KRING_ATTACH_UPROBE) == sizeof(pt_regs));
    // perf_event: the counters are given at attach.
    CHECK(kring::attach_type_of_section("perf_event", &target) == KRING_ATTACH_PERF_EVENT);
    CHECK(!kring::needs_target(KRING_ATTACH_PERF_EVENT));
    CHECK(kring::context_size(KRING_ATTACH_PERF_EVENT) == sizeof(pt_regs) + 16);
    CHECK(kring::attach_type_of_section("perf_event/cycles") == 0);
    CHECK(kring::attach_type_of_section("ksyscall/a/b") == 0);
    CHECK(kring::attach_type_of_section("xdp") == 0);
    CHECK(kring::context_size(KRING_ATTACH_SCHED_PROCESS_EXEC) == sizeof(kring_ctx_exec));
    CHECK(kring::context_size(KRING_ATTACH_TRACEPOINT) == KRING_TRACEPOINT_CTX_SIZE);
    CHECK(std::string(kring::attach_type_name(KRING_ATTACH_SYS_EXIT)) == "sys_exit");
}

// A function of this executable, for the uprobe resolution below.
extern "C" __attribute__((noinline)) int kring_host_uprobe_target(int a) {
    asm volatile("" ::: "memory");
    return a + 1;
}

// The file offset `address` has in the mapping of this process that holds it.
uint64_t mapped_file_offset(uint64_t address) {
    FILE* maps = std::fopen("/proc/self/maps", "r");
    REQUIRE(maps);
    char line[512];
    uint64_t found = 0;
    while (std::fgets(line, sizeof(line), maps)) {
        unsigned long start = 0, end = 0, offset = 0;
        if (std::sscanf(line, "%lx-%lx %*s %lx", &start, &end, &offset) == 3 && address >= start &&
            address < end)
            found = address - start + offset;
    }
    std::fclose(maps);
    REQUIRE(found);
    return found;
}

TEST_CASE("uprobe targets: a function's file offset, as its mapping gives it") {
    const uint64_t expected =
        mapped_file_offset(reinterpret_cast<uint64_t>(&kring_host_uprobe_target));
    CHECK(kring::elf_function_offset("/proc/self/exe", "kring_host_uprobe_target") == expected);
    kring::UprobeTarget t =
        kring::resolve_uprobe_target("/proc/self/exe:kring_host_uprobe_target+8");
    CHECK(t.path == "/proc/self/exe");
    CHECK(t.offset == expected + 8);
    CHECK(kring::resolve_binary_path("libc.so.6").ends_with("/libc.so.6"));
    CHECK(kring::resolve_binary_path("sh").ends_with("/sh"));
    CHECK(kring::elf_function_offset(kring::resolve_binary_path("libc.so.6"), "getaddrinfo") > 0);
    auto error_of = [](const std::string& target) {
        try {
            kring::resolve_uprobe_target(target);
        } catch (const kring::Error& e) {
            return e.errno_value();
        }
        return 0;
    };
    CHECK(error_of("/proc/self/exe:kring_no_such_function") == ENOENT);
    CHECK(error_of("kring-no-such-binary:main") == ENOENT);
    CHECK(error_of("/proc/self/exe") == EINVAL);
    CHECK(error_of("/proc/self/exe:main+x") == EINVAL);
    CHECK(error_of("/proc/self/status:main") == EINVAL); // not ELF
}

TEST_CASE("a program's name for the module: Linux's prog_name rule, cut to 15 characters") {
    CHECK(kring::kernel_name("on_exec") == "on_exec");
    CHECK(kring::kernel_name("a_very_long_function_name") == "a_very_long_fun");
    CHECK(kring::kernel_name("a_very_long_function_name").size() == KRING_PROG_NAME_LEN - 1);
    CHECK(kring::kernel_name("prog-1.bin") == "prog_1.bin");
    CHECK(kring::kernel_name("caf\xe9") == "caf_");
    CHECK(kring::kernel_name("").empty());
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
    kringctl::Printer(kringctl::Format::automatic, false, text)
        .print("events", "exec_snoop_event", bytes);
    kringctl::Printer(kringctl::Format::automatic, true, json)
        .print("events", "exec_snoop_event", bytes);
    CHECK(text.str().find("exec pid 42     ppid 1      true") != std::string::npos);
    CHECK(text.str().find("/bin/busybox") != std::string::npos);
    CHECK(json.str() == "{\"event\":\"exec\",\"ts_ns\":1000,\"cpu\":0,\"pid\":42,\"ppid\":1,"
                        "\"comm\":\"true\",\"filename\":\"/bin/busybox\"}\n");
}

TEST_CASE("other records print as hex") {
    const uint8_t raw[3] = {1, 0xab, 0xff};
    std::ostringstream json;
    kringctl::Printer(kringctl::Format::automatic, true, json)
        .print("r", "", std::as_bytes(std::span(raw)));
    CHECK(json.str() == "{\"ring\":\"r\",\"size\":3,\"data\":\"01abff\"}\n");
    CHECK_FALSE(kringctl::parse_format("yaml"));
}

namespace {

// A syscount-sized record: 24 bytes, as syscount_event lays them out.
std::vector<std::byte> record_24(uint64_t a, uint64_t b, uint32_t c, uint32_t d) {
    std::vector<std::byte> out(24);
    std::memcpy(out.data(), &a, 8);
    std::memcpy(out.data() + 8, &b, 8);
    std::memcpy(out.data() + 16, &c, 4);
    std::memcpy(out.data() + 20, &d, 4);
    return out;
}

std::string print(kringctl::Format format, const std::string& type,
                  std::span<const std::byte> record, bool json = false) {
    std::ostringstream out;
    kringctl::Printer(format, json, out).print("samples", type, record);
    return out.str();
}

// What `kringctl ARGS` prints (stdout and stderr), and its exit status.
std::string run_kringctl(const std::string& args, int* status) {
    std::string out;
    FILE* pipe = popen((std::string(KRINGCTL) + " " + args + " 2>&1").c_str(), "r");
    REQUIRE(pipe);
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe))
        out.append(buf, n);
    int st = pclose(pipe);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

} // namespace

TEST_CASE("a record decodes as an event only by the type its ring declares, never by its size") {
    auto sample = record_24(0x11, 34, 51, 52);
    // No declared type: hex, although it is as long as a syscount_event.
    CHECK(print(kringctl::Format::automatic, "", sample) ==
          "samples: 24 bytes 110000000000000022000000000000003300000034000000\n");
    CHECK(print(kringctl::Format::automatic, "sample", sample) ==
          "samples: 24 bytes 110000000000000022000000000000003300000034000000\n");
    CHECK(print(kringctl::Format::automatic, "syscount_event", sample) == "pid 52 syscall 34\n");
    // --format names the type for every ring: the user's declaration.
    CHECK(print(kringctl::Format::syscount, "", sample) == "pid 52 syscall 34\n");
    // A declared type decodes only records of its size.
    CHECK(print(kringctl::Format::automatic, "exec_snoop_event", sample).find("24 bytes") !=
          std::string::npos);

    // kringctl knows a type only at the size it knows it.
    CHECK(kringctl::decodable_type("syscount_event", 24) == "syscount_event");
    CHECK(kringctl::decodable_type("syscount_event", 16).empty());
    CHECK(kringctl::decodable_type("exec_snoop_event", sizeof(exec_snoop_event)) ==
          "exec_snoop_event");
    CHECK(kringctl::decodable_type("task_event", 24).empty());
}

namespace {

// What kringctl run prints for the records `obj`'s first program writes on a
// sys_enter with these arguments: each ring's records as the type it
// declares, if kringctl decodes that type.
std::string run_sys_enter(const kring::bpf::Object& obj, uint64_t nr, uint64_t arg0, uint64_t arg1,
                          uint64_t arg2) {
    const auto& prog = obj.programs.at(0);
    auto ctx = kring::context_of(prog, "", std::nullopt);
    kring::bpf::VerifyOptions options;
    options.ctx = ctx.desc();
    REQUIRE(kring::bpf::verify(prog, obj.maps, options).error == 0);
    kring::bpf::Runtime runtime(obj.maps);
    // kring's struct kring_ctx_sys_enter, or Linux's raw_syscalls/sys_enter
    // record: the same fields after the 8 bytes of struct trace_entry.
    std::vector<std::byte> bytes(ctx.size);
    size_t header = 0;
    if (ctx.attach == KRING_ATTACH_TRACEPOINT)
        header = 8;
    else
        REQUIRE(ctx.attach == KRING_ATTACH_SYS_ENTER);
    kring_ctx_sys_enter sys_enter{};
    sys_enter.id = static_cast<int64_t>(nr);
    sys_enter.args[0] = arg0;
    sys_enter.args[1] = arg1;
    sys_enter.args[2] = arg2;
    std::memcpy(bytes.data() + header, &sys_enter, sizeof(sys_enter));
    runtime.run(prog, bytes);
    std::string printed;
    kring::Consumer consumer;
    for (size_t i = 0; i < obj.maps.size(); i++) {
        const auto& decl = obj.maps[i];
        if (!decl.is_ring())
            continue;
        consumer.add(runtime.ring(i).view(), runtime.ring(i).wake_fd(),
                     [&](std::span<const std::byte> record) {
                         printed += print(
                             kringctl::Format::automatic,
                             kringctl::decodable_type(decl.record_type, decl.record_size), record);
                         return 0;
                     });
    }
    consumer.consume();
    return printed;
}

} // namespace

TEST_CASE("kringctl run: the examples declare their record types; an unrelated program does not") {
    // Declared with KRING_RECORD_TYPE: the struct's name and BTF size.
    // KRING_RECORD_BTF's pointer is a global: a .bss map follows the ring.
    kring::bpf::ObjectSettings debian61; // exec-snoop has CO-RE relocations
    debian61.target_btf = BPF_PROGS_DIR "/linux-6.1.btf";
    auto snoop = kring::bpf::load_elf(EXAMPLES_DIR "/exec-snoop.bpf.o", debian61);
    REQUIRE(snoop.maps.size() == 2);
    CHECK(snoop.maps[1].name == ".bss");
    CHECK(snoop.maps[0].record_type == "exec_snoop_event");
    CHECK(snoop.maps[0].record_size == sizeof(exec_snoop_event));
    auto sys = kring::bpf::load_elf(EXAMPLES_DIR "/syscount.bpf.o", debian61);
    REQUIRE(sys.maps.size() == 2);
    CHECK(sys.maps[0].record_type == "syscount_event");
    CHECK(sys.maps[0].record_size == sizeof(syscount_event));
    // syscount's records decode.
    CHECK(run_sys_enter(sys, 34, 0, 0, 0) == "pid " + std::to_string(gettid()) + " syscall 34\n");

    // The unrelated program's 24-byte record prints as hex.
    auto other = kring::bpf::load_elf(BPF_OBJ_DIR "/unrelated.bpf.o");
    REQUIRE(other.maps.size() == 1);
    CHECK(other.maps[0].record_type.empty());
    CHECK(run_sys_enter(other, 1, 0x11, 34, 52ULL << 32 | 51) ==
          "samples: 24 bytes 110000000000000022000000000000003300000034000000\n");
}

TEST_CASE("kringctl run: opensnoop's events decode, as text and JSON") {
    auto obj = kring::bpf::load_elf(EXAMPLES_DIR "/opensnoop.bpf.o");
    const auto& ring = obj.maps.at(obj.map_index("opens"));
    CHECK(ring.record_type == "opensnoop_event");
    CHECK(ring.record_size == sizeof(opensnoop_event));
    opensnoop_event e{};
    e.pid = 7;
    e.tid = 8;
    e.ret = -2;
    e.dfd = -100;
    std::strcpy(e.comm, "cat");
    std::strcpy(e.filename, "/etc/\"x\"");
    auto bytes = std::as_bytes(std::span(&e, 1));
    CHECK(print(kringctl::Format::automatic, "opensnoop_event", bytes) ==
          "pid 7 cat open /etc/\"x\" = -2\n");
    CHECK(print(kringctl::Format::opensnoop, "", bytes, true) ==
          "{\"event\":\"open\",\"ts_ns\":0,\"pid\":7,\"tid\":8,\"comm\":\"cat\",\"dfd\":-100,"
          "\"filename\":\"/etc/\\\"x\\\"\",\"ret\":-2}\n");
    // Another size is not the type kringctl knows: hex.
    CHECK(print(kringctl::Format::automatic, "opensnoop_event", bytes.first(16))
              .starts_with("samples: 16 bytes "));
}

TEST_CASE(
    "kringctl replay decodes the record types the file declares, and prints the rest as hex") {
    char dir[] = "/tmp/kringctl-test-XXXXXX";
    REQUIRE(mkdtemp(dir));
    const std::string untyped = std::string(dir) + "/untyped.krec",
                      typed = std::string(dir) + "/typed.krec";
    auto sample = record_24(0x11, 34, 51, 52);
    for (const auto& [path, type] :
         {std::pair{untyped, std::string()}, {typed, "syscount_event"}}) {
        kring::UserRing ring(4096);
        kring::Recorder recorder(path);
        recorder.add(ring.view(), ring.wake_fd(), "samples", 1, type);
        void* slot = ring.reserve(sample.size());
        REQUIRE(slot);
        std::memcpy(slot, sample.data(), sample.size());
        ring.commit(slot);
        REQUIRE(recorder.flush() == 1);
    }
    int status = -1;
    CHECK(run_kringctl("replay " + untyped, &status) ==
          "samples: 24 bytes 110000000000000022000000000000003300000034000000\n");
    CHECK(status == 0);
    CHECK(run_kringctl("replay --json " + untyped, &status) ==
          "{\"ring\":\"samples\",\"size\":24,\"data\":"
          "\"110000000000000022000000000000003300000034000000\"}\n");
    CHECK(run_kringctl("replay " + typed, &status) == "pid 52 syscall 34\n");
    CHECK(run_kringctl("replay --format syscount " + untyped, &status) == "pid 52 syscall 34\n");
    CHECK(run_kringctl("replay --format hex " + typed, &status).find("24 bytes") !=
          std::string::npos);
    unlink(untyped.c_str());
    unlink(typed.c_str());
    rmdir(dir);
}

TEST_CASE("kringctl --help holds every command's own --help: the man page has every option") {
    int status = -1;
    const std::string all = run_kringctl("--help", &status);
    CHECK(status == 0);
    for (const char* command : {"verify", "run", "create", "unpin", "stats", "record", "replay",
                                "ring", "prog", "link"}) {
        CAPTURE(command);
        int own_status = -1;
        const std::string own = run_kringctl(std::string(command) + " --help", &own_status);
        CHECK(own_status == 0);
        CHECK(own.find("--help") != std::string::npos);
        CHECK(all.find(own) != std::string::npos);
    }
    // record's and run's options among them, as help2man finds them.
    for (const char* option : {"--sync arg (=1s)", "--max-chunk", "--no-checksum", "--pin",
                               "--ring-size", "--count", "--duration"})
        CHECK(all.find(option) != std::string::npos);
}
