// RUN: kiln-codegen %s | FileCheck %s
// RUN: kiln-codegen %s --emit=kernels | FileCheck %s --check-prefix=LAUNCH

// Kernels are named after the function and the group's index; the groups of
// a function share one translation unit that includes simt.h and the kernel
// library's common header once.
// CHECK-LABEL: // ----- kiln_bcast.cu
// CHECK: #include "runtime/host/simt.h"
// CHECK: #include "compiler/codegen/kernels/common.cuh"

// Every kernel takes its inputs, its results, a workspace and the dims table
// (the run-time dims of the inputs, then of the results); static dims are
// constants. [7,1] + [1,13]: both inputs broadcast, so the output
// coordinates are recovered from the linear index (innermost first) and each
// input's offset skips its dims of 1.
// CHECK-LABEL: // kiln.fusion #0: kiln.exp + kiln.add
// CHECK: struct kiln_bcast_fusion0_dims {
// CHECK-NEXT:   long long v[6];
// CHECK-NEXT: };
// CHECK: extern "C" __global__ void __launch_bounds__(256, 1) kiln_bcast_fusion0(const float *__restrict__ in0, const float *__restrict__ in1, float *__restrict__ out0, void *workspace, kiln_bcast_fusion0_dims d) {
// CHECK-NEXT:   const kiln::kernels::Index numel = 91LL;
// CHECK-NOT:    kVec
// CHECK:        for (kiln::kernels::Index i = done + first; i < numel; i += stride) {
// CHECK-NEXT:     kiln::kernels::Index o0;
// CHECK-NEXT:     {
// CHECK-NEXT:       kiln::kernels::Index rem = i;
// CHECK-NEXT:       const kiln::kernels::Index c1 = rem % 13LL;
// CHECK-NEXT:       rem /= 13LL;
// CHECK-NEXT:       const kiln::kernels::Index c0 = rem;
// CHECK-NEXT:       kiln::kernels::Index s0 = 1;
// CHECK-NEXT:       o0 = 0;
// CHECK-NEXT:       o0 += c0 * s0;
// CHECK-NEXT:     }
// CHECK-NEXT:     const float x0 = in0[o0];
// CHECK:          o1 += c1 * s1;
// CHECK:          const float x1 = in1[o1];
// CHECK-NEXT:     float v0 = expf(x0);
// CHECK-NEXT:     float v1 = v0 + x1;
// CHECK-NEXT:     out0[i] = v1;
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: KILN_HOST_KERNEL_ENTRY(kiln_bcast_fusion0)

// A rank-0 input is read at 0 and an input of the output's static shape at
// the output index: no index math. With no broadcast operand, 16-byte
// vectors (4 floats) move kVec elements per iteration when every pointer is
// aligned; the scalar loop does the tail and the unaligned case.
// CHECK-LABEL: // kiln.fusion #1: kiln.mul + kiln.gelu + kiln.max
// CHECK: void __launch_bounds__(256, 1) kiln_bcast_fusion1(const float *__restrict__ in0, const float *__restrict__ in1, float *__restrict__ out0, void *workspace, kiln_bcast_fusion1_dims d) {
// CHECK-NOT: rem
// CHECK:        constexpr int kVec = 4;
// CHECK-NEXT:   if (kiln::kernels::alignedFor<float, kVec>(in1) &&
// CHECK-NEXT:       kiln::kernels::alignedFor<float, kVec>(out0)) {
// CHECK:          const kiln::kernels::Vec<float, kVec> a1 = kiln::kernels::loadVec<kVec>(in1 + base);
// CHECK:          for (int j = 0; j < kVec; ++j) {
// CHECK-NEXT:       const float s0 = in0[0];
// CHECK-NEXT:       const float y1 = a1.v[j];
// CHECK-NEXT:       float w0 = s0 * y1;
// CHECK:          kiln::kernels::storeVec(out0 + base, r0);
// CHECK:        for (kiln::kernels::Index i = done + first; i < numel; i += stride) {
// CHECK:     const float x0 = in0[0];
// CHECK-NEXT:     const float x1 = in1[i];
// CHECK-NEXT:     float v0 = x0 * x1;
// CHECK-NEXT:     float v1 = kiln_gelu(v0);
// CHECK-NEXT:     float v2 = kiln_max(v1, x1);
// CHECK-NEXT:     out0[i] = v2;
// CHECK: KILN_HOST_KERNEL_ENTRY(kiln_bcast_fusion1)

