"""Writes the .npy files the kiln eval lit tests read into the given folder."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "x.npy"), np.arange(8, dtype=np.float32).reshape(2, 4))
np.save(os.path.join(out, "b.npy"), np.array([0, 10, 0, -10], np.float32))
np.save(os.path.join(out, "x_wide.npy"), np.zeros((2, 5), np.float32))
np.save(os.path.join(out, "x_f64.npy"), np.zeros((2, 4), np.float64))
np.save(os.path.join(out, "x_i32.npy"), np.zeros((2, 4), np.int32))
np.save(os.path.join(out, "x_rank3.npy"), np.zeros((2, 4, 1), np.float32))
np.save(os.path.join(out, "x_fortran.npy"), np.asfortranarray(np.zeros((2, 4), np.float32)))
np.save(os.path.join(out, "a_i32.npy"), np.array([7, -7, 1], np.int32))
np.save(os.path.join(out, "b_i32.npy"), np.array([2, 0, 1], np.int32))
np.save(os.path.join(out, "table.npy"), np.zeros((4, 2), np.float32))
np.save(os.path.join(out, "ids.npy"), np.array([1, -4, 4], np.int64))
np.save(os.path.join(out, "v3.npy"), np.zeros(3, np.float32))
np.save(os.path.join(out, "v2.npy"), np.zeros(2, np.float32))
with open(os.path.join(out, "garbage.npy"), "wb") as f:
    f.write(b"not a numpy file")
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(open(os.path.join(out, "x.npy"), "rb").read()[:-3])
