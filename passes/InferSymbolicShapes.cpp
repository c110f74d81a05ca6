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
    // The signature follows what the function now returns.
    if (func.getBody().getBlocks().size() == 1)
      if (auto ret =
              dyn_cast<func::ReturnOp>(func.getBody().front().getTerminator()))
        func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                       ret.getOperandTypes()));
  }
};

} // namespace
