//===- EngineFile.h - The engine container: writer and loader ---*- C++ -*-===//
//
// An engine file is, in this order (docs/engine-format.md has the bytes):
//
//   header (64 bytes): magic "KILNENG\0", format version, header size, file
//     size, manifest offset and size, and a 64-bit checksum (XXH64) of every
//     byte after the header; all integers little-endian;
//   raw sections (weights, cubins, PTX, host code object), each at a
//     64-byte-aligned offset, zero padding between them;
//   the manifest (manifest.proto, `kiln.engine.Manifest`), 64-byte aligned,
//     which says where each section is.
//
// The loader maps the file (or takes bytes in memory), validates the header,
// the checksum, the manifest and every index and offset in it, and then
// hands out the manifest and views of the sections into the mapping: a
// multi-GB weight section is never copied nor parsed. Everything a corrupt
// or hostile file can make wrong is an error value with a message, never an
// exception, a crash or an abort (a libFuzzer target checks that).
//
// The writer lays the same format out deterministically: sections in the
// order they were added, the manifest serialized with protobuf's
// deterministic option, no timestamps, zero padding. It validates what it
// writes with the loader's own checks, so it cannot produce a file the
// loader refuses.
//
// No MLIR, no LLVM: the C++ standard library, protobuf-lite and POSIX mmap.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ENGINE_ENGINEFILE_H
#define KILN_RUNTIME_ENGINE_ENGINEFILE_H

#include "runtime/Status.h"
#include "runtime/engine/manifest.pb.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::engine {

// Errors as values: runtime/Status.h.
using kiln::Expected;
using kiln::Status;

//===----------------------------------------------------------------------===//
// The header
//===----------------------------------------------------------------------===//

/// "KILNENG\0".
inline constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'E', 'N', 'G', '\0'};
/// The format this runtime writes and the newest it reads.
inline constexpr uint32_t kFormatVersion = 1;
/// The header of format version 1, fields and reserved zeros.
inline constexpr uint32_t kHeaderSize = 64;
/// Sections and the manifest start at multiples of this.
inline constexpr uint64_t kSectionAlignment = 64;
/// Manifests above this are refused (protobuf parses at most 2 GiB).
inline constexpr uint64_t kMaxManifestBytes = uint64_t(1) << 30;

struct Header {
  uint32_t formatVersion = kFormatVersion;
  uint32_t headerSize = kHeaderSize;
  uint64_t fileSize = 0;
  uint64_t manifestOffset = 0;
  uint64_t manifestSize = 0;
  /// checksum64 of bytes [headerSize, fileSize).
  uint64_t checksum = 0;
};

/// The header's 64 bytes, little-endian, reserved bytes zero.
void encodeHeader(const Header &header, uint8_t out[kHeaderSize]);

/// XXH64 (seed 0) of `size` bytes: detects corruption (a flipped bit, a
/// short copy); not a cryptographic hash, engines are not signed.
uint64_t checksum64(const void *data, size_t size);

/// The same checksum over bytes given in pieces.
class Checksum64 {
public:
  void update(const void *data, size_t size);
  uint64_t digest() const;

private:
  // XXH64's initial lanes for seed 0: P1 + P2, P2, 0, -P1.
  uint64_t acc[4] = {0x9E3779B185EBCA87ULL + 0xC2B2AE3D27D4EB4FULL,
                     0xC2B2AE3D27D4EB4FULL, 0, 0 - 0x9E3779B185EBCA87ULL};
  uint8_t buffer[32] = {};
  size_t buffered = 0;
  uint64_t total = 0;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// Whether `expr` is a well-formed postfix program over a dims table of
/// `numDims` entries: known opcodes, no pop of an empty stack, exactly one
/// value left, every PUSH_DIM index in [0, numDims). The message says what
/// is wrong and at which op.
Status checkExpr(const Expr &expr, uint64_t numDims);

/// The value of `expr` for `dims`, with ShapeExpr::evaluate's checks:
/// overflow, division by a non-positive value or of a negative one, and a
/// dim index out of range are errors. Needs no checkExpr first.
Expected<int64_t> evaluateExpr(const Expr &expr, const int64_t *dims,
                               size_t numDims);
inline Expected<int64_t> evaluateExpr(const Expr &expr,
                                      const std::vector<int64_t> &dims) {
  return evaluateExpr(expr, dims.data(), dims.size());
}

/// Every symbol of the engine's table for the free symbols' values
/// `inputs` (shape_program.num_input_symbols of them): those, then each
/// derived symbol in order. Errors name the symbol that failed.
Expected<std::vector<int64_t>>
evaluateShapeProgram(const ShapeProgram &program,
                     const std::vector<int64_t> &inputs);

/// Bytes per element of `dtype`, 0 for an invalid one.
uint64_t dataTypeSize(int dtype);

//===----------------------------------------------------------------------===//
// The loader
//===----------------------------------------------------------------------===//

/// A view of bytes owned by something else (the engine's mapping).
struct ByteSpan {
  const uint8_t *data = nullptr;
  size_t size = 0;
  const uint8_t *begin() const { return data; }
  const uint8_t *end() const { return data + size; }
};

struct LoadOptions {
  /// Verify the checksum (reads every byte of the file once). Turning it off
  /// skips only that check.
  bool verifyChecksum = true;
};

/// A loaded, validated engine. Movable, not copyable; views it hands out
/// live as long as it does.
class Engine {
public:
  /// Maps the file read-only and validates it.
  static Expected<Engine> open(const std::string &path,
                               const LoadOptions &options = {});
  /// Validates `size` bytes at `data`, which the caller keeps alive and
  /// unchanged for the engine's lifetime.
  static Expected<Engine> fromMemory(const void *data, size_t size,
                                     const LoadOptions &options = {});
  /// Same, owning the bytes.
  static Expected<Engine> fromBytes(std::vector<uint8_t> bytes,
                                    const LoadOptions &options = {});

