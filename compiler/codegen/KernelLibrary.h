//===- KernelLibrary.h - The kernel library compiled into Kiln --*- C++ -*-===//
//
// The CUDA C++ that generated kernels include: the kernel templates
// (compiler/codegen/kernels/*.cuh) and the simulator/CUDA shim headers
// (runtime/host/simt.h and what it includes). Their text is embedded at build
// time (EmbedFiles.cmake), so generating and compiling an engine's kernels,
// for NVRTC or for the host device, never reads the source tree.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_KERNELLIBRARY_H
#define KILN_COMPILER_CODEGEN_KERNELLIBRARY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln::codegen {

struct EmbeddedFile {
  /// As included, e.g. "compiler/codegen/kernels/gemm.cuh".
  const char *path;
  const char *contents;
};

/// Every embedded file, sorted by path.
llvm::ArrayRef<EmbeddedFile> kernelLibraryFiles();

/// The embedded file included as `path`, or nullptr.
const EmbeddedFile *findKernelLibraryFile(llvm::StringRef path);

/// (include name, text) pairs for CompileOptions::headers (NVRTC).
std::vector<std::pair<std::string, std::string>> kernelLibraryHeaders();

/// Writes every embedded file under `directory` (creating subdirectories),
/// so that `-I<directory>` resolves the kernels' includes (host compiler).
llvm::Error writeKernelLibrary(llvm::StringRef directory);

namespace detail {
extern const EmbeddedFile kEmbeddedFiles[];
extern const unsigned kNumEmbeddedFiles;
} // namespace detail

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_KERNELLIBRARY_H
