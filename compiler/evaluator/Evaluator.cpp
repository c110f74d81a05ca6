//===- Evaluator.cpp - Reference evaluator for the kiln dialect -----------===//
//
// One function per op or op family. Each takes its operands' tensors and
// returns its results; the interpreter loop checks every computed result
// against the op's declared type, so a program that is only valid for some
// input shapes fails with a diagnostic at the op that breaks, not later.
//
//===----------------------------------------------------------------------===//

#include "compiler/evaluator/Evaluator.h"
#include "compiler/evaluator/FloatFormats.h"

#include "dialects/kiln/KilnOps.h"
#include "dialects/kiln/ShapeRules.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

using Results = FailureOr<SmallVector<Tensor>>;

//===----------------------------------------------------------------------===//
// Index arithmetic
//===----------------------------------------------------------------------===//

int64_t product(ArrayRef<int64_t> dims) {
  int64_t result = 1;
  for (int64_t dim : dims)
    result *= dim;
  return result;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Calls `fn(index, linear)` for every multi-index of `shape` in row-major
/// order, `linear` being its row-major position.
void forEachIndex(ArrayRef<int64_t> shape,
                  llvm::function_ref<void(ArrayRef<int64_t>, int64_t)> fn) {
  int64_t count = product(shape);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    fn(index, linear);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// The element of an operand of shape `inShape` that numpy broadcasting
/// pairs with `outIndex` of the (larger) result.
int64_t broadcastOffset(ArrayRef<int64_t> outIndex, ArrayRef<int64_t> inShape,
                        ArrayRef<int64_t> inStrides) {
  size_t offset = outIndex.size() - inShape.size();
  int64_t linear = 0;
  for (size_t d = 0; d < inShape.size(); ++d)
    if (inShape[d] != 1)
      linear += outIndex[offset + d] * inStrides[d];
  return linear;
}

/// Fails at `op` when a result shape computed from run-time values (shape
/// operands, ranges, attributes times input sizes) is too large to allocate.
LogicalResult checkResultSize(Operation *op, ArrayRef<int64_t> shape) {
  if (getCheckedElementCount(shape))
    return success();
  return op->emitError("result shape ")
         << formatDims(shape) << " has more than " << kMaxTensorElements
         << " elements";
}

/// numpy broadcasting of concrete shapes; an error at `op` when they do not
/// broadcast.
FailureOr<SmallVector<int64_t>>
broadcastAll(Operation *op, ArrayRef<SmallVector<int64_t>> shapes) {
  SmallVector<int64_t> result;
  for (const SmallVector<int64_t> &shape : shapes) {
    SmallVector<int64_t> next;
    if (failed(broadcastShapes(result, shape, next))) {
      InFlightDiagnostic diag = op->emitError("operand shapes");
      for (const SmallVector<int64_t> &s : shapes)
        diag << " " << formatDims(s);
      return diag << " do not broadcast";
    }
    result = std::move(next);
  }
  if (failed(checkResultSize(op, result)))
    return failure();
  return result;
}

SmallVector<int64_t> shapeOf(const Tensor &tensor) {
  return SmallVector<int64_t>(tensor.getShape());
}

//===----------------------------------------------------------------------===//
// Scalar semantics
//===----------------------------------------------------------------------===//

/// Integer arithmetic that wraps instead of overflowing: computed in uint64_t
/// (defined behaviour), then wrapped to the element width by Tensor::setInt.
int64_t wrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) +
                              static_cast<uint64_t>(b));
}
int64_t wrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) -
                              static_cast<uint64_t>(b));
}
int64_t wrappingMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) *
                              static_cast<uint64_t>(b));
}
int64_t wrappingNeg(int64_t a) {
  return static_cast<int64_t>(0 - static_cast<uint64_t>(a));
}

/// The smallest and largest value of an integer kind.
std::pair<int64_t, int64_t> intRange(ElementKind kind) {
  switch (kind) {
  case ElementKind::I32:
    return {std::numeric_limits<int32_t>::min(),
            std::numeric_limits<int32_t>::max()};
  case ElementKind::I8:
    return {std::numeric_limits<int8_t>::min(),
            std::numeric_limits<int8_t>::max()};
  case ElementKind::I1:
    return {0, 1};
  default:
    return {std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max()};
  }
}

/// Float to integer: truncation toward zero, saturating at the kind's range;
/// NaN gives 0. (The dialect leaves NaN and out-of-range values open; this is
/// the choice documented in docs/evaluator.md.)
int64_t floatToInt(double value, ElementKind kind) {
  if (kind == ElementKind::I1)
    return value != 0; // NaN != 0 is true
  if (std::isnan(value))
    return 0;
  auto [lo, hi] = intRange(kind);
  double truncated = std::trunc(value);
  // 2^63 is exactly representable; anything at or above it saturates.
  if (truncated >= 9223372036854775808.0)
    return hi;
  if (truncated < -9223372036854775808.0)
    return lo;
  int64_t result = static_cast<int64_t>(truncated);
  return std::clamp(result, lo, hi);
}

/// Integer (or i1) to float, rounded once to `kind`.
double intToFloat(int64_t value, ElementKind kind) {
  return roundToKind(kind, int64ToDoubleRoundToOdd(value));
}

bool isNaN(double x) { return std::isnan(x); }

