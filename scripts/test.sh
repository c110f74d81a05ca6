#!/usr/bin/env bash
# The README's second command: sets everything up, builds, and runs every test
# (lit suites and GoogleTest, all registered with ctest). CI runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh
BUILD="${KILN_BUILD_DIR:-build}"
ctest --test-dir "$BUILD" --output-on-failure -j "${KILN_JOBS:-$(nproc)}"
