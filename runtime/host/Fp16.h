//===- Fp16.h - __half and __nv_bfloat16 for host-compiled kernels --------===//
//
// Own definitions (cuda_fp16.h does not compile with a host-only compiler in a
// useful way). Conversions from float round to nearest even exactly as CUDA's
// __float2half / __float2bfloat16: overflow goes to infinity and every NaN
// becomes the canonical 0x7fff, as the CUDA headers do.
//
// Arithmetic is done in float and rounded once. For +, -, *, / that is
// correctly rounded: float carries 24 bits >= 2p + 2 for both p = 11 (half)
// and p = 8 (bfloat16), so double rounding is innocuous.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_FP16_H
#define KILN_RUNTIME_HOST_FP16_H

#include "runtime/host/VectorTypes.h"

#include <cstdint>
#include <cstring>

namespace kiln::simt {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

inline uint16_t floatToHalfBits(float f) {
  uint32_t x = floatBits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u)
    return 0x7fffu; // canonical NaN, sign dropped (as CUDA)
  // 65520 is the midpoint between 65504 (odd mantissa) and 2^16: ties go to
  // even, i.e. infinity.
  if (ax >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (ax < 0x38800000u) {  // below 2^-14: half subnormal or zero
    if (ax <= 0x33000000u) // <= 2^-25: rounds to zero (2^-25 is a tie to 0)
      return static_cast<uint16_t>(sign);
    uint32_t exponent = ax >> 23;
    uint32_t mantissa = (ax & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - exponent; // in units of 2^-24
    uint32_t result = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (result & 1)))
      ++result;
    return static_cast<uint16_t>(sign | result);
  }
  uint32_t result = ((ax >> 23) - 112) << 10 | ((ax >> 13) & 0x3ffu);
  uint32_t rest = ax & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (result & 1)))
    ++result; // a carry into the exponent is the correct rounding
  return static_cast<uint16_t>(sign | result);
}

inline float halfBitsToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f)
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0)
      return bitsToFloat(sign);
    // Subnormal: exact in float.
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t floatToBfloat16Bits(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return 0x7fffu; // canonical NaN, as CUDA
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

inline float bfloat16BitsToFloat(uint16_t b) {
  return bitsToFloat(static_cast<uint32_t>(b) << 16);
}

} // namespace kiln::simt

struct __half_raw {
  unsigned short x;
};

struct __nv_bfloat16_raw {
  unsigned short x;
};

/// IEEE binary16. `__x` is the field name CUDA uses.
struct __half {
  unsigned short __x;
  __half() = default;
  __half(float f) : __x(kiln::simt::floatToHalfBits(f)) {}
  __half(double d) : __x(kiln::simt::floatToHalfBits(static_cast<float>(d))) {}
  __half(int i) : __x(kiln::simt::floatToHalfBits(static_cast<float>(i))) {}
  __half(__half_raw r) : __x(r.x) {}
  operator float() const { return kiln::simt::halfBitsToFloat(__x); }
  operator __half_raw() const { return __half_raw{__x}; }
};

struct __nv_bfloat16 {
  unsigned short __x;
  __nv_bfloat16() = default;
  __nv_bfloat16(float f) : __x(kiln::simt::floatToBfloat16Bits(f)) {}
  __nv_bfloat16(double d)
      : __x(kiln::simt::floatToBfloat16Bits(static_cast<float>(d))) {}
  __nv_bfloat16(int i)
      : __x(kiln::simt::floatToBfloat16Bits(static_cast<float>(i))) {}
  __nv_bfloat16(__nv_bfloat16_raw r) : __x(r.x) {}
  operator float() const { return kiln::simt::bfloat16BitsToFloat(__x); }
  operator __nv_bfloat16_raw() const { return __nv_bfloat16_raw{__x}; }
};

struct alignas(4) __half2 {
  __half x, y;
};

struct alignas(4) __nv_bfloat162 {
  __nv_bfloat16 x, y;
};

using half = __half;
using half2 = __half2;
using nv_bfloat16 = __nv_bfloat16;
using nv_bfloat162 = __nv_bfloat162;

// ---- Conversions ----

inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline float __half2float(__half h) { return static_cast<float>(h); }
inline __half __ushort_as_half(unsigned short u) { return __half_raw{u}; }
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline __half2 __floats2half2_rn(float a, float b) {
  return __half2{__half(a), __half(b)};
}
inline __half2 __float2half2_rn(float a) {
  return __half2{__half(a), __half(a)};
}
inline __half2 __float22half2_rn(float2 v) {
  return __half2{__half(v.x), __half(v.y)};
}
inline float2 __half22float2(__half2 h) {
  return float2{static_cast<float>(h.x), static_cast<float>(h.y)};
}
inline float __low2float(__half2 h) { return static_cast<float>(h.x); }
inline float __high2float(__half2 h) { return static_cast<float>(h.y); }
inline __half __low2half(__half2 h) { return h.x; }
inline __half __high2half(__half2 h) { return h.y; }
inline __half2 __halves2half2(__half lo, __half hi) { return __half2{lo, hi}; }
inline __half2 __half2half2(__half h) { return __half2{h, h}; }
inline __half2 make_half2(__half lo, __half hi) { return __half2{lo, hi}; }

inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
inline float __bfloat162float(__nv_bfloat16 b) { return static_cast<float>(b); }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) {
  return __nv_bfloat16_raw{u};
}
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 b) { return b.__x; }
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) {
  return __nv_bfloat162{__nv_bfloat16(a), __nv_bfloat16(b)};
}
inline __nv_bfloat162 __float2bfloat162_rn(float a) {
  return __nv_bfloat162{__nv_bfloat16(a), __nv_bfloat16(a)};
}
inline __nv_bfloat162 __float22bfloat162_rn(float2 v) {
  return __nv_bfloat162{__nv_bfloat16(v.x), __nv_bfloat16(v.y)};
}
inline float2 __bfloat1622float2(__nv_bfloat162 b) {
  return float2{static_cast<float>(b.x), static_cast<float>(b.y)};
}
inline float __low2float(__nv_bfloat162 b) { return static_cast<float>(b.x); }
inline float __high2float(__nv_bfloat162 b) { return static_cast<float>(b.y); }
inline __nv_bfloat16 __low2bfloat16(__nv_bfloat162 b) { return b.x; }
inline __nv_bfloat16 __high2bfloat16(__nv_bfloat162 b) { return b.y; }
inline __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 lo, __nv_bfloat16 hi) {
  return __nv_bfloat162{lo, hi};
}
inline __nv_bfloat162 __bfloat162bfloat162(__nv_bfloat16 b) {
  return __nv_bfloat162{b, b};
}

// ---- Arithmetic and comparisons (computed in float, rounded once) ----

#define KILN_FP16_SCALAR_OPS(T)                                                \
  inline T operator+(T a, T b) { return T(float(a) + float(b)); }              \
  inline T operator-(T a, T b) { return T(float(a) - float(b)); }              \
  inline T operator*(T a, T b) { return T(float(a) * float(b)); }              \
  inline T operator/(T a, T b) { return T(float(a) / float(b)); }              \
  inline T operator-(T a) {                                                    \
    T r;                                                                       \
    r.__x = static_cast<unsigned short>(a.__x ^ 0x8000u);                      \
    return r;                                                                  \
  }                                                                            \
  inline T operator+(T a) { return a; }                                        \
  inline T &operator+=(T &a, T b) { return a = a + b; }                        \
  inline T &operator-=(T &a, T b) { return a = a - b; }                        \
  inline T &operator*=(T &a, T b) { return a = a * b; }                        \
  inline T &operator/=(T &a, T b) { return a = a / b; }                        \
  inline bool operator==(T a, T b) { return float(a) == float(b); }            \
  inline bool operator!=(T a, T b) { return float(a) != float(b); }            \
  inline bool operator<(T a, T b) { return float(a) < float(b); }              \
  inline bool operator<=(T a, T b) { return float(a) <= float(b); }            \
  inline bool operator>(T a, T b) { return float(a) > float(b); }              \
  inline bool operator>=(T a, T b) { return float(a) >= float(b); }

KILN_FP16_SCALAR_OPS(__half)
KILN_FP16_SCALAR_OPS(__nv_bfloat16)
#undef KILN_FP16_SCALAR_OPS

#define KILN_FP16_FUNCS(T, T2, P)                                              \
  inline T P##add(T a, T b) { return a + b; }                                  \
  inline T P##sub(T a, T b) { return a - b; }                                  \
  inline T P##mul(T a, T b) { return a * b; }                                  \
  inline T P##div(T a, T b) { return a / b; }                                  \
  inline T P##neg(T a) { return -a; }                                          \
  /* a*b is exact in double; one more rounding to double before the final  */  \
  /* rounding is the only deviation from a fused f16 fma.                  */  \
  inline T P##fma(T a, T b, T c) {                                             \
    return T(static_cast<float>(double(float(a)) * double(float(b)) +          \
                                double(float(c))));                            \
  }                                                                            \
  inline T P##max(T a, T b) { return float(a) > float(b) ? a : b; }            \
  inline T P##min(T a, T b) { return float(a) < float(b) ? a : b; }            \
  inline bool P##eq(T a, T b) { return a == b; }                               \
  inline bool P##ne(T a, T b) { return a != b; }                               \
  inline bool P##lt(T a, T b) { return a < b; }                                \
  inline bool P##le(T a, T b) { return a <= b; }                               \
  inline bool P##gt(T a, T b) { return a > b; }                                \
  inline bool P##ge(T a, T b) { return a >= b; }                               \
  inline T2 P##add2(T2 a, T2 b) { return T2{a.x + b.x, a.y + b.y}; }           \
  inline T2 P##sub2(T2 a, T2 b) { return T2{a.x - b.x, a.y - b.y}; }           \
  inline T2 P##mul2(T2 a, T2 b) { return T2{a.x * b.x, a.y * b.y}; }           \
  inline T2 P##fma2(T2 a, T2 b, T2 c) {                                        \
    return T2{P##fma(a.x, b.x, c.x), P##fma(a.y, b.y, c.y)};                   \
  }                                                                            \
  inline T2 operator+(T2 a, T2 b) { return P##add2(a, b); }                    \
  inline T2 operator-(T2 a, T2 b) { return P##sub2(a, b); }                    \
  inline T2 operator*(T2 a, T2 b) { return P##mul2(a, b); }

KILN_FP16_FUNCS(__half, __half2, __h)
KILN_FP16_FUNCS(__nv_bfloat16, __nv_bfloat162, __h)
#undef KILN_FP16_FUNCS

inline bool __hisnan(__half a) { return (a.__x & 0x7fffu) > 0x7c00u; }
inline bool __hisnan(__nv_bfloat16 a) { return (a.__x & 0x7fffu) > 0x7f80u; }
inline __half __habs(__half a) {
  return __ushort_as_half(static_cast<unsigned short>(a.__x & 0x7fffu));
}
inline __nv_bfloat16 __habs(__nv_bfloat16 a) {
  return __ushort_as_bfloat16(static_cast<unsigned short>(a.__x & 0x7fffu));
}

#endif // KILN_RUNTIME_HOST_FP16_H