double floatMax(double a, double b) {
  if (isNaN(a) || isNaN(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}
double floatMin(double a, double b) {
  if (isNaN(a) || isNaN(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a < b ? a : b;
}

/// Python's %: the remainder has the divisor's sign.
double flooredMod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  if (r == 0)
    r = std::copysign(0.0, b);
  return r;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

//===----------------------------------------------------------------------===//
// Elementwise helpers
//===----------------------------------------------------------------------===//

ElementKind kindOf(Value value) {
  return *getElementKind(cast<ShapedType>(value.getType()).getElementType());
}

Tensor mapFloat(const Tensor &x, ElementKind outKind,
                llvm::function_ref<double(double)> fn) {
  Tensor result(outKind, x.getShape());
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    result.setFloat(i, fn(x.getFloat(i)));
  return result;
}

Tensor mapInt(const Tensor &x, ElementKind outKind,
              llvm::function_ref<int64_t(int64_t)> fn) {
  Tensor result(outKind, x.getShape());
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    result.setInt(i, fn(x.getInt(i)));
  return result;
}

/// A unary op defined on both floats and (signed) integers.
Tensor mapSigned(const Tensor &x, llvm::function_ref<double(double)> floatFn,
                 llvm::function_ref<int64_t(int64_t)> intFn) {
  return x.isFloat() ? mapFloat(x, x.getKind(), floatFn)
                     : mapInt(x, x.getKind(), intFn);
}

/// A broadcasting binary op. `intFn` returns nullopt for an operation that
/// is undefined (integer division by zero): an error at `op`.
FailureOr<Tensor>
binary(Operation *op, const Tensor &a, const Tensor &b, ElementKind outKind,
       llvm::function_ref<double(double, double)> floatFn,
       llvm::function_ref<std::optional<int64_t>(int64_t, int64_t)> intFn) {
  FailureOr<SmallVector<int64_t>> shape =
      broadcastAll(op, {shapeOf(a), shapeOf(b)});
  if (failed(shape))
    return failure();
  Tensor result(outKind, *shape);
  SmallVector<int64_t> aStrides = a.getStrides(), bStrides = b.getStrides();
  bool failedOnce = false;
  forEachIndex(*shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    if (failedOnce)
      return;
    int64_t i = broadcastOffset(index, a.getShape(), aStrides);
    int64_t j = broadcastOffset(index, b.getShape(), bStrides);
    if (a.isFloat()) {
      result.setFloat(linear, floatFn(a.getFloat(i), b.getFloat(j)));
      return;
    }
    std::optional<int64_t> value = intFn(a.getInt(i), b.getInt(j));
    if (!value) {
      failedOnce = true;
      return;
    }
    result.setInt(linear, *value);
  });
  if (failedOnce)
    return op->emitError("integer division by zero");
  return result;
}

/// A binary op whose float results are computed in double and whose integer
/// results cannot fail.
FailureOr<Tensor>
arithmetic(Operation *op, const Tensor &a, const Tensor &b,
           llvm::function_ref<double(double, double)> floatFn,
           llvm::function_ref<int64_t(int64_t, int64_t)> intFn) {
  return binary(op, a, b, a.getKind(), floatFn,
                [&](int64_t x, int64_t y) -> std::optional<int64_t> {
                  return intFn(x, y);
                });
}

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

class Interpreter {
public:
  /// Runs the ops of `block` with its arguments bound to `args` and returns
  /// the operands of its terminator.
  Results runBlock(Block &block, ArrayRef<Tensor> args, int depth);

  using Env = llvm::DenseMap<Value, Tensor>;

  /// Evaluates `op` with its operands looked up in `env`, checks the results
  /// against the op's types and binds them in `env`.
  LogicalResult runOp(Operation *op, Env &env, int depth);

private:
  Results dispatch(Operation *op, Env &env, int depth);

  // Op families; each returns the op's results.
  FailureOr<Tensor> evalUnary(Operation *op, const Tensor &x);
  FailureOr<Tensor> evalBinary(Operation *op, const Tensor &a, const Tensor &b);
  FailureOr<Tensor> evalCompare(CompareOp op, const Tensor &a, const Tensor &b);
  FailureOr<Tensor> evalWhere(WhereOp op, const Tensor &c, const Tensor &a,
                              const Tensor &b);
  FailureOr<Tensor> evalCast(CastOp op, const Tensor &x);
  FailureOr<Tensor> evalReduce(Operation *op, const Tensor &x,
                               ArrayRef<int64_t> axes, bool keepDims);
  FailureOr<Tensor> evalArgReduce(Operation *op, const Tensor &x, int64_t axis,
                                  bool keepDims, bool selectLast, bool isMax);
  FailureOr<Tensor> evalSoftmax(Operation *op, const Tensor &x, int64_t axis,
                                bool log);
  FailureOr<Tensor> evalNorm(Operation *op, const Tensor &x,
                             const Tensor &scale, const Tensor *bias,
                             int64_t axis, double epsilon, bool rms);
  FailureOr<Tensor> evalMatmul(MatmulOp op, const Tensor &a, const Tensor &b);
  FailureOr<Tensor> evalLinear(LinearOp op, const Tensor &x, const Tensor &w,
                               const Tensor *bias);
  FailureOr<Tensor> evalConv2d(Conv2dOp op, const Tensor &x, const Tensor &w,
                               const Tensor *bias);
  FailureOr<Tensor> evalPool(Operation *op, const Tensor &x,
                             ArrayRef<int64_t> kernel,
                             ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                             bool ceilMode, bool isMax, bool countIncludePad,
                             bool channelsLast);
  FailureOr<Tensor> evalGather(GatherOp op, const Tensor &data,
                               const Tensor &indices);
  FailureOr<Tensor> evalConcat(ConcatOp op, ArrayRef<const Tensor *> inputs);
  FailureOr<Tensor> evalSlice(SliceOp op, const Tensor &x);
  FailureOr<Tensor> evalTranspose(TransposeOp op, const Tensor &x);
  FailureOr<Tensor> evalReshape(ReshapeOp op, const Tensor &x,
                                const Tensor *shape);
  FailureOr<Tensor> evalExpand(ExpandOp op, const Tensor &x,
                               const Tensor *shape);
  FailureOr<Tensor> evalShapeOf(ShapeOfOp op, const Tensor &x);
  FailureOr<Tensor> evalRange(RangeOp op, const Tensor &start,
                              const Tensor &limit, const Tensor &delta);
  FailureOr<Tensor> evalCumSum(CumSumOp op, const Tensor &x);
  Results evalTopK(TopKOp op, const Tensor &x);
  FailureOr<Tensor> evalConvTranspose2d(ConvTranspose2dOp op, const Tensor &x,
                                        const Tensor &w, const Tensor *bias);
  FailureOr<Tensor> evalGatherElements(GatherElementsOp op, const Tensor &data,
                                       const Tensor &indices);
  FailureOr<Tensor> evalGatherNd(GatherNdOp op, const Tensor &data,
                                 const Tensor &indices);
  FailureOr<Tensor> evalScatterNd(ScatterNdOp op, const Tensor &data,
                                  const Tensor &indices, const Tensor &updates);
  FailureOr<Tensor> evalPad(PadOp op, const Tensor &x);
  FailureOr<Tensor> evalTile(TileOp op, const Tensor &x);
  FailureOr<Tensor> evalResize(ResizeOp op, const Tensor &x);
  FailureOr<Tensor> evalAttention(AttentionOp op, const Tensor &q,
                                  const Tensor &k, const Tensor &v,
                                  const Tensor *mask);
  FailureOr<Tensor> evalRotaryEmbedding(RotaryEmbeddingOp op, const Tensor &x,
                                        const Tensor &cos, const Tensor &sin);
};

Results Interpreter::runBlock(Block &block, ArrayRef<Tensor> args, int depth) {
  Env env;
  for (auto [arg, tensor] : llvm::zip(block.getArguments(), args))
    env.try_emplace(arg, tensor);
  for (Operation &op : block.without_terminator())
    if (failed(runOp(&op, env, depth)))
      return failure();
  Operation *terminator = block.getTerminator();
  if (!isa<func::ReturnOp, YieldOp>(terminator))
    return terminator->emitError("the reference evaluator does not implement '")
           << terminator->getName() << "'";
  SmallVector<Tensor> results;
  for (Value value : terminator->getOperands()) {
    auto it = env.find(value);
    if (it == env.end())
      return terminator->emitError("operand defined outside the evaluated "
                                   "region");
    results.push_back(it->second);
  }
  return results;
}

LogicalResult Interpreter::runOp(Operation *op, Env &env, int depth) {
  for (Value operand : op->getOperands())
    if (!env.count(operand))
      return op->emitError("operand defined outside the evaluated region");
  Results results = dispatch(op, env, depth);
  if (failed(results))
    return failure();
  // A result that contradicts the op's type means the program holds only for
  // other input shapes: report it here, where it goes wrong.
  for (auto [index, value, tensor] :
       llvm::enumerate(op->getResults(), *results)) {
    if (std::optional<std::string> mismatch =
            checkTensorFitsType(tensor, value.getType()))
      return op->emitError("result #")
             << index << " evaluates to " << tensor.describeType()
             << ", which contradicts its type " << value.getType() << " ("
             << *mismatch << ")";
    env.try_emplace(value, std::move(tensor));
  }
  return success();
}

Results Interpreter::dispatch(Operation *op, Env &env, int depth) {
  auto get = [&](Value value) -> const Tensor & {
    return env.find(value)->second;
  };
  auto getOptional = [&](Value value) -> const Tensor * {
    return value ? &env.find(value)->second : nullptr;
  };
  auto single = [](FailureOr<Tensor> tensor) -> Results {
    if (failed(tensor))
      return failure();
    SmallVector<Tensor> results;
    results.push_back(std::move(*tensor));
    return results;
  };

  return llvm::TypeSwitch<Operation *, Results>(op)
      .Case([&](ConstantOp constant) {
        return single(Tensor::fromAttr(constant.getValue(), op->getLoc()));
      })
      .Case<NegOp, AbsOp, SignOp, ReluOp, NotOp, ExpOp, LogOp, SqrtOp, RsqrtOp,
            ReciprocalOp, TanhOp, SigmoidOp, ErfOp, SinOp, CosOp, FloorOp,
            CeilOp, RoundOp, GeluOp, GeluTanhOp, SiluOp, SoftplusOp,
            HardSwishOp, LeakyReluOp, EluOp, HardSigmoidOp, ClampOp, IsNanOp,
            IsInfOp>([&](Operation *unary) {
        return single(evalUnary(unary, get(unary->getOperand(0))));
      })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, FmodOp,
            AndOp, OrOp, XorOp>([&](Operation *binaryOp) {
        return single(evalBinary(binaryOp, get(binaryOp->getOperand(0)),
                                 get(binaryOp->getOperand(1))));
      })
      .Case([&](CompareOp compare) {
        return single(
            evalCompare(compare, get(compare.getLhs()), get(compare.getRhs())));
      })
      .Case([&](WhereOp where) {
        return single(evalWhere(where, get(where.getCondition()),
                                get(where.getTrueValue()),
                                get(where.getFalseValue())));
      })
      .Case([&](CastOp cast) {
        return single(evalCast(cast, get(cast.getInput())));
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
          [&](auto reduce) {
            return single(evalReduce(reduce, get(reduce.getInput()),
                                     reduce.getAxes(), reduce.getKeepDims()));
          })
      .Case<ArgMaxOp, ArgMinOp>([&](auto arg) {
        return single(evalArgReduce(arg, get(arg.getInput()),
                                    static_cast<int64_t>(arg.getAxis()),
                                    arg.getKeepDims(), arg.getSelectLastIndex(),
                                    isa<ArgMaxOp>(arg.getOperation())));
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](auto softmax) {
        return single(evalSoftmax(softmax, get(softmax.getInput()),
                                  static_cast<int64_t>(softmax.getAxis()),
                                  isa<LogSoftmaxOp>(softmax.getOperation())));
      })
      .Case([&](LayerNormOp norm) {
        return single(evalNorm(norm, get(norm.getInput()), get(norm.getScale()),
                               getOptional(norm.getBias()),
                               static_cast<int64_t>(norm.getAxis()),
                               norm.getEpsilon().convertToDouble(),
                               /*rms=*/false));
      })
      .Case([&](RmsNormOp norm) {
        return single(evalNorm(norm, get(norm.getInput()), get(norm.getScale()),
                               nullptr, static_cast<int64_t>(norm.getAxis()),
                               norm.getEpsilon().convertToDouble(),
                               /*rms=*/true));
      })
      .Case([&](MatmulOp matmul) {
        return single(
            evalMatmul(matmul, get(matmul.getLhs()), get(matmul.getRhs())));
      })
      .Case([&](LinearOp linear) {
        return single(evalLinear(linear, get(linear.getInput()),
                                 get(linear.getWeight()),
                                 getOptional(linear.getBias())));
      })
      .Case([&](Conv2dOp conv) {
        return single(evalConv2d(conv, get(conv.getInput()),
                                 get(conv.getFilter()),
                                 getOptional(conv.getBias())));
      })
      .Case([&](MaxPool2dOp pool) {
        return single(evalPool(
            pool, get(pool.getInput()), pool.getKernel(), pool.getStrides(),
            pool.getPads(), pool.getCeilMode(), /*isMax=*/true,
            /*countIncludePad=*/false, pool.getChannelsLast()));
      })
      .Case([&](AvgPool2dOp pool) {
        return single(evalPool(
            pool, get(pool.getInput()), pool.getKernel(), pool.getStrides(),
            pool.getPads(), pool.getCeilMode(), /*isMax=*/false,
            pool.getCountIncludePad(), pool.getChannelsLast()));
      })
      .Case([&](GatherOp gather) {
        return single(evalGather(gather, get(gather.getData()),
                                 get(gather.getIndices())));
      })
      .Case([&](ConcatOp concat) {
        SmallVector<const Tensor *> inputs;
        for (Value input : concat.getInputs())
          inputs.push_back(&get(input));
        return single(evalConcat(concat, inputs));
      })
      .Case([&](SliceOp slice) {
        return single(evalSlice(slice, get(slice.getInput())));
      })
      .Case([&](TransposeOp transpose) {
        return single(evalTranspose(transpose, get(transpose.getInput())));
      })
      .Case([&](ReshapeOp reshape) {
        return single(evalReshape(reshape, get(reshape.getInput()),
                                  getOptional(reshape.getShape())));
      })
      .Case([&](ExpandOp expand) {
        return single(evalExpand(expand, get(expand.getInput()),
                                 getOptional(expand.getShape())));
      })
      .Case([&](ShapeOfOp shapeOf) {
        return single(evalShapeOf(shapeOf, get(shapeOf.getInput())));
      })
      .Case([&](RangeOp range) {
        return single(evalRange(range, get(range.getStart()),
                                get(range.getLimit()), get(range.getDelta())));
      })
      .Case([&](CumSumOp cumsum) {
        return single(evalCumSum(cumsum, get(cumsum.getInput())));
      })
      .Case([&](TopKOp topk) { return evalTopK(topk, get(topk.getInput())); })
      .Case([&](ConvTranspose2dOp conv) {
        return single(evalConvTranspose2d(conv, get(conv.getInput()),
                                          get(conv.getFilter()),
                                          getOptional(conv.getBias())));
      })
      .Case([&](GatherElementsOp gather) {
        return single(evalGatherElements(gather, get(gather.getData()),
                                         get(gather.getIndices())));
      })
      .Case([&](GatherNdOp gather) {
        return single(evalGatherNd(gather, get(gather.getData()),
                                   get(gather.getIndices())));
      })
      .Case([&](ScatterNdOp scatter) {
        return single(evalScatterNd(scatter, get(scatter.getData()),
                                    get(scatter.getIndices()),
                                    get(scatter.getUpdates())));
      })
      .Case(
          [&](PadOp pad) { return single(evalPad(pad, get(pad.getInput()))); })
      .Case([&](TileOp tile) {
        return single(evalTile(tile, get(tile.getInput())));
      })
      .Case([&](ResizeOp resize) {
        return single(evalResize(resize, get(resize.getInput())));
      })
      .Case([&](AttentionOp attention) {
        return single(evalAttention(
            attention, get(attention.getQuery()), get(attention.getKey()),
            get(attention.getValue()), getOptional(attention.getMask())));
      })
      .Case([&](RotaryEmbeddingOp rope) {
        return single(evalRotaryEmbedding(rope, get(rope.getInput()),
                                          get(rope.getCos()),
                                          get(rope.getSin())));
      })
      .Case([&](FusionOp fusion) -> Results {
        SmallVector<Tensor> inputs;
        for (Value input : fusion.getInputs())
          inputs.push_back(get(input));
        return runBlock(fusion.getBody().front(), inputs, depth);
      })
      .Case([&](func::CallOp call) -> Results {
        auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr());
        if (!callee || callee.isExternal())
          return call.emitError("callee ")
                 << call.getCalleeAttr() << " has no body to evaluate";
        // Recursion would never end on these programs: they have no
        // control flow to stop it.
        if (depth >= 64)
          return call.emitError("calls nest deeper than 64 levels");
        SmallVector<Tensor> inputs;
        for (Value input : call.getOperands())
          inputs.push_back(get(input));
        return runBlock(callee.getBody().front(), inputs, depth + 1);
      })
      .Default([&](Operation *unknown) -> Results {
        return unknown->emitError(
                   "the reference evaluator does not implement '")
               << unknown->getName() << "'";
      });
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evalUnary(Operation *op, const Tensor &x) {
  ElementKind out = kindOf(op->getResult(0));
  auto floatOp = [&](llvm::function_ref<double(double)> fn) {
    return mapFloat(x, out, fn);
  };
  return llvm::TypeSwitch<Operation *, FailureOr<Tensor>>(op)
      .Case([&](NegOp) {
        return mapSigned(x, [](double v) { return -v; }, wrappingNeg);
      })
      .Case([&](AbsOp) {
        return mapSigned(
            x, [](double v) { return std::fabs(v); },
            [](int64_t v) { return v < 0 ? wrappingNeg(v) : v; });
      })
      .Case([&](SignOp) {
        return mapSigned(
            x,
            [](double v) {
              return isNaN(v) ? v : v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0;
            },
            [](int64_t v) -> int64_t { return v > 0   ? 1
                                              : v < 0 ? -1
                                                      : 0; });
      })
      .Case([&](ReluOp) {
        return mapSigned(
            x, [](double v) { return isNaN(v) || v > 0 ? v : 0.0; },
            [](int64_t v) -> int64_t { return v > 0 ? v : 0; });
      })
      .Case([&](NotOp) {
        return mapInt(x, out, [](int64_t v) -> int64_t { return !v; });
      })
      .Case(
          [&](ExpOp) { return floatOp([](double v) { return std::exp(v); }); })
      .Case(
          [&](LogOp) { return floatOp([](double v) { return std::log(v); }); })
      .Case([&](SqrtOp) {
        return floatOp([](double v) { return std::sqrt(v); });
      })
      .Case([&](RsqrtOp) {
        return floatOp([](double v) { return 1 / std::sqrt(v); });
      })
      .Case(
          [&](ReciprocalOp) { return floatOp([](double v) { return 1 / v; }); })
      .Case([&](TanhOp) {
        return floatOp([](double v) { return std::tanh(v); });
      })
      .Case([&](SigmoidOp) { return floatOp(sigmoid); })
      .Case(
          [&](ErfOp) { return floatOp([](double v) { return std::erf(v); }); })
      .Case(
          [&](SinOp) { return floatOp([](double v) { return std::sin(v); }); })
      .Case(
          [&](CosOp) { return floatOp([](double v) { return std::cos(v); }); })
      .Case([&](FloorOp) {
        return floatOp([](double v) { return std::floor(v); });
      })
      .Case([&](CeilOp) {
        return floatOp([](double v) { return std::ceil(v); });
      })
      .Case([&](RoundOp) {
        // nearbyint in the default rounding mode rounds halves to even.
        return floatOp([](double v) { return std::nearbyint(v); });
      })
      .Case([&](GeluOp) {
        // x * Phi(x) with Phi(x) = erfc(-x / sqrt(2)) / 2, which keeps its
        // precision for negative x where 1 + erf(x / sqrt(2)) cancels.
        return floatOp(
            [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); });
      })
      .Case([&](GeluTanhOp) {
        return floatOp([](double v) {
          double inner = std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v);
          return 0.5 * v * (1 + std::tanh(inner));
        });
      })
      .Case([&](SiluOp) {
        return floatOp([](double v) { return v * sigmoid(v); });
      })
      .Case([&](SoftplusOp) {
        // log(1 + exp(x)) without overflow for large x.
        return floatOp([](double v) {
          return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
        });
      })
      .Case([&](HardSwishOp) {
        return floatOp([](double v) {
          return v * std::min(std::max(v + 3, 0.0), 6.0) / 6;
        });
      })
      .Case([&](LeakyReluOp leaky) {
        double alpha = leaky.getAlpha().convertToDouble();
        return floatOp(
            [&](double v) { return isNaN(v) || v >= 0 ? v : alpha * v; });
      })
      .Case([&](EluOp elu) {
        double alpha = elu.getAlpha().convertToDouble();
        return floatOp([&](double v) {
          return isNaN(v) || v > 0 ? v : alpha * std::expm1(v);
        });
      })
      .Case([&](HardSigmoidOp hard) {
        double alpha = hard.getAlpha().convertToDouble();
        double beta = hard.getBeta().convertToDouble();
        return floatOp([&](double v) {
          return isNaN(v) ? v : std::max(0.0, std::min(1.0, alpha * v + beta));
        });
      })
      .Case([&](ClampOp clamp) {
        std::optional<double> lo, hi;
        if (FloatAttr attr = clamp.getMinAttr())
          lo = attr.getValueAsDouble();
        if (FloatAttr attr = clamp.getMaxAttr())
          hi = attr.getValueAsDouble();
        return mapSigned(
            x,
            [&](double v) {
              if (isNaN(v))
                return v;
              if (lo && v < *lo)
                v = *lo;
              if (hi && v > *hi)
                v = *hi;
              return v;
            },
            [&](int64_t v) {
              // The verifier keeps integer bounds integral; bounds beyond
              // int64 saturate.
              if (lo)
                v = std::max(v, floatToInt(*lo, ElementKind::I64));
              if (hi)
                v = std::min(v, floatToInt(*hi, ElementKind::I64));
              return v;
            });
      })
      .Case([&](IsNanOp) {
        Tensor result(ElementKind::I1, x.getShape());
        for (int64_t i = 0; i < x.getNumElements(); ++i)
          result.setInt(i, isNaN(x.getFloat(i)));
        return result;
      })
      .Case([&](IsInfOp) {
        Tensor result(ElementKind::I1, x.getShape());
        for (int64_t i = 0; i < x.getNumElements(); ++i)
          result.setInt(i, std::isinf(x.getFloat(i)));
        return result;
      })
      .Default([&](Operation *) -> FailureOr<Tensor> {
        return op->emitError("no unary semantics for '")
               << op->getName() << "'";
      });
}

FailureOr<Tensor> Interpreter::evalBinary(Operation *op, const Tensor &a,
                                          const Tensor &b) {
  if (a.getKind() != b.getKind())
    return op->emitError("operand element types differ: ")
           << getElementKindName(a.getKind()) << " vs "
           << getElementKindName(b.getKind());
  using OptInt = std::optional<int64_t>;
  return llvm::TypeSwitch<Operation *, FailureOr<Tensor>>(op)
      .Case([&](AddOp) {
        return arithmetic(
            op, a, b, [](double x, double y) { return x + y; }, wrappingAdd);
      })
      .Case([&](SubOp) {
        return arithmetic(
            op, a, b, [](double x, double y) { return x - y; }, wrappingSub);
      })
      .Case([&](MulOp) {
        return arithmetic(
            op, a, b, [](double x, double y) { return x * y; }, wrappingMul);
      })
      .Case([&](DivOp) {
        return binary(
            op, a, b, a.getKind(), [](double x, double y) { return x / y; },
            [](int64_t x, int64_t y) -> OptInt {
              if (y == 0)
                return std::nullopt;
              // INT_MIN / -1 overflows; it wraps like the other ops.
              if (y == -1)
                return wrappingNeg(x);
              return x / y; // C++ truncates toward zero
            });
      })
      .Case([&](PowOp) {
        return arithmetic(
            op, a, b, [](double x, double y) { return std::pow(x, y); },
            // pow is float-only in the dialect; never called.
            [](int64_t, int64_t) -> int64_t { return 0; });
      })
      .Case([&](MaxOp) {
        return arithmetic(op, a, b, floatMax,
                          [](int64_t x, int64_t y) { return std::max(x, y); });
      })
      .Case([&](MinOp) {
        return arithmetic(op, a, b, floatMin,
                          [](int64_t x, int64_t y) { return std::min(x, y); });
      })
      .Case([&](ModOp) {
        return binary(op, a, b, a.getKind(), flooredMod,
                      [](int64_t x, int64_t y) -> OptInt {
                        if (y == 0)
                          return std::nullopt;
                        if (y == -1)
                          return 0;
                        int64_t r = x % y;
                        if (r != 0 && ((r < 0) != (y < 0)))
                          r += y;
                        return r;
                      });
      })
      .Case([&](FmodOp) {
        return binary(
            op, a, b, a.getKind(),
            [](double x, double y) { return std::fmod(x, y); },
            [](int64_t x, int64_t y) -> OptInt {
              if (y == 0)
                return std::nullopt;
              if (y == -1)
                return 0;
              return x % y;
            });
      })
      // The logical ops are i1-only: no float semantics.
      .Case([&](AndOp) {
        return arithmetic(
            op, a, b, nullptr,
            [](int64_t x, int64_t y) -> int64_t { return x && y; });
      })
      .Case([&](OrOp) {
        return arithmetic(
            op, a, b, nullptr,
            [](int64_t x, int64_t y) -> int64_t { return x || y; });
      })
      .Case([&](XorOp) {
        return arithmetic(op, a, b, nullptr,
                          [](int64_t x, int64_t y) -> int64_t {
                            return (x != 0) != (y != 0);
                          });
      })
      .Default([&](Operation *) -> FailureOr<Tensor> {
        return op->emitError("no binary semantics for '")
               << op->getName() << "'";
      });
}

FailureOr<Tensor> Interpreter::evalCompare(CompareOp op, const Tensor &a,
                                           const Tensor &b) {
  if (a.getKind() != b.getKind())
    return op.emitError("operand element types differ");
  ComparePredicate predicate = op.getPredicate();
  auto holds = [predicate](auto x, auto y) -> bool {
    switch (predicate) {
    case ComparePredicate::eq:
      return x == y;
    case ComparePredicate::ne:
      return x != y;
    case ComparePredicate::lt:
      return x < y;
    case ComparePredicate::le:
      return x <= y;
    case ComparePredicate::gt:
      return x > y;
    case ComparePredicate::ge:
      return x >= y;
    }
    return false;
  };
  FailureOr<SmallVector<int64_t>> shape =
      broadcastAll(op, {shapeOf(a), shapeOf(b)});
  if (failed(shape))
    return failure();
  Tensor result(ElementKind::I1, *shape);
  SmallVector<int64_t> aStrides = a.getStrides(), bStrides = b.getStrides();
  forEachIndex(*shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t i = broadcastOffset(index, a.getShape(), aStrides);
    int64_t j = broadcastOffset(index, b.getShape(), bStrides);
    // IEEE comparisons in double: NaN compares false except with `ne`.
    result.setInt(linear, a.isFloat() ? holds(a.getFloat(i), b.getFloat(j))
                                      : holds(a.getInt(i), b.getInt(j)));
  });
  return result;
}

FailureOr<Tensor> Interpreter::evalWhere(WhereOp op, const Tensor &c,
                                         const Tensor &a, const Tensor &b) {
  if (a.getKind() != b.getKind())
    return op.emitError("value element types differ");
  FailureOr<SmallVector<int64_t>> shape =
      broadcastAll(op, {shapeOf(c), shapeOf(a), shapeOf(b)});
  if (failed(shape))
    return failure();
  Tensor result(a.getKind(), *shape);
  SmallVector<int64_t> cStrides = c.getStrides(), aStrides = a.getStrides(),
                       bStrides = b.getStrides();
  forEachIndex(*shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    if (c.getInt(broadcastOffset(index, c.getShape(), cStrides)))
      result.copyElement(linear, a,
                         broadcastOffset(index, a.getShape(), aStrides));
    else
      result.copyElement(linear, b,
                         broadcastOffset(index, b.getShape(), bStrides));
  });
  return result;
}

