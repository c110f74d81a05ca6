//===- ElementwiseKernelTest.cpp - Generated kernels against the evaluator ===//
//
// Each case is a function holding one elementwise `kiln.fusion`. Its CUDA C++
// is emitted, built into a host code object with the host compiler, loaded
// with dlopen and bound to the SIMT simulator (this binary links kiln_simt;
// the module does not), launched with several grid and block sizes on seeded
// random inputs, and compared with the reference evaluator on the same
// inputs. The same source is compiled with NVRTC for sm_80/86/89/90, where
// every kernel must run without spilling.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ElementwiseEmitter.h"
#include "compiler/codegen/HostCompiler.h"
#include "compiler/codegen/NvrtcCompiler.h"
#include "compiler/evaluator/Evaluator.h"
#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"
#include "runtime/host/Launch.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>

using namespace mlir;
using namespace mlir::kiln;
namespace cg = ::kiln::codegen;
namespace simt = ::kiln::simt;

namespace {

struct GroupCase {
  const char *name;
  const char *ir;
  /// Per run, the input shapes.
  std::vector<std::vector<std::vector<int64_t>>> shapeSets;
};

// Shapes of 1, primes, numpy broadcasting ([7,1] + [1,13], scalar + [5,3]).
const GroupCase kCases[] = {
    {"BroadcastExpAdd",
     R"mlir(
func.func @bcast(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%x, %y : tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>):
    %1 = kiln.exp %a : tensor<?x?xf32>
    %2 = kiln.add %1, %b : tensor<?x?xf32>
    kiln.yield %2 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{7, 1}, {1, 13}},
      {{1, 1}, {1, 1}},
      {{13, 17}, {13, 17}},
      {{1, 31}, {5, 1}}}},
    {"ScalarTimesMatrix",
     R"mlir(
func.func @scalar(%s: tensor<f32>, %x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%s, %x : tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<f32>, %b: tensor<?x?xf32>):
    %1 = kiln.mul %a, %b : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
    %2 = kiln.gelu %1 : tensor<?x?xf32>
    %3 = kiln.max %2, %b : tensor<?x?xf32>
    kiln.yield %3 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{}, {5, 3}}, {{}, {1, 1}}, {{}, {11, 7}}}},
    {"Activations",
     R"mlir(
func.func @acts(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:6 = kiln.fusion ins(%x : tensor<?xf32>) -> tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32> {
  ^bb0(%a: tensor<?xf32>):
    %1 = kiln.sigmoid %a : tensor<?xf32>
    %2 = kiln.silu %a : tensor<?xf32>
    %3 = kiln.tanh %a : tensor<?xf32>
    %4 = kiln.softplus %a : tensor<?xf32>
    %5 = kiln.hard_swish %a : tensor<?xf32>
    %6 = kiln.leaky_relu %a alpha = 0.01 : tensor<?xf32>
    kiln.yield %1, %2, %3, %4, %5, %6 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
})mlir",
     {{{1}}, {{2}}, {{97}}, {{1031}}}},
    {"MoreActivations",
     R"mlir(
func.func @acts2(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:8 = kiln.fusion ins(%x : tensor<?xf32>) -> tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32> {
  ^bb0(%a: tensor<?xf32>):
    %1 = kiln.elu %a alpha = 1.0 : tensor<?xf32>
    %2 = kiln.hard_sigmoid %a alpha = 0.2 beta = 0.5 : tensor<?xf32>
    %3 = kiln.clamp %a min = -1.0 max = 2.5 : tensor<?xf32>
    %4 = kiln.gelu_tanh %a : tensor<?xf32>
    %5 = kiln.relu %a : tensor<?xf32>
    %6 = kiln.erf %a : tensor<?xf32>
    %7 = kiln.sign %a : tensor<?xf32>
    %8 = kiln.neg %7 : tensor<?xf32>
    %9 = kiln.sin %a : tensor<?xf32>
    %10 = kiln.cos %a : tensor<?xf32>
    %11 = kiln.add %9, %10 : tensor<?xf32>
    %12 = kiln.round %a : tensor<?xf32>
    %13 = kiln.floor %a : tensor<?xf32>
    %14 = kiln.ceil %a : tensor<?xf32>
    %15 = kiln.sub %13, %14 : tensor<?xf32>
    kiln.yield %1, %2, %3, %4, %5, %6, %8, %15 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5, %0#6, %0#7 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
})mlir",
     {{{1}}, {{3}}, {{101}}}},
    {"FloatArithmetic",
     R"mlir(
func.func @arith(%x: tensor<?x?xf32>, %y: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %0:5 = kiln.fusion ins(%x, %y : tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf32>, %b: tensor<?xf32>):
    %1 = kiln.div %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %2 = kiln.mod %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %3 = kiln.fmod %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %4 = kiln.min %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %5 = kiln.abs %a : tensor<?x?xf32>
    %6 = kiln.sqrt %5 : tensor<?x?xf32>
    %7 = kiln.rsqrt %5 : tensor<?x?xf32>
    %8 = kiln.log %5 : tensor<?x?xf32>
    %9 = kiln.pow %5, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %10 = kiln.reciprocal %6 : tensor<?x?xf32>
    %11 = kiln.add %7, %10 : tensor<?x?xf32>
    %12 = kiln.add %8, %9 : tensor<?x?xf32>
    kiln.yield %1, %2, %3, %11, %12 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
})mlir",
     {{{3, 5}, {5}}, {{1, 1}, {1}}, {{7, 11}, {1}}}},
    {"CompareWhereCast",
     R"mlir(
func.func @select(%x: tensor<?x?xf32>, %y: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8>) {
  %0:4 = kiln.fusion ins(%x, %y : tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8> {
  ^bb0(%a: tensor<?x?xf32>, %b: tensor<?xf32>):
    %1 = kiln.compare lt, %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xi1>
    %2 = kiln.where %1, %a, %b : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %3 = kiln.mul %2, %2 : tensor<?x?xf32>
    %4 = kiln.cast %3 : tensor<?x?xf32> to tensor<?x?xi32>
    %5 = kiln.compare ge, %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xi1>
    %6 = kiln.not %5 : tensor<?x?xi1>
    %7 = kiln.xor %6, %1 : tensor<?x?xi1>
    %8 = kiln.is_nan %a : tensor<?x?xf32> -> tensor<?x?xi1>
    %9 = kiln.or %7, %8 : tensor<?x?xi1>
    %10 = kiln.cast %a : tensor<?x?xf32> to tensor<?x?xi8>
    kiln.yield %2, %4, %9, %10 : tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8>
  }
  return %0#0, %0#1, %0#2, %0#3 : tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8>
})mlir",
     {{{4, 6}, {6}}, {{1, 1}, {1}}, {{13, 3}, {1}}}},
    {"HalfGelu",
     R"mlir(
func.func @half(%x: tensor<?x?xf16>, %b: tensor<?xf16>) -> (tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32>) {
  %0:3 = kiln.fusion ins(%x, %b : tensor<?x?xf16>, tensor<?xf16>) -> tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf16>, %c: tensor<?xf16>):
    %1 = kiln.add %a, %c : (tensor<?x?xf16>, tensor<?xf16>) -> tensor<?x?xf16>
    %2 = kiln.gelu %1 : tensor<?x?xf16>
    %3 = kiln.cast %1 : tensor<?x?xf16> to tensor<?x?xf32>
    %4 = kiln.mul %a, %a : tensor<?x?xf16>
    %5 = kiln.exp %4 : tensor<?x?xf16>
    kiln.yield %5, %2, %3 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32>
  }
  return %0#0, %0#1, %0#2 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32>
})mlir",
     {{{5, 8}, {8}}, {{1, 1}, {1}}, {{7, 13}, {1}}}},
    {"SplatConstants",
     R"mlir(
func.func @consts(%x: tensor<?x?xf16>) -> (tensor<?x?xf16>, tensor<?x?xi32>) {
  %0:2 = kiln.fusion ins(%x : tensor<?x?xf16>) -> tensor<?x?xf16>, tensor<?x?xi32> {
  ^bb0(%a: tensor<?x?xf16>):
    %half = kiln.constant dense<0.5> : tensor<f16>
    %three = kiln.constant dense<3> : tensor<1x1xi32>
    %1 = kiln.mul %a, %half : (tensor<?x?xf16>, tensor<f16>) -> tensor<?x?xf16>
    %2 = kiln.tanh %1 : tensor<?x?xf16>
    %3 = kiln.cast %a : tensor<?x?xf16> to tensor<?x?xi32>
    %4 = kiln.mul %3, %three : (tensor<?x?xi32>, tensor<1x1xi32>) -> tensor<?x?xi32>
    kiln.yield %2, %4 : tensor<?x?xf16>, tensor<?x?xi32>
  }
  return %0#0, %0#1 : tensor<?x?xf16>, tensor<?x?xi32>
})mlir",
     {{{1, 1}}, {{3, 7}}, {{17, 5}}}},
    {"BFloatRelu",
     R"mlir(
func.func @bf(%x: tensor<?x?xbf16>, %y: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %0 = kiln.fusion ins(%x, %y : tensor<?x?xbf16>, tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  ^bb0(%a: tensor<?x?xbf16>, %b: tensor<?x?xbf16>):
    %1 = kiln.sub %a, %b : tensor<?x?xbf16>
    %2 = kiln.relu %1 : tensor<?x?xbf16>
    %3 = kiln.sigmoid %2 : tensor<?x?xbf16>
    kiln.yield %3 : tensor<?x?xbf16>
  }
  return %0 : tensor<?x?xbf16>
})mlir",
     {{{7, 1}, {1, 13}}, {{3, 3}, {3, 3}}}},
    {"IntegerArithmetic",
     R"mlir(
func.func @ints(%x: tensor<?xi64>, %y: tensor<?xi64>, %z: tensor<?xi32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32>) {
  %0:6 = kiln.fusion ins(%x, %y, %z : tensor<?xi64>, tensor<?xi64>, tensor<?xi32>) -> tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32> {
  ^bb0(%a: tensor<?xi64>, %b: tensor<?xi64>, %c: tensor<?xi32>):
    %1 = kiln.div %a, %b : tensor<?xi64>
    %2 = kiln.mod %a, %b : tensor<?xi64>
    %3 = kiln.fmod %a, %b : tensor<?xi64>
    %4 = kiln.mul %a, %b : tensor<?xi64>
    %5 = kiln.neg %4 : tensor<?xi64>
    %6 = kiln.max %5, %a : tensor<?xi64>
    %7 = kiln.cast %4 : tensor<?xi64> to tensor<?xi8>
    %8 = kiln.abs %c : tensor<?xi32>
    %9 = kiln.clamp %8 min = 3.0 max = 40.0 : tensor<?xi32>
    %10 = kiln.sign %c : tensor<?xi32>
    %11 = kiln.sub %9, %10 : tensor<?xi32>
    kiln.yield %1, %2, %3, %6, %7, %11 : tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5 : tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32>
})mlir",
     {{{1}, {1}, {1}}, {{37}, {37}, {37}}, {{257}, {1}, {257}}}},
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const GroupCase &groupCase, std::ostream *os) {
  *os << groupCase.name;
}

