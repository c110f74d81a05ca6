// RUN: kiln-opt %s --split-input-file --kiln-convert-to-channels-last | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-graph-pipeline{channels-last=true})' | FileCheck %s --check-prefix=PIPE
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-graph-pipeline)' | FileCheck %s --check-prefix=NCHW

// One convolution: the input is transposed NCHW -> NHWC, the constant OIHW
// filter becomes an OHWI constant (W[0, c, 0, w] = [[1, 2], [3, 4]] is
// W'[0, 0, w, c] = [[1, 3], [2, 4]]), and the NHWC result is transposed
// back for the NCHW caller.
// CHECK-LABEL: func.func @conv_constant_filter
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x3x4xf32>)
// CHECK-DAG: %[[W:.+]] = kiln.constant dense<{{\[\[\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: %[[XT:.+]] = kiln.transpose %[[X]] permutation = [0, 2, 3, 1] : tensor<1x2x3x4xf32> -> tensor<1x3x4x2xf32>
// CHECK: %[[Y:.+]] = kiln.conv2d %[[XT]], %[[W]] strides = [1, 1] pads = [0, 0, 0, 1] dilations = [1, 1] groups = 1 channels_last : tensor<1x3x4x2xf32>, tensor<1x1x2x2xf32> -> tensor<1x3x4x1xf32>
// CHECK: %[[R:.+]] = kiln.transpose %[[Y]] permutation = [0, 3, 1, 2] : tensor<1x3x4x1xf32> -> tensor<1x1x3x4xf32>
// CHECK: return %[[R]]
func.func @conv_constant_filter(%x: tensor<1x2x3x4xf32>) -> tensor<1x1x3x4xf32> {
  %w = kiln.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>
  %y = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 1] dilations = [1, 1] groups = 1 : tensor<1x2x3x4xf32>, tensor<1x2x1x2xf32> -> tensor<1x1x3x4xf32>
  return %y : tensor<1x1x3x4xf32>
}

// -----

// conv -> relu -> conv -> max_pool: the activations stay NHWC from the first
// transpose to the last. The filters are arguments, so their transposes
// stay; the bias and every attribute carry over; dynamic dims survive.
// CHECK-LABEL: func.func @conv_relu_conv_pool
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x16x16xf32>, %[[W1:.+]]: tensor<8x3x3x3xf32>, %[[B1:.+]]: tensor<8xf32>, %[[W2:.+]]: tensor<8x1x3x3xf32>)
// CHECK-DAG: %[[XT:.+]] = kiln.transpose %[[X]] permutation = [0, 2, 3, 1] : tensor<?x3x16x16xf32> -> tensor<?x16x16x3xf32>
// CHECK-DAG: %[[W1T:.+]] = kiln.transpose %[[W1]] permutation = [0, 2, 3, 1] : tensor<8x3x3x3xf32> -> tensor<8x3x3x3xf32>
// CHECK-DAG: %[[W2T:.+]] = kiln.transpose %[[W2]] permutation = [0, 2, 3, 1] : tensor<8x1x3x3xf32> -> tensor<8x3x3x1xf32>
// CHECK: %[[C1:.+]] = kiln.conv2d %[[XT]], %[[W1T]], %[[B1]] strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 channels_last : tensor<?x16x16x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32> -> tensor<?x8x8x8xf32>
// CHECK-NEXT: %[[R:.+]] = kiln.relu %[[C1]] : tensor<?x8x8x8xf32>
// CHECK-NEXT: %[[C2:.+]] = kiln.conv2d %[[R]], %[[W2T]] strides = [1, 1] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 8 channels_last : tensor<?x8x8x8xf32>, tensor<8x3x3x1xf32> -> tensor<?x8x8x8xf32>
// CHECK-NEXT: %[[P:.+]] = kiln.max_pool2d %[[C2]] kernel = [3, 3] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode channels_last : tensor<?x8x8x8xf32> -> tensor<?x4x4x8xf32>
// CHECK-NEXT: %[[PT:.+]] = kiln.transpose %[[P]] permutation = [0, 3, 1, 2] : tensor<?x4x4x8xf32> -> tensor<?x8x4x4xf32>
// CHECK-NEXT: return %[[PT]]
func.func @conv_relu_conv_pool(%x: tensor<?x3x16x16xf32>, %w1: tensor<8x3x3x3xf32>, %b1: tensor<8xf32>, %w2: tensor<8x1x3x3xf32>) -> tensor<?x8x4x4xf32> {
  %c1 = kiln.conv2d %x, %w1, %b1 strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<?x3x16x16xf32>, tensor<8x3x3x3xf32>, tensor<8xf32> -> tensor<?x8x8x8xf32>
  %r = kiln.relu %c1 : tensor<?x8x8x8xf32>
  %c2 = kiln.conv2d %r, %w2 strides = [1, 1] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 8 : tensor<?x8x8x8xf32>, tensor<8x1x3x3xf32> -> tensor<?x8x8x8xf32>
  %p = kiln.max_pool2d %c2 kernel = [3, 3] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode : tensor<?x8x8x8xf32> -> tensor<?x8x4x4xf32>
  return %p : tensor<?x8x4x4xf32>
}

