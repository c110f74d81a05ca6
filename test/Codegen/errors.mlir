// RUN: not kiln-codegen %s 2>&1 | FileCheck %s

// A group the elementwise emitter cannot lower is an error naming the op and
// its location, not a kernel computing something else.
// CHECK: error: {{.*}}errors.mlir:11:10: 'kiln.softmax': is not an elementwise op the emitter handles
// CHECK-NOT: __global__
func.func @soft(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.fusion ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %1 = kiln.exp %a : tensor<4x8xf32>
    %2 = kiln.softmax %1 axis = 1 : tensor<4x8xf32>
    kiln.yield %2 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}