FailureOr<Tensor> Interpreter::evalCast(CastOp op, const Tensor &x) {
  ElementKind out = kindOf(op.getResult());
  Tensor result(out, x.getShape());
  for (int64_t i = 0; i < x.getNumElements(); ++i) {
    if (x.isFloat() && isFloatKind(out))
      result.setFloat(i, x.getFloat(i));
    else if (x.isFloat())
      result.setInt(i, floatToInt(x.getFloat(i), out));
    else if (isFloatKind(out))
      result.setFloat(i, intToFloat(x.getInt(i), out));
    else
      result.setInt(i, x.getInt(i)); // wraps; to i1 it is `!= 0`
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Reductions, softmax, normalizations
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evalReduce(Operation *op, const Tensor &x,
                                          ArrayRef<int64_t> axes,
                                          bool keepDims) {
  enum class Kind { Sum, Mean, Max, Min, Prod };
  Kind kind = llvm::TypeSwitch<Operation *, Kind>(op)
                  .Case([](ReduceSumOp) { return Kind::Sum; })
                  .Case([](ReduceMeanOp) { return Kind::Mean; })
                  .Case([](ReduceMaxOp) { return Kind::Max; })
                  .Case([](ReduceMinOp) { return Kind::Min; })
                  .Default([](Operation *) { return Kind::Prod; });
  SmallVector<bool> reduced(x.getRank(), false);
  for (int64_t axis : axes)
    reduced[axis] = true;
  // `kept` has the reduced dims as 1: the same row-major order as the
  // result, with or without keep_dims.
  SmallVector<int64_t> kept, resultShape;
  int64_t count = 1;
  for (int64_t d = 0; d < x.getRank(); ++d) {
    kept.push_back(reduced[d] ? 1 : x.getShape()[d]);
    if (reduced[d])
      count *= x.getShape()[d];
    if (!reduced[d] || keepDims)
      resultShape.push_back(kept.back());
  }
  if (count == 0 && (kind == Kind::Max || kind == Kind::Min))
    return op->emitError("reduction over an empty set of elements (shape ")
           << formatDims(x.getShape()) << ") has no maximum or minimum";
  int64_t outCount = product(kept);
  SmallVector<int64_t> keptStrides = stridesOf(kept);
  SmallVector<double> floats(
      outCount, kind == Kind::Prod  ? 1.0
                : kind == Kind::Max ? -std::numeric_limits<double>::infinity()
                : kind == Kind::Min ? std::numeric_limits<double>::infinity()
                                    : 0.0);
  SmallVector<int64_t> ints(
      outCount, kind == Kind::Prod  ? 1
                : kind == Kind::Max ? std::numeric_limits<int64_t>::min()
                : kind == Kind::Min ? std::numeric_limits<int64_t>::max()
                                    : 0);
  forEachIndex(x.getShape(), [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t out = 0;
    for (int64_t d = 0; d < x.getRank(); ++d)
      if (!reduced[d])
        out += index[d] * keptStrides[d];
    if (x.isFloat()) {
      double v = x.getFloat(linear);
      double &acc = floats[out];
      switch (kind) {
      case Kind::Sum:
      case Kind::Mean:
        acc += v;
        break;
      case Kind::Prod:
        acc *= v;
        break;
      case Kind::Max:
        acc = floatMax(acc, v);
        break;
      case Kind::Min:
        acc = floatMin(acc, v);
        break;
      }
      return;
    }
    int64_t v = x.getInt(linear);
    int64_t &acc = ints[out];
    switch (kind) {
    case Kind::Sum:
    case Kind::Mean:
      acc = wrappingAdd(acc, v);
      break;
    case Kind::Prod:
      acc = wrappingMul(acc, v);
      break;
    case Kind::Max:
      acc = std::max(acc, v);
      break;
    case Kind::Min:
      acc = std::min(acc, v);
      break;
    }
  });
  Tensor result(x.getKind(), resultShape);
  for (int64_t i = 0; i < outCount; ++i) {
    if (!x.isFloat())
      result.setInt(i, ints[i]);
    else if (kind == Kind::Mean)
      result.setFloat(i, floats[i] / count);
    else
      result.setFloat(i, floats[i]);
  }
  return result;
}

/// Splits `shape` around `axis` into the element counts before it, along it
/// and after it.
struct AxisSplit {
  int64_t outer, size, inner;
};
AxisSplit splitAt(ArrayRef<int64_t> shape, int64_t axis) {
  return {product(shape.take_front(axis)), shape[axis],
          product(shape.drop_front(axis + 1))};
}

FailureOr<Tensor> Interpreter::evalArgReduce(Operation *op, const Tensor &x,
                                             int64_t axis, bool keepDims,
                                             bool selectLast, bool isMax) {
  AxisSplit split = splitAt(x.getShape(), axis);
  if (split.size == 0)
    return op->emitError("arg-reduction over an empty axis ")
           << axis << " of shape " << formatDims(x.getShape());
  SmallVector<int64_t> shape(x.getShape());
  if (keepDims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  Tensor result(ElementKind::I64, shape);
  // Whether `candidate` replaces `best`: strictly better, or equal when the
  // last index is asked for. NaN counts as the extreme value in both
  // directions (numpy's argmax/argmin), so the first (or last) NaN wins.
  auto floatBetter = [&](double candidate, double best) {
    if (isNaN(best))
      return selectLast && isNaN(candidate);
    if (isNaN(candidate))
      return true;
    if (candidate == best)
      return selectLast;
    return isMax ? candidate > best : candidate < best;
  };
  auto intBetter = [&](int64_t candidate, int64_t best) {
    if (candidate == best)
      return selectLast;
    return isMax ? candidate > best : candidate < best;
  };
  for (int64_t o = 0; o < split.outer; ++o) {
    for (int64_t i = 0; i < split.inner; ++i) {
      auto at = [&](int64_t k) {
        return (o * split.size + k) * split.inner + i;
      };
      int64_t best = 0;
      for (int64_t k = 1; k < split.size; ++k) {
        bool better = x.isFloat()
                          ? floatBetter(x.getFloat(at(k)), x.getFloat(at(best)))
                          : intBetter(x.getInt(at(k)), x.getInt(at(best)));
        if (better)
          best = k;
      }
      result.setInt(o * split.inner + i, best);
    }
  }
  return result;
}

FailureOr<Tensor> Interpreter::evalSoftmax(Operation *op, const Tensor &x,
                                           int64_t axis, bool log) {
  AxisSplit split = splitAt(x.getShape(), axis);
  Tensor result(x.getKind(), x.getShape());
  for (int64_t o = 0; o < split.outer; ++o) {
    for (int64_t i = 0; i < split.inner; ++i) {
      auto at = [&](int64_t k) {
        return (o * split.size + k) * split.inner + i;
      };
      double maximum = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < split.size; ++k)
        maximum = floatMax(maximum, x.getFloat(at(k)));
      double sum = 0;
      for (int64_t k = 0; k < split.size; ++k)
        sum += std::exp(x.getFloat(at(k)) - maximum);
      for (int64_t k = 0; k < split.size; ++k) {
        double shifted = x.getFloat(at(k)) - maximum;
        result.setFloat(at(k), log ? shifted - std::log(sum)
                                   : std::exp(shifted) / sum);
      }
    }
  }
  return result;
}

FailureOr<Tensor> Interpreter::evalNorm(Operation *op, const Tensor &x,
                                        const Tensor &scale, const Tensor *bias,
                                        int64_t axis, double epsilon,
                                        bool rms) {
  ArrayRef<int64_t> normalized = x.getShape().drop_front(axis);
  for (const Tensor *param : {&scale, bias})
    if (param && param->getShape() != normalized)
      return op->emitError(param == &scale ? "scale" : "bias")
             << " shape " << formatDims(param->getShape())
             << " differs from the normalized dims " << formatDims(normalized);
  int64_t inner = product(normalized);
  int64_t outer = product(x.getShape().take_front(axis));
  Tensor result(x.getKind(), x.getShape());
  for (int64_t o = 0; o < outer; ++o) {
    int64_t base = o * inner;
    double mean = 0;
    if (!rms) {
      for (int64_t i = 0; i < inner; ++i)
        mean += x.getFloat(base + i);
      mean /= inner;
    }
    // Biased variance (or mean square for RMS), two passes around the mean.
    double variance = 0;
    for (int64_t i = 0; i < inner; ++i) {
      double centered = x.getFloat(base + i) - mean;
      variance += centered * centered;
    }
    variance /= inner;
    double inverse = 1 / std::sqrt(variance + epsilon);
    for (int64_t i = 0; i < inner; ++i) {
      double y = (x.getFloat(base + i) - mean) * inverse * scale.getFloat(i);
      if (bias)
        y += bias->getFloat(i);
      result.setFloat(base + i, y);
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling
//===----------------------------------------------------------------------===//

/// A dot-product accumulator: double for floats, wrapping int64 for integers.
struct Accumulator {
  double floatSum = 0;
  int64_t intSum = 0;
  void add(const Tensor &a, int64_t i, const Tensor &b, int64_t j) {
    if (a.isFloat())
      floatSum += a.getFloat(i) * b.getFloat(j);
    else
      intSum = wrappingAdd(intSum, wrappingMul(a.getInt(i), b.getInt(j)));
  }
  void addBias(const Tensor &bias, int64_t i) {
    if (bias.isFloat())
      floatSum += bias.getFloat(i);
    else
      intSum = wrappingAdd(intSum, bias.getInt(i));
  }
  void store(Tensor &result, int64_t i) const {
    if (result.isFloat())
      result.setFloat(i, floatSum);
    else
      result.setInt(i, intSum);
  }
};

FailureOr<Tensor> Interpreter::evalMatmul(MatmulOp op, const Tensor &a,
                                          const Tensor &b) {
  ArrayRef<int64_t> aShape = a.getShape(), bShape = b.getShape();
  int64_t m = aShape.end()[-2], k = aShape.back(), n = bShape.back();
  if (bShape.end()[-2] != k)
    return op.emitError("contracting dims differ: ")
           << formatDims(aShape) << " times " << formatDims(bShape);
  SmallVector<int64_t> aBatch(aShape.drop_back(2)), bBatch(bShape.drop_back(2));
  FailureOr<SmallVector<int64_t>> batch = broadcastAll(op, {aBatch, bBatch});
  if (failed(batch))
    return failure();
  SmallVector<int64_t> shape(*batch);
  shape.push_back(m);
  shape.push_back(n);
  if (failed(checkResultSize(op, shape)))
    return failure();
  Tensor result(a.getKind(), shape);
  SmallVector<int64_t> aBatchStrides = stridesOf(aBatch),
                       bBatchStrides = stridesOf(bBatch);
  forEachIndex(*batch, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t aBase = broadcastOffset(index, aBatch, aBatchStrides) * m * k;
    int64_t bBase = broadcastOffset(index, bBatch, bBatchStrides) * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        Accumulator acc;
        for (int64_t p = 0; p < k; ++p)
          acc.add(a, aBase + i * k + p, b, bBase + p * n + j);
        acc.store(result, (linear * m + i) * n + j);
      }
    }
  });
  return result;
}

FailureOr<Tensor> Interpreter::evalLinear(LinearOp op, const Tensor &x,
                                          const Tensor &w, const Tensor *bias) {
  bool transposed = op.getTransposeWeight();
  int64_t k = x.getShape().back();
  int64_t wk = w.getShape()[transposed ? 1 : 0];
  int64_t n = w.getShape()[transposed ? 0 : 1];
  if (wk != k)
    return op.emitError("input ")
           << formatDims(x.getShape()) << " does not match weight "
           << formatDims(w.getShape()) << (transposed ? " (transposed)" : "");
  if (bias && (bias->getRank() != 1 || bias->getShape()[0] != n))
    return op.emitError("bias ") << formatDims(bias->getShape())
                                 << " does not have " << n << " elements";
  SmallVector<int64_t> shape(x.getShape().drop_back());
  shape.push_back(n);
  Tensor result(x.getKind(), shape);
  int64_t rows = product(x.getShape().drop_back());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      Accumulator acc;
      for (int64_t p = 0; p < k; ++p)
        acc.add(x, r * k + p, w, transposed ? j * k + p : p * n + j);
      if (bias)
        acc.addBias(*bias, j);
      acc.store(result, r * n + j);
    }
  }
  return result;
}

