// RUN: kiln-opt %s --split-input-file --kiln-infer-symbolic-shapes | FileCheck %s

// Embedding lookup, then the exporter's Shape -> Gather -> Concat -> Reshape
// chain splitting heads: the reshape's dims come out as expressions of the
// input's named dims.
// CHECK-LABEL: func.func @bert_head_split
// CHECK: kiln.gather {{.*}} {kiln.shape = ["batch", "seq", "64"]}
// CHECK: kiln.shape_of {{.*}} {kiln.shape = ["3"]}
// CHECK: kiln.reshape {{.*}} {kiln.shape = ["batch", "seq", "4", "16"]}
// CHECK: kiln.transpose {{.*}} {kiln.shape = ["batch", "4", "seq", "16"]}
func.func @bert_head_split(%ids: tensor<?x?xi64> {kiln.dims = ["batch", "seq"]}, %table: tensor<100x64xf32>) -> tensor<?x4x?x16xf32> {
  %e = kiln.gather %table, %ids axis = 0 : tensor<100x64xf32>, tensor<?x?xi64> -> tensor<?x?x64xf32>
  %s = kiln.shape_of %e : tensor<?x?x64xf32> -> tensor<3xi64>
  %bs = kiln.slice %s[0:2] : tensor<3xi64> -> tensor<2xi64>
  %heads = kiln.constant dense<[4, 16]> : tensor<2xi64>
  %target = kiln.concat %bs, %heads axis = 0 : tensor<2xi64>, tensor<2xi64> -> tensor<4xi64>
  %r = kiln.reshape %e, %target : tensor<?x?x64xf32>, tensor<4xi64> -> tensor<?x?x4x16xf32>
  %t = kiln.transpose %r permutation = [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %t : tensor<?x4x?x16xf32>
}

// -----

// A KV cache: the past and the new keys concatenate to seq + past; a
// flattened batch gives a product; the last position is one.
// CHECK-LABEL: func.func @kv_cache_and_flatten
// CHECK: kiln.concat {{.*}} {kiln.shape = ["1", "2", "past + seq", "8"]}
// CHECK: kiln.reshape {{.*}} {kiln.shape = ["batch * seq", "8"]}
// CHECK: kiln.slice {{.*}} {kiln.shape = ["batch", "1", "8"]}
// CHECK: kiln.add {{.*}} {kiln.shape = ["batch", "seq", "8"]}
func.func @kv_cache_and_flatten(%past: tensor<1x2x?x8xf32> {kiln.dims = ["", "", "past", ""]}, %new: tensor<1x2x?x8xf32> {kiln.dims = ["", "", "seq", ""]}, %x: tensor<?x?x8xf32> {kiln.dims = ["batch", "seq", ""]}) -> (tensor<1x2x?x8xf32>, tensor<?x8xf32>, tensor<?x1x8xf32>, tensor<?x?x8xf32>) {
  %kv = kiln.concat %past, %new axis = 2 : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %flat = kiln.reshape %x : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %last = kiln.slice %x[:, -1:, :] : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  %b = kiln.add %x, %last : (tensor<?x?x8xf32>, tensor<?x1x8xf32>) -> tensor<?x?x8xf32>
  return %kv, %flat, %last, %b : tensor<1x2x?x8xf32>, tensor<?x8xf32>, tensor<?x1x8xf32>, tensor<?x?x8xf32>
}

// -----

// Convolutions and pooling over a symbolic image size; strided slices; an
// unnamed dynamic dim gets the argument's name.
// CHECK-LABEL: func.func @image
// CHECK: kiln.conv2d {{.*}} {kiln.shape = ["arg0.dim0", "8", "(h - 1) floordiv 2 + 1", "(w - 1) floordiv 2 + 1"]}
// CHECK: kiln.max_pool2d {{.*}} {kiln.shape = ["arg0.dim0", "8", "(h - 1) floordiv 2 floordiv 2 + 1", "(w - 1) floordiv 2 floordiv 2 + 1"]}
// CHECK: kiln.slice {{.*}} {kiln.shape = ["arg0.dim0", "3", "(h - 2) ceildiv 2", "w"]}
func.func @image(%x: tensor<?x3x?x?xf32> {kiln.dims = ["", "", "h", "w"]}, %w: tensor<8x3x3x3xf32>) -> (tensor<?x8x?x?xf32>, tensor<?x3x?x?xf32>) {
  %c = kiln.conv2d %x, %w strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<?x3x?x?xf32>, tensor<8x3x3x3xf32> -> tensor<?x8x?x?xf32>
  %p = kiln.max_pool2d %c kernel = [3, 3] strides = [2, 2] pads = [1, 1, 1, 1] : tensor<?x8x?x?xf32> -> tensor<?x8x?x?xf32>
  %s = kiln.slice %x[:, :, 2::2, :] : tensor<?x3x?x?xf32> -> tensor<?x3x?x?xf32>
  return %p, %s : tensor<?x8x?x?xf32>, tensor<?x3x?x?xf32>
}

// -----

// The same convolution and pooling channels_last: the spatial dims are 1-2
// and the channels (the filter's dim 0) come last; a dilated kernel and a
// ceil_mode pool.
// CHECK-LABEL: func.func @image_channels_last
// CHECK: kiln.conv2d {{.*}} channels_last {kiln.shape = ["arg0.dim0", "(h - 1) floordiv 2 + 1", "(w - 3) floordiv 2 + 1", "8"]}
// CHECK: kiln.avg_pool2d {{.*}} channels_last {kiln.shape = ["arg0.dim0", "((h - 1) floordiv 2 - 1) ceildiv 2 + 1", "((w - 3) floordiv 2 - 1) ceildiv 2 + 1", "8"]}
func.func @image_channels_last(%x: tensor<?x?x?x3xf32> {kiln.dims = ["", "h", "w", ""]}, %w: tensor<8x3x3x3xf32>) -> tensor<?x?x?x8xf32> {
  %c = kiln.conv2d %x, %w strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 2] groups = 1 channels_last : tensor<?x?x?x3xf32>, tensor<8x3x3x3xf32> -> tensor<?x?x?x8xf32>
  %p = kiln.avg_pool2d %c kernel = [3, 3] strides = [2, 2] pads = [0, 0, 1, 1] ceil_mode channels_last : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return %p : tensor<?x?x?x8xf32>
}

