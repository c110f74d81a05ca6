//===- ModelLoader.h - Reading a model file into the kiln dialect -*- C++
//-*-===//
//
// The one place the driver turns a model path into a module of kiln ops.
// Today that is a .mlir file; the ONNX importer plugs in here.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_MODELLOADER_H
#define KILN_TOOLS_KILN_MODELLOADER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::kiln {

/// Reads the model at `path` (a .mlir file in the kiln dialect; .onnx once
/// the importer is in the build). Errors are emitted as diagnostics on
/// `context`.
FailureOr<OwningOpRef<ModuleOp>> loadModel(llvm::StringRef path,
                                           MLIRContext *context);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_MODELLOADER_H
