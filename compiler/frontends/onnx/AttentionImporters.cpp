//===- AttentionImporters.cpp - Attention and RotaryEmbedding (opset 23) --===//
//
// Both ops accept 4-D [B, H, S, D] inputs, which kiln uses directly, or 3-D
// [B, S, H * D] ones with the head count as an attribute, which are split
// into heads (reshape + transpose) and merged back after.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// [B, S, H * D] -> [B, H, S, D].
static FailureOr<Value> splitHeads(ImportContext &ctx, Value x, int64_t heads,
                                   llvm::StringRef what) {
  RankedTensorType type = tensorType(x);
  if (heads < 1)
    return ctx.emitError() << "3-D " << what << " needs a positive head count";
  int64_t hidden = type.getDimSize(2);
  if (ShapedType::isDynamic(hidden) || hidden % heads != 0)
    return ctx.emitError() << what << " hidden size "
                           << formatShape(type.getShape().take_back())
                           << " is not a static multiple of " << heads
                           << " heads";
  KILN_TRY(Value, split,
           ctx.reshape(x, {ShapeEntry::dimOf(x, 0), ShapeEntry::dimOf(x, 1),
                           ShapeEntry::constant(heads),
                           ShapeEntry::constant(hidden / heads)}));
  return ctx.transpose(split, {0, 2, 1, 3});
}

/// [B, H, S, D] -> [B, S, H * D].
static FailureOr<Value> mergeHeads(ImportContext &ctx, Value x) {
  KILN_TRY(Value, moved, ctx.transpose(x, {0, 2, 1, 3}));
  return ctx.reshape(moved,
                     {ShapeEntry::dimOf(moved, 0), ShapeEntry::dimOf(moved, 1),
                      ShapeEntry::dimProduct(moved, 2, 4)});
}

static LogicalResult importAttention(ImportContext &ctx,
                                     const onnx::NodeProto &) {
  KILN_TRY(Value, q, ctx.input(0));
  KILN_TRY(Value, k, ctx.input(1));
  KILN_TRY(Value, v, ctx.input(2));
  Value mask = ctx.optionalInput(3);
  Value pastKey = ctx.optionalInput(4), pastValue = ctx.optionalInput(5);
  if (ctx.hasInput(6))
    return ctx.emitError() << "nonpad_kv_seqlen is not supported";
  if (!pastKey != !pastValue)
    return ctx.emitError() << "past_key and past_value must come together";
  KILN_TRY(int64_t, causal, ctx.getInt("is_causal", 0));
  KILN_TRY(int64_t, qHeads, ctx.getInt("q_num_heads", 0));
  KILN_TRY(int64_t, kvHeads, ctx.getInt("kv_num_heads", 0));
  KILN_TRY(double, softcap, ctx.getFloat("softcap", 0));
  if (softcap != 0)
    return ctx.emitError() << "softcap is not supported";
  if (failed(ctx.rejectOutputsFrom(
          3, "Attention's qk_matmul_output is not supported")))
    return failure();
  int64_t rank = tensorType(q).getRank();
  if (rank != 3 && rank != 4)
    return ctx.emitError() << "Q must be 3-D or 4-D";
  if (tensorType(k).getRank() != rank || tensorType(v).getRank() != rank)
    return ctx.emitError() << "Q, K and V must have the same rank";
  if (rank == 3) {
    KILN_TRY(Value, q4, splitHeads(ctx, q, qHeads, "Q"));
    KILN_TRY(Value, k4, splitHeads(ctx, k, kvHeads, "K"));
    KILN_TRY(Value, v4, splitHeads(ctx, v, kvHeads, "V"));
    q = q4;
    k = k4;
    v = v4;
  }
  // A KV cache: the new keys and values append to the past ones.
  if (pastKey) {
    KILN_TRY(
        Value, keys,
        ctx.create<ConcatOp>(ValueRange{pastKey, k}, static_cast<int64_t>(2)));
    KILN_TRY(Value, values,
             ctx.create<ConcatOp>(ValueRange{pastValue, v},
                                  static_cast<int64_t>(2)));
    k = keys;
    v = values;
  }
  int64_t headSize = tensorType(q).getDimSize(3);
  double scale = 0;
  if (ctx.hasAttr("scale")) {
    KILN_TRY(double, s, ctx.getFloat("scale", 0));
    scale = s;
  } else {
    if (ShapedType::isDynamic(headSize) || headSize < 1)
      return ctx.emitError() << "the default scale needs a static head size";
    scale = 1.0 / std::sqrt(static_cast<double>(headSize));
  }
  // ONNX aligns the causal diagonal with the end of the cache when there is
  // one and at the top-left otherwise.
  CausalAlignment alignment = !causal   ? CausalAlignment::none
                              : pastKey ? CausalAlignment::lower_right
                                        : CausalAlignment::upper_left;
  KILN_TRY(Value, y,
           ctx.create<AttentionOp>(
               q, k, v, mask, ctx.getBuilder().getF64FloatAttr(scale),
               CausalAlignmentAttr::get(ctx.getContext(), alignment)));
  if (rank == 3) {
    KILN_TRY(Value, merged, mergeHeads(ctx, y));
    y = merged;
  }
  if (failed(ctx.setOutput(0, y)))
    return failure();
  if (ctx.hasOutput(1) || ctx.hasOutput(2)) {
    if (!pastKey)
      return ctx.emitError() << "present_key/present_value need past_key and "
                                "past_value";
    if (failed(ctx.setOutput(1, k)) || failed(ctx.setOutput(2, v)))
      return failure();
  }
  return success();
}

