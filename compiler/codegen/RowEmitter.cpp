//===- RowEmitter.cpp - Softmax, normalization and reduction groups -------===//
//
// Groups anchored on kiln.softmax / kiln.log_softmax, kiln.layer_norm /
// kiln.rms_norm and the float kiln.reduce_* ops, lowered to the row and
// column templates of softmax.cuh, norm.cuh and reduce.cuh. The anchor's
// input is viewed as [outer, R, inner] (R the reduced extent): the row
// templates when inner is statically 1, the column templates otherwise.
//
// Elementwise ops computing the anchor's input (x * scale + mask before a
// softmax, x + residual before a norm) become the loader functor, called
// with (row, col) of the matrix the template walks; elementwise ops on the
// anchor's result become the epilogue functor. The loader produces a tensor
// of the anchor input's shape, which is taken from a group input of the
// same type (the one the prologue starts from).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen::detail {

bool isRowAnchor(Operation *op) {
  if (isa<SoftmaxOp, LogSoftmaxOp, LayerNormOp, RmsNormOp>(op))
    return true;
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
          op))
    return isFloatKind(kindOf(op->getResult(0)));
  if (isa<ArgMaxOp, ArgMinOp>(op))
    return isFloatKind(kindOf(op->getOperand(0)));
  return false;
}

