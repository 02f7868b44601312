// The error the loader's steps throw for a malformed or unsupported file:
// EINVAL, with a message that names the file and the problem.
#pragma once

#include <cerrno>
#include <kring/kring.hpp>
#include <string>

namespace kring::bpf {

[[noreturn]] inline void invalid(const std::string& path, const std::string& what) {
    throw Error(EINVAL, path + ": " + what);
}

} // namespace kring::bpf
