//===- NormalizationImporters.cpp - Batch/Instance/Layer/Group/RMS norms --===//
//
// LayerNormalization and RMSNormalization map onto kiln.layer_norm and
// kiln.rms_norm when their scale covers the normalized dims exactly; the
// others are composed: inference BatchNormalization folds into one
// per-channel scale and shift, Instance and Group normalization compute their
// statistics with kiln reductions.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static Value scalarLike(ImportContext &ctx, Value like, double value) {
  return ctx.scalarConstant(tensorType(like).getElementType(), value);
}

/// (x - mean) * rsqrt(var + epsilon) with the statistics over `axes`.
static FailureOr<Value> standardize(ImportContext &ctx, Value x,
                                    ArrayRef<int64_t> axes, double epsilon) {
  KILN_TRY(Value, mean, ctx.create<ReduceMeanOp>(x, axes, true));
  KILN_TRY(Value, centered, ctx.create<SubOp>(x, mean));
  KILN_TRY(Value, square, ctx.create<MulOp>(centered, centered));
  KILN_TRY(Value, variance, ctx.create<ReduceMeanOp>(square, axes, true));
  KILN_TRY(Value, shifted,
           ctx.create<AddOp>(variance, scalarLike(ctx, x, epsilon)));
  KILN_TRY(Value, inverse, ctx.create<RsqrtOp>(shifted));
  return ctx.create<MulOp>(centered, inverse);
}

/// y * scale + bias with per-channel [C] vectors against [N, C, ...].
static FailureOr<Value> applyChannelAffine(ImportContext &ctx, Value y,
                                           Value scale, Value bias) {
  int64_t spatial = tensorType(y).getRank() - 2;
  if (scale) {
    KILN_TRY(Value, s, ctx.channelVector(scale, spatial));
    KILN_TRY(Value, scaled, ctx.create<MulOp>(y, s));
    y = scaled;
  }
  if (bias) {
    KILN_TRY(Value, b, ctx.channelVector(bias, spatial));
    KILN_TRY(Value, shifted, ctx.create<AddOp>(y, b));
    y = shifted;
  }
  return y;
}

/// Inference BatchNormalization: y = x * s + (B - mean * s) with
/// s = scale / sqrt(var + epsilon), per channel.
static LogicalResult importBatchNormalization(ImportContext &ctx,
                                              const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, scale, ctx.input(1));
  KILN_TRY(Value, bias, ctx.input(2));
  KILN_TRY(Value, mean, ctx.input(3));
  KILN_TRY(Value, variance, ctx.input(4));
  KILN_TRY(double, epsilon, ctx.getFloat("epsilon", 1e-5));
  KILN_TRY(int64_t, training, ctx.getInt("training_mode", 0));
  if (training)
    return ctx.emitError() << "training mode is not supported";
  KILN_TRY(int64_t, spatial, ctx.getInt("spatial", 1));
  if (!spatial)
    return ctx.emitError() << "spatial = 0 (per-activation statistics, "
                              "opsets 7-8) is not supported";
  if (failed(ctx.rejectOutputsFrom(
          1, "running statistics exist only in training mode")))
    return failure();
  if (tensorType(x).getRank() < 2)
    return ctx.emitError() << "input must have rank 2 or more";
  KILN_TRY(Value, shifted,
           ctx.create<AddOp>(variance, scalarLike(ctx, variance, epsilon)));
  KILN_TRY(Value, inverse, ctx.create<RsqrtOp>(shifted));
  KILN_TRY(Value, factor, ctx.create<MulOp>(scale, inverse));
  KILN_TRY(Value, meanScaled, ctx.create<MulOp>(mean, factor));
  KILN_TRY(Value, offset, ctx.create<SubOp>(bias, meanScaled));
  KILN_TRY(Value, y, applyChannelAffine(ctx, x, factor, offset));
  return ctx.setOutput(0, y);
}

static LogicalResult importInstanceNormalization(ImportContext &ctx,
                                                 const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, scale, ctx.input(1));
  KILN_TRY(Value, bias, ctx.input(2));
  KILN_TRY(double, epsilon, ctx.getFloat("epsilon", 1e-5));
  int64_t rank = tensorType(x).getRank();
  if (rank < 3)
    return ctx.emitError() << "input must have spatial dims (rank >= 3)";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  KILN_TRY(Value, normalized, standardize(ctx, x, axes, epsilon));
  KILN_TRY(Value, y, applyChannelAffine(ctx, normalized, scale, bias));
  return ctx.setOutput(0, y);
}

