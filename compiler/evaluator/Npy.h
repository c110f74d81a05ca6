//===- Npy.h - NumPy .npy files for the reference evaluator -----*- C++ -*-===//
//
// Reads and writes the NumPy array format (versions 1.0, 2.0 and 3.0):
// little-endian, C order. The dtypes are those of kiln's element types:
//
//   <f4 f32   <f2 f16   <i8 i64   <i4 i32   |i1 i8   |b1 i1
//
// Anything else is an error rather than a conversion, so that a file never
// silently changes precision on its way in. That includes <f8 (NumPy's
// default float64: save with .astype(np.float32)), big-endian and Fortran-
// order arrays. bf16 has no NumPy dtype and cannot be written.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_EVALUATOR_NPY_H
#define KILN_COMPILER_EVALUATOR_NPY_H

#include "compiler/evaluator/Tensor.h"

#include "llvm/Support/Error.h"

namespace mlir::kiln {

/// Decodes the bytes of a .npy file; `name` appears in error messages.
llvm::Expected<Tensor> parseNpy(llvm::ArrayRef<char> bytes,
                                llvm::StringRef name);
/// Reads the .npy file at `path`.
llvm::Expected<Tensor> readNpy(llvm::StringRef path);

/// The bytes of a version 1.0 .npy file holding `tensor`.
llvm::Expected<std::vector<char>> encodeNpy(const Tensor &tensor);
/// Writes `tensor` to `path` as a .npy file.
llvm::Error writeNpy(const Tensor &tensor, llvm::StringRef path);

/// The NumPy dtype string of an element kind ("<f4"), or nullopt for bf16.
std::optional<llvm::StringRef> getNpyDtype(ElementKind kind);

} // namespace mlir::kiln

#endif // KILN_COMPILER_EVALUATOR_NPY_H
