// Every verifier rule of the kiln dialect, broken once.
// RUN: kiln-opt %s --split-input-file --verify-diagnostics

func.func @constant_type_mismatch() {
  // expected-error @+1 {{failed to verify that all of {value, output} have same type}}
  %0 = "kiln.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

func.func @unsupported_element_type(%x: tensor<4xf64>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = kiln.exp %x : tensor<4xf64>
  return
}

// -----

func.func @float_op_on_integers(%x: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = kiln.sqrt %x : tensor<4xi32>
  return
}

// -----

func.func @clamp_min_above_max(%x: tensor<4xf32>) {
  // expected-error @+1 {{min 6.000000e+00 is greater than max 0.000000e+00}}
  %0 = kiln.clamp %x min = 6.0 max = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @clamp_integer_with_fraction(%x: tensor<4xi64>) {
  // expected-error @+1 {{bound 5.000000e-01 of an integer clamp must be integral}}
  %0 = kiln.clamp %x min = 0.5 : tensor<4xi64>
  return
}

// -----

func.func @binary_not_broadcastable(%a: tensor<4x8xf32>, %b: tensor<3x8xf32>) {
  // expected-error @+2 {{'kiln.add' op operand shapes 4x8 and 3x8 are not broadcast-compatible}}
  // expected-error @+1 {{'kiln.add' op failed to infer returned types}}
  %0 = kiln.add %a, %b : (tensor<4x8xf32>, tensor<3x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @binary_element_types_differ(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{'kiln.mul' op operand element types differ: 'f32' vs 'f16'}}
  // expected-error @+1 {{'kiln.mul' op failed to infer returned types}}
  %0 = kiln.mul %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @binary_result_contradicts_inference(%a: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{'kiln.sub' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x9xf32>'}}
  // expected-error @+1 {{'kiln.sub' op failed to infer returned types}}
  %0 = kiln.sub %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x9xf32>
  return
}

// -----

func.func @logical_op_on_floats(%a: tensor<4xf32>) {
  // expected-error @+1 {{must be ranked tensor of 1-bit signless integer values}}
  %0 = kiln.and %a, %a : tensor<4xf32>
  return
}

// -----

func.func @compare_not_broadcastable(%a: tensor<4xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{'kiln.compare' op operand shapes 4 and 5 are not broadcast-compatible}}
  // expected-error @+1 {{'kiln.compare' op failed to infer returned types}}
  %0 = kiln.compare lt, %a, %b : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_result_not_bool(%a: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = kiln.compare lt, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @where_values_differ(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+2 {{'kiln.where' op value element types differ: 'f32' vs 'i32'}}
  // expected-error @+1 {{'kiln.where' op failed to infer returned types}}
  %0 = kiln.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  return
}

// -----

func.func @where_not_broadcastable(%c: tensor<3xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{'kiln.where' op operand shapes 3, 4 and 4 are not broadcast-compatible}}
  // expected-error @+1 {{'kiln.where' op failed to infer returned types}}
  %0 = kiln.where %c, %a, %b : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @cast_changes_shape(%a: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.cast' op all non-scalar operands/results must have the same shape and base type}}
  %0 = kiln.cast %a : tensor<4xf32> to tensor<5xf16>
  return
}

// -----

func.func @reduce_no_axes(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.reduce_sum' op axes must not be empty}}
  // expected-error @+1 {{'kiln.reduce_sum' op failed to infer returned types}}
  %0 = kiln.reduce_sum %a axes = [] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @reduce_axis_out_of_range(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.reduce_max' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.reduce_max' op failed to infer returned types}}
  %0 = kiln.reduce_max %a axes = [2] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_negative_axis(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.reduce_mean' op axis -1 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.reduce_mean' op failed to infer returned types}}
  %0 = kiln.reduce_mean %a axes = [-1] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_duplicate_axis(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.reduce_min' op axis 1 appears twice}}
  // expected-error @+1 {{'kiln.reduce_min' op failed to infer returned types}}
  %0 = kiln.reduce_min %a axes = [1, 1] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_wrong_result(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.reduce_sum' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'kiln.reduce_sum' op failed to infer returned types}}
  %0 = kiln.reduce_sum %a axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @argmax_axis_out_of_range(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.argmax' op axis 3 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.argmax' op failed to infer returned types}}
  %0 = kiln.argmax %a axis = 3 : tensor<4x8xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmin_result_not_i64(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 64-bit signless integer values}}
  %0 = kiln.argmin %a axis = 1 : tensor<4x8xf32> -> tensor<4xi32>
  return
}

// -----

func.func @softmax_axis_out_of_range(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.softmax' op axis 2 is out of range for rank 2}}
  %0 = kiln.softmax %a axis = 2 : tensor<4x8xf32>
  return
}

// -----

func.func @log_softmax_axis_out_of_range(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.log_softmax' op axis -1 is out of range for rank 2}}
  %0 = kiln.log_softmax %a axis = -1 : tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_axis_out_of_range(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'kiln.layer_norm' op axis 2 is out of range for rank 2}}
  %0 = kiln.layer_norm %x, %g axis = 2 epsilon = 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_negative_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'kiln.layer_norm' op epsilon must be non-negative}}
  %0 = kiln.layer_norm %x, %g axis = 1 epsilon = -1.0e-5 : tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_scale_shape(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>) {
  // expected-error @+1 {{'kiln.layer_norm' op scale shape 2x8 must match the normalized dims 8}}
  %0 = kiln.layer_norm %x, %g axis = 1 epsilon = 1.0e-5 : tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<7xf32>) {
  // expected-error @+1 {{'kiln.layer_norm' op bias shape 7 must match the normalized dims 8}}
  %0 = kiln.layer_norm %x, %g, %b axis = 1 epsilon = 1.0e-5 : tensor<2x8xf32>, tensor<8xf32>, tensor<7xf32>
  return
}

// -----

func.func @layer_norm_scale_element_type(%x: tensor<2x8xf32>, %g: tensor<8xf16>) {
  // expected-error @+1 {{'kiln.layer_norm' op scale element type 'f16' differs from the input's 'f32'}}
  %0 = kiln.layer_norm %x, %g axis = 1 epsilon = 1.0e-5 : tensor<2x8xf32>, tensor<8xf16>
  return
}

// -----

func.func @rms_norm_scale_shape(%x: tensor<2x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.rms_norm' op scale shape 4 must match the normalized dims 8}}
  %0 = kiln.rms_norm %x, %g axis = 1 epsilon = 1.0e-6 : tensor<2x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @matmul_rank_one(%a: tensor<8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+2 {{'kiln.matmul' op operands must have rank 2 or more, got 8 and 8x4}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<8xf32>, tensor<8x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_contracting_mismatch(%a: tensor<2x8xf32>, %b: tensor<7x4xf32>) {
  // expected-error @+2 {{'kiln.matmul' op contracting dims differ: 2x8 times 7x4}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<2x8xf32>, tensor<7x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<3x2x8xf32>, %b: tensor<5x8x4xf32>) {
  // expected-error @+2 {{'kiln.matmul' op batch dims of 3x2x8 and 5x8x4 are not broadcast-compatible}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<3x2x8xf32>, tensor<5x8x4xf32> -> tensor<3x2x4xf32>
  return
}

// -----

func.func @matmul_element_types(%a: tensor<2x8xf32>, %b: tensor<8x4xf16>) {
  // expected-error @+2 {{'kiln.matmul' op operand element types differ: 'f32' vs 'f16'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<2x8xf32>, tensor<8x4xf16> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+2 {{'kiln.linear' op weight must have rank 2, got 8}}
  // expected-error @+1 {{'kiln.linear' op failed to infer returned types}}
  %0 = kiln.linear %x, %w : tensor<2x8xf32>, tensor<8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<8x4xf32>) {
  // expected-error @+2 {{'kiln.linear' op input must have rank 1 or more}}
  // expected-error @+1 {{'kiln.linear' op failed to infer returned types}}
  %0 = kiln.linear %x, %w : tensor<f32>, tensor<8x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @linear_inner_mismatch(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+2 {{'kiln.linear' op input 2x8 does not match weight 8x4 (transposed)}}
  // expected-error @+1 {{'kiln.linear' op failed to infer returned types}}
  %0 = kiln.linear %x, %w transpose_weight : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_bias_shape(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{'kiln.linear' op bias must be a 1-D tensor of 4 'f32', got 'tensor<8xf32>'}}
  // expected-error @+1 {{'kiln.linear' op failed to infer returned types}}
  %0 = kiln.linear %x, %w, %b : tensor<2x8xf32>, tensor<8x4xf32>, tensor<8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_element_types(%x: tensor<2x8xf16>, %w: tensor<8x4xf32>) {
  // expected-error @+2 {{'kiln.linear' op operand element types differ: 'f16' vs 'f32'}}
  // expected-error @+1 {{'kiln.linear' op failed to infer returned types}}
  %0 = kiln.linear %x, %w : tensor<2x8xf16>, tensor<8x4xf32> -> tensor<2x4xf16>
  return
}

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op input and filter must be rank-4 NCHW and OIHW tensors}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_element_types(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf16>) {
  // expected-error @+2 {{'kiln.conv2d' op operand element types differ: 'f32' vs 'f16'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf16> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_attribute_lengths(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op expects 2 strides, 2 dilations and 4 pads, got 2, 2 and 2}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op strides and dilations must be positive}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [0, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_negative_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op pads must be non-negative}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [-1, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_zero_groups(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op groups must be positive, got 0}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 0 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups_do_not_divide_outputs(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op output channels 6 are not divisible by groups 4}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 4 : tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32> -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_channel_mismatch(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op input channels 3 differ from filter channels 2 times groups 1}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op bias must be a 1-D tensor of 4 'f32', got 'tensor<3xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w, %b strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_filter_too_large(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op filter 4x3x3x3 does not fit the padded input 1x3x2x2}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x1x1xf32>
  return
}

// -----

// channels_last: the input channels are dim 3 of the input and the filter
// channels dim 3 of the OHWI filter (an NCHW-shaped filter is rejected).
func.func @conv_channels_last_channel_mismatch(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x2xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op input channels 3 differ from filter channels 2 times groups 1}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 channels_last : tensor<1x8x8x3xf32>, tensor<4x3x3x2xf32> -> tensor<1x6x6x4xf32>
  return
}

// -----

// channels_last: groups must divide the input channels (dim 3): 6 input
// channels in 4 groups cannot be 4 x 1.
func.func @conv_channels_last_groups_do_not_divide_inputs(%x: tensor<1x8x8x6xf32>, %w: tensor<4x3x3x1xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op input channels 6 differ from filter channels 1 times groups 4}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 4 channels_last : tensor<1x8x8x6xf32>, tensor<4x3x3x1xf32> -> tensor<1x6x6x4xf32>
  return
}

// -----

// channels_last: groups must divide the output channels (dim 0 of OHWI).
func.func @conv_channels_last_groups_do_not_divide_outputs(%x: tensor<1x8x8x4xf32>, %w: tensor<6x3x3x1xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op output channels 6 are not divisible by groups 4}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 4 channels_last : tensor<1x8x8x4xf32>, tensor<6x3x3x1xf32> -> tensor<1x6x6x6xf32>
  return
}

// -----

// channels_last: the kernel is dims 1-2 of the filter and the window slides
// over dims 1-2 of the input.
func.func @conv_channels_last_filter_too_large(%x: tensor<1x2x2x3xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op filter 4x3x3x3 does not fit the padded input 1x2x2x3}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 channels_last : tensor<1x2x2x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x1x1x4xf32>
  return
}

// -----

// channels_last: the result is NHWC; an NCHW result type contradicts it.
func.func @conv_channels_last_result_layout(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op inferred type(s) 'tensor<1x6x6x4xf32>' are incompatible with return type(s) of operation 'tensor<1x4x6x6xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %0 = kiln.conv2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 channels_last : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<3x8x8xf32>) {
  // expected-error @+2 {{'kiln.max_pool2d' op input must be a rank-4 NCHW tensor, got 'tensor<3x8x8xf32>'}}
  // expected-error @+1 {{'kiln.max_pool2d' op failed to infer returned types}}
  %0 = kiln.max_pool2d %x kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] : tensor<3x8x8xf32> -> tensor<3x4x4xf32>
  return
}

// -----

func.func @pool_attribute_lengths(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{'kiln.avg_pool2d' op expects 2 kernel sizes, 2 strides and 4 pads, got 1, 2 and 4}}
  // expected-error @+1 {{'kiln.avg_pool2d' op failed to infer returned types}}
  %0 = kiln.avg_pool2d %x kernel = [2] strides = [2, 2] pads = [0, 0, 0, 0] : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @pool_zero_kernel(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{'kiln.max_pool2d' op kernel sizes and strides must be positive}}
  // expected-error @+1 {{'kiln.max_pool2d' op failed to infer returned types}}
  %0 = kiln.max_pool2d %x kernel = [0, 2] strides = [2, 2] pads = [0, 0, 0, 0] : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @pool_pad_as_large_as_kernel(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{'kiln.max_pool2d' op pads must be non-negative and smaller than the kernel, got 2 for kernel size 2}}
  // expected-error @+1 {{'kiln.max_pool2d' op failed to infer returned types}}
  %0 = kiln.max_pool2d %x kernel = [2, 2] strides = [2, 2] pads = [2, 0, 0, 0] : tensor<1x3x8x8xf32> -> tensor<1x3x6x4xf32>
  return
}

