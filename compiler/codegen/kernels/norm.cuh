//===- norm.cuh - LayerNorm and RMSNorm over the trailing dims -*- CUDA -*-===//
//
// kiln.layer_norm (with or without bias) and kiln.rms_norm: the input viewed
// as [rows, cols] with cols the product of the dims from `axis` on; `scale`
// and `bias` are vectors of cols elements.
//   layer_norm: y = (x - mean) / sqrt(var + epsilon) * scale (+ bias),
//               var the biased variance;
//   rms_norm:   y = x / sqrt(mean(x^2) + epsilon) * scale.
//
// Tiling: a group of Config::kThreadsPerRow threads per row (RowConfig,
// reduce.cuh: a warp per row for short rows, a block per row for hidden
// sizes in the thousands); the group reduces with xor shuffles, plus shared
// memory across warps. When cols <= Config::kCapacity the row is read once
// into registers (thread t holds columns t + k * kThreadsPerRow, coalesced)
// and every pass runs on the registers; longer rows re-read the loader at
// each pass (three for layer norm, two for rms norm).
//
// Statistics, all in fp32 — the corrected two-pass algorithm (Chan, Golub
// and LeVeque), not Welford and not E[x^2] - E[x]^2:
//   pass 1: m = sum(x) / n, an fp32 mean with an error of a few ulps of
//           |mean|;
//   pass 2: d = x - m, S1 = sum(d), S2 = sum(d^2); the correction
//           c = S1 / n is the part of the mean that m missed, and
//           var = S2 / n - c^2;
//   output: ((x - m) - c) * rsqrt(var + epsilon) * scale + bias.
// Why: for a row with a large mean and a small spread (1000 + noise), an
// fp32 mean is off by ~eps * 1000 = 6e-5, which a plain two-pass algorithm
// carries into every centred value (x - mean) and into var — a relative
// error of 6e-5 / std in the output. Here x - m is exact when x is within a
// factor two of m (Sterbenz) and otherwise rounded relative to the deviation
// itself, and subtracting c removes m's error, so centred values and var
// are accurate to a few ulps of the *deviation*, whatever the mean.
// E[x^2] - E[x]^2 would cancel catastrophically on such rows; Welford (or a
// shifted single pass) is also stable but needs a division per element and
// a three-number merge; on the register path the extra pass is free, and the
// evaluator uses the same two-pass definition in double.
//
// Functors: loader `float operator()(Index row, Index col) const` gives x
// (e.g. x + residual, so a residual add before the norm fuses; called once
// per pass on the streaming path); epilogue `float operator()(float value,
// Index row, Index col) const` on y before the store to output[row * cols +
// col].
//
// Preconditions: cols >= 1, epsilon >= 0, storage float / __half /
// __nv_bfloat16 (scale / bias may have another float type), no alignment
// requirement (canUseNorm).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_KERNELS_NORM_CUH
#define KILN_CODEGEN_KERNELS_NORM_CUH

#include "compiler/codegen/kernels/reduce.cuh"

namespace kiln::kernels {

/// A block of 256 threads per row, rows up to 4096 held in registers.
using DefaultNormConfig = RowConfig<256, 1, 16>;
/// A warp per row, rows up to 512 in registers.
using WarpNormConfig = RowConfig<128, 4, 16>;

template <typename TS, typename TO, typename Loader, typename Epilogue>
struct NormParams {
  Loader loader;   // float(row, col): x, row < rows, col < cols
  const TS *scale; // [cols]
  const TS *bias;  // [cols], or nullptr (layer norm without bias; unused
                   // by rms norm)
  TO *output;      // [rows, cols]
  Index rows, cols;
  float epsilon;
  Epilogue epilogue; // float(float y, Index row, Index col)
};

/// LayerNorm: grid normGrid<Config>(p), block Config::kThreads.
template <class Config, typename TS, typename TO, typename Loader,
          typename Epilogue>
KILN_DEVICE void layerNorm(const NormParams<TS, TO, Loader, Epilogue> &p) {
  KILN_SHARED(float, scratch, [Config::kWarps]);
  constexpr int kGroup = Config::kThreadsPerRow;
  const int lane = threadIdx.x % kGroup;
  const Index row = static_cast<Index>(blockIdx.x) * Config::kRowsPerBlock +
                    threadIdx.x / kGroup;
  const bool valid = row < p.rows;
  const float n = static_cast<float>(p.cols);
  TO *out = p.output + (valid ? row : 0) * p.cols;
  if (p.cols <= Config::kCapacity) {
    float v[Config::kItems];
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < Config::kItems; ++k) {
      const Index col = lane + static_cast<Index>(k) * kGroup;
      v[k] = valid && col < p.cols ? p.loader(row, col) : 0.0f;
      sum += v[k];
    }
    const float mean = groupReduce<kGroup, ReduceSum>(sum, scratch) / n;
    float s1 = 0.0f, s2 = 0.0f;
#pragma unroll
    for (int k = 0; k < Config::kItems; ++k) {
      const Index col = lane + static_cast<Index>(k) * kGroup;
      if (col < p.cols) {
        v[k] -= mean;
        s1 += v[k];
        s2 += v[k] * v[k];
      }
    }
    const float c = groupReduce<kGroup, ReduceSum>(s1, scratch) / n;
    const float var = groupReduce<kGroup, ReduceSum>(s2, scratch) / n - c * c;
    const float rstd = 1.0f / sqrtf(fmaxf(var, 0.0f) + p.epsilon);
    if (valid) {
#pragma unroll
      for (int k = 0; k < Config::kItems; ++k) {
        const Index col = lane + static_cast<Index>(k) * kGroup;
        if (col < p.cols) {
          float y = (v[k] - c) * rstd * load(p.scale, col);
          if (p.bias)
            y += load(p.bias, col);
          store(out, col, p.epilogue(y, row, col));
        }
      }
    }
  } else {
    float sum = 0.0f;
    if (valid)
      for (Index col = lane; col < p.cols; col += kGroup)
        sum += p.loader(row, col);
    const float mean = groupReduce<kGroup, ReduceSum>(sum, scratch) / n;
    float s1 = 0.0f, s2 = 0.0f;
    if (valid)
      for (Index col = lane; col < p.cols; col += kGroup) {
        const float d = p.loader(row, col) - mean;
        s1 += d;
        s2 += d * d;
      }
    const float c = groupReduce<kGroup, ReduceSum>(s1, scratch) / n;
    const float var = groupReduce<kGroup, ReduceSum>(s2, scratch) / n - c * c;
    const float rstd = 1.0f / sqrtf(fmaxf(var, 0.0f) + p.epsilon);
    if (valid)
      for (Index col = lane; col < p.cols; col += kGroup) {
        float y = (p.loader(row, col) - mean - c) * rstd * load(p.scale, col);
        if (p.bias)
          y += load(p.bias, col);
        store(out, col, p.epilogue(y, row, col));
      }
  }
}

