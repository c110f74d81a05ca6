#!/usr/bin/env python3
"""Writes the small ONNX models the importer's lit tests read.

Usage: models.py NAME OUT.onnx

Each model is built with onnx.helper so that the tests need no binary
fixtures in the repository; models with external data write their data
files next to OUT.onnx. Run without arguments to list the names.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(),
          value_info=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits),
                              value_info=list(value_info))
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets)
    m.ir_version = 8
    return m


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def node(op, ins, outs, name=None, domain=None, **attrs):
    n = helper.make_node(op, ins, outs, name=name or outs[0], **attrs)
    if domain is not None:
        n.domain = domain
    return n


MODELS = {}


def register(fn):
    MODELS[fn.__name__] = fn
    return fn


# --- Elementwise ------------------------------------------------------------

@register
def elementwise():
    nodes = [
        node("Add", ["x", "row"], ["add"]),
        node("Sub", ["add", "x"], ["sub"]),
        node("Mul", ["sub", "x"], ["mul"]),
        node("Div", ["mul", "row"], ["div"]),
        node("Pow", ["div", "two"], ["pow"]),
        node("Sqrt", ["pow"], ["sqrt"]),
        node("Mean", ["sqrt", "x", "row"], ["mean"]),
        node("Sum", ["mean", "x"], ["sum"]),
        node("Max", ["sum", "x"], ["max"]),
        node("Mod", ["max", "row"], ["fmod"], fmod=1),
    ]
    inits = [const("row", np.ones(4, np.float32)), const("two", np.int64(2))]
    return model(nodes, [vi("x", F, [3, 4])], [vi("fmod", F, [3, 4])], inits)


@register
def activations():
    nodes = [
        node("Selu", ["x"], ["selu"]),
        node("Mish", ["selu"], ["mish"]),
        node("PRelu", ["mish", "slope"], ["prelu"]),
        node("Gelu", ["prelu"], ["gelu"], approximate="tanh"),
        node("HardSwish", ["gelu"], ["hswish"]),
        node("LeakyRelu", ["hswish"], ["leaky"], alpha=0.2),
        node("HardSigmoid", ["leaky"], ["hsig"]),
        node("Clip", ["hsig", "lo", "hi"], ["clip"]),
        node("Clip", ["clip", "", "dyn_hi"], ["clip2"]),
    ]
    inits = [const("slope", np.full((4,), 0.1, np.float32)),
             const("lo", np.float32(0.0)), const("hi", np.float32(6.0))]
    return model(nodes, [vi("x", F, ["n", 4]), vi("dyn_hi", F, [])],
                 [vi("clip2", F, ["n", 4])], inits, opset=20)


@register
def clip_opset6():
    nodes = [node("Clip", ["x"], ["y"], min=-1.0, max=1.0)]
    return model(nodes, [vi("x", F, [4])], [vi("y", F, [4])], opset=6)


@register
def compare_logic():
    nodes = [
        node("Less", ["a", "b"], ["lt"]),
        node("GreaterOrEqual", ["a", "b"], ["ge"]),
        node("Equal", ["lt", "ge"], ["beq"]),
        node("Not", ["beq"], ["nbeq"]),
        node("Where", ["nbeq", "a", "b"], ["sel"]),
        node("Cast", ["sel"], ["half"], to=TensorProto.FLOAT16),
        node("CastLike", ["half", "i"], ["int"]),
        node("IsInf", ["a"], ["posinf"], detect_negative=0),
        node("IsNaN", ["a"], ["nan"]),
        node("Or", ["posinf", "nan"], ["bad"]),
    ]
    return model(nodes, [vi("a", F, [2, 3]), vi("b", F, [3]),
                         vi("i", TensorProto.INT32, [1])],
                 [vi("int", TensorProto.INT32, [2, 3]),
                  vi("bad", TensorProto.BOOL, [2, 3])])


# --- Reductions and softmax --------------------------------------------------

@register
def reduce_opset11():
    nodes = [node("ReduceSum", ["x"], ["y"], axes=[-1], keepdims=0),
             node("ReduceMean", ["x"], ["m"], axes=[0, 2])]
    return model(nodes, [vi("x", F, [2, 3, 4])],
                 [vi("y", F, [2, 3]), vi("m", F, [1, 3, 1])], opset=11)


@register
def reduce_opset13():
    nodes = [node("ReduceSum", ["x", "axes"], ["y"], keepdims=0),
             node("ReduceSum", ["x"], ["all"]),
             node("ReduceSum", ["x"], ["noop"], noop_with_empty_axes=1),
             node("ReduceMax", ["x"], ["max"], axes=[1])]
    return model(nodes, [vi("x", F, [2, 3, 4])],
                 [vi("y", F, [2, 3]), vi("all", F, [1, 1, 1]),
                  vi("noop", F, [2, 3, 4]), vi("max", F, [2, 1, 4])],
                 [const("axes", np.array([-1], np.int64))], opset=13)


@register
def reduce_opset18():
    nodes = [node("ReduceMean", ["x", "axes"], ["mean"], keepdims=0),
             node("ReduceL2", ["x", "axes"], ["l2"]),
             node("ReduceLogSumExp", ["x", "axes"], ["lse"], keepdims=0),
             node("ReduceSumSquare", ["x", "axes"], ["ss"]),
             node("ArgMax", ["x"], ["amax"], axis=-1, keepdims=0,
                  select_last_index=1)]
    return model(nodes, [vi("x", F, ["b", 3, 4])],
                 [vi("mean", F, ["b", 3]), vi("l2", F, ["b", 3, 1]),
                  vi("lse", F, ["b", 3]), vi("ss", F, ["b", 3, 1]),
                  vi("amax", I64, ["b", 3])],
                 [const("axes", np.array([2], np.int64))], opset=18)


@register
def softmax_opset11():
    nodes = [node("Softmax", ["x"], ["y"], axis=1),
             node("LogSoftmax", ["x"], ["z"], axis=2)]
    return model(nodes, [vi("x", F, [2, 3, 4])],
                 [vi("y", F, [2, 3, 4]), vi("z", F, [2, 3, 4])], opset=11)


@register
def softmax_opset13():
    nodes = [node("Softmax", ["x"], ["y"], axis=1),
             node("Softmax", ["x"], ["z"])]
    return model(nodes, [vi("x", F, [2, 3, 4])],
                 [vi("y", F, [2, 3, 4]), vi("z", F, [2, 3, 4])], opset=13)


# --- Contractions -------------------------------------------------------------

@register
def contraction():
    nodes = [
        node("MatMul", ["v", "m"], ["vm"]),
        node("MatMul", ["m", "v4"], ["mv"]),
        node("Gemm", ["a", "w"], ["fc"], transB=1),
        node("Gemm", ["a", "wt", "c2"], ["gemm"], alpha=0.5, beta=2.0),
        node("Einsum", ["q", "k"], ["scores"], equation="bhqd,bhkd->bhqk"),
        node("Einsum", ["a"], ["t"], equation="ij->ji"),
    ]
    inits = [const("w", np.ones((6, 5), np.float32)),
             const("wt", np.ones((5, 6), np.float32)),
             const("c2", np.ones((1, 6), np.float32))]
    return model(nodes,
                 [vi("v", F, [3]), vi("m", F, [3, 4]), vi("v4", F, [4]),
                  vi("a", F, ["n", 5]), vi("q", F, [1, 2, 7, 8]),
                  vi("k", F, [1, 2, 9, 8])],
                 [vi("vm", F, [4]), vi("mv", F, [3]), vi("fc", F, ["n", 6]),
                  vi("gemm", F, ["n", 6]), vi("scores", F, [1, 2, 7, 9]),
                  vi("t", F, [5, "n"])], inits)


# --- Convolution and pooling ---------------------------------------------------

@register
def conv():
    nodes = [
        node("Conv", ["x", "w", "b"], ["c"], group=2, pads=[1, 1, 1, 1],
             strides=[2, 2], dilations=[1, 1]),
        node("Conv", ["c", "w2"], ["same"], auto_pad="SAME_UPPER",
             kernel_shape=[3, 3]),
        node("MaxPool", ["same"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
        node("AveragePool", ["mp"], ["ap"], kernel_shape=[3, 3],
             pads=[1, 1, 1, 1], count_include_pad=1),
        node("ConvTranspose", ["ap", "wt"], ["up"], strides=[2, 2],
             pads=[1, 1, 1, 1], output_padding=[1, 1]),
        node("GlobalAveragePool", ["up"], ["gap"]),
        node("Conv", ["seq", "w1"], ["c1"], pads=[1, 1]),
    ]
    inits = [const("w", np.ones((8, 2, 3, 3), np.float32)),
             const("b", np.zeros(8, np.float32)),
             const("w2", np.ones((8, 8, 3, 3), np.float32)),
             const("wt", np.ones((8, 4, 3, 3), np.float32)),
             const("w1", np.ones((6, 3, 3), np.float32))]
    return model(nodes, [vi("x", F, ["n", 4, 16, 16]), vi("seq", F, [1, 3, 10])],
                 [vi("gap", F, ["n", 4, 1, 1]), vi("c1", F, [1, 6, 10])], inits)


# --- Normalizations -------------------------------------------------------------

@register
def norms():
    c = 4
    nodes = [
        node("BatchNormalization", ["x", "s", "b", "mean", "var"], ["bn"]),
        node("InstanceNormalization", ["bn", "s", "b"], ["in"]),
        node("GroupNormalization", ["in", "s", "b"], ["gn"], num_groups=2),
        node("LayerNormalization", ["t", "g", "beta"], ["ln"], epsilon=1e-6),
        node("RMSNormalization", ["ln", "g"], ["rms"]),
    ]
    inits = [const(n, np.ones(c, np.float32)) for n in ("s", "b", "mean", "var")]
    inits += [const("g", np.ones(8, np.float32)),
              const("beta", np.zeros(8, np.float32))]
    return model(nodes, [vi("x", F, ["n", c, 5, 5]), vi("t", F, ["n", 7, 8])],
                 [vi("gn", F, ["n", c, 5, 5]), vi("rms", F, ["n", 7, 8])],
                 inits, opset=23)


# --- Shapes and data movement ---------------------------------------------------

@register
def reshape_dynamic():
    # The exporter idiom: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    nodes = [
        node("Shape", ["x"], ["shape"]),
        node("Gather", ["shape", "zero"], ["batch"], axis=0),
        node("Gather", ["shape", "one"], ["seq"], axis=0),
        node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
        node("Unsqueeze", ["seq", "axes0"], ["seq1"]),
        node("Concat", ["batch1", "seq1", "heads"], ["target"], axis=0),
        node("Reshape", ["x", "target"], ["split"]),
        node("Reshape", ["split", "flat"], ["merged"]),
        node("Flatten", ["x"], ["flattened"], axis=2),
    ]
    inits = [const("zero", np.int64(0)), const("one", np.int64(1)),
             const("axes0", np.array([0], np.int64)),
             const("heads", np.array([4, 2], np.int64)),
             const("flat", np.array([0, 0, -1], np.int64))]
    return model(nodes, [vi("x", F, ["batch", "seq", 8])],
                 [vi("split", F, ["batch", "seq", 4, 2]),
                  vi("merged", F, ["batch", "seq", 8]),
                  vi("flattened", F, ["batch_x_seq", 8])], inits, opset=13)


@register
def squeeze_opset11():
    nodes = [node("Unsqueeze", ["x"], ["u"], axes=[0, -1]),
             node("Squeeze", ["u"], ["s"], axes=[0])]
    return model(nodes, [vi("x", F, [3, 4])], [vi("s", F, [3, 4, 1])], opset=11)


@register
def squeeze_opset13():
    nodes = [node("Unsqueeze", ["x", "axes"], ["u"]),
             node("Squeeze", ["u", "axes"], ["s"])]
    return model(nodes, [vi("x", F, [3, 4])], [vi("s", F, [3, 4])],
                 [const("axes", np.array([1], np.int64))], opset=13)


@register
def data_movement():
    nodes = [
        node("Split", ["x", "sizes"], ["p0", "p1"], axis=1),
        node("Split", ["x"], ["h0", "h1", "h2"], axis=1, num_outputs=3),
        node("Slice", ["x", "starts", "ends", "axes", "steps"], ["sl"]),
        node("Transpose", ["x"], ["tr"], perm=[1, 0]),
        node("Concat", ["p0", "p1"], ["cat"], axis=-1),
        node("Expand", ["col", "eshape"], ["ex"]),
        node("Tile", ["x", "reps"], ["tile"]),
        node("Pad", ["x", "pads", "pv"], ["pad"], mode="constant"),
        node("Pad", ["x", "pads"], ["refl"], mode="reflect"),
        node("ConstantOfShape", ["eshape"], ["zeros"],
             value=helper.make_tensor("v", F, [1], [0.5])),
        node("Range", ["r0", "r1", "r2"], ["range"]),
        node("Constant", [], ["cst"], value_ints=[1, 2, 3]),
        node("Identity", ["cst"], ["idn"]),
        node("Dropout", ["x"], ["drop"]),
        node("Size", ["x"], ["size"]),
    ]
    inits = [const("sizes", np.array([2, 4], np.int64)),
             const("starts", np.array([-1], np.int64)),
             const("ends", np.array([-(2**63)], np.int64)),
             const("axes", np.array([1], np.int64)),
             const("steps", np.array([-2], np.int64)),
             const("col", np.arange(4, dtype=np.float32).reshape(4, 1)),
             const("eshape", np.array([2, 4, 3], np.int64)),
             const("reps", np.array([2, 1], np.int64)),
             const("pads", np.array([0, 1, 0, 2], np.int64)),
             const("pv", np.float32(0.25)),
             const("r0", np.int64(0)), const("r1", np.int64(10)),
             const("r2", np.int64(3))]
    outs = ["p1", "h2", "sl", "tr", "cat", "ex", "tile", "pad", "refl",
            "zeros", "range", "idn", "drop", "size"]
    return model(nodes, [vi("x", F, [4, 6])], [vi(o, F, None) for o in outs],
                 inits, opset=18)


@register
def layout():
    nodes = [
        node("DepthToSpace", ["x"], ["d2s"], blocksize=2, mode="CRD"),
        node("SpaceToDepth", ["d2s"], ["s2d"], blocksize=2),
        node("Resize", ["x", "", "scales"], ["up"], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        node("Resize", ["x", "", "", "sizes"], ["lin"], mode="linear"),
    ]
    inits = [const("scales", np.array([1, 1, 2, 2], np.float32)),
             const("sizes", np.array([1, 8, 3, 5], np.int64))]
    return model(nodes, [vi("x", F, [1, 8, 2, 3])],
                 [vi("s2d", F, None), vi("up", F, None), vi("lin", F, None)],
                 inits, opset=13)


@register
def legacy_opset9():
    # Attributes that later opsets turned into inputs.
    nodes = [
        node("Slice", ["x"], ["sl"], starts=[1], ends=[1000], axes=[1]),
        node("Pad", ["x"], ["pad"], pads=[1, 0, 1, 0], mode="edge"),
        node("TopK", ["x"], ["vals", "idx"], k=2),
        node("Split", ["x"], ["s0", "s1"], axis=1, split=[1, 5]),
    ]
    return model(nodes, [vi("x", F, [4, 6])],
                 [vi("sl", F, None), vi("pad", F, None), vi("vals", F, None),
                  vi("s1", F, None)], opset=9)


@register
def resize_opset10():
    # Opset 10: scales is the second input; asymmetric coordinates.
    nodes = [node("Resize", ["x", "scales"], ["up"], mode="nearest")]
    return model(nodes, [vi("x", F, ["n", 3, 4, 4])], [vi("up", F, None)],
                 [const("scales", np.array([1, 1, 2, 2], np.float32))],
                 opset=10)


@register
def folded_shape_arith():
    # Axes and repeats computed from literals (Neg, Cast, Add) are evaluated
    # at import time, so Unsqueeze and Tile see constants.
    nodes = [
        node("Neg", ["minus_one"], ["axes"]),
        node("Unsqueeze", ["x", "axes"], ["u"]),
        node("Cast", ["reps32"], ["reps64"], to=I64),
        node("Add", ["reps64", "zero"], ["reps"]),
        node("Tile", ["u", "reps"], ["y"]),
    ]
    inits = [const("minus_one", np.array([-1], np.int64)),
             const("reps32", np.array([1, 2, 1], np.int32)),
             const("zero", np.int64(0))]
    return model(nodes, [vi("x", F, [3, 4])], [vi("y", F, None)], inits,
                 opset=13)


@register
def upsample_opset9():
    nodes = [node("Upsample", ["x", "scales"], ["up"], mode="linear")]
    return model(nodes, [vi("x", F, [1, 3, 4, 4])], [vi("up", F, None)],
                 [const("scales", np.array([1, 1, 2, 1.5], np.float32))],
                 opset=9)


# --- Indexing -------------------------------------------------------------------

@register
def indexing():
    nodes = [
        node("Gather", ["table", "ids"], ["emb"], axis=0),
        node("GatherElements", ["x", "gi"], ["ge"], axis=1),
        node("GatherND", ["x", "ndi"], ["gnd"]),
        node("ScatterND", ["x", "ndi", "upd"], ["snd"], reduction="add"),
        node("OneHot", ["ids", "depth", "ohv"], ["oh"], axis=-1),
        node("Trilu", ["x", "k"], ["tri"], upper=0),
        node("TopK", ["x", "topk"], ["vals", "idx"], axis=1),
        node("CumSum", ["x", "cax"], ["cs"], exclusive=1),
    ]
    inits = [const("table", np.ones((10, 4), np.float32)),
             const("gi", np.zeros((3, 2), np.int64)),
             const("ndi", np.array([[0], [2]], np.int64)),
             const("upd", np.ones((2, 4), np.float32)),
             const("depth", np.int64(10)),
             const("ohv", np.array([0, 1], np.float32)),
             const("k", np.int64(1)), const("topk", np.array([2], np.int64)),
             const("cax", np.int64(-1))]
    outs = ["emb", "ge", "gnd", "snd", "oh", "tri", "vals", "idx", "cs"]
    return model(nodes, [vi("ids", I64, ["b", 5]), vi("x", F, [3, 4])],
                 [vi(o, F if o != "idx" else I64, None) for o in outs], inits,
                 opset=14)


# --- Attention (opset 23) -------------------------------------------------------

@register
def attention():
    nodes = [
        node("RotaryEmbedding", ["q", "cos", "sin", "pos"], ["qr"]),
        node("Attention", ["qr", "k", "v", "", "pk", "pv"],
             ["o", "present_k", "present_v"], is_causal=1),
        node("Attention", ["q3", "k3", "v3", "mask"], ["o3"], q_num_heads=4,
             kv_num_heads=2),
    ]
    inits = [const("cos", np.ones((32, 4), np.float32)),
             const("sin", np.zeros((32, 4), np.float32))]
    return model(nodes,
                 [vi("q", F, [1, 4, "s", 8]), vi("k", F, [1, 2, "s", 8]),
                  vi("v", F, [1, 2, "s", 8]), vi("pos", I64, [1, "s"]),
                  vi("pk", F, [1, 2, "p", 8]), vi("pv", F, [1, 2, "p", 8]),
                  vi("q3", F, [2, 5, 32]), vi("k3", F, [2, 6, 16]),
                  vi("v3", F, [2, 6, 16]),
                  vi("mask", TensorProto.BOOL, [5, 6])],
                 [vi("o", F, None), vi("present_k", F, None),
                  vi("o3", F, None)], inits, opset=23)


# --- Weights and graph inputs ---------------------------------------------------

@register
def weights():
    big = numpy_helper.from_array(np.arange(64, dtype=np.float32).reshape(8, 8),
                                  "big")
    # Typed fields instead of raw_data: float_data, and FLOAT16 bit patterns
    # in int32_data.
    typed = helper.make_tensor("typed", F, [2, 2], [1.0, 2.0, 3.0, 4.0])
    half = helper.make_tensor("half", TensorProto.FLOAT16, [2],
                              [1.0, -2.0])
    mask = helper.make_tensor("mask", TensorProto.BOOL, [3], [1, 0, 1])
    nodes = [node("MatMul", ["x", "big"], ["y"]),
             node("Add", ["typed", "typed"], ["t2"]),
             node("Cast", ["half"], ["h32"], to=F),
             node("Not", ["mask"], ["nm"])]
    # `big` is listed as a graph input as well (IR < 4 style): a weight.
    return model(nodes, [vi("x", F, ["batch", None, 8]), vi("big", F, [8, 8])],
                 [vi("y", F, None), vi("t2", F, None), vi("h32", F, None),
                  vi("nm", TensorProto.BOOL, None)],
                 [big, typed, half, mask])


def external(out, location, offset=None, length=None, data_bytes=None):
    """A MatMul whose 4x8 weight lives in an external file."""
    weight = np.arange(32, dtype=np.float32).reshape(4, 8)
    tensor = onnx.TensorProto()
    tensor.name = "w"
    tensor.data_type = F
    tensor.dims.extend([4, 8])
    tensor.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for key, value in entries:
        e = tensor.external_data.add()
        e.key, e.value = key, value
    payload = weight.tobytes() if data_bytes is None else data_bytes
    data_path = os.path.join(os.path.dirname(os.path.abspath(out)), "weights.bin")
    with open(data_path, "wb") as f:
        f.write(b"\0" * 64 + payload)
    return model([node("MatMul", ["x", "w"], ["y"])], [vi("x", F, [2, 4])],
                 [vi("y", F, [2, 8])], [tensor])


# --- Unsupported and malformed models -------------------------------------------

@register
def unsupported():
    then_graph = helper.make_graph([node("Identity", ["x"], ["t"])], "then", [],
                                   [vi("t", F, [2])])
    nodes = [
        node("NonZero", ["x"], ["nz"], name="nonzero0"),
        node("If", ["cond"], ["r"], name="branch", then_branch=then_graph,
             else_branch=then_graph),
        node("Relu", ["x"], ["ok"]),
        node("FancyOp", ["x"], ["f"], name="custom", domain="com.example"),
        node("Loop", ["", "cond"], ["l"], name="loop0", body=then_graph),
    ]
    return model(nodes, [vi("x", F, [2]), vi("cond", TensorProto.BOOL, [])],
                 [vi("ok", F, [2])], extra_opsets=[("com.example", 1)])


@register
def undefined_input():
    return model([node("Relu", ["nowhere"], ["y"], name="relu0")],
                 [vi("x", F, [2])], [vi("y", F, [2])])


@register
def bad_attribute_type():
    return model([node("Softmax", ["x"], ["y"], name="sm", axis=1.5)],
                 [vi("x", F, [2, 3])], [vi("y", F, [2, 3])], opset=13)


@register
def missing_attribute():
    return model([node("Cast", ["x"], ["y"], name="cast0")],
                 [vi("x", F, [2])], [vi("y", F, [2])])


@register
def bad_initializer_size():
    w = onnx.TensorProto()
    w.name, w.data_type = "w", F
    w.dims.extend([4, 8])
    w.raw_data = np.zeros(5, np.float32).tobytes()
    return model([node("MatMul", ["x", "w"], ["y"])], [vi("x", F, [2, 4])],
                 [vi("y", F, [2, 8])], [w])


@register
def huge_typed_initializer():
    # Dims of 2^40 floats and no data: refused before anything is allocated
    # (found by fuzzing; the importer used to allocate 4 TiB first).
    w = onnx.TensorProto()
    w.name, w.data_type = "w", F
    w.dims.extend([1 << 40])
    return model([node("Identity", ["w"], ["y"])], [], [vi("y", F, None)], [w])


@register
def range_nan_limit():
    # A constant Range whose length is NaN is refused (found by fuzzing: the
    # length used to be converted to an integer, undefined behaviour).
    inits = [const("s", np.float32(0)), const("l", np.float32(np.nan)),
             const("d", np.float32(1))]
    return model([node("Range", ["s", "l", "d"], ["y"], name="range0")], [],
                 [vi("y", F, None)], inits, opset=11)


@register
def resize_huge_scale():
    # A scale whose output dim has no int64 value is refused (found by
    # fuzzing, as above).
    inits = [const("scales", np.array([1, 1, 1e30, 1], np.float32))]
    return model([node("Resize", ["x", "", "scales"], ["y"], name="up")],
                 [vi("x", F, [1, 3, 4, 4])], [vi("y", F, None)], inits,
                 opset=13)


@register
def int_fold_overflow():
    # INT64_MIN / -1 and INT64_MAX + 1 over literals fold with the wrap
    # around of the kiln folders (found by fuzzing: the importer's own
    # integer folding overflowed, undefined behaviour).
    inits = [const("lo", np.array([np.iinfo(np.int64).min], np.int64)),
             const("hi", np.array([np.iinfo(np.int64).max], np.int64)),
             const("m1", np.array([-1], np.int64)),
             const("one", np.array([1], np.int64))]
    nodes = [node("Div", ["lo", "m1"], ["q"], name="div0"),
             node("Add", ["hi", "one"], ["s"], name="add0")]
    return model(nodes, [], [vi("q", I64, [1]), vi("s", I64, [1])], inits,
                 opset=14)


@register
def onehot_huge_depth():
    # A constant depth of 2^40 gets its positions from kiln.range at run time
    # (found by fuzzing: they were built as a literal, exhausting memory).
    inits = [const("depth", np.int64(1 << 40)),
             const("values", np.array([0, 1], np.float32))]
    return model([node("OneHot", ["i", "depth", "values"], ["y"], name="oh")],
                 [vi("i", I64, [3])], [vi("y", F, None)], inits, opset=11)


@register
def tile_overflow():
    # Repeats whose product with a dim overflows int64 are refused before
    # kiln.tile infers its type (found by fuzzing: signed overflow).
    inits = [const("repeats", np.array([1 << 62, 1], np.int64))]
    return model([node("Tile", ["x", "repeats"], ["y"], name="tile0")],
                 [vi("x", F, [6, 2])], [vi("y", F, None)], inits, opset=13)


@register
def double_initializer():
    return model([node("Add", ["x", "d"], ["y"], name="add0")],
                 [vi("x", TensorProto.DOUBLE, [2])],
                 [vi("y", TensorProto.DOUBLE, [2])],
                 [const("d", np.ones(2, np.float64))])


@register
def shape_mismatch():
    return model([node("Add", ["a", "b"], ["y"], name="add0")],
                 [vi("a", F, [2, 3]), vi("b", F, [4])], [vi("y", F, None)])


def main():
    if len(sys.argv) != 3:
        print("usage: models.py NAME OUT.onnx\nmodels: " + " ".join(
            sorted(MODELS) + ["external_*", "garbage"]))
        return 2
    name, out = sys.argv[1], sys.argv[2]
    if name == "garbage":
        with open(out, "wb") as f:
            f.write(b"\x08\x07this is not a protobuf\xff\xff\xff")
        return 0
    weight_bytes = 4 * 8 * 4
    externals = {
        "external_ok": dict(location="weights.bin", offset=64,
                            length=weight_bytes),
        "external_missing": dict(location="nope.bin"),
        "external_escape": dict(location="../../etc/passwd"),
        "external_range": dict(location="weights.bin", offset=64,
                               length=weight_bytes * 10),
        "external_size": dict(location="weights.bin", offset=64, length=16),
    }
    if name in externals:
        m = external(out, **externals[name])
    else:
        m = MODELS[name]()
    with open(out, "wb") as f:
        f.write(m.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
