//===- RecognizeNormalizations.cpp - LayerNorm and RMSNorm from primitives ===//
//
// Models exported before ONNX had LayerNormalization (or RMSNormalization)
// write them out: mean, subtract, square, mean, add epsilon, square root,
// divide, scale, shift. One kiln.layer_norm / kiln.rms_norm is one row
// reduction kernel with fp32 statistics instead of seven ops, and tells
// precision lowering to keep its statistics in fp32.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ValueMatchers.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_RECOGNIZENORMALIZATIONS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The first dim of a reduction over the trailing dims `axis..rank-1` with
/// kept dims, or nothing.
std::optional<int64_t> trailingAxis(ReduceMeanOp mean) {
  if (!mean.getKeepDims())
    return std::nullopt;
  int64_t rank = mean.getInput().getType().getRank();
  SmallVector<int64_t> axes(mean.getAxes());
  llvm::sort(axes);
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis !=
        rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i))
      return std::nullopt;
  return axes.front();
}

/// The single user of `value` of type OpTy, or null.
template <typename OpTy> OpTy soleUser(Value value) {
  if (!value.hasOneUse())
    return {};
  return dyn_cast<OpTy>(*value.getUsers().begin());
}

/// The other operand of a binary op, given one of them.
template <typename OpTy> Value otherOperand(OpTy op, Value one) {
  return op.getLhs() == one ? op.getRhs() : op.getLhs();
}

/// Given `stat` (the mean square or the variance), finds
/// `numerator / sqrt(stat + eps)` or `numerator * rsqrt(stat + eps)` among its
/// users. Returns the normalized value and epsilon.
std::optional<std::pair<Value, double>> matchNormalize(Value stat,
                                                       Value numerator) {
  auto add = soleUser<AddOp>(stat);
  if (!add)
    return std::nullopt;
  std::optional<double> eps = getSplatValue(otherOperand(add, stat));
  if (!eps || *eps < 0)
    return std::nullopt;
  Value sum = add.getResult();
  if (auto sqrt = soleUser<SqrtOp>(sum)) {
    auto div = soleUser<DivOp>(sqrt.getResult());
    if (div && div.getLhs() == numerator && div.getRhs() == sqrt.getResult())
      return std::pair(div.getResult(), *eps);
  }
  if (auto rsqrt = soleUser<RsqrtOp>(sum)) {
    auto mul = soleUser<MulOp>(rsqrt.getResult());
    if (mul && otherOperand(mul, rsqrt.getResult()) == numerator)
      return std::pair(mul.getResult(), *eps);
  }
  return std::nullopt;
}

/// `param` as a tensor of exactly the normalized dims (reshaping away
/// leading unit dims), or null when it is not a per-feature parameter.
Value asNormalizedShape(OpBuilder &builder, Location loc, Value param,
                        RankedTensorType normalized) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getElementType() != normalized.getElementType())
    return {};
  ArrayRef<int64_t> shape = type.getShape();
  int64_t extra = type.getRank() - normalized.getRank();
  if (extra < 0 ||
      llvm::any_of(shape.take_front(extra), [](int64_t d) { return d != 1; }))
    return {};
  if (shape.drop_front(extra) != normalized.getShape())
    return {};
  if (extra == 0)
    return param;
  return builder.create<ReshapeOp>(loc, normalized, param, Value());
}

/// Absorbs `value * scale` (OpTy = MulOp) or `value + bias` (AddOp), with a
/// per-feature other operand, when that is value's only use. Returns the new
/// end of the chain and the parameter, or value and null.
template <typename OpTy>
std::pair<Value, Value> absorbParameter(OpBuilder &builder, Value value,
                                        RankedTensorType normalized) {
  auto op = soleUser<OpTy>(value);
  if (!op || op.getType() != value.getType())
    return {value, {}};
  builder.setInsertionPoint(op);
  Value param = asNormalizedShape(builder, op.getLoc(), otherOperand(op, value),
                                  normalized);
  if (!param)
    return {value, {}};
  return {op.getResult(), param};
}

/// A scale of ones when the model had none; needs static normalized dims.
Value onesLike(OpBuilder &builder, Location loc, RankedTensorType normalized) {
  if (!normalized.hasStaticShape())
    return {};
  auto one = builder.getFloatAttr(normalized.getElementType(), 1.0);
  return builder.create<ConstantOp>(loc,
                                    SplatElementsAttr::get(normalized, one));
}

/// Whether `value` is x squared: pow(x, 2) or x * x.
bool isSquareOf(Value value, Value x) { return isPowerOf(value, x, 2); }