/// RMSNorm: grid normGrid<Config>(p), block Config::kThreads (p.bias is
/// ignored).
template <class Config, typename TS, typename TO, typename Loader,
          typename Epilogue>
KILN_DEVICE void rmsNorm(const NormParams<TS, TO, Loader, Epilogue> &p) {
  KILN_SHARED(float, scratch, [Config::kWarps]);
  constexpr int kGroup = Config::kThreadsPerRow;
  const int lane = threadIdx.x % kGroup;
  const Index row = static_cast<Index>(blockIdx.x) * Config::kRowsPerBlock +
                    threadIdx.x / kGroup;
  const bool valid = row < p.rows;
  const float n = static_cast<float>(p.cols);
  TO *out = p.output + (valid ? row : 0) * p.cols;
  if (p.cols <= Config::kCapacity) {
    float v[Config::kItems];
    float sq = 0.0f;
#pragma unroll
    for (int k = 0; k < Config::kItems; ++k) {
      const Index col = lane + static_cast<Index>(k) * kGroup;
      v[k] = valid && col < p.cols ? p.loader(row, col) : 0.0f;
      sq += v[k] * v[k];
    }
    const float ms = groupReduce<kGroup, ReduceSum>(sq, scratch) / n;
    const float rstd = 1.0f / sqrtf(ms + p.epsilon);
    if (valid) {
#pragma unroll
      for (int k = 0; k < Config::kItems; ++k) {
        const Index col = lane + static_cast<Index>(k) * kGroup;
        if (col < p.cols)
          store(out, col,
                p.epilogue(v[k] * rstd * load(p.scale, col), row, col));
      }
    }
  } else {
    float sq = 0.0f;
    if (valid)
      for (Index col = lane; col < p.cols; col += kGroup) {
        const float x = p.loader(row, col);
        sq += x * x;
      }
    const float ms = groupReduce<kGroup, ReduceSum>(sq, scratch) / n;
    const float rstd = 1.0f / sqrtf(ms + p.epsilon);
    if (valid)
      for (Index col = lane; col < p.cols; col += kGroup)
        store(out, col,
              p.epilogue(p.loader(row, col) * rstd * load(p.scale, col), row,
                         col));
  }
}

template <class Config, typename TS, typename TO, typename Loader,
          typename Epilogue>
KILN_HOST_DEVICE dim3 normGrid(const NormParams<TS, TO, Loader, Epilogue> &p) {
  return dim3(static_cast<unsigned>(ceilDiv(p.rows, Config::kRowsPerBlock)));
}

template <class Config, typename TS, typename TO, typename Loader,
          typename Epilogue>
KILN_HOST_DEVICE bool
canUseNorm(const NormParams<TS, TO, Loader, Epilogue> &p) {
  return p.rows >= 1 && p.cols >= 1 && p.epsilon >= 0.0f && p.scale &&
         ceilDiv(p.rows, Config::kRowsPerBlock) <= 0x7fffffff;
}

} // namespace kiln::kernels

#endif // KILN_CODEGEN_KERNELS_NORM_CUH
