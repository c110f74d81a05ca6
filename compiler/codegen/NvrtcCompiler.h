//===- NvrtcCompiler.h - CUDA C++ to cubins and PTX with NVRTC ----*- C++
//-*-===//
//
// The compile service of code generation: the CUDA C++ of one module becomes
// a cubin per requested architecture plus PTX for forward compatibility, each
// kernel with ptxas' resource figures. No GPU and no driver are needed.
// Same source and options give byte-identical cubins, so engines are
// reproducible.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_NVRTCCOMPILER_H
#define KILN_COMPILER_CODEGEN_NVRTCCOMPILER_H

#include "compiler/codegen/CompileLog.h"
#include "compiler/codegen/GpuArch.h"
#include "compiler/codegen/PtxasReport.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::codegen {

struct CompileOptions {
  /// Searched for `#include "..."`, after the in-memory headers. Defaults to
  /// the repository root (so `#include "runtime/host/simt.h"` resolves to the
  /// CUDA-side definitions) and the CUDA toolkit's include directory.
  std::vector<std::string> includeDirs = defaultIncludeDirs();
  /// Headers given by content (name as included -> text), e.g. the kernel
  /// library embedded in the compiler; they win over includeDirs.
  std::vector<std::pair<std::string, std::string>> headers;
  /// `-D` definitions, "NAME" or "NAME=VALUE". NDEBUG is always defined.
  std::vector<std::string> defines;
  /// `-lineinfo`: source lines in the cubin for profilers. Off by default:
  /// NVRTC 13 then records the compiling process's working directory joined
  /// with the program name (`.file 1 "/cwd/name.cu"`), so the cubin depends
  /// on where the compiler ran.
  bool lineInfo = false;
  /// `-maxrregcount=N`. ptxas ignores it for kernels with
  /// `__launch_bounds__` (their bounds set the limit), so it only caps kernels
  /// without them.
  std::optional<unsigned> maxRegisters;
  /// Passed to NVRTC after Kiln's own; may not choose the architecture.
  std::vector<std::string> extraOptions;

  static std::vector<std::string> defaultIncludeDirs();
  /// The toolkit's include directory (cuda_fp16.h, ...), alone: with the
  /// embedded kernel library as `headers` it is all NVRTC needs.
  static std::string cudaIncludeDir();
};

/// One architecture's code object.
struct ArchCompilation {
  GpuArch arch;
  /// An ELF image for cuModuleLoadData.
  std::string cubin;
  /// The PTX the cubin was assembled from (`.target sm_XX`).
  std::string ptx;
  PtxasReport report;
  /// Warnings and remarks of the front end and ptxas.
  std::vector<CompileDiagnostic> warnings;
  /// The exact NVRTC options, for the engine manifest and reproduction.
  std::vector<std::string> nvrtcOptions;
};

struct CompiledModule {
  /// The program name given to NVRTC (the generated file's name).
  std::string name;
  /// "major.minor" of the NVRTC that compiled it.
  std::string nvrtcVersion;
  /// In the order requested, one per distinct architecture.
  std::vector<ArchCompilation> archs;
  /// The architecture of forwardPtx: the newest requested one that is not
  /// arch-specific (PTX for sm_90a cannot be JIT-compiled for a later GPU).
  /// Empty if every requested architecture is arch-specific.
  std::optional<GpuArch> forwardPtxArch;
  /// PTX for GPUs newer than every cubin: the driver JIT-compiles it.
  std::string forwardPtx;

  const ArchCompilation *find(const GpuArch &arch) const;
};

/// Compiles `source` (named `name` in diagnostics, e.g. "kiln_fusion_3.cu")
/// once per architecture, with -arch=sm_XX, -std=c++17, -default-device,
/// -DNDEBUG and `--ptxas-options=-v`. Compile errors come back as one
/// llvm::Error listing every error as `file:line:col: error: message` with
/// the offending source line; failures of NVRTC's API name the call.
llvm::Expected<CompiledModule> compileCuda(llvm::StringRef source,
                                           llvm::StringRef name,
                                           llvm::ArrayRef<GpuArch> archs,
                                           const CompileOptions &options = {});

/// PTX only, for the virtual architecture `compute_XX` of `arch` (no ptxas).
llvm::Expected<std::string> compilePtx(llvm::StringRef source,
                                       llvm::StringRef name,
                                       const GpuArch &arch,
                                       const CompileOptions &options = {});

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_NVRTCCOMPILER_H
