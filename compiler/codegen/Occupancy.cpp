//===- Occupancy.cpp - Theoretical occupancy without a GPU ----------------===//

#include "compiler/codegen/Occupancy.h"

#include "llvm/Support/FormatVariadic.h"

#include <cuda_occupancy.h>

#include <climits>

using namespace llvm;

namespace kiln::codegen {

namespace {

constexpr uint64_t KiB = 1024;

/// From the CUDA C++ Programming Guide, "Compute Capabilities", table
/// "Technical Specifications per Compute Capability": maximum resident
/// threads (warps x 32) and blocks per SM, 64K 32-bit registers per SM and
/// per block, 255 registers per thread, shared memory per SM (largest
/// carveout) and per block (48 KiB by default, the opt-in maximum otherwise),
/// and "1 KB of shared memory is reserved for system use" per block from
/// compute capability 8.0 on.
struct LimitsRow {
  unsigned number;
  unsigned maxThreadsPerSm;
  unsigned maxBlocksPerSm;
  uint64_t sharedBytesPerSm;
  uint64_t sharedBytesPerBlockOptin;
  uint64_t reservedSharedBytesPerBlock;
};

constexpr LimitsRow kLimits[] = {
    {75, 1024, 16, 64 * KiB, 64 * KiB, 0},          // Turing
    {80, 2048, 32, 164 * KiB, 163 * KiB, 1 * KiB},  // A100
    {86, 1536, 16, 100 * KiB, 99 * KiB, 1 * KiB},   // GA10x
    {87, 1536, 16, 164 * KiB, 163 * KiB, 1 * KiB},  // Orin
    {89, 1536, 24, 100 * KiB, 99 * KiB, 1 * KiB},   // Ada
    {90, 2048, 32, 228 * KiB, 227 * KiB, 1 * KiB},  // H100
    {100, 2048, 32, 228 * KiB, 227 * KiB, 1 * KiB}, // B200
};

} // namespace

Expected<SmLimits> smLimits(const GpuArch &arch) {
  for (const LimitsRow &row : kLimits) {
    if (row.number != arch.number())
      continue;
    SmLimits limits;
    limits.maxThreadsPerBlock = 1024;
    limits.maxThreadsPerSm = row.maxThreadsPerSm;
    limits.maxBlocksPerSm = row.maxBlocksPerSm;
    limits.registersPerSm = 64 * 1024;
    limits.registersPerBlock = 64 * 1024;
    limits.maxRegistersPerThread = 255;
    limits.sharedBytesPerSm = row.sharedBytesPerSm;
    limits.sharedBytesPerBlock = 48 * KiB;
    limits.sharedBytesPerBlockOptin = row.sharedBytesPerBlockOptin;
    limits.reservedSharedBytesPerBlock = row.reservedSharedBytesPerBlock;
    return limits;
  }
  return createStringError(
      inconvertibleErrorCode(),
      "no occupancy limits known for %s; known: sm_75, sm_80, sm_86, sm_87, "
      "sm_89, sm_90, sm_100",
      arch.name().c_str());
}

Expected<Occupancy> theoreticalOccupancy(const GpuArch &arch,
                                         unsigned registersPerThread,
                                         uint64_t sharedBytesPerBlock,
                                         unsigned threadsPerBlock) {
  Expected<SmLimits> limits = smLimits(arch);
  if (!limits)
    return limits.takeError();
  if (threadsPerBlock == 0 || threadsPerBlock > limits->maxThreadsPerBlock)
    return createStringError(inconvertibleErrorCode(),
                             "a block of %u threads cannot be launched on %s "
                             "(1 to %u)",
                             threadsPerBlock, arch.name().c_str(),
                             limits->maxThreadsPerBlock);
  if (registersPerThread > limits->maxRegistersPerThread)
    return createStringError(inconvertibleErrorCode(),
                             "%u registers per thread exceed the %u ptxas can "
                             "allocate on %s",
                             registersPerThread, limits->maxRegistersPerThread,
                             arch.name().c_str());
  if (sharedBytesPerBlock > INT_MAX)
    return createStringError(
        inconvertibleErrorCode(),
        "%llu bytes of shared memory per block is beyond "
        "any GPU",
        static_cast<unsigned long long>(sharedBytesPerBlock));

  cudaOccDeviceProp properties;
  properties.computeMajor = static_cast<int>(arch.major);
  properties.computeMinor = static_cast<int>(arch.minor);
  properties.maxThreadsPerBlock = static_cast<int>(limits->maxThreadsPerBlock);
  properties.maxThreadsPerMultiprocessor =
      static_cast<int>(limits->maxThreadsPerSm);
  properties.regsPerBlock = static_cast<int>(limits->registersPerBlock);
  properties.regsPerMultiprocessor = static_cast<int>(limits->registersPerSm);
  properties.warpSize = 32;
  properties.sharedMemPerBlock = limits->sharedBytesPerBlock;
  properties.sharedMemPerMultiprocessor = limits->sharedBytesPerSm;
  // Occupancy is per SM; the calculator only checks that this is positive.
  properties.numSms = 1;
  properties.sharedMemPerBlockOptin = limits->sharedBytesPerBlockOptin;
  properties.reservedSharedMemPerBlock = limits->reservedSharedBytesPerBlock;

  // All shared memory is passed as dynamic with the opt-in limit: a launch
  // needing more than 48 KiB sets cudaFuncAttributeMaxDynamicSharedMemorySize
  // to what it uses, and below 48 KiB the opt-in changes nothing.
  cudaOccFuncAttributes attributes;
  attributes.maxThreadsPerBlock = static_cast<int>(limits->maxThreadsPerBlock);
  attributes.numRegs = static_cast<int>(registersPerThread);
  attributes.sharedSizeBytes = 0;
  attributes.shmemLimitConfig = FUNC_SHMEM_LIMIT_OPTIN;
  attributes.maxDynamicSharedSizeBytes = sharedBytesPerBlock;
  // What cudaFuncAttributes converts to; barriers only limit from sm_90 on,
  // and one barrier per block never does.
  attributes.numBlockBarriers = 1;

  cudaOccDeviceState state; // default carveout: the largest shared memory
  cudaOccResult result;
  cudaOccError status = cudaOccMaxActiveBlocksPerMultiprocessor(
      &result, &properties, &attributes, &state,
      static_cast<int>(threadsPerBlock), sharedBytesPerBlock);
  if (status != CUDA_OCC_SUCCESS)
    return createStringError(
        inconvertibleErrorCode(),
        "cudaOccMaxActiveBlocksPerMultiprocessor failed for %s (%s)",
        arch.name().c_str(),
        status == CUDA_OCC_ERROR_UNKNOWN_DEVICE ? "unknown device"
                                                : "invalid input");

  Occupancy occupancy;
  occupancy.activeBlocksPerSm =
      static_cast<unsigned>(result.activeBlocksPerMultiprocessor);
  occupancy.activeWarpsPerSm =
      occupancy.activeBlocksPerSm * ((threadsPerBlock + 31) / 32);
  occupancy.maxWarpsPerSm = limits->maxWarpsPerSm();
  struct Factor {
    unsigned bit;
    const char *name;
  };
  for (Factor factor : {Factor{OCC_LIMIT_WARPS, "warps"},
                        Factor{OCC_LIMIT_REGISTERS, "registers"},
                        Factor{OCC_LIMIT_SHARED_MEMORY, "shared memory"},
                        Factor{OCC_LIMIT_BLOCKS, "blocks"},
                        Factor{OCC_LIMIT_BARRIERS, "barriers"}})
    if (result.limitingFactors & factor.bit)
      occupancy.limitedBy.push_back(factor.name);
  return occupancy;
}

} // namespace kiln::codegen
