//===- attention.cuh - Flash attention and split-KV decode ----*- CUDA -*-===//
//
// `kiln.attention`: out = softmax(scale * q kᵀ + mask) v per batch and query
// head, q [B, Hq, S, D], k [B, Hkv, T, D], v [B, Hkv, T, D], out
// [B, Hq, S, D] (head dim contiguous, any other strides), query head h
// reading kv head h / (Hq / Hkv). The S x T score matrix is never materialised:
// a block owns kBlockM query rows of one (batch, head) and streams the keys in
// tiles of kBlockN, keeping per row a running maximum m, a running sum l of
// exp(score - m) and an unnormalised output row O, all in fp32 ("online
// softmax"). When a tile raises the maximum, l and O are rescaled by
// exp(m_old - m_new); the row is divided by l once, at the end.
//
// Two bodies share Params, the masking rules, the split logic and the host
// helpers; `attentionForward<Config>` picks one from the Config:
//  - AttentionTcConfig (fp16/bf16 storage): FlashAttention-2 on tensor cores.
//    kBlockM / 16 warps each own 16 query rows. Q [kBlockM x D] and two
//    stages of K and V [kBlockN x D] live in dynamic shared memory, filled
//    with 16-byte cp.async (zero-filled past S / T) and XOR-swizzled by
//    16-byte chunk (chunk c of row r is stored at c ^ (r % 8)) so that the
//    ldmatrix reads are conflict-free. The tile after the current one is in
//    flight while the current one is computed (double buffering). S = Q Kᵀ
//    uses mma.m16n8k16 with Q and K fragments from ldmatrix; the scores stay
//    in the accumulator registers, are scaled, masked, exponentiated, and the
//    probabilities P are rounded to the element type and reused directly as
//    the A fragments of O += P V (V fragments from ldmatrix.trans). l sums
//    the unrounded fp32 probabilities (as FlashAttention-2 does).
//  - AttentionSimtConfig (any storage, meant for fp32): kWarps warps each own
//    kBlockM / kWarps query rows; K tiles are 32 keys, one key per lane for
//    the scores (float4 reads of Q rows and of K rows at pitch D + 4), the
//    probabilities go through shared memory to the P V product where each
//    lane owns the head-dimension columns lane + 32 c. Single-buffered plain
//    loads (fp32 tiles would not fit two stages under 48 KiB at D = 128).
//
// Masking, identical to the reference evaluator: the score of (query i,
// key j) is q·k * scale, plus the float mask; it is hidden (probability 0)
// when j >= T, when causal hides it (upper_left: j > i; lower_right:
// j > i + T - S), when an i1 mask holds false, or when the score is -inf
// (a float mask of -inf). A row that sees no key yields 0 (before the
// epilogue). The mask is read through per-dimension element strides
// (b, h, s, t; 0 broadcasts), so any mask that broadcasts to [B, Hq, S, T]
// is passed without copying. Key tiles entirely past the causal diagonal of
// a query tile are never loaded; tiles that need no per-element check (no
// mask, inside T, below the diagonal) skip it.
//
// GQA packing (packGqa, for decode): the group * S rows of the Hq / Hkv
// query heads sharing a kv head form one "slice" tiled by kBlockM
// (grid.y = Hkv); each K/V tile is then loaded once per group instead of
// once per query head. Masks and causality stay per (head, query) of each
// row.
//
// Split-KV (decode): with numSplits > 1 the key tiles of each query tile are
// divided among numSplits blocks (gridDim.z = B * numSplits); each writes
// its partial (m, l, unnormalised O) in fp32 to a workspace, and
// `attentionCombine` merges them:
//   M = max_s m_s, L = sum_s l_s e^(m_s - M), out = sum_s O_s e^(m_s - M) / L
// (0 when M = -inf). The epilogue is then applied by the combine kernel.
// Workspace layout, rows = B * Hq * S: O [numSplits][rows][D], then
// m [numSplits][rows], then l [numSplits][rows].
//
// Preconditions (`canUseAttention` checks the run-time ones):
//  - D = Dv = Config::kHeadDim (a multiple of 64 for the tensor-core body);
//  - Hq a multiple of Hkv;
//  - the head dimension contiguous; k/v sequence strides below 2^24, S below
//    2^30 (32-bit offsets inside a tile, 32-bit packGqa row arithmetic);
//  - tensor-core body: q, k, v 16-byte aligned and their strides multiples
//    of 8 elements (cp.async of 16-byte chunks), sm_80+;
//  - dynamic shared memory `attentionSharedBytes<Config, T>()` (every
//    default config stays within 48 KiB, so no opt-in is needed);
//  - numSplits >= 1; numSplits > 1 needs `attentionWorkspaceBytes` of fp32
//    workspace; B * numSplits <= 65535 (grid.z).
//  - fp32 scores: a float mask that is finite but huge (-1e9) on every key
//    a row sees gives a uniform row (the scores' differences are lost in
//    fp32) where the evaluator, in double, may still tell them apart.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_ATTENTION_CUH
#define KILN_CODEGEN_KERNELS_ATTENTION_CUH

#include "compiler/codegen/kernels/common.cuh"

