//===- kiln.cpp - The Kiln command-line driver ----------------------------===//
//
// The user-facing tool. Its subcommands (`build`, `run`, `inspect`, `eval`)
// arrive with the front ends, the engine format and the runtime; until then
// it reports its version and what it is built from.
//
//===----------------------------------------------------------------------===//

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
  llvm::cl::HideUnrelatedOptions({});
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "Kiln: an ahead-of-time compiler for neural networks.\n\n"
      "Kiln compiles an ONNX model or a Hugging Face checkpoint into an\n"
      "engine file for NVIDIA GPUs, which its C++ runtime loads and runs.\n\n"
      "This build has no subcommands yet: `build`, `run`, `inspect` and\n"
      "`eval` arrive with the front ends and the runtime. The compiler's\n"
      "IR can be explored with `kiln-opt` (see docs/development.md).\n");
  llvm::outs() << "kiln: no subcommand given; see `kiln --help`\n";
  return 1;
}
