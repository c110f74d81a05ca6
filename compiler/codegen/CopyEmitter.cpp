//===- CopyEmitter.cpp - Transpose, slice, concat and gather groups -------===//
//
// Data-movement groups: one kiln.transpose, kiln.slice, kiln.concat,
// kiln.gather or kiln.gather_elements, lowered to copy.cuh. Elements move
// bit for bit, so no elementwise op is fused with them (a fusion pass
// that wants one moves it to the consumer instead).
//
// The copy templates plan their work from the run-time shape inside the
// kernel (dropping extent-1 dims, merging contiguous ones, choosing the
// tiled transpose or a vectorized strided copy) and are grid-stride, so the
// launch formula only needs the number of output elements: 256 threads,
// one block per 1024 elements, capped at 65535.
//
// Gathers clamp an out-of-range index instead of reading out of bounds and
// set an int flag in the workspace (FusionKernel::errorFlag): the runtime
// zeroes it before the launch and reports the op if it is set after.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen::detail {

bool isCopyAnchor(Operation *op) {
  return isa<TransposeOp, SliceOp, ConcatOp, GatherOp, GatherElementsOp>(op);
}

namespace {

/// `const kiln::kernels::Index name[] = {...};` (one element at least).
std::string indexArray(const std::string &name,
                       const std::vector<std::string> &values) {
  std::string s = "  const kiln::kernels::Index " + name + "[" +
                  std::to_string(std::max<size_t>(1, values.size())) + "] = {";
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? ", " : "") + values[i];
  if (values.empty())
    s += "0";
  return s + "};\n";
}

std::vector<std::string> dimsOf(GroupWriter &w,
                                const std::vector<ShapeExpr> &shape) {
  std::vector<std::string> out;
  for (const ShapeExpr &e : shape)
    out.push_back(w.dim(e));
  return out;
}

std::vector<std::string> literals(llvm::ArrayRef<int64_t> values) {
  std::vector<std::string> out;
  for (int64_t v : values)
    out.push_back(intLiteral(v));
  return out;
}

} // namespace

