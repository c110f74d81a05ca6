//===- WarpCollectives.cpp ------------------------------------------------===//

#include "runtime/host/WarpCollectives.h"

#include "runtime/host/Fp16.h"
#include "runtime/host/SimtAbi.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace kiln::simt {

namespace {

bool isBit(unsigned mask, unsigned lane) { return (mask >> lane) & 1u; }

std::string completeShuffle(int op, const WarpLane (&lanes)[32],
                            unsigned arrived, bool raceHunt) {
  for (unsigned lane = 0; lane < 32; ++lane) {
    if (!isBit(arrived, lane))
      continue;
    const auto *args = static_cast<const KilnShflArgs *>(lanes[lane].in);
    int width = args->width;
    if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
      char buffer[96];
      std::snprintf(buffer, sizeof(buffer),
                    "%s: width %d is not a power of two in [1, 32]",
                    warpOpName(op), width);
      return buffer;
    }
  }
  // Read every source before writing any result: `out` may alias another
  // lane's `in` only through the lane's own stack, but stay safe regardless.
  uint64_t results[32];
  for (unsigned lane = 0; lane < 32; ++lane) {
    if (!isBit(arrived, lane))
      continue;
    const auto *args = static_cast<const KilnShflArgs *>(lanes[lane].in);
    int source = shuffleSourceLane(op, lane, args->operand, args->width);
    if (source < 0)
      results[lane] = args->bits;
    else if (isBit(arrived, static_cast<unsigned>(source)))
      results[lane] = static_cast<const KilnShflArgs *>(lanes[source].in)->bits;
    else
      results[lane] = raceHunt ? ~uint64_t(0) : args->bits;
  }
  for (unsigned lane = 0; lane < 32; ++lane)
    if (isBit(arrived, lane))
      *static_cast<uint64_t *>(lanes[lane].out) = results[lane];
  return "";
}

void completeVote(int op, const WarpLane (&lanes)[32], unsigned arrived) {
  unsigned ballot = 0;
  for (unsigned lane = 0; lane < 32; ++lane)
    if (isBit(arrived, lane) && *static_cast<const int *>(lanes[lane].in))
      ballot |= 1u << lane;
  unsigned result = ballot;
  if (op == KILN_WARP_ANY)
    result = ballot != 0;
  else if (op == KILN_WARP_ALL)
    result = ballot == arrived;
  for (unsigned lane = 0; lane < 32; ++lane)
    if (isBit(arrived, lane))
      *static_cast<unsigned *>(lanes[lane].out) = result;
}

float unpackElement(uint32_t reg, unsigned half, bool bf16) {
  auto bits = static_cast<uint16_t>(half ? reg >> 16 : reg & 0xffffu);
  return bf16 ? bfloat16BitsToFloat(bits) : halfBitsToFloat(bits);
}

