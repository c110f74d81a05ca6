// y = x + b over a dynamic batch; names from kiln.name where given.
func.func @main(%x: tensor<?x4xf32> {kiln.name = "x"}, %b: tensor<4xf32>)
    -> (tensor<?x4xf32> {kiln.name = "/layer1/sum"}, tensor<?xi64>) {
  %0 = kiln.add %x, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = kiln.argmax %0 axis = 1 : tensor<?x4xf32> -> tensor<?xi64>
  return %0, %1 : tensor<?x4xf32>, tensor<?xi64>
}