namespace kiln::kernels {

/// kiln.attention's `causal` attribute.
enum AttentionCausal : int {
  kAttentionCausalNone = 0,
  kAttentionCausalUpperLeft = 1,  // query i sees keys 0..i
  kAttentionCausalLowerRight = 2, // query i sees keys 0..i + T - S
};

/// Tensor-core body (fp16 / bf16 storage). kBlockM / 16 warps.
template <int HeadDim, int BlockM, int BlockN> struct AttentionTcConfig {
  static constexpr bool kSimt = false;
  static constexpr int kHeadDim = HeadDim;
  static constexpr int kBlockM = BlockM;
  static constexpr int kBlockN = BlockN;
  static constexpr int kWarps = BlockM / 16;
  static constexpr int kThreads = kWarps * 32;
  static_assert(HeadDim % 64 == 0, "head dim: a multiple of 64 (swizzle)");
  static_assert(BlockM % 16 == 0 && BlockM >= 16, "16 query rows per warp");
  static_assert(BlockN % 16 == 0 && BlockN >= 16, "key tile: multiple of 16");
};

/// SIMT body (any storage; fp32 in practice). Key tiles of 32 (one per lane).
template <int HeadDim, int BlockM, int Warps> struct AttentionSimtConfig {
  static constexpr bool kSimt = true;
  static constexpr int kHeadDim = HeadDim;
  static constexpr int kBlockM = BlockM;
  static constexpr int kBlockN = 32;
  static constexpr int kWarps = Warps;
  static constexpr int kThreads = Warps * 32;
  static constexpr int kRowsPerWarp = BlockM / Warps;
  static_assert(BlockM % Warps == 0, "whole rows per warp");
  static_assert(HeadDim % 4 == 0, "head dim: float4 rows in shared memory");
};

namespace detail {
template <typename T, int HeadDim> struct DefaultAttentionConfigFor {
  // 64 x 32 tiles: 24 KiB of shared memory at D = 64, 48 KiB at D = 128; per
  // thread D / 2 + 16 fp32 accumulators. (64-key tiles at D = 64 make ptxas
  // spill on sm_86/89, where it aims at 168 registers.)
  using type = AttentionTcConfig<HeadDim, 64, 32>;
};
template <int HeadDim> struct DefaultAttentionConfigFor<float, HeadDim> {
  // 4 rows per warp: 8 warps (28 KiB) at D = 64; 4 warps (42.5 KiB) at
  // D = 128, where 32 rows would pass 48 KiB.
  using type = AttentionSimtConfig<HeadDim, HeadDim <= 64 ? 32 : 16,
                                   HeadDim <= 64 ? 8 : 4>;
};
template <typename T, int HeadDim> struct DefaultAttentionDecodeConfigFor {
  // One warp of 16 query rows (decode has S = 1..few): 18 / 36 KiB.
  using type = AttentionTcConfig<HeadDim, 16, 32>;
};
template <int HeadDim> struct DefaultAttentionDecodeConfigFor<float, HeadDim> {
  // One warp, one query row.
  using type = AttentionSimtConfig<HeadDim, 1, 1>;
};
} // namespace detail

/// The default forward configuration for storage type T and head dim D.
template <typename T, int HeadDim>
using DefaultAttentionConfig =
    typename detail::DefaultAttentionConfigFor<T, HeadDim>::type;
/// The default configuration of the split-KV (decode) forward.
template <typename T, int HeadDim>
using DefaultAttentionDecodeConfig =
    typename detail::DefaultAttentionDecodeConfigFor<T, HeadDim>::type;

/// Threads per block of attentionCombine.
constexpr int kAttentionCombineThreads = 128;

/// Problem description. q/k/v/out are [B, H, S or T, D] through the strides
/// below (default: contiguous). MaskT is
/// bool (i1 mask: keep where true) or a float type (added to the scores).
template <typename T, typename MaskT = float> struct AttentionParams {
  const T *q = nullptr;
  const T *k = nullptr;
  const T *v = nullptr;
  T *out = nullptr;
  const MaskT *mask = nullptr; // null: no mask
  /// Element strides of the mask along b, h, s, t (0 = broadcast).
  Index maskStride[4] = {0, 0, 0, 0};
  /// Element strides along (batch, head, sequence) of q, k, v and out; the
  /// head dimension is contiguous. All three 0 (the default) means
  /// contiguous [B, H, S or T, D]. E.g. q stored [B, S, Hq, D] (the
  /// transpose fused away): {S * Hq * D, D, Hq * D}.
  Index qStride[3] = {0, 0, 0};
  Index kStride[3] = {0, 0, 0};
  Index vStride[3] = {0, 0, 0};
  Index outStride[3] = {0, 0, 0};
  int batch = 0;
  int queryHeads = 0;
  int kvHeads = 0;
  Index queries = 0; // S
  Index keys = 0;    // T
  float scale = 1.0f;
  int causal = kAttentionCausalNone;
  /// Non-zero: a block's rows are the (head, query) pairs of the Hq / Hkv
  /// query heads sharing one kv head (row r: head kvHead * group + r / S,
  /// query r % S), so K/V tiles are loaded once per group: for decode with
  /// GQA.
  int packGqa = 0;
  /// > 1: split-KV, partials go to `workspace`, then attentionCombine.
  int numSplits = 1;
  float *workspace = nullptr;
};

/// The combine step of split-KV.
template <typename T> struct AttentionCombineParams {
  const float *workspace = nullptr;
  T *out = nullptr;
  Index rows = 0; // B * Hq * S
  int headDim = 0;
  int numSplits = 1;
  /// As AttentionParams::outStride (all 0: contiguous); when set, the
  /// output row (b * Hq + h) * S + i is located with queryHeads and queries.
  Index outStride[3] = {0, 0, 0};
  int queryHeads = 1;
  Index queries = 1;
};

/// Effective (batch, head, sequence) element strides: `stride`, or those of
/// a contiguous [B, heads, seq, headDim] tensor when `stride` is all 0.
struct AttentionStrides {
  Index b, h, s;
};
KILN_HOST_DEVICE AttentionStrides attentionStrides(const Index stride[3],
                                                   int heads, Index seq,
                                                   int headDim) {
  if (stride[0] == 0 && stride[1] == 0 && stride[2] == 0)
    return {heads * seq * headDim, seq * headDim, headDim};
  return {stride[0], stride[1], stride[2]};
}

// ---- Host helpers ----

/// Query rows per (batch, grid.y) slice: S, or group * S with packGqa.
template <typename T, typename MaskT>
KILN_HOST_DEVICE Index attentionSliceRows(const AttentionParams<T, MaskT> &p) {
  return p.packGqa ? p.queries * (p.queryHeads / p.kvHeads) : p.queries;
}

/// x: query tiles, y: query heads (kv heads with packGqa), z: B * splits.
template <typename Config, typename T, typename MaskT>
KILN_HOST_DEVICE dim3 attentionGrid(const AttentionParams<T, MaskT> &p) {
  return dim3(
      static_cast<unsigned>(ceilDiv(attentionSliceRows(p), Config::kBlockM)),
      static_cast<unsigned>(p.packGqa ? p.kvHeads : p.queryHeads),
      static_cast<unsigned>(p.batch * p.numSplits));
}

/// Dynamic shared memory of the forward kernel.
template <typename Config, typename T>
KILN_HOST_DEVICE constexpr int attentionSharedBytes() {
  if constexpr (Config::kSimt)
    return static_cast<int>(sizeof(float)) *
           (Config::kBlockM * Config::kHeadDim + 32 * (Config::kHeadDim + 4) +
            32 * Config::kHeadDim + Config::kBlockM * 32);
  else
    return static_cast<int>(sizeof(T)) * Config::kHeadDim *
           (Config::kBlockM + 4 * Config::kBlockN);
}

/// fp32 workspace bytes for split-KV (0 when numSplits == 1).
template <typename Config, typename T, typename MaskT>
KILN_HOST_DEVICE Index
attentionWorkspaceBytes(const AttentionParams<T, MaskT> &p) {
  if (p.numSplits <= 1)
    return 0;
  Index rows = static_cast<Index>(p.batch) * p.queryHeads * p.queries;
  return static_cast<Index>(sizeof(float)) * p.numSplits * rows *
         (Config::kHeadDim + 2);
}

/// A split count for decode: enough blocks to fill `targetBlocks` (e.g. 2 x
/// the SM count), at most one split per key tile and at most 64 splits.
template <typename Config, typename T, typename MaskT>
KILN_HOST_DEVICE int attentionSplitsFor(const AttentionParams<T, MaskT> &p,
                                        Index targetBlocks) {
  Index base = ceilDiv(attentionSliceRows(p), Config::kBlockM) *
               (p.packGqa ? p.kvHeads : p.queryHeads) * p.batch;
  Index tiles = ceilDiv(p.keys, Config::kBlockN);
  if (base <= 0 || tiles <= 1)
    return 1;
  Index splits = ceilDiv(targetBlocks, base);
  if (splits > tiles)
    splits = tiles;
  if (splits > 64)
    splits = 64;
  return splits < 1 ? 1 : static_cast<int>(splits);
}

/// Whether the kernel may run on these parameters (D = Dv = kHeadDim is the
/// caller's to check: Params carries no head dim).
template <typename Config, typename T, typename MaskT>
inline bool canUseAttention(const AttentionParams<T, MaskT> &p) {
  if (p.batch < 0 || p.queryHeads <= 0 || p.kvHeads <= 0 ||
      p.queryHeads % p.kvHeads != 0 || p.queries < 0 || p.keys < 0 ||
      p.numSplits < 1 || (p.numSplits > 1 && !p.workspace) ||
      static_cast<Index>(p.batch) * p.numSplits > 65535)
    return false;
  if (p.causal < kAttentionCausalNone || p.causal > kAttentionCausalLowerRight)
    return false;
  // Key/value rows are addressed with 32-bit offsets within a tile.
  const Index kSeq =
      attentionStrides(p.kStride, p.kvHeads, p.keys, Config::kHeadDim).s;
  const Index vSeq =
      attentionStrides(p.vStride, p.kvHeads, p.keys, Config::kHeadDim).s;
  if (kSeq <= 0 || vSeq <= 0 || kSeq >= (1 << 24) || vSeq >= (1 << 24))
    return false;
  if (p.queries >= (1 << 30)) // 32-bit row arithmetic of packGqa
    return false;
  if constexpr (!Config::kSimt) {
    if (sizeof(T) != 2)
      return false;
    auto aligned = [](const void *ptr) {
      return reinterpret_cast<unsigned long long>(ptr) % 16 == 0;
    };
    if (!aligned(p.q) || !aligned(p.k) || !aligned(p.v))
      return false;
    // cp.async moves 16-byte chunks: every row start must stay aligned.
    const AttentionStrides st[3] = {
        attentionStrides(p.qStride, p.queryHeads, p.queries, Config::kHeadDim),
        attentionStrides(p.kStride, p.kvHeads, p.keys, Config::kHeadDim),
        attentionStrides(p.vStride, p.kvHeads, p.keys, Config::kHeadDim)};
    for (const AttentionStrides &x : st)
      if (x.b % 8 != 0 || x.h % 8 != 0 || x.s % 8 != 0)
        return false;
  }
  return true;
}

inline dim3 attentionCombineGrid(Index rows, int headDim) {
  return dim3(static_cast<unsigned>(
      ceilDiv(rows * headDim, static_cast<Index>(kAttentionCombineThreads))));
}

// ---- Device pieces shared by both bodies ----

namespace detail {

KILN_DEVICE float attnNegInf() { return -__int_as_float(0x7f800000); }
constexpr float kLog2e = 1.4426950408889634f;

/// exp(x - m) for the online softmax; m = -inf (nothing seen) gives 0.
KILN_DEVICE float attnExp(float x, float m) { return exp2f((x - m) * kLog2e); }

/// Per-block view of the problem: where this block's rows and keys start,
/// and which key tiles it visits.
struct AttnBlock {
  Index b;
  int kvh, split;
  int headBase;  // query head of slice row 0
  Index rowBase; // linear row (of B * Hq * S) of slice row 0
  Index rows;    // rows in the slice: S, or group * S (packGqa)
  Index q0;      // this block's first slice row
  bool packed;
  int firstHead, firstQuery; // packed: head and query of slice row q0
  Index minQuery, maxQuery;  // query indices i spanned by the block's rows
  Index causalOffset; // key j visible from query i iff j <= i + causalOffset
  bool causal;
  int tileBegin, tileEnd;
};

/// Query head and index of slice row r.
struct AttnRow {
  int h;
  Index i;
  bool valid;
};
KILN_DEVICE AttnRow attnRow(const AttnBlock &blk, Index queries, Index r) {
  AttnRow row;
  row.valid = r < blk.rows;
  if (blk.packed) {
    // 32-bit division relative to the block's first row (no 64-bit
    // division subroutine; canUseAttention bounds S).
    const int s32 = static_cast<int>(queries);
    const int rel = static_cast<int>(r - blk.q0) + blk.firstQuery;
    row.h = blk.firstHead + rel / s32;
    row.i = rel % s32;
  } else {
    row.h = blk.headBase;
    row.i = r;
  }
  return row;
}

template <int BlockM, int BlockN, typename T, typename MaskT>
KILN_DEVICE AttnBlock attnBlock(const AttentionParams<T, MaskT> &p) {
  AttnBlock blk;
  blk.split = static_cast<int>(blockIdx.z % p.numSplits);
  blk.b = blockIdx.z / p.numSplits;
  const int group = p.queryHeads / p.kvHeads;
  blk.packed = p.packGqa != 0;
  blk.kvh = blk.packed ? static_cast<int>(blockIdx.y)
                       : static_cast<int>(blockIdx.y) / group;
  blk.headBase = blk.packed ? blk.kvh * group : static_cast<int>(blockIdx.y);
  blk.rowBase = (blk.b * p.queryHeads + blk.headBase) * p.queries;
  blk.rows = attentionSliceRows(p);
  blk.q0 = static_cast<Index>(blockIdx.x) * BlockM;
  Index lastRow = blk.q0 + BlockM - 1;
  if (lastRow > blk.rows - 1)
    lastRow = blk.rows - 1;
  blk.minQuery = blk.q0;
  blk.maxQuery = lastRow;
  blk.firstHead = blk.headBase;
  blk.firstQuery = 0;
  if (blk.packed) {
    blk.firstHead = blk.headBase + static_cast<int>(blk.q0 / p.queries);
    blk.firstQuery = static_cast<int>(blk.q0 % p.queries);
    // Rows of one head: their own range; rows of several heads: any query.
    bool oneHead = blk.q0 / p.queries == lastRow / p.queries;
    blk.minQuery = oneHead ? blk.q0 % p.queries : 0;
    blk.maxQuery = oneHead ? lastRow % p.queries : p.queries - 1;
  }
  blk.causal = p.causal != kAttentionCausalNone;
  blk.causalOffset =
      p.causal == kAttentionCausalLowerRight ? p.keys - p.queries : 0;
  Index keyEnd = p.keys;
  if (blk.causal) {
    Index limit = blk.maxQuery + blk.causalOffset + 1;
    if (limit < keyEnd)
      keyEnd = limit < 0 ? 0 : limit;
  }
  int tiles = static_cast<int>(ceilDiv(keyEnd, BlockN));
  int perSplit = ceilDivInt(tiles, p.numSplits);
  blk.tileBegin = blk.split * perSplit;
  blk.tileEnd =
      blk.tileBegin + perSplit < tiles ? blk.tileBegin + perSplit : tiles;
  if (blk.tileBegin > blk.tileEnd)
    blk.tileBegin = blk.tileEnd;
  return blk;
}

/// Whether a key tile needs per-element checks (mask, T edge, diagonal).
template <int BlockN, typename T, typename MaskT>
KILN_DEVICE bool attnTileNeedsCheck(const AttentionParams<T, MaskT> &p,
                                    const AttnBlock &blk, Index j0) {
  return p.mask != nullptr || j0 + BlockN > p.keys ||
         (blk.causal && j0 + BlockN - 1 > blk.minQuery + blk.causalOffset);
}

/// What hides keys from one row within one key tile: keys j0 + jRel with
/// jRel > limit (past T, past the causal diagonal, or an invalid row), and
/// the row's mask entries from key j0 on (null: no mask).
template <typename MaskT> struct AttnRowMask {
  int limit;
  const MaskT *mask;
};

template <int BlockN, typename T, typename MaskT>
KILN_DEVICE AttnRowMask<MaskT> attnRowMask(const AttentionParams<T, MaskT> &p,
                                           const AttnBlock &blk,
                                           const AttnRow &row, Index j0) {
  AttnRowMask<MaskT> rm;
  Index limit = p.keys - 1 - j0;
  if (blk.causal && row.i + blk.causalOffset - j0 < limit)
    limit = row.i + blk.causalOffset - j0;
  if (!row.valid || limit < 0)
    limit = -1;
  rm.limit = limit < BlockN ? static_cast<int>(limit) : BlockN;
  rm.mask = nullptr;
  if (p.mask && rm.limit >= 0)
    rm.mask = p.mask + blk.b * p.maskStride[0] + row.h * p.maskStride[1] +
              row.i * p.maskStride[2] + j0 * p.maskStride[3];
  return rm;
}

/// The scaled score `s` of key j0 + jRel after masking: -inf when hidden.
template <typename MaskT>
KILN_DEVICE float attnMasked(const AttnRowMask<MaskT> &rm, Index keyStride,
                             float s, int jRel) {
  if (jRel > rm.limit)
    return attnNegInf();
  if (rm.mask) {
    if constexpr (sizeof(MaskT) == 1) {
      if (!rm.mask[jRel * keyStride])
        return attnNegInf();
    } else {
      s += toFloat(rm.mask[jRel * keyStride]);
    }
  }
  return s;
}

/// Writes one finished output element: normalised and stored (single
/// split), or the unnormalised partial to the workspace.
/// `row` is the logical output row (b * Hq + h) * S + i, `outRow` the
/// element offset of that row in p.out.
template <typename T, typename MaskT, typename Epilogue>
KILN_DEVICE void
attnStore(const AttentionParams<T, MaskT> &p, const Epilogue &epi, int split,
          Index row, Index outRow, int d, int headDim, float o, float invL) {
  if (p.numSplits == 1) {
    store(p.out, outRow + d, epi(o * invL, row, static_cast<Index>(d)));
  } else {
    Index rows = static_cast<Index>(p.batch) * p.queryHeads * p.queries;
    p.workspace[(split * rows + row) * headDim + d] = o;
  }
}

/// The rows of one slice (q) or one kv head (k, v) in global memory: row r
/// is at base + r * seqStride, or, packed (perHead = S), at
/// base + (r / S) * headStride + (r % S) * seqStride.
template <typename T> struct AttnRows {
  const T *base;
  Index headStride, seqStride;
  Index perHead; // 0: not packed
  Index rows;
  KILN_DEVICE const T *row(Index r) const {
    return perHead
               ? base + (r / perHead) * headStride + (r % perHead) * seqStride
               : base + r * seqStride;
  }
};

template <typename T, typename MaskT>
KILN_DEVICE AttnRows<T> attnQueryRows(const AttentionParams<T, MaskT> &p,
                                      const AttnBlock &blk, int headDim) {
  AttentionStrides st =
      attentionStrides(p.qStride, p.queryHeads, p.queries, headDim);
  return {p.q + blk.b * st.b + blk.headBase * st.h, st.h, st.s,
          blk.packed ? p.queries : 0, blk.rows};
}
/// The keys (or values) of one kv head: key j at base + j * seqStride (a
/// 32-bit stride, canUseAttention checks it).
template <typename T> struct AttnKv {
  const T *base;
  int seqStride;
};
template <typename T>
KILN_DEVICE AttnKv<T> attnKv(const T *base, const Index stride[3],
                             const AttnBlock &blk, int kvHeads, Index keys,
                             int headDim) {
  AttentionStrides st = attentionStrides(stride, kvHeads, keys, headDim);
  return {base + blk.b * st.b + blk.kvh * st.h, static_cast<int>(st.s)};
}
/// Element offset in p.out of query i of head h.
template <typename T, typename MaskT>
KILN_DEVICE Index attnOutRow(const AttentionParams<T, MaskT> &p,
                             const AttnBlock &blk, int h, Index i,
                             int headDim) {
  AttentionStrides st =
      attentionStrides(p.outStride, p.queryHeads, p.queries, headDim);
  return blk.b * st.b + h * st.h + i * st.s;
}

/// Writes a row's (m, l) partial for split-KV.
template <typename T, typename MaskT>
KILN_DEVICE void attnStoreStats(const AttentionParams<T, MaskT> &p, int split,
                                Index row, int headDim, float m, float l) {
  Index rows = static_cast<Index>(p.batch) * p.queryHeads * p.queries;
  float *stats = p.workspace + p.numSplits * rows * headDim;
  stats[split * rows + row] = m;
  stats[(p.numSplits + split) * rows + row] = l;
}

// -- Tensor-core helpers --

template <typename T> struct AttnMma;
template <> struct AttnMma<__half> {
  static KILN_DEVICE void mma(float d[4], const unsigned a[4],
                              const unsigned b[2]) {
    kiln_mma_m16n8k16_f16(d, a, b, d);
  }
  static KILN_DEVICE unsigned pack(float lo, float hi) {
    return static_cast<unsigned>(__half_as_ushort(__float2half_rn(lo))) |
           (static_cast<unsigned>(__half_as_ushort(__float2half_rn(hi))) << 16);
  }
};
template <> struct AttnMma<__nv_bfloat16> {
  static KILN_DEVICE void mma(float d[4], const unsigned a[4],
                              const unsigned b[2]) {
    kiln_mma_m16n8k16_bf16(d, a, b, d);
  }
  static KILN_DEVICE unsigned pack(float lo, float hi) {
    return static_cast<unsigned>(
               __bfloat16_as_ushort(__float2bfloat16_rn(lo))) |
           (static_cast<unsigned>(__bfloat16_as_ushort(__float2bfloat16_rn(hi)))
            << 16);
  }
};

/// Element offset of 16-byte chunk `chunk` of row `row` in a swizzled
/// [rows][D] tile of 16-bit elements.
template <int D> KILN_DEVICE int attnSwizzle(int row, int chunk) {
  return row * D + ((chunk ^ (row & 7)) << 3);
}

/// cp.async of rows [row0, row0 + Rows) of `src` into a swizzled tile;
/// rows past src.rows are zero-filled.
template <int Rows, int D, int Threads, typename T>
KILN_DEVICE void attnLoadKvTile(T *dst, const AttnKv<T> &src, Index keys,
                                Index j0) {
  constexpr int kChunks = D / 8;
  const T *tile = src.base + j0 * src.seqStride;
  const Index left = keys - j0;
  const int valid = left < Rows ? static_cast<int>(left) : Rows;
#pragma unroll
  for (int c = static_cast<int>(threadIdx.x); c < Rows * kChunks;
       c += Threads) {
    int r = c / kChunks, chunk = c % kChunks;
    bool ok = r < valid;
    const T *g = ok ? tile + r * src.seqStride + chunk * 8 : src.base;
    kiln_cp_async_cg_zfill(dst + attnSwizzle<D>(r, chunk), g, ok ? 16u : 0u);
  }
}

template <int Rows, int D, int Threads, typename T>
KILN_DEVICE void attnLoadTile(T *dst, const AttnRows<T> &src, Index row0) {
  constexpr int kChunks = D / 8;
#pragma unroll
  for (int c = static_cast<int>(threadIdx.x); c < Rows * kChunks;
       c += Threads) {
    int r = c / kChunks, chunk = c % kChunks;
    bool ok = row0 + r < src.rows;
    const T *g = ok ? src.row(row0 + r) + chunk * 8 : src.base;
    kiln_cp_async_cg_zfill(dst + attnSwizzle<D>(r, chunk), g, ok ? 16u : 0u);
  }
}

template <typename Config, typename T, typename MaskT, typename Epilogue>
KILN_DEVICE void attentionForwardTc(const AttentionParams<T, MaskT> &p,
                                    const Epilogue &epi) {
  constexpr int D = Config::kHeadDim, BM = Config::kBlockM,
                BN = Config::kBlockN, NT = Config::kThreads;
  KILN_DYNAMIC_SHARED(float, attnSmem);
  T *sQ = reinterpret_cast<T *>(attnSmem);
  T *sK = sQ + BM * D; // [2][BN][D]
  T *sV = sK + 2 * BN * D;

  const AttnBlock blk = attnBlock<BM, BN>(p);
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const int warp = static_cast<int>(threadIdx.x) / 32;
  const AttnKv<T> kRows = attnKv(p.k, p.kStride, blk, p.kvHeads, p.keys, D);
  const AttnKv<T> vRows = attnKv(p.v, p.vStride, blk, p.kvHeads, p.keys, D);

  if (blk.tileBegin < blk.tileEnd) {
    attnLoadTile<BM, D, NT>(sQ, attnQueryRows(p, blk, D), blk.q0);
    kiln_cp_async_commit();
    attnLoadKvTile<BN, D, NT>(sK, kRows, p.keys,
                              static_cast<Index>(blk.tileBegin) * BN);
    attnLoadKvTile<BN, D, NT>(sV, vRows, p.keys,
                              static_cast<Index>(blk.tileBegin) * BN);
    kiln_cp_async_commit();
  }

  const int g = lane >> 2, tig = lane & 3;
  const int mat = lane >> 3, matRow = lane & 7;
  float o[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      o[n][e] = 0.0f;
  float rowMax[2] = {attnNegInf(), attnNegInf()};
  float rowSum[2] = {0.0f, 0.0f};            // this thread's columns only
  const Index rowA = blk.q0 + warp * 16 + g; // slice rows rowA, rowA + 8
  const AttnRow rowInfo[2] = {attnRow(blk, p.queries, rowA),
                              attnRow(blk, p.queries, rowA + 8)};

  for (int t = blk.tileBegin; t < blk.tileEnd; ++t) {
    const int stage = (t - blk.tileBegin) & 1;
    if (t + 1 < blk.tileEnd) {
      attnLoadKvTile<BN, D, NT>(sK + (stage ^ 1) * BN * D, kRows, p.keys,
                                static_cast<Index>(t + 1) * BN);
      attnLoadKvTile<BN, D, NT>(sV + (stage ^ 1) * BN * D, vRows, p.keys,
                                static_cast<Index>(t + 1) * BN);
    }
    kiln_cp_async_commit();
    kiln_cp_async_wait<1>();
    __syncthreads();
    const T *tK = sK + stage * BN * D;
    const T *tV = sV + stage * BN * D;

    // S = Q Kᵀ: 16 rows x BN keys per warp.
    float s[BN / 8][4];
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        s[n][e] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      unsigned a[4];
      kiln_ldmatrix_x4(a,
                       sQ + attnSwizzle<D>(warp * 16 + matRow + (mat & 1) * 8,
                                           kk * 2 + (mat >> 1)));
#pragma unroll
      for (int np = 0; np < BN / 16; ++np) {
        unsigned bk[4];
        kiln_ldmatrix_x4(bk,
                         tK + attnSwizzle<D>(np * 16 + matRow + (mat >> 1) * 8,
                                             kk * 2 + (mat & 1)));
        AttnMma<T>::mma(s[2 * np], a, bk);
        AttnMma<T>::mma(s[2 * np + 1], a, bk + 2);
      }
    }

    // Scale, mask, online softmax (rows g and g + 8 of the warp's 16).
    const Index j0 = static_cast<Index>(t) * BN;
    const bool check = attnTileNeedsCheck<BN>(p, blk, j0);
    float tileMax[2] = {attnNegInf(), attnNegInf()};
    if (check) {
      const AttnRowMask<MaskT> rm[2] = {
          attnRowMask<BN>(p, blk, rowInfo[0], j0),
          attnRowMask<BN>(p, blk, rowInfo[1], j0)};
#pragma unroll
      for (int n = 0; n < BN / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          s[n][e] = attnMasked(rm[e >> 1], p.maskStride[3], s[n][e] * p.scale,
                               n * 8 + 2 * tig + (e & 1));
    } else {
#pragma unroll
      for (int n = 0; n < BN / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          s[n][e] *= p.scale;
    }
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        tileMax[e >> 1] = fmaxf(tileMax[e >> 1], s[n][e]);
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tileMax[r] =
          fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
      tileMax[r] =
          fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
      float newMax = fmaxf(rowMax[r], tileMax[r]);
      // Nothing seen yet: o and rowSum are 0, any finite factor will do.
      float alpha =
          rowMax[r] == attnNegInf() ? 0.0f : attnExp(rowMax[r], newMax);
      rowMax[r] = newMax;
      rowSum[r] *= alpha;
#pragma unroll
      for (int n = 0; n < D / 8; ++n) {
        o[n][2 * r] *= alpha;
        o[n][2 * r + 1] *= alpha;
      }
    }
    const float useMax[2] = {rowMax[0] == attnNegInf() ? 0.0f : rowMax[0],
                             rowMax[1] == attnNegInf() ? 0.0f : rowMax[1]};
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float pe = attnExp(s[n][e], useMax[e >> 1]);
        s[n][e] = pe;
        rowSum[e >> 1] += pe;
      }

    // O += P V: P (rounded to T) as A fragments, V through ldmatrix.trans.
#pragma unroll
    for (int kc = 0; kc < BN / 16; ++kc) {
      unsigned a[4] = {AttnMma<T>::pack(s[2 * kc][0], s[2 * kc][1]),
                       AttnMma<T>::pack(s[2 * kc][2], s[2 * kc][3]),
                       AttnMma<T>::pack(s[2 * kc + 1][0], s[2 * kc + 1][1]),
                       AttnMma<T>::pack(s[2 * kc + 1][2], s[2 * kc + 1][3])};
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        unsigned bv[4];
        kiln_ldmatrix_x4_trans(
            bv, tV + attnSwizzle<D>(kc * 16 + matRow + (mat & 1) * 8,
                                    dp * 2 + (mat >> 1)));
        AttnMma<T>::mma(o[2 * dp], a, bv);
        AttnMma<T>::mma(o[2 * dp + 1], a, bv + 2);
      }
    }
    __syncthreads(); // this stage is refilled two tiles on
  }

