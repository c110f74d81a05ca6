//===- ImportContext.h - State shared by the ONNX op importers --*- C++ -*-===//
//
// One ImportContext lives for the import of one graph. The op importers see
// it as their whole world: the node being imported (its inputs, attributes
// and opset), the builder, and helpers that build kiln ops from user data
// without ever hitting a builder's fatal error (result types are inferred and
// verified before an op is kept; a failure is a diagnostic naming the node).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_FRONTENDS_ONNX_IMPORTCONTEXT_H
#define KILN_COMPILER_FRONTENDS_ONNX_IMPORTCONTEXT_H

#include "compiler/frontends/onnx/OnnxImporter.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>

namespace mlir::kiln::onnx_import {

/// What the importer knows about one element of a 1-D i64 tensor that holds
/// a shape (the `Shape -> Gather -> Concat -> Reshape` chains exporters
/// emit): a constant, a dim of some tensor, or an element only known at run
/// time. Reshape and Expand use it to keep dims static and to rebuild shape
/// operands with ONNX's 0/-1 conventions resolved.
struct ShapeEntry {
  enum class Kind { Constant, DimOf, DimProduct, Element };
  Kind kind = Kind::Constant;
  int64_t value = 0;
  /// DimOf: dim `begin` of `source`; DimProduct: the product of dims
  /// [begin, end) of `source`; Element: element `begin` of the 1-D i64
  /// tensor `source`.
  Value source;
  int64_t begin = 0, end = 0;

  static ShapeEntry constant(int64_t value) {
    return {Kind::Constant, value, {}, 0, 0};
  }
  /// The size of dim `dim` of `tensor`: a constant when the dim is static.
  static ShapeEntry dimOf(Value tensor, int64_t dim);
  /// The product of dims [begin, end) of `tensor`.
  static ShapeEntry dimProduct(Value tensor, int64_t begin, int64_t end);
  static ShapeEntry element(Value shapeTensor, int64_t index) {
    return {Kind::Element, 0, shapeTensor, index, index + 1};
  }
  bool isConstant() const { return kind == Kind::Constant; }
  /// The size a result type can carry: the constant or `?`.
  int64_t staticSize() const {
    return isConstant() ? value : ShapedType::kDynamic;
  }
  bool operator==(const ShapeEntry &other) const {
    return kind == other.kind && value == other.value &&
           source == other.source && begin == other.begin && end == other.end;
  }
};

class ImportContext {
public:
  ImportContext(MLIRContext &context, const ImportOptions &options,
                llvm::StringRef externalDataDir);

  MLIRContext *getContext() { return &context; }
  OpBuilder &getBuilder() { return builder; }
  const ImportOptions &getOptions() const { return options; }

  //===--------------------------------------------------------------------===//
  // Graph-level state (used by the model importer)
  //===--------------------------------------------------------------------===//

  /// ONNX names to values. An empty name stands for an absent optional input.
  void define(llvm::StringRef name, Value value) { values[name] = value; }
  Value lookup(llvm::StringRef name) const { return values.lookup(name); }
  bool isDefined(llvm::StringRef name) const { return values.count(name); }
  /// Types from value_info and graph outputs: results take them when they
  /// are compatible and more static than what the kiln op infers.
  void addTypeHint(llvm::StringRef name, Type type) { typeHints[name] = type; }
  void setOpsets(llvm::StringMap<int64_t> opsets) {
    this->opsets = std::move(opsets);
  }
  /// The opset the model imports for `domain` ("" and "ai.onnx" are one),
  /// or nullopt when it imports none.
  std::optional<int64_t> getOpset(llvm::StringRef domain) const;

  /// Makes `node` the one the node-level helpers below refer to.
  void beginNode(const onnx::NodeProto &node, int64_t opset);

  //===--------------------------------------------------------------------===//
  // The node being imported
  //===--------------------------------------------------------------------===//

  const onnx::NodeProto &node() const { return *currentNode; }
  int64_t opset() const { return currentOpset; }
  Location loc() const { return currentLoc; }

  /// An error about the current node; the message names it.
  InFlightDiagnostic emitError();
  /// An error about a tensor (initializer, graph input) outside any node.
  InFlightDiagnostic emitError(Location loc);

