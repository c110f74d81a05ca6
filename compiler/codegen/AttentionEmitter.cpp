//===- AttentionEmitter.cpp - kiln.attention groups -----------------------===//
//
// A group anchored on kiln.attention, lowered to attention.cuh's forward
// kernel: the tensor-core body for f16/bf16 storage (head dim a multiple of
// 64), the SIMT body for f32. q, k, v and the mask must be group inputs
// (a prologue would have to be recomputed per key tile); elementwise ops
// after the attention are its epilogue functor, called with (value, row =
// (b * Hq + h) * S + i, col = d), i.e. the output element row * D + col.
//
// The head dim must be static (it is a template parameter). The mask
// broadcasts to [B, Hq, S, T] as in numpy: its element strides are computed
// in the kernel from its run-time dims (0 where a dim is 1).
//
// Tiles come from the group's #kiln.kernel (template "attention", tile =
// [blockM, blockN] for the tensor-core body, [blockM, warps] for the SIMT
// one) or attention.cuh's defaults; the launch formulas are written here
// and checked against the template's own by static_asserts in the kernel.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen::detail {

bool isAttentionAnchor(Operation *op) { return isa<AttentionOp>(op); }

llvm::Error emitAttention(GroupWriter &w) {
  auto attention = cast<AttentionOp>(w.plan.anchor);
  if (!w.plan.prologue.empty())
    return codegenError(w.plan.prologue.front(),
                        "cannot be fused before an attention (its operands "
                        "are read tile by tile)");
  std::optional<unsigned> q = w.inputIndex(attention.getQuery());
  std::optional<unsigned> k = w.inputIndex(attention.getKey());
  std::optional<unsigned> v = w.inputIndex(attention.getValue());
  Value maskValue = attention.getMask();
  std::optional<unsigned> mask =
      maskValue ? w.inputIndex(maskValue) : std::nullopt;
  if (!q || !k || !v || (maskValue && !mask))
    return codegenError(attention, "operands must be inputs of the group");
  FusionKernel &kernel = w.kernel;
  ElementKind kind = kernel.inputKinds[*q];
  if (kernel.inputKinds[*k] != kind || kernel.inputKinds[*v] != kind)
    return codegenError(attention, "q, k and v of different element types");
  if (kindOf(attention.getResult()) != kind || kernel.outputKinds[0] != kind)
    return codegenError(attention, "the group's result must have q's element "
                                   "type (the template stores it)");
  bool boolMask = mask && kernel.inputKinds[*mask] == ElementKind::I1;
  if (mask && !boolMask && kernel.inputKinds[*mask] != kind)
    return codegenError(attention, "a float mask must have q's element type");
  std::optional<int64_t> d = w.inputDim(*q, 3).constantValue();
  std::optional<int64_t> dv = w.inputDim(*v, 3).constantValue();
  if (!d || !dv || *d != *dv)
    return codegenError(attention, "the head dim must be static and the "
                                   "same for queries and values");
  bool simt = kind == ElementKind::F32;
  if (!simt && *d % 64)
    return codegenError(attention, "the tensor-core attention takes head "
                                   "dims that are multiples of 64");
  if (simt && *d % 4)
    return codegenError(attention, "the f32 attention takes head dims that are "
                                   "multiples of 4");

  // The tile: [blockM, blockN] (tensor cores) or [blockM, warps] (SIMT).
  int64_t blockM, second;
  if (simt) {
    blockM = *d <= 64 ? 32 : 16;
    second = *d <= 64 ? 8 : 4;
  } else {
    blockM = 64;
    second = 32;
  }
  if (w.config && w.config.getTemplateName() == "attention") {
    llvm::ArrayRef<int64_t> tile = w.config.getTile();
    if (tile.size() != 2)
      return codegenError(attention, simt ? "attention takes tile = [blockM, "
                                            "warps] for f32"
                                          : "attention takes tile = [blockM, "
                                            "blockN] for f16/bf16");
    blockM = tile[0];
    second = tile[1];
  }
  int64_t threads, smem;
  std::string config;
  int64_t elemBytes = kind == ElementKind::F32 ? 4 : 2;
  if (simt) {
    if (blockM <= 0 || second <= 0 || blockM % second || second > 32)
      return codegenError(attention, "attention tile: blockM must be a "
                                     "multiple of the warps (at most 32)");
    threads = second * 32;
    smem = 4 * (blockM * *d + 32 * (*d + 4) + 32 * *d + blockM * 32);
    config = llvm::formatv("kiln::kernels::AttentionSimtConfig<{0}, {1}, {2}>",
                           *d, blockM, second)
                 .str();
    kernel.configuration =
        llvm::formatv("SIMT, head dim {0}, {1} query rows, {2} warps", *d,
                      blockM, second)
            .str();
  } else {
    if (blockM <= 0 || blockM % 16 || second <= 0 || second % 16)
      return codegenError(attention, "attention tile: blockM and blockN must "
                                     "be multiples of 16");
    threads = blockM / 16 * 32;
    smem = elemBytes * *d * (blockM + 4 * second);
    config = llvm::formatv("kiln::kernels::AttentionTcConfig<{0}, {1}, {2}>",
                           *d, blockM, second)
                 .str();
    kernel.configuration =
        llvm::formatv("tensor cores, head dim {0}, {1} query rows, {2} keys "
                      "per tile",
                      *d, blockM, second)
            .str();
  }
  if (smem > 48 * 1024)
    return codegenError(attention,
                        llvm::formatv("attention tile needs {0} bytes of "
                                      "shared memory (at most 49152)",
                                      smem)
                            .str());
  kernel.templateName = "attention";
  w.include("attention.cuh");
  ShapeExpr batch = w.inputDim(*q, 0), heads = w.inputDim(*q, 1);
  ShapeExpr queries = w.inputDim(*q, 2);
  kernel.grid[0] = max(ceilDiv(queries, blockM), 1);
  kernel.grid[1] = heads;
  kernel.grid[2] = batch;
  kernel.block[0] = static_cast<unsigned>(threads);
  kernel.dynamicSharedBytes = smem;

  // The epilogue, on the output element (row = (b * Hq + h) * S + i).
  std::string epilogueName = kernel.name + "_epilogue";
  llvm::Expected<std::string> epilogue = w.emitFunctor(
      epilogueName, w.plan.epilogue,
      {{attention.getResult(), roundTo(kind, "value")}}, w.plan.result,
      w.plan.result.getType(), w.outputShape(0),
      "float value, kiln::kernels::Index row, kiln::kernels::Index col",
      "row * " + std::to_string(*d) + "LL + col");
  if (!epilogue)
    return epilogue.takeError();

  std::string type = w.inputType(*q);
  std::string maskType = boolMask ? "bool" : type;
  llvm::raw_ostream &os = w.os;
  os << *epilogue;
  os << w.kernelHead(threads) << "  using Config = " << config << ";\n"
     << "  static_assert(Config::kThreads == " << threads
     << ", \"the launch's block\");\n"
     << "  static_assert(kiln::kernels::attentionSharedBytes<Config, " << type
     << ">() == " << smem << ", \"the launch's dynamic shared memory\");\n"
     << "  kiln::kernels::AttentionParams<" << type << ", " << maskType
     << "> p;\n"
     << "  p.q = in" << *q << ";\n  p.k = in" << *k << ";\n  p.v = in" << *v
     << ";\n  p.out = out0;\n";
  if (mask) {
    // numpy broadcasting of the mask to [B, Hq, S, T]: strides from its
    // run-time dims, 0 where a dim is 1 (or absent).
    unsigned rank = kernel.inputRanks[*mask];
    os << "  p.mask = in" << *mask << ";\n  {\n"
       << "    kiln::kernels::Index stride = 1;\n";
    for (int dim = 3; dim >= 0; --dim) {
      int md = dim - (4 - static_cast<int>(rank));
      if (md < 0)
        continue;
      std::string extent = w.dim(w.inputDim(*mask, md));
      os << "    p.maskStride[" << dim << "] = " << extent
         << " == 1 ? 0 : stride;\n"
         << "    stride *= " << extent << ";\n";
    }
    os << "  }\n";
  }
  auto causal = attention.getCausal();
  os << "  p.batch = static_cast<int>(" << w.dim(batch) << ");\n"
     << "  p.queryHeads = static_cast<int>(" << w.dim(heads) << ");\n"
     << "  p.kvHeads = static_cast<int>(" << w.dim(w.inputDim(*k, 1)) << ");\n"
     << "  p.queries = " << w.dim(queries) << ";\n"
     << "  p.keys = " << w.dim(w.inputDim(*k, 2)) << ";\n"
     << "  p.scale = " << floatLiteral(attention.getScale().convertToDouble())
     << ";\n"
     << "  p.causal = "
     << (causal == CausalAlignment::none         ? "kiln::kernels::"
                                                   "kAttentionCausalNone"
         : causal == CausalAlignment::upper_left ? "kiln::kernels::"
                                                   "kAttentionCausalUpperLeft"
                                                 : "kiln::kernels::"
                                                   "kAttentionCausalLowerRight")
     << ";\n"
     << "  kiln::kernels::attentionForward<Config>(p, "
     << w.functorInit(epilogueName) << ");\n}\n";
  return llvm::Error::success();
}

} // namespace kiln::codegen::detail
