//===- kiln-codegen.cpp - Fusion groups to CUDA C++ -----------------------===//
//
// Reads a module whose functions hold `kiln.fusion` groups and prints the CUDA
// C++ Kiln generates for them, one translation unit per function
// (--emit=cuda), or each kernel's launch description (--emit=kernels). With
// --check-nvrtc it also compiles each unit with NVRTC for the listed
// architectures and prints ptxas' figures per kernel, as `//` comments after
// the source so the output stays valid CUDA C++.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitter.h"
#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"

#ifdef KILN_HAVE_NVRTC
#include "compiler/codegen/KernelLibrary.h"
#include "compiler/codegen/NvrtcCompiler.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cg = ::kiln::codegen;

static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                            llvm::cl::desc("<input.mlir>"),
                                            llvm::cl::init("-"));
enum class EmitKind { Cuda, Kernels };
static llvm::cl::opt<EmitKind> emitKind(
    "emit", llvm::cl::desc("What to print"),
    llvm::cl::values(
        clEnumValN(EmitKind::Cuda, "cuda",
                   "the CUDA C++ of every function (default)"),
        clEnumValN(EmitKind::Kernels, "kernels",
                   "per kernel: template, configuration, fused ops and the "
                   "launch as formulas over the dims table")),
    llvm::cl::init(EmitKind::Cuda));
static llvm::cl::opt<std::string>
    targetArch("arch",
               llvm::cl::desc("Use each group's #kiln.kernel configuration "
                              "for this target (host or sm_XX); groups "
                              "without one get the template's default"),
               llvm::cl::init("host"));
static llvm::cl::opt<int64_t>
    profileIndex("profile",
                 llvm::cl::desc("The optimization profile whose "
                                "configurations to use"),
                 llvm::cl::init(0));
static llvm::cl::opt<std::string> checkNvrtc(
    "check-nvrtc",
    llvm::cl::desc("Compile with NVRTC for these comma-separated "
                   "architectures (e.g. sm_80,sm_90) and print ptxas figures"),
    llvm::cl::value_desc("archs"), llvm::cl::init(""));

static llvm::cl::opt<bool> splitInputFile(
    "split-input-file",
    llvm::cl::desc("Process each chunk separated by `// -----` on its own; "
                   "a chunk that fails does not stop the others"),
    llvm::cl::init(false));

static int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "kiln-codegen")
      << llvm::toString(std::move(error)) << "\n";
  return 1;
}

#ifdef KILN_HAVE_NVRTC
static llvm::Error checkWithNvrtc(const cg::FusionModule &module,
                                  llvm::ArrayRef<cg::GpuArch> archs,
                                  llvm::raw_ostream &os) {
  // The embedded kernel library, as an engine build compiles it.
  cg::CompileOptions options;
  options.includeDirs = {cg::CompileOptions::cudaIncludeDir()};
  options.headers = cg::kernelLibraryHeaders();
  llvm::Expected<cg::CompiledModule> compiled =
      cg::compileCuda(module.source, module.fileName, archs, options);
  if (!compiled)
    return compiled.takeError();
  os << "// NVRTC " << compiled->nvrtcVersion << ": " << module.fileName
     << "\n";
  for (const cg::ArchCompilation &arch : compiled->archs)
    for (const cg::KernelResources &kernel : arch.report.kernels)
      os << "// ptxas " << arch.arch.name() << " " << kernel.symbol << ": "
         << kernel.registers << " registers, " << kernel.spillStoreBytes
         << " bytes spill stores, " << kernel.spillLoadBytes
         << " bytes spill loads, " << kernel.stackFrameBytes
         << " bytes stack\n";
  return llvm::Error::success();
}
#endif

static void printKernels(const cg::FusionModule &module,
                         llvm::raw_ostream &os) {
  os << "// ----- " << module.fileName << "\n";
  for (const cg::FusionKernel &k : module.kernels) {
    os << k.name << ": template " << k.templateName << " <" << k.configuration
       << ">\n";
    os << "  fuses: " << llvm::join(k.fusedOps, ", ") << "\n";
    os << "  dims:";
    unsigned next = 0;
    auto tensors = [&](const char *what, const std::vector<unsigned> &ranks) {
      for (auto [i, rank] : llvm::enumerate(ranks)) {
        os << " " << what << i << "=[";
        for (unsigned d = 0; d < rank; ++d)
          os << (d ? "," : "") << "d" << next++;
        os << "]";
      }
    };
    tensors("in", k.inputRanks);
    tensors("out", k.outputRanks);
    os << "\n  grid: (" << k.grid[0].toString() << ", " << k.grid[1].toString()
       << ", " << k.grid[2].toString() << ")"
       << " block: (" << k.block[0] << ", " << k.block[1] << ", " << k.block[2]
       << ")\n";
    os << "  dynamic shared bytes: " << k.dynamicSharedBytes.toString()
       << "; workspace bytes: " << k.workspaceBytes.toString()
       << (k.barrierFree ? "; barrier-free" : "") << "\n";
  }
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "kiln-codegen: kiln.fusion groups to CUDA C++\n");

#ifdef KILN_HAVE_NVRTC
  std::vector<cg::GpuArch> archs;
  if (!checkNvrtc.empty()) {
    llvm::SmallVector<llvm::StringRef> names;
    llvm::StringRef(checkNvrtc).split(names, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef name : names) {
      llvm::Expected<cg::GpuArch> arch = cg::parseSupportedArch(name.trim());
      if (!arch)
        return fail(arch.takeError());
      archs.push_back(*arch);
    }
  }
#else
  if (!checkNvrtc.empty())
    return fail(llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "--check-nvrtc: this kiln-codegen was built without NVRTC"));
#endif

  DialectRegistry registry;
  registry.insert<mlir::kiln::KilnDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputPath, &errorMessage);
  if (!file)
    return fail(
        llvm::createStringError(llvm::inconvertibleErrorCode(), errorMessage));

  // One chunk (the file, or each `// -----` piece): every function holding
  // groups becomes a translation unit. Errors are reported, and with
  // --split-input-file the next chunk still runs.
  auto processChunk = [&](std::unique_ptr<llvm::MemoryBuffer> chunk,
                          llvm::raw_ostream &os) -> LogicalResult {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(chunk), llvm::SMLoc());
    SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return failure(); // the parser has reported why
    bool any = false;
    for (func::FuncOp function : module->getOps<func::FuncOp>()) {
      bool hasGroups = false;
      function.walk([&](mlir::kiln::FusionOp) { hasGroups = true; });
      if (!hasGroups)
        continue;
      any = true;
      cg::FusionEmitOptions options;
      options.arch = targetArch;
      options.profile = profileIndex;
      llvm::Expected<cg::FusionModule> emitted =
          cg::emitFusionModule(function, options);
      if (!emitted) {
        fail(emitted.takeError());
        return failure();
      }
      if (emitKind == EmitKind::Kernels) {
        printKernels(*emitted, os);
        continue;
      }
      os << "// ----- " << emitted->fileName << "\n" << emitted->source;
#ifdef KILN_HAVE_NVRTC
      if (!archs.empty())
        if (llvm::Error error = checkWithNvrtc(*emitted, archs, os)) {
          fail(std::move(error));
          return failure();
        }
#endif
    }
    if (!any) {
      fail(llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no function holds a kiln.fusion"));
      return failure();
    }
    return success();
  };
  if (splitInputFile)
    return failed(splitAndProcessBuffer(std::move(file), processChunk,
                                        llvm::outs()))
               ? 1
               : 0;
  return failed(processChunk(std::move(file), llvm::outs())) ? 1 : 0;
}
