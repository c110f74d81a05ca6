//===- FusionEmitter.cpp - Anchored fusion groups to CUDA C++ -------------===//

#include "compiler/codegen/FusionEmitter.h"
#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen {

unsigned FusionKernel::inputDimsOffset(unsigned i) const {
  unsigned offset = 0;
  for (unsigned k = 0; k < i; ++k)
    offset += inputRanks[k];
  return offset;
}

unsigned FusionKernel::outputDimsOffset(unsigned i) const {
  unsigned offset = inputDimsOffset(inputRanks.size());
  for (unsigned k = 0; k < i; ++k)
    offset += outputRanks[k];
  return offset;
}

unsigned FusionKernel::numDims() const {
  return outputDimsOffset(outputRanks.size());
}

namespace detail {

//===----------------------------------------------------------------------===//
// GroupWriter
//===----------------------------------------------------------------------===//

// Static dims are constants (folded into the formulas and the kernel);
// dynamic ones are entries of the dims table.
ShapeExpr GroupWriter::inputDim(unsigned input, unsigned d) const {
  auto type = cast<RankedTensorType>(
      FusionOp(plan.group).getBody().front().getArgument(input).getType());
  if (!type.isDynamicDim(d))
    return ShapeExpr(type.getDimSize(d));
  return ShapeExpr::dim(kernel.inputDimsOffset(input) + d);
}

ShapeExpr GroupWriter::outputDim(unsigned result, unsigned d) const {
  auto type =
      cast<RankedTensorType>(FusionOp(plan.group).getResult(result).getType());
  if (!type.isDynamicDim(d))
    return ShapeExpr(type.getDimSize(d));
  return ShapeExpr::dim(kernel.outputDimsOffset(result) + d);
}

std::vector<ShapeExpr> GroupWriter::inputShape(unsigned input) const {
  std::vector<ShapeExpr> dims;
  for (unsigned d = 0; d < kernel.inputRanks[input]; ++d)
    dims.push_back(inputDim(input, d));
  return dims;
}

std::vector<ShapeExpr> GroupWriter::outputShape(unsigned result) const {
  std::vector<ShapeExpr> dims;
  for (unsigned d = 0; d < kernel.outputRanks[result]; ++d)
    dims.push_back(outputDim(result, d));
  return dims;
}

std::optional<unsigned> GroupWriter::inputIndex(Value value) const {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &FusionOp(plan.group).getBody().front())
    return std::nullopt;
  return arg.getArgNumber();
}

std::string GroupWriter::dim(const ShapeExpr &e) const {
  return e.toCpp("d.v");
}

std::string GroupWriter::dimsType() const { return kernel.name + "_dims"; }

std::string GroupWriter::inputType(unsigned input) const {
  return storageType(kernel.inputKinds[input]);
}
std::string GroupWriter::outputType(unsigned result) const {
  return storageType(kernel.outputKinds[result]);
}

/// Whether `type` is statically the same shape as `target`.
static bool sameStaticShape(Type type, Type target) {
  auto a = cast<RankedTensorType>(type), b = cast<RankedTensorType>(target);
  return a.hasStaticShape() && b.hasStaticShape() &&
         a.getShape() == b.getShape();
}

static bool staticallyOneElement(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.hasStaticShape() && t.getNumElements() == 1;
}

llvm::Expected<GroupWriter::Access>
GroupWriter::classify(unsigned input, Type shapeReference,
                      const std::vector<ShapeExpr> &targetShape,
                      std::string &sameTest) const {
  Value arg = FusionOp(plan.group).getBody().front().getArgument(input);
  unsigned rank = targetShape.size(), inRank = kernel.inputRanks[input];
  if (inRank > rank)
    return codegenError(plan.anchor ? plan.anchor
                                    : FusionOp(plan.group).getOperation(),
                        "a fused operand has more dims than the result");
  // Same dims as the target (statically, or the very dims it is made of):
  // read at `i`. Dims that may differ only at run time (dynamic ones) get
  // a run-time test, so the division-free path is the common one.
  bool sameDims = inRank == rank;
  sameTest.clear();
  for (unsigned d = 0; sameDims && d < rank; ++d) {
    ShapeExpr a = inputDim(input, d), t = targetShape[d];
    if (a.toString() == t.toString())
      continue;
    std::optional<int64_t> ka = a.constantValue(), kt = t.constantValue();
    if (ka && kt) {
      sameDims = *ka == *kt;
      continue;
    }
    sameTest += (sameTest.empty() ? "" : " && ") + dim(a) + " == " + dim(t);
  }
  sameDims = sameDims || sameStaticShape(arg.getType(), shapeReference);
  if (sameDims && sameTest.empty())
    return Access::Direct;
  if (staticallyOneElement(arg.getType()))
    return Access::Scalar;
  return sameDims ? Access::DirectIfSame : Access::Broadcast;
}

