//===- FusionFamilies.cpp - Anchor ops to kernel-library templates --------===//
//
// One entry per kernel-library family: the anchor ops it implements and the
// function writing a group's kernel around it (functors from the fused ops,
// the template instantiation, the launch as ShapeExprs).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen::detail {
namespace {

const Family kFamilies[] = {
    {"gemm", isGemmAnchor, emitGemm},
    {"row", isRowAnchor, emitRow},
    {"copy", isCopyAnchor, emitCopy},
    {"attention", isAttentionAnchor, emitAttention},
    {"conv", isConvAnchor, emitConv},
};

} // namespace

std::string roundTo(ElementKind kind, const std::string &value) {
  if (kind == ElementKind::F16)
    return "kiln_round_f16(" + value + ")";
  if (kind == ElementKind::BF16)
    return "kiln_round_bf16(" + value + ")";
  return value;
}

const Family *findFamily(Operation *anchor) {
  for (const Family &family : kFamilies)
    if (family.matches(anchor))
      return &family;
  return nullptr;
}

} // namespace kiln::codegen::detail
