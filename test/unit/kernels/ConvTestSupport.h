//===- ConvTestSupport.h - What the convolution tests share ----*- C++ -*-===//
//
// The convolution case of ConvTest.cpp, ConvSimtTest.cpp and
// DepthwiseTest.cpp: the kiln.conv2d attributes (NCHW input, OIHW filter, as
// the evaluator takes them), the kernels' Conv2dProblem and the reference
// IR; and the fused bias + relu + residual epilogue both implicit-GEMM tests
// run. Includes a kernel header (conv_common.cuh): for test TUs only.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_KERNELS_CONVTESTSUPPORT_H
#define KILN_TEST_UNIT_KERNELS_CONVTESTSUPPORT_H

#include "compiler/codegen/kernels/conv_common.cuh"

#include "KernelTestSupport.h"

#include <string>

namespace kiln::test {

struct ConvCase {
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
  kiln::kernels::Conv2dProblem problem() const {
    kiln::kernels::Conv2dProblem p{};
    p.n = n;
    p.h = h;
    p.w = w;
    p.c = c;
    p.o = o;
    p.kh = kh;
    p.kw = kw;
    p.oh = kiln::kernels::convOutputSize(h, kh, strideH, pads[0], pads[2],
                                         dilationH);
    p.ow = kiln::kernels::convOutputSize(w, kw, strideW, pads[1], pads[3],
                                         dilationW);
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
  /// NCHW input, OIHW filter, NCHW output (the evaluator's layouts).
  std::vector<int64_t> inputShape() const { return {n, c, h, w}; }
  std::vector<int64_t> filterShape() const { return {o, c / groups, kh, kw}; }
  std::vector<int64_t> outputShape() const {
    kiln::kernels::Conv2dProblem p = problem();
    return {n, o, p.oh, p.ow};
  }
  std::string outputType(const char *element = "f32") const {
    return tensorType(outputShape(), element);
  }
  /// The input and filter of a case sweep, seeded by the case.
  HostTensor randomInput(DType type) const {
    return randomTensor(type, inputShape(), static_cast<uint32_t>(c * 7 + h));
  }
  HostTensor randomFilter(DType type) const {
    return randomTensor(type, filterShape(), static_cast<uint32_t>(o * 3 + kw));
  }
  /// The kernel's NHWC output buffer, filled with `init` (so that elements
  /// left unwritten show).
  template <typename T> std::vector<T> outputBuffer(T init) const {
    return std::vector<T>(numel(outputShape()), init);
  }
  /// The NHWC output buffer back as an NCHW tensor of `type`.
  template <typename T>
  HostTensor output(DType type, const std::vector<T> &y) const {
    kiln::kernels::Conv2dProblem p = problem();
    return fromChannelsLast(type, y, n, o, p.oh, p.ow);
  }
  /// kiln.conv2d of %x, %w (and %b when withBias) as %0 with element type
  /// `element`, then `tail` (ops after it, taking `extraArgs` too), the
  /// function returning `result`.
  std::string mlir(bool withBias, const char *element = "f32",
                   const std::string &extraArgs = "",
                   const std::string &tail = "",
                   const std::string &result = "%0") const {
    std::string xt = tensorType({n, c, h, w}, element),
                wt = tensorType({o, c / groups, kh, kw}, element),
                bt = tensorType({o}, element), yt = outputType(element);
    return funcText(
        "%x: " + xt + ", %w: " + wt +
            (withBias ? ", %b: " + bt : std::string()) + extraArgs,
        yt,
        "  %0 = kiln.conv2d %x, %w" + std::string(withBias ? ", %b" : "") +
            " strides = " + intList({strideH, strideW}) +
            " pads = " + intList({pads[0], pads[1], pads[2], pads[3]}) +
            " dilations = " + intList({dilationH, dilationW}) +
            " groups = " + std::to_string(groups) + " : " + xt + ", " + wt +
            (withBias ? ", " + bt : std::string()) + " -> " + yt + "\n" + tail,
        result);
  }
  /// relu(conv2d(%x, %w, %b)) + %r in f32, %r of the output's shape.
  std::string biasReluResidualMlir() const {
    std::string yt = outputType();
    return mlir(true, "f32", ", %r: " + yt,
                "  %1 = kiln.relu %0 : " + yt +
                    "\n  %2 = kiln.add %1, %r : " + yt + "\n",
                "%2");
  }
};

/// Conv2dParams, SimtConv2dParams or DepthwiseConv2dParams (P) of the
/// NHWC input, the filter and the NHWC output.
template <class P, typename T, typename OutT>
P convParams(const T *input, const T *filter, OutT *output,
             const kiln::kernels::Conv2dProblem &problem) {
  P p{};
  p.input = input;
  p.filter = filter;
  p.output = output;
  p.problem = problem;
  return p;
}

/// relu(conv(x, w) + bias) + residual as a fused epilogue: row = m (the NHWC
/// pixel), col = output channel.
struct ConvBiasReluResidual {
  const float *bias;     // [O]
  const float *residual; // NHWC [N, OH, OW, O]
  kiln::kernels::Index o;
  KILN_DEVICE float operator()(float acc, kiln::kernels::Index row,
                               kiln::kernels::Index col) const {
    float v = acc + bias[col];
    v = v > 0.0f ? v : 0.0f;
    return v + residual[row * o + col];
  }
};

} // namespace kiln::test

#endif // KILN_TEST_UNIT_KERNELS_CONVTESTSUPPORT_H
