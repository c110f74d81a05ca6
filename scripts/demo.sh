#!/usr/bin/env bash
# The README's first command: sets everything up, builds, and runs the main job
# on the bundled example. Until the ONNX front end and the runtime land, the
# main job is the compiler's front half: the example MLP in the kiln dialect,
# verified, its types refined and canonicalized.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh kiln kiln-opt
BUILD="${KILN_BUILD_DIR:-build}"
"$BUILD/bin/kiln" --version
echo
echo "== examples/mlp.mlir after kiln-refine-result-types and canonicalize =="
"$BUILD/bin/kiln-opt" examples/mlp.mlir --kiln-refine-result-types --canonicalize
