//===- EngineLoaderFuzzer.cpp - Fuzz target over the engine loader --------===//
//
// `LLVMFuzzerTestOneInput` gives arbitrary bytes to the engine loader
// (runtime/engine), twice:
//
//  1. as they are: the header checks and the checksum;
//  2. when they start with the magic and hold a header, with the header's
//     file size and checksum made to match the bytes. Almost every mutation
//     of a valid engine breaks the checksum, so without this second load
//     libFuzzer would never get past it into the manifest's validation,
//     which is where the loader trusts the file most;
//  3. when they do not start with the magic, as a manifest: wrapped in a
//     header and after 4 KiB of zeros that sections may point into. A
//     mutation that inserts or deletes bytes in a whole engine moves its
//     manifest away from where the header says it is; here every mutation
//     lands in the manifest (the seeds include the valid engines' manifests
//     on their own).
//
// Refusing an input is the normal outcome. A finding is a crash, a sanitizer
// report, a leak, a hang, or one of the target's own checks failing, which
// abort so that libFuzzer keeps the input:
//  - a refusal without a message;
//  - an accepted engine whose section or weight views fall outside the
//    bytes it was given;
//  - an accepted engine that the writer cannot write again (the writer runs
//    the loader's checks on a relaid-out copy, so the two must agree), or
//    whose rewrite the loader refuses.
// Accepted engines also have every expression evaluated for each profile
// (opt and max shapes), as the runtime will, to fuzz the evaluator.
//
// Linked with libFuzzer (kiln-engine-fuzz) and with the replay driver
// (kiln-engine-fuzz-replay); see docs/fuzzing.md.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineFile.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace kiln::engine;

namespace {

[[noreturn]] void reportLoaderBug(const char *what, const std::string &detail) {
  std::fprintf(stderr, "kiln-engine-fuzz: loader bug: %s%s%s\n", what,
               detail.empty() ? "" : ": ", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

bool inside(ByteSpan span, ByteSpan whole) {
  if (span.size == 0)
    return true;
  return span.data >= whole.data && span.data <= whole.data + whole.size &&
         span.size <= size_t(whole.data + whole.size - span.data);
}

/// Evaluates what the runtime will evaluate: the shape program, buffer
/// sizes, and every kernel's launch, for each profile's opt and max.
void evaluateEverything(const Manifest &m) {
  const ShapeProgram &program = m.shape_program();
  for (const Profile &profile : m.profiles())
    for (int which = 0; which < 2; ++which) {
      std::vector<int64_t> inputs(program.num_input_symbols(), 1);
      for (const Profile::SymbolRange &r : profile.ranges())
        inputs[r.symbol()] = which ? r.max() : r.opt();
      Expected<std::vector<int64_t>> symbols =
          evaluateShapeProgram(program, inputs);
      if (!symbols)
        continue;
      for (const Buffer &b : m.buffer_plan().buffers())
        (void)evaluateExpr(b.size_bytes(), *symbols);
      for (const Kernel &k : m.kernels()) {
        std::vector<int64_t> dims;
        for (const Dim &d : k.dims())
          dims.push_back(d.value_case() == Dim::kSize ? d.size()
                                                      : (*symbols)[d.symbol()]);
        for (const Expr &e : k.grid())
          (void)evaluateExpr(e, dims);
        for (const Expr &e : k.block())
          (void)evaluateExpr(e, dims);
        (void)evaluateExpr(k.dynamic_shared_bytes(), dims);
        (void)evaluateExpr(k.workspace_bytes(), dims);
      }
    }
}

void exercise(const Expected<Engine> &loaded) {
  if (!loaded) {
    if (loaded.message().empty())
      reportLoaderBug("a refusal without a message", "");
    return;
  }
  const Engine &engine = *loaded;
  const Manifest &m = engine.manifest();
  for (int i = 0; i < m.sections_size(); ++i)
    if (!inside(engine.section(i), engine.bytes()))
      reportLoaderBug("a section view outside the file", std::to_string(i));
  for (int i = 0; i < m.weights_size(); ++i)
    if (!inside(engine.weight(i), engine.section(m.weights(i).section())))
      reportLoaderBug("a weight view outside its section", std::to_string(i));
  (void)engine.requireTarget("host");
  (void)engine.requireTarget("sm_90");
  evaluateEverything(m);

  // The writer accepts what the loader accepted, and the loader its output.
  EngineWriter writer;
  writer.manifest() = m;
  writer.manifest().clear_sections();
  for (int i = 0; i < m.sections_size(); ++i) {
    ByteSpan s = engine.section(i);
    writer.addSectionView(m.sections(i).kind(), m.sections(i).arch(), s.data,
                          s.size);
  }
  Expected<std::vector<uint8_t>> rewritten = writer.writeToBytes();
  if (!rewritten)
    reportLoaderBug("the writer refuses an engine the loader accepted",
                    rewritten.message());
  Expected<Engine> reloaded = Engine::fromBytes(std::move(*rewritten));
  if (!reloaded)
    reportLoaderBug("the loader refuses the writer's rewrite",
                    reloaded.message());
}

/// Where the sections of a wrapped manifest may be: [64, 64 + this).
constexpr size_t kWrappedSectionArea = 4096;

void writeLE64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exercise(Engine::fromMemory(data, size));
  if (size >= kHeaderSize && std::memcmp(data, kMagic, sizeof(kMagic)) == 0) {
    std::vector<uint8_t> repaired(data, data + size);
    writeLE64(repaired.data() + 16, size);
    writeLE64(repaired.data() + 40,
              checksum64(repaired.data() + kHeaderSize, size - kHeaderSize));
    exercise(Engine::fromBytes(std::move(repaired)));
  } else if (size <= kMaxManifestBytes) {
    std::vector<uint8_t> wrapped(kHeaderSize + kWrappedSectionArea, 0);
    wrapped.insert(wrapped.end(), data, data + size);
    Header header;
    header.fileSize = wrapped.size();
    header.manifestOffset = kHeaderSize + kWrappedSectionArea;
    header.manifestSize = size;
    header.checksum =
        checksum64(wrapped.data() + kHeaderSize, wrapped.size() - kHeaderSize);
    encodeHeader(header, wrapped.data());
    exercise(Engine::fromBytes(std::move(wrapped)));
  }
  return 0;
}
