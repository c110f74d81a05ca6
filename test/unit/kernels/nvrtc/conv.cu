// conv.cuh under NVRTC: the default tensor-core implicit-GEMM convolution,
// fp16 and bf16, output in the input type.
#include "compiler/codegen/kernels/conv.cuh"

using kiln::kernels::Conv2dParams;
using kiln::kernels::DefaultConv2dConfig;
using kiln::kernels::IdentityEpilogue;

extern "C" __global__ void __launch_bounds__(DefaultConv2dConfig::kThreads)
    kiln_conv_f16(Conv2dParams<__half, __half, IdentityEpilogue> p) {
  kiln::kernels::conv2d<DefaultConv2dConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultConv2dConfig::kThreads)
    kiln_conv_bf16(
        Conv2dParams<__nv_bfloat16, __nv_bfloat16, IdentityEpilogue> p) {
  kiln::kernels::conv2d<DefaultConv2dConfig>(p);
}
