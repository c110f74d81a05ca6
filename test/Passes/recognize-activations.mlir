// RUN: kiln-opt %s --split-input-file --kiln-recognize-activations | FileCheck %s

// torch.nn.functional.gelu as torch.onnx.export writes it:
// Div -> Erf -> Add 1 -> Mul x -> Mul 0.5.
// CHECK-LABEL: func.func @gelu_erf_torch_export
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK-NEXT: %[[G:.+]] = kiln.gelu %[[X]] : tensor<2x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf_torch_export(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = kiln.constant dense<1.41421354> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = kiln.erf %0 : tensor<2x8xf32>
  %2 = kiln.add %1, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = kiln.mul %x, %2 : tensor<2x8xf32>
  %4 = kiln.mul %3, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// -----

// Hugging Face's x * 0.5 * (1.0 + erf(x * 0.7071...)), other association.
// CHECK-LABEL: func.func @gelu_erf_other_association
// CHECK: kiln.gelu %{{.*}} : tensor<?x768xf32>
// CHECK-NOT: kiln.erf
func.func @gelu_erf_other_association(%x: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %inv = kiln.constant dense<0.707106769> : tensor<1xf32>
  %one = kiln.constant dense<1.0> : tensor<1xf32>
  %half = kiln.constant dense<0.5> : tensor<1xf32>
  %a = kiln.mul %x, %half : (tensor<?x768xf32>, tensor<1xf32>) -> tensor<?x768xf32>
  %0 = kiln.mul %inv, %x : (tensor<1xf32>, tensor<?x768xf32>) -> tensor<?x768xf32>
  %1 = kiln.erf %0 : tensor<?x768xf32>
  %2 = kiln.add %one, %1 : (tensor<1xf32>, tensor<?x768xf32>) -> tensor<?x768xf32>
  %3 = kiln.mul %a, %2 : tensor<?x768xf32>
  return %3 : tensor<?x768xf32>
}

// -----

// GPT-2's NewGELU: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).
// CHECK-LABEL: func.func @gelu_tanh_with_pow
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>)
// CHECK-NEXT: %[[G:.+]] = kiln.gelu_tanh %[[X]] : tensor<4xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_tanh_with_pow(%x: tensor<4xf32>) -> tensor<4xf32> {
  %three = kiln.constant dense<3.0> : tensor<f32>
  %c = kiln.constant dense<0.044715> : tensor<f32>
  %k = kiln.constant dense<0.797884583> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.pow %x, %three : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = kiln.mul %c, %0 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = kiln.add %x, %1 : tensor<4xf32>
  %3 = kiln.mul %k, %2 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = kiln.tanh %3 : tensor<4xf32>
  %5 = kiln.add %one, %4 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %6 = kiln.mul %half, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %7 = kiln.mul %6, %5 : tensor<4xf32>
  return %7 : tensor<4xf32>
}

// -----

// The cube written as x * x * x.
// CHECK-LABEL: func.func @gelu_tanh_with_products
// CHECK: kiln.gelu_tanh
// CHECK-NOT: kiln.tanh
func.func @gelu_tanh_with_products(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = kiln.constant dense<0.044715> : tensor<f32>
  %k = kiln.constant dense<0.797884583> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %sq = kiln.mul %x, %x : tensor<4xf32>
  %cube = kiln.mul %sq, %x : tensor<4xf32>
  %1 = kiln.mul %cube, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = kiln.add %1, %x : tensor<4xf32>
  %3 = kiln.mul %2, %k : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %4 = kiln.tanh %3 : tensor<4xf32>
  %5 = kiln.add %4, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %6 = kiln.mul %x, %5 : tensor<4xf32>
  %7 = kiln.mul %6, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %7 : tensor<4xf32>
}

// -----

// SiLU in both operand orders.
// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.+]]: tensor<8xf16>)
// CHECK-NEXT: %[[A:.+]] = kiln.silu %[[X]]
// CHECK-NEXT: %[[B:.+]] = kiln.silu %[[X]]
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @silu(%x: tensor<8xf16>) -> (tensor<8xf16>, tensor<8xf16>) {
  %s = kiln.sigmoid %x : tensor<8xf16>
  %0 = kiln.mul %x, %s : tensor<8xf16>
  %1 = kiln.mul %s, %x : tensor<8xf16>
  return %0, %1 : tensor<8xf16>, tensor<8xf16>
}

// -----

// Negative case: a constant that is not sqrt(2).
// CHECK-LABEL: func.func @not_gelu_wrong_constant
// CHECK-NOT: kiln.gelu
// CHECK: kiln.erf
func.func @not_gelu_wrong_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %sqrt3 = kiln.constant dense<1.7320508> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.div %x, %sqrt3 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = kiln.erf %0 : tensor<4xf32>
  %2 = kiln.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = kiln.mul %x, %2 : tensor<4xf32>
  %4 = kiln.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// Negative case: the partial product x * (1 + erf) is used elsewhere, so the
// chain is not one GELU.
// CHECK-LABEL: func.func @not_gelu_shared_partial_product
// CHECK-NOT: kiln.gelu
// CHECK: kiln.erf
func.func @not_gelu_shared_partial_product(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %sqrt2 = kiln.constant dense<1.41421354> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = kiln.erf %0 : tensor<4xf32>
  %2 = kiln.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = kiln.mul %x, %2 : tensor<4xf32>
  %4 = kiln.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4, %3 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Negative case: a sigmoid of another value is a gate, not SiLU.
// CHECK-LABEL: func.func @not_silu
// CHECK-NOT: kiln.silu
// CHECK: kiln.sigmoid
func.func @not_silu(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %s = kiln.sigmoid %y : tensor<4xf32>
  %0 = kiln.mul %x, %s : tensor<4xf32>
  return %0 : tensor<4xf32>
}
