//===- AtomicsTest.cpp - Atomics across blocks running in parallel --------===//

#include "runtime/host/Launch.h"
#include "runtime/host/simt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using kiln::simt::launch;
using kiln::simt::LaunchConfig;
using kiln::simt::Status;

namespace {

class Atomics : public ::testing::TestWithParam<unsigned> {};

TEST_P(Atomics, CountersAreExactUnderContention) {
  LaunchConfig config;
  config.grid = dim3(64);
  config.block = dim3(256);
  config.workers = GetParam();
  config.barrierFree = true;
  const unsigned total = 64 * 256;
  int counter = 0;
  unsigned ucounter = 0;
  unsigned long long wide = 0;
  float fsum = 0.0f;
  double dsum = 0.0;
  int maxValue = -1000000, minValue = 1000000;
  unsigned umax = 0, umin = 0xffffffffu;
  unsigned casCounter = 0;
  int lastExchanged = -1;
  std::vector<int> exchangedSeen(total + 1, 0);
  int exchangeSlot = -1;
  Status status = launch(config, [&] {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(&counter, 1);
    atomicAdd(&ucounter, 2u);
    atomicAdd(&wide, 1ull << 33);
    atomicAdd(&fsum, 1.0f); // exact below 2^24
    atomicAdd(&dsum, 0.5);
    int signedValue = static_cast<int>(i * 37 % total) - 5000;
    atomicMax(&maxValue, signedValue);
    atomicMin(&minValue, signedValue);
    atomicMax(&umax, i * 3);
    atomicMin(&umin, i + 17);
    // A CAS retry loop: increments must not be lost.
    unsigned old = casCounter, assumed;
    do {
      assumed = old;
      old = atomicCAS(&casCounter, assumed, assumed + 1);
    } while (old != assumed);
    // Every value put in by atomicExch comes out exactly once.
    int previous = atomicExch(&exchangeSlot, static_cast<int>(i));
    if (previous >= 0)
      atomicAdd(&exchangedSeen[previous], 1);
    (void)lastExchanged;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(counter, static_cast<int>(total));
  EXPECT_EQ(ucounter, 2 * total);
  EXPECT_EQ(wide, static_cast<unsigned long long>(total) << 33);
  EXPECT_EQ(fsum, static_cast<float>(total));
  EXPECT_EQ(dsum, total * 0.5);
  EXPECT_EQ(maxValue, static_cast<int>(total) - 1 - 5000);
  EXPECT_EQ(minValue, -5000);
  EXPECT_EQ(umax, (total - 1) * 3);
  EXPECT_EQ(umin, 17u);
  EXPECT_EQ(casCounter, total);
  ASSERT_GE(exchangeSlot, 0);
  exchangedSeen[exchangeSlot] += 1; // the last one stayed in the slot
  for (unsigned i = 0; i < total; ++i)
    ASSERT_EQ(exchangedSeen[i], 1) << i;
}

INSTANTIATE_TEST_SUITE_P(Workers, Atomics, ::testing::Values(1u, 2u, 4u));

TEST(AtomicsSemantics, IncDecWrapAndBitOps) {
  LaunchConfig config;
  config.block = dim3(1);
  unsigned inc = 5, dec = 0, dec2 = 9;
  unsigned incOld[3], decOld = 0, dec2Old = 0;
  unsigned bits = 0xf0f0u;
  unsigned andOld = 0, orOld = 0, xorOld = 0;
  float fx = 2.5f;
  float fxOld = 0;
  Status status = launch(config, [&] {
    incOld[0] = atomicInc(&inc, 6); // 5 -> 6
    incOld[1] = atomicInc(&inc, 6); // 6 >= 6 -> 0
    incOld[2] = atomicInc(&inc, 6); // 0 -> 1
    decOld = atomicDec(&dec, 7);    // 0 -> 7
    dec2Old = atomicDec(&dec2, 7);  // 9 > 7 -> 7
    andOld = atomicAnd(&bits, 0xff00u);
    orOld = atomicOr(&bits, 0x000fu);
    xorOld = atomicXor(&bits, 0xffffu);
    fxOld = atomicExch(&fx, -1.0f);
  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(incOld[0], 5u);
  EXPECT_EQ(incOld[1], 6u);
  EXPECT_EQ(incOld[2], 0u);
  EXPECT_EQ(inc, 1u);
  EXPECT_EQ(decOld, 0u);
  EXPECT_EQ(dec, 7u);
  EXPECT_EQ(dec2Old, 9u);
  EXPECT_EQ(dec2, 7u);
  EXPECT_EQ(andOld, 0xf0f0u);
  EXPECT_EQ(orOld, 0xf000u);
  EXPECT_EQ(xorOld, 0xf00fu);
  EXPECT_EQ(bits, 0x0ff0u);
  EXPECT_EQ(fxOld, 2.5f);
  EXPECT_EQ(fx, -1.0f);
}

} // namespace
