// kringctl's commands, one function each (argv after the command name);
// each returns the exit status: 0 success, 1 failure, 2 bad usage (by
// throwing boost::program_options::error).
#pragma once

#include <atomic>
#include <boost/program_options.hpp>
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

// Parses `args` against `opts`, with positional arguments (at most
// `max_positional`, -1 for any number) into `positional`. False if --help
// was asked for (and printed).
bool parse_args(const std::vector<std::string>& args, const po::options_description& opts,
                std::vector<std::string>* positional, int max_positional);

// Set by SIGINT and SIGTERM once install_stop_handlers() ran.
extern std::atomic<bool> stop_requested;
void install_stop_handlers();

} // namespace kringctl
