// RUN: not kiln-codegen %s 2>&1 | FileCheck %s

// A group the emitter cannot lower is an error naming the op and its
// location, not a kernel computing something else; nothing is printed.
// CHECK: error: {{.*}}errors.mlir:11:10: 'kiln.scatter_nd': has no kernel-library template
// CHECK-NOT: __global__
func.func @scatter(%v: tensor<8xf32>, %i: tensor<4x1xi64>, %u: tensor<4xf32>) -> tensor<8xf32> {
  %0 = kiln.fusion ins(%v, %i, %u : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<8xf32>, %b: tensor<4x1xi64>, %c: tensor<4xf32>):
    %1 = kiln.exp %a : tensor<8xf32>
    %2 = kiln.scatter_nd %1, %b, %c reduction = add : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
    kiln.yield %2 : tensor<8xf32>
  }
  return %0 : tensor<8xf32>
}
