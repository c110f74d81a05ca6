//===- RecognizeActivations.cpp - GELU and SiLU from their primitives -----===//
//
// Exporters write activations out: torch's exact GELU becomes
// `x * 0.5 * (1 + erf(x / sqrt(2)))`, its tanh approximation a polynomial
// inside a tanh, SiLU `x * sigmoid(x)`. Finding them again gives codegen one
// elementwise op (with a known cheap formula) instead of five.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ValueMatchers.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::kiln {
#define GEN_PASS_DEF_RECOGNIZEACTIVATIONS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluCubic = 0.044715;

/// `value` is `x / sqrt(2)` or `x * (1 / sqrt(2))`; returns x.
std::optional<Value> matchDivBySqrt2(Value value) {
  if (auto div = value.getDefiningOp<DivOp>())
    if (isSplatNear(div.getRhs(), kSqrt2))
      return div.getLhs();
  SmallVector<Value> factors = flattenProduct(value);
  if (factors.size() != 2 || !takeMatching(factors, [](Value v) {
        return isSplatNear(v, 1 / kSqrt2);
      }))
    return std::nullopt;
  return factors.front();
}

/// `value` is `1 + f(...)` for an op of type OpTy; returns that op.
template <typename OpTy> OpTy matchOnePlus(Value value) {
  SmallVector<Value> terms = flattenSum(value);
  if (terms.size() != 2 ||
      !takeMatching(terms, [](Value v) { return isSplatNear(v, 1.0); }))
    return {};
  return terms.front().getDefiningOp<OpTy>();
}

/// `sqrt(2/pi) * (x + 0.044715 * x^3)`, in any association; returns x.
std::optional<Value> matchTanhPolynomial(Value value) {
  SmallVector<Value> outer = flattenProduct(value);
  if (outer.size() != 2 || !takeMatching(outer, [](Value v) {
        return isSplatNear(v, kSqrt2OverPi);
      }))
    return std::nullopt;
  SmallVector<Value> terms = flattenSum(outer.front());
  if (terms.size() != 2)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    Value x = terms[i], cubic = terms[1 - i];
    SmallVector<Value> factors = flattenProduct(cubic);
    if (!takeMatching(factors,
                      [](Value v) { return isSplatNear(v, kGeluCubic); }))
      continue;
    if ((factors.size() == 1 && isPowerOf(factors.front(), x, 3)) ||
        (factors.size() == 3 &&
         llvm::all_of(factors, [&](Value f) { return f == x; })))
      return x;
  }
  return std::nullopt;
}

/// x * 0.5 * (1 + erf(x / sqrt(2))) -> gelu(x), and the tanh form ->
/// gelu_tanh(x). Anchored on the outermost multiplication.
struct RecognizeGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> factors = flattenProduct(op.getResult());
    if (factors.size() != 3 ||
        !takeMatching(factors, [](Value v) { return isSplatNear(v, 0.5); }))
      return failure();
    for (int i = 0; i < 2; ++i) {
      Value x = factors[i], gate = factors[1 - i];
      if (x.getType() != op.getType())
        continue;
      if (auto erf = matchOnePlus<ErfOp>(gate)) {
        if (matchDivBySqrt2(erf.getInput()) == x) {
          rewriter.replaceOpWithNewOp<GeluOp>(op, x);
          return success();
        }
      }
      if (auto tanh = matchOnePlus<TanhOp>(gate)) {
        if (matchTanhPolynomial(tanh.getInput()) == x) {
          rewriter.replaceOpWithNewOp<GeluTanhOp>(op, x);
          return success();
        }
      }
    }
    return failure();
  }
};

/// x * sigmoid(x) -> silu(x).
struct RecognizeSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [x, gate] : {std::pair(op.getLhs(), op.getRhs()),
                           std::pair(op.getRhs(), op.getLhs())}) {
      auto sigmoid = gate.getDefiningOp<SigmoidOp>();
      if (sigmoid && sigmoid.getInput() == x && x.getType() == op.getType()) {
        rewriter.replaceOpWithNewOp<SiluOp>(op, x);
        return success();
      }
    }
    return failure();
  }
};

struct RecognizeActivationsPass
    : kiln::impl::RecognizeActivationsBase<RecognizeActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecognizeGelu, RecognizeSilu>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
