//===- gemm.cuh - Tensor-core GEMM (fp16 / bf16, fp32 accumulate) -*- CUDA
//-*-===//
//
// C[b] = epilogue(A[b] x B[b]) with A, B in fp16 or bf16 and fp32
// accumulation on the tensor cores (mma.sync m16n8k16): the path of every
// fp16/bf16 kiln.matmul / kiln.linear, and the core of the implicit-GEMM
// convolution (conv.cuh).
//
// Tiling. A block computes a kBlockM x kBlockN tile of C with
// (kBlockM / kWarpM) x (kBlockN / kWarpN) warps; a warp owns a
// kWarpM x kWarpN sub-tile, i.e. (kWarpM / 16) x (kWarpN / 8) mma tiles
// whose fp32 accumulators stay in registers (4 per mma tile per thread).
// The K loop walks kBlockK-wide slices through a kStages-deep ring of
// shared-memory stages filled by 16-byte cp.async (the multistage pipeline:
// the copies of slice t + kStages - 1 are in flight while slice t is
// multiplied; one cp.async group per slice, `cp.async.wait_group
// kStages - 2` plus one __syncthreads per slice).
//
// Shared memory (dynamic, gemmSharedBytes<Config, T>() bytes) per stage:
//  - A: kBlockM rows x kBlockK (k contiguous);
//  - B: kBlockN rows x kBlockK when B is [N, K] ("kBTransposed"), or
//    kBlockK rows x kBlockN when B is [K, N] (row-major, kiln.matmul).
// Rows are not padded: the 16-byte chunks of a row are XOR-swizzled
// (gemmSwizzle) so that the 8 row addresses of each ldmatrix phase hit 8
// different bank groups. Fragments: A by ldmatrix.x4 (one 16x16 mma A tile),
// B by ldmatrix.x4 (two 16x8 mma B tiles), with .trans for row-major B.
//
// Operands are reached through "tile iterators" (the policy that lets the
// convolution plug its im2col in, see conv.cuh). An iterator over a
// GEMM operand viewed as [rows, K] (A; and B when kBTransposed) is told,
// once, the rows of its thread's load slots (`setRow(slot, row)`), then per
// K slice the first k of the thread's 8-element chunk (`setK(k)`, the same
// for every slot), and `copy(slot, dst)` puts elements (row, k .. k+7) into
// 16-byte aligned shared memory, zero outside the matrix. GemmRowMajorTile
// is the dense one. When the operand is 16-byte aligned (base pointer, and
// the leading dim a multiple of 8 elements) it issues one cp.async with
// zero fill (`kiln_cp_async_cg_zfill`) per chunk, else (odd leading dims,
// misaligned views) it falls back to predicated element loads stored to
// shared memory: the choice is made at run time, per operand, so any
// pointer and leading dim is correct. Row-major B ([K, N]) goes through
// GemmRowMajorBTile, the same idea along N.
//
// Batches and split-K: blockIdx.z = batch * splitK + split. Operand offsets
// are (b / batchInner) * stride[0] + (b % batchInner) * stride[1] (two
// broadcast levels as numpy matmul broadcasting needs; a stride of 0
// broadcasts), C is dense per batch with strideC. With splitK == 1 the
// epilogue runs in the main kernel. With splitK > 1 the K slices are
// divided among splitK blocks, each writes its fp32 partial tile to
// `workspace` ([batch][splitK][M][N]), and gemmSplitKReduce sums the
// partials in split order (deterministic) and applies the epilogue.
//
// Epilogue: `float operator()(float acc, Index batch, Index row, Index col)`
// (common.cuh), result stored converted to OutT (float, __half, bf16). The
// two adjacent columns of an mma C fragment are stored as one __half2 /
// __nv_bfloat162 / float2 when the address is aligned to it (two scalar
// stores otherwise, e.g. an odd ldc).
//
// Preconditions (canUseGemm checks them): T is __half or __nv_bfloat16;
// M, N >= 1, K >= 0; ceil(N / kBlockN) <= 65535 and batch * splitK <= 65535
// (grid limits); splitK >= 1, and a workspace of gemmWorkspaceBytes(p) when
// splitK > 1; sm_80+. No alignment precondition (see the fallback above);
// the launch needs gemmSharedBytes<Config, T>() bytes of dynamic shared
// memory (every config here is <= 48 KiB; larger ones need the
// cudaFuncAttributeMaxDynamicSharedMemorySize opt-in).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_GEMM_CUH
#define KILN_CODEGEN_KERNELS_GEMM_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

