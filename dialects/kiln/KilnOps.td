//===- KilnOps.td - Kiln graph operations ------------------------*- tablegen -*-===//
//
// Conventions every op follows, so that passes can rely on them:
//  * Axes and dims are normalized: non-negative and in range. Importers turn
//    ONNX's negative axes into these.
//  * Result types are inferred (InferTypeOpInterface); a result type may be
//    more or less static than the inferred one, never contradict it.
//  * Layouts are those of ONNX: NCHW activations and OIHW filters.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILNOPS_TD
#define KILN_DIALECT_KILNOPS_TD

include "dialects/kiln/KilnBase.td"
include "dialects/kiln/KilnAttrs.td"
// Pure, SameOperandsAndResultType, ...
include "mlir/Interfaces/SideEffectInterfaces.td"
// InferTypeOpAdaptor: result types computed from operands and attributes.
include "mlir/Interfaces/InferTypeOpInterface.td"
// RegionKindInterface etc. for kiln.fusion's body.
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/CommonAttrConstraints.td"

// Result types are inferred; the op's own result type may be more or less
// static than the inference, never contradict it.
def Kiln_InferType : InferTypeOpAdaptorBase<[{
  static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                      ::mlir::TypeRange actual) {
    return ::mlir::kiln::areCompatibleResultTypes(actual, inferred);
  }
}]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "output"]>]> {
  let summary = "A constant tensor: a small literal or a weight";
  let description = [{
    Holds a tensor known at compile time. Small constants are `dense<...>`
    literals; weights are `dense_resource<...>` blobs that the importer maps
    from the model file, so they are never copied into the IR.

    ```mlir
    %shape = kiln.constant dense<[1, 768]> : tensor<2xi64>
    %w = kiln.constant dense_resource<encoder.w0> : tensor<768x768xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Kiln_UnaryOp<string mnemonic, string opSummary, Type tensorType,
                   list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
                                     Elementwise], traits)> {
  let summary = opSummary;
  let description = [{
    Elementwise }] # opSummary # [{.

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

class Kiln_FloatUnaryOp<string mnemonic, string opSummary,
                        list<Trait> traits = []>
    : Kiln_UnaryOp<mnemonic, opSummary, Kiln_FloatTensor, traits>;

def Kiln_NegOp : Kiln_UnaryOp<"neg", "negation", Kiln_SignedTensor,
                              [Involution]>;
def Kiln_AbsOp : Kiln_UnaryOp<"abs", "absolute value", Kiln_SignedTensor,
                              [Idempotent]>;
def Kiln_SignOp : Kiln_UnaryOp<"sign", "sign (-1, 0 or 1)", Kiln_SignedTensor,
                               [Idempotent]>;
def Kiln_ReluOp : Kiln_UnaryOp<"relu", "rectified linear unit, max(x, 0)",
                               Kiln_SignedTensor, [Idempotent]>;
def Kiln_NotOp : Kiln_UnaryOp<"not", "logical not", Kiln_BoolTensor,
                              [Involution]>;

def Kiln_ExpOp : Kiln_FloatUnaryOp<"exp", "natural exponential">;
def Kiln_LogOp : Kiln_FloatUnaryOp<"log", "natural logarithm">;
def Kiln_SqrtOp : Kiln_FloatUnaryOp<"sqrt", "square root">;
def Kiln_RsqrtOp : Kiln_FloatUnaryOp<"rsqrt", "reciprocal square root">;
def Kiln_ReciprocalOp : Kiln_FloatUnaryOp<"reciprocal", "reciprocal, 1 / x">;
def Kiln_TanhOp : Kiln_FloatUnaryOp<"tanh", "hyperbolic tangent">;
def Kiln_SigmoidOp : Kiln_FloatUnaryOp<"sigmoid", "logistic sigmoid">;
def Kiln_ErfOp : Kiln_FloatUnaryOp<"erf", "Gauss error function">;
def Kiln_SinOp : Kiln_FloatUnaryOp<"sin", "sine">;
def Kiln_CosOp : Kiln_FloatUnaryOp<"cos", "cosine">;
def Kiln_FloorOp : Kiln_FloatUnaryOp<"floor", "rounding down", [Idempotent]>;
def Kiln_CeilOp : Kiln_FloatUnaryOp<"ceil", "rounding up", [Idempotent]>;
def Kiln_RoundOp : Kiln_FloatUnaryOp<"round",
    "rounding to the nearest integer, halves to even", [Idempotent]>;
def Kiln_GeluOp : Kiln_FloatUnaryOp<"gelu",
    "Gaussian error linear unit, x * Phi(x) (exact, erf form)">;
def Kiln_GeluTanhOp : Kiln_FloatUnaryOp<"gelu_tanh",
    "Gaussian error linear unit, tanh approximation">;
def Kiln_SiluOp : Kiln_FloatUnaryOp<"silu",
    "sigmoid linear unit, x * sigmoid(x)">;
def Kiln_SoftplusOp : Kiln_FloatUnaryOp<"softplus", "softplus, log(1 + exp(x))">;
def Kiln_HardSwishOp : Kiln_FloatUnaryOp<"hard_swish",
    "hard swish, x * relu6(x + 3) / 6">;

def Kiln_LeakyReluOp : Kiln_FloatUnaryOp<"leaky_relu",
    "leaky rectified linear unit"> {
  let description = [{
    `x` where `x >= 0`, else `alpha * x`.

    ```mlir
    %y = kiln.leaky_relu %x alpha = 0.01 : tensor<8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$alpha);
  let assemblyFormat = "$input `alpha` `=` $alpha attr-dict `:` type($output)";
}

def Kiln_EluOp : Kiln_FloatUnaryOp<"elu", "exponential linear unit"> {
  let description = [{
    `x` where `x > 0`, else `alpha * (exp(x) - 1)`.

    ```mlir
    %y = kiln.elu %x alpha = 1.0 : tensor<8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$alpha);
  let assemblyFormat = "$input `alpha` `=` $alpha attr-dict `:` type($output)";
}

def Kiln_HardSigmoidOp : Kiln_FloatUnaryOp<"hard_sigmoid", "hard sigmoid"> {
  let description = [{
    `max(0, min(1, alpha * x + beta))`.

    ```mlir
    %y = kiln.hard_sigmoid %x alpha = 0.2 beta = 0.5 : tensor<8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$alpha, F64Attr:$beta);
  let assemblyFormat = [{
    $input `alpha` `=` $alpha `beta` `=` $beta attr-dict `:` type($output)
  }];
}

def Kiln_ClampOp : Kiln_UnaryOp<"clamp", "clamping to [min, max]",
                                Kiln_SignedTensor> {
  let description = [{
    `min(max(x, min), max)`. Either bound may be omitted; for integer tensors
    the bounds must be integral.

    ```mlir
    %y = kiln.clamp %x min = 0.0 max = 6.0 : tensor<8xf32>
    %z = kiln.clamp %i min = 0.0 : tensor<8xi64>
    ```
  }];
  let arguments = (ins Kiln_SignedTensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let assemblyFormat = [{
    $input (`min` `=` $min^)? (`max` `=` $max^)? attr-dict `:` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

class Kiln_FloatPredicateOp<string mnemonic, string opSummary>
    : Kiln_Op<mnemonic, [Pure, Elementwise, SameOperandsAndResultShape]> {
  let summary = opSummary;
  let description = [{
    True where the element is }] # opSummary # [{.

    ```mlir
    %m = kiln.}] # mnemonic # [{ %x : tensor<4xf32> -> tensor<4xi1>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input);
  let results = (outs Kiln_BoolTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def Kiln_IsNanOp : Kiln_FloatPredicateOp<"is_nan", "a NaN">;
def Kiln_IsInfOp : Kiln_FloatPredicateOp<"is_inf", "an infinity">;

//===----------------------------------------------------------------------===//
// Elementwise binary ops with numpy broadcasting
//===----------------------------------------------------------------------===//

class Kiln_BinaryOp<string mnemonic, string opSummary, Type tensorType,
                    list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([Pure, Kiln_InferType], traits)> {
  let summary = opSummary;
  let description = [{
    Elementwise }] # opSummary # [{ with numpy broadcasting:
    shapes are aligned at their last dim and a dim of size 1 stretches to the
    other operand's size. The type is printed once when operands and result
    have the same type.

    ```mlir
    %0 = kiln.}] # mnemonic # [{ %a, %b : tensor<4x8xf32>
    %1 = kiln.}] # mnemonic # [{ %a, %row : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins tensorType:$lhs, tensorType:$rhs);
  let results = (outs tensorType:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:`
    custom<BroadcastTypes>(type($lhs), type($rhs), type($output))
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferBroadcastType(loc, getOperationName(),
                                adaptor.getLhs().getType(),
                                adaptor.getRhs().getType(), nullptr, types);
    }
  }];
}

def Kiln_AddOp : Kiln_BinaryOp<"add", "addition", Kiln_NumericTensor,
                               [Commutative]> {
  let hasFolder = 1;
}
def Kiln_SubOp : Kiln_BinaryOp<"sub", "subtraction", Kiln_NumericTensor> {
  let hasFolder = 1;
}
def Kiln_MulOp : Kiln_BinaryOp<"mul", "multiplication", Kiln_NumericTensor,
                               [Commutative]> {
  let hasFolder = 1;
}
def Kiln_DivOp : Kiln_BinaryOp<"div",
    "division (integers: truncated toward zero)", Kiln_NumericTensor> {
  let hasFolder = 1;
}
def Kiln_PowOp : Kiln_BinaryOp<"pow", "power, lhs ** rhs", Kiln_FloatTensor>;
def Kiln_MaxOp : Kiln_BinaryOp<"max", "maximum (NaN-propagating)",
                               Kiln_NumericTensor, [Commutative]>;
def Kiln_MinOp : Kiln_BinaryOp<"min", "minimum (NaN-propagating)",
                               Kiln_NumericTensor, [Commutative]>;
def Kiln_ModOp : Kiln_BinaryOp<"mod",
    "floored modulo, with the sign of the divisor (Python's %)",
    Kiln_NumericTensor>;
def Kiln_FmodOp : Kiln_BinaryOp<"fmod",
    "truncated remainder, with the sign of the dividend (C's fmod)",
    Kiln_NumericTensor>;
def Kiln_AndOp : Kiln_BinaryOp<"and", "logical and", Kiln_BoolTensor,
                               [Commutative]>;
def Kiln_OrOp : Kiln_BinaryOp<"or", "logical or", Kiln_BoolTensor,
                              [Commutative]>;
def Kiln_XorOp : Kiln_BinaryOp<"xor", "logical exclusive or", Kiln_BoolTensor,
                               [Commutative]>;

def Kiln_CompareOp : Kiln_Op<"compare", [Pure, Kiln_InferType]> {
  let summary = "Elementwise comparison with numpy broadcasting";
  let description = [{
    Compares two tensors of the same element type elementwise and yields an
    `i1` tensor. Predicates: `eq`, `ne`, `lt`, `le`, `gt`, `ge`; integers
    compare as signed. Comparisons involving NaN are false, except `ne`.

    ```mlir
    %m = kiln.compare lt, %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
    ```
  }];
  let arguments = (ins Kiln_ComparePredicateAttr:$predicate,
                   Kiln_NumericTensor:$lhs, Kiln_NumericTensor:$rhs);
  let results = (outs Kiln_BoolTensor:$output);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:`
    custom<BroadcastTypes>(type($lhs), type($rhs), type($output))
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferBroadcastType(loc, getOperationName(),
                                adaptor.getLhs().getType(),
                                adaptor.getRhs().getType(),
                                ::mlir::IntegerType::get(context, 1), types);
    }
  }];
}

