//===- GemmTest.cpp - gemm.cuh against the evaluator ----------------------===//
//
// The tensor-core GEMM against kiln.matmul and kiln.linear (with and
// without transpose_weight, with a bias) for several tile configurations,
// fp16 and bf16 inputs, fp32 / fp16 / bf16 outputs, shapes that are not
// tile multiples (1, 7, 37, 97, 130), two-level batch broadcasting, split-K
// 1/2/3, leading dims and base pointers that force the element-wise
// fallback (and padded ones that keep cp.async with partial zero fill), and
// a fused bias + relu + residual epilogue. Every test runs in both
// race-hunting modes.
//
// Error bound (per element, with S = sum_k |a_ik| |b_kj|, computed by the
// evaluator as the same op on |A|, |B| in f32): the reference is the exact
// result on the already rounded inputs, rounded once to the output type
// (or to f32 for f32 outputs). The kernel's products of fp16/bf16 values
// are exact in fp32 and its fp32 sums err by at most gamma * S with
// gamma = K * 2^-23 (K additions, each within one fp32 ulp whatever the
// tensor core's order or rounding mode). Rounding both sides to the output
// type adds at most one output ulp: 2^-10 |expected| for fp16, 2^-7 for
// bf16 (2^-24 absolute below fp16's normal range); for f32 outputs we
// allow 1e-5 |expected|. So
//   |actual - expected| <= rel * |expected| + 2 * gamma * S + floor.
// A wrong or missing product term errs by ~|a b| ~ 0.1..1 >> 2 gamma S
// (<= 2 * 130 * 2^-23 * 130 ~ 4e-3 in the worst case here, ~5e-4 typical).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/gemm.cuh"

#include "GemmTestSupport.h"

#include <cmath>
#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

template <typename T, typename OutT, typename Epi>
using Params = kk::GemmParams<T, OutT, Epi>;

/// Launches gemm (and the split-K reduction when p.splitK > 1) with a
/// NaN-filled workspace.
template <class Config, bool kBTransposed, typename T, typename OutT,
          typename Epi>
bool runGemm(Params<T, OutT, Epi> p, bool raceHunt, const std::string &what) {
  std::vector<float> workspace(
      static_cast<size_t>(kk::gemmWorkspaceBytes(p) / sizeof(float)), NAN);
  p.workspace = p.splitK > 1 ? workspace.data() : nullptr;
  EXPECT_TRUE((kk::canUseGemm<Config>(p)));
  kiln::simt::LaunchConfig config = launchConfig(
      kk::gemmGrid<Config>(p), dim3(Config::kThreads), raceHunt, 17);
  config.dynamicSharedBytes = kk::gemmSharedBytes<Config, T>();
  if (!launchOk(config, [&] { kk::gemm<Config, kBTransposed>(p); }, what))
    return false;
  if (p.splitK == 1)
    return true;
  kiln::simt::LaunchConfig reduce;
  reduce.grid = kk::gemmSplitKReduceGrid(p);
  reduce.block = dim3(kk::kGemmReduceThreads);
  reduce.barrierFree = true;
  return launchOk(reduce, [&] { kk::gemmSplitKReduce(p); }, what + " (reduce)");
}

template <typename T, typename OutT>
Params<T, OutT, kk::IdentityEpilogue> denseParams(const T *a, const T *b,
                                                  OutT *c, int64_t m, int64_t n,
                                                  int64_t k, bool bTransposed) {
  auto p = denseGemmParams<Params<T, OutT, kk::IdentityEpilogue>>(
      a, b, c, m, n, k, bTransposed);
  p.splitK = 1;
  return p;
}

/// Expected output (in the output type) and S = sum |a||b| of a GEMM-like
/// op on a and b.
SumAbsReference reference(const HostTensor &a, const HostTensor &b,
                          const std::vector<int64_t> &cs, bool bTransposed,
                          DType out) {
  return sumAbsReference(
      [&](const char *el) {
        return gemmFunc(a.shape, b.shape, cs, bTransposed, el);
      },
      a, b, out);
}

struct Shape {
  int64_t m, n, k;
};

int64_t roundUp8(int64_t v) { return (v + 7) / 8 * 8; }

