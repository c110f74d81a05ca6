// RUN: kiln-opt %s --split-input-file --kiln-form-linear | FileCheck %s

// A torch.nn.Linear as exported: MatMul by the transposed weight, then Add.
// CHECK-LABEL: func.func @matmul_transpose_add
// CHECK-SAME: (%[[X:.+]]: tensor<?x128x768xf32>, %[[W:.+]]: tensor<3072x768xf32>, %[[B:.+]]: tensor<3072xf32>)
// CHECK-NEXT: %[[L:.+]] = kiln.linear %[[X]], %[[W]], %[[B]] transpose_weight : tensor<?x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32> -> tensor<?x128x3072xf32>
// CHECK-NEXT: return %[[L]]
func.func @matmul_transpose_add(%x: tensor<?x128x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>) -> tensor<?x128x3072xf32> {
  %wt = kiln.transpose %w permutation = [1, 0] : tensor<3072x768xf32> -> tensor<768x3072xf32>
  %0 = kiln.matmul %x, %wt : tensor<?x128x768xf32>, tensor<768x3072xf32> -> tensor<?x128x3072xf32>
  %1 = kiln.add %b, %0 : (tensor<3072xf32>, tensor<?x128x3072xf32>) -> tensor<?x128x3072xf32>
  return %1 : tensor<?x128x3072xf32>
}

// -----

// A bias with leading unit dims is reshaped to a vector.
// CHECK-LABEL: func.func @bias_with_unit_dims
// CHECK: %[[V:.+]] = kiln.reshape %{{.*}} : tensor<1x1x16xf32> -> tensor<16xf32>
// CHECK: kiln.linear %{{.*}}, %{{.*}}, %[[V]] : tensor<2x3x8xf32>, tensor<8x16xf32>, tensor<16xf32> -> tensor<2x3x16xf32>
func.func @bias_with_unit_dims(%x: tensor<2x3x8xf32>, %w: tensor<8x16xf32>, %b: tensor<1x1x16xf32>) -> tensor<2x3x16xf32> {
  %0 = kiln.matmul %x, %w : tensor<2x3x8xf32>, tensor<8x16xf32> -> tensor<2x3x16xf32>
  %1 = kiln.add %0, %b : (tensor<2x3x16xf32>, tensor<1x1x16xf32>) -> tensor<2x3x16xf32>
  return %1 : tensor<2x3x16xf32>
}

// -----

// Negative cases: a batched right operand stays a matmul; an add that is not
// a per-output vector, or whose product is used elsewhere, stays an add.
// CHECK-LABEL: func.func @not_linear
// CHECK: kiln.matmul %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<2x8x16xf32>
// CHECK: %[[L1:.+]] = kiln.linear %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
// CHECK: kiln.add %[[L1]], %{{.*}} : tensor<4x16xf32>
// CHECK: %[[L2:.+]] = kiln.linear %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
// CHECK: kiln.add %[[L2]], %{{.*}} : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
func.func @not_linear(%a: tensor<2x4x8xf32>, %bw: tensor<2x8x16xf32>, %x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %full: tensor<4x16xf32>, %b: tensor<16xf32>) -> (tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = kiln.matmul %a, %bw : tensor<2x4x8xf32>, tensor<2x8x16xf32> -> tensor<2x4x16xf32>
  %1 = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %2 = kiln.add %1, %full : tensor<4x16xf32>
  %3 = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %4 = kiln.add %3, %b : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0, %2, %4, %3 : tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}
