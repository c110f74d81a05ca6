//===- KernelLibrary.cpp - The kernel library compiled into Kiln ----------===//

#include "compiler/codegen/KernelLibrary.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace kiln::codegen {

llvm::ArrayRef<EmbeddedFile> kernelLibraryFiles() {
  return llvm::ArrayRef<EmbeddedFile>(detail::kEmbeddedFiles,
                                      detail::kNumEmbeddedFiles);
}

const EmbeddedFile *findKernelLibraryFile(llvm::StringRef path) {
  for (const EmbeddedFile &file : kernelLibraryFiles())
    if (path == file.path)
      return &file;
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> kernelLibraryHeaders() {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const EmbeddedFile &file : kernelLibraryFiles())
    headers.emplace_back(file.path, file.contents);
  return headers;
}

llvm::Error writeKernelLibrary(llvm::StringRef directory) {
  for (const EmbeddedFile &file : kernelLibraryFiles()) {
    llvm::SmallString<256> path(directory);
    llvm::sys::path::append(path, file.path);
    if (std::error_code ec = llvm::sys::fs::create_directories(
            llvm::sys::path::parent_path(path)))
      return llvm::createStringError(ec, "cannot create the directory of '%s'",
                                     path.c_str());
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return llvm::createStringError(ec, "cannot write '%s'", path.c_str());
    os << file.contents;
    os.close();
    if (os.has_error())
      return llvm::createStringError(os.error(), "cannot write '%s'",
                                     path.c_str());
  }
  return llvm::Error::success();
}

} // namespace kiln::codegen
