// JSON output of kring's tools: one object per line.
#pragma once

#include <string>
#include <string_view>

namespace kring {

// `text` as a JSON string, quoted: quotes and backslashes escaped, control
// and non-ASCII bytes as \u00XX.
std::string json_string(std::string_view text);

} // namespace kring