// -----

// Dims that come out constant make result types static, and the signature
// follows; shape arithmetic (Size = product of the shape) is tracked.
// CHECK-LABEL: func.func @refines_types
// CHECK-SAME: -> (tensor<4x6xf32>, tensor<1xi64>)
// CHECK: kiln.reshape {{.*}} {kiln.shape = ["4", "6"]} : {{.*}} -> tensor<4x6xf32>
// CHECK: kiln.reduce_prod {{.*}} {kiln.shape = ["1"]}
// With annotate-only the types stay as they were.
// ANNOTATE-LABEL: func.func @refines_types
// ANNOTATE-SAME: -> (tensor<?x?xf32>, tensor<1xi64>)
// ANNOTATE: kiln.reshape {{.*}} {kiln.shape = ["4", "6"]} : {{.*}} -> tensor<?x?xf32>
func.func @refines_types(%x: tensor<2x12xf32>, %y: tensor<?x5xf32> {kiln.dims = ["n", ""]}) -> (tensor<?x?xf32>, tensor<1xi64>) {
  %s = kiln.constant dense<[4, 6]> : tensor<2xi64>
  %r = kiln.reshape %x, %s : tensor<2x12xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %shape = kiln.shape_of %y : tensor<?x5xf32> -> tensor<2xi64>
  %size = kiln.reduce_prod %shape axes = [0] keep_dims : tensor<2xi64> -> tensor<1xi64>
  return %r, %size : tensor<?x?xf32>, tensor<1xi64>
}

// -----

// Attention keeps the query's batch, heads and length and the value's width;
// with annotate-only nothing else changes.
// RUN: kiln-opt %s --split-input-file --kiln-infer-symbolic-shapes=annotate-only | FileCheck %s --check-prefix=ANNOTATE
// CHECK-LABEL: func.func @attention
// CHECK: kiln.attention {{.*}} {kiln.shape = ["b", "8", "s", "32"]}
// ANNOTATE-LABEL: func.func @attention
// ANNOTATE: kiln.attention {{.*}} {kiln.shape = ["b", "8", "s", "32"]} : {{.*}} -> tensor<?x8x?x32xf32>
func.func @attention(%q: tensor<?x8x?x16xf32> {kiln.dims = ["b", "", "s", ""]}, %k: tensor<?x2x?x16xf32> {kiln.dims = ["b", "", "t", ""]}, %v: tensor<?x2x?x32xf32> {kiln.dims = ["b", "", "t", ""]}) -> tensor<?x8x?x32xf32> {
  %o = kiln.attention %q, %k, %v scale = 0.25 causal = lower_right : tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x32xf32> -> tensor<?x8x?x32xf32>
  return %o : tensor<?x8x?x32xf32>
}

// -----

// The static dims of a partly dynamic tensor are constants: the shape
// arithmetic on them becomes a constant (a head size, say), while the
// dynamic entries stay computed.
// CHECK-LABEL: func.func @constant_shape_entries
// CHECK-DAG: %[[HEAD:.+]] = kiln.constant dense<16> : tensor<1xi64>
// CHECK-DAG: %[[SEQ:.+]] = kiln.slice %{{.*}}[1:2] {kiln.shape = ["1"]}
// CHECK: return %[[HEAD]], %[[SEQ]]
func.func @constant_shape_entries(%x: tensor<?x?x16xf32> {kiln.dims = ["b", "s", ""]}) -> (tensor<1xi64>, tensor<1xi64>) {
  %s = kiln.shape_of %x : tensor<?x?x16xf32> -> tensor<3xi64>
  %head = kiln.slice %s[2:3] : tensor<3xi64> -> tensor<1xi64>
  %seq = kiln.slice %s[1:2] : tensor<3xi64> -> tensor<1xi64>
  return %head, %seq : tensor<1xi64>, tensor<1xi64>
}
