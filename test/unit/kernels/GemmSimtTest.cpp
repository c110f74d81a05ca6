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

#include "KernelTestSupport.h"

#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-5;

std::string tensorType(const std::vector<int64_t> &shape,
                       const char *element = "f32") {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element + ">";
}

using Params = kk::SimtGemmParams<float, float, float, kk::IdentityEpilogue>;

template <class Config, bool kBTransposed, typename P>
bool runGemm(const P &p, bool raceHunt, const std::string &what) {
  EXPECT_TRUE((kk::canUseSimtGemm<Config>(p)));
  kiln::simt::LaunchConfig config;
  config.grid = kk::simtGemmGrid<Config>(p);
  config.block = dim3(Config::kThreads);
  config.raceHunt = raceHunt;
  config.seed = 11;
  return launchOk(config, [&] { kk::simtGemm<Config, kBTransposed>(p); }, what);
}

Params denseParams(const float *a, const float *b, float *c, int64_t m,
                   int64_t n, int64_t k, bool bTransposed) {
  Params p{};
  p.a = a;
  p.b = b;
  p.c = c;
  p.m = m;
  p.n = n;
  p.k = k;
  p.batch = 1;
  p.batchInner = 1;
  p.lda = k;
  p.ldb = bTransposed ? k : n;
  p.ldc = n;
  return p;
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
          "func.func @f(%a: " + tensorType({s.m, s.k}) +
              ", %b: " + tensorType({s.k, s.n}) +
              ", %bt: " + tensorType({s.n, s.k}) + ") -> (" +
              tensorType({s.m, s.n}) + ", " + tensorType({s.m, s.n}) +
              ") {\n  %0 = kiln.matmul %a, %b : " + tensorType({s.m, s.k}) +
              ", " + tensorType({s.k, s.n}) + " -> " + tensorType({s.m, s.n}) +
              "\n  %1 = kiln.linear %a, %bt " +
              "transpose_weight : " + tensorType({s.m, s.k}) + ", " +
              tensorType({s.n, s.k}) + " -> " + tensorType({s.m, s.n}) +
              "\n  return %0, %1 : " + tensorType({s.m, s.n}) + ", " +
              tensorType({s.m, s.n}) + "\n}",
          {a, b, bt});
      ASSERT_EQ(expected.size(), 2u);
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
      EXPECT_TRUE(allClose(fromBuffer(DType::F32, {s.m, s.n}, c1), expected[1],
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
        "func.func @f(%a: " + tensorType({2, 1, m, k}) + ", %b: " +
            tensorType({1, 3, k, n}) + ") -> " + tensorType({2, 3, m, n}) +
            " {\n  %0 = kiln.matmul %a, %b : " + tensorType({2, 1, m, k}) +
            ", " + tensorType({1, 3, k, n}) + " -> " +
            tensorType({2, 3, m, n}) +
            "\n  return %0 : " + tensorType({2, 3, m, n}) + "\n}",
        {a, b});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> da = toBuffer<float>(a), db = toBuffer<float>(b),
                       dc(6 * m * n, -7.0f);
    Params p = denseParams(da.data(), db.data(), dc.data(), m, n, k, false);
    p.batch = 6;
    p.batchInner = 3;
    p.strideA[0] = m * k; // outer (size 2)
    p.strideA[1] = 0;     // inner (size 3): broadcast
    p.strideB[0] = 0;
    p.strideB[1] = k * n;
    p.strideC = m * n;
    ASSERT_TRUE((runGemm<Config, false>(p, raceHunt, "batched 2x3")));
    EXPECT_TRUE(allClose(fromBuffer(DType::F32, {2, 3, m, n}, dc), expected[0],
                         kRtol, kAtol));

    // One level, padded leading dims.
    HostTensor a2 = randomTensor(DType::F32, {4, m, k}, 7);
    HostTensor b2 = randomTensor(DType::F32, {1, k, n}, 8);
    std::vector<HostTensor> expected2 = evaluateReference(
        "func.func @f(%a: " + tensorType({4, m, k}) +
            ", %b: " + tensorType({1, k, n}) + ") -> " + tensorType({4, m, n}) +
            " {\n  %0 = kiln.matmul %a, %b : " + tensorType({4, m, k}) + ", " +
            tensorType({1, k, n}) + " -> " + tensorType({4, m, n}) +
            "\n  return %0 : " + tensorType({4, m, n}) + "\n}",
        {a2, b2});
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
    std::vector<float> c2(4 * m * n);
    for (int64_t i = 0; i < 4 * m; ++i) {
      for (int64_t j = 0; j < n; ++j)
        c2[i * n + j] = pc[i * ldc + j];
      for (int64_t j = n; j < ldc; ++j)
        EXPECT_EQ(pc[i * ldc + j], -7.0f) << "wrote past N in row " << i;
    }
    EXPECT_TRUE(allClose(fromBuffer(DType::F32, {4, m, n}, c2), expected2[0],
                         kRtol, kAtol));
  }
}

