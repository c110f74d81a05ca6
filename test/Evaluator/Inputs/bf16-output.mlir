func.func @main(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xbf16>) {
  %b = kiln.cast %x : tensor<2xf32> to tensor<2xbf16>
  return %x, %b : tensor<2xf32>, tensor<2xbf16>
}
