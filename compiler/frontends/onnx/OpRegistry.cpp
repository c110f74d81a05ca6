//===- OpRegistry.cpp - The table of ONNX op importers
//---------------------===//

#include "compiler/frontends/onnx/OpRegistry.h"

using namespace mlir::kiln::onnx_import;

/// "" and "ai.onnx" name the same default domain.
static std::string registryKey(llvm::StringRef domain, llvm::StringRef opType) {
  if (domain == "ai.onnx")
    domain = "";
  return (domain + "::" + opType).str();
}

void OpRegistry::addInDomain(llvm::StringRef domain, llvm::StringRef opType,
                             ImporterFn import, int64_t minOpset,
                             int64_t maxOpset) {
  importers[registryKey(domain, opType)].push_back(
      {minOpset, maxOpset, import});
}

const OpImporter *OpRegistry::lookup(llvm::StringRef domain,
                                     llvm::StringRef opType,
                                     int64_t opset) const {
  auto it = importers.find(registryKey(domain, opType));
  if (it == importers.end())
    return nullptr;
  for (const OpImporter &importer : it->second)
    if (importer.minOpset <= opset && opset <= importer.maxOpset)
      return &importer;
  return nullptr;
}

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseImporters(r);
    registerReductionImporters(r);
    registerContractionImporters(r);
    registerConvolutionImporters(r);
    registerNormalizationImporters(r);
    registerShapeImporters(r);
    registerIndexingImporters(r);
    registerAttentionImporters(r);
    return r;
  }();
  return registry;
}