template <int BlockM, int BlockN, int BlockK, int WarpM, int WarpN, int Stages>
struct GemmConfig {
  static constexpr int kBlockM = BlockM;
  static constexpr int kBlockN = BlockN;
  static constexpr int kBlockK = BlockK;
  static constexpr int kWarpM = WarpM;
  static constexpr int kWarpN = WarpN;
  static constexpr int kStages = Stages;
  static constexpr int kWarpsM = BlockM / WarpM;
  static constexpr int kWarpsN = BlockN / WarpN;
  static constexpr int kWarps = kWarpsM * kWarpsN;
  static constexpr int kThreads = kWarps * 32;
  /// mma tiles per warp.
  static constexpr int kMmaM = WarpM / 16;
  static constexpr int kMmaN = WarpN / 8;
  /// 16-byte chunks (8 elements) per shared row.
  static constexpr int kChunksK = BlockK / 8; // A, and [N, K] B
  static constexpr int kChunksN = BlockN / 8; // [K, N] B
  /// Chunks each thread copies per stage.
  static constexpr int kALoads = BlockM * kChunksK / kThreads;
  static constexpr int kBLoads = BlockN * kChunksK / kThreads;
  /// Elements per stage of A and of B.
  static constexpr int kStageA = BlockM * BlockK;
  static constexpr int kStageB = BlockN * BlockK;

  static_assert(BlockM % WarpM == 0 && BlockN % WarpN == 0,
                "the warp tile must divide the block tile");
  static_assert(WarpM % 16 == 0 && WarpN % 16 == 0,
                "warp tile: multiples of 16 (x4 ldmatrix loads)");
  static_assert(BlockK % 16 == 0 && (kChunksK & (kChunksK - 1)) == 0,
                "block K: 16, 32, 64 or 128");
  static_assert((kChunksN & (kChunksN - 1)) == 0,
                "block N: 8 times a power of two");
  static_assert(Stages >= 2, "at least two pipeline stages");
  static_assert(Stages * (kStageA + kStageB) * 2 <= 227 * 1024,
                "shared memory per block (16-bit elements) over 227 KiB");
  static_assert(kThreads <= 1024, "at most 1024 threads");
  static_assert(kThreads % kChunksK == 0 && kThreads % kChunksN == 0,
                "a thread's chunks must share one k (or one n)");
  static_assert((BlockM * kChunksK) % kThreads == 0 &&
                    (BlockN * kChunksK) % kThreads == 0,
                "the tiles must split evenly over the threads");
};

/// 128x128x32 tiles, 8 warps of 64x32, 3 stages: 48 KiB of shared memory
/// (no opt-in), 64 fp32 accumulators per thread.
using DefaultGemmConfig = GemmConfig<128, 128, 32, 64, 32, 3>;

/// Threads per block of gemmSplitKReduce.
constexpr int kGemmReduceThreads = 256;

/// Dynamic shared memory of gemm / conv2d for element type T.
template <class Config, typename T>
KILN_HOST_DEVICE constexpr int gemmSharedBytes() {
  return Config::kStages * (Config::kStageA + Config::kStageB) *
         static_cast<int>(sizeof(T));
}

/// Physical 16-byte chunk of logical chunk `chunk` in row `row` of a shared
/// tile with `kChunks` chunks per row (a power of two). Rows of fewer than 8
/// chunks share a 128-byte line; XOR-ing with the row's line index keeps the
/// 8 rows read by one ldmatrix phase in 8 distinct bank groups.
template <int kChunks> KILN_DEVICE int gemmSwizzle(int row, int chunk) {
  constexpr int kRowsPerLine = kChunks >= 8 ? 1 : 8 / kChunks;
  constexpr int kMask = kChunks >= 8 ? 7 : kChunks - 1;
  return chunk ^ ((row / kRowsPerLine) & kMask);
}

