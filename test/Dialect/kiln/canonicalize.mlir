// Folders and canonicalization patterns of the kiln dialect.
// RUN: kiln-opt %s --split-input-file --canonicalize | FileCheck %s

// Adding zero, multiplying by one, and the like leave the operand.
// CHECK-LABEL: func.func @arithmetic_identities
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NOT: kiln.add
// CHECK-NOT: kiln.sub
// CHECK-NOT: kiln.mul
// CHECK-NOT: kiln.div
// CHECK: return %[[X]]
func.func @arithmetic_identities(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = kiln.constant dense<0.0> : tensor<8xf32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %0 = kiln.add %x, %zero : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = kiln.sub %0, %zero : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %2 = kiln.mul %1, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %3 = kiln.div %2, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// -----

// An identity that broadcasts the operand to a larger shape is not dropped.
// CHECK-LABEL: func.func @identity_that_broadcasts
// CHECK: kiln.add
func.func @identity_that_broadcasts(%x: tensor<8xf32>) -> tensor<4x8xf32> {
  %zero = kiln.constant dense<0.0> : tensor<4x8xf32>
  %0 = kiln.add %x, %zero : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Shape arithmetic on i64 constants folds, as exporters' shape subgraphs need.
// CHECK-LABEL: func.func @integer_constant_folding
// CHECK: %[[C:.+]] = kiln.constant dense<[4, 1536]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @integer_constant_folding() -> tensor<2xi64> {
  %a = kiln.constant dense<[2, 768]> : tensor<2xi64>
  %b = kiln.constant dense<[2, 2]> : tensor<2xi64>
  %c = kiln.constant dense<[0, 0]> : tensor<2xi64>
  %0 = kiln.mul %a, %b : tensor<2xi64>
  %1 = kiln.sub %0, %c : tensor<2xi64>
  return %1 : tensor<2xi64>
}

// -----

// Integer division folds with truncation toward zero, but never by zero.
// CHECK-LABEL: func.func @integer_division
// CHECK-DAG: kiln.constant dense<[-3, 3]> : tensor<2xi64>
// CHECK-DAG: %[[ZERO:.+]] = kiln.constant dense<[1, 0]> : tensor<2xi64>
// CHECK: kiln.div %{{.*}}, %[[ZERO]]
func.func @integer_division() -> (tensor<2xi64>, tensor<2xi64>) {
  %a = kiln.constant dense<[-7, 7]> : tensor<2xi64>
  %b = kiln.constant dense<[2, 2]> : tensor<2xi64>
  %z = kiln.constant dense<[1, 0]> : tensor<2xi64>
  %0 = kiln.div %a, %b : tensor<2xi64>
  %1 = kiln.div %a, %z : tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// neg and not are involutions; relu, abs, floor are idempotent.
// CHECK-LABEL: func.func @involutions_and_idempotence
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>, %[[B:.+]]: tensor<4xi1>)
// CHECK-NEXT: %[[R:.+]] = kiln.relu %[[X]]
// CHECK-NEXT: %[[F:.+]] = kiln.floor %[[R]]
// CHECK-NEXT: return %[[X]], %[[B]], %[[F]]
func.func @involutions_and_idempotence(%x: tensor<4xf32>, %b: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xi1>, tensor<4xf32>) {
  %0 = kiln.neg %x : tensor<4xf32>
  %1 = kiln.neg %0 : tensor<4xf32>
  %2 = kiln.not %b : tensor<4xi1>
  %3 = kiln.not %2 : tensor<4xi1>
  %4 = kiln.relu %x : tensor<4xf32>
  %5 = kiln.relu %4 : tensor<4xf32>
  %6 = kiln.floor %5 : tensor<4xf32>
  %7 = kiln.floor %6 : tensor<4xf32>
  return %1, %3, %7 : tensor<4xf32>, tensor<4xi1>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @data_movement_identities
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NOT: kiln.
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @data_movement_identities(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = kiln.transpose %x permutation = [0, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  %1 = kiln.reshape %x : tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = kiln.slice %x[:, :] : tensor<4x8xf32> -> tensor<4x8xf32>
  %3 = kiln.concat %x axis = 0 : tensor<4x8xf32> -> tensor<4x8xf32>
  %4 = kiln.cast %x : tensor<4x8xf32> to tensor<4x8xf32>
  %5 = kiln.expand %x : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A slice that reverses or crops is kept.
// CHECK-LABEL: func.func @slices_that_move_data
// CHECK: kiln.slice %{{.*}}[::-1]
// CHECK: kiln.slice %{{.*}}[1:]
func.func @slices_that_move_data(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<3xf32>) {
  %0 = kiln.slice %x[::-1] : tensor<4xf32> -> tensor<4xf32>
  %1 = kiln.slice %x[1:] : tensor<4xf32> -> tensor<3xf32>
  return %0, %1 : tensor<4xf32>, tensor<3xf32>
}

// -----

// Two transposes compose into one; inverse permutations cancel.
// CHECK-LABEL: func.func @compose_transposes
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.+]] = kiln.transpose %[[X]] permutation = [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK: return %[[T]], %[[X]]
func.func @compose_transposes(%x: tensor<2x3x4xf32>) -> (tensor<4x3x2xf32>, tensor<2x3x4xf32>) {
  %0 = kiln.transpose %x permutation = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = kiln.transpose %0 permutation = [2, 0, 1] : tensor<3x2x4xf32> -> tensor<4x3x2xf32>
  %2 = kiln.transpose %x permutation = [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %3 = kiln.transpose %2 permutation = [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1, %3 : tensor<4x3x2xf32>, tensor<2x3x4xf32>
}

// -----

// Reshapes compose; a reshape of a constant is a constant.
// CHECK-LABEL: func.func @reshapes
// CHECK-DAG: %[[C:.+]] = kiln.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-DAG: %[[R:.+]] = kiln.reshape %{{.*}} : tensor<?x6xf32> -> tensor<?x2xf32>
// CHECK: return %[[R]], %[[C]]
func.func @reshapes(%x: tensor<?x6xf32>) -> (tensor<?x2xf32>, tensor<2x2xi64>) {
  %0 = kiln.reshape %x : tensor<?x6xf32> -> tensor<?x3x2xf32>
  %1 = kiln.reshape %0 : tensor<?x3x2xf32> -> tensor<?x2xf32>
  %c = kiln.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %2 = kiln.reshape %c : tensor<4xi64> -> tensor<2x2xi64>
  return %1, %2 : tensor<?x2xf32>, tensor<2x2xi64>
}

// -----

// A splat condition picks one side; a splat expands to a bigger splat.
// CHECK-LABEL: func.func @where_and_expand_of_constants
// CHECK-SAME: (%[[A:.+]]: tensor<4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[S:.+]] = kiln.constant dense<2.000000e+00> : tensor<3x4xf32>
// CHECK: return %[[B]], %[[S]]
func.func @where_and_expand_of_constants(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<3x4xf32>) {
  %false = kiln.constant dense<false> : tensor<4xi1>
  %0 = kiln.where %false, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %two = kiln.constant dense<2.0> : tensor<4xf32>
  %1 = kiln.expand %two : tensor<4xf32> -> tensor<3x4xf32>
  return %0, %1 : tensor<4xf32>, tensor<3x4xf32>
}

// -----

// A clamp without bounds is the identity; with bounds it stays.
// CHECK-LABEL: func.func @clamps
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>)
// CHECK: %[[C:.+]] = kiln.clamp %[[X]] min = 0.000000e+00
// CHECK: return %[[X]], %[[C]]
func.func @clamps(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.clamp %x : tensor<4xf32>
  %1 = kiln.clamp %x min = 0.0 : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// The shape of a static tensor is a constant; of a dynamic one it is not.
// CHECK-LABEL: func.func @shape_of
// CHECK-DAG: %[[C:.+]] = kiln.constant dense<[2, 768]> : tensor<2xi64>
// CHECK-DAG: %[[S:.+]] = kiln.shape_of %{{.*}} : tensor<?x768xf32> -> tensor<2xi64>
// CHECK: return %[[C]], %[[S]]
func.func @shape_of(%x: tensor<2x768xf32>, %y: tensor<?x768xf32>) -> (tensor<2xi64>, tensor<2xi64>) {
  %0 = kiln.shape_of %x : tensor<2x768xf32> -> tensor<2xi64>
  %1 = kiln.shape_of %y : tensor<?x768xf32> -> tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// Exporters' Shape -> Gather -> Concat -> Reshape chain: with a static input
// the shape folds away and the reshape needs no shape operand.
// CHECK-LABEL: func.func @exported_shape_chain
// CHECK-NOT: kiln.shape_of
// CHECK: kiln.reshape %{{.*}} : tensor<2x12x64xf32> -> tensor<2x768xf32>
func.func @exported_shape_chain(%x: tensor<2x12x64xf32>) -> tensor<2x768xf32> {
  %s = kiln.shape_of %x : tensor<2x12x64xf32> -> tensor<3xi64>
  %b = kiln.slice %s[0:1] : tensor<3xi64> -> tensor<1xi64>
  %h = kiln.constant dense<768> : tensor<1xi64>
  %t = kiln.concat %b, %h axis = 0 : tensor<1xi64>, tensor<1xi64> -> tensor<2xi64>
  %r = kiln.reshape %x, %t : tensor<2x12x64xf32>, tensor<2xi64> -> tensor<2x768xf32>
  return %r : tensor<2x768xf32>
}

// -----

// Slices and concatenations of small constants fold, in any rank and with
// negative steps.
// CHECK-LABEL: func.func @constant_data_movement
// CHECK-DAG: kiln.constant dense<{{\[\[}}6, 4], [3, 1]]> : tensor<2x2xi64>
// CHECK-DAG: kiln.constant dense<{{\[\[}}1, 2, 3], [4, 5, 6], [7, 8, 9]]> : tensor<3x3xi64>
// CHECK-NOT: kiln.slice
// CHECK-NOT: kiln.concat
func.func @constant_data_movement() -> (tensor<2x2xi64>, tensor<3x3xi64>) {
  %c = kiln.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %0 = kiln.slice %c[::-1, ::-2] : tensor<2x3xi64> -> tensor<2x2xi64>
  %r = kiln.constant dense<[[7, 8, 9]]> : tensor<1x3xi64>
  %1 = kiln.concat %c, %r axis = 0 : tensor<2x3xi64>, tensor<1x3xi64> -> tensor<3x3xi64>
  return %0, %1 : tensor<2x2xi64>, tensor<3x3xi64>
}
