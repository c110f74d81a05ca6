//===- Passes.td - Kiln passes ---------------------------------*- tablegen -*-===//

#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def RefineResultTypes : Pass<"kiln-refine-result-types", "func::FuncOp"> {
  let summary = "Make result types as static as the operands allow";
  let description = [{
    Walks a function in order and gives every kiln op the result type its
    type inference computes from its (possibly just refined) operands when
    that type is more static than the one the op has, e.g. after an importer
    wrote `?` for dims that the weights fix. Reshapes with one dynamic dim get
    it from the element count. The function's result types follow what it
    returns.

    ```mlir
    // before
    %0 = kiln.add %a, %b : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x?xf32>
    // after
    %0 = kiln.add %a, %b : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def RecognizeActivations : Pass<"kiln-recognize-activations",
                                "func::FuncOp"> {
  let summary = "Find GELU (erf and tanh forms) and SiLU written as primitives";
  let description = [{
    Replaces `x * 0.5 * (1 + erf(x / sqrt(2)))` by `kiln.gelu`,
    `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))` by
    `kiln.gelu_tanh` and `x * sigmoid(x)` by `kiln.silu`, whatever the order
    and association of the products and sums, and with `/ sqrt(2)` written
    as a division or as a multiplication by its inverse. Constants must match
    to 1e-4 relative.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def FormLinear : Pass<"kiln-form-linear", "func::FuncOp"> {
  let summary = "Turn MatMul with a 2-D right operand (+ bias) into kiln.linear";
  let description = [{
    `matmul(x, W)` with a rank-2 `W` becomes `linear(x, W)`, and
    `linear(x, transpose(W))` keeps `W` with `transpose_weight`. A following
    `add` of a vector over the layer's outputs (rank 1, or leading dims of 1)
    becomes the linear's bias.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def RecognizeNormalizations : Pass<"kiln-recognize-normalizations",
                                   "func::FuncOp"> {
  let summary = "Find LayerNorm and RMSNorm written as primitives";
  let description = [{
    `mean = reduce_mean(x)`, `d = x - mean`,
    `var = reduce_mean(d * d or pow(d, 2))`, `d / sqrt(var + eps)` (or
    `d * rsqrt(var + eps)`), then an optional per-feature scale and shift,
    becomes `kiln.layer_norm`; `x * rsqrt(reduce_mean(x^2) + eps)` (or
    `x / sqrt(...)`) with an optional per-feature scale becomes
    `kiln.rms_norm`. The reductions must be over the trailing dims with kept
    dims, and each intermediate value used once. A missing scale becomes a
    constant of ones (so the normalized dims must be static).
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def RecognizeAttention : Pass<"kiln-recognize-attention", "func::FuncOp"> {
  let summary = "Find scaled dot-product attention written as MatMuls";
  let description = [{
    `matmul(softmax(scores), v)` over the last axis becomes `kiln.attention`
    when `scores` is `matmul(q, transpose(k))` (rank 4) with, in any order:
    multiplications or divisions by constants (on the scores, on `q` or on
    `k`: they multiply into `scale`), an additive mask, and a `where` against
    a fill below -1e4 (a boolean mask). A constant lower-triangular boolean
    mask becomes `causal = upper_left`; a boolean and an additive mask
    combine into one additive mask (`where(m, 0, -inf) + a`). Grouped-query
    repetition of k and v (`reshape(expand(reshape(x)))` to more heads) is
    looked through, so the op sees the shared heads. Rows whose keys are all
    masked become zeros rather than NaN.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def FoldConvBatchNorm : Pass<"kiln-fold-conv-batchnorm", "func::FuncOp"> {
  let summary = "Fold per-channel affine ops after a convolution into it";
  let description = [{
    Follows the single-use chain of `add`, `sub`, `mul` and `div` after a
    `kiln.conv2d` whose other operands are per-output-channel constants
    (shaped `[C, 1, 1]`, `[1, C, 1, 1]` or scalar, or for a `channels_last`
    convolution `[C]`, `[1, 1, 1, C]` or scalar; constants, reshapes of
    constants, or elementwise `sqrt`/`rsqrt`/`reciprocal`/arithmetic of
    them, which is how an inference BatchNormalization looks after import)
    and folds the resulting `y * s + t` into new filter and bias constants:
    `W'[o] = W[o] * s[o]`, `b'[o] = b[o] * s[o] + t[o]`. The filter and bias
    must be f32 constants; the new ones are resource blobs.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def InferSymbolicShapes : Pass<"kiln-infer-symbolic-shapes",
                              "func::FuncOp"> {
  let summary = "Express every dim as a formula of the inputs' named dims";
  let description = [{
    Names each dynamic input dim (from the `kiln.dims` argument attribute
    the importer writes for ONNX `dim_param`s, else `argN.dimM`) and derives
    every other dim as an expression over those names: `batch`,
    `seq * 2`, `seq + past`, `batch * seq`, `(h - 3) floordiv 2 + 1`. Shape
    tensors (`shape_of`, and slices, gathers, concatenations and arithmetic
    of them) are evaluated element by element, so a reshape whose shape
    operand comes from the exporter's Shape/Gather/Concat chain gets
    symbolic dims too. Each op gets a `kiln.shape` attribute (`kiln.shapes`
    for several results) listing its result dims; a dim that comes out
    constant makes the result type static, and an integer shape tensor whose
    every element comes out constant is replaced by a `kiln.constant` (both
    unless `annotate-only`). Dims no rule can relate to the inputs get fresh
    names (`<op>.<n>`).
  }];
  let options = [
    Option<"annotateOnly", "annotate-only", "bool", /*default=*/"false",
           "Only add the kiln.shape attributes; leave types alone">
  ];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def FoldConstants : Pass<"kiln-fold-constants", "func::FuncOp"> {
  let summary = "Evaluate ops whose operands are all constants";
  let description = [{
    Runs the reference evaluator on every kiln op whose operands are all
    `kiln.constant`s and whose results are static and at most
    `max-elements` large, and replaces it by constants of its results
    (literals up to 64 elements, resource blobs beyond). An op the evaluator
    rejects (integer division by zero, an out-of-range index) is left for
    run time. Fusion groups are not entered.
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", /*default=*/"1 << 20",
           "Largest result (in elements) that is folded">
  ];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def ConvertToChannelsLast : Pass<"kiln-convert-to-channels-last",
                                 "func::FuncOp"> {
  let summary = "Move NCHW convolutions and pools to NHWC (channels_last)";
  let description = [{
    Rewrites every NCHW `kiln.conv2d`, `kiln.max_pool2d` and
    `kiln.avg_pool2d` into its `channels_last` form, the layout of the CUDA
    kernels: the input goes through `kiln.transpose` NCHW -> NHWC
    (`permutation = [0, 2, 3, 1]`), the filter through OIHW -> OHWI (the same
    permutation), and the result back NHWC -> NCHW (`[0, 3, 1, 2]`).

    The transposes between consecutive layers then disappear: the
    NHWC -> NCHW transposes sink through elementwise ops (unary ones such as
    `relu`, `clamp` or `cast`, and `add`, `sub`, `mul`, `div`, `max`, `min`,
    `pow` whose other operand is also such a transpose, a scalar, or a
    constant of rank <= 4, which is padded to rank 4 and transposed too), and
    a transpose of a transpose composes into the identity. Transposes and
    reshapes of constants are evaluated into new constants, so a constant
    filter is stored OHWI (a constant still used elsewhere is only copied when
    it has at most 4096 elements). The `kiln.shape` dims of
    `kiln-infer-symbolic-shapes` move with their ops into NHWC order. The
    function's inputs and results stay NCHW.

    ```mlir
    // before
    %y = kiln.conv2d %x, %w strides = [1, 1] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
    %r = kiln.relu %y : tensor<1x4x8x8xf32>
    // after (%wt is the filter as a 4x3x3x3 OHWI constant)
    %t = kiln.transpose %x permutation = [0, 2, 3, 1] : tensor<1x3x8x8xf32> -> tensor<1x8x8x3xf32>
    %y = kiln.conv2d %t, %wt strides = [1, 1] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 channels_last : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x8x8x4xf32>
    %r = kiln.relu %y : tensor<1x8x8x4xf32>
    %b = kiln.transpose %r permutation = [0, 3, 1, 2] : tensor<1x8x8x4xf32> -> tensor<1x4x8x8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def FormFusionGroups : Pass<"kiln-form-fusion-groups", "func::FuncOp"> {
  let summary = "Put every op that needs a kernel into a kiln.fusion group";
  let description = [{
    The default grouping that lets a model reach the code generator: each op
    that needs a kernel ends up in exactly one `kiln.fusion` of a form the
    emitter accepts (`docs/codegen.md`, "Families"). Groups are formed in
    program order, which makes the result deterministic.

    - **No kernel, left outside:** `kiln.constant`, `kiln.shape_of`, ops
      with integer results whose operands are all constants or such shape
      values (the exporters' shape arithmetic, position-id `range`s,
      gathers of constant tables by them), and `kiln.reshape` (a view of a
      contiguous buffer; every group's result is contiguous).
    - **Anchored groups:** each op a kernel-library template implements,
      under that template's conditions (float `matmul`/`linear`;
      `channels_last` `conv2d` with static channels, `max_pool2d`,
      `avg_pool2d`; `softmax`, `log_softmax`, `layer_norm`, `rms_norm`;
      float `reduce_*` over contiguous axes; `argmax`/`argmin` of floats;
      `attention` with one element type and a static head dim, a multiple
      of 4 in f32 and of 64 otherwise; `transpose`, `slice`, `concat`,
      `gather`, `gather_elements` up to rank 6), is the anchor of its own
      group. GEMMs, convolutions, pools, attention, softmax, normalizations
      and reductions take as **epilogue** the chain of elementwise ops after
      them in which each value has a single use, while each op keeps the
      anchor's result shape and produces floats (the anchor's element type
      for attention). Softmax, normalizations, reductions and
      argmax/argmin take a **prologue**: the elementwise ops computing their
      input (operand 0) with its exact type whose results nothing else
      uses, provided one of the prologue's inputs has that type (the
      emitter reads the input's shape from it), e.g. `x * scale + mask`
      before a softmax or `x + residual` before a LayerNorm. GEMMs,
      convolutions, pools, attention and copies read their operands from
      memory and take no prologue; argmax/argmin and copies take no
      epilogue. Anchors are visited in program order, so an op that is both
      a GEMM's epilogue and a later LayerNorm's prologue goes to the GEMM.
    - **Elementwise groups:** every other elementwise op (the emitter's
      scalar ops) roots, from the last one up, a group with one result that
      also takes the elementwise ops of the root's shape whose results only
      the group uses (chains and simple DAGs).
    - Groups are `IsolatedFromAbove`: values defined outside become inputs
      (one block argument per distinct value), except splat constants read
      by elementwise ops, which are copied into the body as literals.
    - **Unsupported ops** stay outside groups: ops without a template
      (`scatter_nd`, `cumsum`, `topk`, `pad`, `tile`, `resize`, ...) and
      anchors whose template's condition fails (NCHW convolutions, integer
      GEMMs, ...). An `expand` of run-time (non-shape) data is one of them:
      it must be materialized and no template broadcasts a copy; it is not
      folded into elementwise consumers either (their result shape would
      have to come from another operand). With `strict`, each is an error
      naming the op and the reason, and the pass fails.
    - A reshape or a shape computation ends a chain: the ops on either side
      are in different groups.

    ```mlir
    // before
    %0 = kiln.linear %x, %w, %b : tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    %1 = kiln.gelu %0 : tensor<?x64xf32>
    // after
    %1 = kiln.fusion ins(%x, %w, %b : tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32> {
    ^bb0(%a: tensor<?x64xf32>, %m: tensor<64x64xf32>, %c: tensor<64xf32>):
      %2 = kiln.linear %a, %m, %c : tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
      %3 = kiln.gelu %2 : tensor<?x64xf32>
      kiln.yield %3 : tensor<?x64xf32>
    }
    ```
  }];
  let options = [
    Option<"strict", "strict", "bool", /*default=*/"false",
           "Fail, naming each op, if an op that needs a kernel is left "
           "outside every group">
  ];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

#endif // KILN_PASSES_TD
