//===- ReduceTest.cpp - reduce.cuh against the evaluator ------------------===//
//
// reduceRows / reduceColumns (sum, mean, max, min, prod) and argReduceRows /
// argReduceColumns against kiln.reduce_* / kiln.argmax / kiln.argmin over
// axis 1 of an [outer, R, inner] tensor: R in {1, 2, 31, 32, 33, 127, 1000}
// (4097 for the block-per-row config), outer in {1, 3, 17}, inner 1 (rows)
// or {5, 33} (columns); four row configs (4 lanes, a warp, two warps and a
// block per row) and three column configs; fp16 / bf16 storage; NaN rows;
// R = 0; a fused L2 norm (square in the loader, sqrt in the epilogue).
//
// Inputs: sum / mean / max / min take x uniform in [-1, 1); prod takes
// values in [0.9, 1.1) (no under/overflow over 1000 factors).
//
// Tolerances (the evaluator computes in double and rounds once):
//  - max / min / argmax / argmin: exact.
//  - sum / mean, fp32: rtol 1e-5 plus atol R * 2^-24 (mean: 2^-24) for sums
//    that cancel to ~0: each fp32 addition errs by at most 2^-24 times a
//    partial sum, partial sums of R values in [-1, 1) are O(sqrt(R)) and the
//    errors add up like a random walk, so R * 2^-24 is several times the
//    expected absolute error (the worst case, never reached by random data,
//    is larger).
//  - prod, fp32: rtol max(1e-5, R * 2^-24), the first-order bound of R
//    roundings of 2^-24 each (1e-5 up to R = 167).
//  - fp16 / bf16 storage: both sides round a value to the storage type once,
//    ours from fp32, so they may differ by one ulp of the result (2^-10 /
//    2^-7 relative) plus the fp32 error above; atol adds 2^-24 for fp16
//    subnormal spacing.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/reduce.cuh"

#include "KernelTestSupport.h"

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

enum class Op { Sum, Mean, Max, Min, Prod };
const char *opName(Op op) {
  switch (op) {
  case Op::Sum:
    return "reduce_sum";
  case Op::Mean:
    return "reduce_mean";
  case Op::Max:
    return "reduce_max";
  case Op::Min:
    return "reduce_min";
  case Op::Prod:
    return "reduce_prod";
  }
  return "";
}

/// kiln.<op> over axis 1 of x[outer, R, inner].
HostTensor reference(Op op, const HostTensor &x) {
  const char *e = dtypeName(x.type);
  std::string in = tensorType(x.shape, e),
              out = tensorType({x.shape[0], x.shape[2]}, e);
  std::vector<HostTensor> r = evaluateReference(
      singleOpFunc("%x: " + in, out,
                   std::string("kiln.") + opName(op) +
                       " %x axes = [1] : " + in + " -> " + out),
      {x});
  EXPECT_EQ(r.size(), 1u);
  return r.empty() ? HostTensor() : r[0];
}

Tolerance tolerance(Op op, DType t, int64_t r) {
  const double f32 = std::ldexp(1.0, -24);
  const double storage = storageUlp(t);
  double sub = t == DType::F16 ? f32 : 0.0;
  switch (op) {
  case Op::Max:
  case Op::Min:
    return {0.0, 0.0};
  case Op::Sum:
    return {1e-5 + storage, static_cast<double>(r) * f32 + sub};
  case Op::Mean:
    return {1e-5 + storage, f32 + sub};
  case Op::Prod:
    return {std::max(1e-5, static_cast<double>(r) * f32) + storage, sub};
  }
  return {0.0, 0.0};
}

