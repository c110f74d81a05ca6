//===- ModelLoader.cpp - Reading a model file into the kiln dialect -------===//

#include "ModelLoader.h"

#include "compiler/frontends/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Path.h"

using namespace mlir;

FailureOr<OwningOpRef<ModuleOp>> mlir::kiln::loadModel(StringRef path,
                                                       MLIRContext *context) {
  if (llvm::sys::path::extension(path).equals_insensitive(".onnx")) {
    onnx_import::loadImporterDialects(*context);
    return onnx_import::importOnnxModel(path, *context);
  }
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, context);
  if (!module)
    return failure(); // the parser has reported why
  return module;
}
