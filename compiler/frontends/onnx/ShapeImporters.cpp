//===- ShapeImporters.cpp - Shape manipulation and data layout ops --------===//
//
// Reshape-like ops (Reshape, Flatten, Squeeze, Unsqueeze, DepthToSpace) all
// become kiln.reshape, with a shape operand computed from kiln.shape_of when
// more than one result dim is dynamic. Shape, Concat, Slice, Unsqueeze and
// Squeeze also propagate the importer's knowledge of shape tensors
// (ShapeEntry) so that Reshape and Expand downstream stay static.
//
// Opset notes: Squeeze/Unsqueeze take axes as an attribute before opset 13
// and as an input after; Split takes `split` as an attribute before 13, as
// an input after, and gains `num_outputs` in 18; Slice takes attributes
// before 10; Pad takes attributes before 11; Resize takes `scales` as its
// second input in opset 10 and (roi, scales, sizes) from 11.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
static constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

/// Resolves a -1 in a Reshape target: statically when the other entries
/// cancel against the input's dims, else at run time (numel / product).
/// The size of Reshape's -1 dim, or nullopt when it is the only dynamic dim
/// of the result, so that kiln.reshape infers it from the element count.
static FailureOr<std::optional<ShapeEntry>>
inferReshapeDim(ImportContext &ctx, Value input, ArrayRef<ShapeEntry> entries,
                int64_t inferIndex) {
  RankedTensorType type = tensorType(input);
  SmallVector<bool> used(type.getRank(), false);
  int64_t divisor = 1;
  bool symbolic = true;
  for (auto [i, entry] : llvm::enumerate(entries)) {
    if (static_cast<int64_t>(i) == inferIndex)
      continue;
    if (entry.isConstant()) {
      // Sizes come from the model: their product can overflow int64.
      if (llvm::MulOverflow(divisor, entry.value, divisor))
        return ctx.emitError() << "the reshape target's element count "
                               << "overflows int64";
      continue;
    }
    if (entry.kind == ShapeEntry::Kind::DimOf && entry.source == input &&
        !used[entry.begin]) {
      used[entry.begin] = true;
      continue;
    }
    symbolic = false;
  }
  if (symbolic) {
    int64_t remaining = 1;
    bool staticRemaining = true;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (used[d])
        continue;
      if (type.isDynamicDim(d))
        staticRemaining = false;
      else if (llvm::MulOverflow(remaining, type.getDimSize(d), remaining))
        return ctx.emitError()
               << "cannot reshape " << formatShape(type.getShape())
               << ": its element count overflows int64";
    }
    if (staticRemaining) {
      if (divisor == 0 || remaining % divisor != 0)
        return ctx.emitError()
               << "cannot reshape " << formatShape(type.getShape())
               << ": the -1 dim does not divide evenly";
      return std::optional<ShapeEntry>(
          ShapeEntry::constant(remaining / divisor));
    }
  }
  // Exactly one dynamic dim in the result: kiln.reshape infers it.
  int64_t dynamicOthers = 0;
  for (auto [i, entry] : llvm::enumerate(entries))
    if (static_cast<int64_t>(i) != inferIndex && !entry.isConstant())
      ++dynamicOthers;
  if (dynamicOthers == 0)
    return std::optional<ShapeEntry>();
  // numel(input) / product(other entries), computed at run time.
  SmallVector<ShapeEntry> others;
  for (auto [i, entry] : llvm::enumerate(entries))
    if (static_cast<int64_t>(i) != inferIndex)
      others.push_back(entry);
  KILN_TRY(Value, otherShape, ctx.materializeShape(others));
  KILN_TRY(Value, otherCount,
           ctx.create<ReduceProdOp>(otherShape, ArrayRef<int64_t>{0}, true));
  KILN_TRY(
      Value, total,
      ctx.materializeShape({ShapeEntry::dimProduct(input, 0, type.getRank())}));
  KILN_TRY(Value, quotient, ctx.create<DivOp>(total, otherCount));
  return std::optional<ShapeEntry>(ShapeEntry::element(quotient, 0));
}

/// Reshape to a shape whose entries are only known at run time, where any
/// of them may be ONNX's 0 (copy the input's dim, unless allowzero) or -1
/// (infer from the element count): both are resolved in IR.
static FailureOr<Value> reshapeAtRunTime(ImportContext &ctx, Value x,
                                         ArrayRef<ShapeEntry> entries,
                                         bool allowZero) {
  int64_t rank = tensorType(x).getRank();
  int64_t outRank = entries.size();
  KILN_TRY(Value, target, ctx.materializeShape(entries));
  KILN_TRY(Value, inShape, ctx.create<ShapeOfOp>(x));
  Value minusOne = ctx.constantI64({-1});
  Value one = ctx.constantI64({1});
  Value resolved = target;
  if (!allowZero) {
    // A 0 at position i copies dim i of the input; past the input's rank it
    // is invalid, and the 1 put there makes the element count check fail.
    int64_t common = std::min(rank, outRank);
    SmallVector<int64_t> lo(1, 0), hi(1, common), step(1, 1);
    KILN_TRY(Value, copy, ctx.create<SliceOp>(inShape, lo, hi, step));
    if (outRank > common) {
      Value ones = ctx.constantI64(SmallVector<int64_t>(outRank - common, 1));
      KILN_TRY(Value, padded,
               ctx.create<ConcatOp>(ValueRange{copy, ones}, int64_t{0}));
      copy = padded;
    }
    Value zero = ctx.constantI64({0});
    KILN_TRY(Value, isZero,
             ctx.create<CompareOp>(ComparePredicate::eq, resolved, zero));
    KILN_TRY(Value, copied, ctx.create<WhereOp>(isZero, copy, resolved));
    resolved = copied;
  }
  KILN_TRY(Value, isInferred,
           ctx.create<CompareOp>(ComparePredicate::eq, resolved, minusOne));
  KILN_TRY(Value, knownDims, ctx.create<WhereOp>(isInferred, one, resolved));
  KILN_TRY(Value, known,
           ctx.create<ReduceProdOp>(knownDims, ArrayRef<int64_t>{0}, true));
  KILN_TRY(Value, total,
           ctx.create<ReduceProdOp>(inShape, ArrayRef<int64_t>{0}, true));
  // With no -1 the quotient is unused, but must not divide by a zero dim.
  KILN_TRY(Value, divisor, ctx.create<MaxOp>(known, one));
  KILN_TRY(Value, inferred, ctx.create<DivOp>(total, divisor));
  KILN_TRY(Value, shape, ctx.create<WhereOp>(isInferred, inferred, resolved));
  SmallVector<int64_t> dims;
  for (const ShapeEntry &entry : entries)
    dims.push_back(entry.isConstant() && entry.value > 0
                       ? entry.value
                       : ShapedType::kDynamic);
  return ctx.createTyped<ReshapeOp>(
      RankedTensorType::get(dims, tensorType(x).getElementType()), x, shape);
}

