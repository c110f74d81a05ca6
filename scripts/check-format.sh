#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (LLVM style, see
# .clang-format) makes of it. CLANG_FORMAT picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.cuh' '*.cu' '*.cc' 2>/dev/null || true)
if ((${#files[@]} == 0)); then
  echo "check-format: no C++ files found" >&2
  exit 1
fi
"$CLANG_FORMAT" --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
