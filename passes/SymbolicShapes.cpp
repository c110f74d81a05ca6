//===- SymbolicShapes.cpp - Dims as expressions over the input dims -------===//

#include "passes/SymbolicShapes.h"

#include "dialects/kiln/ShapeRules.h"

#include "mlir/IR/AffineExprVisitor.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr int64_t kMaxTrackedElements = 64;

std::optional<int64_t> asConstant(AffineExpr expr) {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue();
  return std::nullopt;
}

bool isConstant(AffineExpr expr, int64_t value) {
  return asConstant(expr) == value;
}

/// numpy's rule for one pair of dims; when neither is known to be 1 and they
/// differ symbolically, the model promises they are equal at run time, and
/// either can stand for both.
AffineExpr broadcastDim(AffineExpr a, AffineExpr b) {
  if (isConstant(a, 1))
    return b;
  if (isConstant(b, 1) || a == b)
    return a;
  if (asConstant(a))
    return a;
  if (asConstant(b))
    return b;
  return a;
}

SymbolicVector broadcastSymbolic(ArrayRef<AffineExpr> a, ArrayRef<AffineExpr> b,
                                 MLIRContext *context) {
  size_t rank = std::max(a.size(), b.size());
  SymbolicVector result(rank, getAffineConstantExpr(1, context));
  for (size_t i = 0; i < rank; ++i) {
    AffineExpr x =
        i < a.size() ? a[a.size() - 1 - i] : getAffineConstantExpr(1, context);
    AffineExpr y =
        i < b.size() ? b[b.size() - 1 - i] : getAffineConstantExpr(1, context);
    result[rank - 1 - i] = broadcastDim(x, y);
  }
  return result;
}

/// expr / divisor when it divides exactly, looking into products; else a
/// floor division.
AffineExpr divideExact(AffineExpr expr, int64_t divisor) {
  if (divisor == 1)
    return expr;
  if (auto c = asConstant(expr); c && *c % divisor == 0)
    return getAffineConstantExpr(*c / divisor, expr.getContext());
  if (auto mul = dyn_cast<AffineBinaryOpExpr>(expr);
      mul && mul.getKind() == AffineExprKind::Mul) {
    for (auto [x, y] : {std::pair(mul.getLHS(), mul.getRHS()),
                        std::pair(mul.getRHS(), mul.getLHS())}) {
      AffineExpr divided = divideExact(x, divisor);
      auto bin = dyn_cast<AffineBinaryOpExpr>(divided);
      if (!bin || bin.getKind() != AffineExprKind::FloorDiv)
        return divided * y;
    }
  }
  return expr.floorDiv(divisor);
}

/// Python's x[start:end:step] length over a symbolic dim, in the forms
/// exporters use; nothing for the rest.
std::optional<AffineExpr> slicedDim(AffineExpr size, int64_t start, int64_t end,
                                    int64_t step) {
  MLIRContext *ctx = size.getContext();
  if (auto known = asConstant(size))
    return getAffineConstantExpr(slicedLength(*known, start, end, step), ctx);
  if (step <= 0)
    return std::nullopt;
  // Bounds relative to a symbolic size: assume they fall inside the dim,
  // which is what an exporter that wrote them meant.
  auto bound = [&](int64_t b) -> AffineExpr {
    if (b == std::numeric_limits<int64_t>::max())
      return size;
    if (b < 0)
      return size + b;
    return getAffineConstantExpr(b, ctx);
  };
  AffineExpr length = bound(end) - bound(start);
  return step == 1 ? length : length.ceilDiv(step);
}

} // namespace

SymbolicShapeAnalysis::SymbolicShapeAnalysis(func::FuncOp func)
    : context(func.getContext()) {
  for (auto [index, arg] : llvm::enumerate(func.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      continue;
    auto names = func.getArgAttrOfType<ArrayAttr>(index, "kiln.dims");
    SymbolicVector shape;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d)) {
        shape.push_back(getAffineConstantExpr(type.getDimSize(d), context));
        continue;
      }
      std::string name;
      if (names && d < static_cast<int64_t>(names.size()))
        if (auto str = dyn_cast<StringAttr>(names[d]))
          name = str.getValue().str();
      if (name.empty())
        name = "arg" + std::to_string(index) + ".dim" + std::to_string(d);
      shape.push_back(symbol(name));
    }
    shapes[arg] = shape;
  }
  // In order; a fusion group visits its own body.
  for (Block &block : func.getBody())
    for (Operation &op : block)
      visit(&op);
}

