//===- gemm_simt.cuh - fp32 SIMT GEMM (CUDA cores) -------------*- CUDA -*-===//
//
// C[b] = epilogue(A[b] x B[b]) in fp32 on the CUDA cores: the path of every
// fp32 kiln.matmul / kiln.linear, and the core of the fp32 implicit-GEMM
// convolution (conv_simt.cuh).
//
// Tiling. A block computes a kBlockM x kBlockN tile of C; its
// (kBlockM / kThreadM) x (kBlockN / kThreadN) threads each own a
// kThreadM x kThreadN register micro-tile. The K loop walks kBlockK-wide
// slices: every thread loads its share of the A slice (kBlockM x kBlockK)
// and of the B slice (kBlockK x kBlockN) into registers, stores them into
// shared memory k-major (sA[k][m], sB[k][n], rows padded by 4 floats against
// bank conflicts on the transposing store), then each thread does
// kThreadM * kThreadN FMAs per k from kThreadM + kThreadN shared reads.
// Shared memory is double-buffered: the global loads of slice t+1 are issued
// before the FMAs of slice t and stored into the other buffer after them, so
// one __syncthreads per slice suffices.
//
// Micro-tile placement: along each dim a thread owns groups of kVec (4 when
// the micro-tile dim is a multiple of 4) consecutive rows/columns, the
// groups kThreadsM * kVec (kThreadsN * kVec) apart, so shared reads are
// 16-byte vectors and a warp's stores of C cover contiguous columns.
//
// Operands. A is reached through an "A tile iterator" (the policy that lets
// the convolution reuse this core): per thread it is told, once, the GEMM
// rows of its load slots (`setRows(firstRow, step)`: slot s loads row
// firstRow + s * step, s < Config::kALoads), then, per K slice, the
// column of all its loads (`setK(k)`; every slot of a thread loads the same
// k) and returns elements with `load(slot)` (0 outside the matrix).
// SimtRowMajorTile is the dense one: [rows, K] row-major with a leading dim.
// B is dense: [K, N] row-major (kiln.matmul, kiln.linear) or, with
// kBTransposed, [N, K] row-major (kiln.linear transpose_weight, conv
// filters), both with a leading dim; the transposed case goes through
// SimtRowMajorTile too.
//
// Batches: blockIdx.z is the flattened batch b; operand offsets are
// (b / batchInner) * stride[0] + (b % batchInner) * stride[1] (two broadcast
// levels, a stride of 0 broadcasts; batchInner = 1 gives one level), C is
// dense with strideC.
//
// Preconditions: M, N >= 1 and K >= 0, any values (every load and store is
// predicated; K = 0 stores epilogue(0); an empty C must not be launched);
// grid.y = ceil(N / kBlockN) <= 65535 and batch <= 65535 (CUDA grid
// limits); canUseSimtGemm checks all of them. No alignment requirement: all
// global accesses are scalar. Element types float, __half, __nv_bfloat16 (loads
// convert to fp32; accumulation is fp32).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_GEMM_SIMT_CUH
#define KILN_CODEGEN_KERNELS_GEMM_SIMT_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

template <int BlockM, int BlockN, int BlockK, int ThreadM, int ThreadN>
struct SimtGemmConfig {
  static constexpr int kBlockM = BlockM;
  static constexpr int kBlockN = BlockN;
  static constexpr int kBlockK = BlockK;
  static constexpr int kThreadM = ThreadM;
  static constexpr int kThreadN = ThreadN;
  static constexpr int kThreadsM = BlockM / ThreadM;
  static constexpr int kThreadsN = BlockN / ThreadN;
  static constexpr int kThreads = kThreadsM * kThreadsN;
  /// Consecutive rows / columns a thread owns per group (vector width).
  static constexpr int kVecM =
      ThreadM % 4 == 0 ? 4 : (ThreadM % 2 == 0 ? 2 : 1);
  static constexpr int kVecN =
      ThreadN % 4 == 0 ? 4 : (ThreadN % 2 == 0 ? 2 : 1);
  /// Elements of the A and B slices each thread loads per K slice.
  static constexpr int kALoads = BlockM * BlockK / kThreads;
  static constexpr int kBLoads = BlockN * BlockK / kThreads;
  /// Shared row pitch (floats): padded against bank conflicts, 16-B aligned.
  static constexpr int kAPitch = BlockM + 4;
  static constexpr int kBPitch = BlockN + 4;
  static constexpr int kSharedBytes = 2 * BlockK * (kAPitch + kBPitch) * 4;