/// Reshape: 0 copies the input dim (unless allowzero), -1 is inferred.
/// Entries only known at run time are assumed to be neither 0 nor -1.
static LogicalResult importReshape(ImportContext &ctx,
                                   const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, shape, ctx.input(1));
  KILN_TRY(int64_t, allowZero, ctx.getInt("allowzero", 0));
  std::optional<SmallVector<ShapeEntry>> known = ctx.getShapeEntries(shape);
  if (!known)
    return ctx.emitError()
           << "the shape input must be a 1-D i64 tensor of static length";
  SmallVector<ShapeEntry> entries = *known;
  int64_t rank = tensorType(x).getRank();
  if (llvm::any_of(entries, [](const ShapeEntry &entry) {
        return entry.kind == ShapeEntry::Kind::Element;
      })) {
    KILN_TRY(Value, y, reshapeAtRunTime(ctx, x, entries, allowZero));
    return ctx.setOutput(0, y);
  }
  int64_t inferIndex = -1;
  for (auto [i, entry] : llvm::enumerate(entries)) {
    if (!entry.isConstant())
      continue;
    if (entry.value == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= rank)
        return ctx.emitError()
               << "shape entry " << i << " is 0 (copy) but the input has rank "
               << rank;
      entry = ShapeEntry::dimOf(x, i);
    } else if (entry.value == -1) {
      if (inferIndex >= 0)
        return ctx.emitError() << "the shape has more than one -1";
      inferIndex = i;
    } else if (entry.value < 0) {
      return ctx.emitError() << "invalid shape entry " << entry.value;
    }
  }
  if (inferIndex >= 0) {
    KILN_TRY(std::optional<ShapeEntry>, inferred,
             inferReshapeDim(ctx, x, entries, inferIndex));
    if (!inferred) {
      // Only the -1 dim is dynamic: a plain reshape infers it.
      SmallVector<int64_t> dims;
      for (const ShapeEntry &entry : entries)
        dims.push_back(entry.isConstant() && entry.value != -1
                           ? entry.value
                           : ShapedType::kDynamic);
      auto type = RankedTensorType::get(dims, tensorType(x).getElementType());
      KILN_TRY(Value, y, ctx.createTyped<ReshapeOp>(type, x, Value()));
      return ctx.setOutput(0, y);
    }
    entries[inferIndex] = *inferred;
  }
  KILN_TRY(Value, y, ctx.reshape(x, entries));
  return ctx.setOutput(0, y);
}

static LogicalResult importFlatten(ImportContext &ctx,
                                   const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t rank = tensorType(x).getRank();
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", 1));
  // Flatten's axis ranges over [-rank, rank].
  if (axisAttr < -rank || axisAttr > rank)
    return ctx.emitError() << "axis " << axisAttr
                           << " is out of range for rank " << rank;
  int64_t axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  KILN_TRY(Value, y,
           ctx.reshape(x, {ShapeEntry::dimProduct(x, 0, axis),
                           ShapeEntry::dimProduct(x, axis, rank)}));
  return ctx.setOutput(0, y);
}

/// Squeeze and Unsqueeze of a shape tensor keep its entries.
static void forwardEntries(ImportContext &ctx, Value from, Value to) {
  if (tensorType(to).getRank() > 1 || tensorType(from).getRank() > 1)
    return;
  if (std::optional<SmallVector<ShapeEntry>> entries =
          ctx.getShapeEntries(from))
    ctx.setShapeEntries(to, *entries);
}

static FailureOr<SmallVector<int64_t>> readAxes(ImportContext &ctx,
                                                bool fromInput, bool required) {
  if (!fromInput) {
    if (required && !ctx.hasAttr("axes"))
      return ctx.emitError() << "missing required attribute 'axes'";
    return ctx.getInts("axes");
  }
  if (!ctx.hasInput(1)) {
    if (required)
      return ctx.emitError() << "missing required input #1 (axes)";
    return SmallVector<int64_t>();
  }
  return ctx.requireConstantInts(1, "axes");
}

template <bool axesFromInput>
static LogicalResult importSqueeze(ImportContext &ctx,
                                   const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(SmallVector<int64_t>, axes, readAxes(ctx, axesFromInput, false));
  RankedTensorType type = tensorType(x);
  if (axes.empty()) {
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (type.isDynamicDim(d))
        return ctx.emitError()
               << "Squeeze without axes on a dynamic dim: which dims are 1 "
                  "is only known at run time";
      if (type.getDimSize(d) == 1)
        axes.push_back(d);
    }
  }
  KILN_TRY(Value, y, ctx.squeeze(x, axes));
  forwardEntries(ctx, x, y);
  return ctx.setOutput(0, y);
}

template <bool axesFromInput>
static LogicalResult importUnsqueeze(ImportContext &ctx,
                                     const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(SmallVector<int64_t>, axes, readAxes(ctx, axesFromInput, true));
  KILN_TRY(Value, y, ctx.unsqueeze(x, axes));
  forwardEntries(ctx, x, y);
  return ctx.setOutput(0, y);
}