/// The mma of an element type.
template <typename T> struct GemmMma;
template <> struct GemmMma<__half> {
  static KILN_DEVICE void apply(float d[4], const unsigned a[4],
                                const unsigned b[2]) {
    kiln_mma_m16n8k16_f16(d, a, b, d);
  }
};
template <> struct GemmMma<__nv_bfloat16> {
  static KILN_DEVICE void apply(float d[4], const unsigned a[4],
                                const unsigned b[2]) {
    kiln_mma_m16n8k16_bf16(d, a, b, d);
  }
};

KILN_DEVICE bool gemmAligned16(const void *p) {
  return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

/// Dense tile iterator: a [rows, cols] row-major matrix with leading dim
/// `ld`, cols = the GEMM's K, as seen by one thread's kSlots load slots.
template <typename T, int kSlots> struct GemmRowMajorTile {
  const T *base;
  Index ld, rows, cols;
  Index rowOffset[kSlots];
  bool rowOk[kSlots];
  Index k;
  bool vec; // cp.async path: base 16-byte aligned, ld % 8 == 0

  KILN_DEVICE GemmRowMajorTile(const T *base, Index ld, Index rows, Index cols)
      : base(base), ld(ld), rows(rows), cols(cols), k(0),
        vec(gemmAligned16(base) && ld % 8 == 0) {}
  KILN_DEVICE void setRow(int slot, Index row) {
    rowOk[slot] = row < rows;
    rowOffset[slot] = row * ld;
  }
  KILN_DEVICE void setK(Index kk) { k = kk; }
  KILN_DEVICE void copy(int slot, T *dst) const {
    Index valid = rowOk[slot] ? cols - k : 0;
    valid = valid < 0 ? 0 : (valid > 8 ? 8 : valid);
    if (vec) {
      const T *src = valid > 0 ? base + rowOffset[slot] + k : base;
      kiln_cp_async_cg_zfill(dst, src,
                             static_cast<unsigned>(valid * sizeof(T)));
    } else {
#pragma unroll
      for (int i = 0; i < 8; ++i)
        dst[i] = i < valid ? base[rowOffset[slot] + k + i] : fromFloat<T>(0.0f);
    }
  }
};

/// Row-major B ([K, N] with leading dim ld): each thread copies the chunk
/// of columns n .. n+7 (fixed) of kSlots rows k per slice.
template <typename T> struct GemmRowMajorBTile {
  const T *base;
  Index ld, rows, cols; // rows = K, cols = N
  Index n;
  bool vec;

  KILN_DEVICE GemmRowMajorBTile(const T *base, Index ld, Index rows, Index cols)
      : base(base), ld(ld), rows(rows), cols(cols), n(0),
        vec(gemmAligned16(base) && ld % 8 == 0) {}
  KILN_DEVICE void setCol(Index col) { n = col; }
  KILN_DEVICE void copy(Index k, T *dst) const {
    Index valid = k < rows ? cols - n : 0;
    valid = valid < 0 ? 0 : (valid > 8 ? 8 : valid);
    if (vec) {
      const T *src = valid > 0 ? base + k * ld + n : base;
      kiln_cp_async_cg_zfill(dst, src,
                             static_cast<unsigned>(valid * sizeof(T)));
    } else {
#pragma unroll
      for (int i = 0; i < 8; ++i)
        dst[i] = i < valid ? base[k * ld + n + i] : fromFloat<T>(0.0f);
    }
  }
};

/// Accumulators of one thread: [mma row][mma col][4] (mma C fragment).
template <class Config>
using GemmAccumulators = float[Config::kMmaM][Config::kMmaN][4];

/// The main loop: acc = A[blockRow.., k slices] x B[k slices, blockCol..]
/// over K slices [tileBegin, tileEnd) (each kBlockK wide). `a` is a tile
/// iterator over kALoads slots; `b` a tile iterator over kBLoads slots
/// (kBTransposed) or a GemmRowMajorBTile. The iterators bound K. Every
/// thread of the block must call it (it synchronises).
template <class Config, bool kBTransposed, typename T, class AIter, class BIter>
KILN_DEVICE void gemmMainloop(AIter &a, BIter &b, Index blockRow,
                              Index blockCol, Index tileBegin, Index tileEnd,
                              GemmAccumulators<Config> &acc) {
  constexpr int BK = Config::kBlockK, BN = Config::kBlockN;
  constexpr int kChunksK = Config::kChunksK, kChunksN = Config::kChunksN;
  constexpr int kStages = Config::kStages;
  KILN_DYNAMIC_SHARED(unsigned char, kilnGemmShared);
  T *const sA = reinterpret_cast<T *>(kilnGemmShared);
  T *const sB = sA + kStages * Config::kStageA;

  const int tid = threadIdx.x;
  const int lane = tid % 32, warp = tid / 32;
  const int warpRow = warp / Config::kWarpsN, warpCol = warp % Config::kWarpsN;

#pragma unroll
  for (int i = 0; i < Config::kMmaM; ++i)
#pragma unroll
    for (int j = 0; j < Config::kMmaN; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc[i][j][e] = 0.0f;

  // Load slots: A (and [N, K] B) slot s is row loadRow + s * kRowStep,
  // chunk loadChunk; [K, N] B slot s is k row bRow + s * kBRowStep, column
  // chunk bChunk.
  constexpr int kRowStep = Config::kThreads / kChunksK;
  const int loadChunk = tid % kChunksK, loadRow = tid / kChunksK;
  constexpr int kBRowStep = Config::kThreads / kChunksN;
  constexpr int kBRowLoads = BK * kChunksN / Config::kThreads;
  const int bChunk = tid % kChunksN, bRow = tid / kChunksN;
#pragma unroll
  for (int s = 0; s < Config::kALoads; ++s)
    a.setRow(s, blockRow + loadRow + s * kRowStep);
  if constexpr (kBTransposed) {
#pragma unroll
    for (int s = 0; s < Config::kBLoads; ++s)
      b.setRow(s, blockCol + loadRow + s * kRowStep);
  } else {
    b.setCol(blockCol + bChunk * 8);
  }

  auto loadStage = [&](Index tile, int stage) {
    const Index k0 = tile * BK;
    T *stA = sA + stage * Config::kStageA;
    T *stB = sB + stage * Config::kStageB;
    a.setK(k0 + loadChunk * 8);
#pragma unroll
    for (int s = 0; s < Config::kALoads; ++s) {
      int r = loadRow + s * kRowStep;
      a.copy(s, stA + r * BK + gemmSwizzle<kChunksK>(r, loadChunk) * 8);
    }
    if constexpr (kBTransposed) {
      b.setK(k0 + loadChunk * 8);
#pragma unroll
      for (int s = 0; s < Config::kBLoads; ++s) {
        int r = loadRow + s * kRowStep;
        b.copy(s, stB + r * BK + gemmSwizzle<kChunksK>(r, loadChunk) * 8);
      }
    } else {
#pragma unroll
      for (int s = 0; s < kBRowLoads; ++s) {
        int r = bRow + s * kBRowStep;
        b.copy(k0 + r, stB + r * BN + gemmSwizzle<kChunksN>(r, bChunk) * 8);
      }
    }
  };

  // Prologue: slices tileBegin .. tileBegin + kStages - 2 in flight (one
  // commit group per slice, empty groups past the end keep the count).
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (tileBegin + s < tileEnd)
      loadStage(tileBegin + s, s);
    kiln_cp_async_commit();
  }

  int stage = 0;
  for (Index tile = tileBegin; tile < tileEnd; ++tile) {
    // Slice `tile` has landed (at most kStages - 2 newer groups pending),
    // and every warp is done with the stage about to be refilled.
    kiln_cp_async_wait<kStages - 2>();
    __syncthreads();
    {
      Index next = tile + kStages - 1;
      int nextStage = stage == 0 ? kStages - 1 : stage - 1;
      if (next < tileEnd)
        loadStage(next, nextStage);
      kiln_cp_async_commit();
    }

    const T *stA = sA + stage * Config::kStageA;
    const T *stB = sB + stage * Config::kStageB;
#pragma unroll
    for (int kk = 0; kk < BK / 16; ++kk) {
      unsigned fa[Config::kMmaM][4];
      unsigned fb[Config::kMmaN][2];
#pragma unroll
      for (int i = 0; i < Config::kMmaM; ++i) {
        int r = warpRow * Config::kWarpM + i * 16 + lane % 16;
        int c = kk * 2 + lane / 16;
        kiln_ldmatrix_x4(fa[i], stA + r * BK + gemmSwizzle<kChunksK>(r, c) * 8);
      }
#pragma unroll
      for (int j = 0; j < Config::kMmaN; j += 2) {
        unsigned r4[4];
        if constexpr (kBTransposed) {
          int r = warpCol * Config::kWarpN + j * 8 + lane % 8 + (lane / 16) * 8;
          int c = kk * 2 + (lane / 8) % 2;
          kiln_ldmatrix_x4(r4, stB + r * BK + gemmSwizzle<kChunksK>(r, c) * 8);
        } else {
          int r = kk * 16 + lane % 16;
          int c = (warpCol * Config::kWarpN + j * 8) / 8 + lane / 16;
          kiln_ldmatrix_x4_trans(r4, stB + r * BN +
                                         gemmSwizzle<kChunksN>(r, c) * 8);
        }
        fb[j][0] = r4[0];
        fb[j][1] = r4[1];
        fb[j + 1][0] = r4[2];
        fb[j + 1][1] = r4[3];
      }
#pragma unroll
      for (int i = 0; i < Config::kMmaM; ++i)
#pragma unroll
        for (int j = 0; j < Config::kMmaN; ++j)
          GemmMma<T>::apply(acc[i][j], fa[i], fb[j]);
    }
    stage = stage + 1 == kStages ? 0 : stage + 1;
  }
  // No copy may be outstanding when the kernel (or a caller reusing the
  // shared memory) moves on.
  kiln_cp_async_wait_all();
}

/// Calls `f(row, col, v0, v1, pair)` for each pair of horizontally adjacent
/// accumulators (columns col, col + 1; col even) of the thread whose first
/// column is inside the [m, n] problem; `pair` says whether col + 1 < n
/// (row, col relative to the whole GEMM).
template <class Config, class F>
KILN_DEVICE void gemmForEachAccumulatorPair(const GemmAccumulators<Config> &acc,
                                            Index blockRow, Index blockCol,
                                            Index m, Index n, F &&f) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warpRow = warp / Config::kWarpsN, warpCol = warp % Config::kWarpsN;
#pragma unroll
  for (int i = 0; i < Config::kMmaM; ++i) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      Index row =
          blockRow + warpRow * Config::kWarpM + i * 16 + lane / 4 + h * 8;
      if (row >= m)
        continue;
#pragma unroll
      for (int j = 0; j < Config::kMmaN; ++j) {
        Index col =
            blockCol + warpCol * Config::kWarpN + j * 8 + (lane % 4) * 2;
        if (col < n)
          f(row, col, acc[i][j][h * 2], acc[i][j][h * 2 + 1], col + 1 < n);
      }
    }
  }
}

