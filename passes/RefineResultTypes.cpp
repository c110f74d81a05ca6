//===- RefineResultTypes.cpp - Make result types as static as possible ----===//

#include "passes/Passes.h"

#include "dialects/kiln/KilnOps.h"
#include "dialects/kiln/ShapeRules.h"

#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_REFINERESULTTYPES
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The type that `op` would infer for its results from its current operands,
/// or an empty list when it does not infer types.
SmallVector<Type> inferResultTypes(Operation *op) {
  SmallVector<Type> inferred;
  auto infer = dyn_cast<InferTypeOpInterface>(op);
  if (!infer || failed(infer.inferReturnTypes(
                    op->getContext(), /*location=*/std::nullopt,
                    op->getOperands(), op->getRawDictionaryAttrs(),
                    op->getPropertiesStorage(), op->getRegions(), inferred)))
    return {};
  return inferred;
}

/// A reshape without a shape operand and with one dynamic result dim takes
/// that dim from the element count once the input is static.
SmallVector<Type> inferReshape(ReshapeOp op) {
  RankedTensorType input = op.getInput().getType(), result = op.getType();
  if (op.getShape() || !input.hasStaticShape() ||
      result.getNumDynamicDims() != 1)
    return {};
  int64_t known = 1;
  for (int64_t d : result.getShape())
    if (!ShapedType::isDynamic(d))
      known *= d;
  if (known == 0 || input.getNumElements() % known != 0)
    return {};
  SmallVector<int64_t> shape(result.getShape());
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d))
      d = input.getNumElements() / known;
  return {RankedTensorType::get(shape, result.getElementType())};
}

struct RefineResultTypesPass
    : kiln::impl::RefineResultTypesBase<RefineResultTypesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    func.walk([&](Operation *op) {
      if (!isa<KilnDialect>(op->getDialect()))
        return;
      SmallVector<Type> inferred;
      if (auto reshape = dyn_cast<ReshapeOp>(op))
        inferred = inferReshape(reshape);
      else
        inferred = inferResultTypes(op);
      if (inferred.size() != op->getNumResults())
        return;
      for (auto [result, type] : llvm::zip(op->getResults(), inferred))
        if (type != result.getType() && isRefinementOf(type, result.getType()))
          result.setType(type);
    });

    // Keep the signature in step with what the function now returns.
    Block &entry = func.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret || func.getBody().getBlocks().size() != 1)
      return;
    func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                   ret.getOperandTypes()));
  }
};

} // namespace
