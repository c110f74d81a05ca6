// RUN: not kiln-codegen %s --split-input-file 2>&1 | FileCheck %s

// A group the emitter cannot lower is an error naming the op and its
// location, not a kernel computing something else; nothing is printed.
// (Locations are relative to the split chunk, as mlir-opt reports them.)
// CHECK-NOT: __global__
// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :12:10: 'kiln.scatter_nd': has no kernel-library template
func.func @scatter(%v: tensor<8xf32>, %i: tensor<4x1xi64>, %u: tensor<4xf32>) -> tensor<8xf32> {
  %0 = kiln.fusion ins(%v, %i, %u : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<8xf32>, %b: tensor<4x1xi64>, %c: tensor<4xf32>):
    %1 = kiln.exp %a : tensor<8xf32>
    %2 = kiln.scatter_nd %1, %b, %c reduction = add : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
    kiln.yield %2 : tensor<8xf32>
  }
  return %0 : tensor<8xf32>
}

// -----

// A GEMM reads its operands from memory: computing one in the group first
// would need a loader the GEMM templates do not take.
// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :9:10: 'kiln.exp': cannot be fused before a GEMM (its operands are read as they are in memory)
func.func @prologue(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%x: tensor<4x8xf32>, %y: tensor<8x4xf32>):
    %1 = kiln.exp %x : tensor<4x8xf32>
    %2 = kiln.matmul %1, %y : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
    kiln.yield %2 : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :7:10: 'kiln.matmul': integer GEMMs have no template
func.func @ints(%a: tensor<4x8xi32>, %b: tensor<8x4xi32>) -> tensor<4x4xi32> {
  %0 = kiln.fusion ins(%a, %b : tensor<4x8xi32>, tensor<8x4xi32>) -> tensor<4x4xi32> {
  ^bb0(%x: tensor<4x8xi32>, %y: tensor<8x4xi32>):
    %1 = kiln.matmul %x, %y : tensor<4x8xi32>, tensor<8x4xi32> -> tensor<4x4xi32>
    kiln.yield %1 : tensor<4x4xi32>
  }
  return %0 : tensor<4x4xi32>
}

// -----

// [2,1,3,1] x [1,2,1,2] batch dims alternate between the operands: three
// broadcast runs, the template has two levels.
// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :9:10: 'kiln.matmul': batch dims that broadcast in more than two separate runs are not supported
func.func @runs(%a: tensor<2x1x3x1x4x8xf32>, %b: tensor<1x2x1x2x8x4xf32>) -> tensor<2x2x3x2x4x4xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<2x1x3x1x4x8xf32>, tensor<1x2x1x2x8x4xf32>) -> tensor<2x2x3x2x4x4xf32> {
  ^bb0(%x: tensor<2x1x3x1x4x8xf32>, %y: tensor<1x2x1x2x8x4xf32>):
    %1 = kiln.matmul %x, %y : tensor<2x1x3x1x4x8xf32>, tensor<1x2x1x2x8x4xf32> -> tensor<2x2x3x2x4x4xf32>
    kiln.yield %1 : tensor<2x2x3x2x4x4xf32>
  }
  return %0 : tensor<2x2x3x2x4x4xf32>
}

// -----

// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :8:10: 'kiln.matmul': gemm_simt tile [64, 64, 8, 3, 4] is not a valid configuration
func.func @badtile(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
      configs [#kiln.kernel<arch = "host", profile = 0, template = "gemm_simt", tile = [64, 64, 8, 3, 4], stages = 1, warps = 4>] {
  ^bb0(%x: tensor<4x8xf32>, %y: tensor<8x4xf32>):
    %1 = kiln.matmul %x, %y : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
    kiln.yield %1 : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

// Two anchors cannot share a kernel.
// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :9:10: 'kiln.matmul': is a second anchor op in one fusion group (the first is 'kiln.matmul')
func.func @two(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = kiln.fusion ins(%a : tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%x: tensor<4x4xf32>):
    %1 = kiln.matmul %x, %x : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    %2 = kiln.matmul %1, %x : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    kiln.yield %2 : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

// Convolution kernels are NHWC; an NCHW convolution must be converted first.
// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :8:10: 'kiln.conv2d': the kernels are channels-last (NHWC): run kiln-convert-to-channels-last first
func.func @nchw(%x: tensor<1x4x9x9xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x7x7xf32> {
  %0 = kiln.fusion ins(%x, %w : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x7x7xf32> {
  ^bb0(%a: tensor<1x4x9x9xf32>, %f: tensor<8x4x3x3xf32>):
    %1 = kiln.conv2d %a, %f strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32> -> tensor<1x8x7x7xf32>
    kiln.yield %1 : tensor<1x8x7x7xf32>
  }
  return %0 : tensor<1x8x7x7xf32>
}

// -----

// The epilogue runs per element of the anchor's result: it cannot broadcast
// the result to a larger shape.
// CHECK: error: {{.*}}errors.mlir:{{[0-9]+}} offset :{{[0-9]+}}:{{[0-9]+}}: 'kiln.fusion': the epilogue changes the anchor's shape
func.func @widen(%a: tensor<1x8xf32>, %b: tensor<8x4xf32>, %r: tensor<5x4xf32>) -> tensor<5x4xf32> {
  %0 = kiln.fusion ins(%a, %b, %r : tensor<1x8xf32>, tensor<8x4xf32>, tensor<5x4xf32>) -> tensor<5x4xf32> {
  ^bb0(%x: tensor<1x8xf32>, %y: tensor<8x4xf32>, %z: tensor<5x4xf32>):
    %1 = kiln.matmul %x, %y : tensor<1x8xf32>, tensor<8x4xf32> -> tensor<1x4xf32>
    %2 = kiln.add %1, %z : (tensor<1x4xf32>, tensor<5x4xf32>) -> tensor<5x4xf32>
    kiln.yield %2 : tensor<5x4xf32>
  }
  return %0 : tensor<5x4xf32>
}
