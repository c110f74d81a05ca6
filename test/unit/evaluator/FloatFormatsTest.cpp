//===- FloatFormatsTest.cpp - f32/f16/bf16 rounding against bit patterns
//---===//

#include "compiler/evaluator/FloatFormats.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir::kiln;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(FloatFormats, F16KnownBitPatterns) {
  EXPECT_EQ(toF16Bits(1.0), 0x3C00);
  EXPECT_EQ(toF16Bits(-2.0), 0xC000);
  EXPECT_EQ(toF16Bits(0.1), 0x2E66);
  EXPECT_EQ(toF16Bits(65504.0), 0x7BFF);  // the largest finite f16
  EXPECT_EQ(toF16Bits(65519.99), 0x7BFF); // below the halfway point to 2^16
  EXPECT_EQ(toF16Bits(65520.0), 0x7C00);  // the halfway point rounds to inf
  EXPECT_EQ(toF16Bits(1e9), 0x7C00);
  EXPECT_EQ(toF16Bits(-kInf), 0xFC00);
  EXPECT_EQ(toF16Bits(-0.0), 0x8000);
  EXPECT_EQ(toF16Bits(kNaN), 0x7E00);
  EXPECT_EQ(toF16Bits(std::ldexp(1.0, -14)), 0x0400);    // smallest normal
  EXPECT_EQ(toF16Bits(std::ldexp(1023.0, -24)), 0x03FF); // largest subnormal
  EXPECT_EQ(toF16Bits(std::ldexp(1.0, -24)), 0x0001);    // smallest subnormal
  // Ties to even, also among subnormals.
  EXPECT_EQ(toF16Bits(1.0 + std::ldexp(1.0, -11)), 0x3C00);
  EXPECT_EQ(toF16Bits(1.0 + 3 * std::ldexp(1.0, -11)), 0x3C02);
  EXPECT_EQ(toF16Bits(std::ldexp(1.0, -25)), 0x0000);
  EXPECT_EQ(toF16Bits(std::ldexp(3.0, -25)), 0x0002);
  EXPECT_EQ(toF16Bits(std::ldexp(1.5, -25)), 0x0001);
  // Rounding subnormals up into the normals.
  EXPECT_EQ(toF16Bits(std::ldexp(2047.0, -25)), 0x0400);
}

TEST(FloatFormats, F16RoundsOnceFromDouble) {
  // Through f32 this would lose the 2^-40 and tie down to 1.0; rounded
  // directly it lies above the halfway point.
  double value = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(toF16Bits(value), 0x3C01);
  EXPECT_EQ(toF16Bits(static_cast<float>(value)), 0x3C00);
}

TEST(FloatFormats, F16DecodesEveryPatternAndRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    double value = fromF16Bits(static_cast<uint16_t>(bits));
    bool nan = (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF);
    if (nan) {
      EXPECT_TRUE(std::isnan(value)) << bits;
      continue;
    }
    EXPECT_EQ(toF16Bits(value), bits) << bits;
    EXPECT_EQ(roundToF16(value), value) << bits;
  }
  EXPECT_EQ(fromF16Bits(0x3555), std::ldexp(1.0 + 341.0 / 1024, -2));
  EXPECT_EQ(fromF16Bits(0x0001), std::ldexp(1.0, -24));
}

#ifdef __FLT16_MAX__
// The compiler's own conversions (libgcc's correctly rounded
// __truncdfhf2) are an independent oracle.
TEST(FloatFormats, F16MatchesCompilerConversion) {
  std::mt19937_64 random(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t raw = random();
    double value;
    std::memcpy(&value, &raw, sizeof(value));
    // Concentrate on magnitudes near the f16 range.
    int exponent;
    double mantissa = std::frexp(value, &exponent);
    value = std::ldexp(mantissa, static_cast<int>(raw % 50) - 30);
    if (std::isnan(value))
      continue;
    _Float16 half = static_cast<_Float16>(value);
    uint16_t expected;
    std::memcpy(&expected, &half, sizeof(expected));
    ASSERT_EQ(toF16Bits(value), expected) << value;
  }
}
#endif

