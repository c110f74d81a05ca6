#!/usr/bin/env python3
"""Writes the seed corpus of the ONNX importer's fuzz target.

Usage: make_corpus.py [OUT_DIR]   (default: fuzz/corpus/onnx)

The seeds are small valid models that reach many importers (libFuzzer mutates
them far deeper than it could grow random bytes into a ModelProto), models
the importer refuses for each kind of reason, and a few files that are not
models at all. Every model of the lit fixtures (test/Frontends/onnx/Inputs/
models.py) is included, plus single-op models over the ops and opsets the
fixtures leave out. Run with the repository's .venv (onnx); the output is
deterministic, so regenerating rewrites identical files.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "Frontends", "onnx", "Inputs"))
import models  # noqa: E402  (the lit fixtures)
from models import F, I64, const, model, node, vi  # noqa: E402

# libFuzzer truncates seeds longer than -max_len (scripts/fuzz.sh: 65536);
# small seeds also mutate faster.
MAX_SEED_BYTES = 16384


def unary(op, opset, shape=(2, 3), elem=F, **attrs):
    return model([node(op, ["x"], ["y"], **attrs)], [vi("x", elem, list(shape))],
                 [vi("y", elem, None)], opset=opset)


def binary(op, opset, elem=F, out_elem=None):
    return model([node(op, ["a", "b"], ["y"])],
                 [vi("a", elem, [2, 3]), vi("b", elem, [3])],
                 [vi("y", out_elem or elem, None)], opset=opset)


def reduce(op, opset, axes_as_input):
    if axes_as_input:
        return model([node(op, ["x", "axes"], ["y"], keepdims=0)],
                     [vi("x", F, [2, 3, 4])], [vi("y", F, None)],
                     [const("axes", np.array([1], np.int64))], opset=opset)
    return model([node(op, ["x"], ["y"], axes=[1], keepdims=0)],
                 [vi("x", F, [2, 3, 4])], [vi("y", F, None)], opset=opset)


def shape_chain():
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape over dynamic dims."""
    nodes = [
        node("Shape", ["x"], ["s"]),
        node("Gather", ["s", "zero"], ["d0"], axis=0),
        node("Unsqueeze", ["d0", "axes0"], ["d0v"]),
        node("Concat", ["d0v", "minus1"], ["target"], axis=0),
        node("Reshape", ["x", "target"], ["y"]),
    ]
    inits = [const("zero", np.int64(0)), const("axes0", np.array([0], np.int64)),
             const("minus1", np.array([-1], np.int64))]
    return model(nodes, [vi("x", F, ["n", "s", 4])], [vi("y", F, None)], inits,
                 opset=13)


def external_weight(location):
    """A MatMul whose weight names an external file (the fuzz target gives
    the importer an empty directory, so the lookup fails by design)."""
    w = TensorProto()
    w.name, w.data_type = "w", F
    w.dims.extend([4, 8])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"),
                       ("length", "128")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return model([node("MatMul", ["x", "w"], ["y"])], [vi("x", F, [2, 4])],
                 [vi("y", F, [2, 8])], [w])


