//===- BlockScheduler.cpp -------------------------------------------------===//

#include "runtime/host/BlockScheduler.h"

#include "runtime/host/WarpCollectives.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define KILN_SIMT_ASAN_FIBERS 1
#endif

namespace kiln::simt {

namespace {

thread_local BlockScheduler *activeScheduler = nullptr;

// AddressSanitizer must be told about every stack switch, or it reports
// false stack overflows as soon as an exception unwinds a fiber. No-ops in
// other builds. `fakeStack == nullptr` in startSwitch: the stack being left
// is finished for good.
void startSwitch(void **fakeStack, const StackBounds &to) {
#ifdef KILN_SIMT_ASAN_FIBERS
  __sanitizer_start_switch_fiber(fakeStack, to.bottom, to.size);
#else
  (void)fakeStack;
  (void)to;
#endif
}
void finishSwitch(void *fakeStack, StackBounds *from) {
#ifdef KILN_SIMT_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fakeStack, from ? &from->bottom : nullptr,
                                  from ? &from->size : nullptr);
#else
  (void)fakeStack;
  (void)from;
#endif
}

std::string formatSite(const char *file, int line) {
  return std::string(file ? file : "?") + ":" + std::to_string(line);
}

bool sameSite(const SimThread &a, const SimThread &b) {
  return a.line == b.line &&
         (a.file == b.file ||
          (a.file && b.file && std::strcmp(a.file, b.file) == 0));
}

std::string hex(unsigned value) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%08x", value);
  return buffer;
}

/// "0-15, 17, 20-31" with at most a few ranges.
std::string formatThreadSet(const std::vector<unsigned> &ids) {
  std::string text;
  int ranges = 0;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
      ++j;
    if (ranges++ == 6) {
      text += ", ...";
      break;
    }
    if (!text.empty())
      text += ", ";
    text += std::to_string(ids[i]);
    if (j > i)
      text += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  return text;
}

} // namespace

BlockScheduler *BlockScheduler::active() { return activeScheduler; }

BlockScheduler::BlockScheduler(LaunchContext &launch)
    : launch(launch), config(launch.config),
      stacks(launch.config.fiberStackBytes) {
  threadCount = config.block.x * config.block.y * config.block.z;
  warpCount = (threadCount + 31) / 32;
  threads.resize(threadCount);
  // Dynamic shared memory is aligned like the GPU's (at least 128 bytes for
  // the vectorised and ldmatrix accesses kernels make) and zeroed once so
  // that normal mode is deterministic; CUDA leaves it undefined.
  size_t bytes = config.dynamicSharedBytes;
  dynamicSharedStorage.reset(new unsigned char[bytes + 128]());
  auto address = reinterpret_cast<uintptr_t>(dynamicSharedStorage.get());
  dynamicShared = reinterpret_cast<void *>((address + 127) & ~uintptr_t(127));
  activeScheduler = this;
}

BlockScheduler::~BlockScheduler() {
  if (activeScheduler == this)
    activeScheduler = nullptr;
}

Status BlockScheduler::runBlock(uint64_t linearBlock) {
  const dim3 &grid = config.grid;
  blockIndex.x = static_cast<unsigned>(linearBlock % grid.x);
  blockIndex.y = static_cast<unsigned>((linearBlock / grid.x) % grid.y);
  blockIndex.z =
      static_cast<unsigned>(linearBlock / (uint64_t(grid.x) * grid.y));
  // Each block has its own stream, so which worker runs it does not matter.
  rng.seed(config.seed * 0x9e3779b97f4a7c15ull + linearBlock);
  registeredShared.clear();
  if (config.raceHunt && config.dynamicSharedBytes)
    std::memset(dynamicShared, 0xff, config.dynamicSharedBytes);
  error.clear();

  for (unsigned i = 0; i < threadCount; ++i) {
    SimThread &t = threads[i];
    t = SimThread();
    KilnThreadState &s = t.state;
    s.threadIndex.x = i % config.block.x;
    s.threadIndex.y = (i / config.block.x) % config.block.y;
    s.threadIndex.z = i / (config.block.x * config.block.y);
    s.blockIndex = blockIndex;
    s.blockDimension = config.block;
    s.gridDimension = config.grid;
    s.laneId = i % 32;
    s.warpId = i / 32;
    s.dynamicShared = dynamicShared;
    s.dynamicSharedBytes = config.dynamicSharedBytes;
  }
  liveThreads = threadCount;

  if (config.barrierFree) {
    for (unsigned i = 0; i < threadCount && error.empty(); ++i) {
      current = &threads[i];
      try {
        launch.runThreadBody();
        finishThread(*current);
      } catch (const KernelAbort &) {
      } catch (const std::exception &e) {
        error = describeThread(i) + ": uncaught exception: " + e.what();
      } catch (...) {
        error = describeThread(i) + ": uncaught exception";
      }
    }
    current = nullptr;
  } else {
    std::vector<unsigned> all(threadCount);
    for (unsigned i = 0; i < threadCount; ++i)
      all[i] = i;
    runQueue.clear();
    makeRunnable(all);
    runLoop();
    // A failed block leaves suspended fibers behind: destroying them unwinds
    // their stacks (Boost.Context's forced unwind) and returns the stacks.
    for (SimThread &t : threads)
      destroyFiber(t);
  }
  if (!error.empty())
    return Status::error(error);
  return Status::success();
}