def Kiln_WhereOp : Kiln_Op<"where", [Pure, Kiln_InferType]> {
  let summary = "Elementwise selection with numpy broadcasting";
  let description = [{
    Takes `true_value` where `condition` holds, else `false_value`; the three
    operands broadcast together.

    ```mlir
    %0 = kiln.where %mask, %x, %neg_inf : (tensor<1x1x8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$condition, Kiln_Tensor:$true_value,
                   Kiln_Tensor:$false_value);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Kiln_CastOp : Kiln_Op<"cast", [Pure, Elementwise,
    SameOperandsAndResultShape]> {
  let summary = "Element type conversion";
  let description = [{
    Converts each element to the result's element type: floats round to
    nearest even, float to integer truncates toward zero, any non-zero value
    to `i1` is true.

    ```mlir
    %h = kiln.cast %x : tensor<?x768xf32> to tensor<?x768xf16>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($output)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Kiln_ReduceOp<string mnemonic, string opSummary, Type tensorType>
    : Kiln_Op<mnemonic, [Pure, Kiln_InferType]> {
  let summary = opSummary # " over a set of axes";
  let description = [{
    Reduces `input` over `axes` (non-negative, unique). With `keep_dims` the
    reduced dims stay as size 1, otherwise they are dropped.

    ```mlir
    %0 = kiln.}] # mnemonic # [{ %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
    %1 = kiln.}] # mnemonic # [{ %x axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins tensorType:$input, DenseI64ArrayAttr:$axes,
                   UnitAttr:$keep_dims);
  let results = (outs tensorType:$output);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keep_dims` $keep_dims^)? attr-dict `:`
    type($input) `->` type($output)
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferReductionType(loc, getOperationName(),
                                adaptor.getInput().getType(),
                                adaptor.getAxes(), adaptor.getKeepDims(),
                                nullptr, types);
    }
  }];
}

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", "Sum", Kiln_NumericTensor>;
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", "Arithmetic mean",
                                      Kiln_FloatTensor>;
def Kiln_ReduceMaxOp : Kiln_ReduceOp<"reduce_max", "Maximum",
                                     Kiln_NumericTensor>;
def Kiln_ReduceMinOp : Kiln_ReduceOp<"reduce_min", "Minimum",
                                     Kiln_NumericTensor>;
def Kiln_ReduceProdOp : Kiln_ReduceOp<"reduce_prod", "Product",
                                      Kiln_NumericTensor>;

class Kiln_ArgReduceOp<string mnemonic, string opSummary>
    : Kiln_Op<mnemonic, [Pure, Kiln_InferType]> {
  let summary = "Index of the " # opSummary # " along an axis";
  let description = [{
    The `i64` index of the }] # opSummary # [{ element along `axis`; ties
    give the first index, or the last with `select_last_index`.

    ```mlir
    %i = kiln.}] # mnemonic # [{ %logits axis = 1 : tensor<4x10xf32> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, I64Attr:$axis,
                   UnitAttr:$keep_dims, UnitAttr:$select_last_index);
  let results = (outs 
      RankedTensorOf<[I64]>:$output);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`keep_dims` $keep_dims^)?
    (`select_last_index` $select_last_index^)? attr-dict `:`
    type($input) `->` type($output)
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      int64_t axis = adaptor.getAxis();
      return inferReductionType(loc, getOperationName(),
                                adaptor.getInput().getType(), axis,
                                adaptor.getKeepDims(),
                                ::mlir::IntegerType::get(context, 64), types);
    }
  }];
}

def Kiln_ArgMaxOp : Kiln_ArgReduceOp<"argmax", "largest">;
def Kiln_ArgMinOp : Kiln_ArgReduceOp<"argmin", "smallest">;

//===----------------------------------------------------------------------===//
// Softmax and normalizations
//===----------------------------------------------------------------------===//

class Kiln_SoftmaxBaseOp<string mnemonic, string opSummary>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = opSummary # " along one axis";
  let description = [{
    }] # opSummary # [{ along `axis`, computed stably (the
    maximum is subtracted first).

    ```mlir
    %p = kiln.}] # mnemonic # [{ %scores axis = 3 : tensor<2x12x128x128xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($output)";
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return verifyAxis(*this, getAxis(), getInput().getType().getRank());
    }
  }];
}

