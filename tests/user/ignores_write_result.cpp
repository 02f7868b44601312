// Must not compile with -Werror=unused-result: Ring::write() and output()
// return false for a dropped record, so their results are [[nodiscard]]
// (tests/user/CMakeLists.txt checks the compiler's message).
#include <kring/kring.hpp>

void drop_silently(const kring::Ring& ring, std::span<const std::byte> record) {
    ring.write(record);
    ring.output(record, 0);
}
