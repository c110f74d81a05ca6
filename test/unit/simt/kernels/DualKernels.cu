//===- DualKernels.cu - One kernel source for NVRTC and the host simulator ===//
//
// Compiled three ways by the tests: by NVRTC for sm_80 (NvrtcTest), by the
// host compiler into a dlopen'ed module that does not link the simulator
// (ModuleTest), and into the test binary itself. Uses every Kiln wrapper.
//
//===----------------------------------------------------------------------===//

#include "runtime/host/simt.h"

// Block-wide sum: warp shuffles, then shared memory across warps, then one
// atomic per block.
__global__ void __launch_bounds__(1024)
    blockSum(const float *__restrict__ in, float *__restrict__ out, int n) {
  KILN_SHARED(float, warpSums, [32]);
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = i < n ? in[i] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2)
    v += __shfl_down_sync(0xffffffffu, v, offset);
  unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0)
    warpSums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    unsigned warps = (blockDim.x + 31) / 32;
    v = lane < warps ? warpSums[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset /= 2)
      v += __shfl_xor_sync(0xffffffffu, v, offset);
    if (lane == 0)
      atomicAdd(out, v);
  }
}
KILN_HOST_KERNEL_ENTRY(blockSum)

// One warp computes D (16x8, fp32) = A (16x16) * B (16x8), both fp16 and
// row-major, the sm_80 way: cp.async to shared, ldmatrix, mma.sync.
__global__ void tensorCoreTile(const __half *a, const __half *b, float *d) {
  KILN_SHARED(__half, sa, [16 * 16]);
  KILN_SHARED(__half, sb, [16 * 8]);
  unsigned lane = threadIdx.x;
  kiln_cp_async_cg(&sa[lane * 8], &a[lane * 8]);
  if (lane < 16)
    kiln_cp_async_cg(&sb[lane * 8], &b[lane * 8]);
  kiln_cp_async_commit();
  kiln_cp_async_wait<0>();
  __syncwarp();
  unsigned aRegs[4], bRegs[2];
  kiln_ldmatrix_x4(aRegs, &sa[(lane % 16) * 16 + (lane / 16) * 8]);
  kiln_ldmatrix_x2_trans(bRegs, &sb[(lane % 16) * 8]);
  float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f}, acc[4];
  kiln_mma_m16n8k16_f16(acc, aRegs, bRegs, zero);
  unsigned g = lane / 4, t = lane % 4;
  d[g * 8 + 2 * t] = acc[0];
  d[g * 8 + 2 * t + 1] = acc[1];
  d[(g + 8) * 8 + 2 * t] = acc[2];
  d[(g + 8) * 8 + 2 * t + 1] = acc[3];
}
KILN_HOST_KERNEL_ENTRY(tensorCoreTile)

// Exercises the remaining wrappers in one warp; the values only need to be
// reproducible (the host test compares module and in-process runs).
__global__ void everyWrapper(const unsigned *in, float *out) {
  KILN_SHARED(unsigned, s, [32 * 8]);
  KILN_DYNAMIC_SHARED(unsigned, extra);
  unsigned lane = threadIdx.x;
  kiln_cp_async_ca<4>(&s[lane * 8], &in[lane * 8]);
  kiln_cp_async_ca<4>(&s[lane * 8 + 1], &in[lane * 8 + 1]);
  kiln_cp_async_ca<8>(&s[lane * 8 + 2], &in[lane * 8 + 2]);
  kiln_cp_async_commit();
  kiln_cp_async_cg_zfill(&s[lane * 8 + 4], &in[lane * 8 + 4],
                         lane % 2 ? 16u : 8u);
  kiln_cp_async_commit();
  kiln_cp_async_ca<16>(&extra[lane * 4], &in[lane * 8]);
  kiln_cp_async_wait<1>();
  kiln_cp_async_wait_all();
  __syncwarp();
  const void *row = &s[lane * 8];
  unsigned r1[1], r2[2], r4[4], t1[1], t2[2], t4[4];
  kiln_ldmatrix_x1(r1, row);
  kiln_ldmatrix_x2(r2, row);
  kiln_ldmatrix_x4(r4, row);
  kiln_ldmatrix_x1_trans(t1, row);
  kiln_ldmatrix_x2_trans(t2, row);
  kiln_ldmatrix_x4_trans(t4, &extra[(lane % 16) * 4]);
  float c[4] = {1.0f, -1.0f, 0.5f, 2.0f}, d[4];
  kiln_mma_m16n8k16_bf16(d, r4, r2, c);
  kiln_mma_m16n8k8_f16(d, t2, r1, d);
  kiln_mma_m16n8k8_bf16(d, r2, t1, d);
  kiln_mma_m16n8k16_f16(d, t4, t2, d);
  unsigned votes = __ballot_sync(0xffffffffu, d[0] > 0.0f);
  for (int i = 0; i < 4; ++i)
    out[lane * 4 + i] = d[i] + static_cast<float>(__popc(votes));
}
KILN_HOST_KERNEL_ENTRY(everyWrapper)

// A template kernel: explicitly instantiated for NVRTC, exported under a
// chosen name on the host.
template <int Factor> __global__ void scaleBy(float *data, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < min(n, static_cast<int>(gridDim.x * blockDim.x)))
    data[i] *= static_cast<float>(Factor);
}
template __global__ void scaleBy<4>(float *, int);
KILN_HOST_KERNEL_ENTRY_NAMED(scaleBy4, scaleBy<4>)