def Kiln_SoftmaxOp : Kiln_SoftmaxBaseOp<"softmax", "Softmax">;
def Kiln_LogSoftmaxOp : Kiln_SoftmaxBaseOp<"log_softmax", "Log of softmax">;

def Kiln_LayerNormOp : Kiln_Op<"layer_norm", [Pure,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Layer normalization over the trailing dims from `axis`";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, where mean and
    (biased) variance are taken over the dims `axis..rank-1`. `scale` and the
    optional `bias` have the shape of those dims.

    ```mlir
    %y = kiln.layer_norm %x, %gamma, %beta axis = 2 epsilon = 1.0e-05 : tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$scale,
                   Optional<Kiln_FloatTensor>:$bias, I64Attr:$axis,
                   F64Attr:$epsilon);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` type($input) `,` type($scale) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

def Kiln_RmsNormOp : Kiln_Op<"rms_norm", [Pure,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Root-mean-square normalization over the trailing dims";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * scale`, the mean taken over the dims
    `axis..rank-1`; `scale` has the shape of those dims.

    ```mlir
    %y = kiln.rms_norm %x, %w axis = 2 epsilon = 1.0e-06 : tensor<?x?x4096xf16>, tensor<4096xf16>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$scale,
                   I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `axis` `=` $axis `epsilon` `=` $epsilon attr-dict `:`
    type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul", [Pure, Kiln_InferType]> {
  let summary = "Batched matrix product with broadcast batch dims";
  let description = [{
    `lhs` is `[..., M, K]`, `rhs` is `[..., K, N]`, the result `[..., M, N]`;
    the leading (batch) dims broadcast as in numpy. Both operands have rank 2
    or more: importers reshape numpy's 1-D cases.

    ```mlir
    %s = kiln.matmul %q, %kt : tensor<2x12x128x64xf32>, tensor<2x12x64x128xf32> -> tensor<2x12x128x128xf32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$lhs, Kiln_NumericTensor:$rhs);
  let results = (outs Kiln_NumericTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
}

def Kiln_LinearOp : Kiln_Op<"linear", [Pure, Kiln_InferType]> {
  let summary = "Fully connected layer: input x weight (+ bias)";
  let description = [{
    `input` is `[..., K]`; `weight` is `[K, N]`, or `[N, K]` with
    `transpose_weight` (PyTorch's `nn.Linear` layout); the optional `bias` is
    `[N]`. The result is `[..., N]`.

    ```mlir
    %y = kiln.linear %x, %w, %b transpose_weight : tensor<?x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32> -> tensor<?x128x3072xf32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, Kiln_NumericTensor:$weight,
                   Optional<Kiln_NumericTensor>:$bias,
                   UnitAttr:$transpose_weight);
  let results = (outs Kiln_NumericTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`transpose_weight` $transpose_weight^)?
    attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)? `->`
    type($output)
  }];
}

def Kiln_Conv2dOp : Kiln_Op<"conv2d", [Pure, Kiln_InferType]> {
  let summary = "2-D convolution, NCHW input and OIHW filter (or NHWC/OHWI)";
  let description = [{
    Cross-correlation of `input` `[N, C, H, W]` with `filter`
    `[O, C / groups, KH, KW]`, plus the optional `bias` `[O]`. `pads` are
    `[top, left, bottom, right]`. The output is `[N, O, OH, OW]` with
    `OH = (H + top + bottom - dilation_h * (KH - 1) - 1) / stride_h + 1`.
    Input channel `c` belongs to group `c / (C / groups)`, output channel
    `o` to group `o / (O / groups)`.

    With `channels_last` the same convolution is written channels-innermost,
    the layout of the CUDA kernels: `input` `[N, H, W, C]`, `filter`
    `[O, KH, KW, C / groups]` (OHWI), `bias` `[O]` and output
    `[N, OH, OW, O]`. `strides`, `pads` and `dilations` keep their meaning
    (`[h, w]`, `[top, left, bottom, right]`). Without it the op is NCHW.

    ```mlir
    %y = kiln.conv2d %x, %w, %b strides = [2, 2] pads = [3, 3, 3, 3] dilations = [1, 1] groups = 1 : tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32> -> tensor<?x64x112x112xf32>
    %z = kiln.conv2d %xt, %wt, %b strides = [2, 2] pads = [3, 3, 3, 3] dilations = [1, 1] groups = 1 channels_last : tensor<?x224x224x3xf32>, tensor<64x7x7x3xf32>, tensor<64xf32> -> tensor<?x112x112x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$filter,
                   Optional<Kiln_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$groups,
                   UnitAttr:$channels_last);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? `strides` `=` $strides `pads` `=` $pads
    `dilations` `=` $dilations `groups` `=` $groups
    (`channels_last` $channels_last^)? attr-dict `:`
    type($input) `,` type($filter) (`,` type($bias)^)? `->` type($output)
  }];
}

class Kiln_Pool2dOp<string mnemonic, string opSummary, dag extraArgs,
                    string extraFormat>
    : Kiln_Op<mnemonic, [Pure, Kiln_InferType]> {
  let summary = "2-D " # opSummary # " pooling over an NCHW (or NHWC) tensor";
  let arguments = !con((ins Kiln_FloatTensor:$input,
                        DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                        DenseI64ArrayAttr:$pads, UnitAttr:$ceil_mode),
                       extraArgs, (ins UnitAttr:$channels_last));
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `kernel` `=` $kernel `strides` `=` $strides `pads` `=` $pads
    (`ceil_mode` $ceil_mode^)? }] # extraFormat # [{
    (`channels_last` $channels_last^)? attr-dict `:` type($input) `->`
    type($output)
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return inferPoolType(loc, getOperationName(),
                           adaptor.getInput().getType(), adaptor.getKernel(),
                           adaptor.getStrides(), adaptor.getPads(),
                           adaptor.getCeilMode(), adaptor.getChannelsLast(),
                           types);
    }
  }];
}

