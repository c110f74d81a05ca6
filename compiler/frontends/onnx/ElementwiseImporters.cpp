//===- ElementwiseImporters.cpp - Elementwise ONNX ops --------------------===//
//
// Arithmetic, activations, comparisons, logic, casts. Ops with a kiln
// counterpart map one to one; the rest (Selu, Mish, PRelu, Mean, ...) are
// composed from kiln primitives.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static FloatAttr f64(ImportContext &ctx, double value) {
  return ctx.getBuilder().getF64FloatAttr(value);
}

/// A scalar of `like`'s element type, which broadcasts against it.
static Value scalarLike(ImportContext &ctx, Value like, double value) {
  return ctx.scalarConstant(tensorType(like).getElementType(), value);
}

/// Exporters compute shapes and axes with arithmetic on small integer
/// literals (Neg of an axis, Sub of a rank); evaluating it here lets the
/// importers downstream read the values. Vectors of equal length or against
/// one element only; nullopt leaves the op to be built.
static std::optional<Value> foldIntegers(
    ImportContext &ctx, ArrayRef<Value> operands,
    llvm::function_ref<std::optional<int64_t>(ArrayRef<int64_t>)> evaluate) {
  SmallVector<SmallVector<int64_t>> values;
  RankedTensorType resultType;
  for (Value operand : operands) {
    auto type = tensorType(operand);
    if (type.getRank() > 1 || !type.hasStaticShape() ||
        type.getNumElements() > 64)
      return std::nullopt;
    std::optional<SmallVector<int64_t>> ints = ctx.getConstantInts(operand);
    if (!ints ||
        !(type.getElementType().isInteger(64) ||
          type.getElementType().isInteger(32)) ||
        (resultType && type.getElementType() != resultType.getElementType()))
      return std::nullopt;
    if (!resultType || type.getRank() > resultType.getRank() ||
        (type.getRank() == resultType.getRank() &&
         type.getNumElements() > resultType.getNumElements()))
      resultType = type;
    values.push_back(*ints);
  }
  int64_t count = resultType.getNumElements();
  for (const SmallVector<int64_t> &v : values)
    if (static_cast<int64_t>(v.size()) != count && v.size() != 1)
      return std::nullopt;
  unsigned width = resultType.getElementType().getIntOrFloatBitWidth();
  SmallVector<APInt> results;
  for (int64_t i = 0; i < count; ++i) {
    SmallVector<int64_t> args;
    for (const SmallVector<int64_t> &v : values)
      args.push_back(v.size() == 1 ? v[0] : v[i]);
    std::optional<int64_t> r = evaluate(args);
    if (!r)
      return std::nullopt;
    results.push_back(APInt(width, *r, /*isSigned=*/true));
  }
  return ctx.getBuilder()
      .create<ConstantOp>(ctx.loc(), resultType,
                          DenseElementsAttr::get(resultType, results))
      .getResult();
}

/// The integer evaluation of the ops shape arithmetic uses. What overflows
/// int64 (undefined behaviour here; INT64_MIN / -1 traps) is left for run
/// time, like a division by zero.
template <typename OpTy>
static std::optional<int64_t> evaluateInteger(ArrayRef<int64_t> a) {
  int64_t result = 0;
  if constexpr (std::is_same_v<OpTy, NegOp>)
    return a[0] == INT64_MIN ? std::nullopt : std::optional<int64_t>(-a[0]);
  if constexpr (std::is_same_v<OpTy, AbsOp>)
    return a[0] == INT64_MIN ? std::nullopt
                             : std::optional<int64_t>(a[0] < 0 ? -a[0] : a[0]);
  if constexpr (std::is_same_v<OpTy, AddOp>)
    return llvm::AddOverflow(a[0], a[1], result) ? std::nullopt
                                                 : std::optional(result);
  if constexpr (std::is_same_v<OpTy, SubOp>)
    return llvm::SubOverflow(a[0], a[1], result) ? std::nullopt
                                                 : std::optional(result);
  if constexpr (std::is_same_v<OpTy, MulOp>)
    return llvm::MulOverflow(a[0], a[1], result) ? std::nullopt
                                                 : std::optional(result);
  if constexpr (std::is_same_v<OpTy, DivOp>) {
    if (a[1] == 0 || (a[0] == INT64_MIN && a[1] == -1))
      return std::nullopt; // Left for run time to report.
    return a[0] / a[1];
  }
  if constexpr (std::is_same_v<OpTy, MinOp>)
    return std::min(a[0], a[1]);
  if constexpr (std::is_same_v<OpTy, MaxOp>)
    return std::max(a[0], a[1]);
  return std::nullopt;
}

