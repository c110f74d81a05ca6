//===- NvrtcCompilerTest.cpp - Live NVRTC compiles and their figures ------===//
//
// Real compiles for sm_80, sm_86, sm_89 and sm_90 (no GPU needed): the cubins
// must be ELF images for CUDA, the PTX must target the architecture, and
// ptxas' figures must match what the source implies (its static shared
// memory, its barrier, no spills unless forced).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/NvrtcCompiler.h"
#include "compiler/codegen/Occupancy.h"

#include "test/unit/codegen/ErrorTesting.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::codegen;
using kiln::codegen::testing::errorMessage;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// The tile kernel's static shared memory: a padded float tile and a double
// per partial sum. The source is written from these constants.
constexpr unsigned kTileRows = 32, kTileCols = 33, kPartials = 8;
constexpr uint64_t kTileSharedBytes =
    kTileRows * kTileCols * sizeof(float) + kPartials * sizeof(double);

std::string tileKernelSource() {
  return "#define TILE_ROWS " + std::to_string(kTileRows) +
         "\n#define TILE_COLS " + std::to_string(kTileCols) +
         "\n#define PARTIALS " + std::to_string(kPartials) + "\n" + R"(
// Sums a 32x32 tile per block, column by column, through shared memory.
extern "C" __global__ void __launch_bounds__(256)
tileSum(const float *__restrict__ in, float *__restrict__ out) {
  __shared__ float tile[TILE_ROWS][TILE_COLS];
  __shared__ double partial[PARTIALS];
  int row = threadIdx.x / 32, col = threadIdx.x % 32;
  for (int i = row; i < TILE_ROWS; i += 8)
    tile[i][col] = in[(blockIdx.x * TILE_ROWS + i) * 32 + col];
  __syncthreads();
  if (threadIdx.x < PARTIALS) {
    double sum = 0;
    for (int c = threadIdx.x; c < 32; c += PARTIALS)
      for (int r = 0; r < TILE_ROWS; ++r)
        sum += tile[r][c];
    partial[threadIdx.x] = sum;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0;
    for (int i = 0; i < PARTIALS; ++i)
      total += partial[i];
    out[blockIdx.x] = static_cast<float>(total);
  }
}
)";
}

// 96 accumulators live across a loop: ~120 registers unconstrained, far more
// than 32, so a 32-register limit must spill. The limit comes either from
// -maxrregcount (which ptxas ignores for a kernel with __launch_bounds__, so
// the kernel has none by default) or from LAUNCH_BOUNDS, defined by the test.
constexpr const char *kRegisterHungrySource = R"(
#ifndef LAUNCH_BOUNDS
#define LAUNCH_BOUNDS
#endif
extern "C" __global__ void LAUNCH_BOUNDS
accumulate(const float *in, float *out, int n) {
  float acc[96];
#pragma unroll
  for (int i = 0; i < 96; ++i)
    acc[i] = in[i * n + threadIdx.x];
  for (int it = 0; it < n; ++it) {
#pragma unroll
    for (int i = 0; i < 96; ++i)
      acc[i] = acc[i] * acc[(i + 1) % 96] + in[it];
  }
  float sum = 0;
#pragma unroll
  for (int i = 0; i < 96; ++i)
    sum += acc[i];
  out[threadIdx.x] = sum;
}
)";

// The CUDA side of simt.h, as generated kernels use it.
constexpr unsigned kWarpsPerBlock = 8;
constexpr const char *kSimtKernelSource = R"(#include "runtime/host/simt.h"

extern "C" __global__ void __launch_bounds__(256)
blockSum(const float *__restrict__ in, float *__restrict__ out, int n) {
  KILN_SHARED(float, warpSums, [8]);
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = i < n ? in[i] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2)
    v += __shfl_down_sync(0xffffffffu, v, offset);
  if (threadIdx.x % 32 == 0)
    warpSums[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    float s = threadIdx.x < 8 ? warpSums[threadIdx.x] : 0.0f;
    for (int offset = 4; offset > 0; offset /= 2)
      s += __shfl_xor_sync(0xffffffffu, s, offset);
    if (threadIdx.x == 0)
      out[blockIdx.x] = s;
  }
}
KILN_HOST_KERNEL_ENTRY(blockSum)
)";

const std::vector<GpuArch> &fourArchs() {
  static const std::vector<GpuArch> archs = defaultGpuArchs();
  return archs;
}

