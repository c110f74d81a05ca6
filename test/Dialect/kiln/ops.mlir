// Round trip of every kiln op: the custom form parses back to itself, and so
// does the generic form.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xi64>, tensor<2x2xf32>, tensor<3xbf16>) {
  // CHECK: kiln.constant dense<[1, 768]> : tensor<2xi64>
  %0 = kiln.constant dense<[1, 768]> : tensor<2xi64>
  // CHECK: kiln.constant dense_resource<weight0> : tensor<2x2xf32>
  %1 = kiln.constant dense_resource<weight0> : tensor<2x2xf32>
  // CHECK: kiln.constant dense<1.000000e+00> : tensor<3xbf16>
  %2 = kiln.constant dense<1.0> : tensor<3xbf16>
  return %0, %1, %2 : tensor<2xi64>, tensor<2x2xf32>, tensor<3xbf16>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<?x8xf32>, %i: tensor<4xi32>, %b: tensor<4xi1>, %h: tensor<2xf16>) {
  // CHECK: kiln.neg %{{.*}} : tensor<?x8xf32>
  %0 = kiln.neg %x : tensor<?x8xf32>
  // CHECK: kiln.abs %{{.*}} : tensor<4xi32>
  %1 = kiln.abs %i : tensor<4xi32>
  // CHECK: kiln.sign %{{.*}} : tensor<?x8xf32>
  %2 = kiln.sign %x : tensor<?x8xf32>
  // CHECK: kiln.relu %{{.*}} : tensor<?x8xf32>
  %3 = kiln.relu %x : tensor<?x8xf32>
  // CHECK: kiln.not %{{.*}} : tensor<4xi1>
  %4 = kiln.not %b : tensor<4xi1>
  // CHECK: kiln.exp %{{.*}} : tensor<2xf16>
  %5 = kiln.exp %h : tensor<2xf16>
  // CHECK: kiln.log
  %6 = kiln.log %x : tensor<?x8xf32>
  // CHECK: kiln.sqrt
  %7 = kiln.sqrt %x : tensor<?x8xf32>
  // CHECK: kiln.rsqrt
  %8 = kiln.rsqrt %x : tensor<?x8xf32>
  // CHECK: kiln.reciprocal
  %9 = kiln.reciprocal %x : tensor<?x8xf32>
  // CHECK: kiln.tanh
  %10 = kiln.tanh %x : tensor<?x8xf32>
  // CHECK: kiln.sigmoid
  %11 = kiln.sigmoid %x : tensor<?x8xf32>
  // CHECK: kiln.erf
  %12 = kiln.erf %x : tensor<?x8xf32>
  // CHECK: kiln.sin
  %13 = kiln.sin %x : tensor<?x8xf32>
  // CHECK: kiln.cos
  %14 = kiln.cos %x : tensor<?x8xf32>
  // CHECK: kiln.floor
  %15 = kiln.floor %x : tensor<?x8xf32>
  // CHECK: kiln.ceil
  %16 = kiln.ceil %x : tensor<?x8xf32>
  // CHECK: kiln.round
  %17 = kiln.round %x : tensor<?x8xf32>
  // CHECK: kiln.gelu %{{.*}} : tensor<?x8xf32>
  %18 = kiln.gelu %x : tensor<?x8xf32>
  // CHECK: kiln.gelu_tanh
  %19 = kiln.gelu_tanh %x : tensor<?x8xf32>
  // CHECK: kiln.silu
  %20 = kiln.silu %x : tensor<?x8xf32>
  // CHECK: kiln.softplus
  %21 = kiln.softplus %x : tensor<?x8xf32>
  // CHECK: kiln.hard_swish
  %22 = kiln.hard_swish %x : tensor<?x8xf32>
  // CHECK: kiln.leaky_relu %{{.*}} alpha = 1.000000e-02 : tensor<?x8xf32>
  %23 = kiln.leaky_relu %x alpha = 0.01 : tensor<?x8xf32>
  // CHECK: kiln.elu %{{.*}} alpha = 1.000000e+00 : tensor<?x8xf32>
  %24 = kiln.elu %x alpha = 1.0 : tensor<?x8xf32>
  // CHECK: kiln.hard_sigmoid %{{.*}} alpha = 2.000000e-01 beta = 5.000000e-01 : tensor<?x8xf32>
  %25 = kiln.hard_sigmoid %x alpha = 0.2 beta = 0.5 : tensor<?x8xf32>
  // CHECK: kiln.clamp %{{.*}} min = 0.000000e+00 max = 6.000000e+00 : tensor<?x8xf32>
  %26 = kiln.clamp %x min = 0.0 max = 6.0 : tensor<?x8xf32>
  // CHECK: kiln.clamp %{{.*}} min = 0.000000e+00 : tensor<4xi32>
  %27 = kiln.clamp %i min = 0.0 : tensor<4xi32>
  // CHECK: kiln.is_nan %{{.*}} : tensor<?x8xf32> -> tensor<?x8xi1>
  %28 = kiln.is_nan %x : tensor<?x8xf32> -> tensor<?x8xi1>
  // CHECK: kiln.is_inf %{{.*}} : tensor<?x8xf32> -> tensor<?x8xi1>
  %29 = kiln.is_inf %x : tensor<?x8xf32> -> tensor<?x8xi1>
  return
}

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<4x8xf32>, %row: tensor<8xf32>, %i: tensor<?x3xi64>, %j: tensor<1x3xi64>, %p: tensor<4xi1>, %q: tensor<4xi1>) {
  // CHECK: kiln.add %{{.*}}, %{{.*}} : tensor<4x8xf32>
  %0 = kiln.add %a, %a : tensor<4x8xf32>
  // CHECK: kiln.add %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = kiln.add %a, %row : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: kiln.sub %{{.*}}, %{{.*}} : (tensor<?x3xi64>, tensor<1x3xi64>) -> tensor<?x3xi64>
  %2 = kiln.sub %i, %j : (tensor<?x3xi64>, tensor<1x3xi64>) -> tensor<?x3xi64>
  // CHECK: kiln.mul
  %3 = kiln.mul %a, %row : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: kiln.div
  %4 = kiln.div %i, %j : (tensor<?x3xi64>, tensor<1x3xi64>) -> tensor<?x3xi64>
  // CHECK: kiln.pow
  %5 = kiln.pow %a, %a : tensor<4x8xf32>
  // CHECK: kiln.max
  %6 = kiln.max %a, %a : tensor<4x8xf32>
  // CHECK: kiln.min
  %7 = kiln.min %a, %a : tensor<4x8xf32>
  // CHECK: kiln.mod
  %8 = kiln.mod %i, %j : (tensor<?x3xi64>, tensor<1x3xi64>) -> tensor<?x3xi64>
  // CHECK: kiln.fmod
  %9 = kiln.fmod %a, %a : tensor<4x8xf32>
  // CHECK: kiln.and %{{.*}}, %{{.*}} : tensor<4xi1>
  %10 = kiln.and %p, %q : tensor<4xi1>
  // CHECK: kiln.or
  %11 = kiln.or %p, %q : tensor<4xi1>
  // CHECK: kiln.xor
  %12 = kiln.xor %p, %q : tensor<4xi1>
  // A more static result than inferred is allowed: the importer may know it.
  // CHECK: kiln.add %{{.*}}, %{{.*}} : (tensor<?x3xi64>, tensor<1x3xi64>) -> tensor<5x3xi64>
  %13 = kiln.add %i, %j : (tensor<?x3xi64>, tensor<1x3xi64>) -> tensor<5x3xi64>
  return
}

