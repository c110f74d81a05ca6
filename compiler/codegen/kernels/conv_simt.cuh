//===- conv_simt.cuh - fp32 implicit-GEMM conv2d (CUDA cores) --*- CUDA -*-===//
//
// kiln.conv2d in fp32 on the CUDA cores, NHWC input, OHWI filter, NHWC
// output (conv_common.cuh), as an implicit GEMM on the SIMT GEMM core of
// gemm_simt.cuh: per group g, C[m, j] = sum_k A[m, k] * B[k, j] with
// A = im2col of the input (never materialised) and B = the group's filter
// rows ([N, K] row-major, i.e. the transposed-B case of the core).
//
// The A operand is SimtConvTile, an A tile iterator: setRows decomposes each
// of the thread's load rows m into (n, oh, ow) once (convRow), setK
// decomposes the slice's k into (r, s, c) once per K slice for all slots,
// and load() adds the tap offsets, checks the input bounds (0 in the
// padding) and reads the NHWC input. Tiles: the SimtGemmConfig of the core
// (block M x N x K, thread micro-tile); blockIdx.z is the group.
//
// Epilogue: `float operator()(float acc, Index row, Index col) const` with
// row = m = (n * OH + oh) * OW + ow and col = the output channel
// (g * O/groups + j); the output element is output[row * O + col].
//
// Preconditions: C and O divisible by groups (as kiln.conv2d); any sizes,
// strides, pads (top/left given; bottom/right only shape OH/OW, computed
// by the caller, e.g. with convOutputSize), dilations; grid limits:
// ceil((O/groups) / kBlockN) <= 65535, groups <= 65535 (canUseSimtConv2d).
// Spatial coordinates (H, W, oh*stride + r*dilation) are 32-bit, linear
// offsets 64-bit. No alignment requirement (scalar loads).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_CONV_SIMT_CUH
#define KILN_CODEGEN_KERNELS_CONV_SIMT_CUH

#include "compiler/codegen/kernels/conv_common.cuh"
#include "compiler/codegen/kernels/gemm_simt.cuh"

