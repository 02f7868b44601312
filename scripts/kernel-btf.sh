#!/bin/sh
# A Debian kernel image's BTF, for BPF programs built with CO-RE and for the
# loader's tests (docs/programs.md, "CO-RE").
#
#   kernel-btf.sh vmlinux IMAGE OUT   the ELF vmlinux inside bzImage IMAGE
#   kernel-btf.sh btf IMAGE OUT       its raw .BTF section (a --btf file)
#   kernel-btf.sh header IMAGE OUT    vmlinux.h: its BTF as C (bpftool)
#
# A bzImage carries the kernel compressed after its setup code and
# decompressor: xz for Debian's 6.1 kernels, zstd for 6.12's. The payload
# starts at the first occurrence of its format's magic. The outputs depend
# on IMAGE alone, so a build makes the same vmlinux.h every time.
set -eu

usage() {
	echo "usage: $0 vmlinux|btf|header IMAGE OUT" >&2
	exit 2
}
[ $# -eq 3 ] || usage
what=$1 image=$2 out=$3
[ -r "$image" ] || {
	echo "$0: cannot read $image (install its linux-image package: scripts/install-deps.sh)" >&2
	exit 1
}

# The byte offset of the first occurrence of the bytes $2 (grep -P escapes)
# in file $1, or nothing.
offset_of() {
	LC_ALL=C grep -obUaP "$2" "$1" | head -n 1 | cut -d: -f1
}

# The uncompressed kernel of bzImage $1, on stdout. Data after the payload
# (the decompressor's size field) is not part of the stream: xz is told to
# read one stream, zstd stops at the end of its frame with a warning that
# the trailing bytes are not a frame, which is expected here.
decompress() {
	at=$(offset_of "$1" '\xfd\x37\x7a\x58\x5a\x00')
	if [ -n "$at" ]; then
		tail -c +$((at + 1)) "$1" | xz -dc --single-stream
		return
	fi
	at=$(offset_of "$1" '\x28\xb5\x2f\xfd')
	if [ -n "$at" ]; then
		tail -c +$((at + 1)) "$1" | zstd -dcq 2>/dev/null || [ "$?" -eq 1 ]
		return
	fi
	echo "$0: $1: neither an xz nor a zstd payload" >&2
	return 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
decompress "$image" >"$tmp/vmlinux"
if ! readelf -S "$tmp/vmlinux" 2>/dev/null | grep -q ' \.BTF '; then
	echo "$0: $image: the decompressed kernel is not an ELF file with a .BTF section" >&2
	exit 1
fi
case $what in
vmlinux) cp "$tmp/vmlinux" "$tmp/out" ;;
btf) objcopy -O binary --only-section=.BTF "$tmp/vmlinux" "$tmp/out" ;;
header) bpftool btf dump file "$tmp/vmlinux" format c >"$tmp/out" ;;
*) usage ;;
esac
chmod 644 "$tmp/out"
mv "$tmp/out" "$out"
