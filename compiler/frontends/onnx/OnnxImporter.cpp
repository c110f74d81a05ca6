//===- OnnxImporter.cpp - ModelProto to func.func @main of kiln ops -------===//
//
// The graph-level part of the import: parse the model, check that every node
// is supported (listing all that are not in one diagnostic) and that every
// input is defined, turn graph inputs into function arguments and
// initializers into constants, run one importer per node in the graph's
// (topological) order, and return the graph outputs.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SaveAndRestore.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

void mlir::kiln::onnx_import::loadImporterDialects(MLIRContext &context) {
  context.loadDialect<KilnDialect, func::FuncDialect>();
}

namespace {
/// The declared type of a graph input or value_info entry.
struct DeclaredType {
  RankedTensorType type;
  /// Per dim: the dim_param name, a generated name for an anonymous dynamic
  /// dim, or "" for a static dim.
  SmallVector<std::string> dimNames;
};

class ModelImporter {
public:
  ModelImporter(MLIRContext &context, const ImportOptions &options,
                llvm::StringRef externalDataDir, llvm::StringRef modelName)
      : context(context), options(options), modelName(modelName.str()),
        ctx(context, options, externalDataDir) {}

  FailureOr<OwningOpRef<ModuleOp>> import(const onnx::ModelProto &model);

private:
  FailureOr<DeclaredType> convertValueInfo(const onnx::ValueInfoProto &info,
                                           llvm::StringRef what);
  LogicalResult checkNodes(const onnx::GraphProto &graph);
  Location nameLoc(llvm::StringRef name) {
    return NameLoc::get(StringAttr::get(&context, name));
  }

  MLIRContext &context;
  const ImportOptions &options;
  std::string modelName;
  ImportContext ctx;
  int64_t anonymousDims = 0;
};
} // namespace

FailureOr<DeclaredType>
ModelImporter::convertValueInfo(const onnx::ValueInfoProto &info,
                                llvm::StringRef what) {
  Location loc = nameLoc(info.name());
  if (!info.has_type() || !info.type().has_tensor_type())
    return mlir::emitError(loc)
           << what << " '" << info.name()
           << "' is not a tensor (sequences, maps and optionals are not "
              "supported)";
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  if (!tensor.has_shape())
    return mlir::emitError(loc) << what << " '" << info.name()
                                << "' has no shape; Kiln needs its rank";
  KILN_TRY(Type, element,
           ctx.convertElementType(tensor.elem_type(),
                                  (what + " '" + info.name() + "'").str(),
                                  loc));
  DeclaredType declared;
  SmallVector<int64_t> shape;
  for (const onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      declared.dimNames.push_back("");
      continue;
    }
    shape.push_back(ShapedType::kDynamic);
    declared.dimNames.push_back(dim.has_dim_param() && !dim.dim_param().empty()
                                    ? dim.dim_param()
                                    : "unk" + std::to_string(anonymousDims++));
  }
  declared.type = RankedTensorType::get(shape, element);
  return declared;
}

LogicalResult ModelImporter::checkNodes(const onnx::GraphProto &graph) {
  const OpRegistry &registry = OpRegistry::get();
  std::string unsupported;
  int64_t unsupportedCount = 0;
  for (const onnx::NodeProto &node : graph.node()) {
    std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
    std::optional<int64_t> opset = ctx.getOpset(node.domain());
    if (opset && registry.lookup(node.domain(), node.op_type(), *opset))
      continue;
    ++unsupportedCount;
    unsupported += "\n  " + node.op_type() + " node '" + node.name() +
                   "' (domain '" + domain + "', opset " +
                   (opset ? std::to_string(*opset) : "not imported") + ")";
  }
  if (unsupportedCount)
    return mlir::emitError(FileLineColLoc::get(&context, modelName, 0, 0))
           << "the model has " << unsupportedCount << " unsupported node"
           << (unsupportedCount > 1 ? "s" : "") << ":" << unsupported;

  // ONNX graphs list nodes in topological order; a name used before any
  // node, initializer or graph input defines it is a malformed model.
  llvm::StringSet<> defined;
  for (const onnx::ValueInfoProto &input : graph.input())
    defined.insert(input.name());
  for (const onnx::TensorProto &init : graph.initializer())
    defined.insert(init.name());
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &input : node.input())
      if (!input.empty() && !defined.contains(input))
        return mlir::emitError(nameLoc(node.name()))
               << node.op_type() << " node '" << node.name() << "': input '"
               << input
               << "' is not defined by any earlier node, initializer or "
                  "graph input";
    for (const std::string &output : node.output())
      if (!output.empty())
        defined.insert(output);
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    if (!defined.contains(output.name()))
      return mlir::emitError(nameLoc(output.name()))
             << "graph output '" << output.name()
             << "' is not produced by any node, initializer or graph input";
  return success();
}

