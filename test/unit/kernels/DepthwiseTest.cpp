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

#include "KernelTestSupport.h"

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

/// NCHW tensor -> NHWC buffer of T.
template <typename T> std::vector<T> toNhwc(const HostTensor &t) {
  int64_t n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
  std::vector<float> flat(t.numel());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < h; ++k)
        for (int64_t l = 0; l < w; ++l)
          flat[((i * h + k) * w + l) * c + j] =
              static_cast<float>(t[((i * c + j) * h + k) * w + l]);
  std::vector<T> out(flat.size());
  for (size_t i = 0; i < flat.size(); ++i)
    out[i] = T(flat[i]);
  return out;
}

/// NHWC buffer of T -> NCHW tensor of `type`.
template <typename T>
HostTensor fromNhwc(DType type, const std::vector<T> &v, int64_t n, int64_t c,
                    int64_t h, int64_t w) {
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
  kk::Conv2dProblem problem() const {
    kk::Conv2dProblem p{};
    p.n = n;
    p.h = h;
    p.w = w;
    p.c = c;
    p.o = o();
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
    p.groups = c;
    return p;
  }
  std::string mlir(const char *element, bool withBias) const {
    kk::Conv2dProblem p = problem();
    std::string xt = tensorType({n, c, h, w}, element),
                wt = tensorType({o(), 1, kh, kw}, element),
                bt = tensorType({o()}, element),
                yt = tensorType({n, o(), p.oh, p.ow}, element);
    std::string body =
        "  %0 = kiln.conv2d %x, %w" + std::string(withBias ? ", %b" : "") +
        " strides = " + list({strideH, strideW}) +
        " pads = " + list({pads[0], pads[1], pads[2], pads[3]}) +
        " dilations = " + list({dilationH, dilationW}) +
        " groups = " + std::to_string(c) + " : " + xt + ", " + wt +
        (withBias ? ", " + bt : std::string()) + " -> " + yt + "\n";
    if (withBias)
      body += "  %1 = kiln.relu %0 : " + yt + "\n  return %1 : " + yt + "\n";
    else
      body += "  return %0 : " + yt + "\n";
    return "func.func @f(%x: " + xt + ", %w: " + wt +
           (withBias ? ", %b: " + bt : std::string()) + ") -> " + yt + " {\n" +
           body + "}";
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
  kiln::simt::LaunchConfig config;
  config.grid = kk::depthwiseConv2dGrid<Config>(p);
  config.block = dim3(Config::kThreads);
  config.raceHunt = raceHunt;
  config.seed = 3;
  return launchOk(config, [&] { kk::depthwiseConv2d<Config>(p); }, what);
}

template <class Config, typename T>
void checkCases(DType type, const char *element, double rtol, double atol) {
  for (bool raceHunt : raceHuntModes()) {
    for (const Case &cs : cases()) {
      SCOPED_TRACE(cs.name() + " " + element + (raceHunt ? " race-hunt" : ""));
      kk::Conv2dProblem prob = cs.problem();
      HostTensor x = randomTensor(type, {cs.n, cs.c, cs.h, cs.w},
                                  static_cast<uint32_t>(cs.c + cs.h));
      HostTensor w = randomTensor(type, {cs.o(), 1, cs.kh, cs.kw},
                                  static_cast<uint32_t>(cs.o() + cs.kw + 50));
      std::vector<HostTensor> expected =
          evaluateReference(cs.mlir(element, false), {x, w});
      ASSERT_EQ(expected.size(), 1u);
      std::vector<T> dx = toNhwc<T>(x), dw = toBuffer<T>(w), // [O,1,KH,KW]
          dy(cs.n * prob.oh * prob.ow * cs.o(), T(-7.0f));
      kk::DepthwiseConv2dParams<T, T, T, kk::IdentityEpilogue> p{};
      p.input = dx.data();
      p.filter = dw.data();
      p.output = dy.data();
      p.problem = prob;
      ASSERT_TRUE((runDepthwise<Config, T>(p, raceHunt, "depthwise")));
      EXPECT_TRUE(allClose(fromNhwc(type, dy, cs.n, cs.o(), prob.oh, prob.ow),
                           expected[0], rtol, atol));
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
  kk::Conv2dProblem prob = cs.problem();
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, {cs.n, cs.c, cs.h, cs.w}, 31);
    HostTensor w = randomTensor(DType::F32, {cs.o(), 1, 3, 3}, 32);
    HostTensor b = randomTensor(DType::F32, {cs.o()}, 33);
    std::vector<HostTensor> expected =
        evaluateReference(cs.mlir("f32", true), {x, w, b});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> dx = toNhwc<float>(x), dw = toBuffer<float>(w),
                       db = toBuffer<float>(b),
                       dy(cs.n * prob.oh * prob.ow * cs.o(), -7.0f);
    kk::DepthwiseConv2dParams<float, float, float, BiasRelu> p{};
    p.input = dx.data();
    p.filter = dw.data();
    p.output = dy.data();
    p.problem = prob;
    p.epilogue = BiasRelu{db.data()};
    ASSERT_TRUE((runDepthwise<kk::DefaultDepthwiseConfig, float>(
        p, raceHunt, "depthwise epilogue")));
    EXPECT_TRUE(
        allClose(fromNhwc(DType::F32, dy, cs.n, cs.o(), prob.oh, prob.ow),
                 expected[0], 1e-5, 1e-6));
  }
}

} // namespace