  Engine(Engine &&) = default;
  Engine &operator=(Engine &&) = default;
  ~Engine();

  const Header &header() const { return header_; }
  const Manifest &manifest() const { return *manifest_; }
  /// The whole file.
  ByteSpan bytes() const { return {data_, size_}; }
  /// Section `index`'s bytes; an empty span for an index out of range.
  ByteSpan section(size_t index) const;
  /// Weight `index`'s bytes inside its section; empty when out of range.
  ByteSpan weight(size_t index) const;
  /// The code section of `kind` for `arch`, if the engine has one.
  std::optional<size_t> findSection(Section::Kind kind,
                                    const std::string &arch) const;

  /// Success when the engine was built for `target` ("host", "sm_80"), or an
  /// error listing the targets it has.
  Status requireTarget(const std::string &target) const;

private:
  struct Storage;
  Engine() = default;
  static Expected<Engine> load(std::shared_ptr<Storage> storage,
                               const LoadOptions &options);

  std::shared_ptr<Storage> storage_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  Header header_;
  std::unique_ptr<Manifest> manifest_;
};

/// The manifest-level checks of the loader, for a manifest describing a
/// file of `fileSize` bytes whose manifest occupies [manifestOffset,
/// manifestOffset + manifestSize). Engine::open runs it; the writer too.
Status validateManifest(const Manifest &manifest, uint64_t fileSize,
                        uint64_t manifestOffset, uint64_t manifestSize);

//===----------------------------------------------------------------------===//
// The writer
//===----------------------------------------------------------------------===//

/// Builds an engine file: fill in manifest() (everything but sections and
/// format_version, which the writer sets), attach sections, write.
class EngineWriter {
public:
  EngineWriter();

  Manifest &manifest() { return *manifest_; }
  const Manifest &manifest() const { return *manifest_; }

  /// Attaches a section holding a copy of `bytes`; returns its index (the
  /// value for Weight.section). Sections are laid out in this order.
  uint32_t addSection(Section::Kind kind, const std::string &arch,
                      std::vector<uint8_t> bytes);
  /// Same, without a copy: `data` must stay valid until the last write.
  uint32_t addSectionView(Section::Kind kind, const std::string &arch,
                          const void *data, size_t size);

  /// Appends a weight to WEIGHTS section `section` (which must have been
  /// added with addSection), at the next 64-byte-aligned offset, and
  /// records it in the manifest; returns its index. Another section makes
  /// the writes fail.
  uint32_t addWeight(uint32_t section, const std::string &name, DataType dtype,
                     const std::vector<int64_t> &shape, const void *data,
                     size_t size);

  /// The whole file in memory.
  Expected<std::vector<uint8_t>> writeToBytes() const;
  /// Writes `path` (through `path.tmp` renamed into place, so a reader never
  /// sees half a file).
  Status writeToFile(const std::string &path) const;

private:
  struct PendingSection {
    Section::Kind kind;
    std::string arch;
    std::vector<uint8_t> owned;
    const uint8_t *view = nullptr; // the caller's bytes, when isView
    size_t viewSize = 0;
    bool isView = false;
    const uint8_t *data() const { return isView ? view : owned.data(); }
    size_t size() const { return isView ? viewSize : owned.size(); }
  };
  /// The final manifest bytes and header, with sections placed.
  Status layout(std::string &manifestBytes, Header &header,
                std::vector<uint64_t> &offsets) const;
  template <typename Sink> Status emit(Sink &sink) const;

  std::unique_ptr<Manifest> manifest_;
  std::vector<PendingSection> sections_;
  /// The first misuse (addWeight to a section it cannot append to),
  /// reported by the writes.
  std::string pendingError_;
};

} // namespace kiln::engine

#endif // KILN_RUNTIME_ENGINE_ENGINEFILE_H