// CHECK-LABEL: func.func @compare_where_cast
func.func @compare_where_cast(%a: tensor<4x8xf32>, %row: tensor<8xf32>, %m: tensor<1x8xi1>, %s: tensor<f32>) {
  // CHECK: kiln.compare lt, %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %0 = kiln.compare lt, %a, %row : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  // CHECK: kiln.compare eq
  %1 = kiln.compare eq, %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: kiln.compare ne
  %2 = kiln.compare ne, %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: kiln.compare le
  %3 = kiln.compare le, %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: kiln.compare gt
  %4 = kiln.compare gt, %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: kiln.compare ge
  %5 = kiln.compare ge, %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: kiln.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %6 = kiln.where %m, %a, %s : (tensor<1x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  // CHECK: kiln.cast %{{.*}} : tensor<4x8xf32> to tensor<4x8xbf16>
  %7 = kiln.cast %a : tensor<4x8xf32> to tensor<4x8xbf16>
  // CHECK: kiln.cast %{{.*}} : tensor<4x8xi1> to tensor<4x8xi8>
  %8 = kiln.cast %0 : tensor<4x8xi1> to tensor<4x8xi8>
  return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x8x16xf32>, %i: tensor<4x5xi32>) {
  // CHECK: kiln.reduce_sum %{{.*}} axes = [2] keep_dims : tensor<?x8x16xf32> -> tensor<?x8x1xf32>
  %0 = kiln.reduce_sum %x axes = [2] keep_dims : tensor<?x8x16xf32> -> tensor<?x8x1xf32>
  // CHECK: kiln.reduce_mean %{{.*}} axes = [1, 2] : tensor<?x8x16xf32> -> tensor<?xf32>
  %1 = kiln.reduce_mean %x axes = [1, 2] : tensor<?x8x16xf32> -> tensor<?xf32>
  // CHECK: kiln.reduce_max %{{.*}} axes = [0, 1] : tensor<4x5xi32> -> tensor<i32>
  %2 = kiln.reduce_max %i axes = [0, 1] : tensor<4x5xi32> -> tensor<i32>
  // CHECK: kiln.reduce_min
  %3 = kiln.reduce_min %x axes = [0] : tensor<?x8x16xf32> -> tensor<8x16xf32>
  // CHECK: kiln.reduce_prod
  %4 = kiln.reduce_prod %i axes = [1] : tensor<4x5xi32> -> tensor<4xi32>
  // CHECK: kiln.argmax %{{.*}} axis = 2 : tensor<?x8x16xf32> -> tensor<?x8xi64>
  %5 = kiln.argmax %x axis = 2 : tensor<?x8x16xf32> -> tensor<?x8xi64>
  // CHECK: kiln.argmin %{{.*}} axis = 1 keep_dims select_last_index : tensor<4x5xi32> -> tensor<4x1xi64>
  %6 = kiln.argmin %i axis = 1 keep_dims select_last_index : tensor<4x5xi32> -> tensor<4x1xi64>
  return
}

// CHECK-LABEL: func.func @normalizations
func.func @normalizations(%x: tensor<?x128x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>, %h: tensor<2x?x64xf16>, %w: tensor<64xf16>) {
  // CHECK: kiln.softmax %{{.*}} axis = 2 : tensor<?x128x768xf32>
  %0 = kiln.softmax %x axis = 2 : tensor<?x128x768xf32>
  // CHECK: kiln.log_softmax %{{.*}} axis = 1 : tensor<?x128x768xf32>
  %1 = kiln.log_softmax %x axis = 1 : tensor<?x128x768xf32>
  // CHECK: kiln.layer_norm %{{.*}}, %{{.*}}, %{{.*}} axis = 2 epsilon = 9.9999999999999995E-7 : tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>
  %2 = kiln.layer_norm %x, %g, %b axis = 2 epsilon = 1.0e-6 : tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>
  // CHECK: kiln.layer_norm %{{.*}}, %{{.*}} axis = 2 epsilon = {{.*}} : tensor<?x128x768xf32>, tensor<768xf32>{{$}}
  %3 = kiln.layer_norm %x, %g axis = 2 epsilon = 1.0e-5 : tensor<?x128x768xf32>, tensor<768xf32>
  // CHECK: kiln.rms_norm %{{.*}}, %{{.*}} axis = 2 epsilon = {{.*}} : tensor<2x?x64xf16>, tensor<64xf16>
  %4 = kiln.rms_norm %h, %w axis = 2 epsilon = 1.0e-6 : tensor<2x?x64xf16>, tensor<64xf16>
  return
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%q: tensor<2x12x128x64xf32>, %k: tensor<1x12x64x128xf32>, %x: tensor<?x128x768xf32>, %w: tensor<3072x768xf32>, %bias: tensor<3072xf32>, %w2: tensor<768x3072xf32>) {
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : tensor<2x12x128x64xf32>, tensor<1x12x64x128xf32> -> tensor<2x12x128x128xf32>
  %0 = kiln.matmul %q, %k : tensor<2x12x128x64xf32>, tensor<1x12x64x128xf32> -> tensor<2x12x128x128xf32>
  // CHECK: kiln.linear %{{.*}}, %{{.*}}, %{{.*}} transpose_weight : tensor<?x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32> -> tensor<?x128x3072xf32>
  %1 = kiln.linear %x, %w, %bias transpose_weight : tensor<?x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32> -> tensor<?x128x3072xf32>
  // CHECK: kiln.linear %{{.*}}, %{{.*}} : tensor<?x128x768xf32>, tensor<768x3072xf32> -> tensor<?x128x3072xf32>
  %2 = kiln.linear %x, %w2 : tensor<?x128x768xf32>, tensor<768x3072xf32> -> tensor<?x128x3072xf32>
  return
}

// CHECK-LABEL: func.func @convolution_and_pooling
func.func @convolution_and_pooling(%x: tensor<?x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>, %dw: tensor<64x1x3x3xf32>) {
  // CHECK: kiln.conv2d %{{.*}}, %{{.*}}, %{{.*}} strides = [2, 2] pads = [3, 3, 3, 3] dilations = [1, 1] groups = 1 : tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32> -> tensor<?x64x112x112xf32>
  %0 = kiln.conv2d %x, %w, %b strides = [2, 2] pads = [3, 3, 3, 3] dilations = [1, 1] groups = 1 : tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32> -> tensor<?x64x112x112xf32>
  // Depthwise, dilated, no bias.
  // CHECK: kiln.conv2d %{{.*}}, %{{.*}} strides = [1, 1] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 64 : tensor<?x64x112x112xf32>, tensor<64x1x3x3xf32> -> tensor<?x64x112x112xf32>
  %1 = kiln.conv2d %0, %dw strides = [1, 1] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 64 : tensor<?x64x112x112xf32>, tensor<64x1x3x3xf32> -> tensor<?x64x112x112xf32>
  // CHECK: kiln.max_pool2d %{{.*}} kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] : tensor<?x64x112x112xf32> -> tensor<?x64x56x56xf32>
  %2 = kiln.max_pool2d %1 kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] : tensor<?x64x112x112xf32> -> tensor<?x64x56x56xf32>
  // CHECK: kiln.max_pool2d %{{.*}} kernel = [3, 3] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode : tensor<?x64x56x56xf32> -> tensor<?x64x28x28xf32>
  %3 = kiln.max_pool2d %2 kernel = [3, 3] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode : tensor<?x64x56x56xf32> -> tensor<?x64x28x28xf32>
  // CHECK: kiln.avg_pool2d %{{.*}} kernel = [2, 2] strides = [2, 2] pads = [1, 1, 1, 1] count_include_pad : tensor<?x64x28x28xf32> -> tensor<?x64x15x15xf32>
  %4 = kiln.avg_pool2d %3 kernel = [2, 2] strides = [2, 2] pads = [1, 1, 1, 1] count_include_pad : tensor<?x64x28x28xf32> -> tensor<?x64x15x15xf32>
  return
}

