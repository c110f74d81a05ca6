// RUN: kiln-opt %s --split-input-file --kiln-fold-constants | FileCheck %s

// GPT-2's attention scale: pow(float(head_dim), 0.5) from a constant shape
// entry, through reshape and cast, folds to 8^0.5 ~ 2.828427.
// CHECK-LABEL: func.func @exported_scale
// CHECK-NEXT: %[[C:.+]] = kiln.constant dense<2.82842708> : tensor<f32>
// CHECK-NEXT: return %[[C]]
func.func @exported_scale() -> tensor<f32> {
  %dim = kiln.constant dense<8> : tensor<1xi64>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.reshape %dim : tensor<1xi64> -> tensor<i64>
  %1 = kiln.cast %0 : tensor<i64> to tensor<f32>
  %2 = kiln.pow %1, %half : tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Ops without a folder of their own fold through the evaluator: a
// transposed weight, a softmax of constants.
// CHECK-LABEL: func.func @any_op
// CHECK-DAG: kiln.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: kiln.constant dense<5.000000e-01> : tensor<2xf32>
// CHECK-NOT: kiln.transpose
// CHECK-NOT: kiln.softmax
func.func @any_op() -> (tensor<2x2xf32>, tensor<2xf32>) {
  %w = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %t = kiln.transpose %w permutation = [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %z = kiln.constant dense<3.0> : tensor<2xf32>
  %s = kiln.softmax %z axis = 0 : tensor<2xf32>
  return %t, %s : tensor<2x2xf32>, tensor<2xf32>
}

// -----

// Results beyond 64 elements become resource blobs, not literals.
// CHECK-LABEL: func.func @large_result
// CHECK: kiln.constant dense_resource<folded> : tensor<10x10xf32>
func.func @large_result() -> tensor<10x10xf32> {
  %a = kiln.constant dense<1.5> : tensor<10x10xf32>
  %b = kiln.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]> : tensor<10xf32>
  %0 = kiln.add %a, %b : (tensor<10x10xf32>, tensor<10xf32>) -> tensor<10x10xf32>
  return %0 : tensor<10x10xf32>
}

// -----

// Negative cases: an integer division by zero is left for run time, an op
// with a non-constant operand is not touched, and a result above
// max-elements stays.
// RUN: kiln-opt %s --split-input-file --kiln-fold-constants=max-elements=4 | FileCheck %s --check-prefix=SMALL
// CHECK-LABEL: func.func @not_folded
// CHECK: kiln.div
// CHECK: kiln.exp %arg0
// SMALL-LABEL: func.func @not_folded
// SMALL: kiln.div
// SMALL: kiln.neg
func.func @not_folded(%x: tensor<2xf32>) -> (tensor<2xi64>, tensor<2xf32>, tensor<8xf32>) {
  %a = kiln.constant dense<[4, 5]> : tensor<2xi64>
  %z = kiln.constant dense<[2, 0]> : tensor<2xi64>
  %0 = kiln.div %a, %z : tensor<2xi64>
  %1 = kiln.exp %x : tensor<2xf32>
  %c = kiln.constant dense<1.0> : tensor<8xf32>
  %2 = kiln.neg %c : tensor<8xf32>
  return %0, %1, %2 : tensor<2xi64>, tensor<2xf32>, tensor<8xf32>
}
