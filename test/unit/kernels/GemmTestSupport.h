//===- GemmTestSupport.h - What the GEMM tests share ------------*- C++ -*-===//
//
// The parts of GemmTest.cpp (tensor cores) and GemmSimtTest.cpp (fp32 SIMT)
// that do not depend on the kernel: the reference IR of kiln.matmul /
// kiln.linear, dense parameters (both kernels' params have the same GEMM
// fields), the [2, 1] x [1, 3] batch broadcast, the fused bias + relu +
// residual epilogue, and reading back a pitched output. Includes a kernel
// header (common.cuh): for test TUs only.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_KERNELS_GEMMTESTSUPPORT_H
#define KILN_TEST_UNIT_KERNELS_GEMMTESTSUPPORT_H

#include "compiler/codegen/kernels/common.cuh"

#include "KernelTestSupport.h"

#include <string>

namespace kiln::test {

/// `%a op %b` (kiln.matmul, or kiln.linear transpose_weight) as a function
/// of element type `el` for inputs and output.
inline std::string gemmFunc(const std::vector<int64_t> &as,
                            const std::vector<int64_t> &bs,
                            const std::vector<int64_t> &cs, bool bTransposed,
                            const char *el) {
  std::string at = tensorType(as, el), bt = tensorType(bs, el),
              ct = tensorType(cs, el);
  return singleOpFunc("%a: " + at + ", %b: " + bt, ct,
                      std::string(bTransposed
                                      ? "kiln.linear %a, %b transpose_weight"
                                      : "kiln.matmul %a, %b") +
                          " : " + at + ", " + bt + " -> " + ct);
}

/// relu(%x W^T + %b) + %r in f32 for x [2, M, K], W [N, K]: the reference of
/// GemmBiasReluResidual.
inline std::string biasReluResidualFunc(int64_t m, int64_t n, int64_t k) {
  std::string xt = tensorType({2, m, k}), wt = tensorType({n, k}),
              bt = tensorType({n}), yt = tensorType({2, m, n});
  return funcText(
      "%x: " + xt + ", %w: " + wt + ", %b: " + bt + ", %r: " + yt, yt,
      "  %0 = kiln.linear %x, %w, %b transpose_weight : " + xt + ", " + wt +
          ", " + bt + " -> " + yt + "\n  %1 = kiln.relu %0 : " + yt +
          "\n  %2 = kiln.add %1, %r : " + yt + "\n",
      "%2");
}

/// One dense [M, K] x [K, N] (or [N, K] when bTransposed) product in params
/// P (GemmParams or SimtGemmParams).
template <class P, typename T, typename OutT>
P denseGemmParams(const T *a, const T *b, OutT *c, int64_t m, int64_t n,
                  int64_t k, bool bTransposed) {
  P p{};
  p.a = a;
  p.b = b;
  p.c = c;
  p.m = m;
  p.n = n;
  p.k = k;
  p.batch = 1;
  p.batchInner = 1;
  p.lda = k;
  p.ldb = bTransposed ? k : n;
  p.ldc = n;
  return p;
}

/// [2, 1, M, K] x [1, 3, K, N] -> [2, 3, M, N]: A broadcast along the inner
/// batch dim, B along the outer one.
template <class P> void broadcastBatches2x3(P &p) {
  p.batch = 6;
  p.batchInner = 3;
  p.strideA[0] = p.m * p.k; // outer (size 2)
  p.strideA[1] = 0;         // inner (size 3): broadcast
  p.strideB[0] = 0;
  p.strideB[1] = p.k * p.n;
  p.strideC = p.m * p.n;
}

/// relu(x W^T + bias) + residual as a fused epilogue of a batched GEMM.
struct GemmBiasReluResidual {
  const float *bias;
  const float *residual; // [batch, M, N]
  kiln::kernels::Index m, n;
  KILN_DEVICE float operator()(float acc, kiln::kernels::Index batch,
                               kiln::kernels::Index row,
                               kiln::kernels::Index col) const {
    float v = acc + bias[col];
    v = v > 0.0f ? v : 0.0f;
    return v + residual[(batch * m + row) * n + col];
  }
};

/// The [rows, cols] values of a buffer with leading dim ld; the padding
/// columns must still hold `untouched` (nothing written past N).
template <typename T>
std::vector<T> unpitch(const std::vector<T> &buffer, int64_t rows, int64_t cols,
                       int64_t ld, float untouched) {
  std::vector<T> out(rows * cols);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j)
      out[i * cols + j] = buffer[i * ld + j];
    for (int64_t j = cols; j < ld; ++j)
      EXPECT_EQ(static_cast<float>(buffer[i * ld + j]), untouched)
          << "wrote past N in row " << i;
  }
  return out;
}

} // namespace kiln::test

#endif // KILN_TEST_UNIT_KERNELS_GEMMTESTSUPPORT_H
