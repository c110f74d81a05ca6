// RUN: kiln-opt %s --split-input-file --kiln-recognize-normalizations | FileCheck %s

// BERT's LayerNorm as torch.onnx.export (opset 14) writes it.
// CHECK-LABEL: func.func @layer_norm_bert_export
// CHECK-SAME: (%[[X:.+]]: tensor<?x128x768xf32>, %[[G:.+]]: tensor<768xf32>, %[[B:.+]]: tensor<768xf32>)
// CHECK-NEXT: %[[N:.+]] = kiln.layer_norm %[[X]], %[[G]], %[[B]] axis = 2 epsilon = 9.999999960041972E-13 : tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_bert_export(%x: tensor<?x128x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<?x128x768xf32> {
  %two = kiln.constant dense<2.0> : tensor<f32>
  %eps = kiln.constant dense<9.99999996E-13> : tensor<f32>
  %mean = kiln.reduce_mean %x axes = [2] keep_dims : tensor<?x128x768xf32> -> tensor<?x128x1xf32>
  %d = kiln.sub %x, %mean : (tensor<?x128x768xf32>, tensor<?x128x1xf32>) -> tensor<?x128x768xf32>
  %sq = kiln.pow %d, %two : (tensor<?x128x768xf32>, tensor<f32>) -> tensor<?x128x768xf32>
  %var = kiln.reduce_mean %sq axes = [2] keep_dims : tensor<?x128x768xf32> -> tensor<?x128x1xf32>
  %ve = kiln.add %var, %eps : (tensor<?x128x1xf32>, tensor<f32>) -> tensor<?x128x1xf32>
  %s = kiln.sqrt %ve : tensor<?x128x1xf32>
  %n = kiln.div %d, %s : (tensor<?x128x768xf32>, tensor<?x128x1xf32>) -> tensor<?x128x768xf32>
  %y = kiln.mul %n, %g : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %z = kiln.add %y, %b : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  return %z : tensor<?x128x768xf32>
}

// -----

// Variance as d * d, rsqrt instead of division, no affine parameters, and a
// normalization over the last two dims.
// CHECK-LABEL: func.func @layer_norm_without_affine
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x8xf32>)
// CHECK: %[[ONES:.+]] = kiln.constant dense<1.000000e+00> : tensor<4x8xf32>
// CHECK: %[[N:.+]] = kiln.layer_norm %[[X]], %[[ONES]] axis = 1 epsilon = 9.9999997473787516E-6 : tensor<2x4x8xf32>, tensor<4x8xf32>
// CHECK-NOT: kiln.reduce_mean
// CHECK: return %[[N]]
func.func @layer_norm_without_affine(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %eps = kiln.constant dense<1.0e-5> : tensor<1xf32>
  %mean = kiln.reduce_mean %x axes = [1, 2] keep_dims : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  %d = kiln.sub %x, %mean : (tensor<2x4x8xf32>, tensor<2x1x1xf32>) -> tensor<2x4x8xf32>
  %sq = kiln.mul %d, %d : tensor<2x4x8xf32>
  %var = kiln.reduce_mean %sq axes = [2, 1] keep_dims : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  %ve = kiln.add %eps, %var : (tensor<1xf32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %r = kiln.rsqrt %ve : tensor<2x1x1xf32>
  %n = kiln.mul %r, %d : (tensor<2x1x1xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %n : tensor<2x4x8xf32>
}

// -----

// Llama's RMSNorm: x * rsqrt(mean(x^2) + eps) * weight.
// CHECK-LABEL: func.func @rms_norm_llama
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x64xf32>, %[[W:.+]]: tensor<64xf32>)
// CHECK-NEXT: %[[N:.+]] = kiln.rms_norm %[[X]], %[[W]] axis = 2 epsilon = 9.9999999747524271E-7 : tensor<1x?x64xf32>, tensor<64xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_norm_llama(%x: tensor<1x?x64xf32>, %w: tensor<64xf32>) -> tensor<1x?x64xf32> {
  %two = kiln.constant dense<2.0> : tensor<f32>
  %eps = kiln.constant dense<1.0e-6> : tensor<f32>
  %sq = kiln.pow %x, %two : (tensor<1x?x64xf32>, tensor<f32>) -> tensor<1x?x64xf32>
  %ms = kiln.reduce_mean %sq axes = [2] keep_dims : tensor<1x?x64xf32> -> tensor<1x?x1xf32>
  %me = kiln.add %ms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
  %r = kiln.rsqrt %me : tensor<1x?x1xf32>
  %n = kiln.mul %x, %r : (tensor<1x?x64xf32>, tensor<1x?x1xf32>) -> tensor<1x?x64xf32>
  %y = kiln.mul %w, %n : (tensor<64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  return %y : tensor<1x?x64xf32>
}

// -----

// A scale with leading unit dims is reshaped to the normalized dims.
// CHECK-LABEL: func.func @rms_norm_divide_and_reshaped_scale
// CHECK: %[[W:.+]] = kiln.reshape %{{.*}} : tensor<1x1x16xf32> -> tensor<16xf32>
// CHECK: kiln.rms_norm %{{.*}}, %[[W]] axis = 2
func.func @rms_norm_divide_and_reshaped_scale(%x: tensor<2x3x16xf32>, %w: tensor<1x1x16xf32>) -> tensor<2x3x16xf32> {
  %eps = kiln.constant dense<1.0e-6> : tensor<f32>
  %sq = kiln.mul %x, %x : tensor<2x3x16xf32>
  %ms = kiln.reduce_mean %sq axes = [2] keep_dims : tensor<2x3x16xf32> -> tensor<2x3x1xf32>
  %me = kiln.add %ms, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %s = kiln.sqrt %me : tensor<2x3x1xf32>
  %n = kiln.div %x, %s : (tensor<2x3x16xf32>, tensor<2x3x1xf32>) -> tensor<2x3x16xf32>
  %y = kiln.mul %n, %w : (tensor<2x3x16xf32>, tensor<1x1x16xf32>) -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// Negative cases: a reduction over a leading dim, and a statistic used
// elsewhere, are not normalizations.
// CHECK-LABEL: func.func @not_normalizations
// CHECK-NOT: kiln.layer_norm
// CHECK-NOT: kiln.rms_norm
func.func @not_normalizations(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x1xf32>) {
  %eps = kiln.constant dense<1.0e-6> : tensor<f32>
  %sq = kiln.mul %x, %x : tensor<4x8xf32>
  %ms = kiln.reduce_mean %sq axes = [0] keep_dims : tensor<4x8xf32> -> tensor<1x8xf32>
  %me = kiln.add %ms, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %r = kiln.rsqrt %me : tensor<1x8xf32>
  %n = kiln.mul %x, %r : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %sq2 = kiln.mul %x, %x : tensor<4x8xf32>
  %ms2 = kiln.reduce_mean %sq2 axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %me2 = kiln.add %ms2, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %r2 = kiln.rsqrt %me2 : tensor<4x1xf32>
  %n2 = kiln.mul %x, %r2 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n, %n2, %ms2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x1xf32>
}
