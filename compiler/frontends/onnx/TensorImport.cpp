//===- TensorImport.cpp - ONNX TensorProto to kiln.constant ---------------===//
//
// Weights never pass through a DenseElementsAttr: a large tensor becomes a
// `dense_resource` blob that references the mapped external data file when
// its alignment allows, or holds one copy of the model's bytes otherwise.
// Small tensors (and shape-like integer vectors) are `dense<...>` literals so
// that folders and the importer's own shape tracking can read them.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <memory>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

FailureOr<Type> ImportContext::convertElementType(int32_t onnxType,
                                                  llvm::StringRef what,
                                                  Location loc) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return builder.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return builder.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return builder.getBF16Type();
  case onnx::TensorProto::INT64:
    return builder.getI64Type();
  case onnx::TensorProto::INT32:
    return builder.getI32Type();
  case onnx::TensorProto::INT8:
    return builder.getI8Type();
  case onnx::TensorProto::BOOL:
    return builder.getI1Type();
  default:
    break;
  }
  std::string name =
      onnx::TensorProto::DataType_IsValid(onnxType)
          ? onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(onnxType))
          : "#" + std::to_string(onnxType);
  return mlir::emitError(loc)
         << what << " has element type " << name
         << ", which Kiln does not support (supported: FLOAT, FLOAT16, "
            "BFLOAT16, INT64, INT32, INT8, BOOL)";
}

/// Bytes per element as ONNX stores them in raw_data (bool: one byte).
static int64_t storageBytes(Type element) {
  if (element.isInteger(1))
    return 1;
  return element.getIntOrFloatBitWidth() / 8;
}

/// A resource key the MLIR parser reads back: a bare identifier.
static std::string resourceKey(llvm::StringRef name) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty() || !(llvm::isAlpha(key[0]) || key[0] == '_'))
    key.insert(0, "t_");
  return key;
}

/// Resolves an external data `location` under `dir`, rejecting paths that
/// leave it (absolute paths, `..` climbing above it).
static FailureOr<std::string> resolveExternalPath(llvm::StringRef dir,
                                                  llvm::StringRef location,
                                                  Location loc,
                                                  llvm::StringRef what) {
  if (location.empty())
    return mlir::emitError(loc) << what << ": external data has no location";
  if (llvm::sys::path::is_absolute(location) ||
      llvm::sys::path::is_absolute(location, llvm::sys::path::Style::windows))
    return mlir::emitError(loc)
           << what << ": external data location '" << location
           << "' is absolute; it must be relative to the model's directory";
  int64_t depth = 0;
  for (llvm::StringRef part : llvm::make_range(
           llvm::sys::path::begin(location), llvm::sys::path::end(location))) {
    if (part == "..")
      --depth;
    else if (part != ".")
      ++depth;
    if (depth < 0)
      return mlir::emitError(loc)
             << what << ": external data location '" << location
             << "' escapes the model's directory";
  }
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, location);
  return std::string(path);
}

namespace {
/// The bytes of one tensor and who keeps them alive.
struct TensorBytes {
  ArrayRef<char> data;
  /// Set when `data` lives in a mapped file.
  std::shared_ptr<llvm::MemoryBuffer> mapped;
  /// Set when `data` had to be converted from typed fields.
  std::vector<char> converted;
};
} // namespace

/// The tensor's data from its external file.
static FailureOr<TensorBytes>
readExternalData(const onnx::TensorProto &tensor, llvm::StringRef dir,
                 int64_t expectedBytes, Location loc, llvm::StringRef what) {
  if (dir.empty())
    return mlir::emitError(loc)
           << what
           << " uses external data, but the model was not loaded from a "
              "file whose directory could hold it";
  std::string location;
  std::optional<uint64_t> offset, length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    llvm::StringRef key = entry.key(), value = entry.value();
    if (key == "location") {
      location = value.str();
      continue;
    }
    if (key != "offset" && key != "length")
      continue; // "checksum" and unknown keys carry nothing we need.
    uint64_t number = 0;
    if (value.getAsInteger(10, number))
      return mlir::emitError(loc) << what << ": external data " << key << " '"
                                  << value << "' is not a number";
    (key == "offset" ? offset : length) = number;
  }
  KILN_TRY(std::string, path, resolveExternalPath(dir, location, loc, what));
  uint64_t fileSize = 0;
  if (std::error_code error = llvm::sys::fs::file_size(path, fileSize))
    return mlir::emitError(loc) << what << ": cannot open external data file '"
                                << path << "': " << error.message();
  uint64_t begin = offset.value_or(0);
  if (begin > fileSize)
    return mlir::emitError(loc) << what << ": external data offset " << begin
                                << " is past the end of '" << location << "' ("
                                << fileSize << " bytes)";
  uint64_t size = length.value_or(fileSize - begin);
  if (size > fileSize - begin)
    return mlir::emitError(loc)
           << what << ": external data range [" << begin << ", " << begin + size
           << ") is outside '" << location << "' (" << fileSize << " bytes)";
  if (static_cast<int64_t>(size) != expectedBytes)
    return mlir::emitError(loc)
           << what << ": external data has " << size << " bytes, but its dims "
           << "need " << expectedBytes;
  TensorBytes bytes;
  if (size == 0)
    return bytes;
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, size, begin,
                                                 /*IsVolatile=*/false);
  if (!buffer)
    return mlir::emitError(loc) << what << ": cannot map external data file '"
                                << path << "': " << buffer.getError().message();
  bytes.mapped = std::move(*buffer);
  bytes.data = ArrayRef<char>(bytes.mapped->getBufferStart(),
                              bytes.mapped->getBufferSize());
  return bytes;
}

