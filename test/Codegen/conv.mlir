// RUN: kiln-codegen %s --emit=kernels | FileCheck %s

// The convolution kernel follows the op: one input channel per group is the
// depthwise kernel, f16 input and filter the tensor-core implicit GEMM,
// anything else the fp32 SIMT one. Pools get one output per thread. (An
// NCHW convolution is an error: errors.mlir.)
// CHECK-LABEL: // ----- kiln_convs.cu
// CHECK-NEXT: kiln_convs_fusion0: template conv2d_simt <implicit GEMM, tile 128x64x8, thread 8x4, 256 threads>
// CHECK-NEXT:   fuses: kiln.conv2d, kiln.relu
// CHECK-NEXT:   dims: in0=[d0,d1,d2,d3] in1=[d4,d5,d6,d7] in2=[d8] out0=[d9,d10,d11,d12]
// CHECK-NEXT:   grid: (ceildiv(d9 * 5 * 5, 128), 1, 1) block: (256, 1, 1)
// CHECK-NEXT:   dynamic shared bytes: 0; workspace bytes: 0
// CHECK-NEXT: kiln_convs_fusion1: template depthwise_conv2d <256 threads x 2 outputs, direct>
// CHECK:        grid: (max(ceildiv(d8 * 5 * 5 * 16, 512), 1), 1, 1) block: (256, 1, 1)
// CHECK: kiln_convs_fusion2: template conv2d_tc <implicit GEMM, tile 128x64x32, warp 64x32, 3 stages, 128 threads>
// CHECK:        grid: (ceildiv(d8 * 5 * 5, 128), 1, 2) block: (128, 1, 1)
// CHECK-NEXT:   dynamic shared bytes: 36864; workspace bytes: 0
// CHECK: kiln_convs_fusion3: template max_pool2d <256 threads, one output each>
func.func @convs(%x: tensor<?x9x9x4xf32>, %w: tensor<8x3x3x4xf32>, %b: tensor<8xf32>, %dw: tensor<16x3x3x1xf32>, %h: tensor<?x5x5x16xf16>, %hw: tensor<16x1x1x8xf16>) -> (tensor<?x5x5x8xf32>, tensor<?x5x5x16xf32>, tensor<?x5x5x16xf16>, tensor<?x3x3x16xf16>) {
  %0 = kiln.fusion ins(%x, %w, %b : tensor<?x9x9x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32>) -> tensor<?x5x5x8xf32> {
  ^bb0(%a: tensor<?x9x9x4xf32>, %f: tensor<8x3x3x4xf32>, %c: tensor<8xf32>):
    %1 = kiln.conv2d %a, %f, %c strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 channels_last : tensor<?x9x9x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32> -> tensor<?x5x5x8xf32>
    %2 = kiln.relu %1 : tensor<?x5x5x8xf32>
    kiln.yield %2 : tensor<?x5x5x8xf32>
  }
  %3 = kiln.fusion ins(%x, %dw : tensor<?x9x9x4xf32>, tensor<16x3x3x1xf32>) -> tensor<?x5x5x16xf32> {
  ^bb0(%a: tensor<?x9x9x4xf32>, %f: tensor<16x3x3x1xf32>):
    %1 = kiln.conv2d %a, %f strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 4 channels_last : tensor<?x9x9x4xf32>, tensor<16x3x3x1xf32> -> tensor<?x5x5x16xf32>
    kiln.yield %1 : tensor<?x5x5x16xf32>
  }
  %4 = kiln.fusion ins(%h, %hw : tensor<?x5x5x16xf16>, tensor<16x1x1x8xf16>) -> tensor<?x5x5x16xf16> {
  ^bb0(%a: tensor<?x5x5x16xf16>, %f: tensor<16x1x1x8xf16>):
    %1 = kiln.conv2d %a, %f strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 2 channels_last : tensor<?x5x5x16xf16>, tensor<16x1x1x8xf16> -> tensor<?x5x5x16xf16>
    kiln.yield %1 : tensor<?x5x5x16xf16>
  }
  %5 = kiln.fusion ins(%4 : tensor<?x5x5x16xf16>) -> tensor<?x3x3x16xf16> {
  ^bb0(%a: tensor<?x5x5x16xf16>):
    %1 = kiln.max_pool2d %a kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] channels_last : tensor<?x5x5x16xf16> -> tensor<?x3x3x16xf16>
    kiln.yield %1 : tensor<?x3x3x16xf16>
  }
  return %0, %3, %4, %5 : tensor<?x5x5x8xf32>, tensor<?x5x5x16xf32>, tensor<?x5x5x16xf16>, tensor<?x3x3x16xf16>
}
