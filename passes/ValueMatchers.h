//===- ValueMatchers.h - Matching written-out subgraphs ------------------===//
//
// Exporters write GELU, LayerNorm or attention as chains of primitives whose
// association and operand order vary (x * 0.5 * (1 + erf) or 0.5 * (x * ...)).
// These helpers look through that: products and sums are flattened into their
// factors and terms, and constants are compared by value.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_VALUEMATCHERS_H
#define KILN_PASSES_VALUEMATCHERS_H

#include "dialects/kiln/KilnOps.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::kiln {

/// The value of a splat constant (any shape), as a double.
std::optional<double> getSplatValue(Value value);

/// Whether `value` is a splat constant within `relTol` of `expected`.
bool isSplatNear(Value value, double expected, double relTol = 1e-4);

/// The factors of a product: `root` itself if it is no kiln.mul, else the
/// factors of both operands, looking through inner muls that have no other
/// use (they disappear when the product is replaced).
SmallVector<Value> flattenProduct(Value root);

/// The terms of a sum, as flattenProduct does for kiln.add.
SmallVector<Value> flattenSum(Value root);

/// Removes one occurrence of a factor matching `pred` from `factors`, and
/// returns it.
std::optional<Value> takeMatching(SmallVectorImpl<Value> &factors,
                                  function_ref<bool(Value)> pred);

/// Removes one occurrence of `value` from `factors`.
bool take(SmallVectorImpl<Value> &factors, Value value);

/// Whether `value` is `base` raised to an integer power `n` written as
/// pow(base, n) or as a product of n copies of base.
bool isPowerOf(Value value, Value base, int n);

} // namespace mlir::kiln

#endif // KILN_PASSES_VALUEMATCHERS_H
