func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
  %f = func.constant @twice : (tensor<2xf32>) -> tensor<2xf32>
  %y = func.call_indirect %f(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func @twice(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = kiln.add %x, %x : tensor<2xf32>
  return %y : tensor<2xf32>
}