// -----

func.func @pool_kernel_too_large(%x: tensor<1x3x2x2xf32>) {
  // expected-error @+2 {{'kiln.avg_pool2d' op kernel does not fit the padded input 1x3x2x2}}
  // expected-error @+1 {{'kiln.avg_pool2d' op failed to infer returned types}}
  %0 = kiln.avg_pool2d %x kernel = [3, 3] strides = [1, 1] pads = [0, 0, 0, 0] : tensor<1x3x2x2xf32> -> tensor<1x3x1x1xf32>
  return
}

// -----

func.func @pool_channels_last_rank(%x: tensor<3x8x8xf32>) {
  // expected-error @+2 {{'kiln.max_pool2d' op input must be a rank-4 NHWC tensor, got 'tensor<3x8x8xf32>'}}
  // expected-error @+1 {{'kiln.max_pool2d' op failed to infer returned types}}
  %0 = kiln.max_pool2d %x kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] channels_last : tensor<3x8x8xf32> -> tensor<3x4x4xf32>
  return
}

// -----

// channels_last: the window slides over dims 1-2 (here 2x2), not 2-3.
func.func @pool_channels_last_kernel_too_large(%x: tensor<1x2x2x8xf32>) {
  // expected-error @+2 {{'kiln.avg_pool2d' op kernel does not fit the padded input 1x2x2x8}}
  // expected-error @+1 {{'kiln.avg_pool2d' op failed to infer returned types}}
  %0 = kiln.avg_pool2d %x kernel = [3, 3] strides = [1, 1] pads = [0, 0, 0, 0] channels_last : tensor<1x2x2x8xf32> -> tensor<1x1x1x8xf32>
  return
}

