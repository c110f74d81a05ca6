//===- DepthwiseTest.cpp - depthwise.cuh against the evaluator ------------===//
//
// The direct depthwise convolution against kiln.conv2d with groups = C
// (NCHW / OIHW in the evaluator, permuted to NHWC / OHWI here): channel
// multiplier 1 and 2, 3x3 / 5x5 / 1x1 / 3x2 filters, strides, asymmetric
// pads, dilation 2, two configurations, fp16 and bf16 storage, and a fused
// bias + relu epilogue.
//
// Tolerances. fp32: rtol 1e-5, atol 1e-6 (at most 25 products of values in
// [-1, 1]: fp32 error <= 25 * 2^-24 * sum|x*w| ~ 4e-5 in the worst case, a
// few 1e-7 in practice, only visible on outputs that cancel to ~0).
// fp16 / bf16 storage: input and filter are exact in the storage type, their
// products exact in fp32, so the kernel's fp32 sum differs from the exact
// sum by ~1e-6; both sides then round once to the storage type, which can
// differ by one ulp when the two straddle a rounding boundary: rtol 2^-10
// (fp16) / 2^-7 (bf16), plus atol 1e-5 for the fp32 error on outputs near 0.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/depthwise.cuh"

#include "ConvTestSupport.h"

#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

struct Case {
  int64_t n, c, h, w, multiplier, kh, kw;
  int64_t strideH, strideW;
  int64_t pads[4]; // top, left, bottom, right
  int64_t dilationH, dilationW;

  int64_t o() const { return c * multiplier; }
  std::string name() const {
    return "N" + std::to_string(n) + " C" + std::to_string(c) + " " +
           std::to_string(h) + "x" + std::to_string(w) + " x" +
           std::to_string(multiplier) + " K" + std::to_string(kh) + "x" +
           std::to_string(kw) + " s" + std::to_string(strideH) +
           std::to_string(strideW) + " d" + std::to_string(dilationH) +
           std::to_string(dilationW);
  }
  /// The depthwise convolution: groups = C, O = C * multiplier.
  ConvCase conv() const {
    return {n,         c,
            h,         w,
            o(),       kh,
            kw,        strideH,
            strideW,   {pads[0], pads[1], pads[2], pads[3]},
            dilationH, dilationW,
            c};
  }
  kk::Conv2dProblem problem() const { return conv().problem(); }
  /// kiln.conv2d, and with the bias a kiln.relu after it.
  std::string mlir(const char *element, bool withBias) const {
    ConvCase cs = conv();
    return withBias
               ? cs.mlir(true, element, "",
                         "  %1 = kiln.relu %0 : " + cs.outputType(element) +
                             "\n",
                         "%1")
               : cs.mlir(false, element);
  }
};

const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      {2, 5, 9, 7, 1, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1},
      {1, 7, 11, 13, 2, 5, 5, 2, 2, {2, 2, 2, 2}, 1, 1},
      {1, 3, 10, 9, 2, 3, 3, 2, 1, {2, 0, 1, 2}, 2, 2},
      {3, 4, 5, 5, 1, 1, 1, 1, 1, {0, 0, 0, 0}, 1, 1},
      {1, 1, 6, 5, 3, 3, 2, 1, 3, {0, 1, 2, 1}, 1, 2},
      {1, 2, 1, 1, 1, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1},
  };
  return all;
}

template <class Config, typename T, typename P>
bool runDepthwise(const P &p, bool raceHunt, const std::string &what) {
  EXPECT_TRUE((kk::canUseDepthwiseConv2d<Config>(p)));
  return launchOk(
      launchConfig(kk::depthwiseConv2dGrid<Config>(p), dim3(Config::kThreads),
                   raceHunt, 3),
      [&] { kk::depthwiseConv2d<Config>(p); }, what);
}

template <class Config, typename T>
void checkCases(DType type, const char *element, double rtol, double atol) {
  for (bool raceHunt : raceHuntModes()) {
    for (const Case &cs : cases()) {
      SCOPED_TRACE(cs.name() + " " + element + (raceHunt ? " race-hunt" : ""));
      const ConvCase conv = cs.conv();
      HostTensor x = randomTensor(type, conv.inputShape(),
                                  static_cast<uint32_t>(cs.c + cs.h));
      HostTensor w = randomTensor(type, conv.filterShape(),
                                  static_cast<uint32_t>(cs.o() + cs.kw + 50));
      std::vector<HostTensor> expected =
          evaluateReference(cs.mlir(element, false), {x, w});
      ASSERT_EQ(expected.size(), 1u);
      std::vector<T> dx = toChannelsLast<T>(x),
                     dw = toBuffer<T>(w), // [O,1,KH,KW]
          dy = conv.outputBuffer(T(-7.0f));
      auto p =
          convParams<kk::DepthwiseConv2dParams<T, T, T, kk::IdentityEpilogue>>(
              dx.data(), dw.data(), dy.data(), conv.problem());
      ASSERT_TRUE((runDepthwise<Config, T>(p, raceHunt, "depthwise")));
      EXPECT_TRUE(allClose(conv.output(type, dy), expected[0], rtol, atol));
    }
  }
}

TEST(Depthwise, DefaultConfigF32) {
  checkCases<kk::DefaultDepthwiseConfig, float>(DType::F32, "f32", 1e-5, 1e-6);
}
TEST(Depthwise, Config64x3F32) {
  checkCases<kk::DepthwiseConfig<64, 3>, float>(DType::F32, "f32", 1e-5, 1e-6);
}
TEST(Depthwise, DefaultConfigF16) {
  checkCases<kk::DefaultDepthwiseConfig, __half>(DType::F16, "f16", 1.0 / 1024,
                                                 1e-5);
}
TEST(Depthwise, Config32x1Bf16) {
  checkCases<kk::DepthwiseConfig<32, 1>, __nv_bfloat16>(DType::BF16, "bf16",
                                                        1.0 / 128, 1e-5);
}

// relu(conv + bias) with bias and relu in the epilogue (row = NHWC pixel,
// col = output channel).
struct BiasRelu {
  const float *bias;
  KILN_DEVICE float operator()(float acc, kk::Index, kk::Index col) const {
    float v = acc + bias[col];
    return v > 0.0f ? v : 0.0f;
  }
};

TEST(Depthwise, EpilogueBiasRelu) {
  const Case cs{2, 6, 8, 9, 2, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1};
  const ConvCase conv = cs.conv();
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, conv.inputShape(), 31);
    HostTensor w = randomTensor(DType::F32, conv.filterShape(), 32);
    HostTensor b = randomTensor(DType::F32, {cs.o()}, 33);
    std::vector<HostTensor> expected =
        evaluateReference(cs.mlir("f32", true), {x, w, b});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> dx = toChannelsLast<float>(x), dw = toBuffer<float>(w),
                       db = toBuffer<float>(b), dy = conv.outputBuffer(-7.0f);
    auto p =
        convParams<kk::DepthwiseConv2dParams<float, float, float, BiasRelu>>(
            dx.data(), dw.data(), dy.data(), conv.problem());
    p.epilogue = BiasRelu{db.data()};
    ASSERT_TRUE((runDepthwise<kk::DefaultDepthwiseConfig, float>(
        p, raceHunt, "depthwise epilogue")));
    EXPECT_TRUE(allClose(conv.output(DType::F32, dy), expected[0], 1e-5, 1e-6));
  }
}

} // namespace