  // Epilogue: full row sums across the quad, then store.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 1);
    rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 2);
    if (!rowInfo[r].valid)
      continue;
    const Index row = blk.rowBase + rowA + r * 8;
    const Index outRow = attnOutRow(p, blk, rowInfo[r].h, rowInfo[r].i, D);
    const float invL = rowSum[r] > 0.0f ? 1.0f / rowSum[r] : 0.0f;
#pragma unroll
    for (int n = 0; n < D / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e)
        attnStore(p, epi, blk.split, row, outRow, n * 8 + 2 * tig + e, D,
                  o[n][2 * r + e], invL);
    if (p.numSplits > 1 && tig == 0)
      attnStoreStats(p, blk.split, row, D, rowMax[r], rowSum[r]);
  }
}

template <typename Config, typename T, typename MaskT, typename Epilogue>
KILN_DEVICE void attentionForwardSimt(const AttentionParams<T, MaskT> &p,
                                      const Epilogue &epi) {
  constexpr int D = Config::kHeadDim, BM = Config::kBlockM, BN = 32,
                NT = Config::kThreads, R = Config::kRowsPerWarp,
                DC = (D + 31) / 32;
  KILN_DYNAMIC_SHARED(float, attnSmem);
  // Pitch D + 4: lane l's float4 at column d sits in banks 4l + d (mod
  // 32), so each quarter-warp phase of a 128-bit load is conflict-free.
  constexpr int KP = D + 4;
  float *sQ = attnSmem;     // [BM][D]
  float *sK = sQ + BM * D;  // [32][KP]
  float *sV = sK + BN * KP; // [32][D]
  float *sP = sV + BN * D;  // [BM][32]

  const AttnBlock blk = attnBlock<BM, BN>(p);
  const int tid = static_cast<int>(threadIdx.x);
  const int lane = tid % 32, warp = tid / 32;
  const Index Tk = p.keys;
  const AttnKv<T> kRows = attnKv(p.k, p.kStride, blk, p.kvHeads, p.keys, D);
  const AttnKv<T> vRows = attnKv(p.v, p.vStride, blk, p.kvHeads, p.keys, D);

  if (blk.tileBegin < blk.tileEnd) {
    const AttnRows<T> qRows = attnQueryRows(p, blk, D);
    for (int idx = tid; idx < BM * D; idx += NT) {
      Index r = blk.q0 + idx / D;
      sQ[idx] = r < blk.rows ? load(qRows.row(r), idx % D) : 0.0f;
    }
  }

  float o[R][DC], rowMax[R], rowSum[R]; // rowSum: this lane's keys only
#pragma unroll
  for (int r = 0; r < R; ++r) {
    rowMax[r] = attnNegInf();
    rowSum[r] = 0.0f;
#pragma unroll
    for (int c = 0; c < DC; ++c)
      o[r][c] = 0.0f;
  }
  const int warpRow = warp * R;

  for (int t = blk.tileBegin; t < blk.tileEnd; ++t) {
    const Index j0 = static_cast<Index>(t) * BN;
    __syncthreads(); // the previous tile is consumed (and sQ is written)
    {
      const T *kTile = kRows.base + j0 * kRows.seqStride;
      const T *vTile = vRows.base + j0 * vRows.seqStride;
      const Index left = Tk - j0;
      const int valid = left < BN ? static_cast<int>(left) : BN;
      for (int idx = tid; idx < BN * D; idx += NT) {
        int r = idx / D, c = idx % D;
        bool ok = r < valid;
        sK[r * KP + c] = ok ? load(kTile, r * kRows.seqStride + c) : 0.0f;
        sV[idx] = ok ? load(vTile, r * vRows.seqStride + c) : 0.0f;
      }
    }
    __syncthreads();

    float s[R];
#pragma unroll
    for (int r = 0; r < R; ++r)
      s[r] = 0.0f;
    const float4 *kRow = reinterpret_cast<const float4 *>(sK + lane * KP);
#pragma unroll 2
    for (int d4 = 0; d4 < D / 4; ++d4) {
      const float4 kv = kRow[d4];
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const float4 qv =
            reinterpret_cast<const float4 *>(sQ + (warpRow + r) * D)[d4];
        s[r] = fmaf(qv.x, kv.x, s[r]);
        s[r] = fmaf(qv.y, kv.y, s[r]);
        s[r] = fmaf(qv.z, kv.z, s[r]);
        s[r] = fmaf(qv.w, kv.w, s[r]);
      }
    }
    const bool check = attnTileNeedsCheck<BN>(p, blk, j0);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float v = s[r] * p.scale;
      if (check)
        v = attnMasked(
            attnRowMask<BN>(p, blk,
                            attnRow(blk, p.queries, blk.q0 + warpRow + r), j0),
            p.maskStride[3], v, lane);
      float newMax = fmaxf(rowMax[r], warpReduce<MaxOp>(v));
      float alpha =
          rowMax[r] == attnNegInf() ? 0.0f : attnExp(rowMax[r], newMax);
      rowMax[r] = newMax;
      float pe = attnExp(v, newMax == attnNegInf() ? 0.0f : newMax);
      rowSum[r] = rowSum[r] * alpha + pe;
#pragma unroll
      for (int c = 0; c < DC; ++c)
        o[r][c] *= alpha;
      sP[(warpRow + r) * 32 + lane] = pe;
    }
    __syncwarp();