/// Two adjacent elements of OutT as one vector store.
template <typename T> struct GemmPair;
template <> struct GemmPair<float> {
  using Type = float2;
  static KILN_DEVICE Type make(float a, float b) { return make_float2(a, b); }
};
template <> struct GemmPair<__half> {
  using Type = __half2;
  static KILN_DEVICE Type make(float a, float b) {
    return __halves2half2(fromFloat<__half>(a), fromFloat<__half>(b));
  }
};
template <> struct GemmPair<__nv_bfloat16> {
  using Type = __nv_bfloat162;
  static KILN_DEVICE Type make(float a, float b) {
    return __halves2bfloat162(fromFloat<__nv_bfloat16>(a),
                              fromFloat<__nv_bfloat16>(b));
  }
};

/// p[i] = v0 and, when `pair`, p[i + 1] = v1: one vector store when the
/// address allows it (odd leading dims or offsets fall back to two).
template <typename OutT>
KILN_DEVICE void gemmStorePair(OutT *p, Index i, float v0, float v1,
                               bool pair) {
  using Pair = typename GemmPair<OutT>::Type;
  OutT *q = p + i;
  if (pair && reinterpret_cast<unsigned long long>(q) % sizeof(Pair) == 0) {
    *reinterpret_cast<Pair *>(q) = GemmPair<OutT>::make(v0, v1);
  } else {
    store(p, i, v0);
    if (pair)
      store(p, i + 1, v1);
  }
}

