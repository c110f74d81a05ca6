//===- ShapeRules.h - Shape arithmetic shared by verifiers and inference --===//
//
// Dims are int64_t with ShapedType::kDynamic for a dim unknown at compile
// time. Every rule here is conservative about dynamic dims: it fails only on a
// contradiction between dims that are both known.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_SHAPERULES_H
#define KILN_DIALECT_SHAPERULES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeRange.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/SmallVector.h"

#include <limits>
#include <optional>

namespace mlir::kiln {

/// numpy broadcasting of two shapes. Fails when two known dims differ and
/// neither is 1. A dynamic dim against 1 or against another dynamic dim stays
/// dynamic; against a known size > 1 it takes that size.
LogicalResult broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                              SmallVectorImpl<int64_t> &result);

/// Dim arithmetic on sizes that come from user data (types, attributes) is
/// done in 128 bits and must land back in int64 range; nullopt otherwise.
using WideDim = __int128;
inline std::optional<int64_t> narrowDim(WideDim value) {
  if (value < std::numeric_limits<int64_t>::min() ||
      value >= std::numeric_limits<int64_t>::max())
    return std::nullopt;
  return static_cast<int64_t>(value);
}

/// Whether two dims may be equal at run time.
inline bool areCompatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Whether `refined` may stand for `inferred`: same rank and element type,
/// and every known dim of `inferred` matched. Used for result types, which may
/// be more static than what the operands tell.
bool isRefinementOf(Type refined, Type inferred);

/// Whether an op's result types may stand where its type inference computed
/// `inferred`: same ranks and element types, and no two known dims differ.
/// A result may be more static than the inference (an importer knew more) or
/// less (nobody has refined it yet; see kiln-refine-result-types).
bool areCompatibleResultTypes(TypeRange actual, TypeRange inferred);

/// Whether the dims of `input` can be broadcast to `target` (numpy rules,
/// input aligned with the trailing dims of the target).
bool isBroadcastableTo(ArrayRef<int64_t> input, ArrayRef<int64_t> target);

/// Renders a shape the way tensor types do: "4x?x8", or "scalar" for rank 0.
std::string formatShape(ArrayRef<int64_t> shape);

/// Python's rules for the length of x[start:end:step] over a dim of `size`
/// (negative bounds count from the end, out-of-range bounds clamp).
int64_t slicedLength(int64_t size, int64_t start, int64_t end, int64_t step);

/// The output size of a convolution or pooling window along one dim, or
/// failure when the window does not fit the padded input.
FailureOr<int64_t> windowOutputSize(int64_t size, int64_t kernel,
                                    int64_t stride, int64_t padBegin,
                                    int64_t padEnd, int64_t dilation,
                                    bool ceilMode);

} // namespace mlir::kiln

#endif // KILN_DIALECT_SHAPERULES_H
