func.func @main(%t: tensor<4x2xf32>, %i: tensor<?xi64>) -> tensor<?x2xf32> {
  %e = kiln.gather %t, %i axis = 0 : tensor<4x2xf32>, tensor<?xi64> -> tensor<?x2xf32>
  return %e : tensor<?x2xf32>
}
