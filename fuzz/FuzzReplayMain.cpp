//===- FuzzReplayMain.cpp - Run a fuzz target over given files ------------===//
//
// `kiln-onnx-fuzz-replay FILE|DIR...` calls LLVMFuzzerTestOneInput once per
// file, walking directories recursively in sorted order; the idea of LLVM's
// StandaloneFuzzTargetMain. It lets any compiler build the fuzz target and
// lets ctest replay the committed corpus and every crash found so far: an
// input that crashes or aborts the target fails the run, and the name printed
// before it says which input it was.
//
//===----------------------------------------------------------------------===//

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/// Appends the regular files under `path` (or `path` itself) to `files`.
static std::error_code
collectInputs(const std::string &path,
              llvm::SmallVectorImpl<std::string> &files) {
  llvm::sys::fs::file_status status;
  if (std::error_code error = llvm::sys::fs::status(path, status))
    return error;
  if (!llvm::sys::fs::is_directory(status)) {
    files.push_back(path);
    return {};
  }
  llvm::SmallVector<std::string> found;
  std::error_code error;
  for (llvm::sys::fs::recursive_directory_iterator it(path, error), end;
       it != end && !error; it.increment(error)) {
    llvm::ErrorOr<llvm::sys::fs::basic_file_status> entry = it->status();
    if (entry && llvm::sys::fs::is_regular_file(*entry))
      found.push_back(it->path());
  }
  if (error)
    return error;
  // Directory order is the file system's; sorting makes runs comparable.
  llvm::sort(found);
  files.append(found.begin(), found.end());
  return {};
}

int main(int argc, char **argv) {
  if (argc < 2) {
    llvm::errs() << "usage: " << argv[0] << " FILE|DIR...\n"
                 << "Runs the fuzz target once on every file.\n";
    return 2;
  }
  llvm::SmallVector<std::string> files;
  for (int i = 1; i < argc; ++i)
    if (std::error_code error = collectInputs(argv[i], files)) {
      llvm::errs() << "error: cannot read '" << argv[i]
                   << "': " << error.message() << "\n";
      return 1;
    }
  // A replay that runs nothing would pass whatever the target does.
  if (files.empty()) {
    llvm::errs() << "error: no input files found\n";
    return 1;
  }
  for (const std::string &file : files) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!buffer) {
      llvm::errs() << "error: cannot read '" << file
                   << "': " << buffer.getError().message() << "\n";
      return 1;
    }
    // Printed before the run, so that a crash is attributed to its input.
    llvm::errs() << "Running: " << file << "\n";
    llvm::errs().flush();
    llvm::StringRef bytes = (*buffer)->getBuffer();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                           bytes.size());
  }
  llvm::errs() << "Executed " << files.size() << " inputs\n";
  return 0;
}
