//===- NormTest.cpp - norm.cuh against the evaluator ----------------------===//
//
// layerNorm (with and without bias) and rmsNorm against kiln.layer_norm /
// kiln.rms_norm of [rows, cols] over axis 1 (and a 3-D input normalized
// over its two trailing dims): cols in {1, 2, 31, 32, 33, 127, 1000} (4097
// for the block config), rows in {1, 3, 17}; configs that hold the row in
// registers and configs whose capacity is exceeded (streaming: the loader
// is re-read at each pass); fp16 / bf16 storage; rows with a large mean
// (1000 + noise in [-1, 1)); a fused residual add in the loader against the
// evaluator running add then layer_norm; an epilogue.
//
// Inputs: x uniform in [-1, 1), scale in [0.5, 1.5), bias in [-1, 1),
// epsilon 1e-5.
// Tolerances (the evaluator computes in double, rounds once):
//  - fp32: rtol 1e-5. The statistics are accurate to a few ulps of the
//    deviation (norm.cuh's corrected two-pass; the sums of positive squares
//    add at most ~25 roundings of 2^-24 on their deepest path here), so
//    every factor of y is within a few ulps. layer_norm adds atol 2^-20:
//    y = z * scale + bias may cancel to ~0, where only the absolute error of
//    its terms (|terms| <= 4, a few roundings of 2^-24 each) is meaningful.
//    rms_norm is a product: rtol alone.
//  - fp16 / bf16 storage: plus one ulp of the result (2^-10 / 2^-7
//    relative), both sides rounding once (ours from fp32), and 2^-24 for
//    fp16 subnormal outputs.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/norm.cuh"

#include "KernelTestSupport.h"

#include <cmath>
#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

enum class Kind { LayerNorm, LayerNormNoBias, RmsNorm };
const char *kindName(Kind k) {
  return k == Kind::LayerNorm         ? "layer_norm"
         : k == Kind::LayerNormNoBias ? "layer_norm (no bias)"
                                      : "rms_norm";
}

/// The kiln op over the trailing dims of x from `axis`; `prologue` (kiln
/// ops producing %in from %x and %res) runs first when not empty.
HostTensor reference(Kind kind, const HostTensor &x, const HostTensor &scale,
                     const HostTensor &bias, int64_t axis,
                     const HostTensor *residual = nullptr) {
  const char *e = dtypeName(x.type);
  std::string xt = tensorType(x.shape, e), st = tensorType(scale.shape, e);
  std::string body, args = "%x: " + xt;
  std::vector<HostTensor> inputs = {x};
  std::string in = "%x";
  if (residual) {
    args += ", %res: " + xt;
    inputs.push_back(*residual);
    body += "  %in = kiln.add %x, %res : " + xt + "\n";
    in = "%in";
  }
  args += ", %s: " + st;
  inputs.push_back(scale);
  if (kind == Kind::LayerNorm) {
    args += ", %b: " + st;
    inputs.push_back(bias);
  }
  std::string eps = " axis = " + std::to_string(axis) + " epsilon = 1.0e-05";
  if (kind == Kind::RmsNorm)
    body += "  %0 = kiln.rms_norm " + in + ", %s" + eps + " : " + xt + ", " +
            st + "\n";
  else if (kind == Kind::LayerNorm)
    body += "  %0 = kiln.layer_norm " + in + ", %s, %b" + eps + " : " + xt +
            ", " + st + ", " + st + "\n";
  else
    body += "  %0 = kiln.layer_norm " + in + ", %s" + eps + " : " + xt + ", " +
            st + "\n";
  std::vector<HostTensor> r =
      evaluateReference(funcText(args, xt, body), inputs);
  EXPECT_EQ(r.size(), 1u);
  return r.empty() ? HostTensor() : r[0];
}

Tolerance tolerance(Kind kind, DType t) {
  double rtol = 1e-5 + storageUlp(t);
  double atol = kind == Kind::RmsNorm ? 0.0 : std::ldexp(1.0, -20);
  if (t == DType::F16)
    atol += std::ldexp(1.0, -24);
  return {rtol, atol};
}

template <class Config, typename TS, typename TO, typename Loader,
          typename Epilogue>
bool launchNorm(Kind kind, const kk::NormParams<TS, TO, Loader, Epilogue> &p,
                bool raceHunt) {
  EXPECT_TRUE(kk::canUseNorm<Config>(p));
  kiln::simt::LaunchConfig config = launchConfig(
      kk::normGrid<Config>(p), dim3(Config::kThreads), raceHunt, 23);
  if (kind == Kind::RmsNorm)
    return launchOk(config, [&] { kk::rmsNorm<Config>(p); }, "rmsNorm");
  return launchOk(config, [&] { kk::layerNorm<Config>(p); }, "layerNorm");
}

