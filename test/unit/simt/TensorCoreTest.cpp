//===- TensorCoreTest.cpp - mma.sync and ldmatrix emulation ---------------===//
//
// Fragments are built here from the PTX ISA's per-element formulas (a_i, b_i,
// c_i with groupID and threadID_in_group), written differently from the
// simulator's per-register loops; and the ldmatrix + mma combination is the
// canonical sequence real sm_80 GEMM kernels use, which only produces the
// right product if both layouts agree with the hardware.
//
//===----------------------------------------------------------------------===//

#include "runtime/host/Launch.h"
#include "runtime/host/simt.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

using kiln::simt::launch;
using kiln::simt::LaunchConfig;
using kiln::simt::Status;

namespace {

uint16_t toBits(float v, bool bf16) {
  return bf16 ? kiln::simt::floatToBfloat16Bits(v)
              : kiln::simt::floatToHalfBits(v);
}
float fromBits(uint16_t b, bool bf16) {
  return bf16 ? kiln::simt::bfloat16BitsToFloat(b)
              : kiln::simt::halfBitsToFloat(b);
}
unsigned pack(uint16_t lo, uint16_t hi) {
  return static_cast<unsigned>(lo) | static_cast<unsigned>(hi) << 16;
}

struct MmaCase {
  int k;
  bool bf16;
};

class Mma : public ::testing::TestWithParam<MmaCase> {};

TEST_P(Mma, FragmentsMatchScalarProduct) {
  const int K = GetParam().k;
  const bool bf16 = GetParam().bf16;
  std::mt19937 rng(K * 10 + bf16);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  // Inputs rounded to the element type, so the reference sees what the
  // tensor core sees.
  std::vector<uint16_t> a(16 * K), b(K * 8);
  std::vector<float> c(16 * 8);
  for (auto &v : a)
    v = toBits(dist(rng), bf16);
  for (auto &v : b)
    v = toBits(dist(rng), bf16);
  for (auto &v : c)
    v = dist(rng);

  std::vector<float> d(16 * 8, -1.0f);
  LaunchConfig config;
  config.block = dim3(64); // two warps computing the same tile
  config.raceHunt = true;
  Status status = launch(config, [&] {
    unsigned lane = threadIdx.x % 32;
    unsigned groupID = lane >> 2, tig = lane % 4;
    uint16_t aElems[8], bElems[4];
    for (int i = 0; i < K / 2; ++i) {
      // PTX: row = groupID for a_i with i < 2 || 4 <= i < 6, else +8;
      //      col = tig*2 + (i & 1), +8 for i >= 4.
      unsigned row = (i < 2 || (i >= 4 && i < 6)) ? groupID : groupID + 8;
      unsigned col = tig * 2 + (i & 1) + (i >= 4 ? 8 : 0);
      aElems[i] = a[row * K + col];
    }
    for (int i = 0; i < K / 4; ++i) {
      // PTX: row = tig*2 + (i & 1) (+8 for i >= 2); col = groupID.
      unsigned row = tig * 2 + (i & 1) + (i >= 2 ? 8 : 0);
      bElems[i] = b[row * 8 + groupID];
    }
    unsigned aRegs[4], bRegs[2];
    for (int r = 0; r < K / 4; ++r)
      aRegs[r] = pack(aElems[2 * r], aElems[2 * r + 1]);
    for (int r = 0; r < K / 8; ++r)
      bRegs[r] = pack(bElems[2 * r], bElems[2 * r + 1]);
    float cFrag[4], dFrag[4];
    for (int i = 0; i < 4; ++i)
      cFrag[i] = c[(groupID + (i >= 2 ? 8 : 0)) * 8 + tig * 2 + (i & 1)];
    if (K == 16 && !bf16)
      kiln_mma_m16n8k16_f16(dFrag, aRegs, bRegs, cFrag);
    else if (K == 16)
      kiln_mma_m16n8k16_bf16(dFrag, aRegs, bRegs, cFrag);
    else if (!bf16)
      kiln_mma_m16n8k8_f16(dFrag, aRegs, bRegs, cFrag);
    else
      kiln_mma_m16n8k8_bf16(dFrag, aRegs, bRegs, cFrag);
    // Accumulate in place (d aliases c), the usual way kernels chain mmas:
    // D2 = A*B + D1 = 2*A*B + C.
    if (K == 16 && !bf16)
      kiln_mma_m16n8k16_f16(dFrag, aRegs, bRegs, dFrag);
    else if (K == 16)
      kiln_mma_m16n8k16_bf16(dFrag, aRegs, bRegs, dFrag);
    else if (!bf16)
      kiln_mma_m16n8k8_f16(dFrag, aRegs, bRegs, dFrag);
    else
      kiln_mma_m16n8k8_bf16(dFrag, aRegs, bRegs, dFrag);
    if (threadIdx.x < 32)
      for (int i = 0; i < 4; ++i)
        d[(groupID + (i >= 2 ? 8 : 0)) * 8 + tig * 2 + (i & 1)] = dFrag[i];
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      double product = 0;
      for (int kk = 0; kk < K; ++kk)
        product += double(fromBits(a[m * K + kk], bf16)) *
                   fromBits(b[kk * 8 + n], bf16);
      double ref = 2 * product + c[m * 8 + n];
      EXPECT_NEAR(d[m * 8 + n], ref, 1e-4 * (1 + std::abs(ref)))
          << "m " << m << " n " << n;
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Mma,
                         ::testing::Values(MmaCase{16, false},
                                           MmaCase{16, true}, MmaCase{8, false},
                                           MmaCase{8, true}),
                         [](const ::testing::TestParamInfo<MmaCase> &info) {
                           return std::string("m16n8k") +
                                  std::to_string(info.param.k) +
                                  (info.param.bf16 ? "_bf16" : "_f16");
                         });

TEST(MmaErrors, NeedsTheWholeWarp) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status = launch(config, [&] {
    unsigned a[4] = {}, b[2] = {};
    float c[4] = {}, d[4];
    if (threadIdx.x == 9)
      return;
    kiln_mma_m16n8k16_f16(d, a, b, c);
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("lane 9 is exited"), std::string::npos)
      << status.message();

  config.block = dim3(48); // second warp is partial
  status = launch(config, [&] {
    unsigned a[4] = {}, b[2] = {};
    float c[4] = {}, d[4];
    kiln_mma_m16n8k16_f16(d, a, b, c);
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("needs a full warp"), std::string::npos)
      << status.message();
}

// Scalar model of ldmatrix: lane t gets, for matrix m, row t/4 and columns
// 2*(t%4), 2*(t%4)+1 (of the transpose with .trans); matrix m's row r comes
// from the address given by lane 8*m + r.
TEST(Ldmatrix, AllVariantsMatchModel) {
  for (int count : {1, 2, 4}) {
    for (bool trans : {false, true}) {
      // 32 rows of 8 halves each (16 bytes), padded to a 24-element stride.
      std::vector<unsigned> regs(32 * 4, 0);
      std::vector<unsigned> rowOf(32);
      for (unsigned lane = 0; lane < 32; ++lane)
        rowOf[lane] = (lane * 13 + 5) % 32; // scrambled row addresses
      LaunchConfig config;
      config.block = dim3(32);
      config.raceHunt = true;
      Status status = launch(config, [&] {
        KILN_SHARED(uint16_t, tile, [32 * 24]);
        unsigned lane = threadIdx.x;
        for (unsigned i = lane; i < 32 * 24; i += 32)
          tile[i] = static_cast<uint16_t>(i);
        __syncwarp();
        const void *row = &tile[rowOf[lane] * 24];
        unsigned *out = &regs[lane * 4];
        if (count == 1)
          trans ? kiln_ldmatrix_x1_trans(out, row) : kiln_ldmatrix_x1(out, row);
        else if (count == 2)
          trans ? kiln_ldmatrix_x2_trans(out, row) : kiln_ldmatrix_x2(out, row);
        else
          trans ? kiln_ldmatrix_x4_trans(out, row) : kiln_ldmatrix_x4(out, row);
      });
      ASSERT_TRUE(status.ok()) << status.message();
      for (unsigned lane = 0; lane < 32; ++lane)
        for (int m = 0; m < count; ++m) {
          unsigned r = lane / 4, c = 2 * (lane % 4);
          auto element = [&](unsigned row, unsigned col) {
            return rowOf[m * 8 + row] * 24 + col; // value == index
          };
          unsigned lo = trans ? element(c, r) : element(r, c);
          unsigned hi = trans ? element(c + 1, r) : element(r, c + 1);
          EXPECT_EQ(regs[lane * 4 + m], lo | hi << 16)
              << "x" << count << (trans ? ".trans" : "") << " lane " << lane
              << " matrix " << m;
        }
    }
  }
}

TEST(Ldmatrix, MisalignedRowIsAnError) {
  LaunchConfig config;
  config.block = dim3(32);
  Status status = launch(config, [&] {
    KILN_SHARED(uint16_t, tile, [8 * 16]);
    unsigned r[1];
    kiln_ldmatrix_x1(r, &tile[threadIdx.x % 8 * 16 + (threadIdx.x == 2)]);
  });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not 16-byte aligned"), std::string::npos)
      << status.message();
}

// The canonical sm_80 sequence: A (16x16, row-major) with ldmatrix.x4 from
// row (lane % 16), column (lane / 16) * 8; B (16x8, row-major [k][n]) with
// ldmatrix.x2.trans from row (lane % 16); then one m16n8k16.
TEST(Ldmatrix, FeedsMmaLikeARealGemmKernel) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<__half> a(16 * 16), b(16 * 8);
  for (auto &v : a)
    v = __float2half(dist(rng));
  for (auto &v : b)
    v = __float2half(dist(rng));
  std::vector<float> d(16 * 8);
  LaunchConfig config;
  config.block = dim3(32);
  config.raceHunt = true;
  Status status = launch(config, [&] {
    KILN_SHARED(__half, sa, [16 * 16]);
    KILN_SHARED(__half, sb, [16 * 8]);
    unsigned lane = threadIdx.x;
    for (unsigned i = lane; i < 256; i += 32)
      sa[i] = a[i];
    for (unsigned i = lane; i < 128; i += 32)
      sb[i] = b[i];
    __syncwarp();
    unsigned aRegs[4], bRegs[2];
    kiln_ldmatrix_x4(aRegs, &sa[(lane % 16) * 16 + (lane / 16) * 8]);
    kiln_ldmatrix_x2_trans(bRegs, &sb[(lane % 16) * 8]);
    float c[4] = {0, 0, 0, 0}, acc[4];
    kiln_mma_m16n8k16_f16(acc, aRegs, bRegs, c);
    unsigned g = lane / 4, t = lane % 4;
    d[g * 8 + 2 * t] = acc[0];
    d[g * 8 + 2 * t + 1] = acc[1];
    d[(g + 8) * 8 + 2 * t] = acc[2];
    d[(g + 8) * 8 + 2 * t + 1] = acc[3];
  });
  ASSERT_TRUE(status.ok()) << status.message();
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      double ref = 0;
      for (int k = 0; k < 16; ++k)
        ref += double(__half2float(a[m * 16 + k])) * __half2float(b[k * 8 + n]);
      EXPECT_NEAR(d[m * 8 + n], ref, 1e-4) << m << "," << n;
    }
}

} // namespace
