//===- kiln-opt.cpp - mlir-opt with the kiln dialect and passes -----------===//
//
// The driver of the lit tests and of anyone working on a pass: parses kiln IR,
// runs a pipeline and prints the result.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/KilnDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::kiln::KilnDialect, mlir::func::FuncDialect>();

  // The generic passes kiln pipelines use, then Kiln's own.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerInlinerPass();
  mlir::registerSCCPPass();
  mlir::kiln::registerKilnPasses();
  mlir::kiln::registerKilnPipelines();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Kiln optimizer driver: the kiln dialect and its passes\n",
      registry));
}
