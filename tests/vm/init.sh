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
# Enabling a trace event (a bpf_printk program's load does, in kring and in
# Linux) starts recording task names from sched_switch, which patches
# __schedule's text while the other vCPU runs it: incoherent under
# multi-threaded TCG (docs/testing.md, "Live text patching under TCG").
# The tests read no task names from the trace.
echo 0 >/sys/kernel/debug/tracing/options/record-cmd
mode=$(sed -n 's/.*kring\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "KRING-BOOT uptime=$(cut -d' ' -f1 /proc/uptime) cpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"

check() { # name, then a command: one harness check, reported as ok or fail
	name=$1
	shift
	if "$@"; then echo "KRING-CHECK ok $name"; else echo "KRING-CHECK fail $name"; fi
}

if [ -f /lib/disk-modules/order ]; then # run-vm.sh --disk
	while read -r ko; do
		insmod "/lib/disk-modules/$ko" || echo "KRING-CHECK fail insmod-$ko"
	done </lib/disk-modules/order
	mkdir -p /mnt/disk
	check mount-disk mount -t ext4 /dev/vda /mnt/disk
fi
check insmod-kring insmod /lib/kring/kring.ko
check dev-kring-exists test -c /dev/kring

case "$mode" in
install)
	# The staged install's consumers and /dev/kring's group (run-vm.sh
	# --overlay puts them in /opt/kring-install).
	. /opt/kring-install/run.sh
	;;
test)
	# The tests load and unload the helper module and kring itself.
	# kring.tests=PATTERN (run-vm.sh --append) runs only the test cases
	# whose names match (doctest's -tc, * and ? wildcards, no spaces);
	# kring.suite=NAME only that doctest test suite, kring.skip_suite=NAME
	# all but it (check.sh runs the live-text-patching suite apart).
	tests=$(sed -n 's/.*kring\.tests=\([^ ]*\).*/\1/p' /proc/cmdline)
	suite=$(sed -n 's/.*kring\.suite=\([^ ]*\).*/\1/p' /proc/cmdline)
	skip_suite=$(sed -n 's/.*kring\.skip_suite=\([^ ]*\).*/\1/p' /proc/cmdline)
	KRING_MODULE_DIR=/lib/kring /bin/kring-vm-tests --no-colors=true ${tests:+"-tc=$tests"} \
		${suite:+"-ts=$suite"} ${skip_suite:+"-tse=$skip_suite"}
	echo "KRING-DOCTEST-EXIT $?"
	;;
demo)
	# Waits (up to 20 s) until $1 links are attached: kringctl run reads
	# the kernel's BTF for exec-snoop's CO-RE relocations first.
	wait_attached() {
		tries=0
		while [ "$(kringctl link list | grep -c ': prog ')" -lt "$1" ] &&
			[ $tries -lt 200 ]; do
			sleep 0.1
			tries=$((tries + 1))
		done
	}
	# The main job: exec-snoop under kringctl while a small workload forks
	# and execs on both vCPUs; every fork, exec and exit is printed.
	echo "KRING-DEMO kringctl run exec-snoop.bpf.o"
	/bin/kringctl run /lib/kring/exec-snoop.bpf.o --duration 8 >/tmp/snoop.txt &
	snoop=$!
	wait_attached 3
	workload() { # cpu: fork and exec a few short-lived programs there
		for i in 1 2 3; do
			taskset -c "$1" /bin/busybox true
			taskset -c "$1" /bin/busybox sh -c 'exit 3'
		done
	}
	workload 0 &
	workload 1 &
	wait %2 %3 2>/dev/null || true
	wait $snoop
	check exec-snoop-exit test $? -eq 0
	cat /tmp/snoop.txt
	check exec-snoop-saw-exec grep -q ' exec .*busybox' /tmp/snoop.txt
	check exec-snoop-saw-exit-code grep -q 'exit code 768' /tmp/snoop.txt
	# The same events persisted: exec-snoop writes into a named ring that
	# kringctl record appends to a file; replay prints it.
	echo "KRING-DEMO kringctl record: exec-snoop into a named ring, to a file"
	kringctl create exec-events --size 65536
	kringctl run /lib/kring/exec-snoop.bpf.o --ring events=exec-events --duration 4 &
	snoop=$!
	kringctl record exec-events --type exec-events=exec_snoop_event --output /tmp/exec.krec &
	recorder=$!
	wait_attached 3
	taskset -c 0 /bin/busybox true
	taskset -c 1 /bin/busybox sh -c 'exit 5'
	wait $snoop
	kill -INT $recorder
	wait $recorder
	check record-exit test $? -eq 0
	kringctl stats exec-events
	kringctl replay /tmp/exec.krec >/tmp/replay.txt
	check replay-exit test $? -eq 0
	cat /tmp/replay.txt
	check replay-saw-exit-code grep -q 'exit code 1280' /tmp/replay.txt
	kringctl unpin exec-events
	# The ring without programs: three producer processes writing records.
	/bin/kring-demo
	check demo-exit test $? -eq 0
	;;
