// gemm_simt.cuh under NVRTC: the default SIMT GEMM configuration, fp32, for
// both B layouts (kiln.matmul / kiln.linear [K, N], transpose_weight [N, K]).
#include "compiler/codegen/kernels/gemm_simt.cuh"

using kiln::kernels::DefaultSimtGemmConfig;
using kiln::kernels::IdentityEpilogue;
using kiln::kernels::SimtGemmParams;

extern "C" __global__ void __launch_bounds__(DefaultSimtGemmConfig::kThreads)
    kiln_gemm_simt_f32(
        SimtGemmParams<float, float, float, IdentityEpilogue> p) {
  kiln::kernels::simtGemm<DefaultSimtGemmConfig, false>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultSimtGemmConfig::kThreads)
    kiln_gemm_simt_bt_f32(
        SimtGemmParams<float, float, float, IdentityEpilogue> p) {
  kiln::kernels::simtGemm<DefaultSimtGemmConfig, true>(p);
}

// The same with two blocks per SM (<= 128 registers): zero spills for the
// [N, K] B layout only (the [K, N] layout needs ~135-155 registers).
extern "C" __global__ void __launch_bounds__(DefaultSimtGemmConfig::kThreads, 2)
    kiln_gemm_simt_2b_bt_f32(
        SimtGemmParams<float, float, float, IdentityEpilogue> p) {
  kiln::kernels::simtGemm<DefaultSimtGemmConfig, true>(p);
}