/// A rank-4 tensor seen through its logical NCHW dims (OIHW for filters):
/// the sizes and element strides of (n, c, h, w), whether the memory is
/// NCHW or, for `channels_last` ops, NHWC (OHWI). One loop nest then
/// serves both layouts.
struct NchwView {
  int64_t size[4], stride[4];
  NchwView(ArrayRef<int64_t> shape, bool channelsLast) {
    // Logical dim i is memory dim order[i].
    static constexpr int64_t kNchw[4] = {0, 1, 2, 3}, kNhwc[4] = {0, 3, 1, 2};
    const int64_t *order = channelsLast ? kNhwc : kNchw;
    int64_t memoryStrides[4] = {shape[1] * shape[2] * shape[3],
                                shape[2] * shape[3], shape[3], 1};
    for (int i = 0; i < 4; ++i) {
      size[i] = shape[order[i]];
      stride[i] = memoryStrides[order[i]];
    }
  }
  int64_t offset(int64_t n, int64_t c, int64_t h, int64_t w) const {
    return n * stride[0] + c * stride[1] + h * stride[2] + w * stride[3];
  }
};

/// The memory shape of a logical NCHW shape.
SmallVector<int64_t> memoryShape(int64_t n, int64_t c, int64_t h, int64_t w,
                                 bool channelsLast) {
  if (channelsLast)
    return {n, h, w, c};
  return {n, c, h, w};
}

