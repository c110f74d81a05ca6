//===- EngineFileTest.cpp - The engine container's writer and loader ------===//
//
// Round trip, determinism, the byte layout, and every rejection of the
// loader with its message. Corrupt manifests are made by rewriting the
// manifest of a valid file (and its header and checksum) rather than with
// the writer, which refuses to write them.
//
//===----------------------------------------------------------------------===//

#include "test/unit/engine/SampleEngine.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

using namespace kiln::engine;
using namespace kiln::engine::sample;

namespace {

std::vector<uint8_t> sampleBytes() {
  EngineWriter writer;
  buildSample(writer);
  Expected<std::vector<uint8_t>> bytes = writer.writeToBytes();
  EXPECT_TRUE(bytes.ok()) << bytes.message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

std::string deterministic(const Manifest &m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

uint64_t le64(const std::vector<uint8_t> &b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | b[at + i];
  return v;
}
void setLE64(std::vector<uint8_t> &b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    b[at + i] = uint8_t(v >> (8 * i));
}
void fixChecksum(std::vector<uint8_t> &b) {
  setLE64(b, 40, checksum64(b.data() + kHeaderSize, b.size() - kHeaderSize));
}

/// The sample with its manifest replaced by `mutate`'s version of it: the
/// new manifest is appended at the next aligned offset and the header and
/// checksum are made consistent, so that only the manifest is wrong.
std::vector<uint8_t> withManifest(const std::function<void(Manifest &)> &mutate,
                                  const std::string *rawManifest = nullptr) {
  std::vector<uint8_t> bytes = sampleBytes();
  Manifest m;
  EXPECT_TRUE(
      m.ParseFromArray(bytes.data() + le64(bytes, 24), int(le64(bytes, 32))));
  mutate(m);
  std::string encoded = rawManifest ? *rawManifest : deterministic(m);
  bytes.resize((bytes.size() + 63) / 64 * 64, 0);
  setLE64(bytes, 24, bytes.size());
  setLE64(bytes, 32, encoded.size());
  bytes.insert(bytes.end(), encoded.begin(), encoded.end());
  setLE64(bytes, 16, bytes.size());
  fixChecksum(bytes);
  return bytes;
}

/// The loader's message for `bytes`, or "" when it accepts them.
std::string loadError(const std::vector<uint8_t> &bytes) {
  Expected<Engine> engine = Engine::fromMemory(bytes.data(), bytes.size());
  return engine.ok() ? std::string() : engine.message();
}

#define EXPECT_REJECTED(bytes, substring)                                      \
  do {                                                                         \
    std::string message = loadError(bytes);                                    \
    EXPECT_NE(message.find(substring), std::string::npos)                      \
        << "message: " << message;                                             \
  } while (0)

std::string tempPath(const char *name) {
  return testing::TempDir() + "kiln-engine-test-" + name;
}

//===----------------------------------------------------------------------===//
// Writing and reading
//===----------------------------------------------------------------------===//

TEST(EngineFile, RoundTrip) {
  EngineWriter writer;
  buildSample(writer);
  Expected<std::vector<uint8_t>> bytes = writer.writeToBytes();
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  Expected<Engine> engine = Engine::fromBytes(*bytes);
  ASSERT_TRUE(engine.ok()) << engine.message();

  // The manifest comes back as written, plus what the writer fills in.
  Manifest expected = writer.manifest();
  expected.set_format_version(kFormatVersion);
  Manifest loaded = engine->manifest();
  ASSERT_EQ(loaded.sections_size(), 4);
  loaded.clear_sections();
  EXPECT_EQ(deterministic(loaded), deterministic(expected));
  EXPECT_EQ(engine->manifest().producer(), "kiln 0.1.0");

  // Sections and weights come back byte for byte.
  auto spanBytes = [](ByteSpan s) {
    return std::vector<uint8_t>(s.begin(), s.end());
  };
  EXPECT_EQ(spanBytes(engine->section(1)), pattern(200, 4));
  EXPECT_EQ(spanBytes(engine->section(2)), pattern(300, 5));
  EXPECT_EQ(spanBytes(engine->section(3)), pattern(100, 6));
  EXPECT_EQ(spanBytes(engine->weight(0)), pattern(1024, 1));
  EXPECT_EQ(spanBytes(engine->weight(1)), pattern(64, 2));
  EXPECT_EQ(spanBytes(engine->weight(2)), pattern(512, 3));
  EXPECT_EQ(engine->section(4).size, 0u);
  EXPECT_EQ(engine->weight(3).size, 0u);
  EXPECT_EQ(engine->findSection(Section::CUBIN, "sm_80"), size_t(2));
  EXPECT_EQ(engine->findSection(Section::CUBIN, "sm_90"), std::nullopt);
}

TEST(EngineFile, Layout) {
  std::vector<uint8_t> bytes = sampleBytes();
  ASSERT_GE(bytes.size(), 64u);
  EXPECT_EQ(std::memcmp(bytes.data(), "KILNENG\0", 8), 0);
  EXPECT_EQ(bytes[8], 1);
  EXPECT_EQ(bytes[9] | bytes[10] | bytes[11], 0);
  EXPECT_EQ(bytes[12], 64);
  EXPECT_EQ(le64(bytes, 16), bytes.size());
  EXPECT_EQ(le64(bytes, 24) % 64, 0u);
  EXPECT_EQ(le64(bytes, 24) + le64(bytes, 32), bytes.size());
  EXPECT_EQ(le64(bytes, 40), checksum64(bytes.data() + 64, bytes.size() - 64));
  for (size_t i = 48; i < 64; ++i)
    EXPECT_EQ(bytes[i], 0) << "reserved byte " << i;

  Expected<Engine> engine = Engine::fromBytes(bytes);
  ASSERT_TRUE(engine.ok()) << engine.message();
  // Sections are aligned, in order, and the gaps are zeros.
  uint64_t cursor = 64;
  for (const Section &s : engine->manifest().sections()) {
    EXPECT_EQ(s.offset() % 64, 0u);
    EXPECT_GE(s.offset(), cursor);
    EXPECT_LT(s.offset() - cursor, 64u);
    for (uint64_t i = cursor; i < s.offset(); ++i)
      EXPECT_EQ(bytes[i], 0) << "padding byte " << i;
    cursor = s.offset() + s.size();
  }
  // Weights inside a section are aligned too.
  for (const Weight &w : engine->manifest().weights())
    EXPECT_EQ(w.offset() % 64, 0u);
}

TEST(EngineFile, Deterministic) {
  std::vector<uint8_t> a = sampleBytes(), b = sampleBytes();
  EXPECT_EQ(a, b);
  // Same bytes through the file path.
  EngineWriter writer;
  buildSample(writer);
  std::string path = tempPath("deterministic.kiln");
  Status s = writer.writeToFile(path);
  ASSERT_TRUE(s.ok()) << s.message();
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> fromFile((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  EXPECT_EQ(fromFile, a);
  std::remove(path.c_str());
}

TEST(EngineFile, SectionViewsAreNotCopied) {
  std::vector<uint8_t> big = pattern(1 << 20, 9);
  EngineWriter writer;
  buildSample(writer);
  writer.manifest().add_targets("sm_90");
  writer.addSectionView(Section::CUBIN, "sm_90", big.data(), big.size());
  Expected<std::vector<uint8_t>> bytes = writer.writeToBytes();
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  Expected<Engine> engine = Engine::fromBytes(*bytes);
  ASSERT_TRUE(engine.ok()) << engine.message();
  ByteSpan s = engine->section(4);
  EXPECT_EQ(std::vector<uint8_t>(s.begin(), s.end()), big);
}

TEST(EngineFile, MmapAndMemoryAgree) {
  EngineWriter writer;
  buildSample(writer);
  std::string path = tempPath("mmap.kiln");
  ASSERT_TRUE(writer.writeToFile(path).ok());
  Expected<Engine> mapped = Engine::open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.message();
  std::vector<uint8_t> bytes = sampleBytes();
  Expected<Engine> memory = Engine::fromMemory(bytes.data(), bytes.size());
  ASSERT_TRUE(memory.ok()) << memory.message();
  EXPECT_EQ(deterministic(mapped->manifest()),
            deterministic(memory->manifest()));
  EXPECT_EQ(mapped->bytes().size, memory->bytes().size);
  EXPECT_EQ(std::memcmp(mapped->bytes().data, memory->bytes().data,
                        memory->bytes().size),
            0);
  for (int i = 0; i < memory->manifest().sections_size(); ++i) {
    ByteSpan a = mapped->section(i), b = memory->section(i);
    EXPECT_EQ(std::vector<uint8_t>(a.begin(), a.end()),
              std::vector<uint8_t>(b.begin(), b.end()));
    // Views point into the mapping, not into copies.
    EXPECT_EQ(a.data,
              mapped->bytes().data + mapped->manifest().sections(i).offset());
  }
  // The engine outlives a move.
  Engine moved = std::move(*mapped);
  EXPECT_EQ(moved.section(1).data[0], pattern(200, 4)[0]);
  std::remove(path.c_str());
}

TEST(EngineFile, RequireTarget) {
  Expected<Engine> engine = Engine::fromBytes(sampleBytes());
  ASSERT_TRUE(engine.ok()) << engine.message();
  EXPECT_TRUE(engine->requireTarget("host").ok());
  EXPECT_TRUE(engine->requireTarget("sm_80").ok());
  Status s = engine->requireTarget("sm_90");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "the engine has no code for target 'sm_90'; it was "
                         "built for: host, sm_80");
}

TEST(EngineFile, ChecksumIsXXH64) {
  EXPECT_EQ(checksum64("", 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(checksum64("abc", 3), 0x44BC2CF5AD770999ULL);
  const char *text = "Nobody inspects the spammish repetition";
  EXPECT_EQ(checksum64(text, std::strlen(text)), 0xFBCEA83C8A378BF1ULL);
  // Streaming in any pieces gives the same value.
  std::vector<uint8_t> bytes = pattern(1000, 3);
  uint64_t whole = checksum64(bytes.data(), bytes.size());
  for (size_t step : {1, 7, 31, 32, 33, 100}) {
    Checksum64 c;
    for (size_t i = 0; i < bytes.size(); i += step)
      c.update(bytes.data() + i, std::min(step, bytes.size() - i));
    EXPECT_EQ(c.digest(), whole) << "step " << step;
  }
}

TEST(EngineFile, WriterRefusesInvalidManifest) {
  EngineWriter writer;
  buildSample(writer);
  writer.manifest().mutable_kernels(0)->set_inputs(0, 99);
  Expected<std::vector<uint8_t>> bytes = writer.writeToBytes();
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(),
            "engine writer: refusing to write an engine the loader would "
            "reject: invalid engine manifest: kernel 'kiln_fusion0' input #0 "
            "is buffer 99, out of range (the plan has 6 buffers)");
  std::string path = tempPath("refused.kiln");
  EXPECT_FALSE(writer.writeToFile(path).ok());
  EXPECT_FALSE(std::ifstream(path).good());
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());
}

TEST(EngineFile, WriterRefusesWeightOutsideWeightsSection) {
  EngineWriter writer;
  buildSample(writer);
  std::vector<uint8_t> w = pattern(4, 1);
  writer.addWeight(/*section=*/2, "misplaced", F32, {1}, w.data(), w.size());
  Expected<std::vector<uint8_t>> bytes = writer.writeToBytes();
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "engine writer: weight 'misplaced': section #2 "
                             "is not a weights section added with addSection");
}

//===----------------------------------------------------------------------===//
// Rejections: the container
//===----------------------------------------------------------------------===//

TEST(EngineReject, EmptyFile) {
  EXPECT_EQ(loadError({}), "not a Kiln engine: the file is empty");
  std::string path = tempPath("empty.kiln");
  std::ofstream(path).close();
  Expected<Engine> engine = Engine::open(path);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.message(), path + ": not a Kiln engine: the file is empty");
  std::remove(path.c_str());
}

TEST(EngineReject, MissingFileAndDirectory) {
  Expected<Engine> engine = Engine::open("/nonexistent/x.kiln");
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.message(),
            "/nonexistent/x.kiln: cannot open: No such file or directory");
  engine = Engine::open("/tmp");
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.message(), "/tmp: not a regular file");
}

