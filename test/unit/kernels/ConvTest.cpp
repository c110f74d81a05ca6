//===- ConvTest.cpp - conv.cuh against the evaluator ----------------------===//
//
// The tensor-core implicit-GEMM convolution against kiln.conv2d (NCHW
// input, OIHW filter in the evaluator; the test permutes them to NHWC /
// OHWI and the kernel's NHWC output back to NCHW): 1x1, 3x3 and 7x7
// filters, stride 2, asymmetric pads, dilation 2 (and 3), groups 2 and 3,
// N = 1 and 2, channel counts that take the 16-byte cp.async im2col path
// (C/groups a multiple of 8) and ones that take the element-wise fallback
// (C = 3, 5, ...), several tile configurations, fp16 and bf16 inputs with
// fp32 / fp16 / bf16 outputs, and a fused bias + relu + residual epilogue.
// Every test runs in both race-hunting modes.
//
// Error bound (as GemmTest.cpp), per output element with
// S = sum |x| |w| over its window (the evaluator's conv2d of |x|, |w|) and
// K = KH * KW * C/groups: products of fp16/bf16 values are exact in fp32,
// the fp32 sums err by at most gamma * S, gamma = K * 2^-23; rounding both
// sides to the output type adds one output ulp (2^-10 |expected| fp16,
// 2^-7 bf16, 2^-24 absolute below fp16's normal range; 1e-5 |expected|
// for fp32 outputs):
//   |actual - expected| <= rel * |expected| + 2 * gamma * S + 2^-24.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/conv.cuh"

#include "KernelTestSupport.h"

#include <cmath>
#include <sstream>
#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

std::string tensorType(const std::vector<int64_t> &shape, const char *element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element + ">";
}

std::string list(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

template <typename T> DType dtypeOf() {
  if constexpr (std::is_same_v<T, __half>)
    return DType::F16;
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return DType::BF16;
  else
    return DType::F32;
}
const char *mlirType(DType t) {
  return t == DType::F16 ? "f16" : (t == DType::BF16 ? "bf16" : "f32");
}
double outputRel(DType t) {
  return t == DType::F16 ? std::ldexp(1.0, -10)
                         : (t == DType::BF16 ? std::ldexp(1.0, -7) : 1e-5);
}
HostTensor retype(const HostTensor &t, DType type) {
  HostTensor out(type, t.shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    out.set(i, t[i]);
  return out;
}
HostTensor absTensor(const HostTensor &t) {
  HostTensor out(DType::F32, t.shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    out.set(i, std::fabs(t[i]));
  return out;
}

::testing::AssertionResult withinBound(const HostTensor &actual,
                                       const HostTensor &expected,
                                       const HostTensor &sumAbs, int64_t k) {
  if (actual.shape != expected.shape || actual.type != expected.type ||
      sumAbs.numel() != expected.numel())
    return ::testing::AssertionFailure() << "shape or type mismatch";
  const double rel = outputRel(expected.type);
  const double gamma = static_cast<double>(k) * std::ldexp(1.0, -23);
  const double floor = std::ldexp(1.0, -24);
  int64_t bad = 0;
  std::ostringstream first;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = actual[i], e = expected[i];
    double bound = rel * std::fabs(e) + 2 * gamma * sumAbs[i] + floor;
    if (!(std::fabs(a - e) <= bound) && bad++ < 8)
      first << "\n  at flat " << i << ": got " << a << ", expected " << e
            << " (bound " << bound << ")";
  }
  if (!bad)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.numel() << " elements beyond the bound"
         << first.str();
}

/// [A, B, C, D] -> [A, C, D, B] (NCHW -> NHWC, OIHW -> OHWI) as T.
template <typename T> std::vector<T> toChannelsLast(const HostTensor &t) {
  int64_t a = t.shape[0], b = t.shape[1], c = t.shape[2], d = t.shape[3];
  std::vector<T> out(t.numel());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k)
        for (int64_t l = 0; l < d; ++l)
          out[((i * c + k) * d + l) * b + j] =
              T(static_cast<float>(t[((i * b + j) * c + k) * d + l]));
  return out;
}

/// NHWC buffer -> NCHW tensor of `type`, shape [n, c, h, w].
template <typename T>
HostTensor fromChannelsLast(DType type, const std::vector<T> &v, int64_t n,
                            int64_t c, int64_t h, int64_t w) {
  HostTensor t(type, {n, c, h, w});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < h; ++k)
        for (int64_t l = 0; l < w; ++l)
          t.set(((i * c + j) * h + k) * w + l,
                static_cast<float>(v[((i * h + k) * w + l) * c + j]));
  return t;
}

