//===- GpuArchTest.cpp - sm_XX parsing and NVRTC's supported list ---------===//

#include "compiler/codegen/GpuArch.h"

#include "test/unit/codegen/ErrorTesting.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

using namespace kiln::codegen;
using kiln::codegen::testing::errorMessage;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

TEST(GpuArch, ParsesRealArchitectures) {
  llvm::Expected<GpuArch> ampere = parseGpuArch("sm_86");
  ASSERT_SUCCEEDED(ampere);
  EXPECT_EQ(ampere->major, 8u);
  EXPECT_EQ(ampere->minor, 6u);
  EXPECT_FALSE(ampere->archSpecific);
  EXPECT_EQ(ampere->number(), 86u);
  EXPECT_EQ(ampere->name(), "sm_86");
  EXPECT_EQ(ampere->virtualName(), "compute_86");

  llvm::Expected<GpuArch> hopper = parseGpuArch("sm_90a");
  ASSERT_SUCCEEDED(hopper);
  EXPECT_EQ(hopper->major, 9u);
  EXPECT_EQ(hopper->minor, 0u);
  EXPECT_TRUE(hopper->archSpecific);
  EXPECT_EQ(hopper->name(), "sm_90a");
  EXPECT_EQ(hopper->virtualName(), "compute_90a");

  llvm::Expected<GpuArch> blackwell = parseGpuArch("sm_100");
  ASSERT_SUCCEEDED(blackwell);
  EXPECT_EQ(blackwell->major, 10u);
  EXPECT_EQ(blackwell->minor, 0u);
}

TEST(GpuArch, RejectsMalformedNames) {
  for (const char *name : {"", "sm_", "sm80", "sm_8", "sm_1000", "sm_08",
                           "compute_80", "sm_80b", "sm_8x", "SM_80", "sm_-80"})
    EXPECT_THAT(errorMessage(parseGpuArch(name)),
                HasSubstr("invalid GPU architecture '" + std::string(name)))
        << name;
}

TEST(GpuArch, OrdersOlderFirstAndGenericBeforeArchSpecific) {
  GpuArch sm80{8, 0, false}, sm86{8, 6, false}, sm90{9, 0, false},
      sm90a{9, 0, true}, sm100{10, 0, false};
  EXPECT_LT(sm80, sm86);
  EXPECT_LT(sm86, sm90);
  EXPECT_LT(sm90, sm90a);
  EXPECT_LT(sm90a, sm100);
  EXPECT_FALSE(sm90a < sm90);
  EXPECT_NE(sm90, sm90a);
}

TEST(GpuArch, NvrtcSupportsTheDefaultArchitectures) {
  llvm::Expected<std::vector<GpuArch>> supported = nvrtcSupportedArchs();
  ASSERT_SUCCEEDED(supported);
  ASSERT_FALSE(supported->empty());
  EXPECT_TRUE(std::is_sorted(supported->begin(), supported->end()));
  for (const GpuArch &arch : defaultGpuArchs()) {
    EXPECT_NE(std::find(supported->begin(), supported->end(), arch),
              supported->end())
        << arch.name();
    llvm::Expected<GpuArch> parsed = parseSupportedArch(arch.name());
    ASSERT_SUCCEEDED(parsed);
    EXPECT_EQ(*parsed, arch);
  }
  llvm::Expected<GpuArch> hopper = parseSupportedArch("sm_90a");
  ASSERT_SUCCEEDED(hopper);
  EXPECT_TRUE(hopper->archSpecific);
}

TEST(GpuArch, UnsupportedArchitecturesNameTheSupportedOnes) {
  // sm_12 is well formed but no NVRTC ever targeted it; sm_80a has no
  // arch-specific variant (those start with Hopper).
  for (const char *name : {"sm_12", "sm_80a"})
    EXPECT_THAT(errorMessage(parseSupportedArch(name)),
                AllOf(HasSubstr("'" + std::string(name) + "' is not supported"),
                      HasSubstr("sm_80, sm_86")))
        << name;
  EXPECT_THAT(errorMessage(parseSupportedArch("compute_90")),
              HasSubstr("invalid GPU architecture"));
}

} // namespace