namespace kiln::kernels {

/// 128x64x8 tiles, 8x4 micro-tiles (256 threads): convolutions have
/// fewer output channels per group than GEMMs have columns.
using DefaultSimtConv2dConfig = SimtGemmConfig<128, 64, 8, 8, 4>;

/// The implicit im2col A operand (an A tile iterator, see gemm_simt.cuh).
template <typename T, int kSlots> struct SimtConvTile {
  const T *input;
  Conv2dProblem p; // by value: registers, not a reference to params
  Index group;
  Index image[kSlots]; // n * H (row of the [N*H, W, C] view)
  // Spatial coordinates are int: H, W and the padded window fit in 31 bits.
  int ih0[kSlots], iw0[kSlots];
  bool rowOk[kSlots];
  int dh, dw;    // tap offsets of the current k
  Index channel; // input channel of the current k
  bool kOk;

  KILN_DEVICE SimtConvTile(const T *input, const Conv2dProblem &p, Index group)
      : input(input), p(p), group(group), dh(0), dw(0), channel(0), kOk(false) {
  }
  KILN_DEVICE void setRows(Index firstRow, int step) {
#pragma unroll
    for (int slot = 0; slot < kSlots; ++slot) {
      ConvRow row = convRow(p, firstRow + slot * step);
      rowOk[slot] = row.valid;
      image[slot] = row.n * p.h;
      ih0[slot] = static_cast<int>(row.ih0);
      iw0[slot] = static_cast<int>(row.iw0);
    }
  }
  KILN_DEVICE void setK(Index k) {
    const Index cpg = p.channelsPerGroup();
    kOk = k < p.kh * p.kw * cpg;
    Index c = k % cpg, rs = k / cpg;
    dw = static_cast<int>((rs % p.kw) * p.dilationW);
    dh = static_cast<int>((rs / p.kw) * p.dilationH);
    channel = group * cpg + c;
  }
  KILN_DEVICE float load(int slot) const {
    const int ih = ih0[slot] + dh, iw = iw0[slot] + dw;
    if (!rowOk[slot] || !kOk || ih < 0 || ih >= static_cast<int>(p.h) ||
        iw < 0 || iw >= static_cast<int>(p.w))
      return 0.0f;
    return kiln::kernels::load(input,
                               ((image[slot] + ih) * p.w + iw) * p.c + channel);
  }
};

template <typename T, typename TF, typename TO, typename Epilogue>
struct SimtConv2dParams {
  const T *input;   // [N, H, W, C]
  const TF *filter; // [O, KH, KW, C / groups]
  TO *output;       // [N, OH, OW, O]
  Conv2dProblem problem;
  Epilogue epilogue; // float(float acc, Index row = m, Index col = channel)
};

/// The kernel body: grid simtConv2dGrid<Config>(p), block Config::kThreads.
template <class Config, typename T, typename TF, typename TO, typename Epilogue>
KILN_DEVICE void simtConv2d(const SimtConv2dParams<T, TF, TO, Epilogue> &p) {
  const Conv2dProblem &prob = p.problem;
  const Index group = blockIdx.z;
  const Index blockRow = static_cast<Index>(blockIdx.x) * Config::kBlockM;
  const Index blockCol = static_cast<Index>(blockIdx.y) * Config::kBlockN;
  const Index gemmM = prob.gemmM(), gemmN = prob.gemmN(), gemmK = prob.gemmK();

  SimtConvTile<T, Config::kALoads> aTile(p.input, prob, group);
  float acc[Config::kThreadM][Config::kThreadN];
  simtGemmMainloop<Config, /*kBTransposed=*/true>(
      aTile, p.filter + convFilterOffset(prob, 0, 0, group), gemmK, gemmN,
      gemmK, blockRow, blockCol, acc);

  const int tid = threadIdx.x;
  const int threadRow = tid / Config::kThreadsN;
  const int threadCol = tid % Config::kThreadsN;
#pragma unroll
  for (int i = 0; i < Config::kThreadM; ++i) {
    Index m = blockRow + simtTileRow<Config>(threadRow, i);
    if (m >= gemmM)
      continue;
#pragma unroll
    for (int j = 0; j < Config::kThreadN; ++j) {
      Index col = blockCol + simtTileCol<Config>(threadCol, j);
      if (col < gemmN) {
        Index out = convOutputOffset(prob, m, col, group);
        store(p.output, out, p.epilogue(acc[i][j], m, group * gemmN + col));
      }
    }
  }
}

/// Grid of simtConv2d: x = M tiles, y = output-channel tiles, z = groups.
template <class Config, typename T, typename TF, typename TO, typename Epilogue>
KILN_HOST_DEVICE dim3
simtConv2dGrid(const SimtConv2dParams<T, TF, TO, Epilogue> &p) {
  return dim3(
      static_cast<unsigned>(ceilDiv(p.problem.gemmM(), Config::kBlockM)),
      static_cast<unsigned>(ceilDiv(p.problem.gemmN(), Config::kBlockN)),
      static_cast<unsigned>(p.problem.groups));
}

template <class Config, typename T, typename TF, typename TO, typename Epilogue>
KILN_HOST_DEVICE bool
canUseSimtConv2d(const SimtConv2dParams<T, TF, TO, Epilogue> &p) {
  const Conv2dProblem &q = p.problem;
  return q.groups >= 1 && q.c % q.groups == 0 && q.o % q.groups == 0 &&
         q.gemmM() > 0 && q.gemmN() > 0 &&
         ceilDiv(q.gemmM(), Config::kBlockM) <= 0x7fffffff &&
         ceilDiv(q.gemmN(), Config::kBlockN) <= 65535 && q.groups <= 65535;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_CONV_SIMT_CUH
