//===- PtxasReportTest.cpp - Reading ptxas -v out of NVRTC logs -----------===//
//
// The logs below are verbatim NVRTC 13.0 output (--ptxas-options=-v), so the
// parser is tested on the format it meets; NvrtcCompilerTest checks the
// figures of live compiles.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/PtxasReport.h"

#include "test/unit/codegen/ErrorTesting.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kiln::codegen;
using kiln::codegen::testing::errorMessage;
using ::testing::HasSubstr;

namespace {

// sm_80: module totals with cmem[3] (a __constant__ array), an extern "C"
// kernel with a local array on the stack, a mangled template kernel, a kernel
// with shared memory and a barrier.
constexpr const char *kSm80Log =
    "ptxas info    : Overriding maximum register limit 256 for 'spill' with  "
    "32 of maxrregcount option\n"
    "ptxas info    : 0 bytes gmem, 64 bytes cmem[3]\n"
    "ptxas info    : Compiling entry function 'spill' for 'sm_80'\n"
    "ptxas info    : Function properties for spill\n"
    "ptxas         .     1024 bytes stack frame, 8 bytes spill stores, 12 "
    "bytes spill loads\n"
    "ptxas info    : Used 32 registers, used 0 barriers, 1024 bytes "
    "cumulative stack size, 364 bytes cmem[0]\n"
    "ptxas info    : Compile time = 131.134 ms\n"
    "ptxas info    : Compiling entry function '_Z2tkILi64EEvPf' for 'sm_80'\n"
    "ptxas info    : Function properties for _Z2tkILi64EEvPf\n"
    "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes "
    "spill loads\n"
    "ptxas info    : Used 31 registers, used 0 barriers, 360 bytes cmem[0]\n"
    "ptxas info    : Compile time = 4.779 ms\n"
    "ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
    "ptxas info    : Function properties for k\n"
    "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes "
    "spill loads\n"
    "ptxas info    : Used 13 registers, used 1 barriers, 1088 bytes smem, 368 "
    "bytes cmem[0]\n"
    "ptxas info    : Compile time = 6.047 ms\n";

TEST(PtxasReport, ReadsEveryFigureOfEachKernel) {
  llvm::Expected<PtxasReport> report = parsePtxasReport(kSm80Log);
  ASSERT_SUCCEEDED(report);
  EXPECT_EQ(report->arch, "sm_80");
  EXPECT_EQ(report->globalBytes, 0u);
  EXPECT_EQ(report->constantBankBytes, (std::map<unsigned, uint64_t>{{3, 64}}));
  ASSERT_EQ(report->kernels.size(), 3u);

  const KernelResources &spill = report->kernels[0];
  EXPECT_EQ(spill.symbol, "spill");
  EXPECT_EQ(spill.name, "spill");
  EXPECT_EQ(spill.registers, 32u);
  EXPECT_EQ(spill.barriers, 0u);
  EXPECT_EQ(spill.stackFrameBytes, 1024u);
  EXPECT_EQ(spill.spillStoreBytes, 8u);
  EXPECT_EQ(spill.spillLoadBytes, 12u);
  EXPECT_TRUE(spill.spills());
  EXPECT_EQ(spill.cumulativeStackBytes, 1024u);
  EXPECT_EQ(spill.sharedBytes, 0u);
  EXPECT_EQ(spill.constantBankBytes, (std::map<unsigned, uint64_t>{{0, 364}}));

  const KernelResources &mangled = report->kernels[1];
  EXPECT_EQ(mangled.symbol, "_Z2tkILi64EEvPf");
  EXPECT_EQ(mangled.name, "void tk<64>(float*)");
  EXPECT_EQ(mangled.registers, 31u);
  EXPECT_FALSE(mangled.spills());

  const KernelResources &tiled = report->kernels[2];
  EXPECT_EQ(tiled.registers, 13u);
  EXPECT_EQ(tiled.barriers, 1u);
  EXPECT_EQ(tiled.sharedBytes, 1088u);
  EXPECT_EQ(tiled.constantBankBytes, (std::map<unsigned, uint64_t>{{0, 368}}));

  EXPECT_EQ(report->findKernel("void tk<64>(float*)"), &mangled);
  EXPECT_EQ(report->findKernel("_Z2tkILi64EEvPf"), &mangled);
  EXPECT_EQ(report->findKernel("absent"), nullptr);
}

TEST(PtxasReport, Sm90HasNoConstantBanksAndDeviceFunctionsHaveFrames) {
  // sm_90 drops the cmem items; a __noinline__ callee's properties follow the
  // kernel that calls it and must not overwrite the kernel's.
  constexpr const char *log =
      "ptxas info    : 40 bytes gmem\n"
      "ptxas info    : Compiling entry function '_ZN2ns1kIfEEvPT_i' for "
      "'sm_90a'\n"
      "ptxas info    : Function properties for _ZN2ns1kIfEEvPT_i\n"
      "ptxas         .     128 bytes stack frame, 0 bytes spill stores, 0 "
      "bytes spill loads\n"
      "ptxas info    : Used 40 registers, used 1 barriers, 128 bytes "
      "cumulative stack size, 144 bytes smem\n"
      "ptxas info    : Compile time = 3.919 ms\n"
      "ptxas info    : Function properties for _Z6helperPfi\n"
      "ptxas         .     96 bytes stack frame, 4 bytes spill stores, 4 "
      "bytes spill loads\n";
  llvm::Expected<PtxasReport> report = parsePtxasReport(log);
  ASSERT_SUCCEEDED(report);
  EXPECT_EQ(report->arch, "sm_90a");
  EXPECT_EQ(report->globalBytes, 40u);
  EXPECT_TRUE(report->constantBankBytes.empty());
  ASSERT_EQ(report->kernels.size(), 1u);
  const KernelResources &kernel = report->kernels[0];
  EXPECT_EQ(kernel.name, "void ns::k<float>(float*, int)");
  EXPECT_EQ(kernel.registers, 40u);
  EXPECT_EQ(kernel.stackFrameBytes, 128u);
  EXPECT_FALSE(kernel.spills());
  EXPECT_EQ(kernel.sharedBytes, 144u);
  EXPECT_TRUE(kernel.constantBankBytes.empty());
  ASSERT_EQ(report->deviceFunctions.size(), 1u);
  EXPECT_EQ(report->deviceFunctions[0].name, "helper(float*, int)");
  EXPECT_EQ(report->deviceFunctions[0].stackFrameBytes, 96u);
  EXPECT_EQ(report->deviceFunctions[0].spillStoreBytes, 4u);
}

TEST(PtxasReport, IgnoresTheFrontEndPartOfTheLog) {
  llvm::Expected<PtxasReport> report =
      parsePtxasReport("w.cu(1): warning #177-D: variable \"unused\" was "
                       "declared but never referenced\n  int unused = 3;\n"
                       "      ^\n\n");
  ASSERT_SUCCEEDED(report);
  EXPECT_TRUE(report->kernels.empty());
}

TEST(PtxasReport, AKernelWithoutItsResourceLineIsAnError) {
  EXPECT_THAT(
      errorMessage(parsePtxasReport(
          "ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
          "ptxas info    : Function properties for k\n"
          "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 "
          "bytes spill loads\n")),
      HasSubstr("kernel 'k' lacks its 'Used N registers' line"));
  EXPECT_THAT(errorMessage(parsePtxasReport(
                  "ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
                  "ptxas info    : Used many registers\n")),
              HasSubstr("unreadable ptxas report line (resource item)"));
}

} // namespace
