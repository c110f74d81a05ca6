//===- ReductionImporters.cpp - Reductions, softmax, scans, top-k ---------===//
//
// Opset notes: Reduce* take `axes` as an attribute before opset 18 (ReduceSum
// before 13) and as an optional constant input after, where an empty list
// means all axes unless `noop_with_empty_axes`. Softmax and LogSoftmax before
// opset 13 coerce the input to 2-D at `axis` (default 1); from 13 they work
// along one axis (default -1).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {
struct ReduceSpec {
  Value input;
  SmallVector<int64_t> axes;
  bool keepDims = true;
  /// Empty axes with noop_with_empty_axes: the op is the identity.
  bool identity = false;
};

/// The composed reductions ONNX has and kiln does not.
enum class Composite { None, L1, L2, SumSquare, LogSum, LogSumExp };
} // namespace

static FailureOr<ReduceSpec> readReduce(ImportContext &ctx,
                                        bool axesFromInput) {
  ReduceSpec spec;
  KILN_TRY(Value, input, ctx.input(0));
  spec.input = input;
  KILN_TRY(int64_t, keepDims, ctx.getInt("keepdims", 1));
  KILN_TRY(int64_t, noop, ctx.getInt("noop_with_empty_axes", 0));
  spec.keepDims = keepDims != 0;
  SmallVector<int64_t> axes;
  if (axesFromInput) {
    if (ctx.hasInput(1)) {
      KILN_TRY(SmallVector<int64_t>, constant,
               ctx.requireConstantInts(1, "axes"));
      axes = constant;
    }
  } else {
    KILN_TRY(SmallVector<int64_t>, attr, ctx.getInts("axes"));
    axes = attr;
  }
  int64_t rank = tensorType(input).getRank();
  if (axes.empty()) {
    if (noop || rank == 0) {
      spec.identity = true;
      return spec;
    }
    for (int64_t d = 0; d < rank; ++d)
      spec.axes.push_back(d);
    return spec;
  }
  KILN_TRY(SmallVector<int64_t>, normalized, ctx.normalizeAxes(axes, rank));
  llvm::sort(normalized);
  spec.axes = normalized;
  return spec;
}

template <typename OpTy>
static FailureOr<Value> reduce(ImportContext &ctx, Value input,
                               ArrayRef<int64_t> axes, bool keepDims) {
  return ctx.create<OpTy>(input, axes, keepDims);
}

template <typename OpTy, bool axesFromInput, Composite composite>
static LogicalResult importReduce(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(ReduceSpec, spec, readReduce(ctx, axesFromInput));
  Value x = spec.input;
  if (spec.identity)
    return ctx.setOutput(0, x);
  FailureOr<Value> y = failure();
  switch (composite) {
  case Composite::None:
    y = reduce<OpTy>(ctx, x, spec.axes, spec.keepDims);
    break;
  case Composite::L1: {
    KILN_TRY(Value, abs, ctx.create<AbsOp>(x));
    y = reduce<ReduceSumOp>(ctx, abs, spec.axes, spec.keepDims);
    break;
  }
  case Composite::L2:
  case Composite::SumSquare: {
    KILN_TRY(Value, square, ctx.create<MulOp>(x, x));
    KILN_TRY(Value, sum,
             reduce<ReduceSumOp>(ctx, square, spec.axes, spec.keepDims));
    y = composite == Composite::L2 ? ctx.create<SqrtOp>(sum)
                                   : FailureOr<Value>(sum);
    break;
  }
  case Composite::LogSum: {
    KILN_TRY(Value, sum, reduce<ReduceSumOp>(ctx, x, spec.axes, spec.keepDims));
    y = ctx.create<LogOp>(sum);
    break;
  }
  case Composite::LogSumExp: {
    // Stable: log(sum(exp(x - max))) + max.
    KILN_TRY(Value, max, reduce<ReduceMaxOp>(ctx, x, spec.axes, true));
    KILN_TRY(Value, shifted, ctx.create<SubOp>(x, max));
    KILN_TRY(Value, exp, ctx.create<ExpOp>(shifted));
    KILN_TRY(Value, sum, reduce<ReduceSumOp>(ctx, exp, spec.axes, true));
    KILN_TRY(Value, log, ctx.create<LogOp>(sum));
    KILN_TRY(Value, kept, ctx.create<AddOp>(log, max));
    y = spec.keepDims ? FailureOr<Value>(kept) : ctx.squeeze(kept, spec.axes);
    break;
  }
  }
  if (failed(y))
    return failure();
  return ctx.setOutput(0, *y);
}

template <typename OpTy>
static LogicalResult importArgReduce(ImportContext &ctx,
                                     const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", 0));
  KILN_TRY(int64_t, keepDims, ctx.getInt("keepdims", 1));
  KILN_TRY(int64_t, lastIndex, ctx.getInt("select_last_index", 0));
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, tensorType(x).getRank()));
  KILN_TRY(Value, y, ctx.create<OpTy>(x, axis, keepDims != 0, lastIndex != 0));
  return ctx.setOutput(0, y);
}

/// Softmax and LogSoftmax from opset 13: one axis.
template <typename OpTy>
static LogicalResult importSoftmax(ImportContext &ctx,
                                   const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", -1));
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, tensorType(x).getRank()));
  KILN_TRY(Value, y, ctx.create<OpTy>(x, axis));
  return ctx.setOutput(0, y);
}

