//===- OpRegistry.h - ONNX (domain, op_type, opset) to importer -*- C++ -*-===//
//
// Each ONNX op the importer supports has one importer function per range of
// opset versions whose semantics it implements. A node whose (domain,
// op_type, opset) has no entry is unsupported; the model importer lists all
// of them in one diagnostic before importing anything.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_FRONTENDS_ONNX_OPREGISTRY_H
#define KILN_COMPILER_FRONTENDS_ONNX_OPREGISTRY_H

#include "compiler/frontends/onnx/ImportContext.h"

#include "llvm/ADT/StringMap.h"

#include <limits>
#include <vector>

namespace mlir::kiln::onnx_import {

using ImporterFn = LogicalResult (*)(ImportContext &, const onnx::NodeProto &);

struct OpImporter {
  int64_t minOpset;
  int64_t maxOpset;
  ImporterFn import;
};

class OpRegistry {
public:
  static constexpr int64_t kAnyOpset = std::numeric_limits<int64_t>::max();

  /// Registers `import` for `opType` of the default ONNX domain at opsets
  /// [minOpset, maxOpset].
  void add(llvm::StringRef opType, ImporterFn import, int64_t minOpset = 1,
           int64_t maxOpset = kAnyOpset) {
    addInDomain("", opType, import, minOpset, maxOpset);
  }
  void addInDomain(llvm::StringRef domain, llvm::StringRef opType,
                   ImporterFn import, int64_t minOpset, int64_t maxOpset);

  /// The importer for a node, or null when unsupported.
  const OpImporter *lookup(llvm::StringRef domain, llvm::StringRef opType,
                           int64_t opset) const;

  /// The registry with every importer of this front end.
  static const OpRegistry &get();

private:
  llvm::StringMap<std::vector<OpImporter>> importers;
};

// One registration function per importer file.
void registerElementwiseImporters(OpRegistry &registry);
void registerReductionImporters(OpRegistry &registry);
void registerContractionImporters(OpRegistry &registry);
void registerConvolutionImporters(OpRegistry &registry);
void registerNormalizationImporters(OpRegistry &registry);
void registerShapeImporters(OpRegistry &registry);
void registerIndexingImporters(OpRegistry &registry);
void registerAttentionImporters(OpRegistry &registry);

} // namespace mlir::kiln::onnx_import

#endif // KILN_COMPILER_FRONTENDS_ONNX_OPREGISTRY_H