#pragma unroll 2
    for (int j = 0; j < BN; ++j) {
      float vv[DC];
#pragma unroll
      for (int c = 0; c < DC; ++c)
        vv[c] = (D % 32 == 0 || lane + 32 * c < D) ? sV[j * D + lane + 32 * c]
                                                   : 0.0f;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const float pj = sP[(warpRow + r) * 32 + j];
#pragma unroll
        for (int c = 0; c < DC; ++c)
          o[r][c] = fmaf(pj, vv[c], o[r][c]);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < R; ++r) {
    float l = warpReduce<SumOp>(rowSum[r]);
    const Index slice = blk.q0 + warpRow + r;
    if (slice >= blk.rows)
      continue;
    const Index row = blk.rowBase + slice;
    const AttnRow info = attnRow(blk, p.queries, slice);
    const Index outRow = attnOutRow(p, blk, info.h, info.i, D);
    const float invL = l > 0.0f ? 1.0f / l : 0.0f;
#pragma unroll
    for (int c = 0; c < DC; ++c)
      if (D % 32 == 0 || lane + 32 * c < D)
        attnStore(p, epi, blk.split, row, outRow, lane + 32 * c, D, o[r][c],
                  invL);
    if (p.numSplits > 1 && lane == 0)
      attnStoreStats(p, blk.split, row, D, rowMax[r], l);
  }
}

} // namespace detail

