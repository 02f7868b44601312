// A progress line on a terminal: rewritten in place at most twice a second,
// for the long-running commands (record, replay) whose output is not there.
#pragma once

#include <chrono>
#include <string>

namespace kringctl {

enum class ProgressMode { automatic, always, never };

// "auto", "always" or "never"; throws po::error otherwise.
ProgressMode parse_progress_mode(const std::string& name);

class ProgressLine {
public:
    // Shown if `mode` is always, or automatic and `terminal` (the caller
    // knows which of its streams must be a terminal).
    ProgressLine(ProgressMode mode, bool terminal);
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    // Ends the line, if one was printed.
    ~ProgressLine() { end(); }

    bool shown() const { return shown_; }
    // Whether update() would print now: shown, and the last line is older
    // than the interval (so the caller builds the text only then).
    bool due() const;
    // Replaces the line on stderr by `text`.
    void update(const std::string& text);
    // Ends the line where it stands (a newline), so that what follows
    // starts on a line of its own and the last figures stay in view; a
    // console that is not a terminal (a serial log) keeps whole lines.
    void end();

private:
    bool shown_;
    bool printed_ = false;
    std::chrono::steady_clock::time_point last_{};
};

} // namespace kringctl
