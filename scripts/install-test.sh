#!/bin/bash
# make check's install test: a staged `make install`, what a user builds
# against it, DKMS builds for every installed kernel, the installed
# consumers and /dev/kring's group in the VM, and `make uninstall`.
# Ends with "install: N passed, N failed".
#
#   scripts/install-test.sh [KVER for the VM run, default scripts/kernel-version]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kver=${1:-$(scripts/kernel-version)}
stage=$top/build/install-test
log=$stage/log
prefix=/opt/kring
root=$stage/root
vm=$stage/vm/opt/kring-install
version=$(sed -nE 's/^project\(kring VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
rm -rf "$stage"
mkdir -p "$vm" "$stage/dkms"
passed=0 failed=0

step() { # name, then a command
	local name=$1
	shift
	echo "== $name: $*" >>"$log"
	if "$@" >>"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name (log: $log)"
	fi
}

step "make install DESTDIR=... PREFIX=$prefix" make -s install DESTDIR="$root" PREFIX="$prefix"

# A consumer outside the tree, built with pkg-config (statically, for the VM)
# and with CMake's find_package(kring) (against libkring.so).
pkgconfig() {
	PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$(dirname "$(find "$root" -name kring.pc)") \
		pkg-config "$@" kring
}
build_pkgconfig() {
	# shellcheck disable=SC2046 # pkg-config's words are meant to split
	g++ -std=c++20 -O2 -static -o "$vm/consumer-pkgconfig" tests/install/consumer.cpp \
		$(pkgconfig --static --cflags --libs)
}
step "consumer built with pkg-config --cflags --libs kring" build_pkgconfig
build_cmake() {
	cmake -S tests/install -B "$stage/cmake" -DCMAKE_PREFIX_PATH="$root$prefix" &&
		cmake --build "$stage/cmake" &&
		cp "$stage/cmake/consumer-cmake" "$vm/"
}
step "consumer built with CMake find_package(kring)" build_cmake

# The CMake consumer links libkring.so: give the VM it and what it needs.
copy_runtime() {
	local lib
	mkdir -p "$stage/vm/lib64" "$stage/vm/lib/x86_64-linux-gnu"
	cp -L /lib64/ld-linux-x86-64.so.2 "$stage/vm/lib64/"
	for lib in $(LD_LIBRARY_PATH=$(dirname "$(find "$root" -name libkring.so.0)") \
		ldd "$vm/consumer-cmake" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p'); do
		cp -L "$lib" "$stage/vm/lib/x86_64-linux-gnu/"
	done
	cp "$root/usr/lib/udev/rules.d/60-kring.rules" tests/install/run.sh "$vm/"
}
step "the CMake consumer's shared libraries for the VM" copy_runtime

dkms_build() { # kver
	dkms build --sourcetree "$root/usr/src" --dkmstree "$stage/dkms" -m kring -v "$version" -k "$1"
}
if command -v dkms >/dev/null 2>&1; then
	step "dkms add" dkms add --sourcetree "$root/usr/src" --dkmstree "$stage/dkms" -m kring -v "$version"
	for k in $(scripts/kernel-version --all); do
		step "dkms build for $k" dkms_build "$k"
	done
else
	failed=$((failed + 1))
	echo "FAIL  dkms is not installed (scripts/install-deps.sh installs it)"
fi

vm_out=$(scripts/build-module.sh "$kver" >>"$log" 2>&1 &&
	tests/vm/run-vm.sh --kver "$kver" --mode install --overlay "$stage/vm" --timeout 300 2>&1)
echo "$vm_out" >"$stage/vm.log"
grep -E '^KRING-CHECK|^KRING-SPLAT|^vm-install' <<<"$vm_out"
vm_line=$(grep -E '^vm-install .*: [0-9]+ passed, [0-9]+ failed$' <<<"$vm_out" | tail -n 1)
if [ -n "$vm_line" ]; then
	passed=$((passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$vm_line")))
	failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$vm_line")))
else
	failed=$((failed + 1))
	echo "FAIL  the install VM run printed no result (log: $stage/vm.log)"
fi

step "make uninstall DESTDIR=..." make -s uninstall DESTDIR="$root" PREFIX="$prefix"
nothing_left() {
	local left
	left=$(find "$root" -type f)
	[ -z "$left" ] || { echo "left after uninstall: $left"; return 1; }
}
step "uninstall leaves no file behind" nothing_left

echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