template <class Config, class KOp, typename T>
bool launchReduce(
    const kk::ReduceParams<T, kk::MatrixLoader<T>, kk::IdentityEpilogue> &p,
    bool rows, bool raceHunt) {
  kiln::simt::LaunchConfig config =
      launchConfig(dim3(), dim3(Config::kThreads), raceHunt, 11);
  if constexpr (IsRowConfig<Config>::value) {
    EXPECT_TRUE(kk::canUseReduceRows<Config>(p, false));
    config.grid = kk::reduceRowsGrid<Config>(p);
    return launchOk(
        config, [&] { kk::reduceRows<Config, KOp>(p); }, "reduceRows");
  } else {
    EXPECT_TRUE(kk::canUseReduceColumns<Config>(p, false));
    config.grid = kk::reduceColumnsGrid<Config>(p);
    return launchOk(
        config, [&] { kk::reduceColumns<Config, KOp>(p); }, "reduceColumns");
  }
}

template <class Config, class KOp, typename T>
void checkOp(Op op, const HostTensor &x, bool raceHunt) {
  const int64_t outer = x.shape[0], r = x.shape[1], inner = x.shape[2];
  SCOPED_TRACE(std::string(opName(op)) + " " + dtypeName(x.type) + " [" +
               std::to_string(outer) + ", " + std::to_string(r) + ", " +
               std::to_string(inner) + "]" + (raceHunt ? " race-hunt" : ""));
  HostTensor expected = reference(op, x);
  std::vector<T> in = toBuffer<T>(x), out(outer * inner, T(-7.0f));
  kk::ReduceParams<T, kk::MatrixLoader<T>, kk::IdentityEpilogue> p{};
  const bool rows = inner == 1;
  p.loader = kk::MatrixLoader<T>{in.data(), rows ? r : inner};
  p.output = out.data();
  p.outer = outer;
  p.r = r;
  p.inner = inner;
  ASSERT_TRUE((launchReduce<Config, KOp, T>(p, rows, raceHunt)));
  Tolerance tol = tolerance(op, x.type, r);
  EXPECT_TRUE(allClose(fromBuffer(x.type, {outer, inner}, out), expected,
                       tol.rtol, tol.atol));
}

template <class Config, typename T>
void checkAllOps(DType type, int64_t outer, int64_t r, int64_t inner,
                 bool raceHunt) {
  uint32_t seed = static_cast<uint32_t>(outer * 1000 + r * 7 + inner);
  HostTensor x = randomTensor(type, {outer, r, inner}, seed);
  HostTensor xp = randomTensor(type, {outer, r, inner}, seed + 1, 0.9, 1.1);
  checkOp<Config, kk::ReduceSum, T>(Op::Sum, x, raceHunt);
  checkOp<Config, kk::ReduceMean, T>(Op::Mean, x, raceHunt);
  checkOp<Config, kk::ReduceMax, T>(Op::Max, x, raceHunt);
  checkOp<Config, kk::ReduceMin, T>(Op::Min, x, raceHunt);
  checkOp<Config, kk::ReduceProd, T>(Op::Prod, xp, raceHunt);
}

template <class Config, typename T>
void checkRows(DType type, std::vector<int64_t> rs) {
  for (bool raceHunt : raceHuntModes())
    for (int64_t outer : {1, 3, 17})
      for (int64_t r : rs)
        checkAllOps<Config, T>(type, outer, r, 1, raceHunt);
}

template <class Config, typename T>
void checkColumns(DType type, std::vector<int64_t> rs) {
  for (bool raceHunt : raceHuntModes())
    for (int64_t outer : {1, 3, 17})
      for (int64_t inner : {5, 33})
        for (int64_t r : rs)
          checkAllOps<Config, T>(type, outer, r, inner, raceHunt);
}

const std::vector<int64_t> kSmallRs = {1, 2, 31, 32, 33, 127};
const std::vector<int64_t> kRs = {1, 2, 31, 32, 33, 127, 1000};