static LogicalResult importTranspose(ImportContext &ctx,
                                     const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t rank = tensorType(x).getRank();
  SmallVector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  KILN_TRY(SmallVector<int64_t>, perm, ctx.getInts("perm", reversed));
  KILN_TRY(SmallVector<int64_t>, normalized,
           ctx.normalizeAxes(perm, rank, "perm"));
  if (static_cast<int64_t>(normalized.size()) != rank)
    return ctx.emitError() << "perm has " << normalized.size()
                           << " entries for rank " << rank;
  KILN_TRY(Value, y, ctx.transpose(x, normalized));
  return ctx.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Concat, Split, Slice
//===----------------------------------------------------------------------===//

static LogicalResult importConcat(ImportContext &ctx, const onnx::NodeProto &) {
  SmallVector<Value> inputs;
  for (int64_t i = 0; i < ctx.numInputs(); ++i) {
    KILN_TRY(Value, input, ctx.input(i));
    inputs.push_back(input);
  }
  if (inputs.empty())
    return ctx.emitError() << "needs at least one input";
  KILN_TRY(int64_t, axisAttr,
           ctx.opset() < 4 ? ctx.getInt("axis", 1)
                           : ctx.getRequiredInt("axis"));
  int64_t rank = tensorType(inputs[0]).getRank();
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, rank));
  KILN_TRY(Value, y, ctx.create<ConcatOp>(ValueRange(inputs), axis));
  if (rank == 1) {
    SmallVector<ShapeEntry> entries;
    bool known = true;
    for (Value input : inputs) {
      std::optional<SmallVector<ShapeEntry>> part = ctx.getShapeEntries(input);
      if (!part) {
        known = false;
        break;
      }
      entries.append(part->begin(), part->end());
    }
    if (known)
      ctx.setShapeEntries(y, entries);
  }
  return ctx.setOutput(0, y);
}

/// One range per dim; dims not sliced take everything.
static FailureOr<Value> sliceAlong(ImportContext &ctx, Value x, int64_t axis,
                                   int64_t start, int64_t end,
                                   int64_t step = 1) {
  int64_t rank = tensorType(x).getRank();
  SmallVector<int64_t> starts(rank, 0), ends(rank, kInt64Max), steps(rank, 1);
  starts[axis] = start;
  ends[axis] = end;
  steps[axis] = step;
  return ctx.create<SliceOp>(x, starts, ends, steps);
}

static LogicalResult importSplit(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  KILN_TRY(int64_t, axisAttr, ctx.getInt("axis", 0));
  KILN_TRY(int64_t, axis, ctx.normalizeAxis(axisAttr, type.getRank()));
  SmallVector<int64_t> sizes;
  if (ctx.opset() < 13) {
    KILN_TRY(SmallVector<int64_t>, attr, ctx.getInts("split"));
    sizes = attr;
  } else if (ctx.hasInput(1)) {
    KILN_TRY(SmallVector<int64_t>, input, ctx.requireConstantInts(1, "split"));
    sizes = input;
  }
  int64_t outputs = ctx.numOutputs();
  if (ctx.opset() >= 18 && ctx.hasAttr("num_outputs")) {
    KILN_TRY(int64_t, count, ctx.getInt("num_outputs", outputs));
    if (count != outputs)
      return ctx.emitError() << "num_outputs is " << count << " but the node "
                             << "has " << outputs << " outputs";
  }
  int64_t size = type.getDimSize(axis);
  if (sizes.empty()) {
    if (ShapedType::isDynamic(size))
      return ctx.emitError() << "an even split of dynamic dim " << axis
                             << " needs the split sizes";
    // Opset 18 allows a smaller last chunk (ceil division).
    int64_t chunk = (size + outputs - 1) / outputs;
    if (ctx.opset() < 18 && size % outputs != 0)
      return ctx.emitError() << "dim " << axis << " of size " << size
                             << " does not split evenly into " << outputs;
    for (int64_t i = 0, left = size; i < outputs; ++i) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return ctx.emitError() << "split has " << sizes.size() << " sizes for "
                           << outputs << " outputs";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return ctx.emitError() << "negative split size " << s;
    total += s;
  }
  if (!ShapedType::isDynamic(size) && total != size)
    return ctx.emitError() << "split sizes add up to " << total
                           << ", not the dim size " << size;
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    KILN_TRY(Value, part, sliceAlong(ctx, x, axis, offset, offset + sizes[i]));
    offset += sizes[i];
    if (failed(ctx.setOutput(i, part)))
      return failure();
  }
  return success();
}

/// Maps an ONNX slice bound onto a Python one for a dim of known size:
/// ONNX clamps a negative-step start into [0, size - 1] and an end into
/// [-1, size - 1], where -1 means "before the first element", which Python
/// spells as an omitted end.
static void normalizeStaticBounds(int64_t size, int64_t step, int64_t &start,
                                  int64_t &end) {
  auto adjust = [&](int64_t v) {
    if (v < 0)
      v = v <= kInt64Min + size ? kInt64Min : v + size;
    return v;
  };
  start = adjust(start);
  end = adjust(end);
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, size);
    end = std::clamp<int64_t>(end, 0, size);
    return;
  }
  start = std::clamp<int64_t>(start, 0, size - 1);
  end = std::clamp<int64_t>(end, -1, size - 1);
  if (end == -1)
    end = kInt64Min;
}

/// Slices `x` along `axis` with bounds known only at run time: the indices
/// `range(start', end', step)` are gathered, where start' and end' are
/// `start` and `end` (1-element i64 tensors) normalized as ONNX's Slice does:
/// negative values count from the end, then clamp to [0, dim] (to [-1, dim-1]
/// for the end and [0, dim-1] for the start of a negative step).
static FailureOr<Value> sliceAtRunTime(ImportContext &ctx, Value x,
                                       int64_t axis, Value start, Value end,
                                       int64_t step) {
  KILN_TRY(Value, shape, ctx.create<ShapeOfOp>(x));
  SmallVector<int64_t> starts(1, axis), ends(1, axis + 1), steps(1, 1);
  KILN_TRY(Value, dim, ctx.create<SliceOp>(shape, starts, ends, steps));
  Value zero = ctx.constantI64({0});
  Value one = ctx.constantI64({1});
  KILN_TRY(Value, dimMinusOne, ctx.create<SubOp>(dim, one));
  Value minusOne = ctx.constantI64({-1});
  auto normalize = [&](Value bound, Value lo, Value hi) -> FailureOr<Value> {
    KILN_TRY(Value, isNegative,
             ctx.create<CompareOp>(ComparePredicate::lt, bound, zero));
    KILN_TRY(Value, fromEnd, ctx.create<AddOp>(bound, dim));
    KILN_TRY(Value, wrapped, ctx.create<WhereOp>(isNegative, fromEnd, bound));
    KILN_TRY(Value, atLeast, ctx.create<MaxOp>(wrapped, lo));
    return ctx.create<MinOp>(atLeast, hi);
  };
  FailureOr<Value> first = step > 0 ? normalize(start, zero, dim)
                                    : normalize(start, zero, dimMinusOne);
  FailureOr<Value> last = step > 0 ? normalize(end, zero, dim)
                                   : normalize(end, minusOne, dimMinusOne);
  if (failed(first) || failed(last))
    return failure();
  auto scalarType = RankedTensorType::get({}, ctx.getBuilder().getI64Type());
  KILN_TRY(Value, firstScalar,
           ctx.createTyped<ReshapeOp>(scalarType, *first, Value()));
  KILN_TRY(Value, lastScalar,
           ctx.createTyped<ReshapeOp>(scalarType, *last, Value()));
  Value stepScalar = ctx.scalarConstant(ctx.getBuilder().getI64Type(), step);
  auto indexType = RankedTensorType::get({ShapedType::kDynamic},
                                         ctx.getBuilder().getI64Type());
  KILN_TRY(
      Value, indices,
      ctx.createTyped<RangeOp>(indexType, firstScalar, lastScalar, stepScalar));
  return ctx.create<GatherOp>(x, indices, axis);
}