AffineExpr SymbolicShapeAnalysis::symbol(StringRef name) {
  auto [it, inserted] = symbolIndex.try_emplace(name, symbolNames.size());
  if (inserted)
    symbolNames.push_back(name.str());
  return getAffineSymbolExpr(it->second, context);
}

AffineExpr SymbolicShapeAnalysis::freshSymbol(StringRef hint) {
  return symbol((hint + "." + Twine(freshCount++)).str());
}

const SymbolicVector &SymbolicShapeAnalysis::getShape(Value value) const {
  auto it = shapes.find(value);
  assert(it != shapes.end() && "value was not visited");
  return it->second;
}

std::optional<SymbolicVector>
SymbolicShapeAnalysis::getElements(Value value) const {
  auto it = elements.find(value);
  if (it == elements.end())
    return std::nullopt;
  return it->second;
}

void SymbolicShapeAnalysis::setShape(Value value, SymbolicVector shape) {
  unsigned numSymbols = symbolNames.size();
  for (AffineExpr &e : shape)
    e = simplifyAffineExpr(e, 0, numSymbols);
  // A dim the type knows statically is that constant, whatever the rules
  // derived (they may be weaker, e.g. a broadcast against a symbol).
  if (auto type = dyn_cast<RankedTensorType>(value.getType()))
    for (int64_t d = 0; d < type.getRank() && d < (int64_t)shape.size(); ++d)
      if (!type.isDynamicDim(d))
        shape[d] = getAffineConstantExpr(type.getDimSize(d), context);
  shapes[value] = shape;
}

void SymbolicShapeAnalysis::setShapeFromType(Value value, StringRef hint) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return;
  SymbolicVector shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    shape.push_back(type.isDynamicDim(d)
                        ? freshSymbol(hint)
                        : getAffineConstantExpr(type.getDimSize(d), context));
  shapes[value] = shape;
}

