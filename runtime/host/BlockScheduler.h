//===- BlockScheduler.h - One worker running thread blocks as fibers ------===//
//
// A worker OS thread owns one BlockScheduler and runs blocks one at a time.
// Each CUDA thread of the block is a Boost.Context fiber; it runs until it
// blocks (barrier, warp collective, __activemask) or exits, then control
// returns to the scheduler loop. Warp collectives complete eagerly when the
// last lane of their mask arrives; barriers, __activemask and deadlock
// diagnosis are decided when nothing is runnable any more ("quiescence"),
// which is exactly when CUDA's outcome is known.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_BLOCKSCHEDULER_H
#define KILN_RUNTIME_HOST_BLOCKSCHEDULER_H

#include "runtime/host/FiberStackPool.h"
#include "runtime/host/Launch.h"
#include "runtime/host/SimtAbi.h"

#include <boost/context/fiber.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace kiln::simt {

/// Everything the workers of one launch share.
struct LaunchContext {
  LaunchConfig config;
  KernelEntry entry = nullptr;
  void **args = nullptr;
  const std::function<void()> *body = nullptr;
  uint64_t blockCount = 0;
  std::atomic<uint64_t> nextBlock{0};
  std::atomic<bool> failed{false};

  void runThreadBody() const {
    if (entry)
      entry(args);
    else
      (*body)();
  }
};

/// Thrown inside a simulated thread to unwind it once its block has failed.
struct KernelAbort {};

enum class WaitState : uint8_t { Runnable, Barrier, Warp, ActiveMask, Exited };

struct AsyncCopy {
  void *dst;
  const void *src;
  unsigned copyBytes;
  unsigned srcBytes;
};

struct SimThread {
  KilnThreadState state;
  WaitState wait = WaitState::Runnable;
  bool started = false;
  // Where the thread waits (barrier, collective or __activemask).
  const char *file = nullptr;
  int line = 0;
  int barrierMode = 0;
  int predicate = 0;
  int barrierResult = 0;
  int warpOp = 0;
  unsigned warpMask = 0;
  const void *warpIn = nullptr;
  void *warpOut = nullptr;
  unsigned activeMaskResult = 0;
  // cp.async groups deferred in race-hunting mode.
  std::vector<AsyncCopy> openGroup;
  std::deque<std::vector<AsyncCopy>> committedGroups;
  boost::context::fiber fiber;     // the thread, while suspended
  boost::context::fiber scheduler; // the scheduler, while the thread runs
  StackBounds stack;
  void *asanFakeStack = nullptr; // AddressSanitizer's state while suspended
};

class BlockScheduler {
public:
  explicit BlockScheduler(LaunchContext &launch);
  ~BlockScheduler();

  /// Runs one block to completion; an error describes what went wrong.
  Status runBlock(uint64_t linearBlock);

  // ---- Called from kernel code through the ABI table. ----
  KilnThreadState *currentState() { return &current->state; }
  int syncThreads(int mode, int predicate, const char *file, int line);
  void warpCollective(int op, unsigned mask, const void *in, void *out,
                      const char *file, int line);
  unsigned activeMask(const char *file, int line);
  void registerShared(void *storage, size_t bytes);
  void cpAsync(void *dst, const void *src, unsigned copyBytes,
               unsigned srcBytes);
  void cpAsyncCommit();
  void cpAsyncWait(int allowedPendingGroups);
  [[noreturn]] void trap(const char *what, const char *file, int line);

  /// The scheduler of the calling worker thread, or null outside a launch.
  static BlockScheduler *active();

private:
  [[noreturn]] void fail(const std::string &what, const char *file, int line);
  void suspend(SimThread &thread);
  void resume(SimThread &thread);
  void destroyFiber(SimThread &thread);
  void makeRunnable(std::vector<unsigned> &threads);
  void runFibers();
  void runLoop();
  bool completeIfReady(unsigned threadIndex);
  bool resolveActiveMasks();
  bool releaseBarrier();
  std::string describeWarpDeadlock() const;
  std::string describeThread(unsigned threadIndex) const;
  std::string describeWait(const SimThread &thread) const;
  void flushAsyncCopies(SimThread &thread, size_t keepGroups);
  void finishThread(SimThread &thread);
  bool laneExists(unsigned warp, unsigned lane) const;

  LaunchContext &launch;
  const LaunchConfig &config;
  FiberStackPool stacks;
  unsigned threadCount;
  unsigned warpCount;
  std::vector<SimThread> threads;
  std::deque<unsigned> runQueue;
  unsigned liveThreads = 0;
  SimThread *current = nullptr;
  std::string error;
  std::mt19937_64 rng;
  std::unique_ptr<unsigned char[]> dynamicSharedStorage;
  void *dynamicShared = nullptr;
  std::vector<void *> registeredShared;
  uint3 blockIndex{0, 0, 0};
  StackBounds schedulerStack;
  void *schedulerAsanFakeStack = nullptr;
};

} // namespace kiln::simt

#endif // KILN_RUNTIME_HOST_BLOCKSCHEDULER_H
