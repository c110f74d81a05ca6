//===- kiln_cuda_compat.h - Kiln kernel spellings for nvcc and NVRTC ------===//
//
// The CUDA side of simt.h: what KILN_SHARED, kiln_mma_*, kiln_ldmatrix_* and
// kiln_cp_async_* mean on a real GPU (sm_80+ for the tensor-core and
// async-copy wrappers). Included by simt.h under __CUDACC__; never by the host
// compiler. Uses no standard headers, so NVRTC needs only -I for this tree
// and the CUDA include directory (for cuda_fp16.h / cuda_bf16.h).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_KILN_CUDA_COMPAT_H
#define KILN_RUNTIME_HOST_KILN_CUDA_COMPAT_H

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#define KILN_SHARED(T, name, dims) __shared__ __align__(16) T name dims
#define KILN_DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]
// Host entries only exist in the host code object.
#define KILN_HOST_KERNEL_ENTRY(Kernel)
#define KILN_HOST_KERNEL_ENTRY_NAMED(Name, ...)

__device__ __forceinline__ unsigned kilnSharedAddress(const void *p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void kiln_mma_m16n8k16_f16(float d[4],
                                                      const unsigned a[4],
                                                      const unsigned b[2],
                                                      const float c[4]) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}

__device__ __forceinline__ void kiln_mma_m16n8k16_bf16(float d[4],
                                                       const unsigned a[4],
                                                       const unsigned b[2],
                                                       const float c[4]) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}

__device__ __forceinline__ void kiln_mma_m16n8k8_f16(float d[4],
                                                     const unsigned a[2],
                                                     const unsigned b[1],
                                                     const float c[4]) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 "
               "{%0,%1,%2,%3}, {%4,%5}, {%6}, {%7,%8,%9,%10};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(b[0]), "f"(c[0]), "f"(c[1]),
                 "f"(c[2]), "f"(c[3]));
}

__device__ __forceinline__ void kiln_mma_m16n8k8_bf16(float d[4],
                                                      const unsigned a[2],
                                                      const unsigned b[1],
                                                      const float c[4]) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5}, {%6}, {%7,%8,%9,%10};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(b[0]), "f"(c[0]), "f"(c[1]),
                 "f"(c[2]), "f"(c[3]));
}

__device__ __forceinline__ void kiln_ldmatrix_x1(unsigned r[1],
                                                 const void *row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];\n"
               : "=r"(r[0])
               : "r"(kilnSharedAddress(row)));
}
__device__ __forceinline__ void kiln_ldmatrix_x2(unsigned r[2],
                                                 const void *row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(kilnSharedAddress(row)));
}
__device__ __forceinline__ void kiln_ldmatrix_x4(unsigned r[4],
                                                 const void *row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(kilnSharedAddress(row)));
}
__device__ __forceinline__ void kiln_ldmatrix_x1_trans(unsigned r[1],
                                                       const void *row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];\n"
               : "=r"(r[0])
               : "r"(kilnSharedAddress(row)));
}
__device__ __forceinline__ void kiln_ldmatrix_x2_trans(unsigned r[2],
                                                       const void *row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(kilnSharedAddress(row)));
}
__device__ __forceinline__ void kiln_ldmatrix_x4_trans(unsigned r[4],
                                                       const void *row) {
  asm volatile(
      "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
      : "r"(kilnSharedAddress(row)));
}

template <int Bytes>
__device__ __forceinline__ void kiln_cp_async_ca(void *smem, const void *gmem) {
  static_assert(Bytes == 4 || Bytes == 8 || Bytes == 16,
                "cp.async.ca copies 4, 8 or 16 bytes");
  asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(
                   kilnSharedAddress(smem)),
               "l"(gmem), "n"(Bytes));
}
__device__ __forceinline__ void kiln_cp_async_cg(void *smem, const void *gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(
                   kilnSharedAddress(smem)),
               "l"(gmem));
}
__device__ __forceinline__ void
kiln_cp_async_cg_zfill(void *smem, const void *gmem, unsigned srcBytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(
                   kilnSharedAddress(smem)),
               "l"(gmem), "r"(srcBytes));
}
__device__ __forceinline__ void kiln_cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void kiln_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
__device__ __forceinline__ void kiln_cp_async_wait_all() {
  asm volatile("cp.async.wait_all;\n" ::);
}

#endif // KILN_RUNTIME_HOST_KILN_CUDA_COMPAT_H