template <typename T, typename OutT, typename Epilogue> struct GemmParams {
  const T *a; // [batch..., m, k], rows with leading dim lda
  const T *b; // [k, n] (or [n, k] with kBTransposed), leading dim ldb
  OutT *c;    // [batch, m, n], leading dim ldc
  Index m, n, k;
  Index batch;      // flattened batch count (>= 1)
  Index batchInner; // b -> (b / batchInner, b % batchInner); 1: one level
  Index strideA[2]; // element offset per outer / inner batch step; 0 = bcast
  Index strideB[2];
  Index strideC; // per flattened batch
  Index lda, ldb, ldc;
  int splitK;        // >= 1; > 1 needs workspace and gemmSplitKReduce
  float *workspace;  // gemmWorkspaceBytes(p) bytes when splitK > 1
  Epilogue epilogue; // float(float acc, Index batch, Index row, Index col)
};

KILN_HOST_DEVICE Index gemmBatchOffset(const Index (&stride)[2], Index batch,
                                       Index inner) {
  return (batch / inner) * stride[0] + (batch % inner) * stride[1];
}

/// The main kernel body: grid gemmGrid<Config>(p), block Config::kThreads,
/// dynamic shared memory gemmSharedBytes<Config, T>().
template <class Config, bool kBTransposed, typename T, typename OutT,
          typename Epilogue>
