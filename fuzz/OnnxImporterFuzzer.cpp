//===- OnnxImporterFuzzer.cpp - Fuzz target over the ONNX importer --------===//
//
// `LLVMFuzzerTestOneInput` feeds arbitrary bytes to the ONNX importer. Most
// inputs are refused with a diagnostic, which is the importer doing its job;
// a finding is a crash, a sanitizer report, a leak, a hang, a module the
// importer produced that does not verify, or a refusal without a diagnostic.
// The last two are not user error but importer bugs, so the target aborts on
// them: libFuzzer then keeps the input, and the corpus replay
// (FuzzReplayMain.cpp) fails.
//
// The same file is linked with libFuzzer (kiln-onnx-fuzz) and with the replay
// driver (kiln-onnx-fuzz-replay); see docs/fuzzing.md.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Compiler.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {
/// The directory the importer resolves external data in: empty and private
/// to this process, so that a fuzzed `location` exercises the lookup and its
/// checks but can never make the importer read a file of the machine.
class EmptyExternalDataDir {
public:
  EmptyExternalDataDir() {
    if (std::error_code error =
            llvm::sys::fs::createUniqueDirectory("kiln-onnx-fuzz", dir)) {
      // Still fuzzable: an empty path makes the importer refuse external
      // data altogether, which only loses the lookup paths.
      llvm::errs() << "kiln-onnx-fuzz: cannot create a temporary directory ("
                   << error.message() << "); external data will be refused\n";
      dir.clear();
    }
  }
  ~EmptyExternalDataDir() {
    if (!dir.empty())
      llvm::sys::fs::remove(dir);
  }
  llvm::StringRef path() const { return dir; }

private:
  llvm::SmallString<128> dir;
};

/// Reports an importer bug with the diagnostics that led to it and aborts,
/// which libFuzzer and the replay driver both treat as a crash.
[[noreturn]] void reportImporterBug(llvm::StringRef what,
                                    const std::string &diagnostics) {
  llvm::errs() << "kiln-onnx-fuzz: importer bug: " << what << "\n"
               << diagnostics;
  llvm::errs().flush();
  std::abort();
}
} // namespace

#if LLVM_ADDRESS_SANITIZER_BUILD
// LLVM's allocators poison and unpoison their slabs when built with ASan. The
// importer is instrumented but Debian's MLIR is not, and both instantiate the
// same inline allocator code, so a slab poisoned by one copy is handed out by
// the other without being unpoisoned: false use-after-poison reports.
// Manual poisoning is switched off; ASan's own checks are unaffected.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static EmptyExternalDataDir externalDataDir;

  // A fresh context per input, so that no input sees what an earlier one
  // left behind; single-threaded, so that a run is reproducible.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  mlir::kiln::onnx_import::loadImporterDialects(context);

  // Diagnostics are the expected outcome for most inputs; they are only
  // shown when the input turns out to be a finding.
  std::string diagnostics;
  bool internalError = false;
  mlir::ScopedDiagnosticHandler collect(&context, [&](mlir::Diagnostic &diag) {
    std::string message = diag.str();
    // The importer verifies its module before returning it, and reports a
    // failure as an internal error instead of handing the module out.
    if (llvm::StringRef(message).starts_with("internal error"))
      internalError = true;
    diagnostics += "  " + message + "\n";
    for (const mlir::Diagnostic &note : diag.getNotes())
      diagnostics += "    note: " + note.str() + "\n";
    return mlir::success();
  });

  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      mlir::kiln::onnx_import::importOnnxModelFromBytes(
          bytes, context, mlir::kiln::onnx_import::ImportOptions{},
          externalDataDir.path(), "fuzz-input");
  if (internalError)
    reportImporterBug("the importer built a module that does not verify",
                      diagnostics);
  // The importer's contract: every refusal says why.
  if (failed(module) && diagnostics.empty())
    reportImporterBug("the import failed without a diagnostic", diagnostics);
  if (failed(module))
    return 0;
  if (failed(mlir::verify(**module)))
    reportImporterBug("the imported module does not verify", diagnostics);
  // kiln-import prints what it imports: the printers of kiln ops and of the
  // attributes an accepted model can produce are part of the surface.
  (*module)->print(llvm::nulls());
  return 0;
}
