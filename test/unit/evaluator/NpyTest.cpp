//===- NpyTest.cpp - .npy round trips, header layout and errors -----------===//

#include "compiler/evaluator/Npy.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir;
using namespace mlir::kiln;

namespace {

std::vector<char> bytesOf(const std::string &text) {
  return std::vector<char>(text.begin(), text.end());
}

/// A .npy file of the given version with `header` (padded as NumPy does)
/// followed by `data`.
std::vector<char> makeFile(int major, std::string header,
                           const std::string &data) {
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64)
    header.push_back(' ');
  header.push_back('\n');
  std::string file = std::string("\x93NUMPY") + char(major) + char(0);
  size_t length = header.size();
  file.push_back(char(length & 0xff));
  file.push_back(char(length >> 8));
  if (major != 1) {
    file.push_back(0);
    file.push_back(0);
  }
  return bytesOf(file + header + data);
}

std::string errorOf(llvm::Expected<Tensor> result) {
  if (result)
    return "no error";
  return llvm::toString(result.takeError());
}

Tensor iota(ElementKind kind, ArrayRef<int64_t> shape) {
  Tensor tensor(kind, shape);
  for (int64_t i = 0; i < tensor.getNumElements(); ++i) {
    if (tensor.isFloat())
      tensor.setFloat(i, 0.5 * i - 3.25);
    else
      tensor.setInt(i, i * 37 - 100);
  }
  return tensor;
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  for (ElementKind kind :
       {ElementKind::F32, ElementKind::F16, ElementKind::I64, ElementKind::I32,
        ElementKind::I8, ElementKind::I1}) {
    for (SmallVector<int64_t> shape :
         {SmallVector<int64_t>{}, SmallVector<int64_t>{5},
          SmallVector<int64_t>{2, 3, 4}, SmallVector<int64_t>{3, 0}}) {
      Tensor tensor = iota(kind, shape);
      llvm::Expected<std::vector<char>> bytes = encodeNpy(tensor);
      ASSERT_TRUE(bool(bytes));
      // The data starts at a multiple of 64 bytes after a newline.
      size_t headerLength =
          static_cast<unsigned char>((*bytes)[8]) | (*bytes)[9] << 8;
      EXPECT_EQ((10 + headerLength) % 64, 0u);
      EXPECT_EQ((*bytes)[10 + headerLength - 1], '\n');
      llvm::Expected<Tensor> back = parseNpy(*bytes, "t.npy");
      ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
      EXPECT_EQ(back->getKind(), kind);
      EXPECT_EQ(back->getShape(), tensor.getShape());
      for (int64_t i = 0; i < tensor.getNumElements(); ++i) {
        if (tensor.isFloat())
          EXPECT_EQ(back->getFloat(i), tensor.getFloat(i));
        else
          EXPECT_EQ(back->getInt(i), tensor.getInt(i));
      }
    }
  }
}