KILN_DEVICE void gemm(const GemmParams<T, OutT, Epilogue> &p) {
  const int splitK = p.splitK;
  const Index batch = blockIdx.z / splitK;
  const int split = static_cast<int>(blockIdx.z % splitK);
  const Index blockRow = static_cast<Index>(blockIdx.x) * Config::kBlockM;
  const Index blockCol = static_cast<Index>(blockIdx.y) * Config::kBlockN;
  const T *a = p.a + gemmBatchOffset(p.strideA, batch, p.batchInner);
  const T *b = p.b + gemmBatchOffset(p.strideB, batch, p.batchInner);

  const Index tiles = ceilDiv(p.k, Config::kBlockK);
  const Index perSplit = ceilDiv(tiles, splitK);
  const Index tileBegin = split * perSplit;
  const Index tileEnd =
      tileBegin + perSplit < tiles ? tileBegin + perSplit : tiles;

  GemmRowMajorTile<T, Config::kALoads> aTile(a, p.lda, p.m, p.k);
  GemmAccumulators<Config> acc;
  if constexpr (kBTransposed) {
    GemmRowMajorTile<T, Config::kBLoads> bTile(b, p.ldb, p.n, p.k);
    gemmMainloop<Config, true, T>(aTile, bTile, blockRow, blockCol, tileBegin,
                                  tileEnd, acc);
  } else {
    GemmRowMajorBTile<T> bTile(b, p.ldb, p.k, p.n);
    gemmMainloop<Config, false, T>(aTile, bTile, blockRow, blockCol, tileBegin,
                                   tileEnd, acc);
  }

  if (splitK == 1) {
    OutT *c = p.c + batch * p.strideC;
    gemmForEachAccumulatorPair<Config>(
        acc, blockRow, blockCol, p.m, p.n,
        [&](Index row, Index col, float v0, float v1, bool pair) {
          gemmStorePair(c, row * p.ldc + col, p.epilogue(v0, batch, row, col),
                        pair ? p.epilogue(v1, batch, row, col + 1) : 0.0f,
                        pair);
        });
  } else {
    float *w = p.workspace + static_cast<Index>(blockIdx.z) * p.m * p.n;
    gemmForEachAccumulatorPair<Config>(
        acc, blockRow, blockCol, p.m, p.n,
        [&](Index row, Index col, float v0, float v1, bool pair) {
          gemmStorePair(w, row * p.n + col, v0, v1, pair);
        });
  }
}