TEST(FloatFormats, BF16KnownBitPatterns) {
  EXPECT_EQ(toBF16Bits(1.0), 0x3F80);
  EXPECT_EQ(toBF16Bits(-1.0), 0xBF80);
  EXPECT_EQ(toBF16Bits(3.140625), 0x4049);
  EXPECT_EQ(toBF16Bits(1.0 + std::ldexp(1.0, -8)), 0x3F80); // tie to even
  EXPECT_EQ(toBF16Bits(1.0 + 3 * std::ldexp(1.0, -8)), 0x3F82);
  EXPECT_EQ(toBF16Bits(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30)),
            0x3F81);
  EXPECT_EQ(toBF16Bits(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(toBF16Bits(std::ldexp(1.0, -133)), 0x0001); // smallest subnormal
  EXPECT_EQ(toBF16Bits(std::ldexp(1.0, -134)), 0x0000); // tie to zero
  EXPECT_EQ(toBF16Bits(kNaN), 0x7FC0);
  EXPECT_EQ(toBF16Bits(-0.0), 0x8000);
}

TEST(FloatFormats, BF16DecodesEveryPatternAndRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    double value = fromBF16Bits(static_cast<uint16_t>(bits));
    // bf16 is the upper half of an f32.
    uint32_t f32Bits = bits << 16;
    float asFloat;
    std::memcpy(&asFloat, &f32Bits, sizeof(asFloat));
    if (std::isnan(asFloat)) {
      EXPECT_TRUE(std::isnan(value));
      continue;
    }
    EXPECT_EQ(value, static_cast<double>(asFloat)) << bits;
    EXPECT_EQ(toBF16Bits(value), bits) << bits;
  }
}

TEST(FloatFormats, F32MatchesHardwareRounding) {
  std::mt19937_64 random(7);
  std::normal_distribution<double> normal(0, 1e3);
  for (int i = 0; i < 100000; ++i) {
    double value = normal(random) * std::ldexp(1.0, i % 300 - 150);
    float expected = static_cast<float>(value);
    uint32_t expectedBits;
    std::memcpy(&expectedBits, &expected, sizeof(expectedBits));
    ASSERT_EQ(toF32Bits(value), expectedBits) << value;
    ASSERT_EQ(roundToF32(value), static_cast<double>(expected)) << value;
    ASSERT_EQ(fromF32Bits(expectedBits), static_cast<double>(expected));
  }
  EXPECT_EQ(toF32Bits(1e39), 0x7F800000u);
  EXPECT_EQ(toF32Bits(std::ldexp(1.0, -149)), 0x00000001u);
}

TEST(FloatFormats, Int64RoundToOddKeepsSecondRoundingCorrect) {
  // 2^62 + 3 * 2^54 - 1 lies just below a bf16 halfway point; a plain
  // conversion to double lands on the halfway point and then ties to even.
  int64_t value = (int64_t(1) << 62) + 3 * (int64_t(1) << 54) - 1;
  EXPECT_EQ(roundToBF16(int64ToDoubleRoundToOdd(value)),
            std::ldexp(1.0, 62) + std::ldexp(1.0, 55));
  EXPECT_EQ(roundToBF16(static_cast<double>(value)),
            std::ldexp(1.0, 62) + std::ldexp(1.0, 56));
  EXPECT_EQ(int64ToDoubleRoundToOdd(std::numeric_limits<int64_t>::min()),
            -std::ldexp(1.0, 63));
  EXPECT_EQ(int64ToDoubleRoundToOdd((int64_t(1) << 53) + 1),
            std::ldexp(1.0, 53) + 2); // inexact: the odd neighbour
  EXPECT_EQ(int64ToDoubleRoundToOdd(-12345), -12345.0);
}

} // namespace
