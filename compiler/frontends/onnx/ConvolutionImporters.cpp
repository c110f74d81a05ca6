//===- ConvolutionImporters.cpp - Conv, ConvTranspose, pooling ------------===//
//
// kiln's convolutions and pools are 2-D; the 1-D forms are lifted to 2-D by
// inserting a unit H dim ([N, C, L] -> [N, C, 1, L]) and removing it after.
// auto_pad is resolved to explicit pads here, which needs static spatial
// dims.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {
/// The window attributes shared by Conv, ConvTranspose and the pools, for
/// `spatial` dims, in ONNX's layout (pads: all begins, then all ends).
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
  std::string autoPad;
};
} // namespace

static FailureOr<Window> readWindow(ImportContext &ctx, int64_t spatial,
                                    ArrayRef<int64_t> kernelFromFilter) {
  Window w;
  KILN_TRY(SmallVector<int64_t>, kernel,
           ctx.getInts("kernel_shape", kernelFromFilter));
  KILN_TRY(SmallVector<int64_t>, strides,
           ctx.getInts("strides", SmallVector<int64_t>(spatial, 1)));
  KILN_TRY(SmallVector<int64_t>, dilations,
           ctx.getInts("dilations", SmallVector<int64_t>(spatial, 1)));
  KILN_TRY(SmallVector<int64_t>, pads,
           ctx.getInts("pads", SmallVector<int64_t>(2 * spatial, 0)));
  KILN_TRY(std::string, autoPad, ctx.getString("auto_pad", "NOTSET"));
  if (static_cast<int64_t>(kernel.size()) != spatial ||
      static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return ctx.emitError() << "kernel_shape, strides, dilations and pads must "
                              "have one entry per spatial dim ("
                           << spatial << "; pads two)";
  for (int64_t i = 0; i < spatial; ++i)
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1)
      return ctx.emitError()
             << "kernel sizes, strides and dilations must be positive";
  w.kernel = kernel;
  w.strides = strides;
  w.dilations = dilations;
  w.pads = pads;
  w.autoPad = autoPad;
  return w;
}