// -----

// channels_last: the result keeps the channels last.
func.func @pool_channels_last_result_layout(%x: tensor<1x8x8x3xf32>) {
  // expected-error @+2 {{'kiln.max_pool2d' op inferred type(s) 'tensor<1x4x4x3xf32>' are incompatible with return type(s) of operation 'tensor<1x3x4x4xf32>'}}
  // expected-error @+1 {{'kiln.max_pool2d' op failed to infer returned types}}
  %0 = kiln.max_pool2d %x kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] channels_last : tensor<1x8x8x3xf32> -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @gather_axis_out_of_range(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{'kiln.gather' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.gather' op failed to infer returned types}}
  %0 = kiln.gather %t, %i axis = 2 : tensor<10x4xf32>, tensor<3xi64> -> tensor<3x4xf32>
  return
}

// -----

func.func @gather_float_indices(%t: tensor<10x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 64-bit signless integer or 32-bit signless integer values}}
  %0 = kiln.gather %t, %i axis = 0 : tensor<10x4xf32>, tensor<3xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @concat_no_inputs() {
  // expected-error @+2 {{'kiln.concat' op needs at least one input}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = "kiln.concat"() <{axis = 0 : i64}> : () -> tensor<0xf32>
  return
}

// -----

func.func @concat_rank_mismatch(%a: tensor<2x3xf32>, %b: tensor<6xf32>) {
  // expected-error @+2 {{'kiln.concat' op input 'tensor<6xf32>' differs in rank or element type from 'tensor<2x3xf32>'}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = kiln.concat %a, %b axis = 0 : tensor<2x3xf32>, tensor<6xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_dim_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{'kiln.concat' op dim 1 differs between inputs: 2x3 vs 2x4}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = kiln.concat %a, %b axis = 0 : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'kiln.concat' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = kiln.concat %a, %a axis = 2 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_range_count(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.slice' op expects one range per dim (2), got 1 starts, 1 ends and 1 steps}}
  // expected-error @+1 {{'kiln.slice' op failed to infer returned types}}
  %0 = kiln.slice %x[0:2] : tensor<4x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @slice_zero_step(%x: tensor<4xf32>) {
  // expected-error @+2 {{'kiln.slice' op step of dim 0 is zero}}
  // expected-error @+1 {{'kiln.slice' op failed to infer returned types}}
  %0 = kiln.slice %x[0:4:0] : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @transpose_wrong_length(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.transpose' op permutation has 3 entries for rank 2}}
  // expected-error @+1 {{'kiln.transpose' op failed to infer returned types}}
  %0 = kiln.transpose %x permutation = [1, 0, 2] : tensor<4x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'kiln.transpose' op [1, 1] is not a permutation of the dims}}
  // expected-error @+1 {{'kiln.transpose' op failed to infer returned types}}
  %0 = kiln.transpose %x permutation = [1, 1] : tensor<4x8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @reshape_element_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape 4x8 (32 elements) to 5x6 (30 elements)}}
  %0 = kiln.reshape %x : tensor<4x8xf32> -> tensor<5x6xf32>
  return
}

