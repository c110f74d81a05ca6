//===- BarrierTest.cpp - __syncthreads, shared memory, deadlock reports ---===//

#include "runtime/host/Launch.h"
#include "runtime/host/simt.h"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

using kiln::simt::launch;
using kiln::simt::LaunchConfig;
using kiln::simt::Status;

namespace {

unsigned linearThread() {
  return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}
unsigned linearBlock() {
  return blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
}

struct BlockShape {
  dim3 block;
  unsigned workers;
};

class BlockReduction : public ::testing::TestWithParam<BlockShape> {};

// A tree reduction through shared memory only gives the right sum if every
// barrier releases exactly when all threads of the block have arrived.
TEST_P(BlockReduction, SumsEveryThreadOfEveryBlock) {
  LaunchConfig config;
  config.block = GetParam().block;
  config.grid = dim3(3, 2, 1);
  config.workers = GetParam().workers;
  unsigned n = config.block.x * config.block.y * config.block.z;
  std::vector<int> out(6, -1);
  Status status = launch(config, [&] {
    KILN_SHARED(int, partial, [1024]);
    unsigned tid = linearThread();
    unsigned count = blockDim.x * blockDim.y * blockDim.z;
    partial[tid] = static_cast<int>(tid * 3 + linearBlock());
    __syncthreads();
    unsigned span = 1;
    while (span < count)
      span *= 2;
    for (unsigned stride = span / 2; stride > 0; stride /= 2) {
      if (tid < stride && tid + stride < count)
        partial[tid] += partial[tid + stride];
      __syncthreads();
    }
    if (tid == 0)
      out[linearBlock()] = partial[0];
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned b = 0; b < 6; ++b)
    EXPECT_EQ(out[b], static_cast<int>(3 * n * (n - 1) / 2 + n * b))
        << "block " << b;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BlockReduction,
    ::testing::Values(BlockShape{dim3(1), 1}, BlockShape{dim3(31), 2},
                      BlockShape{dim3(32), 2}, BlockShape{dim3(33), 2},
                      BlockShape{dim3(256), 1}, BlockShape{dim3(1024), 2},
                      BlockShape{dim3(16, 8, 1), 2},
                      BlockShape{dim3(5, 3, 7), 2},
                      BlockShape{dim3(8, 8, 16), 2}));

TEST(Barrier, ThreadIndicesCoverTheBlockInCudaOrder) {
  LaunchConfig config;
  config.block = dim3(4, 3, 2);
  config.grid = dim3(2, 3, 2);
  config.workers = 2;
  std::vector<int> seen(24 * 12, 0);
  Status status = launch(config, [&] {
    // x varies fastest, then y, then z, for threads and blocks alike.
    unsigned global = linearBlock() * 24 + linearThread();
    seen[global] += 1;
    EXPECT_EQ(blockDim.x, 4u);
    EXPECT_EQ(gridDim.z, 2u);
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int v : seen)
    EXPECT_EQ(v, 1);
}

TEST(Barrier, SyncthreadsCountAndOr) {
  LaunchConfig config;
  config.block = dim3(100);
  std::vector<int> results(3 * 100);
  Status status = launch(config, [&] {
    unsigned t = threadIdx.x;
    results[t] = __syncthreads_count(t % 3 == 0);
    results[100 + t] = __syncthreads_and(t < 100);
    results[200 + t] = __syncthreads_or(t == 57);
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int t = 0; t < 100; ++t) {
    EXPECT_EQ(results[t], 34);
    EXPECT_EQ(results[100 + t], 1);
    EXPECT_EQ(results[200 + t], 1);
  }
}

TEST(Barrier, DifferentCallSitesAreReportedNotHung) {
  LaunchConfig config;
  config.block = dim3(64);
  config.grid = dim3(4);
  config.workers = 2;
  Status status = launch(config, [&] {
    if (threadIdx.x < 16)
      __syncthreads();
    else
      __syncthreads();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("different __syncthreads"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("threads 0-15"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("threads 16-63"), std::string::npos)
      << status.message();
  // The lowest failing block is reported, whichever worker ran it.
  EXPECT_NE(status.message().find("block (0,0,0)"), std::string::npos)
      << status.message();
}

// On sm_70+ exited threads no longer take part in bar.sync, so the threads
// that stay are released (see docs/host-simulator.md).
TEST(Barrier, ExitedThreadsDoNotBlockTheBarrier) {
  LaunchConfig config;
  config.block = dim3(96);
  std::vector<int> out(96, 0);
  Status status = launch(config, [&] {
    KILN_SHARED(int, values, [96]);
    unsigned t = threadIdx.x;
    if (t % 2 == 1)
      return;
    values[t] = static_cast<int>(t) + 1000;
    int live = __syncthreads_count(1);
    out[t] = values[(t + 2) % 96] + live * 100000;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int t = 0; t < 96; t += 2)
    EXPECT_EQ(out[t], (t + 2) % 96 + 1000 + 48 * 100000);
}

TEST(Barrier, BarrierAgainstWarpCollectiveIsADeadlock) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status = launch(config, [&] {
    if (threadIdx.x == 5)
      __syncthreads();
    else
      __syncwarp();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("lane 5 is waiting at __syncthreads"),
            std::string::npos)
      << status.message();
}

TEST(Barrier, ErrorsDoNotPoisonLaterLaunches) {
  LaunchConfig config;
  config.block = dim3(40);
  config.workers = 1;
  for (int round = 0; round < 3; ++round) {
    Status bad = launch(config, [&] {
      if (threadIdx.x == 0)
        __syncthreads();
      else
        __syncthreads();
    });
    EXPECT_FALSE(bad.ok());
    int sum = 0;
    Status good = launch(config, [&] {
      KILN_SHARED(int, v, [40]);
      v[threadIdx.x] = 1;
      __syncthreads();
      if (threadIdx.x == 0)
        for (int i = 0; i < 40; ++i)
          sum += v[i];
    });
    ASSERT_TRUE(good.ok()) << good.message();
    EXPECT_EQ(sum, 40);
  }
}

TEST(Barrier, TrapIsReportedWithItsSite) {
  LaunchConfig config;
  config.block = dim3(8);
  config.grid = dim3(3);
  Status status = launch(config, [&] {
    if (blockIdx.x == 2 && threadIdx.x == 3)
      __trap();
    __syncthreads();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("block (2,0,0) thread (3,0,0)"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("__trap()"), std::string::npos);
  EXPECT_NE(status.message().find("BarrierTest.cpp"), std::string::npos);
}

TEST(Barrier, InvalidConfigurationsAreErrors) {
  LaunchConfig config;
  auto body = [] {};
  config.block = dim3(1025);
  EXPECT_FALSE(launch(config, body).ok());
  config.block = dim3(32, 32, 2);
  EXPECT_FALSE(launch(config, body).ok());
  config.block = dim3(1, 1, 65);
  EXPECT_FALSE(launch(config, body).ok());
  config.block = dim3(0);
  EXPECT_FALSE(launch(config, body).ok());
  config.block = dim3(32);
  config.dynamicSharedBytes = 228 * 1024;
  Status status = launch(config, body);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("dynamic shared memory"), std::string::npos);
}

TEST(BarrierFree, RunsThreadsAsAPlainLoop) {
  LaunchConfig config;
  config.block = dim3(128);
  config.grid = dim3(17);
  config.barrierFree = true;
  std::vector<float> out(128 * 17);
  Status status = launch(config, [&] {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    out[i] = expf(static_cast<float>(i) * 1e-3f);
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned i = 0; i < out.size(); ++i)
    EXPECT_FLOAT_EQ(out[i], std::exp(static_cast<float>(i) * 1e-3f));
}

TEST(BarrierFree, BarrierInABarrierFreeLaunchIsAnError) {
  LaunchConfig config;
  config.block = dim3(64);
  config.barrierFree = true;
  Status status = launch(config, [] { __syncthreads(); });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("barrier-free"), std::string::npos);
  status = launch(config, [] { (void)__shfl_sync(0xffffffffu, 1, 0); });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("__shfl_sync"), std::string::npos);
}

// Shared storage is per worker; every block must see only its own writes
// even when a worker runs many blocks back to back and two workers run in
// parallel.
TEST(SharedMemory, StaticSharedIsPrivateToTheRunningBlock) {
  LaunchConfig config;
  config.block = dim3(64);
  config.grid = dim3(200);
  config.workers = 2;
  std::vector<int> bad(200, 0);
  Status status = launch(config, [&] {
    KILN_SHARED(int, stamp, [64]);
    stamp[threadIdx.x] = static_cast<int>(blockIdx.x * 1000 + threadIdx.x);
    __syncthreads();
    for (int round = 0; round < 3; ++round) {
      unsigned other = (threadIdx.x * 7 + round) % 64;
      if (stamp[other] != static_cast<int>(blockIdx.x * 1000 + other))
        bad[blockIdx.x] = 1;
      __syncthreads();
    }
  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(std::accumulate(bad.begin(), bad.end(), 0), 0);
}

TEST(SharedMemory, DynamicSharedIsSizedAtLaunch) {
  LaunchConfig config;
  config.block = dim3(300);
  config.grid = dim3(5);
  config.dynamicSharedBytes = 300 * sizeof(double);
  config.workers = 2;
  std::vector<double> in(1500), out(1500);
  std::iota(in.begin(), in.end(), 0.5);
  Status status = launch(config, [&] {
    KILN_DYNAMIC_SHARED(double, reversed);
    unsigned n = blockDim.x, base = blockIdx.x * n;
    reversed[n - 1 - threadIdx.x] = in[base + threadIdx.x];
    __syncthreads();
    out[base + threadIdx.x] = reversed[threadIdx.x];
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned b = 0; b < 5; ++b)
    for (unsigned t = 0; t < 300; ++t)
      EXPECT_EQ(out[b * 300 + t], in[b * 300 + 299 - t]);
}

TEST(SharedMemory, RaceHuntingPoisonsSharedMemoryAtBlockStart) {
  LaunchConfig config;
  config.block = dim3(32);
  config.grid = dim3(6);
  config.dynamicSharedBytes = 64;
  config.workers = 1;
  config.raceHunt = true;
  std::vector<unsigned> staticBits(6), dynamicBits(6);
  Status status = launch(config, [&] {
    KILN_SHARED(float, tile, [32]);
    KILN_DYNAMIC_SHARED(unsigned, scratch);
    if (threadIdx.x == 0) {
      // Read before any write of this block: must not be the previous
      // block's data.
      staticBits[blockIdx.x] = __float_as_uint(tile[7]);
      dynamicBits[blockIdx.x] = scratch[3];
    }
    __syncthreads();
    tile[threadIdx.x] = 1.0f;
    if (threadIdx.x < 16)
      scratch[threadIdx.x] = 42;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (unsigned b = 0; b < 6; ++b) {
    EXPECT_EQ(staticBits[b], 0xffffffffu) << "block " << b;
    EXPECT_EQ(dynamicBits[b], 0xffffffffu) << "block " << b;
  }
}

// Plain `__shared__` compiles too (as per-worker thread_local storage); only
// race-hunting poisoning needs KILN_SHARED.
TEST(SharedMemory, PlainSharedDeclarationWorks) {
  LaunchConfig config;
  config.block = dim3(32);
  config.grid = dim3(20);
  config.workers = 2;
  std::vector<int> out(20 * 32);
  Status status = launch(config, [&] {
    __shared__ int mirror[32];
    mirror[31 - threadIdx.x] = static_cast<int>(blockIdx.x * 100 + threadIdx.x);
    __syncthreads();
    out[blockIdx.x * 32 + threadIdx.x] = mirror[threadIdx.x];
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int b = 0; b < 20; ++b)
    for (int t = 0; t < 32; ++t)
      EXPECT_EQ(out[b * 32 + t], b * 100 + 31 - t);
}

TEST(Launch, OneWorkerRunsEveryBlockOnTheCallingThread) {
  LaunchConfig config;
  config.block = dim3(4);
  config.grid = dim3(16);
  config.workers = 1;
  std::thread::id caller = std::this_thread::get_id();
  int elsewhere = 0;
  Status status = launch(config, [&] {
    if (std::this_thread::get_id() != caller)
      ++elsewhere;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(elsewhere, 0);
}

TEST(Launch, KernelExceptionIsAnErrorValue) {
  LaunchConfig config;
  config.block = dim3(64);
  config.grid = dim3(4);
  for (bool barrierFree : {false, true}) {
    config.barrierFree = barrierFree;
    Status status = launch(config, [&] {
      if (blockIdx.x == 1 && threadIdx.x == 40)
        throw std::runtime_error("out of range");
      if (!barrierFree)
        __syncthreads();
    });
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("block (1,0,0) thread (40,0,0)"),
              std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find("out of range"), std::string::npos);
  }
}

TEST(Launch, EntryPointWithArgumentArray) {
  struct Kernel {
    static void scale(float *data, float factor, int n) {
      int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
      if (i < n)
        data[i] *= factor;
    }
    static void entry(void **args) {
      kiln::simt::abi::invokeKernel(&Kernel::scale, args);
    }
  };
  std::vector<float> data(1000, 2.0f);
  float *pointer = data.data();
  float factor = 1.5f;
  int n = 1000;
  void *args[] = {&pointer, &factor, &n};
  LaunchConfig config;
  config.block = dim3(128);
  config.grid = dim3(8);
  Status status = launch(config, &Kernel::entry, args);
  ASSERT_TRUE(status.ok()) << status.message();
  for (float v : data)
    EXPECT_EQ(v, 3.0f);
}

} // namespace