/// A Slice input (starts or ends) as a 1-D i64 tensor, cast if it is i32.
static FailureOr<Value> boundsAsI64(ImportContext &ctx, int64_t index) {
  KILN_TRY(Value, bounds, ctx.input(index));
  RankedTensorType type = tensorType(bounds);
  if (type.getRank() != 1 || !isa<IntegerType>(type.getElementType()))
    return ctx.emitError() << "input #" << index
                           << " of Slice must be a 1-D integer tensor";
  if (type.getElementType().isInteger(64))
    return bounds;
  return ctx.createTyped<CastOp>(
      RankedTensorType::get(type.getShape(), ctx.getBuilder().getI64Type()),
      bounds);
}

static LogicalResult importSlice(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    KILN_TRY(SmallVector<int64_t>, s, ctx.getInts("starts"));
    KILN_TRY(SmallVector<int64_t>, e, ctx.getInts("ends"));
    KILN_TRY(SmallVector<int64_t>, a, ctx.getInts("axes"));
    starts = s;
    ends = e;
    axes = a;
  } else {
    KILN_TRY(Value, startsValue, ctx.input(1));
    KILN_TRY(Value, endsValue, ctx.input(2));
    std::optional<SmallVector<int64_t>> s = ctx.getConstantInts(startsValue);
    std::optional<SmallVector<int64_t>> e = ctx.getConstantInts(endsValue);
    if (!s || !e) {
      // Bounds computed at run time (e.g. x[:, :seq_len] over a buffer):
      // axes and steps must still be constants.
      int64_t count = tensorType(startsValue).getRank() == 1
                          ? tensorType(startsValue).getDimSize(0)
                          : ShapedType::kDynamic;
      if (ShapedType::isDynamic(count))
        return ctx.emitError()
               << "starts must be a 1-D tensor of static length";
      SmallVector<int64_t> dynAxes, dynSteps(count, 1);
      if (ctx.hasInput(3)) {
        KILN_TRY(SmallVector<int64_t>, a, ctx.requireConstantInts(3, "axes"));
        dynAxes = a;
      } else {
        for (int64_t i = 0; i < count; ++i)
          dynAxes.push_back(i);
      }
      if (ctx.hasInput(4)) {
        KILN_TRY(SmallVector<int64_t>, st, ctx.requireConstantInts(4, "steps"));
        dynSteps = st;
      }
      if (static_cast<int64_t>(dynAxes.size()) != count ||
          static_cast<int64_t>(dynSteps.size()) != count)
        return ctx.emitError()
               << "starts, ends, axes and steps differ in length";
      KILN_TRY(SmallVector<int64_t>, normalized,
               ctx.normalizeAxes(dynAxes, rank));
      KILN_TRY(Value, startsI64, boundsAsI64(ctx, 1));
      KILN_TRY(Value, endsI64, boundsAsI64(ctx, 2));
      Value y = x;
      for (auto [i, axis] : llvm::enumerate(normalized)) {
        if (dynSteps[i] == 0)
          return ctx.emitError() << "step of axis " << axis << " is zero";
        SmallVector<int64_t> lo(1, i), hi(1, i + 1), one(1, 1);
        KILN_TRY(Value, start, ctx.create<SliceOp>(startsI64, lo, hi, one));
        KILN_TRY(Value, end, ctx.create<SliceOp>(endsI64, lo, hi, one));
        KILN_TRY(Value, sliced,
                 sliceAtRunTime(ctx, y, axis, start, end, dynSteps[i]));
        y = sliced;
      }
      return ctx.setOutput(0, y);
    }
    starts = *s;
    ends = *e;
    if (ctx.hasInput(3)) {
      KILN_TRY(SmallVector<int64_t>, a, ctx.requireConstantInts(3, "axes"));
      axes = a;
    }
    if (ctx.hasInput(4)) {
      KILN_TRY(SmallVector<int64_t>, st, ctx.requireConstantInts(4, "steps"));
      steps = st;
    }
  }
  if (axes.empty())
    for (int64_t i = 0; i < static_cast<int64_t>(starts.size()); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size())
    return ctx.emitError() << "starts, ends, axes and steps differ in length";
  KILN_TRY(SmallVector<int64_t>, normalizedAxes, ctx.normalizeAxes(axes, rank));
  SmallVector<int64_t> allStarts(rank, 0), allEnds(rank, kInt64Max),
      allSteps(rank, 1);
  for (auto [i, axis] : llvm::enumerate(normalizedAxes)) {
    int64_t start = starts[i], end = ends[i], step = steps[i];
    if (step == 0)
      return ctx.emitError() << "step of axis " << axis << " is zero";
    if (!type.isDynamicDim(axis))
      normalizeStaticBounds(type.getDimSize(axis), step, start, end);
    allStarts[axis] = start;
    allEnds[axis] = end;
    allSteps[axis] = step;
  }
  KILN_TRY(Value, y, ctx.create<SliceOp>(x, allStarts, allEnds, allSteps));
  // Slicing a shape tensor of static length keeps the sliced entries.
  if (rank == 1 && !type.isDynamicDim(0) && !tensorType(y).isDynamicDim(0)) {
    if (std::optional<SmallVector<ShapeEntry>> entries =
            ctx.getShapeEntries(x)) {
      SmallVector<ShapeEntry> sliced;
      int64_t count = tensorType(y).getDimSize(0);
      int64_t start = allStarts[0];
      if (start == kInt64Max)
        start = type.getDimSize(0) - 1;
      for (int64_t i = 0; i < count; ++i)
        sliced.push_back((*entries)[start + i * allSteps[0]]);
      ctx.setShapeEntries(y, sliced);
    }
  }
  return ctx.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Expand, Tile, Pad