TEST(EngineReject, WrongMagic) {
  std::vector<uint8_t> bytes = sampleBytes();
  bytes[3] = 'X';
  EXPECT_EQ(loadError(bytes), "not a Kiln engine: it starts with 4b 49 4c 58 "
                              "45 4e 47 00, not the magic \"KILNENG\\0\"");
}

TEST(EngineReject, OnnxFile) {
  std::ifstream in(KILN_SOURCE_DIR "/examples/mlp.onnx", std::ios::binary);
  std::vector<uint8_t> onnx((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
  ASSERT_FALSE(onnx.empty());
  std::string message = loadError(onnx);
  EXPECT_EQ(message.rfind("not a Kiln engine: it starts with 08 ", 0), 0u)
      << message;
}

TEST(EngineReject, NewerVersion) {
  std::vector<uint8_t> bytes = sampleBytes();
  bytes[8] = 2;
  EXPECT_EQ(loadError(bytes),
            "unsupported engine: format version 2 is newer than this runtime "
            "reads (1); rebuild the engine with this Kiln or update the "
            "runtime");
  bytes[8] = 0;
  EXPECT_EQ(loadError(bytes), "corrupt engine: format version 0");
}

TEST(EngineReject, HeaderFields) {
  std::vector<uint8_t> bytes = sampleBytes();
  std::vector<uint8_t> b = bytes;
  b[12] = 48;
  EXPECT_EQ(loadError(b),
            "corrupt engine: header size 48, format version 1 has 64");
  b = bytes;
  b[50] = 1;
  EXPECT_EQ(loadError(b), "corrupt engine: reserved header bytes are not zero");
  b = bytes;
  b.push_back(0);
  EXPECT_REJECTED(b, "corrupt engine: the file has ");
  b = bytes;
  setLE64(b, 24, bytes.size() + 64); // manifest beyond the end
  EXPECT_REJECTED(b, "corrupt engine: the manifest (offset ");
  b = bytes;
  setLE64(b, 24, 65); // misaligned manifest
  EXPECT_REJECTED(b, "is not a 64-byte-aligned range inside the file");
  b = bytes;
  setLE64(b, 32, ~uint64_t(0)); // size overflowing offset + size
  EXPECT_REJECTED(b, "is not a 64-byte-aligned range inside the file");
}

TEST(EngineReject, FlippedByteAnywhereAfterTheHeader) {
  std::vector<uint8_t> bytes = sampleBytes();
  for (size_t i = kHeaderSize; i < bytes.size(); ++i) {
    std::vector<uint8_t> b = bytes;
    b[i] ^= 0x10;
    std::string message = loadError(b);
    ASSERT_EQ(message.rfind("corrupt engine: checksum mismatch (the header "
                            "says ",
                            0),
              0u)
        << "byte " << i << ": " << message;
  }
  // Without checksum verification, a flipped weight byte loads (the
  // checksum is the only check of bulk data).
  std::vector<uint8_t> b = bytes;
  Expected<Engine> engine = Engine::fromBytes(b);
  ASSERT_TRUE(engine.ok());
  b[engine->manifest().sections(0).offset()] ^= 1;
  EXPECT_TRUE(Engine::fromBytes(b, LoadOptions{/*verifyChecksum=*/false}).ok());
}

TEST(EngineReject, Truncated) {
  std::vector<uint8_t> bytes = sampleBytes();
  auto cut = [&](size_t n) {
    return loadError(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
  };
  EXPECT_EQ(cut(0), "not a Kiln engine: the file is empty");
  EXPECT_EQ(cut(4),
            "truncated engine: 4 bytes, shorter than the 64-byte header");
  EXPECT_EQ(cut(63),
            "truncated engine: 63 bytes, shorter than the 64-byte header");
  for (size_t n :
       {size_t(64), size_t(65), bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_EQ(cut(n), "truncated engine: the header says " +
                          std::to_string(bytes.size()) +
                          " bytes, the file has " + std::to_string(n))
        << n;
  }
  // A file truncated and then given a matching header field is caught by
  // the checksum or by the manifest range.
  std::vector<uint8_t> b(bytes.begin(), bytes.end() - 10);
  setLE64(b, 16, b.size());
  EXPECT_REJECTED(b, "corrupt engine: the manifest (offset ");
}

//===----------------------------------------------------------------------===//
// Rejections: the manifest
//===----------------------------------------------------------------------===//

TEST(ManifestReject, DoesNotParse) {
  std::string garbage(40, '\xff');
  EXPECT_EQ(loadError(withManifest([](Manifest &) {}, &garbage)),
            "corrupt engine: the manifest does not parse as "
            "kiln.engine.Manifest");
}

TEST(ManifestReject, FormatVersion) {
  EXPECT_EQ(
      loadError(withManifest([](Manifest &m) { m.set_format_version(7); })),
      "invalid engine manifest: format_version 7 does not match the header's "
      "1");
}

TEST(ManifestReject, SectionOutsideFile) {
  EXPECT_REJECTED(withManifest([](Manifest &m) {
                    m.mutable_sections(1)->set_offset(1 << 20);
                  }),
                  "invalid engine manifest: section #1 (host_object) at "
                  "offset 1048576 of 200 bytes lies outside the file");
  EXPECT_REJECTED(withManifest([](Manifest &m) {
                    m.mutable_sections(2)->set_size(~uint64_t(0));
                  }),
                  "invalid engine manifest: section #2 (cubin) at offset ");
  EXPECT_REJECTED(
      withManifest([](Manifest &m) { m.mutable_sections(0)->set_offset(0); }),
      "lies outside the file"); // inside the header
}

TEST(ManifestReject, MisalignedSection) {
  std::string message = loadError(withManifest([](Manifest &m) {
    m.mutable_sections(3)->set_offset(m.sections(3).offset() + 8);
  }));
  EXPECT_NE(message.find("invalid engine manifest: section #3 (ptx) is at "
                         "offset "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(", not a multiple of 64"), std::string::npos);
}

TEST(ManifestReject, OverlappingSections) {
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_sections(2)->set_offset(m.sections(1).offset());
            })),
            "invalid engine manifest: section #1 overlaps section #2");
  // withManifest puts the new manifest at the first aligned offset after
  // the original file.
  uint64_t manifestOffset = (sampleBytes().size() + 63) / 64 * 64;
  EXPECT_EQ(loadError(withManifest([&](Manifest &m) {
              m.mutable_sections(3)->set_offset(manifestOffset);
              m.mutable_sections(3)->set_size(1);
            })),
            "invalid engine manifest: the manifest overlaps section #3");
}

TEST(ManifestReject, SectionKindAndArch) {
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_sections(1)->set_kind(Section::Kind(9));
            })),
            "invalid engine manifest: section #1 has an invalid kind (9)");
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_sections(2)->set_arch("host"); })),
            "invalid engine manifest: section #2 (cubin) has arch 'host', "
            "expected \"sm_XX\"");
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_sections(2)->set_arch("sm_75"); })),
            "invalid engine manifest: section #2 (cubin) is for 'sm_75', "
            "which is not among the targets");
}

