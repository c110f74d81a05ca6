//===- Fp16Test.cpp - __half and __nv_bfloat16 conversions ----------------===//

#include "runtime/host/simt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

namespace {

float fromBits(uint32_t u) { return kiln::simt::bitsToFloat(u); }
uint16_t h(float f) { return __half_as_ushort(__float2half(f)); }
uint16_t bf(float f) { return __bfloat16_as_ushort(__float2bfloat16(f)); }

TEST(Half, KnownBitPatterns) {
  EXPECT_EQ(h(1.0f), 0x3c00);
  EXPECT_EQ(h(-2.0f), 0xc000);
  EXPECT_EQ(h(0.1f), 0x2e66);
  EXPECT_EQ(h(0.0f), 0x0000);
  EXPECT_EQ(h(-0.0f), 0x8000);
  EXPECT_EQ(h(65504.0f), 0x7bff);
  EXPECT_EQ(h(1.0f / 3.0f), 0x3555);
}

TEST(Half, RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even 0x3c00.
  EXPECT_EQ(h(1.0f + 0x1p-11f), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 0x3c01 and 0x3c02: to 0x3c02.
  EXPECT_EQ(h(1.0f + 3 * 0x1p-11f), 0x3c02);
  // Just above the tie rounds up.
  EXPECT_EQ(h(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
  EXPECT_EQ(h(-(1.0f + 0x1p-11f + 0x1p-20f)), 0xbc01);
}

TEST(Half, OverflowGoesToInfinity) {
  EXPECT_EQ(h(65519.99f), 0x7bff); // below the midpoint to 2^16
  EXPECT_EQ(h(65520.0f), 0x7c00);  // the midpoint ties to even: infinity
  EXPECT_EQ(h(-65520.0f), 0xfc00);
  EXPECT_EQ(h(1e10f), 0x7c00);
  EXPECT_EQ(h(INFINITY), 0x7c00);
  EXPECT_EQ(h(-INFINITY), 0xfc00);
}

TEST(Half, NaNIsCanonical) {
  EXPECT_EQ(h(NAN), 0x7fff);
  EXPECT_EQ(h(fromBits(0xffc00001u)), 0x7fff);
  EXPECT_EQ(h(fromBits(0x7f800001u)), 0x7fff);
  EXPECT_TRUE(std::isnan(__half2float(__ushort_as_half(0x7e00))));
  EXPECT_TRUE(__hisnan(__float2half(NAN)));
}

TEST(Half, Subnormals) {
  EXPECT_EQ(h(0x1p-24f), 0x0001);              // smallest subnormal
  EXPECT_EQ(h(0x1p-25f), 0x0000);              // tie between 0 and 2^-24: 0
  EXPECT_EQ(h(fromBits(0x33000001u)), 0x0001); // just above the tie
  EXPECT_EQ(h(3 * 0x1p-25f), 0x0002);          // tie between 1 and 2 units: 2
  EXPECT_EQ(h(5 * 0x1p-25f), 0x0002);          // tie between 2 and 3 units: 2
  EXPECT_EQ(h(1023 * 0x1p-24f), 0x03ff);       // largest subnormal
  EXPECT_EQ(h(0x1p-14f), 0x0400);              // smallest normal
  EXPECT_EQ(h(0x1p-14f - 0x1p-26f), 0x0400);   // rounds up into the normals
  EXPECT_EQ(h(-0x1p-24f), 0x8001);
  EXPECT_EQ(h(1e-10f), 0x0000);
  EXPECT_EQ(__half2float(__ushort_as_half(0x0001)), 0x1p-24f);
  EXPECT_EQ(__half2float(__ushort_as_half(0x83ff)), -1023 * 0x1p-24f);
}

TEST(Half, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    __half value = __ushort_as_half(static_cast<unsigned short>(bits));
    float f = __half2float(value);
    if ((bits & 0x7fff) > 0x7c00) {
      EXPECT_TRUE(std::isnan(f)) << bits;
      continue;
    }
    ASSERT_EQ(h(f), bits) << "pattern " << bits;
  }
}

#ifdef __FLT16_MAX__
// GCC's _Float16 conversion is an independent, correctly rounded oracle.
TEST(Half, MatchesFloat16OracleOnRandomFloats) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = rng();
    // Concentrate on the range where half is interesting.
    if (i % 2)
      bits = (bits & 0x80ffffffu) | ((0x30u + (bits >> 24) % 0x18u) << 24);
    float f = fromBits(bits);
    if (std::isnan(f))
      continue;
    _Float16 oracle = static_cast<_Float16>(f);
    uint16_t expected;
    std::memcpy(&expected, &oracle, 2);
    ASSERT_EQ(h(f), expected) << std::hexfloat << f;
  }
}
#endif

TEST(Half, Half2Helpers) {
  __half2 pair = __floats2half2_rn(1.5f, -0.25f);
  EXPECT_EQ(__low2float(pair), 1.5f);
  EXPECT_EQ(__high2float(pair), -0.25f);
  uint32_t packed;
  std::memcpy(&packed, &pair, 4);
  EXPECT_EQ(packed, 0xb4003e00u); // low half in the low 16 bits
  float2 both = __half22float2(__hmul2(pair, __float2half2_rn(2.0f)));
  EXPECT_EQ(both.x, 3.0f);
  EXPECT_EQ(both.y, -0.5f);
  EXPECT_EQ(__half2float(__hadd(__float2half(1.0f), __float2half(0x1p-11f))),
            1.0f); // correctly rounded sum ties to even
  EXPECT_EQ(__half2float(__hfma(__float2half(2.0f), __float2half(3.0f),
                                __float2half(0.5f))),
            6.5f);
}

TEST(Bfloat16, KnownBitPatterns) {
  EXPECT_EQ(bf(1.0f), 0x3f80);
  EXPECT_EQ(bf(-2.0f), 0xc000);
  EXPECT_EQ(bf(0.1f), 0x3dcd);
  EXPECT_EQ(bf(1.0f + 0x1p-8f), 0x3f80);     // tie to even
  EXPECT_EQ(bf(1.0f + 3 * 0x1p-8f), 0x3f82); // tie to even (up)
  EXPECT_EQ(bf(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(bf(fromBits(0x7f7fffffu)), 0x7f80); // FLT_MAX overflows to inf
  EXPECT_EQ(bf(fromBits(0x7f7f7fffu)), 0x7f7f);
  EXPECT_EQ(bf(-INFINITY), 0xff80);
  EXPECT_EQ(bf(NAN), 0x7fff);
  EXPECT_EQ(bf(fromBits(0xff800001u)), 0x7fff);
  EXPECT_EQ(bf(fromBits(0x00010000u)), 0x0001); // subnormal, exact
  EXPECT_EQ(bf(fromBits(0x00008000u)), 0x0000); // tie to even: zero
  EXPECT_EQ(bf(fromBits(0x00018000u)), 0x0002); // tie to even: up
  EXPECT_EQ(__bfloat162float(__ushort_as_bfloat16(0x3f81)), 1.0f + 0x1p-7f);
  __nv_bfloat162 pair = __floats2bfloat162_rn(3.0f, 0.5f);
  EXPECT_EQ(__low2float(pair), 3.0f);
  EXPECT_EQ(__high2float(pair), 0.5f);
}

} // namespace
