//===- conv.cuh - Tensor-core implicit-GEMM conv2d (fp16 / bf16) -*- CUDA
//-*-===//
//
// kiln.conv2d with fp16 or bf16 storage and fp32 accumulation on the tensor
// cores, NHWC input, OHWI filter, NHWC output (conv_common.cuh), as an
// implicit GEMM on the multistage mainloop of gemm.cuh: per group g,
// C[m, j] = sum_k A[m, k] * B[j, k] with A = im2col of the input (never
// materialised), B = the group's filter rows ([N, K] row-major, the
// kBTransposed case of the core), M = N*OH*OW, N = O/groups,
// K = KH*KW*C/groups.
//
// The A operand is GemmConvTile, a tile iterator (see gemm.cuh): setRow
// decomposes each of the thread's load rows m into (n, oh, ow) once
// (convRow); setK decomposes the chunk's first k into the filter tap
// (r, s) and channel c once per K slice for all slots; copy() checks the
// tap against the input bounds (zero in the padding) and copies the chunk.
// When C/groups is a multiple of 8 and the input is 16-byte aligned, the 8
// k of a chunk are 8 consecutive channels of one pixel: one 16-byte
// cp.async (zero-filled in the padding and past M). Otherwise (e.g. a
// 3-channel stem) the 8 elements are loaded one by one, stepping (c, s, r)
// without divisions, and stored to shared memory: the choice is made at run
// time, so every shape is correct. The filter goes through
// GemmRowMajorTile, which likewise falls back to element loads when
// K % 8 != 0. blockIdx.z is the group.
//
// Epilogue: `float operator()(float acc, Index row, Index col) const` as
// the SIMT convolution, with row = m = (n * OH + oh) * OW + ow and col =
// the output channel (g * O/groups + j); the result goes to
// output[row * O + col], converted to OutT.
//
// Preconditions (canUseConv2d): C and O divisible by groups; M, O/groups
// >= 1; ceil((O/groups) / kBlockN) <= 65535, groups <= 65535; sm_80+;
// dynamic shared memory gemmSharedBytes<Config, T>(). No alignment
// precondition. OH/OW are the caller's (bottom/right pads only shape them).
// Depthwise convolutions (groups == C) are correct but waste most of each
// mma (N = O/groups is tiny); depthwise.cuh is their fast path.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_CONV_CUH
#define KILN_CODEGEN_KERNELS_CONV_CUH

#include "compiler/codegen/kernels/conv_common.cuh"
#include "compiler/codegen/kernels/gemm.cuh"

