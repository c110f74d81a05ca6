//===- Npy.cpp - NumPy .npy files for the reference evaluator -------------===//
//
// Format:
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// "\x93NUMPY", major and minor version bytes, the header length (2 bytes in
// 1.0, 4 bytes in 2.0 and 3.0, little-endian), then a Python dict literal
// padded with spaces and a newline, then the raw elements.
//
//===----------------------------------------------------------------------===//

#include "compiler/evaluator/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

std::optional<StringRef> mlir::kiln::getNpyDtype(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return StringRef("<f4");
  case ElementKind::F16:
    return StringRef("<f2");
  case ElementKind::I64:
    return StringRef("<i8");
  case ElementKind::I32:
    return StringRef("<i4");
  case ElementKind::I8:
    return StringRef("|i1");
  case ElementKind::I1:
    return StringRef("|b1");
  case ElementKind::BF16:
    return std::nullopt;
  }
  return std::nullopt;
}

static llvm::Error makeError(StringRef name, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 name + ": " + message);
}

/// The element kind of a dtype string; 1-byte dtypes may be spelled with any
/// byte-order mark since they have no byte order.
static std::optional<ElementKind> parseDtype(StringRef dtype) {
  if (dtype.size() != 3)
    return std::nullopt;
  char order = dtype[0];
  StringRef code = dtype.drop_front();
  bool little = order == '<' || order == '|' || order == '=';
  if (code == "i1" && (little || order == '>'))
    return ElementKind::I8;
  if (code == "b1" && (little || order == '>'))
    return ElementKind::I1;
  if (order != '<')
    return std::nullopt;
  if (code == "f4")
    return ElementKind::F32;
  if (code == "f2")
    return ElementKind::F16;
  if (code == "i8")
    return ElementKind::I64;
  if (code == "i4")
    return ElementKind::I32;
  return std::nullopt;
}

namespace {
/// The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct Header {
  std::string descr;
  bool fortranOrder = false;
  SmallVector<int64_t> shape;
};

/// A recursive-descent reader for the small subset of Python literals the
/// header uses: strings, True/False and tuples of integers.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : text(text) {}

  std::optional<std::string> parse(Header &header) {
    bool sawDescr = false, sawOrder = false, sawShape = false;
    skipSpace();
    if (!consume('{'))
      return "header is not a dict";
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return "expected a quoted key in the header";
      skipSpace();
      if (!consume(':'))
        return "expected ':' after '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (!parseString(header.descr))
          return "'descr' is not a string (structured dtypes are not "
                 "supported)";
        sawDescr = true;
      } else if (key == "fortran_order") {
        if (text.consume_front("True"))
          header.fortranOrder = true;
        else if (text.consume_front("False"))
          header.fortranOrder = false;
        else
          return "'fortran_order' is not True or False";
        sawOrder = true;
      } else if (key == "shape") {
        if (!parseShape(header.shape))
          return "'shape' is not a tuple of non-negative integers";
        sawShape = true;
      } else {
        return "unexpected key '" + key + "' in the header";
      }
      skipSpace();
      if (!consume(',')) {
        skipSpace();
        if (!consume('}'))
          return "expected ',' or '}' in the header";
        break;
      }
    }
    if (!sawDescr || !sawOrder || !sawShape)
      return "header lacks 'descr', 'fortran_order' or 'shape'";
    return std::nullopt;
  }

private:
  void skipSpace() { text = text.ltrim(" \t\n\r"); }
  bool consume(char c) { return text.consume_front(StringRef(&c, 1)); }

  bool parseString(std::string &out) {
    if (text.empty() || (text[0] != '\'' && text[0] != '"'))
      return false;
    char quote = text[0];
    size_t end = text.find(quote, 1);
    if (end == StringRef::npos)
      return false;
    out = text.slice(1, end).str();
    text = text.drop_front(end + 1);
    return true;
  }

  bool parseShape(SmallVector<int64_t> &shape) {
    if (!consume('('))
      return false;
    while (true) {
      skipSpace();
      if (consume(')'))
        return true;
      size_t digits = text.find_first_not_of("0123456789");
      if (digits == 0 || digits == StringRef::npos)
        return false;
      int64_t dim;
      if (text.take_front(digits).getAsInteger(10, dim) || dim < 0)
        return false;
      shape.push_back(dim);
      text = text.drop_front(digits);
      skipSpace();
      if (!consume(',')) {
        skipSpace();
        return consume(')');
      }
    }
  }

  StringRef text;
};
} // namespace