/// The forward kernel body: launch with attentionGrid<Config>(p),
/// Config::kThreads threads and attentionSharedBytes<Config, T>() bytes of
/// dynamic shared memory. With p.numSplits > 1 follow with attentionCombine.
template <typename Config, typename T, typename MaskT,
          typename Epilogue = IdentityEpilogue>
KILN_DEVICE void attentionForward(const AttentionParams<T, MaskT> &p,
                                  const Epilogue &epi = Epilogue()) {
  if constexpr (Config::kSimt)
    detail::attentionForwardSimt<Config>(p, epi);
  else
    detail::attentionForwardTc<Config>(p, epi);
}

/// Merges the split-KV partials: one thread per output element; launch with
/// attentionCombineGrid(rows, headDim) and kAttentionCombineThreads.
template <typename T, typename Epilogue = IdentityEpilogue>
KILN_DEVICE void attentionCombine(const AttentionCombineParams<T> &p,
                                  const Epilogue &epi = Epilogue()) {
  Index idx =
      static_cast<Index>(blockIdx.x) * kAttentionCombineThreads + threadIdx.x;
  if (idx >= p.rows * p.headDim)
    return;
  Index row = idx / p.headDim;
  int d = static_cast<int>(idx % p.headDim);
  const float *m = p.workspace + p.numSplits * p.rows * p.headDim;
  const float *l = m + p.numSplits * p.rows;
  float maxAll = detail::attnNegInf();
  for (int s = 0; s < p.numSplits; ++s)
    maxAll = fmaxf(maxAll, m[s * p.rows + row]);
  float value = 0.0f;
  if (maxAll != detail::attnNegInf()) {
    float sum = 0.0f, acc = 0.0f;
    for (int s = 0; s < p.numSplits; ++s) {
      float ms = m[s * p.rows + row];
      if (ms == detail::attnNegInf())
        continue;
      float f = detail::attnExp(ms, maxAll);
      sum += l[s * p.rows + row] * f;
      acc += p.workspace[(s * p.rows + row) * p.headDim + d] * f;
    }
    value = acc / sum;
  }
  Index at = idx;
  if (p.outStride[0] != 0 || p.outStride[1] != 0 || p.outStride[2] != 0) {
    Index i = row % p.queries, bh = row / p.queries;
    at = (bh / p.queryHeads) * p.outStride[0] +
         (bh % p.queryHeads) * p.outStride[1] + i * p.outStride[2] + d;
  }
  store(p.out, at, epi(value, row, static_cast<Index>(d)));
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_ATTENTION_CUH