// -----

func.func @reshape_two_dynamic_dims(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'kiln.reshape' op result ?x?x2 has more than one dynamic dim; pass the shape as an operand}}
  %0 = kiln.reshape %x : tensor<?x8xf32> -> tensor<?x?x2xf32>
  return
}

// -----

func.func @reshape_shape_operand_length(%x: tensor<?x8xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'kiln.reshape' op shape operand has 2 entries for a result of rank 3}}
  %0 = kiln.reshape %x, %s : tensor<?x8xf32>, tensor<2xi64> -> tensor<?x?x2xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.reshape' op element type changes from 'f32' to 'f16'}}
  %0 = kiln.reshape %x : tensor<4x8xf32> -> tensor<32xf16>
  return
}

// -----

func.func @expand_not_broadcastable(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'kiln.expand' op cannot broadcast 3x4 to 2x4}}
  %0 = kiln.expand %x : tensor<3x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @expand_dynamic_dim_without_shape(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{'kiln.expand' op dynamic result dim 0 needs a shape operand}}
  %0 = kiln.expand %x : tensor<1x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @expand_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.expand' op element type changes from 'f32' to 'i32'}}
  %0 = kiln.expand %x : tensor<4xf32> -> tensor<2x4xi32>
  return
}

// -----

func.func @expand_shape_operand_length(%x: tensor<4xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'kiln.expand' op shape operand has 3 entries for a result of rank 2}}
  %0 = kiln.expand %x, %s : tensor<4xf32>, tensor<3xi64> -> tensor<?x4xf32>
  return
}