struct Case {
  int64_t n, c, h, w, o, kh, kw;
  int64_t strideH, strideW;
  int64_t pads[4]; // top, left, bottom, right
  int64_t dilationH, dilationW;
  int64_t groups;

  std::string name() const {
    return "N" + std::to_string(n) + " C" + std::to_string(c) + " " +
           std::to_string(h) + "x" + std::to_string(w) + " O" +
           std::to_string(o) + " K" + std::to_string(kh) + "x" +
           std::to_string(kw) + " s" + std::to_string(strideH) +
           std::to_string(strideW) + " d" + std::to_string(dilationH) +
           std::to_string(dilationW) + " g" + std::to_string(groups);
  }
  kk::Conv2dProblem problem() const {
    kk::Conv2dProblem p{};
    p.n = n;
    p.h = h;
    p.w = w;
    p.c = c;
    p.o = o;
    p.kh = kh;
    p.kw = kw;
    p.oh = kk::convOutputSize(h, kh, strideH, pads[0], pads[2], dilationH);
    p.ow = kk::convOutputSize(w, kw, strideW, pads[1], pads[3], dilationW);
    p.strideH = strideH;
    p.strideW = strideW;
    p.padTop = pads[0];
    p.padLeft = pads[1];
    p.dilationH = dilationH;
    p.dilationW = dilationW;
    p.groups = groups;
    return p;
  }
  int64_t gemmK() const { return kh * kw * (c / groups); }
  /// kiln.conv2d of %x, %w (and %b when withBias) with element type `el`.
  std::string mlir(bool withBias, const char *el) const {
    kk::Conv2dProblem p = problem();
    std::string xt = tensorType({n, c, h, w}, el),
                wt = tensorType({o, c / groups, kh, kw}, el),
                yt = tensorType({n, o, p.oh, p.ow}, el);
    return "func.func @f(%x: " + xt + ", %w: " + wt +
           (withBias ? ", %b: " + tensorType({o}, el) : std::string()) +
           ") -> " + yt + " {\n  %0 = kiln.conv2d %x, %w" +
           (withBias ? ", %b" : "") + " strides = " + list({strideH, strideW}) +
           " pads = " + list({pads[0], pads[1], pads[2], pads[3]}) +
           " dilations = " + list({dilationH, dilationW}) +
           " groups = " + std::to_string(groups) + " : " + xt + ", " + wt +
           (withBias ? ", " + tensorType({o}, el) : std::string()) + " -> " +
           yt + "\n  return %0 : " + yt + "\n}";
  }
};

template <class Config, typename T, typename OutT, typename Epi>
bool runConv(const kk::Conv2dParams<T, OutT, Epi> &p, bool raceHunt,
             const std::string &what) {
  EXPECT_TRUE((kk::canUseConv2d<Config>(p)));
  kiln::simt::LaunchConfig config;
  config.grid = kk::conv2dGrid<Config>(p);
  config.block = dim3(Config::kThreads);
  config.dynamicSharedBytes = kk::gemmSharedBytes<Config, T>();
  config.raceHunt = raceHunt;
  config.seed = 5;
  return launchOk(config, [&] { kk::conv2d<Config>(p); }, what);
}

const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      // 1x1, batch 2, odd channel counts (fallback im2col and filter).
      {2, 5, 7, 6, 11, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 1, 1},
      // 1x1, C = 16: cp.async im2col, K = 16.
      {1, 16, 5, 7, 24, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 1, 1},
      // 3x3 stride 2, pad 1, C = 8 (cp.async), N = 2, O = 70 > one N tile.
      {2, 8, 13, 11, 70, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, 1},
      // 3x3 pad 1, C = 16, O = 64, N = 2: M = 288 (3 M tiles of 128),
      // K = 144 (5 slices through the 3-stage ring), cp.async.
      {2, 16, 12, 12, 64, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 1},
      // 3x3 stride 2, pad 1, C = 3 (fallback).
      {1, 3, 13, 11, 7, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, 1},
      // 7x7 stride 2 pad 3 (a stem): K = 147.
      {1, 3, 17, 19, 37, 7, 7, 2, 2, {3, 3, 3, 3}, 1, 1, 1},
      // Dilation 2, pad 2 (cp.async, C = 8), and dilations 2x3 with a
      // rectangular filter and unequal strides (fallback).
      {1, 8, 9, 9, 12, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 1},
      {2, 4, 9, 10, 6, 3, 2, 1, 2, {2, 1, 2, 1}, 2, 3, 1},
      // Groups 2: C/groups = 8 (cp.async), O/groups = 5; and groups 2 with
      // C/groups = 3, asymmetric pads.
      {2, 16, 6, 5, 10, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 2},
      {1, 6, 8, 7, 10, 3, 3, 1, 1, {1, 0, 2, 1}, 1, 1, 2},
      // Groups 3 (one input channel, two outputs per group), stride 2x1.
      {3, 3, 5, 5, 6, 3, 3, 2, 1, {1, 1, 0, 0}, 1, 1, 3},
      // A single output pixel, M = 1.
      {1, 2, 3, 3, 1, 3, 3, 1, 1, {0, 0, 0, 0}, 1, 1, 1},
  };
  return all;
}

