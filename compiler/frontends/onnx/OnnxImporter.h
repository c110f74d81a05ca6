//===- OnnxImporter.h - ONNX ModelProto to kiln dialect ---------*- C++ -*-===//
//
// The public entry points of the ONNX front end: a model file or its bytes in,
// a module holding `func.func @main` of kiln ops out. Every problem with the
// model (unparseable bytes, unsupported nodes, malformed attributes, missing
// external data) is reported through the context's diagnostic handler and
// returned as failure; nothing aborts on user input.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_FRONTENDS_ONNX_ONNXIMPORTER_H
#define KILN_COMPILER_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::kiln::onnx_import {

struct ImportOptions {
  /// The name of the function the graph becomes.
  std::string functionName = "main";
  /// Tensors with at most this many elements become `dense<...>` literals
  /// that folders can see; larger ones become `dense_resource` blobs.
  int64_t maxDenseElements = 16;
  /// 1-D integer tensors (shapes, axes, indices) up to this length stay
  /// `dense<...>` too: shape subgraphs fold only over literals.
  int64_t maxDenseShapeElements = 64;
};

/// Imports the model at `path`. External data files are resolved relative to
/// the model file's directory.
FailureOr<OwningOpRef<ModuleOp>>
importOnnxModel(llvm::StringRef path, MLIRContext &context,
                const ImportOptions &options = {});

/// Imports a serialized ModelProto held in memory. `externalDataDir` is where
/// external data files are looked up; empty means the model may not use
/// external data. `bufferName` names the model in diagnostics.
FailureOr<OwningOpRef<ModuleOp>>
importOnnxModelFromBytes(llvm::StringRef bytes, MLIRContext &context,
                         const ImportOptions &options = {},
                         llvm::StringRef externalDataDir = {},
                         llvm::StringRef bufferName = "<memory>");

/// Loads the dialects the importer emits into `context`.
void loadImporterDialects(MLIRContext &context);

} // namespace mlir::kiln::onnx_import

#endif // KILN_COMPILER_FRONTENDS_ONNX_ONNXIMPORTER_H
