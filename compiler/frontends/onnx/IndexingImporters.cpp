//===- IndexingImporters.cpp - Gathers, scatters, OneHot, Trilu -----------===//
//
// Gather also takes part in shape tracking: gathering from a shape tensor
// with constant indices (the `Shape -> Gather` idiom) yields known entries,
// and a constant when they are all static.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static LogicalResult importGather(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, data, ctx.input(0));
  KILN_TRY(Value, indices, ctx.input(1));
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", 0));
  RankedTensorType dataType = tensorType(data);
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, dataType.getRank()));
  RankedTensorType indicesType = tensorType(indices);
  std::optional<SmallVector<int64_t>> constantIndices;
  if (dataType.getRank() == 1 && !dataType.isDynamicDim(0) &&
      indicesType.getRank() <= 1 && indicesType.hasStaticShape() &&
      indicesType.getNumElements() <= 1024)
    constantIndices = ctx.getConstantInts(indices);
  if (constantIndices) {
    if (std::optional<SmallVector<ShapeEntry>> entries =
            ctx.getShapeEntries(data)) {
      int64_t size = dataType.getDimSize(0);
      SmallVector<ShapeEntry> gathered;
      bool allConstant = true;
      for (int64_t index : *constantIndices) {
        if (index < -size || index >= size)
          return ctx.emitError() << "index " << index
                                 << " is out of range for a dim of " << size;
        gathered.push_back((*entries)[index < 0 ? index + size : index]);
        allConstant &= gathered.back().isConstant();
      }
      if (allConstant && dataType.getElementType().isInteger(64)) {
        SmallVector<int64_t> values;
        for (const ShapeEntry &entry : gathered)
          values.push_back(entry.value);
        return ctx.setOutput(0,
                             ctx.constantI64(values, indicesType.getShape()));
      }
      KILN_TRY(Value, y, ctx.create<GatherOp>(data, indices, axis));
      ctx.setShapeEntries(y, gathered);
      return ctx.setOutput(0, y);
    }
  }
  KILN_TRY(Value, y, ctx.create<GatherOp>(data, indices, axis));
  return ctx.setOutput(0, y);
}

static LogicalResult importGatherElements(ImportContext &ctx,
                                          const onnx::NodeProto &) {
  KILN_TRY(Value, data, ctx.input(0));
  KILN_TRY(Value, indices, ctx.input(1));
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", 0));
  KILN_TRY(int64_t, axis,
           ctx.normalizeAxis(axisAttr, tensorType(data).getRank()));
  KILN_TRY(Value, y, ctx.create<GatherElementsOp>(data, indices, axis));
  return ctx.setOutput(0, y);
}

static LogicalResult importGatherND(ImportContext &ctx,
                                    const onnx::NodeProto &) {
  KILN_TRY(Value, data, ctx.input(0));
  KILN_TRY(Value, indices, ctx.input(1));
  KILN_TRY(int64_t, batchDims, ctx.getInt("batch_dims", 0));
  if (batchDims < 0)
    return ctx.emitError() << "batch_dims must be non-negative";
  KILN_TRY(Value, y, ctx.create<GatherNdOp>(data, indices, batchDims));
  return ctx.setOutput(0, y);
}

static LogicalResult importScatterND(ImportContext &ctx,
                                     const onnx::NodeProto &) {
  KILN_TRY(Value, data, ctx.input(0));
  KILN_TRY(Value, indices, ctx.input(1));
  KILN_TRY(Value, updates, ctx.input(2));
  KILN_TRY(std::string, name, ctx.getString("reduction", "none"));
  std::optional<ScatterReduction> reduction = symbolizeScatterReduction(name);
  if (!reduction)
    return ctx.emitError() << "unknown reduction '" << name << "'";
  KILN_TRY(Value, y,
           ctx.create<ScatterNdOp>(
               data, indices, updates,
               ScatterReductionAttr::get(ctx.getContext(), *reduction)));
  return ctx.setOutput(0, y);
}

/// OneHot depths up to this many positions get them as a literal.
static constexpr int64_t kMaxPositionsLiteral = int64_t(1) << 16;

