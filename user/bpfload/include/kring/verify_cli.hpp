// The command line that kring-verify and `kringctl verify` share: one set of
// options, one way to pick each program's context, one output and one set
// of exit statuses (docs/tools.md).
#pragma once

#include <boost/program_options.hpp>
#include <kring/program.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace kring::bpf {

// The whole of `kring-verify ARGS` (with tool "kring-verify") and of
// `kringctl verify ARGS` (with tool "kringctl verify"): parses the options,
// loads the file, verifies the programs, prints to `out` and `err`. Returns
// the exit status: 0 all accepted, 1 a program rejected, 2 bad usage or
// input (an unreadable or refused file, a section that matches nothing, a
// program without a context).
// --max-entries MAP=N, --set NAME=VALUE, --map-type MAP=TYPE, --btf PATH and --kconfig PATH,
// as kringctl verify,
// kringctl run, kring-verify and kring-run all take them (docs/tools.md).
struct SettingsOptions {
    std::vector<std::string> max_entries;
    std::vector<std::string> value_sizes;
    std::vector<std::string> globals;
    std::vector<std::string> map_types;
    std::string target_btf;
    std::string kconfig;

    void add_to(boost::program_options::options_description& opts);
    // Throws kring::Error (EINVAL) naming a malformed option.
    ObjectSettings settings() const;
};

int verify_command(const std::vector<std::string>& args, const std::string& tool, std::ostream& out,
                   std::ostream& err);

} // namespace kring::bpf
