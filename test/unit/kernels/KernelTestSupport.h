//===- KernelTestSupport.h - Kernel templates against the evaluator -------===//
//
// What the kernel-library tests share. A test TU includes kernel headers
// (compiler/codegen/kernels/*.cuh, i.e. runtime/host/simt.h: CUDA built-ins as
// macros), so this header deliberately exposes no MLIR: the reference side
// (parsing a kiln function and running the reference evaluator on it) lives
// in KernelTestSupport.cpp.
//
// Besides tensors, the evaluator and launching, it holds what several test
// families repeat: IR text builders (tensorType, funcText, singleOpFunc),
// NCHW <-> NHWC permutations, the sum |a||b| error bound of fp32-accumulated
// products and its reference. Helpers of one family that need kernel types
// live next to it: GemmTestSupport.h (GEMM, SIMT GEMM) and ConvTestSupport.h
// (convolution, SIMT convolution, depthwise).
//
// A typical test:
//   HostTensor a = randomTensor(DType::F16, {37, 61}, /*seed=*/1);
//   ...
//   std::vector<HostTensor> expected = evaluateReference(R"mlir(
//     func.func @f(%a: tensor<37x61xf16>, ...) -> ... { kiln.matmul ... }
//   )mlir", {a, b});
//   std::vector<__half> dA = toBuffer<__half>(a);        // device buffers
//   ... launch on the simulator (launchBoth: plain and race-hunting) ...
//   EXPECT_TRUE(allClose(fromBuffer(DType::F16, shape, out), expected[0],
//                        tol));
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_KERNELS_KERNELTESTSUPPORT_H
#define KILN_TEST_UNIT_KERNELS_KERNELTESTSUPPORT_H

#include "runtime/host/Fp16.h"
#include "runtime/host/Launch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

namespace kiln::test {

enum class DType { F32, F16, BF16, I64, I32, I8, I1 };

const char *dtypeName(DType type);
bool isFloat(DType type);

/// A host tensor: row-major, values held as double already rounded (floats)
/// or wrapped (integers) to the element type.
struct HostTensor {
  DType type = DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> values;

  HostTensor() = default;
  HostTensor(DType type, std::vector<int64_t> shape);
  int64_t numel() const { return static_cast<int64_t>(values.size()); }
  /// Stores `v` rounded/wrapped to the type.
  void set(int64_t i, double v);
  double operator[](int64_t i) const { return values[i]; }
};

/// Uniform in [lo, hi) (floats) or [lo, hi] (integers), rounded to the type,
/// from a seeded mt19937.
HostTensor randomTensor(DType type, std::vector<int64_t> shape, uint32_t seed,
                        double lo = -1.0, double hi = 1.0);

/// Parses `mlir` (a module or a bare `func.func`), evaluates its first
/// function on `inputs` with the reference evaluator and returns the results.
/// Parse or evaluation errors are test failures (and an empty result).
std::vector<HostTensor>
evaluateReference(const std::string &mlir,
                  const std::vector<HostTensor> &inputs);

/// Element-wise |actual - expected| <= atol + rtol * |expected|, same shape
/// and type; NaNs must match. On failure the message has the first
/// mismatches with their multi-indices and the largest errors.
::testing::AssertionResult allClose(const HostTensor &actual,
                                    const HostTensor &expected, double rtol,
                                    double atol = 0.0);

/// The tensor's elements as a device buffer of `T` (float, __half,
/// __nv_bfloat16, int64_t, int32_t, int8_t, bool).
template <typename T> std::vector<T> toBuffer(const HostTensor &t) {
  std::vector<T> out(t.values.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>)
      out[i] = T(static_cast<float>(t.values[i]));
    else
      out[i] = static_cast<T>(t.values[i]);
  }
  return out;
}

/// A device buffer back as a tensor of `type` (values rounded to it).
template <typename T>
HostTensor fromBuffer(DType type, std::vector<int64_t> shape, const T *data) {
  HostTensor t(type, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) {
    if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>)
      t.set(i, static_cast<float>(data[i]));
    else
      t.set(i, static_cast<double>(data[i]));
  }
  return t;
}
template <typename T>
HostTensor fromBuffer(DType type, std::vector<int64_t> shape,
                      const std::vector<T> &data) {
  return fromBuffer(type, std::move(shape), data.data());
}

/// Runs `body` on the simulator with `config`; a launch error is a test
/// failure naming `what`. Returns whether the launch succeeded.
bool launchOk(const simt::LaunchConfig &config,
              const std::function<void()> &body, const std::string &what);

/// The two modes every kernel test runs in: plain, and race-hunting (shared
/// memory poisoned with NaN per block, thread order shuffled at barriers,
/// cp.async deferred to its wait) with a fixed seed.
inline std::vector<bool> raceHuntModes() { return {false, true}; }

