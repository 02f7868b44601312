#!/bin/bash
# make litmus: runs herd7 with the Linux-kernel memory model on every test in
# litmus/ and litmus/weakened/ and compares its verdict with the "Result:" the
# test states (Never for the protocol, Sometimes for each weakened variant).
# A Never test also fails when herd7 raises a flag ("Flag data-race": two
# conflicting accesses, one of them plain, that nothing orders), since its
# verdict says nothing then; a weakened test's flags are shown after its line.
# Ends with "litmus: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v herd7 >/dev/null 2>&1; then
	echo "litmus: SKIPPED: herd7 is not on PATH (not packaged for Debian; docs/litmus.md says how to build it)"
	exit 0
fi
lkmm=$top/build/lkmm/linux-source-6.1/tools/memory-model
if [ ! -f "$lkmm/linux-kernel.cfg" ]; then
	mkdir -p "$top/build/lkmm"
	tar -C "$top/build/lkmm" -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/tools/memory-model || {
		echo "litmus: cannot unpack tools/memory-model from linux-source-6.1"
		echo "litmus: 0 passed, 1 failed"
		exit 1
	}
fi
passed=0 failed=0
for test in "$top"/litmus/*.litmus "$top"/litmus/weakened/*.litmus; do
	name=${test#"$top"/litmus/}
	expected=$(sed -nE 's/^ \* Result: (Never|Sometimes|Always).*/\1/p' "$test" | head -n 1)
	output=$(cd "$lkmm" && herd7 -conf linux-kernel.cfg "$test" 2>&1)
	# "Observation <test> <verdict> <positive> <negative>": the executions
	# that satisfy the exists clause and those that do not.
	got=$(sed -nE 's/^Observation [^ ]+ ([A-Za-z]+) ([0-9]+) ([0-9]+).*/\1 \2 \3/p' <<<"$output")
	if [ -n "$got" ]; then
		read -r verdict pos neg <<<"$got"
		got="$verdict ($pos of $((pos + neg)) executions)"
	fi
	flags=$(sed -nE 's/^Flag (.+)/Flag \1/p' <<<"$output" | paste -sd, -)
	if [ -n "$expected" ] && [ "${got%% *}" = "$expected" ] &&
		{ [ "$expected" != Never ] || [ -z "$flags" ]; }; then
		passed=$((passed + 1))
		printf 'ok    %-48s %-9s %s%s\n' "$name" "$expected" "$got" "${flags:+, $flags}"
	else
		failed=$((failed + 1))
		printf 'FAIL  %-48s expected %s, got %s%s\n' "$name" "${expected:-?}" "${got:-nothing}" "${flags:+, $flags}"
		[ -n "$got" ] || sed 's/^/      /' <<<"$output" | head -n 10
	fi
done
echo "litmus: $passed passed, $failed failed"
[ "$failed" = 0 ]
