//===- ShuffleTest.cpp - Warp shuffles, votes, masks ----------------------===//
//
// The scalar model below is written from the CUDA Programming Guide's prose
// (segments of `width` lanes; up/down out of the segment keep the caller's
// value; idx wraps srcLane modulo width; xor may read earlier segments but
// not later ones), independently of the PTX formula the simulator uses.
//
//===----------------------------------------------------------------------===//

#include "runtime/host/Launch.h"
#include "runtime/host/WarpCollectives.h"
#include "runtime/host/simt.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

using kiln::simt::launch;
using kiln::simt::LaunchConfig;
using kiln::simt::Status;

namespace {

enum class Flavour { Idx, Up, Down, Xor };

/// Lane whose value `lane` receives, per the Programming Guide.
unsigned modelSource(Flavour f, unsigned lane, unsigned operand,
                     unsigned width) {
  unsigned segment = lane / width, inSegment = lane % width;
  switch (f) {
  case Flavour::Idx:
    return segment * width + operand % width;
  case Flavour::Up:
    return inSegment >= operand ? lane - operand : lane;
  case Flavour::Down:
    return inSegment + operand < width ? lane + operand : lane;
  case Flavour::Xor: {
    unsigned source = lane ^ operand;
    return source / width > segment ? lane : source;
  }
  }
  return lane;
}

/// Operand of lane `lane`: idx uses a different source per lane, the others
/// the same delta/laneMask for the whole warp.
unsigned operandFor(Flavour f, unsigned lane, unsigned parameter) {
  return f == Flavour::Idx ? (lane * 7 + parameter) % 45 : parameter;
}

template <typename T> T valueOf(unsigned globalThread);
template <> int valueOf<int>(unsigned g) { return -1000 - int(g) * 3; }
template <> unsigned valueOf<unsigned>(unsigned g) { return 0x80000000u + g; }
template <> float valueOf<float>(unsigned g) { return 0.25f * g - 7.0f; }
template <> double valueOf<double>(unsigned g) { return 1e300 / (g + 1); }
template <> long long valueOf<long long>(unsigned g) {
  return (static_cast<long long>(g) << 40) - 5;
}
template <> __half valueOf<__half>(unsigned g) { return __half(0.5f * g); }
template <> __half2 valueOf<__half2>(unsigned g) {
  return __floats2half2_rn(float(g), -float(g));
}

template <typename T> uint64_t bitsOf(T v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

template <typename T>
void checkShuffle(Flavour flavour, unsigned width, unsigned parameter) {
  LaunchConfig config;
  config.block = dim3(64); // two warps: segments must not cross warps
  std::vector<T> out(64);
  Status status = launch(config, [&] {
    unsigned t = threadIdx.x, lane = t % 32;
    T mine = valueOf<T>(t);
    unsigned operand = operandFor(flavour, lane, parameter);
    int w = static_cast<int>(width);
    switch (flavour) {
    case Flavour::Idx:
      out[t] = __shfl_sync(0xffffffffu, mine, static_cast<int>(operand), w);
      break;
    case Flavour::Up:
      out[t] = __shfl_up_sync(0xffffffffu, mine, operand, w);
      break;
    case Flavour::Down:
      out[t] = __shfl_down_sync(0xffffffffu, mine, operand, w);
      break;
    case Flavour::Xor:
      out[t] = __shfl_xor_sync(0xffffffffu, mine, static_cast<int>(operand), w);
      break;
    }
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned t = 0; t < 64; ++t) {
    unsigned lane = t % 32;
    unsigned source =
        modelSource(flavour, lane, operandFor(flavour, lane, parameter), width);
    ASSERT_EQ(bitsOf(out[t]), bitsOf(valueOf<T>(t - lane + source)))
        << "flavour " << int(flavour) << " width " << width << " parameter "
        << parameter << " thread " << t;
  }
}

template <typename T> void checkAllShuffles() {
  for (unsigned width : {1u, 2u, 4u, 8u, 16u, 32u}) {
    for (unsigned parameter : {0u, 1u, 2u, 3u, 5u, 8u, 15u, 16u, 31u}) {
      checkShuffle<T>(Flavour::Idx, width, parameter);
      checkShuffle<T>(Flavour::Up, width, parameter);
      checkShuffle<T>(Flavour::Down, width, parameter);
      checkShuffle<T>(Flavour::Xor, width, parameter);
    }
  }
}

TEST(Shuffle, IntMatchesModel) { checkAllShuffles<int>(); }
TEST(Shuffle, UnsignedMatchesModel) { checkAllShuffles<unsigned>(); }
TEST(Shuffle, FloatMatchesModel) { checkAllShuffles<float>(); }
TEST(Shuffle, DoubleMatchesModel) { checkAllShuffles<double>(); }
TEST(Shuffle, LongLongMatchesModel) { checkAllShuffles<long long>(); }
TEST(Shuffle, HalfMatchesModel) { checkAllShuffles<__half>(); }
TEST(Shuffle, Half2MatchesModel) { checkAllShuffles<__half2>(); }

// Hand-computed cases pin the model itself to the Programming Guide.
TEST(Shuffle, HandComputedEdges) {
  using kiln::simt::shuffleSourceLane;
  // xor with width 8: lane 9 ^ 8 = 1 is an earlier segment: allowed.
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_XOR, 9, 8, 8), 1);
  // lane 1 ^ 8 = 9 is a later segment: own value.
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_XOR, 1, 8, 8), -1);
  // up by 1 at a segment start keeps its value.
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_UP, 16, 1, 16), -1);
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_UP, 17, 1, 16), 16);
  // down past the segment end keeps its value.
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_DOWN, 15, 1, 16), -1);
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_DOWN, 31, 1, 32), -1);
  // idx: srcLane modulo width inside the caller's segment.
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_IDX, 13, 11, 4), 15);
  EXPECT_EQ(shuffleSourceLane(KILN_WARP_SHFL_IDX, 13, 35, 32), 3);
}

