//===- ShapeRulesTest.cpp - Broadcasting, slicing and window sizes --------===//

#include "dialects/kiln/ShapeRules.h"

#include "gtest/gtest.h"

#include <optional>
#include <vector>

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

std::optional<std::vector<int64_t>> broadcast(std::vector<int64_t> a,
                                              std::vector<int64_t> b) {
  SmallVector<int64_t> out;
  if (failed(broadcastShapes(a, b, out)))
    return std::nullopt;
  return std::vector<int64_t>(out.begin(), out.end());
}

TEST(BroadcastShapes, FollowsNumpy) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(broadcast({4, 8}, {8}), V({4, 8}));
  EXPECT_EQ(broadcast({8, 1, 6, 1}, {7, 1, 5}), V({8, 7, 6, 5}));
  EXPECT_EQ(broadcast({}, {3, 2}), V({3, 2}));
  EXPECT_EQ(broadcast({0}, {1}), V({0}));
  EXPECT_EQ(broadcast({4, 8}, {3, 8}), std::nullopt);
  EXPECT_EQ(broadcast({2, 1}, {8, 4, 3}), std::nullopt);
}

TEST(BroadcastShapes, DynamicDimsStayConservative) {
  using V = std::vector<int64_t>;
  // ? against 1 or ? is unknown; against a known size > 1 it must be that size.
  EXPECT_EQ(broadcast({kDyn, 8}, {1, 8}), V({kDyn, 8}));
  EXPECT_EQ(broadcast({kDyn}, {kDyn}), V({kDyn}));
  EXPECT_EQ(broadcast({kDyn, 1}, {5, 7}), V({5, 7}));
  EXPECT_EQ(broadcast({kDyn}, {}), V({kDyn}));
}

/// CPython's PySlice_AdjustIndices followed by a count, written as its own
/// algorithm: the oracle for slicedLength.
int64_t pythonSliceLength(int64_t size, std::optional<int64_t> start,
                          std::optional<int64_t> stop, int64_t step) {
  int64_t lo = step < 0 ? -1 : 0, hi = step < 0 ? size - 1 : size;
  auto adjust = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v)
      return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += size;
      if (x < 0)
        x = lo;
    } else if (x >= size) {
      x = hi;
    }
    return x;
  };
  int64_t s = adjust(start, step < 0 ? size - 1 : 0);
  int64_t e = adjust(stop, step < 0 ? -1 : size);
  int64_t count = 0;
  for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
    ++count;
  return count;
}

TEST(SlicedLength, MatchesPythonSlicing) {
  for (int64_t size = 0; size <= 6; ++size)
    for (int64_t step : {-3, -2, -1, 1, 2, 3})
      for (int64_t start = -9; start <= 9; ++start)
        for (int64_t end = -9; end <= 9; ++end) {
          EXPECT_EQ(slicedLength(size, start, end, step),
                    pythonSliceLength(size, start, end, step))
              << "size " << size << " [" << start << ":" << end << ":" << step
              << "]";
        }
}

TEST(SlicedLength, OmittedBoundsUseSentinels) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  for (int64_t size = 0; size <= 6; ++size) {
    EXPECT_EQ(slicedLength(size, 0, max, 1),
              pythonSliceLength(size, std::nullopt, std::nullopt, 1));
    EXPECT_EQ(slicedLength(size, max, min, -1),
              pythonSliceLength(size, std::nullopt, std::nullopt, -1));
    EXPECT_EQ(slicedLength(size, 1, min, -2),
              pythonSliceLength(size, 1, std::nullopt, -2));
  }
}

TEST(WindowOutputSize, ConvolutionAndPoolingFormulas) {
  // ResNet stem: 224, k7, s2, p3 -> 112; max pool k3 s2 p1 -> 56.
  EXPECT_EQ(*windowOutputSize(224, 7, 2, 3, 3, 1, false), 112);
  EXPECT_EQ(*windowOutputSize(112, 3, 2, 1, 1, 1, false), 56);
  // Dilation 2 widens a 3-tap kernel to 5.
  EXPECT_EQ(*windowOutputSize(10, 3, 1, 0, 0, 2, false), 6);
  // PyTorch: MaxPool2d(3, 2, ceil_mode=True) on 6 gives 3, on 5 gives 2.
  EXPECT_EQ(*windowOutputSize(6, 3, 2, 0, 0, 1, true), 3);
  EXPECT_EQ(*windowOutputSize(5, 3, 2, 0, 0, 1, true), 2);
  // ceil mode drops a last window that would start in the trailing padding:
  // PyTorch's MaxPool2d(2, 2, padding=1, ceil_mode=True) on 4 gives 3.
  EXPECT_EQ(*windowOutputSize(4, 2, 2, 1, 1, 1, true), 3);
  // ... and on 5 the fourth window would start in the padding: 3, not 4.
  EXPECT_EQ(*windowOutputSize(5, 2, 2, 1, 1, 1, true), 3);
  EXPECT_TRUE(failed(windowOutputSize(2, 3, 1, 0, 0, 1, false)));
  EXPECT_EQ(*windowOutputSize(kDyn, 3, 1, 1, 1, 1, false), kDyn);
}

TEST(FormatShape, LooksLikeTensorTypes) {
  EXPECT_EQ(formatShape({4, kDyn, 8}), "4x?x8");
  EXPECT_EQ(formatShape({}), "scalar");
}

} // namespace
