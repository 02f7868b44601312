#!/bin/bash
# Kernel coding style of the kernel C: checkpatch.pl from Debian's
# linux-source-6.1, unpacked once into build/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux-source-6.1
if [ ! -x "$src/scripts/checkpatch.pl" ]; then
	mkdir -p "$top/build"
	tar -C "$top/build" -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts linux-source-6.1/MAINTAINERS
fi
files=$(cd "$top" && ls kmod/*.[ch] kmod/bpf/*.[ch] tests/kmod/*.c 2>/dev/null)
# SPDX placement in headers and MAINTAINERS entries concern in-tree files only.
cd "$top" && "$src/scripts/checkpatch.pl" --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,NEW_TYPEDEFS \
	-f $files | tee build/checkpatch.log
if grep -qE '(ERROR|WARNING|CHECK):' build/checkpatch.log; then exit 1; fi
echo "checkpatch: $(wc -w <<<"$files") files clean"