void BlockScheduler::makeRunnable(std::vector<unsigned> &batch) {
  if (config.raceHunt)
    std::shuffle(batch.begin(), batch.end(), rng);
  for (unsigned i : batch)
    runQueue.push_back(i);
}

void BlockScheduler::runFibers() {
  while (!runQueue.empty() && error.empty()) {
    unsigned index = runQueue.front();
    runQueue.pop_front();
    SimThread &t = threads[index];
    current = &t;
    if (!t.started) {
      t.started = true;
      t.fiber = boost::context::fiber(
          std::allocator_arg, PooledStackAllocator(stacks, t.stack),
          [this, index](boost::context::fiber &&sink) {
            finishSwitch(nullptr, &schedulerStack);
            SimThread &self = threads[index];
            self.scheduler = std::move(sink);
            try {
              launch.runThreadBody();
              finishThread(self);
            } catch (const boost::context::detail::forced_unwind &) {
              // Boost.Context tearing the fiber down: let it through.
              startSwitch(nullptr, schedulerStack);
              throw;
            } catch (const KernelAbort &) {
              self.wait = WaitState::Exited;
            } catch (const std::exception &e) {
              if (error.empty())
                error =
                    describeThread(index) + ": uncaught exception: " + e.what();
              self.wait = WaitState::Exited;
            } catch (...) {
              if (error.empty())
                error = describeThread(index) + ": uncaught exception";
              self.wait = WaitState::Exited;
            }
            startSwitch(nullptr, schedulerStack);
            return std::move(self.scheduler);
          });
    }
    resume(t);
    current = nullptr;
    if (t.wait == WaitState::Exited)
      --liveThreads;
  }
}

void BlockScheduler::runLoop() {
  while (true) {
    runFibers();
    if (!error.empty() || liveThreads == 0)
      return;
    // Quiescence: every live thread waits. Lanes that exited since a
    // collective started may have made it complete.
    bool progressed = false;
    for (unsigned i = 0; i < threadCount; ++i)
      if (threads[i].wait == WaitState::Warp && completeIfReady(i))
        progressed = true;
    if (!error.empty())
      return;
    if (progressed || resolveActiveMasks())
      continue;
    for (const SimThread &t : threads)
      if (t.wait == WaitState::Warp) {
        error = describeWarpDeadlock();
        return;
      }
    if (!releaseBarrier())
      return;
  }
}

std::string BlockScheduler::describeThread(unsigned index) const {
  const KilnThreadState &s = threads[index].state;
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer),
                "block (%u,%u,%u) thread (%u,%u,%u) [warp %u lane %u]",
                blockIndex.x, blockIndex.y, blockIndex.z, s.threadIndex.x,
                s.threadIndex.y, s.threadIndex.z, s.warpId, s.laneId);
  return buffer;
}

std::string BlockScheduler::describeWait(const SimThread &t) const {
  switch (t.wait) {
  case WaitState::Runnable:
    return "running";
  case WaitState::Exited:
    return "exited";
  case WaitState::Barrier:
    return "waiting at __syncthreads at " + formatSite(t.file, t.line);
  case WaitState::ActiveMask:
    return "waiting in __activemask at " + formatSite(t.file, t.line);
  case WaitState::Warp:
    return std::string("waiting in ") + warpOpName(t.warpOp) + " (mask " +
           hex(t.warpMask) + ") at " + formatSite(t.file, t.line);
  }
  return "?";
}

