#!/bin/bash
# make install / make uninstall: kring as a system's own.
#
#   scripts/install.sh install|uninstall   (PREFIX, default /usr/local; DESTDIR)
#
# Installs, under DESTDIR:
#   PREFIX/lib/libkring.so*, libkring.a, PREFIX/include/kring/*.hpp,
#   PREFIX/include/linux/kring.h, PREFIX/lib/pkgconfig/kring.pc,
#   PREFIX/lib/cmake/kring/ (find_package(kring): kring::kring)
#   PREFIX/bin/kringctl, kring-verify, kring-run and their man pages
#   /usr/src/kring-VERSION/: the module's sources with dkms.conf
#   /usr/lib/udev/rules.d/60-kring.rules: /dev/kring to group kring, 0660
#   PREFIX/share/kring/install-manifest: every file above, for uninstall
# Without DESTDIR (a real install, as root) it also creates the kring group,
# builds and installs the module with DKMS for every kernel that has headers
# (and, through DKMS, for each new one), and reloads udev's rules.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
action=${1:-}
prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
build=$top/build/release
version=$(sed -nE 's/^project\(kring VERSION ([0-9.]+).*/\1/p' "$top/CMakeLists.txt")
manifest=$destdir$prefix/share/kring/install-manifest
srcdir=/usr/src/kring-$version
rules=/usr/lib/udev/rules.d/60-kring.rules

need() { # command package: say what to install when a tool is missing
	command -v "$1" >/dev/null 2>&1 || {
		echo "install: $1 is missing: apt-get install $2" >&2
		exit 1
	}
}

install_files() {
	need cmake cmake
	need g++ g++
	need pkg-config pkg-config
	need help2man help2man
	cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKRING_TESTS=OFF \
		-DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
	cmake --build "$build" -j"$(nproc)" --target kring kring_shared kringctl kring-verify kring-run
	DESTDIR=$destdir cmake --install "$build" >/dev/null
	local files=()
	mapfile -t files <"$build/install_manifest.txt"

	# Man pages, generated from each tool's own --help, so they cannot drift.
	local man=$destdir$prefix/share/man/man8
	mkdir -p "$man"
	local tool name
	for tool in kringctl kring-verify kring-run; do
		case $tool in
		kringctl) name="load, attach and run BPF programs; create, record and replay kring rings" ;;
		kring-verify) name="verify BPF programs with kring's verifier, without a kernel" ;;
		kring-run) name="run BPF programs in kring's interpreter, without a kernel" ;;
		esac
		help2man --no-info --no-discard-stderr --section 8 --version-string "$version" \
			--name "$name" "$(find "$build/user" -type f -name "$tool" | head -n 1)" >"$man/$tool.8"
		files+=("$man/$tool.8")
	done

	# The module's sources, for DKMS.
	local src=$destdir$srcdir
	rm -rf "$src"
	mkdir -p "$src"
	(cd "$top" && find kmod uapi -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) \
		-exec cp --parents {} "$src/" \;)
	sed "s/@VERSION@/$version/" "$top/packaging/dkms.conf.in" >"$src/dkms.conf"
	while IFS= read -r f; do files+=("$f"); done < <(find "$src" -type f)

	mkdir -p "$(dirname "$destdir$rules")"
	cp "$top/packaging/60-kring.rules" "$destdir$rules"
	files+=("$destdir$rules")

	mkdir -p "$(dirname "$manifest")"
	printf '%s\n' "${files[@]#"$destdir"}" "${manifest#"$destdir"}" >"$manifest"
}

install_system() {
	getent group kring >/dev/null || groupadd --system kring
	need dkms dkms
	dkms remove -m kring -v "$version" --all >/dev/null 2>&1 || true
	dkms add -m kring -v "$version"
	for build_dir in /lib/modules/*/build; do
		[ -d "$build_dir" ] || continue
		kver=$(basename "$(dirname "$build_dir")")
		dkms install -m kring -v "$version" -k "$kver"
	done
	if command -v udevadm >/dev/null 2>&1; then
		udevadm control --reload || true
		udevadm trigger --subsystem-match=misc --sysname-match=kring || true
	fi
}

uninstall() {
	if [ -z "$destdir" ] && command -v dkms >/dev/null 2>&1; then
		dkms remove -m kring -v "$version" --all >/dev/null 2>&1 || true
	fi
	if [ ! -f "$manifest" ]; then
		echo "uninstall: no $manifest: nothing of kring is installed under $destdir$prefix" >&2
		exit 1
	fi
	while IFS= read -r f; do
		rm -f "$destdir$f"
	done <"$manifest"
	rm -rf "$destdir$srcdir"
	for dir in "$destdir$prefix/include/kring" "$destdir$prefix/lib/cmake/kring" \
		"$destdir$prefix/share/kring"; do
		rmdir "$dir" 2>/dev/null || true
	done
	echo "uninstall: removed kring $version (the kring group stays: groupdel kring)"
}

case "$action" in
install)
	install_files
	[ -n "$destdir" ] || install_system
	echo "install: kring $version in ${destdir:-/}${destdir:+ }(prefix $prefix)"
	;;
uninstall) uninstall ;;
*)
	echo "usage: scripts/install.sh install|uninstall (PREFIX=..., DESTDIR=...)" >&2
	exit 2
	;;
esac