/// Broadcasts a scale or bias to the normalized dims when it is given with
/// fewer dims (ONNX allows any unidirectionally broadcastable shape).
static FailureOr<Value> matchNormalizedDims(ImportContext &ctx, Value param,
                                            ArrayRef<int64_t> normalized) {
  RankedTensorType type = tensorType(param);
  if (succeeded(verifyCompatibleShape(type.getShape(), normalized)))
    return param;
  if (!isBroadcastableTo(type.getShape(), normalized) ||
      ShapedType::isDynamicShape(normalized))
    return ctx.emitError() << "scale/bias of shape "
                           << formatShape(type.getShape())
                           << " does not broadcast to the normalized dims "
                           << formatShape(normalized);
  auto target = RankedTensorType::get(normalized, type.getElementType());
  return ctx.createTyped<ExpandOp>(target, param, Value());
}

static LogicalResult importLayerNormalization(ImportContext &ctx,
                                              const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, scale, ctx.input(1));
  Value bias = ctx.optionalInput(2);
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", -1));
  KILN_TRY(double, epsilon, ctx.getFloat("epsilon", 1e-5));
  if (failed(ctx.rejectOutputsFrom(
          1, "LayerNormalization's Mean and InvStdDev are not supported")))
    return failure();
  RankedTensorType type = tensorType(x);
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, type.getRank()));
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  KILN_TRY(Value, s, matchNormalizedDims(ctx, scale, normalized));
  Value b;
  if (bias) {
    KILN_TRY(Value, matched, matchNormalizedDims(ctx, bias, normalized));
    b = matched;
  }
  KILN_TRY(Value, y,
           ctx.create<LayerNormOp>(x, s, b, axis, llvm::APFloat(epsilon)));
  return ctx.setOutput(0, y);
}

static LogicalResult importRMSNormalization(ImportContext &ctx,
                                            const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, scale, ctx.input(1));
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", -1));
  KILN_TRY(double, epsilon, ctx.getFloat("epsilon", 1e-5));
  RankedTensorType type = tensorType(x);
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, type.getRank()));
  KILN_TRY(Value, s,
           matchNormalizedDims(ctx, scale, type.getShape().drop_front(axis)));
  KILN_TRY(Value, y, ctx.create<RmsNormOp>(x, s, axis, llvm::APFloat(epsilon)));
  return ctx.setOutput(0, y);
}

/// GroupNormalization: statistics over [C / G, spatial...] per group, from
/// the view [N, G, C / G, prod(spatial)]. Opset 18 scales per group, opset
/// 21 per channel.
static LogicalResult importGroupNormalization(ImportContext &ctx,
                                              const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, scale, ctx.input(1));
  KILN_TRY(Value, bias, ctx.input(2));
  KILN_TRY(int64_t, groups, ctx.getRequiredInt("num_groups"));
  KILN_TRY(double, epsilon, ctx.getFloat("epsilon", 1e-5));
  RankedTensorType type = tensorType(x);
  if (type.getRank() < 3 || type.isDynamicDim(1))
    return ctx.emitError() << "input must be [N, C, ...] with a static C";
  int64_t channels = type.getDimSize(1);
  if (groups < 1 || channels % groups != 0)
    return ctx.emitError() << "channels " << channels
                           << " are not divisible by num_groups " << groups;
  KILN_TRY(
      Value, grouped,
      ctx.reshape(x, {ShapeEntry::dimOf(x, 0), ShapeEntry::constant(groups),
                      ShapeEntry::constant(channels / groups),
                      ShapeEntry::dimProduct(x, 2, type.getRank())}));
  KILN_TRY(Value, normalized, standardize(ctx, grouped, {2, 3}, epsilon));
  if (ctx.opset() < 21) {
    // [G] parameters against [N, G, C / G, S].
    KILN_TRY(Value, affine, applyChannelAffine(ctx, normalized, scale, bias));
    KILN_TRY(Value, y, ctx.reshape(affine, ctx.dimsOf(x)));
    return ctx.setOutput(0, y);
  }
  KILN_TRY(Value, restored, ctx.reshape(normalized, ctx.dimsOf(x)));
  KILN_TRY(Value, y, applyChannelAffine(ctx, restored, scale, bias));
  return ctx.setOutput(0, y);
}

void mlir::kiln::onnx_import::registerNormalizationImporters(
    OpRegistry &registry) {
  registry.add("BatchNormalization", importBatchNormalization, 7);
  registry.add("InstanceNormalization", importInstanceNormalization, 6);
  registry.add("LayerNormalization", importLayerNormalization, 17);
  registry.add("GroupNormalization", importGroupNormalization, 18);
  registry.add("RMSNormalization", importRMSNormalization, 23);
}