  /// The number of inputs the node lists, trailing empty ones included.
  int64_t numInputs() const { return node().input_size(); }
  /// Whether optional input `index` is given (listed and non-empty).
  bool hasInput(int64_t index) const;
  /// Required input `index`; an error when it is missing.
  FailureOr<Value> input(int64_t index);
  /// Optional input `index`, or null when it is absent.
  Value optionalInput(int64_t index);
  int64_t numOutputs() const { return node().output_size(); }
  /// Whether output `index` is requested (listed and non-empty).
  bool hasOutput(int64_t index) const;
  /// Binds output `index` to `value`, refining its type with what the model
  /// declares for that name when that is compatible and more static.
  LogicalResult setOutput(int64_t index, Value value);
  /// Fails with a clear error when the node asks for output `index` (or any
  /// after it), which the importer does not produce.
  LogicalResult rejectOutputsFrom(int64_t index, llvm::StringRef why);

  //===--------------------------------------------------------------------===//
  // Attributes of the current node, type-checked
  //===--------------------------------------------------------------------===//

  const onnx::AttributeProto *findAttr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return findAttr(name); }
  FailureOr<int64_t> getInt(llvm::StringRef name, int64_t defaultValue);
  FailureOr<int64_t> getRequiredInt(llvm::StringRef name);
  FailureOr<double> getFloat(llvm::StringRef name, double defaultValue);
  FailureOr<std::string> getString(llvm::StringRef name,
                                   llvm::StringRef defaultValue);
  /// An absent attribute gives `defaultValue`.
  FailureOr<SmallVector<int64_t>> getInts(llvm::StringRef name,
                                          ArrayRef<int64_t> defaultValue = {});
  FailureOr<SmallVector<double>> getFloats(llvm::StringRef name);
  FailureOr<const onnx::TensorProto *> getTensorAttr(llvm::StringRef name);

  //===--------------------------------------------------------------------===//
  // Constants
  //===--------------------------------------------------------------------===//

  /// The integer elements of `value` when a kiln.constant defines it.
  std::optional<SmallVector<int64_t>> getConstantInts(Value value) const;
  std::optional<SmallVector<double>> getConstantFloats(Value value) const;
  /// A constant input the node needs at import time (axes, pads, ...).
  FailureOr<SmallVector<int64_t>> requireConstantInts(int64_t index,
                                                      llvm::StringRef what);
  std::optional<double> getConstantScalar(Value value) const;

  /// A `dense<...>` i64 constant of `shape`, by default 1-D of the values'
  /// length.
  Value constantI64(ArrayRef<int64_t> values,
                    std::optional<ArrayRef<int64_t>> shape = std::nullopt);
  /// A rank-0 constant of `elementType` (bool, integer or float).
  Value scalarConstant(Type elementType, double value);
  /// A constant tensor of `type` with every element `value`.
  Value splatConstant(RankedTensorType type, double value);

  /// A tensor from the model (initializer, Constant node, attribute)
  /// becomes a kiln.constant: dense when small, a dense_resource blob
  /// otherwise. `what` names it in diagnostics.
  FailureOr<Value> importTensor(const onnx::TensorProto &tensor,
                                llvm::StringRef what, Location loc);
  /// Maps an ONNX element type to kiln's, or fails naming `what`.
  FailureOr<Type> convertElementType(int32_t onnxType, llvm::StringRef what,
                                     Location loc);

  //===--------------------------------------------------------------------===//
  // Building kiln ops safely
  //===--------------------------------------------------------------------===//

  /// Builds `OpTy` with an inferred result type (InferTypeOpInterface) or
  /// the first operand's type (same-type ops), then verifies it. An op that
  /// does not verify is erased and the failure reported at the node; an op
  /// over literals that folds is replaced by its folded value.
  template <typename OpTy, typename... Args>
  FailureOr<Value> create(Args &&...args) {
    auto op = builder.create<OpTy>(currentLoc, placeholderType(),
                                   std::forward<Args>(args)...);
    return finishOp(op.getOperation(), Type());
  }
  /// Builds `OpTy` with result type `type` (refining the inferred one when
  /// the op infers), then verifies it.
  template <typename OpTy, typename... Args>
  FailureOr<Value> createTyped(Type type, Args &&...args) {
    auto op = builder.create<OpTy>(currentLoc, type ? type : placeholderType(),
                                   std::forward<Args>(args)...);
    return finishOp(op.getOperation(), type);
  }

