//===- PtxasReport.cpp - ptxas' resource figures per kernel ---------------===//
//
// The log of NVRTC 13 with --ptxas-options=-v reads, per module and kernel:
//
//   ptxas info    : 0 bytes gmem, 64 bytes cmem[3]
//   ptxas info    : Compiling entry function 'k' for 'sm_80'
//   ptxas info    : Function properties for k
//   ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes ...
//   ptxas info    : Used 13 registers, used 1 barriers, 1088 bytes smem, ...
//   ptxas info    : Compile time = 6.047 ms
//
// and `Function properties for f` + a frame line for each non-inlined device
// function, after the kernel that first calls it. Items within a line are
// matched by their words, not their position, so that an item ptxas adds or
// drops (cmem is not printed for sm_90+) does not shift the others.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/PtxasReport.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Demangle/Demangle.h"

using namespace llvm;

namespace kiln::codegen {

const KernelResources *PtxasReport::findKernel(StringRef name) const {
  for (const KernelResources &kernel : kernels)
    if (kernel.symbol == name || kernel.name == name)
      return &kernel;
  return nullptr;
}

namespace {

/// One "N <unit>" item of a ptxas line, or "Used N registers" /
/// "used N barriers".
struct Item {
  uint64_t value = 0;
  StringRef unit; // "bytes smem", "registers", "bytes cmem[0]", ...
};

std::optional<Item> parseItem(StringRef text) {
  text = text.trim();
  if (!text.consume_front("Used "))
    text.consume_front("used ");
  Item item;
  if (text.consumeInteger(10, item.value))
    return std::nullopt;
  item.unit = text.trim();
  return item;
}

/// `bytes cmem[3]` -> 3.
std::optional<unsigned> constantBank(StringRef unit) {
  if (!unit.consume_front("bytes cmem[") || !unit.consume_back("]"))
    return std::nullopt;
  unsigned bank = 0;
  if (unit.getAsInteger(10, bank))
    return std::nullopt;
  return bank;
}

/// The quoted text of `... 'name' ...`, the first quoted span.
StringRef quoted(StringRef text) {
  size_t open = text.find('\'');
  if (open == StringRef::npos)
    return {};
  size_t close = text.find('\'', open + 1);
  if (close == StringRef::npos)
    return {};
  return text.slice(open + 1, close);
}

Error malformed(StringRef line, StringRef what) {
  return createStringError(inconvertibleErrorCode(),
                           "unreadable ptxas report line (%s): '%s'",
                           what.str().c_str(), line.str().c_str());
}

} // namespace

Expected<PtxasReport> parsePtxasReport(StringRef log) {
  PtxasReport report;
  // Which record the next frame line belongs to: a kernel index or a device
  // function index (at most one is set).
  std::optional<size_t> frameKernel, frameFunction;
  SmallVector<bool> kernelHasUsage, kernelHasFrame;
  std::optional<size_t> currentKernel;

  SmallVector<StringRef> lines;
  log.split(lines, '\n');
  for (StringRef rawLine : lines) {
    StringRef line = rawLine.rtrim();
    if (!line.consume_front("ptxas"))
      continue;
    // "ptxas info    : text" or "ptxas         .     text" (a frame line).
    StringRef body = line.ltrim();
    bool isFrameLine = body.consume_front(".");
    if (!isFrameLine && !body.consume_front("info"))
      continue; // warnings and errors are the diagnostics' business
    body = body.ltrim();
    if (!isFrameLine && !body.consume_front(":"))
      continue;
    body = body.trim();

    if (body.starts_with("Compiling entry function")) {
      StringRef symbol = quoted(body);
      if (symbol.empty())
        return malformed(rawLine, "no kernel name");
      StringRef afterName = body.substr(body.find(symbol) + symbol.size() + 1);
      report.arch = quoted(afterName).str();
      KernelResources kernel;
      kernel.symbol = symbol.str();
      kernel.name = llvm::demangle(kernel.symbol);
      currentKernel = report.kernels.size();
      report.kernels.push_back(std::move(kernel));
      kernelHasUsage.push_back(false);
      kernelHasFrame.push_back(false);
      continue;
    }

    if (body.consume_front("Function properties for")) {
      StringRef symbol = body.trim();
      frameKernel.reset();
      frameFunction.reset();
      if (currentKernel && report.kernels[*currentKernel].symbol == symbol &&
          !kernelHasFrame[*currentKernel]) {
        frameKernel = currentKernel;
      } else {
        DeviceFunctionFrame function;
        function.symbol = symbol.str();
        function.name = llvm::demangle(function.symbol);
        frameFunction = report.deviceFunctions.size();
        report.deviceFunctions.push_back(std::move(function));
      }
      continue;
    }

    SmallVector<StringRef> parts;
    body.split(parts, ',');

    if (isFrameLine) {
      uint64_t stack = 0, stores = 0, loads = 0;
      for (StringRef part : parts) {
        std::optional<Item> item = parseItem(part);
        if (!item)
          return malformed(rawLine, "frame item");
        if (item->unit == "bytes stack frame")
          stack = item->value;
        else if (item->unit == "bytes spill stores")
          stores = item->value;
        else if (item->unit == "bytes spill loads")
          loads = item->value;
      }
      if (frameKernel) {
        KernelResources &kernel = report.kernels[*frameKernel];
        kernel.stackFrameBytes = stack;
        kernel.spillStoreBytes = stores;
        kernel.spillLoadBytes = loads;
        kernelHasFrame[*frameKernel] = true;
      } else if (frameFunction) {
        DeviceFunctionFrame &function = report.deviceFunctions[*frameFunction];
        function.stackFrameBytes = stack;
        function.spillStoreBytes = stores;
        function.spillLoadBytes = loads;
      } else {
        return malformed(rawLine, "frame line without 'Function properties'");
      }
      frameKernel.reset();
      frameFunction.reset();
      continue;
    }

    if (body.starts_with("Used ")) {
      if (!currentKernel)
        return malformed(rawLine, "resource line outside a kernel");
      KernelResources &kernel = report.kernels[*currentKernel];
      for (StringRef part : parts) {
        std::optional<Item> item = parseItem(part);
        if (!item)
          return malformed(rawLine, "resource item");
        if (item->unit == "registers")
          kernel.registers = item->value;
        else if (item->unit == "barriers")
          kernel.barriers = item->value;
        else if (item->unit == "bytes smem")
          kernel.sharedBytes = item->value;
        else if (item->unit == "bytes cumulative stack size")
          kernel.cumulativeStackBytes = item->value;
        else if (std::optional<unsigned> bank = constantBank(item->unit))
          kernel.constantBankBytes[*bank] = item->value;
        // Other items (textures, samplers, surfaces) are not used by Kiln.
      }
      kernelHasUsage[*currentKernel] = true;
      continue;
    }

    // Module totals: "0 bytes gmem, 64 bytes cmem[3]".
    if (!body.empty() && isDigit(body.front()) && body.contains("bytes gmem")) {
      for (StringRef part : parts) {
        std::optional<Item> item = parseItem(part);
        if (!item)
          return malformed(rawLine, "module item");
        if (item->unit == "bytes gmem")
          report.globalBytes = item->value;
        else if (std::optional<unsigned> bank = constantBank(item->unit))
          report.constantBankBytes[*bank] = item->value;
      }
    }
    // Compile time, register-limit overrides, ...: nothing Kiln keeps.
  }

  for (size_t i = 0; i < report.kernels.size(); ++i)
    if (!kernelHasUsage[i] || !kernelHasFrame[i])
      return createStringError(inconvertibleErrorCode(),
                               "ptxas report of kernel '%s' lacks its %s line",
                               report.kernels[i].symbol.c_str(),
                               kernelHasUsage[i] ? "'Function properties'"
                                                 : "'Used N registers'");
  return report;
}

} // namespace kiln::codegen