// -----

func.func @range_operand_not_scalar(%a: tensor<2xi64>) {
  // expected-error @+1 {{'kiln.range' op start, limit and delta must be scalars, got 'tensor<2xi64>'}}
  %0 = kiln.range %a, %a, %a : tensor<2xi64> -> tensor<?xi64>
  return
}

// -----

func.func @range_result_not_1d(%a: tensor<i64>) {
  // expected-error @+1 {{'kiln.range' op result must be 1-D, got 'tensor<2x2xi64>'}}
  %0 = kiln.range %a, %a, %a : tensor<i64> -> tensor<2x2xi64>
  return
}

// -----

func.func @cumsum_axis_out_of_range(%x: tensor<2x5xf32>) {
  // expected-error @+1 {{'kiln.cumsum' op axis 2 is out of range for rank 2}}
  %0 = kiln.cumsum %x axis = 2 : tensor<2x5xf32>
  return
}

// -----

func.func @topk_axis_out_of_range(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{'kiln.topk' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.topk' op failed to infer returned types}}
  %0:2 = kiln.topk %x k = 2 axis = 2 : tensor<4x10xf32> -> tensor<4x2xf32>, tensor<4x2xi64>
  return
}

// -----

func.func @topk_negative_k(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{'kiln.topk' op k must be non-negative, got -1}}
  // expected-error @+1 {{'kiln.topk' op failed to infer returned types}}
  %0:2 = kiln.topk %x k = -1 axis = 1 : tensor<4x10xf32> -> tensor<4x2xf32>, tensor<4x2xi64>
  return
}

// -----

func.func @topk_k_exceeds_dim(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{'kiln.topk' op k = 11 exceeds dim 1 of size 10}}
  // expected-error @+1 {{'kiln.topk' op failed to infer returned types}}
  %0:2 = kiln.topk %x k = 11 axis = 1 : tensor<4x10xf32> -> tensor<4x11xf32>, tensor<4x11xi64>
  return
}

// -----

func.func @conv_transpose_rank(%x: tensor<8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op input and filter must be rank-4 NCHW and IOHW tensors}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 1 : tensor<8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_element_types(%x: tensor<1x8x4x4xf16>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op operand element types differ: 'f16' vs 'f32'}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 1 : tensor<1x8x4x4xf16>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf16>
  return
}

// -----

func.func @conv_transpose_attribute_lengths(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op expects 2 strides, 2 dilations, 4 pads and 2 output paddings}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_zero_dilation(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op strides and dilations must be positive}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [0, 1] output_padding = [0, 0] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_negative_pad(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op pads must be non-negative}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, -1, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_output_padding_too_large(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op output padding must be non-negative and smaller than the stride or the dilation}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [2, 2] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [2, 0] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x11x9xf32>
  return
}

// -----

func.func @conv_transpose_zero_groups(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op groups must be positive, got 0}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 0 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_channel_mismatch(%x: tensor<1x6x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op input channels 6 differ from the filter's 8}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 1 : tensor<1x6x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_groups_do_not_divide(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op input channels 8 are not divisible by groups 3}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 3 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32> -> tensor<1x12x6x6xf32>
  return
}

// -----

func.func @conv_transpose_bias_shape(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op bias must be a 1-D tensor of 4 'f32', got 'tensor<8xf32>'}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w, %b strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 1 : tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<8xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_pads_leave_nothing(%x: tensor<1x8x1x1xf32>, %w: tensor<8x4x1x1xf32>) {
  // expected-error @+2 {{'kiln.conv_transpose2d' op pads leave no output from input 1x8x1x1}}
  // expected-error @+1 {{'kiln.conv_transpose2d' op failed to infer returned types}}
  %0 = kiln.conv_transpose2d %x, %w strides = [1, 1] pads = [1, 0, 0, 0] dilations = [1, 1] output_padding = [0, 0] groups = 1 : tensor<1x8x1x1xf32>, tensor<8x4x1x1xf32> -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @gather_elements_rank_mismatch(%x: tensor<3x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{'kiln.gather_elements' op indices 3 must have the rank of data 3x4}}
  // expected-error @+1 {{'kiln.gather_elements' op failed to infer returned types}}
  %0 = kiln.gather_elements %x, %i axis = 0 : tensor<3x4xf32>, tensor<3xi64> -> tensor<3xf32>
  return
}