namespace kiln::kernels {

/// 128x64x32 tiles, 4 warps of 64x32, 3 stages (36 KiB shared memory):
/// convolutions have fewer output channels per group than GEMMs columns.
using DefaultConv2dConfig = GemmConfig<128, 64, 32, 64, 32, 3>;

/// The implicit im2col A operand (a tile iterator, see gemm.cuh).
template <typename T, int kSlots> struct GemmConvTile {
  const T *input;
  Conv2dProblem p; // by value: registers, not a reference to params
  Index group;
  Index image[kSlots]; // n * H (row of the [N*H, W, C] view)
  Index ih0[kSlots], iw0[kSlots];
  bool rowOk[kSlots];
  Index kc, ks, kr; // the chunk's first k as (channel, filter column, row)
  bool vec;         // C/groups % 8 == 0 and input 16-byte aligned

  KILN_DEVICE GemmConvTile(const T *input, const Conv2dProblem &p, Index group)
      : input(input), p(p), group(group), kc(0), ks(0), kr(0),
        vec(p.channelsPerGroup() % 8 == 0 && gemmAligned16(input)) {}
  KILN_DEVICE void setRow(int slot, Index m) {
    ConvRow row = convRow(p, m);
    rowOk[slot] = row.valid;
    image[slot] = row.n * p.h;
    ih0[slot] = row.ih0;
    iw0[slot] = row.iw0;
  }
  /// k = (r * KW + s) * C/groups + c, decomposed once per K slice; k past
  /// K gives r >= KH.
  KILN_DEVICE void setK(Index k) {
    const Index cpg = p.channelsPerGroup();
    kc = k % cpg;
    Index rs = k / cpg;
    ks = rs % p.kw;
    kr = rs / p.kw;
  }
  KILN_DEVICE bool inside(Index ih, Index iw) const {
    return ih >= 0 && ih < p.h && iw >= 0 && iw < p.w;
  }
  KILN_DEVICE Index offset(int slot, Index ih, Index iw, Index c) const {
    return ((image[slot] + ih) * p.w + iw) * p.c +
           group * p.channelsPerGroup() + c;
  }
  KILN_DEVICE void copy(int slot, T *dst) const {
    if (vec) {
      // K is a multiple of 8: a chunk is entirely inside or outside K, and
      // its 8 k are channels kc .. kc+7 of one tap.
      Index ih = ih0[slot] + kr * p.dilationH,
            iw = iw0[slot] + ks * p.dilationW;
      bool ok = rowOk[slot] && kr < p.kh && inside(ih, iw);
      const T *src = ok ? input + offset(slot, ih, iw, kc) : input;
      kiln_cp_async_cg_zfill(dst, src, ok ? 16u : 0u);
    } else {
      // Element by element, stepping (c, s, r) without divisions.
      const Index cpg = p.channelsPerGroup();
      Index c = kc, s = ks, r = kr;
#pragma unroll 1
      for (int i = 0; i < 8; ++i) {
        Index ih = ih0[slot] + r * p.dilationH,
              iw = iw0[slot] + s * p.dilationW;
        dst[i] = rowOk[slot] && r < p.kh && inside(ih, iw)
                     ? input[offset(slot, ih, iw, c)]
                     : fromFloat<T>(0.0f);
        if (++c == cpg) {
          c = 0;
          if (++s == p.kw) {
            s = 0;
            ++r;
          }
        }
      }
    }
  }
};

template <typename T, typename OutT, typename Epilogue> struct Conv2dParams {
  const T *input;  // [N, H, W, C]
  const T *filter; // [O, KH, KW, C / groups]
  OutT *output;    // [N, OH, OW, O]
  Conv2dProblem problem;
  Epilogue epilogue; // float(float acc, Index row = m, Index col = channel)
};

/// The kernel body: grid conv2dGrid<Config>(p), block Config::kThreads,
/// dynamic shared memory gemmSharedBytes<Config, T>().
template <class Config, typename T, typename OutT, typename Epilogue>
KILN_DEVICE void conv2d(const Conv2dParams<T, OutT, Epilogue> &p) {
  const Conv2dProblem &prob = p.problem;
  const Index group = blockIdx.z;
  const Index blockRow = static_cast<Index>(blockIdx.x) * Config::kBlockM;
  const Index blockCol = static_cast<Index>(blockIdx.y) * Config::kBlockN;
  const Index gemmM = prob.gemmM(), gemmN = prob.gemmN(), gemmK = prob.gemmK();

  GemmConvTile<T, Config::kALoads> aTile(p.input, prob, group);
  GemmRowMajorTile<T, Config::kBLoads> bTile(
      p.filter + convFilterOffset(prob, 0, 0, group), gemmK, gemmN, gemmK);
  GemmAccumulators<Config> acc;
  gemmMainloop<Config, /*kBTransposed=*/true, T>(
      aTile, bTile, blockRow, blockCol, 0, ceilDiv(gemmK, Config::kBlockK),
      acc);

  gemmForEachAccumulatorPair<Config>(
      acc, blockRow, blockCol, gemmM, gemmN,
      [&](Index m, Index j, float v0, float v1, bool pair) {
        const Index col = group * gemmN + j;
        gemmStorePair(p.output, convOutputOffset(prob, m, j, group),
                      p.epilogue(v0, m, col),
                      pair ? p.epilogue(v1, m, col + 1) : 0.0f, pair);
      });
}

/// Grid of conv2d: x = M tiles, y = output-channel tiles, z = groups.
template <class Config, typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE dim3 conv2dGrid(const Conv2dParams<T, OutT, Epilogue> &p) {
  return dim3(
      static_cast<unsigned>(ceilDiv(p.problem.gemmM(), Config::kBlockM)),
      static_cast<unsigned>(ceilDiv(p.problem.gemmN(), Config::kBlockN)),
      static_cast<unsigned>(p.problem.groups));
}

template <class Config, typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE bool canUseConv2d(const Conv2dParams<T, OutT, Epilogue> &p) {
  const Conv2dProblem &q = p.problem;
  return q.groups >= 1 && q.c % q.groups == 0 && q.o % q.groups == 0 &&
         q.gemmM() > 0 && q.gemmN() > 0 &&
         ceilDiv(q.gemmM(), Config::kBlockM) <= 0x7fffffff &&
         ceilDiv(q.gemmN(), Config::kBlockN) <= 65535 && q.groups <= 65535;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_CONV_CUH
