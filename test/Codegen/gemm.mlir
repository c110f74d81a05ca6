// RUN: kiln-codegen %s | FileCheck %s
// RUN: kiln-codegen %s --emit=kernels | FileCheck %s --check-prefix=LAUNCH

// A linear layer with its bias, GELU and a residual add: one gemm_simt
// kernel whose epilogue functor adds the bias, applies GELU and loads the
// residual at the output element (batch * M + row) * N + col. Static dims
// are constants in the kernel and in the launch formulas; dynamic ones are
// read from the dims table.
// CHECK-LABEL: // ----- kiln_mlp.cu
// CHECK: #include "compiler/codegen/kernels/gemm_simt.cuh"
// CHECK-LABEL: // kiln.fusion #0: kiln.linear + kiln.gelu + kiln.add
// CHECK: struct kiln_mlp_fusion0_epilogue {
// CHECK-NEXT:   const float *__restrict__ in2;
// CHECK-NEXT:   const float *__restrict__ in3;
// CHECK-NEXT:   kiln_mlp_fusion0_dims d;
// CHECK-NEXT:   KILN_DEVICE float operator()(float acc, kiln::kernels::Index batch, kiln::kernels::Index row, kiln::kernels::Index col) const {
// CHECK-NEXT:     const kiln::kernels::Index i = (batch * d.v[0] + row) * 32LL + col;
// CHECK:          const float x2 = in2[o2];
// CHECK:          const float x3 = in3[o3];
// CHECK-NEXT:     float f0 = kiln_gelu(acc + x2);
// CHECK-NEXT:     float f1 = f0 + x3;
// CHECK-NEXT:     return f1;
// CHECK: extern "C" __global__ void __launch_bounds__(256, 1) kiln_mlp_fusion0(const float *__restrict__ in0, const float *__restrict__ in1, const float *__restrict__ in2, const float *__restrict__ in3, float *__restrict__ out0, void *workspace, kiln_mlp_fusion0_dims d) {
// CHECK-NEXT:   using Config = kiln::kernels::SimtGemmConfig<128, 128, 8, 8, 8>;
// CHECK-NEXT:   static_assert(Config::kThreads == 256, "the launch's block");
// CHECK-NEXT:   kiln::kernels::SimtGemmParams<float, float, float, kiln_mlp_fusion0_epilogue> p;
// CHECK:        p.m = d.v[0];
// CHECK-NEXT:   p.n = 32LL;
// CHECK-NEXT:   p.k = 64LL;
// CHECK:        p.ldb = p.k;
// CHECK:        p.epilogue = kiln_mlp_fusion0_epilogue{in2, in3, d};
// CHECK-NEXT:   kiln::kernels::simtGemm<Config, true>(p);