/// Replaces auto_pad SAME_UPPER/SAME_LOWER/VALID by explicit pads for an
/// input whose spatial dims are `sizes`.
static LogicalResult resolveAutoPad(ImportContext &ctx, Window &w,
                                    ArrayRef<int64_t> sizes) {
  if (w.autoPad == "NOTSET" || w.autoPad.empty())
    return success();
  int64_t spatial = w.kernel.size();
  if (w.autoPad == "VALID") {
    w.pads.assign(2 * spatial, 0);
    return success();
  }
  if (w.autoPad != "SAME_UPPER" && w.autoPad != "SAME_LOWER")
    return ctx.emitError() << "unknown auto_pad '" << w.autoPad << "'";
  for (int64_t i = 0; i < spatial; ++i) {
    if (ShapedType::isDynamic(sizes[i]))
      return ctx.emitError()
             << "auto_pad " << w.autoPad << " needs static spatial dims";
    int64_t out = (sizes[i] + w.strides[i] - 1) / w.strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 -
               sizes[i]);
    int64_t small = total / 2, large = total - small;
    w.pads[i] = w.autoPad == "SAME_UPPER" ? small : large;
    w.pads[spatial + i] = w.autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

/// Lifts a 1-D window to 2-D with a unit H dim.
static Window liftWindow(const Window &w) {
  Window lifted;
  lifted.kernel = {1, w.kernel[0]};
  lifted.strides = {1, w.strides[0]};
  lifted.dilations = {1, w.dilations[0]};
  lifted.pads = {0, w.pads[0], 0, w.pads[1]};
  lifted.autoPad = w.autoPad;
  return lifted;
}

static FailureOr<Value> liftTo2d(ImportContext &ctx, Value x) {
  return ctx.unsqueeze(x, {2});
}

/// What Conv and ConvTranspose read alike: input, filter, optional bias, the
/// number of spatial dims (1 or 2), the group count and the window.
struct ConvOperands {
  Value x, filter, bias;
  RankedTensorType xType, fType;
  int64_t spatial, groups;
  Window w;
};

static FailureOr<ConvOperands> readConvOperands(ImportContext &ctx,
                                                StringRef kind) {
  ConvOperands c;
  KILN_TRY(Value, x, ctx.input(0));
  KILN_TRY(Value, filter, ctx.input(1));
  c.x = x;
  c.filter = filter;
  c.bias = ctx.optionalInput(2);
  c.xType = tensorType(x);
  c.fType = tensorType(filter);
  c.spatial = c.xType.getRank() - 2;
  if (c.spatial != 1 && c.spatial != 2)
    return ctx.emitError() << c.spatial << "-D " << kind
                           << " is not supported (1-D and 2-D are)";
  if (c.fType.getRank() != c.xType.getRank())
    return ctx.emitError() << "filter rank " << c.fType.getRank()
                           << " differs from input rank " << c.xType.getRank();
  KILN_TRY(int64_t, groups, ctx.getInt("group", 1));
  c.groups = groups;
  KILN_TRY(Window, w,
           readWindow(ctx, c.spatial, c.fType.getShape().drop_front(2)));
  c.w = w;
  return c;
}

static LogicalResult importConv(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(ConvOperands, c, readConvOperands(ctx, "convolution"));
  Value x = c.x, filter = c.filter, bias = c.bias;
  RankedTensorType xType = c.xType, fType = c.fType;
  int64_t spatial = c.spatial, groups = c.groups;
  Window w = c.w;
  if (failed(resolveAutoPad(ctx, w, xType.getShape().drop_front(2))))
    return failure();
  for (int64_t i = 0; i < spatial; ++i)
    if (!fType.isDynamicDim(2 + i) && fType.getDimSize(2 + i) != w.kernel[i])
      return ctx.emitError() << "kernel_shape disagrees with the filter "
                             << formatShape(fType.getShape());
  if (spatial == 1) {
    KILN_TRY(Value, x2, liftTo2d(ctx, x));
    KILN_TRY(Value, f2, liftTo2d(ctx, filter));
    Window w2 = liftWindow(w);
    KILN_TRY(Value, y2,
             ctx.create<Conv2dOp>(x2, f2, bias, w2.strides, w2.pads,
                                  w2.dilations, groups));
    KILN_TRY(Value, y, ctx.squeeze(y2, {2}));
    return ctx.setOutput(0, y);
  }
  KILN_TRY(Value, y,
           ctx.create<Conv2dOp>(x, filter, bias, w.strides, w.pads, w.dilations,
                                groups));
  return ctx.setOutput(0, y);
}

static LogicalResult importConvTranspose(ImportContext &ctx,
                                         const onnx::NodeProto &) {
  KILN_TRY(ConvOperands, c, readConvOperands(ctx, "transposed convolution"));
  Value x = c.x, filter = c.filter, bias = c.bias;
  RankedTensorType xType = c.xType;
  int64_t spatial = c.spatial, groups = c.groups;
  Window w = c.w;
  KILN_TRY(SmallVector<int64_t>, outputPadding,
           ctx.getInts("output_padding", SmallVector<int64_t>(spatial, 0)));
  KILN_TRY(SmallVector<int64_t>, outputShape, ctx.getInts("output_shape"));
  if (static_cast<int64_t>(outputPadding.size()) != spatial)
    return ctx.emitError() << "output_padding needs " << spatial << " entries";
  // output_shape (or SAME auto_pad) fixes the output size; the pads follow.
  bool same = w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER";
  if (!outputShape.empty() || same) {
    if (!outputShape.empty() &&
        static_cast<int64_t>(outputShape.size()) != spatial)
      outputShape = SmallVector<int64_t>(
          ArrayRef<int64_t>(outputShape).take_back(spatial));
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = xType.getDimSize(2 + i);
      if (ShapedType::isDynamic(in))
        return ctx.emitError()
               << "output_shape / SAME auto_pad need static spatial dims";
      int64_t out = outputShape.empty() ? in * w.strides[i] : outputShape[i];
      int64_t total = w.strides[i] * (in - 1) + outputPadding[i] +
                      (w.kernel[i] - 1) * w.dilations[i] + 1 - out;
      if (total < 0) {
        // A larger output than the window covers: the extra rows and
        // columns (bias only) come at the end, as output_padding.
        w.pads[i] = w.pads[spatial + i] = 0;
        outputPadding[i] -= total;
        continue;
      }
      bool upper = w.autoPad != "SAME_LOWER";
      w.pads[i] = upper ? total / 2 : total - total / 2;
      w.pads[spatial + i] = total - w.pads[i];
    }
  } else if (w.autoPad == "VALID") {
    w.pads.assign(2 * spatial, 0);
  }
  if (spatial == 1) {
    KILN_TRY(Value, x2, liftTo2d(ctx, x));
    KILN_TRY(Value, f2, liftTo2d(ctx, filter));
    Window w2 = liftWindow(w);
    SmallVector<int64_t> padding2{0, outputPadding[0]};
    KILN_TRY(Value, y2,
             ctx.create<ConvTranspose2dOp>(x2, f2, bias, w2.strides, w2.pads,
                                           w2.dilations, padding2, groups));
    KILN_TRY(Value, y, ctx.squeeze(y2, {2}));
    return ctx.setOutput(0, y);
  }
  KILN_TRY(Value, y,
           ctx.create<ConvTranspose2dOp>(x, filter, bias, w.strides, w.pads,
                                         w.dilations, outputPadding, groups));
  return ctx.setOutput(0, y);
}

