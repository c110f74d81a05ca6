//===- ElementwiseEmitter.cpp - Elementwise fusion groups to CUDA C++ -----===//
//
// A grid-stride loop per group; the per-element statements come from the
// ScalarEmitter (evaluator semantics, see ScalarEmitter.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ElementwiseEmitter.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen {

unsigned ElementwiseKernelInfo::numStrided() const {
  unsigned count = 0;
  for (OperandAccess access : inputAccess)
    count += access == OperandAccess::Strided;
  return count;
}

std::string sanitizeIdentifier(llvm::StringRef name) {
  std::string result;
  for (char c : name)
    result += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (result.empty() || std::isdigit(static_cast<unsigned char>(result[0])))
    result.insert(0, "_");
  return result;
}

namespace {
/// Emits one group.
class GroupEmitter {
public:
  GroupEmitter(FusionOp group, ElementwiseKernelInfo &info,
               llvm::raw_ostream &os)
      : group(group), info(info), os(os), scalars(os) {}

  llvm::Error emit();

private:
  FusionOp group;
  ElementwiseKernelInfo &info;
  llvm::raw_ostream &os;
  ScalarEmitter scalars;
};

llvm::Error GroupEmitter::emit() {
  Block &body = group.getBody().front();
  auto results = group.getResults();
  if (results.empty())
    return codegenError(group, "a group without results has no kernel");
  auto outType = cast<RankedTensorType>(results[0].getType());
  for (Value result : results)
    if (cast<RankedTensorType>(result.getType()).getShape() !=
        outType.getShape())
      return codegenError(group,
                          "results of different shapes are not supported");
  info.rank = outType.getRank();
  for (BlockArgument argument : body.getArguments()) {
    auto type = cast<RankedTensorType>(argument.getType());
    std::optional<ElementKind> kind = getElementKind(type.getElementType());
    if (!kind)
      return codegenError(group, "unsupported element type");
    info.inputKinds.push_back(*kind);
    OperandAccess access = OperandAccess::Strided;
    if (type.getRank() == 0)
      access = OperandAccess::Scalar;
    else if (type.hasStaticShape() && outType.hasStaticShape() &&
             type.getShape() == outType.getShape())
      access = OperandAccess::Direct;
    info.inputAccess.push_back(access);
  }
  for (Value result : results)
    info.outputKinds.push_back(kindOf(result));

  unsigned rank = info.rank, strided = info.numStrided();
  std::string params = info.name + "_params";
  os << "\n// kiln.fusion #" << info.groupIndex << ": "
     << body.getNumArguments() << " inputs, " << results.size()
     << " outputs, rank " << rank << "\n";
  os << "struct " << params << " {\n  long long numel;\n";
  if (rank > 0 && strided > 0) {
    os << "  long long dims[" << rank << "];\n";
    os << "  long long strides[" << strided << "][" << rank << "];\n";
  }
  os << "};\n\n";
  os << "extern \"C\" __global__ void " << info.name << "(";
  for (auto [i, kind] : llvm::enumerate(info.inputKinds))
    os << "const " << storageType(kind) << " *__restrict__ in" << i << ", ";
  for (auto [i, kind] : llvm::enumerate(info.outputKinds))
    os << storageType(kind) << " *__restrict__ out" << i << ", ";
  os << params << " p) {\n";
  os << "  for (long long i = (long long)blockIdx.x * blockDim.x + "
        "threadIdx.x; i < p.numel;\n       i += (long long)gridDim.x * "
        "blockDim.x) {\n";
  if (strided > 0 && rank > 0) {
    // The output coordinates, innermost first; the outermost one is what is
    // left, so it needs no division.
    os << "    long long rem = i;\n";
    for (int d = rank - 1; d > 0; --d)
      os << "    long long c" << d << " = rem % p.dims[" << d
         << "];\n    rem /= p.dims[" << d << "];\n";
    os << "    long long c0 = rem;\n";
  }
  unsigned stridedIndex = 0;
  for (auto [i, argument] : llvm::enumerate(body.getArguments())) {
    std::string index;
    switch (info.inputAccess[i]) {
    case OperandAccess::Direct:
      index = "i";
      break;
    case OperandAccess::Scalar:
      index = "0";
      break;
    case OperandAccess::Strided: {
      std::string offset = "off" + std::to_string(i);
      os << "    long long " << offset << " = ";
      for (unsigned d = 0; d < rank; ++d)
        os << (d ? " + " : "") << "c" << d << " * p.strides[" << stridedIndex
           << "][" << d << "]";
      os << ";\n";
      ++stridedIndex;
      index = offset;
      break;
    }
    }
    ElementKind kind = info.inputKinds[i];
    std::string load = "in" + std::to_string(i) + "[" + index + "]";
    if (kind == ElementKind::F16)
      load = "__half2float(" + load + ")";
    else if (kind == ElementKind::BF16)
      load = "__bfloat162float(" + load + ")";
    std::string name = "a" + std::to_string(i);
    os << "    " << computeType(kind) << " " << name << " = " << load << ";\n";
    scalars.bind(argument, name);
  }
  for (Operation &op : body.without_terminator()) {
    if (op.getNumResults() != 1)
      return codegenError(&op, "expects one result");
    if (!getElementKind(
            cast<ShapedType>(op.getResult(0).getType()).getElementType()))
      return codegenError(&op, "unsupported element type");
    if (llvm::Error error = scalars.emitOp(&op))
      return error;
  }
  Operation *terminator = body.getTerminator();
  for (auto [i, value] : llvm::enumerate(terminator->getOperands())) {
    ElementKind kind = info.outputKinds[i];
    std::string stored = scalars.lookup(value);
    if (kind == ElementKind::F16)
      stored = "__float2half(" + stored + ")";
    else if (kind == ElementKind::BF16)
      stored = "__float2bfloat16(" + stored + ")";
    os << "    out" << i << "[i] = " << stored << ";\n";
  }
  os << "  }\n}\nKILN_HOST_KERNEL_ENTRY(" << info.name << ")\n";
  return llvm::Error::success();
}

} // namespace

