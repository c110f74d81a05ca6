//===- CompileLog.h - NVRTC's front-end and ptxas diagnostics -----*- C++
//-*-===//
//
// NVRTC reports source problems as `file(line): error: message`, followed by
// the offending line and a caret. Kiln turns them into diagnostics naming the
// generated file, line and column, quoting the line from the source Kiln
// generated (exact, never truncated), so a codegen bug is found in the
// emitted CUDA C++ without re-running anything.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_COMPILELOG_H
#define KILN_COMPILER_CODEGEN_COMPILELOG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln::codegen {

struct CompileDiagnostic {
  enum class Severity { Error, Warning, Remark };
  Severity severity = Severity::Error;
  /// The file as NVRTC names it: the program name for the generated source,
  /// the header's include path otherwise. Empty for a ptxas diagnostic.
  std::string file;
  /// 1-based; 0 if unknown. For ptxas diagnostics: the line in the PTX.
  unsigned line = 0;
  /// 1-based, from NVRTC's caret; 0 if unknown.
  unsigned column = 0;
  std::string message;
  /// The offending line, as NVRTC quoted it (without its indentation).
  std::string quotedLine;
  /// Further lines NVRTC attached (e.g. "detected during instantiation of").
  std::vector<std::string> notes;
  /// True for ptxas' `ptxas application ptx input, line N; error : ...`.
  bool fromPtxas = false;
};

/// The diagnostics of an NVRTC program log, in log order. Lines that are not
/// part of a diagnostic (ptxas info, remarks about -diag-suppress, the
/// "N errors detected" summary) are skipped.
std::vector<CompileDiagnostic> parseCompileLog(llvm::StringRef log);

/// `file:line:col: error: message`, then the source line and a caret. The
/// line is taken from `sources` (name -> text: the generated file and the
/// in-memory headers) when the file is one of them, else from NVRTC's quote.
std::string formatDiagnostic(
    const CompileDiagnostic &diagnostic,
    llvm::ArrayRef<std::pair<std::string, llvm::StringRef>> sources);

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_COMPILELOG_H
