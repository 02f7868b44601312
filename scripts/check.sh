#!/bin/bash
# make check: every test suite, each ending with its own "N passed, N failed"
# line, then the total. Exits non-zero when anything failed or did not run.
#
#   userspace   ctest under ASan+UBSan (build/asan)
#   tsan        the ctest tests labelled "tsan" under ThreadSanitizer
#   checkpatch  kernel coding style of kmod/ and tests/kmod/
#   clang-format  C++ style of every tracked C++ file
#   vm-test     the in-VM tests on Debian's kernel under QEMU
#   litmus      the herd7 suite, when herd7 is on PATH
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)
total_passed=0
total_failed=0

report() { # suite passed failed
	echo "$1: $2 passed, $3 failed"
	total_passed=$((total_passed + $2))
	total_failed=$((total_failed + $3))
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
# to the totals; a runner that printed none counts as one failure.
tally_line() { # label output
	local line
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" <<<"$2" | tail -n 1)
	if [ -z "$line" ]; then
		report "$1" 0 1
		return
	fi
	total_passed=$((total_passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
	total_failed=$((total_failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
}

run_ctest userspace build/asan address,undefined -LE tsan-only
run_ctest tsan build/tsan thread -L tsan

if scripts/checkpatch.sh; then report checkpatch 1 0; else report checkpatch 0 1; fi
if scripts/clang-format-check.sh; then report clang-format 1 0; else report clang-format 0 1; fi

if make -s module user-vm >build/vm-build.log 2>&1; then
	vm_out=$(tests/vm/run-vm.sh --mode test 2>&1 | tee build/vm-test.log)
	grep -E '^(KRING-CHECK fail|KRING-SPLAT)|^(\[doctest\] test cases|run-vm.sh:|vm-test:)|ERROR|TEST CASE' <<<"$vm_out"
	tally_line vm-test "$vm_out"
else
	tail -n 40 build/vm-build.log
	echo "vm-test: building the module or the VM binaries failed (log: build/vm-build.log)"
	report vm-test 0 1
fi

if command -v herd7 >/dev/null 2>&1; then
	litmus_out=$(litmus/run.sh 2>&1)
	echo "$litmus_out"
	tally_line litmus "$litmus_out"
else
	echo "litmus: SKIPPED: herd7 is not on PATH (it is not packaged for Debian; see docs/litmus.md)"
fi

echo "total: $total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
