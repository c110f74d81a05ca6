//===- CompileLogTest.cpp - NVRTC diagnostics to file:line:col ------------===//
//
// Logs are verbatim NVRTC 13.0 output.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/CompileLog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kiln::codegen;
using ::testing::HasSubstr;

namespace {

constexpr const char *kFrontEndLog =
    "hdr.h(1): error: expected an expression\n"
    "  int z = ;\n"
    "          ^\n"
    "\n"
    "gen/model.cu(5): error: expected a \";\"\n"
    "    o[1] = y;\n"
    "    ^\n"
    "\n"
    "gen/model.cu(4): warning #177-D: variable \"x\" was declared but never "
    "referenced\n"
    "    float x = o[0]\n"
    "          ^\n"
    "\n"
    "Remark: The warnings can be suppressed with \"-diag-suppress "
    "<warning-number>\"\n"
    "\n"
    "2 errors detected in the compilation of \"gen/model.cu\".\n";

TEST(CompileLog, ReadsFileLineColumnAndQuote) {
  std::vector<CompileDiagnostic> diagnostics = parseCompileLog(kFrontEndLog);
  ASSERT_EQ(diagnostics.size(), 3u);

  EXPECT_EQ(diagnostics[0].file, "hdr.h");
  EXPECT_EQ(diagnostics[0].line, 1u);
  EXPECT_EQ(diagnostics[0].column, 9u);
  EXPECT_EQ(diagnostics[0].severity, CompileDiagnostic::Severity::Error);
  EXPECT_EQ(diagnostics[0].message, "expected an expression");
  EXPECT_EQ(diagnostics[0].quotedLine, "int z = ;");

  EXPECT_EQ(diagnostics[1].file, "gen/model.cu");
  EXPECT_EQ(diagnostics[1].line, 5u);
  EXPECT_EQ(diagnostics[1].column, 3u);
  EXPECT_EQ(diagnostics[1].message, "expected a \";\"");
  EXPECT_EQ(diagnostics[1].quotedLine, "  o[1] = y;");
  EXPECT_TRUE(diagnostics[1].notes.empty());

  EXPECT_EQ(diagnostics[2].severity, CompileDiagnostic::Severity::Warning);
  EXPECT_EQ(diagnostics[2].line, 4u);
  EXPECT_EQ(diagnostics[2].column, 9u);
  EXPECT_EQ(diagnostics[2].message,
            "variable \"x\" was declared but never referenced");
}

TEST(CompileLog, FormatsWithTheGeneratedSourceLine) {
  std::vector<CompileDiagnostic> diagnostics = parseCompileLog(kFrontEndLog);
  ASSERT_EQ(diagnostics.size(), 3u);
  // The generated source is quoted from Kiln's own text, not NVRTC's quote.
  std::string source = "// line1\n#include \"hdr.h\"\nextern \"C\" "
                       "__global__ void k(float *o) {\n  float x = o[0]\n"
                       "  o[1] = y;\n}\n";
  EXPECT_EQ(formatDiagnostic(diagnostics[1], {{"gen/model.cu", source}}),
            "gen/model.cu:5:3: error: expected a \";\"\n"
            "    o[1] = y;\n"
            "    ^");
  // A file Kiln does not hold falls back to NVRTC's quote.
  EXPECT_EQ(formatDiagnostic(diagnostics[0], {{"gen/model.cu", source}}),
            "hdr.h:1:9: error: expected an expression\n"
            "  int z = ;\n"
            "          ^");
}

TEST(CompileLog, ReadsPtxasAndOptionErrors) {
  std::vector<CompileDiagnostic> diagnostics = parseCompileLog(
      "ptxas application ptx input, line 23; error   : Unknown modifier "
      "'.instr'\n"
      "ptxas fatal   : Ptx assembly aborted due to errors\n"
      "nvrtc: error: invalid value for --gpu-architecture (-arch)\n");
  ASSERT_EQ(diagnostics.size(), 3u);
  EXPECT_TRUE(diagnostics[0].fromPtxas);
  EXPECT_EQ(diagnostics[0].line, 23u);
  EXPECT_EQ(diagnostics[0].message, "Unknown modifier '.instr'");
  EXPECT_EQ(formatDiagnostic(diagnostics[0], {}),
            "ptxas (PTX line 23): error: Unknown modifier '.instr'");
  EXPECT_TRUE(diagnostics[1].fromPtxas);
  EXPECT_EQ(diagnostics[1].severity, CompileDiagnostic::Severity::Error);
  EXPECT_FALSE(diagnostics[2].fromPtxas);
  EXPECT_THAT(formatDiagnostic(diagnostics[2], {}),
              HasSubstr("nvrtc: error: invalid value for --gpu-architecture"));
}

TEST(CompileLog, PtxasWarningsAreWarnings) {
  // --ptxas-options=--warn-on-spills; the info lines around it are not
  // diagnostics.
  std::vector<CompileDiagnostic> diagnostics = parseCompileLog(
      "ptxas info    : Overriding maximum register limit 256 for "
      "'accumulate' with  32 of maxrregcount option\n"
      "ptxas warning : Registers are spilled to local memory in function "
      "'accumulate', 816 bytes spill stores, 816 bytes spill loads\n"
      "ptxas info    : 0 bytes gmem\n");
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].severity, CompileDiagnostic::Severity::Warning);
  EXPECT_TRUE(diagnostics[0].fromPtxas);
  EXPECT_THAT(diagnostics[0].message,
              HasSubstr("Registers are spilled to local memory"));
}

TEST(CompileLog, KeepsInstantiationNotes) {
  std::vector<CompileDiagnostic> diagnostics = parseCompileLog(
      "k.cu(2): error: no suitable conversion\n"
      "    T *p = x;\n"
      "           ^\n"
      "          detected during instantiation of \"void f<T>(int) [with "
      "T=float]\" at line 5\n"
      "\n");
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].column, 10u);
  ASSERT_EQ(diagnostics[0].notes.size(), 1u);
  EXPECT_THAT(diagnostics[0].notes[0],
              HasSubstr("detected during instantiation"));
}

} // namespace
