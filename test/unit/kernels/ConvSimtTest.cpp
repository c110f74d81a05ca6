//===- ConvSimtTest.cpp - conv_simt.cuh against the evaluator -------------===//
//
// The fp32 implicit-GEMM convolution against kiln.conv2d (NCHW input, OIHW
// filter in the evaluator; the test permutes them to NHWC / OHWI and the
// kernel's NHWC output back to NCHW): 1x1, 3x3, 7x7 filters, stride 2,
// asymmetric pads, dilation 2, groups 2 and 3, several tile configurations
// and a fused bias + relu + residual epilogue.
//
// Tolerance: fp32 within rtol 1e-5, atol 1e-5 for outputs that cancel to ~0
// (sums of up to K = 147 products of values in [-1, 1], fp32 error about
// sqrt(K) * 2^-24 * sum|x*w| ~ 1e-6).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/conv_simt.cuh"

#include "ConvTestSupport.h"

#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-5;

using Case = ConvCase;

template <class Config, typename P>
bool runConv(const P &p, bool raceHunt, const std::string &what) {
  EXPECT_TRUE((kk::canUseSimtConv2d<Config>(p)));
  return launchOk(
      launchConfig(kk::simtConv2dGrid<Config>(p), dim3(Config::kThreads),
                   raceHunt, 5),
      [&] { kk::simtConv2d<Config>(p); }, what);
}

const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      // 1x1, batch 2, odd channel counts.
      {2, 5, 7, 6, 11, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 1, 1},
      // 3x3 stride 2, pad 1.
      {1, 3, 13, 11, 7, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, 1},
      // 7x7 stride 2 pad 3 (a stem), O larger than one N tile of 32.
      {1, 3, 17, 19, 37, 7, 7, 2, 2, {3, 3, 3, 3}, 1, 1, 1},
      // Dilations 2 and 3, pad 2, rectangular filter, unequal strides.
      {2, 4, 9, 10, 6, 3, 2, 1, 2, {2, 1, 2, 1}, 2, 3, 1},
      // Groups 2, asymmetric pads.
      {1, 6, 8, 7, 10, 3, 3, 1, 1, {1, 0, 2, 1}, 1, 1, 2},
      // Groups 3 (one input channel, two outputs per group), stride 2.
      {3, 3, 5, 5, 6, 3, 3, 2, 1, {1, 1, 0, 0}, 1, 1, 3},
      // Several M and N tiles of every configuration (M = 390, O = 70).
      {2, 8, 15, 13, 70, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 1},
      // A single output pixel, M = 1.
      {1, 2, 3, 3, 1, 3, 3, 1, 1, {0, 0, 0, 0}, 1, 1, 1},
  };
  return all;
}

template <class Config> void checkCases() {
  for (bool raceHunt : raceHuntModes()) {
    for (const Case &cs : cases()) {
      SCOPED_TRACE(cs.name() + (raceHunt ? " race-hunt" : ""));
      HostTensor x = cs.randomInput(DType::F32),
                 w = cs.randomFilter(DType::F32);
      std::vector<HostTensor> expected =
          evaluateReference(cs.mlir(false), {x, w});
      ASSERT_EQ(expected.size(), 1u);
      std::vector<float> dx = toChannelsLast<float>(x),
                         dw = toChannelsLast<float>(w),
                         dy = cs.outputBuffer(-7.0f);
      auto p = convParams<
          kk::SimtConv2dParams<float, float, float, kk::IdentityEpilogue>>(
          dx.data(), dw.data(), dy.data(), cs.problem());
      ASSERT_TRUE((runConv<Config>(p, raceHunt, "conv")));
      EXPECT_TRUE(
          allClose(cs.output(DType::F32, dy), expected[0], kRtol, kAtol));
    }
  }
}

TEST(ConvSimt, DefaultConfig) { checkCases<kk::DefaultSimtConv2dConfig>(); }
TEST(ConvSimt, Config32x32x8Thread4x4) {
  checkCases<kk::SimtGemmConfig<32, 32, 8, 4, 4>>();
}
TEST(ConvSimt, Config64x16x16Thread2x2) {
  checkCases<kk::SimtGemmConfig<64, 16, 16, 2, 2>>();
}

// relu(conv(x, w) + bias) + residual with the epilogue fused.
TEST(ConvSimt, EpilogueBiasReluResidual) {
  const Case cs{2, 6, 9, 8, 10, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 2};
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, cs.inputShape(), 21);
    HostTensor w = randomTensor(DType::F32, cs.filterShape(), 22);
    HostTensor bias = randomTensor(DType::F32, {cs.o}, 23);
    HostTensor res = randomTensor(DType::F32, cs.outputShape(), 24);
    std::vector<HostTensor> expected =
        evaluateReference(cs.biasReluResidualMlir(), {x, w, bias, res});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> dx = toChannelsLast<float>(x),
                       dw = toChannelsLast<float>(w),
                       db = toBuffer<float>(bias),
                       dr = toChannelsLast<float>(res),
                       dy = cs.outputBuffer(-7.0f);
    auto p = convParams<
        kk::SimtConv2dParams<float, float, float, ConvBiasReluResidual>>(
        dx.data(), dw.data(), dy.data(), cs.problem());
    p.epilogue = ConvBiasReluResidual{db.data(), dr.data(), cs.o};
    ASSERT_TRUE((runConv<kk::DefaultSimtConv2dConfig>(p, raceHunt, "conv")));
    EXPECT_TRUE(allClose(cs.output(DType::F32, dy), expected[0], kRtol, kAtol));
  }
}

} // namespace
