//===- GpuArch.h - NVIDIA GPU architectures Kiln compiles for -----*- C++
//-*-===//
//
// An `sm_XX` (or arch-specific `sm_XXa`) target. Parsing checks the spelling;
// `parseSupportedArch` also checks that the NVRTC linked into this process
// can generate code for it, so an engine build fails before compiling anything
// when a requested architecture is out of reach.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_GPUARCH_H
#define KILN_COMPILER_CODEGEN_GPUARCH_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::codegen {

/// A real GPU architecture, compute capability major.minor. `archSpecific`
/// is the `a` suffix (sm_90a): code using the architecture's accelerated
/// features (wgmma, setmaxnreg, ...) that runs on that exact architecture
/// only, never on a later one.
struct GpuArch {
  unsigned major = 0;
  unsigned minor = 0;
  bool archSpecific = false;

  /// The number NVRTC and the CUDA docs use: 10 * major + minor (sm_86 -> 86).
  unsigned number() const { return major * 10 + minor; }
  /// `sm_86`, `sm_90a`: the real architecture (cubin).
  std::string name() const;
  /// `compute_86`, `compute_90a`: the virtual architecture (PTX).
  std::string virtualName() const;

  friend bool operator==(const GpuArch &a, const GpuArch &b) {
    return a.major == b.major && a.minor == b.minor &&
           a.archSpecific == b.archSpecific;
  }
  friend bool operator!=(const GpuArch &a, const GpuArch &b) {
    return !(a == b);
  }
  /// Older first; sm_90 before sm_90a.
  friend bool operator<(const GpuArch &a, const GpuArch &b) {
    if (a.number() != b.number())
      return a.number() < b.number();
    return !a.archSpecific && b.archSpecific;
  }
};

/// Parses `sm_XX` or `sm_XXa` (XX: two or three digits, the last one the
/// minor version). Only checks the spelling; see parseSupportedArch.
llvm::Expected<GpuArch> parseGpuArch(llvm::StringRef name);

/// The real architectures the linked NVRTC generates cubins for
/// (nvrtcGetSupportedArchs), oldest first, without the `a` variants.
llvm::Expected<std::vector<GpuArch>> nvrtcSupportedArchs();

/// The NVRTC version as "major.minor", for messages and engine manifests.
std::string nvrtcVersionString();

/// parseGpuArch, then checks that this NVRTC supports the architecture; the
/// `a` variants exist from sm_90 on. The error names the supported ones.
llvm::Expected<GpuArch> parseSupportedArch(llvm::StringRef name);

/// The architectures every Kiln build of engines must reach (the brief of the
/// codegen issue): Ampere (sm_80, sm_86), Ada (sm_89) and Hopper (sm_90).
std::vector<GpuArch> defaultGpuArchs();

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_GPUARCH_H
