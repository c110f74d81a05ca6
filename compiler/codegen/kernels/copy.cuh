//===- copy.cuh - Transpose, slice, concat, gather -------------*- CUDA -*-===//
//
// kiln.transpose, kiln.slice, kiln.concat, kiln.gather and
// kiln.gather_elements. No arithmetic: elements are moved bit for bit, so
// every template takes any trivially copyable element type T (float, __half,
// __nv_bfloat16, int64_t, int32_t, int8_t, bool, ...), and results are exact.
//
// Kernels (each a `__device__` body over a Params struct, with a grid helper
// and a host-and-device builder that fills the Params from shapes):
//  - stridedCopy: output[i] = input[inOffset + sum_d idx_d(i) * inStrides[d]]
//    over a contiguous row-major output of rank <= kCopyMaxRank. Slices
//    (strides scaled by the steps, negative for negative steps, offset at
//    the first element) and transposes that keep the innermost dim are this
//    copy. One unit per thread and item, units consecutive across a block's
//    threads (coalesced stores, and coalesced loads when the innermost input
//    stride is 1). A unit is a 16-, 8- or 4-byte vector of consecutive
//    elements when the innermost input stride is 1, the innermost extent and
//    every other input stride are multiples of the vector's elements, and
//    both base pointers are aligned to it; the kernel checks this at run time
//    (stridedCopyVectorBytes, the grid helper uses the same function) and
//    falls back to scalar elements. The builder drops extent-1 dims and
//    merges dims that are contiguous in the input, so a permutation such as
//    [0, 2, 3, 1] of NCHW becomes a batched 2-D transpose, and a slice of
//    whole rows one long copy.
//  - transposeTiled: a transpose whose innermost output dim is not the
//    innermost input dim, as a batch of 2-D transposes (the builder reduces
//    any permutation to that: "rows" = the output's innermost dim, "cols" =
//    the input's innermost dim, every other dim a batch dim addressed
//    through strides). A block moves one kTile x kTile tile: threads read
//    rows of the tile (contiguous in the input), write them to shared
//    memory, barrier, and write columns of it as rows of the output
//    (contiguous there). The tile row is padded (one element, or one 32-bit
//    word for 1- and 2-byte types) so the column reads hit distinct banks.
//    blockIdx.x walks the tiles, blockIdx.y the batch (both grid-stride, so
//    any grid is correct and a batch over 65535 is fine). Uses
//    __syncthreads: NOT barrier-free.
//  - concat: up to kConcatMaxInputs inputs in one launch. Viewed as
//    [outer, row] matrices (row = extent along the axis * inner extent),
//    input k fills the columns [colBegin[k], colBegin[k] + inputCols[k]) of
//    every output row. Each thread finds its input with an unrolled scan.
//    More inputs: one launch per group of 8, each writing its columns
//    (makeConcatParams takes the group's first axis offset). Vectorized as
//    above when every input's row, offset and pointer allow it.
//  - gather: output [outer, count, inner] from data [outer, axisSize, inner]
//    with count = number of indices (any index shape, i64 or i32).
//    Vectorized along inner.
//  - gatherElements: output = indices' shape, data addressed by the
//    output's multi-index with the axis coordinate replaced by the index.
//
// Indices (gather, gatherElements): negative ones count from the end of the
// axis, as the evaluator does. An index still outside [0, axisSize) is an
// error in the evaluator; the kernels then clamp it into range (so never
// read out of bounds; axisSize 0 skips the element) and, when
// `Params::error` is not null, set *error = 1 (atomicExch). The host zeroes
// the flag before the launch and reads it after; the output is then
// unspecified-but-in-bounds data.
//
// Barrier-free kernels (LaunchConfig::barrierFree is legal): stridedCopy
// (hence slice and non-tiled transpose), concat, gather, gatherElements.
// transposeTiled is not.
//
// Launch: block = Config::kThreads threads (1-D), grid from the `...Grid`
// helper (always at least one block: an empty tensor launches a block that
// does nothing). Index = long long everywhere; extents may exceed 2^31.
//
// Preconditions: tensors contiguous row-major (the Params describe views, so
// the emitter may pass other strides to stridedCopy); rank <= kCopyMaxRank;
// output not aliasing input. No alignment precondition (vector widths are
// chosen at run time).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_COPY_CUH
#define KILN_CODEGEN_KERNELS_COPY_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

/// Highest rank of a copy (transpose, slice, gather_elements).
constexpr int kCopyMaxRank = 6;
/// Inputs of one concat launch.
constexpr int kConcatMaxInputs = 8;

