//===- EvalCommand.h - `kiln eval` ------------------------------*- C++ -*-===//

#ifndef KILN_TOOLS_KILN_EVALCOMMAND_H
#define KILN_TOOLS_KILN_EVALCOMMAND_H

#include "llvm/Support/CommandLine.h"

namespace mlir::kiln {

/// The `eval` subcommand: selected when `evalSubcommand()` is.
llvm::cl::SubCommand &evalSubcommand();

/// Runs `kiln eval` with the parsed options; returns the exit code.
int runEvalCommand();

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_EVALCOMMAND_H
