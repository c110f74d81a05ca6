func.func @main(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  %s = kiln.add %a, %b : tensor<?xf32>
  return %s : tensor<?xf32>
}
