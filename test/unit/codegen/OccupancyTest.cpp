//===- OccupancyTest.cpp - Theoretical occupancy, computed by hand --------===//
//
// Each expectation is derived by hand from the documented limits (CUDA C++
// Programming Guide, compute-capability table) and the allocation rules the
// guide's occupancy section describes: registers are allocated per warp in
// units of 256, in 4 SM sub-partitions of 16384 registers each; shared memory
// in units of 128 bytes plus 1 KiB reserved per block (sm_80+).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Occupancy.h"

#include "test/unit/codegen/ErrorTesting.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kiln::codegen;
using kiln::codegen::testing::errorMessage;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

const GpuArch sm80{8, 0, false}, sm86{8, 6, false}, sm89{8, 9, false},
    sm90{9, 0, false}, sm90a{9, 0, true};

TEST(Occupancy, Sm80FullWith32Registers) {
  // 32 regs x 32 lanes = 1024 regs a warp; 16384 / 1024 = 16 warps per
  // sub-partition, 64 per SM = the 64-warp maximum; 256 threads = 8 warps, so
  // 8 blocks, limited by both warps and registers.
  llvm::Expected<Occupancy> occupancy = theoreticalOccupancy(sm80, 32, 0, 256);
  ASSERT_SUCCEEDED(occupancy);
  EXPECT_EQ(occupancy->activeBlocksPerSm, 8u);
  EXPECT_EQ(occupancy->activeWarpsPerSm, 64u);
  EXPECT_EQ(occupancy->maxWarpsPerSm, 64u);
  EXPECT_DOUBLE_EQ(occupancy->fraction(), 1.0);
  EXPECT_THAT(occupancy->limitedBy, ElementsAre("warps", "registers"));
}

TEST(Occupancy, Sm80HalfWith64Registers) {
  // 2048 regs a warp: 8 warps per sub-partition, 32 per SM, 4 blocks of 8.
  llvm::Expected<Occupancy> occupancy = theoreticalOccupancy(sm80, 64, 0, 256);
  ASSERT_SUCCEEDED(occupancy);
  EXPECT_EQ(occupancy->activeBlocksPerSm, 4u);
  EXPECT_EQ(occupancy->activeWarpsPerSm, 32u);
  EXPECT_DOUBLE_EQ(occupancy->fraction(), 0.5);
  EXPECT_THAT(occupancy->limitedBy, ElementsAre("registers"));
}

TEST(Occupancy, RegistersRoundUpToTheAllocationUnit) {
  // 33 regs x 32 = 1056, rounded to 1280 a warp: 16384 / 1280 = 12 warps per
  // sub-partition, 48 per SM, 6 blocks of 8 warps = 75%.
  llvm::Expected<Occupancy> occupancy = theoreticalOccupancy(sm80, 33, 0, 256);
  ASSERT_SUCCEEDED(occupancy);
  EXPECT_EQ(occupancy->activeBlocksPerSm, 6u);
  EXPECT_DOUBLE_EQ(occupancy->fraction(), 0.75);
}

TEST(Occupancy, Sm80SharedMemoryWithTheReservedKilobyte) {
  // 48 KiB + 1 KiB reserved = 50176 bytes a block; 164 KiB = 167936 per SM
  // holds 3 of them: 24 warps of 64.
  llvm::Expected<Occupancy> occupancy =
      theoreticalOccupancy(sm80, 32, 48 * 1024, 256);
  ASSERT_SUCCEEDED(occupancy);
  EXPECT_EQ(occupancy->activeBlocksPerSm, 3u);
  EXPECT_DOUBLE_EQ(occupancy->fraction(), 0.375);
  EXPECT_THAT(occupancy->limitedBy, ElementsAre("shared memory"));
}

TEST(Occupancy, Sm86And89HaveFortyEightWarps) {
  // Registers would allow 64 warps, but these SMs hold 48: 6 blocks of 8.
  for (const GpuArch &arch : {sm86, sm89}) {
    llvm::Expected<Occupancy> occupancy =
        theoreticalOccupancy(arch, 32, 0, 256);
    ASSERT_SUCCEEDED(occupancy);
    EXPECT_EQ(occupancy->activeBlocksPerSm, 6u) << arch.name();
    EXPECT_EQ(occupancy->maxWarpsPerSm, 48u) << arch.name();
    EXPECT_DOUBLE_EQ(occupancy->fraction(), 1.0) << arch.name();
    EXPECT_THAT(occupancy->limitedBy, ElementsAre("warps")) << arch.name();
  }
  // One 1024-thread block (32 warps) fits, a second does not: 32 / 48.
  llvm::Expected<Occupancy> big = theoreticalOccupancy(sm89, 32, 0, 1024);
  ASSERT_SUCCEEDED(big);
  EXPECT_EQ(big->activeBlocksPerSm, 1u);
  EXPECT_DOUBLE_EQ(big->fraction(), 32.0 / 48.0);
}

