//===- ElementwiseEmitter.h - Fusion groups to CUDA C++ ---------*- C++ -*-===//
//
// Turns `kiln.fusion` groups whose bodies are DAGs of elementwise ops into one
// CUDA C++ translation unit per function: a grid-stride kernel per group plus
// the host entry (KILN_HOST_KERNEL_ENTRY), so the same text compiles with
// NVRTC for GPUs and with the host C++ compiler for the SIMT simulator.
//
// Argument ABI of a kernel (in order): one `const T *` per group input, one
// `T *` per group result, then the parameter struct by value, which holds only
// `long long` fields (no padding; packElementwiseParams fills it):
//   numel                       elements of the output
//   dims[rank]                  the output's dims            (if rank > 0 and
//   strides[strided][rank]      per strided input, its element strides
//                               against the output's dims (0 where it
//                               broadcasts)                   strided > 0)
// Inputs whose static type equals the output's static type are read at the
// output index and rank-0 inputs at 0; every other input is "strided".
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_ELEMENTWISEEMITTER_H
#define KILN_COMPILER_CODEGEN_ELEMENTWISEEMITTER_H

#include "compiler/evaluator/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::kiln {
class FusionOp;
} // namespace mlir::kiln

namespace kiln::codegen {

/// How one input of an elementwise kernel is addressed.
enum class OperandAccess {
  /// Same static shape as the output: read at the output's linear index.
  Direct,
  /// Rank 0: element 0.
  Scalar,
  /// Anything else: offset from the output index and runtime strides.
  Strided,
};

struct ElementwiseKernelInfo {
  /// The `extern "C"` kernel name; the host entry is `kiln_entry_<name>`.
  std::string name;
  /// Index of the group among the function's `kiln.fusion` ops.
  unsigned groupIndex = 0;
  std::vector<mlir::kiln::ElementKind> inputKinds;
  std::vector<OperandAccess> inputAccess;
  std::vector<mlir::kiln::ElementKind> outputKinds;
  /// Rank of the output (all results share one shape).
  unsigned rank = 0;
  unsigned numStrided() const;
};

struct ElementwiseModule {
  /// The translation unit: every group of the function.
  std::string source;
  /// A file name for diagnostics, e.g. "kiln_main.cu".
  std::string fileName;
  std::vector<ElementwiseKernelInfo> kernels;
};

/// Whether every op of the group is one the emitter handles; otherwise an
/// error naming the first op it does not.
llvm::Error checkElementwiseGroup(mlir::kiln::FusionOp group);

/// Emits every `kiln.fusion` of `function`, in order. Fails (naming the op)
/// on a group that is not elementwise, results of different shapes, or an
/// element type the dialect does not have.
llvm::Expected<ElementwiseModule>
emitElementwiseModule(mlir::func::FuncOp function);

/// The parameter struct of `kernel` as `long long` words for the given
/// runtime shapes. Fails when an input does not broadcast to `outputShape`.
llvm::Expected<std::vector<int64_t>>
packElementwiseParams(const ElementwiseKernelInfo &kernel,
                      llvm::ArrayRef<int64_t> outputShape,
                      llvm::ArrayRef<std::vector<int64_t>> inputShapes);

/// The C identifier derived from `name` (non-identifier characters become
/// `_`), used in kernel names.
std::string sanitizeIdentifier(llvm::StringRef name);

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_ELEMENTWISEEMITTER_H