  static_assert(BlockM % ThreadM == 0 && BlockN % ThreadN == 0,
                "the micro-tile must divide the block tile");
  static_assert(kThreads % 32 == 0 && kThreads <= 1024,
                "whole warps, at most 1024 threads");
  static_assert(kThreads % BlockK == 0,
                "every A load slot of a thread must share one k");
  static_assert((BlockM * BlockK) % kThreads == 0 &&
                    (BlockN * BlockK) % kThreads == 0,
                "the slices must split evenly over the threads");
  static_assert(kSharedBytes <= 48 * 1024, "static shared memory limit");
};

/// 128x128x8 tiles, 8x8 micro-tiles, 256 threads, 16.5 KiB shared memory.
using DefaultSimtGemmConfig = SimtGemmConfig<128, 128, 8, 8, 8>;

/// Clamps a count of remaining rows/columns to int (the tile loops only
/// compare it with offsets below a block tile).
KILN_DEVICE int simtRemaining(Index extent, Index first) {
  Index left = extent - first;
  return left <= 0 ? 0
                   : (left > (1 << 30) ? (1 << 30) : static_cast<int>(left));
}

/// Dense A tile iterator: a [rows, cols] row-major matrix with leading
/// dim `ld` (elements). Slot s of the thread reads row firstRow + s * step.
template <typename T> struct SimtRowMajorTile {
  const T *base;
  Index ld, rows, cols;
  const T *first; // row firstRow
  Index step;     // rowStep * ld
  int rowStep, rowsLeft;
  Index k;
  bool kOk;

  KILN_DEVICE SimtRowMajorTile(const T *base, Index ld, Index rows, Index cols)
      : base(base), ld(ld), rows(rows), cols(cols), first(base), step(0),
        rowStep(0), rowsLeft(0), k(0), kOk(false) {}
  KILN_DEVICE void setRows(Index firstRow, int stepRows) {
    first = base + firstRow * ld;
    step = stepRows * ld;
    rowStep = stepRows;
    rowsLeft = simtRemaining(rows, firstRow);
  }
  KILN_DEVICE void setK(Index kk) {
    k = kk;
    kOk = kk < cols;
  }
  KILN_DEVICE float load(int slot) const {
    return slot * rowStep < rowsLeft && kOk
               ? kiln::kernels::load(first, k + slot * step)
               : 0.0f;
  }
};

/// Row of accumulator (i) / column (j) of a thread's micro-tile, relative to
/// the block tile.
template <class Config> KILN_DEVICE int simtTileRow(int threadRow, int i) {
  return (i / Config::kVecM) * (Config::kThreadsM * Config::kVecM) +
         threadRow * Config::kVecM + i % Config::kVecM;
}
template <class Config> KILN_DEVICE int simtTileCol(int threadCol, int j) {
  return (j / Config::kVecN) * (Config::kThreadsN * Config::kVecN) +
         threadCol * Config::kVecN + j % Config::kVecN;
}

