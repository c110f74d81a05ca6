// A two-layer MLP classifier in the kiln dialect, as the ONNX importer will
// produce it: dynamic batch, weights as dense_resource blobs (here tiny and
// inline; an importer maps them from the model file instead).
//
//   kiln-opt examples/mlp.mlir --kiln-refine-result-types --canonicalize
func.func @mlp(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w1 = kiln.constant dense_resource<fc1_weight> : tensor<8x4xf32>
  %b1 = kiln.constant dense_resource<fc1_bias> : tensor<8xf32>
  %w2 = kiln.constant dense_resource<fc2_weight> : tensor<3x8xf32>
  %zero = kiln.constant dense<0.0> : tensor<3xf32>
  %h = kiln.linear %x, %w1, %b1 transpose_weight : tensor<?x4xf32>, tensor<8x4xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %a = kiln.relu %h : tensor<?x8xf32>
  %o = kiln.linear %a, %w2 transpose_weight : tensor<?x8xf32>, tensor<3x8xf32> -> tensor<?x3xf32>
  // Adding a zero bias is what a naive exporter writes; canonicalization drops it.
  %y = kiln.add %o, %zero : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %p = kiln.softmax %y axis = 1 : tensor<?x3xf32>
  return %p : tensor<?x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      fc1_weight: "0x040000003333B3BE333333BF9A99993EF6285CBF295C8F3D713D8ABEAE4761BF0AD7233C7B146EBFB81E05BEF6285CBF85EB51BF9A9919BE6666263F000040BFCDCC0CBF0000803E6666663F9A99193E3D0A57BE3333733FC3F568BFEC51383F3D0AD7BE8FC235BF5C8F42BF5C8FC2BEAE47213F0AD723BF0AD7233E295C8F3EB81E85BE",
      fc1_bias: "0x04000000CDCCCC3D52B85EBFAE4761BF3D0A17BFEC51B83E295C0FBEA470BDBE7B142E3E",
      fc2_weight: "0x04000000EC51B8BDCDCCCCBE3D0A173FCDCCCC3E5C8F02BF9A99193ECDCC4C3D0000403F1F85EB3E3D0AD7BE8FC2753F5C8F42BF0AD723BE5C8F023F333333BF0AD7A3BC1F856BBF7B14AE3E14AE073F9A99193E0000403FA470BDBE14AEC73E5C8F423E"
    }
  }
#-}
