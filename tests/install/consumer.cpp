// A daemon's consumer built outside the tree against an installed libkring
// (pkg-config and CMake's find_package): creates a ring, writes records into
// it through the device, consumes them with kring::Consumer. Exits 0 when all
// arrived in order, the errno of a kring::Error otherwise (13: EACCES).
#include <cstdio>
#include <cstring>
#include <kring/kring.hpp>
#include <linux/kring.h>

int main() {
    try {
        kring::Ring ring = kring::Ring::create(16 * 1024);
        for (uint32_t i = 0; i < 100; i++)
            if (!ring.write(std::as_bytes(std::span(&i, 1))))
                return 100;
        kring::Consumer consumer;
        uint32_t next = 0;
        consumer.add(ring, [&](std::span<const std::byte> record) {
            uint32_t value;
            if (record.size() != sizeof(value))
                return -1;
            std::memcpy(&value, record.data(), sizeof(value));
            return value == next++ ? 0 : -1;
        });
        int64_t n = consumer.poll(std::chrono::milliseconds(1000));
        std::printf("consumed %lld records\n", static_cast<long long>(n));
        return n == 100 ? 0 : 101;
    } catch (const kring::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return e.errno_value();
    }
}