TEST(ManifestReject, Targets) {
  EXPECT_EQ(
      loadError(withManifest([](Manifest &m) { m.add_targets("sm_90"); })),
      "invalid engine manifest: target 'sm_90' has no code section");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) { m.add_targets("gpu"); })),
            "invalid engine manifest: target #2 'gpu' is not \"host\" or "
            "\"sm_XX\"");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) { m.add_targets("host"); })),
            "invalid engine manifest: target 'host' is listed twice");
}

TEST(ManifestReject, WeightOutsideItsSection) {
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_weights(2)->set_offset(m.sections(0).size() - 8);
            })),
            "invalid engine manifest: weight 'fc2.weight' at offset 1592 of "
            "512 bytes lies outside section #0 (1600 bytes)");
  EXPECT_REJECTED(withManifest([](Manifest &m) {
                    m.mutable_weights(0)->set_offset(~uint64_t(0) - 10);
                  }),
                  "lies outside section #0");
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_weights(0)->set_section(7); })),
            "invalid engine manifest: weight 'fc1.weight' is in section #7, "
            "out of range (4 sections)");
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_weights(0)->set_section(2); })),
            "invalid engine manifest: weight 'fc1.weight' is in section #2, a "
            "cubin section");
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_weights(1)->set_size(60); })),
            "invalid engine manifest: weight 'fc1.bias' has 60 bytes, its "
            "dtype and shape need 64");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_weights(1)->add_shape(int64_t(1) << 62);
            })),
            "invalid engine manifest: weight 'fc1.bias' has a shape whose "
            "size overflows");
}