TEST(Npy, WritesNumpyHeaders) {
  llvm::Expected<std::vector<char>> bytes =
      encodeNpy(iota(ElementKind::F16, {2, 3}));
  ASSERT_TRUE(bool(bytes));
  std::string text(bytes->begin(), bytes->end());
  EXPECT_EQ(text.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_NE(text.find("{'descr': '<f2', 'fortran_order': False, "
                      "'shape': (2, 3), }"),
            std::string::npos);
  bytes = encodeNpy(iota(ElementKind::I1, {4}));
  text.assign(bytes->begin(), bytes->end());
  EXPECT_NE(text.find("'descr': '|b1'"), std::string::npos);
  EXPECT_NE(text.find("'shape': (4,)"), std::string::npos);
  bytes = encodeNpy(iota(ElementKind::I8, {}));
  text.assign(bytes->begin(), bytes->end());
  EXPECT_NE(text.find("'shape': ()"), std::string::npos);
}

TEST(Npy, ReadsVersions2And3AndLittleEndianBytes) {
  std::string data("\x01\x00\x00\x00\xff\xff\xff\xff", 8);
  for (int major : {1, 2, 3}) {
    llvm::Expected<Tensor> tensor = parseNpy(
        makeFile(major,
                 "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                 data),
        "v.npy");
    ASSERT_TRUE(bool(tensor)) << llvm::toString(tensor.takeError());
    EXPECT_EQ(tensor->getInt(0), 1);
    EXPECT_EQ(tensor->getInt(1), -1);
  }
  // f32 1.0 is 0x3F800000, stored little-endian.
  llvm::Expected<Tensor> one = parseNpy(
      makeFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
               std::string("\x00\x00\x80\x3f", 4)),
      "one.npy");
  ASSERT_TRUE(bool(one));
  EXPECT_EQ(one->getRank(), 0);
  EXPECT_EQ(one->getFloat(0), 1.0);
  // Key order does not matter; '|i1' is i8 and '|b1' any non-zero byte.
  llvm::Expected<Tensor> bools = parseNpy(
      makeFile(1, "{'shape': (3,), 'fortran_order': False, 'descr': '|b1'}",
               std::string("\x00\x02\x01", 3)),
      "b.npy");
  ASSERT_TRUE(bool(bools));
  EXPECT_EQ(bools->getKind(), ElementKind::I1);
  EXPECT_EQ(bools->getInt(1), 1);
}

TEST(Npy, ReportsBadFiles) {
  auto file = [](const std::string &descr, const std::string &shape,
                 const std::string &data, bool fortran = false) {
    return makeFile(1,
                    "{'descr': '" + descr +
                        "', 'fortran_order': " + (fortran ? "True" : "False") +
                        ", 'shape': " + shape + ", }",
                    data);
  };
  EXPECT_EQ(errorOf(parseNpy(bytesOf("hello world"), "a.npy")),
            "a.npy: not a .npy file (no \\x93NUMPY magic)");
  EXPECT_EQ(
      errorOf(parseNpy(bytesOf(std::string("\x93NUMPY\x01", 7)), "a.npy")),
      "a.npy: truncated .npy header");
  EXPECT_NE(
      errorOf(parseNpy(file("<f8", "(1,)", std::string(8, '\0')), "d.npy"))
          .find("unsupported dtype '<f8' (float64 is not a kiln element "
                "type; save a.astype(np.float32))"),
      std::string::npos);
  EXPECT_NE(
      errorOf(parseNpy(file(">f4", "(1,)", std::string(4, '\0')), "d.npy"))
          .find("big-endian"),
      std::string::npos);
  EXPECT_NE(
      errorOf(parseNpy(file("<u2", "(1,)", std::string(2, '\0')), "d.npy"))
          .find("unsupported dtype '<u2'"),
      std::string::npos);
  EXPECT_NE(errorOf(parseNpy(file("<f4", "(1,)", std::string(4, '\0'), true),
                             "d.npy"))
                .find("Fortran-order arrays are not supported"),
            std::string::npos);
  EXPECT_EQ(
      errorOf(parseNpy(file("<f4", "(2,)", std::string(7, '\0')), "d.npy")),
      "d.npy: data does not match the header: expected 8 bytes for "
      "2xf32, got 7");
  EXPECT_NE(
      errorOf(parseNpy(file("<f4", "(2,)", std::string(9, '\0')), "d.npy"))
          .find("expected 8 bytes"),
      std::string::npos);
  EXPECT_NE(errorOf(parseNpy(file("<f4", "(-1,)", ""), "d.npy"))
                .find("'shape' is not a tuple"),
            std::string::npos);
  EXPECT_NE(errorOf(parseNpy(makeFile(1, "{'descr': '<f4', 'shape': (1,)}",
                                      std::string(4, '\0')),
                             "d.npy"))
                .find("header lacks"),
            std::string::npos);
  EXPECT_NE(errorOf(parseNpy(makeFile(4, "{}", ""), "d.npy"))
                .find("unsupported .npy format version 4"),
            std::string::npos);
  // A corrupt shape is reported, not allocated.
  EXPECT_NE(
      errorOf(parseNpy(file("<f4", "(4294967296, 4294967296)", ""), "d.npy"))
          .find("shape [4294967296, 4294967296] is too large"),
      std::string::npos);
  EXPECT_NE(errorOf(readNpy("/nonexistent/x.npy")).find("cannot read"),
            std::string::npos);
}

TEST(Npy, RefusesBF16) {
  llvm::Expected<std::vector<char>> bytes =
      encodeNpy(Tensor(ElementKind::BF16, {2}));
  ASSERT_FALSE(bool(bytes));
  EXPECT_EQ(llvm::toString(bytes.takeError()),
            "bf16 has no NumPy dtype; cast the tensor to f32 to save it");
  EXPECT_FALSE(getNpyDtype(ElementKind::BF16).has_value());
}

} // namespace
