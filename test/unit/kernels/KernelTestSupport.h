//===- KernelTestSupport.h - Kernel templates against the evaluator -------===//
//
// What the kernel-library tests share. A test TU includes kernel headers
// (compiler/codegen/kernels/*.cuh, i.e. runtime/host/simt.h: CUDA built-ins as
// macros), so this header deliberately exposes no MLIR: the reference side
// (parsing a kiln function and running the reference evaluator on it) lives
// in KernelTestSupport.cpp.
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

} // namespace kiln::test

#endif // KILN_TEST_UNIT_KERNELS_KERNELTESTSUPPORT_H