/// The main loop: acc = A[blockRow.., :] x B[:, blockCol..] for the K
/// extent `k`. `a` is an A tile iterator over kALoads slots; `b` points at
/// B ([k, n] row-major, or [n, k] with kBTransposed) with leading dim `ldb`.
/// Every thread of the block must call it (it synchronises).
template <class Config, bool kBTransposed, class AIter, typename TB>
KILN_DEVICE void
simtGemmMainloop(AIter &a, const TB *b, Index ldb, Index n, Index k,
                 Index blockRow, Index blockCol,
                 float (&acc)[Config::kThreadM][Config::kThreadN]) {
  constexpr int BM = Config::kBlockM, BN = Config::kBlockN,
                BK = Config::kBlockK;
  constexpr int kRowStep = Config::kThreads / BK;
  KILN_SHARED(float, sA, [2][BK][Config::kAPitch]);
  KILN_SHARED(float, sB, [2][BK][Config::kBPitch]);

  const int tid = threadIdx.x;
  const int threadRow = tid / Config::kThreadsN;
  const int threadCol = tid % Config::kThreadsN;
  const int loadK = tid % BK;   // the k of every A (and [n, k] B) slot
  const int loadRow = tid / BK; // slot s loads row loadRow + s * kRowStep

#pragma unroll
  for (int i = 0; i < Config::kThreadM; ++i)
#pragma unroll
    for (int j = 0; j < Config::kThreadN; ++j)
      acc[i][j] = 0.0f;

  a.setRows(blockRow + loadRow, kRowStep);
  // B as a tile iterator when [n, k]; by (k, n) offsets when [k, n].
  SimtRowMajorTile<TB> bt(b, ldb, n, k);
  if constexpr (kBTransposed)
    bt.setRows(blockCol + loadRow, kRowStep);
  const TB *bBlock = b + blockCol;
  const int colsLeft = simtRemaining(n, blockCol);

  float ra[Config::kALoads], rb[Config::kBLoads];
  auto fetch = [&](Index k0) {
    a.setK(k0 + loadK);
#pragma unroll
    for (int s = 0; s < Config::kALoads; ++s)
      ra[s] = a.load(s);
    if constexpr (kBTransposed) {
      bt.setK(k0 + loadK);
#pragma unroll
      for (int s = 0; s < Config::kBLoads; ++s)
        rb[s] = bt.load(s);
    } else if constexpr (Config::kThreads % BN == 0) {
      // Every slot of the thread loads column tid % BN; slot s loads row
      // tid / BN + s * (kThreads / BN) of the slice.
      constexpr int kStep = Config::kThreads / BN;
      const int kk = tid / BN, nn = tid % BN;
      const TB *row = bBlock + (k0 + kk) * ldb + nn;
      const Index step = kStep * ldb;
      const int rowsLeft = nn < colsLeft ? simtRemaining(k, k0 + kk) : 0;
#pragma unroll
      for (int s = 0; s < Config::kBLoads; ++s)
        rb[s] = s * kStep < rowsLeft ? load(row, s * step) : 0.0f;
    } else {
#pragma unroll
      for (int s = 0; s < Config::kBLoads; ++s) {
        const int idx = tid + s * Config::kThreads;
        const int kk = idx / BN, nn = idx % BN;
        rb[s] = nn < colsLeft && k0 + kk < k
                    ? load(bBlock, (k0 + kk) * ldb + nn)
                    : 0.0f;
      }
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int s = 0; s < Config::kALoads; ++s)
      sA[buf][loadK][loadRow + s * kRowStep] = ra[s];
    if constexpr (kBTransposed) {
#pragma unroll
      for (int s = 0; s < Config::kBLoads; ++s)
        sB[buf][loadK][loadRow + s * kRowStep] = rb[s];
    } else {
#pragma unroll
      for (int s = 0; s < Config::kBLoads; ++s) {
        int idx = tid + s * Config::kThreads;
        sB[buf][idx / BN][idx % BN] = rb[s];
      }
    }
  };

  const Index tiles = ceilDiv(k, BK);
  if (tiles <= 0)
    return;
  fetch(0);
  stash(0);
  __syncthreads();
  for (Index tile = 0; tile < tiles; ++tile) {
    const int buf = static_cast<int>(tile & 1);
    const bool more = tile + 1 < tiles;
    if (more)
      fetch((tile + 1) * BK);
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float fa[Config::kThreadM], fb[Config::kThreadN];
#pragma unroll
      for (int i = 0; i < Config::kThreadM; ++i)
        fa[i] = sA[buf][kk][simtTileRow<Config>(threadRow, i)];
#pragma unroll
      for (int j = 0; j < Config::kThreadN; ++j)
        fb[j] = sB[buf][kk][simtTileCol<Config>(threadCol, j)];
#pragma unroll
      for (int i = 0; i < Config::kThreadM; ++i)
#pragma unroll
        for (int j = 0; j < Config::kThreadN; ++j)
          acc[i][j] = fmaf(fa[i], fb[j], acc[i][j]);
    }
    if (more)
      stash(buf ^ 1);
    __syncthreads();
  }
  (void)BM;
}