FailureOr<Tensor> Interpreter::evalConv2d(Conv2dOp op, const Tensor &x,
                                          const Tensor &w, const Tensor *bias) {
  ArrayRef<int64_t> strides = op.getStrides(), pads = op.getPads(),
                    dilations = op.getDilations();
  int64_t groups = static_cast<int64_t>(op.getGroups());
  bool channelsLast = op.getChannelsLast();
  NchwView in(x.getShape(), channelsLast), filter(w.getShape(), channelsLast);
  int64_t batch = in.size[0], channels = in.size[1], height = in.size[2],
          width = in.size[3];
  int64_t outChannels = filter.size[0], groupChannels = filter.size[1],
          kernelH = filter.size[2], kernelW = filter.size[3];
  if (channels != groupChannels * groups || outChannels % groups != 0)
    return op.emitError("input ")
           << formatDims(x.getShape()) << " and filter "
           << formatDims(w.getShape()) << " do not fit " << groups << " groups";
  if (bias && (bias->getRank() != 1 || bias->getShape()[0] != outChannels))
    return op.emitError("bias ")
           << formatDims(bias->getShape()) << " does not have " << outChannels
           << " elements";
  FailureOr<int64_t> outH =
      windowOutputSize(height, kernelH, strides[0], pads[0], pads[2],
                       dilations[0], /*ceilMode=*/false);
  FailureOr<int64_t> outW =
      windowOutputSize(width, kernelW, strides[1], pads[1], pads[3],
                       dilations[1], /*ceilMode=*/false);
  if (failed(outH) || failed(outW))
    return op.emitError("filter ")
           << formatDims(w.getShape()) << " does not fit the padded input "
           << formatDims(x.getShape());
  SmallVector<int64_t> shape =
      memoryShape(batch, outChannels, *outH, *outW, channelsLast);
  if (failed(checkResultSize(op, shape)))
    return failure();
  Tensor result(x.getKind(), shape);
  NchwView out(shape, channelsLast);
  int64_t outPerGroup = outChannels / groups;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < outChannels; ++o)
      for (int64_t oh = 0; oh < *outH; ++oh)
        for (int64_t ow = 0; ow < *outW; ++ow) {
          Accumulator acc;
          int64_t group = o / outPerGroup;
          for (int64_t c = 0; c < groupChannels; ++c)
            for (int64_t kh = 0; kh < kernelH; ++kh)
              for (int64_t kw = 0; kw < kernelW; ++kw) {
                int64_t h = oh * strides[0] - pads[0] + kh * dilations[0];
                int64_t v = ow * strides[1] - pads[1] + kw * dilations[1];
                if (h < 0 || h >= height || v < 0 || v >= width)
                  continue; // zero padding
                int64_t channel = group * groupChannels + c;
                acc.add(x, in.offset(b, channel, h, v), w,
                        filter.offset(o, c, kh, kw));
              }
          if (bias)
            acc.addBias(*bias, o);
          acc.store(result, out.offset(b, o, oh, ow));
        }
  return result;
}

FailureOr<Tensor> Interpreter::evalPool(Operation *op, const Tensor &x,
                                        ArrayRef<int64_t> kernel,
                                        ArrayRef<int64_t> strides,
                                        ArrayRef<int64_t> pads, bool ceilMode,
                                        bool isMax, bool countIncludePad,
                                        bool channelsLast) {
  NchwView in(x.getShape(), channelsLast);
  int64_t batch = in.size[0], channels = in.size[1], height = in.size[2],
          width = in.size[3];
  FailureOr<int64_t> outH = windowOutputSize(height, kernel[0], strides[0],
                                             pads[0], pads[2], 1, ceilMode);
  FailureOr<int64_t> outW = windowOutputSize(width, kernel[1], strides[1],
                                             pads[1], pads[3], 1, ceilMode);
  if (failed(outH) || failed(outW))
    return op->emitError("kernel does not fit the padded input ")
           << formatDims(x.getShape());
  SmallVector<int64_t> shape =
      memoryShape(batch, channels, *outH, *outW, channelsLast);
  Tensor result(x.getKind(), shape);
  NchwView out(shape, channelsLast);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t oh = 0; oh < *outH; ++oh)
        for (int64_t ow = 0; ow < *outW; ++ow) {
          int64_t h0 = oh * strides[0] - pads[0],
                  w0 = ow * strides[1] - pads[1];
          double acc = isMax ? -std::numeric_limits<double>::infinity() : 0;
          int64_t inside = 0;
          for (int64_t h = h0; h < h0 + kernel[0]; ++h)
            for (int64_t v = w0; v < w0 + kernel[1]; ++v) {
              if (h < 0 || h >= height || v < 0 || v >= width)
                continue; // padding: never the maximum, adds zero to a sum
              double value = x.getFloat(in.offset(b, c, h, v));
              acc = isMax ? floatMax(acc, value) : acc + value;
              ++inside;
            }
          if (!isMax) {
            // With count_include_pad the divisor counts the window's
            // positions inside the padded input; a ceil_mode window may
            // reach past that.
            int64_t divisor = inside;
            if (countIncludePad)
              divisor = (std::min(h0 + kernel[0], height + pads[2]) - h0) *
                        (std::min(w0 + kernel[1], width + pads[3]) - w0);
            acc /= divisor;
          }
          result.setFloat(out.offset(b, c, oh, ow), acc);
        }
  return result;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evalGather(GatherOp op, const Tensor &data,
                                          const Tensor &indices) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  AxisSplit split = splitAt(data.getShape(), axis);
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  Tensor result(data.getKind(), shape);
  int64_t count = indices.getNumElements();
  for (int64_t j = 0; j < count; ++j) {
    int64_t index = indices.getInt(j);
    if (index < -split.size || index >= split.size)
      return op.emitError("index ") << index << " is out of range for axis "
                                    << axis << " of size " << split.size;
    if (index < 0)
      index += split.size;
    for (int64_t o = 0; o < split.outer; ++o)
      for (int64_t i = 0; i < split.inner; ++i)
        result.copyElement((o * count + j) * split.inner + i, data,
                           (o * split.size + index) * split.inner + i);
  }
  return result;
}

FailureOr<Tensor> Interpreter::evalConcat(ConcatOp op,
                                          ArrayRef<const Tensor *> inputs) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  SmallVector<int64_t> shape(inputs.front()->getShape());
  shape[axis] = 0;
  for (const Tensor *input : inputs) {
    for (int64_t d = 0; d < input->getRank(); ++d)
      if (d != axis && input->getShape()[d] != shape[d])
        return op.emitError("input shapes ")
               << formatDims(inputs.front()->getShape()) << " and "
               << formatDims(input->getShape()) << " differ in dim " << d;
    shape[axis] += input->getShape()[axis];
  }
  Tensor result(inputs.front()->getKind(), shape);
  AxisSplit out = splitAt(shape, axis);
  int64_t offset = 0;
  for (const Tensor *input : inputs) {
    AxisSplit in = splitAt(input->getShape(), axis);
    for (int64_t o = 0; o < in.outer; ++o)
      for (int64_t k = 0; k < in.size; ++k)
        for (int64_t i = 0; i < in.inner; ++i)
          result.copyElement((o * out.size + offset + k) * out.inner + i,
                             *input, (o * in.size + k) * in.inner + i);
    offset += in.size;
  }
  return result;
}

/// Python's normalization of one slice bound over a dim of `size`: negative
/// bounds count from the end, then clamp to [lo, hi]. The sentinels for
/// omitted bounds (INT64_MIN/MAX) clamp without overflowing.
int64_t normalizeBound(int64_t bound, int64_t size, int64_t lo, int64_t hi) {
  if (bound < 0)
    bound =
        bound <= std::numeric_limits<int64_t>::min() + size ? lo : bound + size;
  return std::clamp(bound, lo, hi);
}

