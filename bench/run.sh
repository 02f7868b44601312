#!/bin/bash
# make bench: boots the test VM with kring-bench (kring, Linux's BPF ring
# buffer and Linux's perf buffer through the same scenarios in one run) and
# writes bench/results/: results.md (the table), results.png (the chart) and
# results.json (every measurement). See docs/bench.md.
#
#   bench/run.sh [--kver 6.1.0-NN-amd64] [--smp N] [--seconds S] [--rounds N]
#                [--only WORDS]
#
# --rounds measures each scenario N times (default 3), the contenders
# interleaved; the table gives each contender's median ratio and the range.
# --only runs the scenarios whose name contains WORDS ("back-to-back",
# "2_producers": an underscore for each space) and nothing else, or with
# "record" the record benchmark alone, for comparing changes quickly; its
# table goes to build/vm-bench/, not to bench/results/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kver="" smp=4 seconds=1 rounds=3 only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || kver=$("$top/scripts/kernel-version")
"$top/scripts/install-deps.sh" python3-matplotlib

# The TSC is the clock under emulation too, but the kernel distrusts it there
# and falls back to the HPET, whose every read (bpf_ktime_get_ns, the
# consumer's clock_gettime) is an emulated device access; tsc=reliable keeps
# the clock cheap so that it does not dominate what is measured.
"$top/tests/vm/run-vm.sh" --kver "$kver" --mode bench --smp "$smp" --timeout 1800 --disk 1024 \
	--append "kring.bench_seconds=$seconds kring.bench_rounds=$rounds${only:+ kring.bench_only=$only} clocksource=tsc tsc=reliable" |
	grep -E '^(KRING-BENCH|KRING-RECORD-BENCH|KRING-CHECK fail|KRING-SPLAT|vm-bench:)|kring-(record-)?bench:'
out="$top/bench/results"
[ -z "$only" ] || out="$top/build/vm-bench/$kver/only"
/usr/bin/python3 "$top/bench/report.py" --log "$top/build/vm-bench/$kver/console.log" \
	--host-cores "$(nproc)" --host-cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
	--out "$out" ${only:+--partial}
