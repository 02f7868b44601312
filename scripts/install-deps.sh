#!/bin/sh
# Installs the Debian 12 packages kring needs, and only if one is missing.
# Arguments name further packages a single target needs (make bench: the
# chart's python3-matplotlib).
set -eu
# The kernels: Debian 12's four lines (6.1, 6.1-rt, 6.12, 6.12-rt), image and
# headers, each tested in the VM by make check; dwarves (pahole) gives 6.12's
# modules their BTF. The two images named by version give the build its
# vmlinux.h and the CO-RE tests their target BTF (scripts/kernel-btf.sh,
# which needs xz-utils, zstd, binutils and bpftool).
KERNELS="linux-image-amd64 linux-headers-amd64 linux-image-rt-amd64
linux-headers-rt-amd64 linux-image-6.12-amd64 linux-headers-6.12-amd64
linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64 dwarves
linux-image-6.1.0-57-amd64 linux-image-6.12.117+deb12-amd64"
PACKAGES="$* $KERNELS build-essential cmake pkg-config clang llvm linux-source-6.1 qemu-system-x86 busybox-static cpio kmod
libbpf-dev libelf-dev zlib1g-dev libboost-program-options-dev doctest-dev
liburing-dev bpftool xz-utils zstd binutils python3 perl dkms help2man"
missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (apt-get needs it) or install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
