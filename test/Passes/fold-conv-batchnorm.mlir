// RUN: kiln-opt %s --split-input-file --kiln-fold-conv-batchnorm | FileCheck %s

// An inference BatchNormalization written out after a convolution:
// (y - mean) / sqrt(var + eps) * gamma + beta, with per-channel [C, 1, 1]
// constants. With W = [2, 3], b = [1, -1], mean = [1, 2], var = [3, 15],
// eps = 1, gamma = [4, 8], beta = [0.5, 1]: s = [2, 2], t = [-1.5, -3], so
// W' = [4, 6] and b' = [0.5, -5].
// CHECK-LABEL: func.func @conv_then_batchnorm
// CHECK-SAME: (%[[X:.+]]: tensor<1x1x3x3xf32>)
// CHECK-DAG: %[[W:.+]] = kiln.constant dense_resource<[[WB:conv_bn_filter[_0-9]*]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = kiln.constant dense_resource<[[BB:conv_bn_bias[_0-9]*]]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = kiln.conv2d %[[X]], %[[W]], %[[B]] strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1
// CHECK-NOT: kiln.sub
// CHECK-NOT: kiln.div
// CHECK: return %[[Y]]
// CHECK: [[WB]]: "0x04000000000080400000C040"
// CHECK: [[BB]]: "0x040000000000003F0000A0C0"
func.func @conv_then_batchnorm(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = kiln.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = kiln.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %mean = kiln.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %var = kiln.constant dense<[[[3.0]], [[15.0]]]> : tensor<2x1x1xf32>
  %eps = kiln.constant dense<1.0> : tensor<f32>
  %gamma = kiln.constant dense<[[[4.0]], [[8.0]]]> : tensor<2x1x1xf32>
  %beta = kiln.constant dense<[[[0.5]], [[1.0]]]> : tensor<2x1x1xf32>
  %y = kiln.conv2d %x, %w, %b strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32> -> tensor<1x2x3x3xf32>
  %c = kiln.sub %y, %mean : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %ve = kiln.add %var, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %sd = kiln.sqrt %ve : tensor<2x1x1xf32>
  %n = kiln.div %c, %sd : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %g = kiln.mul %n, %gamma : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %o = kiln.add %g, %beta : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %o : tensor<1x2x3x3xf32>
}

// -----

// Negative cases: an add of a full activation-shaped tensor (not per channel)
// and a convolution whose result is also used elsewhere stay as they are.
// CHECK-LABEL: func.func @not_foldable
// CHECK: %[[Y1:.+]] = kiln.conv2d
// CHECK: kiln.add %[[Y1]], %{{.*}} : tensor<1x2x3x3xf32>
// CHECK: %[[Y2:.+]] = kiln.conv2d
// CHECK: kiln.mul %[[Y2]]
func.func @not_foldable(%x: tensor<1x1x3x3xf32>, %r: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w = kiln.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %s = kiln.constant dense<2.0> : tensor<f32>
  %y = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32> -> tensor<1x2x3x3xf32>
  %a = kiln.add %y, %r : tensor<1x2x3x3xf32>
  %y2 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32> -> tensor<1x2x3x3xf32>
  %m = kiln.mul %y2, %s : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  return %a, %m, %y2 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// A channels_last convolution: the output channels are dim 3, so the
// per-channel operands are [C] (or [1, 1, 1, C]) vectors. With the OHWI
// filter W = [2, 3], b = [1, -1], then * [2, 4] and + [0.5, 1]:
// W' = [4, 12] and b' = [2.5, -3].
// CHECK-LABEL: func.func @channels_last_conv_then_affine
// CHECK-SAME: (%[[X:.+]]: tensor<1x3x3x1xf32>)
// CHECK-DAG: %[[W:.+]] = kiln.constant dense_resource<[[WB:conv_bn_filter[_0-9]*]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = kiln.constant dense_resource<[[BB:conv_bn_bias[_0-9]*]]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = kiln.conv2d %[[X]], %[[W]], %[[B]] strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 channels_last
// CHECK-NOT: kiln.mul
// CHECK-NOT: kiln.add
// CHECK: return %[[Y]]
// CHECK: [[WB]]: "0x040000000000804000004041"
// CHECK: [[BB]]: "0x0400000000002040000040C0"
func.func @channels_last_conv_then_affine(%x: tensor<1x3x3x1xf32>) -> tensor<1x3x3x2xf32> {
  %w = kiln.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = kiln.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %s = kiln.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %t = kiln.constant dense<[[[[0.5, 1.0]]]]> : tensor<1x1x1x2xf32>
  %y = kiln.conv2d %x, %w, %b strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 channels_last : tensor<1x3x3x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32> -> tensor<1x3x3x2xf32>
  %m = kiln.mul %y, %s : (tensor<1x3x3x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %a = kiln.add %m, %t : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  return %a : tensor<1x3x3x2xf32>
}

// -----

// A [2, 1, 1] constant is per channel for an NCHW result, but after a
// channels_last convolution it scales rows (dim 1), not channels: no fold.
// CHECK-LABEL: func.func @channels_last_conv_wrong_axis
// CHECK: %[[Y:.+]] = kiln.conv2d {{.*}} channels_last
// CHECK: kiln.mul %[[Y]]
func.func @channels_last_conv_wrong_axis(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %w = kiln.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %s = kiln.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %y = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 channels_last : tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32> -> tensor<1x2x2x2xf32>
  %m = kiln.mul %y, %s : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %m : tensor<1x2x2x2xf32>
}
