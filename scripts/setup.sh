#!/usr/bin/env bash
# Installs what Kiln needs to build and test, idempotently: Debian packages
# (LLVM/MLIR 19, protobuf, ONNX, GoogleTest, Boost.Context, ccache, ninja) and
# the pinned Python test tooling in .venv. Safe to run again: it installs only
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache git python3 python3-venv
  clang-format-19
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  protobuf-compiler libprotobuf-dev libonnx-dev
  libgtest-dev libgmock-dev libboost-context-dev
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# The CUDA toolkit (NVRTC, driver API headers) comes with the machine, not apt.
if [[ ! -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: note: no CUDA toolkit at /usr/local/cuda; GPU code generation will be unavailable" >&2
fi

VENV="${KILN_VENV:-.venv}"
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup: creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt; then
  echo "setup: pip could not install requirements.txt into $VENV" >&2
  exit 1
fi
echo "setup: Python tooling in $VENV ($("$VENV/bin/python" -c 'import onnx, onnxruntime, numpy; print("onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "numpy", numpy.__version__)'))"
