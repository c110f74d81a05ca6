//===- NvrtcCompiler.cpp - CUDA C++ to cubins and PTX with NVRTC ----------===//

#include "compiler/codegen/NvrtcCompiler.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <nvrtc.h>

using namespace llvm;

namespace kiln::codegen {

std::vector<std::string> CompileOptions::defaultIncludeDirs() {
  return {KILN_SOURCE_DIR, KILN_CUDA_INCLUDE_DIR};
}

std::string CompileOptions::cudaIncludeDir() { return KILN_CUDA_INCLUDE_DIR; }

const ArchCompilation *CompiledModule::find(const GpuArch &arch) const {
  for (const ArchCompilation &compilation : archs)
    if (compilation.arch == arch)
      return &compilation;
  return nullptr;
}

namespace {

/// Owns an nvrtcProgram so that every early return destroys it.
class Program {
public:
  Program() = default;
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;
  ~Program() {
    if (handle)
      nvrtcDestroyProgram(&handle);
  }
  nvrtcProgram handle = nullptr;
};

Error apiError(StringRef call, nvrtcResult status, StringRef name) {
  return createStringError(inconvertibleErrorCode(), "%s failed for '%s': %s",
                           call.str().c_str(), name.str().c_str(),
                           nvrtcGetErrorString(status));
}

/// What one NVRTC compilation produced.
struct ProgramOutput {
  std::string log, ptx, cubin;
};

Error checkText(StringRef text, StringRef what) {
  // NVRTC takes C strings: an embedded NUL would silently cut the text.
  if (text.contains('\0'))
    return createStringError(inconvertibleErrorCode(),
                             "%s contains a NUL character", what.str().c_str());
  return Error::success();
}

Error validate(StringRef source, StringRef name,
               const CompileOptions &options) {
  if (name.empty())
    return createStringError(inconvertibleErrorCode(),
                             "a CUDA module needs a name for its diagnostics");
  if (Error error = checkText(source, formatv("source of '{0}'", name).str()))
    return error;
  for (const auto &[headerName, text] : options.headers) {
    if (headerName.empty())
      return createStringError(inconvertibleErrorCode(),
                               "an in-memory header of '%s' has no name",
                               name.str().c_str());
    if (Error error = checkText(text, "header '" + headerName + "'"))
      return error;
  }
  for (const std::string &option : options.extraOptions) {
    StringRef flag(option);
    if (flag.starts_with("-arch") || flag.starts_with("--gpu-architecture") ||
        flag.starts_with("-gpu-architecture"))
      return createStringError(
          inconvertibleErrorCode(),
          "option '%s' chooses the architecture, which compileCuda does from "
          "its architecture list",
          option.c_str());
  }
  return Error::success();
}

std::vector<std::string> nvrtcOptions(StringRef archFlag,
                                      const CompileOptions &options,
                                      bool verbosePtxas) {
  std::vector<std::string> result = {("-arch=" + archFlag).str(), "-std=c++17",
                                     "-default-device", "-DNDEBUG"};
  for (const std::string &dir : options.includeDirs)
    result.push_back("-I" + dir);
  for (const std::string &define : options.defines)
    result.push_back("-D" + define);
  if (options.lineInfo)
    result.push_back("-lineinfo");
  if (options.maxRegisters)
    result.push_back(formatv("-maxrregcount={0}", *options.maxRegisters));
  if (verbosePtxas)
    result.push_back("--ptxas-options=-v");
  llvm::append_range(result, options.extraOptions);
  return result;
}

/// The Error for a failed compile: every error diagnostic, formatted with the
/// generated line, or the raw log if none could be read from it.
Error compileError(StringRef log, StringRef source, StringRef name,
                   StringRef target, const CompileOptions &options) {
  std::vector<std::pair<std::string, StringRef>> sources = {
      {name.str(), source}};
  for (const auto &[headerName, text] : options.headers)
    sources.emplace_back(headerName, text);

  std::string message;
  raw_string_ostream os(message);
  os << "NVRTC could not compile '" << name << "' for " << target << ":";
  unsigned errors = 0;
  for (const CompileDiagnostic &diagnostic : parseCompileLog(log)) {
    if (diagnostic.severity != CompileDiagnostic::Severity::Error)
      continue;
    os << "\n" << formatDiagnostic(diagnostic, sources);
    ++errors;
  }
  if (errors == 0)
    os << "\n" << log.trim();
  return createStringError(inconvertibleErrorCode(), message);
}

Expected<ProgramOutput> runNvrtc(StringRef source, StringRef name,
                                 StringRef target,
                                 ArrayRef<std::string> optionStrings,
                                 const CompileOptions &options,
                                 bool wantCubin) {
  std::string sourceText = source.str();
  std::string nameText = name.str();
  std::vector<const char *> headerTexts, headerNames;
  for (const auto &[headerName, text] : options.headers) {
    headerNames.push_back(headerName.c_str());
    headerTexts.push_back(text.c_str());
  }
  Program program;
  if (nvrtcResult status = nvrtcCreateProgram(
          &program.handle, sourceText.c_str(), nameText.c_str(),
          static_cast<int>(headerTexts.size()), headerTexts.data(),
          headerNames.data());
      status != NVRTC_SUCCESS)
    return apiError("nvrtcCreateProgram", status, name);

  std::vector<const char *> optionPointers;
  for (const std::string &option : optionStrings)
    optionPointers.push_back(option.c_str());
  nvrtcResult compiled = nvrtcCompileProgram(
      program.handle, static_cast<int>(optionPointers.size()),
      optionPointers.data());

  ProgramOutput output;
  size_t size = 0;
  if (nvrtcResult status = nvrtcGetProgramLogSize(program.handle, &size);
      status != NVRTC_SUCCESS)
    return apiError("nvrtcGetProgramLogSize", status, name);
  output.log.resize(size);
  if (nvrtcResult status =
          nvrtcGetProgramLog(program.handle, output.log.data());
      status != NVRTC_SUCCESS)
    return apiError("nvrtcGetProgramLog", status, name);
  // The sizes count the terminating NUL.
  if (!output.log.empty() && output.log.back() == '\0')
    output.log.pop_back();

  if (compiled == NVRTC_ERROR_COMPILATION)
    return compileError(output.log, source, name, target, options);
  if (compiled != NVRTC_SUCCESS) {
    Error error = apiError("nvrtcCompileProgram", compiled, name);
    StringRef log = StringRef(output.log).trim();
    if (log.empty())
      return std::move(error);
    return joinErrors(std::move(error),
                      createStringError(inconvertibleErrorCode(), log));
  }

  if (nvrtcResult status = nvrtcGetPTXSize(program.handle, &size);
      status != NVRTC_SUCCESS)
    return apiError("nvrtcGetPTXSize", status, name);
  output.ptx.resize(size);
  if (nvrtcResult status = nvrtcGetPTX(program.handle, output.ptx.data());
      status != NVRTC_SUCCESS)
    return apiError("nvrtcGetPTX", status, name);
  if (!output.ptx.empty() && output.ptx.back() == '\0')
    output.ptx.pop_back();

  if (wantCubin) {
    if (nvrtcResult status = nvrtcGetCUBINSize(program.handle, &size);
        status != NVRTC_SUCCESS)
      return apiError("nvrtcGetCUBINSize", status, name);
    if (size == 0)
      return createStringError(inconvertibleErrorCode(),
                               "NVRTC produced no cubin for '%s' (%s)",
                               nameText.c_str(), target.str().c_str());
    output.cubin.resize(size);
    if (nvrtcResult status = nvrtcGetCUBIN(program.handle, output.cubin.data());
        status != NVRTC_SUCCESS)
      return apiError("nvrtcGetCUBIN", status, name);
  }
  return output;
}

/// Checks each architecture against this NVRTC and drops repeats.
Expected<std::vector<GpuArch>> distinctSupportedArchs(ArrayRef<GpuArch> archs) {
  if (archs.empty())
    return createStringError(inconvertibleErrorCode(),
                             "no GPU architecture requested");
  std::vector<GpuArch> result;
  for (const GpuArch &arch : archs) {
    Expected<GpuArch> checked = parseSupportedArch(arch.name());
    if (!checked)
      return checked.takeError();
    if (!llvm::is_contained(result, *checked))
      result.push_back(*checked);
  }
  return result;
}

} // namespace

Expected<CompiledModule> compileCuda(StringRef source, StringRef name,
                                     ArrayRef<GpuArch> archs,
                                     const CompileOptions &options) {
  if (Error error = validate(source, name, options))
    return std::move(error);
  Expected<std::vector<GpuArch>> targets = distinctSupportedArchs(archs);
  if (!targets)
    return targets.takeError();

  CompiledModule module;
  module.name = name.str();
  module.nvrtcVersion = nvrtcVersionString();
  // One program per architecture: NVRTC makes one cubin per compile, and
  // ptxas' report of each program names one architecture.
  for (const GpuArch &arch : *targets) {
    ArchCompilation compilation;
    compilation.arch = arch;
    compilation.nvrtcOptions =
        nvrtcOptions(arch.name(), options, /*verbosePtxas=*/true);
    Expected<ProgramOutput> output =
        runNvrtc(source, name, arch.name(), compilation.nvrtcOptions, options,
                 /*wantCubin=*/true);
    if (!output)
      return output.takeError();
    Expected<PtxasReport> report = parsePtxasReport(output->log);
    if (!report)
      return createStringError(inconvertibleErrorCode(),
                               "reading ptxas' report of '%s' for %s: %s",
                               module.name.c_str(), arch.name().c_str(),
                               toString(report.takeError()).c_str());
    compilation.report = std::move(*report);
    for (CompileDiagnostic &diagnostic : parseCompileLog(output->log))
      compilation.warnings.push_back(std::move(diagnostic));
    compilation.cubin = std::move(output->cubin);
    compilation.ptx = std::move(output->ptx);
    module.archs.push_back(std::move(compilation));
  }

  // The PTX of `-arch=sm_XX` is the PTX `-arch=compute_XX` gives (a test
  // checks it for this NVRTC), so forward compatibility costs no compile.
  for (const ArchCompilation &compilation : module.archs) {
    if (compilation.arch.archSpecific)
      continue;
    if (!module.forwardPtxArch || *module.forwardPtxArch < compilation.arch) {
      module.forwardPtxArch = compilation.arch;
      module.forwardPtx = compilation.ptx;
    }
  }
  return module;
}

Expected<std::string> compilePtx(StringRef source, StringRef name,
                                 const GpuArch &arch,
                                 const CompileOptions &options) {
  if (Error error = validate(source, name, options))
    return std::move(error);
  Expected<std::vector<GpuArch>> targets = distinctSupportedArchs(arch);
  if (!targets)
    return targets.takeError();
  std::string target = arch.virtualName();
  Expected<ProgramOutput> output =
      runNvrtc(source, name, target,
               nvrtcOptions(target, options, /*verbosePtxas=*/false), options,
               /*wantCubin=*/false);
  if (!output)
    return output.takeError();
  return std::move(output->ptx);
}

} // namespace kiln::codegen
