#!/bin/bash
# make check: every test suite, each ending with its own "N passed, N failed"
# line, then the total. Exits non-zero when anything failed or did not run.
#
#   userspace   ctest under ASan+UBSan (build/asan)
#   tsan        the ctest tests labelled "tsan" under ThreadSanitizer
#   checkpatch  kernel coding style of kmod/ and tests/kmod/
#   clang-format  C++ style of every tracked C++ file
#   vm-test     the in-VM tests under QEMU, once per installed Debian kernel
#   install     a staged make install, builds against it, DKMS, the VM
#   litmus      the herd7 suite, when herd7 is on PATH
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
jobs=$(nproc)
total_passed=0
total_failed=0
# Every failed suite's line and the lines that say why, printed again just
# before the total, where the end of a long log shows them.
recap=()

report() { # suite passed failed
	echo "$1: $2 passed, $3 failed"
	total_passed=$((total_passed + $2))
	total_failed=$((total_failed + $3))
	[ "$3" = 0 ] || recap+=("$1: $2 passed, $3 failed")
}

recap_reasons() { # lines: indented under the last failed suite's line
	local reason
	while IFS= read -r reason; do
		[ -z "$reason" ] || recap+=("  $reason")
	done <<<"$1"
}

# Sums the per-binary summaries of a ctest log: doctest's "test cases" line,
# or a plain "name: N passed, N failed" line. A test that failed without a
# summary (a crash, a sanitizer abort) counts as one failure.
tally_ctest() { # suite log ctest-status
	local suite=$1 log=$2 status=$3 passed failed ctest_failed
	passed=$(sed -nE 's/.*\[doctest\] test cases: *[0-9]+ *\| *([0-9]+) passed.*/\1/p; s/^[0-9]+: [A-Za-z0-9_.-]+: ([0-9]+) passed, [0-9]+ failed.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	failed=$(sed -nE 's/.*\[doctest\] test cases:.*\| *([0-9]+) failed.*/\1/p; s/^[0-9]+: [A-Za-z0-9_.-]+: [0-9]+ passed, ([0-9]+) failed.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	ctest_failed=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of.*/\1/p' "$log" | tail -n 1)
	passed=${passed:-0} failed=${failed:-0} ctest_failed=${ctest_failed:-0}
	if [ "$failed" -lt "$ctest_failed" ]; then
		failed=$ctest_failed
	fi
	if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
		failed=1
	fi
	report "$suite" "$passed" "$failed"
	[ "$failed" = 0 ] || recap_reasons "$(sed -n '/The following tests FAILED:/,$p' "$log" | grep -E ' - ' | head -n 10)"
}

run_ctest() { # suite build-dir sanitizer [ctest args...]
	local suite=$1 dir=$2 sanitize=$3 log
	shift 3
	log=$top/build/$suite.log
	mkdir -p "$top/build"
	if ! { cmake -S . -B "$dir" -DKRING_SANITIZE="$sanitize" &&
		cmake --build "$dir" -j"$jobs"; } >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "$suite: the build failed (log: $log)"
		report "$suite" 0 1
		return
	fi
	ctest --test-dir "$dir" -V "$@" 2>&1 | tee -a "$log" | grep -E '\[doctest\] (test cases|Status)|^[0-9]+: .*(ERROR|FAILED|passed, [0-9]+ failed)|tests passed|No tests were found'
	tally_ctest "$suite" "$log" "${PIPESTATUS[0]}"
}

# Adds a sub-runner's own "LABEL: N passed, N failed" line (already printed)
# to the totals; a runner that printed none counts as one failure. LABEL is
# matched literally ("vm-test (6.1.0-57-amd64)").
tally_line() { # label output
	local line
	line=$(grep -F -- "$1: " <<<"$2" | grep -E ': [0-9]+ passed, [0-9]+ failed$' |
		awk -v label="$1" 'index($0, label ": ") == 1' | tail -n 1)
	if [ -z "$line" ]; then
		report "$1" 0 1
		return
	fi
	total_passed=$((total_passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
	total_failed=$((total_failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
	grep -qE ' 0 failed$' <<<"$line" || recap+=("$line")
}

run_ctest userspace build/asan address,undefined -LE tsan-only
run_ctest tsan build/tsan thread -L tsan

if scripts/checkpatch.sh; then report checkpatch 1 0; else report checkpatch 0 1; fi
if scripts/clang-format-check.sh; then report clang-format 1 0; else report clang-format 0 1; fi

# One VM suite run: builds the module for KVER (KDIR, if set, names the tree
# to build against) and runs the in-VM tests, with run-vm.sh's further
# arguments; a "vm-test (KVER)" line either way.
vm_suite() { # kver [run-vm.sh args...]
	local kver=$1 vm_out
	shift
	if ! scripts/build-module.sh "$kver" >"build/module-$kver.log" 2>&1; then
		tail -n 40 "build/module-$kver.log"
		echo "vm-test ($kver): building the module failed (log: build/module-$kver.log)"
		report "vm-test ($kver)" 0 1
		return
	fi
	# --disk: an ext4 file system, where kringctl record writes with
	# direct I/O.
	vm_out=$(tests/vm/run-vm.sh --kver "$kver" --mode test "$@" --disk 64 \
		--append kring.skip_suite=live-text-patching 2>&1 | tee "build/vm-test-$kver.log")
	vm_summary "vm-test ($kver)" "$vm_out"
	# The tests that patch kernel text another vCPU is running, in a boot of
	# their own on single-threaded TCG (docs/testing.md, "Live text
	# patching under TCG").
	vm_out=$(tests/vm/run-vm.sh --kver "$kver" --mode test "$@" --single-thread \
		--append kring.suite=live-text-patching 2>&1 | tee "build/vm-test-$kver-single-thread.log")
	vm_summary "vm-test ($kver, single-threaded TCG)" "$vm_out"
}

vm_summary() { # label output: the lines worth reading, and the tally
	grep -E '^(KRING-CHECK fail|KRING-SPLAT)|^(\[doctest\] test cases|run-vm.sh:|vm-test|differential|jit-differential)|ERROR|TEST CASE|Kernel panic' <<<"$2"
	local failures_before=${#recap[@]}
	tally_line "$1" "$2"
	# Why, when it failed: the harness's own lines (not the console it
	# quotes), failed checks, kernel reports, a panic.
	[ "${#recap[@]}" = "$failures_before" ] ||
		recap_reasons "$(grep -E '^(KRING-CHECK fail|KRING-SPLAT|run-vm.sh: [^ ])|Kernel panic|TEST CASE|ERROR' <<<"$2" |
			grep -v '^run-vm.sh:   ' | head -n 8)"
}

# The VM suite on every Debian kernel line installed (scripts/install-deps.sh
# installs 6.1, 6.1-rt, 6.12 and 6.12-rt), each with its own result line.
kernels=$(scripts/kernel-version --all)
if [ -z "$kernels" ]; then
	echo "vm-test: no kernel with both an image and headers is installed (scripts/install-deps.sh)"
	report vm-test 0 1
elif make -s user-vm >build/vm-build.log 2>&1; then
	for kver in $kernels; do
		vm_suite "$kver"
	done
	# The debug kernel (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, KFENCE) when
	# this machine has built it (make debug-kernel; cached outside the clone).
	if debug_dir=$(scripts/debug-kernel.sh dir); then
		KDIR=$debug_dir vm_suite "$(cat "$debug_dir/kernelrelease")" \
			--kernel "$debug_dir/bzImage" --timeout 2400
	else
		echo "vm-test (debug kernel): SKIPPED: not built on this machine (make debug-kernel builds it once, about 30 min)"
	fi
else
	tail -n 40 build/vm-build.log
	echo "vm-test: building the VM binaries failed (log: build/vm-build.log)"
	report vm-test 0 1
fi

# A staged make install, consumers built against it, DKMS, make uninstall.
install_out=$(scripts/install-test.sh 2>&1)
echo "$install_out"
tally_line install "$install_out"

if command -v herd7 >/dev/null 2>&1; then
	litmus_out=$(litmus/run.sh 2>&1)
	echo "$litmus_out"
	tally_line litmus "$litmus_out"
else
	echo "litmus: SKIPPED: herd7 is not on PATH (it is not packaged for Debian; see docs/litmus.md)"
fi

if [ "${#recap[@]}" != 0 ]; then
	echo "failed:"
	printf '  %s\n' "${recap[@]}"
fi
echo "total: $total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
