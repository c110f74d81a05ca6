//===- RecognizeAttention.cpp - Scaled dot-product attention from MatMuls -===//
//
// Exported transformers spell attention as
//   softmax(matmul(q, transpose(k)) * scale [masked]) @ v
// with the scale on the scores or folded into q and k, the mask as an
// additive tensor and/or a `where` against a large negative fill, and, for
// grouped-query attention, k and v repeated across heads with
// reshape(expand(reshape(...))). One kiln.attention becomes one
// flash-attention kernel that never writes the S x T scores to memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ValueMatchers.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::kiln {
#define GEN_PASS_DEF_RECOGNIZEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

bool isRank4(Value value) {
  return cast<RankedTensorType>(value.getType()).getRank() == 4;
}

/// Strips single-use multiplications by a splat constant (or divisions by
/// one) off `value`, multiplying their factors into `scale`.
Value peelScale(Value value, double &scale) {
  while (value.hasOneUse()) {
    if (auto mul = value.getDefiningOp<MulOp>()) {
      std::optional<double> c = getSplatValue(mul.getRhs());
      Value rest = mul.getLhs();
      if (!c) {
        c = getSplatValue(mul.getLhs());
        rest = mul.getRhs();
      }
      if (!c || rest.getType() != value.getType())
        return value;
      scale *= *c;
      value = rest;
      continue;
    }
    if (auto div = value.getDefiningOp<DivOp>()) {
      std::optional<double> c = getSplatValue(div.getRhs());
      if (!c || *c == 0 || div.getLhs().getType() != value.getType())
        return value;
      scale /= *c;
      value = div.getLhs();
      continue;
    }
    break;
  }
  return value;
}

/// Whether `perm` swaps the last two dims of a rank-4 tensor.
bool swapsLastTwo(ArrayRef<int64_t> perm) {
  return perm.size() == 4 && perm[0] == 0 && perm[1] == 1 && perm[2] == 3 &&
         perm[3] == 2;
}

/// Looks through the head repetition of grouped-query attention:
/// reshape(expand(reshape(x: [B, Hkv, T, D]) : [B, Hkv, 1, T, D]) :
/// [B, Hkv, n, T, D]) : [B, Hkv * n, T, D] is x.
Value lookThroughHeadRepeat(Value value) {
  auto merge = value.getDefiningOp<ReshapeOp>();
  if (!merge)
    return value;
  auto expand = merge.getInput().getDefiningOp<ExpandOp>();
  if (!expand)
    return value;
  auto split = expand.getInput().getDefiningOp<ReshapeOp>();
  if (!split || !isRank4(split.getInput()))
    return value;
  auto source = cast<RankedTensorType>(split.getInput().getType());
  ArrayRef<int64_t> five = split.getType().getShape();
  ArrayRef<int64_t> repeated = expand.getType().getShape();
  auto same = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && a == b;
  };
  bool sameDims = [&] {
    // Dynamic dims cannot be compared; only the head dims must be static.
    return five.size() == 5 && repeated.size() == 5 && five[2] == 1 &&
           same(five[1], source.getDimSize(1)) &&
           same(repeated[1], source.getDimSize(1)) &&
           !ShapedType::isDynamic(repeated[2]) &&
           same(merge.getType().getDimSize(1), repeated[1] * repeated[2]);
  }();
  return sameDims ? split.getInput() : value;
}

/// Whether `value` is a constant boolean lower-triangular [.., S, S] mask
/// (query i sees keys 0..i).
bool isCausalMask(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  auto type = cast<RankedTensorType>(value.getType());
  if (!dense || !type.getElementType().isInteger(1) || type.getRank() < 2)
    return false;
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  if (rows != cols || type.getNumElements() != rows * cols)
    return false;
  auto values = dense.getValues<bool>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (values[i * cols + j] != (j <= i))
        return false;
  return true;
}

