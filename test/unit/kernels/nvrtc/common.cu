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
