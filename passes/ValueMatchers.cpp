//===- ValueMatchers.cpp - Matching written-out subgraphs ----------------===//

#include "passes/ValueMatchers.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

std::optional<double> kiln::getSplatValue(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
  if (!splat)
    return std::nullopt;
  Type element = splat.getElementType();
  if (isa<FloatType>(element))
    return splat.getSplatValue<APFloat>().convertToDouble();
  if (isa<IntegerType>(element) && !element.isInteger(1))
    return static_cast<double>(splat.getSplatValue<APInt>().getSExtValue());
  return std::nullopt;
}

bool kiln::isSplatNear(Value value, double expected, double relTol) {
  std::optional<double> actual = getSplatValue(value);
  return actual && std::abs(*actual - expected) <=
                       relTol * std::max(1.0, std::abs(expected));
}

template <typename OpTy>
static void flatten(Value value, bool isRoot, SmallVectorImpl<Value> &out) {
  auto op = value.getDefiningOp<OpTy>();
  if (!op || (!isRoot && !value.hasOneUse())) {
    out.push_back(value);
    return;
  }
  flatten<OpTy>(op.getLhs(), false, out);
  flatten<OpTy>(op.getRhs(), false, out);
}

SmallVector<Value> kiln::flattenProduct(Value root) {
  SmallVector<Value> factors;
  flatten<MulOp>(root, true, factors);
  return factors;
}

SmallVector<Value> kiln::flattenSum(Value root) {
  SmallVector<Value> terms;
  flatten<AddOp>(root, true, terms);
  return terms;
}

std::optional<Value> kiln::takeMatching(SmallVectorImpl<Value> &factors,
                                        function_ref<bool(Value)> pred) {
  for (auto *it = factors.begin(); it != factors.end(); ++it) {
    if (pred(*it)) {
      Value found = *it;
      factors.erase(it);
      return found;
    }
  }
  return std::nullopt;
}

bool kiln::take(SmallVectorImpl<Value> &factors, Value value) {
  return takeMatching(factors, [&](Value v) { return v == value; }).has_value();
}

bool kiln::isPowerOf(Value value, Value base, int n) {
  if (auto pow = value.getDefiningOp<PowOp>())
    return pow.getLhs() == base && isSplatNear(pow.getRhs(), n, 0);
  if (n == 1)
    return value == base;
  SmallVector<Value> factors = flattenProduct(value);
  return static_cast<int>(factors.size()) == n &&
         llvm::all_of(factors, [&](Value f) { return f == base; });
}
