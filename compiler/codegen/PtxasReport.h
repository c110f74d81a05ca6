//===- PtxasReport.h - ptxas' resource figures per kernel ---------*- C++
//-*-===//
//
// What `ptxas -v` says about each kernel of one cubin: registers, spills,
// stack, static shared memory, barriers, constant banks. These are the
// figures Kiln reports per kernel and per architecture (target: no spills) and
// the inputs of theoretical occupancy. Parsed from the NVRTC program log of a
// compile with `--ptxas-options=-v`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_PTXASREPORT_H
#define KILN_COMPILER_CODEGEN_PTXASREPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::codegen {

/// One `__global__` function as ptxas compiled it.
struct KernelResources {
  /// The symbol in the cubin, for cuModuleGetFunction: the plain name of an
  /// `extern "C"` kernel (what Kiln emits), the mangled name otherwise.
  std::string symbol;
  /// `symbol` demangled (equal to it for `extern "C"` kernels).
  std::string name;
  unsigned registers = 0;
  /// Named barriers used (`__syncthreads` is barrier 0, so 1 when used).
  unsigned barriers = 0;
  uint64_t stackFrameBytes = 0;
  uint64_t spillStoreBytes = 0;
  uint64_t spillLoadBytes = 0;
  /// Stack of the kernel and its non-inlined callees.
  uint64_t cumulativeStackBytes = 0;
  /// Static `__shared__` memory; dynamic shared memory is a launch parameter
  /// and never appears here.
  uint64_t sharedBytes = 0;
  /// Bytes per constant bank the kernel uses (bank 0 holds the kernel
  /// parameters). ptxas stopped printing banks for sm_90 and later, so this is
  /// empty there.
  std::map<unsigned, uint64_t> constantBankBytes;

  bool spills() const { return spillStoreBytes != 0 || spillLoadBytes != 0; }
};

/// A non-inlined `__device__` function: it has a frame and may spill, which
/// costs the kernels calling it although their own figures do not show it.
struct DeviceFunctionFrame {
  std::string symbol;
  std::string name;
  uint64_t stackFrameBytes = 0;
  uint64_t spillStoreBytes = 0;
  uint64_t spillLoadBytes = 0;
};

/// ptxas' report for one architecture.
struct PtxasReport {
  /// The architecture ptxas named, e.g. "sm_90a".
  std::string arch;
  /// `__device__` variables of the module.
  uint64_t globalBytes = 0;
  /// Module-level constant banks (bank 3: `__constant__` variables, bank 4:
  /// addresses of globals), when ptxas prints them (before sm_90).
  std::map<unsigned, uint64_t> constantBankBytes;
  /// In the order ptxas compiled them.
  std::vector<KernelResources> kernels;
  std::vector<DeviceFunctionFrame> deviceFunctions;

  /// The kernel whose symbol or demangled name is `name`; null if none.
  const KernelResources *findKernel(llvm::StringRef name) const;
};

/// Parses the `ptxas info` lines of an NVRTC log (other lines are skipped).
/// Fails on a kernel whose resource line is missing or unreadable, rather
/// than reporting zeros that were never measured.
llvm::Expected<PtxasReport> parsePtxasReport(llvm::StringRef log);

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_PTXASREPORT_H