void SymbolicShapeAnalysis::visitShapeArithmetic(Operation *op) {
  if (op->getNumResults() != 1)
    return;
  Value result = op->getResult(0);
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (!type || !isa<IntegerType>(type.getElementType()) || type.getRank() > 1 ||
      !type.hasStaticShape() || type.getNumElements() > kMaxTrackedElements)
    return;
  auto get = [&](Value v) { return getElements(v); };
  auto splatTo = [&](SymbolicVector v, size_t n) {
    if (v.size() == 1 && n > 1)
      v.assign(n, v.front());
    return v;
  };
  size_t n = type.getNumElements();
  std::optional<SymbolicVector> out;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](ConstantOp c) {
        auto dense = dyn_cast<DenseIntElementsAttr>(c.getValue());
        if (!dense || type.getElementType().isInteger(1))
          return;
        SymbolicVector values;
        for (const APInt &v : dense.getValues<APInt>())
          values.push_back(getAffineConstantExpr(v.getSExtValue(), context));
        out = values;
      })
      .Case([&](ShapeOfOp s) { out = getShape(s.getInput()); })
      .Case([&](CastOp c) { out = get(c.getInput()); })
      .Case([&](ReshapeOp r) { out = get(r.getInput()); })
      .Case([&](SliceOp s) {
        std::optional<SymbolicVector> in = get(s.getInput());
        if (!in || s.getSteps().size() != 1)
          return;
        int64_t len = in->size(), step = s.getSteps()[0];
        int64_t count =
            slicedLength(len, s.getStarts()[0], s.getEnds()[0], step);
        int64_t first = s.getStarts()[0];
        if (first < 0)
          first = first <= INT64_MIN + len ? (step > 0 ? 0 : -1) : first + len;
        first = std::clamp<int64_t>(first, step > 0 ? 0 : -1,
                                    step > 0 ? len : len - 1);
        SymbolicVector values;
        for (int64_t i = 0; i < count; ++i)
          values.push_back((*in)[first + i * step]);
        out = values;
      })
      .Case([&](GatherOp g) {
        std::optional<SymbolicVector> data = get(g.getData());
        std::optional<SymbolicVector> indices = get(g.getIndices());
        if (!data || !indices || g.getAxis() != 0)
          return;
        SymbolicVector values;
        for (AffineExpr i : *indices) {
          std::optional<int64_t> k = asConstant(i);
          if (!k)
            return;
          int64_t index = *k < 0 ? *k + (int64_t)data->size() : *k;
          if (index < 0 || index >= (int64_t)data->size())
            return;
          values.push_back((*data)[index]);
        }
        out = values;
      })
      .Case([&](ConcatOp c) {
        SymbolicVector values;
        for (Value input : c.getInputs()) {
          std::optional<SymbolicVector> part = get(input);
          if (!part)
            return;
          llvm::append_range(values, *part);
        }
        out = values;
      })
      .Case([&](ReduceProdOp r) {
        std::optional<SymbolicVector> in = get(r.getInput());
        if (!in)
          return;
        AffineExpr product = getAffineConstantExpr(1, context);
        for (AffineExpr e : *in)
          product = product * e;
        out = SymbolicVector{product};
      })
      .Case<AddOp, SubOp, MulOp, DivOp>([&](auto b) {
        std::optional<SymbolicVector> l = get(b.getLhs()), r = get(b.getRhs());
        if (!l || !r)
          return;
        SymbolicVector lhs = splatTo(*l, n), rhs = splatTo(*r, n);
        if (lhs.size() != n || rhs.size() != n)
          return;
        SymbolicVector values;
        for (size_t i = 0; i < n; ++i) {
          using OpTy = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<OpTy, AddOp>)
            values.push_back(lhs[i] + rhs[i]);
          else if constexpr (std::is_same_v<OpTy, SubOp>)
            values.push_back(lhs[i] - rhs[i]);
          else if constexpr (std::is_same_v<OpTy, MulOp>)
            values.push_back(lhs[i] * rhs[i]);
          else {
            std::optional<int64_t> d = asConstant(rhs[i]);
            if (!d || *d <= 0)
              return;
            values.push_back(divideExact(lhs[i], *d));
          }
        }
        out = values;
      });
  if (out && out->size() == n) {
    for (AffineExpr &e : *out)
      e = simplifyAffineExpr(e, 0, symbolNames.size());
    elements[result] = *out;
  }
}

