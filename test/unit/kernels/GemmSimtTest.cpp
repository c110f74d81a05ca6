//===- GemmSimtTest.cpp - gemm_simt.cuh against the evaluator -------------===//
//
// The fp32 SIMT GEMM against kiln.matmul and kiln.linear (with and without
// transpose_weight), for several tile configurations, shapes that are not
// tile multiples (1, primes), two-level batch broadcasting, leading dims
// larger than the row length, and a fused bias + relu + residual epilogue.
//
// Tolerance: fp32 within rtol 1e-5; atol 1e-5 because entries are sums of
// K <= 131 products of values in [-1, 1] that cancel: the fp32 sum's error
// is about sqrt(K) * 2^-24 * sum|a*b| (~1e-6 here), which is not small
// relative to an entry that cancels to ~0.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/gemm_simt.cuh"

#include "GemmTestSupport.h"

#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-5;

using Params = kk::SimtGemmParams<float, float, float, kk::IdentityEpilogue>;

template <class Config, bool kBTransposed, typename P>
bool runGemm(const P &p, bool raceHunt, const std::string &what) {
  EXPECT_TRUE((kk::canUseSimtGemm<Config>(p)));
  return launchOk(
      launchConfig(kk::simtGemmGrid<Config>(p), dim3(Config::kThreads),
                   raceHunt, 11),
      [&] { kk::simtGemm<Config, kBTransposed>(p); }, what);
}

Params denseParams(const float *a, const float *b, float *c, int64_t m,
                   int64_t n, int64_t k, bool bTransposed) {
  return denseGemmParams<Params>(a, b, c, m, n, k, bTransposed);
}

// C = A x B for A [M, K], B [K, N] (kiln.matmul) and B [N, K] (kiln.linear
// transpose_weight), on one configuration.
template <class Config> void checkShapes() {
  struct Shape {
    int64_t m, n, k;
  };
  for (bool raceHunt : raceHuntModes()) {
    for (Shape s : {Shape{1, 1, 1}, Shape{37, 61, 53}, Shape{130, 67, 131},
                    Shape{5, 129, 2}, Shape{67, 3, 17}, Shape{64, 64, 64},
                    Shape{33, 40, 32}, Shape{3, 4, 0}}) {
      SCOPED_TRACE("M=" + std::to_string(s.m) + " N=" + std::to_string(s.n) +
                   " K=" + std::to_string(s.k) +
                   (raceHunt ? " race-hunt" : ""));
      HostTensor a = randomTensor(DType::F32, {s.m, s.k}, 1 + s.m);
      HostTensor b = randomTensor(DType::F32, {s.k, s.n}, 2 + s.n);
      HostTensor bt = randomTensor(DType::F32, {s.n, s.k}, 3 + s.k);
      std::vector<HostTensor> expected = evaluateReference(
          gemmFunc({s.m, s.k}, {s.k, s.n}, {s.m, s.n}, false, "f32"), {a, b});
      std::vector<HostTensor> expectedT = evaluateReference(
          gemmFunc({s.m, s.k}, {s.n, s.k}, {s.m, s.n}, true, "f32"), {a, bt});
      ASSERT_EQ(expected.size(), 1u);
      ASSERT_EQ(expectedT.size(), 1u);
      std::vector<float> da = toBuffer<float>(a), db = toBuffer<float>(b),
                         dbt = toBuffer<float>(bt), c0(s.m * s.n, -7.0f),
                         c1(s.m * s.n, -7.0f);
      Params p0 =
          denseParams(da.data(), db.data(), c0.data(), s.m, s.n, s.k, false);
      ASSERT_TRUE((runGemm<Config, false>(p0, raceHunt, "matmul")));
      EXPECT_TRUE(allClose(fromBuffer(DType::F32, {s.m, s.n}, c0), expected[0],
                           kRtol, kAtol));
      Params p1 =
          denseParams(da.data(), dbt.data(), c1.data(), s.m, s.n, s.k, true);
      ASSERT_TRUE((runGemm<Config, true>(p1, raceHunt, "linear^T")));
      EXPECT_TRUE(allClose(fromBuffer(DType::F32, {s.m, s.n}, c1), expectedT[0],
                           kRtol, kAtol));
    }
  }
}

