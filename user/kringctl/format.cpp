#include "format.hpp"

#include <cstdio>
#include <cstring>
#include <kring/hex.hpp>

namespace kringctl {

std::optional<Format> parse_format(const std::string& name) {
    if (name == "auto")
        return Format::automatic;
    if (name == "exec-snoop")
        return Format::exec_snoop;
    if (name == "syscount")
        return Format::syscount;
    if (name == "opensnoop")
        return Format::opensnoop;
    if (name == "hex")
        return Format::hex;
    return std::nullopt;
}

Format format_of_type(std::string_view record_type) {
    if (record_type == "exec_snoop_event")
        return Format::exec_snoop;
    if (record_type == "syscount_event")
        return Format::syscount;
    if (record_type == "opensnoop_event")
        return Format::opensnoop;
    return Format::hex;
}

std::string decodable_type(const std::string& type, uint64_t size) {
    switch (format_of_type(type)) {
    case Format::exec_snoop:
        return size == sizeof(exec_snoop_event) ? type : "";
    case Format::syscount:
        return size == sizeof(syscount_event) ? type : "";
    case Format::opensnoop:
        return size == sizeof(opensnoop_event) ? type : "";
    default:
        return "";
    }
}

std::string_view field_string(const char* field, size_t size) {
    return std::string_view(field, strnlen(field, size));
}

void Printer::print(const std::string& ring, std::string_view record_type,
                    std::span<const std::byte> record) {
    Format f = format_ == Format::automatic ? format_of_type(record_type) : format_;
    if (f == Format::exec_snoop && record.size() == sizeof(exec_snoop_event)) {
        exec_snoop_event e;
        std::memcpy(&e, record.data(), sizeof(e));
        exec_snoop(e);
    } else if (f == Format::syscount && record.size() == sizeof(syscount_event)) {
        syscount_event e;
        std::memcpy(&e, record.data(), sizeof(e));
        syscount(e);
    } else if (f == Format::opensnoop && record.size() == sizeof(opensnoop_event)) {
        opensnoop_event e;
        std::memcpy(&e, record.data(), sizeof(e));
        opensnoop(e);
    } else {
        hex(ring, record);
    }
}

void Printer::opensnoop(const opensnoop_event& e) {
    auto comm = field_string(e.comm, sizeof(e.comm));
    auto file = field_string(e.filename, sizeof(e.filename));
    if (json_) {
        out_ << "{\"event\":\"open\",\"ts_ns\":" << e.ts_ns << ",\"pid\":" << e.pid
             << ",\"tid\":" << e.tid << ",\"comm\":" << json_string(comm) << ",\"dfd\":" << e.dfd
             << ",\"filename\":" << json_string(file) << ",\"ret\":" << e.ret << "}\n";
        return;
    }
    out_ << "pid " << e.pid << " " << comm << " open " << file << " = " << e.ret << "\n";
}

void Printer::exec_snoop(const exec_snoop_event& e) {
    static const char* const kinds[] = {"?", "fork", "exec", "exit"};
    const char* kind = e.kind <= EXEC_SNOOP_EXIT ? kinds[e.kind] : "?";
    auto comm = field_string(e.comm, sizeof(e.comm));
    auto file = field_string(e.filename, sizeof(e.filename));
    if (!first_ts_)
        first_ts_ = e.ts_ns;
    if (json_) {
        out_ << "{\"event\":\"" << kind << "\",\"ts_ns\":" << e.ts_ns << ",\"cpu\":" << e.cpu
             << ",\"pid\":" << e.pid << ",\"ppid\":" << e.ppid << ",\"comm\":" << json_string(comm);
        if (e.kind == EXEC_SNOOP_EXEC)
            out_ << ",\"filename\":" << json_string(file);
        if (e.kind == EXEC_SNOOP_EXIT)
            out_ << ",\"exit_code\":" << e.exit_code;
        out_ << "}\n";
        return;
    }
    char line[256];
    snprintf(line, sizeof(line), "%10.6f cpu%u %-4s pid %-6u ppid %-6u %-16.*s",
             static_cast<double>(e.ts_ns - first_ts_) / 1e9, e.cpu, kind, e.pid, e.ppid,
             static_cast<int>(comm.size()), comm.data());
    out_ << line;
    if (e.kind == EXEC_SNOOP_EXEC)
        out_ << " " << file;
    if (e.kind == EXEC_SNOOP_EXIT)
        out_ << " exit code " << e.exit_code;
    out_ << "\n";
}

void Printer::syscount(const syscount_event& e) {
    if (json_)
        out_ << "{\"event\":\"syscall\",\"ts_ns\":" << e.ts_ns << ",\"nr\":" << e.nr
             << ",\"pid\":" << e.pid << ",\"tgid\":" << e.tgid << "}\n";
    else
        out_ << "pid " << e.tgid << " syscall " << e.nr << "\n";
}

void Printer::hex(const std::string& ring, std::span<const std::byte> record) {
    std::string data = kring::to_hex(record);
    if (json_)
        out_ << "{\"ring\":" << json_string(ring) << ",\"size\":" << record.size() << ",\"data\":\""
             << data << "\"}\n";
    else
        out_ << ring << ": " << record.size() << " bytes " << data << "\n";
}

} // namespace kringctl
