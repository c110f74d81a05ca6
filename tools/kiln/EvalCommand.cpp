//===- EvalCommand.cpp - `kiln eval` --------------------------------------===//
//
// Runs a model on .npy inputs with the reference evaluator and writes one
// .npy per output. Everything that can be checked is checked before any
// output file exists, and outputs are written under temporary names and
// renamed only when all of them are complete, so an error never leaves a
// partial set of outputs behind.
//
//===----------------------------------------------------------------------===//

#include "EvalCommand.h"
#include "ModelLoader.h"

#include "compiler/evaluator/Evaluator.h"
#include "compiler/evaluator/Npy.h"
#include "dialects/kiln/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;
namespace cl = llvm::cl;

cl::SubCommand &mlir::kiln::evalSubcommand() {
  static cl::SubCommand command(
      "eval", "Run a model on .npy inputs with the reference evaluator");
  return command;
}

static cl::OptionCategory &evalCategory() {
  static cl::OptionCategory category("kiln eval options");
  return category;
}

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | model.mlir>"),
                                      cl::sub(evalSubcommand()),
                                      cl::cat(evalCategory()));

static cl::list<std::string>
    inputArgs("input",
              cl::desc("Bind the model input NAME to the tensor in FILE.npy "
                       "(repeat for each input)"),
              cl::value_desc("NAME=FILE.npy"), cl::sub(evalSubcommand()),
              cl::cat(evalCategory()));

static cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write each output to DIR/NAME.npy (created if "
                       "missing); without it outputs are only printed"),
              cl::value_desc("DIR"), cl::sub(evalSubcommand()),
              cl::cat(evalCategory()));

static cl::opt<unsigned>
    printCount("print-values",
               cl::desc("How many leading values of each output to print"),
               cl::init(8), cl::sub(evalSubcommand()), cl::cat(evalCategory()));

/// Reports an error of the command itself (not of an op) on stderr.
static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "kiln eval") << message << "\n";
  return 1;
}

/// `@main`, or the only function of the module.
static FailureOr<func::FuncOp> findEntry(ModuleOp module) {
  SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
  for (func::FuncOp function : functions)
    if (function.getSymName() == "main")
      return function;
  if (functions.size() == 1)
    return functions.front();
  return module.emitError()
         << "the model has " << functions.size()
         << " functions and none is named @main; cannot pick an entry point";
}

/// The `kiln.name` attribute of an argument or result, or the default
/// `input0`, `output0`, ...
static std::string nameOf(StringAttr name, StringRef prefix, unsigned index) {
  if (name && !name.getValue().empty())
    return name.getValue().str();
  return (prefix + llvm::Twine(index)).str();
}

/// A file name for an output name: ONNX names such as "/layer1/Add_output_0"
/// contain path separators, which become '_'.
static std::string fileNameFor(StringRef name) {
  std::string file;
  for (char c : name)
    file.push_back(
        llvm::isAlnum(c) || c == '.' || c == '-' || c == '_' || c == ':' ? c
                                                                         : '_');
  if (file.empty() || file == "." || file == "..")
    file = "_" + file;
  return file + ".npy";
}

static void printValues(llvm::raw_ostream &os, const Tensor &tensor,
                        unsigned count) {
  os << '[';
  int64_t shown = std::min<int64_t>(count, tensor.getNumElements());
  for (int64_t i = 0; i < shown; ++i) {
    if (i)
      os << ", ";
    if (tensor.isFloat())
      os << llvm::format("%.7g", tensor.getFloat(i));
    else if (tensor.getKind() == ElementKind::I1)
      os << (tensor.getInt(i) ? "true" : "false");
    else
      os << tensor.getInt(i);
  }
  if (shown < tensor.getNumElements())
    os << (shown ? ", ..." : "...");
  os << ']';
}

