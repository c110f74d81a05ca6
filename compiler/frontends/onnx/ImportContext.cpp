//===- ImportContext.cpp - Node access, attributes, safe op building ------===//

#include "compiler/frontends/onnx/ImportContext.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

ImportContext::ImportContext(MLIRContext &context, const ImportOptions &options,
                             llvm::StringRef externalDataDir)
    : context(context), builder(&context), options(options),
      externalDataDir(externalDataDir.str()),
      currentLoc(UnknownLoc::get(&context)) {}

std::optional<int64_t> ImportContext::getOpset(llvm::StringRef domain) const {
  if (domain == "ai.onnx")
    domain = "";
  auto it = opsets.find(domain);
  if (it == opsets.end())
    return std::nullopt;
  return it->second;
}

/// How diagnostics name a node: by its name, or by its first output when
/// exporters left the name empty.
static std::string describeNode(const onnx::NodeProto &node) {
  std::string text = node.op_type();
  if (!node.name().empty())
    return text + " node '" + node.name() + "'";
  if (node.output_size() && !node.output(0).empty())
    return text + " node producing '" + node.output(0) + "'";
  return text + " node (unnamed)";
}

void ImportContext::beginNode(const onnx::NodeProto &node, int64_t opset) {
  currentNode = &node;
  currentOpset = opset;
  std::string name = node.name();
  if (name.empty() && node.output_size())
    name = node.output(0);
  currentLoc = NameLoc::get(StringAttr::get(&context, name));
}

InFlightDiagnostic ImportContext::emitError() {
  InFlightDiagnostic diag = mlir::emitError(currentLoc);
  diag << describeNode(node()) << ": ";
  return diag;
}

InFlightDiagnostic ImportContext::emitError(Location loc) {
  return mlir::emitError(loc);
}

//===----------------------------------------------------------------------===//
// Inputs and outputs
//===----------------------------------------------------------------------===//

bool ImportContext::hasInput(int64_t index) const {
  return index < node().input_size() && !node().input(index).empty();
}

FailureOr<Value> ImportContext::input(int64_t index) {
  if (!hasInput(index))
    return emitError() << "missing required input #" << index;
  Value value = lookup(node().input(index));
  if (!value)
    return emitError() << "input '" << node().input(index)
                       << "' is not defined by any node, initializer or graph "
                          "input";
  return value;
}

Value ImportContext::optionalInput(int64_t index) {
  if (!hasInput(index))
    return {};
  return lookup(node().input(index));
}

bool ImportContext::hasOutput(int64_t index) const {
  return index < node().output_size() && !node().output(index).empty();
}

Type ImportContext::refineWith(Type type, Type hint) const {
  auto current = dyn_cast<RankedTensorType>(type);
  auto declared = dyn_cast_or_null<RankedTensorType>(hint);
  if (!current || !declared || current.getRank() != declared.getRank() ||
      current.getElementType() != declared.getElementType())
    return type;
  SmallVector<int64_t> shape(current.getShape());
  for (auto [dim, declaredDim] : llvm::zip(shape, declared.getShape())) {
    if (!areCompatibleDims(dim, declaredDim))
      return type; // The model contradicts itself; trust the inference.
    if (ShapedType::isDynamic(dim))
      dim = declaredDim;
  }
  return RankedTensorType::get(shape, current.getElementType());
}

LogicalResult ImportContext::setOutput(int64_t index, Value value) {
  if (!hasOutput(index))
    return success();
  llvm::StringRef name = node().output(index);
  Type hint = typeHints.lookup(name);
  Operation *op = value.getDefiningOp();
  Type refined = refineWith(value.getType(), hint);
  // Only a fresh result is refined: its op verifies the new type alone, and
  // no user has seen the old one yet.
  if (refined != value.getType() && op && value.use_empty() &&
      isa<KilnDialect>(op->getDialect())) {
    Type old = value.getType();
    value.setType(refined);
    ScopedDiagnosticHandler silence(&context,
                                    [](Diagnostic &) { return success(); });
    if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
      value.setType(old);
  }
  define(name, value);
  return success();
}