TEST(GemmSimt, DefaultConfig) { checkShapes<kk::DefaultSimtGemmConfig>(); }
TEST(GemmSimt, Config64x64x8Thread4x4) {
  checkShapes<kk::SimtGemmConfig<64, 64, 8, 4, 4>>();
}
TEST(GemmSimt, Config32x32x16Thread4x2) {
  checkShapes<kk::SimtGemmConfig<32, 32, 16, 4, 2>>();
}
TEST(GemmSimt, Config16x64x4Thread2x8) {
  checkShapes<kk::SimtGemmConfig<16, 64, 4, 2, 8>>();
}
TEST(GemmSimt, Config32x32x8Thread1x4) {
  // Micro-tile 1x4: vector width 1 along M.
  checkShapes<kk::SimtGemmConfig<32, 32, 8, 1, 4>>();
}

TEST(GemmSimt, Config32x96x8Thread4x3) {
  // kThreads (256) is not a multiple of kBlockN (96): the general [K, N]
  // B-load path; micro-tile width 3 (vector width 1 along N).
  checkShapes<kk::SimtGemmConfig<32, 96, 8, 4, 3>>();
}

// [2, 1, M, K] x [1, 3, K, N] -> [2, 3, M, N]: both broadcast levels, A
// broadcast along the inner batch dim and B along the outer one; and
// [4, M, K] x [1, K, N] (one level, B broadcast) with leading dims larger
// than the rows (A and C are column windows of wider buffers).
TEST(GemmSimt, BatchedBroadcast) {
  using Config = kk::SimtGemmConfig<32, 32, 8, 4, 4>;
  const int64_t m = 19, n = 23, k = 32;
  for (bool raceHunt : raceHuntModes()) {
    HostTensor a = randomTensor(DType::F32, {2, 1, m, k}, 5);
    HostTensor b = randomTensor(DType::F32, {1, 3, k, n}, 6);
    std::vector<HostTensor> expected = evaluateReference(
        gemmFunc({2, 1, m, k}, {1, 3, k, n}, {2, 3, m, n}, false, "f32"),
        {a, b});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> da = toBuffer<float>(a), db = toBuffer<float>(b),
                       dc(6 * m * n, -7.0f);
    Params p = denseParams(da.data(), db.data(), dc.data(), m, n, k, false);
    broadcastBatches2x3(p);
    ASSERT_TRUE((runGemm<Config, false>(p, raceHunt, "batched 2x3")));
    EXPECT_TRUE(allClose(fromBuffer(DType::F32, {2, 3, m, n}, dc), expected[0],
                         kRtol, kAtol));

    // One level, padded leading dims.
    HostTensor a2 = randomTensor(DType::F32, {4, m, k}, 7);
    HostTensor b2 = randomTensor(DType::F32, {1, k, n}, 8);
    std::vector<HostTensor> expected2 = evaluateReference(
        gemmFunc({4, m, k}, {1, k, n}, {4, m, n}, false, "f32"), {a2, b2});
    ASSERT_EQ(expected2.size(), 1u);
    const int64_t lda = k + 3, ldc = n + 5;
    std::vector<float> pa(4 * m * lda, 1e30f), db2 = toBuffer<float>(b2),
                                               pc(4 * m * ldc, -7.0f);
    for (int64_t i = 0; i < 4 * m; ++i)
      for (int64_t j = 0; j < k; ++j)
        pa[i * lda + j] = static_cast<float>(a2[i * k + j]);
    Params q = denseParams(pa.data(), db2.data(), pc.data(), m, n, k, false);
    q.batch = 4;
    q.lda = lda;
    q.ldc = ldc;
    q.strideA[0] = m * lda;
    q.strideB[0] = 0;
    q.strideC = m * ldc;
    ASSERT_TRUE((runGemm<Config, false>(q, raceHunt, "batched padded")));
    std::vector<float> c2 = unpitch(pc, 4 * m, n, ldc, -7.0f);
    EXPECT_TRUE(allClose(fromBuffer(DType::F32, {4, m, n}, c2), expected2[0],
                         kRtol, kAtol));
  }
}

