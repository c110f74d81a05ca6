//===- EvaluatorTest.cpp - The evaluator's API and its errors -------------===//
//
// Op semantics are tested against numpy in test/Evaluator; these tests cover
// the C++ entry points: binding inputs, results, and diagnostics.
//
//===----------------------------------------------------------------------===//

#include "compiler/evaluator/Evaluator.h"

#include "dialects/kiln/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::kiln;

namespace {

class EvaluatorTest : public ::testing::Test {
protected:
  EvaluatorTest() {
    context.loadDialect<KilnDialect, func::FuncDialect>();
    handler.emplace(&context, [this](Diagnostic &diag) {
      messages += diag.str() + "\n";
      return success();
    });
  }

  func::FuncOp parse(StringRef text) {
    module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << messages;
    return module ? *module->getOps<func::FuncOp>().begin() : nullptr;
  }

  static Tensor vector(ElementKind kind, ArrayRef<double> values) {
    Tensor tensor(kind, {static_cast<int64_t>(values.size())});
    for (auto [i, v] : llvm::enumerate(values)) {
      if (tensor.isFloat())
        tensor.setFloat(i, v);
      else
        tensor.setInt(i, static_cast<int64_t>(v));
    }
    return tensor;
  }

  MLIRContext context;
  std::optional<ScopedDiagnosticHandler> handler;
  std::string messages;
  OwningOpRef<ModuleOp> module;
};

TEST_F(EvaluatorTest, EvaluatesAndRoundsToTheResultType) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf16> {
      %s = kiln.add %a, %b : tensor<?xf32>
      %h = kiln.cast %s : tensor<?xf32> to tensor<?xf16>
      return %h : tensor<?xf16>
    })mlir");
  FailureOr<SmallVector<Tensor>> results =
      evaluate(function, {vector(ElementKind::F32, {1, 0.1}),
                          vector(ElementKind::F32, {2, 0.2})});
  ASSERT_TRUE(succeeded(results)) << messages;
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].getKind(), ElementKind::F16);
  EXPECT_EQ((*results)[0].getFloat(0), 3.0);
  // f32(0.1) + f32(0.2) in double, rounded to f32, then to f16.
  EXPECT_EQ((*results)[0].getFloat(1), 0.300048828125);
}

TEST_F(EvaluatorTest, ResultsConvertToAttributes) {
  func::FuncOp function = parse(R"mlir(
    func.func @main() -> tensor<2xi64> {
      %c = kiln.constant dense<[9223372036854775807, 3]> : tensor<2xi64>
      %o = kiln.constant dense<1> : tensor<2xi64>
      %s = kiln.add %c, %o : tensor<2xi64>
      return %s : tensor<2xi64>
    })mlir");
  FailureOr<SmallVector<Tensor>> results = evaluate(function, {});
  ASSERT_TRUE(succeeded(results)) << messages;
  DenseElementsAttr attr = (*results)[0].toAttr(&context);
  SmallVector<int64_t> values(attr.getValues<int64_t>());
  // i64 wraps exactly, as two's complement.
  EXPECT_EQ(values[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(values[1], 4);
}

TEST_F(EvaluatorTest, RejectsInputsThatDoNotFit) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<3xf32>) -> tensor<3xf32> {
      return %a : tensor<3xf32>
    })mlir");
  EXPECT_TRUE(failed(evaluate(function, {})));
  EXPECT_NE(messages.find("expected 1 inputs, got 0"), std::string::npos);
  EXPECT_TRUE(failed(evaluate(function, {vector(ElementKind::F32, {1, 2})})));
  EXPECT_NE(messages.find("input #0 (2xf32) does not fit 'tensor<3xf32>': dim "
                          "0 is 2, not 3"),
            std::string::npos)
      << messages;
  EXPECT_TRUE(
      failed(evaluate(function, {vector(ElementKind::I32, {1, 2, 3})})));
  EXPECT_NE(messages.find("element type i32 is not f32"), std::string::npos);
  EXPECT_FALSE(
      checkTensorFitsType(vector(ElementKind::F32, {1, 2}),
                          RankedTensorType::get({ShapedType::kDynamic},
                                                FloatType::getF32(&context)))
          .has_value());
}

TEST_F(EvaluatorTest, ReportsRunTimeErrorsAtTheOp) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<2xi8>, %b: tensor<2xi8>) -> tensor<2xi8> {
      %q = kiln.mod %a, %b : tensor<2xi8>
      return %q : tensor<2xi8>
    })mlir");
  EXPECT_TRUE(failed(evaluate(function, {vector(ElementKind::I8, {1, 2}),
                                         vector(ElementKind::I8, {1, 0})})));
  EXPECT_NE(messages.find("integer division by zero"), std::string::npos);
}