// LAUNCH-LABEL: // ----- kiln_mlp.cu
// LAUNCH-NEXT: kiln_mlp_fusion0: template gemm_simt <tile 128x128x8, thread 8x8, 256 threads, B transposed>
// LAUNCH-NEXT:   fuses: kiln.linear, kiln.gelu, kiln.add
// LAUNCH-NEXT:   dims: in0=[d0,d1] in1=[d2,d3] in2=[d4] in3=[d5,d6] out0=[d7,d8]
// LAUNCH-NEXT:   grid: (ceildiv(d0, 128), 1, 1) block: (256, 1, 1)
func.func @mlp(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>, %r: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = kiln.fusion ins(%x, %w, %b, %r : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32> {
  ^bb0(%a: tensor<?x64xf32>, %m: tensor<32x64xf32>, %c: tensor<32xf32>, %res: tensor<?x32xf32>):
    %1 = kiln.linear %a, %m, %c transpose_weight : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
    %2 = kiln.gelu %1 : tensor<?x32xf32>
    %3 = kiln.add %2, %res : tensor<?x32xf32>
    kiln.yield %3 : tensor<?x32xf32>
  }
  return %0 : tensor<?x32xf32>
}

// Batch dims broadcast in two runs (2 with 2; 3 against 1): the outer run
// steps A by 3 matrices and B by one, the inner one steps only A. The scale
// (a constant) is part of the epilogue.
// CHECK-LABEL: // ----- kiln_scores.cu
// CHECK: KILN_DEVICE float operator()
// CHECK-NEXT:     float f0 = 0.25f;
// CHECK-NEXT:     float f1 = acc * f0;
// CHECK-NEXT:     return f1;
// CHECK:        p.batch = 6LL;
// CHECK-NEXT:   p.batchInner = 3LL;
// CHECK-NEXT:   p.strideA[0] = 3LL * d.v[2] * 16LL;
// CHECK-NEXT:   p.strideA[1] = d.v[2] * 16LL;
// CHECK-NEXT:   p.strideB[0] = 16LL * d.v[7];
// CHECK-NEXT:   p.strideB[1] = 0LL;
// LAUNCH-LABEL: // ----- kiln_scores.cu
// LAUNCH: grid: (ceildiv(d2, 128), ceildiv(d7, 128), 6) block: (256, 1, 1)
func.func @scores(%q: tensor<2x3x?x16xf32>, %k: tensor<2x1x16x?xf32>) -> tensor<2x3x?x?xf32> {
  %0 = kiln.fusion ins(%q, %k : tensor<2x3x?x16xf32>, tensor<2x1x16x?xf32>) -> tensor<2x3x?x?xf32> {
  ^bb0(%x: tensor<2x3x?x16xf32>, %y: tensor<2x1x16x?xf32>):
    %s = kiln.constant dense<0.25> : tensor<f32>
    %1 = kiln.matmul %x, %y : tensor<2x3x?x16xf32>, tensor<2x1x16x?xf32> -> tensor<2x3x?x?xf32>
    %2 = kiln.mul %1, %s : (tensor<2x3x?x?xf32>, tensor<f32>) -> tensor<2x3x?x?xf32>
    kiln.yield %2 : tensor<2x3x?x?xf32>
  }
  return %0 : tensor<2x3x?x?xf32>
}

// f16 operands take the tensor-core template (48 KiB of dynamic shared
// memory for the default 3-stage 128x128x32 tiles, split-K left to kernel
// selection). A dynamic batch dim is taken as not broadcasting; the kernel
// traps if it turns out to differ from the output's.
// CHECK-LABEL: // ----- kiln_dyn.cu
// CHECK: #include "compiler/codegen/kernels/gemm.cuh"
// CHECK: using Config = kiln::kernels::GemmConfig<128, 128, 32, 64, 32, 3>;
// CHECK-NEXT: static_assert(Config::kThreads == 256, "the launch's block");
// CHECK-NEXT: static_assert(kiln::kernels::gemmSharedBytes<Config, __half>() == 49152, "the launch's dynamic shared memory");
// CHECK-NEXT: if (d.v[0] != d.v[5])
// CHECK-NEXT: __trap(); // a batch dim broadcast at run time
// CHECK-NEXT: kiln::kernels::GemmParams<__half, __half, kiln_dyn_fusion0_epilogue> p;
// CHECK: p.splitK = 1;
// CHECK: kiln::kernels::gemm<Config, false>(p);
// LAUNCH-LABEL: // ----- kiln_dyn.cu
// LAUNCH-NEXT: kiln_dyn_fusion0: template gemm_tc <tile 128x128x32, warp 64x32, 3 stages, 256 threads>
// LAUNCH: dynamic shared bytes: 49152; workspace bytes: 0
func.func @dyn(%a: tensor<?x4x8xf16>, %b: tensor<8x4xf16>) -> tensor<?x4x4xf16> {
  %0 = kiln.fusion ins(%a, %b : tensor<?x4x8xf16>, tensor<8x4xf16>) -> tensor<?x4x4xf16> {
  ^bb0(%x: tensor<?x4x8xf16>, %y: tensor<8x4xf16>):
    %1 = kiln.matmul %x, %y : tensor<?x4x8xf16>, tensor<8x4xf16> -> tensor<?x4x4xf16>
    kiln.yield %1 : tensor<?x4x4xf16>
  }
  return %0 : tensor<?x4x4xf16>
}

// The group's #kiln.kernel for the requested target picks the tile; other
// targets' entries are ignored.
// LAUNCH-LABEL: // ----- kiln_tiled.cu
// LAUNCH-NEXT: kiln_tiled_fusion0: template gemm_simt <tile 64x32x8, thread 4x4, 128 threads>
// LAUNCH: grid: (ceildiv(d0, 64), ceildiv(d3, 32), 1) block: (128, 1, 1)
func.func @tiled(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
      configs [#kiln.kernel<arch = "host", profile = 0, template = "gemm_simt", tile = [64, 32, 8, 4, 4], stages = 1, warps = 4>,
               #kiln.kernel<arch = "sm_80", profile = 0, template = "gemm_simt", tile = [32, 32, 8, 4, 4], stages = 1, warps = 2>] {
  ^bb0(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>):
    %1 = kiln.matmul %x, %y : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
    kiln.yield %1 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
}
