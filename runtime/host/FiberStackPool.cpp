//===- FiberStackPool.cpp -------------------------------------------------===//

#include "runtime/host/FiberStackPool.h"

#include <mutex>
#include <new>

#include <sys/mman.h>
#include <unistd.h>

namespace kiln::simt {

namespace {

/// Stacks no launch is using, by usable size. Bounded so that one launch of
/// many huge blocks does not pin its stacks forever.
class StackCache {
public:
  static StackCache &instance() {
    static StackCache *cache = new StackCache(); // never destroyed: used
                                                 // until the process exits
    return *cache;
  }
  void *take(size_t usableBytes) {
    std::lock_guard<std::mutex> lock(mutex);
    if (bytes != usableBytes || stacks.empty())
      return nullptr;
    void *base = stacks.back();
    stacks.pop_back();
    return base;
  }
  /// Returns how many of `bases` it kept; the caller unmaps the rest.
  size_t give(size_t usableBytes, const std::vector<void *> &bases) {
    std::lock_guard<std::mutex> lock(mutex);
    if (bytes != usableBytes) {
      if (!stacks.empty())
        return 0; // another size is cached; keep it simple, keep that one
      bytes = usableBytes;
    }
    size_t kept = 0;
    while (kept < bases.size() && stacks.size() < kMaxCachedStacks)
      stacks.push_back(bases[kept++]);
    return kept;
  }

private:
  static constexpr size_t kMaxCachedStacks = 2048;
  std::mutex mutex;
  size_t bytes = 0;
  std::vector<void *> stacks;
};

} // namespace

FiberStackPool::FiberStackPool(size_t stackBytes) {
  pageBytes = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (stackBytes < 16 * 1024)
    stackBytes = 16 * 1024;
  usableBytes = (stackBytes + pageBytes - 1) / pageBytes * pageBytes;
}

FiberStackPool::~FiberStackPool() {
  // Stacks still lent out belong to fibers that outlive the pool: a bug in
  // the scheduler, which destroys every fiber of a block before moving on.
  size_t kept = StackCache::instance().give(usableBytes, freeStacks);
  for (size_t i = kept; i < freeStacks.size(); ++i)
    munmap(freeStacks[i], usableBytes + pageBytes);
}

boost::context::stack_context FiberStackPool::allocate() {
  void *base = nullptr;
  if (!freeStacks.empty()) {
    base = freeStacks.back();
    freeStacks.pop_back();
  } else {
    base = StackCache::instance().take(usableBytes);
  }
  if (!base) {
    // MAP_NORESERVE: a fiber touches a few pages of its stack; the rest is
    // never backed.
    base = mmap(nullptr, usableBytes + pageBytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
      throw std::bad_alloc();
    mprotect(base, pageBytes, PROT_NONE); // guard page: stacks grow down
  }
  boost::context::stack_context stack;
  stack.size = usableBytes;
  stack.sp = static_cast<char *>(base) + pageBytes + usableBytes;
  return stack;
}

void FiberStackPool::deallocate(boost::context::stack_context &stack) {
  void *base = static_cast<char *>(stack.sp) - usableBytes - pageBytes;
  freeStacks.push_back(base);
}

} // namespace kiln::simt
