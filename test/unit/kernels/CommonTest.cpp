//===- CommonTest.cpp - common.cuh: conversions and warp reductions -------===//

#include "compiler/codegen/kernels/common.cuh"

#include "KernelTestSupport.h"

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

// One warp per row: warpReduce<SumOp> / <MaxOp> over strided lanes, checked
// against kiln.reduce_sum / reduce_max of the evaluator.
TEST(Common, WarpReduceRows) {
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t cols : {1, 31, 32, 33, 97}) {
      const int64_t rows = 5;
      HostTensor x = randomTensor(DType::F32, {rows, cols}, 7 + cols);
      std::vector<float> in = toBuffer<float>(x), sums(rows), maxes(rows);
      ASSERT_TRUE(launchOk(
          launchConfig(dim3(rows), dim3(32), raceHunt),
          [&] {
            float s = kk::SumOp::identity(), m = kk::MaxOp::identity();
            for (int64_t c = threadIdx.x; c < cols; c += 32) {
              float v = kk::load(in.data(), blockIdx.x * cols + c);
              s += v;
              m = fmaxf(m, v);
            }
            s = kk::warpReduce<kk::SumOp>(s);
            m = kk::warpReduce<kk::MaxOp>(m);
            if (threadIdx.x == 0) {
              kk::store(sums.data(), blockIdx.x, s);
              kk::store(maxes.data(), blockIdx.x, m);
            }
          },
          "warpReduce"));
      std::string xt = tensorType({rows, cols}), yt = tensorType({rows});
      std::vector<HostTensor> expected = evaluateReference(
          "func.func @f(%x: " + xt + ") -> (" + yt + ", " + yt +
              ") {\n  %s = kiln.reduce_sum %x axes = [1] : " + xt + " -> " +
              yt + "\n  %m = kiln.reduce_max %x axes = [1] : " + xt + " -> " +
              yt + "\n  return %s, %m : " + yt + ", " + yt + "\n}",
          {x});
      ASSERT_EQ(expected.size(), 2u);
      EXPECT_TRUE(allClose(fromBuffer(DType::F32, {rows}, sums), expected[0],
                           1e-5, 1e-6));
      EXPECT_TRUE(
          allClose(fromBuffer(DType::F32, {rows}, maxes), expected[1], 0.0));
    }
  }
}

// Round-to-nearest-even into each storage type, as the evaluator rounds.
TEST(Common, ConversionsRoundLikeTheEvaluator) {
  HostTensor x = randomTensor(DType::F32, {257}, 3, -70000.0, 70000.0);
  for (DType t : {DType::F16, DType::BF16}) {
    HostTensor expected(t, x.shape);
    for (int64_t i = 0; i < x.numel(); ++i)
      expected.set(i, x[i]);
    std::vector<float> in = toBuffer<float>(x);
    if (t == DType::F16) {
      std::vector<__half> out(in.size());
      for (size_t i = 0; i < in.size(); ++i)
        out[i] = kk::fromFloat<__half>(in[i]);
      EXPECT_TRUE(allClose(fromBuffer(t, x.shape, out), expected, 0.0));
    } else {
      std::vector<__nv_bfloat16> out(in.size());
      for (size_t i = 0; i < in.size(); ++i)
        out[i] = kk::fromFloat<__nv_bfloat16>(in[i]);
      EXPECT_TRUE(allClose(fromBuffer(t, x.shape, out), expected, 0.0));
    }
  }
}

} // namespace
