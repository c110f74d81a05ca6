//===- ModelLoader.cpp - Reading a model file into the kiln dialect -------===//

#include "ModelLoader.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Path.h"

using namespace mlir;

FailureOr<OwningOpRef<ModuleOp>> mlir::kiln::loadModel(StringRef path,
                                                       MLIRContext *context) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  if (llvm::sys::path::extension(path).equals_insensitive(".onnx"))
    // The ONNX front end (compiler/frontends/onnx) is routed in here.
    return emitError(fileLoc)
           << "ONNX import is not available in this build; pass the model "
              "as a .mlir file in the kiln dialect";
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, context);
  if (!module)
    return failure(); // the parser has reported why
  return module;
}