def extra_models():
    out = {}
    for op in ["Exp", "Log", "Tanh", "Sigmoid", "Erf", "Sin", "Cos", "Floor",
               "Ceil", "Round", "Sign", "Softplus", "Abs", "Reciprocal", "Neg",
               "Relu"]:
        out["unary_" + op.lower()] = unary(op, 13)
    out["elu_opset6"] = unary("Elu", 6, alpha=0.5)
    out["softmax_opset1"] = unary("Softmax", 1, shape=(2, 3, 4), axis=1)
    out["argmin_last"] = unary("ArgMin", 13, axis=1, keepdims=1,
                               select_last_index=1)
    out["global_max_pool"] = unary("GlobalMaxPool", 1, shape=(1, 2, 4, 4))
    out["cumsum_dynamic"] = model(
        [node("CumSum", ["x", "axis"], ["y"], exclusive=1, reverse=1)],
        [vi("x", F, ["n", 3])], [vi("y", F, None)],
        [const("axis", np.int64(1))], opset=14)
    for op, elem, out_elem in [("Xor", TensorProto.BOOL, None),
                               ("And", TensorProto.BOOL, None),
                               ("Min", F, None), ("Greater", F, TensorProto.BOOL),
                               ("LessOrEqual", I64, TensorProto.BOOL),
                               ("Pow", F, None)]:
        out["binary_" + op.lower()] = binary(op, 13, elem, out_elem)
    out["add_opset7_int32"] = binary("Add", 7, TensorProto.INT32)
    out["div_int8"] = binary("Div", 14, TensorProto.INT8)
    for op in ["ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
               "ReduceLogSum"]:
        out[op.lower() + "_opset13"] = reduce(op, 13, False)
        out[op.lower() + "_opset18"] = reduce(op, 18, True)
    out["shape_chain"] = shape_chain()
    out["bfloat16_input"] = unary("Relu", 14, elem=TensorProto.BFLOAT16)
    out["constant_value_ints"] = model(
        [node("Constant", [], ["c"], value_ints=[2, 3]),
         node("Reshape", ["x", "c"], ["y"])],
        [vi("x", F, [6])], [vi("y", F, None)], opset=14)
    out["range_dynamic"] = model(
        [node("Range", ["s", "l", "d"], ["y"])],
        [vi("s", I64, []), vi("l", I64, []), vi("d", I64, [])],
        [vi("y", I64, None)], opset=11)
    out["constant_of_shape_dynamic"] = model(
        [node("Shape", ["x"], ["s"]),
         node("ConstantOfShape", ["s"], ["y"],
              value=helper.make_tensor("v", F, [1], [1.5]))],
        [vi("x", F, ["n", 2])], [vi("y", F, None)], opset=9)
    # Neighbours of what fuzzing found (docs/fuzzing.md).
    out["range_long"] = model(
        [node("Range", ["s", "l", "d"], ["y"])], [], [vi("y", I64, None)],
        [const("s", np.int64(0)), const("l", np.int64(1 << 17)),
         const("d", np.int64(1))], opset=11)
    out["constant_of_shape_int64_max"] = model(
        [node("ConstantOfShape", ["shape"], ["y"],
              value=helper.make_tensor("v", I64, [1],
                                       [np.iinfo(np.int64).max]))],
        [], [vi("y", I64, None)],
        [const("shape", np.array([2], np.int64))], opset=9)
    out["onehot_nan_depth"] = model(
        [node("OneHot", ["i", "depth", "values"], ["y"])],
        [vi("i", I64, [3])], [vi("y", F, None)],
        [const("depth", np.float32(np.nan)),
         const("values", np.array([0, 1], np.float32))], opset=11)
    out["upsample_huge_scale"] = model(
        [node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 1e30, 2.0])],
        [vi("x", F, [1, 1, 2, 2])], [vi("y", F, None)], opset=7)
    out["empty_typed_initializer"] = model(
        [node("Identity", ["w"], ["y"])], [], [vi("y", F, None)],
        [helper.make_tensor("w", F, [0, 3], [])])
    out["reshape_overflow"] = model(
        [node("Reshape", ["x", "shape"], ["y"])], [vi("x", F, [1 << 40, 8])],
        [vi("y", F, None)],
        [const("shape", np.array([1 << 40, 1 << 40, -1], np.int64))],
        opset=14)
    out["external_missing"] = external_weight("weights.bin")
    out["external_escape"] = external_weight("../outside.bin")
    out["input_without_shape"] = model(
        [node("Relu", ["x"], ["y"])],
        [helper.make_tensor_value_info("x", F, None)], [vi("y", F, None)])
    out["no_default_opset"] = model(
        [node("Relu", ["x"], ["y"])], [vi("x", F, [2])], [vi("y", F, [2])],
        opset=1, extra_opsets=[("com.example", 1)])
    out["no_default_opset"].opset_import.pop(0)
    return out


def not_models(valid):
    """Bytes that are not a ModelProto, or only part of one."""
    out = {"empty": b"", "garbage": b"\x08\x07this is not a protobuf\xff\xff\xff"}
    rng = np.random.default_rng(1234)
    out["random_bytes"] = rng.integers(0, 256, 256, dtype=np.uint8).tobytes()
    for name in ["elementwise", "conv", "attention"]:
        data = valid[name]
        out["truncated_" + name] = data[:len(data) // 2]
    # A length prefix that claims more bytes than follow.
    out["overlong_field"] = b"\x3a\xff\xff\xff\x0f" + b"\x00" * 8
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "fuzz", "corpus", "onnx")
    os.makedirs(out_dir, exist_ok=True)
    seeds = {}
    for name, build in sorted(models.MODELS.items()):
        seeds[name] = build().SerializeToString()
    for name, m in sorted(extra_models().items()):
        assert name not in seeds, name
        seeds[name] = m.SerializeToString()
    for name, data in sorted(not_models(seeds).items()):
        seeds[name] = data
    for name, data in sorted(seeds.items()):
        assert len(data) <= MAX_SEED_BYTES, (name, len(data))
        with open(os.path.join(out_dir, name + ".onnx"), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
