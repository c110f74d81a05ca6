//===- Tensor.h - Concrete tensors for the reference evaluator --*- C++ -*-===//
//
// A Tensor is an element type, a fully known shape and row-major elements.
// Storage favours obviousness over size: floating-point elements are doubles
// and integer (and i1) elements are int64_t, each holding a value the element
// type can represent exactly. Every write goes through setFloat/setInt, which
// round (f32/f16/bf16, to nearest even) or wrap (i32/i8, two's complement), so
// the invariant holds after every op.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_EVALUATOR_TENSOR_H
#define KILN_COMPILER_EVALUATOR_TENSOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace mlir::kiln {

/// The element types of the kiln dialect.
enum class ElementKind { F32, F16, BF16, I64, I32, I8, I1 };

/// The kind of an MLIR element type, or nullopt for a type kiln does not
/// have.
std::optional<ElementKind> getElementKind(Type type);
Type getElementType(ElementKind kind, MLIRContext *context);
/// "f32", "f16", "bf16", "i64", "i32", "i8" or "i1".
llvm::StringRef getElementKindName(ElementKind kind);
bool isFloatKind(ElementKind kind);
/// Bytes per element in memory, .npy files and dense_resource blobs.
int64_t getElementByteWidth(ElementKind kind);

/// Rounds (floats) a value to what `kind` can hold.
double roundToKind(ElementKind kind, double value);
/// Wraps (integers, two's complement) or normalizes (i1: != 0) a value to
/// what `kind` can hold.
int64_t wrapToKind(ElementKind kind, int64_t value);

class Tensor {
public:
  /// A tensor of zeros.
  Tensor(ElementKind kind, llvm::ArrayRef<int64_t> shape);
  Tensor() : Tensor(ElementKind::F32, {}) {}

  ElementKind getKind() const { return kind; }
  bool isFloat() const { return isFloatKind(kind); }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const { return numElements; }
  RankedTensorType getType(MLIRContext *context) const;

  /// Element `index` in row-major order. getFloat is for float kinds,
  /// getInt for integer kinds and i1.
  double getFloat(int64_t index) const { return floats[index]; }
  int64_t getInt(int64_t index) const { return ints[index]; }
  /// Stores `value` rounded (floats) or wrapped (integers) to the kind.
  void setFloat(int64_t index, double value) {
    floats[index] = roundToKind(kind, value);
  }
  void setInt(int64_t index, int64_t value) {
    ints[index] = wrapToKind(kind, value);
  }
  /// Copies element `from` of `source` (same kind) to element `to`.
  void copyElement(int64_t to, const Tensor &source, int64_t from) {
    if (isFloat())
      floats[to] = source.floats[from];
    else
      ints[to] = source.ints[from];
  }

  /// The same elements with another shape of the same element count.
  Tensor reshaped(llvm::ArrayRef<int64_t> newShape) const;

  /// Row-major strides of the shape, in elements.
  llvm::SmallVector<int64_t> getStrides() const;

  /// Little-endian bytes as stored in .npy files and dense_resource blobs
  /// (i1: one byte, 0 or 1).
  std::vector<char> toBytes() const;
  /// The tensor whose little-endian bytes are `bytes`; fails (with a message
  /// in `error`) when the byte count does not match.
  static std::optional<Tensor> fromBytes(ElementKind kind,
                                         llvm::ArrayRef<int64_t> shape,
                                         llvm::ArrayRef<char> bytes,
                                         std::string &error);

  /// A DenseElementsAttr of this tensor's type and values.
  DenseElementsAttr toAttr(MLIRContext *context) const;
  /// The tensor an elements attribute holds: DenseElementsAttr (including
  /// splats) or DenseResourceElementsAttr (its blob's bytes, little-endian).
  /// Emits an error at `loc` on anything else or a statically shaped type
  /// mismatch.
  static FailureOr<Tensor> fromAttr(ElementsAttr attr, Location loc);

  /// "2x3xf32" / "f32" for a scalar.
  std::string describeType() const;

private:
  ElementKind kind;
  llvm::SmallVector<int64_t> shape;
  int64_t numElements;
  std::vector<double> floats;
  std::vector<int64_t> ints;
};

/// The most elements a Tensor may have. Shapes come from user input (.npy
/// headers, shape operands, ranges); beyond this an allocation could fail,
/// which with exceptions disabled would abort instead of reporting an error.
constexpr int64_t kMaxTensorElements = int64_t(1) << 31;

/// The element count of `shape`, or nullopt when it overflows or exceeds
/// kMaxTensorElements.
std::optional<int64_t> getCheckedElementCount(llvm::ArrayRef<int64_t> shape);

/// Renders a known shape as "[2, 3]" ("[]" for a scalar).
std::string formatDims(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::kiln

#endif // KILN_COMPILER_EVALUATOR_TENSOR_H
