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

std::string list(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

/// [A, B, C, D] -> [A, C, D, B] (NCHW -> NHWC, OIHW -> OHWI).
std::vector<float> toChannelsLast(const HostTensor &t) {
  int64_t a = t.shape[0], b = t.shape[1], c = t.shape[2], d = t.shape[3];
  std::vector<float> out(t.numel());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k)
        for (int64_t l = 0; l < d; ++l)
          out[((i * c + k) * d + l) * b + j] =
              static_cast<float>(t[((i * b + j) * c + k) * d + l]);
  return out;
}

/// NHWC buffer -> NCHW tensor of shape [n, c, h, w].
HostTensor fromChannelsLast(const std::vector<float> &v, int64_t n, int64_t c,
                            int64_t h, int64_t w) {
  HostTensor t(DType::F32, {n, c, h, w});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < h; ++k)
        for (int64_t l = 0; l < w; ++l)
          t.set(((i * c + j) * h + k) * w + l,
                v[((i * h + k) * w + l) * c + j]);
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
  /// kiln.conv2d of %x, %w (and %b when withBias) as a function returning
  /// the [N, O, OH, OW] result.
  std::string mlir(bool withBias) const {
    kk::Conv2dProblem p = problem();
    std::string xt = tensorType({n, c, h, w}),
                wt = tensorType({o, c / groups, kh, kw}),
                yt = tensorType({n, o, p.oh, p.ow});
    return "func.func @f(%x: " + xt + ", %w: " + wt +
           (withBias ? ", %b: " + tensorType({o}) : std::string()) + ") -> " +
           yt + " {\n  %0 = kiln.conv2d %x, %w" + (withBias ? ", %b" : "") +
           " strides = " + list({strideH, strideW}) +
           " pads = " + list({pads[0], pads[1], pads[2], pads[3]}) +
           " dilations = " + list({dilationH, dilationW}) +
           " groups = " + std::to_string(groups) + " : " + xt + ", " + wt +
           (withBias ? ", " + tensorType({o}) : std::string()) + " -> " + yt +
           "\n  return %0 : " + yt + "\n}";
  }
};

template <class Config, typename P>
bool runConv(const P &p, bool raceHunt, const std::string &what) {
  EXPECT_TRUE((kk::canUseSimtConv2d<Config>(p)));
  kiln::simt::LaunchConfig config;
  config.grid = kk::simtConv2dGrid<Config>(p);
  config.block = dim3(Config::kThreads);
  config.raceHunt = raceHunt;
  config.seed = 5;
  return launchOk(config, [&] { kk::simtConv2d<Config>(p); }, what);
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
      kk::Conv2dProblem prob = cs.problem();
      HostTensor x = randomTensor(DType::F32, {cs.n, cs.c, cs.h, cs.w},
                                  static_cast<uint32_t>(cs.c * 7 + cs.h));
      HostTensor w =
          randomTensor(DType::F32, {cs.o, cs.c / cs.groups, cs.kh, cs.kw},
                       static_cast<uint32_t>(cs.o * 3 + cs.kw));
      std::vector<HostTensor> expected =
          evaluateReference(cs.mlir(false), {x, w});
      ASSERT_EQ(expected.size(), 1u);
      std::vector<float> dx = toChannelsLast(x), dw = toChannelsLast(w),
                         dy(cs.n * prob.oh * prob.ow * cs.o, -7.0f);
      kk::SimtConv2dParams<float, float, float, kk::IdentityEpilogue> p{};
      p.input = dx.data();
      p.filter = dw.data();
      p.output = dy.data();
      p.problem = prob;
      ASSERT_TRUE((runConv<Config>(p, raceHunt, "conv")));
      EXPECT_TRUE(allClose(fromChannelsLast(dy, cs.n, cs.o, prob.oh, prob.ow),
                           expected[0], kRtol, kAtol));
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

// relu(conv(x, w) + bias) + residual with the epilogue fused: row = m
// (NHWC pixel), col = output channel.
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

TEST(ConvSimt, EpilogueBiasReluResidual) {
  const Case cs{2, 6, 9, 8, 10, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 2};
  kk::Conv2dProblem prob = cs.problem();
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, {cs.n, cs.c, cs.h, cs.w}, 21);
    HostTensor w = randomTensor(DType::F32, {cs.o, cs.c / cs.groups, 3, 3}, 22);
    HostTensor bias = randomTensor(DType::F32, {cs.o}, 23);
    HostTensor res =
        randomTensor(DType::F32, {cs.n, cs.o, prob.oh, prob.ow}, 24);
    std::string yt = tensorType({cs.n, cs.o, prob.oh, prob.ow});
    std::string text = cs.mlir(true);
    // Append relu + add before the return.
    std::string::size_type ret = text.find("  return");
    text = text.substr(0, ret) + "  %1 = kiln.relu %0 : " + yt +
           "\n  %2 = kiln.add %1, %r : " + yt + "\n  return %2 : " + yt + "\n}";
    text.replace(text.find(") ->"), 0, ", %r: " + yt);
    std::vector<HostTensor> expected =
        evaluateReference(text, {x, w, bias, res});
    ASSERT_EQ(expected.size(), 1u);
    std::vector<float> dx = toChannelsLast(x), dw = toChannelsLast(w),
                       db = toBuffer<float>(bias), dr = toChannelsLast(res),
                       dy(cs.n * prob.oh * prob.ow * cs.o, -7.0f);
    kk::SimtConv2dParams<float, float, float, BiasReluResidual> p{};
    p.input = dx.data();
    p.filter = dw.data();
    p.output = dy.data();
    p.problem = prob;
    p.epilogue = BiasReluResidual{db.data(), dr.data(), cs.o};
    ASSERT_TRUE((runConv<kk::DefaultSimtConv2dConfig>(p, raceHunt, "conv")));
    EXPECT_TRUE(allClose(fromChannelsLast(dy, cs.n, cs.o, prob.oh, prob.ow),
                         expected[0], kRtol, kAtol));
  }
}

} // namespace
