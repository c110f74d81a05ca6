// copy.cuh under NVRTC: the default configurations of the data-movement
// kernels, for 4-byte, 2-byte, 8-byte and 1-byte elements.
#include "compiler/codegen/kernels/copy.cuh"

using namespace kiln::kernels;

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_strided_copy_f32(StridedCopyParams<float> p) {
  stridedCopy<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_strided_copy_f16(StridedCopyParams<__half> p) {
  stridedCopy<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_strided_copy_i8(StridedCopyParams<signed char> p) {
  stridedCopy<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultTransposeConfig::kThreads)
    kiln_transpose_tiled_f32(TransposeTileParams<float> p) {
  transposeTiled<DefaultTransposeConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultTransposeConfig::kThreads)
    kiln_transpose_tiled_f16(TransposeTileParams<__half> p) {
  transposeTiled<DefaultTransposeConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultTransposeConfig::kThreads)
    kiln_transpose_tiled_i64(TransposeTileParams<long long> p) {
  transposeTiled<DefaultTransposeConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_concat_f32(ConcatParams<float> p) {
  concat<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_concat_bf16(ConcatParams<__nv_bfloat16> p) {
  concat<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_gather_f32_i64(GatherParams<float, long long> p) {
  gather<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_gather_f16_i32(GatherParams<__half, int> p) {
  gather<DefaultCopyConfig>(p);
}

extern "C" __global__ void __launch_bounds__(DefaultCopyConfig::kThreads)
    kiln_gather_elements_f32_i64(GatherElementsParams<float, long long> p) {
  gatherElements<DefaultCopyConfig>(p);
}
