//===- reduce.cuh - Row and column reductions, argmax / argmin -*- CUDA -*-===//
//
// kiln.reduce_sum / reduce_mean / reduce_max / reduce_min / reduce_prod and
// kiln.argmax / argmin over floating-point storage. Any reduction over a set
// of *contiguous* axes of a row-major tensor is a reduction of the tensor
// viewed as [outer, R, inner] over the middle dim (non-contiguous axes need a
// transpose first, or two reductions). Two kernels cover it:
//
//  - Row case (inner == 1): `reduceRows<RowConfig, Op>`. A group of
//    Config::kThreadsPerRow threads (a power of two: a few lanes, a warp, or
//    several warps up to the whole block) reduces one row. Each thread keeps
//    kItems independent accumulators (loads in flight) over the columns
//    lane, lane + kThreadsPerRow, ... (coalesced), combines them, and the
//    group reduces with xor shuffles; groups wider than a warp finish through
//    shared memory (one slot per warp) and a barrier. A block holds
//    kRowsPerBlock = kThreads / kThreadsPerRow rows. Small R: few lanes or a
//    warp per row; large R: a block per row.
//  - Column case (inner > 1): `reduceColumns<ColumnConfig, Op>`. Threads
//    along x take consecutive output elements (o, i) (coalesced: consecutive
//    i are consecutive addresses); kThreadsY threads along y split R and
//    combine through shared memory.
//
// Every thread of a block reaches every barrier and shuffle (rows or
// columns past the end are computed on padding and not stored).
//
// Semantics (those of the reference evaluator, which computes in double and
// rounds once): fp32 accumulation; max / min propagate NaN (a NaN anywhere
// in the reduced set gives NaN, unlike fmaxf); mean = sum / R, so R == 0
// gives sum 0, prod 1 and mean NaN (0/0); max / min / argmax / argmin need
// R >= 1 (the evaluator rejects an empty set; canUse... checks it).
// argmax / argmin give the first index of the extreme value, or the last
// with selectLast; NaN counts as the extreme in both directions (numpy), so
// the first (last) NaN wins. +0 and -0 tie.
// Sum of squares and L1 / L2 norms are not kiln ops; they are a reduce_sum
// with the square / abs fused into the loader and a sqrt in the epilogue.
//
// Functors:
//  - loader `float operator()(Index row, Index col) const` reads the input
//    as a row-major matrix: [outer, R] in the row case (row = o, col = r),
//    [outer * R, inner] in the column case (row = o * R + r, col = i).
//    `MatrixLoader<T>` is the plain load `data[row * ld + col]`.
//  - epilogue `float operator()(float value, Index o, Index i) const` on the
//    finalized result, stored at output[o * inner + i] (not for arg ops,
//    whose output is int64).
//
// Preconditions: storage float / __half / __nv_bfloat16 (integer reductions
// are not covered), no alignment requirement, the grid fits in gridDim.x
// (canUse...).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_REDUCE_CUH
#define KILN_CODEGEN_KERNELS_REDUCE_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

// ---- Configurations ----

/// A group of Threads / RowsPerBlock threads per row. Items: independent
/// accumulators per thread (reductions), or elements per thread cached in
/// registers (softmax, norms: rows up to kCapacity are read once).
template <int Threads, int RowsPerBlock, int Items> struct RowConfig {
  static constexpr int kThreads = Threads;
  static constexpr int kRowsPerBlock = RowsPerBlock;
  static constexpr int kThreadsPerRow = Threads / RowsPerBlock;
  static constexpr int kItems = Items;
  static constexpr int kWarps = Threads / 32;
  static constexpr int kCapacity = kThreadsPerRow * Items;
  static_assert(Threads % 32 == 0 && Threads <= 1024, "whole warps");
  static_assert(Threads % RowsPerBlock == 0, "rows split the block evenly");
  static_assert(kThreadsPerRow >= 1 &&
                    (kThreadsPerRow & (kThreadsPerRow - 1)) == 0,
                "threads per row: a power of two");
  static_assert(Items >= 1, "at least one item per thread");
};

/// Threads along x (output elements, coalesced) times threads along y
/// (splitting the reduced dim).
template <int ThreadsX, int ThreadsY> struct ColumnConfig {
  static constexpr int kThreadsX = ThreadsX;
  static constexpr int kThreadsY = ThreadsY;
  static constexpr int kThreads = ThreadsX * ThreadsY;
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps");
};

/// A warp per row, 4 accumulators per thread.
using DefaultReduceRowConfig = RowConfig<256, 8, 4>;
/// A block per row (R in the thousands and few rows).
using BlockReduceRowConfig = RowConfig<256, 1, 4>;
using DefaultReduceColumnConfig = ColumnConfig<32, 8>;

