// reduce.cuh under NVRTC: the default configurations of the row and column
// reductions and of argmax / argmin, for fp32, fp16 and bf16 storage.
#include "compiler/codegen/kernels/reduce.cuh"

using namespace kiln::kernels;

#define KILN_REDUCE_KERNELS(SUFFIX, T)                                         \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultReduceRowConfig::kThreads)                                        \
      kiln_reduce_rows_sum_##SUFFIX(                                           \
          ReduceParams<T, MatrixLoader<T>, IdentityEpilogue> p) {              \
    reduceRows<DefaultReduceRowConfig, ReduceSum>(p);                          \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultReduceRowConfig::kThreads)                                        \
      kiln_reduce_rows_max_##SUFFIX(                                           \
          ReduceParams<T, MatrixLoader<T>, IdentityEpilogue> p) {              \
    reduceRows<DefaultReduceRowConfig, ReduceMax>(p);                          \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(BlockReduceRowConfig::kThreads) \
      kiln_reduce_block_rows_mean_##SUFFIX(                                    \
          ReduceParams<T, MatrixLoader<T>, IdentityEpilogue> p) {              \
    reduceRows<BlockReduceRowConfig, ReduceMean>(p);                           \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultReduceColumnConfig::kThreads)                                     \
      kiln_reduce_columns_sum_##SUFFIX(                                        \
          ReduceParams<T, MatrixLoader<T>, IdentityEpilogue> p) {              \
    reduceColumns<DefaultReduceColumnConfig, ReduceSum>(p);                    \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultReduceColumnConfig::kThreads)                                     \
      kiln_reduce_columns_min_##SUFFIX(                                        \
          ReduceParams<T, MatrixLoader<T>, IdentityEpilogue> p) {              \
    reduceColumns<DefaultReduceColumnConfig, ReduceMin>(p);                    \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultReduceRowConfig::kThreads)                                        \
      kiln_argmax_rows_##SUFFIX(ArgReduceParams<MatrixLoader<T>> p) {          \
    argReduceRows<DefaultReduceRowConfig, true>(p);                            \
  }                                                                            \
  extern "C" __global__ void __launch_bounds__(                                \
      DefaultReduceColumnConfig::kThreads)                                     \
      kiln_argmin_columns_##SUFFIX(ArgReduceParams<MatrixLoader<T>> p) {       \
    argReduceColumns<DefaultReduceColumnConfig, false>(p);                     \
  }

KILN_REDUCE_KERNELS(f32, float)
KILN_REDUCE_KERNELS(f16, __half)
KILN_REDUCE_KERNELS(bf16, __nv_bfloat16)