struct RecognizeSdpa : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !op.getLhs().hasOneUse() ||
        static_cast<int64_t>(softmax.getAxis()) !=
            softmax.getType().getRank() - 1 ||
        !isRank4(op.getRhs()))
      return failure();
    RankedTensorType scoresType = softmax.getType();

    // Walk back from the softmax input through masks and scaling.
    double scale = 1.0;
    Value additiveMask, boolMask;
    Value scores = softmax.getInput();
    while (true) {
      if (!scores.hasOneUse())
        return failure();
      if (auto add = scores.getDefiningOp<AddOp>()) {
        if (additiveMask || add.getType() != scoresType)
          return failure();
        // The scores side is the one that leads to the matmul.
        auto leadsToScores = [](Value v) {
          double unused = 1;
          Value peeled = peelScale(v, unused);
          Operation *def = peeled.getDefiningOp();
          return def && isa<MatmulOp, WhereOp>(def);
        };
        bool lhsScores = leadsToScores(add.getLhs());
        if (lhsScores == leadsToScores(add.getRhs()))
          return failure();
        additiveMask = lhsScores ? add.getRhs() : add.getLhs();
        scores = lhsScores ? add.getLhs() : add.getRhs();
        continue;
      }
      if (auto where = scores.getDefiningOp<WhereOp>()) {
        std::optional<double> fill = getSplatValue(where.getFalseValue());
        if (boolMask || !fill || *fill > -1e4 ||
            where.getTrueValue().getType() != scoresType)
          return failure();
        boolMask = where.getCondition();
        scores = where.getTrueValue();
        continue;
      }
      Value peeled = peelScale(scores, scale);
      if (peeled == scores)
        break;
      scores = peeled;
    }
    auto qk = scores.getDefiningOp<MatmulOp>();
    if (!qk || qk.getType() != scoresType)
      return failure();

    Value query = peelScale(qk.getLhs(), scale);
    Value keyT = peelScale(qk.getRhs(), scale);
    if (!isRank4(query) || !isRank4(keyT))
      return failure();
    // The key in [B, H, T, D]; a transpose is created only once the whole
    // match has succeeded (a failing pattern must not touch the IR).
    Value key;
    if (auto transpose = keyT.getDefiningOp<TransposeOp>();
        transpose && swapsLastTwo(transpose.getPermutation()))
      key = lookThroughHeadRepeat(transpose.getInput());
    Value value = lookThroughHeadRepeat(op.getRhs());

    auto queryType = cast<RankedTensorType>(query.getType());
    auto valueType = cast<RankedTensorType>(value.getType());
    RankedTensorType keyType;
    if (key) {
      keyType = cast<RankedTensorType>(key.getType());
    } else {
      auto t = cast<RankedTensorType>(keyT.getType());
      keyType = RankedTensorType::get(
          {t.getDimSize(0), t.getDimSize(1), t.getDimSize(3), t.getDimSize(2)},
          t.getElementType());
    }
    if (!fitsAttention(queryType, keyType, valueType, op.getType()))
      return failure();

    // Masks: a constant causal mask becomes the causal flag; otherwise one
    // boolean and one additive mask combine into one additive mask.
    CausalAlignment causal = CausalAlignment::none;
    Type element = queryType.getElementType();
    if (boolMask && isCausalMask(boolMask)) {
      causal = CausalAlignment::upper_left;
      boolMask = {};
    }
    if (additiveMask &&
        cast<RankedTensorType>(additiveMask.getType()).getElementType() !=
            element)
      return failure();

    Location loc = op.getLoc();
    if (!key)
      key = rewriter.create<TransposeOp>(loc, keyT,
                                         ArrayRef<int64_t>{0, 1, 3, 2});
    Value mask = boolMask ? boolMask : additiveMask;
    if (boolMask && additiveMask) {
      auto scalar = RankedTensorType::get({}, element);
      auto splat = [&](double v) -> Value {
        return rewriter.create<ConstantOp>(
            loc,
            DenseElementsAttr::get(scalar, rewriter.getFloatAttr(element, v)));
      };
      auto boolType = cast<RankedTensorType>(boolMask.getType());
      Value asFloat = rewriter.create<WhereOp>(
          loc, RankedTensorType::get(boolType.getShape(), element), boolMask,
          splat(0.0), splat(-std::numeric_limits<double>::infinity()));
      mask = rewriter.create<AddOp>(loc, asFloat, additiveMask);
    }
    rewriter.replaceOpWithNewOp<AttentionOp>(
        op, op.getType(), query, key, value, mask,
        rewriter.getF64FloatAttr(scale),
        CausalAlignmentAttr::get(rewriter.getContext(), causal));
    return success();
  }

  /// The rules of kiln.attention, checked before anything is rewritten.
  static bool fitsAttention(RankedTensorType q, RankedTensorType k,
                            RankedTensorType v, RankedTensorType result) {
    auto agree = [](int64_t a, int64_t b) { return areCompatibleDims(a, b); };
    if (q.getElementType() != k.getElementType() ||
        q.getElementType() != v.getElementType())
      return false;
    if (!agree(q.getDimSize(0), k.getDimSize(0)) ||
        !agree(k.getDimSize(0), v.getDimSize(0)) ||
        !agree(k.getDimSize(1), v.getDimSize(1)) ||
        !agree(k.getDimSize(2), v.getDimSize(2)) ||
        !agree(q.getDimSize(3), k.getDimSize(3)))
      return false;
    int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
    if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv == 0 ||
        hq % hkv != 0)
      return false;
    auto expected = RankedTensorType::get(
        {q.getDimSize(0), hq, q.getDimSize(2), v.getDimSize(3)},
        q.getElementType());
    return succeeded(verifyCompatibleShape(expected, result));
  }
};

struct RecognizeAttentionPass
    : kiln::impl::RecognizeAttentionBase<RecognizeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecognizeSdpa>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