// ---- Combine operators (fp32) ----

KILN_DEVICE float negativeInfinity() { return -__int_as_float(0x7f800000); }
KILN_DEVICE float positiveInfinity() { return __int_as_float(0x7f800000); }
/// max / min that propagate NaN (fmaxf / fminf drop it).
KILN_DEVICE float nanMax(float a, float b) { return a > b || a != a ? a : b; }
KILN_DEVICE float nanMin(float a, float b) { return a < b || a != a ? a : b; }

struct ReduceSum {
  static KILN_DEVICE float identity() { return 0.0f; }
  static KILN_DEVICE float combine(float a, float b) { return a + b; }
  static KILN_DEVICE float finalize(float acc, Index) { return acc; }
};
struct ReduceMean {
  static KILN_DEVICE float identity() { return 0.0f; }
  static KILN_DEVICE float combine(float a, float b) { return a + b; }
  static KILN_DEVICE float finalize(float acc, Index count) {
    return acc / static_cast<float>(count);
  }
};
struct ReduceMax {
  static KILN_DEVICE float identity() { return negativeInfinity(); }
  static KILN_DEVICE float combine(float a, float b) { return nanMax(a, b); }
  static KILN_DEVICE float finalize(float acc, Index) { return acc; }
};
struct ReduceMin {
  static KILN_DEVICE float identity() { return positiveInfinity(); }
  static KILN_DEVICE float combine(float a, float b) { return nanMin(a, b); }
  static KILN_DEVICE float finalize(float acc, Index) { return acc; }
};
struct ReduceProd {
  static KILN_DEVICE float identity() { return 1.0f; }
  static KILN_DEVICE float combine(float a, float b) { return a * b; }
  static KILN_DEVICE float finalize(float acc, Index) { return acc; }
};

// ---- Loaders ----

/// The input itself: element (row, col) of a row-major matrix with leading
/// dimension `ld` (R in the row case, inner in the column case).
template <typename T> struct MatrixLoader {
  const T *data;
  Index ld;
  KILN_DEVICE float operator()(Index row, Index col) const {
    return load(data, row * ld + col);
  }
};

// ---- Group reduction ----