/// An ELF image (magic) for NVIDIA's CUDA machine (e_machine EM_CUDA = 190).
void expectCudaElf(const std::string &cubin, const std::string &arch) {
  ASSERT_GE(cubin.size(), 20u) << arch;
  EXPECT_EQ(cubin.substr(0, 4), "\x7f"
                                "ELF")
      << arch;
  uint16_t machine = 0;
  std::memcpy(&machine, cubin.data() + 18, sizeof(machine));
  EXPECT_EQ(machine, 190) << arch;
}

TEST(NvrtcCompiler, TileKernelForFourArchitectures) {
  llvm::Expected<CompiledModule> module =
      compileCuda(tileKernelSource(), "kiln_tile_sum.cu", fourArchs());
  ASSERT_SUCCEEDED(module);
  EXPECT_EQ(module->name, "kiln_tile_sum.cu");
  EXPECT_FALSE(module->nvrtcVersion.empty());
  ASSERT_EQ(module->archs.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const ArchCompilation &compilation = module->archs[i];
    std::string arch = compilation.arch.name();
    EXPECT_EQ(compilation.arch, fourArchs()[i]);
    expectCudaElf(compilation.cubin, arch);
    EXPECT_THAT(compilation.ptx, HasSubstr(".target " + arch + "\n"));
    EXPECT_THAT(compilation.ptx, HasSubstr(".entry tileSum("));
    EXPECT_EQ(compilation.report.arch, arch);
    ASSERT_EQ(compilation.report.kernels.size(), 1u) << arch;
    const KernelResources &kernel = compilation.report.kernels[0];
    EXPECT_EQ(kernel.symbol, "tileSum");
    EXPECT_GT(kernel.registers, 0u) << arch;
    EXPECT_LE(kernel.registers, 255u) << arch;
    EXPECT_FALSE(kernel.spills()) << arch;
    EXPECT_EQ(kernel.stackFrameBytes, 0u) << arch;
    EXPECT_EQ(kernel.sharedBytes, kTileSharedBytes) << arch;
    // __syncthreads is barrier 0: one barrier, however often it is called.
    EXPECT_EQ(kernel.barriers, 1u) << arch;
    // ptxas prints constant banks up to sm_89 only; bank 0 holds the two
    // 8-byte parameters after the driver's own constants.
    if (compilation.arch.major < 9)
      EXPECT_GT(kernel.constantBankBytes.at(0), 16u) << arch;
    else
      EXPECT_TRUE(kernel.constantBankBytes.empty()) << arch;
    EXPECT_THAT(compilation.nvrtcOptions,
                ::testing::IsSupersetOf(std::vector<std::string>{
                    "-arch=" + arch, "-std=c++17", "-default-device",
                    "-DNDEBUG", "--ptxas-options=-v"}));
    EXPECT_TRUE(compilation.warnings.empty()) << arch;
    EXPECT_EQ(module->find(compilation.arch), &compilation);

    // The figures feed occupancy: tileSum's shared memory and registers in
    // blocks of 256 can never drop below one block.
    llvm::Expected<Occupancy> occupancy = theoreticalOccupancy(
        compilation.arch, kernel.registers, kernel.sharedBytes, 256);
    ASSERT_SUCCEEDED(occupancy);
    EXPECT_GE(occupancy->activeBlocksPerSm, 1u) << arch;
  }
  EXPECT_EQ(module->find(GpuArch{9, 0, true}), nullptr);
}

TEST(NvrtcCompiler, ForwardPtxIsTheNewestGenericArchitecture) {
  std::string source = tileKernelSource();
  llvm::Expected<CompiledModule> module =
      compileCuda(source, "kiln_tile_sum.cu", fourArchs());
  ASSERT_SUCCEEDED(module);
  ASSERT_TRUE(module->forwardPtxArch.has_value());
  EXPECT_EQ(*module->forwardPtxArch, (GpuArch{9, 0, false}));
  EXPECT_THAT(module->forwardPtx, HasSubstr(".target sm_90\n"));
  // compileCuda reuses the PTX of -arch=sm_90 instead of compiling
  // compute_90 again; that is only sound while the two are identical.
  llvm::Expected<std::string> virtualPtx =
      compilePtx(source, "kiln_tile_sum.cu", GpuArch{9, 0, false});
  ASSERT_SUCCEEDED(virtualPtx);
  EXPECT_EQ(*virtualPtx, module->forwardPtx);

  // PTX of an arch-specific target cannot run on later GPUs: the newest
  // generic architecture provides it, or none does.
  llvm::Expected<CompiledModule> mixed = compileCuda(
      source, "kiln_tile_sum.cu", {GpuArch{9, 0, true}, GpuArch{8, 0, false}});
  ASSERT_SUCCEEDED(mixed);
  EXPECT_THAT(mixed->archs[0].ptx, HasSubstr(".target sm_90a\n"));
  ASSERT_TRUE(mixed->forwardPtxArch.has_value());
  EXPECT_EQ(*mixed->forwardPtxArch, (GpuArch{8, 0, false}));
  llvm::Expected<CompiledModule> specific =
      compileCuda(source, "kiln_tile_sum.cu", {GpuArch{9, 0, true}});
  ASSERT_SUCCEEDED(specific);
  EXPECT_FALSE(specific->forwardPtxArch.has_value());
  EXPECT_TRUE(specific->forwardPtx.empty());
}