TEST(Occupancy, Sm86SharedMemoryOptInLimit) {
  // 99 KiB is the opt-in maximum: 99 KiB + 1 KiB reserved = the 100 KiB of
  // the SM, one block. 100 KiB cannot be launched at all.
  llvm::Expected<Occupancy> fits =
      theoreticalOccupancy(sm86, 32, 99 * 1024, 256);
  ASSERT_SUCCEEDED(fits);
  EXPECT_EQ(fits->activeBlocksPerSm, 1u);
  EXPECT_DOUBLE_EQ(fits->fraction(), 8.0 / 48.0);

  llvm::Expected<Occupancy> tooMuch =
      theoreticalOccupancy(sm86, 32, 100 * 1024, 256);
  ASSERT_SUCCEEDED(tooMuch);
  EXPECT_EQ(tooMuch->activeBlocksPerSm, 0u);
  EXPECT_DOUBLE_EQ(tooMuch->fraction(), 0.0);
  EXPECT_THAT(tooMuch->limitedBy, Contains("shared memory"));
}

TEST(Occupancy, Sm90BigBlocksAndManyRegisters) {
  // 128 regs = 4096 a warp: 4 warps per sub-partition, 16 per SM; blocks of
  // 128 threads = 4 warps, so 4 blocks, 16 of 64 warps. sm_90a is the same
  // SM.
  for (const GpuArch &arch : {sm90, sm90a}) {
    llvm::Expected<Occupancy> occupancy =
        theoreticalOccupancy(arch, 128, 0, 128);
    ASSERT_SUCCEEDED(occupancy);
    EXPECT_EQ(occupancy->activeBlocksPerSm, 4u) << arch.name();
    EXPECT_DOUBLE_EQ(occupancy->fraction(), 0.25) << arch.name();
  }
  // 227 KiB of shared memory: one block, using all 228 KiB.
  llvm::Expected<Occupancy> shared =
      theoreticalOccupancy(sm90, 64, 227 * 1024, 256);
  ASSERT_SUCCEEDED(shared);
  EXPECT_EQ(shared->activeBlocksPerSm, 1u);
  EXPECT_DOUBLE_EQ(shared->fraction(), 8.0 / 64.0);
}

TEST(Occupancy, SmallBlocksHitTheBlockLimit) {
  // 32-thread blocks: sm_80 holds 32 blocks (32 warps of 64), sm_86 16.
  llvm::Expected<Occupancy> a100 = theoreticalOccupancy(sm80, 16, 0, 32);
  ASSERT_SUCCEEDED(a100);
  EXPECT_EQ(a100->activeBlocksPerSm, 32u);
  EXPECT_DOUBLE_EQ(a100->fraction(), 0.5);
  EXPECT_THAT(a100->limitedBy, ElementsAre("blocks"));
  llvm::Expected<Occupancy> ga102 = theoreticalOccupancy(sm86, 16, 0, 32);
  ASSERT_SUCCEEDED(ga102);
  EXPECT_EQ(ga102->activeBlocksPerSm, 16u);
  EXPECT_DOUBLE_EQ(ga102->fraction(), 16.0 / 48.0);
}

TEST(Occupancy, TableMatchesTheProgrammingGuide) {
  llvm::Expected<SmLimits> a100 = smLimits(sm80);
  ASSERT_SUCCEEDED(a100);
  EXPECT_EQ(a100->maxThreadsPerSm, 2048u);
  EXPECT_EQ(a100->registersPerSm, 65536u);
  EXPECT_EQ(a100->sharedBytesPerSm, 164u * 1024);
  EXPECT_EQ(a100->sharedBytesPerBlockOptin, 163u * 1024);
  llvm::Expected<SmLimits> h100 = smLimits(sm90a);
  ASSERT_SUCCEEDED(h100);
  EXPECT_EQ(h100->sharedBytesPerSm, 228u * 1024);
  EXPECT_EQ(h100->maxBlocksPerSm, 32u);
}

TEST(Occupancy, ImpossibleLaunchesAreErrors) {
  EXPECT_THAT(errorMessage(theoreticalOccupancy(sm80, 32, 0, 0)),
              HasSubstr("a block of 0 threads cannot be launched on sm_80"));
  EXPECT_THAT(errorMessage(theoreticalOccupancy(sm80, 32, 0, 1025)),
              HasSubstr("a block of 1025 threads"));
  EXPECT_THAT(errorMessage(theoreticalOccupancy(sm80, 256, 0, 128)),
              HasSubstr("256 registers per thread exceed the 255"));
  EXPECT_THAT(
      errorMessage(theoreticalOccupancy(GpuArch{12, 0, false}, 32, 0, 128)),
      HasSubstr("no occupancy limits known for sm_120"));
}

} // namespace