llvm::Expected<Tensor> mlir::kiln::parseNpy(ArrayRef<char> bytes,
                                            StringRef name) {
  StringRef data(bytes.data(), bytes.size());
  if (!data.starts_with(StringRef(kMagic, kMagicSize)))
    return makeError(name, "not a .npy file (no \\x93NUMPY magic)");
  if (data.size() < kMagicSize + 4)
    return makeError(name, "truncated .npy header");
  unsigned major = static_cast<unsigned char>(data[kMagicSize]);
  size_t headerLength, headerStart;
  auto byteAt = [&](size_t i) -> size_t {
    return static_cast<unsigned char>(data[i]);
  };
  if (major == 1) {
    headerLength = byteAt(8) | byteAt(9) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return makeError(name, "truncated .npy header");
    headerLength =
        byteAt(8) | byteAt(9) << 8 | byteAt(10) << 16 | byteAt(11) << 24;
    headerStart = 12;
  } else {
    return makeError(name, "unsupported .npy format version " +
                               llvm::Twine(major) + " (1, 2 and 3 are read)");
  }
  if (data.size() < headerStart + headerLength)
    return makeError(name, "truncated .npy header");
  Header header;
  HeaderParser parser(data.substr(headerStart, headerLength));
  if (std::optional<std::string> error = parser.parse(header))
    return makeError(name, "malformed .npy header: " + *error);
  if (header.fortranOrder)
    return makeError(name, "Fortran-order arrays are not supported; save "
                           "np.ascontiguousarray(a) instead");
  std::optional<ElementKind> kind = parseDtype(header.descr);
  if (!kind) {
    std::string hint;
    if (header.descr == "<f8")
      hint = " (float64 is not a kiln element type; save "
             "a.astype(np.float32))";
    else if (!header.descr.empty() && header.descr[0] == '>')
      hint = " (big-endian arrays are not supported)";
    return makeError(name, "unsupported dtype '" + header.descr + "'" + hint +
                               "; expected one of <f4 <f2 <i8 <i4 |i1 |b1");
  }
  std::string error;
  std::optional<Tensor> tensor = Tensor::fromBytes(
      *kind, header.shape, bytes.drop_front(headerStart + headerLength), error);
  if (!tensor)
    return makeError(name, "data does not match the header: " + error);
  return std::move(*tensor);
}

llvm::Expected<Tensor> mlir::kiln::readNpy(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot read: " + buffer.getError().message());
  StringRef data = (*buffer)->getBuffer();
  return parseNpy(ArrayRef<char>(data.data(), data.size()), path);
}

llvm::Expected<std::vector<char>> mlir::kiln::encodeNpy(const Tensor &tensor) {
  std::optional<StringRef> dtype = getNpyDtype(tensor.getKind());
  if (!dtype)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "bf16 has no NumPy dtype; cast the tensor to f32 to save it");
  std::string dict;
  llvm::raw_string_ostream os(dict);
  os << "{'descr': '" << *dtype << "', 'fortran_order': False, 'shape': (";
  for (int64_t dim : tensor.getShape())
    os << dim << (tensor.getRank() == 1 ? "," : ", ");
  if (tensor.getRank() > 1)
    dict.resize(dict.size() - 2);
  os << "), }";
  // NumPy pads the header with spaces so that the data starts at a multiple
  // of 64 bytes, and ends it with a newline.
  size_t unpadded = kMagicSize + 2 + 2 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  if (dict.size() > 0xffff)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "shape too long for a .npy 1.0 header");
  std::vector<char> bytes(kMagic, kMagic + kMagicSize);
  bytes.push_back(1);
  bytes.push_back(0);
  bytes.push_back(static_cast<char>(dict.size() & 0xff));
  bytes.push_back(static_cast<char>(dict.size() >> 8));
  bytes.insert(bytes.end(), dict.begin(), dict.end());
  std::vector<char> elements = tensor.toBytes();
  bytes.insert(bytes.end(), elements.begin(), elements.end());
  return bytes;
}

llvm::Error mlir::kiln::writeNpy(const Tensor &tensor, StringRef path) {
  llvm::Expected<std::vector<char>> bytes = encodeNpy(tensor);
  if (!bytes)
    return makeError(path, llvm::toString(bytes.takeError()));
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError(path, "cannot write: " + ec.message());
  os.write(bytes->data(), bytes->size());
  os.close();
  if (os.has_error())
    return makeError(path, "cannot write: " + os.error().message());
  return llvm::Error::success();
}