TEST(ManifestReject, KernelBufferIds) {
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_kernels(1)->set_outputs(0, 6); })),
            "invalid engine manifest: kernel 'kiln_fusion1' output #0 is "
            "buffer 6, out of range (the plan has 6 buffers)");
}

TEST(ManifestReject, BadExpressions) {
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_kernels(0)->mutable_grid(0)->clear_ops();
            })),
            "invalid engine manifest: kernel 'kiln_fusion0' grid.x: empty "
            "expression");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              Expr *e = m.mutable_kernels(0)->mutable_grid(1);
              apply(*e, ExprOp::ADD);
            })),
            "invalid engine manifest: kernel 'kiln_fusion0' grid.y: op #1 "
            "(add) needs two operands, the stack has 1");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              pushConst(*m.mutable_kernels(0)->mutable_block(0), 2);
            })),
            "invalid engine manifest: kernel 'kiln_fusion0' block.x: the "
            "expression leaves 2 values on the stack, not 1");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              pushDim(*m.mutable_kernels(1)->mutable_workspace_bytes(), 4);
              apply(*m.mutable_kernels(1)->mutable_workspace_bytes(),
                    ExprOp::MAX);
            })),
            "invalid engine manifest: kernel 'kiln_fusion1' workspace bytes: "
            "op #1 reads dim 4, out of range (4 dims)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_kernels(0)
                  ->mutable_dynamic_shared_bytes()
                  ->mutable_ops(0)
                  ->set_opcode(ExprOp::Opcode(42));
            })),
            "invalid engine manifest: kernel 'kiln_fusion0' dynamic shared "
            "bytes: op #0 has an invalid opcode (42)");
  // A derived symbol may only read the symbols before it.
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              *m.mutable_shape_program()->mutable_derived(0) = dimTimes(1, 2);
            })),
            "invalid engine manifest: shape program symbol #1: op #0 reads "
            "dim 1, out of range (1 dims)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_kernels(0)->mutable_grid()->RemoveLast();
            })),
            "invalid engine manifest: kernel 'kiln_fusion0' has 2 grid and 3 "
            "block expressions, expected 3 and 3");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_buffer_plan()->mutable_buffers(0)->clear_size_bytes();
            })),
            "invalid engine manifest: buffer #0 'x' size: empty expression");
}

