//===- FloatFormats.h - Exact f32/f16/bf16 rounding and encoding -*- C++
//-*-===//
//
// The evaluator keeps every floating-point element as a double holding a
// value exactly representable in the element type. These functions are the
// only place a double becomes an f32, f16 or bf16 value: round to nearest,
// ties to even, with overflow to infinity and gradual underflow, computed
// directly from the double so that no intermediate rounding (double -> f32 ->
// f16) can change a result.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_EVALUATOR_FLOATFORMATS_H
#define KILN_COMPILER_EVALUATOR_FLOATFORMATS_H

#include <cstdint>

namespace mlir::kiln {

/// Rounds `value` to the nearest f32 / f16 / bf16 value (ties to even),
/// returned as a double. NaN stays NaN (sign kept); overflow gives infinity.
double roundToF32(double value);
double roundToF16(double value);
double roundToBF16(double value);

/// IEEE binary16 bits of `value` rounded to f16, and back.
uint16_t toF16Bits(double value);
double fromF16Bits(uint16_t bits);

/// bfloat16 bits (the upper half of an f32) of `value` rounded to bf16, and
/// back.
uint16_t toBF16Bits(double value);
double fromBF16Bits(uint16_t bits);

/// binary32 bits of `value` rounded to f32, and back.
uint32_t toF32Bits(double value);
double fromF32Bits(uint32_t bits);

/// The double nearest to `value` with ties and inexact results resolved by
/// "round to odd" (the last significand bit is set when bits were lost).
/// Rounding this double once more to a format with at most 51 significand
/// bits gives the correctly rounded result of `value`, which a plain
/// int64 -> double conversion followed by a second rounding does not.
double int64ToDoubleRoundToOdd(int64_t value);

} // namespace mlir::kiln

#endif // KILN_COMPILER_EVALUATOR_FLOATFORMATS_H