TEST_F(EvaluatorTest, ChecksResultsAgainstDeclaredTypes) {
  // Valid for every input length except the one given: the result type
  // claims 3 elements.
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<?xf32>) -> tensor<3xf32> {
      %r = kiln.relu %a : tensor<?xf32>
      %s = kiln.slice %r[0:5] : tensor<?xf32> -> tensor<3xf32>
      return %s : tensor<3xf32>
    })mlir");
  EXPECT_TRUE(failed(evaluate(function, {vector(ElementKind::F32, {1, 2})})));
  EXPECT_NE(messages.find("result #0 evaluates to 2xf32, which contradicts its "
                          "type 'tensor<3xf32>'"),
            std::string::npos)
      << messages;
}

TEST_F(EvaluatorTest, NamesOpsItDoesNotImplement) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
      %f = func.constant @main : (tensor<2xf32>) -> tensor<2xf32>
      %r = func.call_indirect %f(%a) : (tensor<2xf32>) -> tensor<2xf32>
      return %r : tensor<2xf32>
    })mlir");
  EXPECT_TRUE(failed(evaluate(function, {vector(ElementKind::F32, {1, 2})})));
  EXPECT_NE(messages.find("the reference evaluator does not implement "
                          "'func.constant'"),
            std::string::npos)
      << messages;
}

TEST_F(EvaluatorTest, EvaluatesOneOpForConstantFolding) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<?x2xi32>) -> (tensor<2xi32>, tensor<2xi64>) {
      %v, %i = kiln.topk %a k = 2 axis = 0 : tensor<?x2xi32> -> tensor<2x2xi32>, tensor<2x2xi64>
      %s = kiln.reduce_sum %v axes = [0] : tensor<2x2xi32> -> tensor<2xi32>
      %m = kiln.reduce_max %i axes = [1] : tensor<2x2xi64> -> tensor<2xi64>
      return %s, %m : tensor<2xi32>, tensor<2xi64>
    })mlir");
  Operation *topk = &function.getBody().front().front();
  Tensor input(ElementKind::I32, {3, 2});
  for (int64_t i = 0; i < 6; ++i)
    input.setInt(i, (i * 5) % 7); // [[0, 5], [3, 1], [6, 4]]
  FailureOr<SmallVector<Tensor>> results = evaluateOp(topk, {input});
  ASSERT_TRUE(succeeded(results)) << messages;
  ASSERT_EQ(results->size(), 2u);
  DenseElementsAttr values = (*results)[0].toAttr(&context);
  DenseElementsAttr indices = (*results)[1].toAttr(&context);
  EXPECT_EQ(SmallVector<int32_t>(values.getValues<int32_t>()),
            SmallVector<int32_t>({6, 5, 3, 4}));
  EXPECT_EQ(SmallVector<int64_t>(indices.getValues<int64_t>()),
            SmallVector<int64_t>({2, 0, 1, 2}));
  // Operands that do not fit the op's operand types are refused.
  EXPECT_TRUE(failed(evaluateOp(topk, {Tensor(ElementKind::I32, {3, 3})})));
  EXPECT_NE(messages.find("operand #0 (3x3xi32) does not fit"),
            std::string::npos)
      << messages;
  EXPECT_TRUE(failed(evaluateOp(topk, {})));
}

TEST_F(EvaluatorTest, RefusesHugeShapesFromValues) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%x: tensor<1xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
      %e = kiln.expand %x, %s : tensor<1xf32>, tensor<2xi64> -> tensor<?x?xf32>
      return %e : tensor<?x?xf32>
    })mlir");
  Tensor shape(ElementKind::I64, {2});
  shape.setInt(0, int64_t(1) << 40);
  shape.setInt(1, int64_t(1) << 40);
  EXPECT_TRUE(
      failed(evaluate(function, {vector(ElementKind::F32, {1}), shape})));
  EXPECT_NE(messages.find("result shape [1099511627776, 1099511627776] has "
                          "more than 2147483648 elements"),
            std::string::npos)
      << messages;
}

TEST_F(EvaluatorTest, StopsRecursiveCalls) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
      %r = func.call @main(%a) : (tensor<2xf32>) -> tensor<2xf32>
      return %r : tensor<2xf32>
    })mlir");
  EXPECT_TRUE(failed(evaluate(function, {vector(ElementKind::F32, {1, 2})})));
  EXPECT_NE(messages.find("calls nest deeper than 64 levels"),
            std::string::npos)
      << messages;
}

