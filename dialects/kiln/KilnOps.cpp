//===- KilnOps.cpp - Kiln operations: verifiers, inference, folders -------===//

#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

#include <numeric>

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Diagnostics shared by verifiers and type inference
//===----------------------------------------------------------------------===//

/// Type inference runs both in the verifier (with a location) and in builders
/// (without); errors carry the op's name in the verifier's style.
template <typename... Args>
static LogicalResult inferError(std::optional<Location> loc, StringRef opName,
                                Args &&...args) {
  return emitOptionalError(loc, "'", opName, "' op ",
                           std::forward<Args>(args)...);
}

static std::string shapeOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return formatShape(tensor.getShape());
  return "unranked";
}

template <typename OpTy>
static LogicalResult verifyAxis(OpTy op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op.emitOpError()
           << "axis " << axis << " is out of range for rank " << rank;
  return success();
}

static LogicalResult checkAxis(std::optional<Location> loc, StringRef opName,
                               int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return inferError(loc, opName, "axis ", axis, " is out of range for rank ",
                      rank);
  return success();
}

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

/// `: T` when both operands and the result have type T, else
/// `: (T1, T2) -> T3`.
static ParseResult parseBroadcastTypes(OpAsmParser &parser, Type &lhs,
                                       Type &rhs, Type &result) {
  if (succeeded(parser.parseOptionalLParen())) {
    if (parser.parseType(lhs) || parser.parseComma() || parser.parseType(rhs) ||
        parser.parseRParen() || parser.parseArrow() || parser.parseType(result))
      return failure();
    return success();
  }
  if (parser.parseType(lhs))
    return failure();
  rhs = result = lhs;
  return success();
}

static void printBroadcastTypes(OpAsmPrinter &printer, Operation *, Type lhs,
                                Type rhs, Type result) {
  if (lhs == rhs && rhs == result) {
    printer << lhs;
    return;
  }
  printer << '(' << lhs << ", " << rhs << ") -> " << result;
}

int64_t SliceOp::defaultStart(int64_t step) {
  return step > 0 ? 0 : std::numeric_limits<int64_t>::max();
}

int64_t SliceOp::defaultEnd(int64_t step) {
  return step > 0 ? std::numeric_limits<int64_t>::max()
                  : std::numeric_limits<int64_t>::min();
}

/// Python slice syntax, one range per dim: `0:4, :, 1:-1:2, ::-1`.
static ParseResult parseSliceRanges(OpAsmParser &parser,
                                    DenseI64ArrayAttr &starts,
                                    DenseI64ArrayAttr &ends,
                                    DenseI64ArrayAttr &steps) {
  SmallVector<int64_t> startList, endList, stepList;
  auto parseRange = [&]() -> ParseResult {
    std::optional<int64_t> start, end, step;
    auto parseBound = [&](std::optional<int64_t> &bound) -> ParseResult {
      int64_t value = 0;
      OptionalParseResult result = parser.parseOptionalInteger(value);
      if (result.has_value()) {
        if (failed(*result))
          return failure();
        bound = value;
      }
      return success();
    };
    if (parseBound(start) || parser.parseColon() || parseBound(end))
      return failure();
    if (succeeded(parser.parseOptionalColon()) && parseBound(step))
      return failure();
    int64_t stepValue = step.value_or(1);
    startList.push_back(start.value_or(SliceOp::defaultStart(stepValue)));
    endList.push_back(end.value_or(SliceOp::defaultEnd(stepValue)));
    stepList.push_back(stepValue);
    return success();
  };
  // A rank-0 slice has no ranges: `%x[]`.
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::None, parseRange))
    return failure();
  MLIRContext *context = parser.getContext();
  starts = DenseI64ArrayAttr::get(context, startList);
  ends = DenseI64ArrayAttr::get(context, endList);
  steps = DenseI64ArrayAttr::get(context, stepList);
  return success();
}

static void printSliceRanges(OpAsmPrinter &printer, Operation *,
                             DenseI64ArrayAttr starts, DenseI64ArrayAttr ends,
                             DenseI64ArrayAttr steps) {
  for (int64_t i = 0, e = steps.size(); i < e; ++i) {
    if (i)
      printer << ", ";
    int64_t step = steps[i];
    if (i < starts.size() && starts[i] != SliceOp::defaultStart(step))
      printer << starts[i];
    printer << ':';
    if (i < ends.size() && ends[i] != SliceOp::defaultEnd(step))
      printer << ends[i];
    if (step != 1)
      printer << ':' << step;
  }
}

//===----------------------------------------------------------------------===//
// Type inference helpers used by the ODS-generated inferReturnTypes
//===----------------------------------------------------------------------===//

/// numpy broadcasting of two operands; the result element type is the
/// operands' unless `resultElement` is given (comparisons give i1).
static LogicalResult inferBroadcastType(std::optional<Location> loc,
                                        StringRef opName, Type lhs, Type rhs,
                                        Type resultElement,
                                        SmallVectorImpl<Type> &types) {
  auto lhsType = dyn_cast<RankedTensorType>(lhs);
  auto rhsType = dyn_cast<RankedTensorType>(rhs);
  if (!lhsType || !rhsType)
    return inferError(loc, opName, "operands must be ranked tensors");
  if (lhsType.getElementType() != rhsType.getElementType())
    return inferError(
        loc, opName, "operand element types differ: ", lhsType.getElementType(),
        " vs ", rhsType.getElementType());
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(lhsType.getShape(), rhsType.getShape(), shape)))
    return inferError(loc, opName, "operand shapes ", shapeOf(lhsType), " and ",
                      shapeOf(rhsType), " are not broadcast-compatible");
  types.push_back(RankedTensorType::get(
      shape, resultElement ? resultElement : lhsType.getElementType()));
  return success();
}

