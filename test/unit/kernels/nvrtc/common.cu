// common.cuh under NVRTC: conversions and warp reductions.
#include "compiler/codegen/kernels/common.cuh"

extern "C" __global__ void __launch_bounds__(256)
    kiln_common_row_max_f16(const __half *x, __half *out, long long cols) {
  using namespace kiln::kernels;
  float m = MaxOp::identity();
  for (long long c = threadIdx.x % 32; c < cols; c += 32)
    m = fmaxf(m, load(x, (blockIdx.x * 8 + threadIdx.x / 32) * cols + c));
  m = warpReduce<MaxOp>(m);
  if (threadIdx.x % 32 == 0)
    store(out, blockIdx.x * 8 + threadIdx.x / 32, m);
}

#include "compiler/codegen/kernels/conv_common.cuh"

// conv_common.cuh's addressing compiles for the device (used by the conv
// families' own kernels; this only proves the header is NVRTC-clean).
extern "C" __global__ void __launch_bounds__(128)
    kiln_common_im2col_f32(const float *x, float *out,
                           kiln::kernels::Conv2dProblem p) {
  using namespace kiln::kernels;
  Index m = blockIdx.x * 128 + threadIdx.x;
  ConvRow row = convRow(p, m);
  for (Index k = 0; k < p.gemmK(); ++k) {
    Index off = convInputOffset(p, row, k, 0);
    if (row.valid)
      out[m * p.gemmK() + k] = off < 0 ? 0.0f : x[off];
  }
}