/// Element-wise copies (stridedCopy, concat, gather, gatherElements).
template <int Threads, int Items>
using CopyConfig = ItemsConfig<Threads, Items>;
using DefaultCopyConfig = CopyConfig<256, 4>;

/// Tiled transpose: kTile x kTile tiles, kThreads = kTile * kRows threads,
/// each moving kTile / kRows elements of a tile column per phase.
template <int Tile, int Rows> struct TransposeConfig {
  static constexpr int kTile = Tile;
  static constexpr int kRows = Rows;
  static constexpr int kThreads = Tile * Rows;
  static_assert(Tile == 32 || Tile == 64, "tile of 32 or 64");
  static_assert(Rows >= 1 && Tile % Rows == 0, "rows divide the tile");
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps");
};
using DefaultTransposeConfig = TransposeConfig<32, 8>;

// ---- Shared helpers ----

template <int kBytes> struct CopyVector;
template <> struct CopyVector<16> {
  using type = uint4;
};
template <> struct CopyVector<8> {
  using type = uint2;
};
template <> struct CopyVector<4> {
  using type = unsigned;
};

/// Copies one unit: a kBytes vector, or (kBytes == 0) one element.
template <int kBytes, typename T>
KILN_DEVICE void copyUnit(T *dst, const T *src) {
  if constexpr (kBytes == 0) {
    *dst = *src;
  } else {
    using V = typename CopyVector<kBytes>::type;
    *reinterpret_cast<V *>(dst) = *reinterpret_cast<const V *>(src);
  }
}

/// Elements per unit for a vector of kBytes (1 for scalar units).
template <int kBytes, typename T>
KILN_HOST_DEVICE constexpr Index unitElements() {
  return kBytes == 0 ? 1 : kBytes / static_cast<int>(sizeof(T));
}

KILN_HOST_DEVICE bool copyAligned(const void *p, int bytes) {
  return reinterpret_cast<unsigned long long>(p) % bytes == 0;
}

/// Whether a vector of `bytes` can hold whole elements of T and is wider
/// than one (else the scalar path is as good).
template <typename T> KILN_HOST_DEVICE bool copyVectorUseful(int bytes) {
  return bytes > static_cast<int>(sizeof(T)) &&
         bytes % static_cast<int>(sizeof(T)) == 0;
}

/// a / b for 0 <= a and 0 < b, in 32 bits when both fit (on the GPU a
/// 64-bit division is a long subroutine, a 32-bit one a few instructions).
KILN_DEVICE Index copyDiv(Index a, Index b) {
  if (((static_cast<unsigned long long>(a) |
        static_cast<unsigned long long>(b)) >>
       32) == 0)
    return static_cast<unsigned>(a) / static_cast<unsigned>(b);
  return a / b;
}

/// Blocks for `units` units at kThreads * kItems per block: at least 1, at
/// most 2^31 - 1 (the kernels loop over the grid).
template <class Config> KILN_HOST_DEVICE unsigned copyBlocks(Index units) {
  Index blocks =
      ceilDiv(units, static_cast<Index>(Config::kThreads) * Config::kItems);
  if (blocks < 1)
    blocks = 1;
  if (blocks > 0x7fffffffLL)
    blocks = 0x7fffffffLL;
  return static_cast<unsigned>(blocks);
}

/// Calls `f(u)` for every unit u < `units` this thread owns: Config::kItems
/// units per thread in each block's pass (a block covers kThreads * kItems
/// consecutive units, threads interleaved for coalescing), blocks striding
/// over the grid. The loop of every copy kernel.
template <class Config, typename F>
KILN_DEVICE void forEachUnit(Index units, const F &f) {
  const Index perBlock = static_cast<Index>(Config::kThreads) * Config::kItems;
  for (Index base = static_cast<Index>(blockIdx.x) * perBlock; base < units;
       base += static_cast<Index>(gridDim.x) * perBlock) {
#pragma unroll
    for (int item = 0; item < Config::kItems; ++item) {
      const Index u =
          base + static_cast<Index>(item) * Config::kThreads + threadIdx.x;
      if (u >= units)
        break;
      f(u);
    }
  }
}

/// The width (bytes) a vectorized copy moves per access, as a type.
template <int Bytes> struct VectorBytes {
  static constexpr int kBytes = Bytes;
};