def Kiln_MaxPool2dOp : Kiln_Pool2dOp<"max_pool2d", "max", (ins), ""> {
  let description = [{
    The maximum over each `kernel` window; padding never wins. `pads` are
    `[top, left, bottom, right]`; with `ceil_mode` the output size rounds up
    (a window must still start inside the input or its left/top padding).
    The input is `[N, C, H, W]` and the output `[N, C, OH, OW]`; with
    `channels_last` they are `[N, H, W, C]` and `[N, OH, OW, C]`.

    ```mlir
    %y = kiln.max_pool2d %x kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] : tensor<?x64x112x112xf32> -> tensor<?x64x56x56xf32>
    %z = kiln.max_pool2d %xt kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] channels_last : tensor<?x112x112x64xf32> -> tensor<?x56x56x64xf32>
    ```
  }];
}

def Kiln_AvgPool2dOp : Kiln_Pool2dOp<"avg_pool2d", "average",
    (ins UnitAttr:$count_include_pad),
    "(`count_include_pad` $count_include_pad^)?"> {
  let description = [{
    The mean over each `kernel` window. Without `count_include_pad` the
    divisor counts only the window's elements inside the input. The input
    is `[N, C, H, W]` and the output `[N, C, OH, OW]`; with `channels_last`
    they are `[N, H, W, C]` and `[N, OH, OW, C]`.

    ```mlir
    %y = kiln.avg_pool2d %x kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
    %z = kiln.avg_pool2d %xt kernel = [3, 3] strides = [1, 1] pads = [1, 1, 1, 1] count_include_pad channels_last : tensor<1x8x8x16xf32> -> tensor<1x8x8x16xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Kiln_GatherOp : Kiln_Op<"gather", [Pure, Kiln_InferType]> {
  let summary = "Gather slices of `data` along an axis (embedding lookup)";
  let description = [{
    ONNX `Gather`: the result shape is
    `data.shape[:axis] + indices.shape + data.shape[axis+1:]`. Negative
    indices count from the end of the axis.

    ```mlir
    %e = kiln.gather %table, %ids axis = 0 : tensor<30522x768xf32>, tensor<?x128xi64> -> tensor<?x128x768xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `axis` `=` $axis attr-dict `:` type($data) `,`
    type($indices) `->` type($output)
  }];
}