// The launch, as formulas over the dims table: 256 threads per block and
// enough blocks for one element each, capped (the loop strides).
// LAUNCH-LABEL: // ----- kiln_bcast.cu
// LAUNCH-NEXT: kiln_bcast_fusion0: template elementwise <block 256, grid-stride>
// LAUNCH-NEXT:   fuses: kiln.exp, kiln.add
// LAUNCH-NEXT:   dims: in0=[d0,d1] in1=[d2,d3] out0=[d4,d5]
// LAUNCH-NEXT:   grid: (1, 1, 1) block: (256, 1, 1)
// LAUNCH-NEXT:   dynamic shared bytes: 0; workspace bytes: 0; barrier-free
// LAUNCH-NEXT: kiln_bcast_fusion1: template elementwise <block 256, grid-stride, 4-wide vectors>
// LAUNCH-NEXT:   fuses: kiln.mul, kiln.gelu, kiln.max
// LAUNCH-NEXT:   dims: in0=[] in1=[d0,d1] out0=[d2,d3]
func.func @bcast(%x: tensor<7x1xf32>, %y: tensor<1x13xf32>, %s: tensor<f32>, %m: tensor<5x3xf32>) -> (tensor<7x13xf32>, tensor<5x3xf32>) {
  %0 = kiln.fusion ins(%x, %y : tensor<7x1xf32>, tensor<1x13xf32>) -> tensor<7x13xf32> {
  ^bb0(%a: tensor<7x1xf32>, %b: tensor<1x13xf32>):
    %1 = kiln.exp %a : tensor<7x1xf32>
    %2 = kiln.add %1, %b : (tensor<7x1xf32>, tensor<1x13xf32>) -> tensor<7x13xf32>
    kiln.yield %2 : tensor<7x13xf32>
  }
  %3 = kiln.fusion ins(%s, %m : tensor<f32>, tensor<5x3xf32>) -> tensor<5x3xf32> {
  ^bb0(%a: tensor<f32>, %b: tensor<5x3xf32>):
    %1 = kiln.mul %a, %b : (tensor<f32>, tensor<5x3xf32>) -> tensor<5x3xf32>
    %2 = kiln.gelu %1 : tensor<5x3xf32>
    %4 = kiln.max %2, %b : tensor<5x3xf32>
    kiln.yield %4 : tensor<5x3xf32>
  }
  return %0, %3 : tensor<7x13xf32>, tensor<5x3xf32>
}

// f16 storage, f32 math: loads widen, every f16 intermediate is rounded to
// f16 (as the evaluator rounds each op's result), stores narrow. The
// [?,8] input is read at the output index unless its dynamic dim turns out
// to differ from the output's at run time.
// CHECK-LABEL: // ----- kiln_half.cu
// CHECK: void __launch_bounds__(256, 1) kiln_half_fusion0(const __half *__restrict__ in0, const __half *__restrict__ in1, __half *__restrict__ out0, float *__restrict__ out1, void *workspace, kiln_half_fusion0_dims d) {
// CHECK:     if (d.v[0] == d.v[3]) {
// CHECK-NEXT:   o0 = i;
// CHECK-NEXT: } else {
// CHECK:     const float x0 = __half2float(in0[o0]);
// CHECK:     const float x1 = __half2float(in1[o1]);
// CHECK-NEXT:     float v0 = kiln_round_f16(x0 + x1);
// CHECK-NEXT:     float v1 = kiln_round_f16(kiln_gelu(v0));
// CHECK-NEXT:     float v2 = v1;
// CHECK-NEXT:     out0[i] = __float2half(v1);
// CHECK-NEXT:     out1[i] = v2;
func.func @half(%x: tensor<?x8xf16>, %b: tensor<8xf16>) -> (tensor<?x8xf16>, tensor<?x8xf32>) {
  %0:2 = kiln.fusion ins(%x, %b : tensor<?x8xf16>, tensor<8xf16>) -> tensor<?x8xf16>, tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf16>, %c: tensor<8xf16>):
    %1 = kiln.add %a, %c : (tensor<?x8xf16>, tensor<8xf16>) -> tensor<?x8xf16>
    %2 = kiln.gelu %1 : tensor<?x8xf16>
    %3 = kiln.cast %2 : tensor<?x8xf16> to tensor<?x8xf32>
    kiln.yield %2, %3 : tensor<?x8xf16>, tensor<?x8xf32>
  }
  return %0#0, %0#1 : tensor<?x8xf16>, tensor<?x8xf32>
}