// The channels_last (NHWC input, OHWI filter, NHWC output) forms.
// CHECK-LABEL: func.func @convolution_and_pooling_channels_last
func.func @convolution_and_pooling_channels_last(%x: tensor<?x224x224x3xf32>, %w: tensor<64x7x7x3xf32>, %b: tensor<64xf32>, %dw: tensor<64x3x3x1xf32>) {
  // CHECK: kiln.conv2d %{{.*}}, %{{.*}}, %{{.*}} strides = [2, 2] pads = [3, 3, 3, 3] dilations = [1, 1] groups = 1 channels_last : tensor<?x224x224x3xf32>, tensor<64x7x7x3xf32>, tensor<64xf32> -> tensor<?x112x112x64xf32>
  %0 = kiln.conv2d %x, %w, %b strides = [2, 2] pads = [3, 3, 3, 3] dilations = [1, 1] groups = 1 channels_last : tensor<?x224x224x3xf32>, tensor<64x7x7x3xf32>, tensor<64xf32> -> tensor<?x112x112x64xf32>
  // Depthwise, dilated, asymmetric strides, no bias.
  // CHECK: kiln.conv2d %{{.*}}, %{{.*}} strides = [1, 2] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 64 channels_last : tensor<?x112x112x64xf32>, tensor<64x3x3x1xf32> -> tensor<?x112x56x64xf32>
  %1 = kiln.conv2d %0, %dw strides = [1, 2] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 64 channels_last : tensor<?x112x112x64xf32>, tensor<64x3x3x1xf32> -> tensor<?x112x56x64xf32>
  // CHECK: kiln.max_pool2d %{{.*}} kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] channels_last : tensor<?x112x56x64xf32> -> tensor<?x56x28x64xf32>
  %2 = kiln.max_pool2d %1 kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] channels_last : tensor<?x112x56x64xf32> -> tensor<?x56x28x64xf32>
  // CHECK: kiln.max_pool2d %{{.*}} kernel = [3, 3] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode channels_last : tensor<?x56x28x64xf32> -> tensor<?x28x14x64xf32>
  %3 = kiln.max_pool2d %2 kernel = [3, 3] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode channels_last : tensor<?x56x28x64xf32> -> tensor<?x28x14x64xf32>
  // CHECK: kiln.avg_pool2d %{{.*}} kernel = [2, 2] strides = [2, 2] pads = [1, 1, 1, 1] count_include_pad channels_last : tensor<?x28x14x64xf32> -> tensor<?x15x8x64xf32>
  %4 = kiln.avg_pool2d %3 kernel = [2, 2] strides = [2, 2] pads = [1, 1, 1, 1] count_include_pad channels_last : tensor<?x28x14x64xf32> -> tensor<?x15x8x64xf32>
  // CHECK: kiln.avg_pool2d %{{.*}} kernel = [2, 2] strides = [1, 1] pads = [0, 0, 0, 0] ceil_mode channels_last : tensor<?x15x8x64xf32> -> tensor<?x14x7x64xf32>
  %5 = kiln.avg_pool2d %4 kernel = [2, 2] strides = [1, 1] pads = [0, 0, 0, 0] ceil_mode channels_last : tensor<?x15x8x64xf32> -> tensor<?x14x7x64xf32>
  return
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%table: tensor<100x16xf32>, %ids: tensor<?x8xi64>, %a: tensor<2x3xf32>, %b: tensor<2x?xf32>, %x: tensor<4x?x9xf32>, %s: tensor<3xi64>) {
  // CHECK: kiln.gather %{{.*}}, %{{.*}} axis = 0 : tensor<100x16xf32>, tensor<?x8xi64> -> tensor<?x8x16xf32>
  %0 = kiln.gather %table, %ids axis = 0 : tensor<100x16xf32>, tensor<?x8xi64> -> tensor<?x8x16xf32>
  // CHECK: kiln.concat %{{.*}}, %{{.*}} axis = 1 : tensor<2x3xf32>, tensor<2x?xf32> -> tensor<2x?xf32>
  %1 = kiln.concat %a, %b axis = 1 : tensor<2x3xf32>, tensor<2x?xf32> -> tensor<2x?xf32>
  // CHECK: kiln.slice %{{.*}}[:2, :, 1:-1:2] : tensor<4x?x9xf32> -> tensor<2x?x4xf32>
  %2 = kiln.slice %x[0:2, :, 1:-1:2] : tensor<4x?x9xf32> -> tensor<2x?x4xf32>
  // CHECK: kiln.slice %{{.*}}[::-1, 3:, :-2] : tensor<4x?x9xf32> -> tensor<4x?x7xf32>
  %3 = kiln.slice %x[::-1, 3:, :-2] : tensor<4x?x9xf32> -> tensor<4x?x7xf32>
  // CHECK: kiln.transpose %{{.*}} permutation = [2, 0, 1] : tensor<4x?x9xf32> -> tensor<9x4x?xf32>
  %4 = kiln.transpose %x permutation = [2, 0, 1] : tensor<4x?x9xf32> -> tensor<9x4x?xf32>
  // CHECK: kiln.reshape %{{.*}} : tensor<4x?x9xf32> -> tensor<?x36xf32>
  %5 = kiln.reshape %x : tensor<4x?x9xf32> -> tensor<?x36xf32>
  // CHECK: kiln.reshape %{{.*}}, %{{.*}} : tensor<4x?x9xf32>, tensor<3xi64> -> tensor<?x?x?xf32>
  %6 = kiln.reshape %x, %s : tensor<4x?x9xf32>, tensor<3xi64> -> tensor<?x?x?xf32>
  // CHECK: kiln.expand %{{.*}} : tensor<2x3xf32> -> tensor<5x2x3xf32>
  %7 = kiln.expand %a : tensor<2x3xf32> -> tensor<5x2x3xf32>
  // CHECK: kiln.expand %{{.*}}, %{{.*}} : tensor<2x?xf32>, tensor<3xi64> -> tensor<?x2x?xf32>
  %8 = kiln.expand %b, %s : tensor<2x?xf32>, tensor<3xi64> -> tensor<?x2x?xf32>
  return
}