TEST(Shuffle, WarpReductionAcrossPartialLastWarp) {
  // 48 threads: warp 1 has 16 lanes; a full-mask butterfly over 16 lanes
  // (offsets < 16) only reads existing lanes.
  LaunchConfig config;
  config.block = dim3(48);
  std::vector<int> out(48);
  Status status = launch(config, [&] {
    int v = static_cast<int>(threadIdx.x);
    unsigned mask = threadIdx.x < 32 ? 0xffffffffu : 0x0000ffffu;
    for (int offset = 8; offset > 0; offset /= 2)
      v += __shfl_xor_sync(mask, v, offset, 16);
    out[threadIdx.x] = v;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int t = 0; t < 48; ++t) {
    int base = t / 16 * 16;
    EXPECT_EQ(out[t], 16 * base + 120) << t;
  }
}

TEST(Shuffle, SourceLaneThatExitedIsUndefined) {
  // Lanes 16-31 exit; the others read them. PTX leaves the value undefined:
  // the simulator returns the reader's own value, or NaN bits when hunting
  // races so a kernel relying on it shows up.
  for (bool raceHunt : {false, true}) {
    LaunchConfig config;
    config.block = dim3(32);
    config.raceHunt = raceHunt;
    std::vector<float> out(16);
    Status status = launch(config, [&] {
      if (threadIdx.x >= 16)
        return;
      float mine = static_cast<float>(threadIdx.x);
      out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, mine, 16);
    });
    ASSERT_TRUE(status.ok()) << status.message();
    for (int t = 0; t < 16; ++t) {
      if (raceHunt)
        EXPECT_TRUE(std::isnan(out[t]));
      else
        EXPECT_EQ(out[t], float(t));
    }
  }
}

