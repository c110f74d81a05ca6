//===- KernelLibraryTest.cpp - The embedded kernel library ----------------===//

#include "compiler/codegen/KernelLibrary.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cg = ::kiln::codegen;

namespace {

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : std::string("<unreadable>");
}

// Every header of compiler/codegen/kernels and the simulator headers kernels
// include are embedded, byte for byte as in the tree this was built from.
TEST(KernelLibrary, EmbedsEveryHeaderVerbatim) {
  std::set<std::string> embedded;
  for (const cg::EmbeddedFile &file : cg::kernelLibraryFiles()) {
    embedded.insert(file.path);
    EXPECT_EQ(std::string(file.contents),
              readFile(std::string(KILN_SOURCE_DIR) + "/" + file.path))
        << file.path;
  }
  std::error_code ec;
  std::string kernels =
      std::string(KILN_SOURCE_DIR) + "/compiler/codegen/kernels";
  size_t headers = 0;
  for (llvm::sys::fs::directory_iterator it(kernels, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".cuh")
      continue;
    ++headers;
    std::string rel = "compiler/codegen/kernels/" +
                      llvm::sys::path::filename(it->path()).str();
    EXPECT_TRUE(embedded.count(rel)) << rel << " is not embedded";
  }
  EXPECT_GE(headers, 1u);
  for (const char *header : {"runtime/host/simt.h", "runtime/host/Fp16.h",
                             "runtime/host/kiln_cuda_compat.h"})
    EXPECT_TRUE(cg::findKernelLibraryFile(header)) << header;
  EXPECT_FALSE(cg::findKernelLibraryFile("runtime/host/Launch.h"))
      << "the simulator's own API is not for kernels";
}

// The written tree is what `-I` needs: the same files at the same paths.
TEST(KernelLibrary, WritesAnIncludeTree) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("kiln-kernels", dir));
  ASSERT_FALSE(bool(cg::writeKernelLibrary(dir)));
  for (const cg::EmbeddedFile &file : cg::kernelLibraryFiles())
    EXPECT_EQ(readFile((dir + "/" + file.path).str()),
              std::string(file.contents));
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