FailureOr<OwningOpRef<ModuleOp>>
ModelImporter::import(const onnx::ModelProto &model) {
  Location modelLoc = FileLineColLoc::get(&context, modelName, 0, 0);
  llvm::StringMap<int64_t> opsets;
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] = opset.version();
  if (!opsets.count(""))
    return mlir::emitError(modelLoc)
           << "the model imports no opset of the default ONNX domain";
  ctx.setOpsets(std::move(opsets));

  const onnx::GraphProto &graph = model.graph();
  if (failed(checkNodes(graph)))
    return failure();

  llvm::StringMap<const onnx::TensorProto *> initializers;
  for (const onnx::TensorProto &init : graph.initializer())
    initializers[init.name()] = &init;

  // value_info and declared output types refine inferred result types; an
  // entry Kiln cannot represent is no hint, not an error.
  {
    ScopedDiagnosticHandler silence(&context,
                                    [](Diagnostic &) { return success(); });
    // Generated dim names count graph inputs only.
    llvm::SaveAndRestore<int64_t> keepCount(anonymousDims);
    for (const auto *infos : {&graph.value_info(), &graph.output()})
      for (const onnx::ValueInfoProto &info : *infos)
        if (FailureOr<DeclaredType> declared = convertValueInfo(info, "value");
            succeeded(declared))
          ctx.addTypeHint(info.name(), declared->type);
  }

  // Graph inputs that an initializer also names are weights (IR < 4 listed
  // every weight as an input).
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  OpBuilder &builder = ctx.getBuilder();
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    KILN_TRY(DeclaredType, declared, convertValueInfo(input, "graph input"));
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("kiln.name", builder.getStringAttr(input.name()))};
    if (!declared.type.hasStaticShape()) {
      SmallVector<Attribute> names;
      for (const std::string &name : declared.dimNames)
        names.push_back(builder.getStringAttr(name));
      attrs.push_back(
          builder.getNamedAttr("kiln.dims", builder.getArrayAttr(names)));
    }
    argTypes.push_back(declared.type);
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
    argNames.push_back(input.name());
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(
      modelLoc, options.functionName, builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [index, name] : llvm::enumerate(argNames)) {
    func.setArgAttrs(index, argAttrs[index]);
    ctx.define(name, body->getArgument(index));
  }
  builder.setInsertionPointToStart(body);

  // Only the initializers something uses become constants.
  llvm::StringSet<> used;
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &input : node.input())
      used.insert(input);
  for (const onnx::ValueInfoProto &output : graph.output())
    used.insert(output.name());
  for (const onnx::TensorProto &init : graph.initializer()) {
    if (!used.contains(init.name()) || ctx.isDefined(init.name()))
      continue;
    KILN_TRY(Value, constant,
             ctx.importTensor(init, "initializer '" + init.name() + "'",
                              nameLoc(init.name())));
    ctx.define(init.name(), constant);
  }

  const OpRegistry &registry = OpRegistry::get();
  for (const onnx::NodeProto &node : graph.node()) {
    int64_t opset = *ctx.getOpset(node.domain());
    const OpImporter *importer =
        registry.lookup(node.domain(), node.op_type(), opset);
    ctx.beginNode(node, opset);
    if (failed(importer->import(ctx, node)))
      return failure();
    for (int64_t i = 0; i < node.output_size(); ++i)
      if (!node.output(i).empty() && !ctx.isDefined(node.output(i)))
        return ctx.emitError() << "output #" << i << " ('" << node.output(i)
                               << "') is not produced by the importer";
  }

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output())
    results.push_back(ctx.lookup(output.name()));
  builder.setInsertionPointToEnd(body);
  builder.create<func::ReturnOp>(modelLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [index, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(index, "kiln.name",
                       builder.getStringAttr(output.name()));

  if (failed(mlir::verify(*module)))
    return mlir::emitError(modelLoc)
           << "internal error: the imported module does not verify";
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::kiln::onnx_import::importOnnxModelFromBytes(
    llvm::StringRef bytes, MLIRContext &context, const ImportOptions &options,
    llvm::StringRef externalDataDir, llvm::StringRef bufferName) {
  loadImporterDialects(context);
  Location loc = FileLineColLoc::get(&context, bufferName, 0, 0);
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return mlir::emitError(loc)
           << "the model is larger than 2 GB; store its weights as external "
              "data";
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return mlir::emitError(loc) << "cannot parse '" << bufferName
                                << "' as an ONNX model (ModelProto)";
  ModelImporter importer(context, options, externalDataDir, bufferName);
  return importer.import(model);
}

FailureOr<OwningOpRef<ModuleOp>> mlir::kiln::onnx_import::importOnnxModel(
    llvm::StringRef path, MLIRContext &context, const ImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return mlir::emitError(FileLineColLoc::get(&context, path, 0, 0))
           << "cannot read the model: " << buffer.getError().message();
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importOnnxModelFromBytes((*buffer)->getBuffer(), context, options, dir,
                                  path);
}