TEST(Shuffle, PartialMasksPairUpIndependently) {
  // Divergent halves shuffle within their own half-masks.
  LaunchConfig config;
  config.block = dim3(32);
  std::vector<int> out(32);
  Status status = launch(config, [&] {
    int t = static_cast<int>(threadIdx.x);
    if (t < 16)
      out[t] = __shfl_down_sync(0x0000ffffu, t * 10, 1);
    else
      out[t] = __shfl_up_sync(0xffff0000u, t * 10, 2);
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int t = 0; t < 16; ++t)
    EXPECT_EQ(out[t], t == 15 ? 150 : (t + 1) * 10) << t;
  // up reads lanes 14, 15 for lanes 16, 17: they are outside the mask, so
  // undefined: own value.
  EXPECT_EQ(out[16], 160);
  EXPECT_EQ(out[17], 170);
  for (int t = 18; t < 32; ++t)
    EXPECT_EQ(out[t], (t - 2) * 10) << t;
}

TEST(ShuffleErrors, MaskWithoutTheCallingLane) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status = launch(config, [&] {
    (void)__shfl_sync(threadIdx.x == 3 ? 0x1u : 0xffffffffu, 1.0f, 0);
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("does not name the calling lane"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("lane 3"), std::string::npos);
}

TEST(ShuffleErrors, LaneNamedInMaskGoesElsewhere) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status = launch(config, [&] {
    if (threadIdx.x == 7) {
      __syncthreads();
      return;
    }
    (void)__shfl_sync(0xffffffffu, 1, 0);
    __syncthreads();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("__shfl_sync"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("lane 7 is waiting at __syncthreads"),
            std::string::npos)
      << status.message();
}

TEST(ShuffleErrors, MismatchedMasksDeadlock) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status = launch(config, [&] {
    unsigned mask =
        threadIdx.x < 16 ? 0xffffffffu : 0x0000ffffu | (1u << threadIdx.x);
    (void)__shfl_sync(mask, 1, 0);
    __syncthreads();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("deadlock"), std::string::npos)
      << status.message();
}

TEST(ShuffleErrors, WidthMustBeAPowerOfTwo) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status =
      launch(config, [&] { (void)__shfl_sync(0xffffffffu, 1, 0, 12); });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("width 12"), std::string::npos)
      << status.message();
}

TEST(Vote, BallotAnyAllOverFullAndPartialMasks) {
  LaunchConfig config;
  config.block = dim3(64);
  std::vector<unsigned> ballot(64), ballotHalf(64);
  std::vector<int> any(64), all(64), allHalf(64), none(64);
  Status status = launch(config, [&] {
    unsigned t = threadIdx.x, lane = t % 32;
    int predicate = (lane % 3 == 0) || (t >= 32 && lane == 31);
    ballot[t] = __ballot_sync(0xffffffffu, predicate);
    any[t] = __any_sync(0xffffffffu, predicate);
    all[t] = __all_sync(0xffffffffu, predicate);
    none[t] = __any_sync(0xffffffffu, 0);
    if (lane < 16) {
      ballotHalf[t] = __ballot_sync(0x0000ffffu, lane >= 4);
      allHalf[t] = __all_sync(0x0000ffffu, lane < 16);
    }
  });
  ASSERT_TRUE(status.ok()) << status.message();
  unsigned expected = 0;
  for (unsigned lane = 0; lane < 32; lane += 3)
    expected |= 1u << lane;
  for (unsigned t = 0; t < 64; ++t) {
    EXPECT_EQ(ballot[t], t < 32 ? expected : expected | 0x80000000u);
    EXPECT_EQ(any[t], 1);
    EXPECT_EQ(all[t], 0);
    EXPECT_EQ(none[t], 0);
    if (t % 32 < 16) {
      EXPECT_EQ(ballotHalf[t], 0x0000fff0u);
      EXPECT_EQ(allHalf[t], 1);
    }
  }
}

TEST(Vote, ActiveMaskSeesTheLanesOfTheBranch) {
  LaunchConfig config;
  config.block = dim3(32);
  std::vector<unsigned> out(32);
  Status status = launch(config, [&] {
    if (threadIdx.x % 4 == 1)
      out[threadIdx.x] = __activemask();
    else
      out[threadIdx.x] = __activemask();
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned t = 0; t < 32; ++t)
    EXPECT_EQ(out[t], t % 4 == 1 ? 0x22222222u : 0xddddddddu) << t;
}

TEST(Vote, SyncwarpOrdersSharedMemoryWithinAWarp) {
  LaunchConfig config;
  config.block = dim3(64);
  config.raceHunt = true;
  config.seed = 3;
  std::vector<int> out(64);
  Status status = launch(config, [&] {
    KILN_SHARED(int, slots, [64]);
    slots[threadIdx.x] = static_cast<int>(threadIdx.x) * 2;
    __syncwarp();
    unsigned warpBase = threadIdx.x / 32 * 32;
    out[threadIdx.x] = slots[warpBase + (threadIdx.x + 1) % 32];
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned t = 0; t < 64; ++t)
    EXPECT_EQ(out[t], static_cast<int>(t / 32 * 32 + (t + 1) % 32) * 2);
}

} // namespace