bench)
	# make bench: every contender through every scenario (bench/run.sh
	# reads the KRING-BENCH lines).
	# kring.bench_only (bench/run.sh --only) names the scenarios to run,
	# and leaves out the record and tail-call benchmarks, or is "record":
	# the record benchmark alone. kring.bench_rounds measures each
	# scenario, and each record size of the record benchmark, that many
	# times.
	seconds=$(sed -n 's/.*kring\.bench_seconds=\([0-9.]*\).*/\1/p' /proc/cmdline)
	only=$(sed -n 's/.*kring\.bench_only=\([^ ]*\).*/\1/p' /proc/cmdline)
	rounds=$(sed -n 's/.*kring\.bench_rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
	if [ "$only" != record ]; then
		KRING_BENCH_ONLY="$only" KRING_BENCH_ROUNDS="${rounds:-1}" \
			/bin/kring-bench /lib/kring/bench.bpf.o /lib/kring/perfbuf.bpf.o "${seconds:-1}"
		check bench-exit test $? -eq 0
	fi
	if [ -z "$only" ] || [ "$only" = record ]; then
		# On the virtio disk when run-vm.sh --disk gave one (bench/run.sh
		# does), so that fdatasync reaches a block device; else on tmpfs.
		file=/tmp/record-bench.out
		grep -q " /mnt/disk " /proc/mounts && file=/mnt/disk/record-bench.out
		KRING_BENCH_ROUNDS="${rounds:-1}" \
			/bin/kring-record-bench /lib/kring/bench.bpf.o "${seconds:-1}" "$file"
		check record-bench-exit test $? -eq 0
	fi
	;;
*)
	echo "KRING-CHECK fail unknown-mode-$mode"
	;;
esac

# The tests' helper module holds kring; a run of some tests only may leave
# it loaded.
if grep -q '^kring_api_test ' /proc/modules; then
	check rmmod-kring-api-test rmmod kring_api_test
fi
if grep -q '^kring ' /proc/modules; then
	check rmmod-kring rmmod kring
fi
check dev-kring-gone test ! -e /dev/kring
# Any oops, BUG, WARN, KASAN, lockdep or UBSAN report, or an OOM kill, fails
# the run. (Lockdep's reports are WARNINGs or name the bad locking; the bare
# word "lockdep" also appears in the debug kernel's boot banner.)
splats='Oops|BUG:|WARNING:|KASAN|UBSAN|possible recursive locking|circular locking|inconsistent lock state|suspicious RCU usage|Call Trace|general protection|refcount_t:|INFO: task .* blocked|rcu: INFO|self-detected stall|list_(add|del) corruption|Out of memory|oom-kill'
if dmesg | grep -E "$splats" >/tmp/splats; then
	sed 's/^/KRING-SPLAT /' /tmp/splats
	echo "KRING-CHECK fail dmesg-clean"
else
	echo "KRING-CHECK ok dmesg-clean"
fi
echo "KRING-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