static LogicalResult importRotaryEmbedding(ImportContext &ctx,
                                           const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, cos, ctx.input(1));
  KILN_TRY(Value, sin, ctx.input(2));
  Value positions = ctx.optionalInput(3);
  KILN_TRY(int64_t, interleaved, ctx.getInt("interleaved", 0));
  KILN_TRY(int64_t, heads, ctx.getInt("num_heads", 0));
  KILN_TRY(int64_t, rotaryDim, ctx.getInt("rotary_embedding_dim", 0));
  int64_t rank = tensorType(x).getRank();
  if (rank != 3 && rank != 4)
    return ctx.emitError() << "input must be 3-D or 4-D";
  Value input = x;
  if (rank == 3) {
    KILN_TRY(Value, split, splitHeads(ctx, x, heads, "input"));
    input = split;
  }
  // With position_ids the caches are tables indexed by position.
  if (positions) {
    KILN_TRY(Value, cosRows,
             ctx.create<GatherOp>(cos, positions, static_cast<int64_t>(0)));
    KILN_TRY(Value, sinRows,
             ctx.create<GatherOp>(sin, positions, static_cast<int64_t>(0)));
    cos = cosRows;
    sin = sinRows;
  }
  int64_t half = tensorType(cos).getRank() == 3 ? tensorType(cos).getDimSize(2)
                                                : ShapedType::kDynamic;
  if (rotaryDim != 0 && !ShapedType::isDynamic(half) && 2 * half != rotaryDim)
    return ctx.emitError() << "rotary_embedding_dim " << rotaryDim
                           << " does not match the caches' last dim " << half;
  KILN_TRY(Value, rotated,
           ctx.create<RotaryEmbeddingOp>(input, cos, sin, interleaved != 0));
  Value y = rotated;
  if (rank == 3) {
    KILN_TRY(Value, merged, mergeHeads(ctx, rotated));
    y = merged;
  }
  return ctx.setOutput(0, y);
}

void mlir::kiln::onnx_import::registerAttentionImporters(OpRegistry &registry) {
  registry.add("Attention", importAttention, 23);
  registry.add("RotaryEmbedding", importRotaryEmbedding, 23);
}