TEST(ManifestReject, Dims) {
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_bindings(0)->mutable_dims(0)->set_symbol(5);
            })),
            "invalid engine manifest: binding 'x' dim #0 uses symbol 5, out "
            "of range (the engine has 2 symbols)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_bindings(0)->mutable_dims(0)->set_symbol(1);
            })),
            "invalid engine manifest: binding 'x' dim #0 uses derived symbol "
            "1; an input's dims must be input symbols (< 1)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_bindings(1)->mutable_dims(1)->clear_value();
            })),
            "invalid engine manifest: binding 'y' dim #1 has neither a size "
            "nor a symbol");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_kernels(0)->mutable_dims(1)->set_size(-3);
            })),
            "invalid engine manifest: kernel 'kiln_fusion0' dim #1 has a "
            "negative size (-3)");
}

TEST(ManifestReject, BindingsAndProfiles) {
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_bindings(1)->set_name("x"); })),
            "invalid engine manifest: binding 'x' is listed twice");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_bindings(1)->set_dtype(DATA_TYPE_INVALID);
            })),
            "invalid engine manifest: binding 'y' has an invalid dtype (0)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_profiles(0)->mutable_ranges(0)->set_min(100);
            })),
            "invalid engine manifest: profile #0 symbol 0: needs 0 <= min <= "
            "opt <= max, has 100/32/64");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_profiles(1)->mutable_ranges(0)->set_symbol(1);
            })),
            "invalid engine manifest: profile #1 symbol 1 is not an input "
            "symbol (< 1)");
}

