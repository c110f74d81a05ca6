//===- FormLinear.cpp - MatMul (+ Add) into kiln.linear -------------------===//
//
// Exporters write a fully connected layer as MatMul(x, W) + b, or with a
// Transpose of PyTorch's [N, K] weight in front. kiln.linear states the whole
// layer, so the GEMM epilogue gets the bias without fusion having to find it.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_FORMLINEAR
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// matmul(x, W) with a 2-D W is linear(x, W); a transpose of W in front
/// becomes the transpose_weight flag.
struct MatmulToLinear : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto weightType = cast<RankedTensorType>(op.getRhs().getType());
    if (weightType.getRank() != 2)
      return failure();
    Value weight = op.getRhs();
    bool transposed = false;
    if (auto transpose = weight.getDefiningOp<TransposeOp>()) {
      weight = transpose.getInput();
      transposed = true;
    }
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), op.getLhs(), weight,
                                          /*bias=*/Value(), transposed);
    return success();
  }
};

/// The bias of `add` if it is a vector of the layer's N outputs: rank 1, or
/// leading dims of size 1 (reshaped to rank 1).
Value asBiasVector(PatternRewriter &rewriter, Location loc, Value bias,
                   int64_t n) {
  auto type = cast<RankedTensorType>(bias.getType());
  if (type.getRank() < 1 || type.getShape().back() != n ||
      ShapedType::isDynamic(n))
    return {};
  if (llvm::any_of(type.getShape().drop_back(),
                   [](int64_t d) { return d != 1; }))
    return {};
  if (type.getRank() == 1)
    return bias;
  return rewriter.create<ReshapeOp>(
      loc, RankedTensorType::get({n}, type.getElementType()), bias, Value());
}

/// linear(x, W) + b -> linear(x, W, b) when b is a vector over the outputs.
struct AddBiasToLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [product, bias] : {std::pair(op.getLhs(), op.getRhs()),
                                 std::pair(op.getRhs(), op.getLhs())}) {
      auto linear = product.getDefiningOp<LinearOp>();
      if (!linear || linear.getBias() || !product.hasOneUse() ||
          linear.getType() != op.getType())
        continue;
      int64_t n = linear.getType().getShape().back();
      Value vector = asBiasVector(rewriter, op.getLoc(), bias, n);
      if (!vector)
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), linear.getInput(),
                                            linear.getWeight(), vector,
                                            linear.getTransposeWeight());
      rewriter.eraseOp(linear);
      return success();
    }
    return failure();
  }
};

struct FormLinearPass : kiln::impl::FormLinearBase<FormLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToLinear, AddBiasToLinear>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
