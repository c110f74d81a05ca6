//===- PoolTest.cpp - pool.cuh against the evaluator ----------------------===//
//
// Max and average pooling against kiln.max_pool2d / kiln.avg_pool2d (NCHW
// in the evaluator), run on NCHW and on NHWC buffers (the kernel addresses
// both through strides), with ceil_mode windows reaching past the padding,
// count_include_pad, asymmetric pads, global average pooling, two
// configurations, bf16 storage and a NaN in a max window.
//
// Tolerances. Max pooling is exact (rtol 0). Average pooling in fp32: rtol
// 1e-5 and atol 1e-6 (a sum of at most 49 values in [-1, 1] in fp32, error
// <= 49 * 2^-24 * sum|x| / count ~ 3e-6 worst case relative to the mean
// magnitude, visible only on means that cancel to ~0). bf16 max pooling is
// exact (it selects a stored value).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/pool.cuh"

#include "KernelTestSupport.h"

#include <cmath>
#include <string>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

struct Case {
  int64_t n, c, h, w;
  int64_t kh, kw, sh, sw;
  int64_t pads[4]; // top, left, bottom, right
  bool ceilMode;
  bool countIncludePad;

  int64_t oh() const {
    return kk::poolOutputSize(h, kh, sh, pads[0], pads[2], ceilMode);
  }
  int64_t ow() const {
    return kk::poolOutputSize(w, kw, sw, pads[1], pads[3], ceilMode);
  }
  std::string name() const {
    return std::to_string(n) + "x" + std::to_string(c) + "x" +
           std::to_string(h) + "x" + std::to_string(w) + " k" +
           std::to_string(kh) + "x" + std::to_string(kw) + " s" +
           std::to_string(sh) + std::to_string(sw) + " p" +
           intList({pads[0], pads[1], pads[2], pads[3]}) +
           (ceilMode ? " ceil" : "") + (countIncludePad ? " incl-pad" : "");
  }
  std::string mlir(bool isMax, const char *element) const {
    std::string xt = tensorType({n, c, h, w}, element),
                yt = tensorType({n, c, oh(), ow()}, element);
    return singleOpFunc(
        "%x: " + xt, yt,
        std::string("kiln.") + (isMax ? "max_pool2d" : "avg_pool2d") +
            " %x kernel = " + intList({kh, kw}) +
            " strides = " + intList({sh, sw}) +
            " pads = " + intList({pads[0], pads[1], pads[2], pads[3]}) +
            (ceilMode ? " ceil_mode" : "") +
            (!isMax && countIncludePad ? " count_include_pad" : "") + " : " +
            xt + " -> " + yt);
  }
};

const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      // ResNet's max pool shape, odd size.
      {2, 3, 11, 13, 3, 3, 2, 2, {1, 1, 1, 1}, false, false},
      // ceil_mode: the last windows reach past the input and its padding.
      {1, 5, 7, 9, 2, 2, 2, 2, {0, 0, 0, 0}, true, false},
      {1, 4, 8, 7, 3, 3, 2, 2, {1, 1, 1, 1}, true, true},
      {2, 2, 10, 6, 3, 2, 3, 2, {2, 1, 1, 0}, true, false},
      // ceil_mode + count_include_pad with asymmetric pads: the last
      // windows are clipped at H + padBottom and W + padRight.
      {1, 2, 8, 8, 3, 3, 2, 2, {2, 0, 0, 1}, true, true},
      // count_include_pad, asymmetric pads, unequal strides.
      {1, 3, 9, 8, 3, 3, 2, 1, {1, 2, 2, 1}, false, true},
      // Global average pooling: kernel = H x W.
      {3, 7, 5, 6, 5, 6, 1, 1, {0, 0, 0, 0}, false, false},
      // Many blocks of every configuration (5760 outputs).
      {2, 8, 20, 18, 3, 3, 1, 1, {1, 1, 1, 1}, false, true},
      // 1x1 everything.
      {1, 1, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, false, false},
  };
  return all;
}

/// NCHW tensor -> buffer in NCHW or NHWC order.
template <typename T> std::vector<T> toLayout(const HostTensor &t, bool nhwc) {
  return nhwc ? toChannelsLast<T>(t) : toBuffer<T>(t);
}

/// Buffer in NCHW or NHWC order -> NCHW tensor [n, c, h, w] of `type`.
template <typename T>
HostTensor fromLayout(DType type, const std::vector<T> &v, int64_t n, int64_t c,
                      int64_t h, int64_t w, bool nhwc) {
  return nhwc ? fromChannelsLast(type, v, n, c, h, w)
              : fromBuffer(type, {n, c, h, w}, v);
}

/// (n, c, h, w) element strides of a [n, c, h, w] tensor stored NCHW/NHWC.
void layoutStrides(kk::Index (&s)[4], int64_t c, int64_t h, int64_t w,
                   bool nhwc) {
  if (nhwc) {
    s[0] = h * w * c;
    s[1] = 1;
    s[2] = w * c;
    s[3] = c;
  } else {
    s[0] = c * h * w;
    s[1] = h * w;
    s[2] = w;
    s[3] = 1;
  }
}

