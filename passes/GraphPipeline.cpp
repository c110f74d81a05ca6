//===- GraphPipeline.cpp - The graph optimizations, in order --------------===//
//
// The order matters: shapes first (so shape tensors become constants), then
// constant folding (so scales and masks are literals the matchers can read),
// then recognition of the big patterns before the small ones that would
// otherwise take their pieces (normalizations before activations, attention
// before linear layers eat its matmuls). The optional move to channels_last
// comes after batch-norm folding, which then needs no layout of its own, and
// before the last cleanup.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::kiln::buildGraphPipeline(OpPassManager &pm,
                                    const GraphPipelineOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
  func.addPass(createInferSymbolicShapes());
  func.addPass(createFoldConstants());
  func.addPass(createCanonicalizerPass());
  func.addPass(createRecognizeNormalizations());
  func.addPass(createRecognizeActivations());
  func.addPass(createRecognizeAttention());
  func.addPass(createFormLinear());
  func.addPass(createFoldConvBatchNorm());
  if (options.channelsLast)
    func.addPass(createConvertToChannelsLast());
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
}

void mlir::kiln::registerKilnPipelines() {
  PassPipelineRegistration<GraphPipelineOptions>(
      "kiln-graph-pipeline",
      "Kiln's graph optimizations: symbolic shapes, constant folding, "
      "recognition of normalizations, activations, attention and linear "
      "layers, batch-norm folding, optionally the move to channels_last "
      "(channels-last=true), cleanup",
      [](OpPassManager &pm, const GraphPipelineOptions &options) {
        buildGraphPipeline(pm, options);
      });
}