llvm::Error GroupWriter::emitLoads(llvm::raw_ostream &os,
                                   ScalarEmitter &scalars,
                                   llvm::ArrayRef<unsigned> inputs,
                                   Type shapeReference,
                                   const std::vector<ShapeExpr> &targetShape,
                                   const std::string &indent) {
  unsigned rank = targetShape.size();
  // The broadcast offset of `input` into `offset`: the target coordinates
  // are recovered from `i` innermost first, and the input's dims of 1 do
  // not advance (numpy alignment from the right). Statically-1 dims are
  // skipped; dynamic ones are checked at run time.
  auto emitBroadcastOffset = [&](unsigned input, const std::string &offset,
                                 const std::string &in) {
    unsigned inRank = kernel.inputRanks[input];
    os << in << "kiln::kernels::Index rem = i;\n";
    for (int d = rank - 1; d >= static_cast<int>(rank - inRank); --d) {
      os << in << "const kiln::kernels::Index c" << d << " = ";
      if (d == 0)
        os << "rem;\n";
      else
        os << "rem % " << dim(targetShape[d]) << ";\n"
           << in << "rem /= " << dim(targetShape[d]) << ";\n";
    }
    std::string stride = "s" + std::to_string(input);
    os << in << "kiln::kernels::Index " << stride << " = 1;\n";
    os << in << offset << " = 0;\n";
    for (int d = inRank - 1; d >= 0; --d) {
      ShapeExpr inDimExpr = inputDim(input, d);
      std::string inDim = dim(inDimExpr);
      std::optional<int64_t> known = inDimExpr.constantValue();
      if (known && *known == 1)
        continue; // broadcast: never advances
      if (!known) // a dynamic dim may turn out to be 1
        os << in << "if (" << inDim << " != 1)\n" << in << "  ";
      else
        os << in;
      os << offset << " += c" << (rank - inRank + d) << " * " << stride
         << ";\n";
      if (d > 0)
        os << in << stride << " *= " << inDim << ";\n";
    }
  };
  for (unsigned input : inputs) {
    Value arg = FusionOp(plan.group).getBody().front().getArgument(input);
    std::string sameTest;
    llvm::Expected<Access> access =
        classify(input, shapeReference, targetShape, sameTest);
    if (!access)
      return access.takeError();
    bool sameDims =
        *access == Access::Direct || *access == Access::DirectIfSame;
    std::string index;
    if (*access == Access::Direct) {
      index = "i";
    } else if (*access == Access::Scalar) {
      index = "0";
    } else {
      std::string offset = "o" + std::to_string(input);
      os << indent << "kiln::kernels::Index " << offset << ";\n";
      if (sameDims) {
        os << indent << "if (" << sameTest << ") {\n"
           << indent << "  " << offset << " = i;\n"
           << indent << "} else {\n";
        emitBroadcastOffset(input, offset, indent + "  ");
        os << indent << "}\n";
      } else {
        os << indent << "{\n";
        emitBroadcastOffset(input, offset, indent + "  ");
        os << indent << "}\n";
      }
      index = offset;
    }
    std::string name = "x" + std::to_string(input);
    os << indent << "const " << computeType(kernel.inputKinds[input]) << " "
       << name << " = "
       << loadExpr(kernel.inputKinds[input],
                   "in" + std::to_string(input) + "[" + index + "]")
       << ";\n";
    scalars.bind(arg, name);
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> GroupWriter::emitFunctor(
    const std::string &structName, llvm::ArrayRef<Operation *> ops,
    llvm::ArrayRef<std::pair<Value, std::string>> bound, Value resultValue,
    Type shapeReference, const std::vector<ShapeExpr> &targetShape,
    const std::string &signature, const std::string &linearIndex,
    llvm::ArrayRef<unsigned> extraInputs) {
  // The group inputs the ops read (other than bound values), and those the
  // bound expressions use.
  llvm::SetVector<unsigned> loaded;
  for (unsigned i : extraInputs)
    loaded.insert(i);
  llvm::DenseSet<Value> boundValues;
  for (auto &[value, name] : bound)
    boundValues.insert(value);
  for (Operation *op : ops)
    for (Value operand : op->getOperands())
      if (!boundValues.count(operand))
        if (std::optional<unsigned> i = inputIndex(operand))
          loaded.insert(*i);

  std::string text;
  llvm::raw_string_ostream os(text);
  os << "struct " << structName << " {\n";
  for (unsigned i : loaded)
    os << "  const " << inputType(i) << " *__restrict__ in" << i << ";\n";
  // The dims table only when the loads need it (a copy the kernel does not
  // use still costs registers in the tightest templates).
  if (!loaded.empty())
    os << "  " << dimsType() << " d;\n";
  os << "  KILN_DEVICE float operator()(" << signature << ") const {\n";
  if (!loaded.empty())
    os << "    const kiln::kernels::Index i = " << linearIndex << ";\n";
  ScalarEmitter scalars(os, "    ", "f");
  for (auto &[value, name] : bound)
    scalars.bind(value, name);
  if (llvm::Error error = emitLoads(os, scalars, loaded.getArrayRef(),
                                    shapeReference, targetShape, "    "))
    return std::move(error);
  // Constants the ops use are defined first (they belong to no side of the
  // anchor).
  llvm::SetVector<Operation *> constants;
  for (Operation *op : ops)
    for (Value operand : op->getOperands())
      if (auto constant = operand.getDefiningOp<ConstantOp>())
        if (!llvm::is_contained(ops, constant.getOperation()))
          constants.insert(constant);
  for (Operation *op : constants)
    if (llvm::Error error = scalars.emitOp(op))
      return std::move(error);
  for (Operation *op : ops)
    if (llvm::Error error = scalars.emitOp(op))
      return std::move(error);
  os << "    return " << scalars.lookup(resultValue) << ";\n  }\n};\n";
  // The constructor expression, for the kernel body.
  std::string make = structName + "{";
  for (unsigned i : loaded)
    make += "in" + std::to_string(i) + ", ";
  if (!loaded.empty())
    make += "d";
  make += "}";
  functorInits[structName] = make;
  return text;
}

std::string GroupWriter::functorInit(const std::string &structName) const {
  auto it = functorInits.find(structName);
  return it == functorInits.end() ? structName + "{}" : it->second;
}

std::string GroupWriter::kernelHead(unsigned threads) const {
  return "extern \"C\" __global__ void __launch_bounds__(" +
         std::to_string(threads) + ", 1) " + kernel.name + kernelSignature() +
         " {\n";
}

std::string GroupWriter::kernelSignature() const {
  std::string s = "(";
  for (unsigned i = 0; i < kernel.inputKinds.size(); ++i)
    s += "const " + inputType(i) + " *__restrict__ in" + std::to_string(i) +
         ", ";
  for (unsigned i = 0; i < kernel.outputKinds.size(); ++i)
    s += outputType(i) + " *__restrict__ out" + std::to_string(i) + ", ";
  s += "void *workspace, " + dimsType() + " d)";
  return s;
}

} // namespace detail

using detail::GroupPlan;
using detail::GroupWriter;

//===----------------------------------------------------------------------===//
// Group analysis
//===----------------------------------------------------------------------===//

static llvm::Expected<GroupPlan> planGroup(FusionOp group) {
  GroupPlan plan;
  plan.group = group;
  Block &body = group.getBody().front();
  for (Operation &op : body.without_terminator()) {
    if (isScalarOp(&op))
      continue;
    if (!detail::findFamily(&op))
      return codegenError(&op, "has no kernel-library template");
    if (plan.anchor)
      return codegenError(&op, "is a second anchor op in one fusion group "
                               "(the first is '" +
                                   plan.anchor->getName().getStringRef() +
                                   "')");
    plan.anchor = &op;
  }
  if (!plan.anchor)
    return codegenError(group, "has no anchor op (an elementwise group)");
  // The prologue is what the anchor's operands are computed from; every
  // other op is the epilogue, evaluated per result element (constants are
  // emitted where they are used).
  llvm::DenseSet<Operation *> feedsAnchor;
  llvm::SmallVector<Value> worklist(plan.anchor->getOperands());
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !feedsAnchor.insert(def).second)
      continue;
    worklist.append(def->operand_begin(), def->operand_end());
  }
  llvm::DenseSet<Value> fromAnchor(plan.anchor->result_begin(),
                                   plan.anchor->result_end());
  for (Operation &op : body.without_terminator()) {
    if (&op == plan.anchor || isa<ConstantOp>(op))
      continue;
    if (feedsAnchor.count(&op))
      plan.prologue.push_back(&op);
    else
      plan.epilogue.push_back(&op);
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return fromAnchor.count(v) != 0; }))
      fromAnchor.insert(op.result_begin(), op.result_end());
  }
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return codegenError(group, "an anchored group yields exactly one result");
  plan.result = yield.getOperand(0);
  if (plan.anchor->getNumResults() != 1)
    return codegenError(plan.anchor, "an anchor op with several results is "
                                     "not supported");
  if (!fromAnchor.count(plan.result))
    return codegenError(group, "the group's result does not come from its "
                               "anchor op");
  // The epilogue is evaluated per element of the anchor's result, so the
  // group's result must have its shape: same rank, and no dim that the
  // epilogue broadcasts (static and different). Dynamic dims are the shape
  // analysis's to agree on.
  auto anchorType = cast<RankedTensorType>(plan.anchor->getResult(0).getType());
  auto resultType = cast<RankedTensorType>(plan.result.getType());
  bool sameShape = anchorType.getRank() == resultType.getRank();
  for (unsigned d = 0; sameShape && d < anchorType.getRank(); ++d)
    sameShape = anchorType.isDynamicDim(d) == resultType.isDynamicDim(d) &&
                anchorType.getDimSize(d) == resultType.getDimSize(d);
  if (!sameShape)
    return codegenError(group, "the epilogue changes the anchor's shape");
  return plan;
}

