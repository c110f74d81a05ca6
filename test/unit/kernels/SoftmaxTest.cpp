//===- SoftmaxTest.cpp - softmax.cuh against the evaluator ----------------===//
//
// softmaxRows / softmaxColumns, softmax and log-softmax, against
// kiln.softmax / kiln.log_softmax of an [outer, R, inner] tensor along axis 1
// (inner == 1: the last axis): R in {1, 2, 31, 32, 33, 127, 1000} (4097 for
// the block config), outer in {1, 3, 17}, inner {5, 33} for the column
// kernel; row configs that hold the row in registers and configs whose
// capacity is exceeded (streaming path: online max + sum); fp16 / bf16;
// special rows (fully -inf, a +inf, a NaN, partly -inf); a fused loader
// `x * scale + mask` with -inf mask entries (one row fully masked) against
// the evaluator running mul, add, softmax.
//
// Inputs uniform in [-4, 4).
// Tolerances (the evaluator computes in double, rounds once):
//  - softmax, fp32: rtol 1e-5, atol 0. Errors: x - max rounds by 2^-24 |x -
//    max| <= 2^-21, which exp turns into a relative 2^-21 * 8; expf and the
//    division ~1 ulp each; the sum's relative error <= (its additions on
//    the deepest path) * 2^-24 < 2^-18 here. All relative: ~5e-6 worst.
//  - log-softmax, fp32: rtol 1e-5, atol 2^-23 * (8 + ln R + 1): the value
//    (x - max) - log(sum) has absolute error ~ 2^-24 times its two terms
//    (|x - max| < 8, log(sum) <= ln R) plus logf's ulp, and is ~0 for a
//    dominant element, where only the absolute bound is meaningful.
//  - fp16 / bf16 storage: plus one ulp of the result (rtol 2^-10 / 2^-7),
//    both sides rounding once (ours from fp32); fp16 adds atol 2^-24, the
//    subnormal spacing (softmax values go below 2^-14).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/softmax.cuh"

#include "KernelTestSupport.h"

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

HostTensor reference(bool log, const HostTensor &x) {
  std::string t = tensorType(x.shape, dtypeName(x.type));
  std::vector<HostTensor> r = evaluateReference(
      singleOpFunc("%x: " + t, t,
                   std::string("kiln.") + (log ? "log_softmax" : "softmax") +
                       " %x axis = 1 : " + t),
      {x});
  EXPECT_EQ(r.size(), 1u);
  return r.empty() ? HostTensor() : r[0];
}

Tolerance tolerance(bool log, DType t, int64_t r) {
  double rtol = 1e-5 + storageUlp(t);
  double atol =
      log ? std::ldexp(1.0, -23) * (9.0 + std::log(static_cast<double>(r)))
          : 0.0;
  if (t == DType::F16)
    atol += std::ldexp(1.0, -24);
  return {rtol, atol};
}

template <class Config, bool kLog, typename TO, typename Loader,
          typename Epilogue>
bool launchSoftmax(const kk::SoftmaxParams<TO, Loader, Epilogue> &p,
                   bool raceHunt) {
  kiln::simt::LaunchConfig config =
      launchConfig(dim3(), dim3(Config::kThreads), raceHunt, 17);
  if constexpr (IsRowConfig<Config>::value) {
    EXPECT_TRUE(kk::canUseSoftmaxRows<Config>(p));
    config.grid = kk::softmaxRowsGrid<Config>(p);
    return launchOk(
        config, [&] { kk::softmaxRows<Config, kLog>(p); }, "softmaxRows");
  } else {
    EXPECT_TRUE(kk::canUseSoftmaxColumns<Config>(p));
    config.grid = kk::softmaxColumnsGrid<Config>(p);
    return launchOk(
        config, [&] { kk::softmaxColumns<Config, kLog>(p); }, "softmaxColumns");
  }
}

template <class Config, bool kLog, typename T>
void check(const HostTensor &x, bool raceHunt) {
  const int64_t outer = x.shape[0], r = x.shape[1], inner = x.shape[2];
  SCOPED_TRACE(std::string(kLog ? "log_softmax " : "softmax ") +
               dtypeName(x.type) + " [" + std::to_string(outer) + ", " +
               std::to_string(r) + ", " + std::to_string(inner) + "]" +
               (raceHunt ? " race-hunt" : ""));
  HostTensor expected = reference(kLog, x);
  std::vector<T> in = toBuffer<T>(x), out(x.numel(), T(-7.0f));
  kk::SoftmaxParams<T, kk::MatrixLoader<T>, kk::IdentityEpilogue> p{};
  p.loader = kk::MatrixLoader<T>{in.data(), inner == 1 ? r : inner};
  p.output = out.data();
  p.outer = outer;
  p.r = r;
  p.inner = inner;
  ASSERT_TRUE((launchSoftmax<Config, kLog>(p, raceHunt)));
  Tolerance tol = tolerance(kLog, x.type, r);
  EXPECT_TRUE(
      allClose(fromBuffer(x.type, x.shape, out), expected, tol.rtol, tol.atol));
}