/// The [rows, cols] tensor's values in a buffer with leading dim ld.
template <typename T> std::vector<T> pitched(const HostTensor &t, int64_t ld) {
  int64_t rows = t.shape[0], cols = t.shape[1];
  std::vector<T> out(rows * ld, T(1e4f));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out[i * ld + j] = T(static_cast<float>(t[i * cols + j]));
  return out;
}

// C = A x B for B [K, N] and [N, K], one configuration, inputs T, output
// OutT; dense operands (leading dim = row length: the element-wise
// fallback unless it is a multiple of 8) and operands with leading dims
// rounded up to 8 (the cp.async path, partial chunks zero-filled).
template <class Config, typename T, typename OutT> void checkShapes() {
  const DType in = dtypeOf<T>(), out = dtypeOf<OutT>();
  for (bool raceHunt : raceHuntModes()) {
    for (Shape s : {Shape{1, 1, 1}, Shape{16, 16, 16}, Shape{37, 7, 97},
                    Shape{64, 64, 64}, Shape{97, 130, 37}, Shape{130, 37, 130},
                    Shape{7, 97, 1}}) {
      for (bool bt : {false, true}) {
        std::vector<int64_t> bs = bt ? std::vector<int64_t>{s.n, s.k}
                                     : std::vector<int64_t>{s.k, s.n};
        HostTensor a = randomTensor(in, {s.m, s.k}, 1 + s.m + s.k);
        HostTensor b = randomTensor(in, bs, 2 + s.n);
        SumAbsReference ref = reference(a, b, {s.m, s.n}, bt, out);
        for (bool padded : {false, true}) {
          SCOPED_TRACE(
              "M=" + std::to_string(s.m) + " N=" + std::to_string(s.n) +
              " K=" + std::to_string(s.k) + (bt ? " B^T" : " B") +
              (padded ? " padded" : " dense") + (raceHunt ? " race-hunt" : ""));
          const int64_t lda = padded ? roundUp8(s.k) : s.k;
          const int64_t ldb = padded ? roundUp8(bs[1]) : bs[1];
          std::vector<T> da = pitched<T>(a, lda), db = pitched<T>(b, ldb);
          std::vector<OutT> dc(s.m * s.n, OutT(-7.0f));
          auto p =
              denseParams(da.data(), db.data(), dc.data(), s.m, s.n, s.k, bt);
          p.lda = lda;
          p.ldb = ldb;
          if (bt)
            ASSERT_TRUE((runGemm<Config, true>(p, raceHunt, "linear^T")));
          else
            ASSERT_TRUE((runGemm<Config, false>(p, raceHunt, "matmul")));
          EXPECT_TRUE(withinSumAbsBound(fromBuffer(out, {s.m, s.n}, dc),
                                        ref.expected, ref.sumAbs, s.k));
        }
      }
    }
  }
}

TEST(Gemm, DefaultConfigF16) {
  checkShapes<kk::DefaultGemmConfig, __half, __half>();
}
TEST(Gemm, DefaultConfigBf16ToF32) {
  checkShapes<kk::DefaultGemmConfig, __nv_bfloat16, float>();
}
TEST(Gemm, Config64x64x32Warp32x32Stages2) {
  checkShapes<kk::GemmConfig<64, 64, 32, 32, 32, 2>, __half, float>();
}
TEST(Gemm, Config128x64x32Warp64x32Stages4Bf16) {
  checkShapes<kk::GemmConfig<128, 64, 32, 64, 32, 4>, __nv_bfloat16,
              __nv_bfloat16>();
}
TEST(Gemm, Config32x64x64Warp32x16Stages3) {
  // K slices of 64 (8 chunks per row: the other swizzle), 4 warps along N.
  checkShapes<kk::GemmConfig<32, 64, 64, 32, 16, 3>, __half, __half>();
}
TEST(Gemm, Config32x32x16Warp16x32Stages3) {
  // K slices of 16 (2 chunks per row), one mma row per warp, 2 warps.
  checkShapes<kk::GemmConfig<32, 32, 16, 16, 32, 3>, __nv_bfloat16, float>();
}