/// A launch of `grid` blocks of `block` threads, race-hunting or not, with
/// `seed` for the race-hunting shuffle.
simt::LaunchConfig launchConfig(dim3 grid, dim3 block, bool raceHunt,
                                uint64_t seed = 0);

/// The DType of a device element type.
template <typename T> constexpr DType dtypeOf() {
  if constexpr (std::is_same_v<T, float>)
    return DType::F32;
  else if constexpr (std::is_same_v<T, __half>)
    return DType::F16;
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return DType::BF16;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::I64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::I32;
  else if constexpr (std::is_same_v<T, int8_t>)
    return DType::I8;
  else {
    static_assert(std::is_same_v<T, bool>, "no DType for this type");
    return DType::I1;
  }
}

// ---- Tensors and their permutations ----

/// The product of the extents.
int64_t numel(const std::vector<int64_t> &shape);
/// "2x3x5" ("scalar" for rank 0).
std::string shapeString(const std::vector<int64_t> &shape);

/// The same values as another element type (exact: f16/bf16 -> f32).
HostTensor retype(const HostTensor &t, DType type);
/// |t| element-wise, as f32.
HostTensor absTensor(const HostTensor &t);

/// [A, B, C, D] -> [A, C, D, B] (NCHW -> NHWC, OIHW -> OHWI) as T.
template <typename T> std::vector<T> toChannelsLast(const HostTensor &t) {
  int64_t a = t.shape[0], b = t.shape[1], c = t.shape[2], d = t.shape[3];
  std::vector<T> out(t.numel());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k)
        for (int64_t l = 0; l < d; ++l)
          out[((i * c + k) * d + l) * b + j] =
              T(static_cast<float>(t[((i * b + j) * c + k) * d + l]));
  return out;
}

/// NHWC buffer -> NCHW tensor of `type`, shape [n, c, h, w].
template <typename T>
HostTensor fromChannelsLast(DType type, const std::vector<T> &v, int64_t n,
                            int64_t c, int64_t h, int64_t w) {
  HostTensor t(type, {n, c, h, w});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < h; ++k)
        for (int64_t l = 0; l < w; ++l)
          t.set(((i * c + j) * h + k) * w + l,
                static_cast<float>(v[((i * h + k) * w + l) * c + j]));
  return t;
}

// ---- Reference IR text ----

/// "tensor<2x3x5xf32>" ("tensor<f32>" for rank 0).
std::string tensorType(const std::vector<int64_t> &shape,
                       const char *element = "f32");
std::string tensorType(const std::vector<int64_t> &shape, DType type);
/// "[1, 2, 3]", as kiln's integer array attributes print.
std::string intList(const std::vector<int64_t> &v);

/// `func.func @f(<args>) -> <resultType>` running `body` (lines of ops, each
/// "  %v = ...\n") and returning `result`.
std::string funcText(const std::string &args, const std::string &resultType,
                     const std::string &body, const std::string &result = "%0");
/// The function of a single op: `%0 = <op>` (e.g. "kiln.relu %x : <type>")
/// returned as `resultType`.
std::string singleOpFunc(const std::string &args, const std::string &resultType,
                         const std::string &op);

// ---- Error bounds ----

/// One ulp (relative) of the storage type: 2^-10 for f16, 2^-7 for bf16, 0
/// otherwise.
double storageUlp(DType type);

struct Tolerance {
  double rtol, atol;
};

/// The bound of products summed in fp32 (GEMM, convolution), per element
/// with S = sumAbs (sum |a| |b| over the element's terms) and K terms:
///   |actual - expected| <= rel |expected| + 2 gamma S + 2^-24,
/// gamma = K 2^-23, rel one output ulp (1e-5 for f32 outputs).
::testing::AssertionResult withinSumAbsBound(const HostTensor &actual,
                                             const HostTensor &expected,
                                             const HostTensor &sumAbs,
                                             int64_t k);

/// Expected output and S = sum |a| |b| of a product-like op of a and b.
struct SumAbsReference {
  HostTensor expected, sumAbs;
  bool ok = false; // both evaluated to one result
};
/// `func(element)` is the op as a function of (a, b) in element type
/// `element`: the expected output is the op on a and b retyped to `out`, S
/// the op on |a|, |b| in f32.
SumAbsReference
sumAbsReference(const std::function<std::string(const char *)> &func,
                const HostTensor &a, const HostTensor &b, DType out);

/// RowConfig (a row kernel) or ColumnConfig (a column kernel).
template <class C, class = void> struct IsRowConfig : std::false_type {};
template <class C>
struct IsRowConfig<C, std::void_t<decltype(C::kRowsPerBlock)>>
    : std::true_type {};

} // namespace kiln::test

#endif // KILN_TEST_UNIT_KERNELS_KERNELTESTSUPPORT_H
