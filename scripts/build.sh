#!/usr/bin/env bash
# Configures and builds Kiln into build/ (or $KILN_BUILD_DIR) with Ninja.
# Extra arguments go to the build: scripts/build.sh kiln-opt
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD="${KILN_BUILD_DIR:-build}"
VENV="${KILN_VENV:-.venv}"
JOBS="${KILN_JOBS:-$(nproc)}"

if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -G Ninja -S . -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT="$PWD/$VENV/bin/lit"
fi
cmake --build "$BUILD" -j "$JOBS" -- "$@"