// -----

// Binary ops: a residual add of two NCHW-transposed values, a scalar
// multiplier and a per-channel [C, 1, 1] constant all move to NHWC (the
// constant becomes [1, 1, 1, C]); clamp (relu6) and avg_pool follow, and
// the only transposes left are at the function's edges.
// CHECK-LABEL: func.func @residual_block
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x4xf32>, %[[W:.+]]: tensor<2x2x1x1xf32>)
// CHECK-DAG: %[[S:.+]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[B:.+]] = kiln.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK-DAG: %[[XT:.+]] = kiln.transpose %[[X]] permutation = [0, 2, 3, 1]
// CHECK-DAG: %[[WT:.+]] = kiln.transpose %[[W]] permutation = [0, 2, 3, 1]
// CHECK: %[[C1:.+]] = kiln.conv2d %[[XT]], %[[WT]] {{.*}} channels_last
// CHECK: %[[C2:.+]] = kiln.conv2d %[[C1]], %[[WT]] {{.*}} channels_last
// CHECK: %[[A:.+]] = kiln.add %[[C2]], %[[C1]] : tensor<1x4x4x2xf32>
// CHECK: %[[M:.+]] = kiln.mul %[[A]], %[[S]] : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[AB:.+]] = kiln.add %[[M]], %[[B]] : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[CL:.+]] = kiln.clamp %[[AB]] min = 0.000000e+00 max = 6.000000e+00 : tensor<1x4x4x2xf32>
// CHECK: %[[P:.+]] = kiln.avg_pool2d %[[CL]] kernel = [2, 2] strides = [2, 2] pads = [1, 1, 1, 1] count_include_pad channels_last : tensor<1x4x4x2xf32> -> tensor<1x3x3x2xf32>
// CHECK: %[[PT:.+]] = kiln.transpose %[[P]] permutation = [0, 3, 1, 2]
// CHECK-NOT: kiln.transpose
// CHECK: return %[[PT]]
func.func @residual_block(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32> {
  %s = kiln.constant dense<0.5> : tensor<f32>
  %b = kiln.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %c1 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %c2 = kiln.conv2d %c1, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %a = kiln.add %c2, %c1 : tensor<1x2x4x4xf32>
  %m = kiln.mul %a, %s : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %ab = kiln.add %m, %b : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %cl = kiln.clamp %ab min = 0.0 max = 6.0 : tensor<1x2x4x4xf32>
  %p = kiln.avg_pool2d %cl kernel = [2, 2] strides = [2, 2] pads = [1, 1, 1, 1] count_include_pad : tensor<1x2x4x4xf32> -> tensor<1x2x3x3xf32>
  return %p : tensor<1x2x3x3xf32>
}

// -----

// A channels_last op is left alone; an NCHW value also used by a
// non-elementwise op (a reshape) keeps its transpose for that use; a
// transpose the pass did not create is not moved.
// CHECK-LABEL: func.func @boundaries
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x4x2xf32>, %[[Y:.+]]: tensor<1x2x4x4xf32>, %[[Z:.+]]: tensor<2x3xf32>)
// CHECK-DAG: %[[YT:.+]] = kiln.transpose %[[Y]] permutation = [0, 2, 3, 1]
// CHECK-DAG: %[[P:.+]] = kiln.max_pool2d %[[X]] kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] channels_last : tensor<1x4x4x2xf32> -> tensor<1x2x2x2xf32>
// CHECK: %[[Q:.+]] = kiln.max_pool2d %[[YT]] {{.*}} channels_last
// CHECK: %[[QT:.+]] = kiln.transpose %[[Q]] permutation = [0, 3, 1, 2] : tensor<1x2x2x2xf32> -> tensor<1x2x2x2xf32>
// CHECK: kiln.reshape %[[QT]]
// CHECK: %[[RQ:.+]] = kiln.relu %[[Q]] : tensor<1x2x2x2xf32>
// CHECK: %[[RT:.+]] = kiln.transpose %[[RQ]] permutation = [0, 3, 1, 2]
// CHECK: %[[ZT:.+]] = kiln.transpose %[[Z]] permutation = [1, 0]
// CHECK: kiln.relu %[[ZT]]
func.func @boundaries(%x: tensor<1x4x4x2xf32>, %y: tensor<1x2x4x4xf32>, %z: tensor<2x3xf32>) -> (tensor<1x2x2x2xf32>, tensor<8xf32>, tensor<1x2x2x2xf32>, tensor<3x2xf32>) {
  %p = kiln.max_pool2d %x kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] channels_last : tensor<1x4x4x2xf32> -> tensor<1x2x2x2xf32>
  %q = kiln.max_pool2d %y kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %f = kiln.reshape %q : tensor<1x2x2x2xf32> -> tensor<8xf32>
  %r = kiln.relu %q : tensor<1x2x2x2xf32>
  %zt = kiln.transpose %z permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %zr = kiln.relu %zt : tensor<3x2xf32>
  return %p, %f, %r, %zr : tensor<1x2x2x2xf32>, tensor<8xf32>, tensor<1x2x2x2xf32>, tensor<3x2xf32>
}

