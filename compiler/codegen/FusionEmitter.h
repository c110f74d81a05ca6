//===- FusionEmitter.h - Anchored fusion groups to CUDA C++ -----*- C++ -*-===//
//
// A fusion group that is not purely elementwise has one anchor op (a GEMM,
// convolution, reduction, softmax, normalization, pooling, attention or data
// movement op) that a kernel-library template implements, plus elementwise
// ops around it: a prologue computing the anchor's input (a loader functor)
// and an epilogue applied to its result (an epilogue functor). The emitter
// writes, per group: the functors (from the fused ops, via ScalarEmitter),
// an `extern "C" __global__` kernel instantiating the template with the
// group's configuration, and the host entry; and describes the launch as
// ShapeExprs over the run-time dims.
//
// Kernel ABI (every anchored kernel):
//   (const T *in0, ..., T *out0, ..., void *workspace, <name>_dims d)
// where `<name>_dims` is `struct { long long v[N]; }`: the dims of the group's
// inputs then results, in order (FusionKernel::dimsOffset gives where each
// tensor's dims start). Problem sizes are computed in the kernel from `d`
// with the same ShapeExprs the host evaluates for the launch.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_FUSIONEMITTER_H
#define KILN_COMPILER_CODEGEN_FUSIONEMITTER_H

#include "compiler/codegen/ShapeExpr.h"
#include "compiler/evaluator/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::kiln {
class FusionOp;
} // namespace mlir::kiln

namespace kiln::codegen {

struct FusionKernel {
  /// The `extern "C"` kernel name; the host entry is `kiln_entry_<name>`.
  std::string name;
  /// Index of the group among the function's `kiln.fusion` ops.
  unsigned groupIndex = 0;
  /// The kernel-library template ("gemm_simt", "softmax", ...).
  std::string templateName;
  /// The template arguments as emitted (the configuration), for inspect.
  std::string configuration;
  /// The group's ops, anchor first.
  std::vector<std::string> fusedOps;
  std::vector<mlir::kiln::ElementKind> inputKinds, outputKinds;
  std::vector<unsigned> inputRanks, outputRanks;
  /// Launch, over the dims table.
  ShapeExpr grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  ShapeExpr dynamicSharedBytes = 0;
  ShapeExpr workspaceBytes = 0;
  /// No barrier or warp collective: the simulator may run it without fibers.
  bool barrierFree = false;
  /// The workspace's first int is an error flag (a gather's out-of-range
  /// index): zero it before the launch; set after means the op failed.
  bool errorFlag = false;

  /// Index of the first dim of input `i` / result `i` in the dims table.
  unsigned inputDimsOffset(unsigned i) const;
  unsigned outputDimsOffset(unsigned i) const;
  unsigned numDims() const;
};

struct FusionModule {
  std::string source;
  std::string fileName;
  std::vector<FusionKernel> kernels;
};

struct FusionEmitOptions {
  /// Which configuration of each group to use: its `#kiln.kernel` for
  /// (arch, profile); a group without one gets the template's default.
  std::string arch = "host";
  int64_t profile = 0;
};

/// Whether `group` has an anchor op this emitter handles (and otherwise
/// why not, as an error naming the op).
llvm::Error checkAnchoredGroup(mlir::kiln::FusionOp group);

/// Emits every `kiln.fusion` of `function` into one translation unit: a
/// grid-stride kernel for a group of elementwise ops only, a template
/// instantiation with functors for an anchored group. Fails, naming the op,
/// on a group it cannot lower.
llvm::Expected<FusionModule>
emitFusionModule(mlir::func::FuncOp function,
                 const FusionEmitOptions &options = {});

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_FUSIONEMITTER_H
