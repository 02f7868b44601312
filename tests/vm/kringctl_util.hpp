// Running kringctl from the in-VM tests: spawned with its stdout on a pipe,
// its exit status waited for.
#pragma once

#include "vm_util.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace vmtest::cli {

inline std::string kringctl_path() {
    const char* path = getenv("KRINGCTL");
    return path ? path : "/bin/kringctl";
}

// Starts kringctl with `args`; its stdout goes to `out_fd` (or /dev/null),
// its stderr to `err_fd` (or the console).
inline pid_t spawn_kringctl(const std::vector<std::string>& args, int out_fd = -1,
                            int err_fd = -1) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = out_fd >= 0 ? out_fd : ::open("/dev/null", O_WRONLY);
        dup2(fd, STDOUT_FILENO);
        if (err_fd >= 0)
            dup2(err_fd, STDERR_FILENO);
        std::vector<char*> argv;
        std::string path = kringctl_path();
        argv.push_back(path.data());
        for (const std::string& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        execv(path.c_str(), argv.data());
        _exit(127);
    }
    return pid;
}

inline int wait_exit(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// kringctl's stdout for `args`, and its exit status.
inline std::string run_kringctl(const std::vector<std::string>& args, int* status) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        throw std::runtime_error("pipe");
    pid_t pid = spawn_kringctl(args, pipe_fds[1]);
    ::close(pipe_fds[1]);
    std::string out = read_to_end(pipe_fds[0]);
    *status = wait_exit(pid);
    return out;
}

// kringctl's stdout for `args`, run until it exits while `work` is called
// about every 10 ms (what it is to see), or until `timeout`: then it is
// killed and *status is -1; else its exit status.
inline std::string run_kringctl_while(const std::vector<std::string>& args,
                                      const std::function<void()>& work,
                                      std::chrono::seconds timeout, int* status) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        throw std::runtime_error("pipe");
    pid_t pid = spawn_kringctl(args, pipe_fds[1]);
    ::close(pipe_fds[1]);
    int raw = 0;
    bool exited = false;
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!exited && std::chrono::steady_clock::now() < until) {
        exited = waitpid(pid, &raw, WNOHANG) == pid;
        work();
        ::usleep(10000);
    }
    if (!exited) {
        ::kill(pid, SIGKILL);
        waitpid(pid, &raw, 0);
    }
    std::string out = read_to_end(pipe_fds[0]);
    ::close(pipe_fds[0]);
    *status = !exited ? -1 : WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return out;
}

} // namespace vmtest::cli