/// mma.m16n8k{16,8}.row.col with f16/bf16 inputs and f32 accumulators,
/// fragments as in the PTX ISA ("Matrix Fragments for mma.m16n8k16 / k8 with
/// floating point type"): groupID = lane >> 2, threadID_in_group = lane % 4.
void completeMma(int op, const WarpLane (&lanes)[32]) {
  bool bf16 =
      op == KILN_WARP_MMA_M16N8K16_BF16 || op == KILN_WARP_MMA_M16N8K8_BF16;
  int k =
      (op == KILN_WARP_MMA_M16N8K16_F16 || op == KILN_WARP_MMA_M16N8K16_BF16)
          ? 16
          : 8;
  float a[16][16], b[16][8], c[16][8];
  for (unsigned lane = 0; lane < 32; ++lane) {
    const auto *args = static_cast<const KilnMmaArgs *>(lanes[lane].in);
    unsigned group = lane >> 2, inGroup = lane & 3;
    // A: register r holds row group (+8 for odd r), columns 2*inGroup + {0,1}
    // (+8 for r >= 2).
    for (int r = 0; r < k / 4; ++r) {
      unsigned row = group + ((r & 1) ? 8 : 0);
      unsigned col = inGroup * 2 + (r >= 2 ? 8 : 0);
      a[row][col] = unpackElement(args->a[r], 0, bf16);
      a[row][col + 1] = unpackElement(args->a[r], 1, bf16);
    }
    // B: register r holds rows (k) 2*inGroup + {0,1} (+8 for r = 1), column
    // group.
    for (int r = 0; r < k / 8; ++r) {
      unsigned row = inGroup * 2 + (r ? 8 : 0);
      b[row][group] = unpackElement(args->b[r], 0, bf16);
      b[row + 1][group] = unpackElement(args->b[r], 1, bf16);
    }
    // C: c0,c1 at row group, c2,c3 at row group + 8; columns 2*inGroup+{0,1}.
    for (int i = 0; i < 4; ++i)
      c[group + (i >= 2 ? 8 : 0)][inGroup * 2 + (i & 1)] = args->c[i];
  }
  // Products of two halves (or bfloat16s) are exact in float; the sum is
  // accumulated in float, as the tensor core's fp32 accumulation does (its
  // internal order is unspecified).
  float d[16][8];
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      float sum = 0.0f;
      for (int kk = 0; kk < k; ++kk)
        sum += a[m][kk] * b[kk][n];
      d[m][n] = sum + c[m][n];
    }
  for (unsigned lane = 0; lane < 32; ++lane) {
    unsigned group = lane >> 2, inGroup = lane & 3;
    auto *out = static_cast<float *>(lanes[lane].out);
    for (int i = 0; i < 4; ++i)
      out[i] = d[group + (i >= 2 ? 8 : 0)][inGroup * 2 + (i & 1)];
  }
}

/// ldmatrix.m8n8.{x1,x2,x4}[.trans].b16: lanes 8*m .. 8*m+7 give the row
/// addresses of matrix m; lane t receives, per matrix, row t/4 and columns
/// 2*(t%4) + {0,1} (of the transposed matrix with .trans).
std::string completeLdmatrix(int op, const WarpLane (&lanes)[32]) {
  int count = 1;
  if (op == KILN_WARP_LDMATRIX_X2 || op == KILN_WARP_LDMATRIX_X2_TRANS)
    count = 2;
  else if (op == KILN_WARP_LDMATRIX_X4 || op == KILN_WARP_LDMATRIX_X4_TRANS)
    count = 4;
  bool trans = op >= KILN_WARP_LDMATRIX_X1_TRANS;
  uint16_t matrices[4][8][8];
  for (int m = 0; m < count; ++m)
    for (int row = 0; row < 8; ++row) {
      const void *address =
          *static_cast<const void *const *>(lanes[m * 8 + row].in);
      if (reinterpret_cast<uintptr_t>(address) % 16 != 0) {
        char buffer[128];
        std::snprintf(buffer, sizeof(buffer),
                      "%s: row address %p of lane %d is not 16-byte aligned",
                      warpOpName(op), address, m * 8 + row);
        return buffer;
      }
      std::memcpy(matrices[m][row], address, 16);
    }
  for (unsigned lane = 0; lane < 32; ++lane) {
    auto *out = static_cast<uint32_t *>(lanes[lane].out);
    unsigned row = lane / 4, col = 2 * (lane % 4);
    for (int m = 0; m < count; ++m) {
      uint16_t lo = trans ? matrices[m][col][row] : matrices[m][row][col];
      uint16_t hi =
          trans ? matrices[m][col + 1][row] : matrices[m][row][col + 1];
      out[m] = static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
    }
  }
  return "";
}

} // namespace

