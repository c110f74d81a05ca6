//===- ShapeExpr.cpp - Launch formulas over run-time dims -----------------===//

#include "compiler/codegen/ShapeExpr.h"

namespace kiln::codegen {

ShapeExpr::ShapeExpr(int64_t value)
    : node(std::make_shared<const Node>(Node{Kind::Constant, value, {}, {}})) {}

ShapeExpr ShapeExpr::dim(unsigned index) {
  return ShapeExpr(std::make_shared<const Node>(
      Node{Kind::Dim, static_cast<int64_t>(index), {}, {}}));
}

ShapeExpr ShapeExpr::binary(Kind kind, const ShapeExpr &a, const ShapeExpr &b) {
  // Fold constants so printed formulas stay short; evaluation is unchanged.
  std::optional<int64_t> x = a.constantValue(), y = b.constantValue();
  if (x && y) {
    ShapeExpr folded =
        ShapeExpr(std::make_shared<const Node>(Node{kind, 0, a.node, b.node}));
    if (std::optional<int64_t> v = folded.evaluate({}))
      return ShapeExpr(*v);
    return folded;
  }
  if (kind == Kind::Mul && ((x && *x == 1) || (y && *y == 1)))
    return x ? b : a;
  if (kind == Kind::Add && ((x && *x == 0) || (y && *y == 0)))
    return x ? b : a;
  if ((kind == Kind::CeilDiv || kind == Kind::FloorDiv) && y && *y == 1)
    return a;
  return ShapeExpr(std::make_shared<const Node>(Node{kind, 0, a.node, b.node}));
}

ShapeExpr operator+(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::Add, a, b);
}
ShapeExpr operator-(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::Sub, a, b);
}
ShapeExpr operator*(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::Mul, a, b);
}
ShapeExpr ceilDiv(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::CeilDiv, a, b);
}
ShapeExpr floorDiv(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::FloorDiv, a, b);
}
ShapeExpr min(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::Min, a, b);
}
ShapeExpr max(const ShapeExpr &a, const ShapeExpr &b) {
  return ShapeExpr::binary(ShapeExpr::Kind::Max, a, b);
}

ShapeExpr product(const std::vector<ShapeExpr> &exprs) {
  ShapeExpr result(int64_t(1));
  for (const ShapeExpr &e : exprs)
    result = result * e;
  return result;
}

std::optional<int64_t> ShapeExpr::constantValue() const {
  if (node->kind == Kind::Constant)
    return node->value;
  if (node->kind == Kind::Dim)
    return std::nullopt;
  ShapeExpr lhs(node->lhs), rhs(node->rhs);
  if (!lhs.constantValue() || !rhs.constantValue())
    return std::nullopt;
  return evaluate({});
}

std::optional<int64_t>
ShapeExpr::evaluate(const std::vector<int64_t> &dims) const {
  switch (node->kind) {
  case Kind::Constant:
    return node->value;
  case Kind::Dim:
    if (node->value < 0 || static_cast<size_t>(node->value) >= dims.size())
      return std::nullopt;
    return dims[node->value];
  default:
    break;
  }
  std::optional<int64_t> a = ShapeExpr(node->lhs).evaluate(dims);
  std::optional<int64_t> b = ShapeExpr(node->rhs).evaluate(dims);
  if (!a || !b)
    return std::nullopt;
  int64_t r = 0;
  switch (node->kind) {
  case Kind::Add:
    if (__builtin_add_overflow(*a, *b, &r))
      return std::nullopt;
    return r;
  case Kind::Sub:
    if (__builtin_sub_overflow(*a, *b, &r))
      return std::nullopt;
    return r;
  case Kind::Mul:
    if (__builtin_mul_overflow(*a, *b, &r))
      return std::nullopt;
    return r;
  case Kind::CeilDiv:
    if (*b <= 0 || *a < 0)
      return std::nullopt;
    return *a / *b + (*a % *b != 0);
  case Kind::FloorDiv:
    if (*b <= 0 || *a < 0)
      return std::nullopt;
    return *a / *b;
  case Kind::Min:
    return *a < *b ? *a : *b;
  case Kind::Max:
    return *a > *b ? *a : *b;
  default:
    return std::nullopt;
  }
}

std::string ShapeExpr::print(const std::string *table) const {
  switch (node->kind) {
  case Kind::Constant:
    return std::to_string(node->value) + (table ? "LL" : "");
  case Kind::Dim:
    return table ? *table + "[" + std::to_string(node->value) + "]"
                 : "d" + std::to_string(node->value);
  default:
    break;
  }
  std::string a = ShapeExpr(node->lhs).print(table);
  std::string b = ShapeExpr(node->rhs).print(table);
  switch (node->kind) {
  case Kind::Add:
    return "(" + a + " + " + b + ")";
  case Kind::Sub:
    return "(" + a + " - " + b + ")";
  case Kind::Mul:
    return a + " * " + b;
  case Kind::CeilDiv:
    return (table ? "kiln::kernels::ceilDiv(" : "ceildiv(") + a + ", " + b +
           ")";
  case Kind::FloorDiv:
    return "(" + a + ") / (" + b + ")";
  case Kind::Min:
    return (table ? "::min(" : "min(") + a + ", " + b + ")";
  case Kind::Max:
    return (table ? "::max(" : "max(") + a + ", " + b + ")";
  default:
    return "?";
  }
}

std::string ShapeExpr::toCpp(const std::string &table) const {
  return print(&table);
}

std::string ShapeExpr::toString() const { return print(nullptr); }

} // namespace kiln::codegen
