//===- AttentionTest.cpp - attention.cuh against kiln.attention -----------===//
//
// Every case runs the flash-attention body (and, with splits, the split-KV
// forward plus attentionCombine) on the simulator in both race-hunting modes
// and compares with the reference evaluator running kiln.attention on the
// same inputs. Shapes are small (the simulator runs each thread as a fiber)
// but cover S, T in {1, 7, 64, 97, 130}, GQA (Hkv 4, 2, 1), every causal
// alignment with S != T, float masks broadcast from [1,1,S,T] and [B,1,1,T],
// an i1 mask, fully masked rows, and several tile configurations.
//
// Tolerances (v is uniform in [-1, 1], so |v| <= 1 and |out| <= 1):
//  - fp32: 1e-5 relative; plus an absolute 1e-6 * max|v| for outputs near 0,
//    which are sums of terms of both signs: each probability carries a few
//    fp32 rounding errors (score, exp, 1/l), i.e. ~1e-7 relative, so the
//    absolute error of sum p_j v_j / l is ~1e-7 * max|v| whatever the sign
//    cancellation; relative error alone cannot bound a cancelled sum.
//  - fp16/bf16: P is rounded to the element type before the P V product
//    (unit roundoff u = 2^-11 / 2^-8) while l sums the unrounded values, so
//    |sum (p~_j - p_j) v_j| / l <= u * max|v| (absolute); the output is then
//    rounded to the element type by both sides, which can differ by one ulp
//    of the output (2u relative). Bound: atol = u * max|v|, rtol = 2u (plus
//    1e-5 for the fp32 arithmetic around them).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/kernels/attention.cuh"

#include "KernelTestSupport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <sstream>

using namespace kiln::test;
namespace kk = kiln::kernels;

namespace {

enum class MaskKind {
  None,
  // Float masks have the query's element type (kiln.attention requires it).
  FloatST,     // [1, 1, S, T], random additive values and some -inf
  PaddingB,    // [B, 1, 1, T]: 0 for kept keys, -inf or -1e9 padding
  BoolBST,     // i1 [B, 1, S, T], random, and row 0 fully false
  FloatRowInf, // [S, T]: row S-1 fully -inf, the rest 0 or random
  FloatBHST,   // [B, Hq, S, T]: random, some -inf (differs per head)
};

struct Problem {
  int batch = 2, queryHeads = 4, kvHeads = 4;
  int64_t queries = 7, keys = 7;
  int causal = kk::kAttentionCausalNone;
  MaskKind mask = MaskKind::None;
  int splits = 1;
  uint32_t seed = 1;
  bool packGqa = false;
  // q, k, v and out stored [B, S|T, H, D] with 8 elements of (NaN) padding
  // after each sequence position: strided Params instead of contiguous.
  bool strided = false;
};

/// A [B, H, L, D] tensor's buffer in the strided layout above (`stride`
/// gets its (b, h, s) strides); or contiguous when !strided.
template <typename T>
std::vector<T> layoutBuffer(const HostTensor &t, bool strided,
                            kk::Index stride[3]) {
  if (!strided)
    return toBuffer<T>(t);
  const int64_t B = t.shape[0], H = t.shape[1], L = t.shape[2], D = t.shape[3],
                pitch = H * D + 8;
  stride[0] = L * pitch;
  stride[1] = D;
  stride[2] = pitch;
  std::vector<T> flat = toBuffer<T>(t);
  std::vector<T> out(B * L * pitch, T(std::numeric_limits<float>::quiet_NaN()));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t l = 0; l < L; ++l)
        for (int64_t d = 0; d < D; ++d)
          out[b * stride[0] + h * D + l * pitch + d] =
              flat[((b * H + h) * L + l) * D + d];
  return out;
}