//===----------------------------------------------------------------------===//

/// Expand broadcasts both ways: the result dim is the larger of the input's
/// and the shape's. A shape entry only known at run time is taken as the
/// result size unless the input's dim is a known size other than 1.
static LogicalResult importExpand(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, shape, ctx.input(1));
  std::optional<SmallVector<ShapeEntry>> known = ctx.getShapeEntries(shape);
  if (!known)
    return ctx.emitError()
           << "the shape input must be a 1-D i64 tensor of static length";
  RankedTensorType type = tensorType(x);
  int64_t rank = std::max<int64_t>(type.getRank(), known->size());
  int64_t xOffset = rank - type.getRank(),
          shapeOffset = rank - static_cast<int64_t>(known->size());
  SmallVector<ShapeEntry> result;
  bool needsOperand = false;
  for (int64_t d = 0; d < rank; ++d) {
    std::optional<ShapeEntry> fromShape;
    if (d >= shapeOffset)
      fromShape = (*known)[d - shapeOffset];
    std::optional<ShapeEntry> fromInput;
    if (d >= xOffset)
      fromInput = ShapeEntry::dimOf(x, d - xOffset);
    if (!fromShape) {
      result.push_back(*fromInput);
      continue;
    }
    if (fromShape->isConstant()) {
      int64_t s = fromShape->value;
      if (s == 1 && fromInput) {
        result.push_back(*fromInput);
        continue;
      }
      if (fromInput && fromInput->isConstant() && fromInput->value != 1 &&
          fromInput->value != s)
        return ctx.emitError()
               << "cannot expand " << formatShape(type.getShape()) << ": dim "
               << d << " is " << fromInput->value << ", the shape asks for "
               << s;
      result.push_back(*fromShape);
      continue;
    }
    if (fromInput && fromInput->isConstant() && fromInput->value != 1) {
      result.push_back(*fromInput);
      continue;
    }
    if (fromInput && *fromInput == *fromShape) {
      result.push_back(*fromInput);
      continue;
    }
    result.push_back(*fromShape);
    needsOperand = true;
  }
  SmallVector<int64_t> dims;
  for (const ShapeEntry &entry : result)
    dims.push_back(entry.staticSize());
  auto resultType = RankedTensorType::get(dims, type.getElementType());
  // Without an operand, dynamic result dims must be the input's own.
  for (int64_t d = 0; d < rank && !needsOperand; ++d)
    if (resultType.isDynamicDim(d) &&
        (d < xOffset || !type.isDynamicDim(d - xOffset)))
      needsOperand = true;
  Value operand;
  if (needsOperand) {
    KILN_TRY(Value, materialized, ctx.materializeShape(result));
    operand = materialized;
  }
  KILN_TRY(Value, y, ctx.createTyped<ExpandOp>(resultType, x, operand));
  return ctx.setOutput(0, y);
}

static LogicalResult importTile(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(SmallVector<int64_t>, repeats,
           ctx.requireConstantInts(1, "repeats"));
  if (static_cast<int64_t>(repeats.size()) != tensorType(x).getRank())
    return ctx.emitError() << "repeats has " << repeats.size()
                           << " entries for rank " << tensorType(x).getRank();
  for (auto [size, r] : llvm::zip(tensorType(x).getShape(), repeats)) {
    if (r < 0)
      return ctx.emitError() << "negative repeat " << r;
    // kiln.tile's type inference multiplies unchecked.
    int64_t tiled = 0;
    if (!ShapedType::isDynamic(size) && llvm::MulOverflow(size, r, tiled))
      return ctx.emitError()
             << "repeat " << r << " of a dim of " << size << " overflows int64";
  }
  KILN_TRY(Value, y, ctx.create<TileOp>(x, repeats));
  return ctx.setOutput(0, y);
}

