#!/usr/bin/env bash
# The README's first command: sets everything up, builds, and runs the main
# job on the bundled example. Until codegen and the runtime land, that job is
# the compiler's front half: import examples/mlp.onnx, optimize the graph, and
# run it on the host with the reference evaluator (kiln eval), next to
# onnxruntime's answer for the same input.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh kiln kiln-opt kiln-import
BUILD="${KILN_BUILD_DIR:-build}"
VENV="${KILN_VENV:-.venv}"
"$BUILD/bin/kiln" --version

echo
echo "== examples/mlp.onnx in the kiln dialect, after kiln-graph-pipeline =="
# Weights are elided from the printout (their resource section is dropped).
"$BUILD/bin/kiln-import" examples/mlp.onnx |
  "$BUILD/bin/kiln-opt" --kiln-graph-pipeline --mlir-elide-resource-strings-if-larger=16 |
  sed '/^{-#$/,/^#-}$/d'

echo
echo "== kiln eval examples/mlp.onnx --input x=examples/mlp_input.npy =="
"$BUILD/bin/kiln" eval examples/mlp.onnx --input x=examples/mlp_input.npy

echo
echo "== onnxruntime, for comparison =="
"$VENV/bin/python" - <<'PY'
import numpy as np
import onnxruntime as ort
session = ort.InferenceSession("examples/mlp.onnx", providers=["CPUExecutionProvider"])
(probs,) = session.run(None, {"x": np.load("examples/mlp_input.npy")})
print(f"probs: {probs.shape} float32")
print(np.array2string(probs, precision=6, max_line_width=100))
PY