// One line per op; the scalar semantics are the evaluator's.
// CHECK-LABEL: // ----- kiln_ops.cu
// CHECK:      float v0 = kiln_sigmoid(x0);
// CHECK-NEXT: float v1 = x0 * kiln_sigmoid(x0);
// CHECK-NEXT: float v2 = x0 < 0.0f ? 0.00999999978f * x0 : x0;
// CHECK-NEXT: float v3 = ((x0 < -1.0f ? -1.0f : x0) > 6.0f ? 6.0f : (x0 < -1.0f ? -1.0f : x0));
// CHECK-NEXT: float v4 = rintf(x0);
// CHECK-NEXT: float v5 = kiln_floor_mod(x0, x1);
// CHECK-NEXT: float v6 = fmodf(x0, x1);
// CHECK-NEXT: bool v7 = x0 <= x1;
// CHECK-NEXT: float v8 = v7 ? v5 : v6;
// CHECK-NEXT: float v9 = 1.0f / sqrtf(v8);
// CHECK-NEXT: int v10 = kiln_f2i32(v9);
// CHECK-NEXT: int v11 = (int)((unsigned)v10 + (unsigned)v10);
// CHECK-NEXT: int v12 = v11 == 0 ? (int)0 : v11 == -1 ? (int)((unsigned)0 - (unsigned)v10) : (int)(v10 / v11);
// CHECK-NEXT: signed char v13 = (signed char)v12;
// CHECK-NEXT: bool v14 = v13 != 0;
// CHECK-NEXT: out0[i] = v14;
func.func @ops(%x: tensor<16xf32>, %y: tensor<16xf32>) -> tensor<16xi1> {
  %0 = kiln.fusion ins(%x, %y : tensor<16xf32>, tensor<16xf32>) -> tensor<16xi1> {
  ^bb0(%a: tensor<16xf32>, %b: tensor<16xf32>):
    %1 = kiln.sigmoid %a : tensor<16xf32>
    %2 = kiln.silu %a : tensor<16xf32>
    %3 = kiln.leaky_relu %a alpha = 0.01 : tensor<16xf32>
    %4 = kiln.clamp %a min = -1.0 max = 6.0 : tensor<16xf32>
    %5 = kiln.round %a : tensor<16xf32>
    %6 = kiln.mod %a, %b : tensor<16xf32>
    %7 = kiln.fmod %a, %b : tensor<16xf32>
    %8 = kiln.compare le, %a, %b : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xi1>
    %9 = kiln.where %8, %6, %7 : (tensor<16xi1>, tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
    %10 = kiln.rsqrt %9 : tensor<16xf32>
    %11 = kiln.cast %10 : tensor<16xf32> to tensor<16xi32>
    %12 = kiln.add %11, %11 : tensor<16xi32>
    %13 = kiln.div %11, %12 : tensor<16xi32>
    %14 = kiln.cast %13 : tensor<16xi32> to tensor<16xi8>
    %15 = kiln.cast %14 : tensor<16xi8> to tensor<16xi1>
    kiln.yield %15 : tensor<16xi1>
  }
  return %0 : tensor<16xi1>
}

// Splat constants inside a group become literals of their element type.
// CHECK-LABEL: // ----- kiln_consts.cu
// CHECK:      const float x0 = in0[i];
// CHECK-NEXT: float v0 = 0.5f;
// CHECK-NEXT: long long v1 = (long long)-3LL;
// CHECK-NEXT: float v2 = x0 * v0;
// CHECK-NEXT: long long v3 = kiln_f2i64(v2);
// CHECK-NEXT: long long v4 = (long long)((unsigned long long)v3 + (unsigned long long)v1);
func.func @consts(%x: tensor<4xf32>) -> tensor<4xi64> {
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xi64> {
  ^bb0(%a: tensor<4xf32>):
    %half = kiln.constant dense<0.5> : tensor<f32>
    %m3 = kiln.constant dense<-3> : tensor<4xi64>
    %1 = kiln.mul %a, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    %2 = kiln.cast %1 : tensor<4xf32> to tensor<4xi64>
    %3 = kiln.add %2, %m3 : tensor<4xi64>
    kiln.yield %3 : tensor<4xi64>
  }
  return %0 : tensor<4xi64>
}