/// mean(x); d = x - mean; var = mean(d^2); d / sqrt(var + eps) [* g] [+ b].
/// `var` is the candidate second reduction.
bool tryLayerNorm(ReduceMeanOp var) {
  std::optional<int64_t> axis = trailingAxis(var);
  Value square = var.getInput();
  auto sub = [&]() -> SubOp {
    Operation *def = square.getDefiningOp();
    if (auto pow = dyn_cast_or_null<PowOp>(def))
      return pow.getLhs().getDefiningOp<SubOp>();
    if (auto mul = dyn_cast_or_null<MulOp>(def))
      if (mul.getLhs() == mul.getRhs())
        return mul.getLhs().getDefiningOp<SubOp>();
    return {};
  }();
  if (!axis || !sub || !isSquareOf(square, sub.getResult()))
    return false;
  Value x = sub.getLhs();
  auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
  if (!mean || mean.getInput() != x || trailingAxis(mean) != axis ||
      mean.getAxes().size() != var.getAxes().size() ||
      sub.getType() != x.getType())
    return false;
  auto normalizedValue = matchNormalize(var.getResult(), sub.getResult());
  if (!normalizedValue)
    return false;
  auto [normalized, eps] = *normalizedValue;

  auto xType = cast<RankedTensorType>(x.getType());
  auto featureType = RankedTensorType::get(xType.getShape().drop_front(*axis),
                                           xType.getElementType());
  OpBuilder builder(var.getContext());
  auto [scaled, scale] =
      absorbParameter<MulOp>(builder, normalized, featureType);
  auto [end, bias] = absorbParameter<AddOp>(builder, scaled, featureType);
  Operation *last = end.getDefiningOp();
  builder.setInsertionPoint(last);
  if (!scale)
    scale = onesLike(builder, last->getLoc(), featureType);
  if (!scale)
    return false;
  Value result = builder.create<LayerNormOp>(
      last->getLoc(), end.getType(), x, scale, bias,
      builder.getI64IntegerAttr(*axis), builder.getF64FloatAttr(eps));
  end.replaceAllUsesWith(result);
  return true;
}

/// ms = mean(x^2); x * rsqrt(ms + eps) [* w], or x / sqrt(ms + eps) [* w].
bool tryRmsNorm(ReduceMeanOp ms) {
  std::optional<int64_t> axis = trailingAxis(ms);
  if (!axis)
    return false;
  Value square = ms.getInput();
  Value x;
  if (auto pow = square.getDefiningOp<PowOp>())
    x = pow.getLhs();
  else if (auto mul = square.getDefiningOp<MulOp>())
    x = mul.getLhs();
  if (!x || !isSquareOf(square, x))
    return false;
  auto normalizedValue = matchNormalize(ms.getResult(), x);
  if (!normalizedValue)
    return false;
  auto [normalized, eps] = *normalizedValue;
  auto xType = cast<RankedTensorType>(x.getType());
  if (normalized.getType() != xType)
    return false;
  auto featureType = RankedTensorType::get(xType.getShape().drop_front(*axis),
                                           xType.getElementType());
  OpBuilder builder(ms.getContext());
  auto [end, scale] = absorbParameter<MulOp>(builder, normalized, featureType);
  Operation *last = end.getDefiningOp();
  builder.setInsertionPoint(last);
  if (!scale)
    scale = onesLike(builder, last->getLoc(), featureType);
  if (!scale)
    return false;
  Value result = builder.create<RmsNormOp>(
      last->getLoc(), end.getType(), x, scale, builder.getI64IntegerAttr(*axis),
      builder.getF64FloatAttr(eps));
  end.replaceAllUsesWith(result);
  return true;
}

struct RecognizeNormalizationsPass
    : kiln::impl::RecognizeNormalizationsBase<RecognizeNormalizationsPass> {
  void runOnOperation() override {
    // A LayerNorm's variance looks like an RMSNorm of the centered values,
    // so every LayerNorm is found (and its chain removed) first.
    runPhase(tryLayerNorm);
    runPhase(tryRmsNorm);
  }

  void runPhase(function_ref<bool(ReduceMeanOp)> tryRewrite) {
    SmallVector<ReduceMeanOp> means;
    getOperation().walk([&](ReduceMeanOp op) { means.push_back(op); });
    bool changed = false;
    for (ReduceMeanOp mean : means)
      changed |= tryRewrite(mean);
    if (changed) {
      // The replaced chains are dead now.
      IRRewriter rewriter(&getContext());
      (void)runRegionDCE(rewriter, getOperation()->getRegions());
    }
  }
};

} // namespace