/// The tensor's data from raw_data or its typed fields.
static FailureOr<TensorBytes> readInlineData(const onnx::TensorProto &tensor,
                                             Type element, int64_t count,
                                             Location loc,
                                             llvm::StringRef what) {
  int64_t elementBytes = storageBytes(element);
  TensorBytes bytes;
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (static_cast<int64_t>(raw.size()) != count * elementBytes)
      return mlir::emitError(loc)
             << what << ": raw_data has " << raw.size() << " bytes, but "
             << count << " elements of " << element << " need "
             << count * elementBytes;
    bytes.data = ArrayRef<char>(raw.data(), raw.size());
    return bytes;
  }
  // The typed field's length is checked before anything is allocated: dims
  // alone can ask for terabytes that no field of a parsed model holds.
  int64_t actual = tensor.int32_data_size();
  llvm::StringRef field = "int32_data";
  if (tensor.data_type() == onnx::TensorProto::FLOAT) {
    actual = tensor.float_data_size();
    field = "float_data";
  } else if (tensor.data_type() == onnx::TensorProto::INT64) {
    actual = tensor.int64_data_size();
    field = "int64_data";
  }
  if (actual != count)
    return mlir::emitError(loc) << what << ": " << field << " has " << actual
                                << " values, but its dims need " << count;
  // Empty fields may hold null data, which memcpy must not be given.
  if (count == 0)
    return bytes;
  bytes.converted.resize(count * elementBytes);
  char *out = bytes.converted.data();
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    std::memcpy(out, tensor.float_data().data(), count * 4);
    break;
  case onnx::TensorProto::INT64:
    std::memcpy(out, tensor.int64_data().data(), count * 8);
    break;
  default:
    // int32_data holds INT32, INT8, BOOL, and the bit patterns of FLOAT16
    // and BFLOAT16, one per int32.
    for (int64_t i = 0; i < count; ++i) {
      int32_t v = tensor.int32_data(i);
      switch (elementBytes) {
      case 4:
        std::memcpy(out + 4 * i, &v, 4);
        break;
      case 2: {
        uint16_t bits = static_cast<uint16_t>(v);
        std::memcpy(out + 2 * i, &bits, 2);
        break;
      }
      default:
        out[i] = element.isInteger(1) ? (v != 0) : static_cast<int8_t>(v);
        break;
      }
    }
    break;
  }
  bytes.data = ArrayRef<char>(bytes.converted);
  return bytes;
}

FailureOr<Value> ImportContext::importTensor(const onnx::TensorProto &tensor,
                                             llvm::StringRef what,
                                             Location loc) {
  KILN_TRY(Type, element, convertElementType(tensor.data_type(), what, loc));
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return mlir::emitError(loc) << what << " has negative dim " << dim;
    if (dim != 0 && count > (int64_t(1) << 48) / dim)
      return mlir::emitError(loc) << what << " is too large";
    count *= dim;
    shape.push_back(dim);
  }
  if (tensor.has_segment())
    return mlir::emitError(loc)
           << what << " is a segment of a larger tensor, which is not "
           << "supported";
  int64_t expectedBytes = count * storageBytes(element);
  FailureOr<TensorBytes> bytes =
      tensor.data_location() == onnx::TensorProto::EXTERNAL
          ? readExternalData(tensor, externalDataDir, expectedBytes, loc, what)
          : readInlineData(tensor, element, count, loc, what);
  if (failed(bytes))
    return failure();

  auto type = RankedTensorType::get(shape, element);
  bool shapeLike = isa<IntegerType>(element) && !element.isInteger(1) &&
                   shape.size() <= 1 && count <= options.maxDenseShapeElements;
  ElementsAttr attr;
  if (count <= options.maxDenseElements || shapeLike) {
    if (element.isInteger(1)) {
      SmallVector<bool> bools;
      for (char c : bytes->data)
        bools.push_back(c != 0);
      attr = DenseElementsAttr::get(type, bools);
    } else {
      attr = DenseElementsAttr::getFromRawBuffer(type, bytes->data);
    }
  } else {
    size_t align = storageBytes(element);
    AsmResourceBlob blob;
    bool aligned = reinterpret_cast<uintptr_t>(bytes->data.data()) % align == 0;
    if (bytes->mapped && aligned) {
      // Reference the mapping; the blob keeps it alive.
      std::shared_ptr<llvm::MemoryBuffer> owner = bytes->mapped;
      blob = UnmanagedAsmResourceBlob::allocateWithAlign(
          bytes->data, align,
          [owner](void *, size_t, size_t) mutable { owner.reset(); });
    } else {
      blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
          bytes->data, align, /*dataIsMutable=*/false);
    }
    attr = DenseResourceElementsAttr::get(
        type, resourceKey(tensor.name().empty() ? what : tensor.name()),
        std::move(blob));
  }
  return builder.create<ConstantOp>(loc, type, attr).getResult();
}