// -----

func.func @gather_elements_axis(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>) {
  // expected-error @+2 {{'kiln.gather_elements' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'kiln.gather_elements' op failed to infer returned types}}
  %0 = kiln.gather_elements %x, %i axis = 2 : tensor<3x4xf32>, tensor<3x2xi64> -> tensor<3x2xf32>
  return
}

// -----

func.func @gather_nd_dynamic_tuple(%x: tensor<4x5xf32>, %i: tensor<3x?xi64>) {
  // expected-error @+2 {{'kiln.gather_nd' op the last dim of indices must be static, got 3x?}}
  // expected-error @+1 {{'kiln.gather_nd' op failed to infer returned types}}
  %0 = kiln.gather_nd %x, %i batch_dims = 0 : tensor<4x5xf32>, tensor<3x?xi64> -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_tuple_too_long(%x: tensor<4x5xf32>, %i: tensor<3x3xi64>) {
  // expected-error @+2 {{'kiln.gather_nd' op index tuples of length 3 with 0 batch dims do not fit data 4x5}}
  // expected-error @+1 {{'kiln.gather_nd' op failed to infer returned types}}
  %0 = kiln.gather_nd %x, %i batch_dims = 0 : tensor<4x5xf32>, tensor<3x3xi64> -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_batch_mismatch(%x: tensor<4x5xf32>, %i: tensor<3x1xi64>) {
  // expected-error @+2 {{'kiln.gather_nd' op batch dim 0 differs: 4x5 vs 3x1}}
  // expected-error @+1 {{'kiln.gather_nd' op failed to infer returned types}}
  %0 = kiln.gather_nd %x, %i batch_dims = 1 : tensor<4x5xf32>, tensor<3x1xi64> -> tensor<3xf32>
  return
}

// -----

func.func @scatter_nd_update_type(%x: tensor<8xf32>, %i: tensor<4x1xi64>, %u: tensor<4xf16>) {
  // expected-error @+1 {{'kiln.scatter_nd' op updates element type 'f16' differs from data's 'f32'}}
  %0 = kiln.scatter_nd %x, %i, %u reduction = none : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf16>
  return
}

// -----

func.func @scatter_nd_dynamic_tuple(%x: tensor<8xf32>, %i: tensor<4x?xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.scatter_nd' op the last dim of indices must be static, got 4x?}}
  %0 = kiln.scatter_nd %x, %i, %u reduction = none : tensor<8xf32>, tensor<4x?xi64>, tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_tuple_too_long(%x: tensor<8xf32>, %i: tensor<4x2xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.scatter_nd' op index tuples of length 2 do not fit data 8}}
  %0 = kiln.scatter_nd %x, %i, %u reduction = none : tensor<8xf32>, tensor<4x2xi64>, tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_updates_shape(%x: tensor<8x2xf32>, %i: tensor<4x1xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.scatter_nd' op updates 4 must have shape 4x2}}
  %0 = kiln.scatter_nd %x, %i, %u reduction = add : tensor<8x2xf32>, tensor<4x1xi64>, tensor<4xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'kiln.pad' op expects 4 pads for rank 2, got 2}}
  // expected-error @+1 {{'kiln.pad' op failed to infer returned types}}
  %0 = kiln.pad %x pads = [1, 1] mode = edge value = 0.0 : tensor<3x4xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @pad_crops_below_zero(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'kiln.pad' op pads crop dim 0 of 3x4 below zero}}
  // expected-error @+1 {{'kiln.pad' op failed to infer returned types}}
  %0 = kiln.pad %x pads = [-2, 0, -2, 0] mode = constant value = 0.0 : tensor<3x4xf32> -> tensor<0x4xf32>
  return
}

// -----

func.func @tile_count(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'kiln.tile' op expects one multiple per dim (2), got 1}}
  // expected-error @+1 {{'kiln.tile' op failed to infer returned types}}
  %0 = kiln.tile %x multiples = [2] : tensor<3x4xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @tile_negative(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{'kiln.tile' op multiples must be non-negative}}
  // expected-error @+1 {{'kiln.tile' op failed to infer returned types}}
  %0 = kiln.tile %x multiples = [2, -1] : tensor<3x4xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @resize_rank_change(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op result must have the input's rank and element type}}
  %0 = kiln.resize %x mode = nearest coordinate_mode = asymmetric nearest_mode = floor scales = [1.0, 1.0, 2.0, 2.0] : tensor<1x3x4x4xf32> -> tensor<3x8x8xf32>
  return
}

// -----

func.func @resize_scale_count(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op expects one scale per dim (4), got 2}}
  %0 = kiln.resize %x mode = nearest coordinate_mode = asymmetric nearest_mode = floor scales = [2.0, 2.0] : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_zero_scale(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op scale 0.000000e+00 of dim 2 must be positive}}
  %0 = kiln.resize %x mode = linear coordinate_mode = half_pixel nearest_mode = floor scales = [1.0, 1.0, 0.0, 2.0] : tensor<1x3x4x4xf32> -> tensor<1x3x0x8xf32>
  return
}

