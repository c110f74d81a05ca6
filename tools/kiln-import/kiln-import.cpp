//===- kiln-import.cpp - Import an ONNX model and print kiln IR -----------===//
//
// `kiln-import MODEL.onnx [-o OUT.mlir]`: the ONNX front end on its own, for
// lit tests and for looking at what a model becomes. On any error nothing is
// written: a half-imported model is never left behind.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                            llvm::cl::desc("<model.onnx>"),
                                            llvm::cl::Required);
static llvm::cl::opt<std::string>
    outputPath("o", llvm::cl::desc("Output file (default: stdout)"),
               llvm::cl::value_desc("file"), llvm::cl::init("-"));
static llvm::cl::opt<bool> elideWeights(
    "elide-weights",
    llvm::cl::desc("Print dense_resource blobs as __elided__ (smaller output; "
                   "the result cannot be parsed back)"),
    llvm::cl::init(false));
static llvm::cl::opt<bool>
    printDebugInfo("print-debuginfo",
                   llvm::cl::desc("Print locations (ONNX node names)"),
                   llvm::cl::init(false));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "Kiln ONNX importer: ONNX model to kiln "
                                    "dialect IR\n");
  MLIRContext context;
  // Diagnostics name the ONNX node or tensor themselves; the location (a
  // node name) would only repeat it.
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    auto print = [](const Diagnostic &d) {
      llvm::StringRef severity = "error";
      if (d.getSeverity() == DiagnosticSeverity::Warning)
        severity = "warning";
      else if (d.getSeverity() == DiagnosticSeverity::Note)
        severity = "note";
      else if (d.getSeverity() == DiagnosticSeverity::Remark)
        severity = "remark";
      llvm::errs() << inputPath << ": " << severity << ": " << d.str() << "\n";
    };
    print(diag);
    for (const Diagnostic &note : diag.getNotes())
      print(note);
    return success();
  });

  FailureOr<OwningOpRef<ModuleOp>> module =
      kiln::onnx_import::importOnnxModel(inputPath, context);
  if (failed(module))
    return 1;

  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << "kiln-import: " << error << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (elideWeights)
    flags.elideLargeResourceString(0);
  if (printDebugInfo)
    flags.enableDebugInfo();
  (*module)->print(output->os(), flags);
  output->keep();
  return 0;
}