  /// For ops with several results: the caller passes placeholderType() for
  /// each result type; all are inferred, then the op is verified.
  template <typename OpTy, typename... Args>
  FailureOr<Operation *> createMultiResult(Args &&...args) {
    auto op = builder.create<OpTy>(currentLoc, std::forward<Args>(args)...);
    Operation *raw = op.getOperation();
    if (failed(finishOp(raw, Type())))
      return failure();
    return raw;
  }
  /// The result type an op is built with until inference replaces it.
  Type placeholderType() { return NoneType::get(&context); }

  //===--------------------------------------------------------------------===//
  // Compositions many importers share
  //===--------------------------------------------------------------------===//

  /// `axis` in [-rank, rank) made non-negative, or an error naming `what`.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                   llvm::StringRef what = "axis");
  FailureOr<SmallVector<int64_t>> normalizeAxes(ArrayRef<int64_t> axes,
                                                int64_t rank,
                                                llvm::StringRef what = "axes");

  /// Reshapes `input` to `dims`; with more than one dynamic dim the shape is
  /// computed at run time and passed as an operand.
  FailureOr<Value> reshape(Value input, ArrayRef<ShapeEntry> dims);
  /// Inserts size-1 dims at `axes`, positions in the result as in ONNX
  /// Unsqueeze (negative ones count from the result's end).
  FailureOr<Value> unsqueeze(Value input, ArrayRef<int64_t> axes);
  FailureOr<Value> squeeze(Value input, ArrayRef<int64_t> axes);
  FailureOr<Value> transpose(Value input, ArrayRef<int64_t> permutation);
  FailureOr<Value> castElements(Value input, Type elementType);
  /// A per-channel vector [C] reshaped to broadcast against NC...:
  /// [C, 1, 1] for two spatial dims.
  FailureOr<Value> channelVector(Value vector, int64_t spatialRank);

  /// The entries of a 1-D i64 tensor as far as they are known at import
  /// time, or nullopt when nothing is known.
  std::optional<SmallVector<ShapeEntry>> getShapeEntries(Value value) const;
  void setShapeEntries(Value value, SmallVector<ShapeEntry> entries) {
    shapeEntries[value] = std::move(entries);
  }
  /// A 1-D i64 tensor holding `entries`, computed at run time from shape_of
  /// where an entry is not a constant.
  FailureOr<Value> materializeShape(ArrayRef<ShapeEntry> entries);
  /// The dims of `tensor` as entries.
  SmallVector<ShapeEntry> dimsOf(Value tensor);

private:
  FailureOr<Value> finishOp(Operation *op, Type explicitType);
  /// The folded value of `op` when its operands are all literals, or null;
  /// `op` is erased when it folds.
  Value foldConstants(Operation *op);
  /// Refines `type` with the static dims of `hint` when compatible.
  Type refineWith(Type type, Type hint) const;
  FailureOr<Value> materializeEntry(const ShapeEntry &entry);
  FailureOr<Value> shapeOf(Value tensor);

  MLIRContext &context;
  OpBuilder builder;
  const ImportOptions &options;
  std::string externalDataDir;
  llvm::StringMap<Value> values;
  llvm::StringMap<Type> typeHints;
  llvm::StringMap<int64_t> opsets;
  DenseMap<Value, SmallVector<ShapeEntry>> shapeEntries;
  DenseMap<Value, Value> shapeOfCache;
  DenseMap<std::pair<Value, int64_t>, Value> dimCache;

  const onnx::NodeProto *currentNode = nullptr;
  int64_t currentOpset = 0;
  Location currentLoc;
};

/// Declares `type name` from a FailureOr, returning failure (whose
/// diagnostic is already out) when there is none: importers are mostly
/// chains of such steps.
#define KILN_TRY(type, name, expr)                                             \
  auto name##OrFailure = (expr);                                               \
  if (failed(name##OrFailure))                                                 \
    return failure();                                                          \
  type name = std::move(*name##OrFailure)

/// The ranked tensor type of a value the importer built.
inline RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// `value` as an int64_t, or nullopt when it is NaN or out of range:
/// converting those is undefined behaviour, and model data can hold them.
inline std::optional<int64_t> toInt64(double value) {
  if (!(value >= -0x1p63 && value < 0x1p63))
    return std::nullopt;
  return static_cast<int64_t>(value);
}

} // namespace mlir::kiln::onnx_import

#endif // KILN_COMPILER_FRONTENDS_ONNX_IMPORTCONTEXT_H