TEST(Reduce, RowsWarpPerRowF32) {
  checkRows<kk::DefaultReduceRowConfig, float>(DType::F32, kRs);
}
TEST(Reduce, RowsFourLanesPerRowF32) {
  checkRows<kk::RowConfig<64, 16, 2>, float>(DType::F32, kSmallRs);
}
TEST(Reduce, RowsTwoWarpsPerRowF32) {
  checkRows<kk::RowConfig<128, 2, 1>, float>(DType::F32, kRs);
}
TEST(Reduce, RowsBlockPerRowF32) {
  checkRows<kk::BlockReduceRowConfig, float>(DType::F32, {33, 1000, 4097});
}
TEST(Reduce, RowsWarpPerRowF16) {
  checkRows<kk::DefaultReduceRowConfig, __half>(DType::F16, {1, 33, 1000});
}
TEST(Reduce, RowsBlockPerRowBf16) {
  checkRows<kk::BlockReduceRowConfig, __nv_bfloat16>(DType::BF16,
                                                     {2, 127, 4097});
}
TEST(Reduce, ColumnsDefaultF32) {
  checkColumns<kk::DefaultReduceColumnConfig, float>(DType::F32, kRs);
}
TEST(Reduce, ColumnsNoSplitF32) {
  checkColumns<kk::ColumnConfig<64, 1>, float>(DType::F32, kSmallRs);
}
TEST(Reduce, ColumnsNarrowF16) {
  checkColumns<kk::ColumnConfig<8, 16>, __half>(DType::F16, {1, 33, 1000});
}
TEST(Reduce, ColumnsDefaultBf16) {
  checkColumns<kk::DefaultReduceColumnConfig, __nv_bfloat16>(DType::BF16,
                                                             {2, 127});
}

// NaN propagates through max / min (and sum), in one lane or past the
// registers of another; rows without NaN are unaffected.
TEST(Reduce, NaNPropagates) {
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t inner : {1, 5}) {
      HostTensor x = randomTensor(DType::F32, {4, 70, inner}, 5);
      const double nan = std::numeric_limits<double>::quiet_NaN();
      x.set((0 * 70 + 3) * inner, nan);      // row 0, early
      x.set((2 * 70 + 69) * inner + 0, nan); // row 2, last element
      x.set((3 * 70 + 40) * inner + (inner - 1), nan);
      if (inner == 1) {
        checkOp<kk::DefaultReduceRowConfig, kk::ReduceMax, float>(Op::Max, x,
                                                                  raceHunt);
        checkOp<kk::BlockReduceRowConfig, kk::ReduceMin, float>(Op::Min, x,
                                                                raceHunt);
        checkOp<kk::DefaultReduceRowConfig, kk::ReduceSum, float>(Op::Sum, x,
                                                                  raceHunt);
      } else {
        checkOp<kk::DefaultReduceColumnConfig, kk::ReduceMax, float>(Op::Max, x,
                                                                     raceHunt);
        checkOp<kk::DefaultReduceColumnConfig, kk::ReduceMin, float>(Op::Min, x,
                                                                     raceHunt);
      }
    }
  }
}

// R = 0: sum 0, prod 1, mean NaN (0 / 0), as the evaluator.
TEST(Reduce, EmptyReducedDim) {
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t inner : {1, 5}) {
      HostTensor x(DType::F32, {3, 0, inner});
      if (inner == 1) {
        checkOp<kk::DefaultReduceRowConfig, kk::ReduceSum, float>(Op::Sum, x,
                                                                  raceHunt);
        checkOp<kk::BlockReduceRowConfig, kk::ReduceMean, float>(Op::Mean, x,
                                                                 raceHunt);
        checkOp<kk::DefaultReduceRowConfig, kk::ReduceProd, float>(Op::Prod, x,
                                                                   raceHunt);
      } else {
        checkOp<kk::DefaultReduceColumnConfig, kk::ReduceSum, float>(Op::Sum, x,
                                                                     raceHunt);
        checkOp<kk::DefaultReduceColumnConfig, kk::ReduceMean, float>(
            Op::Mean, x, raceHunt);
        checkOp<kk::DefaultReduceColumnConfig, kk::ReduceProd, float>(
            Op::Prod, x, raceHunt);
      }
    }
  }
}

