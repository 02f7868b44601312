#include "progress.hpp"

#include "commands.hpp"

#include <cstdio>

namespace kringctl {

namespace {

constexpr auto kInterval = std::chrono::milliseconds(500);

} // namespace

ProgressMode parse_progress_mode(const std::string& name) {
    if (name == "auto")
        return ProgressMode::automatic;
    if (name == "always")
        return ProgressMode::always;
    if (name == "never")
        return ProgressMode::never;
    throw po::error("--progress is auto, always or never, not " + name);
}

ProgressLine::ProgressLine(ProgressMode mode, bool terminal)
    : shown_(mode == ProgressMode::always || (mode == ProgressMode::automatic && terminal)) {}

bool ProgressLine::due() const {
    return shown_ && (!printed_ || std::chrono::steady_clock::now() - last_ >= kInterval);
}

void ProgressLine::update(const std::string& text) {
    if (!shown_)
        return;
    // Carriage return, the text, then erase to the end of the line (ECMA-48
    // EL), so that a shorter line leaves nothing of the longer one.
    std::fprintf(stderr, "\r%s\033[K", text.c_str());
    std::fflush(stderr);
    printed_ = true;
    last_ = std::chrono::steady_clock::now();
}

void ProgressLine::end() {
    if (!printed_)
        return;
    std::fputc('\n', stderr);
    std::fflush(stderr);
    printed_ = false;
}

} // namespace kringctl