template <typename OpTy>
static LogicalResult importUnary(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  if (std::optional<Value> folded =
          foldIntegers(ctx, {x}, evaluateInteger<OpTy>))
    return ctx.setOutput(0, *folded);
  KILN_TRY(Value, y, ctx.create<OpTy>(x));
  return ctx.setOutput(0, y);
}

template <typename OpTy>
static LogicalResult importBinary(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, lhs, ctx.input(0));
  KILN_TRY(Value, rhs, ctx.input(1));
  if (std::optional<Value> folded =
          foldIntegers(ctx, {lhs, rhs}, evaluateInteger<OpTy>))
    return ctx.setOutput(0, *folded);
  KILN_TRY(Value, y, ctx.create<OpTy>(lhs, rhs));
  return ctx.setOutput(0, y);
}

/// Min, Max, Sum: variadic, folded left to right with broadcasting.
template <typename OpTy>
static FailureOr<Value> foldVariadic(ImportContext &ctx) {
  if (ctx.numInputs() == 0)
    return ctx.emitError() << "needs at least one input";
  KILN_TRY(Value, acc, ctx.input(0));
  for (int64_t i = 1; i < ctx.numInputs(); ++i) {
    KILN_TRY(Value, next, ctx.input(i));
    if (std::optional<Value> folded =
            foldIntegers(ctx, {acc, next}, evaluateInteger<OpTy>)) {
      acc = *folded;
      continue;
    }
    KILN_TRY(Value, combined, ctx.create<OpTy>(acc, next));
    acc = combined;
  }
  return acc;
}

template <typename OpTy>
static LogicalResult importVariadic(ImportContext &ctx,
                                    const onnx::NodeProto &) {
  KILN_TRY(Value, y, foldVariadic<OpTy>(ctx));
  return ctx.setOutput(0, y);
}

static LogicalResult importMean(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, sum, foldVariadic<AddOp>(ctx));
  Value count = scalarLike(ctx, sum, static_cast<double>(ctx.numInputs()));
  KILN_TRY(Value, y, ctx.create<DivOp>(sum, count));
  return ctx.setOutput(0, y);
}

static LogicalResult importPow(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, base, ctx.input(0));
  KILN_TRY(Value, exponent, ctx.input(1));
  Type element = tensorType(base).getElementType();
  if (!isa<FloatType>(element))
    return ctx.emitError() << "Pow of an integer base (" << element
                           << ") is not supported";
  // ONNX lets the exponent have its own type; kiln.pow wants the base's.
  KILN_TRY(Value, castExponent, ctx.castElements(exponent, element));
  KILN_TRY(Value, y, ctx.create<PowOp>(base, castExponent));
  return ctx.setOutput(0, y);
}

static LogicalResult importMod(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(int64_t, fmod, ctx.getInt("fmod", 0));
  KILN_TRY(Value, lhs, ctx.input(0));
  KILN_TRY(Value, rhs, ctx.input(1));
  FailureOr<Value> y =
      fmod ? ctx.create<FmodOp>(lhs, rhs) : ctx.create<ModOp>(lhs, rhs);
  if (failed(y))
    return failure();
  return ctx.setOutput(0, *y);
}

