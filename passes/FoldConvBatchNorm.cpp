//===- FoldConvBatchNorm.cpp - Fold per-channel affine ops into conv ------===//
//
// An inference BatchNormalization after a convolution is a per-output-channel
// affine map, y * s + t, however the importer spells it
// ((y - mean) / sqrt(var + eps) * gamma + beta, or precomputed s and t).
// Folding it into the convolution's filter and bias removes a whole pass over
// the activation: W'[o] = W[o] * s[o], b'[o] = b[o] * s[o] + t[o].
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>

namespace mlir::kiln {
#define GEN_PASS_DEF_FOLDCONVBATCHNORM
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The f32 values of a constant held as dense<...> or dense_resource<...>.
std::optional<std::vector<double>> readF32(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32())
    return std::nullopt;
  std::vector<double> values;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    for (float v : dense.getValues<float>())
      values.push_back(v);
    return values;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> bytes = blob->getData();
    if (static_cast<int64_t>(bytes.size()) !=
        type.getNumElements() * static_cast<int64_t>(sizeof(float)))
      return std::nullopt;
    for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
      float v;
      std::memcpy(&v, bytes.data() + i * sizeof(float), sizeof(float));
      values.push_back(v);
    }
    return values;
  }
  return std::nullopt;
}

/// The per-channel values of `value` for a rank-4 result with `channels`
/// channels in dim `channelDim` (1 for NCHW, 3 for NHWC), when `value` is a
/// constant (possibly reshaped, or computed from constants elementwise) whose
/// dims are all 1 except, possibly, the channel dim. Scalars broadcast to
/// every channel.
std::optional<std::vector<double>> perChannel(Value value, int64_t channels,
                                              int64_t channelDim) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.hasStaticShape() || type.getRank() > 4)
    return std::nullopt;
  // Aligned to the result from the right, only the channel dim may differ
  // from 1.
  int64_t offset = 4 - type.getRank();
  bool perChannelShape = true, isScalar = true;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t size = type.getDimSize(d);
    if (size != 1)
      isScalar = false;
    if (size != 1 && !(d + offset == channelDim && size == channels))
      perChannelShape = false;
  }
  if (!perChannelShape)
    return std::nullopt;
  auto broadcast = [&](std::vector<double> v) -> std::vector<double> {
    if (isScalar)
      return std::vector<double>(channels, v.front());
    return v;
  };

  Operation *def = value.getDefiningOp();
  if (auto constant = dyn_cast_or_null<ConstantOp>(def)) {
    std::optional<std::vector<double>> v = readF32(constant.getValue());
    if (!v)
      return std::nullopt;
    return broadcast(*v);
  }
  if (auto reshape = dyn_cast_or_null<ReshapeOp>(def)) {
    // A reshape of a vector of C (or of a scalar) keeps its values.
    auto input = reshape.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    if (!inputType.hasStaticShape() ||
        (inputType.getNumElements() != channels &&
         inputType.getNumElements() != 1))
      return std::nullopt;
    if (auto constant = input.getDefiningOp<ConstantOp>()) {
      std::optional<std::vector<double>> v = readF32(constant.getValue());
      if (!v)
        return std::nullopt;
      return v->size() == 1 ? std::vector<double>(channels, v->front()) : *v;
    }
    return std::nullopt;
  }
  auto unary = [&](Value operand,
                   auto fn) -> std::optional<std::vector<double>> {
    auto v = perChannel(operand, channels, channelDim);
    if (!v)
      return std::nullopt;
    for (double &x : *v)
      x = fn(x);
    return v;
  };
  auto binary = [&](Value lhs, Value rhs,
                    auto fn) -> std::optional<std::vector<double>> {
    auto a = perChannel(lhs, channels, channelDim),
         b = perChannel(rhs, channels, channelDim);
    if (!a || !b)
      return std::nullopt;
    for (int64_t c = 0; c < channels; ++c)
      (*a)[c] = fn((*a)[c], (*b)[c]);
    return a;
  };
  if (auto op = dyn_cast_or_null<SqrtOp>(def))
    return unary(op.getInput(), [](double x) { return std::sqrt(x); });
  if (auto op = dyn_cast_or_null<RsqrtOp>(def))
    return unary(op.getInput(), [](double x) { return 1 / std::sqrt(x); });
  if (auto op = dyn_cast_or_null<ReciprocalOp>(def))
    return unary(op.getInput(), [](double x) { return 1 / x; });
  if (auto op = dyn_cast_or_null<AddOp>(def))
    return binary(op.getLhs(), op.getRhs(), std::plus<double>());
  if (auto op = dyn_cast_or_null<SubOp>(def))
    return binary(op.getLhs(), op.getRhs(), std::minus<double>());
  if (auto op = dyn_cast_or_null<MulOp>(def))
    return binary(op.getLhs(), op.getRhs(), std::multiplies<double>());
  if (auto op = dyn_cast_or_null<DivOp>(def))
    return binary(op.getLhs(), op.getRhs(), std::divides<double>());
  return std::nullopt;
}

