//===- SimtAbi.h - How kernel code reaches the simulator ---------------===//
//
// Host code objects (the engine's kernels compiled by the host C++ compiler
// against simt.h and dlopen'ed by the runtime) must not link the simulator:
// they would drag a second scheduler, with its own thread-locals, into the
// process. Instead every built-in that needs the scheduler calls through one
// table of plain function pointers owned by the simulator library. Each
// loaded image holds its own (hidden) pointer to that table, set either by the
// library itself (for kernels linked into the same image, e.g. unit tests) or
// by `kiln_simt_bind`, which every image that includes simt.h exports.
//
// The table only grows at the end; `version` and `size` let a newer runtime
// reject an older module and the other way round.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_SIMTABI_H
#define KILN_RUNTIME_HOST_SIMTABI_H

#include "runtime/host/VectorTypes.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define KILN_SIMT_ABI_VERSION 1u

extern "C" {

/// What a CUDA thread can ask about itself. Written by the scheduler before a
/// thread runs; kernel code only reads it.
struct KilnThreadState {
  // Not named threadIdx/blockIdx/...: simt.h defines those as macros.
  uint3 threadIndex;
  uint3 blockIndex;
  dim3 blockDimension;
  dim3 gridDimension;
  unsigned laneId;
  unsigned warpId;
  void *dynamicShared;
  size_t dynamicSharedBytes;
};

/// Warp-wide operations: every lane named in the mask deposits `in` and waits
/// until the others have arrived; the last one computes every lane's `out`.
/// The payload types are the structs below.
enum KilnWarpOp : int {
  KILN_WARP_SYNC = 0,              // in: unused, out: unused
  KILN_WARP_SHFL_IDX = 1,          // in: KilnShflArgs, out: uint64_t
  KILN_WARP_SHFL_UP = 2,           // in: KilnShflArgs, out: uint64_t
  KILN_WARP_SHFL_DOWN = 3,         // in: KilnShflArgs, out: uint64_t
  KILN_WARP_SHFL_XOR = 4,          // in: KilnShflArgs, out: uint64_t
  KILN_WARP_BALLOT = 5,            // in: int predicate, out: unsigned
  KILN_WARP_ANY = 6,               // in: int predicate, out: unsigned (0/1)
  KILN_WARP_ALL = 7,               // in: int predicate, out: unsigned (0/1)
  KILN_WARP_MMA_M16N8K16_F16 = 8,  // in: KilnMmaArgs, out: float[4]
  KILN_WARP_MMA_M16N8K16_BF16 = 9, // in: KilnMmaArgs, out: float[4]
  KILN_WARP_MMA_M16N8K8_F16 = 10,  // in: KilnMmaArgs, out: float[4]
  KILN_WARP_MMA_M16N8K8_BF16 = 11, // in: KilnMmaArgs, out: float[4]
  KILN_WARP_LDMATRIX_X1 = 12,      // in: const void *row, out: uint32_t[1]
  KILN_WARP_LDMATRIX_X2 = 13,      // in: const void *row, out: uint32_t[2]
  KILN_WARP_LDMATRIX_X4 = 14,      // in: const void *row, out: uint32_t[4]
  KILN_WARP_LDMATRIX_X1_TRANS = 15,
  KILN_WARP_LDMATRIX_X2_TRANS = 16,
  KILN_WARP_LDMATRIX_X4_TRANS = 17,
  KILN_WARP_OP_COUNT = 18
};

struct KilnShflArgs {
  uint64_t bits;    // the value, zero-extended
  unsigned operand; // srcLane, delta or laneMask (PTX operand b)
  int width;        // segment width, a power of two in [1, 32]
};

struct KilnMmaArgs {
  const uint32_t *a; // 4 registers (k16) or 2 (k8)
  const uint32_t *b; // 2 registers (k16) or 1 (k8)
  const float *c;    // 4 accumulators
};

enum KilnBarrierMode : int {
  KILN_BARRIER_PLAIN = 0,
  KILN_BARRIER_COUNT = 1,
  KILN_BARRIER_AND = 2,
  KILN_BARRIER_OR = 3,
};

struct KilnSimtApi {
  unsigned version; // KILN_SIMT_ABI_VERSION
  unsigned size;    // sizeof(KilnSimtApi) of the provider
  KilnThreadState *(*currentThread)();
  int (*syncThreads)(int mode, int predicate, const char *file, int line);
  void (*warpCollective)(int op, unsigned mask, const void *in, void *out,
                         const char *file, int line);
  unsigned (*activeMask)(const char *file, int line);
  void (*registerShared)(void *storage, size_t bytes);
  void (*cpAsync)(void *sharedDst, const void *globalSrc, unsigned copyBytes,
                  unsigned srcBytes);
  void (*cpAsyncCommit)();
  void (*cpAsyncWait)(int allowedPendingGroups);              // < 0: wait_all
  void (*trap)(const char *what, const char *file, int line); // never returns
};

} // extern "C"

namespace kiln::simt::abi {

/// One per loaded image (hidden visibility), so a dlopen'ed module and the
/// runtime never share it by accident; both point at the same table.
__attribute__((visibility("hidden"))) inline const KilnSimtApi *apiSlot =
    nullptr;

[[noreturn]] inline void missingApi() {
  std::fprintf(stderr, "kiln simt: kernel code ran outside a launch (module "
                       "not bound with kiln_simt_bind)\n");
  std::abort();
}

inline const KilnSimtApi *api() {
  const KilnSimtApi *table = apiSlot;
  if (__builtin_expect(table == nullptr, 0))
    missingApi();
  return table;
}

inline KilnThreadState *thread() { return api()->currentThread(); }

} // namespace kiln::simt::abi

/// Exported by every image that includes simt.h; weak so that each
/// translation unit may carry it. Returns 0 on success, -1 when the table is
/// from an incompatible simulator.
extern "C" __attribute__((weak, visibility("default"))) int
kiln_simt_bind(const KilnSimtApi *table) {
  if (table == nullptr || table->version != KILN_SIMT_ABI_VERSION ||
      table->size < sizeof(KilnSimtApi))
    return -1;
  kiln::simt::abi::apiSlot = table;
  return 0;
}

#endif // KILN_RUNTIME_HOST_SIMTABI_H
