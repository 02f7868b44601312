// The in-VM test binary: every tests/vm/*.cpp test case, run as root inside
// the test VM with kring.ko loaded (see tests/vm/init.sh).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