template <class Config, typename T>
void checkShapes(DType type, std::vector<int64_t> inners,
                 std::vector<int64_t> rs) {
  for (bool raceHunt : raceHuntModes())
    for (int64_t inner : inners)
      for (int64_t outer : {1, 3, 17})
        for (int64_t r : rs) {
          HostTensor x = randomTensor(
              type, {outer, r, inner},
              static_cast<uint32_t>(outer * 131 + r * 3 + inner), -4.0, 4.0);
          check<Config, false, T>(x, raceHunt);
          check<Config, true, T>(x, raceHunt);
        }
}

const std::vector<int64_t> kRs = {1, 2, 31, 32, 33, 127, 1000};

// Registers: capacity 1024 >= every R.
TEST(Softmax, RowsWarpPerRowF32) {
  checkShapes<kk::DefaultSoftmaxConfig, float>(DType::F32, {1}, kRs);
}
// 4 lanes per row, capacity 16: R > 16 streams.
TEST(Softmax, RowsFourLanesStreamingF32) {
  checkShapes<kk::RowConfig<64, 16, 4>, float>(DType::F32, {1}, kRs);
}
// Two warps per row, capacity 128: registers up to 127, 1000 streams.
TEST(Softmax, RowsTwoWarpsPerRowF32) {
  checkShapes<kk::RowConfig<128, 2, 2>, float>(DType::F32, {1}, kRs);
}
// A block per row, capacity 4096: 1000 in registers, 4097 streams.
TEST(Softmax, RowsBlockPerRowF32) {
  checkShapes<kk::BlockSoftmaxConfig, float>(DType::F32, {1}, {33, 1000, 4097});
}
TEST(Softmax, RowsWarpPerRowF16) {
  checkShapes<kk::DefaultSoftmaxConfig, __half>(DType::F16, {1}, {1, 33, 1000});
}
TEST(Softmax, RowsBlockPerRowBf16) {
  checkShapes<kk::RowConfig<256, 1, 2>, __nv_bfloat16>(DType::BF16, {1},
                                                       {2, 127, 1000});
}
TEST(Softmax, ColumnsDefaultF32) {
  checkShapes<kk::DefaultSoftmaxColumnConfig, float>(DType::F32, {5, 33}, kRs);
}
TEST(Softmax, ColumnsNoSplitF32) {
  checkShapes<kk::ColumnConfig<64, 1>, float>(DType::F32, {5, 33},
                                              {1, 2, 33, 127});
}
TEST(Softmax, ColumnsNarrowF16) {
  checkShapes<kk::ColumnConfig<8, 16>, __half>(DType::F16, {5}, {1, 33, 1000});
}
TEST(Softmax, ColumnsDefaultBf16) {
  checkShapes<kk::DefaultSoftmaxColumnConfig, __nv_bfloat16>(DType::BF16, {33},
                                                             {2, 127});
}

/// x with special rows along axis 1 (for every inner index):
/// row 0 all -inf, row 1 one +inf, row 2 a NaN, row 3 half -inf (the first
/// element among them), rows 4.. ordinary.
HostTensor specialRows(int64_t r, int64_t inner) {
  const int64_t outer = 6;
  HostTensor x = randomTensor(DType::F32, {outer, r, inner}, 41, -4.0, 4.0);
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < inner; ++i) {
    auto at = [&](int64_t o, int64_t k) { return (o * r + k) * inner + i; };
    for (int64_t k = 0; k < r; ++k)
      x.set(at(0, k), -inf);
    x.set(at(1, r / 2), inf);
    x.set(at(2, r - 1), std::numeric_limits<double>::quiet_NaN());
    for (int64_t k = 0; k < r; k += 2)
      x.set(at(3, k), -inf);
  }
  return x;
}