template <class Config, typename T, typename OutT> void checkCases() {
  const DType in = dtypeOf<T>(), out = dtypeOf<OutT>();
  for (bool raceHunt : raceHuntModes()) {
    for (const Case &cs : cases()) {
      SCOPED_TRACE(cs.name() + (raceHunt ? " race-hunt" : ""));
      kk::Conv2dProblem prob = cs.problem();
      HostTensor x = randomTensor(in, {cs.n, cs.c, cs.h, cs.w},
                                  static_cast<uint32_t>(cs.c * 7 + cs.h));
      HostTensor w = randomTensor(in, {cs.o, cs.c / cs.groups, cs.kh, cs.kw},
                                  static_cast<uint32_t>(cs.o * 3 + cs.kw));
      std::vector<HostTensor> expected = evaluateReference(
          cs.mlir(false, mlirType(out)), {retype(x, out), retype(w, out)});
      std::vector<HostTensor> sumAbs = evaluateReference(
          cs.mlir(false, "f32"), {absTensor(x), absTensor(w)});
      ASSERT_EQ(expected.size(), 1u);
      ASSERT_EQ(sumAbs.size(), 1u);
      std::vector<T> dx = toChannelsLast<T>(x), dw = toChannelsLast<T>(w);
      std::vector<OutT> dy(cs.n * prob.oh * prob.ow * cs.o, OutT(-7.0f));
      kk::Conv2dParams<T, OutT, kk::IdentityEpilogue> p{};
      p.input = dx.data();
      p.filter = dw.data();
      p.output = dy.data();
      p.problem = prob;
      ASSERT_TRUE((runConv<Config>(p, raceHunt, "conv")));
      EXPECT_TRUE(
          withinBound(fromChannelsLast(out, dy, cs.n, cs.o, prob.oh, prob.ow),
                      expected[0], sumAbs[0], cs.gemmK()));
    }
  }
}

TEST(Conv, DefaultConfigF16) {
  checkCases<kk::DefaultConv2dConfig, __half, __half>();
}
TEST(Conv, DefaultConfigBf16ToF32) {
  checkCases<kk::DefaultConv2dConfig, __nv_bfloat16, float>();
}
TEST(Conv, Config64x64x32Warp32x32Stages2Bf16) {
  checkCases<kk::GemmConfig<64, 64, 32, 32, 32, 2>, __nv_bfloat16,
             __nv_bfloat16>();
}
TEST(Conv, Config32x32x16Warp16x32Stages4) {
  checkCases<kk::GemmConfig<32, 32, 16, 16, 32, 4>, __half, float>();
}

// relu(conv(x, w) + bias) + residual with the epilogue fused (row = m, the
// NHWC pixel; col = output channel), groups 2, fp16 in and out. Reference
// in f32 on the fp16 values (kiln.conv2d with bias, kiln.relu, kiln.add),
// compared in fp16 with the bound above (S of the convolution alone; the
// f32 additions of bias and residual are far inside 2^-10 |expected|).
struct BiasReluResidual {
  const float *bias;     // [O]
  const float *residual; // NHWC [N, OH, OW, O]
  kk::Index o;
  KILN_DEVICE float operator()(float acc, kk::Index row, kk::Index col) const {
    float v = acc + bias[col];
    v = v > 0.0f ? v : 0.0f;
    return v + residual[row * o + col];
  }
};