/// Softmax and LogSoftmax before opset 13: the input is seen as the 2-D
/// [prod(dims before axis), prod(dims from axis)] and normalized per row.
template <typename OpTy>
static LogicalResult importSoftmaxCoerced(ImportContext &ctx,
                                          const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t rank = tensorType(x).getRank();
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", 1));
  if (rank == 0)
    return ctx.emitError() << "input must have rank 1 or more";
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, rank));
  if (axis == rank - 1) {
    KILN_TRY(Value, y, ctx.create<OpTy>(x, axis));
    return ctx.setOutput(0, y);
  }
  KILN_TRY(Value, flat,
           ctx.reshape(x, {ShapeEntry::dimProduct(x, 0, axis),
                           ShapeEntry::dimProduct(x, axis, rank)}));
  KILN_TRY(Value, normalized, ctx.create<OpTy>(flat, static_cast<int64_t>(1)));
  KILN_TRY(Value, y, ctx.reshape(normalized, ctx.dimsOf(x)));
  return ctx.setOutput(0, y);
}

static LogicalResult importCumSum(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(SmallVector<int64_t>, axisValues,
           ctx.requireConstantInts(1, "axis"));
  if (axisValues.size() != 1)
    return ctx.emitError() << "axis must hold one value";
  KILN_TRY(int64_t, axis,
           ctx.normalizeAxis(axisValues[0], tensorType(x).getRank()));
  KILN_TRY(int64_t, exclusive, ctx.getInt("exclusive", 0));
  KILN_TRY(int64_t, reverse, ctx.getInt("reverse", 0));
  KILN_TRY(Value, y,
           ctx.create<CumSumOp>(x, axis, exclusive != 0, reverse != 0));
  return ctx.setOutput(0, y);
}

/// TopK: k is an attribute before opset 10 and a constant input after;
/// `largest` arrives in opset 11. kiln.topk always sorts, which `sorted = 0`
/// (any order) allows.
static LogicalResult importTopK(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t k = 0;
  if (ctx.opset() < 10) {
    KILN_TRY(int64_t, attr, ctx.getRequiredInt("k"));
    k = attr;
  } else {
    KILN_TRY(SmallVector<int64_t>, values, ctx.requireConstantInts(1, "K"));
    if (values.size() != 1)
      return ctx.emitError() << "K must hold one value";
    k = values[0];
  }
  if (k < 0)
    return ctx.emitError() << "K must be non-negative, got " << k;
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", -1));
  KILN_TRY(int64_t, largest, ctx.getInt("largest", 1));
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, tensorType(x).getRank()));
  int64_t size = tensorType(x).getDimSize(axis);
  if (!ShapedType::isDynamic(size) && k > size)
    return ctx.emitError() << "K = " << k << " exceeds the size " << size
                           << " of axis " << axis;
  Type none = ctx.placeholderType();
  KILN_TRY(Operation *, op,
           ctx.createMultiResult<TopKOp>(none, none, x, k, axis, largest == 0));
  if (failed(ctx.setOutput(0, op->getResult(0))))
    return failure();
  return ctx.setOutput(1, op->getResult(1));
}

void mlir::kiln::onnx_import::registerReductionImporters(OpRegistry &registry) {
  constexpr Composite none = Composite::None;
  registry.add("ReduceSum", importReduce<ReduceSumOp, false, none>, 1, 12);
  registry.add("ReduceSum", importReduce<ReduceSumOp, true, none>, 13);
  registry.add("ReduceMean", importReduce<ReduceMeanOp, false, none>, 1, 17);
  registry.add("ReduceMean", importReduce<ReduceMeanOp, true, none>, 18);
  registry.add("ReduceMax", importReduce<ReduceMaxOp, false, none>, 1, 17);
  registry.add("ReduceMax", importReduce<ReduceMaxOp, true, none>, 18);
  registry.add("ReduceMin", importReduce<ReduceMinOp, false, none>, 1, 17);
  registry.add("ReduceMin", importReduce<ReduceMinOp, true, none>, 18);
  registry.add("ReduceProd", importReduce<ReduceProdOp, false, none>, 1, 17);
  registry.add("ReduceProd", importReduce<ReduceProdOp, true, none>, 18);
  registry.add("ReduceL1", importReduce<ReduceSumOp, false, Composite::L1>, 1,
               17);
  registry.add("ReduceL1", importReduce<ReduceSumOp, true, Composite::L1>, 18);
  registry.add("ReduceL2", importReduce<ReduceSumOp, false, Composite::L2>, 1,
               17);
  registry.add("ReduceL2", importReduce<ReduceSumOp, true, Composite::L2>, 18);
  registry.add("ReduceSumSquare",
               importReduce<ReduceSumOp, false, Composite::SumSquare>, 1, 17);
  registry.add("ReduceSumSquare",
               importReduce<ReduceSumOp, true, Composite::SumSquare>, 18);
  registry.add("ReduceLogSum",
               importReduce<ReduceSumOp, false, Composite::LogSum>, 1, 17);
  registry.add("ReduceLogSum",
               importReduce<ReduceSumOp, true, Composite::LogSum>, 18);
  registry.add("ReduceLogSumExp",
               importReduce<ReduceSumOp, false, Composite::LogSumExp>, 1, 17);
  registry.add("ReduceLogSumExp",
               importReduce<ReduceSumOp, true, Composite::LogSumExp>, 18);
  registry.add("ArgMax", importArgReduce<ArgMaxOp>);
  registry.add("ArgMin", importArgReduce<ArgMinOp>);
  registry.add("Softmax", importSoftmaxCoerced<SoftmaxOp>, 1, 12);
  registry.add("Softmax", importSoftmax<SoftmaxOp>, 13);
  registry.add("LogSoftmax", importSoftmaxCoerced<LogSoftmaxOp>, 1, 12);
  registry.add("LogSoftmax", importSoftmax<LogSoftmaxOp>, 13);
  registry.add("CumSum", importCumSum, 11);
  registry.add("TopK", importTopK);
}
