// kring-verify: verifies BPF programs with kring's verifier, without a
// kernel; the same command as `kringctl verify` (kring/verify_cli.hpp).
// Exit status: 0 all accepted, 1 one rejected, 2 bad usage or input.
#include <iostream>
#include <kring/verify_cli.hpp>

int main(int argc, char** argv) {
    return kring::bpf::verify_command(std::vector<std::string>(argv + 1, argv + argc),
                                      "kring-verify", std::cout, std::cerr);
}
