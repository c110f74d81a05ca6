//===- GpuArch.cpp - NVIDIA GPU architectures Kiln compiles for -----------===//

#include "compiler/codegen/GpuArch.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <nvrtc.h>

using namespace llvm;

namespace kiln::codegen {

std::string GpuArch::name() const {
  return formatv("sm_{0}{1}", number(), archSpecific ? "a" : "").str();
}

std::string GpuArch::virtualName() const {
  return formatv("compute_{0}{1}", number(), archSpecific ? "a" : "").str();
}

Expected<GpuArch> parseGpuArch(StringRef name) {
  auto invalid = [&] {
    return createStringError(
        inconvertibleErrorCode(),
        "invalid GPU architecture '%s': expected sm_XX or sm_XXa (e.g. sm_80, "
        "sm_90a)",
        name.str().c_str());
  };
  StringRef rest = name;
  if (!rest.consume_front("sm_"))
    return invalid();
  GpuArch arch;
  arch.archSpecific = rest.consume_back("a");
  if (rest.size() < 2 || rest.size() > 3 || !llvm::all_of(rest, isDigit) ||
      rest.front() == '0')
    return invalid();
  unsigned number = 0;
  if (rest.getAsInteger(10, number))
    return invalid();
  arch.major = number / 10;
  arch.minor = number % 10;
  return arch;
}

Expected<std::vector<GpuArch>> nvrtcSupportedArchs() {
  int count = 0;
  if (nvrtcResult status = nvrtcGetNumSupportedArchs(&count);
      status != NVRTC_SUCCESS)
    return createStringError(inconvertibleErrorCode(),
                             "nvrtcGetNumSupportedArchs failed: %s",
                             nvrtcGetErrorString(status));
  std::vector<int> numbers(count);
  if (nvrtcResult status = nvrtcGetSupportedArchs(numbers.data());
      status != NVRTC_SUCCESS)
    return createStringError(inconvertibleErrorCode(),
                             "nvrtcGetSupportedArchs failed: %s",
                             nvrtcGetErrorString(status));
  std::vector<GpuArch> archs;
  for (int number : numbers)
    archs.push_back(GpuArch{static_cast<unsigned>(number) / 10,
                            static_cast<unsigned>(number) % 10, false});
  llvm::sort(archs);
  return archs;
}

std::string nvrtcVersionString() {
  int major = 0, minor = 0;
  if (nvrtcVersion(&major, &minor) != NVRTC_SUCCESS)
    return "unknown";
  return formatv("{0}.{1}", major, minor).str();
}

Expected<GpuArch> parseSupportedArch(StringRef name) {
  Expected<GpuArch> arch = parseGpuArch(name);
  if (!arch)
    return arch.takeError();
  Expected<std::vector<GpuArch>> supported = nvrtcSupportedArchs();
  if (!supported)
    return supported.takeError();
  bool known = llvm::any_of(*supported, [&](const GpuArch &candidate) {
    return candidate.number() == arch->number();
  });
  // Arch-specific variants start with Hopper; NVRTC lists base numbers only.
  if (known && (!arch->archSpecific || arch->major >= 9))
    return *arch;
  std::string list;
  raw_string_ostream os(list);
  llvm::interleave(
      *supported, os, [&](const GpuArch &a) { os << a.name(); }, ", ");
  return createStringError(
      inconvertibleErrorCode(),
      "GPU architecture '%s' is not supported by NVRTC %s; supported: %s "
      "(and the sm_XXa variants from sm_90 on)",
      name.str().c_str(), nvrtcVersionString().c_str(), list.c_str());
}

std::vector<GpuArch> defaultGpuArchs() {
  return {{8, 0, false}, {8, 6, false}, {8, 9, false}, {9, 0, false}};
}

} // namespace kiln::codegen