LogicalResult ImportContext::rejectOutputsFrom(int64_t index,
                                               llvm::StringRef why) {
  for (int64_t i = index; i < numOutputs(); ++i)
    if (hasOutput(i))
      return emitError() << "output #" << i << " ('" << node().output(i)
                         << "') is not supported: " << why;
  return success();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *
ImportContext::findAttr(llvm::StringRef name) const {
  for (const onnx::AttributeProto &attr : node().attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

/// Old exporters leave `type` unset; the populated field tells then.
static onnx::AttributeProto::AttributeType
attributeType(const onnx::AttributeProto &attr) {
  if (attr.type() != onnx::AttributeProto::UNDEFINED)
    return attr.type();
  if (attr.has_f())
    return onnx::AttributeProto::FLOAT;
  if (attr.has_i())
    return onnx::AttributeProto::INT;
  if (attr.has_s())
    return onnx::AttributeProto::STRING;
  if (attr.has_t())
    return onnx::AttributeProto::TENSOR;
  if (attr.floats_size())
    return onnx::AttributeProto::FLOATS;
  if (attr.ints_size())
    return onnx::AttributeProto::INTS;
  return onnx::AttributeProto::UNDEFINED;
}

/// Checks `attr` has `expected` type, else reports it at the node.
static LogicalResult
checkAttrType(ImportContext &ctx, const onnx::AttributeProto &attr,
              onnx::AttributeProto::AttributeType expected) {
  onnx::AttributeProto::AttributeType actual = attributeType(attr);
  if (actual == expected)
    return success();
  return ctx.emitError() << "attribute '" << attr.name() << "' must be "
                         << onnx::AttributeProto::AttributeType_Name(expected)
                         << ", got "
                         << onnx::AttributeProto::AttributeType_Name(actual);
}

FailureOr<int64_t> ImportContext::getInt(llvm::StringRef name,
                                         int64_t defaultValue) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return defaultValue;
  if (failed(checkAttrType(*this, *attr, onnx::AttributeProto::INT)))
    return failure();
  return static_cast<int64_t>(attr->i());
}

FailureOr<int64_t> ImportContext::getRequiredInt(llvm::StringRef name) {
  if (!findAttr(name))
    return emitError() << "missing required attribute '" << name << "'";
  return getInt(name, 0);
}

FailureOr<double> ImportContext::getFloat(llvm::StringRef name,
                                          double defaultValue) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return defaultValue;
  if (failed(checkAttrType(*this, *attr, onnx::AttributeProto::FLOAT)))
    return failure();
  return static_cast<double>(attr->f());
}

FailureOr<std::string> ImportContext::getString(llvm::StringRef name,
                                                llvm::StringRef defaultValue) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return defaultValue.str();
  if (failed(checkAttrType(*this, *attr, onnx::AttributeProto::STRING)))
    return failure();
  return attr->s();
}

FailureOr<SmallVector<int64_t>>
ImportContext::getInts(llvm::StringRef name, ArrayRef<int64_t> defaultValue) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return SmallVector<int64_t>(defaultValue);
  if (failed(checkAttrType(*this, *attr, onnx::AttributeProto::INTS)))
    return failure();
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

FailureOr<SmallVector<double>> ImportContext::getFloats(llvm::StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return SmallVector<double>();
  if (failed(checkAttrType(*this, *attr, onnx::AttributeProto::FLOATS)))
    return failure();
  return SmallVector<double>(attr->floats().begin(), attr->floats().end());
}

