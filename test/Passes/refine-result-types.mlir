// RUN: kiln-opt %s --split-input-file --kiln-refine-result-types | FileCheck %s

// Static dims flow from operands to results, through ops whose result type
// is inferred and through same-type elementwise ops, and reach the signature.
// CHECK-LABEL: func.func @propagates_static_dims
// CHECK-SAME: -> tensor<4x8xf32>
// CHECK: kiln.add %{{.*}}, %{{.*}} : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK: kiln.relu %{{.*}} : tensor<4x8xf32>
// CHECK: kiln.reduce_sum %{{.*}} axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
// CHECK: kiln.sub %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
func.func @propagates_static_dims(%x: tensor<4x?xf32>, %b: tensor<8xf32>) -> tensor<?x?xf32> {
  %0 = kiln.add %x, %b : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x?xf32>
  %1 = kiln.relu %0 : tensor<4x?xf32>
  %2 = kiln.reduce_sum %1 axes = [1] keep_dims : tensor<4x?xf32> -> tensor<4x1xf32>
  %3 = kiln.sub %1, %2 : (tensor<4x?xf32>, tensor<4x1xf32>) -> tensor<?x?xf32>
  return %3 : tensor<?x?xf32>
}

// -----

// A reshape without a shape operand gets its one dynamic dim from the count.
// CHECK-LABEL: func.func @reshape_from_element_count
// CHECK: kiln.reshape %{{.*}} : tensor<4x6xf32> -> tensor<3x8xf32>
func.func @reshape_from_element_count(%x: tensor<4x6xf32>) -> tensor<?x8xf32> {
  %0 = kiln.reshape %x : tensor<4x6xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Truly dynamic dims stay dynamic; a reshape with a shape operand is left be.
// CHECK-LABEL: func.func @dynamic_dims_stay
// CHECK-SAME: -> (tensor<?x8xf32>, tensor<?x?xf32>)
// CHECK: kiln.add %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: kiln.reshape %{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<2xi64> -> tensor<?x?xf32>
func.func @dynamic_dims_stay(%x: tensor<?x8xf32>, %b: tensor<8xf32>, %s: tensor<2xi64>) -> (tensor<?x8xf32>, tensor<?x?xf32>) {
  %0 = kiln.add %x, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = kiln.reshape %0, %s : tensor<?x8xf32>, tensor<2xi64> -> tensor<?x?xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x?xf32>
}
