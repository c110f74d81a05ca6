//===- ConvEmitter.cpp - Convolution and pooling groups -------------------===//
//
// Groups anchored on a channels_last kiln.conv2d, kiln.max_pool2d or
// kiln.avg_pool2d (NCHW ones are an error: kiln-convert-to-channels-last
// moves them first). A convolution takes the depthwise kernel when every
// group has one input channel (groups == C, O a multiple of C), the
// tensor-core implicit GEMM for 16-bit input and filter of one type, and
// the fp32 SIMT implicit GEMM otherwise. The op's bias and the fused ops
// after it are the epilogue functor, called with (acc, row, col): the row
// is the output pixel (n * OH + oh) * OW + ow and the column the output
// channel, i.e. the NHWC output element row * O + col. A pooling epilogue
// gets the logical NCHW (n * C + c, oh * OW + ow) instead.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen::detail {

bool isConvAnchor(Operation *op) {
  return isa<Conv2dOp, MaxPool2dOp, AvgPool2dOp>(op);
}

namespace {

llvm::Error emitConvolution(GroupWriter &w, Conv2dOp conv) {
  std::optional<unsigned> in = w.inputIndex(conv.getInput());
  std::optional<unsigned> filter = w.inputIndex(conv.getFilter());
  Value biasValue = conv.getBias();
  std::optional<unsigned> bias =
      biasValue ? w.inputIndex(biasValue) : std::nullopt;
  if (!in || !filter || (biasValue && !bias))
    return codegenError(conv, "operands must be inputs of the group");
  FusionKernel &kernel = w.kernel;
  ElementKind inKind = kernel.inputKinds[*in];
  ElementKind filterKind = kernel.inputKinds[*filter];
  std::optional<int64_t> c = w.inputDim(*in, 3).constantValue();
  std::optional<int64_t> o = w.inputDim(*filter, 0).constantValue();
  int64_t groups = conv.getGroups();
  // Channels are static in every model Kiln imports; the kernel choice and
  // the tensor-core fast path depend on them.
  if (!c || !o)
    return codegenError(conv, "input and output channels must be static");
  bool depthwise = groups == *c && groups > 1 && *o % *c == 0;
  bool tensorCores =
      !depthwise && inKind != ElementKind::F32 && filterKind == inKind;

  // The problem, from the dims table (NHWC input, OHWI filter, NHWC output).
  auto strides = conv.getStrides();
  auto pads = conv.getPads();
  auto dilations = conv.getDilations();
  std::string problem =
      "  kiln::kernels::Conv2dProblem q;\n  q.n = " +
      w.dim(w.inputDim(*in, 0)) + ";\n  q.h = " + w.dim(w.inputDim(*in, 1)) +
      ";\n  q.w = " + w.dim(w.inputDim(*in, 2)) +
      ";\n  q.c = " + w.dim(w.inputDim(*in, 3)) +
      ";\n  q.o = " + w.dim(w.inputDim(*filter, 0)) +
      ";\n  q.kh = " + w.dim(w.inputDim(*filter, 1)) +
      ";\n  q.kw = " + w.dim(w.inputDim(*filter, 2)) +
      ";\n  q.oh = " + w.dim(w.outputDim(0, 1)) +
      ";\n  q.ow = " + w.dim(w.outputDim(0, 2)) + ";\n" +
      llvm::formatv("  q.strideH = {0};\n  q.strideW = {1};\n  q.padTop = "
                    "{2};\n  q.padLeft = {3};\n  q.dilationH = {4};\n  "
                    "q.dilationW = {5};\n  q.groups = {6};\n",
                    strides[0], strides[1], pads[0], pads[1], dilations[0],
                    dilations[1], groups)
          .str();
  ShapeExpr m = w.outputDim(0, 0) * w.outputDim(0, 1) * w.outputDim(0, 2);
  ShapeExpr outputs = w.outputDim(0, 3);

  ElementKind resultKind = kindOf(conv.getResult());
  std::string accumulator = bias ? "acc + x" + std::to_string(*bias) : "acc";
  std::vector<unsigned> extra;
  if (bias)
    extra.push_back(*bias);
  std::string epilogueName = kernel.name + "_epilogue";
  llvm::Expected<std::string> epilogue = w.emitFunctor(
      epilogueName, w.plan.epilogue,
      {{conv.getResult(), roundTo(resultKind, accumulator)}}, w.plan.result,
      w.plan.result.getType(), w.outputShape(0),
      "float acc, kiln::kernels::Index row, kiln::kernels::Index col",
      "row * " + w.dim(outputs) + " + col", extra);
  if (!epilogue)
    return epilogue.takeError();

  std::string config, params, call, configAssert;
  unsigned threads;
  std::string inType = w.inputType(*in), filterType = w.inputType(*filter);
  std::string outType = w.outputType(0);
  if (depthwise) {
    w.include("depthwise.cuh");
    kernel.templateName = "depthwise_conv2d";
    kernel.configuration = "256 threads x 2 outputs, direct";
    kernel.barrierFree = true;
    threads = 256;
    config = "kiln::kernels::DepthwiseConfig<256, 2>";
    kernel.grid[0] = max(ceilDiv(m * outputs, 512), 1);
    params = "kiln::kernels::DepthwiseConv2dParams<" + inType + ", " +
             filterType + ", " + outType + ", " + epilogueName + ">";
    call = "kiln::kernels::depthwiseConv2d<Config>(p);";
  } else if (tensorCores) {
    w.include("conv.cuh");
    kernel.templateName = "conv2d_tc";
    kernel.configuration =
        "implicit GEMM, tile 128x64x32, warp 64x32, 3 stages, 128 threads";
    threads = 128;
    config = "kiln::kernels::DefaultConv2dConfig";
    kernel.grid[0] = ceilDiv(m, 128);
    kernel.grid[1] = ceilDiv(floorDiv(outputs, groups), 64);
    kernel.grid[2] = groups;
    // DefaultConv2dConfig's stages x (A and B tiles) of 16-bit elements.
    const int64_t sharedBytes = 3 * (128 * 32 + 64 * 32) * 2;
    kernel.dynamicSharedBytes = sharedBytes;
    configAssert = "  static_assert(kiln::kernels::gemmSharedBytes<Config, " +
                   inType + ">() == " + std::to_string(sharedBytes) +
                   ", \"the launch's dynamic shared memory\");\n";
    params = "kiln::kernels::Conv2dParams<" + inType + ", " + outType + ", " +
             epilogueName + ">";
    call = "kiln::kernels::conv2d<Config>(p);";
  } else {
    w.include("conv_simt.cuh");
    kernel.templateName = "conv2d_simt";
    kernel.configuration =
        "implicit GEMM, tile 128x64x8, thread 8x4, 256 threads";
    threads = 256;
    config = "kiln::kernels::DefaultSimtConv2dConfig";
    kernel.grid[0] = ceilDiv(m, 128);
    kernel.grid[1] = ceilDiv(floorDiv(outputs, groups), 64);
    kernel.grid[2] = groups;
    params = "kiln::kernels::SimtConv2dParams<" + inType + ", " + filterType +
             ", " + outType + ", " + epilogueName + ">";
    call = "kiln::kernels::simtConv2d<Config>(p);";
  }
  kernel.block[0] = threads;
  llvm::raw_ostream &os = w.os;
  os << *epilogue << w.kernelHead(threads) << "  using Config = " << config
     << ";\n  static_assert(Config::kThreads == " << threads
     << ", \"the launch's block\");\n"
     << configAssert << problem << "  " << params << " p;\n"
     << "  p.input = in" << *in << ";\n  p.filter = in" << *filter
     << ";\n  p.output = out0;\n  p.problem = q;\n"
     << "  p.epilogue = " << w.functorInit(epilogueName) << ";\n  " << call
     << "\n}\n";
  return llvm::Error::success();
}

llvm::Error emitPool(GroupWriter &w, Operation *anchor) {
  bool isMax = isa<MaxPool2dOp>(anchor);
  std::optional<unsigned> in = w.inputIndex(anchor->getOperand(0));
  if (!in)
    return codegenError(anchor, "the input must be an input of the group");
  auto kernelSize = anchor->getAttrOfType<DenseI64ArrayAttr>("kernel");
  auto strides = anchor->getAttrOfType<DenseI64ArrayAttr>("strides");
  auto pads = anchor->getAttrOfType<DenseI64ArrayAttr>("pads");
  bool countIncludePad = anchor->hasAttr("count_include_pad");
  FusionKernel &kernel = w.kernel;
  w.include("pool.cuh");
  kernel.templateName = isMax ? "max_pool2d" : "avg_pool2d";
  kernel.configuration = "256 threads, one output each";
  kernel.barrierFree = true;
  kernel.block[0] = 256;
  ShapeExpr n = w.outputDim(0, 0), oh = w.outputDim(0, 1);
  ShapeExpr ow = w.outputDim(0, 2), c = w.outputDim(0, 3);
  kernel.grid[0] = max(ceilDiv(n * c * oh * ow, 256), 1);
  // Epilogue coordinates are the logical NCHW ones: (n * C + c, oh * OW +
  // ow); the NHWC output element is ((n * OH * OW) + col) * C + c.
  std::string cs = w.dim(c), plane = w.dim(oh * ow);
  std::string epilogueName = kernel.name + "_epilogue";
  llvm::Expected<std::string> epilogue = w.emitFunctor(
      epilogueName, w.plan.epilogue,
      {{anchor->getResult(0), roundTo(kindOf(anchor->getResult(0)), "value")}},
      w.plan.result, w.plan.result.getType(), w.outputShape(0),
      "float value, kiln::kernels::Index row, kiln::kernels::Index col",
      "((row / " + cs + ") * " + plane + " + col) * " + cs + " + row % " + cs);
  if (!epilogue)
    return epilogue.takeError();
  std::string h = w.dim(w.inputDim(*in, 1)), wd = w.dim(w.inputDim(*in, 2));
  llvm::raw_ostream &os = w.os;
  os << *epilogue << w.kernelHead(256)
     << "  using Config = kiln::kernels::PoolConfig<256, 1>;\n"
     << "  kiln::kernels::Pool2dParams<" << w.inputType(*in) << ", "
     << w.outputType(0) << ", " << epilogueName << "> p;\n"
     << "  p.input = in" << *in << ";\n  p.output = out0;\n"
     << "  p.n = " << w.dim(n) << ";\n  p.c = " << cs << ";\n  p.h = " << h
     << ";\n  p.w = " << wd << ";\n  p.oh = " << w.dim(oh)
     << ";\n  p.ow = " << w.dim(ow) << ";\n"
     << llvm::formatv("  p.kernelH = {0};\n  p.kernelW = {1};\n  p.strideH = "
                      "{2};\n  p.strideW = {3};\n  p.padTop = {4};\n  "
                      "p.padLeft = {5};\n  p.padBottom = {6};\n  p.padRight "
                      "= {7};\n",
                      kernelSize[0], kernelSize[1], strides[0], strides[1],
                      pads[0], pads[1], pads[2], pads[3])
     << "  p.countIncludePad = " << (countIncludePad ? "true" : "false")
     << ";\n  p.channelsInnermost = true;\n"
     << "  // NHWC strides of the logical (n, c, h, w).\n"
     << "  p.inStride[0] = p.h * p.w * p.c;\n  p.inStride[1] = 1;\n"
     << "  p.inStride[2] = p.w * p.c;\n  p.inStride[3] = p.c;\n"
     << "  p.outStride[0] = p.oh * p.ow * p.c;\n  p.outStride[1] = 1;\n"
     << "  p.outStride[2] = p.ow * p.c;\n  p.outStride[3] = p.c;\n"
     << "  p.epilogue = " << w.functorInit(epilogueName) << ";\n"
     << "  kiln::kernels::pool2d<Config, " << (isMax ? "true" : "false")
     << ">(p);\n}\n";
  return llvm::Error::success();
}

} // namespace

llvm::Error emitConv(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  if (!anchor->hasAttr("channels_last"))
    return codegenError(anchor, "the kernels are channels-last (NHWC): run "
                                "kiln-convert-to-channels-last first");
  if (!w.plan.prologue.empty())
    return codegenError(w.plan.prologue.front(),
                        "cannot be fused before a convolution or pooling "
                        "(its input is read window by window)");
  if (!isFloatKind(kindOf(w.plan.result)))
    return codegenError(anchor, "the group's result must be a float");
  if (auto conv = dyn_cast<Conv2dOp>(anchor))
    return emitConvolution(w, conv);
  return emitPool(w, anchor);
}

} // namespace kiln::codegen::detail