FailureOr<Tensor> Interpreter::evalSlice(SliceOp op, const Tensor &x) {
  ArrayRef<int64_t> starts = op.getStarts(), ends = op.getEnds(),
                    steps = op.getSteps();
  SmallVector<int64_t> first, shape;
  for (int64_t d = 0; d < x.getRank(); ++d) {
    int64_t size = x.getShape()[d], step = steps[d];
    first.push_back(step > 0 ? normalizeBound(starts[d], size, 0, size)
                             : normalizeBound(starts[d], size, -1, size - 1));
    shape.push_back(slicedLength(size, starts[d], ends[d], step));
  }
  Tensor result(x.getKind(), shape);
  SmallVector<int64_t> strides = x.getStrides();
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t source = 0;
    for (int64_t d = 0; d < x.getRank(); ++d)
      source += (first[d] + index[d] * steps[d]) * strides[d];
    result.copyElement(linear, x, source);
  });
  return result;
}

FailureOr<Tensor> Interpreter::evalTranspose(TransposeOp op, const Tensor &x) {
  ArrayRef<int64_t> permutation = op.getPermutation();
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(x.getShape()[p]);
  Tensor result(x.getKind(), shape);
  SmallVector<int64_t> strides = x.getStrides();
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t source = 0;
    for (size_t i = 0; i < permutation.size(); ++i)
      source += index[i] * strides[permutation[i]];
    result.copyElement(linear, x, source);
  });
  return result;
}

/// Reads a shape operand: one non-negative size per result dim, agreeing
/// with the result type's static dims.
FailureOr<SmallVector<int64_t>> readShapeOperand(Operation *op,
                                                 const Tensor &shape,
                                                 RankedTensorType resultType) {
  if (shape.getRank() != 1 || shape.getShape()[0] != resultType.getRank())
    return op->emitError("shape operand ")
           << formatDims(shape.getShape()) << " does not list "
           << resultType.getRank() << " dims";
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    int64_t size = shape.getInt(d);
    if (size < 0)
      return op->emitError("shape operand entry ")
             << d << " is " << size << "; sizes must be non-negative";
    if (!resultType.isDynamicDim(d) && resultType.getDimSize(d) != size)
      return op->emitError("shape operand entry ")
             << d << " is " << size << " but the result type has "
             << resultType.getDimSize(d);
    dims.push_back(size);
  }
  return dims;
}

FailureOr<Tensor> Interpreter::evalReshape(ReshapeOp op, const Tensor &x,
                                           const Tensor *shapeOperand) {
  RankedTensorType type = op.getType();
  SmallVector<int64_t> shape;
  if (shapeOperand) {
    FailureOr<SmallVector<int64_t>> dims =
        readShapeOperand(op, *shapeOperand, type);
    if (failed(dims))
      return failure();
    shape = *dims;
  } else {
    int64_t known = 1, dynamicDim = -1;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      shape.push_back(type.getDimSize(d));
      if (type.isDynamicDim(d))
        dynamicDim = d;
      else
        known *= type.getDimSize(d);
    }
    if (dynamicDim >= 0) {
      if (known == 0)
        return op.emitError("cannot infer the dynamic dim of ")
               << type << " when its other dims hold no elements";
      if (x.getNumElements() % known != 0)
        return op.emitError("cannot reshape ")
               << formatDims(x.getShape()) << " (" << x.getNumElements()
               << " elements) to " << type;
      shape[dynamicDim] = x.getNumElements() / known;
    }
  }
  std::optional<int64_t> count = getCheckedElementCount(shape);
  if (!count || *count != x.getNumElements())
    return op.emitError("cannot reshape ")
           << formatDims(x.getShape()) << " (" << x.getNumElements()
           << " elements) to " << formatDims(shape);
  return x.reshaped(shape);
}

FailureOr<Tensor> Interpreter::evalExpand(ExpandOp op, const Tensor &x,
                                          const Tensor *shapeOperand) {
  RankedTensorType type = op.getType();
  SmallVector<int64_t> shape;
  if (shapeOperand) {
    FailureOr<SmallVector<int64_t>> dims =
        readShapeOperand(op, *shapeOperand, type);
    if (failed(dims))
      return failure();
    shape = *dims;
  } else {
    int64_t offset = type.getRank() - x.getRank();
    for (int64_t d = 0; d < type.getRank(); ++d)
      shape.push_back(type.isDynamicDim(d) ? x.getShape()[d - offset]
                                           : type.getDimSize(d));
  }
  if (!isBroadcastableTo(x.getShape(), shape))
    return op.emitError("cannot broadcast ")
           << formatDims(x.getShape()) << " to " << formatDims(shape);
  if (failed(checkResultSize(op, shape)))
    return failure();
  Tensor result(x.getKind(), shape);
  SmallVector<int64_t> strides = x.getStrides();
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    result.copyElement(linear, x,
                       broadcastOffset(index, x.getShape(), strides));
  });
  return result;
}

//===----------------------------------------------------------------------===//
// Shapes, ranges, scans and selection
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evalShapeOf(ShapeOfOp op, const Tensor &x) {
  Tensor result(ElementKind::I64, {x.getRank()});
  for (int64_t d = 0; d < x.getRank(); ++d)
    result.setInt(d, x.getShape()[d]);
  return result;
}

FailureOr<Tensor> Interpreter::evalRange(RangeOp op, const Tensor &start,
                                         const Tensor &limit,
                                         const Tensor &delta) {
  int64_t length;
  if (start.isFloat()) {
    double s = start.getFloat(0), l = limit.getFloat(0), d = delta.getFloat(0);
    if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      return op.emitError("range needs a non-zero delta and finite bounds, "
                          "got start ")
             << s << ", limit " << l << ", delta " << d;
    double count = std::ceil((l - s) / d);
    if (count > static_cast<double>(kMaxTensorElements))
      return op.emitError("range of ") << count << " elements is too long";
    length = count > 0 ? static_cast<int64_t>(count) : 0;
    Tensor result(start.getKind(), {length});
    for (int64_t i = 0; i < length; ++i)
      result.setFloat(i, s + static_cast<double>(i) * d);
    return result;
  }
  // Exact integer arithmetic: the difference of two int64 needs 65 bits.
  __int128 s = start.getInt(0), l = limit.getInt(0), d = delta.getInt(0);
  if (d == 0)
    return op.emitError("range needs a non-zero delta");
  __int128 span = l - s;
  // ceil(span / d) with C++'s truncating division.
  __int128 count =
      span / d + ((span % d != 0 && ((span < 0) == (d < 0))) ? 1 : 0);
  if (count > kMaxTensorElements)
    return op.emitError("range of more than ")
           << kMaxTensorElements << " elements is too long";
  length = count > 0 ? static_cast<int64_t>(count) : 0;
  Tensor result(start.getKind(), {length});
  for (int64_t i = 0; i < length; ++i)
    result.setInt(i, static_cast<int64_t>(s + i * d));
  return result;
}

FailureOr<Tensor> Interpreter::evalCumSum(CumSumOp op, const Tensor &x) {
  AxisSplit split = splitAt(x.getShape(), static_cast<int64_t>(op.getAxis()));
  bool exclusive = op.getExclusive(), reverse = op.getReverse();
  Tensor result(x.getKind(), x.getShape());
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t i = 0; i < split.inner; ++i) {
      double floatSum = 0;
      int64_t intSum = 0;
      for (int64_t step = 0; step < split.size; ++step) {
        int64_t k = reverse ? split.size - 1 - step : step;
        int64_t at = (o * split.size + k) * split.inner + i;
        if (!exclusive) {
          if (x.isFloat())
            floatSum += x.getFloat(at);
          else
            intSum = wrappingAdd(intSum, x.getInt(at));
        }
        if (x.isFloat())
          result.setFloat(at, floatSum);
        else
          result.setInt(at, intSum);
        if (exclusive) {
          if (x.isFloat())
            floatSum += x.getFloat(at);
          else
            intSum = wrappingAdd(intSum, x.getInt(at));
        }
      }
    }
  return result;
}

Results Interpreter::evalTopK(TopKOp op, const Tensor &x) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  int64_t k = static_cast<int64_t>(op.getK());
  bool smallest = op.getSmallest();
  AxisSplit split = splitAt(x.getShape(), axis);
  if (k > split.size)
    return op.emitError("k = ")
           << k << " exceeds dim " << axis << " of size " << split.size;
  SmallVector<int64_t> shape(x.getShape());
  shape[axis] = k;
  Tensor values(x.getKind(), shape), indices(ElementKind::I64, shape);
  // NaN sorts as larger than every number (as in numpy's sort and PyTorch's
  // topk); equal values keep the lower index first (a stable sort).
  auto before = [&](int64_t a, int64_t b) {
    if (x.isFloat()) {
      double va = x.getFloat(a), vb = x.getFloat(b);
      if (isNaN(va) || isNaN(vb))
        return smallest ? !isNaN(va) && isNaN(vb) : isNaN(va) && !isNaN(vb);
      return smallest ? va < vb : va > vb;
    }
    return smallest ? x.getInt(a) < x.getInt(b) : x.getInt(a) > x.getInt(b);
  };
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t i = 0; i < split.inner; ++i) {
      SmallVector<int64_t> order;
      for (int64_t j = 0; j < split.size; ++j)
        order.push_back(j);
      auto at = [&](int64_t j) {
        return (o * split.size + j) * split.inner + i;
      };
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return before(at(a), at(b));
      });
      for (int64_t j = 0; j < k; ++j) {
        int64_t out = (o * k + j) * split.inner + i;
        values.copyElement(out, x, at(order[j]));
        indices.setInt(out, order[j]);
      }
    }
  SmallVector<Tensor> results;
  results.push_back(std::move(values));
  results.push_back(std::move(indices));
  return results;
}