// -----

func.func @resize_result_contradicts_scale(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op result dim 3 is 9 but input 4 times scale 2.000000e+00 gives 8.000000e+00}}
  %0 = kiln.resize %x mode = linear coordinate_mode = half_pixel nearest_mode = floor scales = [1.0, 1.0, 2.0, 2.0] : tensor<1x3x4x4xf32> -> tensor<1x3x8x9xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<2x8x16xf32>) {
  // expected-error @+2 {{'kiln.attention' op query, key and value must be rank-4 [B, H, S, D]}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %q, %q scale = 0.25 causal = none : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_element_types(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf16>) {
  // expected-error @+2 {{'kiln.attention' op query, key and value must share an element type}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %k, %k scale = 0.25 causal = none : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<2x2x8x16xf32>) {
  // expected-error @+2 {{'kiln.attention' op batch sizes differ: 1x2x8x16, 2x2x8x16, 2x2x8x16}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %k, %k scale = 0.25 causal = none : tensor<1x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @attention_key_value_length(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x9x16xf32>) {
  // expected-error @+2 {{'kiln.attention' op key 1x2x8x16 and value 1x2x9x16 differ in heads or length}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v scale = 0.25 causal = none : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x9x16xf32> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @attention_head_size(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x32xf32>) {
  // expected-error @+2 {{'kiln.attention' op query 1x2x8x16 and key 1x2x8x32 differ in head size}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %k, %k scale = 0.25 causal = none : tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>, tensor<1x2x8x32xf32> -> tensor<1x2x8x32xf32>
  return
}

// -----

func.func @attention_heads_not_multiple(%q: tensor<1x6x8x16xf32>, %k: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{'kiln.attention' op query heads 6 are not a multiple of key/value heads 4}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %k, %k scale = 0.25 causal = none : tensor<1x6x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x6x8x16xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<1x2x8x16xf32>, %m: tensor<1x1x8x9xi1>) {
  // expected-error @+2 {{'kiln.attention' op mask 1x1x8x9 does not broadcast to the scores 1x2x8x8}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %q, %q mask(%m : tensor<1x1x8x9xi1>) scale = 0.25 causal = none : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @attention_mask_type(%q: tensor<1x2x8x16xf32>, %m: tensor<8x8xf16>) {
  // expected-error @+2 {{'kiln.attention' op a float mask must have the query's type}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %0 = kiln.attention %q, %q, %q mask(%m : tensor<8x8xf16>) scale = 0.25 causal = none : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @rope_rank(%x: tensor<2x8x16xf32>, %c: tensor<1x8x8xf32>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op input must be rank-4 [B, H, S, D], got 2x8x16}}
  %0 = kiln.rotary_embedding %x, %c, %c : tensor<2x8x16xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32>
  return
}

// -----

func.func @rope_cos_sin_differ(%x: tensor<1x2x8x16xf32>, %c: tensor<1x8x8xf32>, %s: tensor<1x8x4xf32>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op cos 'tensor<1x8x8xf32>' and sin 'tensor<1x8x4xf32>' differ}}
  %0 = kiln.rotary_embedding %x, %c, %s : tensor<1x2x8x16xf32>, tensor<1x8x8xf32>, tensor<1x8x4xf32>
  return
}

// -----

func.func @rope_element_type(%x: tensor<1x2x8x16xf32>, %c: tensor<1x8x8xf16>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op cos and sin must have the input's element type}}
  %0 = kiln.rotary_embedding %x, %c, %c : tensor<1x2x8x16xf32>, tensor<1x8x8xf16>, tensor<1x8x8xf16>
  return
}

// -----

func.func @rope_cache_rank(%x: tensor<1x2x8x16xf32>, %c: tensor<8x8xf32>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op cos and sin must be rank-3 [B or 1, S, R/2], got 8x8}}
  %0 = kiln.rotary_embedding %x, %c, %c : tensor<1x2x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>
  return
}

// -----

func.func @rope_batch(%x: tensor<3x2x8x16xf32>, %c: tensor<2x8x8xf32>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op cos batch 2 must be 1 or 3}}
  %0 = kiln.rotary_embedding %x, %c, %c : tensor<3x2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  return
}

// -----

func.func @rope_positions(%x: tensor<1x2x8x16xf32>, %c: tensor<1x7x8xf32>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op cos covers 7 positions for a sequence of 8}}
  %0 = kiln.rotary_embedding %x, %c, %c : tensor<1x2x8x16xf32>, tensor<1x7x8xf32>, tensor<1x7x8xf32>
  return
}

// -----