// relu(x W^T + bias) + residual, the epilogue fused (kiln.linear with bias
// transpose_weight, kiln.relu, kiln.add in the evaluator), batched [2, M, K]
// input with a broadcast weight.
struct BiasReluResidual {
  const float *bias;
  const float *residual; // [batch, M, N]
  kk::Index m, n;
  KILN_DEVICE float operator()(float acc, kk::Index batch, kk::Index row,
                               kk::Index col) const {
    float v = acc + bias[col];
    v = v > 0.0f ? v : 0.0f;
    return v + residual[(batch * m + row) * n + col];
  }
};

TEST(GemmSimt, EpilogueBiasReluResidual) {
  const int64_t m = 41, n = 37, k = 43;
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, {2, m, k}, 9);
    HostTensor w = randomTensor(DType::F32, {n, k}, 10);
    HostTensor bias = randomTensor(DType::F32, {n}, 11);
    HostTensor res = randomTensor(DType::F32, {2, m, n}, 12);
    std::string yt = tensorType({2, m, n});
    std::vector<HostTensor> expected = evaluateReference(
        "func.func @f(%x: " + tensorType({2, m, k}) +
            ", %w: " + tensorType({n, k}) + ", %b: " + tensorType({n}) +
            ", %r: " + yt + ") -> " + yt +
            " {\n  %0 = kiln.linear %x, %w, %b transpose_weight : " +
            tensorType({2, m, k}) + ", " + tensorType({n, k}) + ", " +
            tensorType({n}) + " -> " + yt + "\n  %1 = kiln.relu %0 : " + yt +
            "\n  %2 = kiln.add %1, %r : " + yt + "\n  return %2 : " + yt +
            "\n}",
        {x, w, bias, res});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> dx = toBuffer<float>(x), dw = toBuffer<float>(w),
                       db = toBuffer<float>(bias), dr = toBuffer<float>(res),
                       dy(2 * m * n, -7.0f);
    kk::SimtGemmParams<float, float, float, BiasReluResidual> p{};
    p.a = dx.data();
    p.b = dw.data();
    p.c = dy.data();
    p.m = m;
    p.n = n;
    p.k = k;
    p.batch = 2;
    p.batchInner = 1;
    p.strideA[0] = m * k;
    p.strideB[0] = 0;
    p.strideC = m * n;
    p.lda = k;
    p.ldb = k;
    p.ldc = n;
    p.epilogue = BiasReluResidual{db.data(), dr.data(), m, n};
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
    std::string op = kBTransposed ? "kiln.linear %a, %b transpose_weight : "
                                  : "kiln.matmul %a, %b : ";
    std::vector<HostTensor> expected = evaluateReference(
        "func.func @f(%a: " + tensorType({m, k}, element) +
            ", %b: " + tensorType(bShape, element) + ") -> " +
            tensorType({m, n}, element) + " {\n  %0 = " + op +
            tensorType({m, k}, element) + ", " + tensorType(bShape, element) +
            " -> " + tensorType({m, n}, element) +
            "\n  return %0 : " + tensorType({m, n}, element) + "\n}",
        {a, b});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<T> da = toBuffer<T>(a), db = toBuffer<T>(b), dc(m * n, T(0.0f));
    kk::SimtGemmParams<T, T, T, kk::IdentityEpilogue> p{};
    p.a = da.data();
    p.b = db.data();
    p.c = dc.data();
    p.m = m;
    p.n = n;
    p.k = k;
    p.batch = 1;
    p.batchInner = 1;
    p.lda = k;
    p.ldb = kBTransposed ? k : n;
    p.ldc = n;
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