//===----------------------------------------------------------------------===//
// Transposed convolution
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evalConvTranspose2d(ConvTranspose2dOp op,
                                                   const Tensor &x,
                                                   const Tensor &w,
                                                   const Tensor *bias) {
  ArrayRef<int64_t> strides = op.getStrides(), pads = op.getPads(),
                    dilations = op.getDilations(),
                    outputPadding = op.getOutputPadding();
  int64_t groups = static_cast<int64_t>(op.getGroups());
  int64_t batch = x.getShape()[0], channels = x.getShape()[1],
          height = x.getShape()[2], width = x.getShape()[3];
  int64_t outPerGroup = w.getShape()[1], kernelH = w.getShape()[2],
          kernelW = w.getShape()[3];
  if (w.getShape()[0] != channels || channels % groups != 0)
    return op.emitError("input ")
           << formatDims(x.getShape()) << " and filter "
           << formatDims(w.getShape()) << " do not fit " << groups << " groups";
  int64_t outChannels = outPerGroup * groups;
  if (bias && (bias->getRank() != 1 || bias->getShape()[0] != outChannels))
    return op.emitError("bias ")
           << formatDims(bias->getShape()) << " does not have " << outChannels
           << " elements";
  int64_t outH = (height - 1) * strides[0] - pads[0] - pads[2] +
                 dilations[0] * (kernelH - 1) + outputPadding[0] + 1;
  int64_t outW = (width - 1) * strides[1] - pads[1] - pads[3] +
                 dilations[1] * (kernelW - 1) + outputPadding[1] + 1;
  if (outH < 1 || outW < 1)
    return op.emitError("pads leave no output from input ")
           << formatDims(x.getShape());
  if (failed(checkResultSize(op, {batch, outChannels, outH, outW})))
    return failure();
  // Every input element scatters its products into the (unpadded) output;
  // positions that fall into the removed pads are dropped.
  std::vector<double> acc(batch * outChannels * outH * outW, 0.0);
  int64_t inPerGroup = channels / groups;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      int64_t group = c / inPerGroup;
      for (int64_t h = 0; h < height; ++h)
        for (int64_t v = 0; v < width; ++v) {
          double in = x.getFloat(((b * channels + c) * height + h) * width + v);
          for (int64_t o = 0; o < outPerGroup; ++o)
            for (int64_t kh = 0; kh < kernelH; ++kh)
              for (int64_t kw = 0; kw < kernelW; ++kw) {
                int64_t oh = h * strides[0] - pads[0] + kh * dilations[0];
                int64_t ow = v * strides[1] - pads[1] + kw * dilations[1];
                if (oh < 0 || oh >= outH || ow < 0 || ow >= outW)
                  continue;
                int64_t channel = group * outPerGroup + o;
                acc[((b * outChannels + channel) * outH + oh) * outW + ow] +=
                    in *
                    w.getFloat(
                        ((c * outPerGroup + o) * kernelH + kh) * kernelW + kw);
              }
        }
    }
  Tensor result(x.getKind(), {batch, outChannels, outH, outW});
  for (int64_t i = 0; i < result.getNumElements(); ++i) {
    int64_t channel = (i / (outH * outW)) % outChannels;
    result.setFloat(i, acc[i] + (bias ? bias->getFloat(channel) : 0.0));
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Gathers and scatters
//===----------------------------------------------------------------------===//

/// An index into a dim of `size`, negative counting from the end; an error
/// at `op` when out of range.
FailureOr<int64_t> normalizeIndex(Operation *op, int64_t index, int64_t size,
                                  int64_t dim) {
  if (index < -size || index >= size)
    return op->emitError("index ") << index << " is out of range for dim "
                                   << dim << " of size " << size;
  return index < 0 ? index + size : index;
}

FailureOr<Tensor> Interpreter::evalGatherElements(GatherElementsOp op,
                                                  const Tensor &data,
                                                  const Tensor &indices) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != axis && indices.getShape()[d] > data.getShape()[d])
      return op.emitError("indices ")
             << formatDims(indices.getShape()) << " exceed data "
             << formatDims(data.getShape()) << " in dim " << d;
  Tensor result(data.getKind(), indices.getShape());
  SmallVector<int64_t> strides = data.getStrides();
  bool failedOnce = false;
  forEachIndex(indices.getShape(), [&](ArrayRef<int64_t> index,
                                       int64_t linear) {
    if (failedOnce)
      return;
    FailureOr<int64_t> at =
        normalizeIndex(op, indices.getInt(linear), data.getShape()[axis], axis);
    if (failed(at)) {
      failedOnce = true;
      return;
    }
    int64_t source = 0;
    for (int64_t d = 0; d < data.getRank(); ++d)
      source += (d == axis ? *at : index[d]) * strides[d];
    result.copyElement(linear, data, source);
  });
  if (failedOnce)
    return failure();
  return result;
}

FailureOr<Tensor> Interpreter::evalGatherNd(GatherNdOp op, const Tensor &data,
                                            const Tensor &indices) {
  int64_t batchDims = static_cast<int64_t>(op.getBatchDims());
  int64_t tuple = indices.getShape().back();
  for (int64_t d = 0; d < batchDims; ++d)
    if (data.getShape()[d] != indices.getShape()[d])
      return op.emitError("batch dim ")
             << d << " differs: data " << formatDims(data.getShape())
             << " vs indices " << formatDims(indices.getShape());
  ArrayRef<int64_t> positions = indices.getShape().drop_back();
  ArrayRef<int64_t> sliceShape = data.getShape().drop_front(batchDims + tuple);
  int64_t sliceSize = product(sliceShape);
  SmallVector<int64_t> shape(positions);
  llvm::append_range(shape, sliceShape);
  Tensor result(data.getKind(), shape);
  SmallVector<int64_t> strides = data.getStrides();
  bool failedOnce = false;
  forEachIndex(positions, [&](ArrayRef<int64_t> position, int64_t linear) {
    if (failedOnce)
      return;
    int64_t base = 0;
    for (int64_t d = 0; d < batchDims; ++d)
      base += position[d] * strides[d];
    for (int64_t j = 0; j < tuple; ++j) {
      int64_t d = batchDims + j;
      FailureOr<int64_t> at = normalizeIndex(
          op, indices.getInt(linear * tuple + j), data.getShape()[d], d);
      if (failed(at)) {
        failedOnce = true;
        return;
      }
      base += *at * strides[d];
    }
    for (int64_t i = 0; i < sliceSize; ++i)
      result.copyElement(linear * sliceSize + i, data, base + i);
  });
  if (failedOnce)
    return failure();
  return result;
}

FailureOr<Tensor> Interpreter::evalScatterNd(ScatterNdOp op, const Tensor &data,
                                             const Tensor &indices,
                                             const Tensor &updates) {
  int64_t tuple = indices.getShape().back();
  ArrayRef<int64_t> positions = indices.getShape().drop_back();
  ArrayRef<int64_t> sliceShape = data.getShape().drop_front(tuple);
  SmallVector<int64_t> expected(positions);
  llvm::append_range(expected, sliceShape);
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return op.emitError("updates ")
           << formatDims(updates.getShape()) << " must have shape "
           << formatDims(expected);
  int64_t sliceSize = product(sliceShape);
  ScatterReduction reduction = op.getReduction();
  Tensor result = data;
  SmallVector<int64_t> strides = data.getStrides();
  int64_t count = product(positions);
  // Updates apply in row-major order of the index tuples, each rounded to
  // the element type, so duplicates behave like sequential writes.
  for (int64_t p = 0; p < count; ++p) {
    int64_t base = 0;
    for (int64_t d = 0; d < tuple; ++d) {
      FailureOr<int64_t> at = normalizeIndex(op, indices.getInt(p * tuple + d),
                                             data.getShape()[d], d);
      if (failed(at))
        return failure();
      base += *at * strides[d];
    }
    for (int64_t i = 0; i < sliceSize; ++i) {
      int64_t to = base + i, from = p * sliceSize + i;
      if (reduction == ScatterReduction::none) {
        result.copyElement(to, updates, from);
        continue;
      }
      if (result.isFloat()) {
        double a = result.getFloat(to), b = updates.getFloat(from);
        double value = reduction == ScatterReduction::add   ? a + b
                       : reduction == ScatterReduction::mul ? a * b
                       : reduction == ScatterReduction::max ? floatMax(a, b)
                                                            : floatMin(a, b);
        result.setFloat(to, value);
      } else {
        int64_t a = result.getInt(to), b = updates.getInt(from);
        int64_t value = reduction == ScatterReduction::add   ? wrappingAdd(a, b)
                        : reduction == ScatterReduction::mul ? wrappingMul(a, b)
                        : reduction == ScatterReduction::max ? std::max(a, b)
                                                             : std::min(a, b);
        result.setInt(to, value);
      }
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Padding, tiling, resizing
//===----------------------------------------------------------------------===//

/// Python's floored modulo for a positive divisor.
int64_t floorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

FailureOr<Tensor> Interpreter::evalPad(PadOp op, const Tensor &x) {
  ArrayRef<int64_t> pads = op.getPads();
  int64_t rank = x.getRank();
  PadMode mode = op.getMode();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = x.getShape()[d] + pads[d] + pads[d + rank];
    if (size < 0)
      return op.emitError("pads crop dim ")
             << d << " of " << formatDims(x.getShape()) << " below zero";
    if (mode != PadMode::constant && x.getShape()[d] == 0 && size > 0)
      return op.emitError("cannot pad the empty dim ")
             << d << " in " << stringifyPadMode(mode) << " mode";
    shape.push_back(size);
  }
  if (failed(checkResultSize(op, shape)))
    return failure();
  double fill = op.getValue().convertToDouble();
  Tensor result(x.getKind(), shape);
  SmallVector<int64_t> strides = x.getStrides();
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t source = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = x.getShape()[d];
      int64_t i = index[d] - pads[d];
      if (i < 0 || i >= size) {
        switch (mode) {
        case PadMode::constant:
          if (x.isFloat())
            result.setFloat(linear, fill);
          else
            result.setInt(linear, floatToInt(fill, x.getKind()));
          return;
        case PadMode::edge:
          i = std::clamp<int64_t>(i, 0, size - 1);
          break;
        case PadMode::reflect: {
          // Mirror without repeating the edge: a triangle wave of period
          // 2 * (size - 1).
          int64_t period = 2 * (size - 1);
          i = period == 0 ? 0 : floorMod(i, period);
          if (i >= size)
            i = period - i;
          break;
        }
        case PadMode::wrap:
          i = floorMod(i, size);
          break;
        }
      }
      source += i * strides[d];
    }
    result.copyElement(linear, x, source);
  });
  return result;
}

FailureOr<Tensor> Interpreter::evalTile(TileOp op, const Tensor &x) {
  ArrayRef<int64_t> multiples = op.getMultiples();
  SmallVector<int64_t> shape;
  for (auto [size, times] : llvm::zip(x.getShape(), multiples))
    shape.push_back(size * times);
  if (failed(checkResultSize(op, shape)))
    return failure();
  Tensor result(x.getKind(), shape);
  SmallVector<int64_t> strides = x.getStrides();
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t source = 0;
    for (int64_t d = 0; d < x.getRank(); ++d)
      source += (index[d] % x.getShape()[d]) * strides[d];
    result.copyElement(linear, x, source);
  });
  return result;
}

