// How kringctl prints records: the example programs' events as text or JSON
// lines, anything else as hex. A record is decoded as an event only when its
// ring declares that type (the program's KRING_RECORD_TYPE(T), the record
// file's ring declaration) or --format says so; never because of its size
// alone.
#pragma once

extern "C" {
#include "exec-snoop.h"
}

#include <cstddef>
#include <cstdint>
#include <kring/json.hpp>
#include <optional>
#include <ostream>
#include <span>
#include <string>

namespace kringctl {

enum class Format { automatic, exec_snoop, syscount, opensnoop, hex };

std::optional<Format> parse_format(const std::string& name);

// The event a record type names: exec_snoop_event, syscount_event and
// opensnoop_event; hex for any other.
Format format_of_type(std::string_view record_type);
// `type` if kringctl decodes it and `size` is the size it knows for it (a
// program built against another exec-snoop.h is not decoded), else "".
std::string decodable_type(const std::string& type, uint64_t size);

// A JSON string literal for `text` (quotes included), bytes above 0x7e and
// controls escaped so that any record prints as valid JSON.
using kring::json_string;
// The C string in a fixed-size field (up to its first NUL).
std::string_view field_string(const char* field, size_t size);

class Printer {
public:
    Printer(Format format, bool json, std::ostream& out)
        : format_(format), json_(json), out_(out) {}
    // One line for a record of `ring`, whose records are of `record_type`
    // ("" if it declares none).
    void print(const std::string& ring, std::string_view record_type,
               std::span<const std::byte> record);

private:
    void exec_snoop(const exec_snoop_event& e);
    void syscount(const syscount_event& e);
    void opensnoop(const opensnoop_event& e);
    void hex(const std::string& ring, std::span<const std::byte> record);

    Format format_;
    bool json_;
    std::ostream& out_;
    uint64_t first_ts_ = 0;
};

} // namespace kringctl