/// Runs `body(VectorBytes<B>())` with B the run-time width `bytes` when it
/// is 16, 8 or 4 and a multiple of sizeof(T) wider than it, else with B = 0
/// (one element per access). Every copy kernel dispatches through it.
template <typename T, typename Body>
KILN_DEVICE void withVectorBytes(int bytes, const Body &body) {
  if constexpr (sizeof(T) < 16 && 16 % sizeof(T) == 0)
    if (bytes == 16)
      return body(VectorBytes<16>());
  if constexpr (sizeof(T) < 8 && 8 % sizeof(T) == 0)
    if (bytes == 8)
      return body(VectorBytes<8>());
  if constexpr (sizeof(T) < 4 && 4 % sizeof(T) == 0)
    if (bytes == 4)
      return body(VectorBytes<4>());
  body(VectorBytes<0>());
}

/// Elements per access at width `bytes` (0: one).
template <typename T> KILN_HOST_DEVICE Index elementsPerAccess(int bytes) {
  return bytes == 0 ? 1 : bytes / static_cast<int>(sizeof(T));
}

// ===----------------------------------------------------------------------===
// Strided copy (slice, transpose keeping the innermost dim)
// ===----------------------------------------------------------------------===

/// dims/inStrides are right-aligned in kCopyMaxRank slots: a rank-r copy
/// uses slots [kCopyMaxRank - r, kCopyMaxRank); leading slots have extent 1
/// and stride 0 (makeStridedCopy fills them so).
template <typename T> struct StridedCopyParams {
  const T *input; // element at output index 0 is input[inOffset]
  T *output;      // contiguous row-major over dims
  Index inOffset;
  Index dims[kCopyMaxRank];      // output extents
  Index inStrides[kCopyMaxRank]; // input element stride per output dim
};

template <typename T>
KILN_HOST_DEVICE Index stridedCopyElements(const StridedCopyParams<T> &p) {
  Index n = 1;
#pragma unroll
  for (int d = 0; d < kCopyMaxRank; ++d)
    n *= p.dims[d];
  return n;
}

/// The vector width of the copy's units in bytes (16, 8, 4), or 0 for
/// scalar elements.
template <typename T>
KILN_HOST_DEVICE int stridedCopyVectorBytes(const StridedCopyParams<T> &p) {
  constexpr int last = kCopyMaxRank - 1;
  if (p.inStrides[last] != 1)
    return 0;
  for (int bytes = 16; bytes >= 4; bytes /= 2) {
    if (!copyVectorUseful<T>(bytes))
      continue;
    const Index v = bytes / static_cast<int>(sizeof(T));
    bool ok = p.dims[last] % v == 0 &&
              copyAligned(p.input + p.inOffset, bytes) &&
              copyAligned(p.output, bytes);
#pragma unroll
    for (int d = 0; d < last; ++d)
      ok = ok && p.inStrides[d] % v == 0;
    if (ok)
      return bytes;
  }
  return 0;
}

template <class Config, int kBytes, typename T>
KILN_DEVICE void stridedCopyUnits(const StridedCopyParams<T> &p) {
  constexpr Index v = unitElements<kBytes, T>();
  constexpr int last = kCopyMaxRank - 1;
  const Index innerUnits = p.dims[last] / v;
  const Index units = stridedCopyElements(p) / v;
  forEachUnit<Config>(units, [&](Index u) {
    // Innermost slot in units; its input stride is 1 when vectorized.
    Index q = copyDiv(u, innerUnits);
    Index src = p.inOffset + (u - q * innerUnits) * v * p.inStrides[last];
#pragma unroll
    for (int d = last - 1; d > 0; --d) {
      if (p.dims[d] != 1) {
        Index next = copyDiv(q, p.dims[d]);
        src += (q - next * p.dims[d]) * p.inStrides[d];
        q = next;
      }
    }
    src += q * p.inStrides[0];
    copyUnit<kBytes>(p.output + u * v, p.input + src);
  });
}

/// The kernel body: grid stridedCopyGrid<Config>(p), block Config::kThreads.
/// Barrier-free.
template <class Config, typename T>
KILN_DEVICE void stridedCopy(const StridedCopyParams<T> &p) {
  withVectorBytes<T>(stridedCopyVectorBytes(p), [&](auto width) {
    stridedCopyUnits<Config, decltype(width)::kBytes>(p);
  });
}

template <class Config, typename T>
KILN_HOST_DEVICE dim3 stridedCopyGrid(const StridedCopyParams<T> &p) {
  const Index v = elementsPerAccess<T>(stridedCopyVectorBytes(p));
  return dim3(copyBlocks<Config>(stridedCopyElements(p) / v));
}