// The channels_last forms run the NCHW loops through NHWC/OHWI strides: on
// transposed operands they give the NCHW results, transposed, bit for bit
// (same sums in the same order). Strides, asymmetric pads, dilations,
// groups, ceil_mode and count_include_pad, on random inputs.
TEST_F(EvaluatorTest, ChannelsLastMatchesNchwOnTransposedOperands) {
  func::FuncOp function = parse(R"mlir(
    func.func @main(%x: tensor<2x4x9x8xf32>, %w: tensor<6x2x3x2xf32>, %b: tensor<6xf32>)
        -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
            tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) {
      %xt = kiln.transpose %x permutation = [0, 2, 3, 1] : tensor<2x4x9x8xf32> -> tensor<2x9x8x4xf32>
      %wt = kiln.transpose %w permutation = [0, 2, 3, 1] : tensor<6x2x3x2xf32> -> tensor<6x3x2x2xf32>
      %c = kiln.conv2d %x, %w, %b strides = [2, 1] pads = [0, 1, 2, 0] dilations = [1, 2] groups = 2 : tensor<2x4x9x8xf32>, tensor<6x2x3x2xf32>, tensor<6xf32> -> tensor<?x?x?x?xf32>
      %cl = kiln.conv2d %xt, %wt, %b strides = [2, 1] pads = [0, 1, 2, 0] dilations = [1, 2] groups = 2 channels_last : tensor<2x9x8x4xf32>, tensor<6x3x2x2xf32>, tensor<6xf32> -> tensor<?x?x?x?xf32>
      %ct = kiln.transpose %cl permutation = [0, 3, 1, 2] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      %m = kiln.max_pool2d %x kernel = [3, 2] strides = [2, 2] pads = [1, 0, 1, 1] ceil_mode : tensor<2x4x9x8xf32> -> tensor<?x?x?x?xf32>
      %ml = kiln.max_pool2d %xt kernel = [3, 2] strides = [2, 2] pads = [1, 0, 1, 1] ceil_mode channels_last : tensor<2x9x8x4xf32> -> tensor<?x?x?x?xf32>
      %mt = kiln.transpose %ml permutation = [0, 3, 1, 2] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      %a = kiln.avg_pool2d %x kernel = [3, 3] strides = [2, 3] pads = [2, 1, 1, 2] ceil_mode count_include_pad : tensor<2x4x9x8xf32> -> tensor<?x?x?x?xf32>
      %al = kiln.avg_pool2d %xt kernel = [3, 3] strides = [2, 3] pads = [2, 1, 1, 2] ceil_mode count_include_pad channels_last : tensor<2x9x8x4xf32> -> tensor<?x?x?x?xf32>
      %at = kiln.transpose %al permutation = [0, 3, 1, 2] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      %e = kiln.avg_pool2d %x kernel = [2, 3] strides = [1, 2] pads = [1, 1, 0, 1] : tensor<2x4x9x8xf32> -> tensor<?x?x?x?xf32>
      %el = kiln.avg_pool2d %xt kernel = [2, 3] strides = [1, 2] pads = [1, 1, 0, 1] channels_last : tensor<2x9x8x4xf32> -> tensor<?x?x?x?xf32>
      %et = kiln.transpose %el permutation = [0, 3, 1, 2] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      return %c, %ct, %m, %mt, %a, %at, %e, %et : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
    })mlir");
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  auto random = [&](ArrayRef<int64_t> shape) {
    Tensor tensor(ElementKind::F32, shape);
    for (int64_t i = 0; i < tensor.getNumElements(); ++i)
      tensor.setFloat(i, normal(rng));
    return tensor;
  };
  FailureOr<SmallVector<Tensor>> results = evaluate(
      function, {random({2, 4, 9, 8}), random({6, 2, 3, 2}), random({6})});
  ASSERT_TRUE(succeeded(results)) << messages;
  ASSERT_EQ(results->size(), 8u);
  for (size_t i = 0; i < 8; i += 2) {
    const Tensor &nchw = (*results)[i], &channelsLast = (*results)[i + 1];
    ASSERT_EQ(nchw.getShape(), channelsLast.getShape()) << "result " << i;
    EXPECT_GT(nchw.getNumElements(), 0) << "result " << i;
    for (int64_t e = 0; e < nchw.getNumElements(); ++e)
      ASSERT_EQ(nchw.getFloat(e), channelsLast.getFloat(e))
          << "result " << i << ", element " << e;
  }
}

} // namespace
