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

#include "ConvTestSupport.h"

#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

using Case = ConvCase;

template <class Config, typename T, typename OutT, typename Epi>
bool runConv(const kk::Conv2dParams<T, OutT, Epi> &p, bool raceHunt,
             const std::string &what) {
  EXPECT_TRUE((kk::canUseConv2d<Config>(p)));
  kiln::simt::LaunchConfig config = launchConfig(
      kk::conv2dGrid<Config>(p), dim3(Config::kThreads), raceHunt, 5);
  config.dynamicSharedBytes = kk::gemmSharedBytes<Config, T>();
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
      HostTensor x = cs.randomInput(in), w = cs.randomFilter(in);
      SumAbsReference ref = sumAbsReference(
          [&](const char *el) { return cs.mlir(false, el); }, x, w, out);
      ASSERT_TRUE(ref.ok);
      std::vector<T> dx = toChannelsLast<T>(x), dw = toChannelsLast<T>(w);
      std::vector<OutT> dy = cs.outputBuffer(OutT(-7.0f));
      auto p = convParams<kk::Conv2dParams<T, OutT, kk::IdentityEpilogue>>(
          dx.data(), dw.data(), dy.data(), cs.problem());
      ASSERT_TRUE((runConv<Config>(p, raceHunt, "conv")));
      EXPECT_TRUE(withinSumAbsBound(cs.output(out, dy), ref.expected,
                                    ref.sumAbs, cs.gemmK()));
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
TEST(Conv, EpilogueBiasReluResidual) {
  const Case cs{2, 16, 9, 8, 10, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 2};
  HostTensor x = randomTensor(DType::F16, cs.inputShape(), 21);
  HostTensor w = randomTensor(DType::F16, cs.filterShape(), 22);
  HostTensor bias = randomTensor(DType::F32, {cs.o}, 23);
  HostTensor res = randomTensor(DType::F32, cs.outputShape(), 24);
  std::vector<HostTensor> expected = evaluateReference(
      cs.biasReluResidualMlir(),
      {retype(x, DType::F32), retype(w, DType::F32), bias, res});
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
    std::vector<__half> dy = cs.outputBuffer(__half(-7.0f));
    auto p = convParams<kk::Conv2dParams<__half, __half, ConvBiasReluResidual>>(
        dx.data(), dw.data(), dy.data(), cs.problem());
    p.epilogue = ConvBiasReluResidual{db.data(), dr.data(), cs.o};
    ASSERT_TRUE((runConv<kk::DefaultConv2dConfig>(p, raceHunt, "conv")));
    EXPECT_TRUE(withinSumAbsBound(cs.output(DType::F16, dy), expected16,
                                  sumAbs[0], cs.gemmK()));
  }
}

// A misaligned input view (one element past a 16-byte boundary) with
// C/groups = 8: the cp.async im2col path is not allowed, the fallback must
// take over; same for the filter.
TEST(Conv, MisalignedBuffers) {
  const Case cs{1, 8, 7, 6, 9, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 1};
  HostTensor x = randomTensor(DType::BF16, cs.inputShape(), 31);
  HostTensor w = randomTensor(DType::BF16, cs.filterShape(), 32);
  SumAbsReference ref = sumAbsReference(
      [&](const char *el) { return cs.mlir(false, el); }, x, w, DType::BF16);
  ASSERT_TRUE(ref.ok);
  std::vector<__nv_bfloat16> dx = toChannelsLast<__nv_bfloat16>(x),
                             dw = toChannelsLast<__nv_bfloat16>(w);
  dx.insert(dx.begin(), __nv_bfloat16(1e4f));
  dw.insert(dw.begin(), __nv_bfloat16(1e4f));
  for (bool raceHunt : raceHuntModes()) {
    SCOPED_TRACE(raceHunt ? "race-hunt" : "plain");
    std::vector<__nv_bfloat16> dy = cs.outputBuffer(__nv_bfloat16(-7.0f));
    auto p = convParams<
        kk::Conv2dParams<__nv_bfloat16, __nv_bfloat16, kk::IdentityEpilogue>>(
        dx.data() + 1, dw.data() + 1, dy.data(), cs.problem());
    ASSERT_TRUE((runConv<kk::DefaultConv2dConfig>(p, raceHunt, "conv")));
    EXPECT_TRUE(withinSumAbsBound(cs.output(DType::BF16, dy), ref.expected,
                                  ref.sumAbs, cs.gemmK()));
  }
}

} // namespace
