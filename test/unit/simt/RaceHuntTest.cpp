//===- RaceHuntTest.cpp - Tiled kernels, with and without their barriers --===//

#include "runtime/host/Launch.h"
#include "runtime/host/simt.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using kiln::simt::launch;
using kiln::simt::LaunchConfig;
using kiln::simt::Status;

namespace {

constexpr int kTile = 16;

enum class Barriers { Both, NoneAfterLoad, NoneAfterCompute };

/// C[M][N] = A[M][K] * B[K][N], 16x16 shared-memory tiles, one output per
/// thread. The two barriers guard the read-after-write (tile loaded before
/// use) and write-after-read (tile used before the next load) hazards.
struct TiledGemm {
  int M, N, K;
  std::vector<float> a, b;

  TiledGemm(int m, int n, int k, unsigned seed) : M(m), N(n), K(k) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> dist(-4, 4);
    a.resize(M * K);
    b.resize(K * N);
    // Small integers: every sum is exact, whatever the order.
    for (float &v : a)
      v = float(dist(rng));
    for (float &v : b)
      v = float(dist(rng));
  }

  std::vector<float> reference() const {
    std::vector<float> c(M * N, 0.0f);
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j)
        for (int k = 0; k < K; ++k)
          c[i * N + j] += a[i * K + k] * b[k * N + j];
    return c;
  }

  std::vector<float> run(Barriers barriers, bool raceHunt, uint64_t seed,
                         Status &status) const {
    std::vector<float> c(M * N, 0.0f);
    LaunchConfig config;
    config.block = dim3(kTile, kTile);
    config.grid = dim3((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
    config.raceHunt = raceHunt;
    config.seed = seed;
    config.workers = 2;
    status = launch(config, [&] {
      KILN_SHARED(float, as, [kTile][kTile]);
      KILN_SHARED(float, bs, [kTile][kTile + 1]);
      int tx = threadIdx.x, ty = threadIdx.y;
      int row = blockIdx.y * kTile + ty, col = blockIdx.x * kTile + tx;
      float sum = 0.0f;
      for (int k0 = 0; k0 < K; k0 += kTile) {
        as[ty][tx] = (row < M && k0 + tx < K) ? a[row * K + k0 + tx] : 0.0f;
        bs[ty][tx] = (col < N && k0 + ty < K) ? b[(k0 + ty) * N + col] : 0.0f;
        if (barriers != Barriers::NoneAfterLoad)
          __syncthreads();
        for (int k = 0; k < kTile; ++k)
          sum += as[ty][k] * bs[k][tx];
        if (barriers != Barriers::NoneAfterCompute)
          __syncthreads();
      }
      if (row < M && col < N)
        c[row * N + col] = sum;
    });
    return c;
  }
};

TEST(RaceHunt, CorrectTiledGemmMatchesReferenceInEveryMode) {
  TiledGemm gemm(50, 37, 70, 1);
  std::vector<float> expected = gemm.reference();
  Status status;
  EXPECT_EQ(gemm.run(Barriers::Both, false, 0, status), expected);
  ASSERT_TRUE(status.ok()) << status.message();
  for (uint64_t seed : {1, 2, 3}) {
    EXPECT_EQ(gemm.run(Barriers::Both, true, seed, status), expected);
    ASSERT_TRUE(status.ok()) << status.message();
  }
}

TEST(RaceHunt, MissingBarrierAfterLoadIsCaught) {
  TiledGemm gemm(32, 32, 48, 2);
  std::vector<float> expected = gemm.reference();
  Status status;
  std::vector<float> hunted =
      gemm.run(Barriers::NoneAfterLoad, true, /*seed=*/1, status);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_NE(hunted, expected);
}

TEST(RaceHunt, MissingBarrierAfterComputeIsCaught) {
  // The write-after-read hazard: a fast thread overwrites a tile a slow one
  // still reads. The shuffled resume order after each barrier exposes it.
  TiledGemm gemm(32, 32, 64, 3);
  std::vector<float> expected = gemm.reference();
  Status status;
  std::vector<float> hunted =
      gemm.run(Barriers::NoneAfterCompute, true, /*seed=*/1, status);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_NE(hunted, expected);
}

TEST(RaceHunt, SameSeedSameResult) {
  TiledGemm gemm(32, 32, 64, 4);
  Status status;
  std::vector<float> first =
      gemm.run(Barriers::NoneAfterCompute, true, 5, status);
  std::vector<float> second =
      gemm.run(Barriers::NoneAfterCompute, true, 5, status);
  EXPECT_EQ(first, second);
}

// A write-after-read race that in-order execution hides: each thread reads
// its right neighbour's slot, then overwrites its own without a barrier in
// between. Resuming threads in index order, every read happens before the
// neighbour's write; only the shuffled order of race hunting exposes it.
TEST(RaceHunt, ShuffledResumeOrderExposesWriteAfterRead) {
  auto run = [](bool raceHunt, std::vector<int> &out) {
    LaunchConfig config;
    config.block = dim3(128);
    config.raceHunt = raceHunt;
    config.seed = 1;
    out.assign(128, 0);
    return launch(config, [&] {
      KILN_SHARED(int, slots, [128]);
      unsigned t = threadIdx.x;
      slots[t] = static_cast<int>(t);
      __syncthreads();
      int right = slots[t + 1 < blockDim.x ? t + 1 : t];
      slots[t] = right + 1000; // missing __syncthreads() before this write
      __syncthreads();
      out[t] = slots[t];
    });
  };
  std::vector<int> expected(128);
  for (int t = 0; t < 128; ++t)
    expected[t] = (t + 1 < 128 ? t + 1 : t) + 1000;
  std::vector<int> inOrder, hunted;
  ASSERT_TRUE(run(false, inOrder).ok());
  EXPECT_EQ(inOrder, expected); // the bug hides in normal mode
  ASSERT_TRUE(run(true, hunted).ok());
  EXPECT_NE(hunted, expected);
}

/// Transpose through a padded shared tile: a second classic shape, with
/// 32x8 blocks each moving a 32x32 tile.
TEST(RaceHunt, TransposeMatchesReference) {
  const int rows = 96, cols = 64;
  std::vector<float> in(rows * cols), out(rows * cols, 0.0f);
  for (int i = 0; i < rows * cols; ++i)
    in[i] = float(i);
  for (bool raceHunt : {false, true}) {
    LaunchConfig config;
    config.block = dim3(32, 8);
    config.grid = dim3(cols / 32, rows / 32);
    config.raceHunt = raceHunt;
    config.seed = 9;
    Status status = launch(config, [&] {
      KILN_SHARED(float, tile, [32][33]);
      int x = blockIdx.x * 32 + threadIdx.x;
      int y = blockIdx.y * 32 + threadIdx.y;
      for (int j = 0; j < 32; j += 8)
        tile[threadIdx.y + j][threadIdx.x] = in[(y + j) * cols + x];
      __syncthreads();
      x = blockIdx.y * 32 + threadIdx.x;
      y = blockIdx.x * 32 + threadIdx.y;
      for (int j = 0; j < 32; j += 8)
        out[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
    });
    ASSERT_TRUE(status.ok()) << status.message();
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        ASSERT_EQ(out[c * rows + r], in[r * cols + c]) << r << "," << c;
  }
}

} // namespace