bool BlockScheduler::laneExists(unsigned warp, unsigned lane) const {
  return warp * 32 + lane < threadCount;
}

void BlockScheduler::fail(const std::string &what, const char *file, int line) {
  if (error.empty()) {
    unsigned index = static_cast<unsigned>(current - threads.data());
    error = describeThread(index) + ": " + what;
    if (file)
      error += " at " + formatSite(file, line);
  }
  throw KernelAbort();
}

void BlockScheduler::trap(const char *what, const char *file, int line) {
  fail(std::string("kernel executed ") + what, file, line);
}

void BlockScheduler::resume(SimThread &t) {
  startSwitch(&schedulerAsanFakeStack, t.stack);
  t.fiber = std::move(t.fiber).resume();
  finishSwitch(schedulerAsanFakeStack, nullptr);
}

void BlockScheduler::suspend(SimThread &t) {
  startSwitch(&t.asanFakeStack, schedulerStack);
  try {
    t.scheduler = std::move(t.scheduler).resume();
  } catch (const boost::context::detail::forced_unwind &) {
    // Resumed only to be unwound (the block failed).
    finishSwitch(t.asanFakeStack, &schedulerStack);
    throw;
  }
  finishSwitch(t.asanFakeStack, &schedulerStack);
}

void BlockScheduler::destroyFiber(SimThread &t) {
  if (!t.fiber)
    return;
  // Destroying a suspended fiber switches into it to unwind its stack.
  startSwitch(&schedulerAsanFakeStack, t.stack);
  t.fiber = boost::context::fiber();
  finishSwitch(schedulerAsanFakeStack, nullptr);
}

void BlockScheduler::finishThread(SimThread &t) {
  // Copies still in flight when a thread exits complete anyway on a GPU.
  flushAsyncCopies(t, 0);
  for (const AsyncCopy &copy : t.openGroup) {
    std::memcpy(copy.dst, copy.src, copy.srcBytes);
    std::memset(static_cast<char *>(copy.dst) + copy.srcBytes, 0,
                copy.copyBytes - copy.srcBytes);
  }
  t.openGroup.clear();
  t.wait = WaitState::Exited;
}

// ---- Barriers ----

int BlockScheduler::syncThreads(int mode, int predicate, const char *file,
                                int line) {
  if (config.barrierFree)
    fail("__syncthreads in a kernel launched as barrier-free", file, line);
  SimThread &t = *current;
  t.wait = WaitState::Barrier;
  t.barrierMode = mode;
  t.predicate = predicate;
  t.file = file;
  t.line = line;
  suspend(t);
  return t.barrierResult;
}

bool BlockScheduler::releaseBarrier() {
  // Only reached when every live thread waits at a barrier. Exited threads
  // are not counted (sm_70+ behaviour: an exited thread no longer
  // participates in bar.sync), so the survivors are released.
  std::vector<unsigned> waiting;
  const SimThread *first = nullptr;
  bool mismatch = false;
  for (unsigned i = 0; i < threadCount; ++i) {
    const SimThread &t = threads[i];
    if (t.wait != WaitState::Barrier)
      continue;
    if (!first)
      first = &t;
    else if (!sameSite(*first, t))
      mismatch = true;
    waiting.push_back(i);
  }
  if (mismatch) {
    // Group threads by barrier, in first-seen order, for the message.
    std::vector<std::pair<const SimThread *, std::vector<unsigned>>> groups;
    for (unsigned i : waiting) {
      auto it = std::find_if(groups.begin(), groups.end(), [&](auto &g) {
        return sameSite(*g.first, threads[i]);
      });
      if (it == groups.end()) {
        groups.push_back({&threads[i], {}});
        it = groups.end() - 1;
      }
      it->second.push_back(i);
    }
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "block (%u,%u,%u)", blockIndex.x,
                  blockIndex.y, blockIndex.z);
    error = std::string(buffer) +
            ": deadlock: threads wait at different __syncthreads";
    for (auto &g : groups)
      error += "; " + formatSite(g.first->file, g.first->line) + " (threads " +
               formatThreadSet(g.second) + ")";
    if (liveThreads < threadCount)
      error += "; " + std::to_string(threadCount - liveThreads) +
               " thread(s) exited";
    return false;
  }
  int count = 0;
  for (unsigned i : waiting)
    count += threads[i].predicate != 0;
  int result = 0;
  switch (first->barrierMode) {
  case KILN_BARRIER_COUNT:
    result = count;
    break;
  case KILN_BARRIER_AND:
    result = count == static_cast<int>(waiting.size());
    break;
  case KILN_BARRIER_OR:
    result = count != 0;
    break;
  default:
    break;
  }
  for (unsigned i : waiting) {
    threads[i].barrierResult = result;
    threads[i].wait = WaitState::Runnable;
  }
  makeRunnable(waiting);
  return true;
}

