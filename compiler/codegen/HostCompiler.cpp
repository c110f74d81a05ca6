//===- HostCompiler.cpp - Generated CUDA C++ to a host code object --------===//

#include "compiler/codegen/HostCompiler.h"
#include "compiler/codegen/KernelLibrary.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace kiln::codegen {

HostModule::HostModule(HostModule &&other) noexcept {
  *this = std::move(other);
}

HostModule &HostModule::operator=(HostModule &&other) noexcept {
  if (this != &other) {
    if (!keep && !directory.empty())
      llvm::sys::fs::remove_directories(directory);
    directory = std::move(other.directory);
    sourcePath = std::move(other.sourcePath);
    sharedObjectPath = std::move(other.sharedObjectPath);
    command = std::move(other.command);
    keep = other.keep;
    other.directory.clear();
  }
  return *this;
}

HostModule::~HostModule() {
  if (!keep && !directory.empty())
    llvm::sys::fs::remove_directories(directory);
}

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

llvm::Expected<HostModule>
compileHostModule(llvm::StringRef source, llvm::StringRef fileName,
                  const HostCompileOptions &options) {
  if (fileName.empty() || llvm::sys::path::has_parent_path(fileName))
    return makeError("host module name '" + fileName +
                     "' must be a plain file name");
  HostModule module;
  llvm::SmallString<128> directory;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("kiln-host", directory))
    return makeError("cannot create a temporary directory: " + ec.message());
  module.directory = directory.str().str();

  llvm::SmallString<128> sourcePath(directory);
  llvm::sys::path::append(sourcePath, fileName);
  module.sourcePath = sourcePath.str().str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(module.sourcePath, ec);
    if (ec)
      return makeError("cannot write '" + module.sourcePath +
                       "': " + ec.message());
    out << source;
  }
  llvm::SmallString<128> objectPath(directory);
  llvm::sys::path::append(objectPath, llvm::sys::path::stem(fileName) + ".so");
  module.sharedObjectPath = objectPath.str().str();
  llvm::SmallString<128> logPath(directory);
  llvm::sys::path::append(logPath, "compiler.log");

  std::string includeRoot = options.includeRoot;
  if (includeRoot.empty()) {
    llvm::SmallString<128> include(directory);
    llvm::sys::path::append(include, "include");
    if (llvm::Error error = writeKernelLibrary(include))
      return std::move(error);
    includeRoot = include.str().str();
  }

  llvm::ErrorOr<std::string> compiler =
      llvm::sys::path::is_absolute(options.compiler)
          ? llvm::ErrorOr<std::string>(options.compiler)
          : llvm::sys::findProgramByName(options.compiler);
  if (!compiler)
    return makeError("host C++ compiler '" + options.compiler +
                     "' not found on PATH");
  // No -Wall: generated code is checked by tests, and `#pragma unroll`
  // would warn (docs/host-simulator.md). Kernels reinterpret element
  // buffers as vectors (Vec<T, N>) as CUDA code does; -fno-strict-aliasing
  // keeps the host compiler from assuming they cannot alias.
  module.command = {*compiler,
                    "-std=c++17",
                    "-O2",
                    "-fno-strict-aliasing",
                    "-fPIC",
                    "-shared",
                    "-I" + includeRoot,
                    "-Wl,--no-undefined"};
  module.command.insert(module.command.end(), options.extraFlags.begin(),
                        options.extraFlags.end());
  module.command.insert(module.command.end(), {"-x", "c++", module.sourcePath,
                                               "-o", module.sharedObjectPath});
  std::vector<llvm::StringRef> argv(module.command.begin(),
                                    module.command.end());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(logPath), llvm::StringRef(logPath)};
  std::string executionError;
  int status = llvm::sys::ExecuteAndWait(*compiler, argv, std::nullopt,
                                         redirects, /*SecondsToWait=*/0,
                                         /*MemoryLimit=*/0, &executionError);
  if (status != 0) {
    std::string log;
    if (llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
            llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().str();
    // Keep the source: the diagnostics point into it.
    module.keep = true;
    return makeError("host compile of '" + fileName + "' failed (" +
                     (executionError.empty()
                          ? "exit status " + std::to_string(status)
                          : executionError) +
                     "); source kept at " + module.sourcePath + "\n" + log);
  }
  return std::move(module);
}

} // namespace kiln::codegen