/// OneHot: where(unsqueeze(indices, axis) == range(depth), on, off), the
/// range shaped to run along `axis`. Negative indices count from depth.
static LogicalResult importOneHot(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, indices, ctx.input(0));
  KILN_TRY(Value, depthValue, ctx.input(1));
  KILN_TRY(Value, values, ctx.input(2));
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", -1));
  std::optional<double> depthScalar = ctx.getConstantScalar(depthValue);
  std::optional<int64_t> depthOrNone =
      depthScalar ? toInt64(*depthScalar) : std::nullopt;
  if (!depthOrNone || *depthOrNone < 1)
    return ctx.emitError() << "depth must be a positive constant scalar";
  int64_t depth = *depthOrNone;
  int64_t outRank = tensorType(indices).getRank() + 1;
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, outRank));
  Type i64 = ctx.getBuilder().getI64Type();
  KILN_TRY(Value, index, ctx.castElements(indices, i64));
  Value depthScalarValue = ctx.scalarConstant(i64, depth);
  KILN_TRY(Value, negative,
           ctx.create<CompareOp>(ComparePredicate::lt, index,
                                 ctx.scalarConstant(i64, 0)));
  KILN_TRY(Value, wrapped, ctx.create<AddOp>(index, depthScalarValue));
  KILN_TRY(Value, normalized, ctx.create<WhereOp>(negative, wrapped, index));
  KILN_TRY(Value, expanded, ctx.unsqueeze(normalized, {axis}));
  SmallVector<int64_t> rangeShape(outRank - axis, 1);
  rangeShape[0] = depth;
  Value range;
  if (depth <= kMaxPositionsLiteral) {
    SmallVector<int64_t> positions;
    for (int64_t i = 0; i < depth; ++i)
      positions.push_back(i);
    range = ctx.constantI64(positions, rangeShape);
  } else {
    // A literal of a huge depth (a model can ask for 2^62) would exhaust
    // memory; the positions are computed at run time instead.
    KILN_TRY(Value, positions,
             ctx.createTyped<RangeOp>(RankedTensorType::get({depth}, i64),
                                      ctx.scalarConstant(i64, 0),
                                      depthScalarValue,
                                      ctx.scalarConstant(i64, 1)));
    SmallVector<ShapeEntry> entries;
    for (int64_t size : rangeShape)
      entries.push_back(ShapeEntry::constant(size));
    KILN_TRY(Value, shaped, ctx.reshape(positions, entries));
    range = shaped;
  }
  KILN_TRY(Value, mask,
           ctx.create<CompareOp>(ComparePredicate::eq, expanded, range));
  if (tensorType(values).getRank() != 1 ||
      tensorType(values).getDimSize(0) != 2)
    return ctx.emitError() << "values must be a 2-element 1-D tensor";
  auto pick = [&](int64_t i) -> FailureOr<Value> {
    KILN_TRY(Value, slice,
             ctx.create<SliceOp>(values, ArrayRef<int64_t>{i},
                                 ArrayRef<int64_t>{i + 1},
                                 ArrayRef<int64_t>{1}));
    return ctx.reshape(slice, {});
  };
  KILN_TRY(Value, off, pick(0));
  KILN_TRY(Value, on, pick(1));
  KILN_TRY(Value, y, ctx.create<WhereOp>(mask, on, off));
  return ctx.setOutput(0, y);
}

/// Trilu keeps x where (col - row) >= k (upper) or <= k (lower), else 0.
static LogicalResult importTrilu(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(int64_t, upper, ctx.getInt("upper", 1));
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    KILN_TRY(SmallVector<int64_t>, values, ctx.requireConstantInts(1, "k"));
    if (values.size() != 1)
      return ctx.emitError() << "k must hold one value";
    k = values[0];
  }
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  if (rank < 2 || type.isDynamicDim(rank - 2) || type.isDynamicDim(rank - 1))
    return ctx.emitError() << "the last two dims must be static";
  int64_t rows = type.getDimSize(rank - 2), cols = type.getDimSize(rank - 1);
  SmallVector<int64_t> rowIds, colIds;
  for (int64_t i = 0; i < rows; ++i)
    rowIds.push_back(i);
  for (int64_t j = 0; j < cols; ++j)
    colIds.push_back(j);
  Value row = ctx.constantI64(rowIds, ArrayRef<int64_t>{rows, 1});
  Value col = ctx.constantI64(colIds, ArrayRef<int64_t>{cols});
  KILN_TRY(Value, diagonal, ctx.create<SubOp>(col, row));
  Type i64 = ctx.getBuilder().getI64Type();
  KILN_TRY(
      Value, keep,
      ctx.create<CompareOp>(upper ? ComparePredicate::ge : ComparePredicate::le,
                            diagonal, ctx.scalarConstant(i64, k)));
  Value zero = ctx.scalarConstant(type.getElementType(), 0);
  KILN_TRY(Value, y, ctx.create<WhereOp>(keep, x, zero));
  return ctx.setOutput(0, y);
}

void mlir::kiln::onnx_import::registerIndexingImporters(OpRegistry &registry) {
  registry.add("Gather", importGather);
  registry.add("GatherElements", importGatherElements, 11);
  registry.add("GatherND", importGatherND, 11);
  registry.add("ScatterND", importScatterND, 11);
  registry.add("OneHot", importOneHot, 9);
  registry.add("Trilu", importTrilu, 14);
}