TEST(Conv, EpilogueBiasReluResidual) {
  const Case cs{2, 16, 9, 8, 10, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 2};
  kk::Conv2dProblem prob = cs.problem();
  HostTensor x = randomTensor(DType::F16, {cs.n, cs.c, cs.h, cs.w}, 21);
  HostTensor w = randomTensor(DType::F16, {cs.o, cs.c / cs.groups, 3, 3}, 22);
  HostTensor bias = randomTensor(DType::F32, {cs.o}, 23);
  HostTensor res = randomTensor(DType::F32, {cs.n, cs.o, prob.oh, prob.ow}, 24);
  std::string yt = tensorType({cs.n, cs.o, prob.oh, prob.ow}, "f32");
  std::string text = cs.mlir(true, "f32");
  std::string::size_type ret = text.find("  return");
  text = text.substr(0, ret) + "  %1 = kiln.relu %0 : " + yt +
         "\n  %2 = kiln.add %1, %r : " + yt + "\n  return %2 : " + yt + "\n}";
  text.replace(text.find(") ->"), 0, ", %r: " + yt);
  std::vector<HostTensor> expected = evaluateReference(
      text, {retype(x, DType::F32), retype(w, DType::F32), bias, res});
  std::vector<HostTensor> sumAbs =
      evaluateReference(cs.mlir(false, "f32"), {absTensor(x), absTensor(w)});
  ASSERT_EQ(expected.size(), 1u);
  ASSERT_EQ(sumAbs.size(), 1u);
  HostTensor expected16 = retype(expected[0], DType::F16);
  expected16.values = expected[0].values; // unrounded, typed as the output
  std::vector<__half> dx = toChannelsLast<__half>(x),
                      dw = toChannelsLast<__half>(w);
  std::vector<float> db = toBuffer<float>(bias),
                     dr = toChannelsLast<float>(res);
  for (bool raceHunt : raceHuntModes()) {
    SCOPED_TRACE(raceHunt ? "race-hunt" : "plain");
    std::vector<__half> dy(cs.n * prob.oh * prob.ow * cs.o, __half(-7.0f));
    kk::Conv2dParams<__half, __half, BiasReluResidual> p{};
    p.input = dx.data();
    p.filter = dw.data();
    p.output = dy.data();
    p.problem = prob;
    p.epilogue = BiasReluResidual{db.data(), dr.data(), cs.o};
    ASSERT_TRUE((runConv<kk::DefaultConv2dConfig>(p, raceHunt, "conv")));
    EXPECT_TRUE(withinBound(
        fromChannelsLast(DType::F16, dy, cs.n, cs.o, prob.oh, prob.ow),
        expected16, sumAbs[0], cs.gemmK()));
  }
}

// A misaligned input view (one element past a 16-byte boundary) with
// C/groups = 8: the cp.async im2col path is not allowed, the fallback must
// take over; same for the filter.
TEST(Conv, MisalignedBuffers) {
  const Case cs{1, 8, 7, 6, 9, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 1};
  kk::Conv2dProblem prob = cs.problem();
  HostTensor x = randomTensor(DType::BF16, {cs.n, cs.c, cs.h, cs.w}, 31);
  HostTensor w = randomTensor(DType::BF16, {cs.o, cs.c, 3, 3}, 32);
  std::vector<HostTensor> expected =
      evaluateReference(cs.mlir(false, "bf16"), {x, w});
  std::vector<HostTensor> sumAbs =
      evaluateReference(cs.mlir(false, "f32"), {absTensor(x), absTensor(w)});
  ASSERT_EQ(expected.size(), 1u);
  ASSERT_EQ(sumAbs.size(), 1u);
  std::vector<__nv_bfloat16> dx = toChannelsLast<__nv_bfloat16>(x),
                             dw = toChannelsLast<__nv_bfloat16>(w);
  dx.insert(dx.begin(), __nv_bfloat16(1e4f));
  dw.insert(dw.begin(), __nv_bfloat16(1e4f));
  for (bool raceHunt : raceHuntModes()) {
    SCOPED_TRACE(raceHunt ? "race-hunt" : "plain");
    std::vector<__nv_bfloat16> dy(prob.oh * prob.ow * cs.o,
                                  __nv_bfloat16(-7.0f));
    kk::Conv2dParams<__nv_bfloat16, __nv_bfloat16, kk::IdentityEpilogue> p{};
    p.input = dx.data() + 1;
    p.filter = dw.data() + 1;
    p.output = dy.data();
    p.problem = prob;
    ASSERT_TRUE((runConv<kk::DefaultConv2dConfig>(p, raceHunt, "conv")));
    EXPECT_TRUE(withinBound(
        fromChannelsLast(DType::BF16, dy, cs.n, cs.o, prob.oh, prob.ow),
        expected[0], sumAbs[0], cs.gemmK()));
  }
}

} // namespace
