// RUN: kiln-codegen %s | FileCheck %s
// RUN: kiln-codegen %s --emit=kernels | FileCheck %s --check-prefix=LAUNCH

// Scaled, masked softmax over the last axis: the scale and the mask become
// the loader (scores read at the row's linear index; the mask, [T] against
// [rows, T], through the broadcast path), the template holds each row in
// registers (a warp per row, 4 rows per block).
// CHECK-LABEL: // ----- kiln_probs.cu
// CHECK: #include "compiler/codegen/kernels/softmax.cuh"
// CHECK: struct kiln_probs_fusion0_loader {
// CHECK:   KILN_DEVICE float operator()(kiln::kernels::Index row, kiln::kernels::Index col) const {
// CHECK-NEXT:     const kiln::kernels::Index i = row * 128LL + col;
// CHECK-NEXT:     const float x0 = in0[i];
// CHECK:          const float x1 = in1[o1];
// CHECK-NEXT:     float f0 = 0.125f;
// CHECK-NEXT:     float f1 = x0 * f0;
// CHECK-NEXT:     float f2 = f1 + x1;
// CHECK-NEXT:     return f2;
// CHECK: kiln::kernels::SoftmaxParams<float, kiln_probs_fusion0_loader, kiln_probs_fusion0_epilogue> p;
// CHECK: p.r = 128LL;
// CHECK-NEXT: p.inner = 1LL;
// CHECK: kiln::kernels::softmaxRows<kiln::kernels::RowConfig<128, 4, 32>, false>(p);
// LAUNCH-LABEL: // ----- kiln_probs.cu
// LAUNCH-NEXT: kiln_probs_fusion0: template softmax_rows <128 threads, 4 rows per block, 32 items>
// LAUNCH-NEXT:   fuses: kiln.softmax, kiln.constant, kiln.mul, kiln.add
// LAUNCH-NEXT:   dims: in0=[d0,d1,d2] in1=[d3] out0=[d4,d5,d6]
// LAUNCH-NEXT:   grid: (max(ceildiv(d0 * 12, 4), 1), 1, 1) block: (128, 1, 1)
func.func @probs(%x: tensor<?x12x128xf32>, %mask: tensor<128xf32>) -> tensor<?x12x128xf32> {
  %0 = kiln.fusion ins(%x, %mask : tensor<?x12x128xf32>, tensor<128xf32>) -> tensor<?x12x128xf32> {
  ^bb0(%a: tensor<?x12x128xf32>, %m: tensor<128xf32>):
    %s = kiln.constant dense<0.125> : tensor<f32>
    %1 = kiln.mul %a, %s : (tensor<?x12x128xf32>, tensor<f32>) -> tensor<?x12x128xf32>
    %2 = kiln.add %1, %m : (tensor<?x12x128xf32>, tensor<128xf32>) -> tensor<?x12x128xf32>
    %3 = kiln.softmax %2 axis = 2 : tensor<?x12x128xf32>
    kiln.yield %3 : tensor<?x12x128xf32>
  }
  return %0 : tensor<?x12x128xf32>
}

// A residual add before LayerNorm (the loader) and GELU after it (the
// epilogue, on the value rounded to the op's type). Dynamic dims that may
// broadcast at run time are tested before the division-free path is taken.
// CHECK-LABEL: // ----- kiln_ln.cu
// CHECK: #include "compiler/codegen/kernels/norm.cuh"
// CHECK: if (d.v[3] == d.v[0] && d.v[4] == d.v[1]) {
// CHECK-NEXT: o1 = i;
// CHECK-NEXT: } else {
// CHECK: float f0 = kiln_round_bf16(x0 + x1);
// CHECK: struct kiln_ln_fusion0_epilogue {
// CHECK: float f0 = kiln_round_bf16(kiln_gelu(kiln_round_bf16(value)));
// CHECK: kiln::kernels::NormParams<__nv_bfloat16, __nv_bfloat16, kiln_ln_fusion0_loader, kiln_ln_fusion0_epilogue> p;
// CHECK: p.scale = in2;
// CHECK-NEXT: p.bias = in3;
// CHECK: p.rows = d.v[0] * d.v[1];
// CHECK-NEXT: p.cols = 768LL;
// CHECK-NEXT: p.epsilon = 9.99999975e-06f;
// CHECK: kiln::kernels::layerNorm<kiln::kernels::RowConfig<256, 1, 16>>(p);
// LAUNCH-LABEL: // ----- kiln_ln.cu
// LAUNCH-NEXT: kiln_ln_fusion0: template layer_norm <256 threads, 1 rows per block, 16 items>
func.func @ln(%x: tensor<?x?x768xbf16>, %r: tensor<?x?x768xbf16>, %g: tensor<768xbf16>, %b: tensor<768xbf16>) -> tensor<?x?x768xbf16> {
  %0 = kiln.fusion ins(%x, %r, %g, %b : tensor<?x?x768xbf16>, tensor<?x?x768xbf16>, tensor<768xbf16>, tensor<768xbf16>) -> tensor<?x?x768xbf16> {
  ^bb0(%a: tensor<?x?x768xbf16>, %c: tensor<?x?x768xbf16>, %gamma: tensor<768xbf16>, %beta: tensor<768xbf16>):
    %1 = kiln.add %a, %c : tensor<?x?x768xbf16>
    %2 = kiln.layer_norm %1, %gamma, %beta axis = 2 epsilon = 1.0e-05 : tensor<?x?x768xbf16>, tensor<768xbf16>, tensor<768xbf16>
    %3 = kiln.gelu %2 : tensor<?x?x768xbf16>
    kiln.yield %3 : tensor<?x?x768xbf16>
  }
  return %0 : tensor<?x?x768xbf16>
}

// A reduction over a leading axis takes the column template (coalesced over
// the kept innermost dim); a configured tile replaces the default.
// LAUNCH-LABEL: // ----- kiln_colsum.cu
// LAUNCH-NEXT: kiln_colsum_fusion0: template reduce_columns <ReduceSum, 64 x 4 threads>
// LAUNCH: grid: (max(ceildiv(d1, 64), 1), 1, 1) block: (256, 1, 1)
func.func @colsum(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x?xf32>) -> tensor<?xf32>
      configs [#kiln.kernel<arch = "host", profile = 0, template = "reduce_columns", tile = [64, 4], stages = 1, warps = 8>] {
  ^bb0(%a: tensor<?x?xf32>):
    %1 = kiln.reduce_sum %a axes = [0] : tensor<?x?xf32> -> tensor<?xf32>
    kiln.yield %1 : tensor<?xf32>
  }
  return %0 : tensor<?xf32>
}

// argmax stores int64 indices: a loader, no epilogue.
// CHECK-LABEL: // ----- kiln_amax.cu
// CHECK: kiln::kernels::ArgReduceParams<kiln_amax_fusion0_loader> p;
// CHECK: p.selectLast = false;
// CHECK-NEXT: kiln::kernels::argReduceRows<kiln::kernels::RowConfig<256, 8, 4>, true>(p);
func.func @amax(%x: tensor<?x10xf32>) -> tensor<?xi64> {
  %0 = kiln.fusion ins(%x : tensor<?x10xf32>) -> tensor<?xi64> {
  ^bb0(%a: tensor<?x10xf32>):
    %1 = kiln.argmax %a axis = 1 : tensor<?x10xf32> -> tensor<?xi64>
    kiln.yield %1 : tensor<?xi64>
  }
  return %0 : tensor<?xi64>
}
