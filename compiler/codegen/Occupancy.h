//===- Occupancy.h - Theoretical occupancy without a GPU ----------*- C++
//-*-===//
//
// How many warps of a kernel an SM can hold, from its ptxas figures and the
// launch shape, computed by NVIDIA's own calculator (cuda_occupancy.h) over a
// table of per-architecture limits, so that no device needs to be queried.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_CODEGEN_OCCUPANCY_H
#define KILN_COMPILER_CODEGEN_OCCUPANCY_H

#include "compiler/codegen/GpuArch.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::codegen {

/// The per-SM and per-block limits of an architecture (CUDA C++ Programming
/// Guide, "Technical Specifications per Compute Capability").
struct SmLimits {
  unsigned maxThreadsPerBlock = 0;
  unsigned maxThreadsPerSm = 0;
  unsigned maxBlocksPerSm = 0;
  unsigned registersPerSm = 0;
  unsigned registersPerBlock = 0;
  unsigned maxRegistersPerThread = 0;
  /// The largest shared-memory carveout of an SM.
  uint64_t sharedBytesPerSm = 0;
  /// Per block without opting in (48 KiB) and with
  /// cudaFuncAttributeMaxDynamicSharedMemorySize.
  uint64_t sharedBytesPerBlock = 0;
  uint64_t sharedBytesPerBlockOptin = 0;
  /// Reserved by the driver in every block from sm_80 on (1 KiB).
  uint64_t reservedSharedBytesPerBlock = 0;

  unsigned maxWarpsPerSm() const { return maxThreadsPerSm / 32; }
};

/// Limits of sm_75, sm_80, sm_86, sm_87, sm_89, sm_90(a) and sm_100(a); an
/// error names the architectures known for any other.
llvm::Expected<SmLimits> smLimits(const GpuArch &arch);

struct Occupancy {
  unsigned activeBlocksPerSm = 0;
  unsigned activeWarpsPerSm = 0;
  unsigned maxWarpsPerSm = 0;
  /// What bounds activeBlocksPerSm: "warps", "registers", "shared memory",
  /// "blocks", "barriers" (several when they tie). A block that cannot be
  /// launched at all has activeBlocksPerSm == 0 and names the culprit.
  std::vector<std::string> limitedBy;

  /// Active warps over the SM's maximum, in [0, 1].
  double fraction() const {
    return maxWarpsPerSm ? double(activeWarpsPerSm) / maxWarpsPerSm : 0.0;
  }
};

/// Theoretical occupancy of a kernel using `registersPerThread` registers and
/// `sharedBytesPerBlock` bytes of shared memory (static plus dynamic) in
/// blocks of `threadsPerBlock` threads. Shared memory above the 48 KiB
/// default is assumed opted into, as Kiln's runtime does for such kernels.
/// Inputs no launch could have (0 threads, more than the block maximum, more
/// than 255 registers) are errors.
llvm::Expected<Occupancy> theoreticalOccupancy(const GpuArch &arch,
                                               unsigned registersPerThread,
                                               uint64_t sharedBytesPerBlock,
                                               unsigned threadsPerBlock);

} // namespace kiln::codegen

#endif // KILN_COMPILER_CODEGEN_OCCUPANCY_H
