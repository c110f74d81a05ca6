//===- kiln.cpp - The Kiln command-line driver ----------------------------===//
//
// The user-facing tool, one subcommand per job. Today: `eval`, which runs a
// model on .npy inputs with the reference evaluator. `build`, `run` and
// `inspect` arrive with the code generator, the engine format and the
// runtime.
//
//===----------------------------------------------------------------------===//

#include "EvalCommand.h"
#include "Version.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

static void printVersion(llvm::raw_ostream &os) {
  os << "kiln " << KILN_VERSION;
  if (*KILN_GIT_REVISION)
    os << " (" << KILN_GIT_REVISION << ")";
  os << "\n  built with LLVM/MLIR " << LLVM_VERSION_STRING << "\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::SetVersionPrinter(printVersion);
  llvm::cl::SubCommand &eval = mlir::kiln::evalSubcommand();
  // Only the driver's own options belong in --help, not those every linked
  // LLVM library registers.
  llvm::cl::HideUnrelatedOptions({});
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "Kiln: an ahead-of-time compiler for neural networks.\n\n"
      "Kiln compiles an ONNX model or a Hugging Face checkpoint into an\n"
      "engine file for NVIDIA GPUs, which its C++ runtime loads and runs.\n\n"
      "Subcommands:\n"
      "  eval    run a model (.onnx, or .mlir in the kiln dialect) on .npy\n"
      "          inputs with the reference evaluator; see `kiln eval "
      "--help`\n\n"
      "`build`, `run` and `inspect` arrive with the code generator and the\n"
      "runtime. The compiler's IR can be explored with `kiln-opt`.\n");
  if (eval)
    return mlir::kiln::runEvalCommand();
  llvm::errs() << "kiln: no subcommand given; see `kiln --help`\n";
  return 1;
}
