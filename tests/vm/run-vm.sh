#!/bin/bash
# Boots Debian's kernel under QEMU (software emulation) with an initramfs that
# carries the module and the test binaries, and reads the results from the
# serial console. The VM always ends on its own: init powers off, a panic
# reboots (and -no-reboot exits), and a hang hits the timeout.
#
#   run-vm.sh --kver 6.1.0-NN-amd64 --mode test|demo|bench|install [--smp N]
#             [--timeout S] [--append "more kernel command line"] [--overlay DIR]
#             [--kernel FILE] [--disk MIB] [--single-thread]
#
# --overlay copies DIR's tree into the VM's root (the install test's files);
# --kernel boots FILE instead of /boot/vmlinuz-KVER (the debug kernel);
# --disk gives the VM a virtio disk of MIB MiB with an empty ext4 file
# system, which init mounts at /mnt/disk (the record benchmark's fdatasync
# reaches a real block device there, not tmpfs); --single-thread runs the
# vCPUs on one host thread (TCG's thread=single) for the tests that patch
# kernel text other vCPUs are executing, which multi-threaded TCG does not
# emulate coherently (docs/testing.md, "Live text patching under TCG").
# --append may be given more than once.
#
# The modules come from build/modules/KVER (scripts/build-module.sh KVER).
# Prints the console, then "vm-<mode> (KVER): N passed, N failed"; exits
# non-zero when anything failed. The console is kept in
# build/vm-<mode>/KVER/console.log (and console-boot1.log, when the first boot
# did not reach init and the kernel was booted again).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver="" mode=test smp=2 mem=1024 timeout=900 append="" overlay="" kernel="" disk=""
accel=tcg label=""
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--overlay) overlay=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--single-thread) accel=tcg,thread=single label=", single-threaded TCG"; shift ;;
	*) echo "run-vm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || kver=$("$top/scripts/kernel-version")
[ -n "$kernel" ] || kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "run-vm.sh: cannot read $kernel (run as root, after scripts/install-deps.sh)" >&2; exit 2; }

modules=$top/build/modules/$kver
[ -r "$modules/kmod/kring.ko" ] || { echo "run-vm.sh: no $modules/kmod/kring.ko (scripts/build-module.sh $kver)" >&2; exit 2; }

out=$top/build/vm-$mode/$kver${label:+-single-thread}
root=$out/root
rm -rf "$out"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,lib/kring}
cp /bin/busybox "$root/bin/busybox"
cp "$top/tests/vm/init.sh" "$root/init"
chmod +x "$root/init"
cp "$modules/kmod/kring.ko" "$modules"/tests/kmod/*.ko "$root/lib/kring/"
# The statically linked binaries of build/vm that the VM runs.
for bin in "$top"/build/vm/tests/vm/kring-vm-tests "$top"/build/vm/user/demo/kring-demo \
	"$top"/build/vm/user/kringctl/kringctl "$top"/build/vm/bench/kring-bench \
	"$top"/build/vm/bench/kring-record-bench "$top"/build/vm/examples/ring-daemon; do
	[ -x "$bin" ] && cp "$bin" "$root/bin/"
done
# The example programs kringctl runs (make run: exec-snoop).
cp "$top"/build/vm/examples/*.bpf.o "$root/lib/kring/" 2>/dev/null || true
# The benchmark's programs (make bench).
cp "$top"/build/vm/bench/*.bpf.o "$root/lib/kring/" 2>/dev/null || true
# Objects with maps and global data: Linux's ringbuf selftest programs, and
# tests/bpf_progs/globals.bpf.c (tests/vm/linux_progs_test.cpp).
cp "$top"/build/vm/tests/linux_progs/*.bpf.o "$top"/build/vm/tests/bpf_progs/globals.bpf.o \
	"$top"/build/vm/tests/bpf_progs/tail_calls.bpf.o \
	"$top"/build/vm/tests/bpf_progs/trace_events.bpf.o \
	"$top"/build/vm/tests/bpf_progs/raw_tp.bpf.o \
	"$top"/build/vm/tests/bpf_progs/tp_btf.bpf.o \
	"$top"/build/vm/tests/bpf_progs/bootstrap.bpf.o \
	"$top"/build/vm/tests/bpf_progs/ksyscall.bpf.o \
	"$top"/build/vm/tests/bpf_progs/printk.bpf.o \
	"$top"/build/vm/tests/bpf_progs/perf_output.bpf.o \
	"$top"/build/vm/tests/bpf_progs/stack.bpf.o \
	"$top"/build/vm/tests/bpf_progs/fentry.bpf.o \
	"$top"/build/vm/tests/bpf_progs/uprobe.bpf.o \
	"$top"/build/vm/tests/bpf_progs/perf_event.bpf.o \
	"$top"/build/vm/tests/bpf_progs/socket_cookie.bpf.o \
	"$top"/build/vm/tests/bpf_progs/attach_cookie.bpf.o \
	"$root/lib/kring/" 2>/dev/null || true
# The kernel's configuration where Debian keeps it, for __kconfig externs
# (tests/vm/ksyscall_test.cpp).
mkdir -p "$root/boot"
cp "/boot/config-$kver" "$root/boot/" 2>/dev/null || true
[ -z "$overlay" ] || cp -a "$overlay/." "$root/"
drive=()
if [ -n "$disk" ]; then
	# Debian builds virtio_blk, virtio_pci and ext4 as modules: the VM gets
	# them and their dependencies, in load order (init loads them).
	mkdir -p "$root/lib/disk-modules"
	for module in virtio_pci virtio_blk ext4; do
		modprobe --show-depends -S "$kver" "$module" | sed -n 's/^insmod \([^ ]*\).*/\1/p'
	done | awk '!seen[$0]++' | while read -r ko; do
		name=$(basename "${ko%%.xz}")
		case "$ko" in
		*.xz) xz -dc "$ko" >"$root/lib/disk-modules/$name" ;;
		*) cp "$ko" "$root/lib/disk-modules/$name" ;;
		esac
		echo "$name" >>"$root/lib/disk-modules/order"
	done
	rm -f "$out/disk.img"
	truncate -s "${disk}M" "$out/disk.img"
	mkfs.ext4 -q -F "$out/disk.img"
	drive=(-drive "file=$out/disk.img,if=virtio,format=raw,cache=writeback")
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"