func.func @rope_rotary_dim(%x: tensor<1x2x8x16xf32>, %c: tensor<1x8x9xf32>) {
  // expected-error @+1 {{'kiln.rotary_embedding' op rotary dim 18 exceeds the head size 16}}
  %0 = kiln.rotary_embedding %x, %c, %c : tensor<1x2x8x16xf32>, tensor<1x8x9xf32>, tensor<1x8x9xf32>
  return
}

// -----

func.func @concat_overflow(%a: tensor<4611686018427387904xi8>) {
  // expected-error @+2 {{'kiln.concat' op the concatenated dim 0 overflows int64}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = kiln.concat %a, %a, %a axis = 0 : tensor<4611686018427387904xi8>, tensor<4611686018427387904xi8>, tensor<4611686018427387904xi8> -> tensor<?xi8>
  return
}

// -----

func.func @pad_overflow(%a: tensor<4xi8>) {
  // expected-error @+2 {{'kiln.pad' op padded dim 0 overflows int64}}
  // expected-error @+1 {{'kiln.pad' op failed to infer returned types}}
  %0 = kiln.pad %a pads = [9223372036854775807, 1] mode = constant value = 0.0 : tensor<4xi8> -> tensor<?xi8>
  return
}

// -----

func.func @tile_overflow(%a: tensor<4xi8>) {
  // expected-error @+2 {{'kiln.tile' op tiled dim overflows int64}}
  // expected-error @+1 {{'kiln.tile' op failed to infer returned types}}
  %0 = kiln.tile %a multiples = [4611686018427387904] : tensor<4xi8> -> tensor<?xi8>
  return
}

// -----

func.func @fusion_argument_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.fusion' op body has 2 arguments for 1 inputs}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    %1 = kiln.add %a, %b : tensor<4xf32>
    kiln.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @fusion_argument_type(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'kiln.fusion' op body argument #0 has type 'tensor<4xf16>' but input has type 'tensor<4xf32>'}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf16> {
  ^bb0(%a: tensor<4xf16>):
    %1 = kiln.exp %a : tensor<4xf16>
    kiln.yield %1 : tensor<4xf16>
  }
  return %0 : tensor<4xf16>
}

// -----

func.func @fusion_yield_types(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'kiln.fusion' op yields ('tensor<4xf32>') but the results are ('tensor<8xf32>')}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = kiln.exp %a : tensor<4xf32>
    kiln.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<8xf32>
}

// -----

func.func @fusion_empty_body(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.fusion' op body has no ops}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    kiln.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @fusion_nested(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.fusion' op must not contain another kiln.fusion}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = kiln.fusion ins(%a : tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%b: tensor<4xf32>):
      %2 = kiln.exp %b : tensor<4xf32>
      kiln.yield %2 : tensor<4xf32>
    }
    kiln.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @fusion_uses_value_from_above(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %1 = kiln.add %a, %x : tensor<4xf32>
    kiln.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @fusion_duplicate_config(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.fusion' op has two kernel configs for arch sm_80 and profile 0}}
  %0 = kiln.fusion ins(%x : tensor<4xf32>) -> tensor<4xf32>
      configs [#kiln.kernel<arch = "sm_80", profile = 0, template = "elementwise", tile = [256], stages = 1, warps = 8>,
               #kiln.kernel<arch = "sm_80", profile = 0, template = "elementwise", tile = [512], stages = 1, warps = 8>] {
  ^bb0(%a: tensor<4xf32>):
    %1 = kiln.exp %a : tensor<4xf32>
    kiln.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

// expected-error @+1 {{arch must be `host` or `sm_XX`, got 'gfx90a'}}
#bad_arch = #kiln.kernel<arch = "gfx90a", profile = 0, template = "elementwise", tile = [256], stages = 1, warps = 8>

// -----

// expected-error @+1 {{profile index must be non-negative, got -1}}
#bad_profile = #kiln.kernel<arch = "sm_90", profile = -1, template = "elementwise", tile = [256], stages = 1, warps = 8>

// -----

// expected-error @+1 {{template name must not be empty}}
#bad_template = #kiln.kernel<arch = "sm_90", profile = 0, template = "", tile = [256], stages = 1, warps = 8>


// -----

// expected-error @+1 {{tile sizes must be positive, got 0}}
#zero_tile = #kiln.kernel<arch = "sm_90", profile = 0, template = "gemm_tc", tile = [128, 0, 32], stages = 1, warps = 8>

// -----

// expected-error @+1 {{stages must be at least 1, got 0}}
#zero_stages = #kiln.kernel<arch = "sm_90", profile = 0, template = "gemm_tc", tile = [128, 128, 32], stages = 0, warps = 8>

// -----

// expected-error @+1 {{warps must be in [1, 32], got 64}}
#many_warps = #kiln.kernel<arch = "sm_90", profile = 0, template = "gemm_tc", tile = [128, 128, 32], stages = 3, warps = 64>
