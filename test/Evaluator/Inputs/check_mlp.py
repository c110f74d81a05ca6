"""Recomputes examples/mlp.mlir in float64 numpy from its resource blobs and
compares with what `kiln eval` wrote. Usage: check_mlp.py MLIR INPUT OUTPUT"""
import re
import sys

import numpy as np

mlir, input_path, output_path = sys.argv[1:]
text = open(mlir).read()
blobs = {name: np.frombuffer(bytes.fromhex(hexdata[8:]), "<f4")
         for name, hexdata in re.findall(r'(\w+): "0x([0-9A-Fa-f]+)"', text)}
w1 = blobs["fc1_weight"].reshape(8, 4).astype(np.float64)
b1 = blobs["fc1_bias"].astype(np.float64)
w2 = blobs["fc2_weight"].reshape(3, 8).astype(np.float64)
x = np.load(input_path).astype(np.float64)
h = np.maximum(x @ w1.T + b1, 0).astype(np.float32).astype(np.float64)
o = (h @ w2.T).astype(np.float32).astype(np.float64)
e = np.exp(o - o.max(axis=1, keepdims=True))
want = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
got = np.load(output_path)
assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
assert np.allclose(got, want, rtol=1e-6, atol=0), (got, want)
print("mlp matches numpy:", got.shape)
