//===- MakeEngineCorpus.cpp - Seed corpus of the engine loader fuzzer -----===//
//
// `kiln-engine-fuzz-corpus OUT_DIR` writes the seeds of fuzz/corpus/engine:
// valid engines (the unit tests' sample, a minimal one, weights only, several
// targets, every expression opcode), the sample broken in each way the
// header checks catch, and the sample with a manifest broken in each way the
// manifest checks catch (header and checksum made consistent, so the
// manifest is what is wrong), and the valid engines' manifests alone (see
// EngineLoaderFuzzer.cpp). libFuzzer mutates the valid ones into the
// manifest's validation; the broken ones start it next to each refusal.
// The output is deterministic: regenerating rewrites identical files.
//
//===----------------------------------------------------------------------===//

#include "test/unit/engine/SampleEngine.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace kiln::engine;
using namespace kiln::engine::sample;

namespace {

std::string outDir;
int failures = 0;

void save(const std::string &name, const std::vector<uint8_t> &bytes) {
  std::string path = outDir + "/" + name;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (bytes.size() &&
             std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    ++failures;
  }
  if (f)
    std::fclose(f);
}

std::vector<uint8_t> write(const EngineWriter &writer) {
  Expected<std::vector<uint8_t>> bytes = writer.writeToBytes();
  if (!bytes) {
    std::fprintf(stderr, "writer: %s\n", bytes.message().c_str());
    ++failures;
    return {};
  }
  return *bytes;
}

std::vector<uint8_t> sampleBytes() {
  EngineWriter writer;
  buildSample(writer);
  return write(writer);
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

/// The sample with its manifest changed by `mutate`, appended at the end
/// with a consistent header and checksum.
std::vector<uint8_t>
withManifest(const std::function<void(Manifest &)> &mutate) {
  std::vector<uint8_t> bytes = sampleBytes();
  Manifest m;
  m.ParseFromArray(bytes.data() + le64(bytes, 24), int(le64(bytes, 32)));
  mutate(m);
  std::string encoded;
  {
    google::protobuf::io::StringOutputStream stream(&encoded);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  bytes.resize((bytes.size() + 63) / 64 * 64, 0);
  setLE64(bytes, 24, bytes.size());
  setLE64(bytes, 32, encoded.size());
  bytes.insert(bytes.end(), encoded.begin(), encoded.end());
  setLE64(bytes, 16, bytes.size());
  fixChecksum(bytes);
  return bytes;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  outDir = argv[1];

  // Valid engines.
  std::vector<uint8_t> sample = sampleBytes();
  save("valid_sample.kiln", sample);
  {
    EngineWriter writer;
    save("valid_minimal.kiln", write(writer));
  }
  {
    EngineWriter writer;
    writer.manifest().set_producer("kiln 0.1.0");
    uint32_t s = writer.addSection(Section::WEIGHTS, "", {});
    std::vector<uint8_t> a = pattern(12, 1), b = pattern(2, 2);
    writer.addWeight(s, "a", I32, {3}, a.data(), a.size());
    writer.addWeight(s, "b", BOOL, {1, 2}, b.data(), b.size());
    save("valid_weights_only.kiln", write(writer));
  }
  {
    EngineWriter writer;
    buildSample(writer);
    writer.manifest().add_targets("sm_90");
    writer.addSection(Section::CUBIN, "sm_90", pattern(64, 7));
    writer.addSection(Section::PTX, "sm_90", pattern(65, 8));
    KernelResources *r = writer.manifest().mutable_kernels(0)->add_resources();
    r->set_arch("sm_90");
    r->set_registers(72);
    save("valid_three_targets.kiln", write(writer));
  }
  {
    // Every opcode in one grid formula over the kernel's dims table.
    EngineWriter writer;
    buildSample(writer);
    Expr e;
    pushDim(e, 0);
    pushDim(e, 1);
    apply(e, ExprOp::MUL);
    pushConst(e, 3);
    apply(e, ExprOp::ADD);
    pushConst(e, 1);
    apply(e, ExprOp::SUB);
    pushConst(e, 256);
    apply(e, ExprOp::CEIL_DIV);
    pushConst(e, 2);
    apply(e, ExprOp::FLOOR_DIV);
    pushConst(e, 65535);
    apply(e, ExprOp::MIN);
    pushConst(e, 1);
    apply(e, ExprOp::MAX);
    *writer.manifest().mutable_kernels(1)->mutable_grid(0) = e;
    save("valid_all_opcodes.kiln", write(writer));
  }

  // The valid engines' manifests on their own, which the target wraps in a
  // header after 4 KiB for sections (all their sections fit there).
  for (const char *name :
       {"valid_sample", "valid_minimal", "valid_weights_only",
        "valid_three_targets", "valid_all_opcodes"}) {
    std::FILE *f = std::fopen((outDir + "/" + name + ".kiln").c_str(), "rb");
    std::vector<uint8_t> b;
    if (f) {
      int c;
      while ((c = std::fgetc(f)) != EOF)
        b.push_back(uint8_t(c));
      std::fclose(f);
    }
    if (b.size() < kHeaderSize) {
      ++failures;
      continue;
    }
    uint64_t offset = le64(b, 24), size = le64(b, 32);
    save(std::string("manifest_") + (name + 6) + ".pb",
         std::vector<uint8_t>(b.begin() + offset, b.begin() + offset + size));
  }

  // Header-level breakage.
  save("empty.kiln", {});
  {
    std::vector<uint8_t> b = sample;
    b[0] = 'X';
    save("bad_magic.kiln", b);
    b = sample;
    b[8] = 2;
    save("newer_version.kiln", b);
    b = sample;
    b[12] = 32;
    save("bad_header_size.kiln", b);
    b = sample;
    b[60] = 1;
    save("reserved_nonzero.kiln", b);
    b = sample;
    b[b.size() / 2] ^= 0x40;
    save("flipped_byte.kiln", b);
    save("truncated_header.kiln",
         std::vector<uint8_t>(sample.begin(), sample.begin() + 40));
    save("truncated_half.kiln",
         std::vector<uint8_t>(sample.begin(),
                              sample.begin() + sample.size() / 2));
    b = sample;
    b.push_back(0);
    save("trailing_byte.kiln", b);
    b = sample;
    setLE64(b, 24, 8); // manifest inside the header
    save("manifest_in_header.kiln", b);
    // An ONNX-like prefix (a ModelProto starts with ir_version, field 1).
    save("onnx_prefix.kiln", {0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r',
                              'c', 'h', 0x1a, 0x03, '2', '.', '1'});
  }

  // Manifest-level breakage.
  save("section_outside_file.kiln", withManifest([](Manifest &m) {
         m.mutable_sections(1)->set_offset(1 << 20);
       }));
  save("section_misaligned.kiln", withManifest([](Manifest &m) {
         m.mutable_sections(3)->set_offset(m.sections(3).offset() + 8);
       }));
  save("sections_overlap.kiln", withManifest([](Manifest &m) {
         m.mutable_sections(2)->set_offset(m.sections(1).offset());
       }));
  save("weight_outside_section.kiln", withManifest([](Manifest &m) {
         m.mutable_weights(2)->set_offset(m.sections(0).size() - 8);
       }));
  save("weight_size_mismatch.kiln",
       withManifest([](Manifest &m) { m.mutable_weights(1)->set_size(60); }));
  save("kernel_buffer_out_of_range.kiln", withManifest([](Manifest &m) {
         m.mutable_kernels(1)->set_outputs(0, 6);
       }));
  save("expr_stack_underflow.kiln", withManifest([](Manifest &m) {
         apply(*m.mutable_kernels(0)->mutable_grid(1), ExprOp::ADD);
       }));
  save("expr_dim_out_of_range.kiln", withManifest([](Manifest &m) {
         *m.mutable_shape_program()->mutable_derived(0) = dimTimes(1, 2);
       }));
  save("missing_target_code.kiln",
       withManifest([](Manifest &m) { m.add_targets("sm_90"); }));
  save("arena_overflow.kiln", withManifest([](Manifest &m) {
         m.mutable_buffer_plan()->set_arena_bytes(1000);
       }));
  save("symbol_out_of_range.kiln", withManifest([](Manifest &m) {
         m.mutable_bindings(0)->mutable_dims(0)->set_symbol(5);
       }));
  save("profile_overflow.kiln", withManifest([](Manifest &m) {
         m.mutable_profiles(1)->mutable_ranges(0)->set_max(int64_t(1) << 62);
       }));
  return failures ? 1 : 0;
}
