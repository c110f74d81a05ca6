//===- WarpCollectives.h - What a completed warp rendezvous computes ------===//
//
// The scheduler decides *when* a warp operation completes (every non-exited
// lane named in the mask has arrived); this file decides *what* each lane
// gets: shuffles with PTX's segment/clamp rules, votes, and the tensor-core
// operations (mma.sync, ldmatrix) with the PTX ISA fragment layouts.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_WARPCOLLECTIVES_H
#define KILN_RUNTIME_HOST_WARPCOLLECTIVES_H

#include <string>

namespace kiln::simt {

/// One lane's side of a rendezvous: its operands and where its result goes.
/// Both point into the lane's (suspended) fiber stack.
struct WarpLane {
  const void *in = nullptr;
  void *out = nullptr;
};

/// Computes the result of every lane in `arrived`. Lanes outside it (exited,
/// or not in the mask) are read as "undefined": their value is the reader's
/// own (normal mode) or all-ones bits (race hunting, a NaN for floats), so a
/// kernel depending on it shows up. Returns an error message, or "".
std::string completeWarpOp(int op, const WarpLane (&lanes)[32],
                           unsigned arrived, bool raceHunt);

/// mma.sync.aligned and ldmatrix.sync.aligned need all 32 lanes.
bool warpOpNeedsFullWarp(int op);

/// The CUDA/PTX spelling, for diagnostics.
const char *warpOpName(int op);

/// The source lane of a shuffle by the PTX ISA's definition of shfl.sync, or
/// -1 when the lane keeps its own value. Exposed for tests' scalar models to
/// be checked against hand-computed cases.
int shuffleSourceLane(int op, unsigned lane, unsigned operand, int width);

} // namespace kiln::simt

#endif // KILN_RUNTIME_HOST_WARPCOLLECTIVES_H
