//===- ConvertToChannelsLast.cpp - NCHW convolutions and pools to NHWC ----===//
//
// The CUDA convolution, depthwise and pooling kernels read NHWC activations
// and OHWI filters, while importers produce ONNX's NCHW/OIHW. This pass
// rewrites every NCHW kiln.conv2d / max_pool2d / avg_pool2d into its
// `channels_last` form between two transposes:
//
//   y = conv(x, w)  ->  y = T_nchw(conv_cl(T_nhwc(x), T_ohwi(w)))
//
// then removes the transposes that now sit between consecutive layers:
// NHWC->NCHW transposes sink through elementwise ops (unary ones, and
// binary ones whose other operand is also such a transpose, a constant, or
// a scalar), and a transpose of a transpose composes into the identity
// (kiln.transpose's own canonicalization). A transpose or rank-padding
// reshape of a constant (the filters, the per-channel operands of binary
// ops) is evaluated by the reference evaluator into a new constant.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/evaluator/Evaluator.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_CONVERTTOCHANNELSLAST
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Result dim i is input dim perm[i]: NCHW -> NHWC (and OIHW -> OHWI), and
/// back.
constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};

/// Constants up to this many elements may be duplicated when a transposed
/// copy is needed while the original stays in use; larger ones (weights)
/// are only replaced, never copied.
constexpr int64_t kMaxCopiedElements = 1 << 12;

/// Results up to this many elements print as literals (as kiln-fold-constants
/// does); larger ones become resource blobs like the importer's weights.
constexpr int64_t kMaxLiteralElements = 64;

RankedTensorType permuteType(RankedTensorType type, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return RankedTensorType::get(shape, type.getElementType());
}

/// The type that, transposed by `perm`, gives `type`.
RankedTensorType unpermuteType(RankedTensorType type, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    shape[p] = type.getDimSize(i);
  return RankedTensorType::get(shape, type.getElementType());
}

/// kiln-infer-symbolic-shapes annotates each op with its result dims
/// (`kiln.shape`); an op whose result moves from NCHW to NHWC keeps the same
/// dims in NHWC order.
void permuteShapeAnnotation(Operation *from, Operation *to) {
  auto dims = from->getAttrOfType<ArrayAttr>("kiln.shape");
  if (!dims || dims.size() != std::size(kToNhwc)) {
    to->removeAttr("kiln.shape");
    return;
  }
  SmallVector<Attribute> permuted;
  for (int64_t p : kToNhwc)
    permuted.push_back(dims[p]);
  to->setAttr("kiln.shape", ArrayAttr::get(from->getContext(), permuted));
}

bool isToNchw(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  return transpose && transpose.getPermutation() == ArrayRef(kToNchw);
}

/// Rewrites NCHW conv2d / max_pool2d / avg_pool2d ops into their
/// channels_last form between transposes. Each value is transposed once,
/// right after its definition (so that the transpose dominates every use),
/// however many ops read it: a filter shared by two convolutions, or an
/// activation read by both branches of a residual block.
class ChannelsLastRewriter {
public:
  explicit ChannelsLastRewriter(MLIRContext *context) : builder(context) {}

  void convert(Operation *op) {
    builder.setInsertionPoint(op);
    Operation *converted = builder.clone(*op);
    converted->setOperand(0, transposed(op->getOperand(0)));
    if (auto conv = dyn_cast<Conv2dOp>(converted)) {
      // OIHW -> OHWI is the same permutation as NCHW -> NHWC.
      conv.getFilterMutable().assign(transposed(conv.getFilter()));
      conv.setChannelsLast(true);
    } else if (auto pool = dyn_cast<MaxPool2dOp>(converted)) {
      pool.setChannelsLast(true);
    } else {
      cast<AvgPool2dOp>(converted).setChannelsLast(true);
    }
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    converted->getResult(0).setType(permuteType(resultType, kToNhwc));
    permuteShapeAnnotation(op, converted);
    builder.setInsertionPointAfter(converted);
    Value back = builder.create<TransposeOp>(op->getLoc(), resultType,
                                             converted->getResult(0), kToNchw);
    op->getResult(0).replaceAllUsesWith(back);
    op->erase();
  }

private:
  /// `value` transposed NCHW -> NHWC (OIHW -> OHWI).
  Value transposed(Value value) {
    Value &cached = cache[value];
    if (!cached) {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointAfterValue(value);
      auto type = cast<RankedTensorType>(value.getType());
      cached = builder.create<TransposeOp>(
          value.getLoc(), permuteType(type, kToNhwc), value, kToNhwc);
    }
    return cached;
  }

  OpBuilder builder;
  DenseMap<Value, Value> cache;
};

/// A constant attribute holding `tensor`, as kiln-fold-constants builds them.
ElementsAttr toConstantAttr(const Tensor &tensor, RankedTensorType type,
                            MLIRContext *context) {
  DenseElementsAttr dense = tensor.toAttr(context);
  if (!dense || dense.getType() != type)
    return {};
  if (type.getNumElements() <= kMaxLiteralElements || dense.isSplat() ||
      type.getElementType().isInteger(1))
    return dense;
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      dense.getRawData(), alignof(uint64_t));
  return DenseResourceElementsAttr::get(type, "channels_last", std::move(blob));
}