TEST(NvrtcCompiler, RegisterLimitsForceSpills) {
  llvm::Expected<CompiledModule> free =
      compileCuda(kRegisterHungrySource, "kiln_accumulate.cu", fourArchs());
  ASSERT_SUCCEEDED(free);
  CompileOptions maxRegisters;
  maxRegisters.maxRegisters = 32;
  llvm::Expected<CompiledModule> capped = compileCuda(
      kRegisterHungrySource, "kiln_accumulate.cu", fourArchs(), maxRegisters);
  ASSERT_SUCCEEDED(capped);
  // 6 blocks of 256 threads per SM (1536 threads, which every one of the four
  // SMs holds) leave 65536 / 1536 = 42 registers a thread.
  CompileOptions launchBounds;
  launchBounds.defines = {"LAUNCH_BOUNDS=__launch_bounds__(256, 6)"};
  llvm::Expected<CompiledModule> bounded = compileCuda(
      kRegisterHungrySource, "kiln_accumulate.cu", fourArchs(), launchBounds);
  ASSERT_SUCCEEDED(bounded);

  for (size_t i = 0; i < 4; ++i) {
    std::string arch = fourArchs()[i].name();
    const KernelResources *roomy =
        free->archs[i].report.findKernel("accumulate");
    ASSERT_NE(roomy, nullptr) << arch;
    EXPECT_GT(roomy->registers, 96u) << arch;
    EXPECT_FALSE(roomy->spills()) << arch;

    for (auto [limited, limit] :
         {std::pair{&*capped, 32u}, std::pair{&*bounded, 42u}}) {
      const KernelResources *squeezed =
          limited->archs[i].report.findKernel("accumulate");
      ASSERT_NE(squeezed, nullptr) << arch;
      EXPECT_LE(squeezed->registers, limit) << arch;
      EXPECT_GT(squeezed->spillStoreBytes, 0u) << arch;
      EXPECT_GT(squeezed->spillLoadBytes, 0u) << arch;
      // Spilled values live in the stack frame.
      EXPECT_GT(squeezed->stackFrameBytes, 0u) << arch;
      EXPECT_TRUE(squeezed->spills()) << arch;
    }
    EXPECT_THAT(capped->archs[i].nvrtcOptions,
                ::testing::Contains("-maxrregcount=32"));
  }
}

TEST(NvrtcCompiler, SimtHeaderCompilesWithoutSpills) {
  llvm::Expected<CompiledModule> module =
      compileCuda(kSimtKernelSource, "kiln_block_sum.cu", fourArchs());
  ASSERT_SUCCEEDED(module);
  ASSERT_EQ(module->archs.size(), 4u);
  for (const ArchCompilation &compilation : module->archs) {
    std::string arch = compilation.arch.name();
    const KernelResources *kernel = compilation.report.findKernel("blockSum");
    ASSERT_NE(kernel, nullptr) << arch;
    EXPECT_GT(kernel->registers, 0u) << arch;
    EXPECT_FALSE(kernel->spills()) << arch;
    EXPECT_EQ(kernel->sharedBytes, kWarpsPerBlock * sizeof(float)) << arch;
    EXPECT_EQ(kernel->barriers, 1u) << arch;
    EXPECT_THAT(compilation.ptx, HasSubstr("shfl.sync.down.b32"));
    EXPECT_THAT(compilation.ptx, HasSubstr("shfl.sync.bfly.b32"));
    expectCudaElf(compilation.cubin, arch);
  }
}

