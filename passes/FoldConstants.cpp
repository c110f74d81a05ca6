//===- FoldConstants.cpp - Evaluate ops whose operands are all constants --===//
//
// Exporters leave arithmetic on constants behind: scales computed as
// pow(head_dim, 0.5), casts of masks, transposed weights. The reference
// evaluator already defines every op's semantics, so folding runs it rather
// than re-implementing them op by op in folders: one definition, one oracle.
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

namespace mlir::kiln {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Results up to this many elements print as literals; larger ones become
/// resource blobs like the importer's weights.
constexpr int64_t kMaxLiteralElements = 64;

bool isFoldable(Operation *op, int64_t maxElements) {
  if (!isa<KilnDialect>(op->getDialect()) || isa<ConstantOp, FusionOp>(op) ||
      op->getNumResults() == 0 || op->getNumRegions() != 0)
    return false;
  for (Value operand : op->getOperands())
    if (!operand.getDefiningOp<ConstantOp>())
      return false;
  for (Type type : op->getResultTypes()) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape() ||
        tensor.getNumElements() > maxElements)
      return false;
  }
  return true;
}

Attribute toConstantAttr(const Tensor &tensor, RankedTensorType type,
                         MLIRContext *context) {
  DenseElementsAttr dense = tensor.toAttr(context);
  if (!dense || dense.getType() != type)
    return {};
  if (type.getNumElements() <= kMaxLiteralElements || dense.isSplat())
    return dense;
  ArrayRef<char> raw = dense.getRawData();
  // i1 is stored one bit per element in dense attributes; keep it a literal.
  if (type.getElementType().isInteger(1))
    return dense;
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, alignof(uint64_t));
  return DenseResourceElementsAttr::get(type, "folded", std::move(blob));
}

struct FoldConstantsPass : kiln::impl::FoldConstantsBase<FoldConstantsPass> {
  using FoldConstantsBase::FoldConstantsBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    IRRewriter rewriter(context);
    SmallVector<Operation *> candidates;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<FusionOp>(op))
        return WalkResult::skip();
      candidates.push_back(op);
      return WalkResult::advance();
    });
    for (Operation *op : candidates) {
      if (!isFoldable(op, maxElements))
        continue;
      SmallVector<Tensor> operands;
      bool readable = true;
      for (Value operand : op->getOperands()) {
        auto constant = operand.getDefiningOp<ConstantOp>();
        FailureOr<Tensor> tensor =
            Tensor::fromAttr(constant.getValue(), constant.getLoc());
        if (failed(tensor)) {
          readable = false;
          break;
        }
        operands.push_back(std::move(*tensor));
      }
      if (!readable)
        continue;
      // A failure (division by zero, an out-of-range index) is the op's
      // behaviour at run time, not a compile error: leave the op alone.
      FailureOr<SmallVector<Tensor>> results;
      {
        ScopedDiagnosticHandler quiet(context,
                                      [](Diagnostic &) { return success(); });
        results = evaluateOp(op, operands);
      }
      if (failed(results))
        continue;
      SmallVector<Value> replacements;
      rewriter.setInsertionPoint(op);
      for (auto [result, tensor] : llvm::zip(op->getResults(), *results)) {
        auto type = cast<RankedTensorType>(result.getType());
        Attribute attr = toConstantAttr(tensor, type, context);
        if (!attr)
          break;
        replacements.push_back(rewriter.create<ConstantOp>(
            op->getLoc(), cast<ElementsAttr>(attr)));
      }
      if (replacements.size() != op->getNumResults()) {
        for (Value v : replacements)
          rewriter.eraseOp(v.getDefiningOp());
        continue;
      }
      rewriter.replaceOp(op, replacements);
    }
    // Constants nothing uses any more.
    getOperation().walk([&](ConstantOp constant) {
      if (constant->use_empty())
        rewriter.eraseOp(constant);
    });
  }
};

} // namespace
