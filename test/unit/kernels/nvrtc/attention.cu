// attention.cuh under NVRTC: the default forward configurations (fp16, bf16,
// fp32; head dims 64 and 128; float mask, and an i1 mask at D = 128), the
// default split-KV decode configurations and the combine kernel.
#include "compiler/codegen/kernels/attention.cuh"

using namespace kiln::kernels;

using FwdF16D64 = DefaultAttentionConfig<__half, 64>;
using FwdF16D128 = DefaultAttentionConfig<__half, 128>;
using FwdBf16D64 = DefaultAttentionConfig<__nv_bfloat16, 64>;
using FwdBf16D128 = DefaultAttentionConfig<__nv_bfloat16, 128>;
using FwdF32D64 = DefaultAttentionConfig<float, 64>;
using FwdF32D128 = DefaultAttentionConfig<float, 128>;
using DecF16D64 = DefaultAttentionDecodeConfig<__half, 64>;
using DecF16D128 = DefaultAttentionDecodeConfig<__half, 128>;
using DecBf16D64 = DefaultAttentionDecodeConfig<__nv_bfloat16, 64>;
using DecBf16D128 = DefaultAttentionDecodeConfig<__nv_bfloat16, 128>;
using DecF32D64 = DefaultAttentionDecodeConfig<float, 64>;
using DecF32D128 = DefaultAttentionDecodeConfig<float, 128>;

#define KILN_ATTENTION_FORWARD(Name, Config, T, MaskT)                         \
  extern "C" __global__ void __launch_bounds__(Config::kThreads)               \
      Name(AttentionParams<T, MaskT> p) {                                      \
    attentionForward<Config>(p);                                               \
  }

KILN_ATTENTION_FORWARD(kiln_attention_f16_d64, FwdF16D64, __half, float)
KILN_ATTENTION_FORWARD(kiln_attention_f16_d128, FwdF16D128, __half, float)
KILN_ATTENTION_FORWARD(kiln_attention_f16_d128_i1, FwdF16D128, __half, bool)
KILN_ATTENTION_FORWARD(kiln_attention_bf16_d64, FwdBf16D64, __nv_bfloat16,
                       float)
KILN_ATTENTION_FORWARD(kiln_attention_bf16_d128, FwdBf16D128, __nv_bfloat16,
                       float)
KILN_ATTENTION_FORWARD(kiln_attention_f32_d64, FwdF32D64, float, float)
KILN_ATTENTION_FORWARD(kiln_attention_f32_d128, FwdF32D128, float, float)
KILN_ATTENTION_FORWARD(kiln_attention_f32_d128_i1, FwdF32D128, float, bool)

KILN_ATTENTION_FORWARD(kiln_attention_decode_f16_d64, DecF16D64, __half, float)
KILN_ATTENTION_FORWARD(kiln_attention_decode_f16_d128, DecF16D128, __half,
                       float)
KILN_ATTENTION_FORWARD(kiln_attention_decode_bf16_d64, DecBf16D64,
                       __nv_bfloat16, float)
KILN_ATTENTION_FORWARD(kiln_attention_decode_bf16_d128, DecBf16D128,
                       __nv_bfloat16, float)
KILN_ATTENTION_FORWARD(kiln_attention_decode_f32_d64, DecF32D64, float, float)
KILN_ATTENTION_FORWARD(kiln_attention_decode_f32_d128, DecF32D128, float, float)

#define KILN_ATTENTION_COMBINE(Name, T)                                        \
  extern "C" __global__ void __launch_bounds__(kAttentionCombineThreads)       \
      Name(AttentionCombineParams<T> p) {                                      \
    attentionCombine(p);                                                       \
  }

KILN_ATTENTION_COMBINE(kiln_attention_combine_f16, __half)
KILN_ATTENTION_COMBINE(kiln_attention_combine_bf16, __nv_bfloat16)
KILN_ATTENTION_COMBINE(kiln_attention_combine_f32, float)