/// x normalized over its dims from `axis` on.
template <class Config, typename T>
void check(Kind kind, const HostTensor &x, int64_t axis, bool raceHunt,
           uint32_t seed) {
  std::vector<int64_t> normalized(x.shape.begin() + axis, x.shape.end());
  int64_t cols = 1;
  for (int64_t d : normalized)
    cols *= d;
  const int64_t rows = x.numel() / cols;
  SCOPED_TRACE(std::string(kindName(kind)) + " " + dtypeName(x.type) + " " +
               std::to_string(rows) + "x" + std::to_string(cols) +
               (raceHunt ? " race-hunt" : ""));
  HostTensor scale = randomTensor(x.type, normalized, seed + 1, 0.5, 1.5);
  HostTensor bias = randomTensor(x.type, normalized, seed + 2);
  HostTensor expected = reference(kind, x, scale, bias, axis);
  std::vector<T> in = toBuffer<T>(x), s = toBuffer<T>(scale),
                 b = toBuffer<T>(bias), out(x.numel(), T(-7.0f));
  kk::NormParams<T, T, kk::MatrixLoader<T>, kk::IdentityEpilogue> p{};
  p.loader = kk::MatrixLoader<T>{in.data(), cols};
  p.scale = s.data();
  p.bias = kind == Kind::LayerNorm ? b.data() : nullptr;
  p.output = out.data();
  p.rows = rows;
  p.cols = cols;
  p.epsilon = 1e-5f;
  ASSERT_TRUE((launchNorm<Config>(kind, p, raceHunt)));
  Tolerance tol = tolerance(kind, x.type);
  EXPECT_TRUE(
      allClose(fromBuffer(x.type, x.shape, out), expected, tol.rtol, tol.atol));
}

template <class Config, typename T>
void checkShapes(DType type, std::vector<int64_t> colsList) {
  for (bool raceHunt : raceHuntModes())
    for (int64_t rows : {1, 3, 17})
      for (int64_t cols : colsList) {
        uint32_t seed = static_cast<uint32_t>(rows * 977 + cols);
        HostTensor x = randomTensor(type, {rows, cols}, seed);
        for (Kind kind :
             {Kind::LayerNorm, Kind::LayerNormNoBias, Kind::RmsNorm})
          check<Config, T>(kind, x, 1, raceHunt, seed);
      }
}

const std::vector<int64_t> kCols = {1, 2, 31, 32, 33, 127, 1000};

// A block per row, capacity 4096: 4097 streams.
TEST(Norm, BlockPerRowF32) {
  checkShapes<kk::DefaultNormConfig, float>(DType::F32,
                                            {1, 33, 127, 1000, 4097});
}
// A warp per row, capacity 512: 1000 streams.
TEST(Norm, WarpPerRowF32) {
  checkShapes<kk::WarpNormConfig, float>(DType::F32, kCols);
}
// 4 lanes per row, capacity 16: streaming from 31 on.
TEST(Norm, FourLanesStreamingF32) {
  checkShapes<kk::RowConfig<64, 16, 4>, float>(DType::F32, kCols);
}
// Two warps per row, capacity 128.
TEST(Norm, TwoWarpsPerRowF32) {
  checkShapes<kk::RowConfig<128, 2, 2>, float>(DType::F32, kCols);
}
TEST(Norm, WarpPerRowF16) {
  checkShapes<kk::WarpNormConfig, __half>(DType::F16, {2, 33, 1000});
}
TEST(Norm, BlockPerRowBf16) {
  checkShapes<kk::DefaultNormConfig, __nv_bfloat16>(DType::BF16,
                                                    {31, 127, 1000});
}

// Normalized over the two trailing dims of [3, 5, 7] (cols = 35, scale and
// bias of shape [5, 7]).
TEST(Norm, TrailingDims) {
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, {3, 5, 7}, 61);
    for (Kind kind : {Kind::LayerNorm, Kind::RmsNorm})
      check<kk::WarpNormConfig, float>(kind, x, 1, raceHunt, 61);
  }
}