template <ComparePredicate predicate>
static LogicalResult importCompare(ImportContext &ctx,
                                   const onnx::NodeProto &) {
  KILN_TRY(Value, lhs, ctx.input(0));
  KILN_TRY(Value, rhs, ctx.input(1));
  if (tensorType(lhs).getElementType().isInteger(1)) {
    // kiln.compare is numeric; equality of booleans is not(xor).
    if (predicate != ComparePredicate::eq)
      return ctx.emitError() << "ordering comparison of booleans";
    KILN_TRY(Value, differ, ctx.create<XorOp>(lhs, rhs));
    KILN_TRY(Value, y, ctx.create<NotOp>(differ));
    return ctx.setOutput(0, y);
  }
  KILN_TRY(Value, y, ctx.create<CompareOp>(predicate, lhs, rhs));
  return ctx.setOutput(0, y);
}

static LogicalResult importWhere(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, cond, ctx.input(0));
  KILN_TRY(Value, x, ctx.input(1));
  KILN_TRY(Value, y, ctx.input(2));
  KILN_TRY(Value, result, ctx.create<WhereOp>(cond, x, y));
  return ctx.setOutput(0, result);
}

static LogicalResult importCast(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(int64_t, to, ctx.getRequiredInt("to"));
  KILN_TRY(Type, element,
           ctx.convertElementType(static_cast<int32_t>(to),
                                  "the 'to' type of Cast node '" +
                                      ctx.node().name() + "'",
                                  ctx.loc()));
  KILN_TRY(Value, y, ctx.castElements(x, element));
  return ctx.setOutput(0, y);
}

static LogicalResult importCastLike(ImportContext &ctx,
                                    const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, like, ctx.input(1));
  KILN_TRY(Value, y, ctx.castElements(x, tensorType(like).getElementType()));
  return ctx.setOutput(0, y);
}

static LogicalResult importIsNaN(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  Type boolType = tensorType(x).clone(ctx.getBuilder().getI1Type());
  KILN_TRY(Value, y, ctx.createTyped<IsNanOp>(boolType, x));
  return ctx.setOutput(0, y);
}

static LogicalResult importIsInf(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(int64_t, negative, ctx.getInt("detect_negative", 1));
  KILN_TRY(int64_t, positive, ctx.getInt("detect_positive", 1));
  Type boolType = tensorType(x).clone(ctx.getBuilder().getI1Type());
  KILN_TRY(Value, inf, ctx.createTyped<IsInfOp>(boolType, x));
  if (negative && positive)
    return ctx.setOutput(0, inf);
  if (!negative && !positive)
    return ctx.setOutput(
        0, ctx.splatConstant(cast<RankedTensorType>(boolType), 0));
  // One sign only: an infinity of that sign.
  KILN_TRY(Value, sign,
           ctx.create<CompareOp>(positive ? ComparePredicate::gt
                                          : ComparePredicate::lt,
                                 x, scalarLike(ctx, x, 0)));
  KILN_TRY(Value, y, ctx.create<AndOp>(inf, sign));
  return ctx.setOutput(0, y);
}

/// Clip before opset 11: bounds are attributes.
static LogicalResult importClipAttr(ImportContext &ctx,
                                    const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  FloatAttr lo, hi;
  if (ctx.hasAttr("min")) {
    KILN_TRY(double, v, ctx.getFloat("min", 0));
    lo = f64(ctx, v);
  }
  if (ctx.hasAttr("max")) {
    KILN_TRY(double, v, ctx.getFloat("max", 0));
    hi = f64(ctx, v);
  }
  KILN_TRY(Value, y, ctx.create<ClampOp>(x, lo, hi));
  return ctx.setOutput(0, y);
}