int shuffleSourceLane(int op, unsigned lane, unsigned operand, int width) {
  // CUDA passes c = ((32 - width) << 8) | clamp, with clamp 0 for up and 0x1f
  // otherwise; the PTX definition of shfl.sync then reads:
  int segmask = (32 - width) & 0x1f;
  int clamp = op == KILN_WARP_SHFL_UP ? 0 : 0x1f;
  int self = static_cast<int>(lane);
  int b = static_cast<int>(operand & 0x1f);
  int maxLane = (self & segmask) | (clamp & ~segmask);
  int minLane = self & segmask;
  int source;
  bool inRange;
  switch (op) {
  case KILN_WARP_SHFL_UP:
    source = self - b;
    inRange = source >= maxLane;
    break;
  case KILN_WARP_SHFL_DOWN:
    source = self + b;
    inRange = source <= maxLane;
    break;
  case KILN_WARP_SHFL_XOR:
    source = self ^ b;
    inRange = source <= maxLane;
    break;
  default: // KILN_WARP_SHFL_IDX
    source = minLane | (b & ~segmask);
    inRange = source <= maxLane;
    break;
  }
  return inRange ? source : -1;
}

bool warpOpNeedsFullWarp(int op) {
  return op >= KILN_WARP_MMA_M16N8K16_F16 && op < KILN_WARP_OP_COUNT;
}

const char *warpOpName(int op) {
  switch (op) {
  case KILN_WARP_SYNC:
    return "__syncwarp";
  case KILN_WARP_SHFL_IDX:
    return "__shfl_sync";
  case KILN_WARP_SHFL_UP:
    return "__shfl_up_sync";
  case KILN_WARP_SHFL_DOWN:
    return "__shfl_down_sync";
  case KILN_WARP_SHFL_XOR:
    return "__shfl_xor_sync";
  case KILN_WARP_BALLOT:
    return "__ballot_sync";
  case KILN_WARP_ANY:
    return "__any_sync";
  case KILN_WARP_ALL:
    return "__all_sync";
  case KILN_WARP_MMA_M16N8K16_F16:
    return "mma.sync.m16n8k16.f16";
  case KILN_WARP_MMA_M16N8K16_BF16:
    return "mma.sync.m16n8k16.bf16";
  case KILN_WARP_MMA_M16N8K8_F16:
    return "mma.sync.m16n8k8.f16";
  case KILN_WARP_MMA_M16N8K8_BF16:
    return "mma.sync.m16n8k8.bf16";
  case KILN_WARP_LDMATRIX_X1:
    return "ldmatrix.x1";
  case KILN_WARP_LDMATRIX_X2:
    return "ldmatrix.x2";
  case KILN_WARP_LDMATRIX_X4:
    return "ldmatrix.x4";
  case KILN_WARP_LDMATRIX_X1_TRANS:
    return "ldmatrix.x1.trans";
  case KILN_WARP_LDMATRIX_X2_TRANS:
    return "ldmatrix.x2.trans";
  case KILN_WARP_LDMATRIX_X4_TRANS:
    return "ldmatrix.x4.trans";
  default:
    return "unknown warp operation";
  }
}

std::string completeWarpOp(int op, const WarpLane (&lanes)[32],
                           unsigned arrived, bool raceHunt) {
  switch (op) {
  case KILN_WARP_SYNC:
    return "";
  case KILN_WARP_SHFL_IDX:
  case KILN_WARP_SHFL_UP:
  case KILN_WARP_SHFL_DOWN:
  case KILN_WARP_SHFL_XOR:
    return completeShuffle(op, lanes, arrived, raceHunt);
  case KILN_WARP_BALLOT:
  case KILN_WARP_ANY:
  case KILN_WARP_ALL:
    completeVote(op, lanes, arrived);
    return "";
  case KILN_WARP_MMA_M16N8K16_F16:
  case KILN_WARP_MMA_M16N8K16_BF16:
  case KILN_WARP_MMA_M16N8K8_F16:
  case KILN_WARP_MMA_M16N8K8_BF16:
    completeMma(op, lanes);
    return "";
  case KILN_WARP_LDMATRIX_X1:
  case KILN_WARP_LDMATRIX_X2:
  case KILN_WARP_LDMATRIX_X4:
  case KILN_WARP_LDMATRIX_X1_TRANS:
  case KILN_WARP_LDMATRIX_X2_TRANS:
  case KILN_WARP_LDMATRIX_X4_TRANS:
    return completeLdmatrix(op, lanes);
  default:
    return "unknown warp operation " + std::to_string(op);
  }
}

} // namespace kiln::simt