/// transpose(constant) and reshape(constant) (without a shape operand)
/// become constants, computed by the reference evaluator, so that the
/// filters end up stored as OHWI. A constant that is still used elsewhere is
/// only copied when it is small.
template <typename OpTy> struct FoldLayoutOfConstant : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumOperands() != 1)
      return failure();
    auto constant = op->getOperand(0).template getDefiningOp<ConstantOp>();
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!constant || !type || !type.hasStaticShape())
      return failure();
    if (!constant->hasOneUse() && type.getNumElements() > kMaxCopiedElements)
      return failure();
    MLIRContext *context = op.getContext();
    FailureOr<SmallVector<Tensor>> results;
    {
      ScopedDiagnosticHandler quiet(context,
                                    [](Diagnostic &) { return success(); });
      FailureOr<Tensor> input =
          Tensor::fromAttr(constant.getValue(), constant.getLoc());
      if (failed(input))
        return failure();
      results = evaluateOp(op, {*input});
    }
    if (failed(results))
      return failure();
    ElementsAttr attr = toConstantAttr(results->front(), type, context);
    if (!attr)
      return failure();
    rewriter.replaceOpWithNewOp<ConstantOp>(op, attr);
    return success();
  }
};

/// unary(T_nchw(x)) -> T_nchw(unary(x)) for an elementwise op of one operand
/// (relu, clamp, sigmoid, cast, ...), so that the transpose meets the next
/// layer's T_nhwc. Only NHWC->NCHW transposes (permutation [0, 3, 1, 2], the
/// ones this pass creates) are moved; other transposes (attention's, say)
/// are left where they are.
struct SinkTransposeThroughUnary : RewritePattern {
  SinkTransposeThroughUnary(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<KilnDialect>(op->getDialect()) ||
        !op->hasTrait<OpTrait::Elementwise>() || op->getNumOperands() != 1 ||
        op->getNumResults() != 1 || op->getNumRegions() != 0 ||
        !isToNchw(op->getOperand(0)))
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType || resultType.getRank() != 4)
      return failure();
    auto transpose = op->getOperand(0).getDefiningOp<TransposeOp>();
    Operation *moved = rewriter.clone(*op);
    rewriter.modifyOpInPlace(moved, [&] {
      moved->setOperand(0, transpose.getInput());
      moved->getResult(0).setType(unpermuteType(resultType, kToNchw));
      permuteShapeAnnotation(op, moved);
    });
    rewriter.replaceOpWithNewOp<TransposeOp>(op, resultType,
                                             moved->getResult(0), kToNchw);
    return success();
  }
};

/// binary(T_nchw(x), T_nchw(y)) -> T_nchw(binary(x, y)) (residual
/// connections), and binary(T_nchw(x), c) -> T_nchw(binary(x, c')) where c
/// is a scalar (left as it is) or a constant of rank <= 4 that broadcasts
/// against the NCHW value (c' is c padded to rank 4 and transposed to NHWC,
/// which FoldLayoutOfConstant turns into a constant).
template <typename OpTy>
struct SinkTransposeThroughBinary : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getType());
    if (!resultType || resultType.getRank() != 4)
      return failure();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    // At least one side must be a transpose to sink, and the other must be
    // available in NHWC for free; checked before any op is created.
    auto available = [&](Value value) {
      auto type = cast<RankedTensorType>(value.getType());
      return type.getRank() == 0 || isToNchw(value) ||
             (value.getDefiningOp<ConstantOp>() && type.hasStaticShape() &&
              type.getRank() <= 4);
    };
    if ((!isToNchw(lhs) && !isToNchw(rhs)) || !available(lhs) ||
        !available(rhs))
      return failure();
    Location loc = op.getLoc();
    // The operand as seen in NHWC.
    auto toNhwc = [&](Value value) -> Value {
      auto type = cast<RankedTensorType>(value.getType());
      if (type.getRank() == 0)
        return value;
      if (isToNchw(value))
        return value.getDefiningOp<TransposeOp>().getInput();
      if (type.getRank() < 4) {
        SmallVector<int64_t> shape(4 - type.getRank(), 1);
        llvm::append_range(shape, type.getShape());
        type = RankedTensorType::get(shape, type.getElementType());
        value = rewriter.create<ReshapeOp>(loc, type, value, Value());
      }
      return rewriter.create<TransposeOp>(loc, permuteType(type, kToNhwc),
                                          value, kToNhwc);
    };
    Value newLhs = toNhwc(lhs), newRhs = toNhwc(rhs);
    auto moved = rewriter.create<OpTy>(loc, unpermuteType(resultType, kToNchw),
                                       newLhs, newRhs);
    permuteShapeAnnotation(op, moved);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, resultType, moved.getResult(),
                                             kToNchw);
    return success();
  }
};

struct ConvertToChannelsLastPass
    : kiln::impl::ConvertToChannelsLastBase<ConvertToChannelsLastPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (auto conv = dyn_cast<Conv2dOp>(op); conv && !conv.getChannelsLast())
        ops.push_back(op);
      if (auto pool = dyn_cast<MaxPool2dOp>(op);
          pool && !pool.getChannelsLast())
        ops.push_back(op);
      if (auto pool = dyn_cast<AvgPool2dOp>(op);
          pool && !pool.getChannelsLast())
        ops.push_back(op);
    });
    ChannelsLastRewriter rewriter(context);
    for (Operation *op : ops)
      rewriter.convert(op);

    RewritePatternSet patterns(context);
    TransposeOp::getCanonicalizationPatterns(patterns, context);
    patterns.add<
        FoldLayoutOfConstant<TransposeOp>, FoldLayoutOfConstant<ReshapeOp>,
        SinkTransposeThroughUnary, SinkTransposeThroughBinary<AddOp>,
        SinkTransposeThroughBinary<SubOp>, SinkTransposeThroughBinary<MulOp>,
        SinkTransposeThroughBinary<DivOp>, SinkTransposeThroughBinary<MaxOp>,
        SinkTransposeThroughBinary<MinOp>, SinkTransposeThroughBinary<PowOp>>(
        context);
    // Not reaching a fixpoint within the driver's iteration limit leaves
    // correct IR with some transposes in place, as for canonicalize.
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
