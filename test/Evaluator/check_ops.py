#!/usr/bin/env python3
"""Checks `kiln eval` (the reference evaluator) against numpy, op by op.

Each case is a small kiln function, seeded random inputs saved as .npy, and
the expected outputs computed here, independently of the C++ code: float
results in float64 numpy rounded once to the result type, integer results
exactly (with the wrap-around of the element width). A few ops defined by
ONNX (pooling, transposed convolution, resize) use onnxruntime as the oracle
instead.

  check_ops.py --kiln build/bin/kiln --workdir /tmp/x --group elementwise

Exits non-zero and lists every failing case when anything differs.
"""

import argparse
import math
import os
import subprocess
import sys
import warnings

warnings.simplefilter("ignore", RuntimeWarning)

import numpy as np

# Overflow to infinity and NaN are part of what is being tested.
np.seterr(all="ignore")

ELEMENT = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.int64): "i64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int8): "i8",
    np.dtype(np.bool_): "i1",
}


def ttype(shape, element, dyn=False):
    """`tensor<2x?xf32>`; `dyn` is True (every dim dynamic) or a set of dims."""
    if isinstance(element, np.dtype) or isinstance(element, type):
        element = ELEMENT[np.dtype(element)]
    dims = []
    for i, d in enumerate(shape):
        dynamic = dyn is True or (dyn and i in dyn)
        dims.append("?" if dynamic else str(d))
    return "tensor<" + "x".join(dims + [element]) + ">"


def tof(a):
    """The type of an array, static."""
    return ttype(a.shape, a.dtype)


# ---------------------------------------------------------------------------
# Rounding oracles, written without reference to the C++ implementation.
# ---------------------------------------------------------------------------


def r32(x):
    return np.asarray(x, dtype=np.float64).astype(np.float32)


def r16(x):
    # numpy converts float64 to float16 directly, rounding to nearest even.
    return np.asarray(x, dtype=np.float64).astype(np.float16)


def rbf16(x):
    """float64 -> bfloat16 (round to nearest even), returned as float32.

    Works on the float64 bit pattern: bfloat16 keeps 7 of the 52 fraction
    bits. Valid for the normal bfloat16 range, which is all the tests use.
    """
    x = np.asarray(x, dtype=np.float64)
    bits = x.view(np.uint64)
    drop = np.uint64(45)
    lsb = (bits >> drop) & np.uint64(1)
    rounded = (bits + np.uint64((1 << 44) - 1) + lsb) >> drop << drop
    out = np.where(np.isnan(x), x, rounded.view(np.float64))
    return out.astype(np.float32)  # exact: 8 significant bits


def round_to(x, element):
    return {"f32": r32, "f16": r16, "bf16": rbf16}[element](x)


def wrap(values, dtype):
    """Python ints wrapped to a numpy integer dtype (two's complement)."""
    bits = np.dtype(dtype).itemsize * 8
    flat = [((int(v) + (1 << (bits - 1))) % (1 << bits)) - (1 << (bits - 1))
            for v in np.asarray(values, dtype=object).reshape(-1)]
    return np.array(flat, dtype=dtype).reshape(np.shape(values))


def f64(a):
    return np.asarray(a, dtype=np.float64)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


class Case:
    """A kiln function body over named arguments, and its expected outputs.

    `args` are (ssa name, array, type); `results` are (ssa value, type);
    `tol` is "exact", "f32", "f16", "bf16" or ("rel", rtol, atol).
    """

    def __init__(self, name, args, body, results, expected, tol="exact",
                 resources=None, extra_funcs=""):
        self.name = name
        self.args = args
        self.body = body
        self.results = results
        self.expected = expected
        self.tol = tol
        self.resources = resources or {}
        self.extra_funcs = extra_funcs

    def mlir(self):
        params = ", ".join(f"%{n}: {t}" for n, _, t in self.args)
        rtypes = ", ".join(t for _, t in self.results)
        rvalues = ", ".join(v for v, _ in self.results)
        text = f"func.func @main({params}) -> ({rtypes}) {{\n"
        for line in self.body.strip().splitlines():
            text += "  " + line.strip() + "\n"
        text += f"  return {rvalues} : {rtypes}\n}}\n"
        text += self.extra_funcs
        if self.resources:
            text += "\n{-#\n  dialect_resources: {\n    builtin: {\n"
            text += ",\n".join(f'      {k}: "{v}"'
                               for k, v in self.resources.items())
            text += "\n    }\n  }\n#-}\n"
        return text


def close(got, want, tol):
    if got.shape != want.shape:
        return f"shape {got.shape} != expected {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype} != expected {want.dtype}"
    if tol == "exact" or want.dtype.kind in "biu":
        if want.dtype.kind == "f":
            same = (got == want) | (np.isnan(got) & np.isnan(want))
        else:
            same = got == want
    else:
        if tol == "f32":
            rtol, atol = 1e-5, 1e-6
        elif tol == "f16":
            rtol, atol = 2.0 ** -10, 2.0 ** -24
        elif tol == "bf16":
            rtol, atol = 2.0 ** -7, 1e-30
        else:
            _, rtol, atol = tol
        g, w = f64(got), f64(want)
        same = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
        same &= np.isnan(g) == np.isnan(w)
        same |= np.isinf(w) & (g == w)
    if np.all(same):
        return None
    bad = np.argwhere(~np.asarray(same))[:3]
    details = ", ".join(
        f"at {tuple(int(i) for i in idx)}: got {got[tuple(idx)]!r} "
        f"want {want[tuple(idx)]!r}" for idx in bad)
    return f"{int(np.sum(~np.asarray(same)))} of {want.size} differ ({details})"


def run_case(case, kiln, workdir):
    folder = os.path.join(workdir, case.name)
    os.makedirs(folder, exist_ok=True)
    model = os.path.join(folder, "model.mlir")
    with open(model, "w") as f:
        f.write(case.mlir())
    command = [kiln, "eval", model, "--output-dir", os.path.join(folder, "out")]
    for i, (_, array, _) in enumerate(case.args):
        path = os.path.join(folder, f"input{i}.npy")
        np.save(path, array)
        command += ["--input", f"input{i}={path}"]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        return f"kiln eval failed:\n{proc.stderr}\n{case.mlir()}"
    problems = []
    for i, want in enumerate(case.expected):
        got = np.load(os.path.join(folder, "out", f"output{i}.npy"))
        want = np.asarray(want)
        problem = close(got, want, case.tol)
        if problem:
            problems.append(f"output{i}: {problem}")
    if problems:
        return "\n".join(problems) + "\n" + case.mlir()
    return None


# ---------------------------------------------------------------------------
# Elementwise ops
# ---------------------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5]

erf = np.vectorize(math.erf, otypes=[np.float64])
erfc = np.vectorize(math.erfc, otypes=[np.float64])