FailureOr<const onnx::TensorProto *>
ImportContext::getTensorAttr(llvm::StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return emitError() << "missing required attribute '" << name << "'";
  if (failed(checkAttrType(*this, *attr, onnx::AttributeProto::TENSOR)))
    return failure();
  return &attr->t();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// The bytes behind a resource-backed constant, for the rare importer that
/// needs the values of a large integer tensor.
static std::optional<ArrayRef<char>> resourceBytes(ElementsAttr attr) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return std::nullopt;
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

std::optional<SmallVector<int64_t>>
ImportContext::getConstantInts(Value value) const {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  ElementsAttr attr = constant.getValue();
  auto element = dyn_cast<IntegerType>(attr.getElementType());
  if (!element)
    return std::nullopt;
  SmallVector<int64_t> result;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      result.push_back(element.getWidth() == 1 ? v.getZExtValue()
                                               : v.getSExtValue());
    return result;
  }
  std::optional<ArrayRef<char>> bytes = resourceBytes(attr);
  if (!bytes)
    return std::nullopt;
  int64_t count = cast<ShapedType>(attr.getType()).getNumElements();
  for (int64_t i = 0; i < count; ++i) {
    switch (element.getWidth()) {
    case 64:
      result.push_back(reinterpret_cast<const int64_t *>(bytes->data())[i]);
      break;
    case 32:
      result.push_back(reinterpret_cast<const int32_t *>(bytes->data())[i]);
      break;
    case 8:
      result.push_back(reinterpret_cast<const int8_t *>(bytes->data())[i]);
      break;
    default:
      result.push_back(bytes->data()[i] != 0);
      break;
    }
  }
  return result;
}

std::optional<SmallVector<double>>
ImportContext::getConstantFloats(Value value) const {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(constant.getValue())) {
    SmallVector<double> result;
    for (const APFloat &v : dense.getValues<APFloat>()) {
      APFloat wide = v;
      bool lost = false;
      wide.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      result.push_back(wide.convertToDouble());
    }
    return result;
  }
  if (std::optional<SmallVector<int64_t>> ints = getConstantInts(value))
    return SmallVector<double>(ints->begin(), ints->end());
  return std::nullopt;
}

std::optional<double> ImportContext::getConstantScalar(Value value) const {
  std::optional<SmallVector<double>> values = getConstantFloats(value);
  if (!values || values->size() != 1)
    return std::nullopt;
  return values->front();
}

FailureOr<SmallVector<int64_t>>
ImportContext::requireConstantInts(int64_t index, llvm::StringRef what) {
  KILN_TRY(Value, value, input(index));
  std::optional<SmallVector<int64_t>> ints = getConstantInts(value);
  if (!ints)
    return emitError() << what << " (input #" << index << " '"
                       << node().input(index)
                       << "') must be a constant integer tensor";
  return *ints;
}

Value ImportContext::constantI64(ArrayRef<int64_t> values,
                                 std::optional<ArrayRef<int64_t>> shape) {
  SmallVector<int64_t> dims =
      shape ? SmallVector<int64_t>(*shape)
            : SmallVector<int64_t>{static_cast<int64_t>(values.size())};
  auto type = RankedTensorType::get(dims, builder.getI64Type());
  auto attr = DenseIntElementsAttr::get(type, values);
  return builder.create<ConstantOp>(currentLoc, type, attr);
}

Value ImportContext::splatConstant(RankedTensorType type, double value) {
  Type element = type.getElementType();
  Attribute scalar;
  if (isa<FloatType>(element))
    scalar = builder.getFloatAttr(element, value);
  else
    // Values reach here as doubles: INT64_MAX (a common "to the end")
    // rounds to 2^63, which saturates back; NaN becomes 0.
    scalar = builder.getIntegerAttr(
        element, std::isnan(value) ? 0
                                   : toInt64(value).value_or(
                                         value < 0 ? INT64_MIN : INT64_MAX));
  auto attr = DenseElementsAttr::get(type, scalar);
  return builder.create<ConstantOp>(currentLoc, type, attr);
}

Value ImportContext::scalarConstant(Type elementType, double value) {
  return splatConstant(RankedTensorType::get({}, elementType), value);
}