/// Shared by the reductions (axes) and arg-reductions (one axis).
static LogicalResult inferReductionType(std::optional<Location> loc,
                                        StringRef opName, Type input,
                                        ArrayRef<int64_t> axes, bool keepDims,
                                        Type resultElement,
                                        SmallVectorImpl<Type> &types) {
  auto inputType = dyn_cast<RankedTensorType>(input);
  if (!inputType)
    return inferError(loc, opName, "input must be a ranked tensor");
  if (axes.empty())
    return inferError(loc, opName, "axes must not be empty");
  int64_t rank = inputType.getRank();
  llvm::SmallSet<int64_t, 8> seen;
  for (int64_t axis : axes) {
    if (failed(checkAxis(loc, opName, axis, rank)))
      return failure();
    if (!seen.insert(axis).second)
      return inferError(loc, opName, "axis ", axis, " appears twice");
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!seen.contains(d))
      shape.push_back(inputType.getDimSize(d));
    else if (keepDims)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(
      shape, resultElement ? resultElement : inputType.getElementType()));
  return success();
}

namespace {
/// Where the channel and the first spatial dim of a rank-4 activation (or
/// the input-channel and first kernel dim of a filter) sit: NCHW/OIHW, or
/// NHWC/OHWI for ops with `channels_last`.
struct Layout4d {
  int64_t channel, spatial;
  explicit Layout4d(bool channelsLast)
      : channel(channelsLast ? 3 : 1), spatial(channelsLast ? 1 : 2) {}
};
} // namespace

static LogicalResult
inferPoolType(std::optional<Location> loc, StringRef opName, Type input,
              ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
              ArrayRef<int64_t> pads, bool ceilMode, bool channelsLast,
              SmallVectorImpl<Type> &types) {
  Layout4d layout(channelsLast);
  auto inputType = dyn_cast<RankedTensorType>(input);
  if (!inputType || inputType.getRank() != 4)
    return inferError(loc, opName, "input must be a rank-4 ",
                      channelsLast ? "NHWC" : "NCHW", " tensor, got ", input);
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4)
    return inferError(
        loc, opName, "expects 2 kernel sizes, 2 strides and 4 pads, got ",
        kernel.size(), ", ", strides.size(), " and ", pads.size());
  for (int i = 0; i < 2; ++i)
    if (kernel[i] < 1 || strides[i] < 1)
      return inferError(loc, opName,
                        "kernel sizes and strides must be positive");
  for (int i = 0; i < 4; ++i)
    if (pads[i] < 0 || pads[i] >= kernel[i % 2])
      return inferError(loc, opName,
                        "pads must be non-negative and smaller than the "
                        "kernel, got ",
                        pads[i], " for kernel size ", kernel[i % 2]);
  SmallVector<int64_t> shape(inputType.getShape());
  for (int i = 0; i < 2; ++i) {
    int64_t dim = layout.spatial + i;
    FailureOr<int64_t> size =
        windowOutputSize(inputType.getDimSize(dim), kernel[i], strides[i],
                         pads[i], pads[i + 2], /*dilation=*/1, ceilMode);
    if (failed(size))
      return inferError(loc, opName, "kernel does not fit the padded input ",
                        shapeOf(inputType));
    shape[dim] = *size;
  }
  types.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Folding data movement over small constants
//===----------------------------------------------------------------------===//

/// Data movement on constants folds only for small tensors (shape arithmetic,
/// masks); weights stay as they are rather than being duplicated.
static constexpr int64_t kMaxFoldedElements = 1 << 12;

/// Row-major strides of a static shape.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Builds a constant of `type` whose element at each multi-index is
/// `source(index)`, an element of some other constant.
static DenseElementsAttr
buildConstant(RankedTensorType type,
              function_ref<Attribute(ArrayRef<int64_t>)> source) {
  SmallVector<Attribute> values;
  values.reserve(type.getNumElements());
  SmallVector<int64_t> index(type.getRank(), 0);
  for (int64_t linear = 0, e = type.getNumElements(); linear < e; ++linear) {
    int64_t rest = linear;
    SmallVector<int64_t> strides = stridesOf(type.getShape());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      index[d] = rest / strides[d];
      rest %= strides[d];
    }
    values.push_back(source(index));
  }
  return DenseElementsAttr::get(type, values);
}

/// The element of a dense constant at a multi-index.
static Attribute elementAt(DenseElementsAttr attr, ArrayRef<int64_t> index) {
  auto type = cast<RankedTensorType>(attr.getType());
  if (attr.isSplat())
    return attr.getSplatValue<Attribute>();
  SmallVector<int64_t> strides = stridesOf(type.getShape());
  int64_t linear = 0;
  for (auto [i, stride] : llvm::zip(index, strides))
    linear += i * stride;
  return attr.getValues<Attribute>()[linear];
}

