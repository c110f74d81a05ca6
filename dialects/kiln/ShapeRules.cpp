//===- ShapeRules.cpp - Shape arithmetic shared by verifiers and inference ===//

#include "dialects/kiln/ShapeRules.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir;

LogicalResult kiln::broadcastShapes(ArrayRef<int64_t> lhs,
                                    ArrayRef<int64_t> rhs,
                                    SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(lhs.size(), rhs.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Walk from the trailing dim, where numpy aligns shapes.
    int64_t a = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t b = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    int64_t &out = result[rank - 1 - i];
    if (a == 1) {
      out = b;
    } else if (b == 1) {
      out = a;
    } else if (ShapedType::isDynamic(a)) {
      out = b;
    } else if (ShapedType::isDynamic(b) || a == b) {
      out = a;
    } else {
      return failure();
    }
  }
  return success();
}

bool kiln::isRefinementOf(Type refined, Type inferred) {
  auto r = dyn_cast<RankedTensorType>(refined);
  auto i = dyn_cast<RankedTensorType>(inferred);
  if (!r || !i)
    return refined == inferred;
  if (r.getElementType() != i.getElementType() || r.getRank() != i.getRank())
    return false;
  for (auto [rd, id] : llvm::zip(r.getShape(), i.getShape()))
    if (!ShapedType::isDynamic(id) && rd != id)
      return false;
  return true;
}

bool kiln::areCompatibleResultTypes(TypeRange actual, TypeRange inferred) {
  if (actual.size() != inferred.size())
    return false;
  for (auto [a, i] : llvm::zip(actual, inferred)) {
    auto at = dyn_cast<RankedTensorType>(a);
    auto it = dyn_cast<RankedTensorType>(i);
    if (!at || !it) {
      if (a != i)
        return false;
      continue;
    }
    if (at.getElementType() != it.getElementType() ||
        failed(verifyCompatibleShape(at.getShape(), it.getShape())))
      return false;
  }
  return true;
}

bool kiln::isBroadcastableTo(ArrayRef<int64_t> input,
                             ArrayRef<int64_t> target) {
  if (input.size() > target.size())
    return false;
  size_t offset = target.size() - input.size();
  for (size_t i = 0; i < input.size(); ++i) {
    int64_t in = input[i], out = target[offset + i];
    if (in != 1 && !areCompatibleDims(in, out))
      return false;
  }
  return true;
}

std::string kiln::formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  return text;
}

int64_t kiln::slicedLength(int64_t size, int64_t start, int64_t end,
                           int64_t step) {
  auto clampBound = [&](int64_t bound, int64_t lo, int64_t hi) {
    if (bound < 0)
      bound = bound <= INT64_MIN + size ? lo : bound + size;
    return std::clamp(bound, lo, hi);
  };
  if (step > 0) {
    int64_t s = clampBound(start, 0, size), e = clampBound(end, 0, size);
    return e > s ? (e - s + step - 1) / step : 0;
  }
  // Negative steps walk from high to low; bounds clamp to [-1, size - 1].
  int64_t s = clampBound(start, -1, size - 1),
          e = clampBound(end, -1, size - 1);
  return s > e ? (s - e + (-step) - 1) / (-step) : 0;
}

FailureOr<int64_t> kiln::windowOutputSize(int64_t size, int64_t kernel,
                                          int64_t stride, int64_t padBegin,
                                          int64_t padEnd, int64_t dilation,
                                          bool ceilMode) {
  if (ShapedType::isDynamic(size))
    return ShapedType::kDynamic;
  std::optional<int64_t> span = narrowDim(WideDim(dilation) * (kernel - 1) + 1);
  std::optional<int64_t> padded = narrowDim(WideDim(size) + padBegin + padEnd);
  if (!span || !padded || *padded < *span)
    return failure();
  int64_t steps = *padded - *span;
  int64_t out =
      (ceilMode ? (WideDim(steps) + stride - 1) / stride : steps / stride) + 1;
  // In ceil mode the last window must start inside the input or its leading
  // padding (PyTorch's and ONNX's rule), otherwise it is dropped.
  if (ceilMode && WideDim(out - 1) * stride >= WideDim(size) + padBegin)
    --out;
  return out;
}