/// A strided copy of rank `rank` (0..kCopyMaxRank; dims are the output's
/// extents, inStrides the input's element strides per output dim), with
/// extent-1 dims dropped and dims contiguous in the input merged (d with
/// d + 1 when inStrides[d] == inStrides[d + 1] * dims[d + 1]).
template <typename T>
KILN_HOST_DEVICE StridedCopyParams<T>
makeStridedCopy(const T *input, T *output, int rank, const Index *dims,
                const Index *inStrides, Index inOffset = 0) {
  StridedCopyParams<T> p;
  p.input = input;
  p.output = output;
  p.inOffset = inOffset;
  Index outDims[kCopyMaxRank], outStrides[kCopyMaxRank];
  int n = 0;
  bool empty = false;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] == 0)
      empty = true;
    if (dims[d] == 1)
      continue;
    if (n > 0 && outStrides[n - 1] == inStrides[d] * dims[d]) {
      outDims[n - 1] *= dims[d];
      outStrides[n - 1] = inStrides[d];
    } else {
      outDims[n] = dims[d];
      outStrides[n] = inStrides[d];
      ++n;
    }
  }
  if (empty) { // nothing to copy; keep the kernel's loop empty
    n = 1;
    outDims[0] = 0;
    outStrides[0] = 1;
    p.inOffset = 0;
  }
  for (int d = 0; d < kCopyMaxRank; ++d) {
    int from = d - (kCopyMaxRank - n);
    p.dims[d] = from >= 0 ? outDims[from] : 1;
    p.inStrides[d] = from >= 0 ? outStrides[from] : 0;
  }
  return p;
}

// ---- Slice ----

/// kiln.slice's bound normalization (Python's): negative bounds count from
/// the end, then clamp to [lo, hi]; the INT64_MIN sentinel clamps to lo.
KILN_HOST_DEVICE Index sliceClampBound(Index bound, Index size, Index lo,
                                       Index hi) {
  constexpr Index kMin = -0x7fffffffffffffffLL - 1;
  if (bound < 0)
    bound = bound <= kMin + size ? lo : bound + size;
  return bound < lo ? lo : bound > hi ? hi : bound;
}

/// First index taken by start:end:step over a dim of `size`.
KILN_HOST_DEVICE Index sliceFirst(Index size, Index start, Index step) {
  return step > 0 ? sliceClampBound(start, size, 0, size)
                  : sliceClampBound(start, size, -1, size - 1);
}

/// Length of start:end:step over a dim of `size` (as ShapeRules'
/// slicedLength).
KILN_HOST_DEVICE Index sliceLength(Index size, Index start, Index end,
                                   Index step) {
  if (step > 0) {
    Index s = sliceClampBound(start, size, 0, size),
          e = sliceClampBound(end, size, 0, size);
    return e > s ? (e - s + step - 1) / step : 0;
  }
  Index s = sliceClampBound(start, size, -1, size - 1),
        e = sliceClampBound(end, size, -1, size - 1);
  return s > e ? (s - e + (-step) - 1) / (-step) : 0;
}

/// kiln.slice of a contiguous row-major `input` of `shape` (rank <=
/// kCopyMaxRank) with the op's starts/ends/steps (omitted bounds as the
/// dialect's sentinels), into a contiguous `output`.
template <typename T>
KILN_HOST_DEVICE StridedCopyParams<T>
makeSliceCopy(const T *input, T *output, int rank, const Index *shape,
              const Index *starts, const Index *ends, const Index *steps) {
  Index dims[kCopyMaxRank], strides[kCopyMaxRank];
  Index offset = 0, stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    dims[d] = sliceLength(shape[d], starts[d], ends[d], steps[d]);
    strides[d] = stride * steps[d];
    if (dims[d] > 0)
      offset += sliceFirst(shape[d], starts[d], steps[d]) * stride;
    stride *= shape[d];
  }
  return makeStridedCopy(input, output, rank, dims, strides, offset);
}

// ===----------------------------------------------------------------------===
// Transpose
// ===----------------------------------------------------------------------===

/// A batch of 2-D transposes: element (b, r, c) moves from
/// input[inBase(b) + r * inRowStride + c] to
/// output[outBase(b) + c * outColStride + r]. Batch dims are right-aligned
/// in kCopyMaxRank - 2 slots (extent 1, strides 0 when unused).
template <typename T> struct TransposeTileParams {
  const T *input;
  T *output;
  Index rows;         // extent of the output's innermost dim
  Index cols;         // extent of the input's innermost dim
  Index inRowStride;  // input stride along rows
  Index outColStride; // output stride along cols
  Index batch;        // product of batchDims
  Index batchDims[kCopyMaxRank - 2];
  Index batchInStrides[kCopyMaxRank - 2];
  Index batchOutStrides[kCopyMaxRank - 2];
};