static bool isSmallStatic(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() &&
         tensor.getNumElements() <= kMaxFoldedElements;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// ClampOp
//===----------------------------------------------------------------------===//

LogicalResult ClampOp::verify() {
  auto toDouble = [](FloatAttr attr) -> std::optional<double> {
    if (!attr)
      return std::nullopt;
    return attr.getValueAsDouble();
  };
  std::optional<double> lo = toDouble(getMinAttr()),
                        hi = toDouble(getMaxAttr());
  if (lo && hi && *lo > *hi)
    return emitOpError() << "min " << *lo << " is greater than max " << *hi;
  if (isa<IntegerType>(getInput().getType().getElementType()))
    for (std::optional<double> bound : {lo, hi})
      if (bound && *bound != std::trunc(*bound))
        return emitOpError()
               << "bound " << *bound << " of an integer clamp must be integral";
  return success();
}

OpFoldResult ClampOp::fold(FoldAdaptor) {
  // Without bounds the op is the identity.
  if (!getMinAttr() && !getMaxAttr())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Binary ops: algebraic identities and constant folding
//===----------------------------------------------------------------------===//

/// Whether `attr` is a splat of exactly `value` (integers or floats).
static bool isSplatOf(Attribute attr, double value) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  Type element = splat.getElementType();
  if (isa<FloatType>(element))
    return splat.getSplatValue<APFloat>().convertToDouble() == value;
  if (element.isInteger(1))
    return false;
  if (isa<IntegerType>(element))
    return splat.getSplatValue<APInt>().getSExtValue() ==
           static_cast<int64_t>(value);
  return false;
}

/// `x op identity` folds to `x` only when it does not change the type (a
/// broadcast against the identity may grow the shape).
template <typename OpTy>
static OpFoldResult foldRightIdentity(OpTy op, Attribute rhs, double identity) {
  if (isSplatOf(rhs, identity) && op.getLhs().getType() == op.getType())
    return op.getLhs();
  return {};
}

/// Same-type constant operands fold elementwise; the shape subgraphs that
/// exporters emit are made of these over i64.
template <typename FloatFn, typename IntFn>
static OpFoldResult foldConstantBinary(ArrayRef<Attribute> operands,
                                       Type resultType, FloatFn floatFn,
                                       IntFn intFn) {
  auto tensorType = dyn_cast<RankedTensorType>(resultType);
  if (!tensorType || !tensorType.hasStaticShape() || operands.size() != 2 ||
      !operands[0] || !operands[1])
    return {};
  auto lhs = dyn_cast<DenseElementsAttr>(operands[0]);
  auto rhs = dyn_cast<DenseElementsAttr>(operands[1]);
  if (!lhs || !rhs || lhs.getType() != tensorType ||
      rhs.getType() != tensorType)
    return {};
  Type element = tensorType.getElementType();
  if (isa<FloatType>(element))
    return constFoldBinaryOp<FloatAttr, APFloat, void>(operands, floatFn);
  if (isa<IntegerType>(element) && !element.isInteger(1))
    return constFoldBinaryOp<IntegerAttr, APInt, void>(operands, intFn);
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult identity = foldRightIdentity(*this, adaptor.getRhs(), 0))
    return identity;
  return foldConstantBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a + b; },
      [](const APInt &a, const APInt &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult identity = foldRightIdentity(*this, adaptor.getRhs(), 0))
    return identity;
  return foldConstantBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a - b; },
      [](const APInt &a, const APInt &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult identity = foldRightIdentity(*this, adaptor.getRhs(), 1))
    return identity;
  return foldConstantBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a * b; },
      [](const APInt &a, const APInt &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult identity = foldRightIdentity(*this, adaptor.getRhs(), 1))
    return identity;
  // Integer division by zero is left for run time to report, not folded.
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(adaptor.getRhs());
  if (rhs && isa<IntegerType>(rhs.getElementType()) &&
      llvm::any_of(rhs.getValues<APInt>(),
                   [](const APInt &v) { return v.isZero(); }))
    return {};
  return foldConstantBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a / b; },
      [](const APInt &a, const APInt &b) { return a.sdiv(b); });
}

//===----------------------------------------------------------------------===//
// WhereOp
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto cond = dyn_cast<RankedTensorType>(adaptor.getCondition().getType());
  auto lhs = dyn_cast<RankedTensorType>(adaptor.getTrueValue().getType());
  auto rhs = dyn_cast<RankedTensorType>(adaptor.getFalseValue().getType());
  if (!cond || !lhs || !rhs)
    return inferError(loc, name, "operands must be ranked tensors");
  if (lhs.getElementType() != rhs.getElementType())
    return inferError(loc, name,
                      "value element types differ: ", lhs.getElementType(),
                      " vs ", rhs.getElementType());
  SmallVector<int64_t> values, all;
  if (failed(broadcastShapes(lhs.getShape(), rhs.getShape(), values)) ||
      failed(broadcastShapes(cond.getShape(), values, all)))
    return inferError(loc, name, "operand shapes ", shapeOf(cond), ", ",
                      shapeOf(lhs), " and ", shapeOf(rhs),
                      " are not broadcast-compatible");
  types.push_back(RankedTensorType::get(all, lhs.getElementType()));
  return success();
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto cond = dyn_cast_or_null<SplatElementsAttr>(adaptor.getCondition());
  if (!cond)
    return {};
  Value chosen = cond.getSplatValue<bool>() ? getTrueValue() : getFalseValue();
  return chosen.getType() == getType() ? chosen : OpFoldResult();
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

/// `scale` (and `bias`) must have the shape of the input's dims from `axis`.
template <typename OpTy>
static LogicalResult verifyNormalization(OpTy op, Value scale, Value bias) {
  RankedTensorType inputType = op.getInput().getType();
  if (failed(verifyAxis(op, op.getAxis(), inputType.getRank())))
    return failure();
  if (op.getEpsilon().isNegative())
    return op.emitOpError() << "epsilon must be non-negative";
  ArrayRef<int64_t> normalized = inputType.getShape().drop_front(op.getAxis());
  for (auto [name, value] : {std::pair<StringRef, Value>{"scale", scale},
                             std::pair<StringRef, Value>{"bias", bias}}) {
    if (!value)
      continue;
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getElementType() != inputType.getElementType())
      return op.emitOpError()
             << name << " element type " << type.getElementType()
             << " differs from the input's " << inputType.getElementType();
    if (failed(verifyCompatibleShape(type.getShape(), normalized)))
      return op.emitOpError()
             << name << " shape " << formatShape(type.getShape())
             << " must match the normalized dims " << formatShape(normalized);
  }
  return success();
}

LogicalResult LayerNormOp::verify() {
  return verifyNormalization(*this, getScale(), getBias());
}

LogicalResult RmsNormOp::verify() {
  return verifyNormalization(*this, getScale(), Value());
}

//===----------------------------------------------------------------------===//
// MatmulOp, LinearOp
//===----------------------------------------------------------------------===//