/// A new f32 constant holding `values`, as a resource blob like the
/// importer's weights.
Value makeWeight(OpBuilder &builder, Location loc, RankedTensorType type,
                 ArrayRef<double> values, StringRef name) {
  std::vector<float> data(values.begin(), values.end());
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(data));
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return builder.create<ConstantOp>(loc, attr);
}

/// Folds the single-use chain of per-channel affine ops that follows `conv`.
/// The output channels are dim 1 of an NCHW result and dim 3 of a
/// channels_last (NHWC) one; in both filter layouts (OIHW, OHWI) each output
/// channel's weights are one contiguous run, so the scaling is the same.
bool foldInto(Conv2dOp conv) {
  RankedTensorType outType = conv.getType();
  int64_t channelDim = conv.getChannelsLast() ? 3 : 1;
  int64_t channels = outType.getDimSize(channelDim);
  auto filterConst = conv.getFilter().getDefiningOp<ConstantOp>();
  if (ShapedType::isDynamic(channels) || !filterConst)
    return false;
  std::optional<std::vector<double>> filter = readF32(filterConst.getValue());
  std::vector<double> bias(channels, 0.0);
  if (Value b = conv.getBias()) {
    auto biasConst = b.getDefiningOp<ConstantOp>();
    std::optional<std::vector<double>> values =
        biasConst ? readF32(biasConst.getValue()) : std::nullopt;
    if (!values)
      return false;
    bias = *values;
  }
  if (!filter)
    return false;

  // y -> y * scale + shift, op by op.
  std::vector<double> scale(channels, 1.0), shift(channels, 0.0);
  Value current = conv.getResult();
  Operation *last = nullptr;
  while (current.hasOneUse()) {
    Operation *user = *current.getUsers().begin();
    if (user->getNumResults() != 1 || user->getResult(0).getType() != outType ||
        !isa<AddOp, SubOp, MulOp, DivOp>(user))
      break;
    bool onLeft = user->getOperand(0) == current;
    Value other = user->getOperand(onLeft ? 1 : 0);
    std::optional<std::vector<double>> c =
        perChannel(other, channels, channelDim);
    if (!c)
      break;
    for (int64_t o = 0; o < channels; ++o) {
      double k = (*c)[o];
      if (isa<AddOp>(user)) {
        shift[o] += k;
      } else if (isa<SubOp>(user)) {
        if (onLeft) {
          shift[o] -= k;
        } else {
          scale[o] = -scale[o];
          shift[o] = k - shift[o];
        }
      } else if (isa<MulOp>(user)) {
        scale[o] *= k;
        shift[o] *= k;
      } else {
        // k / y is not affine in y.
        if (!onLeft)
          return false;
        scale[o] /= k;
        shift[o] /= k;
      }
    }
    last = user;
    current = user->getResult(0);
  }
  if (!last)
    return false;

  auto filterType = cast<RankedTensorType>(conv.getFilter().getType());
  int64_t perOutput = filterType.getNumElements() / channels;
  std::vector<double> newFilter(*filter);
  std::vector<double> newBias(channels);
  for (int64_t o = 0; o < channels; ++o) {
    for (int64_t i = 0; i < perOutput; ++i)
      newFilter[o * perOutput + i] *= scale[o];
    newBias[o] = bias[o] * scale[o] + shift[o];
  }
  OpBuilder builder(last);
  Location loc = conv.getLoc();
  Value w = makeWeight(builder, loc, filterType, newFilter, "conv_bn_filter");
  Value b = makeWeight(
      builder, loc, RankedTensorType::get({channels}, outType.getElementType()),
      newBias, "conv_bn_bias");
  Value folded = builder.create<Conv2dOp>(
      loc, outType, conv.getInput(), w, b, conv.getStridesAttr(),
      conv.getPadsAttr(), conv.getDilationsAttr(), conv.getGroupsAttr(),
      conv.getChannelsLastAttr());
  current.replaceAllUsesWith(folded);
  return true;
}

struct FoldConvBatchNormPass
    : kiln::impl::FoldConvBatchNormBase<FoldConvBatchNormPass> {
  void runOnOperation() override {
    SmallVector<Conv2dOp> convs;
    getOperation().walk([&](Conv2dOp op) { convs.push_back(op); });
    bool changed = false;
    for (Conv2dOp conv : convs)
      changed |= foldInto(conv);
    if (changed) {
      IRRewriter rewriter(&getContext());
      (void)runRegionDCE(rewriter, getOperation()->getRegions());
    }
  }
};

} // namespace