// relu(x W^T + bias) + residual, the epilogue fused (kiln.linear with bias
// transpose_weight, kiln.relu, kiln.add in the evaluator), batched [2, M, K]
// input with a broadcast weight.
TEST(GemmSimt, EpilogueBiasReluResidual) {
  const int64_t m = 41, n = 37, k = 43;
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, {2, m, k}, 9);
    HostTensor w = randomTensor(DType::F32, {n, k}, 10);
    HostTensor bias = randomTensor(DType::F32, {n}, 11);
    HostTensor res = randomTensor(DType::F32, {2, m, n}, 12);
    std::vector<HostTensor> expected =
        evaluateReference(biasReluResidualFunc(m, n, k), {x, w, bias, res});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> dx = toBuffer<float>(x), dw = toBuffer<float>(w),
                       db = toBuffer<float>(bias), dr = toBuffer<float>(res),
                       dy(2 * m * n, -7.0f);
    auto p = denseGemmParams<
        kk::SimtGemmParams<float, float, float, GemmBiasReluResidual>>(
        dx.data(), dw.data(), dy.data(), m, n, k, true);
    p.batch = 2;
    p.strideA[0] = m * k;
    p.strideB[0] = 0;
    p.strideC = m * n;
    p.epilogue = GemmBiasReluResidual{db.data(), dr.data(), m, n};
    ASSERT_TRUE(
        (runGemm<kk::DefaultSimtGemmConfig, true>(p, raceHunt, "epilogue")));
    EXPECT_TRUE(allClose(fromBuffer(DType::F32, {2, m, n}, dy), expected[0],
                         kRtol, kAtol));
  }
}

// fp16 / bf16 storage for A, B and C (accumulation in fp32), against
// kiln.matmul / kiln.linear transpose_weight on fp16 / bf16 tensors
// (evaluated exactly, rounded once). Bound: the products of stored values
// are exact in fp32 and the fp32 sum is within ~K * 2^-24 * sum|a*b| (~1e-6)
// of the exact one; both sides round once to the storage type and can differ
// by one ulp when they straddle a rounding boundary: rtol 2^-10 (fp16) /
// 2^-7 (bf16), plus atol 1e-5 for the fp32 error on entries near 0.
template <typename T, bool kBTransposed>
void checkLowPrecision(DType type, const char *element, double rtol) {
  using Config = kk::SimtGemmConfig<64, 64, 8, 4, 4>;
  const int64_t m = 29, n = 71, k = 37;
  for (bool raceHunt : raceHuntModes()) {
    std::vector<int64_t> bShape =
        kBTransposed ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n};
    HostTensor a = randomTensor(type, {m, k}, 13);
    HostTensor b = randomTensor(type, bShape, 14);
    std::vector<HostTensor> expected = evaluateReference(
        gemmFunc({m, k}, bShape, {m, n}, kBTransposed, element), {a, b});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<T> da = toBuffer<T>(a), db = toBuffer<T>(b), dc(m * n, T(0.0f));
    auto p = denseGemmParams<kk::SimtGemmParams<T, T, T, kk::IdentityEpilogue>>(
        da.data(), db.data(), dc.data(), m, n, k, kBTransposed);
    ASSERT_TRUE((runGemm<Config, kBTransposed>(p, raceHunt, element)));
    EXPECT_TRUE(
        allClose(fromBuffer(type, {m, n}, dc), expected[0], rtol, 1e-5));
  }
}

TEST(GemmSimt, Bf16Storage) {
  checkLowPrecision<__nv_bfloat16, false>(DType::BF16, "bf16", 1.0 / 128);
}
TEST(GemmSimt, F16StorageTransposedB) {
  checkLowPrecision<__half, true>(DType::F16, "f16", 1.0 / 1024);
}

} // namespace
