// softmax.cuh and norm.cuh under NVRTC: the default configurations (and the
// block-per-row ones) for fp32, fp16 and bf16 storage.
#include "compiler/codegen/kernels/norm.cuh"
#include "compiler/codegen/kernels/softmax.cuh"

using namespace kiln::kernels;

#define KILN_SOFTMAX_NORM_KERNELS(SUFFIX, T)                                   \
  extern "C" __global__ void __launch_bounds__(DefaultSoftmaxConfig::kThreads) \
      kiln_softmax_rows_##SUFFIX(                                              \
          SoftmaxParams<T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    softmaxRows<DefaultSoftmaxConfig, false>(p);                               \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(DefaultSoftmaxConfig::kThreads) \
      kiln_log_softmax_rows_##SUFFIX(                                          \
          SoftmaxParams<T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    softmaxRows<DefaultSoftmaxConfig, true>(p);                                \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(BlockSoftmaxConfig::kThreads)   \
      kiln_softmax_block_rows_##SUFFIX(                                        \
          SoftmaxParams<T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    softmaxRows<BlockSoftmaxConfig, false>(p);                                 \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultSoftmaxColumnConfig::kThreads)                                    \
      kiln_softmax_columns_##SUFFIX(                                           \
          SoftmaxParams<T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    softmaxColumns<DefaultSoftmaxColumnConfig, false>(p);                      \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(DefaultNormConfig::kThreads)    \
      kiln_layer_norm_##SUFFIX(                                                \
          NormParams<T, T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    layerNorm<DefaultNormConfig>(p);                                           \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(WarpNormConfig::kThreads)       \
      kiln_layer_norm_warp_##SUFFIX(                                           \
          NormParams<T, T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    layerNorm<WarpNormConfig>(p);                                              \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(DefaultNormConfig::kThreads)    \
      kiln_rms_norm_##SUFFIX(                                                  \
          NormParams<T, T, MatrixLoader<T>, IdentityEpilogue> p) {             \
    rmsNorm<DefaultNormConfig>(p);                                             \
  }

KILN_SOFTMAX_NORM_KERNELS(f32, float)
KILN_SOFTMAX_NORM_KERNELS(f16, __half)
KILN_SOFTMAX_NORM_KERNELS(bf16, __nv_bfloat16)