template <typename TA, typename TB, typename TC, typename Epilogue>
struct SimtGemmParams {
  const TA *a; // [batch..., m, k], row-major rows with leading dim lda
  const TB *b; // [k, n] (or [n, k] with kBTransposed), leading dim ldb
  TC *c;       // [batch, m, n], leading dim ldc
  Index m, n, k;
  Index batch;      // flattened batch count (>= 1)
  Index batchInner; // b -> (b / batchInner, b % batchInner); 1: one level
  Index strideA[2]; // element offset per outer / inner batch step; 0 = bcast
  Index strideB[2];
  Index strideC; // per flattened batch
  Index lda, ldb, ldc;
  Epilogue epilogue; // float(float acc, Index batch, Index row, Index col)
};

KILN_HOST_DEVICE Index simtBatchOffset(const Index (&stride)[2], Index batch,
                                       Index inner) {
  return (batch / inner) * stride[0] + (batch % inner) * stride[1];
}

/// The kernel body: grid simtGemmGrid<Config>(p), block Config::kThreads.
template <class Config, bool kBTransposed, typename TA, typename TB,
          typename TC, typename Epilogue>
KILN_DEVICE void simtGemm(const SimtGemmParams<TA, TB, TC, Epilogue> &p) {
  const Index batch = blockIdx.z;
  const Index blockRow = static_cast<Index>(blockIdx.x) * Config::kBlockM;
  const Index blockCol = static_cast<Index>(blockIdx.y) * Config::kBlockN;
  const TA *a = p.a + simtBatchOffset(p.strideA, batch, p.batchInner);
  const TB *b = p.b + simtBatchOffset(p.strideB, batch, p.batchInner);
  TC *c = p.c + batch * p.strideC;

  SimtRowMajorTile<TA> aTile(a, p.lda, p.m, p.k);
  float acc[Config::kThreadM][Config::kThreadN];
  simtGemmMainloop<Config, kBTransposed>(aTile, b, p.ldb, p.n, p.k, blockRow,
                                         blockCol, acc);

  const int tid = threadIdx.x;
  const int threadRow = tid / Config::kThreadsN;
  const int threadCol = tid % Config::kThreadsN;
#pragma unroll
  for (int i = 0; i < Config::kThreadM; ++i) {
    Index row = blockRow + simtTileRow<Config>(threadRow, i);
    if (row >= p.m)
      continue;
#pragma unroll
    for (int j = 0; j < Config::kThreadN; ++j) {
      Index col = blockCol + simtTileCol<Config>(threadCol, j);
      if (col < p.n)
        store(c, row * p.ldc + col, p.epilogue(acc[i][j], batch, row, col));
    }
  }
}

/// Grid of simtGemm: x = M tiles, y = N tiles, z = batch.
template <class Config, typename TA, typename TB, typename TC,
          typename Epilogue>
KILN_HOST_DEVICE dim3
simtGemmGrid(const SimtGemmParams<TA, TB, TC, Epilogue> &p) {
  return dim3(static_cast<unsigned>(ceilDiv(p.m, Config::kBlockM)),
              static_cast<unsigned>(ceilDiv(p.n, Config::kBlockN)),
              static_cast<unsigned>(p.batch));
}

/// Whether the problem fits the grid limits of simtGemmGrid.
template <class Config, typename TA, typename TB, typename TC,
          typename Epilogue>
KILN_HOST_DEVICE bool
canUseSimtGemm(const SimtGemmParams<TA, TB, TC, Epilogue> &p) {
  return p.m >= 1 && p.n >= 1 && p.k >= 0 && p.batch >= 1 &&
         p.batchInner >= 1 && ceilDiv(p.m, Config::kBlockM) <= 0x7fffffff &&
         ceilDiv(p.n, Config::kBlockN) <= 65535 && p.batch <= 65535;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_GEMM_SIMT_CUH