template <class Config, bool kMax, typename T>
void runCase(const Case &cs, const HostTensor &x, const HostTensor &expected,
             DType type, bool nhwc, bool raceHunt, double rtol, double atol) {
  std::vector<T> dx = toLayout<T>(x, nhwc),
                 dy(cs.n * cs.c * cs.oh() * cs.ow(), T(-7.0f));
  kk::Pool2dParams<T, T, kk::IdentityEpilogue> p{};
  p.input = dx.data();
  p.output = dy.data();
  p.n = cs.n;
  p.c = cs.c;
  p.h = cs.h;
  p.w = cs.w;
  p.oh = cs.oh();
  p.ow = cs.ow();
  p.kernelH = cs.kh;
  p.kernelW = cs.kw;
  p.strideH = cs.sh;
  p.strideW = cs.sw;
  p.padTop = cs.pads[0];
  p.padLeft = cs.pads[1];
  p.padBottom = cs.pads[2];
  p.padRight = cs.pads[3];
  p.countIncludePad = cs.countIncludePad;
  p.channelsInnermost = nhwc;
  layoutStrides(p.inStride, cs.c, cs.h, cs.w, nhwc);
  layoutStrides(p.outStride, cs.c, cs.oh(), cs.ow(), nhwc);
  ASSERT_TRUE((kk::canUsePool2d<Config>(p)));
  ASSERT_TRUE(launchOk(
      launchConfig(kk::pool2dGrid<Config>(p), dim3(Config::kThreads), raceHunt,
                   9),
      [&] { kk::pool2d<Config, kMax>(p); }, "pool2d"));
  EXPECT_TRUE(allClose(fromLayout(type, dy, cs.n, cs.c, cs.oh(), cs.ow(), nhwc),
                       expected, rtol, atol));
}

template <class Config> void checkCases() {
  for (bool raceHunt : raceHuntModes()) {
    for (const Case &cs : cases()) {
      HostTensor x = randomTensor(DType::F32, {cs.n, cs.c, cs.h, cs.w},
                                  static_cast<uint32_t>(cs.h * 31 + cs.w));
      std::vector<HostTensor> maxRef =
          evaluateReference(cs.mlir(true, "f32"), {x});
      std::vector<HostTensor> avgRef =
          evaluateReference(cs.mlir(false, "f32"), {x});
      ASSERT_EQ(maxRef.size(), 1u);
      ASSERT_EQ(avgRef.size(), 1u);
      ASSERT_EQ(maxRef[0].shape,
                (std::vector<int64_t>{cs.n, cs.c, cs.oh(), cs.ow()}))
          << "poolOutputSize disagrees with kiln's shape inference";
      for (bool nhwc : {false, true}) {
        SCOPED_TRACE(cs.name() + (nhwc ? " NHWC" : " NCHW") +
                     (raceHunt ? " race-hunt" : ""));
        runCase<Config, true, float>(cs, x, maxRef[0], DType::F32, nhwc,
                                     raceHunt, 0.0, 0.0);
        runCase<Config, false, float>(cs, x, avgRef[0], DType::F32, nhwc,
                                      raceHunt, 1e-5, 1e-6);
      }
    }
  }
}

TEST(Pool, DefaultConfig) { checkCases<kk::DefaultPoolConfig>(); }
TEST(Pool, Config64x3) { checkCases<kk::PoolConfig<64, 3>>(); }

TEST(Pool, MaxBf16) {
  const Case cs{2, 3, 9, 10, 3, 3, 2, 2, {1, 1, 1, 1}, true, false};
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::BF16, {cs.n, cs.c, cs.h, cs.w}, 41);
    std::vector<HostTensor> ref = evaluateReference(cs.mlir(true, "bf16"), {x});
    ASSERT_EQ(ref.size(), 1u);
    for (bool nhwc : {false, true})
      runCase<kk::DefaultPoolConfig, true, __nv_bfloat16>(
          cs, x, ref[0], DType::BF16, nhwc, raceHunt, 0.0, 0.0);
  }
}

// A NaN in a window makes that window's maximum NaN (the evaluator's
// floatMax), wherever it sits in the scan order.
TEST(Pool, MaxPropagatesNaN) {
  const Case cs{1, 2, 6, 6, 3, 3, 2, 2, {1, 1, 1, 1}, false, false};
  for (bool raceHunt : raceHuntModes()) {
    HostTensor x = randomTensor(DType::F32, {cs.n, cs.c, cs.h, cs.w}, 43);
    x.set(0 * 36 + 2 * 6 + 3, std::nan("")); // channel 0, (2, 3)
    x.set(1 * 36 + 5 * 6 + 5, std::nan("")); // channel 1, (5, 5)
    std::vector<HostTensor> ref = evaluateReference(cs.mlir(true, "f32"), {x});
    ASSERT_EQ(ref.size(), 1u);
    for (bool nhwc : {false, true})
      runCase<kk::DefaultPoolConfig, true, float>(cs, x, ref[0], DType::F32,
                                                  nhwc, raceHunt, 0.0, 0.0);
  }
}

} // namespace
