func.func @main(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %q = kiln.div %a, %b : tensor<3xi32>
  return %q : tensor<3xi32>
}