// The L2 norm as kiln spells it, sqrt(reduce_sum(x * x)), with the square
// fused into the loader and the sqrt into the epilogue (rows and columns).
template <typename T> struct SquareLoader {
  const T *data;
  kk::Index ld;
  KILN_DEVICE float operator()(kk::Index row, kk::Index col) const {
    float v = kk::load(data, row * ld + col);
    return v * v;
  }
};
struct SqrtEpilogue {
  KILN_DEVICE float operator()(float v, kk::Index, kk::Index) const {
    return sqrtf(v);
  }
};

TEST(Reduce, FusedL2Norm) {
  for (bool raceHunt : raceHuntModes()) {
    for (int64_t inner : {1, 33}) {
      const int64_t outer = 3, r = 127;
      SCOPED_TRACE("inner " + std::to_string(inner));
      HostTensor x = randomTensor(DType::F32, {outer, r, inner}, 77);
      std::string in = tensorType(x.shape, "f32"),
                  out = tensorType({outer, inner}, "f32");
      std::vector<HostTensor> expected = evaluateReference(
          funcText("%x: " + in, out,
                   "  %0 = kiln.mul %x, %x : " + in +
                       "\n  %1 = kiln.reduce_sum %0 axes = [1] : " + in +
                       " -> " + out + "\n  %2 = kiln.sqrt %1 : " + out + "\n",
                   "%2"),
          {x});
      ASSERT_EQ(expected.size(), 1u);
      std::vector<float> dx = toBuffer<float>(x), dy(outer * inner, -7.0f);
      kk::ReduceParams<float, SquareLoader<float>, SqrtEpilogue> p{};
      p.loader = SquareLoader<float>{dx.data(), inner == 1 ? r : inner};
      p.output = dy.data();
      p.outer = outer;
      p.r = r;
      p.inner = inner;
      kiln::simt::LaunchConfig config;
      config.raceHunt = raceHunt;
      if (inner == 1) {
        using C = kk::DefaultReduceRowConfig;
        config.grid = kk::reduceRowsGrid<C>(p);
        config.block = dim3(C::kThreads);
        ASSERT_TRUE(launchOk(
            config, [&] { kk::reduceRows<C, kk::ReduceSum>(p); }, "l2 rows"));
      } else {
        using C = kk::DefaultReduceColumnConfig;
        config.grid = kk::reduceColumnsGrid<C>(p);
        config.block = dim3(C::kThreads);
        ASSERT_TRUE(launchOk(
            config, [&] { kk::reduceColumns<C, kk::ReduceSum>(p); },
            "l2 columns"));
      }
      // Positive terms: no cancellation, rtol alone (127 additions of
      // 2^-24 relative each, then a sqrt halving it).
      EXPECT_TRUE(allClose(fromBuffer(DType::F32, {outer, inner}, dy),
                           expected[0], 1e-5));
    }
  }
}

// ---- argmax / argmin ----

HostTensor argReference(bool isMax, bool selectLast, const HostTensor &x) {
  const char *e = dtypeName(x.type);
  std::string in = tensorType(x.shape, e),
              out = tensorType({x.shape[0], x.shape[2]}, "i64");
  std::vector<HostTensor> r = evaluateReference(
      singleOpFunc("%x: " + in, out,
                   std::string("kiln.") + (isMax ? "argmax" : "argmin") +
                       " %x axis = 1" +
                       (selectLast ? " select_last_index" : "") + " : " + in +
                       " -> " + out),
      {x});
  EXPECT_EQ(r.size(), 1u);
  return r.empty() ? HostTensor() : r[0];
}

