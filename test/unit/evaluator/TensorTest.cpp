//===- TensorTest.cpp - Tensor storage and attribute conversions ----------===//

#include "compiler/evaluator/Tensor.h"

#include "dialects/kiln/KilnDialect.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

TEST(Tensor, StoresRoundedAndWrappedValues) {
  Tensor i8(ElementKind::I8, {3});
  i8.setInt(0, 200);
  i8.setInt(1, -129);
  i8.setInt(2, 127);
  EXPECT_EQ(i8.getInt(0), -56);
  EXPECT_EQ(i8.getInt(1), 127);
  EXPECT_EQ(i8.getInt(2), 127);
  Tensor i1(ElementKind::I1, {2});
  i1.setInt(0, -4);
  EXPECT_EQ(i1.getInt(0), 1);
  EXPECT_EQ(i1.getInt(1), 0);
  Tensor f16(ElementKind::F16, {1});
  f16.setFloat(0, 0.1);
  EXPECT_EQ(f16.getFloat(0), 0.0999755859375);
  Tensor bf16(ElementKind::BF16, {1});
  bf16.setFloat(0, 0.1);
  EXPECT_EQ(bf16.getFloat(0), 0.10009765625);
  EXPECT_EQ(Tensor(ElementKind::I32, {2, 0, 3}).getNumElements(), 0);
  EXPECT_EQ(Tensor(ElementKind::F32, {2, 3}).describeType(), "2x3xf32");
  EXPECT_EQ(Tensor(ElementKind::I1, {}).describeType(), "i1");
}

TEST(Tensor, BytesAreLittleEndian) {
  Tensor t(ElementKind::I32, {2});
  t.setInt(0, 1);
  t.setInt(1, -2);
  std::vector<char> bytes = t.toBytes();
  ASSERT_EQ(bytes.size(), 8u);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(static_cast<unsigned char>(bytes[4]), 0xFE);
  Tensor h(ElementKind::F16, {1});
  h.setFloat(0, 1.0);
  bytes = h.toBytes();
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x00);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x3C);
}

TEST(Tensor, RoundTripsThroughDenseElementsAttr) {
  MLIRContext context;
  Location loc = UnknownLoc::get(&context);
  for (ElementKind kind :
       {ElementKind::F32, ElementKind::F16, ElementKind::BF16, ElementKind::I64,
        ElementKind::I32, ElementKind::I8, ElementKind::I1}) {
    Tensor tensor(kind, {2, 3});
    for (int64_t i = 0; i < 6; ++i) {
      if (tensor.isFloat())
        tensor.setFloat(i, 1.0 / (i + 1) - 0.3);
      else
        tensor.setInt(i, i % 2 ? -i * 1000003 : i);
    }
    DenseElementsAttr attr = tensor.toAttr(&context);
    EXPECT_EQ(attr.getType(), tensor.getType(&context));
    FailureOr<Tensor> back = Tensor::fromAttr(cast<ElementsAttr>(attr), loc);
    ASSERT_TRUE(succeeded(back));
    for (int64_t i = 0; i < 6; ++i) {
      if (tensor.isFloat())
        EXPECT_EQ(back->getFloat(i), tensor.getFloat(i));
      else
        EXPECT_EQ(back->getInt(i), tensor.getInt(i));
    }
  }
  // Splats expand to every element; i64 stays exact beyond 2^53.
  auto type = RankedTensorType::get({3}, IntegerType::get(&context, 64));
  auto splat = DenseElementsAttr::get(type, APInt(64, (1ull << 62) + 1));
  FailureOr<Tensor> values = Tensor::fromAttr(cast<ElementsAttr>(splat), loc);
  ASSERT_TRUE(succeeded(values));
  EXPECT_EQ(values->getInt(2), (int64_t(1) << 62) + 1);
}

TEST(Tensor, ReadsDenseResourceBlobs) {
  MLIRContext context;
  Location loc = UnknownLoc::get(&context);
  auto type = RankedTensorType::get({2}, Float16Type::get(&context));
  static const uint16_t halves[] = {0x3C00, 0xC500}; // 1.0, -5.0
  auto attr = DenseResourceElementsAttr::get(
      type, "halves",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(
          ArrayRef<uint16_t>(halves)));
  FailureOr<Tensor> tensor = Tensor::fromAttr(cast<ElementsAttr>(attr), loc);
  ASSERT_TRUE(succeeded(tensor));
  EXPECT_EQ(tensor->getFloat(0), 1.0);
  EXPECT_EQ(tensor->getFloat(1), -5.0);

  // A blob of the wrong size is an error, not a read past its end.
  auto wide = RankedTensorType::get({3}, Float16Type::get(&context));
  auto shortAttr = DenseResourceElementsAttr::get(
      wide, "short",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(
          ArrayRef<uint16_t>(halves)));
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(Tensor::fromAttr(cast<ElementsAttr>(shortAttr), loc)));
  EXPECT_NE(message.find("dense_resource 'short"), std::string::npos)
      << message;
  EXPECT_NE(message.find("expected 6 bytes for 3xf16, got 4"),
            std::string::npos)
      << message;
}

} // namespace