/// A per-channel bias: a 1-D tensor of `channels` elements of `element`.
static LogicalResult checkChannelBias(std::optional<Location> loc,
                                      StringRef opName, Value bias,
                                      int64_t channels, Type element) {
  if (!bias)
    return success();
  auto biasType = dyn_cast<RankedTensorType>(bias.getType());
  if (!biasType || biasType.getRank() != 1 ||
      !areCompatibleDims(biasType.getDimSize(0), channels) ||
      biasType.getElementType() != element)
    return inferError(loc, opName, "bias must be a 1-D tensor of ", channels,
                      " ", element, ", got ", bias.getType());
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto lhs = dyn_cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = dyn_cast<RankedTensorType>(adaptor.getRhs().getType());
  if (!lhs || !rhs)
    return inferError(loc, name, "operands must be ranked tensors");
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return inferError(loc, name, "operands must have rank 2 or more, got ",
                      shapeOf(lhs), " and ", shapeOf(rhs));
  if (lhs.getElementType() != rhs.getElementType())
    return inferError(loc, name,
                      "operand element types differ: ", lhs.getElementType(),
                      " vs ", rhs.getElementType());
  int64_t k1 = lhs.getShape().back(), k2 = rhs.getShape().end()[-2];
  if (!areCompatibleDims(k1, k2))
    return inferError(loc, name, "contracting dims differ: ", shapeOf(lhs),
                      " times ", shapeOf(rhs));
  SmallVector<int64_t> batch;
  if (failed(broadcastShapes(lhs.getShape().drop_back(2),
                             rhs.getShape().drop_back(2), batch)))
    return inferError(loc, name, "batch dims of ", shapeOf(lhs), " and ",
                      shapeOf(rhs), " are not broadcast-compatible");
  batch.push_back(lhs.getShape().end()[-2]);
  batch.push_back(rhs.getShape().back());
  types.push_back(RankedTensorType::get(batch, lhs.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = dyn_cast<RankedTensorType>(adaptor.getWeight().getType());
  if (!input || !weight)
    return inferError(loc, name, "operands must be ranked tensors");
  if (input.getRank() < 1)
    return inferError(loc, name, "input must have rank 1 or more");
  if (weight.getRank() != 2)
    return inferError(loc, name, "weight must have rank 2, got ",
                      shapeOf(weight));
  if (input.getElementType() != weight.getElementType())
    return inferError(loc, name,
                      "operand element types differ: ", input.getElementType(),
                      " vs ", weight.getElementType());
  bool transposed = adaptor.getTransposeWeight();
  int64_t k = weight.getDimSize(transposed ? 1 : 0);
  int64_t n = weight.getDimSize(transposed ? 0 : 1);
  if (!areCompatibleDims(input.getShape().back(), k))
    return inferError(loc, name, "input ", shapeOf(input),
                      " does not match weight ", shapeOf(weight),
                      transposed ? " (transposed)" : "");
  if (failed(checkChannelBias(loc, name, adaptor.getBias(), n,
                              input.getElementType())))
    return failure();
  SmallVector<int64_t> shape(input.getShape().drop_back());
  shape.push_back(n);
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Conv2dOp
//===----------------------------------------------------------------------===//

/// Strides and dilations of a convolution are positive, its pads
/// non-negative (their counts are checked by each op, which differ).
static LogicalResult checkWindowValues(std::optional<Location> loc,
                                       StringRef opName,
                                       ArrayRef<int64_t> strides,
                                       ArrayRef<int64_t> pads,
                                       ArrayRef<int64_t> dilations) {
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return inferError(loc, opName, "strides and dilations must be positive");
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return inferError(loc, opName, "pads must be non-negative");
  return success();
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  bool channelsLast = adaptor.getChannelsLast();
  // The filter's input-channel and kernel dims sit where the input's channel
  // and spatial dims do (OIHW for NCHW, OHWI for NHWC).
  Layout4d layout(channelsLast);
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto filter = dyn_cast<RankedTensorType>(adaptor.getFilter().getType());
  if (!input || !filter || input.getRank() != 4 || filter.getRank() != 4)
    return inferError(loc, name, "input and filter must be rank-4 ",
                      channelsLast ? "NHWC and OHWI" : "NCHW and OIHW",
                      " tensors");
  if (input.getElementType() != filter.getElementType())
    return inferError(loc, name,
                      "operand element types differ: ", input.getElementType(),
                      " vs ", filter.getElementType());
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations();
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return inferError(
        loc, name, "expects 2 strides, 2 dilations and 4 pads, got ",
        strides.size(), ", ", dilations.size(), " and ", pads.size());
  if (failed(checkWindowValues(loc, name, strides, pads, dilations)))
    return failure();
  int64_t groups = adaptor.getGroups();
  if (groups < 1)
    return inferError(loc, name, "groups must be positive, got ", groups);
  int64_t outChannels = filter.getDimSize(0);
  if (!ShapedType::isDynamic(outChannels) && outChannels % groups != 0)
    return inferError(loc, name, "output channels ", outChannels,
                      " are not divisible by groups ", groups);
  int64_t inChannels = input.getDimSize(layout.channel);
  int64_t filterChannels = filter.getDimSize(layout.channel);
  if (!ShapedType::isDynamic(inChannels) &&
      !ShapedType::isDynamic(filterChannels) &&
      inChannels != filterChannels * groups)
    return inferError(loc, name, "input channels ", inChannels,
                      " differ from filter channels ", filterChannels,
                      " times groups ", groups);
  if (failed(checkChannelBias(loc, name, adaptor.getBias(), outChannels,
                              input.getElementType())))
    return failure();
  SmallVector<int64_t> spatial;
  for (int i = 0; i < 2; ++i) {
    int64_t kernel = filter.getDimSize(layout.spatial + i);
    if (ShapedType::isDynamic(kernel)) {
      spatial.push_back(ShapedType::kDynamic);
      continue;
    }
    FailureOr<int64_t> size = windowOutputSize(
        input.getDimSize(layout.spatial + i), kernel, strides[i], pads[i],
        pads[i + 2], dilations[i], /*ceilMode=*/false);
    if (failed(size))
      return inferError(loc, name, "filter ", shapeOf(filter),
                        " does not fit the padded input ", shapeOf(input));
    spatial.push_back(*size);
  }
  SmallVector<int64_t> shape =
      channelsLast ? SmallVector<int64_t>{input.getDimSize(0), spatial[0],
                                          spatial[1], outChannels}
                   : SmallVector<int64_t>{input.getDimSize(0), outChannels,
                                          spatial[0], spatial[1]};
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// GatherOp, ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  if (!data || !indices)
    return inferError(loc, getOperationName(),
                      "operands must be ranked tensors");
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, getOperationName(), axis, data.getRank())))
    return failure();
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  types.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  if (adaptor.getInputs().empty())
    return inferError(loc, name, "needs at least one input");
  auto first = dyn_cast<RankedTensorType>(adaptor.getInputs()[0].getType());
  if (!first)
    return inferError(loc, name, "inputs must be ranked tensors");
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, name, axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (Value input : adaptor.getInputs().drop_front()) {
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type || type.getElementType() != first.getElementType() ||
        type.getRank() != first.getRank())
      return inferError(loc, name, "input ", input.getType(),
                        " differs in rank or element type from ", first);
    for (int64_t d = 0; d < first.getRank(); ++d) {
      int64_t size = type.getDimSize(d);
      if (d == axis) {
        if (ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(size)) {
          shape[d] = ShapedType::kDynamic;
          continue;
        }
        std::optional<int64_t> sum = narrowDim(WideDim(shape[d]) + size);
        if (!sum)
          return inferError(loc, name, "the concatenated dim ", d,
                            " overflows int64");
        shape[d] = *sum;
        continue;
      }
      if (!areCompatibleDims(shape[d], size))
        return inferError(loc, name, "dim ", d,
                          " differs between inputs: ", shapeOf(first), " vs ",
                          shapeOf(type));
      if (ShapedType::isDynamic(shape[d]))
        shape[d] = size;
    }
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  if (!isSmallStatic(getType()))
    return {};
  SmallVector<DenseElementsAttr> parts;
  for (auto [value, attr] : llvm::zip(getInputs(), adaptor.getInputs())) {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
    if (!dense || !cast<RankedTensorType>(value.getType()).hasStaticShape())
      return {};
    parts.push_back(dense);
  }
  int64_t axis = getAxis();
  return buildConstant(getType(), [&](ArrayRef<int64_t> index) {
    SmallVector<int64_t> local(index);
    for (DenseElementsAttr part : parts) {
      int64_t size = cast<RankedTensorType>(part.getType()).getDimSize(axis);
      if (local[axis] < size)
        return elementAt(part, local);
      local[axis] -= size;
    }
    llvm_unreachable("index beyond the concatenated inputs");
  });
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return inferError(loc, name, "input must be a ranked tensor");
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return inferError(loc, name, "expects one range per dim (", rank, "), got ",
                      starts.size(), " starts, ", ends.size(), " ends and ",
                      steps.size(), " steps");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (steps[d] == 0)
      return inferError(loc, name, "step of dim ", d, " is zero");
    int64_t size = input.getDimSize(d);
    shape.push_back(ShapedType::isDynamic(size)
                        ? ShapedType::kDynamic
                        : slicedLength(size, starts[d], ends[d], steps[d]));
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  // Whole dims, forward: the identity.
  bool whole = llvm::all_of(
      llvm::zip(getStarts(), getEnds(), getSteps()), [](auto range) {
        auto [start, end, step] = range;
        return step == 1 && start == 0 && end == defaultEnd(1);
      });
  if (whole && getInput().getType() == getType())
    return getInput();

  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  RankedTensorType inputType = getInput().getType();
  if (!dense || !inputType.hasStaticShape() || !isSmallStatic(getType()))
    return {};
  // Element i of dim d comes from first(d) + i * step(d) of the input, where
  // first is the start after Python's normalization.
  SmallVector<int64_t> first;
  for (auto [size, start, step] :
       llvm::zip(inputType.getShape(), getStarts(), getSteps())) {
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? size : size - 1;
    int64_t s = start;
    if (s < 0)
      s = s <= INT64_MIN + size ? lo : s + size;
    first.push_back(std::clamp(s, lo, hi));
  }
  ArrayRef<int64_t> steps = getSteps();
  return buildConstant(getType(), [&](ArrayRef<int64_t> index) {
    SmallVector<int64_t> source;
    for (auto [d, i] : llvm::enumerate(index))
      source.push_back(first[d] + i * steps[d]);
    return elementAt(dense, source);
  });
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return inferError(loc, name, "input must be a ranked tensor");
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (static_cast<int64_t>(perm.size()) != input.getRank())
    return inferError(loc, name, "permutation has ", perm.size(),
                      " entries for rank ", input.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= input.getRank() || seen[p])
      return inferError(loc, name, "[",
                        llvm::make_range(perm.begin(), perm.end()),
                        "] is not a permutation of the dims");
    seen[p] = true;
    shape.push_back(input.getDimSize(p));
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  for (int64_t i = 0, e = perm.size(); i < e; ++i)
    if (perm[i] != i)
      return {};
  return getInput();
}

