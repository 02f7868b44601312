#!/bin/busybox sh
# PID 1 of the test VM (busybox sh). Loads the module, runs what the mode asks
# for, checks the kernel log, reports on the serial console and powers off.
# Every line the host harness reads starts with "KRING-".
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mode=$(sed -n 's/.*kring\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "KRING-BOOT uptime=$(cut -d' ' -f1 /proc/uptime) cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"

check() { # name, then a command: one harness check, reported as ok or fail
	name=$1
	shift
	if "$@"; then echo "KRING-CHECK ok $name"; else echo "KRING-CHECK fail $name"; fi
}

check insmod-kring insmod /lib/kring/kring.ko
check dev-kring-exists test -c /dev/kring

case "$mode" in
test)
	# The tests load and unload the helper module and kring itself.
	KRING_MODULE_DIR=/lib/kring /bin/kring-vm-tests --no-colors=true
	echo "KRING-DOCTEST-EXIT $?"
	;;
demo)
	/bin/kring-demo
	check demo-exit test $? -eq 0
	;;
*)
	echo "KRING-CHECK fail unknown-mode-$mode"
	;;
esac

if grep -q '^kring ' /proc/modules; then
	check rmmod-kring rmmod kring
fi
check dev-kring-gone test ! -e /dev/kring
# Any oops, BUG, WARN, KASAN, lockdep or UBSAN report fails the run.
splats='Oops|BUG:|WARNING:|KASAN|UBSAN|lockdep|possible recursive locking|Call Trace|general protection|refcount_t:|INFO: task .* blocked|rcu: INFO|self-detected stall|list_(add|del) corruption'
if dmesg | grep -E "$splats" >/tmp/splats; then
	sed 's/^/KRING-SPLAT /' /tmp/splats
	echo "KRING-CHECK fail dmesg-clean"
else
	echo "KRING-CHECK ok dmesg-clean"
fi
echo "KRING-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
