//===- Tensor.cpp - Concrete tensors for the reference evaluator ----------===//

#include "compiler/evaluator/Tensor.h"
#include "compiler/evaluator/FloatFormats.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::kiln;

std::optional<ElementKind> mlir::kiln::getElementKind(Type type) {
  if (type.isF32())
    return ElementKind::F32;
  if (type.isF16())
    return ElementKind::F16;
  if (type.isBF16())
    return ElementKind::BF16;
  if (type.isSignlessInteger(64))
    return ElementKind::I64;
  if (type.isSignlessInteger(32))
    return ElementKind::I32;
  if (type.isSignlessInteger(8))
    return ElementKind::I8;
  if (type.isSignlessInteger(1))
    return ElementKind::I1;
  return std::nullopt;
}

Type mlir::kiln::getElementType(ElementKind kind, MLIRContext *context) {
  Builder builder(context);
  switch (kind) {
  case ElementKind::F32:
    return builder.getF32Type();
  case ElementKind::F16:
    return builder.getF16Type();
  case ElementKind::BF16:
    return builder.getBF16Type();
  case ElementKind::I64:
    return builder.getI64Type();
  case ElementKind::I32:
    return builder.getI32Type();
  case ElementKind::I8:
    return builder.getI8Type();
  case ElementKind::I1:
    return builder.getI1Type();
  }
  llvm_unreachable("unknown element kind");
}

StringRef mlir::kiln::getElementKindName(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return "f32";
  case ElementKind::F16:
    return "f16";
  case ElementKind::BF16:
    return "bf16";
  case ElementKind::I64:
    return "i64";
  case ElementKind::I32:
    return "i32";
  case ElementKind::I8:
    return "i8";
  case ElementKind::I1:
    return "i1";
  }
  llvm_unreachable("unknown element kind");
}

bool mlir::kiln::isFloatKind(ElementKind kind) {
  return kind == ElementKind::F32 || kind == ElementKind::F16 ||
         kind == ElementKind::BF16;
}

int64_t mlir::kiln::getElementByteWidth(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
  case ElementKind::I32:
    return 4;
  case ElementKind::F16:
  case ElementKind::BF16:
    return 2;
  case ElementKind::I64:
    return 8;
  case ElementKind::I8:
  case ElementKind::I1:
    return 1;
  }
  llvm_unreachable("unknown element kind");
}

double mlir::kiln::roundToKind(ElementKind kind, double value) {
  switch (kind) {
  case ElementKind::F32:
    return roundToF32(value);
  case ElementKind::F16:
    return roundToF16(value);
  case ElementKind::BF16:
    return roundToBF16(value);
  default:
    llvm_unreachable("roundToKind on an integer kind");
  }
}

int64_t mlir::kiln::wrapToKind(ElementKind kind, int64_t value) {
  switch (kind) {
  case ElementKind::I64:
    return value;
  case ElementKind::I32:
    return static_cast<int32_t>(static_cast<uint32_t>(value));
  case ElementKind::I8:
    return static_cast<int8_t>(static_cast<uint8_t>(value));
  case ElementKind::I1:
    return value != 0;
  default:
    llvm_unreachable("wrapToKind on a float kind");
  }
}

std::optional<int64_t>
mlir::kiln::getCheckedElementCount(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return std::nullopt;
    if (dim == 0)
      return 0;
  }
  for (int64_t dim : shape) {
    if (count > kMaxTensorElements / dim)
      return std::nullopt;
    count *= dim;
  }
  return count;
}

std::string mlir::kiln::formatDims(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os);
  os << ']';
  return text;
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

Tensor::Tensor(ElementKind kind, ArrayRef<int64_t> shape)
    : kind(kind), shape(shape) {
  numElements = 1;
  for (int64_t dim : shape)
    numElements *= dim;
  if (isFloat())
    floats.assign(numElements, 0.0);
  else
    ints.assign(numElements, 0);
}

RankedTensorType Tensor::getType(MLIRContext *context) const {
  return RankedTensorType::get(shape, getElementType(kind, context));
}

Tensor Tensor::reshaped(ArrayRef<int64_t> newShape) const {
  Tensor result = *this;
  result.shape.assign(newShape.begin(), newShape.end());
  return result;
}

SmallVector<int64_t> Tensor::getStrides() const {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

std::string Tensor::describeType() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (int64_t dim : shape)
    os << dim << 'x';
  os << getElementKindName(kind);
  return text;
}

/// Little-endian stores and loads, independent of the host's byte order.
static void storeLE(char *out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

static uint64_t loadLE(const char *in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i]))
             << (8 * i);
  return value;
}

std::vector<char> Tensor::toBytes() const {
  int64_t width = getElementByteWidth(kind);
  std::vector<char> bytes(numElements * width);
  for (int64_t i = 0; i < numElements; ++i) {
    char *out = bytes.data() + i * width;
    switch (kind) {
    case ElementKind::F32:
      storeLE(out, toF32Bits(floats[i]), 4);
      break;
    case ElementKind::F16:
      storeLE(out, toF16Bits(floats[i]), 2);
      break;
    case ElementKind::BF16:
      storeLE(out, toBF16Bits(floats[i]), 2);
      break;
    default:
      storeLE(out, static_cast<uint64_t>(ints[i]), width);
      break;
    }
  }
  return bytes;
}