llvm::Error checkElementwiseGroup(FusionOp group) {
  for (Operation &op : group.getBody().front().without_terminator())
    if (!isScalarOp(&op))
      return codegenError(&op, "is not an elementwise op the emitter handles");
  return llvm::Error::success();
}

llvm::Expected<ElementwiseModule> emitElementwiseModule(func::FuncOp function) {
  ElementwiseModule module;
  std::string functionName = sanitizeIdentifier(function.getSymName());
  module.fileName = "kiln_" + functionName + ".cu";
  llvm::raw_string_ostream os(module.source);
  os << scalarPrelude();
  unsigned index = 0;
  llvm::Error error = llvm::Error::success();
  function.walk([&](FusionOp group) {
    if (error)
      return WalkResult::interrupt();
    if ((error = checkElementwiseGroup(group)))
      return WalkResult::interrupt();
    ElementwiseKernelInfo info;
    info.groupIndex = index++;
    info.name =
        "kiln_" + functionName + "_fusion" + std::to_string(info.groupIndex);
    GroupEmitter emitter(group, info, os);
    if ((error = emitter.emit()))
      return WalkResult::interrupt();
    module.kernels.push_back(std::move(info));
    return WalkResult::advance();
  });
  if (error)
    return std::move(error);
  return module;
}

llvm::Expected<std::vector<int64_t>>
packElementwiseParams(const ElementwiseKernelInfo &kernel,
                      llvm::ArrayRef<int64_t> outputShape,
                      llvm::ArrayRef<std::vector<int64_t>> inputShapes) {
  if (outputShape.size() != kernel.rank)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "output rank %zu, kernel rank %u",
                                   outputShape.size(), kernel.rank);
  if (inputShapes.size() != kernel.inputKinds.size())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(), "%zu input shapes for %zu inputs",
        inputShapes.size(), kernel.inputKinds.size());
  int64_t numel = 1;
  for (int64_t dim : outputShape)
    numel *= dim;
  std::vector<int64_t> words{numel};
  unsigned rank = kernel.rank, strided = kernel.numStrided();
  if (rank == 0 || strided == 0)
    return words;
  words.insert(words.end(), outputShape.begin(), outputShape.end());
  for (auto [i, shape] : llvm::enumerate(inputShapes)) {
    if (kernel.inputAccess[i] != OperandAccess::Strided)
      continue;
    if (shape.size() > rank)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "input %zu has rank %zu > %u", i,
                                     shape.size(), rank);
    // numpy alignment: the input's dims match the output's last ones.
    std::vector<int64_t> strides(rank, 0);
    int64_t stride = 1;
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      unsigned outDim = rank - shape.size() + d;
      if (shape[d] != 1 && shape[d] != outputShape[outDim])
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "input %zu dim %d (%lld) does not broadcast to %lld", i, d,
            static_cast<long long>(shape[d]),
            static_cast<long long>(outputShape[outDim]));
      strides[outDim] = shape[d] == 1 ? 0 : stride;
      stride *= shape[d];
    }
    words.insert(words.end(), strides.begin(), strides.end());
  }
  return words;
}

} // namespace kiln::codegen