/// Reduces `v` over the group of `Group` consecutive threads (a power of
/// two) holding it; every thread of the group gets the result, bitwise the
/// same (xor butterfly, then the warps' partials combined in warp order).
/// Groups wider than a warp use `scratch` (one float per warp of the block)
/// and two barriers, so every thread of the block must call it.
template <int Group, class Op>
KILN_DEVICE float groupReduce(float v, float *scratch) {
  if constexpr (Group <= 32) {
#pragma unroll
    for (int offset = Group / 2; offset > 0; offset >>= 1)
      v = Op::combine(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
  } else {
    constexpr int kWarpsPerGroup = Group / 32;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
      v = Op::combine(v, __shfl_xor_sync(0xffffffffu, v, offset));
    const int warp = threadIdx.x / 32;
    if (threadIdx.x % 32 == 0)
      scratch[warp] = v;
    __syncthreads();
    const int first = warp / kWarpsPerGroup * kWarpsPerGroup;
    float r = scratch[first];
#pragma unroll
    for (int w = 1; w < kWarpsPerGroup; ++w)
      r = Op::combine(r, scratch[first + w]);
    __syncthreads(); // scratch is reused by the next reduction
    return r;
  }
}

// ---- Reductions ----

template <typename TO, typename Loader, typename Epilogue> struct ReduceParams {
  Loader loader; // float(row, col): [outer, R] (rows) or [outer*R, inner]
  TO *output;    // [outer, inner], row-major
  Index outer, r, inner;
  Epilogue epilogue; // float(float value, Index o, Index i)
};

/// Row case (inner == 1): grid reduceRowsGrid<Config>(p), block
/// Config::kThreads.
template <class Config, class Op, typename TO, typename Loader,
          typename Epilogue>
KILN_DEVICE void reduceRows(const ReduceParams<TO, Loader, Epilogue> &p) {
  KILN_SHARED(float, scratch, [Config::kWarps]);
  constexpr int kGroup = Config::kThreadsPerRow;
  const int lane = threadIdx.x % kGroup;
  const Index row = static_cast<Index>(blockIdx.x) * Config::kRowsPerBlock +
                    threadIdx.x / kGroup;
  const bool valid = row < p.outer;
  float acc[Config::kItems];
#pragma unroll
  for (int k = 0; k < Config::kItems; ++k)
    acc[k] = Op::identity();
  if (valid) {
    for (Index base = lane; base < p.r;
         base += static_cast<Index>(kGroup) * Config::kItems) {
#pragma unroll
      for (int k = 0; k < Config::kItems; ++k) {
        const Index col = base + static_cast<Index>(k) * kGroup;
        if (col < p.r)
          acc[k] = Op::combine(acc[k], p.loader(row, col));
      }
    }
  }
  float v = acc[0];
#pragma unroll
  for (int k = 1; k < Config::kItems; ++k)
    v = Op::combine(v, acc[k]);
  v = groupReduce<kGroup, Op>(v, scratch);
  if (valid && lane == 0)
    store(p.output, row, p.epilogue(Op::finalize(v, p.r), row, 0));
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE dim3
reduceRowsGrid(const ReduceParams<TO, Loader, Epilogue> &p) {
  return dim3(static_cast<unsigned>(ceilDiv(p.outer, Config::kRowsPerBlock)));
}

/// `needsNonEmpty`: max / min (R == 0 has no value).
template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE bool
canUseReduceRows(const ReduceParams<TO, Loader, Epilogue> &p,
                 bool needsNonEmpty) {
  return p.inner == 1 && p.outer >= 1 && p.r >= (needsNonEmpty ? 1 : 0) &&
         ceilDiv(p.outer, Config::kRowsPerBlock) <= 0x7fffffff;
}

/// Column case (any inner, meant for inner > 1): grid
/// reduceColumnsGrid<Config>(p), block Config::kThreads.
template <class Config, class Op, typename TO, typename Loader,
          typename Epilogue>
KILN_DEVICE void reduceColumns(const ReduceParams<TO, Loader, Epilogue> &p) {
  KILN_SHARED(float, part, [Config::kThreadsY][Config::kThreadsX]);
  const int tx = threadIdx.x % Config::kThreadsX;
  const int ty = threadIdx.x / Config::kThreadsX;
  const Index column = static_cast<Index>(blockIdx.x) * Config::kThreadsX + tx;
  const bool valid = column < p.outer * p.inner;
  const Index o = valid ? column / p.inner : 0;
  const Index i = column - o * p.inner;
  float acc = Op::identity();
  if (valid)
    for (Index r = ty; r < p.r; r += Config::kThreadsY)
      acc = Op::combine(acc, p.loader(o * p.r + r, i));
  if constexpr (Config::kThreadsY > 1) {
    part[ty][tx] = acc;
    __syncthreads();
    if (ty == 0) {
#pragma unroll
      for (int y = 1; y < Config::kThreadsY; ++y)
        acc = Op::combine(acc, part[y][tx]);
    }
  }
  if (valid && ty == 0)
    store(p.output, column, p.epilogue(Op::finalize(acc, p.r), o, i));
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE dim3
reduceColumnsGrid(const ReduceParams<TO, Loader, Epilogue> &p) {
  return dim3(
      static_cast<unsigned>(ceilDiv(p.outer * p.inner, Config::kThreadsX)));
}

template <class Config, typename TO, typename Loader, typename Epilogue>
KILN_HOST_DEVICE bool
canUseReduceColumns(const ReduceParams<TO, Loader, Epilogue> &p,
                    bool needsNonEmpty) {
  return p.outer >= 1 && p.inner >= 1 && p.r >= (needsNonEmpty ? 1 : 0) &&
         ceilDiv(p.outer * p.inner, Config::kThreadsX) <= 0x7fffffff;
}

// ---- argmax / argmin ----

template <typename Loader> struct ArgReduceParams {
  Loader loader;     // as ReduceParams
  long long *output; // [outer, inner] indices along R
  Index outer, r, inner;
  bool selectLast; // ties give the last index instead of the first
};

/// Whether candidate (av, ai) beats (bv, bi): index -1 is "nothing yet";
/// NaN beats numbers; among equals the lower (selectLast: higher) index.
template <bool kMax>
KILN_DEVICE bool argBetter(float av, Index ai, float bv, Index bi,
                           bool selectLast) {
  if (ai < 0)
    return false;
  if (bi < 0)
    return true;
  const bool aNan = av != av, bNan = bv != bv;
  if (aNan != bNan)
    return aNan;
  if (!aNan && av != bv)
    return kMax ? av > bv : av < bv;
  return selectLast ? ai > bi : ai < bi;
}

template <bool kMax>
KILN_DEVICE void argCombine(float &v, Index &i, float ov, Index oi,
                            bool selectLast) {
  if (argBetter<kMax>(ov, oi, v, i, selectLast)) {
    v = ov;
    i = oi;
  }
}

/// argReduce over a group of `Group` threads (as groupReduce); scratch
/// holds one value and one index per warp.
template <int Group, bool kMax>
KILN_DEVICE void groupArgReduce(float &v, Index &i, float *scratchV,
                                Index *scratchI, bool selectLast) {
  constexpr int kFirst = Group < 32 ? Group / 2 : 16;
#pragma unroll
  for (int offset = kFirst; offset > 0; offset >>= 1) {
    float ov = __shfl_xor_sync(0xffffffffu, v, offset);
    Index oi = __shfl_xor_sync(0xffffffffu, i, offset);
    argCombine<kMax>(v, i, ov, oi, selectLast);
  }
  if constexpr (Group > 32) {
    constexpr int kWarpsPerGroup = Group / 32;
    const int warp = threadIdx.x / 32;
    if (threadIdx.x % 32 == 0) {
      scratchV[warp] = v;
      scratchI[warp] = i;
    }
    __syncthreads();
    const int first = warp / kWarpsPerGroup * kWarpsPerGroup;
    v = scratchV[first];
    i = scratchI[first];
#pragma unroll
    for (int w = 1; w < kWarpsPerGroup; ++w)
      argCombine<kMax>(v, i, scratchV[first + w], scratchI[first + w],
                       selectLast);
    __syncthreads();
  }
}

/// Row case of argmax (kMax) / argmin: grid reduceRowsGrid-like
/// (argReduceRowsGrid), block Config::kThreads. kItems is not used.
template <class Config, bool kMax, typename Loader>
KILN_DEVICE void argReduceRows(const ArgReduceParams<Loader> &p) {
  KILN_SHARED(float, scratchV, [Config::kWarps]);
  KILN_SHARED(Index, scratchI, [Config::kWarps]);
  constexpr int kGroup = Config::kThreadsPerRow;
  const int lane = threadIdx.x % kGroup;
  const Index row = static_cast<Index>(blockIdx.x) * Config::kRowsPerBlock +
                    threadIdx.x / kGroup;
  const bool valid = row < p.outer;
  float v = 0.0f;
  Index i = -1;
  if (valid)
    for (Index col = lane; col < p.r; col += kGroup)
      argCombine<kMax>(v, i, p.loader(row, col), col, p.selectLast);
  groupArgReduce<kGroup, kMax>(v, i, scratchV, scratchI, p.selectLast);
  if (valid && lane == 0)
    p.output[row] = i;
}

template <class Config, typename Loader>
KILN_HOST_DEVICE dim3 argReduceRowsGrid(const ArgReduceParams<Loader> &p) {
  return dim3(static_cast<unsigned>(ceilDiv(p.outer, Config::kRowsPerBlock)));
}

/// Column case of argmax / argmin: grid argReduceColumnsGrid, block
/// Config::kThreads.
template <class Config, bool kMax, typename Loader>
KILN_DEVICE void argReduceColumns(const ArgReduceParams<Loader> &p) {
  KILN_SHARED(float, partV, [Config::kThreadsY][Config::kThreadsX]);
  KILN_SHARED(Index, partI, [Config::kThreadsY][Config::kThreadsX]);
  const int tx = threadIdx.x % Config::kThreadsX;
  const int ty = threadIdx.x / Config::kThreadsX;
  const Index column = static_cast<Index>(blockIdx.x) * Config::kThreadsX + tx;
  const bool valid = column < p.outer * p.inner;
  const Index o = valid ? column / p.inner : 0;
  const Index i = column - o * p.inner;
  float v = 0.0f;
  Index best = -1;
  if (valid)
    for (Index r = ty; r < p.r; r += Config::kThreadsY)
      argCombine<kMax>(v, best, p.loader(o * p.r + r, i), r, p.selectLast);
  if constexpr (Config::kThreadsY > 1) {
    partV[ty][tx] = v;
    partI[ty][tx] = best;
    __syncthreads();
    if (ty == 0) {
#pragma unroll
      for (int y = 1; y < Config::kThreadsY; ++y)
        argCombine<kMax>(v, best, partV[y][tx], partI[y][tx], p.selectLast);
    }
  }
  if (valid && ty == 0)
    p.output[column] = best;
}

template <class Config, typename Loader>
KILN_HOST_DEVICE dim3 argReduceColumnsGrid(const ArgReduceParams<Loader> &p) {
  return dim3(
      static_cast<unsigned>(ceilDiv(p.outer * p.inner, Config::kThreadsX)));
}

template <class Config, typename Loader>
KILN_HOST_DEVICE bool canUseArgReduceRows(const ArgReduceParams<Loader> &p) {
  return p.outer >= 1 && p.inner == 1 && p.r >= 1 &&
         ceilDiv(p.outer, Config::kRowsPerBlock) <= 0x7fffffff;
}

template <class Config, typename Loader>
KILN_HOST_DEVICE bool canUseArgReduceColumns(const ArgReduceParams<Loader> &p) {
  return p.outer >= 1 && p.inner >= 1 && p.r >= 1 &&
         ceilDiv(p.outer * p.inner, Config::kThreadsX) <= 0x7fffffff;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_REDUCE_CUH