/// The logical [B, H, L, D] values of a layoutBuffer-shaped buffer.
template <typename T>
std::vector<T> logicalBuffer(const std::vector<T> &buf, bool strided,
                             const std::vector<int64_t> &shape) {
  if (!strided)
    return buf;
  const int64_t B = shape[0], H = shape[1], L = shape[2], D = shape[3],
                pitch = H * D + 8;
  std::vector<T> out(B * H * L * D);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t l = 0; l < L; ++l)
        for (int64_t d = 0; d < D; ++d)
          out[((b * H + h) * L + l) * D + d] =
              buf[b * L * pitch + h * D + l * pitch + d];
  return out;
}

std::string describe(const Problem &pb, int headDim) {
  std::ostringstream os;
  os << "B" << pb.batch << " Hq" << pb.queryHeads << " Hkv" << pb.kvHeads
     << " S" << pb.queries << " T" << pb.keys << " D" << headDim << " causal"
     << pb.causal << " mask" << static_cast<int>(pb.mask) << " splits"
     << pb.splits << (pb.packGqa ? " packGqa" : "")
     << (pb.strided ? " strided" : "");
  return os.str();
}

const char *causalName(int causal) {
  return causal == kk::kAttentionCausalUpperLeft    ? "upper_left"
         : causal == kk::kAttentionCausalLowerRight ? "lower_right"
                                                    : "none";
}