/// Clip from opset 11: bounds are optional scalar inputs. Constant bounds
/// become a kiln.clamp; computed ones a max/min pair.
static LogicalResult importClip(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  Value loValue = ctx.optionalInput(1), hiValue = ctx.optionalInput(2);
  std::optional<double> lo, hi;
  if (loValue)
    lo = ctx.getConstantScalar(loValue);
  if (hiValue)
    hi = ctx.getConstantScalar(hiValue);
  bool constantBounds = (!loValue || lo) && (!hiValue || hi);
  Type element = tensorType(x).getElementType();
  auto integral = [](std::optional<double> v) {
    return !v || *v == std::trunc(*v);
  };
  if (constantBounds &&
      (isa<FloatType>(element) || (integral(lo) && integral(hi)))) {
    FloatAttr loAttr = lo ? f64(ctx, *lo) : FloatAttr();
    FloatAttr hiAttr = hi ? f64(ctx, *hi) : FloatAttr();
    KILN_TRY(Value, y, ctx.create<ClampOp>(x, loAttr, hiAttr));
    return ctx.setOutput(0, y);
  }
  Value y = x;
  if (loValue) {
    KILN_TRY(Value, clamped, ctx.create<MaxOp>(y, loValue));
    y = clamped;
  }
  if (hiValue) {
    KILN_TRY(Value, clamped, ctx.create<MinOp>(y, hiValue));
    y = clamped;
  }
  return ctx.setOutput(0, y);
}

static LogicalResult importLeakyRelu(ImportContext &ctx,
                                     const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(double, alpha, ctx.getFloat("alpha", 0.01));
  KILN_TRY(Value, y, ctx.create<LeakyReluOp>(x, f64(ctx, alpha)));
  return ctx.setOutput(0, y);
}

static LogicalResult importElu(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(double, alpha, ctx.getFloat("alpha", 1.0));
  KILN_TRY(Value, y, ctx.create<EluOp>(x, f64(ctx, alpha)));
  return ctx.setOutput(0, y);
}

/// Selu is gamma * elu(x, alpha).
static LogicalResult importSelu(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(double, alpha, ctx.getFloat("alpha", 1.67326319217681884765625));
  KILN_TRY(double, gamma, ctx.getFloat("gamma", 1.05070102214813232421875));
  KILN_TRY(Value, elu, ctx.create<EluOp>(x, f64(ctx, alpha)));
  KILN_TRY(Value, y, ctx.create<MulOp>(elu, scalarLike(ctx, x, gamma)));
  return ctx.setOutput(0, y);
}

static LogicalResult importHardSigmoid(ImportContext &ctx,
                                       const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(double, alpha, ctx.getFloat("alpha", 0.2));
  KILN_TRY(double, beta, ctx.getFloat("beta", 0.5));
  KILN_TRY(Value, y,
           ctx.create<HardSigmoidOp>(x, f64(ctx, alpha), f64(ctx, beta)));
  return ctx.setOutput(0, y);
}

/// Mish is x * tanh(softplus(x)).
static LogicalResult importMish(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, softplus, ctx.create<SoftplusOp>(x));
  KILN_TRY(Value, tanh, ctx.create<TanhOp>(softplus));
  KILN_TRY(Value, y, ctx.create<MulOp>(x, tanh));
  return ctx.setOutput(0, y);
}

static LogicalResult importGelu(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(std::string, approximate, ctx.getString("approximate", "none"));
  FailureOr<Value> y = failure();
  if (approximate == "none")
    y = ctx.create<GeluOp>(x);
  else if (approximate == "tanh")
    y = ctx.create<GeluTanhOp>(x);
  else
    return ctx.emitError() << "unknown approximate mode '" << approximate
                           << "'";
  if (failed(y))
    return failure();
  return ctx.setOutput(0, *y);
}

/// PRelu: x where x >= 0, else slope * x; the slope broadcasts to x.
static LogicalResult importPRelu(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, slope, ctx.input(1));
  KILN_TRY(
      Value, negative,
      ctx.create<CompareOp>(ComparePredicate::lt, x, scalarLike(ctx, x, 0)));
  KILN_TRY(Value, scaled, ctx.create<MulOp>(x, slope));
  KILN_TRY(Value, y, ctx.create<WhereOp>(negative, scaled, x));
  return ctx.setOutput(0, y);
}

static LogicalResult importIdentity(ImportContext &ctx,
                                    const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  return ctx.setOutput(0, x);
}