TEST(Softmax, SpecialRowsMatchTheEvaluator) {
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t r : {7, 100}) {
      HostTensor rows = specialRows(r, 1), columns = specialRows(r, 5);
      // Registers (capacity 1024) and streaming (capacity 16).
      check<kk::DefaultSoftmaxConfig, false, float>(rows, raceHunt);
      check<kk::DefaultSoftmaxConfig, true, float>(rows, raceHunt);
      check<kk::RowConfig<64, 16, 4>, false, float>(rows, raceHunt);
      check<kk::RowConfig<64, 16, 4>, true, float>(rows, raceHunt);
      check<kk::RowConfig<128, 1, 1>, false, float>(rows, raceHunt);
      check<kk::DefaultSoftmaxColumnConfig, false, float>(columns, raceHunt);
      check<kk::DefaultSoftmaxColumnConfig, true, float>(columns, raceHunt);
      check<kk::ColumnConfig<32, 1>, false, float>(columns, raceHunt);
      check<kk::ColumnConfig<32, 1>, true, float>(columns, raceHunt);
    }
  }
}

// softmax(x * scale + mask), the scale and the mask add in the loader; the
// mask has -inf entries (a causal-like pattern) and a fully masked row,
// which gives NaN as in the evaluator. The epilogue multiplies by 2 (a
// fused consumer), checked against a kiln.mul after the softmax.
struct ScaleMaskLoader {
  const float *x, *mask;
  float scale;
  kk::Index ld;
  KILN_DEVICE float operator()(kk::Index row, kk::Index col) const {
    float scaled = x[row * ld + col] * scale;
    return scaled + mask[row * ld + col];
  }
};
struct TimesTwo {
  KILN_DEVICE float operator()(float v, kk::Index, kk::Index) const {
    return v * 2.0f;
  }
};

template <class Config, bool kLog> void checkFused(int64_t rows, int64_t r) {
  SCOPED_TRACE(std::string(kLog ? "log_softmax" : "softmax") + " " +
               std::to_string(rows) + "x" + std::to_string(r));
  const double inf = std::numeric_limits<double>::infinity();
  HostTensor x = randomTensor(DType::F32, {rows, r}, 9, -4.0, 4.0);
  HostTensor scale(DType::F32, {});
  scale.set(0, 0.3);
  HostTensor mask = randomTensor(DType::F32, {rows, r}, 10, -1.0, 1.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t k = 0; k < r; ++k)
      if (k > i + r / 2 || i == 1)
        mask.set(i * r + k, -inf);
  std::string t = tensorType({rows, r}, "f32");
  std::vector<HostTensor> expected = evaluateReference(
      "func.func @f(%x: " + t + ", %s: tensor<f32>, %m: " + t + ", %two: " +
          "tensor<f32>) -> " + t + " {\n  %0 = kiln.mul %x, %s : (" + t +
          ", tensor<f32>) -> " + t + "\n  %1 = kiln.add %0, %m : " + t +
          "\n  %2 = kiln." + (kLog ? "log_softmax" : "softmax") +
          " %1 axis = 1 : " + t + "\n  %3 = kiln.mul %2, %two : (" + t +
          ", tensor<f32>) -> " + t + "\n  return %3 : " + t + "\n}",
      {x, scale, mask, [] {
         HostTensor two(DType::F32, {});
         two.set(0, 2.0);
         return two;
       }()});
  ASSERT_EQ(expected.size(), 1u);
  for (bool raceHunt : raceHuntModes()) {
    std::vector<float> dx = toBuffer<float>(x), dm = toBuffer<float>(mask),
                       dy(rows * r, -7.0f);
    kk::SoftmaxParams<float, ScaleMaskLoader, TimesTwo> p{};
    p.loader = ScaleMaskLoader{dx.data(), dm.data(), 0.3f, r};
    p.output = dy.data();
    p.outer = rows;
    p.r = r;
    p.inner = 1;
    ASSERT_TRUE((launchSoftmax<Config, kLog>(p, raceHunt)));
    Tolerance tol = tolerance(kLog, DType::F32, r);
    EXPECT_TRUE(allClose(fromBuffer(DType::F32, {rows, r}, dy), expected[0],
                         tol.rtol, 2 * tol.atol));
  }
}

TEST(Softmax, FusedScaleAndMask) {
  checkFused<kk::DefaultSoftmaxConfig, false>(17, 33);
  checkFused<kk::DefaultSoftmaxConfig, true>(17, 33);
  checkFused<kk::RowConfig<64, 16, 4>, false>(5, 127); // streaming
  checkFused<kk::BlockSoftmaxConfig, true>(3, 1000);
}

} // namespace