def Kiln_ConcatOp : Kiln_Op<"concat", [Pure, Kiln_InferType]> {
  let summary = "Concatenation along an axis";
  let description = [{
    Joins tensors of the same rank and element type along `axis`; the other
    dims must agree.

    ```mlir
    %kv = kiln.concat %past, %new axis = 2 : tensor<1x8x?x64xf16>, tensor<1x8x1x64xf16> -> tensor<1x8x?x64xf16>
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($output)
  }];
  let hasFolder = 1;
}

def Kiln_SliceOp : Kiln_Op<"slice", [Pure, Kiln_InferType]> {
  let summary = "Strided slice, one Python-style range per dim";
  let description = [{
    Takes `input[start:end:step]` in every dim, with Python's rules: negative
    bounds count from the end of the dim and out-of-range bounds clamp. An
    omitted bound means the whole dim in the step's direction; a steps of 1 is
    not printed.

    ```mlir
    %a = kiln.slice %x[0:2, :, 1:-1:2] : tensor<4x?x9xf32> -> tensor<2x?x4xf32>
    %r = kiln.slice %v[::-1] : tensor<5xf32> -> tensor<5xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input `[` custom<SliceRanges>($starts, $ends, $steps) `]` attr-dict `:`
    type($input) `->` type($output)
  }];
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The sentinels an omitted bound stands for, per the sign of the step.
    static int64_t defaultStart(int64_t step);
    static int64_t defaultEnd(int64_t step);
  }];
}