// -----

// The symbolic dims kiln-infer-symbolic-shapes wrote (kiln.shape) follow the
// ops into NHWC order.
// CHECK-LABEL: func.func @shape_annotations
// CHECK: kiln.conv2d {{.*}} channels_last {kiln.shape = ["batch", "h", "w", "4"]}
// CHECK: kiln.relu {{.*}} {kiln.shape = ["batch", "h", "w", "4"]} : tensor<?x?x?x4xf32>
func.func @shape_annotations(%x: tensor<?x2x?x?xf32>, %w: tensor<4x2x1x1xf32>) -> tensor<?x4x?x?xf32> {
  %y = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 {kiln.shape = ["batch", "4", "h", "w"]} : tensor<?x2x?x?xf32>, tensor<4x2x1x1xf32> -> tensor<?x4x?x?xf32>
  %r = kiln.relu %y {kiln.shape = ["batch", "4", "h", "w"]} : tensor<?x4x?x?xf32>
  return %r : tensor<?x4x?x?xf32>
}

// -----

// In the graph pipeline the pass runs only with channels-last=true, after
// batch-norm folding: conv + per-channel affine + relu + conv becomes two
// channels_last convolutions with OHWI constant filters between the two
// edge transposes. Without the option nothing changes.
// PIPE-LABEL: func.func @pipeline
// PIPE-DAG: %[[W1:.+]] = kiln.constant dense<{{\[\[\[\[}}2.000000e+00, 4.000000e+00]]], {{\[\[\[}}1.500000e+00, 2.000000e+00]]]]> : tensor<2x1x1x2xf32>
// PIPE-DAG: %[[XT:.+]] = kiln.transpose %{{.*}} permutation = [0, 2, 3, 1]
// PIPE: %[[C1:.+]] = kiln.conv2d %[[XT]], %[[W1]], %{{.*}} {{.*}} channels_last
// PIPE: %[[R:.+]] = kiln.relu %[[C1]] {{.*}}: tensor<1x4x4x2xf32>
// PIPE: %[[C2:.+]] = kiln.conv2d %[[R]], {{.*}} channels_last
// PIPE: kiln.transpose %[[C2]] permutation = [0, 3, 1, 2]
// PIPE-NOT: kiln.transpose
// PIPE: return
// NCHW-LABEL: func.func @pipeline
// NCHW-NOT: kiln.transpose
// NCHW-NOT: channels_last
// NCHW: return
func.func @pipeline(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = kiln.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %s = kiln.constant dense<[[[2.0]], [[0.5]]]> : tensor<2x1x1xf32>
  %y = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %m = kiln.mul %y, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = kiln.relu %m : tensor<1x2x4x4xf32>
  %z = kiln.conv2d %r, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}