// CHECK-LABEL: func.func @shapes_scans_selection
func.func @shapes_scans_selection(%x: tensor<?x128x768xf32>, %s: tensor<i64>, %l: tensor<i64>, %d: tensor<i64>, %c: tensor<2x5xf32>, %logits: tensor<4x100xf32>) {
  // CHECK: kiln.shape_of %{{.*}} : tensor<?x128x768xf32> -> tensor<3xi64>
  %0 = kiln.shape_of %x : tensor<?x128x768xf32> -> tensor<3xi64>
  // CHECK: kiln.range %{{.*}}, %{{.*}}, %{{.*}} : tensor<i64> -> tensor<?xi64>
  %1 = kiln.range %s, %l, %d : tensor<i64> -> tensor<?xi64>
  // CHECK: kiln.cumsum %{{.*}} axis = 1 exclusive reverse : tensor<2x5xf32>
  %2 = kiln.cumsum %c axis = 1 exclusive reverse : tensor<2x5xf32>
  // CHECK: kiln.cumsum %{{.*}} axis = 0 : tensor<2x5xf32>
  %3 = kiln.cumsum %c axis = 0 : tensor<2x5xf32>
  // CHECK: kiln.topk %{{.*}} k = 5 axis = 1 : tensor<4x100xf32> -> tensor<4x5xf32>, tensor<4x5xi64>
  %4:2 = kiln.topk %logits k = 5 axis = 1 : tensor<4x100xf32> -> tensor<4x5xf32>, tensor<4x5xi64>
  // CHECK: kiln.topk %{{.*}} k = 1 axis = 0 smallest : tensor<4x100xf32> -> tensor<1x100xf32>, tensor<1x100xi64>
  %5:2 = kiln.topk %logits k = 1 axis = 0 smallest : tensor<4x100xf32> -> tensor<1x100xf32>, tensor<1x100xi64>
  return
}