static LogicalResult importPad(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t rank = tensorType(x).getRank();
  KILN_TRY(std::string, modeName, ctx.getString("mode", "constant"));
  std::optional<PadMode> mode = symbolizePadMode(modeName);
  if (!mode)
    return ctx.emitError() << "unsupported pad mode '" << modeName << "'";
  SmallVector<int64_t> pads;
  double value = 0;
  if (ctx.opset() < 11) {
    KILN_TRY(SmallVector<int64_t>, attr,
             ctx.getInts(ctx.opset() < 2 ? "paddings" : "pads"));
    pads = attr;
    KILN_TRY(double, v, ctx.getFloat("value", 0));
    value = v;
  } else {
    KILN_TRY(SmallVector<int64_t>, input, ctx.requireConstantInts(1, "pads"));
    pads = input;
    if (Value constant = ctx.optionalInput(2)) {
      std::optional<double> scalar = ctx.getConstantScalar(constant);
      if (!scalar)
        return ctx.emitError() << "constant_value must be a constant scalar";
      value = *scalar;
    }
    if (ctx.hasInput(3)) {
      // Opset 18: pads for the listed axes only.
      KILN_TRY(SmallVector<int64_t>, axes, ctx.requireConstantInts(3, "axes"));
      KILN_TRY(SmallVector<int64_t>, normalized, ctx.normalizeAxes(axes, rank));
      if (pads.size() != 2 * normalized.size())
        return ctx.emitError() << "pads has " << pads.size() << " entries for "
                               << normalized.size() << " axes";
      SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, axis] : llvm::enumerate(normalized)) {
        full[axis] = pads[i];
        full[rank + axis] = pads[normalized.size() + i];
      }
      pads = full;
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return ctx.emitError() << "pads has " << pads.size() << " entries for rank "
                           << rank;
  MLIRContext *context = ctx.getContext();
  KILN_TRY(Value, y,
           ctx.create<PadOp>(x, DenseI64ArrayAttr::get(context, pads),
                             PadModeAttr::get(context, *mode),
                             ctx.getBuilder().getF64FloatAttr(value)));
  return ctx.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Shape, Size, ConstantOfShape, Range, Constant
//===----------------------------------------------------------------------===//

static LogicalResult importShape(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t rank = tensorType(x).getRank();
  KILN_TRY(int64_t, startAttr, ctx.getInt("start", 0));
  KILN_TRY(int64_t, endAttr, ctx.getInt("end", rank));
  auto clampDim = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clampDim(startAttr), end = std::max(start, clampDim(endAttr));
  SmallVector<ShapeEntry> entries = ctx.dimsOf(x);
  entries =
      SmallVector<ShapeEntry>(entries.begin() + start, entries.begin() + end);
  // A static shape is a constant; otherwise kiln.shape_of, sliced.
  KILN_TRY(Value, y, ctx.materializeShape(entries));
  return ctx.setOutput(0, y);
}

static LogicalResult importSize(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  if (type.hasStaticShape())
    return ctx.setOutput(
        0, ctx.constantI64({type.getNumElements()}, ArrayRef<int64_t>{}));
  KILN_TRY(
      Value, product,
      ctx.materializeShape({ShapeEntry::dimProduct(x, 0, type.getRank())}));
  KILN_TRY(Value, y, ctx.reshape(product, {}));
  return ctx.setOutput(0, y);
}

static LogicalResult importConstantOfShape(ImportContext &ctx,
                                           const onnx::NodeProto &) {
  KILN_TRY(Value, shape, ctx.input(0));
  std::optional<SmallVector<ShapeEntry>> entries = ctx.getShapeEntries(shape);
  if (!entries)
    return ctx.emitError()
           << "the shape input must be a 1-D i64 tensor of static length";
  Value scalar;
  if (ctx.hasAttr("value")) {
    KILN_TRY(const onnx::TensorProto *, tensor, ctx.getTensorAttr("value"));
    KILN_TRY(
        Value, constant,
        ctx.importTensor(*tensor, "the value of ConstantOfShape", ctx.loc()));
    if (tensorType(constant).getNumElements() != 1)
      return ctx.emitError() << "value must hold one element";
    KILN_TRY(Value, reshaped, ctx.reshape(constant, {}));
    scalar = reshaped;
  } else {
    scalar = ctx.scalarConstant(ctx.getBuilder().getF32Type(), 0);
  }
  SmallVector<int64_t> dims;
  for (const ShapeEntry &entry : *entries)
    dims.push_back(entry.staticSize());
  auto type = RankedTensorType::get(dims, tensorType(scalar).getElementType());
  if (type.hasStaticShape()) {
    // A splat literal: folders see it and it costs no storage.
    auto constant = scalar.getDefiningOp<ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                          : DenseElementsAttr();
    if (dense)
      return ctx.setOutput(0, ctx.getBuilder().create<ConstantOp>(
                                  ctx.loc(), type,
                                  DenseElementsAttr::get(
                                      type, dense.getSplatValue<Attribute>())));
  }
  KILN_TRY(Value, operand, ctx.materializeShape(*entries));
  KILN_TRY(Value, y, ctx.createTyped<ExpandOp>(type, scalar, operand));
  return ctx.setOutput(0, y);
}

/// Ranges of constants up to this length become literals.
static constexpr int64_t kMaxRangeLiteral = int64_t(1) << 16;

static LogicalResult importRange(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, start, ctx.input(0));
  KILN_TRY(Value, limit, ctx.input(1));
  KILN_TRY(Value, delta, ctx.input(2));
  Type element = tensorType(start).getElementType();
  std::optional<double> s = ctx.getConstantScalar(start),
                        l = ctx.getConstantScalar(limit),
                        d = ctx.getConstantScalar(delta);
  if (s && l && d) {
    if (*d == 0)
      return ctx.emitError() << "delta is zero";
    // The length is checked as a double: a NaN or huge one has no integer.
    double steps = std::ceil((*l - *s) / *d);
    if (std::isnan(steps) || steps > double(int64_t(1) << 24))
      return ctx.emitError() << "range from " << *s << " to " << *l << " by "
                             << *d << " is too large to import";
    int64_t count = steps > 0 ? static_cast<int64_t>(steps) : 0;
    auto type = RankedTensorType::get({count}, element);
    // A literal costs an attribute per element (seconds and gigabytes for
    // millions of them); a long range is computed at run time instead.
    if (count > kMaxRangeLiteral) {
      SmallVector<Value> scalars;
      for (Value v : {start, limit, delta}) {
        KILN_TRY(Value, scalar, ctx.reshape(v, {}));
        scalars.push_back(scalar);
      }
      KILN_TRY(
          Value, y,
          ctx.createTyped<RangeOp>(type, scalars[0], scalars[1], scalars[2]));
      return ctx.setOutput(0, y);
    }
    SmallVector<Attribute> values;
    for (int64_t i = 0; i < count; ++i) {
      double v = *s + i * *d;
      if (isa<FloatType>(element)) {
        values.push_back(ctx.getBuilder().getFloatAttr(element, v));
        continue;
      }
      std::optional<int64_t> integer = toInt64(v);
      if (!integer)
        return ctx.emitError()
               << "range element " << v << " is out of range for " << element;
      values.push_back(ctx.getBuilder().getIntegerAttr(element, *integer));
    }
    Value y = ctx.getBuilder().create<ConstantOp>(
        ctx.loc(), type, DenseElementsAttr::get(type, values));
    return ctx.setOutput(0, y);
  }
  // Operands must be scalars for kiln.range.
  SmallVector<Value> scalars;
  for (Value v : {start, limit, delta}) {
    KILN_TRY(Value, scalar, ctx.reshape(v, {}));
    scalars.push_back(scalar);
  }
  auto type = RankedTensorType::get({ShapedType::kDynamic}, element);
  KILN_TRY(Value, y,
           ctx.createTyped<RangeOp>(type, scalars[0], scalars[1], scalars[2]));
  return ctx.setOutput(0, y);
}

