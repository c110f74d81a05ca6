//===- conv_common.cuh - Convolution as an implicit GEMM -------*- CUDA -*-===//
//
// The problem description and im2col addressing shared by the convolution
// kernels (tensor-core and fp32 SIMT implicit GEMM, depthwise).
//
// Layouts: input NHWC `[N, H, W, C]`, filter `[O, KH, KW, C / groups]`
// (OHWI: each output channel's taps contiguous over the input channels),
// output NHWC `[N, OH, OW, O]`. The graph's NCHW/OIHW tensors are permuted
// to these layouts by the compiler (weights at compile time).
//
// GEMM view of group g (groups = 1 for an ordinary convolution):
//   M = N * OH * OW        row m = (n, oh, ow), row-major
//   N = O / groups         column j -> output channel g * O/groups + j
//   K = KH * KW * C/groups index k = (r, s, c), c fastest, matching the
//                          filter's contiguous taps, so B is the filter
//                          "column-major" ([N, K] row-major).
// Element (m, k) of A is input[n, oh*sh - pt + r*dh, ow*sw - pl + s*dw,
// g*C/groups + c], or 0 outside the input (padding).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_CONV_COMMON_CUH
#define KILN_CODEGEN_KERNELS_CONV_COMMON_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

struct Conv2dProblem {
  Index n, h, w, c; // input, NHWC
  Index o, kh, kw;  // output channels, filter window
  Index oh, ow;     // output spatial size
  Index strideH, strideW;
  Index padTop, padLeft;
  Index dilationH, dilationW;
  Index groups;

  KILN_HOST_DEVICE Index channelsPerGroup() const { return c / groups; }
  KILN_HOST_DEVICE Index outputsPerGroup() const { return o / groups; }
  KILN_HOST_DEVICE Index gemmM() const { return n * oh * ow; }
  KILN_HOST_DEVICE Index gemmN() const { return outputsPerGroup(); }
  KILN_HOST_DEVICE Index gemmK() const { return kh * kw * channelsPerGroup(); }
};

/// Output size along one spatial dim (floor mode, as kiln.conv2d).
KILN_HOST_DEVICE Index convOutputSize(Index in, Index kernel, Index stride,
                                      Index padBefore, Index padAfter,
                                      Index dilation) {
  return (in + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride + 1;
}

/// A GEMM row decomposed once per thread and reused across the K loop.
struct ConvRow {
  Index n;    // batch index
  Index ih0;  // oh * strideH - padTop
  Index iw0;  // ow * strideW - padLeft
  bool valid; // m < M
};

KILN_DEVICE ConvRow convRow(const Conv2dProblem &p, Index m) {
  ConvRow row;
  row.valid = m < p.gemmM();
  Index ow = m % p.ow;
  Index rest = m / p.ow;
  Index oh = rest % p.oh;
  row.n = rest / p.oh;
  row.ih0 = oh * p.strideH - p.padTop;
  row.iw0 = ow * p.strideW - p.padLeft;
  return row;
}

/// Offset into the NHWC input of A(m, k) for group `group`, or -1 where it
/// reads padding (or m, k are outside the GEMM).
KILN_DEVICE Index convInputOffset(const Conv2dProblem &p, const ConvRow &row,
                                  Index k, Index group) {
  Index cpg = p.channelsPerGroup();
  if (!row.valid || k >= p.kh * p.kw * cpg)
    return -1;
  Index c = k % cpg;
  Index rs = k / cpg;
  Index s = rs % p.kw;
  Index r = rs / p.kw;
  Index ih = row.ih0 + r * p.dilationH;
  Index iw = row.iw0 + s * p.dilationW;
  if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w)
    return -1;
  return ((row.n * p.h + ih) * p.w + iw) * p.c + group * cpg + c;
}

/// Offset of filter element (output channel of group `group`, column j;
/// reduction index k) in the OHWI filter.
KILN_HOST_DEVICE Index convFilterOffset(const Conv2dProblem &p, Index j,
                                        Index k, Index group) {
  return (group * p.outputsPerGroup() + j) * p.gemmK() + k;
}

/// Offset of output element (row m, column j of group `group`) in NHWC.
KILN_HOST_DEVICE Index convOutputOffset(const Conv2dProblem &p, Index m,
                                        Index j, Index group) {
  return m * p.o + group * p.outputsPerGroup() + j;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_CONV_COMMON_CUH
