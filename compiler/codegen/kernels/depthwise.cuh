//===- depthwise.cuh - Depthwise conv2d, direct ----------------*- CUDA -*-===//
//
// kiln.conv2d with groups == C (depthwise, channel multiplier O / C >= 1),
// NHWC input `[N, H, W, C]`, OHWI filter `[O, KH, KW, 1]`, NHWC output
// `[N, OH, OW, O]` (conv_common.cuh's layouts). Output channel o reads input
// channel o / (O / C), as kiln.conv2d's grouping does.
//
// Algorithm: direct, one output element per thread and item. The block's
// kThreads * kItems outputs are consecutive in NHWC order (channel fastest),
// so a warp's input reads and output stores are contiguous over channels;
// each thread sums its KH x KW taps in fp32 (skipping taps in the padding)
// and stores epilogue(acc, row, col) with row = (n * OH + oh) * OW + ow and
// col = o. There is no GEMM (a depthwise reduction is only KH*KW long) and
// no shared memory: taps of neighbouring outputs are re-read through L1.
//
// Preconditions: problem.groups == problem.c and problem.o % problem.c == 0;
// any kernel size, stride, pad and dilation (OH/OW computed by the caller,
// e.g. convOutputSize). No alignment requirement. Storage float, __half or
// __nv_bfloat16 (each of input, filter, output), fp32 accumulation.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_DEPTHWISE_CUH
#define KILN_CODEGEN_KERNELS_DEPTHWISE_CUH

#include "compiler/codegen/kernels/conv_common.cuh"

namespace kiln::kernels {

template <int Threads, int Items>
using DepthwiseConfig = ItemsConfig<Threads, Items>;

using DefaultDepthwiseConfig = DepthwiseConfig<256, 2>;

template <typename T, typename TF, typename TO, typename Epilogue>
struct DepthwiseConv2dParams {
  const T *input;   // [N, H, W, C]
  const TF *filter; // [O, KH, KW, 1]
  TO *output;       // [N, OH, OW, O]
  Conv2dProblem problem;
  Epilogue epilogue; // float(float acc, Index row, Index col = channel)
};

/// The kernel body: grid depthwiseConv2dGrid<Config>(p), block kThreads.
template <class Config, typename T, typename TF, typename TO, typename Epilogue>
KILN_DEVICE void
depthwiseConv2d(const DepthwiseConv2dParams<T, TF, TO, Epilogue> &p) {
  const Conv2dProblem q = p.problem;
  const Index total = q.n * q.oh * q.ow * q.o;
  const Index multiplier = q.o / q.c;
  const Index taps = q.kh * q.kw;
  const Index first =
      static_cast<Index>(blockIdx.x) * (Config::kThreads * Config::kItems) +
      threadIdx.x;
#pragma unroll
  for (int item = 0; item < Config::kItems; ++item) {
    const Index idx = first + static_cast<Index>(item) * Config::kThreads;
    if (idx >= total)
      break;
    const Index o = idx % q.o;
    const Index row = idx / q.o;
    const Index ow = row % q.ow;
    const Index rest = row / q.ow;
    const Index oh = rest % q.oh;
    const Index n = rest / q.oh;
    const Index c = o / multiplier;
    const Index ih0 = oh * q.strideH - q.padTop;
    const Index iw0 = ow * q.strideW - q.padLeft;
    const TF *w = p.filter + o * taps;
    float acc = 0.0f;
    for (Index r = 0; r < q.kh; ++r) {
      const Index ih = ih0 + r * q.dilationH;
      if (ih < 0 || ih >= q.h)
        continue;
      const Index base = (n * q.h + ih) * q.w;
      for (Index s = 0; s < q.kw; ++s) {
        const Index iw = iw0 + s * q.dilationW;
        if (iw < 0 || iw >= q.w)
          continue;
        acc = fmaf(load(p.input, (base + iw) * q.c + c), load(w, r * q.kw + s),
                   acc);
      }
    }
    store(p.output, idx, p.epilogue(acc, row, o));
  }
}

template <class Config, typename T, typename TF, typename TO, typename Epilogue>
KILN_HOST_DEVICE dim3
depthwiseConv2dGrid(const DepthwiseConv2dParams<T, TF, TO, Epilogue> &p) {
  const Conv2dProblem &q = p.problem;
  return dim3(static_cast<unsigned>(
      ceilDiv(q.n * q.oh * q.ow * q.o, Config::kThreads * Config::kItems)));
}

template <class Config, typename T, typename TF, typename TO, typename Epilogue>
KILN_HOST_DEVICE bool
canUseDepthwiseConv2d(const DepthwiseConv2dParams<T, TF, TO, Epilogue> &p) {
  const Conv2dProblem &q = p.problem;
  const Index total = q.n * q.oh * q.ow * q.o;
  return q.c >= 1 && q.groups == q.c && q.o % q.c == 0 && total > 0 &&
         ceilDiv(total, Config::kThreads * Config::kItems) <= 0x7fffffff;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_DEPTHWISE_CUH
