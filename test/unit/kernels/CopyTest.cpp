//===- CopyTest.cpp - copy.cuh against the evaluator ----------------------===//
//
// Transpose (tiled and strided-copy plans), slice, concat, gather and
// gather_elements against kiln.transpose / slice / concat / gather /
// gather_elements of the reference evaluator. Data movement is exact, so
// every comparison is exact equality (rtol = atol = 0), for float, __half,
// __nv_bfloat16, int64_t, int32_t, int8_t and bool elements.
//
// Every kernel runs in both raceHuntModes(), and the barrier-free ones
// (everything but transposeTiled) also with LaunchConfig::barrierFree. The
// output buffer starts with unrelated random data, so an element the kernel
// fails to write is a mismatch. Shapes hold 1s and primes; several Copy and
// Transpose configurations run; the vector width the kernel picks is
// asserted where the test means to cover the 16-byte path or the scalar
// fallback (misaligned views).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/copy.cuh"

#include "KernelTestSupport.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

using namespace kiln::test;
namespace kk = kiln::kernels;
using kk::Index;

namespace {

// ---- Element types ----

/// Random values of T over a range that exercises its width (integers
/// beyond 32 bits for int64_t, the full range of int8_t).
template <typename T>
HostTensor randomOf(std::vector<int64_t> shape, uint32_t seed) {
  double lo = -1, hi = 1;
  if constexpr (std::is_same_v<T, int64_t>) {
    lo = -1e12; // beyond 32 bits
    hi = 1e12;
  } else if constexpr (std::is_same_v<T, int32_t>) {
    lo = -2e9;
    hi = 2e9;
  } else if constexpr (std::is_same_v<T, int8_t>) {
    lo = -128;
    hi = 127;
  } else if constexpr (std::is_same_v<T, bool>) {
    lo = 0;
  }
  return randomTensor(dtypeOf<T>(), std::move(shape), seed, lo, hi);
}

/// Indices into an axis of `size` over the whole valid range [-size, size),
/// negative ones included.
template <typename TI>
HostTensor randomIndices(std::vector<int64_t> shape, int64_t size,
                         uint32_t seed) {
  return randomTensor(dtypeOf<TI>(), std::move(shape), seed,
                      static_cast<double>(-size),
                      static_cast<double>(size - 1));
}

/// A device buffer of T (std::vector<bool> has no data(), so not a vector).
template <typename T> class Buf {
public:
  explicit Buf(size_t n = 0) : n_(n), p_(new T[n ? n : 1]()) {}
  Buf(const HostTensor &t) : Buf(t.values.size()) {
    for (size_t i = 0; i < n_; ++i) {
      if constexpr (std::is_same_v<T, bool>)
        p_[i] = t.values[i] != 0;
      else if constexpr (std::is_same_v<T, __half> ||
                         std::is_same_v<T, __nv_bfloat16>)
        p_[i] = T(static_cast<float>(t.values[i]));
      else
        p_[i] = static_cast<T>(t.values[i]);
    }
  }
  T *data() { return p_.get(); }
  const T *data() const { return p_.get(); }
  size_t size() const { return n_; }
  T &operator[](size_t i) { return p_[i]; }
  HostTensor tensor(std::vector<int64_t> shape) const {
    return fromBuffer(dtypeOf<T>(), std::move(shape), p_.get());
  }

private:
  size_t n_;
  std::unique_ptr<T[]> p_;
};

/// An output buffer holding unrelated data, so unwritten elements show.
template <typename T>
Buf<T> garbage(const std::vector<int64_t> &shape, uint32_t seed) {
  return Buf<T>(randomOf<T>(shape, seed ^ 0x5a5a5a5au));
}

// ---- Launch modes ----

struct Mode {
  bool raceHunt;
  bool barrierFree;
  std::string name() const {
    return std::string(raceHunt ? "race-hunt" : "plain") +
           (barrierFree ? " barrier-free" : "");
  }
};

std::vector<Mode> modes(bool barrierFreeLegal) {
  std::vector<Mode> out;
  for (bool raceHunt : raceHuntModes()) {
    out.push_back({raceHunt, false});
    if (barrierFreeLegal)
      out.push_back({raceHunt, true});
  }
  return out;
}

bool launch(const Mode &mode, dim3 grid, int threads,
            const std::function<void()> &body, const std::string &what) {
  kiln::simt::LaunchConfig config =
      launchConfig(grid, dim3(threads), mode.raceHunt);
  config.barrierFree = mode.barrierFree;
  return launchOk(config, body, what + " [" + mode.name() + "]");
}

/// `grid` with x at most maxX (0: unchanged): the element-wise kernels then
/// loop over the grid, as they do past 2^31 - 1 blocks.
dim3 capGrid(dim3 grid, unsigned maxX) {
  if (maxX && grid.x > maxX)
    grid.x = maxX;
  return grid;
}

// ===----------------------------------------------------------------------===
// Transpose
// ===----------------------------------------------------------------------===

/// Which plan a case expects: tiled, vectorized copy, scalar copy, or any.
enum class Expect { Tiled, Copy, Vector16, Any };

template <typename T, class TileConfig = kk::DefaultTransposeConfig,
          class CopyConfig = kk::DefaultCopyConfig>
void checkTranspose(const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &perm, uint32_t seed,
                    Expect expect = Expect::Any, unsigned maxGridY = 0) {
  const DType dt = dtypeOf<T>();
  std::vector<int64_t> outShape;
  for (int64_t p : perm)
    outShape.push_back(shape[p]);
  std::string what = "transpose " + shapeString(shape) + " " + intList(perm) +
                     " " + dtypeName(dt) + " tile " +
                     std::to_string(TileConfig::kTile) + "x" +
                     std::to_string(TileConfig::kRows);
  SCOPED_TRACE(what);
  HostTensor x = randomOf<T>(shape, seed);
  std::string xt = tensorType(shape, dt), yt = tensorType(outShape, dt);
  std::vector<HostTensor> expected = evaluateReference(
      singleOpFunc("%x: " + xt, yt,
                   "kiln.transpose %x permutation = " + intList(perm) + " : " +
                       xt + " -> " + yt),
      {x});
  ASSERT_EQ(expected.size(), 1u);
  Buf<T> in(x);
  std::vector<Index> dims(shape.begin(), shape.end()),
      p(perm.begin(), perm.end());
  for (const Mode &mode : modes(true)) {
    Buf<T> out = garbage<T>(outShape, seed);
    kk::TransposePlan<T> plan = kk::makeTransposePlan<T>(
        in.data(), out.data(), static_cast<int>(shape.size()), dims.data(),
        p.data());
    if (expect == Expect::Tiled) {
      EXPECT_TRUE(plan.tiled);
    }
    if (expect == Expect::Copy || expect == Expect::Vector16) {
      EXPECT_FALSE(plan.tiled);
    }
    if (expect == Expect::Vector16) {
      EXPECT_EQ(kk::stridedCopyVectorBytes(plan.copy), 16);
    }
    if (plan.tiled) {
      if (mode.barrierFree)
        continue; // transposeTiled synchronizes
      const kk::TransposeTileParams<T> &tp = plan.tile;
      dim3 grid = kk::transposeTiledGrid<TileConfig>(tp);
      // A smaller grid.y makes each block loop over several batch elements
      // (as batches over 65535 do).
      if (maxGridY && grid.y > maxGridY)
        grid.y = maxGridY;
      ASSERT_TRUE(launch(
          mode, grid, TileConfig::kThreads,
          [&] { kk::transposeTiled<TileConfig>(tp); }, what));
    } else {
      const kk::StridedCopyParams<T> &cp = plan.copy;
      ASSERT_TRUE(launch(
          mode, kk::stridedCopyGrid<CopyConfig>(cp), CopyConfig::kThreads,
          [&] { kk::stridedCopy<CopyConfig>(cp); }, what));
    }
    EXPECT_TRUE(allClose(out.tensor(outShape), expected[0], 0.0))
        << mode.name();
  }
}

TEST(Copy, TransposeFloatPermutations) {
  // 2-D: swap (tiled, 33x65 crosses tile edges in both dims) and identity.
  checkTranspose<float>({33, 65}, {1, 0}, 1, Expect::Tiled);
  checkTranspose<float>({33, 65}, {0, 1}, 2, Expect::Copy);
  // Extent-1 dims: [2, 0, 1] of 1x37x5 moves the inner dim; [1, 0, 2] only
  // moves a 1, which the plan sees as a contiguous copy.
  checkTranspose<float>({1, 37, 5}, {2, 0, 1}, 3, Expect::Tiled);
  checkTranspose<float>({1, 37, 5}, {0, 2, 1}, 4, Expect::Tiled);
  checkTranspose<float>({1, 37, 5}, {1, 0, 2}, 5, Expect::Copy);
  checkTranspose<float>({1, 37, 5}, {0, 1, 2}, 6, Expect::Copy);
  // Rank 4: full reversal, swap of the last two, NCHW <-> NHWC, a batch
  // swap keeping the inner dim, identity.
  checkTranspose<float>({2, 3, 5, 7}, {3, 2, 1, 0}, 7, Expect::Tiled);
  checkTranspose<float>({2, 3, 5, 7}, {0, 1, 3, 2}, 8, Expect::Tiled);
  checkTranspose<float>({2, 3, 5, 7}, {0, 2, 3, 1}, 9, Expect::Tiled);
  checkTranspose<float>({2, 3, 5, 7}, {0, 3, 1, 2}, 10, Expect::Tiled);
  checkTranspose<float>({2, 3, 5, 7}, {1, 0, 2, 3}, 11, Expect::Copy);
  checkTranspose<float>({2, 3, 5, 7}, {0, 1, 2, 3}, 12, Expect::Copy);
  // Inner dim stays, 8 floats: 16-byte vectors.
  checkTranspose<float>({4, 6, 8}, {1, 0, 2}, 13, Expect::Vector16);
  // Ranks 1, 5 and 6.
  checkTranspose<float>({}, {}, 41, Expect::Copy);
  checkTranspose<float>({37}, {0}, 14, Expect::Copy);
  checkTranspose<float>({2, 3, 1, 4, 5}, {4, 1, 3, 0, 2}, 15, Expect::Tiled);
  checkTranspose<float>({2, 3, 1, 4, 5, 3}, {5, 4, 3, 2, 1, 0}, 16,
                        Expect::Tiled);
  checkTranspose<float>({2, 3, 2, 4, 5, 3}, {1, 0, 3, 2, 4, 5}, 17,
                        Expect::Copy);
  // Batched swap with several tiles per batch element.
  checkTranspose<float>({3, 40, 70}, {0, 2, 1}, 18, Expect::Tiled);
  // Blocks looping over the batch (grid.y 2 for a batch of 7).
  checkTranspose<float>({7, 33, 35}, {0, 2, 1}, 19, Expect::Tiled, 2);
  checkTranspose<__half>({5, 3, 17, 9}, {1, 0, 3, 2}, 20, Expect::Tiled, 2);
}

// Every permutation of rank 4 (prime extents, and extents with a 1 so the
// plan's dim dropping meets every position).
TEST(Copy, TransposeAllRank4Permutations) {
  std::vector<int64_t> perm = {0, 1, 2, 3};
  uint32_t seed = 100;
  do {
    checkTranspose<float>({2, 3, 5, 7}, perm, seed++);
    checkTranspose<int8_t>({3, 1, 4, 6}, perm, seed++);
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(Copy, TransposeTileConfigs) {
  using Tile64 = kk::TransposeConfig<64, 8>;
  using Tile64x4 = kk::TransposeConfig<64, 4>;
  using Tile32x32 = kk::TransposeConfig<32, 32>;
  using Small = kk::CopyConfig<32, 3>;
  checkTranspose<float, Tile64>({33, 65}, {1, 0}, 21, Expect::Tiled);
  checkTranspose<float, Tile64x4>({67, 3, 70}, {2, 1, 0}, 22, Expect::Tiled);
  checkTranspose<float, Tile32x32>({2, 3, 5, 7}, {3, 2, 1, 0}, 23,
                                   Expect::Tiled);
  checkTranspose<__half, Tile64>({2, 37, 66}, {0, 2, 1}, 24, Expect::Tiled);
  checkTranspose<int8_t, Tile64x4>({65, 33}, {1, 0}, 25, Expect::Tiled);
  checkTranspose<int64_t, Tile64>({5, 70}, {1, 0}, 26, Expect::Tiled);
  checkTranspose<float, Tile64, Small>({4, 6, 8}, {1, 0, 2}, 27,
                                       Expect::Vector16);
  checkTranspose<float, Tile64, Small>({2, 3, 5, 7}, {1, 0, 2, 3}, 28,
                                       Expect::Copy);
}

TEST(Copy, TransposeElementTypes) {
  checkTranspose<__half>({33, 65}, {1, 0}, 31, Expect::Tiled);
  checkTranspose<__half>({2, 3, 5, 8}, {1, 0, 2, 3}, 32, Expect::Vector16);
  checkTranspose<__nv_bfloat16>({2, 3, 5, 7}, {3, 2, 1, 0}, 33, Expect::Tiled);
  checkTranspose<int64_t>({2, 3, 5, 7}, {0, 1, 3, 2}, 34, Expect::Tiled);
  checkTranspose<int64_t>({3, 5, 4}, {1, 0, 2}, 35, Expect::Vector16);
  checkTranspose<int32_t>({1, 37, 5}, {2, 0, 1}, 36, Expect::Tiled);
  checkTranspose<int8_t>({2, 3, 5, 7}, {3, 2, 1, 0}, 37, Expect::Tiled);
  checkTranspose<int8_t>({3, 5, 32}, {1, 0, 2}, 38, Expect::Vector16);
  checkTranspose<bool>({33, 65}, {1, 0}, 39, Expect::Tiled);
  checkTranspose<bool>({2, 3, 5, 7}, {0, 2, 1, 3}, 40, Expect::Copy);
}

// ===----------------------------------------------------------------------===
// Slice
// ===----------------------------------------------------------------------===

/// One Python range; an omitted bound is the dialect's sentinel.
struct Range {
  bool hasStart;
  int64_t start;
  bool hasEnd;
  int64_t end;
  int64_t step;
};
Range r(int64_t start, int64_t end, int64_t step = 1) {
  return {true, start, true, end, step};
}
Range all(int64_t step = 1) { return {false, 0, false, 0, step}; }
Range from(int64_t start, int64_t step = 1) {
  return {true, start, false, 0, step};
}

/// The vector width a case expects (-1: do not check).
template <typename T, class Config = kk::DefaultCopyConfig>
void checkSlice(const std::vector<int64_t> &shape,
                const std::vector<Range> &ranges, uint32_t seed,
                int vectorBytes = -1, int inputOffset = 0,
                unsigned maxGridX = 0) {
  const DType dt = dtypeOf<T>();
  const int rank = static_cast<int>(shape.size());
  std::vector<Index> dims(shape.begin(), shape.end()), starts, ends, steps;
  std::vector<int64_t> outShape;
  std::string text;
  for (int d = 0; d < rank; ++d) {
    const Range &g = ranges[d];
    // SliceOp::defaultStart/defaultEnd.
    starts.push_back(g.hasStart ? g.start : g.step > 0 ? 0 : INT64_MAX);
    ends.push_back(g.hasEnd ? g.end : g.step > 0 ? INT64_MAX : INT64_MIN);
    steps.push_back(g.step);
    outShape.push_back(kk::sliceLength(shape[d], starts[d], ends[d], g.step));
    text += (d ? ", " : "") +
            (g.hasStart ? std::to_string(g.start) : std::string()) + ":" +
            (g.hasEnd ? std::to_string(g.end) : std::string()) +
            (g.step != 1 ? ":" + std::to_string(g.step) : std::string());
  }
  std::string what = "slice " + shapeString(shape) + "[" + text + "] " +
                     dtypeName(dt) + " offset " + std::to_string(inputOffset);
  SCOPED_TRACE(what);
  HostTensor x = randomOf<T>(shape, seed);
  std::string xt = tensorType(shape, dt), yt = tensorType(outShape, dt);
  std::vector<HostTensor> expected = evaluateReference(
      singleOpFunc("%x: " + xt, yt,
                   "kiln.slice %x[" + text + "] : " + xt + " -> " + yt),
      {x});
  ASSERT_EQ(expected.size(), 1u);
  // The input at `inputOffset` elements into its buffer (a misaligned view).
  Buf<T> in(x.values.size() + inputOffset);
  Buf<T> packed(x);
  for (size_t i = 0; i < packed.size(); ++i)
    in[i + inputOffset] = packed[i];
  for (const Mode &mode : modes(true)) {
    Buf<T> out = garbage<T>(outShape, seed);
    kk::StridedCopyParams<T> p = kk::makeSliceCopy<T>(
        in.data() + inputOffset, out.data(), rank, dims.data(), starts.data(),
        ends.data(), steps.data());
    if (vectorBytes >= 0) {
      EXPECT_EQ(kk::stridedCopyVectorBytes(p), vectorBytes);
    }
    ASSERT_TRUE(launch(
        mode, capGrid(kk::stridedCopyGrid<Config>(p), maxGridX),
        Config::kThreads, [&] { kk::stridedCopy<Config>(p); }, what));
    EXPECT_TRUE(allClose(out.tensor(outShape), expected[0], 0.0))
        << mode.name();
  }
}

TEST(Copy, SliceSteps) {
  // Steps 2, -1, -3 over prime extents, with negative and omitted bounds.
  checkSlice<float>({7, 9, 5}, {r(0, 2), all(), r(1, -1, 2)}, 1);
  checkSlice<float>({7, 9, 5}, {all(-1), all(), all()}, 2);
  checkSlice<float>({7, 9, 5}, {all(), all(-3), from(3, -1)}, 3);
  checkSlice<float>({37}, {all(-1)}, 4, 0);
  checkSlice<float>({1, 37, 5}, {all(), r(-2, 3, -3), all(2)}, 5);
  // Clamped bounds: past both ends, and a negative step from beyond the end.
  checkSlice<float>({7, 9, 5}, {r(-100, 100), r(10, -20, -1), r(-7, 50, 3)}, 6);
  // Empty result along one dim (start past end).
  checkSlice<float>({7, 9, 5}, {r(5, 2), all(), all()}, 7);
  // Rank 6 with steps on several dims.
  checkSlice<float>({2, 3, 4, 5, 3, 7},
                    {all(-1), r(1, 3), all(2), r(4, 0, -2), all(), r(1, -1)},
                    8);
}

// Random ranges (bounds in [-12, 12] over extents up to 9, so many clamp;
// steps in [-3, 3] \ {0}), some bounds omitted.
TEST(Copy, SliceRandomRanges) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int64_t> bound(-12, 12), step(-3, 2),
      coin(0, 3);
  const std::vector<int64_t> shape = {7, 4, 9};
  // 20 non-empty results and 4 empty ones.
  int nonEmpty = 0, empty = 0;
  for (uint32_t c = 0; c < 2000 && (nonEmpty < 20 || empty < 4); ++c) {
    std::vector<Range> ranges;
    int64_t elements = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t st = step(rng);
      if (st >= 0)
        ++st;
      Range g = r(bound(rng), bound(rng), st);
      g.hasStart = coin(rng) != 0;
      g.hasEnd = coin(rng) != 0;
      ranges.push_back(g);
      elements *= kk::sliceLength(shape[d],
                                  g.hasStart ? g.start
                                  : st > 0   ? 0
                                             : INT64_MAX,
                                  g.hasEnd ? g.end
                                  : st > 0 ? INT64_MAX
                                           : INT64_MIN,
                                  st);
    }
    if (elements > 0 ? nonEmpty++ >= 20 : empty++ >= 4)
      continue;
    checkSlice<float>(shape, ranges, 200 + c);
  }
  EXPECT_GE(nonEmpty, 20);
}

TEST(Copy, SliceVectorWidthsAndTypes) {
  // Whole inner rows of 8 floats at a 16-byte offset: 16-byte vectors.
  checkSlice<float>({4, 16}, {all(), r(4, 12)}, 11, 16);
  // Offset of one float: the scalar fallback.
  checkSlice<float>({4, 16}, {all(), r(1, 9)}, 12, 0);
  // Aligned slice of a misaligned view (one float into the buffer): scalar.
  checkSlice<float>({4, 16}, {all(), r(4, 12)}, 13, 0, 1);
  // Rows of 6 halves at an even offset: 4-byte vectors (3 words).
  checkSlice<__half>({5, 10}, {all(2), r(2, 8)}, 14, 4);
  checkSlice<__half>({5, 16}, {r(1, 4), all()}, 15, 16);
  checkSlice<__nv_bfloat16>({7, 9, 5}, {all(-1), all(2), all()}, 16);
  checkSlice<int64_t>({7, 9, 6}, {all(), all(-3), r(2, 6)}, 17, 16);
  checkSlice<int32_t>({7, 9, 5}, {r(1, 6, 2), all(), all(-1)}, 18, 0);
  checkSlice<int8_t>({3, 64}, {all(), r(16, 48)}, 19, 16);
  checkSlice<int8_t>({7, 9, 5}, {all(-1), r(2, 7), all(-2)}, 20);
  checkSlice<bool>({7, 9, 5}, {all(2), all(-1), all()}, 21);
  // Another configuration.
  checkSlice<float, kk::CopyConfig<64, 1>>({7, 9, 5},
                                           {all(), all(-3), from(3, -1)}, 22);
  checkSlice<float, kk::CopyConfig<32, 3>>({4, 16}, {all(), r(4, 12)}, 23, 16);
  // Blocks looping over the grid (one block for 7*9*5 elements / 128 units).
  checkSlice<float, kk::CopyConfig<32, 2>>({7, 9, 5}, {all(-1), all(), all(2)},
                                           24, 0, 0, 1);
  checkSlice<__half, kk::CopyConfig<32, 1>>({5, 64}, {all(), r(8, 64)}, 25, 16,
                                            0, 2);
}

// ===----------------------------------------------------------------------===
// Concat
// ===----------------------------------------------------------------------===

template <typename T, class Config = kk::DefaultCopyConfig>
void checkConcat(const std::vector<int64_t> &base,
                 const std::vector<int64_t> &extents, int axis, uint32_t seed,
                 int vectorBytes = -1, unsigned maxGridX = 0) {
  const DType dt = dtypeOf<T>();
  const int rank = static_cast<int>(base.size());
  std::vector<HostTensor> xs;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<int64_t> outShape = base;
  outShape[axis] = 0;
  for (size_t k = 0; k < extents.size(); ++k) {
    std::vector<int64_t> s = base;
    s[axis] = extents[k];
    outShape[axis] += extents[k];
    shapes.push_back(s);
    xs.push_back(randomOf<T>(s, seed + 100 * static_cast<uint32_t>(k)));
  }
  std::string what = "concat axis " + std::to_string(axis) + " of " +
                     std::to_string(extents.size()) + " -> " +
                     shapeString(outShape) + " " + dtypeName(dt);
  SCOPED_TRACE(what);
  std::string args, operands, types, yt = tensorType(outShape, dt);
  for (size_t k = 0; k < xs.size(); ++k) {
    std::string t = tensorType(shapes[k], dt), n = std::to_string(k);
    args += (k ? ", " : "") + ("%x" + n + ": " + t);
    operands += (k ? ", " : "") + ("%x" + n);
    types += (k ? ", " : "") + t;
  }
  std::vector<HostTensor> expected =
      evaluateReference(singleOpFunc(args, yt,
                                     "kiln.concat " + operands +
                                         " axis = " + std::to_string(axis) +
                                         " : " + types + " -> " + yt),
                        xs);
  ASSERT_EQ(expected.size(), 1u);
  std::vector<Buf<T>> ins;
  for (const HostTensor &x : xs)
    ins.emplace_back(x);
  std::vector<const T *> ptrs;
  for (const Buf<T> &v : ins)
    ptrs.push_back(v.data());
  std::vector<Index> outDims(outShape.begin(), outShape.end()),
      ext(extents.begin(), extents.end());
  for (const Mode &mode : modes(true)) {
    Buf<T> out = garbage<T>(outShape, seed);
    // Groups of kConcatMaxInputs, one launch each.
    Index axisOffset = 0;
    for (size_t first = 0; first < ext.size(); first += kk::kConcatMaxInputs) {
      int count = static_cast<int>(
          std::min<size_t>(kk::kConcatMaxInputs, ext.size() - first));
      kk::ConcatParams<T> p = kk::makeConcatParams<T>(
          out.data(), rank, outDims.data(), axis, count, ptrs.data() + first,
          ext.data() + first, axisOffset);
      for (int k = 0; k < count; ++k)
        axisOffset += ext[first + k];
      if (vectorBytes >= 0) {
        EXPECT_EQ(kk::concatVectorBytes(p), vectorBytes);
      }
      ASSERT_TRUE(launch(
          mode, capGrid(kk::concatGrid<Config>(p), maxGridX), Config::kThreads,
          [&] { kk::concat<Config>(p); }, what));
    }
    EXPECT_TRUE(allClose(out.tensor(outShape), expected[0], 0.0))
        << mode.name();
  }
}

TEST(Copy, ConcatAxes) {
  // 1, 2 and 5 inputs on the first, middle and last axis.
  for (int axis = 0; axis < 3; ++axis) {
    checkConcat<float>({3, 5, 7}, {4}, axis, 1 + axis);
    checkConcat<float>({3, 5, 7}, {2, 3}, axis, 11 + axis);
    checkConcat<float>({3, 5, 7}, {1, 3, 0, 5, 2}, axis, 21 + axis);
  }
  // Extent-1 dims, rank 1.
  checkConcat<float>({1, 37, 1}, {1, 2, 1}, 2, 31);
  checkConcat<float>({37}, {5, 37, 1}, 0, 32);
}

TEST(Copy, ConcatVectorsTypesAndGroups) {
  // Last axis, rows of 4 and 8 floats: 16-byte units.
  checkConcat<float>({3, 4}, {4, 8}, 1, 41, 16);
  // A row of 3 floats: scalar.
  checkConcat<float>({3, 4}, {4, 3}, 1, 42, 0);
  // KV-cache append: halves, rows of 64 elements.
  checkConcat<__half>({1, 2, 3, 64}, {5, 1}, 2, 43, 16);
  checkConcat<__nv_bfloat16>({2, 3, 5}, {1, 2, 3, 4, 5}, 1, 44);
  checkConcat<int64_t>({3, 5, 2}, {2, 3}, 0, 45, 16);
  checkConcat<int32_t>({3, 5, 7}, {2, 3}, 2, 46, 0);
  checkConcat<int8_t>({3, 32}, {1, 2}, 0, 47, 16);
  checkConcat<bool>({3, 5, 7}, {2, 1, 4}, 1, 48);
  // 11 inputs: two launches (8 + 3).
  checkConcat<float>({2, 3, 5}, {1, 2, 1, 3, 1, 1, 2, 1, 4, 1, 2}, 1, 49);
  checkConcat<float, kk::CopyConfig<64, 1>>({3, 5, 7}, {1, 3, 0, 5, 2}, 2, 50);
  checkConcat<float, kk::CopyConfig<32, 3>>({3, 4}, {4, 8}, 1, 51, 16);
  checkConcat<float, kk::CopyConfig<32, 1>>({3, 5, 7}, {1, 3, 0, 5, 2}, 1, 52,
                                            0, 2);
}

// ===----------------------------------------------------------------------===
// Gather
// ===----------------------------------------------------------------------===

template <typename T, typename TI, class Config = kk::DefaultCopyConfig>
void checkGather(const std::vector<int64_t> &dataShape,
                 const std::vector<int64_t> &indexShape, int axis,
                 uint32_t seed, int vectorBytes = -1, unsigned maxGridX = 0) {
  const DType dt = dtypeOf<T>();
  const DType it = dtypeOf<TI>();
  const int64_t size = dataShape[axis];
  std::vector<int64_t> outShape(dataShape.begin(), dataShape.begin() + axis);
  outShape.insert(outShape.end(), indexShape.begin(), indexShape.end());
  outShape.insert(outShape.end(), dataShape.begin() + axis + 1,
                  dataShape.end());
  std::string what = "gather " + shapeString(dataShape) + " by " +
                     shapeString(indexShape) + " " + dtypeName(it) + " axis " +
                     std::to_string(axis) + " " + dtypeName(dt);
  SCOPED_TRACE(what);
  HostTensor x = randomOf<T>(dataShape, seed);
  HostTensor idx = randomIndices<TI>(indexShape, size, seed + 7);
  std::string xt = tensorType(dataShape, dt), ixt = tensorType(indexShape, it),
              yt = tensorType(outShape, dt);
  std::vector<HostTensor> expected = evaluateReference(
      singleOpFunc("%x: " + xt + ", %i: " + ixt, yt,
                   "kiln.gather %x, %i axis = " + std::to_string(axis) + " : " +
                       xt + ", " + ixt + " -> " + yt),
      {x, idx});
  ASSERT_EQ(expected.size(), 1u);
  Buf<T> data(x);
  Buf<TI> indices(idx);
  std::vector<Index> dims(dataShape.begin(), dataShape.end());
  for (const Mode &mode : modes(true)) {
    Buf<T> out = garbage<T>(outShape, seed);
    int error = 0;
    kk::GatherParams<T, TI> p = kk::makeGatherParams<T, TI>(
        data.data(), indices.data(), out.data(),
        static_cast<int>(dataShape.size()), dims.data(), axis,
        numel(indexShape), &error);
    if (vectorBytes >= 0) {
      EXPECT_EQ(kk::gatherVectorBytes(p), vectorBytes);
    }
    ASSERT_TRUE(launch(
        mode, capGrid(kk::gatherGrid<Config>(p), maxGridX), Config::kThreads,
        [&] { kk::gather<Config>(p); }, what));
    EXPECT_EQ(error, 0) << mode.name();
    EXPECT_TRUE(allClose(out.tensor(outShape), expected[0], 0.0))
        << mode.name();
  }
}

TEST(Copy, GatherAxesAndIndexShapes) {
  // Axis 0 / middle / last with scalar, 1-D and 2-D indices.
  for (int axis = 0; axis < 3; ++axis) {
    checkGather<float, int64_t>({7, 5, 3}, {}, axis, 1 + axis);
    checkGather<float, int64_t>({7, 5, 3}, {4}, axis, 11 + axis);
    checkGather<float, int64_t>({7, 5, 3}, {2, 3}, axis, 21 + axis);
    checkGather<float, int32_t>({7, 5, 3}, {2, 3}, axis, 31 + axis);
  }
  checkGather<float, int64_t>({1, 37, 1}, {5}, 1, 41);
  checkGather<float, int32_t>({37}, {3, 1, 2}, 0, 42);
}

TEST(Copy, GatherVectorsAndTypes) {
  // Embedding lookups: rows of 16 floats / 64 halves take 16-byte units.
  checkGather<float, int64_t>({11, 16}, {2, 3}, 0, 51, 16);
  checkGather<__half, int32_t>({13, 64}, {5}, 0, 52, 16);
  checkGather<__half, int64_t>({13, 6}, {5}, 0, 53, 4);
  checkGather<float, int64_t>({11, 7}, {2, 3}, 0, 54, 0);
  checkGather<__nv_bfloat16, int64_t>({3, 7, 5}, {2, 2}, 1, 55);
  checkGather<int64_t, int64_t>({7, 5, 3}, {4}, 2, 56);
  checkGather<int64_t, int32_t>({9, 4}, {3}, 0, 57, 16);
  checkGather<int8_t, int64_t>({7, 5, 3}, {2, 3}, 1, 58);
  checkGather<bool, int64_t>({7, 5, 3}, {4}, 0, 59);
  checkGather<float, int64_t, kk::CopyConfig<64, 1>>({7, 5, 3}, {2, 3}, 1, 60);
  checkGather<float, int64_t, kk::CopyConfig<32, 3>>({11, 16}, {2, 3}, 0, 61,
                                                     16);
  checkGather<float, int64_t, kk::CopyConfig<32, 1>>({7, 5, 3}, {2, 3}, 1, 62,
                                                     0, 2);
}

// The evaluator rejects an index outside [-size, size); the kernel clamps it
// (never reading out of bounds) and raises the error flag.
TEST(Copy, GatherOutOfRangeClampsAndFlags) {
  const int64_t rows = 5, cols = 3;
  HostTensor x = randomOf<float>({rows, cols}, 71);
  std::vector<float> data = toBuffer<float>(x);
  std::vector<int64_t> indices = {1, 5, -6, -1, 100};
  // Clamped rows: 1, 4 (5 clamps high), 0 (-6 + 5 = -1 clamps low), 4, 4.
  std::vector<int64_t> rowsExpected = {1, 4, 0, 4, 4};
  std::vector<Index> dims = {rows, cols};
  for (const Mode &mode : modes(true)) {
    std::vector<float> out(indices.size() * cols, -7.0f);
    int error = 0;
    auto p = kk::makeGatherParams<float, int64_t>(
        data.data(), indices.data(), out.data(), 2, dims.data(), 0,
        static_cast<Index>(indices.size()), &error);
    ASSERT_TRUE(launch(
        mode, kk::gatherGrid<kk::DefaultCopyConfig>(p),
        kk::DefaultCopyConfig::kThreads,
        [&] { kk::gather<kk::DefaultCopyConfig>(p); }, "gather out of range"));
    EXPECT_EQ(error, 1) << mode.name();
    for (size_t j = 0; j < indices.size(); ++j)
      for (int64_t c = 0; c < cols; ++c)
        EXPECT_EQ(out[j * cols + c], data[rowsExpected[j] * cols + c])
            << mode.name() << " index " << indices[j];
  }
  // All in range: the flag stays 0 (checked by every checkGather too); a
  // null flag is allowed.
  std::vector<int64_t> good = {0, -5, 4};
  std::vector<float> out(good.size() * cols);
  auto p = kk::makeGatherParams<float, int64_t>(
      data.data(), good.data(), out.data(), 2, dims.data(), 0, 3, nullptr);
  ASSERT_TRUE(launch(
      {false, true}, kk::gatherGrid<kk::DefaultCopyConfig>(p),
      kk::DefaultCopyConfig::kThreads,
      [&] { kk::gather<kk::DefaultCopyConfig>(p); }, "gather null flag"));
  EXPECT_EQ(out[cols], data[0]);
}

// ---- Gather elements ----

template <typename T, typename TI, class Config = kk::DefaultCopyConfig>
void checkGatherElements(const std::vector<int64_t> &dataShape,
                         const std::vector<int64_t> &indexShape, int axis,
                         uint32_t seed, unsigned maxGridX = 0) {
  const DType dt = dtypeOf<T>();
  const DType it = dtypeOf<TI>();
  const int64_t size = dataShape[axis];
  std::string what = "gather_elements " + shapeString(dataShape) + " by " +
                     shapeString(indexShape) + " axis " + std::to_string(axis) +
                     " " + dtypeName(dt);
  SCOPED_TRACE(what);
  HostTensor x = randomOf<T>(dataShape, seed);
  HostTensor idx = randomIndices<TI>(indexShape, size, seed + 7);
  std::string xt = tensorType(dataShape, dt), ixt = tensorType(indexShape, it),
              yt = tensorType(indexShape, dt);
  std::vector<HostTensor> expected =
      evaluateReference(singleOpFunc("%x: " + xt + ", %i: " + ixt, yt,
                                     "kiln.gather_elements %x, %i axis = " +
                                         std::to_string(axis) + " : " + xt +
                                         ", " + ixt + " -> " + yt),
                        {x, idx});
  ASSERT_EQ(expected.size(), 1u);
  Buf<T> data(x);
  Buf<TI> indices(idx);
  std::vector<Index> dd(dataShape.begin(), dataShape.end()),
      id(indexShape.begin(), indexShape.end());
  for (const Mode &mode : modes(true)) {
    Buf<T> out = garbage<T>(indexShape, seed);
    int error = 0;
    auto p = kk::makeGatherElementsParams<T, TI>(
        data.data(), indices.data(), out.data(),
        static_cast<int>(dataShape.size()), dd.data(), id.data(), axis, &error);
    ASSERT_TRUE(launch(
        mode, capGrid(kk::gatherElementsGrid<Config>(p), maxGridX),
        Config::kThreads, [&] { kk::gatherElements<Config>(p); }, what));
    EXPECT_EQ(error, 0) << mode.name();
    EXPECT_TRUE(allClose(out.tensor(indexShape), expected[0], 0.0))
        << mode.name();
  }
}

TEST(Copy, GatherElements) {
  for (int axis = 0; axis < 3; ++axis) {
    // Same shape, and indices smaller than data in every dim.
    checkGatherElements<float, int64_t>({4, 6, 5}, {4, 6, 5}, axis, 1 + axis);
    checkGatherElements<float, int32_t>({4, 6, 5}, {3, 2, 4}, axis, 11 + axis);
  }
  checkGatherElements<float, int64_t>({37}, {53}, 0, 21);
  checkGatherElements<__half, int64_t>({1, 37, 5}, {1, 7, 5}, 1, 22);
  checkGatherElements<int64_t, int64_t>({2, 3, 5, 7}, {2, 3, 5, 7}, 3, 23);
  checkGatherElements<int8_t, int32_t>({2, 3, 5, 7}, {2, 2, 5, 3}, 0, 24);
  checkGatherElements<float, int64_t, kk::CopyConfig<32, 3>>(
      {2, 3, 1, 4, 5, 3}, {2, 3, 1, 4, 2, 3}, 4, 25);
  checkGatherElements<float, int64_t, kk::CopyConfig<32, 1>>(
      {4, 6, 5}, {3, 2, 4}, 2, 26, 1);
}

// Out-of-range gather_elements index: clamped and flagged.
TEST(Copy, GatherElementsOutOfRangeClampsAndFlags) {
  std::vector<float> data = {10, 11, 12, 13, 14, 15}; // 2x3
  std::vector<int64_t> indices = {3, -4, 1, 2};       // 2x2, axis 1
  std::vector<Index> dd = {2, 3}, id = {2, 2};
  for (const Mode &mode : modes(true)) {
    std::vector<float> out(4, -1.0f);
    int error = 0;
    auto p = kk::makeGatherElementsParams<float, int64_t>(
        data.data(), indices.data(), out.data(), 2, dd.data(), id.data(), 1,
        &error);
    ASSERT_TRUE(launch(
        mode, kk::gatherElementsGrid<kk::DefaultCopyConfig>(p),
        kk::DefaultCopyConfig::kThreads,
        [&] { kk::gatherElements<kk::DefaultCopyConfig>(p); },
        "gather_elements out of range"));
    EXPECT_EQ(error, 1) << mode.name();
    EXPECT_EQ(out, (std::vector<float>{12, 10, 14, 15})) << mode.name();
  }
}

} // namespace