/// Shared-memory row padding (elements): one element, or one 32-bit word for
/// 1- and 2-byte elements, so a tile column spans distinct banks.
template <typename T> KILN_HOST_DEVICE constexpr int transposeTilePad() {
  return sizeof(T) >= 4 ? 1 : static_cast<int>(4 / sizeof(T));
}

/// Static shared memory of transposeTiled (bytes).
template <class Config, typename T>
KILN_HOST_DEVICE constexpr int transposeTileSharedBytes() {
  return Config::kTile * (Config::kTile + transposeTilePad<T>()) *
         static_cast<int>(sizeof(T));
}

/// The kernel body: grid transposeTiledGrid<Config>(p), block
/// Config::kThreads. Uses __syncthreads (not barrier-free).
template <class Config, typename T>
KILN_DEVICE void transposeTiled(const TransposeTileParams<T> &p) {
  constexpr int kTile = Config::kTile, kRows = Config::kRows;
  constexpr int kBatchRank = kCopyMaxRank - 2;
  KILN_SHARED(T, tile, [kTile][kTile + transposeTilePad<T>()]);
  const Index tilesC = ceilDiv(p.cols, kTile);
  const Index tiles = ceilDiv(p.rows, kTile) * tilesC;
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  // Grid-stride over tiles and batch, so a launch sized by a formula that
  // does not know the plan's merged dims is still right.
  for (Index t = blockIdx.x; t < tiles; t += gridDim.x) {
    const Index tileRow = t / tilesC;
    const Index c0 = (t - tileRow * tilesC) * kTile;
    const Index r0 = tileRow * kTile;
    for (Index b = blockIdx.y; b < p.batch; b += gridDim.y) {
      Index inBase = 0, outBase = 0, q = b;
#pragma unroll
      for (int d = kBatchRank - 1; d >= 0; --d) {
        if (p.batchDims[d] != 1) {
          Index next = copyDiv(q, p.batchDims[d]);
          Index i = q - next * p.batchDims[d];
          inBase += i * p.batchInStrides[d];
          outBase += i * p.batchOutStrides[d];
          q = next;
        }
      }
      // Rows of the tile, contiguous in the input.
#pragma unroll
      for (int k = ty; k < kTile; k += kRows) {
        const Index r = r0 + k, c = c0 + tx;
        if (r < p.rows && c < p.cols)
          tile[k][tx] = p.input[inBase + r * p.inRowStride + c];
      }
      __syncthreads();
      // Columns of the tile, contiguous in the output.
#pragma unroll
      for (int k = ty; k < kTile; k += kRows) {
        const Index c = c0 + k, r = r0 + tx;
        if (r < p.rows && c < p.cols)
          p.output[outBase + c * p.outColStride + r] = tile[tx][k];
      }
      __syncthreads(); // the next batch element overwrites the tile
    }
  }
}

template <class Config, typename T>
KILN_HOST_DEVICE dim3 transposeTiledGrid(const TransposeTileParams<T> &p) {
  Index tiles = ceilDiv(p.rows, Config::kTile) * ceilDiv(p.cols, Config::kTile);
  Index batch = p.batch < 1 ? 1 : p.batch > 65535 ? 65535 : p.batch;
  return dim3(static_cast<unsigned>(tiles < 1 ? 1 : tiles),
              static_cast<unsigned>(batch));
}

/// How to run one kiln.transpose: `tiled` picks transposeTiled(tile), else
/// stridedCopy(copy). `tiled` is only ever true when the innermost input dim
/// (extent > 1) moves; it is decided after dropping extent-1 dims.
template <typename T> struct TransposePlan {
  bool tiled;
  StridedCopyParams<T> copy;
  TransposeTileParams<T> tile;
};