void SymbolicShapeAnalysis::visit(Operation *op) {
  auto shapeOf = [&](Value v) -> SymbolicVector {
    auto it = shapes.find(v);
    if (it != shapes.end())
      return it->second;
    setShapeFromType(v, "unknown");
    return shapes[v];
  };
  auto c = [&](int64_t v) { return getAffineConstantExpr(v, context); };
  StringRef hint = op->getName().stripDialect();

  bool handled = true;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](FusionOp fusion) {
        Block &body = fusion.getBody().front();
        for (auto [arg, input] :
             llvm::zip(body.getArguments(), fusion.getInputs()))
          shapes[arg] = shapeOf(input);
        for (Operation &inner : body.without_terminator())
          visit(&inner);
        auto yield = cast<YieldOp>(body.getTerminator());
        for (auto [result, yielded] :
             llvm::zip(fusion.getResults(), yield.getValues()))
          setShape(result, shapeOf(yielded));
      })
      .Case([&](ConstantOp) { handled = false; })
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, FmodOp,
            AndOp, OrOp, XorOp, CompareOp>([&](auto b) {
        setShape(b->getResult(0),
                 broadcastSymbolic(shapeOf(b.getLhs()), shapeOf(b.getRhs()),
                                   context));
      })
      .Case([&](WhereOp w) {
        SymbolicVector values = broadcastSymbolic(
            shapeOf(w.getTrueValue()), shapeOf(w.getFalseValue()), context);
        setShape(w.getResult(),
                 broadcastSymbolic(shapeOf(w.getCondition()), values, context));
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
          [&](auto r) {
            SymbolicVector in = shapeOf(r.getInput()), out;
            ArrayRef<int64_t> axes = r.getAxes();
            for (int64_t d = 0; d < (int64_t)in.size(); ++d) {
              if (!llvm::is_contained(axes, d))
                out.push_back(in[d]);
              else if (r.getKeepDims())
                out.push_back(c(1));
            }
            setShape(r.getResult(), out);
          })
      .Case<ArgMaxOp, ArgMinOp>([&](auto r) {
        SymbolicVector in = shapeOf(r.getInput()), out;
        for (int64_t d = 0; d < (int64_t)in.size(); ++d) {
          if (d != (int64_t)r.getAxis())
            out.push_back(in[d]);
          else if (r.getKeepDims())
            out.push_back(c(1));
        }
        setShape(r.getResult(), out);
      })
      .Case([&](MatmulOp m) {
        SymbolicVector l = shapeOf(m.getLhs()), r = shapeOf(m.getRhs());
        SymbolicVector out =
            broadcastSymbolic(ArrayRef<AffineExpr>(l).drop_back(2),
                              ArrayRef<AffineExpr>(r).drop_back(2), context);
        out.push_back(l[l.size() - 2]);
        out.push_back(r.back());
        setShape(m.getResult(), out);
      })
      .Case([&](LinearOp l) {
        SymbolicVector out(
            ArrayRef<AffineExpr>(shapeOf(l.getInput())).drop_back());
        SymbolicVector w = shapeOf(l.getWeight());
        out.push_back(l.getTransposeWeight() ? w[0] : w[1]);
        setShape(l.getResult(), out);
      })
      .Case([&](Conv2dOp conv) {
        // NCHW/OIHW, or NHWC/OHWI with channels_last: the spatial dims of
        // the input and the kernel dims of the filter start at the same dim.
        bool channelsLast = conv.getChannelsLast();
        int64_t spatialDim = channelsLast ? 1 : 2;
        SymbolicVector in = shapeOf(conv.getInput()),
                       f = shapeOf(conv.getFilter());
        SymbolicVector spatial;
        for (int i = 0; i < 2; ++i) {
          std::optional<int64_t> k = asConstant(f[spatialDim + i]);
          if (!k) {
            spatial.push_back(freshSymbol(hint));
            continue;
          }
          int64_t span = conv.getDilations()[i] * (*k - 1) + 1;
          AffineExpr padded =
              in[spatialDim + i] + conv.getPads()[i] + conv.getPads()[i + 2];
          spatial.push_back((padded - span).floorDiv(conv.getStrides()[i]) + 1);
        }
        SymbolicVector out =
            channelsLast ? SymbolicVector{in[0], spatial[0], spatial[1], f[0]}
                         : SymbolicVector{in[0], f[0], spatial[0], spatial[1]};
        setShape(conv.getResult(), out);
      })
      .Case<MaxPool2dOp, AvgPool2dOp>([&](auto pool) {
        int64_t spatialDim = pool.getChannelsLast() ? 1 : 2;
        SymbolicVector out = shapeOf(pool.getInput());
        for (int i = 0; i < 2; ++i) {
          AffineExpr steps = out[spatialDim + i] + pool.getPads()[i] +
                             pool.getPads()[i + 2] - pool.getKernel()[i];
          int64_t stride = pool.getStrides()[i];
          out[spatialDim + i] = (pool.getCeilMode() ? steps.ceilDiv(stride)
                                                    : steps.floorDiv(stride)) +
                                1;
        }
        setShape(pool.getResult(), out);
      })
      .Case([&](GatherOp g) {
        SymbolicVector data = shapeOf(g.getData());
        int64_t axis = g.getAxis();
        SymbolicVector out(ArrayRef<AffineExpr>(data).take_front(axis));
        llvm::append_range(out, shapeOf(g.getIndices()));
        llvm::append_range(out,
                           ArrayRef<AffineExpr>(data).drop_front(axis + 1));
        setShape(g.getResult(), out);
      })
      .Case([&](ConcatOp cat) {
        SymbolicVector out = shapeOf(cat.getInputs()[0]);
        int64_t axis = cat.getAxis();
        for (Value input : cat.getInputs().drop_front())
          out[axis] = out[axis] + shapeOf(input)[axis];
        setShape(cat.getResult(), out);
      })
      .Case([&](SliceOp s) {
        SymbolicVector in = shapeOf(s.getInput()), out;
        for (auto [d, size] : llvm::enumerate(in)) {
          std::optional<AffineExpr> len = slicedDim(
              size, s.getStarts()[d], s.getEnds()[d], s.getSteps()[d]);
          out.push_back(len ? *len : freshSymbol(hint));
        }
        setShape(s.getResult(), out);
      })
      .Case([&](TransposeOp t) {
        SymbolicVector in = shapeOf(t.getInput()), out;
        for (int64_t p : t.getPermutation())
          out.push_back(in[p]);
        setShape(t.getResult(), out);
      })
      .Case([&](ReshapeOp r) {
        RankedTensorType type = r.getType();
        if (Value shape = r.getShape()) {
          std::optional<SymbolicVector> dims = getElements(shape);
          if (dims && (int64_t)dims->size() == type.getRank()) {
            setShape(r.getResult(), *dims);
            return;
          }
          setShapeFromType(r.getResult(), hint);
          return;
        }
        AffineExpr total = c(1);
        for (AffineExpr e : shapeOf(r.getInput()))
          total = total * e;
        total = simplifyAffineExpr(total, 0, symbolNames.size());
        int64_t known = 1;
        for (int64_t d : type.getShape())
          if (!ShapedType::isDynamic(d))
            known *= d;
        SymbolicVector out;
        for (int64_t d : type.getShape())
          out.push_back(
              ShapedType::isDynamic(d)
                  ? (known == 0 ? freshSymbol(hint) : divideExact(total, known))
                  : c(d));
        setShape(r.getResult(), out);
      })
      .Case([&](ExpandOp e) {
        SymbolicVector in = shapeOf(e.getInput());
        RankedTensorType type = e.getType();
        SymbolicVector target;
        if (Value shape = e.getShape()) {
          std::optional<SymbolicVector> dims = getElements(shape);
          if (!dims) {
            setShapeFromType(e.getResult(), hint);
            return;
          }
          target = *dims;
        } else {
          for (int64_t d : type.getShape())
            target.push_back(ShapedType::isDynamic(d) ? c(1) : c(d));
        }
        setShape(e.getResult(), broadcastSymbolic(in, target, context));
      })
      .Case([&](ShapeOfOp s) {
        setShape(s.getResult(), {c(shapeOf(s.getInput()).size())});
      })
      .Case([&](TopKOp t) {
        SymbolicVector out = shapeOf(t.getInput());
        out[t.getAxis()] = c(t.getK());
        setShape(t.getValues(), out);
        setShape(t.getIndices(), out);
      })
      .Case([&](PadOp p) {
        SymbolicVector out = shapeOf(p.getInput());
        int64_t rank = out.size();
        for (int64_t d = 0; d < rank; ++d)
          out[d] = out[d] + p.getPads()[d] + p.getPads()[d + rank];
        setShape(p.getResult(), out);
      })
      .Case([&](TileOp t) {
        SymbolicVector out = shapeOf(t.getInput());
        for (auto [d, times] : llvm::enumerate(t.getMultiples()))
          out[d] = out[d] * times;
        setShape(t.getResult(), out);
      })
      .Case([&](ConvTranspose2dOp conv) {
        SymbolicVector in = shapeOf(conv.getInput()),
                       f = shapeOf(conv.getFilter());
        SymbolicVector out{in[0], f[1] * conv.getGroups()};
        for (int i = 0; i < 2; ++i)
          out.push_back(
              (in[2 + i] - 1) * conv.getStrides()[i] - conv.getPads()[i] -
              conv.getPads()[i + 2] + f[2 + i] * conv.getDilations()[i] -
              conv.getDilations()[i] + conv.getOutputPadding()[i] + 1);
        setShape(conv.getResult(), out);
      })
      .Case([&](GatherElementsOp g) {
        setShape(g.getResult(), shapeOf(g.getIndices()));
      })
      .Case([&](GatherNdOp g) {
        SymbolicVector data = shapeOf(g.getData()),
                       indices = shapeOf(g.getIndices());
        std::optional<int64_t> tuple = asConstant(indices.back());
        if (!tuple) {
          setShapeFromType(g.getResult(), hint);
          return;
        }
        SymbolicVector out(ArrayRef<AffineExpr>(indices).drop_back());
        llvm::append_range(out, ArrayRef<AffineExpr>(data).drop_front(
                                    g.getBatchDims() + *tuple));
        setShape(g.getResult(), out);
      })
      .Case([&](AttentionOp a) {
        SymbolicVector q = shapeOf(a.getQuery()), v = shapeOf(a.getValue());
        setShape(a.getResult(), {q[0], q[1], q[2], v[3]});
      })
      .Case([&](ResizeOp r) {
        SymbolicVector in = shapeOf(r.getInput()), out;
        for (auto [d, scale] : llvm::enumerate(r.getScales())) {
          double whole;
          if (std::modf(scale, &whole) == 0.0 && whole >= 1)
            out.push_back(in[d] * static_cast<int64_t>(whole));
          else if (auto known = asConstant(in[d]))
            out.push_back(c(static_cast<int64_t>(
                std::floor(static_cast<double>(*known) * scale))));
          else
            out.push_back(freshSymbol(hint));
        }
        setShape(r.getResult(), out);
      })
      .Default([&](Operation *other) {
        // Ops whose result has the shape of their first operand.
        if (other->hasTrait<OpTrait::SameOperandsAndResultShape>() ||
            other->hasTrait<OpTrait::SameOperandsAndResultType>() ||
            isa<LayerNormOp, RmsNormOp, RotaryEmbeddingOp, ScatterNdOp,
                CumSumOp>(other)) {
          if (other->getNumOperands() > 0 && other->getNumResults() == 1) {
            setShape(other->getResult(0), shapeOf(other->getOperand(0)));
            return;
          }
        }
        handled = false;
      });

  if (!handled)
    for (Value result : op->getResults())
      if (!shapes.count(result))
        setShapeFromType(result, hint);
  visitShapeArithmetic(op);
}