template <class Config, bool kMax, typename T>
void checkArg(const HostTensor &x, bool selectLast, bool raceHunt) {
  const int64_t outer = x.shape[0], r = x.shape[1], inner = x.shape[2];
  SCOPED_TRACE(std::string(kMax ? "argmax" : "argmin") +
               (selectLast ? " last " : " first ") + dtypeName(x.type) + " [" +
               std::to_string(outer) + ", " + std::to_string(r) + ", " +
               std::to_string(inner) + "]" + (raceHunt ? " race-hunt" : ""));
  HostTensor expected = argReference(kMax, selectLast, x);
  std::vector<T> in = toBuffer<T>(x);
  std::vector<long long> out(outer * inner, -7);
  kk::ArgReduceParams<kk::MatrixLoader<T>> p{};
  p.loader = kk::MatrixLoader<T>{in.data(), inner == 1 ? r : inner};
  p.output = out.data();
  p.outer = outer;
  p.r = r;
  p.inner = inner;
  p.selectLast = selectLast;
  kiln::simt::LaunchConfig config =
      launchConfig(dim3(), dim3(Config::kThreads), raceHunt, 5);
  if constexpr (IsRowConfig<Config>::value) {
    EXPECT_TRUE(kk::canUseArgReduceRows<Config>(p));
    config.grid = kk::argReduceRowsGrid<Config>(p);
    ASSERT_TRUE(launchOk(
        config, [&] { kk::argReduceRows<Config, kMax>(p); }, "argRows"));
  } else {
    EXPECT_TRUE(kk::canUseArgReduceColumns<Config>(p));
    config.grid = kk::argReduceColumnsGrid<Config>(p);
    ASSERT_TRUE(launchOk(
        config, [&] { kk::argReduceColumns<Config, kMax>(p); }, "argColumns"));
  }
  EXPECT_TRUE(
      allClose(fromBuffer(DType::I64, {outer, inner}, out), expected, 0.0));
}

/// Integers in [-3, 3] (many ties), with NaNs in some rows when `nans`.
HostTensor tiedInput(DType type, int64_t outer, int64_t r, int64_t inner,
                     uint32_t seed, bool nans) {
  HostTensor x = randomTensor(type, {outer, r, inner}, seed, -3.5, 3.5);
  for (int64_t i = 0; i < x.numel(); ++i)
    x.set(i, std::round(x[i]));
  if (nans && r > 3) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    x.set((0 * r + r / 2) * inner, nan);
    x.set((0 * r + r - 1) * inner, nan);
    x.set(((outer - 1) * r + 1) * inner + (inner - 1), nan);
  }
  return x;
}

template <class Config, typename T>
void checkArgShapes(DType type, std::vector<int64_t> inners) {
  for (bool raceHunt : raceHuntModes())
    for (int64_t inner : inners)
      for (int64_t outer : {1, 3, 17})
        for (int64_t r : {1, 2, 33, 127, 1000}) {
          HostTensor x =
              tiedInput(type, outer, r, inner,
                        static_cast<uint32_t>(outer + r * 3 + inner), r == 33);
          for (bool last : {false, true}) {
            checkArg<Config, true, T>(x, last, raceHunt);
            checkArg<Config, false, T>(x, last, raceHunt);
          }
        }
}

TEST(Reduce, ArgRowsWarpPerRowF32) {
  checkArgShapes<kk::DefaultReduceRowConfig, float>(DType::F32, {1});
}
TEST(Reduce, ArgRowsBlockPerRowF16) {
  checkArgShapes<kk::RowConfig<128, 1, 1>, __half>(DType::F16, {1});
}
TEST(Reduce, ArgColumnsF32) {
  checkArgShapes<kk::DefaultReduceColumnConfig, float>(DType::F32, {5, 33});
}
TEST(Reduce, ArgColumnsNoSplitBf16) {
  checkArgShapes<kk::ColumnConfig<32, 1>, __nv_bfloat16>(DType::BF16, {5});
}

} // namespace
