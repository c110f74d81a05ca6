//===- Evaluator.h - Reference evaluator for the kiln dialect ---*- C++ -*-===//
//
// Evaluates a function of `kiln` ops on concrete tensors. It is the oracle
// that code generation and constant folding are checked against, so it is
// written to be obviously right rather than fast: plain loops over indices,
// floating-point arithmetic in double (sums, means, matmul and convolution
// accumulators, softmax and normalization statistics), and each op's results
// rounded once to the op's result element type. See docs/evaluator.md for
// the semantics it commits to where the dialect leaves a choice.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_EVALUATOR_EVALUATOR_H
#define KILN_COMPILER_EVALUATOR_EVALUATOR_H

#include "compiler/evaluator/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir::kiln {

/// Evaluates `function` with `inputs` bound to its arguments, in order, and
/// returns the tensors it returns. On failure (an input that does not fit
/// its argument type, an op the evaluator does not know, integer division
/// by zero, an out-of-range gather index, shapes that do not broadcast at
/// run time, ...) emits an error diagnostic at the offending op and fails.
FailureOr<SmallVector<Tensor>> evaluate(func::FuncOp function,
                                        ArrayRef<Tensor> inputs);

/// Evaluates the single op `op` on `operands` (one tensor per operand, in
/// order) and returns its results; the op's own operands are not looked at.
/// This is the entry point for constant folding: operands come from
/// constants via Tensor::fromAttr, results go back with Tensor::toAttr.
/// Errors are emitted at the op, as for evaluate().
FailureOr<SmallVector<Tensor>> evaluateOp(Operation *op,
                                          ArrayRef<Tensor> operands);

/// Whether `tensor` may be passed where `type` is expected: same element
/// type and rank, and every static dim matched (dynamic dims accept any
/// size). Returns a description of the mismatch, or nullopt when it fits.
std::optional<std::string> checkTensorFitsType(const Tensor &tensor, Type type);

} // namespace mlir::kiln

#endif // KILN_COMPILER_EVALUATOR_EVALUATOR_H
