//===- CompileLog.cpp - NVRTC's front-end and ptxas diagnostics -----------===//
//
// NVRTC 13's front end writes (two-space indented quote, caret below):
//
//   gen/model.cu(5): error: expected a ";"
//       o[1] = y;
//       ^
//   <blank line>
//
// with `warning #177-D:` for numbered warnings and `catastrophic error:` for
// a missing include; ptxas writes `ptxas application ptx input, line 23;
// error   : ...`, `ptxas fatal   : ...` and `ptxas warning : ...` (e.g.
// --warn-on-spills); option errors are
// `nvrtc: error: ...`.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/CompileLog.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace kiln::codegen {

namespace {

using Severity = CompileDiagnostic::Severity;

Severity severityOf(StringRef word) {
  if (word.contains("error") || word == "fatal")
    return Severity::Error;
  if (word == "warning")
    return Severity::Warning;
  return Severity::Remark;
}

StringRef severityName(Severity severity) {
  switch (severity) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Remark:
    return "remark";
  }
  return "error";
}

/// Line `line` (1-based) of `text`, without its newline.
std::optional<StringRef> lineOf(StringRef text, unsigned line) {
  if (line == 0)
    return std::nullopt;
  for (unsigned current = 1; current < line; ++current) {
    size_t newline = text.find('\n');
    if (newline == StringRef::npos)
      return std::nullopt;
    text = text.drop_front(newline + 1);
  }
  return text.take_until([](char c) { return c == '\n'; }).rtrim("\r");
}

} // namespace

std::vector<CompileDiagnostic> parseCompileLog(StringRef log) {
  static const Regex frontEnd("^(.+)\\(([0-9]+)\\): "
                              "(catastrophic error|error|warning|remark)"
                              "( #[0-9]+(-[A-Z])?)?: (.*)$");
  static const Regex ptxasLine(
      "^ptxas application ptx input, line ([0-9]+); (error|warning) *: (.*)$");
  static const Regex ptxasOther("^ptxas (fatal|error|warning) *: (.*)$");
  static const Regex nvrtcLine("^nvrtc: (error|warning) *: (.*)$");

  std::vector<CompileDiagnostic> diagnostics;
  // The front-end diagnostic whose quote, caret and notes may follow.
  CompileDiagnostic *open = nullptr;
  bool sawCaret = false;

  SmallVector<StringRef> lines;
  log.split(lines, '\n');
  for (StringRef rawLine : lines) {
    StringRef line = rawLine.rtrim("\r");
    SmallVector<StringRef, 8> match;
    if (frontEnd.match(line, &match)) {
      CompileDiagnostic diagnostic;
      diagnostic.severity = severityOf(match[3]);
      diagnostic.file = match[1].str();
      match[2].getAsInteger(10, diagnostic.line);
      diagnostic.message = match[6].str();
      diagnostics.push_back(std::move(diagnostic));
      open = &diagnostics.back();
      sawCaret = false;
      continue;
    }
    if (ptxasLine.match(line, &match)) {
      CompileDiagnostic diagnostic;
      diagnostic.severity = severityOf(match[2]);
      match[1].getAsInteger(10, diagnostic.line);
      diagnostic.message = match[3].str();
      diagnostic.fromPtxas = true;
      diagnostics.push_back(std::move(diagnostic));
      open = nullptr;
      continue;
    }
    if (ptxasOther.match(line, &match) || nvrtcLine.match(line, &match)) {
      CompileDiagnostic diagnostic;
      diagnostic.severity = severityOf(match[1]);
      diagnostic.message = match[2].str();
      diagnostic.fromPtxas = line.starts_with("ptxas");
      diagnostics.push_back(std::move(diagnostic));
      open = nullptr;
      continue;
    }
    if (!open)
      continue;
    if (line.trim().empty()) {
      open = nullptr; // a blank line ends the diagnostic
      continue;
    }
    bool isCaret = line.trim() == "^";
    if (isCaret && !sawCaret) {
      // The quote is indented by two spaces; so is the caret line.
      size_t caret = line.find('^');
      open->column = caret >= 2 ? static_cast<unsigned>(caret - 1) : 1;
      sawCaret = true;
      continue;
    }
    if (!sawCaret && open->quotedLine.empty() && line.starts_with("  ")) {
      open->quotedLine = line.drop_front(2).str();
      continue;
    }
    open->notes.push_back(line.trim().str());
  }
  return diagnostics;
}

std::string
formatDiagnostic(const CompileDiagnostic &diagnostic,
                 ArrayRef<std::pair<std::string, StringRef>> sources) {
  std::string text;
  raw_string_ostream os(text);
  if (diagnostic.fromPtxas)
    os << "ptxas"
       << (diagnostic.line ? formatv(" (PTX line {0})", diagnostic.line).str()
                           : "");
  else if (!diagnostic.file.empty())
    os << diagnostic.file << ":" << diagnostic.line;
  else
    os << "nvrtc";
  if (diagnostic.column)
    os << ":" << diagnostic.column;
  os << ": " << severityName(diagnostic.severity) << ": " << diagnostic.message;

  std::optional<StringRef> sourceLine;
  for (const auto &[name, source] : sources)
    if (name == diagnostic.file)
      sourceLine = lineOf(source, diagnostic.line);
  if (!sourceLine && !diagnostic.quotedLine.empty())
    sourceLine = StringRef(diagnostic.quotedLine);
  if (sourceLine) {
    os << "\n  " << *sourceLine;
    if (diagnostic.column)
      os << "\n  " << std::string(diagnostic.column - 1, ' ') << "^";
  }
  for (const std::string &note : diagnostic.notes)
    os << "\n  note: " << note;
  return text;
}

} // namespace kiln::codegen
