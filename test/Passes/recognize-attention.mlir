// RUN: kiln-opt %s --split-input-file --kiln-recognize-attention | FileCheck %s

// BERT (eager attention, exported): scores / sqrt(d) + mask, softmax, @ v.
// CHECK-LABEL: func.func @bert_attention
// CHECK-SAME: (%[[Q:.+]]: tensor<?x12x128x64xf32>, %[[K:.+]]: tensor<?x12x128x64xf32>, %[[V:.+]]: tensor<?x12x128x64xf32>, %[[M:.+]]: tensor<?x1x1x128xf32>)
// CHECK: %[[O:.+]] = kiln.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<?x1x1x128xf32>) scale = 1.250000e-01 causal = none
// CHECK-NOT: kiln.softmax
// CHECK: return %[[O]]
func.func @bert_attention(%q: tensor<?x12x128x64xf32>, %k: tensor<?x12x128x64xf32>, %v: tensor<?x12x128x64xf32>, %mask: tensor<?x1x1x128xf32>) -> tensor<?x12x128x64xf32> {
  %eight = kiln.constant dense<8.0> : tensor<f32>
  %kt = kiln.transpose %k permutation = [0, 1, 3, 2] : tensor<?x12x128x64xf32> -> tensor<?x12x64x128xf32>
  %s = kiln.matmul %q, %kt : tensor<?x12x128x64xf32>, tensor<?x12x64x128xf32> -> tensor<?x12x128x128xf32>
  %scaled = kiln.div %s, %eight : (tensor<?x12x128x128xf32>, tensor<f32>) -> tensor<?x12x128x128xf32>
  %masked = kiln.add %scaled, %mask : (tensor<?x12x128x128xf32>, tensor<?x1x1x128xf32>) -> tensor<?x12x128x128xf32>
  %p = kiln.softmax %masked axis = 3 : tensor<?x12x128x128xf32>
  %o = kiln.matmul %p, %v : tensor<?x12x128x128xf32>, tensor<?x12x128x64xf32> -> tensor<?x12x128x64xf32>
  return %o : tensor<?x12x128x64xf32>
}

// -----