/// kiln.transpose of a contiguous row-major `input` of `shape` (rank <=
/// kCopyMaxRank): output dim i is input dim perm[i].
template <typename T>
KILN_HOST_DEVICE TransposePlan<T>
makeTransposePlan(const T *input, T *output, int rank, const Index *shape,
                  const Index *perm) {
  Index inStrides[kCopyMaxRank], dims[kCopyMaxRank], strides[kCopyMaxRank];
  Index s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    inStrides[d] = s;
    s *= shape[d];
  }
  for (int i = 0; i < rank; ++i) {
    dims[i] = shape[perm[i]];
    strides[i] = inStrides[perm[i]];
  }
  TransposePlan<T> plan;
  plan.copy = makeStridedCopy(input, output, rank, dims, strides);
  plan.tiled = false;
  plan.tile = TransposeTileParams<T>();
  const StridedCopyParams<T> &c = plan.copy;
  constexpr int last = kCopyMaxRank - 1;
  int colSlot = -1;
  for (int d = 0; d < last; ++d)
    if (c.dims[d] != 1 && c.inStrides[d] == 1)
      colSlot = d;
  if (c.inStrides[last] == 1 || colSlot < 0 || stridedCopyElements(c) <= 1)
    return plan;
  // Output strides of the coalesced dims.
  Index outStrides[kCopyMaxRank];
  s = 1;
  for (int d = last; d >= 0; --d) {
    outStrides[d] = s;
    s *= c.dims[d];
  }
  plan.tiled = true;
  TransposeTileParams<T> &t = plan.tile;
  t.input = input;
  t.output = output;
  t.rows = c.dims[last];
  t.inRowStride = c.inStrides[last];
  t.cols = c.dims[colSlot];
  t.outColStride = outStrides[colSlot];
  int n = 0;
  Index bDims[kCopyMaxRank], bIn[kCopyMaxRank], bOut[kCopyMaxRank];
  for (int d = 0; d < last; ++d) {
    if (d == colSlot || c.dims[d] == 1)
      continue;
    bDims[n] = c.dims[d];
    bIn[n] = c.inStrides[d];
    bOut[n] = outStrides[d];
    ++n;
  }
  t.batch = 1;
  for (int d = 0; d < kCopyMaxRank - 2; ++d) {
    int from = d - (kCopyMaxRank - 2 - n);
    t.batchDims[d] = from >= 0 ? bDims[from] : 1;
    t.batchInStrides[d] = from >= 0 ? bIn[from] : 0;
    t.batchOutStrides[d] = from >= 0 ? bOut[from] : 0;
    t.batch *= t.batchDims[d];
  }
  return plan;
}

// ===----------------------------------------------------------------------===
// Concat
// ===----------------------------------------------------------------------===

/// Output viewed as [outer, outCols]; input k as [outer, inputCols[k]],
/// written to output columns [colBegin[k], colBegin[k] + inputCols[k]).
template <typename T> struct ConcatParams {
  const T *inputs[kConcatMaxInputs];
  Index inputCols[kConcatMaxInputs]; // axis extent * inner extent
  Index colBegin[kConcatMaxInputs];  // axis offset * inner extent
  int numInputs;                     // 1..kConcatMaxInputs
  Index outer;                       // product of the dims before the axis
  Index outCols;                     // output axis extent * inner extent
  Index launchCols;                  // sum of inputCols
  T *output;
};

template <typename T>
KILN_HOST_DEVICE int concatVectorBytes(const ConcatParams<T> &p) {
  for (int bytes = 16; bytes >= 4; bytes /= 2) {
    if (!copyVectorUseful<T>(bytes))
      continue;
    const Index v = bytes / static_cast<int>(sizeof(T));
    bool ok = p.outCols % v == 0 && copyAligned(p.output, bytes);
#pragma unroll
    for (int k = 0; k < kConcatMaxInputs; ++k)
      if (k < p.numInputs)
        ok = ok && p.inputCols[k] % v == 0 && p.colBegin[k] % v == 0 &&
             copyAligned(p.inputs[k], bytes);
    if (ok)
      return bytes;
  }
  return 0;
}

template <class Config, int kBytes, typename T>
KILN_DEVICE void concatUnits(const ConcatParams<T> &p) {
  constexpr Index v = unitElements<kBytes, T>();
  const Index rowUnits = p.launchCols / v;
  const Index units = p.outer * rowUnits;
  forEachUnit<Config>(units, [&](Index u) {
    const Index row = copyDiv(u, rowUnits);
    const Index col = (u - row * rowUnits) * v; // in elements
    const T *src = p.inputs[0];
    Index srcCols = p.inputCols[0], local = col, dstCol = p.colBegin[0] + col;
    Index start = p.inputCols[0];
#pragma unroll
    for (int k = 1; k < kConcatMaxInputs; ++k) {
      if (k < p.numInputs && col >= start) {
        src = p.inputs[k];
        srcCols = p.inputCols[k];
        local = col - start;
        dstCol = p.colBegin[k] + local;
      }
      if (k < p.numInputs)
        start += p.inputCols[k];
    }
    copyUnit<kBytes>(p.output + row * p.outCols + dstCol,
                     src + row * srcCols + local);
  });
}