std::vector<int64_t>
broadcastShapes(const std::vector<std::vector<int64_t>> &shapes) {
  size_t rank = 0;
  for (const auto &shape : shapes)
    rank = std::max(rank, shape.size());
  std::vector<int64_t> result(rank, 1);
  for (const auto &shape : shapes)
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t &dim = result[rank - shape.size() + d];
      if (shape[d] != 1)
        dim = shape[d];
    }
  return result;
}

Tensor randomTensor(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                    std::mt19937 &rng) {
  Tensor tensor(kind, shape);
  std::uniform_real_distribution<double> real(-3.0, 3.0);
  // Integers are never 0 so that divisions stay defined for the evaluator.
  std::uniform_int_distribution<int64_t> integer(1, 50);
  std::bernoulli_distribution coin(0.5);
  for (int64_t i = 0; i < tensor.getNumElements(); ++i) {
    if (isFloatKind(kind))
      tensor.setFloat(i, real(rng));
    else if (kind == ElementKind::I1)
      tensor.setInt(i, coin(rng));
    else
      tensor.setInt(i, coin(rng) ? integer(rng) : -integer(rng));
  }
  return tensor;
}

/// One unit in the last place of `ref` in `kind` (f16: 10 fraction bits,
/// bf16: 7), down to the smallest subnormal.
double ulp(ElementKind kind, double ref) {
  int fractionBits = kind == ElementKind::F16 ? 10 : 7;
  int minExponent = kind == ElementKind::F16 ? -14 : -126;
  int exponent = ref == 0 ? minExponent : std::ilogb(ref);
  return std::ldexp(1.0, std::max(exponent, minExponent) - fractionBits);
}

