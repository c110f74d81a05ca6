//===- pool.cuh - 2-D max / average pooling --------------------*- CUDA -*-===//
//
// kiln.max_pool2d and kiln.avg_pool2d (and global average pooling, which is
// average pooling with kernel = (H, W), strides 1, no pads), over any 4-D
// layout: the input and output are addressed through per-dim element
// strides of (n, c, h, w), so NCHW and NHWC (or any permutation, or a
// strided view) use the same kernel.
//
// Algorithm: one output element per thread and item. The linear output
// index is decomposed channel-fastest when `channelsInnermost` (NHWC: a
// warp reads and writes contiguous channels) and width-fastest otherwise
// (NCHW). Each thread scans its window, skipping taps in the padding:
//  - max: padding never wins; a NaN in the window gives NaN (as the
//    evaluator's floatMax);
//  - average: fp32 sum divided by the number of taps inside the input, or,
//    with countIncludePad, by the window's extent clipped to the padded
//    input [-padTop, H + padBottom) x [-padLeft, W + padRight) (a ceil_mode
//    window may reach past the padding; those positions never count).
// The epilogue sees the logical NCHW result as a matrix:
// `float operator()(float value, Index row, Index col) const` with
// row = n * C + c and col = oh * OW + ow, whatever the memory layout.
//
// Output sizes (ceil_mode included) come from poolOutputSize, the rule of
// kiln's shape inference: floor or ceil of (H + pads - K) / S + 1, and in
// ceil mode a last window that would start past the input and its leading
// padding is dropped, so every window holds at least one input element
// (pads < kernel, as kiln requires).
//
// Preconditions: kernel, strides >= 1, 0 <= pads < kernel. No alignment
// requirement. Storage float / __half / __nv_bfloat16, fp32 arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_POOL_CUH
#define KILN_CODEGEN_KERNELS_POOL_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

template <int Threads, int Items>
using PoolConfig = ItemsConfig<Threads, Items>;

using DefaultPoolConfig = PoolConfig<256, 1>;

/// Output size along one dim, as kiln.max_pool2d / avg_pool2d infer it.
KILN_HOST_DEVICE Index poolOutputSize(Index in, Index kernel, Index stride,
                                      Index padBefore, Index padAfter,
                                      bool ceilMode) {
  Index steps = in + padBefore + padAfter - kernel;
  Index out = (ceilMode ? (steps + stride - 1) / stride : steps / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBefore)
    --out;
  return out;
}

template <typename T, typename TO, typename Epilogue> struct Pool2dParams {
  const T *input;
  TO *output;
  Index n, c, h, w; // input sizes
  Index oh, ow;     // output sizes (poolOutputSize)
  Index kernelH, kernelW, strideH, strideW;
  Index padTop, padLeft, padBottom, padRight;
  bool countIncludePad;   // average only
  bool channelsInnermost; // thread order: c fastest (NHWC) or ow fastest
  Index inStride[4];      // element strides of n, c, h, w in the input
  Index outStride[4];     // ... and in the output
  Epilogue
      epilogue; // float(float v, Index row = n*C + c, Index col = oh*OW+ow)
};

/// The kernel body (kMax: max pooling, else average): grid
/// pool2dGrid<Config>(p), block Config::kThreads.
template <class Config, bool kMax, typename T, typename TO, typename Epilogue>
KILN_DEVICE void pool2d(const Pool2dParams<T, TO, Epilogue> &p) {
  const Index total = p.n * p.c * p.oh * p.ow;
  const Index first =
      static_cast<Index>(blockIdx.x) * (Config::kThreads * Config::kItems) +
      threadIdx.x;
#pragma unroll
  for (int item = 0; item < Config::kItems; ++item) {
    const Index idx = first + static_cast<Index>(item) * Config::kThreads;
    if (idx >= total)
      break;
    Index n, c, oh, ow;
    if (p.channelsInnermost) {
      c = idx % p.c;
      Index rest = idx / p.c;
      ow = rest % p.ow;
      rest /= p.ow;
      oh = rest % p.oh;
      n = rest / p.oh;
    } else {
      ow = idx % p.ow;
      Index rest = idx / p.ow;
      oh = rest % p.oh;
      rest /= p.oh;
      c = rest % p.c;
      n = rest / p.c;
    }
    const Index h0 = oh * p.strideH - p.padTop;
    const Index w0 = ow * p.strideW - p.padLeft;
    const Index hBegin = h0 < 0 ? 0 : h0;
    const Index wBegin = w0 < 0 ? 0 : w0;
    const Index hEnd = h0 + p.kernelH < p.h ? h0 + p.kernelH : p.h;
    const Index wEnd = w0 + p.kernelW < p.w ? w0 + p.kernelW : p.w;
    const T *plane = p.input + n * p.inStride[0] + c * p.inStride[1];
    float acc = kMax ? MaxOp::identity() : 0.0f;
    bool nan = false;
    for (Index ih = hBegin; ih < hEnd; ++ih) {
      const T *line = plane + ih * p.inStride[2];
      for (Index iw = wBegin; iw < wEnd; ++iw) {
        float v = load(line, iw * p.inStride[3]);
        if (kMax) {
          nan |= v != v;
          acc = v > acc ? v : acc;
        } else {
          acc += v;
        }
      }
    }
    float value;
    if (kMax) {
      value = nan ? __int_as_float(0x7fc00000) : acc;
    } else {
      Index count;
      if (p.countIncludePad) {
        Index hLim = p.h + p.padBottom, wLim = p.w + p.padRight;
        count = ((h0 + p.kernelH < hLim ? h0 + p.kernelH : hLim) - h0) *
                ((w0 + p.kernelW < wLim ? w0 + p.kernelW : wLim) - w0);
      } else {
        count = (hEnd - hBegin) * (wEnd - wBegin);
      }
      value = acc / static_cast<float>(count);
    }
    store(p.output,
          n * p.outStride[0] + c * p.outStride[1] + oh * p.outStride[2] +
              ow * p.outStride[3],
          p.epilogue(value, n * p.c + c, oh * p.ow + ow));
  }
}

template <class Config, typename T, typename TO, typename Epilogue>
KILN_HOST_DEVICE dim3 pool2dGrid(const Pool2dParams<T, TO, Epilogue> &p) {
  return dim3(static_cast<unsigned>(
      ceilDiv(p.n * p.c * p.oh * p.ow, Config::kThreads * Config::kItems)));
}

template <class Config, typename T, typename TO, typename Epilogue>
KILN_HOST_DEVICE bool canUsePool2d(const Pool2dParams<T, TO, Epilogue> &p) {
  const Index total = p.n * p.c * p.oh * p.ow;
  return total > 0 && p.kernelH >= 1 && p.kernelW >= 1 && p.strideH >= 1 &&
         p.strideW >= 1 && p.padTop >= 0 && p.padTop < p.kernelH &&
         p.padBottom >= 0 && p.padBottom < p.kernelH && p.padLeft >= 0 &&
         p.padLeft < p.kernelW && p.padRight >= 0 && p.padRight < p.kernelW &&
         ceilDiv(total, Config::kThreads * Config::kItems) <= 0x7fffffff;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_POOL_CUH