/// Dropout at inference is the identity.
static LogicalResult importDropout(ImportContext &ctx,
                                   const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  if (Value training = ctx.optionalInput(2)) {
    std::optional<SmallVector<int64_t>> mode = ctx.getConstantInts(training);
    if (!mode || mode->size() != 1 || (*mode)[0] != 0)
      return ctx.emitError()
             << "Dropout in training mode is not supported (training_mode "
                "must be a constant false)";
  }
  if (failed(ctx.rejectOutputsFrom(1, "Dropout's mask is not supported")))
    return failure();
  return ctx.setOutput(0, x);
}

void mlir::kiln::onnx_import::registerElementwiseImporters(
    OpRegistry &registry) {
  // Before opset 7 binary ops broadcast through `broadcast`/`axis`
  // attributes, which the importer does not implement.
  registry.add("Add", importBinary<AddOp>, 7);
  registry.add("Sub", importBinary<SubOp>, 7);
  registry.add("Mul", importBinary<MulOp>, 7);
  registry.add("Div", importBinary<DivOp>, 7);
  registry.add("Pow", importPow, 7);
  registry.add("Mod", importMod, 10);
  registry.add("And", importBinary<AndOp>, 7);
  registry.add("Or", importBinary<OrOp>, 7);
  registry.add("Xor", importBinary<XorOp>, 7);
  registry.add("Min", importVariadic<MinOp>);
  registry.add("Max", importVariadic<MaxOp>);
  registry.add("Sum", importVariadic<AddOp>);
  registry.add("Mean", importMean);
  registry.add("Equal", importCompare<ComparePredicate::eq>, 7);
  registry.add("Less", importCompare<ComparePredicate::lt>, 7);
  registry.add("LessOrEqual", importCompare<ComparePredicate::le>, 12);
  registry.add("Greater", importCompare<ComparePredicate::gt>, 7);
  registry.add("GreaterOrEqual", importCompare<ComparePredicate::ge>, 12);
  registry.add("Where", importWhere, 9);

  registry.add("Sqrt", importUnary<SqrtOp>);
  registry.add("Reciprocal", importUnary<ReciprocalOp>);
  registry.add("Neg", importUnary<NegOp>);
  registry.add("Abs", importUnary<AbsOp>);
  registry.add("Exp", importUnary<ExpOp>);
  registry.add("Log", importUnary<LogOp>);
  registry.add("Tanh", importUnary<TanhOp>);
  registry.add("Sigmoid", importUnary<SigmoidOp>);
  registry.add("Relu", importUnary<ReluOp>);
  registry.add("Erf", importUnary<ErfOp>, 9);
  registry.add("Sin", importUnary<SinOp>, 7);
  registry.add("Cos", importUnary<CosOp>, 7);
  registry.add("Floor", importUnary<FloorOp>);
  registry.add("Ceil", importUnary<CeilOp>);
  registry.add("Round", importUnary<RoundOp>, 11);
  registry.add("Sign", importUnary<SignOp>, 9);
  registry.add("Not", importUnary<NotOp>);
  registry.add("Softplus", importUnary<SoftplusOp>);
  registry.add("HardSwish", importUnary<HardSwishOp>, 14);
  registry.add("LeakyRelu", importLeakyRelu);
  registry.add("Elu", importElu);
  registry.add("Selu", importSelu);
  registry.add("HardSigmoid", importHardSigmoid);
  registry.add("Mish", importMish, 18);
  registry.add("Gelu", importGelu, 20);
  registry.add("PRelu", importPRelu, 7);
  registry.add("Clip", importClipAttr, 1, 10);
  registry.add("Clip", importClip, 11);
  registry.add("IsNaN", importIsNaN, 9);
  registry.add("IsInf", importIsInf, 10);
  registry.add("Cast", importCast, 6);
  registry.add("CastLike", importCastLike, 15);
  registry.add("Identity", importIdentity);
  registry.add("Dropout", importDropout, 7);
}
