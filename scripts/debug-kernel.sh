#!/bin/bash
# make debug-kernel: a 6.1 kernel from Debian's linux-source-6.1 with the
# checkers Debian's kernels lack (KASAN, lockdep with PROVE_LOCKING,
# DEBUG_ATOMIC_SLEEP, KFENCE) and what the module and the in-VM tests need,
# for the test VM only. Built once per machine: it is cached outside the clone
# under $KRING_CACHE (default /var/cache/kring), in a directory named by the
# hash of its configuration fragment and of the source package's version.
#
#   scripts/debug-kernel.sh build    build it unless cached; prints its dir
#   scripts/debug-kernel.sh dir      prints the cached kernel's dir, or fails
#
# The dir holds the build tree (the module builds against it: KDIR=DIR) and
# DIR/bzImage, and DIR/kernelrelease names it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KRING_CACHE:-/var/cache/kring}
fragment=$top/scripts/debug-kernel.config
source_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo none)
hash=$( (cat "$fragment" && echo "$source_version") | sha256sum | cut -c1-16)
dir=$cache/debug-kernel-$hash

case "${1:-}" in
dir)
	[ -f "$dir/bzImage" ] && echo "$dir" && exit 0
	exit 1
	;;
build) ;;
*)
	echo "usage: scripts/debug-kernel.sh build|dir" >&2
	exit 2
	;;
esac

if [ -f "$dir/bzImage" ]; then
	echo "$dir"
	exit 0
fi
"$top/scripts/install-deps.sh" flex bison libssl-dev libelf-dev bc
start=$(date +%s)
tree=$dir.partial
rm -rf "$tree"
mkdir -p "$tree"
tar -C "$tree" --strip-components=1 -xJf /usr/src/linux-source-6.1.tar.xz
cd "$tree"
make -s x86_64_defconfig
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make -s olddefconfig
# Every option of the fragment must have survived olddefconfig: a missing
# dependency would silently drop a checker.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while read -r line; do
	grep -qx "$line" .config || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "debug-kernel: the configuration lost: $missing" >&2
	exit 1
fi
make -s -j"$(nproc)" LOCALVERSION=-kring-debug bzImage modules
cp arch/x86/boot/bzImage .
make -s LOCALVERSION=-kring-debug kernelrelease >kernelrelease
cd /
mv "$tree" "$dir"
echo "debug-kernel: built $(cat "$dir/kernelrelease") in $(($(date +%s) - start)) s" >&2
echo "$dir"