std::string SymbolicShapeAnalysis::format(AffineExpr expr) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  // Precedence: sums < products and divisions < atoms.
  std::function<void(AffineExpr, int)> print = [&](AffineExpr e, int outer) {
    if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
      os << cst.getValue();
      return;
    }
    if (auto sym = dyn_cast<AffineSymbolExpr>(e)) {
      os << symbolNames[sym.getPosition()];
      return;
    }
    auto bin = cast<AffineBinaryOpExpr>(e);
    int prec = bin.getKind() == AffineExprKind::Add ? 1 : 2;
    if (prec < outer)
      os << '(';
    AffineExpr lhs = bin.getLHS(), rhs = bin.getRHS();
    switch (bin.getKind()) {
    case AffineExprKind::Add: {
      print(lhs, prec);
      // a + b * -1 reads better as a - b.
      auto mul = dyn_cast<AffineBinaryOpExpr>(rhs);
      auto rc = dyn_cast<AffineConstantExpr>(rhs);
      if (rc && rc.getValue() < 0) {
        os << " - " << -rc.getValue();
      } else if (mul && mul.getKind() == AffineExprKind::Mul &&
                 isConstant(mul.getRHS(), -1)) {
        os << " - ";
        print(mul.getLHS(), prec + 1);
      } else {
        os << " + ";
        print(rhs, prec);
      }
      break;
    }
    case AffineExprKind::Mul:
      print(lhs, prec);
      os << " * ";
      print(rhs, prec + 1);
      break;
    case AffineExprKind::FloorDiv:
      print(lhs, prec);
      os << " floordiv ";
      print(rhs, prec + 1);
      break;
    case AffineExprKind::CeilDiv:
      print(lhs, prec);
      os << " ceildiv ";
      print(rhs, prec + 1);
      break;
    case AffineExprKind::Mod:
      print(lhs, prec);
      os << " mod ";
      print(rhs, prec + 1);
      break;
    default:
      os << "?";
    }
    if (prec < outer)
      os << ')';
  };
  print(expr, 0);
  return text;
}