// ---- Warp collectives ----

void BlockScheduler::warpCollective(int op, unsigned mask, const void *in,
                                    void *out, const char *file, int line) {
  if (config.barrierFree)
    fail(std::string(warpOpName(op)) + " in a kernel launched as barrier-free",
         file, line);
  SimThread &t = *current;
  unsigned lane = t.state.laneId;
  if (!((mask >> lane) & 1u))
    fail(std::string(warpOpName(op)) + " with mask " + hex(mask) +
             " that does not name the calling lane",
         file, line);
  if (warpOpNeedsFullWarp(op) && t.state.warpId * 32 + 32 > threadCount)
    fail(std::string(warpOpName(op)) +
             " needs a full warp; this warp has only " +
             std::to_string(threadCount - t.state.warpId * 32) + " threads",
         file, line);
  t.wait = WaitState::Warp;
  t.warpOp = op;
  t.warpMask = mask;
  t.warpIn = in;
  t.warpOut = out;
  t.file = file;
  t.line = line;
  if (completeIfReady(static_cast<unsigned>(&t - threads.data())))
    return;
  if (!error.empty())
    throw KernelAbort();
  suspend(t);
}

bool BlockScheduler::completeIfReady(unsigned index) {
  const SimThread &caller = threads[index];
  unsigned warp = caller.state.warpId;
  unsigned arrived = 0;
  bool fullWarp = warpOpNeedsFullWarp(caller.warpOp);
  for (unsigned lane = 0; lane < 32; ++lane) {
    if (!((caller.warpMask >> lane) & 1u))
      continue;
    // Lanes that do not exist (a partial last warp) or have exited are not
    // waited for: PTX waits for the non-exited threads named in the mask.
    if (!laneExists(warp, lane))
      continue;
    const SimThread &other = threads[warp * 32 + lane];
    if (other.wait == WaitState::Exited)
      continue;
    if (other.wait != WaitState::Warp || other.warpOp != caller.warpOp ||
        other.warpMask != caller.warpMask)
      return false;
    arrived |= 1u << lane;
  }
  if (fullWarp && arrived != 0xffffffffu)
    return false; // an exited lane: diagnosed at quiescence
  WarpLane lanes[32];
  for (unsigned lane = 0; lane < 32; ++lane)
    if ((arrived >> lane) & 1u) {
      lanes[lane].in = threads[warp * 32 + lane].warpIn;
      lanes[lane].out = threads[warp * 32 + lane].warpOut;
    }
  std::string problem =
      completeWarpOp(caller.warpOp, lanes, arrived, config.raceHunt);
  if (!problem.empty()) {
    if (error.empty())
      error = describeThread(index) + ": " + problem + " at " +
              formatSite(caller.file, caller.line);
    return false;
  }
  std::vector<unsigned> released;
  for (unsigned lane = 0; lane < 32; ++lane)
    if ((arrived >> lane) & 1u) {
      unsigned other = warp * 32 + lane;
      threads[other].wait = WaitState::Runnable;
      // The caller, if it is running, just continues.
      if (&threads[other] != current)
        released.push_back(other);
    }
  makeRunnable(released);
  return true;
}

std::string BlockScheduler::describeWarpDeadlock() const {
  for (unsigned i = 0; i < threadCount; ++i) {
    const SimThread &t = threads[i];
    if (t.wait != WaitState::Warp)
      continue;
    unsigned warp = t.state.warpId;
    std::string text = describeThread(i) + ": deadlock: " + describeWait(t);
    for (unsigned lane = 0; lane < 32; ++lane) {
      if (!((t.warpMask >> lane) & 1u) || !laneExists(warp, lane))
        continue;
      const SimThread &other = threads[warp * 32 + lane];
      bool matches = other.wait == WaitState::Warp &&
                     other.warpOp == t.warpOp && other.warpMask == t.warpMask;
      bool excused =
          other.wait == WaitState::Exited && !warpOpNeedsFullWarp(t.warpOp);
      if (matches || excused)
        continue;
      text +=
          ", but lane " + std::to_string(lane) + " is " + describeWait(other);
      return text;
    }
    if (warpOpNeedsFullWarp(t.warpOp))
      return text + ", but not every lane of the warp takes part";
    return text;
  }
  return "deadlock in a warp collective";
}