// [2, 1, M, K] x [1, 3, K, N] -> [2, 3, M, N]: both broadcast levels (A
// broadcast along the inner batch dim, B along the outer one), with split-K
// 1, 2 and 3 (K = 130: 5 slices of 32, split 3 as 2 + 2 + 1).
TEST(Gemm, BatchedBroadcastSplitK) {
  using Config = kk::GemmConfig<64, 64, 32, 32, 32, 2>;
  const int64_t m = 19, n = 23, k = 130;
  HostTensor a = randomTensor(DType::F16, {2, 1, m, k}, 5);
  HostTensor b = randomTensor(DType::F16, {1, 3, k, n}, 6);
  SumAbsReference ref = reference(a, b, {2, 3, m, n}, false, DType::F32);
  for (bool raceHunt : raceHuntModes()) {
    for (int splitK : {1, 2, 3}) {
      SCOPED_TRACE("splitK=" + std::to_string(splitK) +
                   (raceHunt ? " race-hunt" : ""));
      std::vector<__half> da = toBuffer<__half>(a), db = toBuffer<__half>(b);
      std::vector<float> dc(6 * m * n, -7.0f);
      auto p = denseParams(da.data(), db.data(), dc.data(), m, n, k, false);
      broadcastBatches2x3(p);
      p.splitK = splitK;
      ASSERT_TRUE((runGemm<Config, false>(p, raceHunt, "batched 2x3")));
      EXPECT_TRUE(withinSumAbsBound(fromBuffer(DType::F32, {2, 3, m, n}, dc),
                                    ref.expected, ref.sumAbs, k));
    }
  }
}

// Split-K on the default config with the [N, K] layout and a bf16 output:
// K = 37 (2 slices: split 2 = 1 + 1, split 3 = 1 + 1 + 0) and K = 97 (4
// slices: 2 + 2, and 2 + 2 + 0). An empty split must contribute zeros.
TEST(Gemm, SplitKTransposedBf16) {
  using Config = kk::DefaultGemmConfig;
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t k : {37, 97}) {
      for (int splitK : {1, 2, 3}) {
        SCOPED_TRACE("K=" + std::to_string(k) + " splitK=" +
                     std::to_string(splitK) + (raceHunt ? " race-hunt" : ""));
        const int64_t m = 67, n = 41;
        HostTensor a = randomTensor(DType::BF16, {m, k}, 30 + k);
        HostTensor b = randomTensor(DType::BF16, {n, k}, 31 + k);
        SumAbsReference ref = reference(a, b, {m, n}, true, DType::BF16);
        std::vector<__nv_bfloat16> da = toBuffer<__nv_bfloat16>(a),
                                   db = toBuffer<__nv_bfloat16>(b),
                                   dc(m * n, __nv_bfloat16(-7.0f));
        auto p = denseParams(da.data(), db.data(), dc.data(), m, n, k, true);
        p.splitK = splitK;
        ASSERT_TRUE((runGemm<Config, true>(p, raceHunt, "split-K")));
        EXPECT_TRUE(withinSumAbsBound(fromBuffer(DType::BF16, {m, n}, dc),
                                      ref.expected, ref.sumAbs, k));
      }
    }
  }
}

// Operands inside wider buffers. lda / ldb odd or a base pointer one
// element past a 16-byte boundary: the element-wise fallback. Leading dims
// rounded up to 8 with K = 37 (not a multiple of 8): cp.async with a
// partial zero-filled last chunk. ldc > N: nothing written past column N.
TEST(Gemm, LeadingDimsAndAlignment) {
  using Config = kk::GemmConfig<64, 64, 32, 32, 32, 3>;
  const int64_t m = 29, n = 45, k = 37;
  struct Layout {
    int64_t lda, ldb, ldc, offsetA, offsetB;
    const char *name;
    bool vector; // both operands on the cp.async path
  };
  for (bool raceHunt : raceHuntModes()) {
    for (bool bt : {false, true}) {
      const int64_t bRows = bt ? n : k, bCols = bt ? k : n;
      for (Layout l :
           {Layout{k + 2, bCols + 5, n + 2, 0, 0, "odd lds", false},
            Layout{40, bt ? 40 : 48, n + 3, 0, 0, "padded to 8", true},
            Layout{40, bt ? 40 : 48, n, 1, 1, "misaligned bases", false},
            Layout{40, bCols + 1, n, 0, 8, "A vector, B scalar", false}}) {
        SCOPED_TRACE(std::string(l.name) + (bt ? " B^T" : " B") +
                     (raceHunt ? " race-hunt" : ""));
        HostTensor a = randomTensor(DType::F16, {m, k}, 40);
        HostTensor b = randomTensor(DType::F16, {bRows, bCols}, 41);
        SumAbsReference ref = reference(a, b, {m, n}, bt, DType::F16);
        std::vector<__half> pa(l.offsetA + m * l.lda, __half(1e4f)),
            pb(l.offsetB + bRows * l.ldb, __half(1e4f)),
            pc(m * l.ldc, __half(-7.0f));
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < k; ++j)
            pa[l.offsetA + i * l.lda + j] =
                __half(static_cast<float>(a[i * k + j]));
        for (int64_t i = 0; i < bRows; ++i)
          for (int64_t j = 0; j < bCols; ++j)
            pb[l.offsetB + i * l.ldb + j] =
                __half(static_cast<float>(b[i * bCols + j]));
        auto p = denseParams(pa.data() + l.offsetA, pb.data() + l.offsetB,
                             pc.data(), m, n, k, bt);
        p.lda = l.lda;
        p.ldb = l.ldb;
        p.ldc = l.ldc;
        EXPECT_EQ((kk::gemmUsesCpAsync(p)), l.vector)
            << "the layout does not take the intended path";
        if (bt)
          ASSERT_TRUE((runGemm<Config, true>(p, raceHunt, l.name)));
        else
          ASSERT_TRUE((runGemm<Config, false>(p, raceHunt, l.name)));
        std::vector<__half> c = unpitch(pc, m, n, l.ldc, -7.0f);
        EXPECT_TRUE(withinSumAbsBound(fromBuffer(DType::F16, {m, n}, c),
                                      ref.expected, ref.sumAbs, k));
      }
    }
  }
}

