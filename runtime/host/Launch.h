//===- Launch.h - Running a grid on the host SIMT simulator ---------------===//
//
// The simulator's public API, used by the runtime's `host` device and by
// tests. Kernel code never includes this; it reaches the simulator through
// simt.h and the table in SimtAbi.h.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_LAUNCH_H
#define KILN_RUNTIME_HOST_LAUNCH_H

#include "runtime/Status.h"
#include "runtime/host/SimtAbi.h"
#include "runtime/host/VectorTypes.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace kiln::simt {

/// Launch errors (bad configuration, barrier mismatch, deadlock, mask
/// errors, __trap) come back as values: runtime/Status.h.
using kiln::Status;

struct LaunchConfig {
  dim3 grid;
  dim3 block;
  /// Size of the `extern __shared__` (KILN_DYNAMIC_SHARED) buffer.
  size_t dynamicSharedBytes = 0;
  /// Run each block's threads in a plain loop, without fibers. Only for
  /// kernels with no barrier and no warp collective; using one is an error.
  bool barrierFree = false;
  /// Poison shared memory at the start of every block, shuffle the order in
  /// which threads resume after barriers and collectives, and defer cp.async
  /// copies to the wait that covers them.
  bool raceHunt = false;
  /// Seeds the race-hunting shuffle; each block derives its own stream from
  /// it, so a run is reproducible whatever the number of workers.
  uint64_t seed = 0;
  /// Worker OS threads; 0 means std::thread::hardware_concurrency().
  unsigned workers = 0;
  /// Stack of each simulated thread (fiber). Kernels keep their registers
  /// and local arrays there.
  size_t fiberStackBytes = 128 * 1024;
};

/// A host entry: `args[i]` points at the i-th kernel argument (the layout of
/// cuLaunchKernel's kernelParams). KILN_HOST_KERNEL_ENTRY generates these.
using KernelEntry = void (*)(void **args);

/// Runs the grid to completion. The entry is invoked once per CUDA thread.
Status launch(const LaunchConfig &config, KernelEntry entry, void **args);

/// Same, with a closure as the per-thread body (tests, in-process kernels).
Status launch(const LaunchConfig &config, const std::function<void()> &body);

/// The table kernel code calls through.
const KilnSimtApi *simtApi();

/// Binds a dlopen'ed host code object to this simulator by calling its
/// exported `kiln_simt_bind`.
Status bindModule(void *dlopenHandle);

/// Upper limit on dynamic shared memory per block: the largest opt-in any
/// supported GPU (sm_90) offers.
constexpr size_t kMaxDynamicSharedBytes = 227 * 1024;

} // namespace kiln::simt

#endif // KILN_RUNTIME_HOST_LAUNCH_H