void expectClose(const Tensor &got, const Tensor &ref,
                 const std::string &what) {
  ASSERT_EQ(got.getNumElements(), ref.getNumElements()) << what;
  int failures = 0;
  for (int64_t i = 0; i < ref.getNumElements() && failures < 5; ++i) {
    bool ok;
    double g = 0, r = 0;
    if (ref.isFloat()) {
      g = got.getFloat(i);
      r = ref.getFloat(i);
      if (std::isnan(r) || std::isnan(g))
        ok = std::isnan(r) && std::isnan(g);
      else if (ref.getKind() == ElementKind::F32)
        // 1e-5 relative; below magnitude 1 absolute, where float-vs-double
        // cancellation (exp(x) + y near 0) makes relative error meaningless.
        ok = std::fabs(g - r) <= 1e-5 * std::max(std::fabs(r), 1.0);
      else
        ok = std::fabs(g - r) <= ulp(ref.getKind(), r);
    } else {
      g = got.getInt(i);
      r = ref.getInt(i);
      ok = got.getInt(i) == ref.getInt(i);
    }
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << " element " << i << ": got " << g
                    << ", expected " << r;
    }
  }
}

class ElementwiseKernel : public ::testing::TestWithParam<GroupCase> {
protected:
  void SetUp() override {
    registry.insert<KilnDialect, func::FuncDialect>();
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(GetParam().ir, context.get());
    ASSERT_TRUE(module) << "test IR does not parse";
    function = *module->getOps<func::FuncOp>().begin();
    llvm::Expected<cg::ElementwiseModule> emitted =
        cg::emitElementwiseModule(function);
    ASSERT_TRUE(static_cast<bool>(emitted))
        << llvm::toString(emitted.takeError());
    source = std::move(*emitted);
    ASSERT_EQ(source.kernels.size(), 1u);
  }
  void TearDown() override {
    if (handle)
      dlclose(handle);
  }

  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp function;
  cg::ElementwiseModule source;
  void *handle = nullptr;
};