template <bool isMax>
static LogicalResult importPool(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  RankedTensorType xType = tensorType(x);
  int64_t spatial = xType.getRank() - 2;
  if (spatial != 1 && spatial != 2)
    return ctx.emitError() << spatial
                           << "-D pooling is not supported (1-D and 2-D are)";
  if (!ctx.hasAttr("kernel_shape"))
    return ctx.emitError() << "missing required attribute 'kernel_shape'";
  KILN_TRY(Window, w, readWindow(ctx, spatial, {}));
  if (failed(resolveAutoPad(ctx, w, xType.getShape().drop_front(2))))
    return failure();
  if (llvm::any_of(w.dilations, [](int64_t d) { return d != 1; }))
    return ctx.emitError() << "dilated pooling is not supported";
  KILN_TRY(int64_t, ceilMode, ctx.getInt("ceil_mode", 0));
  KILN_TRY(int64_t, countIncludePad, ctx.getInt("count_include_pad", 0));
  if (failed(ctx.rejectOutputsFrom(1, "MaxPool's indices are not supported")))
    return failure();
  Value input = x;
  if (spatial == 1) {
    KILN_TRY(Value, x2, liftTo2d(ctx, x));
    input = x2;
    w = liftWindow(w);
  }
  FailureOr<Value> pooled =
      isMax ? ctx.create<MaxPool2dOp>(input, w.kernel, w.strides, w.pads,
                                      ceilMode != 0)
            : ctx.create<AvgPool2dOp>(input, w.kernel, w.strides, w.pads,
                                      ceilMode != 0, countIncludePad != 0);
  if (failed(pooled))
    return failure();
  Value y = *pooled;
  if (spatial == 1) {
    KILN_TRY(Value, squeezed, ctx.squeeze(y, {2}));
    y = squeezed;
  }
  return ctx.setOutput(0, y);
}

template <typename OpTy>
static LogicalResult importGlobalPool(ImportContext &ctx,
                                      const onnx::NodeProto &) {
  KILN_TRY(Value, x, ctx.input(0));
  int64_t rank = tensorType(x).getRank();
  if (rank < 3)
    return ctx.emitError() << "input must have spatial dims (rank >= 3)";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  KILN_TRY(Value, y, ctx.create<OpTy>(x, axes, true));
  return ctx.setOutput(0, y);
}

void mlir::kiln::onnx_import::registerConvolutionImporters(
    OpRegistry &registry) {
  registry.add("Conv", importConv);
  registry.add("ConvTranspose", importConvTranspose);
  // MaxPool before opset 8 and AveragePool before 7 lack attributes the
  // importer reads with their later defaults, which is what they meant.
  registry.add("MaxPool", importPool<true>);
  registry.add("AveragePool", importPool<false>);
  registry.add("GlobalAveragePool", importGlobalPool<ReduceMeanOp>);
  registry.add("GlobalMaxPool", importGlobalPool<ReduceMaxOp>);
}