// relu(x W^T + bias) + residual with the epilogue fused, batched [2, M, K]
// input, broadcast weight, fp16 output; split-K 1 (epilogue in the main
// kernel) and 2 (in the reduction). Reference: kiln.linear (bias,
// transpose_weight), kiln.relu, kiln.add in f32 on the fp16 values, so the
// only reference rounding is f32's; the kernel rounds once to fp16 after
// the epilogue: bound 2^-10 |expected| + 2 gamma S (S of the product
// alone: the bias and residual are added exactly up to f32 rounding,
// covered by the 1e-5-scale slack of 2^-10).
TEST(Gemm, EpilogueBiasReluResidual) {
  const int64_t m = 41, n = 37, k = 43;
  HostTensor x = randomTensor(DType::F16, {2, m, k}, 9);
  HostTensor w = randomTensor(DType::F16, {n, k}, 10);
  HostTensor bias = randomTensor(DType::F32, {n}, 11);
  HostTensor res = randomTensor(DType::F32, {2, m, n}, 12);
  std::vector<HostTensor> expected = evaluateReference(
      biasReluResidualFunc(m, n, k),
      {retype(x, DType::F32), retype(w, DType::F32), bias, res});
  ASSERT_EQ(expected.size(), 1u);
  SumAbsReference s = reference(x, w, {2, m, n}, true, DType::F32);
  HostTensor expected16 = retype(expected[0], DType::F16);
  // The bound is against the exact (f32) reference: use it with the fp16
  // relative term by comparing in fp16 type but with the f32 values.
  expected16.values = expected[0].values;
  for (bool raceHunt : raceHuntModes()) {
    for (int splitK : {1, 2}) {
      SCOPED_TRACE("splitK=" + std::to_string(splitK) +
                   (raceHunt ? " race-hunt" : ""));
      std::vector<__half> dx = toBuffer<__half>(x), dw = toBuffer<__half>(w),
                          dy(2 * m * n, __half(-7.0f));
      std::vector<float> db = toBuffer<float>(bias), dr = toBuffer<float>(res);
      auto p = denseGemmParams<Params<__half, __half, GemmBiasReluResidual>>(
          dx.data(), dw.data(), dy.data(), m, n, k, true);
      p.batch = 2;
      p.strideA[0] = m * k;
      p.strideB[0] = 0;
      p.strideC = m * n;
      p.splitK = splitK;
      p.epilogue = GemmBiasReluResidual{db.data(), dr.data(), m, n};
      ASSERT_TRUE(
          (runGemm<kk::DefaultGemmConfig, true>(p, raceHunt, "epilogue")));
      HostTensor got = fromBuffer(DType::F16, {2, m, n}, dy);
      EXPECT_TRUE(withinSumAbsBound(got, expected16, s.sumAbs, k));
    }
  }
}

} // namespace