// GPT-2: where(causal bias slice, scores, finfo.min) then + attention mask;
// the two masks combine into one additive mask.
// CHECK-LABEL: func.func @gpt2_attention
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x?x16xf32>, %[[K:.+]]: tensor<1x4x?x16xf32>, %[[V:.+]]: tensor<1x4x?x16xf32>, %[[C:.+]]: tensor<1x1x?x?xi1>, %[[A:.+]]: tensor<1x1x1x?xf32>)
// CHECK: %[[F:.+]] = kiln.where %[[C]], %{{.*}}, %{{.*}} : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
// CHECK: %[[M:.+]] = kiln.add %[[F]], %[[A]]
// CHECK: kiln.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x1x?x?xf32>) scale = 2.500000e-01 causal = none
func.func @gpt2_attention(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>, %causal: tensor<1x1x?x?xi1>, %am: tensor<1x1x1x?xf32>) -> tensor<1x4x?x16xf32> {
  %four = kiln.constant dense<4.0> : tensor<f32>
  %min = kiln.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = kiln.transpose %k permutation = [0, 1, 3, 2] : tensor<1x4x?x16xf32> -> tensor<1x4x16x?xf32>
  %s = kiln.matmul %q, %kt : tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32> -> tensor<1x4x?x?xf32>
  %scaled = kiln.div %s, %four : (tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %w = kiln.where %causal, %scaled, %min : (tensor<1x1x?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %masked = kiln.add %w, %am : (tensor<1x4x?x?xf32>, tensor<1x1x1x?xf32>) -> tensor<1x4x?x?xf32>
  %p = kiln.softmax %masked axis = 3 : tensor<1x4x?x?xf32>
  %o = kiln.matmul %p, %v : tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32> -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// Llama with grouped-query attention: k and v repeated from 2 to 8 heads,
// the scale applied as sqrt(scale) to q and to k^T (torch SDPA export), and a
// constant causal mask.
// CHECK-LABEL: func.func @llama_gqa_causal
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x4x16xf32>, %[[K:.+]]: tensor<1x2x4x16xf32>, %[[V:.+]]: tensor<1x2x4x16xf32>)
// CHECK: %[[O:.+]] = kiln.attention %[[Q]], %[[K]], %[[V]] scale = 2.500000e-01 causal = upper_left : tensor<1x8x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x8x4x16xf32>
// CHECK: return %[[O]]
func.func @llama_gqa_causal(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x8x4x16xf32> {
  %half = kiln.constant dense<0.5> : tensor<f32>
  %min = kiln.constant dense<0xFF800000> : tensor<f32>
  %tril = kiln.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %k5 = kiln.reshape %k : tensor<1x2x4x16xf32> -> tensor<1x2x1x4x16xf32>
  %ke = kiln.expand %k5 : tensor<1x2x1x4x16xf32> -> tensor<1x2x4x4x16xf32>
  %kr = kiln.reshape %ke : tensor<1x2x4x4x16xf32> -> tensor<1x8x4x16xf32>
  %v5 = kiln.reshape %v : tensor<1x2x4x16xf32> -> tensor<1x2x1x4x16xf32>
  %ve = kiln.expand %v5 : tensor<1x2x1x4x16xf32> -> tensor<1x2x4x4x16xf32>
  %vr = kiln.reshape %ve : tensor<1x2x4x4x16xf32> -> tensor<1x8x4x16xf32>
  %qs = kiln.mul %q, %half : (tensor<1x8x4x16xf32>, tensor<f32>) -> tensor<1x8x4x16xf32>
  %kt = kiln.transpose %kr permutation = [0, 1, 3, 2] : tensor<1x8x4x16xf32> -> tensor<1x8x16x4xf32>
  %kts = kiln.mul %kt, %half : (tensor<1x8x16x4xf32>, tensor<f32>) -> tensor<1x8x16x4xf32>
  %s = kiln.matmul %qs, %kts : tensor<1x8x4x16xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x4x4xf32>
  %w = kiln.where %tril, %s, %min : (tensor<4x4xi1>, tensor<1x8x4x4xf32>, tensor<f32>) -> tensor<1x8x4x4xf32>
  %p = kiln.softmax %w axis = 3 : tensor<1x8x4x4xf32>
  %o = kiln.matmul %p, %vr : tensor<1x8x4x4xf32>, tensor<1x8x4x16xf32> -> tensor<1x8x4x16xf32>
  return %o : tensor<1x8x4x16xf32>
}

// -----

// A key that reaches the matmul already transposed gets a transpose back.
// CHECK-LABEL: func.func @pre_transposed_key
// CHECK-SAME: (%[[Q:.+]]: tensor<2x2x3x8xf32>, %[[KT:.+]]: tensor<2x2x8x5xf32>, %[[V:.+]]: tensor<2x2x5x8xf32>)
// CHECK: %[[K:.+]] = kiln.transpose %[[KT]] permutation = [0, 1, 3, 2] : tensor<2x2x8x5xf32> -> tensor<2x2x5x8xf32>
// CHECK: kiln.attention %[[Q]], %[[K]], %[[V]] scale = 1.000000e+00 causal = none
func.func @pre_transposed_key(%q: tensor<2x2x3x8xf32>, %kt: tensor<2x2x8x5xf32>, %v: tensor<2x2x5x8xf32>) -> tensor<2x2x3x8xf32> {
  %s = kiln.matmul %q, %kt : tensor<2x2x3x8xf32>, tensor<2x2x8x5xf32> -> tensor<2x2x3x5xf32>
  %p = kiln.softmax %s axis = 3 : tensor<2x2x3x5xf32>
  %o = kiln.matmul %p, %v : tensor<2x2x3x5xf32>, tensor<2x2x5x8xf32> -> tensor<2x2x3x8xf32>
  return %o : tensor<2x2x3x8xf32>
}

// -----

// Negative cases: a softmax over another axis, and scores that are also
// returned (the attention kernel never materializes them).
// CHECK-LABEL: func.func @not_attention
// CHECK-NOT: kiln.attention
func.func @not_attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %kt = kiln.transpose %k permutation = [0, 1, 3, 2] : tensor<1x2x4x8xf32> -> tensor<1x2x8x4xf32>
  %s = kiln.matmul %q, %kt : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x4x4xf32>
  %p = kiln.softmax %s axis = 2 : tensor<1x2x4x4xf32>
  %o = kiln.matmul %p, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  %s2 = kiln.matmul %q, %kt : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x4x4xf32>
  %p2 = kiln.softmax %s2 axis = 3 : tensor<1x2x4x4xf32>
  %o2 = kiln.matmul %p2, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o, %o2, %s2 : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}
