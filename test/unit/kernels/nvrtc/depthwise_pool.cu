// depthwise.cuh and pool.cuh under NVRTC: the default configurations, for
// fp32 and fp16 storage.
#include "compiler/codegen/kernels/depthwise.cuh"
#include "compiler/codegen/kernels/pool.cuh"

using namespace kiln::kernels;

extern "C" __global__ void __launch_bounds__(DefaultDepthwiseConfig::kThreads)
    kiln_depthwise_f32(
        DepthwiseConv2dParams<float, float, float, IdentityEpilogue> p) {
  depthwiseConv2d<DefaultDepthwiseConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultDepthwiseConfig::kThreads)
    kiln_depthwise_f16(
        DepthwiseConv2dParams<__half, __half, __half, IdentityEpilogue> p) {
  depthwiseConv2d<DefaultDepthwiseConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultPoolConfig::kThreads)
    kiln_max_pool2d_f32(Pool2dParams<float, float, IdentityEpilogue> p) {
  pool2d<DefaultPoolConfig, true>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultPoolConfig::kThreads)
    kiln_avg_pool2d_f32(Pool2dParams<float, float, IdentityEpilogue> p) {
  pool2d<DefaultPoolConfig, false>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultPoolConfig::kThreads)
    kiln_max_pool2d_bf16(
        Pool2dParams<__nv_bfloat16, __nv_bfloat16, IdentityEpilogue> p) {
  pool2d<DefaultPoolConfig, true>(p);
}