// CHECK-LABEL: func.func @transposed_convolution
func.func @transposed_convolution(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>, %g: tensor<8x2x3x3xf32>) {
  // CHECK: kiln.conv_transpose2d %{{.*}}, %{{.*}} strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] output_padding = [1, 1] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x8x8xf32>
  %0 = kiln.conv_transpose2d %x, %w strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] output_padding = [1, 1] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x8x8xf32>
  // CHECK: kiln.conv_transpose2d %{{.*}}, %{{.*}}, %{{.*}} strides = [1, 1] pads = [0, 0, 0, 0] dilations = [2, 2] output_padding = [0, 0] groups = 4 : tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>, tensor<8xf32> -> tensor<1x8x8x8xf32>
  %1 = kiln.conv_transpose2d %x, %g, %b strides = [1, 1] pads = [0, 0, 0, 0] dilations = [2, 2] output_padding = [0, 0] groups = 4 : tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>, tensor<8xf32> -> tensor<1x8x8x8xf32>
  return
}

// CHECK-LABEL: func.func @gathers_and_scatters
func.func @gathers_and_scatters(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>, %d: tensor<4x5x6xf32>, %t: tensor<3x2xi64>, %v: tensor<8xf32>, %si: tensor<4x1xi64>, %u: tensor<4xf32>) {
  // CHECK: kiln.gather_elements %{{.*}}, %{{.*}} axis = 1 : tensor<3x4xf32>, tensor<3x2xi64> -> tensor<3x2xf32>
  %0 = kiln.gather_elements %x, %i axis = 1 : tensor<3x4xf32>, tensor<3x2xi64> -> tensor<3x2xf32>
  // CHECK: kiln.gather_nd %{{.*}}, %{{.*}} batch_dims = 0 : tensor<4x5x6xf32>, tensor<3x2xi64> -> tensor<3x6xf32>
  %1 = kiln.gather_nd %d, %t batch_dims = 0 : tensor<4x5x6xf32>, tensor<3x2xi64> -> tensor<3x6xf32>
  // CHECK: kiln.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} reduction = add : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
  %2 = kiln.scatter_nd %v, %si, %u reduction = add : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
  // CHECK: kiln.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} reduction = none
  %3 = kiln.scatter_nd %v, %si, %u reduction = none : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @pad_tile_resize
func.func @pad_tile_resize(%x: tensor<3x4xf32>, %img: tensor<1x3x4x4xf32>) {
  // CHECK: kiln.pad %{{.*}} pads = [0, 1, 0, 2] mode = reflect value = 0.000000e+00 : tensor<3x4xf32> -> tensor<3x7xf32>
  %0 = kiln.pad %x pads = [0, 1, 0, 2] mode = reflect value = 0.0 : tensor<3x4xf32> -> tensor<3x7xf32>
  // CHECK: kiln.pad %{{.*}} pads = [1, -1, 1, 0] mode = constant value = -1.000000e+00 : tensor<3x4xf32> -> tensor<5x3xf32>
  %1 = kiln.pad %x pads = [1, -1, 1, 0] mode = constant value = -1.0 : tensor<3x4xf32> -> tensor<5x3xf32>
  // CHECK: kiln.tile %{{.*}} multiples = [2, 1] : tensor<3x4xf32> -> tensor<6x4xf32>
  %2 = kiln.tile %x multiples = [2, 1] : tensor<3x4xf32> -> tensor<6x4xf32>
  // CHECK: kiln.resize %{{.*}} mode = nearest coordinate_mode = asymmetric nearest_mode = floor scales = [1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00] : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  %3 = kiln.resize %img mode = nearest coordinate_mode = asymmetric nearest_mode = floor scales = [1.0, 1.0, 2.0, 2.0] : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  // CHECK: kiln.resize %{{.*}} mode = linear coordinate_mode = half_pixel nearest_mode = round_prefer_floor
  %4 = kiln.resize %img mode = linear coordinate_mode = half_pixel nearest_mode = round_prefer_floor scales = [1.0, 1.0, 0.5, 0.5] : tensor<1x3x4x4xf32> -> tensor<1x3x2x2xf32>
  return
}

// CHECK-LABEL: func.func @attention_and_rope
func.func @attention_and_rope(%q: tensor<1x32x?x128xf16>, %k: tensor<1x8x?x128xf16>, %v: tensor<1x8x?x128xf16>, %m: tensor<1x1x?x?xi1>, %f: tensor<2x4x8x8xf32>, %bias: tensor<8x8xf32>, %cos: tensor<1x?x64xf16>, %sin: tensor<1x?x64xf16>) {
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} scale = 0.088378899999999996 causal = lower_right : tensor<1x32x?x128xf16>, tensor<1x8x?x128xf16>, tensor<1x8x?x128xf16> -> tensor<1x32x?x128xf16>
  %0 = kiln.attention %q, %k, %v scale = 0.0883789 causal = lower_right : tensor<1x32x?x128xf16>, tensor<1x8x?x128xf16>, tensor<1x8x?x128xf16> -> tensor<1x32x?x128xf16>
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<1x1x?x?xi1>) scale = {{.*}} causal = none : tensor<1x32x?x128xf16>
  %1 = kiln.attention %q, %k, %v mask(%m : tensor<1x1x?x?xi1>) scale = 0.0883789 causal = none : tensor<1x32x?x128xf16>, tensor<1x8x?x128xf16>, tensor<1x8x?x128xf16> -> tensor<1x32x?x128xf16>
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<8x8xf32>) scale = 1.250000e-01 causal = upper_left : tensor<2x4x8x8xf32>
  %2 = kiln.attention %f, %f, %f mask(%bias : tensor<8x8xf32>) scale = 0.125 causal = upper_left : tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  // CHECK: kiln.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x32x?x128xf16>, tensor<1x?x64xf16>, tensor<1x?x64xf16>
  %3 = kiln.rotary_embedding %q, %cos, %sin : tensor<1x32x?x128xf16>, tensor<1x?x64xf16>, tensor<1x?x64xf16>
  // CHECK: kiln.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}} interleaved :
  %4 = kiln.rotary_embedding %q, %cos, %sin interleaved : tensor<1x32x?x128xf16>, tensor<1x?x64xf16>, tensor<1x?x64xf16>
  return
}

