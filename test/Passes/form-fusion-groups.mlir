// RUN: kiln-opt %s --split-input-file --kiln-form-fusion-groups | FileCheck %s
// Grouped IR is left as it is (ops already in groups are not touched).
// RUN: kiln-opt %s --split-input-file --kiln-form-fusion-groups --kiln-form-fusion-groups | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-form-fusion-groups="strict=true" --verify-diagnostics -o /dev/null

// A linear layer with a bias and a GELU: the GELU is the GEMM's epilogue.
// CHECK-LABEL: func.func @linear_gelu
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xf32>, %[[W:.+]]: tensor<64x32xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK-NEXT: %[[G:.+]] = kiln.fusion ins(%[[X]], %[[W]], %[[B]] : tensor<?x64xf32>, tensor<64x32xf32>, tensor<32xf32>) -> tensor<?x32xf32> {
// CHECK-NEXT: ^bb0(%[[A0:.+]]: tensor<?x64xf32>, %[[A1:.+]]: tensor<64x32xf32>, %[[A2:.+]]: tensor<32xf32>):
// CHECK-NEXT: %[[L:.+]] = kiln.linear %[[A0]], %[[A1]], %[[A2]]
// CHECK-NEXT: %[[E:.+]] = kiln.gelu %[[L]]
// CHECK-NEXT: kiln.yield %[[E]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
func.func @linear_gelu(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = kiln.linear %x, %w, %b : tensor<?x64xf32>, tensor<64x32xf32>, tensor<32xf32> -> tensor<?x32xf32>
  %1 = kiln.gelu %0 : tensor<?x32xf32>
  return %1 : tensor<?x32xf32>
}

// -----

// A value used twice is not absorbed: the matmul's result is returned too,
// so the matmul is a group alone and the relu one of its own.
// CHECK-LABEL: func.func @used_twice
// CHECK: %[[M:.+]] = kiln.fusion ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.+]] = kiln.fusion ins(%[[M]] : tensor<4x16xf32>) -> tensor<4x16xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[M]], %[[R]]
func.func @used_twice(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = kiln.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.relu %0 : tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// An epilogue stops at an op that broadcasts the anchor's result to a larger
// shape, and at a non-float result.
// CHECK-LABEL: func.func @epilogue_limits
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.add {{.*}} -> tensor<3x4x16xf32>
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.softmax
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.cast
// CHECK-NEXT: kiln.yield
func.func @epilogue_limits(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<3x1x16xf32>, %d: tensor<4x16xf32>) -> (tensor<3x4x16xf32>, tensor<4x16xi32>) {
  %0 = kiln.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.relu %0 : tensor<4x16xf32>
  %2 = kiln.add %1, %c : (tensor<4x16xf32>, tensor<3x1x16xf32>) -> tensor<3x4x16xf32>
  %3 = kiln.softmax %d axis = 1 : tensor<4x16xf32>
  %4 = kiln.cast %3 : tensor<4x16xf32> to tensor<4x16xi32>
  return %2, %4 : tensor<3x4x16xf32>, tensor<4x16xi32>
}

// -----

// Softmax with a scale and mask prologue; the scale is a splat constant
// copied into the group (and erased outside, where nothing else reads it),
// the mask an input.
// CHECK-LABEL: func.func @softmax_scale_mask
// CHECK-SAME: (%[[S:.+]]: tensor<?x4x8x8xf32>, %[[M:.+]]: tensor<1x1x8x8xf32>)
// CHECK-NOT: kiln.constant
// CHECK: %[[G:.+]] = kiln.fusion ins(%[[S]], %[[M]] : tensor<?x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<?x4x8x8xf32> {
// CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<?x4x8x8xf32>, %[[B:.+]]: tensor<1x1x8x8xf32>):
// CHECK-NEXT: %[[C:.+]] = kiln.constant dense<1.250000e-01> : tensor<f32>
// CHECK-NEXT: %[[X:.+]] = kiln.mul %[[A]], %[[C]]
// CHECK-NEXT: %[[Y:.+]] = kiln.add %[[X]], %[[B]]
// CHECK-NEXT: %[[Z:.+]] = kiln.softmax %[[Y]] axis = 3
// CHECK-NEXT: kiln.yield %[[Z]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
func.func @softmax_scale_mask(%s: tensor<?x4x8x8xf32>, %m: tensor<1x1x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %c = kiln.constant dense<0.125> : tensor<f32>
  %0 = kiln.mul %s, %c : (tensor<?x4x8x8xf32>, tensor<f32>) -> tensor<?x4x8x8xf32>
  %1 = kiln.add %0, %m : (tensor<?x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = kiln.softmax %1 axis = 3 : tensor<?x4x8x8xf32>
  return %2 : tensor<?x4x8x8xf32>
}

// -----

// LayerNorm with a residual-add prologue and a GELU epilogue; the weights
// (non-splat constants) stay outside as inputs.
// CHECK-LABEL: func.func @residual_layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x4xf32>, %[[R:.+]]: tensor<2x?x4xf32>)
// CHECK-DAG: %[[G:.+]] = kiln.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-DAG: %[[B:.+]] = kiln.constant dense<[5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]>
// CHECK: %[[F:.+]] = kiln.fusion ins(%[[X]], %[[R]], %[[G]], %[[B]] : tensor<2x?x4xf32>, tensor<2x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x?x4xf32> {
// CHECK-NEXT: ^bb0(%[[A0:.+]]: tensor<2x?x4xf32>, %[[A1:.+]]: tensor<2x?x4xf32>, %[[A2:.+]]: tensor<4xf32>, %[[A3:.+]]: tensor<4xf32>):
// CHECK-NEXT: %[[S:.+]] = kiln.add %[[A0]], %[[A1]]
// CHECK-NEXT: %[[N:.+]] = kiln.layer_norm %[[S]], %[[A2]], %[[A3]]
// CHECK-NEXT: %[[E:.+]] = kiln.gelu %[[N]]
// CHECK-NEXT: kiln.yield %[[E]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @residual_layer_norm(%x: tensor<2x?x4xf32>, %r: tensor<2x?x4xf32>) -> tensor<2x?x4xf32> {
  %g = kiln.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b = kiln.constant dense<[5.0, 6.0, 7.0, 8.0]> : tensor<4xf32>
  %0 = kiln.add %x, %r : tensor<2x?x4xf32>
  %1 = kiln.layer_norm %0, %g, %b axis = 2 epsilon = 1.0e-05 : tensor<2x?x4xf32>, tensor<4xf32>, tensor<4xf32>
  %2 = kiln.gelu %1 : tensor<2x?x4xf32>
  return %2 : tensor<2x?x4xf32>
}

// -----

// No prologue when its result is used elsewhere (the residual stream), nor
// for a GEMM; the add is then a group of its own.
// CHECK-LABEL: func.func @prologue_limits
// CHECK: %[[S:.+]] = kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion ins(%[[S]], %{{.*}} :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.rms_norm
// CHECK-NEXT: kiln.yield
// CHECK: %[[T:.+]] = kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.neg
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion ins(%[[T]], %{{.*}} :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.yield
func.func @prologue_limits(%x: tensor<3x4xf32>, %r: tensor<3x4xf32>, %g: tensor<4xf32>, %w: tensor<4x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = kiln.add %x, %r : tensor<3x4xf32>
  %1 = kiln.rms_norm %0, %g axis = 1 epsilon = 1.0e-05 : tensor<3x4xf32>, tensor<4xf32>
  %2 = kiln.neg %x : tensor<3x4xf32>
  %3 = kiln.matmul %2, %w : tensor<3x4xf32>, tensor<4x4xf32> -> tensor<3x4xf32>
  return %0, %1, %3 : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A channels_last convolution with bias, residual add and ReLU; the
// transposes at the NHWC edges are copies of their own; pools take an
// epilogue too.
// CHECK-LABEL: func.func @conv_relu
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.transpose {{.*}} permutation = [0, 2, 3, 1]
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.conv2d {{.*}} channels_last
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.constant dense<2.000000e+00>
// CHECK-NEXT: kiln.max_pool2d
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.transpose {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NEXT: kiln.yield
func.func @conv_relu(%x: tensor<?x4x8x8xf32>, %w: tensor<8x3x3x4xf32>, %b: tensor<8xf32>, %r: tensor<?x8x8x8xf32>) -> tensor<?x8x4x4xf32> {
  %two = kiln.constant dense<2.0> : tensor<f32>
  %t = kiln.transpose %x permutation = [0, 2, 3, 1] : tensor<?x4x8x8xf32> -> tensor<?x8x8x4xf32>
  %c = kiln.conv2d %t, %w, %b strides = [1, 1] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 channels_last : tensor<?x8x8x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32> -> tensor<?x8x8x8xf32>
  %a = kiln.add %c, %r : tensor<?x8x8x8xf32>
  %y = kiln.relu %a : tensor<?x8x8x8xf32>
  %p = kiln.max_pool2d %y kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] channels_last : tensor<?x8x8x8xf32> -> tensor<?x4x4x8xf32>
  %s = kiln.mul %p, %two : (tensor<?x4x4x8xf32>, tensor<f32>) -> tensor<?x4x4x8xf32>
  %o = kiln.transpose %s permutation = [0, 3, 1, 2] : tensor<?x4x4x8xf32> -> tensor<?x8x4x4xf32>
  return %o : tensor<?x8x4x4xf32>
}

// -----

// Attention with a mask input and a scaled epilogue.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.+]]: tensor<?x4x?x16xf32>, %[[K:.+]]: tensor<?x4x?x16xf32>, %[[V:.+]]: tensor<?x4x?x16xf32>, %[[M:.+]]: tensor<?x1x1x?xf32>)
// CHECK-NEXT: %[[G:.+]] = kiln.fusion ins(%[[Q]], %[[K]], %[[V]], %[[M]] : {{.*}}) -> tensor<?x4x?x16xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.constant dense<5.000000e-01>
// CHECK-NEXT: kiln.attention
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
func.func @attention(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %m: tensor<?x1x1x?xf32>) -> tensor<?x4x?x16xf32> {
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.attention %q, %k, %v mask(%m : tensor<?x1x1x?xf32>) scale = 0.25 causal = none : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %1 = kiln.mul %0, %half : (tensor<?x4x?x16xf32>, tensor<f32>) -> tensor<?x4x?x16xf32>
  return %1 : tensor<?x4x?x16xf32>
}

// -----

// Elementwise ops: one group per output, with the ops of its shape that only
// it uses (a DAG: %x feeds two ops of the group). The sigmoid feeds two
// groups, so it is a group of its own; the broadcast operand is an input.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[X:.+]]: tensor<8x4xf32>, %[[Y:.+]]: tensor<4xf32>)
// CHECK-NEXT: %[[S:.+]] = kiln.fusion ins(%[[X]] : tensor<8x4xf32>) -> tensor<8x4xf32> {
// CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<8x4xf32>):
// CHECK-NEXT: %[[E:.+]] = kiln.exp %[[A]]
// CHECK-NEXT: %[[N:.+]] = kiln.neg %[[A]]
// CHECK-NEXT: %[[M:.+]] = kiln.mul %[[E]], %[[N]]
// CHECK-NEXT: %[[G:.+]] = kiln.sigmoid %[[M]]
// CHECK-NEXT: kiln.yield %[[G]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[P:.+]] = kiln.fusion ins(%[[S]], %[[Y]] : tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.tanh
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[Q:.+]] = kiln.fusion ins(%[[S]] : tensor<8x4xf32>) -> tensor<8x4xi1> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.constant dense<5.000000e-01>
// CHECK-NEXT: kiln.compare gt
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[P]], %[[Q]]
func.func @elementwise(%x: tensor<8x4xf32>, %y: tensor<4xf32>) -> (tensor<8x4xf32>, tensor<8x4xi1>) {
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.exp %x : tensor<8x4xf32>
  %1 = kiln.neg %x : tensor<8x4xf32>
  %2 = kiln.mul %0, %1 : tensor<8x4xf32>
  %3 = kiln.sigmoid %2 : tensor<8x4xf32>
  %4 = kiln.add %3, %y : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %5 = kiln.tanh %4 : tensor<8x4xf32>
  %6 = kiln.compare gt, %3, %half : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xi1>
  return %5, %6 : tensor<8x4xf32>, tensor<8x4xi1>
}

// -----

// Shape computations, constants and reshapes stay outside groups; the
// reshape reads the group's result.
// CHECK-LABEL: func.func @shapes_and_views
// CHECK: %[[S:.+]] = kiln.shape_of
// CHECK-NEXT: %[[T:.+]] = kiln.slice %[[S]][:1]
// CHECK-NEXT: %[[C:.+]] = kiln.concat %[[T]], %{{.*}} axis = 0
// CHECK-NEXT: %[[G:.+]] = kiln.fusion ins(%{{.*}} : tensor<?x8xf32>) -> tensor<?x8xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.+]] = kiln.reshape %[[G]], %[[C]]
// CHECK-NEXT: return %[[R]]
func.func @shapes_and_views(%x: tensor<?x8xf32>) -> tensor<?x2x4xf32> {
  %c = kiln.constant dense<[2, 4]> : tensor<2xi64>
  %s = kiln.shape_of %x : tensor<?x8xf32> -> tensor<2xi64>
  %t = kiln.slice %s[:1] : tensor<2xi64> -> tensor<1xi64>
  %shape = kiln.concat %t, %c axis = 0 : tensor<1xi64>, tensor<2xi64> -> tensor<3xi64>
  %r = kiln.relu %x : tensor<?x8xf32>
  %y = kiln.reshape %r, %shape : tensor<?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
  return %y : tensor<?x2x4xf32>
}

// -----

// Integer arithmetic on shape values stays outside even when a group reads
// its result (the cast to float needs a kernel).
// CHECK-LABEL: func.func @shape_arithmetic
// CHECK: kiln.shape_of
// CHECK-NEXT: kiln.slice
// CHECK-NEXT: %[[N:.+]] = kiln.add
// CHECK-NEXT: %[[F:.+]] = kiln.fusion ins(%[[N]] : tensor<1xi64>) -> tensor<1xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.cast
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: kiln.fusion ins(%{{.*}}, %[[F]] : tensor<?x8xf32>, tensor<1xf32>) -> tensor<?x8xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.yield
func.func @shape_arithmetic(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %one = kiln.constant dense<1> : tensor<1xi64>
  %s = kiln.shape_of %x : tensor<?x8xf32> -> tensor<2xi64>
  %n = kiln.slice %s[:1] : tensor<2xi64> -> tensor<1xi64>
  %a = kiln.add %n, %one : tensor<1xi64>
  %f = kiln.cast %a : tensor<1xi64> to tensor<1xf32>
  %y = kiln.mul %x, %f : (tensor<?x8xf32>, tensor<1xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Copies and argmax are groups alone (no epilogue); the argmax takes a
// prologue.
// CHECK-LABEL: func.func @copies
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.concat
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.neg
// CHECK-NEXT: kiln.yield
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.abs
// CHECK-NEXT: kiln.argmax
// CHECK-NEXT: kiln.yield
func.func @copies(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>) -> (tensor<5x4xf32>, tensor<3xi64>) {
  %0 = kiln.concat %a, %b axis = 0 : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<5x4xf32>
  %1 = kiln.neg %0 : tensor<5x4xf32>
  %2 = kiln.abs %b : tensor<3x4xf32>
  %3 = kiln.argmax %2 axis = 1 : tensor<3x4xf32> -> tensor<3xi64>
  return %1, %3 : tensor<5x4xf32>, tensor<3xi64>
}

// -----

// Ops the emitter cannot lower stay outside groups (an error with strict);
// what they feed is still grouped.
// CHECK-LABEL: func.func @unsupported
// CHECK: kiln.conv2d
// CHECK-NOT: channels_last
// CHECK: kiln.cumsum
// CHECK: kiln.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.relu
// CHECK: kiln.matmul {{.*}}xi64>
func.func @unsupported(%x: tensor<1x4x9x9xf32>, %f: tensor<8x4x3x3xf32>, %i: tensor<4x4xi64>) -> (tensor<1x8x7x7xf32>, tensor<4x4xi64>) {
  // expected-error @+1 {{cannot be put in a fusion group: the kernels are channels-last (NHWC): run kiln-convert-to-channels-last first}}
  %0 = kiln.conv2d %x, %f strides = [1, 1] pads = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32> -> tensor<1x8x7x7xf32>
  // expected-error @+1 {{cannot be put in a fusion group: no kernel template implements it}}
  %1 = kiln.cumsum %0 axis = 3 : tensor<1x8x7x7xf32>
  %2 = kiln.relu %1 : tensor<1x8x7x7xf32>
  // expected-error @+1 {{cannot be put in a fusion group: integer GEMMs have no kernel template}}
  %3 = kiln.matmul %i, %i : tensor<4x4xi64>, tensor<4x4xi64> -> tensor<4x4xi64>
  return %2, %3 : tensor<1x8x7x7xf32>, tensor<4x4xi64>
}