unsigned BlockScheduler::activeMask(const char *file, int line) {
  if (config.barrierFree)
    fail("__activemask in a kernel launched as barrier-free", file, line);
  SimThread &t = *current;
  t.wait = WaitState::ActiveMask;
  t.file = file;
  t.line = line;
  suspend(t);
  return t.activeMaskResult;
}

bool BlockScheduler::resolveActiveMasks() {
  // Lanes of a warp that wait at the same __activemask call when nothing
  // else can run are taken to be the converged set executing it.
  std::vector<unsigned> released;
  for (unsigned warp = 0; warp < warpCount; ++warp) {
    for (unsigned lane = 0; lane < 32; ++lane) {
      if (!laneExists(warp, lane))
        break;
      SimThread &lead = threads[warp * 32 + lane];
      if (lead.wait != WaitState::ActiveMask)
        continue;
      unsigned mask = 0;
      std::vector<unsigned> group;
      for (unsigned other = lane; other < 32 && laneExists(warp, other);
           ++other) {
        SimThread &t = threads[warp * 32 + other];
        if (t.wait == WaitState::ActiveMask && sameSite(lead, t)) {
          mask |= 1u << other;
          group.push_back(warp * 32 + other);
        }
      }
      for (unsigned i : group) {
        threads[i].activeMaskResult = mask;
        threads[i].wait = WaitState::Runnable;
        released.push_back(i);
      }
    }
  }
  if (released.empty())
    return false;
  makeRunnable(released);
  return true;
}

// ---- Shared memory ----

void BlockScheduler::registerShared(void *storage, size_t bytes) {
  if (std::find(registeredShared.begin(), registeredShared.end(), storage) !=
      registeredShared.end())
    return;
  registeredShared.push_back(storage);
  // First time this block reaches the declaration: the storage still holds
  // whatever the worker's previous block left, like a GPU's shared memory.
  if (config.raceHunt)
    std::memset(storage, 0xff, bytes);
}

// ---- cp.async ----

void BlockScheduler::cpAsync(void *dst, const void *src, unsigned copyBytes,
                             unsigned srcBytes) {
  if (srcBytes > copyBytes)
    fail("cp.async src-size " + std::to_string(srcBytes) +
             " exceeds the copy size " + std::to_string(copyBytes),
         nullptr, 0);
  if (reinterpret_cast<uintptr_t>(dst) % copyBytes != 0 ||
      reinterpret_cast<uintptr_t>(src) % copyBytes != 0)
    fail("cp.async of " + std::to_string(copyBytes) +
             " bytes with a misaligned address",
         nullptr, 0);
  AsyncCopy copy{dst, src, copyBytes, srcBytes};
  if (!config.raceHunt) {
    // Completing at issue is one of the schedules the hardware may pick.
    std::memcpy(dst, src, srcBytes);
    std::memset(static_cast<char *>(dst) + srcBytes, 0, copyBytes - srcBytes);
    return;
  }
  current->openGroup.push_back(copy);
}

void BlockScheduler::cpAsyncCommit() {
  if (!config.raceHunt)
    return;
  current->committedGroups.push_back(std::move(current->openGroup));
  current->openGroup.clear();
}

void BlockScheduler::flushAsyncCopies(SimThread &t, size_t keepGroups) {
  while (t.committedGroups.size() > keepGroups) {
    for (const AsyncCopy &copy : t.committedGroups.front()) {
      std::memcpy(copy.dst, copy.src, copy.srcBytes);
      std::memset(static_cast<char *>(copy.dst) + copy.srcBytes, 0,
                  copy.copyBytes - copy.srcBytes);
    }
    t.committedGroups.pop_front();
  }
}

void BlockScheduler::cpAsyncWait(int allowedPendingGroups) {
  if (allowedPendingGroups < 0) {
    cpAsyncCommit(); // wait_all is commit_group + wait_group 0
    allowedPendingGroups = 0;
  }
  flushAsyncCopies(*current, static_cast<size_t>(allowedPendingGroups));
}

} // namespace kiln::simt