/// The kernel body: grid concatGrid<Config>(p), block Config::kThreads.
/// Barrier-free.
template <class Config, typename T>
KILN_DEVICE void concat(const ConcatParams<T> &p) {
  withVectorBytes<T>(concatVectorBytes(p), [&](auto width) {
    concatUnits<Config, decltype(width)::kBytes>(p);
  });
}

template <class Config, typename T>
KILN_HOST_DEVICE dim3 concatGrid(const ConcatParams<T> &p) {
  const Index v = elementsPerAccess<T>(concatVectorBytes(p));
  return dim3(copyBlocks<Config>(p.outer * (p.launchCols / v)));
}

/// One concat launch over inputs [0, numInputs) (numInputs <=
/// kConcatMaxInputs) of a kiln.concat whose output has `outShape` (rank
/// dims) and `axis`: input k has extent axisExtents[k] along the axis and
/// lands at axis offset firstAxisOffset + sum of the previous extents. For
/// more inputs, one launch per group, firstAxisOffset = the extents of the
/// groups before.
template <typename T>
KILN_HOST_DEVICE ConcatParams<T>
makeConcatParams(T *output, int rank, const Index *outShape, int axis,
                 int numInputs, const T *const *inputs,
                 const Index *axisExtents, Index firstAxisOffset = 0) {
  ConcatParams<T> p;
  Index inner = 1;
  p.outer = 1;
  for (int d = 0; d < rank; ++d) {
    if (d < axis)
      p.outer *= outShape[d];
    if (d > axis)
      inner *= outShape[d];
  }
  p.outCols = outShape[axis] * inner;
  p.output = output;
  p.numInputs = numInputs;
  p.launchCols = 0;
  Index offset = firstAxisOffset;
  for (int k = 0; k < kConcatMaxInputs; ++k) {
    bool used = k < numInputs;
    p.inputs[k] = used ? inputs[k] : inputs[0];
    p.inputCols[k] = used ? axisExtents[k] * inner : 0;
    p.colBegin[k] = used ? offset * inner : 0;
    if (used) {
      offset += axisExtents[k];
      p.launchCols += p.inputCols[k];
    }
  }
  return p;
}

// ===----------------------------------------------------------------------===
// Gather
// ===----------------------------------------------------------------------===

/// kiln.gather: output [outer, count, inner] from data [outer, axisSize,
/// inner]; index j of the (flattened) indices picks data row indices[j].
template <typename T, typename TI> struct GatherParams {
  const T *data;
  const TI *indices; // int64_t or int32_t
  T *output;
  Index outer;    // product of data dims before the axis
  Index axisSize; // data extent along the axis
  Index count;    // number of indices
  Index inner;    // product of data dims after the axis
  int *error;     // nullable: set to 1 on an out-of-range index
};

/// An index into [0, size): negative counts from the end; out of range
/// clamps (to -1 when size == 0: nothing to read) and raises `error`.
template <typename TI>
KILN_DEVICE Index gatherIndex(TI raw, Index size, int *error) {
  Index i = static_cast<Index>(raw);
  if (i < 0)
    i += size;
  if (i < 0 || i >= size) {
    if (error)
      atomicExch(error, 1);
    i = i < 0 ? 0 : size - 1;
    if (size == 0)
      i = -1;
  }
  return i;
}

template <typename T, typename TI>
KILN_HOST_DEVICE int gatherVectorBytes(const GatherParams<T, TI> &p) {
  for (int bytes = 16; bytes >= 4; bytes /= 2) {
    if (!copyVectorUseful<T>(bytes))
      continue;
    const Index v = bytes / static_cast<int>(sizeof(T));
    if (p.inner % v == 0 && copyAligned(p.data, bytes) &&
        copyAligned(p.output, bytes))
      return bytes;
  }
  return 0;
}

template <class Config, int kBytes, typename T, typename TI>
KILN_DEVICE void gatherUnits(const GatherParams<T, TI> &p) {
  constexpr Index v = unitElements<kBytes, T>();
  const Index innerUnits = p.inner / v;
  const Index units = p.outer * p.count * innerUnits;
  forEachUnit<Config>(units, [&](Index u) {
    Index q = copyDiv(u, innerUnits);
    const Index i = (u - q * innerUnits) * v;
    const Index o = copyDiv(q, p.count);
    const Index j = q - o * p.count;
    const Index at = gatherIndex(p.indices[j], p.axisSize, p.error);
    if (at < 0)
      return;
    copyUnit<kBytes>(p.output + u * v,
                     p.data + (o * p.axisSize + at) * p.inner + i);
  });
}