int mlir::kiln::runEvalCommand() {
  DialectRegistry registry;
  registry.insert<KilnDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context, llvm::errs());

  FailureOr<OwningOpRef<ModuleOp>> module = loadModel(modelPath, &context);
  if (failed(module))
    return 1;
  FailureOr<func::FuncOp> entry = findEntry(**module);
  if (failed(entry))
    return 1;
  func::FuncOp function = *entry;
  FunctionType type = function.getFunctionType();

  // Names of the inputs and outputs, which must be unique to be addressed.
  SmallVector<std::string> inputNames, outputNames;
  llvm::StringMap<unsigned> inputIndex;
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    inputNames.push_back(nameOf(
        function.getArgAttrOfType<StringAttr>(i, "kiln.name"), "input", i));
    if (!inputIndex.try_emplace(inputNames.back(), i).second)
      return fail("the model has two inputs named '" + inputNames.back() + "'");
  }
  llvm::StringSet<> outputFiles;
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    outputNames.push_back(nameOf(
        function.getResultAttrOfType<StringAttr>(i, "kiln.name"), "output", i));
    if (!outputFiles.insert(fileNameFor(outputNames.back())).second)
      return fail("two outputs would both be written to '" +
                  fileNameFor(outputNames.back()) + "'");
  }
  auto listInputs = [&] {
    std::string text;
    for (auto [i, name] : llvm::enumerate(inputNames)) {
      std::string typeText;
      llvm::raw_string_ostream os(typeText);
      os << type.getInput(i);
      text += (i ? ", " : "") + name + " (" + typeText + ")";
    }
    return text.empty() ? std::string("none") : text;
  };

  // Bind every --input, then check that none is missing.
  SmallVector<std::optional<Tensor>> inputs(type.getNumInputs());
  for (StringRef arg : inputArgs) {
    auto [name, path] = arg.split('=');
    if (name.empty() || path.empty() || !arg.contains('='))
      return fail("--input '" + arg + "' is not NAME=FILE.npy");
    auto it = inputIndex.find(name);
    if (it == inputIndex.end())
      return fail("unknown input '" + name +
                  "'; the model's inputs are: " + listInputs());
    unsigned index = it->second;
    if (inputs[index])
      return fail("input '" + name + "' is given twice");
    llvm::Expected<Tensor> tensor = readNpy(path);
    if (!tensor)
      return fail("input '" + name +
                  "': " + llvm::toString(tensor.takeError()));
    Type argType = type.getInput(index);
    if (std::optional<std::string> mismatch =
            checkTensorFitsType(*tensor, argType)) {
      std::string typeText;
      llvm::raw_string_ostream os(typeText);
      os << argType;
      // bf16 cannot come from a .npy file at all; say how to get one.
      bool wantsBF16 = cast<ShapedType>(argType).getElementType().isBF16();
      return fail("input '" + name + "' from " + path + " is " +
                  tensor->describeType() + ", which does not fit " + typeText +
                  ": " + *mismatch +
                  (wantsBF16 ? " (bf16 has no NumPy dtype: give the model an "
                               "f32 input and cast it inside)"
                             : ""));
    }
    inputs[index] = std::move(*tensor);
  }
  for (auto [i, input] : llvm::enumerate(inputs))
    if (!input) {
      std::string typeText;
      llvm::raw_string_ostream os(typeText);
      os << type.getInput(i);
      return fail("missing input '" + inputNames[i] + "' (" + typeText +
                  "); pass --input " + inputNames[i] + "=FILE.npy");
    }

  SmallVector<Tensor> bound;
  for (std::optional<Tensor> &input : inputs)
    bound.push_back(std::move(*input));
  FailureOr<SmallVector<Tensor>> results = evaluate(function, bound);
  if (failed(results))
    return 1;

  if (!outputDir.empty()) {
    // Encode everything first: an output that cannot be saved (bf16) fails
    // the command before any file exists.
    SmallVector<std::vector<char>> encoded;
    for (auto [name, result] : llvm::zip(outputNames, *results)) {
      llvm::Expected<std::vector<char>> bytes = encodeNpy(result);
      if (!bytes)
        return fail("output '" + name +
                    "': " + llvm::toString(bytes.takeError()));
      encoded.push_back(std::move(*bytes));
    }
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create the output directory '" + outputDir +
                  "': " + ec.message());
    SmallVector<std::string> temporaries, finals;
    auto removeTemporaries = [&] {
      for (const std::string &path : temporaries)
        llvm::sys::fs::remove(path);
    };
    for (auto [name, bytes] : llvm::zip(outputNames, encoded)) {
      SmallString<256> finalPath(outputDir);
      llvm::sys::path::append(finalPath, fileNameFor(name));
      std::string temporary =
          (finalPath + ".tmp" + llvm::Twine(llvm::sys::Process::getProcessId()))
              .str();
      std::error_code ec;
      llvm::raw_fd_ostream os(temporary, ec, llvm::sys::fs::OF_None);
      if (!ec) {
        temporaries.push_back(temporary);
        os.write(bytes.data(), bytes.size());
        os.close();
        ec = os.error();
      }
      if (ec) {
        removeTemporaries();
        return fail("cannot write '" + temporary + "': " + ec.message());
      }
      finals.push_back(finalPath.str().str());
    }
    for (auto [temporary, finalPath] : llvm::zip(temporaries, finals))
      if (std::error_code ec = llvm::sys::fs::rename(temporary, finalPath)) {
        removeTemporaries();
        return fail("cannot rename '" + temporary + "' to '" + finalPath +
                    "': " + ec.message());
      }
  }

  llvm::raw_ostream &os = llvm::outs();
  for (auto [name, result] : llvm::zip(outputNames, *results)) {
    os << name << ": shape " << formatDims(result.getShape()) << ", "
       << getElementKindName(result.getKind()) << ", "
       << result.getNumElements() << " elements: ";
    printValues(os, result, printCount);
    os << '\n';
  }
  return 0;
}
