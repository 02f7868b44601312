// kringctl's commands, one function each (argv after the command name);
// each returns the exit status: 0 success, 1 failure, 2 bad usage (by
// throwing boost::program_options::error).
#pragma once

#include <atomic>
#include <boost/program_options.hpp>
#include <kring/bpfload.hpp>
#include <kring/program.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kringctl {

namespace po = boost::program_options;

int verify_command(const std::vector<std::string>& args);
int run_command(const std::vector<std::string>& args);
int create_command(const std::vector<std::string>& args);
int unpin_command(const std::vector<std::string>& args);
int stats_command(const std::vector<std::string>& args);
int record_command(const std::vector<std::string>& args);
int replay_command(const std::vector<std::string>& args);
// ring list, prog list, link list (objects.cpp).
int ring_command(const std::vector<std::string>& args);
int prog_command(const std::vector<std::string>& args);
int link_command(const std::vector<std::string>& args);
// map dump, lookup, update, delete (maps.cpp).
int map_command(const std::vector<std::string>& args);

// kringctl run --pin PREFIX (objects.cpp): what each link and ring is to be
// pinned as, decided and checked (length, characters, two objects on one
// name) before anything is created; a bad name throws po::error.
struct RunPins {
    std::vector<std::string> link_names; // per program run, in object order
    std::vector<std::string> ring_names; // per ring of the object; "" for --ring ones
};
RunPins plan_run_pins(const std::string& prefix, const kring::bpf::Object& obj,
                      const std::vector<std::string>& sections,
                      const std::map<std::string, std::string>& pinned_of_map);
// Pins the links and rings as planned, or none of them (what was pinned is
// unpinned if one fails); prints what it pinned and how to undo it.
int pin_run(const RunPins& plan, const std::vector<kring::Link>& links,
            const std::vector<kring::Ring>& rings, bool json);

// Parses `args` against `opts`, with positional arguments (at most
// `max_positional`, -1 for any number) into `positional`. False if --help
// was asked for (and printed).
bool parse_args(const std::vector<std::string>& args, const po::options_description& opts,
                std::vector<std::string>* positional, int max_positional);

// Set by SIGINT and SIGTERM once install_stop_handlers() ran.
extern std::atomic<bool> stop_requested;
void install_stop_handlers();

} // namespace kringctl
