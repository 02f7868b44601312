#include "kring/unexpected_error.hpp"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <new>
#include <typeinfo>

namespace kring {

namespace {

// The exception's type as it is written in C++ ("std::out_of_range").
std::string type_name(const std::exception& e) {
    const char* mangled = typeid(e).name();
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? name.get() : mangled;
}

} // namespace

std::string describe_unexpected(const std::exception& e) {
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return "out of memory (free some, or give the command smaller inputs)";
    return "internal error: an unexpected " + type_name(e) + " (\"" + e.what() +
           "\"); this is a bug: please report it with the command line and its input files";
}

} // namespace kring