namespace {

struct RowShape {
  /// The anchor input's dims.
  std::vector<ShapeExpr> dims;
  Type type;
  ShapeExpr outer = 1, r = 1, inner = 1;
  bool rowCase = true;
};

/// The shape of the anchor's input: a group input itself, or the group
/// input of the same type the prologue computes it from.
llvm::Expected<RowShape> inputShape(GroupWriter &w, Value x) {
  RowShape shape;
  shape.type = x.getType();
  std::optional<unsigned> source = w.inputIndex(x);
  if (!source) {
    Block &body = FusionOp(w.plan.group).getBody().front();
    for (BlockArgument arg : body.getArguments())
      if (arg.getType() == x.getType() && !arg.use_empty()) {
        source = arg.getArgNumber();
        break;
      }
  }
  if (!source)
    return codegenError(w.plan.anchor,
                        "the fused ops computing its input must start from a "
                        "group input of the same type (its shape)");
  shape.dims = w.inputShape(*source);
  return shape;
}

/// Splits `dims` at the contiguous range [first, last] into outer, R, inner.
void split(RowShape &shape, unsigned first, unsigned last) {
  std::vector<ShapeExpr> outer, r, inner;
  for (unsigned d = 0; d < shape.dims.size(); ++d)
    (d < first ? outer : d <= last ? r : inner).push_back(shape.dims[d]);
  shape.outer = product(outer);
  shape.r = product(r);
  shape.inner = product(inner);
  std::optional<int64_t> known = shape.inner.constantValue();
  shape.rowCase = known && *known == 1;
}

/// The anchor input's shape split at the reduced axes [first, last]
/// (negative axes count from the end).
llvm::Expected<RowShape> viewShape(GroupWriter &w, Value x, int64_t first,
                                   int64_t last) {
  llvm::Expected<RowShape> shape = inputShape(w, x);
  if (!shape)
    return shape.takeError();
  int64_t rank = shape->dims.size();
  split(*shape, first < 0 ? first + rank : first,
        last < 0 ? last + rank : last);
  return shape;
}

struct RowTile {
  int64_t threads, rowsPerBlock, items;
  int64_t threadsPerRow() const { return threads / rowsPerBlock; }
};
struct ColumnTile {
  int64_t threadsX, threadsY;
};

llvm::Error checkRowTile(GroupWriter &w, const RowTile &t) {
  int64_t perRow = t.rowsPerBlock > 0 ? t.threads / t.rowsPerBlock : 0;
  if (t.threads <= 0 || t.threads % 32 || t.threads > 1024 ||
      t.rowsPerBlock <= 0 || t.threads % t.rowsPerBlock || perRow <= 0 ||
      (perRow & (perRow - 1)) || t.items <= 0)
    return codegenError(w.plan.anchor,
                        llvm::formatv("row tile [{0}, {1}, {2}] is not valid "
                                      "(whole warps up to 1024 threads, a "
                                      "power-of-two group per row, items "
                                      ">= 1)",
                                      t.threads, t.rowsPerBlock, t.items)
                            .str());
  return llvm::Error::success();
}

llvm::Error checkColumnTile(GroupWriter &w, const ColumnTile &t) {
  int64_t threads = t.threadsX * t.threadsY;
  if (t.threadsX <= 0 || t.threadsY <= 0 || threads % 32 || threads > 1024)
    return codegenError(w.plan.anchor,
                        llvm::formatv("column tile [{0}, {1}] is not valid "
                                      "(whole warps up to 1024 threads)",
                                      t.threadsX, t.threadsY)
                            .str());
  return llvm::Error::success();
}

/// The configured tile when the group's #kiln.kernel names `templateName`.
std::optional<llvm::ArrayRef<int64_t>> configuredTile(GroupWriter &w,
                                                      llvm::StringRef name) {
  if (w.config && w.config.getTemplateName() == name)
    return w.config.getTile();
  return std::nullopt;
}

llvm::Expected<RowTile> rowTile(GroupWriter &w, llvm::StringRef name,
                                RowTile fallback) {
  RowTile tile = fallback;
  if (auto t = configuredTile(w, name)) {
    if (t->size() != 3)
      return codegenError(w.plan.anchor,
                          name + " takes tile = [threads, rowsPerBlock, "
                                 "items]");
    tile = {(*t)[0], (*t)[1], (*t)[2]};
  }
  if (llvm::Error error = checkRowTile(w, tile))
    return std::move(error);
  return tile;
}

llvm::Expected<ColumnTile> columnTile(GroupWriter &w, llvm::StringRef name,
                                      ColumnTile fallback) {
  ColumnTile tile = fallback;
  if (auto t = configuredTile(w, name)) {
    if (t->size() != 2)
      return codegenError(w.plan.anchor,
                          name + " takes tile = [threadsX, threadsY]");
    tile = {(*t)[0], (*t)[1]};
  }
  if (llvm::Error error = checkColumnTile(w, tile))
    return std::move(error);
  return tile;
}

const char *kRowSignature =
    "kiln::kernels::Index row, kiln::kernels::Index col";
const char *kEpilogueSignature =
    "float value, kiln::kernels::Index row, kiln::kernels::Index col";

/// Writes the loader (the prologue producing the anchor's input `x`) and the
/// epilogue functors; `loaderIndex` / `epilogueIndex` are the linear
/// indices of (row, col) in the input and output tensors.
llvm::Error emitFunctors(GroupWriter &w, Value x, const RowShape &shape,
                         const std::string &loaderIndex,
                         const std::string &epilogueIndex) {
  std::vector<unsigned> extra;
  if (std::optional<unsigned> i = w.inputIndex(x))
    extra.push_back(*i);
  llvm::Expected<std::string> loader =
      w.emitFunctor(w.kernel.name + "_loader", w.plan.prologue, {}, x,
                    shape.type, shape.dims, kRowSignature, loaderIndex, extra);
  if (!loader)
    return loader.takeError();
  ElementKind kind = kindOf(w.plan.anchor->getResult(0));
  llvm::Expected<std::string> epilogue =
      w.emitFunctor(w.kernel.name + "_epilogue", w.plan.epilogue,
                    {{w.plan.anchor->getResult(0), roundTo(kind, "value")}},
                    w.plan.result, w.plan.result.getType(), w.outputShape(0),
                    kEpilogueSignature, epilogueIndex);
  if (!epilogue)
    return epilogue.takeError();
  w.os << *loader << *epilogue;
  return llvm::Error::success();
}

std::string rowConfigType(const RowTile &t) {
  return llvm::formatv("kiln::kernels::RowConfig<{0}, {1}, {2}>", t.threads,
                       t.rowsPerBlock, t.items)
      .str();
}
std::string columnConfigType(const ColumnTile &t) {
  return llvm::formatv("kiln::kernels::ColumnConfig<{0}, {1}>", t.threadsX,
                       t.threadsY)
      .str();
}

/// The template of a [outer, R, inner] view: `<base>_rows` when inner is
/// statically 1, `<base>_columns` otherwise, with the group's configured
/// tile or the fallback. Sets the kernel's template, configuration, grid and
/// block; returns the config type for the instantiation.
llvm::Expected<std::string>
chooseViewTemplate(GroupWriter &w, const RowShape &shape, llvm::StringRef base,
                   RowTile rowFallback, ColumnTile columnFallback,
                   llvm::StringRef what) {
  FusionKernel &kernel = w.kernel;
  std::string prefix = what.empty() ? "" : what.str() + ", ";
  if (shape.rowCase) {
    std::string name = (base + "_rows").str();
    llvm::Expected<RowTile> tile = rowTile(w, name, rowFallback);
    if (!tile)
      return tile.takeError();
    kernel.templateName = name;
    kernel.configuration =
        prefix + llvm::formatv("{0} threads, {1} rows per block, {2} items",
                               tile->threads, tile->rowsPerBlock, tile->items)
                     .str();
    kernel.grid[0] = max(ceilDiv(shape.outer, tile->rowsPerBlock), 1);
    kernel.block[0] = static_cast<unsigned>(tile->threads);
    return rowConfigType(*tile);
  }
  std::string name = (base + "_columns").str();
  llvm::Expected<ColumnTile> tile = columnTile(w, name, columnFallback);
  if (!tile)
    return tile.takeError();
  kernel.templateName = name;
  kernel.configuration =
      prefix +
      llvm::formatv("{0} x {1} threads", tile->threadsX, tile->threadsY).str();
  kernel.grid[0] = max(ceilDiv(shape.outer * shape.inner, tile->threadsX), 1);
  kernel.block[0] = static_cast<unsigned>(tile->threadsX * tile->threadsY);
  return columnConfigType(*tile);
}

/// The kernel of a view template: `params` filled from the functors and
/// the shape (plus `extra` statements), then `call`.
void writeViewKernel(GroupWriter &w, const std::string &params,
                     const RowShape &shape, bool hasEpilogue,
                     const std::string &extra, const std::string &call) {
  const std::string &name = w.kernel.name;
  w.os << w.kernelHead(w.kernel.block[0]) << "  " << params << " p;\n"
       << "  p.loader = " << w.functorInit(name + "_loader") << ";\n"
       << "  p.output = out0;\n"
       << "  p.outer = " << w.dim(shape.outer) << ";\n"
       << "  p.r = " << w.dim(shape.r) << ";\n"
       << "  p.inner = " << w.dim(shape.inner) << ";\n"
       << extra;
  if (hasEpilogue)
    w.os << "  p.epilogue = " << w.functorInit(name + "_epilogue") << ";\n";
  w.os << "  " << call << "\n}\n";
}

/// chooseViewTemplate, then writeViewKernel calling `<rowFn|columnFn><Config,
/// templateArgs>(p)`.
llvm::Error emitViewKernel(GroupWriter &w, const RowShape &shape,
                           llvm::StringRef base, RowTile rows,
                           ColumnTile columns, llvm::StringRef what,
                           const std::string &params, bool hasEpilogue,
                           const std::string &extra, llvm::StringRef rowFn,
                           llvm::StringRef columnFn,
                           const std::string &templateArgs) {
  llvm::Expected<std::string> config =
      chooseViewTemplate(w, shape, base, rows, columns, what);
  if (!config)
    return config.takeError();
  writeViewKernel(w, params, shape, hasEpilogue, extra,
                  "kiln::kernels::" + (shape.rowCase ? rowFn : columnFn).str() +
                      "<" + *config + ", " + templateArgs + ">(p);");
  return llvm::Error::success();
}

llvm::Error emitSoftmax(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  bool log = isa<LogSoftmaxOp>(anchor);
  Value x = anchor->getOperand(0);
  int64_t axis = log ? cast<LogSoftmaxOp>(anchor).getAxis()
                     : cast<SoftmaxOp>(anchor).getAxis();
  llvm::Expected<RowShape> shapeOr = viewShape(w, x, axis, axis);
  if (!shapeOr)
    return shapeOr.takeError();
  RowShape shape = *shapeOr;
  FusionKernel &kernel = w.kernel;
  std::string cols = w.dim(shape.rowCase ? shape.r : shape.inner);
  std::string index = "row * " + cols + " + col";
  if (llvm::Error error = emitFunctors(w, x, shape, index, index))
    return error;
  std::string params = "kiln::kernels::SoftmaxParams<" + w.outputType(0) +
                       ", " + kernel.name + "_loader, " + kernel.name +
                       "_epilogue>";
  // A warp per row holds rows up to 1024 in registers; a block per row, up
  // to 4096 (longer rows stream through the loader twice).
  std::optional<int64_t> r = shape.r.constantValue();
  RowTile rows = r && *r > 1024 ? RowTile{512, 1, 8} : RowTile{128, 4, 32};
  return emitViewKernel(w, shape, "softmax", rows, ColumnTile{32, 4},
                        log ? "log" : "", params, /*hasEpilogue=*/true, "",
                        "softmaxRows", "softmaxColumns",
                        log ? "true" : "false");
}

llvm::Error emitNorm(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  bool layer = isa<LayerNormOp>(anchor);
  Value x = anchor->getOperand(0), scale = anchor->getOperand(1), bias;
  int64_t axis;
  double epsilon;
  if (auto ln = dyn_cast<LayerNormOp>(anchor)) {
    bias = ln.getBias();
    axis = ln.getAxis();
    epsilon = ln.getEpsilon().convertToDouble();
  } else {
    auto rms = cast<RmsNormOp>(anchor);
    axis = rms.getAxis();
    epsilon = rms.getEpsilon().convertToDouble();
  }
  std::optional<unsigned> s = w.inputIndex(scale);
  std::optional<unsigned> b = bias ? w.inputIndex(bias) : std::nullopt;
  if (!s || (bias && !b))
    return codegenError(anchor, "scale and bias must be inputs of the group");
  if (w.kernel.inputKinds[*s] !=
      (b ? w.kernel.inputKinds[*b] : w.kernel.inputKinds[*s]))
    return codegenError(anchor, "scale and bias of different element types");
  llvm::Expected<RowShape> shapeOr = viewShape(w, x, axis, -1);
  if (!shapeOr)
    return shapeOr.takeError();
  RowShape shape = *shapeOr;
  FusionKernel &kernel = w.kernel;
  ShapeExpr rows = shape.outer, cols = shape.r;
  std::string index = "row * " + w.dim(cols) + " + col";
  if (llvm::Error error = emitFunctors(w, x, shape, index, index))
    return error;
  // A block per row holds hidden sizes up to 4096 in registers; short rows
  // take a warp each.
  std::optional<int64_t> known = cols.constantValue();
  RowTile fallback =
      known && *known <= 512 ? RowTile{128, 4, 16} : RowTile{256, 1, 16};
  llvm::StringRef name = layer ? "layer_norm" : "rms_norm";
  llvm::Expected<RowTile> tile = rowTile(w, name, fallback);
  if (!tile)
    return tile.takeError();
  kernel.templateName = name.str();
  kernel.configuration =
      llvm::formatv("{0} threads, {1} rows per block, {2} items", tile->threads,
                    tile->rowsPerBlock, tile->items)
          .str();
  kernel.grid[0] = ceilDiv(rows, tile->rowsPerBlock);
  kernel.block[0] = static_cast<unsigned>(tile->threads);
  std::string scaleType = w.inputType(*s);
  w.os << w.kernelHead(kernel.block[0]) << "  kiln::kernels::NormParams<"
       << scaleType << ", " << w.outputType(0) << ", " << kernel.name
       << "_loader, " << kernel.name << "_epilogue> p;\n"
       << "  p.loader = " << w.functorInit(kernel.name + "_loader") << ";\n"
       << "  p.scale = in" << *s << ";\n"
       << "  p.bias = " << (b ? "in" + std::to_string(*b) : "nullptr")
       << ";\n  p.output = out0;\n"
       << "  p.rows = " << w.dim(rows) << ";\n"
       << "  p.cols = " << w.dim(cols) << ";\n"
       << "  p.epsilon = " << floatLiteral(epsilon) << ";\n"
       << "  p.epilogue = " << w.functorInit(kernel.name + "_epilogue")
       << ";\n  kiln::kernels::" << (layer ? "layerNorm" : "rmsNorm") << "<"
       << rowConfigType(*tile) << ">(p);\n}\n";
  return llvm::Error::success();
}

llvm::Error emitReduce(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  Value x = anchor->getOperand(0);
  auto axes = anchor->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
  const char *op = llvm::TypeSwitch<Operation *, const char *>(anchor)
                       .Case([](ReduceSumOp) { return "ReduceSum"; })
                       .Case([](ReduceMeanOp) { return "ReduceMean"; })
                       .Case([](ReduceMaxOp) { return "ReduceMax"; })
                       .Case([](ReduceMinOp) { return "ReduceMin"; })
                       .Default([](Operation *) { return "ReduceProd"; });
  if (axes.empty())
    return codegenError(anchor, "a reduction over no axis is a copy");
  llvm::SmallVector<int64_t> sorted(axes.begin(), axes.end());
  llvm::sort(sorted);
  for (unsigned i = 1; i < sorted.size(); ++i)
    if (sorted[i] != sorted[i - 1] + 1)
      return codegenError(anchor, "reduced axes must be contiguous (the "
                                  "[outer, R, inner] view)");
  llvm::Expected<RowShape> shapeOr =
      viewShape(w, x, sorted.front(), sorted.back());
  if (!shapeOr)
    return shapeOr.takeError();
  RowShape shape = *shapeOr;
  FusionKernel &kernel = w.kernel;
  std::string ld = w.dim(shape.rowCase ? shape.r : shape.inner);
  if (llvm::Error error =
          emitFunctors(w, x, shape, "row * " + ld + " + col",
                       "row * " + w.dim(shape.inner) + " + col"))
    return error;
  std::optional<int64_t> r = shape.r.constantValue();
  RowTile rows = r && *r > 2048 ? RowTile{256, 1, 4} : RowTile{256, 8, 4};
  return emitViewKernel(w, shape, "reduce", rows, ColumnTile{32, 8}, op,
                        "kiln::kernels::ReduceParams<" + w.outputType(0) +
                            ", " + kernel.name + "_loader, " + kernel.name +
                            "_epilogue>",
                        /*hasEpilogue=*/true, "", "reduceRows", "reduceColumns",
                        std::string("kiln::kernels::") + op);
}

/// argmax / argmin: int64 indices, so no epilogue.
llvm::Error emitArgReduce(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  bool isMax = isa<ArgMaxOp>(anchor);
  int64_t axis = anchor->getAttrOfType<IntegerAttr>("axis").getInt();
  bool selectLast = anchor->hasAttr("select_last_index");
  if (!w.plan.epilogue.empty())
    return codegenError(w.plan.epilogue.front(),
                        "cannot be fused after an argmax/argmin (its "
                        "indices are stored as they are)");
  Value x = anchor->getOperand(0);
  llvm::Expected<RowShape> shapeOr = viewShape(w, x, axis, axis);
  if (!shapeOr)
    return shapeOr.takeError();
  RowShape shape = *shapeOr;
  FusionKernel &kernel = w.kernel;
  std::string ld = w.dim(shape.rowCase ? shape.r : shape.inner);
  std::vector<unsigned> extra;
  if (std::optional<unsigned> i = w.inputIndex(x))
    extra.push_back(*i);
  llvm::Expected<std::string> loader =
      w.emitFunctor(kernel.name + "_loader", w.plan.prologue, {}, x, shape.type,
                    shape.dims, kRowSignature, "row * " + ld + " + col", extra);
  if (!loader)
    return loader.takeError();
  w.os << *loader;
  return emitViewKernel(
      w, shape, "arg_reduce", RowTile{256, 8, 4}, ColumnTile{32, 8},
      isMax ? "max" : "min",
      "kiln::kernels::ArgReduceParams<" + kernel.name + "_loader>",
      /*hasEpilogue=*/false,
      std::string("  p.selectLast = ") + (selectLast ? "true" : "false") +
          ";\n",
      "argReduceRows", "argReduceColumns", isMax ? "true" : "false");
}

} // namespace

llvm::Error emitRow(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  w.include(isa<SoftmaxOp, LogSoftmaxOp>(anchor)  ? "softmax.cuh"
            : isa<LayerNormOp, RmsNormOp>(anchor) ? "norm.cuh"
                                                  : "reduce.cuh");
  if (isa<ArgMaxOp, ArgMinOp>(anchor))
    return emitArgReduce(w);
  if (!isFloatKind(kindOf(w.plan.result)))
    return codegenError(anchor, "the group's result must be a float");
  if (isa<SoftmaxOp, LogSoftmaxOp>(anchor))
    return emitSoftmax(w);
  if (isa<LayerNormOp, RmsNormOp>(anchor))
    return emitNorm(w);
  return emitReduce(w);
}

} // namespace kiln::codegen::detail
