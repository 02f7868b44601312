// Bytes as hex on kring's command lines: contexts, map keys and values in,
// records and map entries out.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace kring {

// "0a1b..." (two lowercase digits a byte, nothing between).
std::string to_hex(std::span<const std::byte> bytes);
// Two hex digits a byte, blanks anywhere ignored. Throws kring::Error
// (EINVAL) naming `option` (e.g. "--key") and a character that is not one.
std::vector<std::byte> parse_hex(const std::string& text, const std::string& option);

} // namespace kring
