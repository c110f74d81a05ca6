//===- ShapeTracking.cpp - What the importer knows about shape tensors ----===//
//
// Exporters compute shapes with small subgraphs (Shape, Gather, Unsqueeze,
// Concat) even when most dims are static. Tracking each element of such a
// 1-D i64 tensor as a constant or a dim of some tensor lets Reshape and
// Expand keep static result dims, and lets the importer rebuild a shape
// operand when ONNX's 0 / -1 conventions need resolving at run time.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

ShapeEntry ShapeEntry::dimOf(Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return constant(type.getDimSize(dim));
  return {Kind::DimOf, 0, tensor, dim, dim + 1};
}

ShapeEntry ShapeEntry::dimProduct(Value tensor, int64_t begin, int64_t end) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t product = 1;
  int64_t dynamicDim = -1, dynamicCount = 0;
  for (int64_t d = begin; d < end; ++d) {
    if (type.isDynamicDim(d)) {
      dynamicDim = d;
      ++dynamicCount;
      continue;
    }
    product *= type.getDimSize(d);
  }
  if (dynamicCount == 0)
    return constant(product);
  if (dynamicCount == 1 && product == 1)
    return dimOf(tensor, dynamicDim);
  return {Kind::DimProduct, 0, tensor, begin, end};
}

SmallVector<ShapeEntry> ImportContext::dimsOf(Value tensor) {
  SmallVector<ShapeEntry> dims;
  for (int64_t d = 0, e = tensorType(tensor).getRank(); d < e; ++d)
    dims.push_back(ShapeEntry::dimOf(tensor, d));
  return dims;
}

std::optional<SmallVector<ShapeEntry>>
ImportContext::getShapeEntries(Value value) const {
  auto it = shapeEntries.find(value);
  if (it != shapeEntries.end())
    return it->second;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  // Shapes are short; a long vector is data, not worth tracking.
  if (!type || type.getRank() > 1 || !type.getElementType().isInteger(64) ||
      (type.getRank() == 1 &&
       (type.isDynamicDim(0) || type.getDimSize(0) > 1024)))
    return std::nullopt;
  if (std::optional<SmallVector<int64_t>> ints = getConstantInts(value)) {
    SmallVector<ShapeEntry> entries;
    for (int64_t v : *ints)
      entries.push_back(ShapeEntry::constant(v));
    return entries;
  }
  if (type.getRank() == 1 && !type.isDynamicDim(0)) {
    SmallVector<ShapeEntry> entries;
    for (int64_t i = 0; i < type.getDimSize(0); ++i)
      entries.push_back(ShapeEntry::element(value, i));
    return entries;
  }
  if (type.getRank() == 0)
    return SmallVector<ShapeEntry>{ShapeEntry::element(value, 0)};
  return std::nullopt;
}

FailureOr<Value> ImportContext::shapeOf(Value tensor) {
  if (Value cached = shapeOfCache.lookup(tensor))
    return cached;
  KILN_TRY(Value, shape, create<ShapeOfOp>(tensor));
  shapeOfCache[tensor] = shape;
  setShapeEntries(shape, dimsOf(tensor));
  return shape;
}

/// A [1] i64 tensor holding one entry.
FailureOr<Value> ImportContext::materializeEntry(const ShapeEntry &entry) {
  auto slice = [&](Value source, int64_t begin,
                   int64_t end) -> FailureOr<Value> {
    return create<SliceOp>(source, ArrayRef<int64_t>{begin},
                           ArrayRef<int64_t>{end}, ArrayRef<int64_t>{1});
  };
  switch (entry.kind) {
  case ShapeEntry::Kind::Constant:
    return constantI64({entry.value});
  case ShapeEntry::Kind::DimOf: {
    // One slice per dim, however many shapes use it.
    auto key = std::make_pair(entry.source, entry.begin);
    if (Value cached = dimCache.lookup(key))
      return cached;
    KILN_TRY(Value, shape, shapeOf(entry.source));
    KILN_TRY(Value, dim, slice(shape, entry.begin, entry.end));
    dimCache[key] = dim;
    return dim;
  }
  case ShapeEntry::Kind::DimProduct: {
    KILN_TRY(Value, shape, shapeOf(entry.source));
    KILN_TRY(Value, dims, slice(shape, entry.begin, entry.end));
    return create<ReduceProdOp>(dims, ArrayRef<int64_t>{0},
                                /*keep_dims=*/true);
  }
  case ShapeEntry::Kind::Element: {
    Value source = entry.source;
    if (tensorType(source).getRank() == 0)
      return reshape(source, {ShapeEntry::constant(1)});
    return slice(source, entry.begin, entry.end);
  }
  }
  llvm_unreachable("unknown shape entry kind");
}

FailureOr<Value> ImportContext::materializeShape(ArrayRef<ShapeEntry> entries) {
  SmallVector<Value> pieces;
  SmallVector<int64_t> constants;
  auto flushConstants = [&]() {
    if (constants.empty())
      return;
    pieces.push_back(constantI64(constants));
    constants.clear();
  };
  for (const ShapeEntry &entry : entries) {
    if (entry.isConstant()) {
      constants.push_back(entry.value);
      continue;
    }
    flushConstants();
    KILN_TRY(Value, piece, materializeEntry(entry));
    pieces.push_back(piece);
  }
  flushConstants();
  if (pieces.empty())
    return constantI64({});
  Value result = pieces.front();
  if (pieces.size() > 1) {
    KILN_TRY(Value, joined,
             create<ConcatOp>(ValueRange(pieces), static_cast<int64_t>(0)));
    result = joined;
  }
  setShapeEntries(result, SmallVector<ShapeEntry>(entries));
  return result;
}
