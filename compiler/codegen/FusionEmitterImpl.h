//===- FusionEmitterImpl.h - What the per-family emitters share -*- C++ -*-===//
//
// Internal to compiler/codegen: the analysed group (anchor, prologue,
// epilogue) and the GroupWriter that family emitters (FusionFamilies.cpp)
// use to write a group's functors and kernel.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_FUSIONEMITTERIMPL_H
#define KILN_COMPILER_CODEGEN_FUSIONEMITTERIMPL_H

#include "compiler/codegen/FusionEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kiln::codegen {
class ScalarEmitter;
} // namespace kiln::codegen

namespace kiln::codegen::detail {

struct GroupPlan {
  mlir::kiln::FusionOp group;
  mlir::Operation *anchor = nullptr;
  /// Elementwise ops before the anchor (they compute its operands).
  std::vector<mlir::Operation *> prologue;
  /// Elementwise ops after it (they consume its result), in order.
  std::vector<mlir::Operation *> epilogue;
  /// What the group yields.
  mlir::Value result;
};

class GroupWriter {
public:
  GroupWriter(const GroupPlan &plan, FusionKernel &kernel,
              mlir::kiln::KernelConfigAttr config, llvm::raw_ostream &os,
              std::set<std::string> &includes)
      : plan(plan), kernel(kernel), config(config), os(os), includes(includes) {
  }

  const GroupPlan &plan;
  FusionKernel &kernel;
  /// The group's configuration for the target, or null (use the default).
  mlir::kiln::KernelConfigAttr config;
  llvm::raw_ostream &os;

  /// Dim `d` of group input / result, as an entry of the dims table.
  ShapeExpr inputDim(unsigned input, unsigned d) const;
  ShapeExpr outputDim(unsigned result, unsigned d) const;
  std::vector<ShapeExpr> inputShape(unsigned input) const;
  std::vector<ShapeExpr> outputShape(unsigned result) const;
  /// The group input `value` is, if it is one.
  std::optional<unsigned> inputIndex(mlir::Value value) const;
  /// `e` as C++ over the kernel's dims parameter `d`.
  std::string dim(const ShapeExpr &e) const;
  std::string dimsType() const;
  std::string inputType(unsigned input) const;
  std::string outputType(unsigned result) const;
  /// `(const T *in0, ..., T *out0, ..., void *workspace, <dims> d)`.
  std::string kernelSignature() const;
  /// The kernel's first line, through the opening brace. The launch bounds
  /// say one block per SM at least: without the minimum, CUDA 13's ptxas
  /// aims at higher occupancy steps and may spill to reach them.
  std::string kernelHead(unsigned threads) const;

  /// Writes a functor struct computing `resultValue` from `ops`, with
  /// `bound` values given by the signature's parameters (e.g. the anchor's
  /// result as `acc`). Group inputs the ops read are loaded at the linear
  /// index `linearIndex` (C++ over the signature's parameters) of a tensor
  /// of `targetShape`, numpy-broadcast; `shapeReference` has that shape.
  /// `extraInputs` are loaded too (as `x<k>`), for bound expressions that
  /// use them (a linear op's bias). Returns the struct's text;
  /// functorInit(structName) then gives the expression constructing it
  /// inside the kernel.
  llvm::Expected<std::string>
  emitFunctor(const std::string &structName,
              llvm::ArrayRef<mlir::Operation *> ops,
              llvm::ArrayRef<std::pair<mlir::Value, std::string>> bound,
              mlir::Value resultValue, mlir::Type shapeReference,
              const std::vector<ShapeExpr> &targetShape,
              const std::string &signature, const std::string &linearIndex,
              llvm::ArrayRef<unsigned> extraInputs = {});
  std::string functorInit(const std::string &structName) const;
  /// Includes compiler/codegen/kernels/<header> in the translation unit.
  void include(const std::string &header) { includes.insert(header); }

  /// How group input `input` is read at linear index `i` of a tensor of
  /// `targetShape`: at `i` (same dims), at 0 (one element), at `i` when the
  /// run-time test `sameTest` holds (dynamic dims that may broadcast), or
  /// through numpy broadcasting.
  enum class Access { Direct, Scalar, DirectIfSame, Broadcast };
  llvm::Expected<Access> classify(unsigned input, mlir::Type shapeReference,
                                  const std::vector<ShapeExpr> &targetShape,
                                  std::string &sameTest) const;

  /// Statements loading group `inputs` (as `x<k>`, bound in `scalars`) at
  /// linear index `i` of a tensor of `targetShape`: at `i` itself for an
  /// input statically of the type `shapeReference`, at 0 for one element,
  /// numpy-broadcast otherwise.
  llvm::Error emitLoads(llvm::raw_ostream &os, ScalarEmitter &scalars,
                        llvm::ArrayRef<unsigned> inputs,
                        mlir::Type shapeReference,
                        const std::vector<ShapeExpr> &targetShape,
                        const std::string &indent);

private:
  llvm::StringMap<std::string> functorInits;
  std::set<std::string> &includes;
};

/// A kernel-library family: which anchor ops it implements, its header, and
/// how to emit a group around one.
struct Family {
  const char *name;
  bool (*matches)(mlir::Operation *anchor);
  llvm::Error (*emit)(GroupWriter &writer);
};

/// The family implementing `anchor`, or nullptr.
const Family *findFamily(mlir::Operation *anchor);

/// `value` computed in float, rounded to `kind` as the evaluator rounds an
/// op's result (f16/bf16), for expressions bound in functors.
std::string roundTo(mlir::kiln::ElementKind kind, const std::string &value);

// The families (one file each).
bool isGemmAnchor(mlir::Operation *op);
llvm::Error emitGemm(GroupWriter &writer);
bool isAttentionAnchor(mlir::Operation *op);
llvm::Error emitAttention(GroupWriter &writer);
bool isConvAnchor(mlir::Operation *op);
llvm::Error emitConv(GroupWriter &writer);
bool isCopyAnchor(mlir::Operation *op);
llvm::Error emitCopy(GroupWriter &writer);
bool isRowAnchor(mlir::Operation *op);
llvm::Error emitRow(GroupWriter &writer);

} // namespace kiln::codegen::detail

#endif // KILN_COMPILER_CODEGEN_FUSIONEMITTERIMPL_H