namespace {
/// transpose(transpose(x, p), q) is transpose(x, p o q).
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> p = inner.getPermutation(), q = op.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t i : q)
      composed.push_back(p[i]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                             composed);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<ComposeTransposes>(context);
}

//===----------------------------------------------------------------------===//
// ReshapeOp, ExpandOp
//===----------------------------------------------------------------------===//

/// A shape operand must list one size per result dim.
template <typename OpTy> static LogicalResult verifyShapeOperand(OpTy op) {
  if (!op.getShape())
    return success();
  int64_t length = op.getShape().getType().getDimSize(0);
  int64_t rank = op.getType().getRank();
  if (!ShapedType::isDynamic(length) && length != rank)
    return op.emitOpError() << "shape operand has " << length
                            << " entries for a result of rank " << rank;
  return success();
}

LogicalResult ReshapeOp::verify() {
  if (failed(verifyShapeOperand(*this)))
    return failure();
  RankedTensorType input = getInput().getType(), result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError() << "element type changes from "
                         << input.getElementType() << " to "
                         << result.getElementType();
  if (input.hasStaticShape() && result.hasStaticShape() &&
      input.getNumElements() != result.getNumElements())
    return emitOpError() << "cannot reshape " << formatShape(input.getShape())
                         << " (" << input.getNumElements() << " elements) to "
                         << formatShape(result.getShape()) << " ("
                         << result.getNumElements() << " elements)";
  if (!getShape() && result.getNumDynamicDims() > 1)
    return emitOpError() << "result " << formatShape(result.getShape())
                         << " has more than one dynamic dim; pass the shape "
                            "as an operand";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

namespace {
/// reshape(reshape(x)) is one reshape when the outer one needs no shape
/// operand: only the final shape matters.
struct ComposeReshapes : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner || op.getShape())
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(),
                                           Value());
    return success();
  }
};