//===----------------------------------------------------------------------===//
// Building ops
//===----------------------------------------------------------------------===//

FailureOr<Value> ImportContext::finishOp(Operation *op, Type explicitType) {
  // Diagnostics of inference and verification come out as errors of the
  // ONNX node, which is what the user can act on.
  SmallVector<std::string> errors;
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler collect(&context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        errors.push_back(diag.str());
      return success();
    });
    if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
      SmallVector<Type> inferred;
      result = infer.inferReturnTypes(&context, op->getLoc(), op->getOperands(),
                                      op->getRawDictionaryAttrs(),
                                      op->getPropertiesStorage(),
                                      op->getRegions(), inferred);
      if (succeeded(result)) {
        for (auto [value, type] : llvm::zip(op->getResults(), inferred))
          value.setType(type);
        if (explicitType && op->getNumResults() == 1)
          op->getResult(0).setType(refineWith(inferred[0], explicitType));
      }
    } else if (explicitType) {
      op->getResult(0).setType(explicitType);
    } else if (op->getNumOperands()) {
      // Same-type ops (unary elementwise, softmax, norms).
      op->getResult(0).setType(op->getOperand(0).getType());
    }
    if (succeeded(result))
      result = mlir::verify(op, /*verifyRecursively=*/false);
  }
  if (succeeded(result)) {
    if (Value folded = foldConstants(op))
      return folded;
    return op->getResult(0);
  }
  op->erase();
  InFlightDiagnostic diag = emitError();
  if (errors.empty())
    diag << "could not build '" << op->getName() << "'";
  for (auto [i, error] : llvm::enumerate(errors))
    diag << (i ? "; " : "") << error;
  return failure();
}

Value ImportContext::foldConstants(Operation *op) {
  // Only ops over literals: the shape arithmetic exporters emit. Folding
  // anything else would change nothing a later pass could not do.
  if (op->getNumResults() != 1 || op->getNumOperands() == 0 ||
      llvm::any_of(op->getOperands(), [](Value operand) {
        auto constant = operand.getDefiningOp<ConstantOp>();
        return !constant || !isa<DenseElementsAttr>(constant.getValue());
      }))
    return {};
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(folded)) || folded.size() != 1)
    return {};
  Type type = op->getResult(0).getType();
  if (auto value = dyn_cast<Value>(folded[0])) {
    if (value.getType() != type)
      return {};
    op->erase();
    return value;
  }
  auto attr = dyn_cast<DenseElementsAttr>(cast<Attribute>(folded[0]));
  if (!attr || attr.getType() != type)
    return {};
  op->erase();
  return builder.create<ConstantOp>(currentLoc, type, attr).getResult();
}

FailureOr<int64_t> ImportContext::normalizeAxis(int64_t axis, int64_t rank,
                                                llvm::StringRef what) {
  if (axis < -rank || axis >= rank || (rank == 0 && axis != 0))
    return emitError() << what << " " << axis << " is out of range for rank "
                       << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>>
ImportContext::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank,
                             llvm::StringRef what) {
  SmallVector<int64_t> result;
  llvm::SmallSet<int64_t, 8> seen;
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank)
      return emitError() << what << " value " << axis
                         << " is out of range for rank " << rank;
    int64_t normalized = axis < 0 ? axis + rank : axis;
    if (!seen.insert(normalized).second)
      return emitError() << what << " name dim " << normalized << " twice";
    result.push_back(normalized);
  }
  return result;
}

