//===- ExprTest.cpp - Postfix launch formulas: checks and evaluation ------===//
//
// The runtime's evaluator must agree with compiler/codegen's ShapeExpr::
// evaluate (same operations, same refusals), without compiler code.
//
//===----------------------------------------------------------------------===//

#include "test/unit/engine/SampleEngine.h"

#include <gtest/gtest.h>

#include <climits>

using namespace kiln::engine;
using namespace kiln::engine::sample;

namespace {

Expr binary(int64_t a, int64_t b, ExprOp::Opcode opcode) {
  Expr e;
  pushConst(e, a);
  pushConst(e, b);
  apply(e, opcode);
  return e;
}

int64_t eval(const Expr &e, std::vector<int64_t> dims = {}) {
  Expected<int64_t> v = evaluateExpr(e, dims);
  EXPECT_TRUE(v.ok()) << v.message();
  return v.ok() ? *v : INT64_MIN;
}

std::string evalError(const Expr &e, std::vector<int64_t> dims = {}) {
  Expected<int64_t> v = evaluateExpr(e, dims);
  return v.ok() ? std::string() : v.message();
}

TEST(EngineExpr, Operations) {
  EXPECT_EQ(eval(binary(7, 3, ExprOp::ADD)), 10);
  EXPECT_EQ(eval(binary(7, 3, ExprOp::SUB)), 4);
  EXPECT_EQ(eval(binary(7, 3, ExprOp::MUL)), 21);
  EXPECT_EQ(eval(binary(7, 3, ExprOp::CEIL_DIV)), 3);
  EXPECT_EQ(eval(binary(6, 3, ExprOp::CEIL_DIV)), 2);
  EXPECT_EQ(eval(binary(0, 3, ExprOp::CEIL_DIV)), 0);
  EXPECT_EQ(eval(binary(7, 3, ExprOp::FLOOR_DIV)), 2);
  EXPECT_EQ(eval(binary(7, 3, ExprOp::MIN)), 3);
  EXPECT_EQ(eval(binary(-7, 3, ExprOp::MAX)), 3);
  EXPECT_EQ(eval(dimTimes(1, 4), {5, 6}), 24);
  // max(min(ceildiv(d0 * d1, 256), 65535), 1), as the elementwise emitter.
  Expr grid;
  pushDim(grid, 0);
  pushDim(grid, 1);
  apply(grid, ExprOp::MUL);
  pushConst(grid, 256);
  apply(grid, ExprOp::CEIL_DIV);
  pushConst(grid, 65535);
  apply(grid, ExprOp::MIN);
  pushConst(grid, 1);
  apply(grid, ExprOp::MAX);
  EXPECT_TRUE(checkExpr(grid, 2).ok());
  EXPECT_EQ(eval(grid, {1000, 1000}), 3907);
  EXPECT_EQ(eval(grid, {100000, 100000}), 65535);
  EXPECT_EQ(eval(grid, {0, 5}), 1);
}

TEST(EngineExpr, Refusals) {
  EXPECT_EQ(evalError(binary(INT64_MAX, 1, ExprOp::ADD)),
            "op #2 (add) of 9223372036854775807 and 1 overflows int64");
  EXPECT_EQ(evalError(binary(INT64_MIN, 1, ExprOp::SUB)),
            "op #2 (sub) of -9223372036854775808 and 1 overflows int64");
  EXPECT_EQ(evalError(binary(int64_t(1) << 32, int64_t(1) << 31, ExprOp::MUL)),
            "op #2 (mul) of 4294967296 and 2147483648 overflows int64");
  EXPECT_EQ(evalError(binary(5, 0, ExprOp::CEIL_DIV)),
            "op #2 (ceil_div) of 5 by 0: needs a >= 0 and b > 0");
  EXPECT_EQ(evalError(binary(5, -1, ExprOp::FLOOR_DIV)),
            "op #2 (floor_div) of 5 by -1: needs a >= 0 and b > 0");
  EXPECT_EQ(evalError(binary(INT64_MIN, -1, ExprOp::FLOOR_DIV)),
            "op #2 (floor_div) of -9223372036854775808 by -1: needs a >= 0 "
            "and b > 0");
  EXPECT_EQ(evalError(binary(-5, 2, ExprOp::CEIL_DIV)),
            "op #2 (ceil_div) of -5 by 2: needs a >= 0 and b > 0");
  EXPECT_EQ(evalError(dimTimes(2, 1), {1, 2}),
            "op #0 reads dim 2, out of range (2 dims)");
  EXPECT_EQ(evalError(dimTimes(-1, 1), {1, 2}),
            "op #0 reads dim -1, out of range (2 dims)");
  EXPECT_EQ(evalError(Expr()), "the expression leaves 0 values on the stack, "
                               "not 1");
  Expr underflow = constant(1);
  apply(underflow, ExprOp::MIN);
  EXPECT_EQ(evalError(underflow),
            "op #1 (min) needs two operands, the stack has 1");
  Expr invalid = constant(1);
  invalid.mutable_ops(0)->set_opcode(ExprOp::OPCODE_INVALID);
  EXPECT_EQ(evalError(invalid), "op #0 has an invalid opcode (0)");
}

TEST(EngineExpr, WellFormed) {
  EXPECT_TRUE(checkExpr(constant(3), 0).ok());
  EXPECT_TRUE(checkExpr(dimTimes(3, 2), 4).ok());
  EXPECT_EQ(checkExpr(dimTimes(4, 2), 4).message(),
            "op #0 reads dim 4, out of range (4 dims)");
  EXPECT_EQ(checkExpr(Expr(), 4).message(), "empty expression");
  Expr two = constant(1);
  pushConst(two, 2);
  EXPECT_EQ(checkExpr(two, 0).message(),
            "the expression leaves 2 values on the stack, not 1");
  // Checking is structural: a formula that overflows for some dims is
  // well-formed; evaluation refuses those dims.
  EXPECT_TRUE(checkExpr(binary(INT64_MAX, 1, ExprOp::ADD), 0).ok());
}

TEST(EngineExpr, ShapeProgram) {
  ShapeProgram p;
  p.set_num_input_symbols(2);
  *p.add_derived() = dimTimes(1, 2);
  Expr sum;
  pushDim(sum, 0);
  pushDim(sum, 2);
  apply(sum, ExprOp::ADD);
  *p.add_derived() = sum;
  Expected<std::vector<int64_t>> s = evaluateShapeProgram(p, {3, 5});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(*s, (std::vector<int64_t>{3, 5, 10, 13}));
  EXPECT_EQ(evaluateShapeProgram(p, {3}).message(),
            "the shape program takes 2 input symbols, 1 given");
  EXPECT_EQ(evaluateShapeProgram(p, {3, INT64_MAX}).message(),
            "symbol #2: op #2 (mul) of 9223372036854775807 and 2 overflows "
            "int64");
}

} // namespace
