#!/bin/bash
# Builds kring.ko and the test module kring_api_test.ko for one kernel, in a
# tree of their own: build/modules/KVER/{kmod,tests/kmod}/*.ko. Kbuild writes
# its objects next to the sources, so each kernel gets a copy of them; the
# copy keeps the sources' times, so a rebuild compiles only what changed.
# Needs only that kernel's headers: no root, nothing installed.
#
#   scripts/build-module.sh [KVER]    (default: scripts/kernel-version)
#   KDIR=TREE scripts/build-module.sh KVER   against a kernel tree of its own
#                                            (the debug kernel)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-$("$top/scripts/kernel-version")}
kdir=${KDIR:-/lib/modules/$kver/build}
[ -d "$kdir" ] || kdir=/usr/src/linux-headers-$kver
if [ ! -d "$kdir" ]; then
	echo "build-module: no headers for kernel $kver: apt-get install linux-headers-$kver" >&2
	exit 1
fi
out=$top/build/modules/$kver
mkdir -p "$out/tests"
# Mirror the sources, removing what no longer exists (or a stale object of
# a removed source would be linked in); not the .mod.c files modpost writes,
# without which 6.1's Kbuild cannot rebuild a module.
for dir in kmod uapi tests/kmod; do
	mkdir -p "$out/$dir"
	(cd "$top/$dir" && find . -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \)) |
		sort >"$out/$dir.sources"
	find "$out/$dir" -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) \
		! -name '*.mod.c' -printf '%P\n' |
		sed 's|^|./|' | sort | comm -13 "$out/$dir.sources" - |
		while read -r stale; do
			rm -f "$out/$dir/$stale" "$out/$dir/${stale%.c}.o"
		done
	(cd "$top/$dir" && cp --parents -p -u $(cat "$out/$dir.sources") "$out/$dir/")
done
jobs=$(nproc)
make -s -C "$kdir" M="$out/kmod" -j"$jobs" modules
make -s -C "$kdir" M="$out/tests/kmod" KBUILD_EXTRA_SYMBOLS="$out/kmod/Module.symvers" \
	-j"$jobs" modules
echo "build-module: $out/kmod/kring.ko"
