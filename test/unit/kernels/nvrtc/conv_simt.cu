// conv_simt.cuh under NVRTC: the default fp32 implicit-GEMM convolution.
#include "compiler/codegen/kernels/conv_simt.cuh"

using kiln::kernels::DefaultSimtConv2dConfig;
using kiln::kernels::IdentityEpilogue;
using kiln::kernels::SimtConv2dParams;

extern "C" __global__ void __launch_bounds__(DefaultSimtConv2dConfig::kThreads)
    kiln_conv_simt_f32(
        SimtConv2dParams<float, float, float, IdentityEpilogue> p) {
  kiln::kernels::simtConv2d<DefaultSimtConv2dConfig>(p);
}

// The same with two blocks per SM (<= 128 registers).
extern "C" __global__ void __launch_bounds__(DefaultSimtConv2dConfig::kThreads,
                                             2)
    kiln_conv_simt_2b_f32(
        SimtConv2dParams<float, float, float, IdentityEpilogue> p) {
  kiln::kernels::simtConv2d<DefaultSimtConv2dConfig>(p);
}