llvm::Error checkAnchoredGroup(FusionOp group) {
  llvm::Expected<GroupPlan> plan = planGroup(group);
  return plan ? llvm::Error::success() : plan.takeError();
}

/// The grid-stride kernel of a group of elementwise ops only: every result
/// has the shape of the first; inputs broadcast to it.
static llvm::Error emitElementwiseKernel(GroupWriter &w) {
  FusionOp group = w.plan.group;
  Block &body = group.getBody().front();
  auto results = group.getResults();
  if (results.empty())
    return codegenError(group, "a group without results has no kernel");
  Type outType = results[0].getType();
  for (Value result : results)
    if (cast<RankedTensorType>(result.getType()).getShape() !=
        cast<RankedTensorType>(outType).getShape())
      return codegenError(group, "results of different shapes are not "
                                 "supported");
  FusionKernel &kernel = w.kernel;
  kernel.templateName = "elementwise";
  kernel.configuration = "block 256, grid-stride";
  std::vector<ShapeExpr> shape = w.outputShape(0);
  ShapeExpr numel = product(shape);
  // Enough blocks for one element per thread, capped: the loop strides.
  kernel.grid[0] = max(min(ceilDiv(numel, 256), 65535), 1);
  kernel.block[0] = 256;
  kernel.barrierFree = true;

  std::vector<unsigned> inputs;
  for (unsigned i = 0; i < body.getNumArguments(); ++i)
    if (!body.getArgument(i).use_empty())
      inputs.push_back(i);

  // The vector path: when every input is read at the output index (or is
  // one element), VEC consecutive elements per iteration move as one
  // 16-byte access of the widest type, if the run-time dims tests pass and
  // every pointer is aligned; a scalar loop does the rest (the tail, and
  // everything otherwise).
  bool vectorizable = true;
  std::string sameTests;
  int64_t widest = 1;
  std::vector<unsigned> vectorInputs, scalarInputs;
  for (unsigned input : inputs) {
    std::string test;
    llvm::Expected<GroupWriter::Access> access =
        w.classify(input, outType, shape, test);
    if (!access)
      return access.takeError();
    if (*access == GroupWriter::Access::Broadcast) {
      vectorizable = false;
      break;
    }
    if (*access == GroupWriter::Access::Scalar) {
      scalarInputs.push_back(input);
      continue;
    }
    if (!test.empty())
      sameTests += (sameTests.empty() ? "" : " && ") + test;
    vectorInputs.push_back(input);
    widest = std::max(widest, getElementByteWidth(kernel.inputKinds[input]));
  }
  for (ElementKind kind : kernel.outputKinds)
    widest = std::max(widest, getElementByteWidth(kind));
  int64_t vec = 16 / widest;
  vectorizable = vectorizable && vec > 1;

  llvm::raw_ostream &os = w.os;
  os << w.kernelHead(256);
  os << "  const kiln::kernels::Index numel = " << w.dim(numel) << ";\n";
  os << "  const kiln::kernels::Index first =\n"
        "      (kiln::kernels::Index)blockIdx.x * blockDim.x + threadIdx.x;\n"
        "  const kiln::kernels::Index stride =\n"
        "      (kiln::kernels::Index)gridDim.x * blockDim.x;\n";
  os << "  kiln::kernels::Index done = 0;\n";
  if (vectorizable) {
    kernel.configuration =
        "block 256, grid-stride, " + std::to_string(vec) + "-wide vectors";
    os << "  constexpr int kVec = " << vec << ";\n";
    os << "  if (" << (sameTests.empty() ? "" : sameTests + " &&\n      ");
    bool firstTerm = true;
    auto term = [&](const std::string &text) {
      os << (firstTerm ? "" : " &&\n      ") << text;
      firstTerm = false;
    };
    for (unsigned input : vectorInputs)
      term("kiln::kernels::alignedFor<" + w.inputType(input) + ", kVec>(in" +
           std::to_string(input) + ")");
    for (unsigned r = 0; r < kernel.outputKinds.size(); ++r)
      term("kiln::kernels::alignedFor<" + w.outputType(r) + ", kVec>(out" +
           std::to_string(r) + ")");
    os << ") {\n";
    os << "    const kiln::kernels::Index vectors = numel / kVec;\n";
    os << "    for (kiln::kernels::Index v = first; v < vectors; v += stride) "
          "{\n";
    os << "      const kiln::kernels::Index base = v * kVec;\n";
    for (unsigned input : vectorInputs)
      os << "      const kiln::kernels::Vec<" << w.inputType(input)
         << ", kVec> a" << input << " = kiln::kernels::loadVec<kVec>(in"
         << input << " + base);\n";
    for (unsigned r = 0; r < kernel.outputKinds.size(); ++r)
      os << "      kiln::kernels::Vec<" << w.outputType(r) << ", kVec> r" << r
         << ";\n";
    os << "#pragma unroll\n      for (int j = 0; j < kVec; ++j) {\n";
    ScalarEmitter lanes(os, "        ", "w");
    for (unsigned input : scalarInputs) {
      std::string name = "s" + std::to_string(input);
      os << "        const " << computeType(kernel.inputKinds[input]) << " "
         << name << " = "
         << loadExpr(kernel.inputKinds[input],
                     "in" + std::to_string(input) + "[0]")
         << ";\n";
      lanes.bind(body.getArgument(input), name);
    }
    for (unsigned input : vectorInputs) {
      std::string name = "y" + std::to_string(input);
      os << "        const " << computeType(kernel.inputKinds[input]) << " "
         << name << " = "
         << loadExpr(kernel.inputKinds[input],
                     "a" + std::to_string(input) + ".v[j]")
         << ";\n";
      lanes.bind(body.getArgument(input), name);
    }
    for (Operation &op : body.without_terminator())
      if (llvm::Error error = lanes.emitOp(&op))
        return error;
    for (auto [r, value] : llvm::enumerate(body.getTerminator()->getOperands()))
      os << "        r" << r
         << ".v[j] = " << storeExpr(kernel.outputKinds[r], lanes.lookup(value))
         << ";\n";
    os << "      }\n";
    for (unsigned r = 0; r < kernel.outputKinds.size(); ++r)
      os << "      kiln::kernels::storeVec(out" << r << " + base, r" << r
         << ");\n";
    os << "    }\n    done = vectors * kVec;\n  }\n";
  }
  os << "  for (kiln::kernels::Index i = done + first; i < numel; i += stride) "
        "{\n";
  ScalarEmitter scalars(os, "    ", "v");
  if (llvm::Error error =
          w.emitLoads(os, scalars, inputs, outType, shape, "    "))
    return error;
  for (Operation &op : body.without_terminator())
    if (llvm::Error error = scalars.emitOp(&op))
      return error;
  for (auto [i, value] : llvm::enumerate(body.getTerminator()->getOperands()))
    os << "    out" << i
       << "[i] = " << storeExpr(kernel.outputKinds[i], scalars.lookup(value))
       << ";\n";
  os << "  }\n}\n";
  return llvm::Error::success();
}