FLOAT_UNARY = {
    "neg": ("", lambda x: -x),
    "abs": ("", np.abs),
    "sign": ("", np.sign),
    "relu": ("", lambda x: np.where(np.isnan(x), x, np.maximum(x, 0))),
    "exp": ("", np.exp),
    "log": ("", np.log),
    "sqrt": ("", np.sqrt),
    "rsqrt": ("", lambda x: 1 / np.sqrt(x)),
    "reciprocal": ("", lambda x: 1 / x),
    "tanh": ("", np.tanh),
    "sigmoid": ("", lambda x: 1 / (1 + np.exp(-x))),
    "erf": ("", erf),
    "sin": ("", np.sin),
    "cos": ("", np.cos),
    "floor": ("", np.floor),
    "ceil": ("", np.ceil),
    "round": ("", np.round),  # numpy rounds halves to even
    "gelu": ("", lambda x: 0.5 * x * erfc(-x / math.sqrt(2))),
    "gelu_tanh": ("", lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "silu": ("", lambda x: x / (1 + np.exp(-x))),
    "softplus": ("", lambda x: np.logaddexp(0, x)),
    "hard_swish": ("", lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "leaky_relu": (" alpha = 0.1", lambda x: np.where(x >= 0, x, 0.1 * x)),
    "elu": (" alpha = 1.5", lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    "hard_sigmoid": (" alpha = 0.2 beta = 0.5",
                     lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    "clamp": (" min = -0.5 max = 0.75", lambda x: np.clip(x, -0.5, 0.75)),
}

# Transcendental results may differ by one unit in the last place between
# libm and numpy, which can flip an f16/bf16 rounding.
EXACT_IN_LOW_PRECISION = {"neg", "abs", "sign", "relu", "floor", "ceil",
                          "round", "clamp", "sqrt"}


def float_input(rng, shape, dtype, special=True):
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    if special and x.size >= len(SPECIAL):
        flat = x.reshape(-1)
        flat[:len(SPECIAL)] = np.array(SPECIAL, dtype=dtype)
        rng.shuffle(flat)
    return x


def elementwise_cases(rng):
    cases = []
    shapes = [(), (7,), (3, 5), (2, 1, 13)]
    for op, (attrs, fn) in FLOAT_UNARY.items():
        for dtype in (np.float32, np.float16):
            for si, shape in enumerate(shapes):
                dyn = si == 3
                x = float_input(rng, shape, dtype, special=dtype == np.float32)
                elt = ELEMENT[np.dtype(dtype)]
                t = ttype(shape, elt, dyn)
                with np.errstate(all="ignore"):
                    want = round_to(fn(f64(x)), elt)
                tol = "exact" if dtype == np.float16 and op in \
                    EXACT_IN_LOW_PRECISION else elt
                cases.append(Case(
                    f"{op}_{elt}_{si}", [("x", x, t)],
                    f"%y = kiln.{op} %x{attrs} : {t}", [("%y", t)], [want],
                    tol))
        # bf16 through casts from and to f32 (bf16 has no numpy dtype).
        x = float_input(rng, (4, 6), np.float32, special=False)
        xb = rbf16(f64(x))
        with np.errstate(all="ignore"):
            want = rbf16(fn(f64(xb)))
        t32, tb = ttype((4, 6), "f32"), ttype((4, 6), "bf16")
        cases.append(Case(
            f"{op}_bf16", [("x", x, t32)], f"""
            %b = kiln.cast %x : {t32} to {tb}
            %y = kiln.{op} %b{attrs} : {tb}
            %r = kiln.cast %y : {tb} to {t32}""", [("%r", t32)], [want],
            "exact" if op in EXACT_IN_LOW_PRECISION else "bf16"))

    # Predicates and logical not.
    x = float_input(rng, (4, 5), np.float32)
    t, tb = tof(x), ttype((4, 5), "i1")
    cases.append(Case("is_nan", [("x", x, t)],
                      f"%y = kiln.is_nan %x : {t} -> {tb}", [("%y", tb)],
                      [np.isnan(x)]))
    cases.append(Case("is_inf", [("x", x, t)],
                      f"%y = kiln.is_inf %x : {t} -> {tb}", [("%y", tb)],
                      [np.isinf(x)]))
    b = rng.random((3, 4)) < 0.5
    cases.append(Case("not", [("x", b, tof(b))],
                      f"%y = kiln.not %x : {tof(b)}", [("%y", tof(b))],
                      [~b]))

    # Signed integer unary ops, with the wrap-around of the most negative.
    int_unary = {
        "neg": ("", lambda v: -v),
        "abs": ("", lambda v: abs(v)),
        "sign": ("", lambda v: (v > 0) - (v < 0)),
        "relu": ("", lambda v: max(v, 0)),
        "clamp": (" min = -3.0 max = 5.0", lambda v: min(max(v, -3), 5)),
    }
    for dtype in (np.int64, np.int32, np.int8):
        info = np.iinfo(dtype)
        x = rng.integers(-9, 10, size=(3, 7)).astype(dtype)
        x.reshape(-1)[:3] = [info.min, info.max, 0]
        for op, (attrs, fn) in int_unary.items():
            want = wrap(np.vectorize(fn, otypes=[object])(x.astype(object)),
                        dtype)
            cases.append(Case(f"{op}_{x.dtype}", [("x", x, tof(x))],
                              f"%y = kiln.{op} %x{attrs} : {tof(x)}",
                              [("%y", tof(x))], [want]))

    # Broadcasting binary ops on floats.
    pairs = [((3, 4), (4,)), ((2, 1, 5), (3, 1)), ((1,), (6,)),
             ((), (2, 3)), ((5, 1), (1, 7))]

    def flooredmod(a, b):
        return np.mod(a, b)

    float_binary = {
        "add": np.add, "sub": np.subtract, "mul": np.multiply,
        "div": np.divide, "max": np.maximum, "min": np.minimum,
        "mod": flooredmod, "fmod": np.fmod, "pow": np.power,
    }
    for op, fn in float_binary.items():
        for dtype in (np.float32, np.float16):
            elt = ELEMENT[np.dtype(dtype)]
            for pi, (sa, sb) in enumerate(pairs):
                a = float_input(rng, sa, dtype, special=False)
                b = float_input(rng, sb, dtype, special=False)
                if op == "pow":
                    a = np.abs(a) + dtype(0.1)
                if op in ("max", "min") and a.size > 2:
                    a.reshape(-1)[1] = np.nan
                if op in ("div", "mod", "fmod") and b.size > 1:
                    b.reshape(-1)[0] = 0  # IEEE: inf or NaN, never an error
                dyn = pi == 4
                ta, tb = ttype(sa, elt, dyn), ttype(sb, elt, dyn)
                with np.errstate(all="ignore"):
                    want = round_to(fn(f64(a), f64(b)), elt)
                tr = ttype(want.shape, elt, dyn)
                tol = elt if op == "pow" else "exact"
                cases.append(Case(
                    f"{op}_{elt}_{pi}", [("a", a, ta), ("b", b, tb)],
                    f"%y = kiln.{op} %a, %b : ({ta}, {tb}) -> {tr}",
                    [("%y", tr)], [want], tol))
    # pow with negative bases and integral exponents.
    a = np.array([-2.0, -1.5, -0.5, 3.0], np.float32)
    b = np.array([3.0, 2.0, -3.0, 0.5], np.float32)
    cases.append(Case("pow_negative_base", [("a", a, tof(a)), ("b", b, tof(b))],
                      f"%y = kiln.pow %a, %b : {tof(a)}", [("%y", tof(a))],
                      [r32(np.power(f64(a), f64(b)))], "f32"))

    # Integer binary ops: wrap-around, truncated division, both remainders.
    def trunc_div(x, y):
        q = abs(x) // abs(y)
        return q if (x < 0) == (y < 0) else -q

    def trunc_rem(x, y):
        return x - trunc_div(x, y) * y

    int_binary = {
        "add": lambda x, y: x + y, "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y, "div": trunc_div,
        "mod": lambda x, y: x % y,  # Python's % is floored
        "fmod": trunc_rem, "max": max, "min": min,
    }
    for dtype in (np.int64, np.int32, np.int8):
        info = np.iinfo(dtype)
        for op, fn in int_binary.items():
            a = rng.integers(-50, 50, size=(4, 6)).astype(dtype)
            b = rng.integers(-7, 8, size=(6,)).astype(dtype)
            b[b == 0] = 3
            a[0, :3] = [info.min, info.max, info.min]
            b[:3] = [-1, 2, -1]  # INT_MIN / -1 wraps
            want = wrap(np.vectorize(fn, otypes=[object])(
                a.astype(object), b.astype(object)), dtype)
            ta, tb = tof(a), tof(b)
            cases.append(Case(
                f"{op}_{a.dtype}", [("a", a, ta), ("b", b, tb)],
                f"%y = kiln.{op} %a, %b : ({ta}, {tb}) -> {ta}",
                [("%y", ta)], [want]))

    # Logical ops on i1 with broadcasting.
    a = rng.random((3, 1, 4)) < 0.5
    b = rng.random((5, 1)) < 0.5
    for op, fn in (("and", np.logical_and), ("or", np.logical_or),
                   ("xor", np.logical_xor)):
        want = fn(a, b)
        cases.append(Case(
            f"{op}_i1", [("a", a, tof(a)), ("b", b, tof(b))],
            f"%y = kiln.{op} %a, %b : ({tof(a)}, {tof(b)}) -> {tof(want)}",
            [("%y", tof(want))], [want]))

    # Comparisons: NaN compares false except with ne.
    predicates = {"eq": np.equal, "ne": np.not_equal, "lt": np.less,
                  "le": np.less_equal, "gt": np.greater,
                  "ge": np.greater_equal}
    for pred, fn in predicates.items():
        a = np.round(float_input(rng, (4, 5), np.float32))
        b = np.round(float_input(rng, (5,), np.float32, special=False))
        want = fn(a, b)
        cases.append(Case(
            f"compare_{pred}_f32", [("a", a, tof(a)), ("b", b, tof(b))],
            f"%y = kiln.compare {pred}, %a, %b : ({tof(a)}, {tof(b)}) -> "
            f"{tof(want)}", [("%y", tof(want))], [want]))
        ai = rng.integers(-3, 3, size=(2, 3, 1)).astype(np.int64)
        bi = rng.integers(-3, 3, size=(4,)).astype(np.int64)
        want = fn(ai, bi)
        ta, tb = ttype(ai.shape, "i64", True), ttype(bi.shape, "i64", True)
        tr = ttype(want.shape, "i1", True)
        cases.append(Case(
            f"compare_{pred}_i64", [("a", ai, ta), ("b", bi, tb)],
            f"%y = kiln.compare {pred}, %a, %b : ({ta}, {tb}) -> {tr}",
            [("%y", tr)], [want]))

    # where, with three-way broadcasting.
    for dtype in (np.float32, np.int32, np.bool_):
        c = rng.random((2, 1, 4)) < 0.5
        a = rng.standard_normal((3, 1)).astype(np.float32).astype(dtype)
        b = rng.standard_normal((4,)).astype(np.float32).astype(dtype) \
            if dtype != np.bool_ else rng.random((4,)) < 0.5
        want = np.where(c, a, b)
        cases.append(Case(
            f"where_{np.dtype(dtype)}",
            [("c", c, tof(c)), ("a", a, tof(a)), ("b", b, tof(b))],
            f"%y = kiln.where %c, %a, %b : ({tof(c)}, {tof(a)}, {tof(b)}) -> "
            f"{tof(want)}", [("%y", tof(want))], [want]))
    return cases


# ---------------------------------------------------------------------------
# Casts
# ---------------------------------------------------------------------------


def int_to_bf16(n):
    """An integer rounded to bfloat16 (8 significant bits), exactly."""
    n = int(n)
    sign = -1 if n < 0 else 1
    m = abs(n)
    if m.bit_length() <= 8:
        return float(n)
    shift = m.bit_length() - 8
    q, r = divmod(m, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q % 2 == 1):
        q += 1
    return float(sign * (q << shift))


def cast_cases(rng):
    cases = []

    def cast(name, x, to, want, tol="exact", dyn=False):
        tin = ttype(x.shape, ELEMENT[x.dtype], dyn)
        tout = ttype(x.shape, to, dyn)
        cases.append(Case(name, [("x", x, tin)],
                          f"%y = kiln.cast %x : {tin} to {tout}",
                          [("%y", tout)], [want], tol))

    # f32 -> f16: random values, exact halfway points, overflow, subnormals.
    halfway = []
    for h in (1.0, 2.0 ** -14, 1024.0, 3.0, 65504.0):
        ulp = np.spacing(np.float16(h)).astype(np.float64)
        halfway += [h + ulp / 2, h + 3 * ulp / 2, -(h + ulp / 2)]
    x = np.concatenate([
        (rng.standard_normal(40) * 100).astype(np.float32),
        np.array(halfway + [65519.0, 65520.0, 1e6, -1e6, 2.0 ** -25,
                            2.0 ** -24 * 1.5, 2.0 ** -24 * 0.5, 1e-10, np.nan,
                            np.inf, -0.0], np.float32)])
    cast("f32_to_f16", x, "f16", x.astype(np.float16))
    cast("f32_to_f16_dyn", x.reshape(3, -1)[:, :13].copy(), "f16",
         x.reshape(3, -1)[:, :13].astype(np.float16), dyn=True)
    xf16 = (rng.standard_normal((5, 7)) * 10).astype(np.float16)
    cast("f16_to_f32", xf16, "f32", xf16.astype(np.float32))
    # f32 -> bf16 -> f32 against ml_dtypes when available, else the bit oracle.
    xb = np.concatenate([(rng.standard_normal(50) * 1000).astype(np.float32),
                         np.array([1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8,
                                   -(1 + 2.0 ** -8), 3e38, np.nan],
                                  np.float32)])
    try:
        import ml_dtypes
        want = xb.astype(ml_dtypes.bfloat16).astype(np.float32)
    except ImportError:
        want = rbf16(f64(xb))
    tin, tb = tof(xb), ttype(xb.shape, "bf16")
    cases.append(Case("f32_to_bf16", [("x", xb, tin)], f"""
        %b = kiln.cast %x : {tin} to {tb}
        %y = kiln.cast %b : {tb} to {tin}""", [("%y", tin)], [want]))
    # f16 -> bf16: a float-to-float rounding between the low formats.
    xh = (rng.standard_normal(30) * 50).astype(np.float16)
    th, tb, t32 = tof(xh), ttype(xh.shape, "bf16"), ttype(xh.shape, "f32")
    cases.append(Case("f16_to_bf16", [("x", xh, th)], f"""
        %b = kiln.cast %x : {th} to {tb}
        %y = kiln.cast %b : {tb} to {t32}""", [("%y", t32)],
        [rbf16(f64(xh))]))

    # float -> int truncates toward zero.
    xf = (rng.standard_normal(30) * 60).astype(np.float32)
    xf[:4] = [2.5, -2.5, -0.9, 127.9]
    for to, dtype in (("i64", np.int64), ("i32", np.int32), ("i8", np.int8)):
        vals = np.clip(np.trunc(f64(xf)), np.iinfo(dtype).min,
                       np.iinfo(dtype).max)
        cast(f"f32_to_{to}", xf, to, vals.astype(dtype))
    cast("f16_to_i32", xf16, "i32", np.trunc(f64(xf16)).astype(np.int32))
    # NaN -> 0 and saturation: the evaluator's documented choice.
    xs = np.array([np.nan, 1e10, -1e10, np.inf, -np.inf, 3e9, -129.5, 200.0],
                  np.float32)
    cast("f32_to_i32_saturating", xs, "i32",
         np.array([0, 2 ** 31 - 1, -2 ** 31, 2 ** 31 - 1, -2 ** 31,
                   2 ** 31 - 1, -129, 200], np.int32))
    cast("f32_to_i8_saturating", xs, "i8",
         np.array([0, 127, -128, 127, -128, 127, -128, 127], np.int8))
    cast("f32_to_i1", xs[:6].copy(), "i1", np.array([True] * 6))
    cast("f32_to_i1_zero", np.array([0.0, -0.0, 1e-30, -2.0], np.float32),
         "i1", np.array([False, False, True, True]))

    # int -> float rounds to nearest even, once.
    xi = np.array([0, 1, -1, 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 53 + 1,
                   2 ** 62 + 2 ** 54 - 1, 2 ** 62 + 3 * 2 ** 54 - 1,
                   -(2 ** 63), 2 ** 63 - 1, 65520, 65519, -123456789],
                  np.int64)
    cast("i64_to_f32", xi, "f32", xi.astype(np.float32))
    cast("i64_to_f16", xi, "f16", xi.astype(np.float16))
    t64, tb, t32 = tof(xi), ttype(xi.shape, "bf16"), ttype(xi.shape, "f32")
    cases.append(Case("i64_to_bf16", [("x", xi, t64)], f"""
        %b = kiln.cast %x : {t64} to {tb}
        %y = kiln.cast %b : {tb} to {t32}""", [("%y", t32)],
        [np.array([int_to_bf16(v) for v in xi], np.float32)]))
    xi32 = rng.integers(-2 ** 31, 2 ** 31, size=20).astype(np.int32)
    cast("i32_to_f32", xi32, "f32", xi32.astype(np.float32))
    # int -> int wraps; to i1 is != 0; i1 -> anything is 0 or 1.
    cast("i64_to_i8", xi, "i8", xi.astype(np.int8))
    cast("i64_to_i32", xi, "i32", xi.astype(np.int32))
    cast("i8_to_i64", xi.astype(np.int8), "i64",
         xi.astype(np.int8).astype(np.int64))
    cast("i64_to_i1", xi, "i1", xi != 0)
    b = rng.random((3, 3)) < 0.5
    cast("i1_to_f32", b, "f32", b.astype(np.float32))
    cast("i1_to_i32", b, "i32", b.astype(np.int32))
    return cases


# ---------------------------------------------------------------------------
# Reductions, scans, softmax, normalizations
# ---------------------------------------------------------------------------


def reduction_cases(rng):
    cases = []
    configs = [((3, 5), [1], False), ((3, 5), [0], True),
               ((2, 3, 7), [0, 2], False), ((2, 3, 7), [1], True),
               ((4,), [0], False), ((1, 11, 1), [0, 1, 2], True)]
    float_fns = {"reduce_sum": np.sum, "reduce_mean": np.mean,
                 "reduce_max": np.max, "reduce_min": np.min,
                 "reduce_prod": np.prod}
    for op, fn in float_fns.items():
        for ci, (shape, axes, keep) in enumerate(configs):
            for dtype in (np.float32, np.float16):
                elt = ELEMENT[np.dtype(dtype)]
                x = float_input(rng, shape, dtype, special=False)
                if op in ("reduce_max", "reduce_min") and ci == 2:
                    x[1, 1, 1] = np.nan
                want = round_to(fn(f64(x), axis=tuple(axes), keepdims=keep),
                                elt)
                dyn = ci % 2 == 1
                tin = ttype(shape, elt, dyn)
                tout = ttype(want.shape, elt, dyn)
                kd = " keep_dims" if keep else ""
                cases.append(Case(
                    f"{op}_{elt}_{ci}", [("x", x, tin)],
                    f"%y = kiln.{op} %x axes = {axes}{kd} : {tin} -> {tout}",
                    [("%y", tout)], [want], "exact" if op in
                    ("reduce_max", "reduce_min") else elt))
        if op == "reduce_mean":
            continue
        for dtype in (np.int64, np.int32, np.int8):
            x = rng.integers(-100, 100, size=(3, 4, 5)).astype(dtype)
            if op in ("reduce_sum", "reduce_prod"):
                want = fn(x, axis=(0, 2), dtype=dtype)  # numpy wraps too
            else:
                want = fn(x, axis=(0, 2))
            tin, tout = tof(x), ttype(want.shape, dtype)
            cases.append(Case(
                f"{op}_{x.dtype}", [("x", x, tin)],
                f"%y = kiln.{op} %x axes = [0, 2] : {tin} -> {tout}",
                [("%y", tout)], [want]))

    # argmax/argmin with ties (small integers) and NaN (numpy: first NaN).
    for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
        for last in (False, True):
            for dtype in (np.float32, np.int32):
                x = rng.integers(-2, 3, size=(4, 6, 3)).astype(dtype)
                if dtype == np.float32:
                    x[1, 2, 0] = x[1, 4, 0] = np.nan
                for axis in (0, 1, 2):
                    keep = axis == 1
                    if last:
                        flipped = np.flip(x, axis)
                        want = x.shape[axis] - 1 - fn(flipped, axis=axis,
                                                      keepdims=keep)
                    else:
                        want = fn(x, axis=axis, keepdims=keep)
                    want = want.astype(np.int64)
                    attrs = (" keep_dims" if keep else "") + \
                        (" select_last_index" if last else "")
                    tin = ttype(x.shape, x.dtype, {0})
                    tout = ttype(want.shape, "i64", {0} if axis else False)
                    cases.append(Case(
                        f"{op}_{x.dtype}_{axis}_{int(last)}", [("x", x, tin)],
                        f"%y = kiln.{op} %x axis = {axis}{attrs} : {tin} -> "
                        f"{tout}", [("%y", tout)], [want]))

    # softmax / log_softmax, max-subtracted (large inputs do not overflow).
    for op in ("softmax", "log_softmax"):
        for ci, (shape, axis) in enumerate([((3, 7), 1), ((2, 5, 3), 1),
                                            ((4, 1), 1), ((2, 3, 4), 0)]):
            for dtype in (np.float32, np.float16):
                elt = ELEMENT[np.dtype(dtype)]
                x = float_input(rng, shape, dtype, special=False)
                if ci == 0:
                    x = x * dtype(30)
                xd = f64(x)
                shifted = xd - np.max(xd, axis=axis, keepdims=True)
                s = np.sum(np.exp(shifted), axis=axis, keepdims=True)
                want = np.exp(shifted) / s if op == "softmax" else \
                    shifted - np.log(s)
                t = ttype(shape, elt, ci % 2 == 0)
                cases.append(Case(
                    f"{op}_{elt}_{ci}", [("x", x, t)],
                    f"%y = kiln.{op} %x axis = {axis} : {t}", [("%y", t)],
                    [round_to(want, elt)], elt))

    # layer_norm / rms_norm over the trailing dims from axis.
    for ci, (shape, axis, bias) in enumerate([((2, 5, 8), 2, True),
                                              ((3, 4, 6), 1, False),
                                              ((7, 13), 1, True),
                                              ((2, 3), 0, True)]):
        for dtype in (np.float32, np.float16):
            elt = ELEMENT[np.dtype(dtype)]
            x = (float_input(rng, shape, dtype, special=False) + dtype(3))
            g = float_input(rng, shape[axis:], dtype, special=False)
            b = float_input(rng, shape[axis:], dtype, special=False)
            xd = f64(x)
            red = tuple(range(axis, len(shape)))
            mean = np.mean(xd, axis=red, keepdims=True)
            var = np.var(xd, axis=red, keepdims=True)  # biased
            y = (xd - mean) / np.sqrt(var + 1e-5) * f64(g)
            if bias:
                y = y + f64(b)
            tx = ttype(shape, elt, {0})
            tg = ttype(g.shape, elt)
            args = [("x", x, tx), ("g", g, tg)]
            operands, types = "%x, %g", f"{tx}, {tg}"
            if bias:
                args.append(("b", b, tg))
                operands += ", %b"
                types += f", {tg}"
            cases.append(Case(
                f"layer_norm_{elt}_{ci}", args,
                f"%y = kiln.layer_norm {operands} axis = {axis} "
                f"epsilon = 1.0e-05 : {types}", [("%y", tx)],
                [round_to(y, elt)], elt))
            ms = np.mean(xd * xd, axis=red, keepdims=True)
            y = xd / np.sqrt(ms + 1e-6) * f64(g)
            cases.append(Case(
                f"rms_norm_{elt}_{ci}", [("x", x, tx), ("g", g, tg)],
                f"%y = kiln.rms_norm %x, %g axis = {axis} epsilon = 1.0e-06 : "
                f"{tx}, {tg}", [("%y", tx)], [round_to(y, elt)], elt))

    # cumsum: inclusive/exclusive, forward/reverse.
    for exclusive in (False, True):
        for reverse in (False, True):
            for dtype in (np.float32, np.int32):
                x = (rng.standard_normal((3, 6)) * 10).astype(dtype)
                for axis in (0, 1):
                    xd = f64(x) if dtype == np.float32 else x.astype(object)
                    v = np.flip(xd, axis) if reverse else xd
                    c = np.cumsum(v, axis=axis)
                    if exclusive:
                        c = c - v
                    if reverse:
                        c = np.flip(c, axis)
                    want = r32(c) if dtype == np.float32 else wrap(c, dtype)
                    attrs = (" exclusive" if exclusive else "") + \
                        (" reverse" if reverse else "")
                    t = ttype(x.shape, x.dtype, {1 - axis})
                    cases.append(Case(
                        f"cumsum_{x.dtype}_{axis}_{int(exclusive)}"
                        f"{int(reverse)}", [("x", x, t)],
                        f"%y = kiln.cumsum %x axis = {axis}{attrs} : {t}",
                        [("%y", t)], [want], "f32"))

    # topk: sorted, ties keep the lower index first.
    for smallest in (False, True):
        for dtype in (np.float32, np.int64):
            x = rng.integers(-4, 5, size=(3, 9)).astype(dtype)
            if dtype == np.float32:
                x = x + rng.integers(0, 2, size=x.shape).astype(dtype) * 0.5
            for axis, k in ((1, 4), (0, 2), (1, 9), (1, 0)):
                order = np.argsort(x if smallest else -x, axis=axis,
                                   kind="stable")
                idx = np.take(order, np.arange(k), axis=axis)
                vals = np.take_along_axis(x, idx, axis=axis)
                tin = ttype(x.shape, x.dtype)
                tv = ttype(vals.shape, x.dtype)
                ti = ttype(vals.shape, "i64")
                sm = " smallest" if smallest else ""
                cases.append(Case(
                    f"topk_{x.dtype}_{axis}_{k}_{int(smallest)}",
                    [("x", x, tin)],
                    f"%v, %i = kiln.topk %x k = {k} axis = {axis}{sm} : {tin} "
                    f"-> {tv}, {ti}", [("%v", tv), ("%i", ti)],
                    [vals, idx.astype(np.int64)]))
    return cases


# ---------------------------------------------------------------------------
# Contractions, convolutions, pooling, attention
# ---------------------------------------------------------------------------


def ort_run(node, inputs, outputs_shape_dtype, initializers=()):
    """Runs one ONNX node in onnxruntime and returns its output."""
    import onnx
    import onnxruntime
    from onnx import helper, TensorProto
    value_infos = [helper.make_tensor_value_info(
        n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
        for n, a in inputs.items()]
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    graph = helper.make_graph([node], "g", value_infos, [out],
                              initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, inputs)[0]


def nhwc(a):
    """An NCHW activation (or OIHW filter) as NHWC (OHWI)."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def conv2d_oracle(x, w, b, strides, pads, dilations, groups):
    """Convolution as sliding windows and einsum in float64."""
    x, w = f64(x), f64(w)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    span_h, span_w = dilations[0] * (kh - 1) + 1, dilations[1] * (kw - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(
        xp, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::strides[0], ::strides[1], ::dilations[0],
                      ::dilations[1]]
    out = []
    og = o // groups
    for g in range(groups):
        xs = windows[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og]
        out.append(np.einsum("nchwij,ocij->nohw", xs, ws))
    y = np.concatenate(out, axis=1)
    if b is not None:
        y = y + f64(b)[None, :, None, None]
    return y


def nn_cases(rng):
    cases = []
    # matmul with broadcast batch dims, floats and integers.
    for ci, (sa, sb) in enumerate([((3, 4), (4, 5)), ((2, 3, 4), (4, 1)),
                                   ((2, 1, 3, 7), (5, 7, 2)),
                                   ((1, 5, 2), (3, 2, 6))]):
        for dtype in (np.float32, np.float16, np.int32):
            a = (rng.standard_normal(sa) * 3).astype(dtype)
            b = (rng.standard_normal(sb) * 3).astype(dtype)
            if dtype == np.int32:
                want = np.matmul(a, b)
            else:
                want = round_to(np.matmul(f64(a), f64(b)), ELEMENT[a.dtype])
            ta, tb = ttype(sa, a.dtype, ci == 1), ttype(sb, b.dtype)
            tr = ttype(want.shape, want.dtype, ci == 1)
            cases.append(Case(
                f"matmul_{a.dtype}_{ci}", [("a", a, ta), ("b", b, tb)],
                f"%y = kiln.matmul %a, %b : {ta}, {tb} -> {tr}",
                [("%y", tr)], [want], ELEMENT[a.dtype]))
    # linear, both weight layouts, with and without bias.
    for transposed in (False, True):
        for with_bias in (False, True):
            for dtype in (np.float32, np.float16, np.int64):
                x = (rng.standard_normal((2, 3, 5)) * 2).astype(dtype)
                w = (rng.standard_normal((4, 5) if transposed else (5, 4))
                     * 2).astype(dtype)
                bias = (rng.standard_normal(4) * 2).astype(dtype)
                wm = w.T if transposed else w
                if dtype == np.int64:
                    y = x @ wm + (bias if with_bias else 0)
                else:
                    y = round_to(f64(x) @ f64(wm) +
                                 (f64(bias) if with_bias else 0),
                                 ELEMENT[x.dtype])
                tx = ttype(x.shape, x.dtype, {0, 1})
                tw, tbias = tof(w), tof(bias)
                ty = ttype(y.shape, y.dtype, {0, 1})
                args = [("x", x, tx), ("w", w, tw)]
                ops, types = "%x, %w", f"{tx}, {tw}"
                if with_bias:
                    args.append(("b", bias, tbias))
                    ops += ", %b"
                    types += f", {tbias}"
                tw_attr = " transpose_weight" if transposed else ""
                cases.append(Case(
                    f"linear_{x.dtype}_{int(transposed)}{int(with_bias)}",
                    args, f"%y = kiln.linear {ops}{tw_attr} : {types} -> {ty}",
                    [("%y", ty)], [y], ELEMENT[x.dtype]))

    # conv2d: strides, pads, dilations, groups, bias.
    conv_configs = [
        ((1, 3, 7, 7), (4, 3, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, True),
        ((2, 4, 9, 8), (6, 2, 3, 2), (2, 1), (0, 1, 2, 0), (1, 2), 2, False),
        ((1, 6, 5, 11), (6, 1, 3, 3), (1, 2), (2, 2, 2, 2), (2, 1), 6, True),
        ((1, 2, 4, 4), (3, 2, 4, 4), (1, 1), (0, 0, 0, 0), (1, 1), 1, True),
    ]
    for ci, (sx, sw, st, pd, dl, groups, with_bias) in enumerate(conv_configs):
        for dtype in (np.float32, np.float16):
            x = rng.standard_normal(sx).astype(dtype)
            w = rng.standard_normal(sw).astype(dtype)
            bias = rng.standard_normal(sw[0]).astype(dtype)
            y = round_to(conv2d_oracle(x, w, bias if with_bias else None, st,
                                       pd, dl, groups), ELEMENT[x.dtype])
            tx = ttype(sx, x.dtype, {0})
            ty = ttype(y.shape, y.dtype, {0})
            args = [("x", x, tx), ("w", w, tof(w))]
            ops, types = "%x, %w", f"{tx}, {tof(w)}"
            if with_bias:
                args.append(("b", bias, tof(bias)))
                ops += ", %b"
                types += f", {tof(bias)}"
            cases.append(Case(
                f"conv2d_{x.dtype}_{ci}", args,
                f"%y = kiln.conv2d {ops} strides = {list(st)} pads = "
                f"{list(pd)} dilations = {list(dl)} groups = {groups} : "
                f"{types} -> {ty}", [("%y", ty)], [y], ELEMENT[x.dtype]))
            # The same convolution channels_last: NHWC input, OHWI filter,
            # NHWC output (the NCHW oracle's result, transposed).
            xl, wl, yl = nhwc(x), nhwc(w), nhwc(y)
            txl = ttype(xl.shape, x.dtype, {0})
            tyl = ttype(yl.shape, y.dtype, {0})
            args = [("x", xl, txl), ("w", wl, tof(wl))]
            ops, types = "%x, %w", f"{txl}, {tof(wl)}"
            if with_bias:
                args.append(("b", bias, tof(bias)))
                ops += ", %b"
                types += f", {tof(bias)}"
            cases.append(Case(
                f"conv2d_channels_last_{x.dtype}_{ci}", args,
                f"%y = kiln.conv2d {ops} strides = {list(st)} pads = "
                f"{list(pd)} dilations = {list(dl)} groups = {groups} "
                f"channels_last : {types} -> {tyl}", [("%y", tyl)], [yl],
                ELEMENT[x.dtype]))

    # Pooling against onnxruntime: ceil_mode, pads, count_include_pad.
    from onnx import helper
    pool_configs = [((1, 2, 7, 7), (3, 3), (2, 2), (1, 1, 1, 1), True),
                    ((2, 3, 8, 6), (2, 3), (2, 1), (0, 1, 1, 0), False),
                    ((1, 1, 5, 5), (2, 2), (2, 2), (0, 0, 0, 0), True),
                    ((1, 2, 6, 9), (3, 2), (3, 2), (1, 0, 2, 1), True)]
    for ci, (sx, k, st, pd, ceil) in enumerate(pool_configs):
        x = rng.standard_normal(sx).astype(np.float32)
        onnx_pads = [pd[0], pd[1], pd[2], pd[3]]
        ceil_attr = " ceil_mode" if ceil else ""
        for op, onnx_op in (("max_pool2d", "MaxPool"),
                            ("avg_pool2d", "AveragePool")):
            for include in ((False, True) if op == "avg_pool2d" else (False,)):
                attrs = dict(kernel_shape=list(k), strides=list(st),
                             pads=onnx_pads, ceil_mode=int(ceil))
                if op == "avg_pool2d":
                    attrs["count_include_pad"] = int(include)
                node = helper.make_node(onnx_op, ["x"], ["out"], **attrs)
                want = ort_run(node, {"x": x}, None)
                tx = ttype(sx, "f32", {0, 2})
                ty = ttype(want.shape, "f32", {0, 2})
                inc = " count_include_pad" if include else ""
                cases.append(Case(
                    f"{op}_{ci}_{int(include)}", [("x", x, tx)],
                    f"%y = kiln.{op} %x kernel = {list(k)} strides = "
                    f"{list(st)} pads = {list(pd)}{ceil_attr}{inc} : {tx} -> "
                    f"{ty}", [("%y", ty)], [want], "f32"))
                # channels_last: NHWC in and out, same oracle transposed.
                xl, wantl = nhwc(x), nhwc(want)
                txl = ttype(xl.shape, "f32", {0, 1})
                tyl = ttype(wantl.shape, "f32", {0, 1})
                cases.append(Case(
                    f"{op}_channels_last_{ci}_{int(include)}",
                    [("x", xl, txl)],
                    f"%y = kiln.{op} %x kernel = {list(k)} strides = "
                    f"{list(st)} pads = {list(pd)}{ceil_attr}{inc} "
                    f"channels_last : {txl} -> {tyl}", [("%y", tyl)],
                    [wantl], "f32"))
    # max pool ignores padding even when every input is negative, and keeps
    # NaN; average pooling in f16.
    x = -np.abs(rng.standard_normal((1, 1, 4, 4))).astype(np.float32) - 1
    x[0, 0, 3, 3] = np.nan
    xp = np.pad(f64(x), ((0, 0), (0, 0), (1, 1), (1, 1)),
                constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(xp, (2, 2), axis=(2, 3))
    want = r32(np.max(win[:, :, ::2, ::2], axis=(-1, -2)))
    cases.append(Case(
        "max_pool2d_negative_padding", [("x", x, tof(x))],
        f"%y = kiln.max_pool2d %x kernel = [2, 2] strides = [2, 2] pads = "
        f"[1, 1, 1, 1] : {tof(x)} -> {ttype(want.shape, 'f32')}",
        [("%y", ttype(want.shape, "f32"))], [want]))
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float16)
    win = np.lib.stride_tricks.sliding_window_view(f64(x), (2, 2), axis=(2, 3))
    want = r16(np.mean(win[:, :, ::2, ::2], axis=(-1, -2)))
    cases.append(Case(
        "avg_pool2d_f16", [("x", x, tof(x))],
        f"%y = kiln.avg_pool2d %x kernel = [2, 2] strides = [2, 2] pads = "
        f"[0, 0, 0, 0] : {tof(x)} -> {ttype(want.shape, 'f16')}",
        [("%y", ttype(want.shape, "f16"))], [want], "f16"))

    # conv_transpose2d against onnxruntime.
    ct_configs = [
        ((1, 4, 3, 3), (4, 2, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 1),
        ((2, 4, 4, 5), (4, 3, 2, 3), (1, 2), (0, 1, 0, 0), (2, 1), (0, 1), 2),
        ((1, 3, 2, 2), (3, 1, 3, 3), (3, 3), (0, 0, 0, 0), (1, 1), (2, 0), 1),
    ]
    for ci, (sx, sw, st, pd, dl, opad, groups) in enumerate(ct_configs):
        x = rng.standard_normal(sx).astype(np.float32)
        w = rng.standard_normal(sw).astype(np.float32)
        bias = rng.standard_normal(sw[1] * groups).astype(np.float32)
        node = helper.make_node(
            "ConvTranspose", ["x", "w", "b"], ["out"], strides=list(st),
            pads=list(pd), dilations=list(dl), output_padding=list(opad),
            group=groups)
        want = ort_run(node, {"x": x, "w": w, "b": bias}, None)
        tx = ttype(sx, "f32", {0})
        ty = ttype(want.shape, "f32", {0})
        cases.append(Case(
            f"conv_transpose2d_{ci}",
            [("x", x, tx), ("w", w, tof(w)), ("b", bias, tof(bias))],
            f"%y = kiln.conv_transpose2d %x, %w, %b strides = {list(st)} "
            f"pads = {list(pd)} dilations = {list(dl)} output_padding = "
            f"{list(opad)} groups = {groups} : {tx}, {tof(w)}, {tof(bias)} -> "
            f"{ty}", [("%y", ty)], [want], ("rel", 1e-5, 1e-5)))

    # attention: GQA, masks, causal alignments, fully hidden rows.
    def attention_oracle(q, k, v, scale, mask, causal):
        q, k, v = f64(q), f64(k), f64(v)
        group = q.shape[1] // k.shape[1]
        k = np.repeat(k, group, axis=1)
        v = np.repeat(v, group, axis=1)
        s = scale * np.einsum("bhsd,bhtd->bhst", q, k)
        S, T = q.shape[2], k.shape[2]
        keep = np.ones(s.shape, bool)
        if mask is not None:
            if mask.dtype == np.bool_:
                keep &= np.broadcast_to(mask, s.shape)
            else:
                s = s + f64(mask)
        i = np.arange(S)[:, None]
        j = np.arange(T)[None, :]
        if causal == "upper_left":
            keep &= j <= i
        elif causal == "lower_right":
            keep &= j <= i + T - S
        keep &= s != -np.inf
        s = np.where(keep, s, -np.inf)
        m = np.max(s, axis=-1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        e = np.where(keep, np.exp(s - m), 0)
        total = np.sum(e, axis=-1, keepdims=True)
        p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
        return np.einsum("bhst,bhtd->bhsd", p, v)

    att_configs = [
        ((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 5), None, "none"),
        ((2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 6), None, "lower_right"),
        ((1, 4, 5, 4), (1, 1, 5, 4), (1, 1, 5, 4), None, "upper_left"),
        ((2, 2, 3, 4), (2, 2, 6, 4), (2, 2, 6, 4), "bool", "none"),
        ((1, 2, 4, 4), (1, 2, 4, 4), (1, 2, 4, 4), "float", "upper_left"),
        ((1, 1, 5, 4), (1, 1, 3, 4), (1, 1, 3, 4), None, "lower_right"),
    ]
    for ci, (sq, sk, sv, mask_kind, causal) in enumerate(att_configs):
        for dtype in (np.float32, np.float16):
            elt = ELEMENT[np.dtype(dtype)]
            q = rng.standard_normal(sq).astype(dtype)
            k = rng.standard_normal(sk).astype(dtype)
            v = rng.standard_normal(sv).astype(dtype)
            scale = 1 / math.sqrt(sq[3])
            mask = None
            if mask_kind == "bool":
                mask = rng.random((sq[0], 1, 1, sk[2])) < 0.6
                mask[0, 0, 0, :] = False  # a batch that sees no key at all
            elif mask_kind == "float":
                mask = rng.standard_normal((sq[2], sk[2])).astype(dtype)
                mask[1, :] = -np.inf
            want = round_to(attention_oracle(q, k, v, scale, mask, causal),
                            elt)
            tq = ttype(sq, elt, {2})
            tk, tv = ttype(sk, elt, {2}), ttype(sv, elt, {2})
            to = ttype(want.shape, elt, {2})
            args = [("q", q, tq), ("k", k, tk), ("v", v, tv)]
            mask_text = ""
            if mask is not None:
                args.append(("m", mask, tof(mask)))
                mask_text = f" mask(%m : {tof(mask)})"
            cases.append(Case(
                f"attention_{elt}_{ci}", args,
                f"%o = kiln.attention %q, %k, %v{mask_text} scale = {scale!r} "
                f"causal = {causal} : {tq}, {tk}, {tv} -> {to}",
                [("%o", to)], [want], elt))

    # rotary_embedding: rotate_half and interleaved, partial rotary dims.
    for interleaved in (False, True):
        for ci, (shape, half, cos_batch) in enumerate([((2, 3, 5, 8), 4, 1),
                                                       ((2, 2, 3, 10), 3, 2)]):
            x = rng.standard_normal(shape).astype(np.float32)
            angles = rng.standard_normal((cos_batch, shape[2], half)) * 3
            cos, sin = r32(np.cos(angles)), r32(np.sin(angles))
            xd = f64(x)
            c, s = f64(cos)[:, None], f64(sin)[:, None]
            y = xd.copy()
            if interleaved:
                a, b = xd[..., 0:2 * half:2], xd[..., 1:2 * half:2]
                y[..., 0:2 * half:2] = a * c - b * s
                y[..., 1:2 * half:2] = b * c + a * s
            else:
                a, b = xd[..., :half], xd[..., half:2 * half]
                y[..., :half] = a * c - b * s
                y[..., half:2 * half] = b * c + a * s
            tx = ttype(shape, "f32", {2})
            tc = ttype(cos.shape, "f32", {1})
            il = " interleaved" if interleaved else ""
            cases.append(Case(
                f"rotary_embedding_{int(interleaved)}_{ci}",
                [("x", x, tx), ("c", cos, tc), ("s", sin, tc)],
                f"%y = kiln.rotary_embedding %x, %c, %s{il} : {tx}, {tc}, {tc}",
                [("%y", tx)], [r32(y)], "f32"))
    return cases


# ---------------------------------------------------------------------------
# Data movement, shapes, constants, regions
# ---------------------------------------------------------------------------


def resource_hex(array):
    """A dense_resource blob: a 4-byte alignment word, then the bytes."""
    alignment = max(array.dtype.itemsize, 1)
    return "0x" + alignment.to_bytes(4, "little").hex().upper() + \
        array.tobytes().hex().upper()


def data_cases(rng):
    cases = []
    # gather: negative indices, every axis, i32 and scalar indices.
    data = rng.standard_normal((5, 4, 3)).astype(np.float32)
    for axis in (0, 1, 2):
        size = data.shape[axis]
        for ci, ishape in enumerate([(2, 3), (), (4,)]):
            ids = rng.integers(-size, size, size=ishape).astype(
                np.int64 if ci != 2 else np.int32)
            want = np.take(data, ids, axis=axis)
            td = ttype(data.shape, "f32", {0} if axis else False)
            ti = tof(ids)
            tr = ttype(want.shape, "f32", True)
            cases.append(Case(
                f"gather_{axis}_{ci}", [("d", data, td), ("i", ids, ti)],
                f"%y = kiln.gather %d, %i axis = {axis} : {td}, {ti} -> {tr}",
                [("%y", tr)], [want]))

    # concat along each axis, three inputs, dynamic dims.
    for axis in (0, 1, 2):
        parts = []
        for n in (1, 3, 2):
            shape = [2, 3, 4]
            shape[axis] = n
            parts.append(rng.integers(-9, 9, size=shape).astype(np.int32))
        want = np.concatenate(parts, axis=axis)
        types = [ttype(p.shape, "i32", {axis}) for p in parts]
        tr = ttype(want.shape, "i32", {axis})
        cases.append(Case(
            f"concat_{axis}", [(f"p{i}", p, t)
                               for i, (p, t) in enumerate(zip(parts, types))],
            f"%y = kiln.concat %p0, %p1, %p2 axis = {axis} : "
            f"{', '.join(types)} -> {tr}", [("%y", tr)], [want]))

    # slice: Python semantics, sentinels, negative steps, clamping.
    x = np.arange(4 * 7 * 9, dtype=np.float32).reshape(4, 7, 9)
    slices = [
        ("0:2, :, 1:-1:2", np.s_[0:2, :, 1:-1:2]),
        (":, ::-1, ::3", np.s_[:, ::-1, ::3]),
        ("-100:100, 5:2:-1, -2:", np.s_[-100:100, 5:2:-1, -2:]),
        ("3:1, -1:-8:-2, 8:-100:-3", np.s_[3:1, -1:-8:-2, 8:-100:-3]),
        ("::-2, 2:3, -3:-1", np.s_[::-2, 2:3, -3:-1]),
        ("1:, :-4:-1, 100:", np.s_[1:, :-4:-1, 100:]),
    ]
    for ci, (text, index) in enumerate(slices):
        want = x[index]
        for dyn in (False, True):
            tx = ttype(x.shape, "f32", dyn)
            tr = ttype(want.shape, "f32", dyn)
            cases.append(Case(
                f"slice_{ci}_{int(dyn)}", [("x", x, tx)],
                f"%y = kiln.slice %x[{text}] : {tx} -> {tr}", [("%y", tr)],
                [want]))

    # transpose.
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float16)
    for perm in ([0, 2, 1, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        want = np.transpose(x, perm)
        tx, tr = ttype(x.shape, "f16", {0}), ttype(want.shape, "f16", True)
        cases.append(Case(
            f"transpose_{''.join(map(str, perm))}", [("x", x, tx)],
            f"%y = kiln.transpose %x permutation = {perm} : {tx} -> {tr}",
            [("%y", tr)], [want]))

    # reshape: static, one dynamic result dim, and a run-time shape operand.
    x = rng.integers(-100, 100, size=(6, 10)).astype(np.int64)
    tx = ttype(x.shape, "i64", {0})
    for ci, (target, dyn) in enumerate([((3, 20), False), ((2, 5, 6), {1}),
                                        ((60,), {0}), ((4, 15, 1), {0})]):
        tr = ttype(target, "i64", dyn)
        cases.append(Case(
            f"reshape_{ci}", [("x", x, tx)],
            f"%y = kiln.reshape %x : {tx} -> {tr}", [("%y", tr)],
            [x.reshape(target)]))
    shape = np.array([5, 3, 4], np.int64)
    tr = ttype((5, 3, 4), "i64", True)
    cases.append(Case(
        "reshape_shape_operand",
        [("x", x, tx), ("s", shape, ttype((3,), "i64"))],
        f"%y = kiln.reshape %x, %s : {tx}, tensor<3xi64> -> {tr}",
        [("%y", tr)], [x.reshape(5, 3, 4)]))

    # expand, with and without a shape operand.
    x = rng.standard_normal((3, 1)).astype(np.float32)
    cases.append(Case(
        "expand_static", [("x", x, tof(x))],
        f"%y = kiln.expand %x : {tof(x)} -> tensor<2x3x4xf32>",
        [("%y", "tensor<2x3x4xf32>")], [np.broadcast_to(x, (2, 3, 4))]))
    shape = np.array([2, 3, 5], np.int64)
    cases.append(Case(
        "expand_shape_operand",
        [("x", x, ttype(x.shape, "f32", {0})), ("s", shape, "tensor<3xi64>")],
        f"%y = kiln.expand %x, %s : tensor<?x1xf32>, tensor<3xi64> -> "
        f"tensor<?x?x?xf32>", [("%y", "tensor<?x?x?xf32>")],
        [np.broadcast_to(x, (2, 3, 5))]))
    xd = rng.standard_normal((4, 1)).astype(np.float32)
    cases.append(Case(
        "expand_dynamic_from_input", [("x", xd, "tensor<?x1xf32>")],
        "%y = kiln.expand %x : tensor<?x1xf32> -> tensor<2x?x6xf32>",
        [("%y", "tensor<2x?x6xf32>")], [np.broadcast_to(xd, (2, 4, 6))]))

    # shape_of on dynamic dims.
    x = np.zeros((3, 0, 5), np.float32)
    cases.append(Case(
        "shape_of", [("x", x, "tensor<?x?x5xf32>")],
        "%y = kiln.shape_of %x : tensor<?x?x5xf32> -> tensor<3xi64>",
        [("%y", "tensor<3xi64>")], [np.array([3, 0, 5], np.int64)]))

    # range: floats and integers, negative and empty.
    for ci, (s, l, d, dtype) in enumerate([(0, 10, 3, np.int64),
                                           (5, -7, -4, np.int32),
                                           (3, 3, 1, np.int64),
                                           (10, 0, 2, np.int64),
                                           (0.5, 2.0, 0.25, np.float32),
                                           (1.0, -1.0, -0.3, np.float32)]):
        arrays = [np.array(v, dtype) for v in (s, l, d)]
        if dtype == np.float32:
            count = max(math.ceil((float(arrays[1]) - float(arrays[0])) /
                                  float(arrays[2])), 0)
            want = r32(f64(arrays[0]) + np.arange(count) * f64(arrays[2]))
        else:
            want = np.arange(s, l, d).astype(dtype)
        t = tof(arrays[0])
        tr = ttype((len(want),), dtype, True)
        cases.append(Case(
            f"range_{ci}", [("s", arrays[0], t), ("l", arrays[1], t),
                            ("d", arrays[2], t)],
            f"%y = kiln.range %s, %l, %d : {t} -> {tr}", [("%y", tr)],
            [want]))

    # gather_elements.
    data = rng.standard_normal((4, 5)).astype(np.float32)
    for axis in (0, 1):
        ids = rng.integers(-data.shape[axis], data.shape[axis],
                           size=(3, 4)).astype(np.int64)
        want = np.empty(ids.shape, np.float32)
        for i, j in np.ndindex(*ids.shape):
            want[i, j] = data[ids[i, j], j] if axis == 0 else data[i, ids[i, j]]
        cases.append(Case(
            f"gather_elements_{axis}", [("d", data, tof(data)),
                                        ("i", ids, tof(ids))],
            f"%y = kiln.gather_elements %d, %i axis = {axis} : {tof(data)}, "
            f"{tof(ids)} -> {tof(want)}", [("%y", tof(want))], [want]))

    # gather_nd with and without batch dims.
    data = rng.standard_normal((3, 4, 5)).astype(np.float32)
    ids = np.stack([rng.integers(-3, 3, size=6),
                    rng.integers(-4, 4, size=6)], axis=-1).reshape(2, 3, 2)
    want = np.stack([data[i, j] for i, j in ids.reshape(-1, 2)]).reshape(
        2, 3, 5)
    cases.append(Case(
        "gather_nd_0", [("d", data, tof(data)), ("i", ids, tof(ids))],
        f"%y = kiln.gather_nd %d, %i batch_dims = 0 : {tof(data)}, {tof(ids)} "
        f"-> {tof(want)}", [("%y", tof(want))], [want]))
    ids = rng.integers(0, 4, size=(3, 2, 1)).astype(np.int32)
    want = np.stack([np.stack([data[b, ids[b, p, 0]] for p in range(2)])
                     for b in range(3)])
    cases.append(Case(
        "gather_nd_1", [("d", data, tof(data)), ("i", ids, tof(ids))],
        f"%y = kiln.gather_nd %d, %i batch_dims = 1 : {tof(data)}, {tof(ids)} "
        f"-> {tof(want)}", [("%y", tof(want))], [want]))

    # scatter_nd: every reduction, duplicate indices applied in order.
    data = rng.standard_normal((6, 3)).astype(np.float32)
    ids = np.array([[1], [4], [1], [-1]], np.int64)
    upd = rng.standard_normal((4, 3)).astype(np.float32)
    for red in ("none", "add", "mul", "max", "min"):
        want = f64(data).copy()
        for (i,), u in zip(ids, f64(upd)):
            cur = want[i]
            want[i] = {"none": u, "add": cur + u, "mul": cur * u,
                       "max": np.maximum(cur, u),
                       "min": np.minimum(cur, u)}[red]
            want = f64(r32(want))
        cases.append(Case(
            f"scatter_nd_{red}", [("d", data, tof(data)), ("i", ids, tof(ids)),
                                  ("u", upd, tof(upd))],
            f"%y = kiln.scatter_nd %d, %i, %u reduction = {red} : "
            f"{tof(data)}, {tof(ids)}, {tof(upd)}", [("%y", tof(data))],
            [r32(want)]))
    data = np.zeros((2, 3), np.int32)
    ids = np.array([[0, 1], [1, 2], [0, 1]], np.int64)
    upd = np.array([5, 7, 11], np.int32)
    cases.append(Case(
        "scatter_nd_add_i32", [("d", data, tof(data)), ("i", ids, tof(ids)),
                               ("u", upd, tof(upd))],
        f"%y = kiln.scatter_nd %d, %i, %u reduction = add : {tof(data)}, "
        f"{tof(ids)}, {tof(upd)}", [("%y", tof(data))],
        [np.array([[0, 16, 0], [0, 0, 7]], np.int32)]))

    # pad: the four modes, pads larger than the dim, negative pads crop.
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for mode, np_mode in (("constant", "constant"), ("reflect", "reflect"),
                          ("edge", "edge"), ("wrap", "wrap")):
        for ci, pads in enumerate([(0, 1, 0, 2), (2, 0, 1, 3), (1, 5, 4, 6)]):
            widths = ((pads[0], pads[2]), (pads[1], pads[3]))
            kwargs = {"constant_values": 1.5} if mode == "constant" else {}
            want = np.pad(x, widths, mode=np_mode, **kwargs)
            tx, tr = ttype(x.shape, "f32", True), ttype(want.shape, "f32", True)
            cases.append(Case(
                f"pad_{mode}_{ci}", [("x", x, tx)],
                f"%y = kiln.pad %x pads = {list(pads)} mode = {mode} value = "
                f"1.5 : {tx} -> {tr}", [("%y", tr)], [want]))
    want = np.pad(x, ((0, 0), (2, 0)), mode="edge")[1:, :-1]
    cases.append(Case(
        "pad_crop", [("x", x, tof(x))],
        f"%y = kiln.pad %x pads = [-1, 2, 0, -1] mode = edge value = 0.0 : "
        f"{tof(x)} -> {tof(want)}", [("%y", tof(want))], [want]))
    xi = rng.integers(-5, 5, size=(2, 3)).astype(np.int8)
    want = np.pad(xi, ((1, 1), (0, 2)), constant_values=-7)
    cases.append(Case(
        "pad_constant_i8", [("x", xi, tof(xi))],
        f"%y = kiln.pad %x pads = [1, 0, 1, 2] mode = constant value = -7.0 : "
        f"{tof(xi)} -> {tof(want)}", [("%y", tof(want))], [want]))

    # tile.
    x = rng.integers(0, 2, size=(2, 3)).astype(np.bool_)
    for multiples in ([2, 1], [1, 3], [3, 2], [0, 2]):
        want = np.tile(x, multiples)
        tr = ttype(want.shape, "i1")
        cases.append(Case(
            f"tile_{''.join(map(str, multiples))}",
            [("x", x, "tensor<?x3xi1>")],
            f"%y = kiln.tile %x multiples = {multiples} : tensor<?x3xi1> -> "
            f"{ttype(want.shape, 'i1', {0})}",
            [("%y", ttype(want.shape, "i1", {0}))], [want]))

    # resize against onnxruntime.
    from onnx import helper
    resize_configs = [
        ("nearest", "asymmetric", "floor", (1, 2, 3, 4), (1.0, 1.0, 2.0, 2.0)),
        ("nearest", "half_pixel", "round_prefer_floor", (1, 1, 4, 5),
         (1.0, 1.0, 1.5, 0.6)),
        ("nearest", "align_corners", "round_prefer_ceil", (1, 1, 3, 3),
         (1.0, 1.0, 2.0, 2.0)),
        ("nearest", "half_pixel", "ceil", (2, 1, 5), (1.0, 1.0, 0.5)),
        ("linear", "half_pixel", "floor", (1, 2, 3, 4), (1.0, 1.0, 2.0, 1.5)),
        ("linear", "align_corners", "floor", (1, 1, 4, 4),
         (1.0, 1.0, 1.75, 0.5)),
        ("linear", "asymmetric", "floor", (1, 1, 3, 5), (1.0, 1.0, 2.0, 2.0)),
        ("linear", "pytorch_half_pixel", "floor", (1, 1, 4, 6),
         (1.0, 1.0, 0.25, 0.5)),
        ("linear", "half_pixel_symmetric", "floor", (1, 1, 3, 4),
         (1.0, 1.0, 2.0, 1.5)),
    ]
    for ci, (mode, coord, nearest, shape, scales) in enumerate(resize_configs):
        x = rng.standard_normal(shape).astype(np.float32)
        scales_arr = np.array(scales, np.float32)
        node = helper.make_node(
            "Resize", ["x", "", "scales"], ["out"], mode=mode,
            coordinate_transformation_mode=coord, nearest_mode=nearest)
        want = ort_run(node, {"x": x, "scales": scales_arr}, None)
        tx = ttype(shape, "f32")
        for dyn in (False, True):
            tr = ttype(want.shape, "f32", dyn)
            scale_text = ", ".join(repr(float(s)) for s in scales_arr)
            cases.append(Case(
                f"resize_{ci}_{int(dyn)}", [("x", x, tx)],
                f"%y = kiln.resize %x mode = {mode} coordinate_mode = {coord} "
                f"nearest_mode = {nearest} scales = [{scale_text}] : {tx} -> "
                f"{tr}", [("%y", tr)], [want], ("rel", 1e-5, 1e-6)))

    # Constants: dense literals, splats and dense_resource blobs.
    literals = [
        ("f32", np.array([[1.5, -2.25], [0.1, 3e38]], np.float32),
         "dense<[[1.5, -2.25], [0.1, 3.0e38]]>"),
        ("i64", np.array([2 ** 62 + 1, -(2 ** 63), 7], np.int64),
         "dense<[4611686018427387905, -9223372036854775808, 7]>"),
        ("i1", np.array([True, False, True]), "dense<[true, false, true]>"),
        ("i8", np.full((2, 2), -128, np.int8), "dense<-128>"),
        ("f16", np.full((3,), 0.1, np.float16), "dense<0.1>"),
    ]
    for elt, want, text in literals:
        t = tof(want)
        cases.append(Case(
            f"constant_dense_{elt}", [], f"%c = kiln.constant {text} : {t}",
            [("%c", t)], [want]))
    resources = {}
    body = []
    results = []
    expected = []
    blobs = [
        ("f32", rng.standard_normal((2, 3)).astype(np.float32)),
        ("f16", rng.standard_normal((4,)).astype(np.float16)),
        ("i64", np.array([1, -2, 2 ** 40], np.int64)),
        ("i32", np.array([[7, -9]], np.int32)),
        ("i8", np.array([-128, 127, 0], np.int8)),
        ("i1", np.array([1, 0, 1, 1], np.uint8)),
    ]
    for i, (elt, array) in enumerate(blobs):
        resources[f"blob_{elt}"] = resource_hex(array)
        t = ttype(array.shape, elt)
        body.append(f"%c{i} = kiln.constant dense_resource<blob_{elt}> : {t}")
        results.append((f"%c{i}", t))
        expected.append(array.astype(np.bool_) if elt == "i1" else array)
    # bf16 blob: the upper halves of f32 bit patterns, read back through f32.
    bf = r32(rbf16(rng.standard_normal(5)))
    resources["blob_bf16"] = "0x02000000" + (
        bf.view(np.uint32) >> 16).astype("<u2").tobytes().hex().upper()
    body.append("%cb = kiln.constant dense_resource<blob_bf16> : "
                "tensor<5xbf16>")
    body.append("%c6 = kiln.cast %cb : tensor<5xbf16> to tensor<5xf32>")
    results.append(("%c6", "tensor<5xf32>"))
    expected.append(bf)
    cases.append(Case("constant_dense_resource", [], "\n".join(body), results,
                      expected, resources=resources))

    # kiln.fusion evaluates its body; func.call evaluates the callee.
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 2)).astype(np.float32)
    tx, tw, ty = "tensor<?x4xf32>", "tensor<4x2xf32>", "tensor<?x2xf32>"
    lin = f64(x) @ f64(w)
    want = r32(0.5 * lin * erfc(-lin / math.sqrt(2)))
    cases.append(Case(
        "fusion", [("x", x, tx), ("w", w, tw)], f"""
        %y = kiln.fusion ins(%x, %w : {tx}, {tw}) -> {ty} {{
        ^bb0(%a: {tx}, %m: {tw}):
          %0 = kiln.linear %a, %m : {tx}, {tw} -> {ty}
          %1 = kiln.gelu %0 : {ty}
          kiln.yield %1 : {ty}
        }}""", [("%y", ty)], [want], "f32"))
    cases.append(Case(
        "func_call", [("x", x, tx)],
        f"%y = func.call @double(%x) : ({tx}) -> {tx}", [("%y", tx)],
        [r32(2 * f64(x))], extra_funcs=f"""
func.func private @double(%a: {tx}) -> {tx} {{
  %0 = kiln.add %a, %a : {tx}
  return %0 : {tx}
}}
"""))
    return cases


GROUPS = {
    "elementwise": elementwise_cases,
    "casts": cast_cases,
    "reductions": reduction_cases,
    "nn": nn_cases,
    "data": data_cases,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--group", choices=sorted(GROUPS), action="append")
    parser.add_argument("--filter", default="",
                        help="run only cases whose name contains this")
    args = parser.parse_args()
    failures = []
    count = 0
    for index, group in enumerate(args.group or sorted(GROUPS)):
        rng = np.random.default_rng(1234 + index)
        for case in GROUPS[group](rng):
            if args.filter not in case.name:
                continue
            count += 1
            problem = run_case(case, args.kiln,
                               os.path.join(args.workdir, group))
            if problem:
                failures.append((f"{group}/{case.name}", problem))
    for name, problem in failures:
        print(f"FAIL {name}: {problem}\n")
    print(f"{count - len(failures)} of {count} cases passed")
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