FailureOr<Value> ImportContext::reshape(Value input,
                                        ArrayRef<ShapeEntry> dims) {
  RankedTensorType inputType = tensorType(input);
  SmallVector<int64_t> shape;
  for (const ShapeEntry &entry : dims) {
    if (entry.isConstant() && entry.value < 0)
      return emitError() << "cannot reshape to a negative dim size "
                         << entry.value;
    shape.push_back(entry.staticSize());
  }
  auto type = RankedTensorType::get(shape, inputType.getElementType());
  // Same type with at most one dynamic dim, or the input's own dims: the
  // identity.
  if (type == inputType &&
      (type.getNumDynamicDims() <= 1 || llvm::equal(dims, dimsOf(input))))
    return input;
  if (inputType.hasStaticShape() && type.hasStaticShape() &&
      inputType.getNumElements() != type.getNumElements())
    return emitError() << "cannot reshape " << formatShape(inputType.getShape())
                       << " to " << formatShape(shape)
                       << ": element counts differ";
  // Reshaping a literal is a literal: folders and shape tracking see it.
  if (auto constant = input.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
        dense && type.hasStaticShape())
      return builder.create<ConstantOp>(currentLoc, type, dense.reshape(type))
          .getResult();
  Value shapeOperand;
  if (type.getNumDynamicDims() > 1) {
    KILN_TRY(Value, computed, materializeShape(dims));
    shapeOperand = computed;
  }
  return createTyped<ReshapeOp>(type, input, shapeOperand);
}

FailureOr<Value> ImportContext::unsqueeze(Value input, ArrayRef<int64_t> axes) {
  int64_t rank = tensorType(input).getRank() + axes.size();
  KILN_TRY(SmallVector<int64_t>, normalized,
           normalizeAxes(axes, rank, "unsqueeze axes"));
  llvm::SmallSet<int64_t, 8> inserted;
  inserted.insert(normalized.begin(), normalized.end());
  SmallVector<ShapeEntry> dims;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    dims.push_back(inserted.contains(d) ? ShapeEntry::constant(1)
                                        : ShapeEntry::dimOf(input, next++));
  return reshape(input, dims);
}

FailureOr<Value> ImportContext::squeeze(Value input, ArrayRef<int64_t> axes) {
  RankedTensorType type = tensorType(input);
  KILN_TRY(SmallVector<int64_t>, normalized,
           normalizeAxes(axes, type.getRank(), "squeeze axes"));
  llvm::SmallSet<int64_t, 8> removed;
  removed.insert(normalized.begin(), normalized.end());
  SmallVector<ShapeEntry> dims;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!removed.contains(d)) {
      dims.push_back(ShapeEntry::dimOf(input, d));
      continue;
    }
    if (!type.isDynamicDim(d) && type.getDimSize(d) != 1)
      return emitError() << "cannot squeeze dim " << d << " of size "
                         << type.getDimSize(d);
  }
  return reshape(input, dims);
}

FailureOr<Value> ImportContext::transpose(Value input,
                                          ArrayRef<int64_t> permutation) {
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, static_cast<int64_t>(
                                                         permutation.size()))))
    return input;
  return create<TransposeOp>(input, permutation);
}

FailureOr<Value> ImportContext::castElements(Value input, Type elementType) {
  RankedTensorType type = tensorType(input);
  if (type.getElementType() == elementType)
    return input;
  // Integer literals (shapes, axes) convert here, so they stay readable.
  auto from = dyn_cast<IntegerType>(type.getElementType());
  auto to = dyn_cast<IntegerType>(elementType);
  if (auto constant = input.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue());
        dense && from && to && from.getWidth() > 1 && to.getWidth() > 1) {
      auto converted = dense.mapValues(
          to, [&](const APInt &v) { return v.sextOrTrunc(to.getWidth()); });
      return builder
          .create<ConstantOp>(currentLoc, type.clone(elementType), converted)
          .getResult();
    }
  return createTyped<CastOp>(type.clone(elementType), input);
}

FailureOr<Value> ImportContext::channelVector(Value vector,
                                              int64_t spatialRank) {
  RankedTensorType type = tensorType(vector);
  if (type.getRank() != 1)
    return emitError() << "expected a 1-D per-channel tensor, got " << type;
  SmallVector<ShapeEntry> dims{ShapeEntry::dimOf(vector, 0)};
  dims.append(spatialRank, ShapeEntry::constant(1));
  return reshape(vector, dims);
}
