// gemm.cuh under NVRTC: the default tensor-core GEMM configuration for fp16
// and bf16, both B layouts (kiln.matmul [K, N]; kiln.linear
// transpose_weight [N, K]), output in the input type (and one fp32-output
// variant), and the split-K reduction.
#include "compiler/codegen/kernels/gemm.cuh"

using kiln::kernels::DefaultGemmConfig;
using kiln::kernels::GemmParams;
using kiln::kernels::IdentityEpilogue;
using kiln::kernels::kGemmReduceThreads;

#define KILN_GEMM_WRAPPERS(Suffix, T)                                          \
  extern "C" __global__ void __launch_bounds__(DefaultGemmConfig::kThreads)    \
      kiln_gemm_##Suffix(GemmParams<T, T, IdentityEpilogue> p) {               \
    kiln::kernels::gemm<DefaultGemmConfig, false>(p);                          \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(DefaultGemmConfig::kThreads)    \
      kiln_gemm_bt_##Suffix(GemmParams<T, T, IdentityEpilogue> p) {            \
    kiln::kernels::gemm<DefaultGemmConfig, true>(p);                           \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(kGemmReduceThreads)             \
      kiln_gemm_splitk_reduce_##Suffix(GemmParams<T, T, IdentityEpilogue> p) { \
    kiln::kernels::gemmSplitKReduce(p);                                        \
  }

KILN_GEMM_WRAPPERS(f16, __half)
KILN_GEMM_WRAPPERS(bf16, __nv_bfloat16)

// fp16 inputs, fp32 output (float2 stores).
extern "C" __global__ void __launch_bounds__(DefaultGemmConfig::kThreads)
    kiln_gemm_bt_f16_f32(GemmParams<__half, float, IdentityEpilogue> p) {
  kiln::kernels::gemm<DefaultGemmConfig, true>(p);
}