/// The kernel body: grid gatherGrid<Config>(p), block Config::kThreads.
/// Barrier-free.
template <class Config, typename T, typename TI>
KILN_DEVICE void gather(const GatherParams<T, TI> &p) {
  withVectorBytes<T>(gatherVectorBytes(p), [&](auto width) {
    gatherUnits<Config, decltype(width)::kBytes>(p);
  });
}

template <class Config, typename T, typename TI>
KILN_HOST_DEVICE dim3 gatherGrid(const GatherParams<T, TI> &p) {
  const Index v = elementsPerAccess<T>(gatherVectorBytes(p));
  return dim3(copyBlocks<Config>(p.outer * p.count * (p.inner / v)));
}

/// kiln.gather of `data` (dataShape, rank dims) along `axis` with
/// `indexCount` indices (their shape does not matter).
template <typename T, typename TI>
KILN_HOST_DEVICE GatherParams<T, TI>
makeGatherParams(const T *data, const TI *indices, T *output, int rank,
                 const Index *dataShape, int axis, Index indexCount,
                 int *error = nullptr) {
  GatherParams<T, TI> p;
  p.data = data;
  p.indices = indices;
  p.output = output;
  p.outer = 1;
  p.inner = 1;
  for (int d = 0; d < rank; ++d) {
    if (d < axis)
      p.outer *= dataShape[d];
    if (d > axis)
      p.inner *= dataShape[d];
  }
  p.axisSize = dataShape[axis];
  p.count = indexCount;
  p.error = error;
  return p;
}

// ---- Gather elements ----

/// kiln.gather_elements: output (shape = indices' shape, right-aligned in
/// dims) element at multi-index m reads data[sum_{d != axis} m_d *
/// dataStrides[d] + index(m) * axisStride].
template <typename T, typename TI> struct GatherElementsParams {
  const T *data;
  const TI *indices; // same shape as the output
  T *output;
  Index dims[kCopyMaxRank];        // indices' shape, right-aligned, 1-padded
  Index dataStrides[kCopyMaxRank]; // data strides, 0 at the axis and padding
  Index axisSize;
  Index axisStride;
  int *error; // nullable: set to 1 on an out-of-range index
};

template <typename T, typename TI>
KILN_HOST_DEVICE Index
gatherElementsCount(const GatherElementsParams<T, TI> &p) {
  Index n = 1;
#pragma unroll
  for (int d = 0; d < kCopyMaxRank; ++d)
    n *= p.dims[d];
  return n;
}

/// The kernel body: grid gatherElementsGrid<Config>(p), block
/// Config::kThreads. Barrier-free. Scalar units.
template <class Config, typename T, typename TI>
KILN_DEVICE void gatherElements(const GatherElementsParams<T, TI> &p) {
  const Index units = gatherElementsCount(p);
  forEachUnit<Config>(units, [&](Index u) {
    Index q = u, src = 0;
#pragma unroll
    for (int d = kCopyMaxRank - 1; d > 0; --d) {
      if (p.dims[d] != 1) {
        Index next = copyDiv(q, p.dims[d]);
        src += (q - next * p.dims[d]) * p.dataStrides[d];
        q = next;
      }
    }
    src += q * p.dataStrides[0];
    const Index at = gatherIndex(p.indices[u], p.axisSize, p.error);
    if (at < 0)
      return;
    p.output[u] = p.data[src + at * p.axisStride];
  });
}

template <class Config, typename T, typename TI>
KILN_HOST_DEVICE dim3 gatherElementsGrid(const GatherElementsParams<T, TI> &p) {
  return dim3(copyBlocks<Config>(gatherElementsCount(p)));
}

/// kiln.gather_elements of `data` (dataShape) with indices of indexShape
/// (same rank <= kCopyMaxRank, each dim but the axis <= data's).
template <typename T, typename TI>
KILN_HOST_DEVICE GatherElementsParams<T, TI>
makeGatherElementsParams(const T *data, const TI *indices, T *output, int rank,
                         const Index *dataShape, const Index *indexShape,
                         int axis, int *error = nullptr) {
  GatherElementsParams<T, TI> p;
  p.data = data;
  p.indices = indices;
  p.output = output;
  p.error = error;
  Index stride = 1;
  p.axisSize = dataShape[axis];
  p.axisStride = 1;
  for (int d = kCopyMaxRank - 1; d >= 0; --d) {
    int from = d - (kCopyMaxRank - rank);
    p.dims[d] = from >= 0 ? indexShape[from] : 1;
    p.dataStrides[d] = from >= 0 && from != axis ? stride : 0;
    if (from == axis)
      p.axisStride = stride;
    if (from >= 0)
      stride *= dataShape[from];
  }
  return p;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_COPY_CUH
