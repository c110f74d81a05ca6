//===- SymbolicShapes.h - Dims as expressions over the input dims ---------===//
//
// Every dim of every tensor in a function, as an expression over the named
// dynamic dims of its inputs: `batch`, `seq * 2`, `seq + past`,
// `(h - 1) floordiv 2 + 1`. Expressions are AffineExprs over symbols (one per
// input dim name); products of two symbols (flattening `batch x seq`) are
// allowed. Small 1-D i64 tensors that hold shapes (Shape -> Gather -> Concat
// chains) are tracked element by element, so a reshape's shape operand
// evaluates to expressions too.
//
// This is what the engine's shape program is built from: every buffer size
// and launch grid as a formula of the input shapes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_SYMBOLICSHAPES_H
#define KILN_PASSES_SYMBOLICSHAPES_H

#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineExpr.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <string>

namespace mlir::kiln {

/// One expression per dim (or per element of a shape tensor).
using SymbolicVector = SmallVector<AffineExpr, 4>;

class SymbolicShapeAnalysis {
public:
  /// Computes shapes for every value in `func`. Input dims come from the
  /// argument types (static dims) and the `kiln.dims` argument attribute
  /// (names of dynamic dims; unnamed ones get `argN.dimM`).
  explicit SymbolicShapeAnalysis(func::FuncOp func);

  /// The shape of a ranked tensor value (always known after construction;
  /// dims nothing could be said about are fresh symbols).
  const SymbolicVector &getShape(Value value) const;

  /// The element values of a small 1-D or 0-D integer tensor, if known.
  std::optional<SymbolicVector> getElements(Value value) const;

  /// `batch * seq + 1`, with the input dims' names.
  std::string format(AffineExpr expr) const;

  ArrayRef<std::string> getSymbolNames() const { return symbolNames; }

private:
  AffineExpr symbol(StringRef name);
  AffineExpr freshSymbol(StringRef hint);
  void visit(Operation *op);
  void setShape(Value value, SymbolicVector shape);
  void setShapeFromType(Value value, StringRef hint);
  void visitShapeArithmetic(Operation *op);

  MLIRContext *context;
  SmallVector<std::string> symbolNames;
  llvm::StringMap<unsigned> symbolIndex;
  DenseMap<Value, SymbolicVector> shapes;
  DenseMap<Value, SymbolicVector> elements;
  unsigned freshCount = 0;
};

} // namespace mlir::kiln

#endif // KILN_PASSES_SYMBOLICSHAPES_H
