# find_package(kring): the imported target kring::kring (libkring.so, its
# headers and <linux/kring.h>; C++20).
include(${CMAKE_CURRENT_LIST_DIR}/kringTargets.cmake)
