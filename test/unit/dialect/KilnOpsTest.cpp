//===- KilnOpsTest.cpp - Building kiln ops from C++, as importers do ------===//

#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

class KilnOpsTest : public ::testing::Test {
protected:
  KilnOpsTest() : builder(&context) {
    context.loadDialect<KilnDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// A function whose arguments have `types`, with the builder inside it.
  func::FuncOp makeFunc(TypeRange types) {
    auto func = builder.create<func::FuncOp>(
        builder.getUnknownLoc(), "f", builder.getFunctionType(types, {}));
    builder.setInsertionPointToEnd(func.addEntryBlock());
    return func;
  }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type element = {}) {
    return RankedTensorType::get(shape,
                                 element ? element : builder.getF32Type());
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(KilnOpsTest, BuildersInferBroadcastTypes) {
  int64_t dyn = ShapedType::kDynamic;
  func::FuncOp func = makeFunc({tensor({dyn, 1, 8}), tensor({4, 8})});
  Location loc = builder.getUnknownLoc();
  Value a = func.getArgument(0), b = func.getArgument(1);
  auto add = builder.create<AddOp>(loc, a, b);
  EXPECT_EQ(add.getType(), tensor({dyn, 4, 8}));
  auto cmp = builder.create<CompareOp>(loc, ComparePredicate::lt, a, b);
  EXPECT_EQ(cmp.getType(), tensor({dyn, 4, 8}, builder.getI1Type()));
  auto sum = builder.create<ReduceSumOp>(loc, add, ArrayRef<int64_t>{1, 2},
                                         /*keep_dims=*/false);
  EXPECT_EQ(sum.getType(), tensor({dyn}));
  builder.create<func::ReturnOp>(loc);
  func.setType(builder.getFunctionType(func.getArgumentTypes(), {}));
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(KilnOpsTest, ConvolutionAndMatmulShapes) {
  func::FuncOp func = makeFunc({tensor({2, 3, 224, 224}), tensor({64, 3, 7, 7}),
                                tensor({5, 1, 16, 32}), tensor({7, 32, 4})});
  Location loc = builder.getUnknownLoc();
  auto conv = builder.create<Conv2dOp>(
      loc, func.getArgument(0), func.getArgument(1), Value(),
      ArrayRef<int64_t>{2, 2}, ArrayRef<int64_t>{3, 3, 3, 3},
      ArrayRef<int64_t>{1, 1}, /*groups=*/1);
  EXPECT_EQ(conv.getType(), tensor({2, 64, 112, 112}));
  auto mm =
      builder.create<MatmulOp>(loc, func.getArgument(2), func.getArgument(3));
  EXPECT_EQ(mm.getType(), tensor({5, 7, 16, 4}));
}

TEST_F(KilnOpsTest, ChannelsLastConvolutionAndPoolingShapes) {
  // NHWC input, OHWI depthwise filter: the channels are the last dims.
  func::FuncOp func =
      makeFunc({tensor({2, 224, 224, 32}), tensor({64, 3, 3, 1})});
  Location loc = builder.getUnknownLoc();
  auto conv = builder.create<Conv2dOp>(
      loc, func.getArgument(0), func.getArgument(1), Value(),
      ArrayRef<int64_t>{2, 1}, ArrayRef<int64_t>{1, 1, 1, 1},
      ArrayRef<int64_t>{1, 1}, /*groups=*/32, /*channels_last=*/true);
  EXPECT_EQ(conv.getType(), tensor({2, 112, 224, 64}));
  auto max = builder.create<MaxPool2dOp>(
      loc, conv, ArrayRef<int64_t>{3, 3}, ArrayRef<int64_t>{2, 2},
      ArrayRef<int64_t>{1, 1, 1, 1}, /*ceil_mode=*/false,
      /*channels_last=*/true);
  EXPECT_EQ(max.getType(), tensor({2, 56, 112, 64}));
  auto avg = builder.create<AvgPool2dOp>(
      loc, max, ArrayRef<int64_t>{2, 2}, ArrayRef<int64_t>{2, 2},
      ArrayRef<int64_t>{0, 0, 0, 0}, /*ceil_mode=*/true,
      /*count_include_pad=*/false, /*channels_last=*/true);
  EXPECT_EQ(avg.getType(), tensor({2, 28, 56, 64}));
  builder.create<func::ReturnOp>(loc);
  func.setType(builder.getFunctionType(func.getArgumentTypes(), {}));
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(KilnOpsTest, FusionBuilderMakesAVerifiableGroup) {
  func::FuncOp func = makeFunc({tensor({4, 8}), tensor({8})});
  Location loc = builder.getUnknownLoc();
  auto fusion = builder.create<FusionOp>(
      loc, TypeRange{tensor({4, 8})},
      ValueRange{func.getArgument(0), func.getArgument(1)});
  {
    OpBuilder::InsertionGuard guard(builder);
    Block &body = fusion.getBody().front();
    builder.setInsertionPointToEnd(&body);
    Value sum =
        builder.create<AddOp>(loc, body.getArgument(0), body.getArgument(1));
    Value act = builder.create<ReluOp>(loc, sum);
    builder.create<YieldOp>(loc, ValueRange{act});
  }
  auto config =
      KernelConfigAttr::get(&context, "sm_80", 0, "elementwise", {256}, 1, 8);
  fusion.setConfigsAttr(builder.getArrayAttr({config}));
  builder.create<func::ReturnOp>(loc, fusion.getResults());
  func.setType(builder.getFunctionType(func.getArgumentTypes(),
                                       fusion.getResultTypes()));
  ASSERT_TRUE(succeeded(verify(*module)));
  EXPECT_EQ(fusion.getConfig("sm_80", 0), config);
  EXPECT_FALSE(fusion.getConfig("sm_90", 0));
}

TEST_F(KilnOpsTest, FoldersSimplifyIdentities) {
  const char *source = R"mlir(
    func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
      %zero = kiln.constant dense<0.0> : tensor<4x8xf32>
      %0 = kiln.add %x, %zero : tensor<4x8xf32>
      %1 = kiln.transpose %0 permutation = [0, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
      return %1 : tensor<4x8xf32>
    })mlir";
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(parsed);
  auto func = cast<func::FuncOp>(parsed->getBody()->front());
  auto add = cast<AddOp>(*std::next(func.getBody().front().begin()));
  SmallVector<OpFoldResult> folded;
  ASSERT_TRUE(succeeded(add->fold(folded)));
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(dyn_cast<Value>(folded[0]), func.getArgument(0));
}

TEST_F(KilnOpsTest, KernelConfigRejectsAnEmptyTile) {
  // The textual form cannot spell an empty tile; builders can.
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  auto config = KernelConfigAttr::getChecked(
      [&] { return emitError(builder.getUnknownLoc()); }, &context,
      StringRef("sm_80"), int64_t{0}, StringRef("elementwise"),
      ArrayRef<int64_t>{}, int64_t{1}, int64_t{4});
  EXPECT_FALSE(config);
  EXPECT_EQ(message, "tile must not be empty");
}

} // namespace
