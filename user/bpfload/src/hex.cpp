#include <cctype>
#include <cerrno>
#include <cstdio>
#include <kring/hex.hpp>
#include <kring/kring.hpp>

namespace kring {

std::string to_hex(std::span<const std::byte> bytes) {
    std::string out;
    char buf[3];
    for (std::byte b : bytes) {
        snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned>(b));
        out += buf;
    }
    return out;
}

std::vector<std::byte> parse_hex(const std::string& text, const std::string& option) {
    std::string digits;
    for (char c : text) {
        if (isspace(static_cast<unsigned char>(c)))
            continue;
        if (!isxdigit(static_cast<unsigned char>(c)))
            throw Error(EINVAL, option + ": '" + c +
                                    "' is not a hex digit: give the bytes as two hex digits "
                                    "each, as in " +
                                    option + " \"05000000 07000000\"");
        digits += c;
    }
    if (digits.size() % 2)
        throw Error(EINVAL, option + ": odd number of hex digits: give two per byte");
    std::vector<std::byte> out;
    for (size_t i = 0; i < digits.size(); i += 2)
        out.push_back(static_cast<std::byte>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    return out;
}

} // namespace kring