static LogicalResult importConstant(ImportContext &ctx,
                                    const onnx::NodeProto &node) {
  if (node.attribute_size() != 1)
    return ctx.emitError() << "must have exactly one value attribute, has "
                           << node.attribute_size();
  const onnx::AttributeProto &attr = node.attribute(0);
  llvm::StringRef name = attr.name();
  std::string what = "the value of Constant node '" + node.name() + "'";
  if (name == "value") {
    KILN_TRY(const onnx::TensorProto *, tensor, ctx.getTensorAttr("value"));
    KILN_TRY(Value, y, ctx.importTensor(*tensor, what, ctx.loc()));
    return ctx.setOutput(0, y);
  }
  OpBuilder &b = ctx.getBuilder();
  if (name == "value_int") {
    KILN_TRY(int64_t, v, ctx.getInt("value_int", 0));
    return ctx.setOutput(0, ctx.constantI64({v}, ArrayRef<int64_t>{}));
  }
  if (name == "value_ints") {
    KILN_TRY(SmallVector<int64_t>, v, ctx.getInts("value_ints"));
    return ctx.setOutput(0, ctx.constantI64(v));
  }
  if (name == "value_float") {
    KILN_TRY(double, v, ctx.getFloat("value_float", 0));
    return ctx.setOutput(0, ctx.scalarConstant(b.getF32Type(), v));
  }
  if (name == "value_floats") {
    KILN_TRY(SmallVector<double>, v, ctx.getFloats("value_floats"));
    SmallVector<float> floats(v.begin(), v.end());
    auto type = RankedTensorType::get({static_cast<int64_t>(floats.size())},
                                      b.getF32Type());
    return ctx.setOutput(
        0, b.create<ConstantOp>(
               ctx.loc(), type,
               DenseElementsAttr::get(type, ArrayRef<float>(floats))));
  }
  return ctx.emitError() << "constant attribute '" << name
                         << "' is not supported (strings and sparse tensors "
                            "are not)";
}

//===----------------------------------------------------------------------===//
// DepthToSpace, SpaceToDepth, Resize
//===----------------------------------------------------------------------===//

static LogicalResult importDepthToSpace(ImportContext &ctx,
                                        const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  KILN_TRY(int64_t, b, ctx.getRequiredInt("blocksize"));
  KILN_TRY(std::string, mode, ctx.getString("mode", "DCR"));
  if (type.getRank() != 4 || type.isDynamicDim(1))
    return ctx.emitError() << "input must be NCHW with a static C";
  int64_t c = type.getDimSize(1);
  if (b < 1 || c % (b * b) != 0)
    return ctx.emitError() << "channels " << c
                           << " are not divisible by blocksize^2 (" << b << ")";
  ShapeEntry n = ShapeEntry::dimOf(x, 0), h = ShapeEntry::dimOf(x, 2),
             w = ShapeEntry::dimOf(x, 3), block = ShapeEntry::constant(b),
             depth = ShapeEntry::constant(c / (b * b));
  SmallVector<ShapeEntry> split;
  SmallVector<int64_t> perm;
  if (mode == "DCR") {
    split = {n, block, block, depth, h, w};
    perm = {0, 3, 4, 1, 5, 2};
  } else if (mode == "CRD") {
    split = {n, depth, block, block, h, w};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    return ctx.emitError() << "unknown mode '" << mode << "'";
  }
  KILN_TRY(Value, expanded, ctx.reshape(x, split));
  KILN_TRY(Value, moved, ctx.transpose(expanded, perm));
  KILN_TRY(Value, y,
           ctx.reshape(moved, {ShapeEntry::dimOf(moved, 0),
                               ShapeEntry::dimOf(moved, 1),
                               ShapeEntry::dimProduct(moved, 2, 4),
                               ShapeEntry::dimProduct(moved, 4, 6)}));
  return ctx.setOutput(0, y);
}

static LogicalResult importSpaceToDepth(ImportContext &ctx,
                                        const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  KILN_TRY(int64_t, b, ctx.getRequiredInt("blocksize"));
  if (type.getRank() != 4 || type.isDynamicDim(2) || type.isDynamicDim(3))
    return ctx.emitError() << "input must be NCHW with static H and W";
  int64_t h = type.getDimSize(2), w = type.getDimSize(3);
  if (b < 1 || h % b != 0 || w % b != 0)
    return ctx.emitError() << "H and W (" << h << ", " << w
                           << ") are not divisible by blocksize " << b;
  ShapeEntry block = ShapeEntry::constant(b);
  KILN_TRY(Value, expanded,
           ctx.reshape(x, {ShapeEntry::dimOf(x, 0), ShapeEntry::dimOf(x, 1),
                           ShapeEntry::constant(h / b), block,
                           ShapeEntry::constant(w / b), block}));
  KILN_TRY(Value, moved, ctx.transpose(expanded, {0, 3, 5, 1, 2, 4}));
  KILN_TRY(Value, y,
           ctx.reshape(moved, {ShapeEntry::dimOf(moved, 0),
                               ShapeEntry::dimProduct(moved, 1, 4),
                               ShapeEntry::dimOf(moved, 4),
                               ShapeEntry::dimOf(moved, 5)}));
  return ctx.setOutput(0, y);
}

