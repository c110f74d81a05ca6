#!/usr/bin/env bash
# Fuzzes a target for SECONDS (default 600) with libFuzzer, ASan and UBSan
# (leak detection on), starting from its committed seed corpus.
#   scripts/fuzz.sh [SECONDS] [TARGET]
# TARGET is `onnx` (the ONNX importer, kiln-onnx-fuzz; the default) or
# `engine` (the engine loader, kiln-engine-fuzz).
# Installs clang-19 and its sanitizer runtimes when missing, builds only the
# fuzzer in build-fuzz/ (or $KILN_FUZZ_BUILD_DIR), and fails when libFuzzer
# found a crash, a leak, a timeout or an out-of-memory input; the input is
# left in build-fuzz/fuzz-TARGET/artifacts/. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-600}"
BUILD="${KILN_FUZZ_BUILD_DIR:-build-fuzz}"
JOBS="${KILN_JOBS:-2}"
MAX_LEN="${KILN_FUZZ_MAX_LEN:-65536}"
TARGET="${2:-onnx}"
case "$TARGET" in
  onnx) FUZZER=kiln-onnx-fuzz ;;
  engine) FUZZER=kiln-engine-fuzz ;;
  *) FUZZER="" ;;
esac
if ! [[ "$DURATION" =~ ^[0-9]+$ ]] || [[ -z "$FUZZER" ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [onnx|engine]" >&2
  exit 2
fi

# MLIR, protobuf and ONNX as for any build, then the fuzzing toolchain.
scripts/setup.sh
FUZZ_PACKAGES=(clang-19 libclang-rt-19-dev)
missing=()
for pkg in "${FUZZ_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "fuzz: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Everything the target links (importer, kiln dialect) is instrumented for
# coverage and the sanitizers through the global flags; Debian's MLIR and
# LLVM are linked as they are (g++-built, same libstdc++). -O1 with line
# tables keeps the build quick and the stack traces readable; UBSan findings
# abort so that libFuzzer keeps the input.
if [[ ! -f "$BUILD/build.ninja" ]]; then
  SANITIZE="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  CC=clang-19 CXX=clang++-19 cmake -G Ninja -S . -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$SANITIZE" -DCMAKE_CXX_FLAGS="$SANITIZE" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DKILN_BUILD_TESTS=OFF -DKILN_FUZZ=ON
fi
cmake --build "$BUILD" -j "$JOBS" --target "$FUZZER"

# The working corpus grows from run to run; the seeds are copied in each time
# so that new seeds are picked up. Artifacts are per run.
WORK="$BUILD/fuzz-$TARGET"
CORPUS="$WORK/corpus"
ARTIFACTS="$WORK/artifacts"
rm -rf "$ARTIFACTS"
mkdir -p "$CORPUS" "$ARTIFACTS"
cp fuzz/corpus/"$TARGET"/* "$CORPUS/"

# One job in a child process (-fork=1) that libFuzzer restarts after a
# finding, so that a run lasts SECONDS and reports every distinct finding,
# not only the first.
echo "fuzz: running $FUZZER for ${DURATION}s (log: $WORK/fuzz.log)"
set +e
ASAN_OPTIONS="detect_leaks=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$BUILD/bin/$FUZZER" \
  -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$DURATION" -max_len="$MAX_LEN" -timeout=10 \
  -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
  -artifact_prefix="$ARTIFACTS/" "$CORPUS" >"$WORK/fuzz.log" 2>&1
status=$?
set -e

echo "== libFuzzer summary =="
grep -E '^(INFO: Seed|#[0-9]+[[:space:]]+(INITED|DONE)|Done [0-9]+ runs|stat::|INFO: exiting)' "$WORK/fuzz.log" || true
# Fork mode reports progress as "#runs: cov: ft: corp: exec/s:
# oom/timeout/crash: time:"; the last such line is the total.
grep -E '^#[0-9]+: cov:' "$WORK/fuzz.log" | tail -n 1 || true
mapfile -t found < <(find "$ARTIFACTS" -type f | sort)
if ((status != 0 || ${#found[@]})); then
  echo "== findings (exit status $status) =="
  grep -E '^SUMMARY: |importer bug:|loader bug:' "$WORK/fuzz.log" | sort | uniq -c || true
  printf 'fuzz: artifact: %s\n' "${found[@]}"
  echo "fuzz: reproduce with: $BUILD/bin/$FUZZER ARTIFACT" >&2
  exit 1
fi
echo "fuzz: no crash, leak or timeout in ${DURATION}s"