std::optional<Tensor> Tensor::fromBytes(ElementKind kind,
                                        ArrayRef<int64_t> shape,
                                        ArrayRef<char> bytes,
                                        std::string &error) {
  // Check the size before allocating: `shape` may come from a corrupt file.
  std::optional<int64_t> count = getCheckedElementCount(shape);
  if (!count) {
    error = "shape " + formatDims(shape) + " is too large";
    return std::nullopt;
  }
  int64_t width = getElementByteWidth(kind);
  int64_t expected = *count * width;
  if (static_cast<int64_t>(bytes.size()) != expected) {
    std::string type;
    for (int64_t dim : shape)
      type += std::to_string(dim) + "x";
    type += getElementKindName(kind).str();
    error = "expected " + std::to_string(expected) + " bytes for " + type +
            ", got " + std::to_string(bytes.size());
    return std::nullopt;
  }
  Tensor tensor(kind, shape);
  for (int64_t i = 0; i < tensor.numElements; ++i) {
    const char *in = bytes.data() + i * width;
    uint64_t raw = loadLE(in, width);
    switch (kind) {
    case ElementKind::F32:
      tensor.floats[i] = fromF32Bits(static_cast<uint32_t>(raw));
      break;
    case ElementKind::F16:
      tensor.floats[i] = fromF16Bits(static_cast<uint16_t>(raw));
      break;
    case ElementKind::BF16:
      tensor.floats[i] = fromBF16Bits(static_cast<uint16_t>(raw));
      break;
    case ElementKind::I64:
      tensor.ints[i] = static_cast<int64_t>(raw);
      break;
    case ElementKind::I32:
      tensor.ints[i] = static_cast<int32_t>(static_cast<uint32_t>(raw));
      break;
    case ElementKind::I8:
      tensor.ints[i] = static_cast<int8_t>(static_cast<uint8_t>(raw));
      break;
    case ElementKind::I1:
      tensor.ints[i] = raw != 0;
      break;
    }
  }
  return tensor;
}

DenseElementsAttr Tensor::toAttr(MLIRContext *context) const {
  RankedTensorType type = getType(context);
  if (isFloat()) {
    SmallVector<APFloat> values;
    values.reserve(numElements);
    for (double value : floats) {
      switch (kind) {
      case ElementKind::F32:
        values.emplace_back(APFloat::IEEEsingle(), APInt(32, toF32Bits(value)));
        break;
      case ElementKind::F16:
        values.emplace_back(APFloat::IEEEhalf(), APInt(16, toF16Bits(value)));
        break;
      default:
        values.emplace_back(APFloat::BFloat(), APInt(16, toBF16Bits(value)));
        break;
      }
    }
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = kind == ElementKind::I1 ? 1 : getElementByteWidth(kind) * 8;
  SmallVector<APInt> values;
  values.reserve(numElements);
  for (int64_t value : ints)
    values.emplace_back(width, static_cast<uint64_t>(value),
                        /*isSigned=*/kind != ElementKind::I1);
  return DenseElementsAttr::get(type, values);
}

FailureOr<Tensor> Tensor::fromAttr(ElementsAttr attr, Location loc) {
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  std::optional<ElementKind> kind =
      type ? getElementKind(type.getElementType()) : std::nullopt;
  if (!type || !type.hasStaticShape() || !kind)
    return emitError(loc) << "constant of type " << attr.getType()
                          << " is not a statically shaped kiln tensor";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    DenseResourceElementsHandle handle = resource.getRawHandle();
    AsmResourceBlob *blob = handle.getBlob();
    if (!blob)
      return emitError(loc) << "dense_resource '" << handle.getKey()
                            << "' has no data (was it elided?)";
    std::string error;
    std::optional<Tensor> tensor =
        fromBytes(*kind, type.getShape(), blob->getData(), error);
    if (!tensor)
      return emitError(loc)
             << "dense_resource '" << handle.getKey() << "': " << error;
    return std::move(*tensor);
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return emitError(loc) << "constant attribute kind is not supported by "
                             "the reference evaluator: "
                          << attr;
  Tensor tensor(*kind, type.getShape());
  int64_t index = 0;
  if (tensor.isFloat()) {
    for (const APFloat &value : dense.getValues<APFloat>()) {
      uint64_t bits = value.bitcastToAPInt().getZExtValue();
      switch (*kind) {
      case ElementKind::F32:
        tensor.floats[index++] = fromF32Bits(static_cast<uint32_t>(bits));
        break;
      case ElementKind::F16:
        tensor.floats[index++] = fromF16Bits(static_cast<uint16_t>(bits));
        break;
      default:
        tensor.floats[index++] = fromBF16Bits(static_cast<uint16_t>(bits));
        break;
      }
    }
  } else {
    for (const APInt &value : dense.getValues<APInt>())
      tensor.ints[index++] = *kind == ElementKind::I1
                                 ? static_cast<int64_t>(!value.isZero())
                                 : value.getSExtValue();
  }
  return tensor;
}