/// A shape operand is redundant once the result has at most one dynamic dim:
/// the static dims are in the type and the dynamic one follows from the
/// element count. Dropping it frees the shape subgraph to be erased.
struct DropRedundantReshapeShape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getShape() || op.getType().getNumDynamicDims() > 1)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getInput(),
                                           Value());
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                            MLIRContext *context) {
  patterns.add<ComposeReshapes, DropRedundantReshapeShape>(context);
}

LogicalResult ExpandOp::verify() {
  if (failed(verifyShapeOperand(*this)))
    return failure();
  RankedTensorType input = getInput().getType(), result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError() << "element type changes from "
                         << input.getElementType() << " to "
                         << result.getElementType();
  if (!isBroadcastableTo(input.getShape(), result.getShape()))
    return emitOpError() << "cannot broadcast " << formatShape(input.getShape())
                         << " to " << formatShape(result.getShape());
  // Without a shape operand a dynamic result dim can only come from the
  // same dynamic input dim.
  if (!getShape()) {
    int64_t offset = result.getRank() - input.getRank();
    for (int64_t d = 0; d < result.getRank(); ++d) {
      if (!result.isDynamicDim(d))
        continue;
      if (d < offset || !input.isDynamicDim(d - offset))
        return emitOpError()
               << "dynamic result dim " << d << " needs a shape operand";
    }
  }
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput());
  if (splat && getType().hasStaticShape())
    return SplatElementsAttr::get(getType(), splat.getSplatValue<Attribute>());
  return {};
}

//===----------------------------------------------------------------------===//
// ShapeOfOp, RangeOp
//===----------------------------------------------------------------------===//

LogicalResult ShapeOfOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return inferError(loc, getOperationName(), "input must be ranked");
  types.push_back(
      RankedTensorType::get({input.getRank()}, IntegerType::get(context, 64)));
  return success();
}

OpFoldResult ShapeOfOp::fold(FoldAdaptor) {
  RankedTensorType input = getInput().getType();
  if (!input.hasStaticShape() ||
      getType() !=
          RankedTensorType::get({input.getRank()}, getType().getElementType()))
    return {};
  return DenseElementsAttr::get(getType(), input.getShape());
}