FailureOr<Tensor> Interpreter::evalResize(ResizeOp op, const Tensor &x) {
  ArrayRef<double> scales = op.getScales();
  RankedTensorType type = op.getType();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < x.getRank(); ++d)
    shape.push_back(type.isDynamicDim(d)
                        ? static_cast<int64_t>(std::floor(
                              static_cast<double>(x.getShape()[d]) * scales[d]))
                        : type.getDimSize(d));
  if (failed(checkResultSize(op, shape)))
    return failure();
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (x.getShape()[d] == 0 && shape[d] > 0)
      return op.emitError("cannot resize the empty dim ") << d;
  CoordinateMode coordinates = op.getCoordinateMode();
  // ONNX Resize's mapping from an output coordinate to an input coordinate.
  auto toInput = [&](int64_t out, int64_t d) -> double {
    double scale = scales[d];
    double inSize = x.getShape()[d], outSize = shape[d];
    switch (coordinates) {
    case CoordinateMode::half_pixel:
      return (out + 0.5) / scale - 0.5;
    case CoordinateMode::pytorch_half_pixel:
      return outSize > 1 ? (out + 0.5) / scale - 0.5 : 0.0;
    case CoordinateMode::align_corners:
      return outSize == 1 ? 0.0 : out * (inSize - 1) / (outSize - 1);
    case CoordinateMode::asymmetric:
      return out / scale;
    case CoordinateMode::half_pixel_symmetric: {
      double adjustment = outSize / (scale * inSize);
      double offset = inSize / 2 * (1 - adjustment);
      return offset + (out + 0.5) / scale - 0.5;
    }
    }
    return 0.0;
  };
  NearestMode nearest = op.getNearestMode();
  auto roundNearest = [&](double coordinate) -> double {
    double floor = std::floor(coordinate);
    bool half = coordinate - floor == 0.5;
    switch (nearest) {
    case NearestMode::round_prefer_floor:
      return half ? floor : std::round(coordinate);
    case NearestMode::round_prefer_ceil:
      return half ? floor + 1 : std::round(coordinate);
    case NearestMode::floor:
      return floor;
    case NearestMode::ceil:
      return std::ceil(coordinate);
    }
    return floor;
  };
  bool linear = op.getMode() == ResizeMode::linear;
  Tensor result(x.getKind(), shape);
  SmallVector<int64_t> strides = x.getStrides();
  int64_t rank = x.getRank();
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t out) {
    // Per dim: the two neighbours and the weight of the upper one (nearest
    // uses only the lower one with weight 0).
    SmallVector<int64_t> lower(rank), upper(rank);
    SmallVector<double> weight(rank);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = x.getShape()[d];
      double coordinate = toInput(index[d], d);
      if (!linear) {
        int64_t i = static_cast<int64_t>(roundNearest(coordinate));
        lower[d] = upper[d] = std::clamp<int64_t>(i, 0, size - 1);
        weight[d] = 0;
        continue;
      }
      coordinate = std::clamp(coordinate, 0.0, static_cast<double>(size - 1));
      lower[d] = static_cast<int64_t>(std::floor(coordinate));
      upper[d] = std::min(lower[d] + 1, size - 1);
      weight[d] = coordinate - lower[d];
    }
    double sum = 0;
    for (int64_t corner = 0; corner < (int64_t(1) << rank); ++corner) {
      double w = 1;
      int64_t source = 0;
      for (int64_t d = 0; d < rank; ++d) {
        bool high = (corner >> d) & 1;
        w *= high ? weight[d] : 1 - weight[d];
        source += (high ? upper[d] : lower[d]) * strides[d];
      }
      if (w != 0)
        sum += w * x.getFloat(source);
    }
    result.setFloat(out, sum);
  });
  return result;
}

//===----------------------------------------------------------------------===//
// Attention and rotary embeddings
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evalAttention(AttentionOp op, const Tensor &q,
                                             const Tensor &k, const Tensor &v,
                                             const Tensor *mask) {
  int64_t batch = q.getShape()[0], queryHeads = q.getShape()[1],
          queries = q.getShape()[2], depth = q.getShape()[3];
  int64_t kvHeads = k.getShape()[1], keys = k.getShape()[2],
          valueDepth = v.getShape()[3];
  if (k.getShape()[0] != batch || v.getShape()[0] != batch ||
      v.getShape()[1] != kvHeads || v.getShape()[2] != keys ||
      k.getShape()[3] != depth || kvHeads == 0 || queryHeads % kvHeads != 0)
    return op.emitError("query ")
           << formatDims(q.getShape()) << ", key " << formatDims(k.getShape())
           << " and value " << formatDims(v.getShape()) << " do not fit";
  SmallVector<int64_t> scoreShape{batch, queryHeads, queries, keys};
  SmallVector<int64_t> maskStrides;
  if (mask) {
    SmallVector<int64_t> broadcast;
    if (failed(broadcastShapes(mask->getShape(), scoreShape, broadcast)) ||
        ArrayRef<int64_t>(broadcast) != ArrayRef<int64_t>(scoreShape))
      return op.emitError("mask ")
             << formatDims(mask->getShape())
             << " does not broadcast to the scores " << formatDims(scoreShape);
    maskStrides = mask->getStrides();
  }
  double scale = op.getScale().convertToDouble();
  CausalAlignment causal = op.getCausal();
  int64_t groupSize = queryHeads / kvHeads;
  Tensor result(q.getKind(), {batch, queryHeads, queries, valueDepth});
  SmallVector<double> scores(keys);
  SmallVector<bool> visible(keys);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < queryHeads; ++h) {
      int64_t kvHead = h / groupSize;
      for (int64_t i = 0; i < queries; ++i) {
        double maximum = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < keys; ++j) {
          // A key is hidden by causality, by a false i1 mask entry, or by a
          // float mask of -inf.
          bool seen = true;
          if (causal == CausalAlignment::upper_left)
            seen = j <= i;
          else if (causal == CausalAlignment::lower_right)
            seen = j <= i + keys - queries;
          double score = 0;
          for (int64_t c = 0; c < depth; ++c)
            score +=
                q.getFloat(((b * queryHeads + h) * queries + i) * depth + c) *
                k.getFloat(((b * kvHeads + kvHead) * keys + j) * depth + c);
          score *= scale;
          if (mask) {
            int64_t at =
                broadcastOffset({b, h, i, j}, mask->getShape(), maskStrides);
            if (mask->isFloat())
              score += mask->getFloat(at);
            else
              seen = seen && mask->getInt(at);
          }
          if (score == -std::numeric_limits<double>::infinity())
            seen = false;
          visible[j] = seen;
          scores[j] = score;
          if (seen)
            maximum = floatMax(maximum, score);
        }
        double sum = 0;
        for (int64_t j = 0; j < keys; ++j)
          if (visible[j])
            sum += std::exp(scores[j] - maximum);
        for (int64_t c = 0; c < valueDepth; ++c) {
          double out = 0;
          if (sum != 0)
            for (int64_t j = 0; j < keys; ++j)
              if (visible[j])
                out +=
                    std::exp(scores[j] - maximum) / sum *
                    v.getFloat(
                        ((b * kvHeads + kvHead) * keys + j) * valueDepth + c);
          result.setFloat(((b * queryHeads + h) * queries + i) * valueDepth + c,
                          out);
        }
      }
    }
  return result;
}

FailureOr<Tensor> Interpreter::evalRotaryEmbedding(RotaryEmbeddingOp op,
                                                   const Tensor &x,
                                                   const Tensor &cos,
                                                   const Tensor &sin) {
  int64_t batch = x.getShape()[0], heads = x.getShape()[1],
          length = x.getShape()[2], depth = x.getShape()[3];
  int64_t half = cos.getShape()[2];
  if (cos.getShape() != sin.getShape() ||
      (cos.getShape()[0] != 1 && cos.getShape()[0] != batch) ||
      cos.getShape()[1] != length || 2 * half > depth)
    return op.emitError("cos/sin ")
           << formatDims(cos.getShape()) << " do not fit the input "
           << formatDims(x.getShape());
  bool interleaved = op.getInterleaved();
  Tensor result = x;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < length; ++s) {
        int64_t row = ((b * heads + h) * length + s) * depth;
        int64_t angles = ((cos.getShape()[0] == 1 ? 0 : b) * length + s) * half;
        for (int64_t i = 0; i < half; ++i) {
          int64_t first = interleaved ? 2 * i : i;
          int64_t second = interleaved ? 2 * i + 1 : i + half;
          double a = x.getFloat(row + first), bValue = x.getFloat(row + second);
          double c = cos.getFloat(angles + i), sn = sin.getFloat(angles + i);
          result.setFloat(row + first, a * c - bValue * sn);
          result.setFloat(row + second, bValue * c + a * sn);
        }
      }
  return result;
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::optional<std::string> mlir::kiln::checkTensorFitsType(const Tensor &tensor,
                                                           Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return "expected a ranked tensor type, not " + tensor.describeType();
  std::optional<ElementKind> kind = getElementKind(ranked.getElementType());
  if (!kind || *kind != tensor.getKind()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "element type " << getElementKindName(tensor.getKind()) << " is not "
       << ranked.getElementType();
    return text;
  }
  if (ranked.getRank() != tensor.getRank())
    return "rank " + std::to_string(tensor.getRank()) + " is not " +
           std::to_string(ranked.getRank());
  for (int64_t d = 0; d < ranked.getRank(); ++d)
    if (!ranked.isDynamicDim(d) && ranked.getDimSize(d) != tensor.getShape()[d])
      return "dim " + std::to_string(d) + " is " +
             std::to_string(tensor.getShape()[d]) + ", not " +
             std::to_string(ranked.getDimSize(d));
  return std::nullopt;
}

FailureOr<SmallVector<Tensor>>
mlir::kiln::evaluateOp(Operation *op, ArrayRef<Tensor> operands) {
  if (operands.size() != op->getNumOperands())
    return op->emitError("expected ")
           << op->getNumOperands() << " operands, got " << operands.size();
  Interpreter::Env env;
  for (auto [index, value, tensor] :
       llvm::enumerate(op->getOperands(), operands)) {
    if (std::optional<std::string> mismatch =
            checkTensorFitsType(tensor, value.getType()))
      return op->emitError("operand #")
             << index << " (" << tensor.describeType() << ") does not fit "
             << value.getType() << ": " << *mismatch;
    // An op may use one value twice; the first binding stands for both.
    env.try_emplace(value, tensor);
  }
  Interpreter interpreter;
  if (failed(interpreter.runOp(op, env, /*depth=*/0)))
    return failure();
  SmallVector<Tensor> results;
  for (Value result : op->getResults())
    results.push_back(env.find(result)->second);
  return results;
}

FailureOr<SmallVector<Tensor>> mlir::kiln::evaluate(func::FuncOp function,
                                                    ArrayRef<Tensor> inputs) {
  if (function.isExternal())
    return function.emitError("function has no body to evaluate");
  FunctionType type = function.getFunctionType();
  if (inputs.size() != type.getNumInputs())
    return function.emitError("expected ")
           << type.getNumInputs() << " inputs, got " << inputs.size();
  for (auto [index, input, argType] : llvm::enumerate(inputs, type.getInputs()))
    if (std::optional<std::string> mismatch =
            checkTensorFitsType(input, argType))
      return function.emitError("input #")
             << index << " (" << input.describeType() << ") does not fit "
             << argType << ": " << *mismatch;
  Interpreter interpreter;
  FailureOr<SmallVector<Tensor>> results =
      interpreter.runBlock(function.getBody().front(), inputs, /*depth=*/0);
  if (failed(results))
    return failure();
  for (auto [index, result, resultType] :
       llvm::enumerate(*results, type.getResults()))
    if (std::optional<std::string> mismatch =
            checkTensorFitsType(result, resultType))
      return function.emitError("result #")
             << index << " evaluates to " << result.describeType()
             << ", which contradicts the function's result type " << resultType
             << " (" << *mismatch << ")";
  return results;
}
