//===- ScalarEmitter.h - Elementwise ops as CUDA C++ expressions -*- C++
//-*-===//
//
// The per-element half of code generation, shared by every kind of fusion
// group: given C++ names for some values (loaded inputs, a GEMM accumulator,
// a normalized row element), emits one statement per elementwise op defining
// its result, with the reference evaluator's semantics (floats computed in
// float, f16/bf16 intermediates rounded to their type, integers wrapping).
// The elementwise kernels, GEMM/conv epilogues and reduction loaders are all
// built from it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_SCALAREMITTER_H
#define KILN_COMPILER_CODEGEN_SCALAREMITTER_H

#include "compiler/evaluator/Tensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln::codegen {

/// The C identifier derived from `name` (non-identifier characters become
/// `_`), used in kernel names.
std::string sanitizeIdentifier(llvm::StringRef name);

/// An error naming the op and its location (file:line:col when it has one).
llvm::Error codegenError(mlir::Operation *op, const llvm::Twine &message);

mlir::kiln::ElementKind kindOf(mlir::Value value);
/// The type a value has in memory (`__half`, `long long`, ...).
const char *storageType(mlir::kiln::ElementKind kind);
/// The type a value has in registers: floats compute in float.
const char *computeType(mlir::kiln::ElementKind kind);
/// A float literal that C++ reads back as the same float.
std::string floatLiteral(double value);
std::string intLiteral(int64_t value);
/// `element` (an lvalue of the storage type) as its compute type.
std::string loadExpr(mlir::kiln::ElementKind kind, const std::string &element);
/// `value` (compute type) converted for storing.
std::string storeExpr(mlir::kiln::ElementKind kind, const std::string &value);

/// The include of simt.h and the `static` helper functions emitted bodies
/// call (kiln_gelu, kiln_round_f16, ...): once at the top of a module.
const char *scalarPrelude();

/// Whether the ScalarEmitter handles `op` (a per-element op, or a splat
/// constant).
bool isScalarOp(mlir::Operation *op);

class ScalarEmitter {
public:
  /// Statements go to `os`, each line prefixed with `indent`; fresh names
  /// start with `prefix` (distinct prefixes keep nested scopes apart).
  ScalarEmitter(llvm::raw_ostream &os, std::string indent = "    ",
                std::string prefix = "v")
      : os(os), indent(std::move(indent)), prefix(std::move(prefix)) {}

  /// `value` is held in the C++ variable (or expression) `name`, of its
  /// compute type.
  void bind(mlir::Value value, std::string name) {
    names[value] = std::move(name);
  }
  /// The C++ name of a bound or emitted value ("" if neither).
  std::string lookup(mlir::Value value) const { return names.lookup(value); }
  /// Defines the result of `op` (an isScalarOp op whose operands are bound).
  llvm::Error emitOp(mlir::Operation *op);

private:
  std::string fresh() { return prefix + std::to_string(next++); }
  /// `expr` (computed in float) rounded to the storage precision of `kind`.
  static std::string roundFloat(mlir::kiln::ElementKind kind,
                                const std::string &expr);
  /// `expr` computed in unsigned and converted back (wrapping arithmetic).
  static std::string wrapInt(mlir::kiln::ElementKind kind, const std::string &a,
                             const char *op, const std::string &b);
  llvm::Error define(mlir::Value value, const std::string &expr);

  llvm::raw_ostream &os;
  std::string indent;
  std::string prefix;
  llvm::DenseMap<mlir::Value, std::string> names;
  unsigned next = 0;
};

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_SCALAREMITTER_H
