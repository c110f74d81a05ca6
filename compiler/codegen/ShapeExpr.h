//===- ShapeExpr.h - Launch formulas over run-time dims ---------*- C++ -*-===//
//
// A kernel's grid, dynamic shared memory and workspace, and the problem sizes
// its body derives, are functions of the run-time dims of its group's
// tensors. A ShapeExpr is such a function, kept as data: the engine stores
// it, the runtime evaluates it for the actual shapes (no compiler at run
// time), and the emitter prints the same expression as C++ for the kernel
// body, so host and device can never disagree.
//
// Dims are numbered by the kernel's dims table: the shapes of the group's
// inputs, then of its results, concatenated in order (`dim(k)` is entry k).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_SHAPEEXPR_H
#define KILN_COMPILER_CODEGEN_SHAPEEXPR_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::codegen {

class ShapeExpr {
public:
  enum class Kind { Constant, Dim, Add, Sub, Mul, CeilDiv, FloorDiv, Min, Max };

  ShapeExpr() : ShapeExpr(int64_t(0)) {}
  /*implicit*/ ShapeExpr(int64_t value);
  static ShapeExpr dim(unsigned index);

  Kind kind() const { return node->kind; }
  /// The value for the dims table, or nullopt on overflow, division by a
  /// non-positive value, or a dim index out of range.
  std::optional<int64_t> evaluate(const std::vector<int64_t> &dims) const;
  /// The constant value if the expression has no dims.
  std::optional<int64_t> constantValue() const;
  /// C++ over `table` (e.g. "d.v" for `d.v[k]`), with kiln::kernels::ceilDiv.
  std::string toCpp(const std::string &table) const;
  /// Readable form: d3 * d4, ceildiv(d0, 128), ...
  std::string toString() const;

  friend ShapeExpr operator+(const ShapeExpr &a, const ShapeExpr &b);
  friend ShapeExpr operator-(const ShapeExpr &a, const ShapeExpr &b);
  friend ShapeExpr operator*(const ShapeExpr &a, const ShapeExpr &b);
  friend ShapeExpr ceilDiv(const ShapeExpr &a, const ShapeExpr &b);
  friend ShapeExpr floorDiv(const ShapeExpr &a, const ShapeExpr &b);
  friend ShapeExpr min(const ShapeExpr &a, const ShapeExpr &b);
  friend ShapeExpr max(const ShapeExpr &a, const ShapeExpr &b);

private:
  struct Node {
    Kind kind;
    int64_t value = 0; // Constant: the value; Dim: the index.
    std::shared_ptr<const Node> lhs, rhs;
  };
  explicit ShapeExpr(std::shared_ptr<const Node> node)
      : node(std::move(node)) {}
  static ShapeExpr binary(Kind kind, const ShapeExpr &a, const ShapeExpr &b);
  std::string print(const std::string *table) const;

  std::shared_ptr<const Node> node;
};

/// The product of `exprs` (1 when empty).
ShapeExpr product(const std::vector<ShapeExpr> &exprs);

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_SHAPEEXPR_H