TEST(ManifestReject, NamesAreBytes) {
  // Text is `bytes`: protobuf does not reject (or log about) invalid UTF-8,
  // and messages quote names with non-printable bytes replaced.
  std::vector<uint8_t> bytes = withManifest([](Manifest &m) {
    m.mutable_bindings(0)->set_name("\xff\x01x");
    m.mutable_bindings(1)->set_name("\xff\x01x");
  });
  EXPECT_EQ(loadError(bytes),
            "invalid engine manifest: binding '??x' is listed twice");
  bytes = withManifest([](Manifest &m) {
    m.mutable_bindings(0)->set_name(std::string(100, 'n') + "\xc3");
  });
  EXPECT_EQ(loadError(bytes), "");
}

TEST(ManifestReject, InputSymbols) {
  EXPECT_EQ(loadError(withManifest(
                [](Manifest &m) { m.mutable_profiles(1)->clear_ranges(); })),
            "invalid engine manifest: profile #1 has no range for input "
            "symbol 0");
  EXPECT_EQ(
      loadError(withManifest([](Manifest &m) { m.clear_profiles(); })),
      "invalid engine manifest: the engine has 1 input symbols and no profile");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_bindings(0)->mutable_dims(0)->set_size(4);
            })),
            "invalid engine manifest: input symbol 0 is not a dim of any "
            "input binding");
}

TEST(ManifestReject, BufferPlan) {
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_buffer_plan()->set_arena_bytes(1000);
            })),
            "invalid engine manifest: buffer #4 'h' of 4096 bytes at offset 0 "
            "overflows the arena (1000 bytes) at profile #0 max");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_buffer_plan()->mutable_buffers(4)->set_arena_offset(
                  100);
            })),
            "invalid engine manifest: buffer #4 'h' has arena offset 100 "
            "(arena of 16384 bytes, alignment 256)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_buffer_plan()->mutable_buffers(1)->set_index(3);
            })),
            "invalid engine manifest: buffer #1 'fc1.weight' is weight 3, out "
            "of range (3 weights)");
  EXPECT_EQ(loadError(withManifest([](Manifest &m) {
              m.mutable_profiles(1)->mutable_ranges(0)->set_max(int64_t(1)
                                                                << 62);
            })),
            "invalid engine manifest: profile #1 max: symbol #1: op #2 (mul) "
            "of 4611686018427387904 and 2 overflows int64");
}

} // namespace