// CHECK-LABEL: func.func @fusion
func.func @fusion(%x: tensor<?x768xf16>, %w: tensor<768x768xf16>, %b: tensor<768xf16>) -> tensor<?x768xf16> {
  // CHECK: %[[R:.+]] = kiln.fusion ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x768xf16>, tensor<768x768xf16>, tensor<768xf16>) -> tensor<?x768xf16>
  // CHECK-SAME: configs [#kiln.kernel<arch = "sm_80", profile = 0, template = "gemm_tc", tile = [128, 128, 32], stages = 3, warps = 4>, #kiln.kernel<arch = "host", profile = 0, template = "gemm_simt", tile = [32, 32, 8], stages = 1, warps = 2>]
  %0 = kiln.fusion ins(%x, %w, %b : tensor<?x768xf16>, tensor<768x768xf16>, tensor<768xf16>) -> tensor<?x768xf16>
      configs [#kiln.kernel<arch = "sm_80", profile = 0, template = "gemm_tc", tile = [128, 128, 32], stages = 3, warps = 4>,
               #kiln.kernel<arch = "host", profile = 0, template = "gemm_simt", tile = [32, 32, 8], stages = 1, warps = 2>] {
  // CHECK: ^bb0(%[[A:.+]]: tensor<?x768xf16>, %[[M:.+]]: tensor<768x768xf16>, %[[C:.+]]: tensor<768xf16>):
  ^bb0(%a: tensor<?x768xf16>, %m: tensor<768x768xf16>, %c: tensor<768xf16>):
    // CHECK: %[[L:.+]] = kiln.linear %[[A]], %[[M]], %[[C]]
    %1 = kiln.linear %a, %m, %c : tensor<?x768xf16>, tensor<768x768xf16>, tensor<768xf16> -> tensor<?x768xf16>
    // CHECK: %[[G:.+]] = kiln.gelu %[[L]]
    %2 = kiln.gelu %1 : tensor<?x768xf16>
    // CHECK: kiln.yield %[[G]] : tensor<?x768xf16>
    kiln.yield %2 : tensor<?x768xf16>
  }
  // CHECK: return %[[R]]
  return %0 : tensor<?x768xf16>
}

// A group that kernel selection has not visited yet has no configs.
// CHECK-LABEL: func.func @fusion_without_configs
func.func @fusion_without_configs(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK: kiln.fusion ins(%{{.*}} : tensor<4xf32>) -> tensor<4xf32>, tensor<4xf32> {
  %0:2 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32>, tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = kiln.exp %a : tensor<4xf32>
    %2 = kiln.neg %1 : tensor<4xf32>
    kiln.yield %1, %2 : tensor<4xf32>, tensor<4xf32>
  }
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weight0: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
