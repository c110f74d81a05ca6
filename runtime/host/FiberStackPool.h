//===- FiberStackPool.h - Reusable guarded stacks for simulated threads ---===//
//
// A block of 1024 threads needs 1024 stacks, and a grid runs many blocks:
// mapping and unmapping them per block would dominate small kernels, so each
// worker keeps its stacks for the whole launch, and hands them to a
// process-wide cache at the end so that the next launch (a model runs
// hundreds) does not map them again. Every stack has an inaccessible guard
// page below it, so a kernel overflowing its stack faults instead of
// corrupting a neighbour's registers.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_FIBERSTACKPOOL_H
#define KILN_RUNTIME_HOST_FIBERSTACKPOOL_H

#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <vector>

namespace kiln::simt {

class FiberStackPool {
public:
  explicit FiberStackPool(size_t stackBytes);
  ~FiberStackPool();
  FiberStackPool(const FiberStackPool &) = delete;
  FiberStackPool &operator=(const FiberStackPool &) = delete;

  /// Throws std::bad_alloc when the system refuses a mapping.
  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context &stack);

private:
  size_t usableBytes;
  size_t pageBytes;
  std::vector<void *> freeStacks; // base of each mapping (the guard page)
};

/// Lowest address and size of a stack (what AddressSanitizer's fiber-switch
/// annotations need).
struct StackBounds {
  const void *bottom = nullptr;
  size_t size = 0;
};

/// The StackAllocator concept Boost.Context expects, borrowing from a pool
/// and telling the owner where the stack is.
class PooledStackAllocator {
public:
  PooledStackAllocator(FiberStackPool &pool, StackBounds &bounds)
      : pool(&pool), bounds(&bounds) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context stack = pool->allocate();
    bounds->bottom = static_cast<char *>(stack.sp) - stack.size;
    bounds->size = stack.size;
    return stack;
  }
  void deallocate(boost::context::stack_context &stack) {
    pool->deallocate(stack);
  }

private:
  FiberStackPool *pool;
  StackBounds *bounds;
};

} // namespace kiln::simt

#endif // KILN_RUNTIME_HOST_FIBERSTACKPOOL_H