TEST(NvrtcCompiler, SameSourceGivesIdenticalCubins) {
  std::string source = tileKernelSource();
  llvm::Expected<CompiledModule> first =
      compileCuda(source, "kiln_tile_sum.cu", fourArchs());
  ASSERT_SUCCEEDED(first);
  llvm::Expected<CompiledModule> second =
      compileCuda(source, "kiln_tile_sum.cu", fourArchs());
  ASSERT_SUCCEEDED(second);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(first->archs[i].cubin, second->archs[i].cubin)
        << fourArchs()[i].name();
    EXPECT_EQ(first->archs[i].ptx, second->archs[i].ptx);
  }
  // The comparison can tell cubins apart: one changed constant changes them.
  std::string changed = source;
  changed.replace(changed.find("total += partial[i]"),
                  std::strlen("total += partial[i]"),
                  "total += 2 * partial[i]");
  llvm::Expected<CompiledModule> other =
      compileCuda(changed, "kiln_tile_sum.cu", {fourArchs()[0]});
  ASSERT_SUCCEEDED(other);
  EXPECT_NE(other->archs[0].cubin, first->archs[0].cubin);
}

TEST(NvrtcCompiler, MangledKernelsKeepTheirSymbol) {
  llvm::Expected<CompiledModule> module = compileCuda(
      "namespace ns {\ntemplate <int N> __global__ void scale(float *d, int n)"
      " {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n)\n"
      "    d[i] *= N;\n}\ntemplate __global__ void scale<4>(float *, int);\n"
      "}\n",
      "templated.cu", {GpuArch{8, 0, false}});
  ASSERT_SUCCEEDED(module);
  const KernelResources *kernel =
      module->archs[0].report.findKernel("void ns::scale<4>(float*, int)");
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(kernel->symbol, "_ZN2ns5scaleILi4EEEvPfi");
  EXPECT_THAT(module->archs[0].ptx, HasSubstr(".entry " + kernel->symbol));
}

TEST(NvrtcCompiler, SyntaxErrorNamesTheGeneratedFileAndLine) {
  // Line 4 uses a name that does not exist; the caret is at its column 16.
  constexpr const char *source = "// generated by kiln\n"
                                 "extern \"C\" __global__ void broken(float "
                                 "*out) {\n"
                                 "  float x = 1.0f;\n"
                                 "  out[0] = x + undefinedName;\n"
                                 "}\n";
  std::string message = errorMessage(
      compileCuda(source, "gen/kiln_broken.cu", {GpuArch{8, 0, false}}));
  EXPECT_THAT(message,
              AllOf(HasSubstr("NVRTC could not compile 'gen/kiln_broken.cu' "
                              "for sm_80:"),
                    HasSubstr("gen/kiln_broken.cu:4:16: error: identifier "
                              "\"undefinedName\" is undefined\n"
                              "    out[0] = x + undefinedName;\n"
                              "                 ^")));
}

TEST(NvrtcCompiler, ErrorInAnInMemoryHeaderNamesTheHeader) {
  CompileOptions options;
  options.headers.emplace_back("kiln/epilogue.cuh",
                               "// epilogue\n"
                               "__device__ float relu(float x) { return x > 0 "
                               "? x : 0 }\n");
  std::string message = errorMessage(
      compileCuda("#include \"kiln/epilogue.cuh\"\nextern \"C\" __global__ "
                  "void k(float *d) { d[0] = relu(d[0]); }\n",
                  "gen/kiln_relu.cu", {GpuArch{8, 6, false}}, options));
  EXPECT_THAT(message,
              AllOf(HasSubstr("for sm_86:"), HasSubstr("kiln/epilogue.cuh:2:"),
                    HasSubstr("return x > 0 ? x : 0 }")));
}

TEST(NvrtcCompiler, PtxasErrorsAreReported) {
  std::string message = errorMessage(compileCuda(
      "extern \"C\" __global__ void k() { asm volatile(\"bogus.instr;\"); }\n",
      "gen/kiln_asm.cu", {GpuArch{8, 9, false}}));
  EXPECT_THAT(message,
              AllOf(HasSubstr("'gen/kiln_asm.cu' for sm_89"),
                    HasSubstr("ptxas (PTX line"), HasSubstr("'bogus'")));
}

