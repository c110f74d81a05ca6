//===- ModelLoader.h - Reading a model file into the kiln dialect -*- C++
//-*-===//
//
// The one place the driver turns a model path into a module of kiln ops: an
// ONNX model goes through the importer, anything else is parsed as kiln IR.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_MODELLOADER_H
#define KILN_TOOLS_KILN_MODELLOADER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::kiln {

/// Reads the model at `path`: a `.onnx` model, or a `.mlir` file in the kiln
/// dialect. Errors are emitted as diagnostics on `context`.
FailureOr<OwningOpRef<ModuleOp>> loadModel(llvm::StringRef path,
                                           MLIRContext *context);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_MODELLOADER_H
