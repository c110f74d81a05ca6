//===- NvrtcDefaultsTest.cpp - Default configurations compile without spills //
//
// Each nvrtc/*.cu instantiates the default configuration of a family's
// templates (one `extern "C" __global__` per template and element type).
// It is compiled by NVRTC for sm_80, sm_86, sm_89 and sm_90, and the ptxas
// figures recorded for every kernel must show zero spill stores and loads.
// The figures are printed, so a run documents registers and shared memory.
// The includes resolve against the kernel library embedded in the compiler
// (KernelLibrary.h) and the toolkit's headers only, never the source tree,
// which is how the compiler builds an engine's kernels.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/KernelLibrary.h"
#include "compiler/codegen/NvrtcCompiler.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace cg = ::kiln::codegen;

namespace {

std::vector<std::string> sources() {
  std::vector<std::string> out;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(KILN_KERNEL_NVRTC_SOURCES).split(parts, ',', -1, false);
  for (llvm::StringRef p : parts)
    out.push_back(p.str());
  return out;
}

class DefaultConfigs : public ::testing::TestWithParam<std::string> {};

TEST_P(DefaultConfigs, CompileWithZeroSpills) {
  const std::string &path = GetParam();
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(bool(buffer)) << "cannot read " << path;
  std::string name = llvm::sys::path::filename(path).str();
  llvm::Expected<cg::CompiledModule> module =
      cg::compileCuda((*buffer)->getBuffer(), name, cg::defaultGpuArchs(),
                      cg::CompileOptions());
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  ASSERT_EQ(module->archs.size(), cg::defaultGpuArchs().size());
  size_t kernels = 0;
  for (const cg::ArchCompilation &arch : module->archs) {
    ASSERT_FALSE(arch.report.kernels.empty())
        << name << " has no kernel for " << arch.arch.name();
    for (const cg::KernelResources &k : arch.report.kernels) {
      ++kernels;
      std::printf("%-8s %-48s regs %3u  smem %6llu  stack %4llu  spill "
                  "st/ld %llu/%llu\n",
                  arch.arch.name().c_str(), k.symbol.c_str(), k.registers,
                  static_cast<unsigned long long>(k.sharedBytes),
                  static_cast<unsigned long long>(k.stackFrameBytes),
                  static_cast<unsigned long long>(k.spillStoreBytes),
                  static_cast<unsigned long long>(k.spillLoadBytes));
      EXPECT_EQ(k.spillStoreBytes, 0u)
          << k.symbol << " spills on " << arch.arch.name();
      EXPECT_EQ(k.spillLoadBytes, 0u)
          << k.symbol << " spills on " << arch.arch.name();
    }
  }
  EXPECT_GT(kernels, 0u);
}

std::string paramName(const ::testing::TestParamInfo<std::string> &info) {
  std::string stem = llvm::sys::path::stem(info.param).str();
  for (char &c : stem)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return stem;
}

INSTANTIATE_TEST_SUITE_P(Kernels, DefaultConfigs,
                         ::testing::ValuesIn(sources()), paramName);

} // namespace