TEST(NvrtcCompiler, MissingIncludeIsAnError) {
  std::string message =
      errorMessage(compileCuda("#include \"kiln/absent.cuh\"\n",
                               "gen/kiln_missing.cu", {GpuArch{8, 0, false}}));
  EXPECT_THAT(message, AllOf(HasSubstr("gen/kiln_missing.cu:1:"),
                             HasSubstr("error: cannot open source file "
                                       "\"kiln/absent.cuh\"\n"
                                       "  #include \"kiln/absent.cuh\"")));
}

TEST(NvrtcCompiler, BadRequestsAreErrorsNotCrashes) {
  std::string source = tileKernelSource();
  EXPECT_THAT(errorMessage(compileCuda(source, "m.cu", {GpuArch{7, 0, false}})),
              HasSubstr("'sm_70' is not supported by NVRTC"));
  EXPECT_THAT(errorMessage(compileCuda(source, "m.cu", {GpuArch{8, 0, true}})),
              HasSubstr("'sm_80a' is not supported"));
  EXPECT_THAT(errorMessage(compileCuda(source, "m.cu", {})),
              HasSubstr("no GPU architecture requested"));
  EXPECT_THAT(errorMessage(compileCuda(source, "", fourArchs())),
              HasSubstr("needs a name"));
  EXPECT_THAT(errorMessage(compileCuda(std::string("int a;\0int b;", 13),
                                       "m.cu", fourArchs())),
              HasSubstr("source of 'm.cu' contains a NUL character"));
  CompileOptions archOption;
  archOption.extraOptions = {"--gpu-architecture=sm_75"};
  EXPECT_THAT(
      errorMessage(compileCuda(source, "m.cu", fourArchs(), archOption)),
      HasSubstr("chooses the architecture"));
  CompileOptions badOption;
  badOption.extraOptions = {"--no-such-option"};
  EXPECT_THAT(errorMessage(compileCuda(source, "m.cu", {GpuArch{8, 0, false}},
                                       badOption)),
              AllOf(HasSubstr("nvrtcCompileProgram failed for 'm.cu': "
                              "NVRTC_ERROR_INVALID_OPTION")));
}

TEST(NvrtcCompiler, RepeatedArchitecturesCompileOnce) {
  llvm::Expected<CompiledModule> module = compileCuda(
      tileKernelSource(), "kiln_tile_sum.cu",
      {GpuArch{8, 6, false}, GpuArch{8, 0, false}, GpuArch{8, 6, false}});
  ASSERT_SUCCEEDED(module);
  ASSERT_EQ(module->archs.size(), 2u);
  EXPECT_EQ(module->archs[0].arch, (GpuArch{8, 6, false}));
  EXPECT_EQ(module->archs[1].arch, (GpuArch{8, 0, false}));
  EXPECT_EQ(*module->forwardPtxArch, (GpuArch{8, 6, false}));
}

TEST(NvrtcCompiler, WarningsAreKeptWithTheirLine) {
  llvm::Expected<CompiledModule> module = compileCuda(
      "extern \"C\" __global__ void k(float *o) {\n  int unused = 3;\n"
      "  o[0] = 1;\n}\n",
      "gen/kiln_warn.cu", {GpuArch{8, 0, false}});
  ASSERT_SUCCEEDED(module);
  const std::vector<CompileDiagnostic> &warnings = module->archs[0].warnings;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].severity, CompileDiagnostic::Severity::Warning);
  EXPECT_EQ(warnings[0].file, "gen/kiln_warn.cu");
  EXPECT_EQ(warnings[0].line, 2u);
  EXPECT_THAT(warnings[0].message, HasSubstr("\"unused\" was declared"));
  EXPECT_THAT(module->archs[0].report.kernels, ::testing::SizeIs(1));
}

TEST(NvrtcCompiler, LineInfoIsOptional) {
  std::string source = tileKernelSource();
  CompileOptions withLines;
  withLines.lineInfo = true;
  llvm::Expected<CompiledModule> plain =
      compileCuda(source, "kiln_tile_sum.cu", {GpuArch{8, 0, false}});
  ASSERT_SUCCEEDED(plain);
  llvm::Expected<CompiledModule> lined = compileCuda(
      source, "kiln_tile_sum.cu", {GpuArch{8, 0, false}}, withLines);
  ASSERT_SUCCEEDED(lined);
  EXPECT_THAT(plain->archs[0].ptx, Not(HasSubstr(".loc")));
  EXPECT_THAT(lined->archs[0].ptx, HasSubstr(".loc"));
  EXPECT_GT(lined->archs[0].cubin.size(), plain->archs[0].cubin.size());
}

} // namespace