def Kiln_TransposeOp : Kiln_Op<"transpose", [Pure, Kiln_InferType]> {
  let summary = "Permutation of dims";
  let description = [{
    Result dim `i` is input dim `permutation[i]`.

    ```mlir
    %t = kiln.transpose %x permutation = [0, 2, 1, 3] : tensor<?x128x12x64xf32> -> tensor<?x12x128x64xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->`
    type($output)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Kiln_ReshapeOp : Kiln_Op<"reshape", [Pure]> {
  let summary = "Same elements, new shape";
  let description = [{
    Reinterprets the row-major elements of `input` with the result's shape.
    Without `shape`, the result may have one dynamic dim (its size follows
    from the element count); with `shape`, a 1-D `i64` tensor of the result's
    rank, every dim is read from it at run time.

    ```mlir
    %0 = kiln.reshape %x : tensor<?x128x768xf32> -> tensor<?x768xf32>
    %1 = kiln.reshape %x, %s : tensor<?x?x768xf32>, tensor<4xi64> -> tensor<?x?x12x64xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Optional<Kiln_ShapeTensor>:$shape);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input (`,` $shape^)? attr-dict `:` type($input) (`,` type($shape)^)?
    `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Kiln_ExpandOp : Kiln_Op<"expand", [Pure]> {
  let summary = "Broadcast to a larger shape";
  let description = [{
    Broadcasts `input` to the result's shape with numpy's rules (the input's
    dims align with the result's last dims; a dim of 1 stretches). Dynamic
    result dims come from the optional `shape` operand, a 1-D `i64` tensor of
    the result's rank.

    ```mlir
    %0 = kiln.expand %bias : tensor<768xf32> -> tensor<4x768xf32>
    %1 = kiln.expand %mask, %s : tensor<1x1x?xi1>, tensor<3xi64> -> tensor<?x?x?xi1>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Optional<Kiln_ShapeTensor>:$shape);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input (`,` $shape^)? attr-dict `:` type($input) (`,` type($shape)^)?
    `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shapes and index generation
//===----------------------------------------------------------------------===//

def Kiln_ShapeOfOp : Kiln_Op<"shape_of", [Pure, Kiln_InferType]> {
  let summary = "The shape of a tensor as a 1-D i64 tensor";
  let description = [{
    ONNX `Shape`. Folds to a constant when the input's shape is static, which
    is how the shape subgraphs exporters emit disappear.

    ```mlir
    %s = kiln.shape_of %x : tensor<?x128x768xf32> -> tensor<3xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def Kiln_RangeOp : Kiln_Op<"range", [Pure,
    AllTypesMatch<["start", "limit", "delta"]>,
    AllElementTypesMatch<["start", "output"]>]> {
  let summary = "Evenly spaced values in [start, limit)";
  let description = [{
    ONNX `Range`: `start + i * delta` for `i` in
    `[0, max(ceil((limit - start) / delta), 0))`. The operands are scalars
    (rank-0 tensors); the length is known only when they are constants.

    ```mlir
    %r = kiln.range %start, %limit, %delta : tensor<i64> -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$start, Kiln_NumericTensor:$limit,
                   Kiln_NumericTensor:$delta);
  let results = (outs Kiln_NumericTensor:$output);
  let assemblyFormat = [{
    $start `,` $limit `,` $delta attr-dict `:` type($start) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scans and selection
//===----------------------------------------------------------------------===//

def Kiln_CumSumOp : Kiln_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "Cumulative sum along an axis";
  let description = [{
    Element `i` is the sum of elements `0..i` along `axis` (`0..i-1` with
    `exclusive`; counted from the end with `reverse`).

    ```mlir
    %c = kiln.cumsum %x axis = 1 exclusive : tensor<2x5xf32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, I64Attr:$axis,
                   UnitAttr:$exclusive, UnitAttr:$reverse);
  let results = (outs Kiln_NumericTensor:$output);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`exclusive` $exclusive^)? (`reverse` $reverse^)?
    attr-dict `:` type($output)
  }];
  let hasVerifier = 1;
}

def Kiln_TopKOp : Kiln_Op<"topk", [Pure, Kiln_InferType]> {
  let summary = "The k largest (or smallest) elements along an axis";
  let description = [{
    Returns the `k` largest elements along `axis` (the smallest with
    `smallest`), sorted, and their `i64` indices; among equal values the
    lower index comes first.

    ```mlir
    %v, %i = kiln.topk %logits k = 5 axis = 1 : tensor<4x100xf32> -> tensor<4x5xf32>, tensor<4x5xi64>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, I64Attr:$k, I64Attr:$axis,
                   UnitAttr:$smallest);
  let results = (outs Kiln_NumericTensor:$values,
                  RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = [{
    $input `k` `=` $k `axis` `=` $axis (`smallest` $smallest^)? attr-dict `:`
    type($input) `->` type($values) `,` type($indices)
  }];
}

//===----------------------------------------------------------------------===//
// Transposed convolution
//===----------------------------------------------------------------------===//

def Kiln_ConvTranspose2dOp : Kiln_Op<"conv_transpose2d", [Pure,
    Kiln_InferType]> {
  let summary = "2-D transposed convolution, NCHW input and IOHW filter";
  let description = [{
    The gradient of `kiln.conv2d` with respect to its input: `input`
    `[N, C, H, W]`, `filter` `[C, O / groups, KH, KW]`, optional `bias` `[O]`.
    `pads` are `[top, left, bottom, right]`, removed from the full output;
    `output_padding` adds rows and columns at the bottom and right. The output
    is `[N, O, OH, OW]` with
    `OH = (H - 1) * stride_h - top - bottom + dilation_h * (KH - 1) + output_padding_h + 1`.

    ```mlir
    %y = kiln.conv_transpose2d %x, %w strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] output_padding = [1, 1] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$filter,
                   Optional<Kiln_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$output_padding, I64Attr:$groups);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? `strides` `=` $strides `pads` `=` $pads
    `dilations` `=` $dilations `output_padding` `=` $output_padding
    `groups` `=` $groups attr-dict `:`
    type($input) `,` type($filter) (`,` type($bias)^)? `->` type($output)
  }];
}

//===----------------------------------------------------------------------===//
// Gathers and scatters
//===----------------------------------------------------------------------===//

def Kiln_GatherElementsOp : Kiln_Op<"gather_elements", [Pure,
    Kiln_InferType]> {
  let summary = "Gather single elements along an axis";
  let description = [{
    ONNX `GatherElements`: `output[i][j][k] = data[index[i][j][k]][j][k]` for
    `axis = 0`, and so on; `indices` has the rank of `data` and gives the
    result's shape. Negative indices count from the end of the axis.

    ```mlir
    %g = kiln.gather_elements %x, %idx axis = 1 : tensor<3x4xf32>, tensor<3x2xi64> -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `axis` `=` $axis attr-dict `:` type($data) `,`
    type($indices) `->` type($output)
  }];
}

def Kiln_GatherNdOp : Kiln_Op<"gather_nd", [Pure, Kiln_InferType]> {
  let summary = "Gather slices addressed by index tuples";
  let description = [{
    ONNX `GatherND`: the last dim of `indices` (static, `q`) holds tuples that
    address the dims `batch_dims .. batch_dims + q - 1` of `data`. The result
    is `indices.shape[:-1] + data.shape[batch_dims + q:]`; the first
    `batch_dims` dims of `data` and `indices` must agree.

    ```mlir
    %g = kiln.gather_nd %x, %idx batch_dims = 0 : tensor<4x5x6xf32>, tensor<3x2xi64> -> tensor<3x6xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IndexTensor:$indices,
                   I64Attr:$batch_dims);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `batch_dims` `=` $batch_dims attr-dict `:`
    type($data) `,` type($indices) `->` type($output)
  }];
}

def Kiln_ScatterNdOp : Kiln_Op<"scatter_nd", [Pure,
    AllTypesMatch<["data", "output"]>]> {
  let summary = "Copy of data with slices replaced at index tuples";
  let description = [{
    ONNX `ScatterND`: a copy of `data` where, for each tuple in `indices`
    (last dim `q`, static), the addressed slice is replaced by (or, per
    `reduction`, combined with) the matching slice of `updates`, whose shape
    is `indices.shape[:-1] + data.shape[q:]`. With `reduction = none`,
    duplicate tuples are undefined behaviour in ONNX; Kiln applies them in
    order.

    ```mlir
    %s = kiln.scatter_nd %x, %idx, %upd reduction = add : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IndexTensor:$indices,
                   Kiln_Tensor:$updates,
                   Kiln_ScatterReductionAttr:$reduction);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates `reduction` `=` $reduction attr-dict `:`
    type($data) `,` type($indices) `,` type($updates)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Padding, tiling, resizing
//===----------------------------------------------------------------------===//

def Kiln_PadOp : Kiln_Op<"pad", [Pure, Kiln_InferType]> {
  let summary = "Padding (or cropping) at both ends of every dim";
  let description = [{
    `pads` holds `2 * rank` counts, ONNX order: the leading pads of every
    dim, then the trailing ones. Negative counts crop. `constant` fills with
    `value`; `reflect` mirrors without repeating the edge; `edge` repeats the
    edge; `wrap` continues periodically.

    ```mlir
    %p = kiln.pad %x pads = [0, 1, 0, 2] mode = reflect value = 0.0 : tensor<3x4xf32> -> tensor<3x7xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$pads,
                   Kiln_PadModeAttr:$mode, F64Attr:$value);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input `pads` `=` $pads `mode` `=` $mode `value` `=` $value attr-dict `:`
    type($input) `->` type($output)
  }];
}

def Kiln_TileOp : Kiln_Op<"tile", [Pure, Kiln_InferType]> {
  let summary = "Repeat a tensor along every dim";
  let description = [{
    ONNX `Tile`: dim `d` of the result is `multiples[d]` copies of the input
    along `d`.

    ```mlir
    %t = kiln.tile %x multiples = [2, 1] : tensor<3x4xf32> -> tensor<6x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$multiples);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input `multiples` `=` $multiples attr-dict `:` type($input) `->`
    type($output)
  }];
}

def Kiln_ResizeOp : Kiln_Op<"resize", [Pure]> {
  let summary = "Nearest or linear resampling";
  let description = [{
    ONNX `Resize` for the `nearest` and `linear` (n-linear) modes. Output
    coordinate `x` along dim `d` maps to an input coordinate through
    `coordinate_mode` and `scales[d]` (output size over input size); with
    `nearest`, `nearest_mode` rounds it. The result's shape is explicit: a
    static result dim is `floor(input dim * scale)` or the size an importer
    was given.

    ```mlir
    %r = kiln.resize %x mode = nearest coordinate_mode = asymmetric nearest_mode = floor scales = [1.0, 1.0, 2.0, 2.0] : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_ResizeModeAttr:$mode,
                   Kiln_CoordinateModeAttr:$coordinate_mode,
                   Kiln_NearestModeAttr:$nearest_mode,
                   DenseF64ArrayAttr:$scales);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `mode` `=` $mode `coordinate_mode` `=` $coordinate_mode
    `nearest_mode` `=` $nearest_mode `scales` `=` $scales attr-dict `:`
    type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention and rotary embeddings
//===----------------------------------------------------------------------===//

def Kiln_AttentionOp : Kiln_Op<"attention", [Pure, Kiln_InferType]> {
  let summary = "Scaled dot-product attention, with GQA head sharing";
  let description = [{
    `softmax(scale * q kᵀ + mask) v` per batch and head. `query` is
    `[B, Hq, S, D]`, `key` `[B, Hkv, T, D]`, `value` `[B, Hkv, T, Dv]`; `Hq`
    is a multiple of `Hkv` and query head `h` uses key/value head
    `h / (Hq / Hkv)` (grouped-query attention). The optional `mask`
    broadcasts to `[B, Hq, S, T]`: an `i1` mask keeps the positions where it
    is true, a float mask is added to the scores. `causal` other than `none`
    hides keys after each query: with `upper_left` query `i` sees keys
    `0..i`, with `lower_right` keys `0..i + T - S` (the alignment a KV cache
    needs). A query row that sees no key yields zeros.

    ```mlir
    %o = kiln.attention %q, %k, %v scale = 1.250000e-01 causal = lower_right : tensor<1x32x?x128xf16>, tensor<1x8x?x128xf16>, tensor<1x8x?x128xf16> -> tensor<1x32x?x128xf16>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$query, Kiln_FloatTensor:$key,
                   Kiln_FloatTensor:$value,
                   Optional<RankedTensorOf<[Kiln_Float, I1]>>:$mask,
                   F64Attr:$scale, Kiln_CausalAlignmentAttr:$causal);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)?
    `scale` `=` $scale `causal` `=` $causal attr-dict `:`
    type($query) `,` type($key) `,` type($value) `->` type($output)
  }];
}

def Kiln_RotaryEmbeddingOp : Kiln_Op<"rotary_embedding", [Pure,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Rotary position embedding (RoPE)";
  let description = [{
    Rotates pairs of features of `input` `[B, H, S, D]` by per-position
    angles given as `cos` and `sin` `[B or 1, S, R / 2]`; the first `R`
    features rotate (`R <= D`), the rest pass through. Pairs are
    `(x[i], x[i + R/2])` (`rotate_half`, as in Llama), or `(x[2i], x[2i+1])`
    with `interleaved` (GPT-J):
    `(a, b) -> (a * cos - b * sin, b * cos + a * sin)`.

    ```mlir
    %r = kiln.rotary_embedding %q, %cos, %sin : tensor<1x32x?x128xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$cos,
                   Kiln_FloatTensor:$sin, UnitAttr:$interleaved);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin (`interleaved` $interleaved^)? attr-dict `:`
    type($input) `,` type($cos) `,` type($sin)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fusion groups
//===----------------------------------------------------------------------===//

def Kiln_FusionOp : Kiln_Op<"fusion", [IsolatedFromAbove,
    SingleBlockImplicitTerminator<"YieldOp">,
    RecursiveMemoryEffects]> {
  let summary = "The ops of one future kernel";
  let description = [{
    Groups the ops that codegen turns into one kernel. The body is isolated
    from above: its block arguments stand for `inputs`, and `kiln.yield`
    gives the results. `configs` holds the kernel chosen per target
    architecture and optimization profile (at most one per pair); a group
    without configs has not been through kernel selection yet.

    ```mlir
    %y = kiln.fusion ins(%x, %w, %b : tensor<?x768xf16>, tensor<768x768xf16>, tensor<768xf16>) -> tensor<?x768xf16>
        configs [#kiln.kernel<arch = "sm_80", profile = 0, template = "gemm_tc", tile = [128, 128, 32], stages = 3, warps = 4>] {
    ^bb0(%a: tensor<?x768xf16>, %m: tensor<768x768xf16>, %c: tensor<768xf16>):
      %0 = kiln.linear %a, %m, %c : tensor<?x768xf16>, tensor<768x768xf16>, tensor<768xf16> -> tensor<?x768xf16>
      %1 = kiln.gelu %0 : tensor<?x768xf16>
      kiln.yield %1 : tensor<?x768xf16>
    }
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs,
                   OptionalAttr<Kiln_KernelConfigArrayAttr>:$configs);
  let results = (outs Variadic<Kiln_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`ins` `(` $inputs^ `:` type($inputs) `)`)? `->` type($results)
    (`configs` $configs^)? attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes,
                   "::mlir::ValueRange":$inputs)>
  ];
  let extraClassDeclaration = [{
    /// The config chosen for `arch` and `profile`, or null.
    KernelConfigAttr getConfig(::llvm::StringRef arch, int64_t profile);
  }];
}

def Kiln_YieldOp : Kiln_Op<"yield", [Pure, Terminator,
    HasParent<"FusionOp">]> {
  let summary = "Terminator of a fusion group: its results";
  let arguments = (ins Variadic<Kiln_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
}

#endif // KILN_DIALECT_KILNOPS_TD
