//===- InferSymbolicShapes.cpp - Annotate dims as input-dim expressions ---===//

#include "passes/Passes.h"
#include "passes/SymbolicShapes.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_INFERSYMBOLICSHAPES
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Shape tensors whose every element turned out constant (the static dims of
/// a partly dynamic tensor, say its head size) become constants, so the
/// arithmetic exporters do on them folds away.
void foldKnownShapeTensors(func::FuncOp func,
                           const SymbolicShapeAnalysis &analysis) {
  SmallVector<std::pair<Operation *, SmallVector<int64_t>>> known;
  func.walk([&](Operation *op) {
    if (!isa<KilnDialect>(op->getDialect()) || isa<ConstantOp>(op) ||
        op->getNumResults() != 1 || op->getParentOfType<FusionOp>())
      return;
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.hasStaticShape() ||
        !isa<IntegerType>(type.getElementType()) ||
        type.getElementType().isInteger(1))
      return;
    std::optional<SymbolicVector> elements =
        analysis.getElements(op->getResult(0));
    if (!elements)
      return;
    SmallVector<int64_t> values;
    for (AffineExpr e : *elements) {
      auto c = dyn_cast<AffineConstantExpr>(e);
      if (!c)
        return;
      values.push_back(c.getValue());
    }
    known.push_back({op, values});
  });
  for (auto &[op, values] : known) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    if (type.getNumElements() != static_cast<int64_t>(values.size()))
      continue;
    OpBuilder builder(op);
    SmallVector<APInt> bits;
    for (int64_t v : values)
      bits.push_back(
          APInt(type.getElementTypeBitWidth(), v, /*isSigned=*/true));
    auto constant = builder.create<ConstantOp>(
        op->getLoc(), DenseIntElementsAttr::get(type, bits));
    op->getResult(0).replaceAllUsesWith(constant.getResult());
  }
}

struct InferSymbolicShapesPass
    : kiln::impl::InferSymbolicShapesBase<InferSymbolicShapesPass> {
  using InferSymbolicShapesBase::InferSymbolicShapesBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SymbolicShapeAnalysis analysis(func);
    Builder builder(&getContext());

    auto describe = [&](Value value) -> Attribute {
      SmallVector<Attribute> dims;
      for (AffineExpr e : analysis.getShape(value))
        dims.push_back(builder.getStringAttr(analysis.format(e)));
      return builder.getArrayAttr(dims);
    };

    func.walk([&](Operation *op) {
      if (!isa<KilnDialect>(op->getDialect()) || op->getNumResults() == 0 ||
          isa<ConstantOp>(op))
        return;
      // Dims that came out constant make the type more static.
      for (Value result : op->getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        if (!type)
          continue;
        SmallVector<int64_t> shape(type.getShape());
        const SymbolicVector &dims = analysis.getShape(result);
        for (auto [d, expr] : llvm::enumerate(dims))
          if (auto c = dyn_cast<AffineConstantExpr>(expr);
              c && ShapedType::isDynamic(shape[d]) && c.getValue() >= 0)
            shape[d] = c.getValue();
        if (annotateOnly)
          continue;
        result.setType(RankedTensorType::get(shape, type.getElementType(),
                                             type.getEncoding()));
      }
      if (op->getNumResults() == 1) {
        op->setAttr("kiln.shape", describe(op->getResult(0)));
      } else {
        SmallVector<Attribute> all;
        for (Value result : op->getResults())
          all.push_back(describe(result));
        op->setAttr("kiln.shapes", builder.getArrayAttr(all));
      }
    });

    if (annotateOnly)
      return;
    foldKnownShapeTensors(func, analysis);
    // The signature follows what the function now returns.
    if (func.getBody().getBlocks().size() == 1)
      if (auto ret =
              dyn_cast<func::ReturnOp>(func.getBody().front().getTerminator()))
        func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                       ret.getOperandTypes()));
  }
};

} // namespace