static LogicalResult importResize(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  KILN_TRY(std::string, modeName, ctx.getString("mode", "nearest"));
  std::optional<ResizeMode> mode = symbolizeResizeMode(modeName);
  if (!mode)
    return ctx.emitError() << "resize mode '" << modeName
                           << "' is not supported (nearest and linear are)";
  // Opset 10 behaves like Upsample: asymmetric coordinates, floor rounding.
  std::string coordinateDefault =
      ctx.opset() < 11 ? "asymmetric" : "half_pixel";
  KILN_TRY(std::string, coordinateName,
           ctx.getString("coordinate_transformation_mode", coordinateDefault));
  std::optional<CoordinateMode> coordinate =
      symbolizeCoordinateMode(coordinateName);
  if (!coordinate)
    return ctx.emitError() << "coordinate_transformation_mode '"
                           << coordinateName << "' is not supported";
  KILN_TRY(std::string, nearestName,
           ctx.getString("nearest_mode",
                         ctx.opset() < 11 ? "floor" : "round_prefer_floor"));
  std::optional<NearestMode> nearest = symbolizeNearestMode(nearestName);
  if (!nearest)
    return ctx.emitError() << "nearest_mode '" << nearestName
                           << "' is not supported";
  KILN_TRY(int64_t, antialias, ctx.getInt("antialias", 0));
  if (antialias)
    return ctx.emitError() << "antialiased resize is not supported";
  KILN_TRY(std::string, policy,
           ctx.getString("keep_aspect_ratio_policy", "stretch"));
  if (policy != "stretch")
    return ctx.emitError() << "keep_aspect_ratio_policy '" << policy
                           << "' is not supported";

  int64_t scalesIndex = ctx.opset() < 11 ? 1 : 2;
  SmallVector<double> scales;
  SmallVector<int64_t> sizes;
  if (Value scalesValue = ctx.optionalInput(scalesIndex)) {
    std::optional<SmallVector<double>> constant =
        ctx.getConstantFloats(scalesValue);
    if (!constant)
      return ctx.emitError() << "scales must be a constant";
    scales = *constant;
  }
  if (scales.empty() && ctx.opset() >= 11 && ctx.hasInput(3)) {
    KILN_TRY(SmallVector<int64_t>, s, ctx.requireConstantInts(3, "sizes"));
    sizes = s;
  }
  if (scales.empty() && sizes.empty())
    return ctx.emitError() << "needs constant scales or sizes";
  SmallVector<int64_t> axes;
  if (ctx.opset() >= 18) {
    KILN_TRY(SmallVector<int64_t>, a, ctx.getInts("axes"));
    KILN_TRY(SmallVector<int64_t>, normalized, ctx.normalizeAxes(a, rank));
    axes = normalized;
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  int64_t given = scales.empty() ? sizes.size() : scales.size();
  if (given != static_cast<int64_t>(axes.size()))
    return ctx.emitError() << "scales/sizes have " << given << " entries for "
                           << axes.size() << " axes";
  SmallVector<double> allScales(rank, 1.0);
  SmallVector<int64_t> shape(type.getShape());
  for (auto [i, axis] : llvm::enumerate(axes)) {
    int64_t in = type.getDimSize(axis);
    if (!scales.empty()) {
      if (scales[i] <= 0)
        return ctx.emitError() << "scales must be positive";
      allScales[axis] = scales[i];
      if (!ShapedType::isDynamic(in)) {
        std::optional<int64_t> size = toInt64(std::floor(in * scales[i]));
        if (!size)
          return ctx.emitError() << "scale " << scales[i] << " along axis "
                                 << axis << " gives no valid dim size";
        shape[axis] = *size;
      }
      continue;
    }
    if (ShapedType::isDynamic(in))
      return ctx.emitError() << "resize to given sizes along dynamic dim "
                             << axis << " is not supported";
    if (sizes[i] <= 0 || in == 0)
      return ctx.emitError() << "sizes must be positive";
    allScales[axis] = static_cast<double>(sizes[i]) / in;
    shape[axis] = sizes[i];
  }
  MLIRContext *context = ctx.getContext();
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  KILN_TRY(Value, y,
           ctx.createTyped<ResizeOp>(
               resultType, x, ResizeModeAttr::get(context, *mode),
               CoordinateModeAttr::get(context, *coordinate),
               NearestModeAttr::get(context, *nearest),
               DenseF64ArrayAttr::get(context, allScales)));
  return ctx.setOutput(0, y);
}

/// Upsample (opsets 7-9, Resize's predecessor): asymmetric coordinates,
/// floor rounding; scales an attribute in 7-8 and an input in 9.
static LogicalResult importUpsample(ImportContext &ctx,
                                    const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType type = tensorType(x);
  KILN_TRY(std::string, modeName, ctx.getString("mode", "nearest"));
  if (modeName == "bilinear")
    modeName = "linear";
  std::optional<ResizeMode> mode = symbolizeResizeMode(modeName);
  if (!mode)
    return ctx.emitError() << "upsample mode '" << modeName
                           << "' is not supported";
  SmallVector<double> scales;
  if (ctx.opset() < 9) {
    KILN_TRY(SmallVector<double>, attr, ctx.getFloats("scales"));
    scales = attr;
  } else {
    KILN_TRY(Value, scalesValue, ctx.input(1));
    std::optional<SmallVector<double>> constant =
        ctx.getConstantFloats(scalesValue);
    if (!constant)
      return ctx.emitError() << "scales must be a constant";
    scales = *constant;
  }
  if (static_cast<int64_t>(scales.size()) != type.getRank())
    return ctx.emitError() << "scales has " << scales.size()
                           << " entries for rank " << type.getRank();
  SmallVector<int64_t> shape(type.getShape());
  for (auto [dim, scale] : llvm::zip(shape, scales)) {
    if (scale <= 0)
      return ctx.emitError() << "scales must be positive";
    if (ShapedType::isDynamic(dim))
      continue;
    std::optional<int64_t> size = toInt64(std::floor(dim * scale));
    if (!size)
      return ctx.emitError() << "scale " << scale << " gives no valid dim size";
    dim = *size;
  }
  MLIRContext *context = ctx.getContext();
  KILN_TRY(Value, y,
           ctx.createTyped<ResizeOp>(
               RankedTensorType::get(shape, type.getElementType()), x,
               ResizeModeAttr::get(context, *mode),
               CoordinateModeAttr::get(context, CoordinateMode::asymmetric),
               NearestModeAttr::get(context, NearestMode::floor),
               DenseF64ArrayAttr::get(context, scales)));
  return ctx.setOutput(0, y);
}

void mlir::kiln::onnx_import::registerShapeImporters(OpRegistry &registry) {
  registry.add("Upsample", importUpsample, 7, 9);
  registry.add("Reshape", importReshape, 5);
  registry.add("Flatten", importFlatten);
  registry.add("Squeeze", importSqueeze<false>, 1, 12);
  registry.add("Squeeze", importSqueeze<true>, 13);
  registry.add("Unsqueeze", importUnsqueeze<false>, 1, 12);
  registry.add("Unsqueeze", importUnsqueeze<true>, 13);
  registry.add("Transpose", importTranspose);
  registry.add("Concat", importConcat);
  registry.add("Split", importSplit, 2);
  registry.add("Slice", importSlice);
  registry.add("Expand", importExpand, 8);
  registry.add("Tile", importTile, 6);
  registry.add("Pad", importPad, 2);
  registry.add("Shape", importShape);
  registry.add("Size", importSize);
  registry.add("ConstantOfShape", importConstantOfShape, 9);
  registry.add("Range", importRange, 11);
  registry.add("Constant", importConstant);
  registry.add("DepthToSpace", importDepthToSpace);
  registry.add("SpaceToDepth", importSpaceToDepth);
  registry.add("Resize", importResize, 10);
}
