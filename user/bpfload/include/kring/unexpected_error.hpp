// The last resort of kring's command-line tools: an exception that none of
// their own handlers expected, said as clearly as it can be.
#pragma once

#include <exception>
#include <string>

namespace kring {

// "out of memory" for std::bad_alloc; for anything else, that it is a bug
// in the tool, the exception's type and text, and what to do about it.
std::string describe_unexpected(const std::exception& e);

} // namespace kring
