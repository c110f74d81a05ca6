//===- HostCompiler.h - CUDA C++ to a host .so ------------------*- C++ -*-===//
//
// Builds the `host` code object of a generated module: the same CUDA C++ that
// NVRTC compiles, compiled by the host C++ compiler against
// runtime/host/simt.h into a shared object that the runtime (or a test)
// dlopen's and binds to the SIMT simulator with kiln::simt::bindModule. The
// object never links the simulator (-Wl,--no-undefined proves it needs
// nothing but libc/libstdc++/libm).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_HOSTCOMPILER_H
#define KILN_COMPILER_CODEGEN_HOSTCOMPILER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::codegen {

struct HostCompileOptions {
  /// The compiler; found on PATH when relative. Defaults to `c++`.
  std::string compiler = "c++";
  /// Directory holding `runtime/host/simt.h` and the kernel library. Empty
  /// (the default): the library embedded in Kiln (KernelLibrary.h), written
  /// into the module's directory, so no source tree is needed.
  std::string includeRoot;
  /// Passed after Kiln's own flags.
  std::vector<std::string> extraFlags;
};

/// A built host code object. The directory (source, object, compiler log) is
/// removed when the object is destroyed unless `keep` is set.
class HostModule {
public:
  HostModule() = default;
  HostModule(HostModule &&other) noexcept;
  HostModule &operator=(HostModule &&other) noexcept;
  HostModule(const HostModule &) = delete;
  HostModule &operator=(const HostModule &) = delete;
  ~HostModule();

  std::string directory;
  std::string sourcePath;
  std::string sharedObjectPath;
  /// The exact command line, for reproduction.
  std::vector<std::string> command;
  bool keep = false;
};

/// Writes `source` as `fileName` into a fresh temporary directory and runs
/// `c++ -std=c++17 -O2 -fno-strict-aliasing -fPIC -shared -I<root>
/// -Wl,--no-undefined` on it.
/// A failing compile is an error quoting the compiler's diagnostics, which
/// name the generated file and line.
llvm::Expected<HostModule>
compileHostModule(llvm::StringRef source, llvm::StringRef fileName,
                  const HostCompileOptions &options = {});

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_HOSTCOMPILER_H