LogicalResult RangeOp::verify() {
  for (Value operand : {getStart(), getLimit(), getDelta()})
    if (cast<RankedTensorType>(operand.getType()).getRank() != 0)
      return emitOpError() << "start, limit and delta must be scalars, got "
                           << operand.getType();
  if (getType().getRank() != 1)
    return emitOpError() << "result must be 1-D, got " << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// CumSumOp, TopKOp
//===----------------------------------------------------------------------===//

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *context,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return inferError(loc, name, "input must be ranked");
  int64_t axis = adaptor.getAxis(), k = adaptor.getK();
  if (failed(checkAxis(loc, name, axis, input.getRank())))
    return failure();
  if (k < 0)
    return inferError(loc, name, "k must be non-negative, got ", k);
  int64_t size = input.getDimSize(axis);
  if (!ShapedType::isDynamic(size) && k > size)
    return inferError(loc, name, "k = ", k, " exceeds dim ", axis, " of size ",
                      size);
  SmallVector<int64_t> shape(input.getShape());
  shape[axis] = k;
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  types.push_back(RankedTensorType::get(shape, IntegerType::get(context, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose2dOp
//===----------------------------------------------------------------------===//

LogicalResult
ConvTranspose2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto filter = dyn_cast<RankedTensorType>(adaptor.getFilter().getType());
  if (!input || !filter || input.getRank() != 4 || filter.getRank() != 4)
    return inferError(loc, name,
                      "input and filter must be rank-4 NCHW and IOHW tensors");
  if (input.getElementType() != filter.getElementType())
    return inferError(loc, name,
                      "operand element types differ: ", input.getElementType(),
                      " vs ", filter.getElementType());
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations(),
                    outputPadding = adaptor.getOutputPadding();
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4 ||
      outputPadding.size() != 2)
    return inferError(loc, name,
                      "expects 2 strides, 2 dilations, 4 pads and 2 output "
                      "paddings");
  if (failed(checkWindowValues(loc, name, strides, pads, dilations)))
    return failure();
  for (int i = 0; i < 2; ++i)
    if (outputPadding[i] < 0 ||
        outputPadding[i] >= std::max(strides[i], dilations[i]))
      return inferError(loc, name,
                        "output padding must be non-negative and smaller than "
                        "the stride or the dilation");
  int64_t groups = adaptor.getGroups();
  if (groups < 1)
    return inferError(loc, name, "groups must be positive, got ", groups);
  int64_t inChannels = input.getDimSize(1), filterIn = filter.getDimSize(0);
  if (!areCompatibleDims(inChannels, filterIn))
    return inferError(loc, name, "input channels ", inChannels,
                      " differ from the filter's ", filterIn);
  if (!ShapedType::isDynamic(filterIn) && filterIn % groups != 0)
    return inferError(loc, name, "input channels ", filterIn,
                      " are not divisible by groups ", groups);
  int64_t outChannels = ShapedType::isDynamic(filter.getDimSize(1))
                            ? ShapedType::kDynamic
                            : filter.getDimSize(1) * groups;
  if (failed(checkChannelBias(loc, name, adaptor.getBias(), outChannels,
                              input.getElementType())))
    return failure();
  SmallVector<int64_t> shape{input.getDimSize(0), outChannels};
  for (int i = 0; i < 2; ++i) {
    int64_t size = input.getDimSize(2 + i), kernel = filter.getDimSize(2 + i);
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(kernel)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    std::optional<int64_t> out =
        narrowDim(WideDim(size - 1) * strides[i] - pads[i] - pads[i + 2] +
                  WideDim(dilations[i]) * (kernel - 1) + outputPadding[i] + 1);
    if (!out)
      return inferError(loc, name, "output dim ", 2 + i, " overflows int64");
    if (*out < 1)
      return inferError(loc, name, "pads leave no output from input ",
                        shapeOf(input));
    shape.push_back(*out);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// GatherElementsOp, GatherNdOp, ScatterNdOp
//===----------------------------------------------------------------------===//

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  if (!data || !indices)
    return inferError(loc, name, "operands must be ranked tensors");
  if (data.getRank() != indices.getRank())
    return inferError(loc, name, "indices ", shapeOf(indices),
                      " must have the rank of data ", shapeOf(data));
  if (failed(checkAxis(loc, name, adaptor.getAxis(), data.getRank())))
    return failure();
  types.push_back(
      RankedTensorType::get(indices.getShape(), data.getElementType()));
  return success();
}

LogicalResult GatherNdOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  if (!data || !indices)
    return inferError(loc, name, "operands must be ranked tensors");
  int64_t batchDims = adaptor.getBatchDims();
  if (indices.getRank() < 1 || ShapedType::isDynamic(indices.getShape().back()))
    return inferError(loc, name, "the last dim of indices must be static, got ",
                      shapeOf(indices));
  int64_t tuple = indices.getShape().back();
  if (batchDims < 0 || batchDims >= indices.getRank() ||
      batchDims + tuple > data.getRank() || tuple < 1)
    return inferError(loc, name, "index tuples of length ", tuple, " with ",
                      batchDims, " batch dims do not fit data ", shapeOf(data));
  for (int64_t d = 0; d < batchDims; ++d)
    if (!areCompatibleDims(data.getDimSize(d), indices.getDimSize(d)))
      return inferError(loc, name, "batch dim ", d, " differs: ", shapeOf(data),
                        " vs ", shapeOf(indices));
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(batchDims + tuple));
  types.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult ScatterNdOp::verify() {
  RankedTensorType data = getData().getType();
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto updates = cast<RankedTensorType>(getUpdates().getType());
  if (updates.getElementType() != data.getElementType())
    return emitOpError() << "updates element type " << updates.getElementType()
                         << " differs from data's " << data.getElementType();
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return emitOpError() << "the last dim of indices must be static, got "
                         << formatShape(indices.getShape());
  int64_t tuple = indices.getShape().back();
  if (tuple < 1 || tuple > data.getRank())
    return emitOpError() << "index tuples of length " << tuple
                         << " do not fit data " << formatShape(data.getShape());
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(tuple));
  if (failed(verifyCompatibleShape(updates.getShape(), expected)))
    return emitOpError() << "updates " << formatShape(updates.getShape())
                         << " must have shape " << formatShape(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// PadOp, TileOp, ResizeOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return inferError(loc, name, "input must be ranked");
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return inferError(loc, name, "expects ", 2 * rank, " pads for rank ", rank,
                      ", got ", pads.size());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = input.getDimSize(d);
    if (ShapedType::isDynamic(size)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    std::optional<int64_t> out =
        narrowDim(WideDim(size) + pads[d] + pads[d + rank]);
    if (!out)
      return inferError(loc, name, "padded dim ", d, " overflows int64");
    if (*out < 0)
      return inferError(loc, name, "pads crop dim ", d, " of ", shapeOf(input),
                        " below zero");
    shape.push_back(*out);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return inferError(loc, name, "input must be ranked");
  ArrayRef<int64_t> multiples = adaptor.getMultiples();
  if (static_cast<int64_t>(multiples.size()) != input.getRank())
    return inferError(loc, name, "expects one multiple per dim (",
                      input.getRank(), "), got ", multiples.size());
  SmallVector<int64_t> shape;
  for (auto [size, times] : llvm::zip(input.getShape(), multiples)) {
    if (times < 0)
      return inferError(loc, name, "multiples must be non-negative");
    if (ShapedType::isDynamic(size)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    std::optional<int64_t> tiled = narrowDim(WideDim(size) * times);
    if (!tiled)
      return inferError(loc, name, "tiled dim overflows int64");
    shape.push_back(*tiled);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ResizeOp::verify() {
  RankedTensorType input = getInput().getType(), result = getType();
  ArrayRef<double> scales = getScales();
  if (input.getElementType() != result.getElementType() ||
      input.getRank() != result.getRank())
    return emitOpError() << "result must have the input's rank and element "
                            "type";
  if (static_cast<int64_t>(scales.size()) != input.getRank())
    return emitOpError() << "expects one scale per dim (" << input.getRank()
                         << "), got " << scales.size();
  for (auto [d, scale] : llvm::enumerate(scales)) {
    if (!(scale > 0))
      return emitOpError() << "scale " << scale << " of dim " << d
                           << " must be positive";
    int64_t in = input.getDimSize(d), out = result.getDimSize(d);
    // An importer given output sizes stores size / input as the scale, which
    // floating point may round either way.
    if (!ShapedType::isDynamic(in) && !ShapedType::isDynamic(out) &&
        std::abs(static_cast<double>(in) * scale - static_cast<double>(out)) >=
            1.0)
      return emitOpError() << "result dim " << d << " is " << out
                           << " but input " << in << " times scale " << scale
                           << " gives " << static_cast<double>(in) * scale;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp, RotaryEmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  StringRef name = getOperationName();
  auto q = dyn_cast<RankedTensorType>(adaptor.getQuery().getType());
  auto k = dyn_cast<RankedTensorType>(adaptor.getKey().getType());
  auto v = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!q || !k || !v || q.getRank() != 4 || k.getRank() != 4 ||
      v.getRank() != 4)
    return inferError(loc, name,
                      "query, key and value must be rank-4 [B, H, S, D]");
  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return inferError(loc, name,
                      "query, key and value must share an element type");
  auto dimsAgree = [](int64_t a, int64_t b) { return areCompatibleDims(a, b); };
  if (!dimsAgree(q.getDimSize(0), k.getDimSize(0)) ||
      !dimsAgree(k.getDimSize(0), v.getDimSize(0)))
    return inferError(loc, name, "batch sizes differ: ", shapeOf(q), ", ",
                      shapeOf(k), ", ", shapeOf(v));
  if (!dimsAgree(k.getDimSize(1), v.getDimSize(1)) ||
      !dimsAgree(k.getDimSize(2), v.getDimSize(2)))
    return inferError(loc, name, "key ", shapeOf(k), " and value ", shapeOf(v),
                      " differ in heads or length");
  if (!dimsAgree(q.getDimSize(3), k.getDimSize(3)))
    return inferError(loc, name, "query ", shapeOf(q), " and key ", shapeOf(k),
                      " differ in head size");
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || hq % hkv != 0))
    return inferError(loc, name, "query heads ", hq,
                      " are not a multiple of key/value heads ", hkv);
  if (Value mask = adaptor.getMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    SmallVector<int64_t> scores{q.getDimSize(0), hq, q.getDimSize(2),
                                k.getDimSize(2)};
    SmallVector<int64_t> broadcast;
    if (maskType.getRank() > 4 ||
        failed(broadcastShapes(maskType.getShape(), scores, broadcast)) ||
        failed(verifyCompatibleShape(broadcast, scores)))
      return inferError(loc, name, "mask ", shapeOf(maskType),
                        " does not broadcast to the scores ",
                        formatShape(scores));
    Type maskElement = maskType.getElementType();
    if (!maskElement.isInteger(1) && maskElement != q.getElementType())
      return inferError(loc, name, "a float mask must have the query's type");
  }
  types.push_back(RankedTensorType::get(
      {q.getDimSize(0), hq, q.getDimSize(2), v.getDimSize(3)},
      q.getElementType()));
  return success();
}

LogicalResult RotaryEmbeddingOp::verify() {
  RankedTensorType input = getInput().getType();
  auto cos = cast<RankedTensorType>(getCos().getType());
  auto sin = cast<RankedTensorType>(getSin().getType());
  if (input.getRank() != 4)
    return emitOpError() << "input must be rank-4 [B, H, S, D], got "
                         << formatShape(input.getShape());
  if (cos != sin)
    return emitOpError() << "cos " << cos << " and sin " << sin << " differ";
  if (cos.getElementType() != input.getElementType())
    return emitOpError() << "cos and sin must have the input's element type";
  if (cos.getRank() != 3)
    return emitOpError() << "cos and sin must be rank-3 [B or 1, S, R/2], got "
                         << formatShape(cos.getShape());
  int64_t batch = cos.getDimSize(0);
  if (batch != 1 && !areCompatibleDims(batch, input.getDimSize(0)))
    return emitOpError() << "cos batch " << batch << " must be 1 or "
                         << input.getDimSize(0);
  if (!areCompatibleDims(cos.getDimSize(1), input.getDimSize(2)))
    return emitOpError() << "cos covers " << cos.getDimSize(1)
                         << " positions for a sequence of "
                         << input.getDimSize(2);
  int64_t half = cos.getDimSize(2), head = input.getDimSize(3);
  if (!ShapedType::isDynamic(half) && !ShapedType::isDynamic(head) &&
      2 * half > head)
    return emitOpError() << "rotary dim " << 2 * half
                         << " exceeds the head size " << head;
  return success();
}

//===----------------------------------------------------------------------===//
// FusionOp
//===----------------------------------------------------------------------===//

void FusionOp::build(OpBuilder &builder, OperationState &state,
                     TypeRange resultTypes, ValueRange inputs) {
  state.addOperands(inputs);
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

LogicalResult FusionOp::verify() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError() << "body has " << block.getNumArguments()
                         << " arguments for " << getInputs().size()
                         << " inputs";
  for (auto [index, arg, input] :
       llvm::enumerate(block.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError() << "body argument #" << index << " has type "
                           << arg.getType() << " but input has type "
                           << input.getType();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (!llvm::equal(yield.getValues().getTypes(), getResultTypes()))
    return emitOpError() << "yields (" << yield.getValues().getTypes()
                         << ") but the results are (" << getResultTypes()
                         << ")";
  if (block.without_terminator().empty())
    return emitOpError() << "body has no ops";
  WalkResult nested =
      getBody().walk([](FusionOp) { return WalkResult::interrupt(); });
  if (nested.wasInterrupted())
    return emitOpError() << "must not contain another kiln.fusion";
  if (std::optional<ArrayAttr> configs = getConfigs()) {
    llvm::SmallSet<std::pair<StringRef, int64_t>, 8> seen;
    for (auto config : configs->getAsRange<KernelConfigAttr>())
      if (!seen.insert({config.getArch(), config.getProfile()}).second)
        return emitOpError()
               << "has two kernel configs for arch " << config.getArch()
               << " and profile " << config.getProfile();
  }
  return success();
}

KernelConfigAttr FusionOp::getConfig(StringRef arch, int64_t profile) {
  if (std::optional<ArrayAttr> configs = getConfigs())
    for (auto config : configs->getAsRange<KernelConfigAttr>())
      if (config.getArch() == arch && config.getProfile() == profile)
        return config;
  return {};
}

#define GET_OP_CLASSES
#include "dialects/kiln/KilnOps.cpp.inc"
