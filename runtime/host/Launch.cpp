//===- Launch.cpp - Grid validation, workers and the ABI table ------------===//

#include "runtime/host/Launch.h"

#include "runtime/host/BlockScheduler.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <dlfcn.h>

namespace kiln::simt {

namespace {

BlockScheduler &scheduler() {
  BlockScheduler *s = BlockScheduler::active();
  if (!s) {
    // Kernel code called outside a launch: a programming error in the
    // host program, not something a kernel input can cause.
    std::fprintf(stderr, "kiln simt: a CUDA built-in was used outside a "
                         "kernel launch\n");
    std::abort();
  }
  return *s;
}

// The table's entries are plain functions; they only forward to the calling
// worker's scheduler.
KilnThreadState *apiCurrentThread() { return scheduler().currentState(); }
int apiSyncThreads(int mode, int predicate, const char *file, int line) {
  return scheduler().syncThreads(mode, predicate, file, line);
}
void apiWarpCollective(int op, unsigned mask, const void *in, void *out,
                       const char *file, int line) {
  scheduler().warpCollective(op, mask, in, out, file, line);
}
unsigned apiActiveMask(const char *file, int line) {
  return scheduler().activeMask(file, line);
}
void apiRegisterShared(void *storage, size_t bytes) {
  scheduler().registerShared(storage, bytes);
}
void apiCpAsync(void *dst, const void *src, unsigned copyBytes,
                unsigned srcBytes) {
  scheduler().cpAsync(dst, src, copyBytes, srcBytes);
}
void apiCpAsyncCommit() { scheduler().cpAsyncCommit(); }
void apiCpAsyncWait(int allowedPendingGroups) {
  scheduler().cpAsyncWait(allowedPendingGroups);
}
void apiTrap(const char *what, const char *file, int line) {
  scheduler().trap(what, file, line);
}

const KilnSimtApi apiTable = {
    KILN_SIMT_ABI_VERSION,
    sizeof(KilnSimtApi),
    apiCurrentThread,
    apiSyncThreads,
    apiWarpCollective,
    apiActiveMask,
    apiRegisterShared,
    apiCpAsync,
    apiCpAsyncCommit,
    apiCpAsyncWait,
    apiTrap,
};

std::string formatDim(const dim3 &d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," +
         std::to_string(d.z) + ")";
}

Status validate(const LaunchConfig &config) {
  const dim3 &b = config.block, &g = config.grid;
  if (b.x == 0 || b.y == 0 || b.z == 0 || g.x == 0 || g.y == 0 || g.z == 0)
    return Status::error("launch with an empty grid " + formatDim(g) +
                         " or block " + formatDim(b));
  if (uint64_t(b.x) * b.y * b.z > 1024)
    return Status::error("block " + formatDim(b) +
                         " has more than 1024 threads");
  if (b.x > 1024 || b.y > 1024 || b.z > 64)
    return Status::error("block " + formatDim(b) +
                         " exceeds the (1024, 1024, 64) dimension limits");
  if (g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535)
    return Status::error("grid " + formatDim(g) +
                         " exceeds the (2^31-1, 65535, 65535) limits");
  if (config.dynamicSharedBytes > kMaxDynamicSharedBytes)
    return Status::error(
        "dynamic shared memory of " +
        std::to_string(config.dynamicSharedBytes) + " bytes exceeds the " +
        std::to_string(kMaxDynamicSharedBytes) + "-byte limit");
  return Status::success();
}

Status run(LaunchContext &context) {
  kiln_simt_bind(&apiTable); // kernels linked into this image
  if (Status s = validate(context.config); !s)
    return s;
  const LaunchConfig &config = context.config;
  context.blockCount = uint64_t(config.grid.x) * config.grid.y * config.grid.z;
  unsigned workers = config.workers;
  if (workers == 0)
    workers = std::max(1u, std::thread::hardware_concurrency());
  workers =
      static_cast<unsigned>(std::min<uint64_t>(workers, context.blockCount));

  std::mutex errorMutex;
  uint64_t errorBlock = ~uint64_t(0);
  std::string errorText;
  auto record = [&](uint64_t block, const std::string &text) {
    std::lock_guard<std::mutex> lock(errorMutex);
    // Report the lowest failing block, so the message does not depend on
    // how blocks were spread over workers.
    if (block < errorBlock) {
      errorBlock = block;
      errorText = text;
    }
    context.failed.store(true, std::memory_order_relaxed);
  };
  auto work = [&]() {
    try {
      BlockScheduler scheduler(context);
      while (!context.failed.load(std::memory_order_relaxed)) {
        uint64_t block = context.nextBlock.fetch_add(1);
        if (block >= context.blockCount)
          break;
        Status s = scheduler.runBlock(block);
        if (!s)
          record(block, s.message());
      }
    } catch (const std::exception &e) {
      record(0, std::string("simulator failure: ") + e.what());
    }
  };
  // The calling thread is worker 0, so one worker needs no extra thread.
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (unsigned i = 1; i < workers; ++i) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error &) {
      break; // the system refuses more threads: run with fewer workers
    }
  }
  work();
  for (std::thread &t : pool)
    t.join();
  if (context.failed.load())
    return Status::error(errorText);
  return Status::success();
}

} // namespace

Status launch(const LaunchConfig &config, KernelEntry entry, void **args) {
  if (!entry)
    return Status::error("launch without a kernel entry");
  LaunchContext context;
  context.config = config;
  context.entry = entry;
  context.args = args;
  return run(context);
}

Status launch(const LaunchConfig &config, const std::function<void()> &body) {
  if (!body)
    return Status::error("launch without a kernel body");
  LaunchContext context;
  context.config = config;
  context.body = &body;
  return run(context);
}

const KilnSimtApi *simtApi() { return &apiTable; }

Status bindModule(void *dlopenHandle) {
  using BindFn = int (*)(const KilnSimtApi *);
  auto bind = reinterpret_cast<BindFn>(dlsym(dlopenHandle, "kiln_simt_bind"));
  if (!bind)
    return Status::error("host code object exports no kiln_simt_bind; was "
                         "it compiled against runtime/host/simt.h?");
  if (bind(&apiTable) != 0)
    return Status::error("host code object was built for another simulator "
                         "ABI version");
  return Status::success();
}

} // namespace kiln::simt