TEST_P(ElementwiseKernel, MatchesTheEvaluatorOnTheSimulator) {
  llvm::Expected<cg::HostModule> built =
      cg::compileHostModule(source.source, source.fileName);
  ASSERT_TRUE(static_cast<bool>(built)) << llvm::toString(built.takeError());
  handle = dlopen(built->sharedObjectPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  simt::Status bound = simt::bindModule(handle);
  ASSERT_TRUE(bound.ok()) << bound.message();
  const cg::ElementwiseKernelInfo &kernel = source.kernels[0];
  auto entry = reinterpret_cast<simt::KernelEntry>(
      dlsym(handle, ("kiln_entry_" + kernel.name).c_str()));
  ASSERT_NE(entry, nullptr) << kernel.name;

  std::mt19937 rng(1234);
  for (const auto &shapes : GetParam().shapeSets) {
    std::vector<int64_t> outShape = broadcastShapes(shapes);
    std::vector<Tensor> inputs;
    for (auto [i, shape] : llvm::enumerate(shapes))
      inputs.push_back(randomTensor(kernel.inputKinds[i], shape, rng));
    FailureOr<SmallVector<Tensor>> expected = evaluate(function, inputs);
    ASSERT_TRUE(succeeded(expected));

    std::vector<std::vector<char>> inBytes;
    for (const Tensor &input : inputs)
      inBytes.push_back(input.toBytes());
    llvm::Expected<std::vector<int64_t>> params =
        cg::packElementwiseParams(kernel, outShape, shapes);
    ASSERT_TRUE(static_cast<bool>(params))
        << llvm::toString(params.takeError());

    struct Launch {
      unsigned grid, block;
      bool raceHunt;
    };
    for (Launch launch : {Launch{1, 1, false}, Launch{3, 32, true},
                          Launch{7, 128, false}, Launch{64, 256, true}}) {
      std::vector<std::vector<char>> outBytes;
      for (const Tensor &ref : *expected)
        outBytes.emplace_back(ref.toBytes().size(), char(0x5a));
      std::vector<const void *> inPointers;
      std::vector<void *> outPointers;
      for (auto &bytes : inBytes)
        inPointers.push_back(bytes.data());
      for (auto &bytes : outBytes)
        outPointers.push_back(bytes.data());
      std::vector<void *> args;
      for (const void *&pointer : inPointers)
        args.push_back(&pointer);
      for (void *&pointer : outPointers)
        args.push_back(&pointer);
      args.push_back(params->data());

      simt::LaunchConfig config;
      config.grid = dim3(launch.grid);
      config.block = dim3(launch.block);
      config.raceHunt = launch.raceHunt;
      config.seed = 42;
      config.workers = 2;
      simt::Status status = simt::launch(config, entry, args.data());
      ASSERT_TRUE(status.ok()) << status.message();

      for (auto [r, ref] : llvm::enumerate(*expected)) {
        std::string error;
        std::optional<Tensor> got = Tensor::fromBytes(
            ref.getKind(), ref.getShape(), outBytes[r], error);
        ASSERT_TRUE(got.has_value()) << error;
        std::string what = kernel.name + " result " + std::to_string(r) +
                           " shape " + formatDims(outShape) + " grid " +
                           std::to_string(launch.grid) + " block " +
                           std::to_string(launch.block);
        expectClose(*got, ref, what);
      }
    }
  }
}

TEST_P(ElementwiseKernel, CompilesWithoutSpillsForEveryArchitecture) {
  llvm::Expected<cg::CompiledModule> compiled =
      cg::compileCuda(source.source, source.fileName, cg::defaultGpuArchs());
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  ASSERT_EQ(compiled->archs.size(), 4u);
  for (const cg::ArchCompilation &arch : compiled->archs) {
    ASSERT_EQ(arch.report.kernels.size(), 1u) << arch.arch.name();
    const cg::KernelResources &resources = arch.report.kernels[0];
    EXPECT_EQ(resources.symbol, source.kernels[0].name);
    EXPECT_FALSE(resources.spills()) << arch.arch.name();
    EXPECT_EQ(resources.stackFrameBytes, 0u) << arch.arch.name();
    // The figures, for docs/codegen.md.
    std::printf("[ptxas] %s %s: %u registers, %llu/%llu bytes spilled\n",
                arch.arch.name().c_str(), resources.symbol.c_str(),
                resources.registers,
                static_cast<unsigned long long>(resources.spillStoreBytes),
                static_cast<unsigned long long>(resources.spillLoadBytes));
  }
}

INSTANTIATE_TEST_SUITE_P(Groups, ElementwiseKernel, ::testing::ValuesIn(kCases),
                         [](const auto &info) { return info.param.name; });

TEST(ElementwiseParams, RejectsShapesThatDoNotBroadcast) {
  cg::ElementwiseKernelInfo kernel;
  kernel.rank = 2;
  kernel.inputKinds = {ElementKind::F32};
  kernel.inputAccess = {cg::OperandAccess::Strided};
  llvm::Expected<std::vector<int64_t>> params =
      cg::packElementwiseParams(kernel, {7, 13}, {{7, 2}});
  ASSERT_FALSE(static_cast<bool>(params));
  EXPECT_NE(llvm::toString(params.takeError()).find("does not broadcast"),
            std::string::npos);
  llvm::Expected<std::vector<int64_t>> good =
      cg::packElementwiseParams(kernel, {7, 13}, {{1, 13}});
  ASSERT_TRUE(static_cast<bool>(good));
  EXPECT_EQ(*good, (std::vector<int64_t>{91, 7, 13, 0, 1}));
}

TEST(HostCompiler, QuotesTheCompilerDiagnostics) {
  llvm::Expected<cg::HostModule> built = cg::compileHostModule(
      "#include \"runtime/host/simt.h\"\nint f() { return undefinedName; }\n",
      "kiln_broken.cu");
  ASSERT_FALSE(static_cast<bool>(built));
  std::string message = llvm::toString(built.takeError());
  EXPECT_NE(message.find("kiln_broken.cu:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("undefinedName"), std::string::npos) << message;
  // A failed build keeps its directory so that the diagnostics can be
  // followed; the test removes it.
  llvm::StringRef kept = "source kept at ";
  size_t at = message.find(kept.str());
  ASSERT_NE(at, std::string::npos) << message;
  std::string path = message.substr(at + kept.size(),
                                    message.find('\n', at) - at - kept.size());
  EXPECT_TRUE(llvm::sys::fs::exists(path)) << path;
  llvm::sys::fs::remove_directories(llvm::sys::path::parent_path(path));
}

TEST(ElementwiseEmitter, RejectsANonElementwiseGroup) {
  DialectRegistry registry;
  registry.insert<KilnDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
func.func @soft(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %1 = kiln.softmax %a axis = 1 : tensor<4x8xf32>
    kiln.yield %1 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
})mlir",
                                                             &context);
  ASSERT_TRUE(module);
  llvm::Expected<cg::ElementwiseModule> emitted =
      cg::emitElementwiseModule(*module->getOps<func::FuncOp>().begin());
  ASSERT_FALSE(static_cast<bool>(emitted));
  EXPECT_NE(llvm::toString(emitted.takeError()).find("kiln.softmax"),
            std::string::npos);
}

} // namespace