HostTensor makeMask(const Problem &pb, DType floatType,
                    std::vector<int64_t> &shape) {
  const double inf = std::numeric_limits<double>::infinity();
  std::mt19937 rng(pb.seed * 31 + 5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int64_t S = pb.queries, T = pb.keys, B = pb.batch;
  switch (pb.mask) {
  case MaskKind::FloatST: {
    shape = {1, 1, S, T};
    HostTensor m(floatType, shape);
    for (int64_t i = 0; i < m.numel(); ++i) {
      double u = unit(rng);
      m.set(i, u < 0.15 ? -inf : 4.0 * u - 2.0);
    }
    return m;
  }
  case MaskKind::PaddingB: {
    shape = {B, 1, 1, T};
    HostTensor m(floatType, shape);
    // Batch b keeps its first T - 3(b + 1) keys (at least one); batch 0
    // pads with -1e9 (HF style), the others with -inf. (Every row must see
    // a kept key: a row seeing only -1e9 keys is uniform in fp32 scores but
    // not in the evaluator's double ones.)
    for (int64_t b = 0; b < B; ++b) {
      int64_t kept = std::max<int64_t>(1, T - 3 * (b + 1));
      for (int64_t j = 0; j < T; ++j)
        m.set(b * T + j, j < kept ? 0.0 : (b == 0 ? -1e9 : -inf));
    }
    return m;
  }
  case MaskKind::BoolBST: {
    shape = {B, 1, S, T};
    HostTensor m(DType::I1, shape);
    for (int64_t i = 0; i < m.numel(); ++i) {
      int64_t s = (i / T) % S;
      m.set(i, s == 0 ? 0.0 : (unit(rng) < 0.7 ? 1.0 : 0.0));
    }
    return m;
  }
  case MaskKind::FloatRowInf: {
    shape = {S, T};
    HostTensor m(floatType, shape);
    for (int64_t i = 0; i < m.numel(); ++i)
      m.set(i, i / T == S - 1 ? -inf : (unit(rng) < 0.5 ? 0.0 : unit(rng)));
    return m;
  }
  case MaskKind::FloatBHST: {
    shape = {B, pb.queryHeads, S, T};
    HostTensor m(floatType, shape);
    for (int64_t i = 0; i < m.numel(); ++i) {
      double u = unit(rng);
      m.set(i, u < 0.2 ? -inf : 6.0 * u - 3.0);
    }
    return m;
  }
  case MaskKind::None:
    break;
  }
  return HostTensor();
}

/// Element strides of `shape` broadcast (right-aligned) to 4 dimensions.
void maskStrides(const std::vector<int64_t> &shape, kk::Index out[4]) {
  int64_t stride = 1;
  for (int d = 3; d >= 0; --d) {
    int md = d - (4 - static_cast<int>(shape.size()));
    if (md < 0 || shape[md] == 1) {
      out[d] = 0;
    } else {
      out[d] = stride;
    }
    if (md >= 0)
      stride *= shape[md];
  }
}

/// Tolerance for storage type T (see the file comment); max|v| = 1.
template <typename T> void tolerance(double &rtol, double &atol) {
  if constexpr (std::is_same_v<T, float>) {
    rtol = 1e-5;
    atol = 1e-6;
  } else {
    double u =
        std::is_same_v<T, __half> ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
    rtol = 2 * u + 1e-5;
    atol = u;
  }
}

struct Reference {
  HostTensor q, k, v, mask, out;
  std::vector<int64_t> maskShape;
};

Reference reference(const Problem &pb, DType type, int headDim, float scale) {
  Reference r;
  const int64_t B = pb.batch, Hq = pb.queryHeads, Hkv = pb.kvHeads,
                S = pb.queries, T = pb.keys, D = headDim;
  r.q = randomTensor(type, {B, Hq, S, D}, pb.seed, -3.0, 3.0);
  r.k = randomTensor(type, {B, Hkv, T, D}, pb.seed + 1000);
  r.v = randomTensor(type, {B, Hkv, T, D}, pb.seed + 2000);
  std::vector<HostTensor> inputs = {r.q, r.k, r.v};
  std::string qt = tensorType(r.q.shape, type),
              kt = tensorType(r.k.shape, type), vt = kt;
  std::string sig = "func.func @f(%q: " + qt + ", %k: " + kt + ", %v: " + vt;
  std::string maskUse;
  if (pb.mask != MaskKind::None) {
    r.mask = makeMask(pb, type, r.maskShape);
    std::string mt = tensorType(r.maskShape, r.mask.type);
    sig += ", %m: " + mt;
    maskUse = " mask(%m : " + mt + ")";
    inputs.push_back(r.mask);
  }
  char scaleText[64];
  std::snprintf(scaleText, sizeof(scaleText), "%.9e", scale);
  std::string text =
      sig + ") -> " + qt + " {\n  %o = kiln.attention %q, %k, %v" + maskUse +
      " scale = " + scaleText + " causal = " + causalName(pb.causal) + " : " +
      qt + ", " + kt + ", " + vt + " -> " + qt + "\n  return %o : " + qt +
      "\n}\n";
  std::vector<HostTensor> out = evaluateReference(text, inputs);
  if (!out.empty())
    r.out = out[0];
  return r;
}

/// Runs `Config` (and the combine step when pb.splits > 1) in both modes and
/// compares with the evaluator. `epi` and `refEpi` apply the same epilogue.
template <typename Config, typename T, typename MaskT = T,
          typename Epilogue = kk::IdentityEpilogue>
void check(const Problem &pb, Epilogue epi = Epilogue(),
           double (*refEpi)(double, int64_t, int64_t) = nullptr) {
  constexpr int D = Config::kHeadDim;
  constexpr DType type = dtypeOf<T>();
  SCOPED_TRACE(describe(pb, D) + " " + dtypeName(type));
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  ASSERT_EQ(pb.mask == MaskKind::BoolBST, (std::is_same_v<MaskT, bool>))
      << "an i1 mask needs MaskT = bool, a float mask the query's type";
  Reference ref = reference(pb, type, D, scale);
  ASSERT_FALSE(ref.out.values.empty());
  if (refEpi)
    for (int64_t i = 0; i < ref.out.numel(); ++i)
      ref.out.set(i, refEpi(ref.out[i], i / D, i % D));
  double rtol, atol;
  tolerance<T>(rtol, atol);

  kk::Index qStride[3] = {0, 0, 0}, kStride[3] = {0, 0, 0},
            vStride[3] = {0, 0, 0}, outStride[3] = {0, 0, 0};
  std::vector<T> q = layoutBuffer<T>(ref.q, pb.strided, qStride),
                 k = layoutBuffer<T>(ref.k, pb.strided, kStride),
                 v = layoutBuffer<T>(ref.v, pb.strided, vStride);
  const std::vector<T> outInit =
      layoutBuffer<T>(HostTensor(type, ref.out.shape), pb.strided, outStride);
  // (std::vector<bool> has no data(): copy into a plain array.)
  std::unique_ptr<MaskT[]> mask;
  if (pb.mask != MaskKind::None) {
    std::vector<MaskT> m = toBuffer<MaskT>(ref.mask);
    mask.reset(new MaskT[m.size()]);
    for (size_t i = 0; i < m.size(); ++i)
      mask[i] = m[i];
  }
  const int64_t rows = int64_t(pb.batch) * pb.queryHeads * pb.queries;

  for (bool raceHunt : raceHuntModes()) {
    SCOPED_TRACE(raceHunt ? "race hunting" : "plain");
    // NaN everywhere: an element the kernel does not write fails the test.
    std::vector<T> out(outInit.size(),
                       T(std::numeric_limits<float>::quiet_NaN()));
    kk::AttentionParams<T, MaskT> p;
    p.q = q.data();
    p.k = k.data();
    p.v = v.data();
    p.out = out.data();
    if (mask) {
      p.mask = mask.get();
      maskStrides(ref.maskShape, p.maskStride);
    }
    p.batch = pb.batch;
    p.queryHeads = pb.queryHeads;
    p.kvHeads = pb.kvHeads;
    p.queries = pb.queries;
    p.keys = pb.keys;
    p.scale = scale;
    p.causal = pb.causal;
    p.numSplits = pb.splits;
    p.packGqa = pb.packGqa;
    for (int i = 0; i < 3; ++i) {
      p.qStride[i] = qStride[i];
      p.kStride[i] = kStride[i];
      p.vStride[i] = vStride[i];
      p.outStride[i] = outStride[i];
    }
    std::vector<float> workspace(kk::attentionWorkspaceBytes<Config>(p) /
                                     sizeof(float),
                                 std::numeric_limits<float>::quiet_NaN());
    p.workspace = workspace.empty() ? nullptr : workspace.data();
    ASSERT_TRUE((kk::canUseAttention<Config>(p)));

    kiln::simt::LaunchConfig config =
        launchConfig(kk::attentionGrid<Config>(p), dim3(Config::kThreads),
                     raceHunt, pb.seed);
    config.dynamicSharedBytes = kk::attentionSharedBytes<Config, T>();
    ASSERT_TRUE(launchOk(
        config, [&] { kk::attentionForward<Config>(p, epi); },
        "attentionForward"));
    if (pb.splits > 1) {
      kk::AttentionCombineParams<T> c;
      c.workspace = workspace.data();
      c.out = out.data();
      c.rows = rows;
      c.headDim = D;
      c.numSplits = pb.splits;
      for (int i = 0; i < 3; ++i)
        c.outStride[i] = outStride[i];
      c.queryHeads = pb.queryHeads;
      c.queries = pb.queries;
      kiln::simt::LaunchConfig combine;
      combine.grid = kk::attentionCombineGrid(rows, D);
      combine.block = dim3(kk::kAttentionCombineThreads);
      combine.barrierFree = true;
      ASSERT_TRUE(launchOk(
          combine, [&] { kk::attentionCombine(c, epi); }, "attentionCombine"));
    }
    EXPECT_TRUE(
        allClose(fromBuffer(type, ref.out.shape,
                            logicalBuffer(out, pb.strided, ref.out.shape)),
                 ref.out, rtol, atol));
  }
}

Problem problem(int64_t S, int64_t T, int kvHeads, int causal,
                MaskKind mask = MaskKind::None, int splits = 1,
                uint32_t seed = 1) {
  Problem pb;
  pb.queries = S;
  pb.keys = T;
  pb.kvHeads = kvHeads;
  pb.causal = causal;
  pb.mask = mask;
  pb.splits = splits;
  pb.seed = seed;
  return pb;
}

constexpr int kNone = kk::kAttentionCausalNone;
constexpr int kUpper = kk::kAttentionCausalUpperLeft;
constexpr int kLower = kk::kAttentionCausalLowerRight;

// ---- Tensor cores: fp16 / bf16 ----

TEST(Attention, TcF16Head64Default) {
  using C = kk::DefaultAttentionConfig<__half, 64>;
  check<C, __half>(problem(1, 1, 4, kNone));
  check<C, __half>(problem(7, 130, 2, kNone, MaskKind::None, 1, 2));
  check<C, __half>(problem(97, 64, 1, kUpper, MaskKind::None, 1, 3));
  check<C, __half>(problem(64, 130, 4, kLower, MaskKind::None, 1, 4));
  check<C, __half>(problem(130, 97, 2, kLower, MaskKind::None, 1, 5));
}

TEST(Attention, TcBf16Head128Default) {
  using C = kk::DefaultAttentionConfig<__nv_bfloat16, 128>;
  check<C, __nv_bfloat16>(problem(1, 7, 1, kNone));
  check<C, __nv_bfloat16>(problem(97, 130, 4, kUpper, MaskKind::None, 1, 6));
  check<C, __nv_bfloat16>(problem(7, 97, 2, kLower, MaskKind::None, 1, 7));
}

TEST(Attention, TcF16Head128AndBf16Head64) {
  check<kk::DefaultAttentionConfig<__half, 128>, __half>(
      problem(130, 64, 2, kUpper, MaskKind::None, 1, 8));
  check<kk::DefaultAttentionConfig<__nv_bfloat16, 64>, __nv_bfloat16>(
      problem(64, 97, 1, kNone, MaskKind::None, 1, 9));
}

// Non-default tiles: 2 warps x 16-key tiles, 1 warp x 64-key tiles, 4 warps
// x 64-key tiles at D = 128.
TEST(Attention, TcOtherTiles) {
  check<kk::AttentionTcConfig<64, 32, 16>, __half>(
      problem(97, 130, 2, kLower, MaskKind::FloatST, 1, 10));
  check<kk::AttentionTcConfig<128, 16, 64>, __nv_bfloat16>(
      problem(7, 130, 1, kUpper, MaskKind::None, 1, 11));
  check<kk::AttentionTcConfig<128, 64, 64>, __half, bool>(
      problem(130, 97, 4, kNone, MaskKind::BoolBST, 1, 12));
}

TEST(Attention, TcMasks) {
  using C = kk::DefaultAttentionConfig<__half, 64>;
  check<C, __half>(problem(7, 97, 2, kNone, MaskKind::FloatST, 1, 13));
  check<C, __half>(problem(64, 130, 4, kNone, MaskKind::PaddingB, 1, 14));
  check<C, __half, bool>(problem(97, 64, 1, kUpper, MaskKind::BoolBST, 1, 15));
  check<C, __half>(problem(7, 64, 2, kLower, MaskKind::FloatRowInf, 1, 16));
  using B = kk::DefaultAttentionConfig<__nv_bfloat16, 128>;
  check<B, __nv_bfloat16, bool>(
      problem(7, 130, 4, kLower, MaskKind::BoolBST, 1, 17));
  check<B, __nv_bfloat16>(problem(1, 97, 1, kNone, MaskKind::PaddingB, 1, 18));
}

// lower_right with S > T: the first S - T query rows see no key (zeros).
TEST(Attention, TcCausalRowsWithoutKeys) {
  check<kk::DefaultAttentionConfig<__half, 64>, __half>(
      problem(97, 7, 2, kLower, MaskKind::None, 1, 19));
  check<kk::DefaultAttentionConfig<__nv_bfloat16, 128>, __nv_bfloat16>(
      problem(130, 1, 1, kLower, MaskKind::None, 1, 20));
}

// Every (S, T) in {1, 7, 64, 97, 130}^2; `allCausal`: with every causal
// alignment, otherwise the alignment cycles with the pair. Hkv cycles through
// 4, 2, 1 (GQA groups of 1, 2, 4).
template <typename Config, typename Elem>
void sweepShapes(uint32_t seed, bool allCausal) {
  const int64_t sizes[] = {1, 7, 64, 97, 130};
  const int kvHeads[] = {4, 2, 1};
  int n = 0;
  for (int64_t S : sizes)
    for (int64_t T : sizes)
      for (int causal : {kNone, kUpper, kLower}) {
        if (!allCausal && causal != (S * 5 + T) % 3)
          continue;
        check<Config, Elem>(
            problem(S, T, kvHeads[n % 3], causal, MaskKind::None, 1, seed + n));
        ++n;
      }
}

TEST(Attention, SweepF16Head64) {
  sweepShapes<kk::DefaultAttentionConfig<__half, 64>, __half>(100, true);
}
TEST(Attention, SweepBf16Head128) {
  sweepShapes<kk::DefaultAttentionConfig<__nv_bfloat16, 128>, __nv_bfloat16>(
      200, false);
}
TEST(Attention, SweepF32Head64) {
  sweepShapes<kk::DefaultAttentionConfig<float, 64>, float>(300, false);
}
TEST(Attention, SweepF32Head128) {
  sweepShapes<kk::DefaultAttentionConfig<float, 128>, float>(400, false);
}

// ---- SIMT: fp32 ----

TEST(Attention, SimtF32Head64Default) {
  using C = kk::DefaultAttentionConfig<float, 64>;
  check<C, float>(problem(1, 1, 4, kNone));
  check<C, float>(problem(7, 130, 2, kNone, MaskKind::None, 1, 21));
  check<C, float>(problem(97, 64, 1, kUpper, MaskKind::None, 1, 22));
  check<C, float>(problem(130, 97, 4, kLower, MaskKind::None, 1, 23));
  check<C, float>(problem(97, 7, 2, kLower, MaskKind::None, 1, 24));
}

TEST(Attention, SimtF32Head128Default) {
  using C = kk::DefaultAttentionConfig<float, 128>;
  check<C, float>(problem(64, 97, 2, kUpper, MaskKind::None, 1, 25));
  check<C, float>(problem(7, 130, 1, kLower, MaskKind::None, 1, 26));
}

TEST(Attention, SimtF32Masks) {
  using C = kk::DefaultAttentionConfig<float, 64>;
  check<C, float>(problem(7, 97, 2, kNone, MaskKind::FloatST, 1, 27));
  check<C, float>(problem(64, 130, 4, kUpper, MaskKind::PaddingB, 1, 28));
  check<C, float, bool>(problem(97, 64, 1, kNone, MaskKind::BoolBST, 1, 29));
  check<C, float>(problem(7, 7, 2, kLower, MaskKind::FloatRowInf, 1, 30));
}

// Non-default SIMT tiles: 2 warps of 4 rows; 4 warps of 1 row at D = 128.
TEST(Attention, SimtOtherTiles) {
  check<kk::AttentionSimtConfig<64, 8, 2>, float>(
      problem(97, 130, 2, kLower, MaskKind::FloatST, 1, 31));
  check<kk::AttentionSimtConfig<128, 4, 4>, float, bool>(
      problem(7, 97, 4, kUpper, MaskKind::BoolBST, 1, 32));
  // 16-bit storage through the SIMT body (P stays fp32 there, so the
  // fp16 bound holds with room).
  check<kk::AttentionSimtConfig<64, 8, 2>, __half>(
      problem(33, 97, 1, kLower, MaskKind::FloatST, 1, 60));
  check<kk::AttentionSimtConfig<128, 4, 1>, __nv_bfloat16>(
      problem(5, 64, 2, kUpper, MaskKind::None, 3, 61));
}

// A fused epilogue: out * 2 + col / 64 (fp32, applied after normalisation).
struct TestEpilogue {
  KILN_DEVICE float operator()(float value, kk::Index, kk::Index col) const {
    return value * 2.0f + static_cast<float>(col) / 64.0f;
  }
};
double testEpilogueRef(double value, int64_t, int64_t col) {
  return value * 2.0 + static_cast<double>(col) / 64.0;
}

TEST(Attention, Epilogue) {
  check<kk::DefaultAttentionConfig<float, 64>, float>(
      problem(7, 97, 2, kLower, MaskKind::None, 1, 33), TestEpilogue(),
      testEpilogueRef);
  // The combine kernel applies it with splits.
  check<kk::DefaultAttentionDecodeConfig<float, 64>, float>(
      problem(1, 97, 2, kNone, MaskKind::None, 3, 34), TestEpilogue(),
      testEpilogueRef);
}

// ---- Split-KV decode ----

TEST(Attention, SplitKvF16) {
  using C = kk::DefaultAttentionDecodeConfig<__half, 64>;
  check<C, __half>(problem(1, 130, 2, kNone, MaskKind::None, 1, 35));
  check<C, __half>(problem(1, 130, 1, kNone, MaskKind::PaddingB, 3, 36));
  check<C, __half>(problem(1, 1, 4, kLower, MaskKind::None, 4, 37));
  check<C, __half>(problem(3, 97, 2, kLower, MaskKind::None, 4, 38));
  using D = kk::DefaultAttentionDecodeConfig<__half, 128>;
  check<D, __half>(problem(1, 97, 1, kNone, MaskKind::None, 3, 39));
}

TEST(Attention, SplitKvBf16) {
  using C = kk::DefaultAttentionDecodeConfig<__nv_bfloat16, 128>;
  check<C, __nv_bfloat16>(problem(1, 130, 4, kNone, MaskKind::None, 4, 40));
  check<C, __nv_bfloat16, bool>(
      problem(2, 97, 2, kLower, MaskKind::BoolBST, 3, 41));
}

TEST(Attention, SplitKvF32) {
  using C = kk::DefaultAttentionDecodeConfig<float, 64>;
  check<C, float>(problem(1, 130, 2, kNone, MaskKind::None, 1, 42));
  check<C, float>(problem(1, 97, 1, kLower, MaskKind::PaddingB, 3, 43));
  check<C, float>(problem(1, 1, 4, kNone, MaskKind::None, 4, 44));
  // More splits than key tiles: the extra splits are empty (m = -inf).
  check<C, float>(problem(2, 33, 2, kUpper, MaskKind::FloatRowInf, 4, 45));
  check<kk::DefaultAttentionDecodeConfig<float, 128>, float>(
      problem(1, 130, 4, kNone, MaskKind::None, 4, 46));
  // The forward configuration with splits too.
  check<kk::DefaultAttentionConfig<float, 64>, float>(
      problem(7, 130, 2, kLower, MaskKind::None, 3, 47));
}

Problem packed(Problem pb) {
  pb.packGqa = true;
  return pb;
}

// GQA packing: the rows of the query heads sharing a kv head form one slice
// (a block may span several heads; masks and causality stay per head).
TEST(Attention, PackGqa) {
  using F16 = kk::DefaultAttentionDecodeConfig<__half, 64>;
  check<F16, __half>(packed(problem(1, 130, 1, kNone, MaskKind::None, 3, 50)));
  check<F16, __half>(
      packed(problem(3, 97, 2, kLower, MaskKind::FloatBHST, 4, 51)));
  check<F16, __half, bool>(
      packed(problem(5, 64, 1, kUpper, MaskKind::BoolBST, 1, 52)));
  using Bf16 = kk::DefaultAttentionConfig<__nv_bfloat16, 128>;
  check<Bf16, __nv_bfloat16>(
      packed(problem(97, 130, 2, kLower, MaskKind::None, 1, 53)));
  check<Bf16, __nv_bfloat16>(
      packed(problem(7, 7, 1, kUpper, MaskKind::FloatBHST, 3, 54)));
  using F32 = kk::DefaultAttentionDecodeConfig<float, 128>;
  check<F32, float>(
      packed(problem(1, 97, 2, kNone, MaskKind::PaddingB, 4, 55)));
  check<kk::DefaultAttentionConfig<float, 64>, float>(
      packed(problem(7, 130, 1, kLower, MaskKind::FloatBHST, 1, 56)));
  check<kk::AttentionSimtConfig<64, 8, 2>, float, bool>(
      packed(problem(3, 33, 2, kUpper, MaskKind::BoolBST, 3, 57)));
}

// A float mask with a different value per head (h stride != 0).
TEST(Attention, PerHeadMask) {
  check<kk::DefaultAttentionConfig<__half, 128>, __half>(
      problem(7, 97, 2, kUpper, MaskKind::FloatBHST, 1, 58));
  check<kk::DefaultAttentionConfig<float, 128>, float>(
      problem(64, 33, 1, kNone, MaskKind::FloatBHST, 1, 59));
}

Problem strided(Problem pb) {
  pb.strided = true;
  return pb;
}

// q, k, v, out as [B, S|T, H, D] with padded rows (the transposes around
// attention fused away), through every body, packing and split-KV.
TEST(Attention, Strided) {
  check<kk::DefaultAttentionConfig<__half, 64>, __half>(
      strided(problem(97, 130, 2, kLower, MaskKind::FloatST, 1, 70)));
  check<kk::DefaultAttentionConfig<__nv_bfloat16, 128>, __nv_bfloat16>(
      strided(packed(problem(7, 64, 1, kUpper, MaskKind::None, 3, 71))));
  check<kk::DefaultAttentionConfig<float, 64>, float>(
      strided(problem(64, 97, 4, kNone, MaskKind::PaddingB, 1, 72)));
  check<kk::DefaultAttentionDecodeConfig<float, 128>, float, bool>(
      strided(packed(problem(1, 130, 2, kLower, MaskKind::BoolBST, 4, 73))));
}

TEST(Attention, HostHelpers) {
  kk::AttentionParams<__half> p;
  p.batch = 2;
  p.queryHeads = 8;
  p.kvHeads = 2;
  p.queries = 1;
  p.keys = 1000;
  using C = kk::DefaultAttentionDecodeConfig<__half, 128>;
  // 16 base blocks, 32 key tiles: 8 splits reach 128 blocks.
  EXPECT_EQ((kk::attentionSplitsFor<C>(p, 128)), 8);
  EXPECT_EQ((kk::attentionSplitsFor<C>(p, 100000)), 32);
  p.packGqa = 1; // 4 base blocks (one per (batch, kv head))
  EXPECT_EQ((kk::attentionSplitsFor<C>(p, 128)), 32);
  dim3 packedGrid = kk::attentionGrid<C>(p);
  EXPECT_EQ(packedGrid.x, 1u); // 4 rows of the group in one 16-row tile
  EXPECT_EQ(packedGrid.y, 2u);
  p.packGqa = 0;
  p.keys = 20;
  EXPECT_EQ((kk::attentionSplitsFor<C>(p, 128)), 1);
  p.numSplits = 8;
  EXPECT_EQ((kk::attentionWorkspaceBytes<C>(p)), 4 * 8 * 16 * (128 + 2));
  dim3 grid = kk::attentionGrid<C>(p);
  EXPECT_EQ(grid.x, 1u);
  EXPECT_EQ(grid.y, 8u);
  EXPECT_EQ(grid.z, 16u);
  EXPECT_FALSE((kk::canUseAttention<C>(p))); // no workspace
  std::vector<float> ws(16);
  std::vector<__half> buf(64);
  p.workspace = ws.data();
  p.q = p.k = p.v = buf.data();
  EXPECT_TRUE((kk::canUseAttention<C>(p)));
  p.k = buf.data() + 1; // not 16-byte aligned: no cp.async
  EXPECT_FALSE((kk::canUseAttention<C>(p)));
  p.k = buf.data();
  p.vStride[0] = 1000; // a row start off 16 bytes
  p.vStride[1] = 124;
  p.vStride[2] = 4;
  EXPECT_FALSE((kk::canUseAttention<C>(p)));
  p.vStride[2] = 8;
  p.vStride[1] = 128;
  p.vStride[0] = 1024;
  EXPECT_TRUE((kk::canUseAttention<C>(p)));
  p.kvHeads = 3; // 8 % 3
  EXPECT_FALSE((kk::canUseAttention<C>(p)));
  EXPECT_EQ((kk::attentionSharedBytes<kk::DefaultAttentionConfig<__half, 128>,
                                      __half>()),
            48 * 1024);
  EXPECT_LE((kk::attentionSharedBytes<kk::DefaultAttentionConfig<float, 128>,
                                      float>()),
            48 * 1024);
}

} // namespace
