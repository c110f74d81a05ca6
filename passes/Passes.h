//===- Passes.h - Kiln passes -----------------------------------*- C++ -*-===//

#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "dialects/kiln/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::kiln {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Options of kiln-graph-pipeline.
struct GraphPipelineOptions : PassPipelineOptions<GraphPipelineOptions> {
  PassOptions::Option<bool> channelsLast{
      *this, "channels-last",
      llvm::cl::desc("Move convolutions and pools to NHWC "
                     "(kiln-convert-to-channels-last)"),
      llvm::cl::init(false)};
};

/// Kiln's graph optimizations in their order, nested on every function.
void buildGraphPipeline(OpPassManager &pm,
                        const GraphPipelineOptions &options = {});

/// Registers `kiln-graph-pipeline` for kiln-opt's command line.
void registerKilnPipelines();

} // namespace mlir::kiln

#endif // KILN_PASSES_PASSES_H
