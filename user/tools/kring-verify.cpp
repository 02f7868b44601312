// kring-verify: verifies BPF programs with kring's verifier, without a
// kernel; the same command as `kringctl verify` (kring/verify_cli.hpp).
// Exit status: 0 all accepted, 1 one rejected (or an unexpected failure),
// 2 bad usage or input.
#include <iostream>
#include <kring/unexpected_error.hpp>
#include <kring/verify_cli.hpp>

int main(int argc, char** argv) {
    try {
        return kring::bpf::verify_command(std::vector<std::string>(argv + 1, argv + argc),
                                          "kring-verify", std::cout, std::cerr);
    } catch (const kring::Error& e) {
        std::cerr << "kring-verify: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "kring-verify: " << kring::describe_unexpected(e) << "\n";
        return 1;
    }
}
