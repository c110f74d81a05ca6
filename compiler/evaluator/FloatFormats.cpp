//===- FloatFormats.cpp - Exact f32/f16/bf16 rounding and encoding --------===//

#include "compiler/evaluator/FloatFormats.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir::kiln;

namespace {
/// A binary floating-point format: `precision` significand bits including
/// the implicit one, normal exponents in [minExponent, maxExponent].
struct Format {
  int precision;
  int minExponent;
  int maxExponent;
};

constexpr Format kF32{24, -126, 127};
constexpr Format kF16{11, -14, 15};
constexpr Format kBF16{8, -126, 127};
} // namespace

/// Round to nearest even in `format`. Scaling by a power of two is exact in
/// double for every magnitude these formats reach, so the only rounding is
/// the one nearbyint performs (the default rounding mode is ties-to-even).
static double roundTo(double value, Format format) {
  if (std::isnan(value) || std::isinf(value) || value == 0)
    return value;
  double magnitude = std::fabs(value);
  int exponent;
  std::frexp(magnitude, &exponent); // magnitude = m * 2^exponent, m in [.5, 1)
  int leading = exponent - 1;       // exponent of the leading bit
  int quantumExponent =
      (leading < format.minExponent ? format.minExponent : leading) -
      (format.precision - 1);
  double rounded = std::ldexp(
      std::nearbyint(std::ldexp(magnitude, -quantumExponent)), quantumExponent);
  if (rounded >= std::ldexp(1.0, format.maxExponent + 1))
    rounded = std::numeric_limits<double>::infinity();
  return std::copysign(rounded, value);
}

/// Encodes a value already representable in `format` as its bits, with
/// `exponentBits` exponent bits below the sign.
static uint32_t encode(double value, Format format, int exponentBits) {
  int mantissaBits = format.precision - 1;
  int bias = format.maxExponent;
  uint32_t sign = std::signbit(value) ? 1u : 0u;
  uint32_t expAllOnes = (1u << exponentBits) - 1;
  uint32_t bits;
  if (std::isnan(value)) {
    // A quiet NaN: the top mantissa bit set.
    bits = (expAllOnes << mantissaBits) | (1u << (mantissaBits - 1));
  } else if (std::isinf(value)) {
    bits = expAllOnes << mantissaBits;
  } else if (value == 0) {
    bits = 0;
  } else {
    double magnitude = std::fabs(value);
    int exponent;
    std::frexp(magnitude, &exponent);
    int leading = exponent - 1;
    if (leading < format.minExponent) {
      // Subnormal: the significand counts quanta of 2^(emin - mantissaBits).
      bits = static_cast<uint32_t>(
          std::ldexp(magnitude, -(format.minExponent - mantissaBits)));
    } else {
      uint32_t significand =
          static_cast<uint32_t>(std::ldexp(magnitude, mantissaBits - leading));
      bits = (static_cast<uint32_t>(leading + bias) << mantissaBits) |
             (significand & ((1u << mantissaBits) - 1));
    }
  }
  return (sign << (exponentBits + mantissaBits)) | bits;
}

static double decode(uint32_t bits, Format format, int exponentBits) {
  int mantissaBits = format.precision - 1;
  int bias = format.maxExponent;
  bool negative = (bits >> (exponentBits + mantissaBits)) & 1;
  uint32_t exponent = (bits >> mantissaBits) & ((1u << exponentBits) - 1);
  uint32_t mantissa = bits & ((1u << mantissaBits) - 1);
  double magnitude;
  if (exponent == (1u << exponentBits) - 1)
    magnitude = mantissa ? std::numeric_limits<double>::quiet_NaN()
                         : std::numeric_limits<double>::infinity();
  else if (exponent == 0)
    magnitude = std::ldexp(static_cast<double>(mantissa),
                           format.minExponent - mantissaBits);
  else
    magnitude = std::ldexp(static_cast<double>(mantissa | (1u << mantissaBits)),
                           static_cast<int>(exponent) - bias - mantissaBits);
  return negative ? -magnitude : magnitude;
}

double mlir::kiln::roundToF32(double value) { return roundTo(value, kF32); }
double mlir::kiln::roundToF16(double value) { return roundTo(value, kF16); }
double mlir::kiln::roundToBF16(double value) { return roundTo(value, kBF16); }

uint16_t mlir::kiln::toF16Bits(double value) {
  return static_cast<uint16_t>(encode(roundToF16(value), kF16, 5));
}
double mlir::kiln::fromF16Bits(uint16_t bits) { return decode(bits, kF16, 5); }

uint16_t mlir::kiln::toBF16Bits(double value) {
  return static_cast<uint16_t>(encode(roundToBF16(value), kBF16, 8));
}
double mlir::kiln::fromBF16Bits(uint16_t bits) {
  return decode(bits, kBF16, 8);
}

uint32_t mlir::kiln::toF32Bits(double value) {
  return encode(roundToF32(value), kF32, 8);
}
double mlir::kiln::fromF32Bits(uint32_t bits) { return decode(bits, kF32, 8); }

double mlir::kiln::int64ToDoubleRoundToOdd(int64_t value) {
  bool negative = value < 0;
  // Two's complement negation in unsigned arithmetic is defined for INT64_MIN.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value)
                                : static_cast<uint64_t>(value);
  int shift = 0;
  while ((magnitude >> shift) >= (uint64_t(1) << 53))
    ++shift;
  uint64_t kept = magnitude >> shift;
  if (shift && (magnitude & ((uint64_t(1) << shift) - 1)))
    kept |= 1; // the sticky bit: some of the dropped bits were set
  double result = std::ldexp(static_cast<double>(kept), shift);
  return negative ? -result : result;
}
