// The command line that kring-verify and `kringctl verify` share: one set of
// options, one way to pick each program's context, one output and one set
// of exit statuses (docs/tools.md).
#pragma once

#include <kring/bpfload.hpp>
#include <linux/kring.h>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kring::bpf {

// The context a program is verified (and run) against.
struct ProgramContext {
    kring_attach_type attach = static_cast<kring_attach_type>(0); // 0 with an explicit size
    uint32_t size = 0;
    std::string description; // "sched_process_exec" or "40-byte context"
};

// `ctx_size` if given, else the attach point `attach` names (an --attach
// name) if not empty, else the one the program's section names. Throws
// kring::Error (EINVAL) if that leaves none, or `attach` names none.
ProgramContext context_of(const Program& prog, const std::string& attach,
                          std::optional<uint32_t> ctx_size);

// The whole of `kring-verify ARGS` (with tool "kring-verify") and of
// `kringctl verify ARGS` (with tool "kringctl verify"): parses the options,
// loads the file, verifies the programs, prints to `out` and `err`. Returns
// the exit status: 0 all accepted, 1 a program rejected, 2 bad usage or
// input (an unreadable or refused file, a section that matches nothing, a
// program without a context).
int verify_command(const std::vector<std::string>& args, const std::string& tool, std::ostream& out,
                   std::ostream& err);

} // namespace kring::bpf