// Rows of 1000 + noise: an fp32 mean is off by ulps of 1000 (6e-5 each),
// which a plain two-pass would pass on to every centred value; the
// corrected two-pass keeps rtol 1e-5. Registers and streaming paths.
TEST(Norm, LargeMeanRows) {
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t cols : {127, 1000, 4097}) {
      HostTensor x = randomTensor(DType::F32, {5, cols},
                                  static_cast<uint32_t>(cols), 999.0, 1001.0);
      check<kk::DefaultNormConfig, float>(Kind::LayerNorm, x, 1, raceHunt, 3);
      check<kk::DefaultNormConfig, float>(Kind::LayerNormNoBias, x, 1, raceHunt,
                                          3);
      check<kk::WarpNormConfig, float>(Kind::LayerNorm, x, 1, raceHunt, 3);
      check<kk::RowConfig<64, 16, 4>, float>(Kind::LayerNorm, x, 1, raceHunt,
                                             3);
    }
    HostTensor h = randomTensor(DType::F16, {5, 1000}, 8, 999.0, 1001.0);
    check<kk::DefaultNormConfig, __half>(Kind::LayerNorm, h, 1, raceHunt, 4);
  }
}

// layer_norm(x + residual): the add in the loader (rounded to the storage
// type, as the unfused add stores it), against the evaluator running add
// then layer_norm; in fp32 the epilogue is checked by a second run that
// adds 1 to every output.
template <typename T> struct ResidualLoader {
  const T *x, *res;
  kk::Index ld;
  KILN_DEVICE float operator()(kk::Index row, kk::Index col) const {
    float sum = kk::load(x, row * ld + col) + kk::load(res, row * ld + col);
    return kk::toFloat(kk::fromFloat<T>(sum));
  }
};
struct PlusOne {
  KILN_DEVICE float operator()(float v, kk::Index, kk::Index) const {
    return v + 1.0f;
  }
};

template <class Config, typename T>
void checkResidual(DType type, int64_t rows, int64_t cols) {
  SCOPED_TRACE(std::string("residual ") + dtypeName(type) + " " +
               std::to_string(rows) + "x" + std::to_string(cols));
  HostTensor x = randomTensor(type, {rows, cols}, 71);
  HostTensor res = randomTensor(type, {rows, cols}, 72);
  HostTensor scale = randomTensor(type, {cols}, 73, 0.5, 1.5);
  HostTensor bias = randomTensor(type, {cols}, 74);
  HostTensor expected = reference(Kind::LayerNorm, x, scale, bias, 1, &res);
  HostTensor expectedPlusOne = expected;
  for (int64_t i = 0; i < expected.numel(); ++i)
    expectedPlusOne.set(i, expected[i] + 1.0);
  Tolerance tol = tolerance(Kind::LayerNorm, type);
  for (bool raceHunt : raceHuntModes()) {
    std::vector<T> dx = toBuffer<T>(x), dr = toBuffer<T>(res),
                   ds = toBuffer<T>(scale), db = toBuffer<T>(bias),
                   out(x.numel(), T(-7.0f)), out1(x.numel(), T(-7.0f));
    kk::NormParams<T, T, ResidualLoader<T>, kk::IdentityEpilogue> p{};
    p.loader = ResidualLoader<T>{dx.data(), dr.data(), cols};
    p.scale = ds.data();
    p.bias = db.data();
    p.output = out.data();
    p.rows = rows;
    p.cols = cols;
    p.epsilon = 1e-5f;
    ASSERT_TRUE((launchNorm<Config>(Kind::LayerNorm, p, raceHunt)));
    EXPECT_TRUE(
        allClose(fromBuffer(type, x.shape, out), expected, tol.rtol, tol.atol));
    // The epilogue check is fp32 only: in fp16 / bf16, y rounded to the
    // storage type and then y + 1 rounded again is not what one rounding of
    // y + 1 gives.
    if (type != DType::F32)
      continue;
    kk::NormParams<T, T, ResidualLoader<T>, PlusOne> q{};
    q.loader = p.loader;
    q.scale = p.scale;
    q.bias = p.bias;
    q.output = out1.data();
    q.rows = rows;
    q.cols = cols;
    q.epsilon = 1e-5f;
    ASSERT_TRUE((launchNorm<Config>(Kind::LayerNorm, q, raceHunt)));
    // y + 1 rounds once more in fp32 (2^-24 relative to |y + 1| <= 5).
    EXPECT_TRUE(allClose(fromBuffer(type, x.shape, out1), expectedPlusOne,
                         tol.rtol, tol.atol + std::ldexp(1.0, -21)));
  }
}

TEST(Norm, FusedResidualAdd) {
  checkResidual<kk::DefaultNormConfig, float>(DType::F32, 3, 1000);
  checkResidual<kk::WarpNormConfig, float>(DType::F32, 17, 33);
  checkResidual<kk::RowConfig<64, 16, 4>, float>(DType::F32, 3, 127);
  checkResidual<kk::WarpNormConfig, __nv_bfloat16>(DType::BF16, 5, 127);
}

} // namespace
