#!/bin/bash
# C++ style: every tracked C++ file must match .clang-format.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if ! clang-format --dry-run -Werror "${files[@]}"; then
	echo "clang-format: style differs: run clang-format -i on the files above"
	exit 1
fi
echo "clang-format: ${#files[@]} files clean"