log=$out/console.log
# no_timer_check: early in boot the kernel checks that the 8254 timer ticks
# by counting its interrupts over a TSC-timed spin; when the host delays the
# emulated timer during that spin, the boot panics ("IO-APIC + timer doesn't
# work!"), a known failure of kernels under QEMU on busy hosts.
boot_vm() {
	set +e
	timeout --foreground "$timeout" qemu-system-x86_64 -accel "$accel" -cpu max -smp "$smp" -m "$mem" \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" "${drive[@]}" \
		-append "console=ttyS0 loglevel=4 panic=-1 oops=panic no_timer_check kring.mode=$mode $append" \
		-nographic -no-reboot -monitor none -serial stdio </dev/null 2>&1 |
		stdbuf -o0 tr -d '\r' | tee "$log"
	qemu_status=${PIPESTATUS[0]}
	set -e
}

# A kernel that stops before /init starts has run none of kring's code (init
# prints KRING-BOOT before it loads the module): that boot is retried once,
# with the console's last lines on stderr, and kept as console-boot1.log. A
# second such boot, or a hang, fails the run as below.
start=$(date +%s.%N)
for boot in 1 2; do
	boot_vm
	if [ "$qemu_status" = 124 ] || grep -q 'KRING-BOOT' "$log"; then
		break
	fi
	echo "run-vm.sh: the kernel did not reach /init (boot $boot of 2, QEMU exit status $qemu_status); the console ended:" >&2
	tail -n 30 "$log" | sed 's/^/run-vm.sh:   /' >&2
	[ "$boot" = 2 ] || mv "$log" "$out/console-boot$boot.log"
done
end=$(date +%s.%N)

passed=0 failed=0
if [ "$qemu_status" = 124 ]; then
	echo "run-vm.sh: the VM hung: no power-off within ${timeout}s" >&2
	failed=$((failed + 1))
fi
grep -q '^KRING-DONE' "$log" || { echo "run-vm.sh: init did not finish (panic or hang)" >&2; failed=$((failed + 1)); }
checks_ok=$(grep -c '^KRING-CHECK ok' "$log" || true)
checks_failed=$(grep -c '^KRING-CHECK fail' "$log" || true)
passed=$((passed + checks_ok))
failed=$((failed + checks_failed))
if [ "$mode" = test ]; then
	summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1 || true)
	if [ -n "$summary" ]; then
		passed=$((passed + $(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$summary")))
		failed=$((failed + $(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$summary")))
	else
		echo "run-vm.sh: no doctest summary from kring-vm-tests" >&2
		failed=$((failed + 1))
	fi
fi
boot=$(sed -n 's/.*KRING-BOOT uptime=\([0-9.]*\).*/\1/p' "$log" | head -n 1)
echo "vm-$mode ($kver$label): boot ${boot:-?}s to init, $(awk "BEGIN { printf \"%.1f\", $end - $start }")s wall, $smp vCPUs"
echo "vm-$mode ($kver$label): $passed passed, $failed failed"
[ "$failed" = 0 ]