llvm::Error emitCopy(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  if (!w.plan.prologue.empty() || !w.plan.epilogue.empty())
    return codegenError(!w.plan.prologue.empty() ? w.plan.prologue.front()
                                                 : w.plan.epilogue.front(),
                        "cannot be fused with a data-movement op (its "
                        "elements are copied bit for bit)");
  for (Value operand : anchor->getOperands())
    if (!w.inputIndex(operand))
      return codegenError(anchor, "operands must be inputs of the group");
  FusionKernel &kernel = w.kernel;
  w.include("copy.cuh");
  std::vector<ShapeExpr> outShape = w.outputShape(0);
  kernel.grid[0] = max(min(ceilDiv(product(outShape), 1024), 65535), 1);
  kernel.block[0] = 256;
  std::string type = w.outputType(0);
  unsigned rank = kernel.outputRanks[0];
  if (rank > 6)
    return codegenError(anchor, "copies of rank above 6 are not supported");
  llvm::raw_ostream &os = w.os;
  os << w.kernelHead(256);
  std::string config = "kiln::kernels::DefaultCopyConfig";
  if (auto transpose = dyn_cast<TransposeOp>(anchor)) {
    unsigned in = *w.inputIndex(transpose.getInput());
    kernel.templateName = "transpose";
    kernel.configuration =
        "tiled 32x32 (8 rows per pass) or strided copy, chosen at run time";
    os << indexArray("shape", dimsOf(w, w.inputShape(in)))
       << indexArray("perm", literals(transpose.getPermutation()))
       << "  const auto plan = kiln::kernels::makeTransposePlan<" << type
       << ">(in" << in << ", out0, " << rank << ", shape, perm);\n"
       << "  if (plan.tiled)\n"
       << "    kiln::kernels::transposeTiled<"
          "kiln::kernels::DefaultTransposeConfig>(plan.tile);\n"
       << "  else\n"
       << "    kiln::kernels::stridedCopy<" << config << ">(plan.copy);\n";
  } else if (auto slice = dyn_cast<SliceOp>(anchor)) {
    unsigned in = *w.inputIndex(slice.getInput());
    kernel.templateName = "slice";
    kernel.configuration = "strided copy, 256 threads x 4 items";
    kernel.barrierFree = true;
    os << indexArray("shape", dimsOf(w, w.inputShape(in)))
       << indexArray("starts", literals(slice.getStarts()))
       << indexArray("ends", literals(slice.getEnds()))
       << indexArray("steps", literals(slice.getSteps()))
       << "  kiln::kernels::stridedCopy<" << config
       << ">(kiln::kernels::makeSliceCopy<" << type << ">(in" << in
       << ", out0, " << rank << ", shape, starts, ends, steps));\n";
  } else if (auto concat = dyn_cast<ConcatOp>(anchor)) {
    int64_t axis = concat.getAxis();
    unsigned n = concat.getInputs().size();
    kernel.templateName = "concat";
    kernel.configuration = llvm::formatv("{0} inputs, 256 threads x 4 items, "
                                         "8 inputs per pass",
                                         n)
                               .str();
    kernel.barrierFree = true;
    std::vector<std::string> extents, inputs;
    for (Value input : concat.getInputs()) {
      unsigned i = *w.inputIndex(input);
      extents.push_back(w.dim(w.inputDim(i, axis)));
      inputs.push_back("in" + std::to_string(i));
    }
    os << indexArray("shape", dimsOf(w, outShape))
       << indexArray("extents", extents) << "  const " << type
       << " *const inputs[" << n << "] = {";
    for (unsigned i = 0; i < n; ++i)
      os << (i ? ", " : "") << inputs[i];
    os << "};\n";
    // Groups of eight inputs, each writing its own columns of the output.
    os << "  kiln::kernels::Index offset = 0;\n"
       << "  for (int first = 0; first < " << n << "; first += 8) {\n"
       << "    const int count = " << n << " - first < 8 ? " << n
       << " - first : 8;\n"
       << "    kiln::kernels::concat<" << config
       << ">(kiln::kernels::makeConcatParams<" << type << ">(out0, " << rank
       << ", shape, " << axis
       << ", count, inputs + first, extents + first, offset));\n"
       << "    for (int k = first; k < first + count; ++k)\n"
       << "      offset += extents[k];\n"
       << "  }\n";
  } else if (auto gather = dyn_cast<GatherOp>(anchor)) {
    unsigned data = *w.inputIndex(gather.getData());
    unsigned indices = *w.inputIndex(gather.getIndices());
    kernel.templateName = "gather";
    kernel.configuration = "256 threads x 4 items";
    kernel.barrierFree = true;
    kernel.errorFlag = true;
    kernel.workspaceBytes = 4;
    os << indexArray("shape", dimsOf(w, w.inputShape(data)))
       << "  kiln::kernels::gather<" << config
       << ">(kiln::kernels::makeGatherParams<" << type << ", "
       << w.inputType(indices) << ">(in" << data << ", in" << indices
       << ", out0, " << kernel.inputRanks[data] << ", shape, "
       << gather.getAxis() << ", " << w.dim(product(w.inputShape(indices)))
       << ", static_cast<int *>(workspace)));\n";
  } else {
    auto elements = cast<GatherElementsOp>(anchor);
    unsigned data = *w.inputIndex(elements.getData());
    unsigned indices = *w.inputIndex(elements.getIndices());
    kernel.templateName = "gather_elements";
    kernel.configuration = "256 threads x 4 items";
    kernel.barrierFree = true;
    kernel.errorFlag = true;
    kernel.workspaceBytes = 4;
    os << indexArray("shape", dimsOf(w, w.inputShape(data)))
       << indexArray("indexShape", dimsOf(w, w.inputShape(indices)))
       << "  kiln::kernels::gatherElements<" << config
       << ">(kiln::kernels::makeGatherElementsParams<" << type << ", "
       << w.inputType(indices) << ">(in" << data << ", in" << indices
       << ", out0, " << rank << ", shape, indexShape, " << elements.getAxis()
       << ", static_cast<int *>(workspace)));\n";
  }
  os << "}\n";
  return llvm::Error::success();
}

} // namespace kiln::codegen::detail
