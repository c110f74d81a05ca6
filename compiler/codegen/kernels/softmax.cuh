//===- softmax.cuh - Softmax and log-softmax along one axis ----*- CUDA -*-===//
//
// kiln.softmax / kiln.log_softmax along `axis`, the tensor viewed as
// [outer, R, inner] with R the axis' extent:
//
//  - Row case (inner == 1, the last axis): `softmaxRows<RowConfig, kLog>`.
//    A group of Config::kThreadsPerRow threads (RowConfig, reduce.cuh: a
//    warp per row for R up to a few thousand, a block per row beyond) owns
//    a row. When R <= Config::kCapacity (= kThreadsPerRow * kItems) the row
//    is loaded once into registers (thread t holds columns t + k *
//    kThreadsPerRow, coalesced) and the kernel makes three passes over the
//    registers: max (group reduction), sum of exp(x - max) (group
//    reduction), write exp(x - max) * (1 / sum) or x - max - log(sum). Longer
//    rows take the streaming path: one pass over the loader keeps an online
//    (max, sum) per thread — on a new maximum the sum is rescaled by
//    exp(old - new) — the group merges them (max first, then each partial
//    sum rescaled to the group max and summed), and a second pass re-reads
//    the loader and writes.
//  - Column case (inner > 1, another axis): `softmaxColumns<ColumnConfig,
//    kLog>`: threads along x take consecutive (o, i) (coalesced), kThreadsY
//    threads along y split R with the online (max, sum), merged through
//    shared memory, then the write pass.
//
// Numerics, matching the reference evaluator (double, rounded once):
// max subtraction; expf / logf (accurate, not __expf); max propagates NaN.
// A NaN in a row gives a NaN row; a +inf gives a NaN row (inf - inf); a row
// whose entries are all -inf (fully masked) gives NaN everywhere, as the
// evaluator's exp(-inf - -inf) does; -inf entries of a partly masked row
// give 0 (log: -inf).
//
// Functors: loader `float operator()(Index row, Index col) const` reads the
// input as a row-major matrix, [outer, R] (row case) or [outer * R, inner]
// (column case), so `softmax(x * scale + mask)` fuses into it (called twice
// per element on the streaming path); epilogue `float operator()(float
// value, Index row, Index col) const` in the same coordinates, applied
// before the store to output[row * cols + col].
//
// Preconditions: R >= 1, storage float / __half / __nv_bfloat16, no
// alignment requirement (canUseSoftmax...).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_SOFTMAX_CUH
#define KILN_CODEGEN_KERNELS_SOFTMAX_CUH

#include "compiler/codegen/kernels/reduce.cuh"