llvm::Expected<FusionModule>
emitFusionModule(func::FuncOp function, const FusionEmitOptions &options) {
  FusionModule module;
  std::string functionName = sanitizeIdentifier(function.getSymName());
  module.fileName = "kiln_" + functionName + ".cu";
  std::set<std::string> includes = {"common.cuh"};
  std::string bodies;
  llvm::raw_string_ostream bodyStream(bodies);
  unsigned index = 0;
  llvm::Error error = llvm::Error::success();
  function.walk([&](FusionOp group) {
    unsigned groupIndex = index++;
    for (Operation &op : group.getBody().front().without_terminator())
      for (Type type : op.getResultTypes())
        if (!isa<RankedTensorType>(type) ||
            !getElementKind(cast<RankedTensorType>(type).getElementType())) {
          error = codegenError(&op, "unsupported element type");
          return WalkResult::interrupt();
        }
    bool elementwise =
        llvm::all_of(group.getBody().front().without_terminator(),
                     [](Operation &op) { return isScalarOp(&op); });
    GroupPlan plan;
    if (elementwise) {
      plan.group = group;
    } else {
      llvm::Expected<GroupPlan> planned = planGroup(group);
      if (!planned) {
        error = planned.takeError();
        return WalkResult::interrupt();
      }
      plan = std::move(*planned);
    }
    FusionKernel kernel;
    kernel.groupIndex = groupIndex;
    kernel.name =
        "kiln_" + functionName + "_fusion" + std::to_string(groupIndex);
    for (BlockArgument arg : group.getBody().front().getArguments()) {
      std::optional<ElementKind> kind = getElementKind(
          cast<RankedTensorType>(arg.getType()).getElementType());
      if (!kind) {
        error = codegenError(group, "unsupported element type");
        return WalkResult::interrupt();
      }
      kernel.inputKinds.push_back(*kind);
      kernel.inputRanks.push_back(
          cast<RankedTensorType>(arg.getType()).getRank());
    }
    for (Value result : group.getResults()) {
      kernel.outputKinds.push_back(kindOf(result));
      kernel.outputRanks.push_back(
          cast<RankedTensorType>(result.getType()).getRank());
    }
    if (plan.anchor)
      kernel.fusedOps.push_back(plan.anchor->getName().getStringRef().str());
    for (Operation &op : group.getBody().front().without_terminator())
      if (&op != plan.anchor)
        kernel.fusedOps.push_back(op.getName().getStringRef().str());
    KernelConfigAttr config = group.getConfig(options.arch, options.profile);
    GroupWriter writer(plan, kernel, config, bodyStream, includes);
    bodyStream << "\n// kiln.fusion #" << groupIndex << ": ";
    for (auto [i, name] : llvm::enumerate(kernel.fusedOps))
      bodyStream << (i ? " + " : "") << name;
    bodyStream << "\nstruct " << writer.dimsType() << " {\n  long long v["
               << std::max(1u, kernel.numDims()) << "];\n};\n";
    if (elementwise) {
      error = emitElementwiseKernel(writer);
    } else {
      error = detail::findFamily(plan.anchor)->emit(writer);
    }
    if (error)
      return WalkResult::interrupt();
    bodyStream << "KILN_HOST_KERNEL_ENTRY(" << kernel.name << ")\n";
    module.kernels.push_back(std::move(kernel));
    return WalkResult::advance();
  });
  if (error)
    return std::move(error);
  llvm::raw_string_ostream os(module.source);
  os << scalarPrelude();
  for (const std::string &header : includes)
    os << "#include \"compiler/codegen/kernels/" << header << "\"\n";
  os << bodies;
  return module;
}

} // namespace kiln::codegen