/// The split-K reduction (splitK > 1 only): C = epilogue(sum of the
/// partials in split order). Grid gemmSplitKReduceGrid(p), block
/// kGemmReduceThreads; grid-stride over batch * M * N.
template <typename T, typename OutT, typename Epilogue>
KILN_DEVICE void gemmSplitKReduce(const GemmParams<T, OutT, Epilogue> &p) {
  const Index mn = p.m * p.n, total = p.batch * mn;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < total; i += static_cast<Index>(gridDim.x) * blockDim.x) {
    const Index batch = i / mn, rest = i % mn;
    const Index row = rest / p.n, col = rest % p.n;
    const float *w = p.workspace + batch * p.splitK * mn + rest;
    float sum = 0.0f;
    for (int s = 0; s < p.splitK; ++s)
      sum += w[s * mn];
    store(p.c + batch * p.strideC, row * p.ldc + col,
          p.epilogue(sum, batch, row, col));
  }
}

// ---- Host helpers ----

/// Grid of gemm: x = M tiles, y = N tiles, z = batch * splitK.
template <class Config, typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE dim3 gemmGrid(const GemmParams<T, OutT, Epilogue> &p) {
  return dim3(static_cast<unsigned>(ceilDiv(p.m, Config::kBlockM)),
              static_cast<unsigned>(ceilDiv(p.n, Config::kBlockN)),
              static_cast<unsigned>(p.batch * p.splitK));
}

/// Grid of gemmSplitKReduce (block kGemmReduceThreads).
template <typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE dim3
gemmSplitKReduceGrid(const GemmParams<T, OutT, Epilogue> &p) {
  Index blocks = ceilDiv(p.batch * p.m * p.n, kGemmReduceThreads);
  return dim3(static_cast<unsigned>(blocks < 65535 ? blocks : 65535));
}

/// fp32 workspace bytes for split-K (0 when splitK == 1).
template <typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE Index
gemmWorkspaceBytes(const GemmParams<T, OutT, Epilogue> &p) {
  if (p.splitK <= 1)
    return 0;
  return static_cast<Index>(sizeof(float)) * p.batch * p.splitK * p.m * p.n;
}

/// Whether every block loads A and B with 16-byte cp.async (the fast path):
/// base pointers 16-byte aligned and leading dims and batch strides
/// multiples of 8 elements. Otherwise the blocks whose operand is not
/// aligned take the element-wise fallback (correct, slower). Informational:
/// the kernel decides per block at run time.
template <typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE bool gemmUsesCpAsync(const GemmParams<T, OutT, Epilogue> &p) {
  auto aligned = [](const void *q) {
    return (reinterpret_cast<unsigned long long>(q) & 15ull) == 0;
  };
  return aligned(p.a) && aligned(p.b) && p.lda % 8 == 0 && p.ldb % 8 == 0 &&
         p.strideA[0] % 8 == 0 && p.strideA[1] % 8 == 0 &&
         p.strideB[0] % 8 == 0 && p.strideB[1] % 8 == 0;
}

/// Whether the problem fits the kernel's grid limits and preconditions.
template <class Config, typename T, typename OutT, typename Epilogue>
KILN_HOST_DEVICE bool canUseGemm(const GemmParams<T, OutT, Epilogue> &p) {
  return p.m >= 1 && p.n >= 1 && p.k >= 0 && p.batch >= 1 &&
         p.batchInner >= 1 && p.splitK >= 1 &&
         (p.splitK == 1 || p.workspace != nullptr) &&
         ceilDiv(p.m, Config::kBlockM) <= 0x7fffffff &&
         ceilDiv(p.n, Config::kBlockN) <= 65535 && p.batch * p.splitK <= 65535;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_GEMM_CUH