namespace kiln::kernels {

/// A warp per row, rows up to 1024 held in registers.
using DefaultSoftmaxConfig = RowConfig<128, 4, 32>;
/// A block per row, rows up to 4096 in registers (longer ones stream).
using BlockSoftmaxConfig = RowConfig<512, 1, 8>;
using DefaultSoftmaxColumnConfig = ColumnConfig<32, 4>;

template <typename TO, typename Loader, typename Epilogue>
struct SoftmaxParams {
  Loader loader; // float(row, col): [outer, R] (rows) or [outer*R, inner]
  TO *output;    // same shape and coordinates as the loader's matrix
  Index outer, r, inner;
  Epilogue epilogue; // float(float value, Index row, Index col)
};

/// Adds x to the online (max m, sum s of exp(. - m)). s stays 0 while every
/// value seen is -inf; a NaN makes both NaN; a +inf makes s NaN (as the
/// evaluator's inf - inf).
KILN_DEVICE void onlineSoftmaxAdd(float &m, float &s, float x) {
  if (x > m) {
    // x - x + 1: 1, or NaN for x = +inf.
    s = (m == negativeInfinity() ? 0.0f : s * expf(m - x)) + (x - x + 1.0f);
    m = x;
  } else if (x == x) {
    if (m != negativeInfinity())
      s += expf(x - m);
  } else {
    m = x;
    s = x;
  }
}

/// The partial sum `s` of exp(. - m) rescaled to the merged maximum `total`.
KILN_DEVICE float rescaleSum(float s, float m, float total) {
  return m == negativeInfinity() ? 0.0f : s * expf(m - total);
}

/// The output for x given the row max m and norm = log(sum) (kLog) or
/// 1 / sum: one reciprocal per row instead of a division per element.
template <bool kLog>
KILN_DEVICE float softmaxValue(float x, float m, float norm) {
  return kLog ? x - m - norm : expf(x - m) * norm;
}

/// Row case: grid softmaxRowsGrid<Config>(p), block Config::kThreads.
template <class Config, bool kLog, typename TO, typename Loader,
          typename Epilogue>
KILN_DEVICE void softmaxRows(const SoftmaxParams<TO, Loader, Epilogue> &p) {
  KILN_SHARED(float, scratch, [Config::kWarps]);
  constexpr int kGroup = Config::kThreadsPerRow;
  const int lane = threadIdx.x % kGroup;
  const Index row = static_cast<Index>(blockIdx.x) * Config::kRowsPerBlock +
                    threadIdx.x / kGroup;
  const bool valid = row < p.outer;
  TO *out = p.output + (valid ? row : 0) * p.r;
  if (p.r <= Config::kCapacity) {
    float v[Config::kItems];
    float m = negativeInfinity();
#pragma unroll
    for (int k = 0; k < Config::kItems; ++k) {
      const Index col = lane + static_cast<Index>(k) * kGroup;
      v[k] = valid && col < p.r ? p.loader(row, col) : negativeInfinity();
      m = nanMax(m, v[k]);
    }
    m = groupReduce<kGroup, ReduceMax>(m, scratch);
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < Config::kItems; ++k) {
      const Index col = lane + static_cast<Index>(k) * kGroup;
      if (col < p.r) {
        const float shifted = v[k] - m;
        const float e = expf(shifted);
        s += e;
        v[k] = kLog ? shifted : e;
      }
    }
    s = groupReduce<kGroup, ReduceSum>(s, scratch);
    const float norm = kLog ? logf(s) : 1.0f / s;
    if (valid) {
#pragma unroll
      for (int k = 0; k < Config::kItems; ++k) {
        const Index col = lane + static_cast<Index>(k) * kGroup;
        if (col < p.r)
          store(out, col,
                p.epilogue(kLog ? v[k] - norm : v[k] * norm, row, col));
      }
    }
  } else {
    float m = negativeInfinity(), s = 0.0f;
    if (valid)
      for (Index col = lane; col < p.r; col += kGroup)
        onlineSoftmaxAdd(m, s, p.loader(row, col));
    const float total = groupReduce<kGroup, ReduceMax>(m, scratch);
    s = groupReduce<kGroup, ReduceSum>(rescaleSum(s, m, total), scratch);
    const float norm = kLog ? logf(s) : 1.0f / s;
    if (valid)
      for (Index col = lane; col < p.r; col += kGroup)
        store(out, col,
              p.epilogue(softmaxValue<kLog>(p.loader(row, col), total, norm),
                         row, col));
  }
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE dim3
softmaxRowsGrid(const SoftmaxParams<TO, Loader, Epilogue> &p) {
  return dim3(static_cast<unsigned>(ceilDiv(p.outer, Config::kRowsPerBlock)));
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE bool
canUseSoftmaxRows(const SoftmaxParams<TO, Loader, Epilogue> &p) {
  return p.inner == 1 && p.outer >= 1 && p.r >= 1 &&
         ceilDiv(p.outer, Config::kRowsPerBlock) <= 0x7fffffff;
}

/// Column case (any inner): grid softmaxColumnsGrid<Config>(p), block
/// Config::kThreads.
template <class Config, bool kLog, typename TO, typename Loader,
          typename Epilogue>
KILN_DEVICE void softmaxColumns(const SoftmaxParams<TO, Loader, Epilogue> &p) {
  KILN_SHARED(float, part, [Config::kThreadsY][Config::kThreadsX]);
  const int tx = threadIdx.x % Config::kThreadsX;
  const int ty = threadIdx.x / Config::kThreadsX;
  const Index column = static_cast<Index>(blockIdx.x) * Config::kThreadsX + tx;
  const bool valid = column < p.outer * p.inner;
  const Index o = valid ? column / p.inner : 0;
  const Index i = column - o * p.inner;
  float m = negativeInfinity(), s = 0.0f;
  if (valid)
    for (Index r = ty; r < p.r; r += Config::kThreadsY)
      onlineSoftmaxAdd(m, s, p.loader(o * p.r + r, i));
  float total = m;
  if constexpr (Config::kThreadsY > 1) {
    part[ty][tx] = m;
    __syncthreads();
    total = part[0][tx];
#pragma unroll
    for (int y = 1; y < Config::kThreadsY; ++y)
      total = nanMax(total, part[y][tx]);
    __syncthreads();
    part[ty][tx] = rescaleSum(s, m, total);
    __syncthreads();
    s = part[0][tx];
#pragma unroll
    for (int y = 1; y < Config::kThreadsY; ++y)
      s += part[y][tx];
  }
  const float norm = kLog ? logf(s) : 1.0f / s;
  if (valid)
    for (Index r = ty; r < p.r; r += Config::kThreadsY) {
      const Index row = o * p.r + r;
      store(p.output, row * p.inner + i,
            p.epilogue(softmaxValue<kLog>(p.loader(row, i), total, norm), row,
                       i));
    }
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE dim3
softmaxColumnsGrid(const SoftmaxParams<TO, Loader, Epilogue> &p) {
  return dim3(
      static_cast<unsigned>(ceilDiv(p.outer * p.inner, Config::kThreadsX)));
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE bool
canUseSoftmaxColumns(const SoftmaxParams<TO, Loader, Epilogue> &p) {
  return p.outer >= 1 && p.inner >= 1 && p.r >= 1 &&
         ceilDiv(p.outer * p.inner, Config::kThreadsX) <= 0x7fffffff;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_SOFTMAX_CUH
