//===- EngineFile.cpp - The engine container: writer and loader -----------===//
//
// Validation is written for hostile input: every offset and size from the
// file is checked with overflow-free comparisons (`size <= limit - offset`,
// never `offset + size <= limit`) before it is used, every index before it
// is followed, and expressions are checked structurally without evaluating
// anything the file could make expensive. docs/engine-format.md lists the
// messages.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineFile.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln::engine {

namespace {

/// printf into a std::string.
template <typename... Args> std::string format(const char *fmt, Args... args) {
  int n = std::snprintf(nullptr, 0, fmt, args...);
  if (n <= 0)
    return std::string();
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), fmt, args...);
  out.pop_back();
  return out;
}

uint32_t readLE32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}
uint64_t readLE64(const uint8_t *p) {
  return uint64_t(readLE32(p)) | uint64_t(readLE32(p + 4)) << 32;
}
void writeLE32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
void writeLE64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}

uint64_t alignUp(uint64_t v) {
  return (v + kSectionAlignment - 1) & ~(kSectionAlignment - 1);
}

//===----------------------------------------------------------------------===//
// XXH64
//===----------------------------------------------------------------------===//

constexpr uint64_t P1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t P3 = 0x165667B19E3779F9ULL;
constexpr uint64_t P4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t P5 = 0x27D4EB2F165667C5ULL;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
uint64_t xxRound(uint64_t acc, uint64_t input) {
  acc += input * P2;
  return rotl(acc, 31) * P1;
}
uint64_t xxMerge(uint64_t h, uint64_t v) {
  h ^= xxRound(0, v);
  return h * P1 + P4;
}

} // namespace

void Checksum64::update(const void *data, size_t size) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  total += size;
  if (buffered) {
    size_t take = std::min(size, sizeof(buffer) - buffered);
    std::memcpy(buffer + buffered, p, take);
    buffered += take;
    p += take;
    size -= take;
    if (buffered < sizeof(buffer))
      return;
    for (int i = 0; i < 4; ++i)
      acc[i] = xxRound(acc[i], readLE64(buffer + 8 * i));
    buffered = 0;
  }
  for (; size >= 32; p += 32, size -= 32)
    for (int i = 0; i < 4; ++i)
      acc[i] = xxRound(acc[i], readLE64(p + 8 * i));
  if (size) {
    std::memcpy(buffer, p, size);
    buffered = size;
  }
}

uint64_t Checksum64::digest() const {
  uint64_t h;
  if (total >= 32) {
    h = rotl(acc[0], 1) + rotl(acc[1], 7) + rotl(acc[2], 12) + rotl(acc[3], 18);
    for (int i = 0; i < 4; ++i)
      h = xxMerge(h, acc[i]);
  } else {
    h = P5; // seed 0
  }
  h += total;
  const uint8_t *p = buffer;
  size_t n = buffered;
  for (; n >= 8; p += 8, n -= 8) {
    h ^= xxRound(0, readLE64(p));
    h = rotl(h, 27) * P1 + P4;
  }
  if (n >= 4) {
    h ^= uint64_t(readLE32(p)) * P1;
    h = rotl(h, 23) * P2 + P3;
    p += 4;
    n -= 4;
  }
  for (; n; ++p, --n) {
    h ^= uint64_t(*p) * P5;
    h = rotl(h, 11) * P1;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

uint64_t checksum64(const void *data, size_t size) {
  Checksum64 c;
  c.update(data, size);
  return c.digest();
}

void encodeHeader(const Header &header, uint8_t out[kHeaderSize]) {
  std::memset(out, 0, kHeaderSize);
  std::memcpy(out, kMagic, sizeof(kMagic));
  writeLE32(out + 8, header.formatVersion);
  writeLE32(out + 12, header.headerSize);
  writeLE64(out + 16, header.fileSize);
  writeLE64(out + 24, header.manifestOffset);
  writeLE64(out + 32, header.manifestSize);
  writeLE64(out + 40, header.checksum);
  // Bytes 48..63 are reserved and zero.
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

namespace {
const char *opcodeName(int opcode) {
  switch (opcode) {
  case ExprOp::PUSH_CONST:
    return "push_const";
  case ExprOp::PUSH_DIM:
    return "push_dim";
  case ExprOp::ADD:
    return "add";
  case ExprOp::SUB:
    return "sub";
  case ExprOp::MUL:
    return "mul";
  case ExprOp::CEIL_DIV:
    return "ceil_div";
  case ExprOp::FLOOR_DIV:
    return "floor_div";
  case ExprOp::MIN:
    return "min";
  case ExprOp::MAX:
    return "max";
  default:
    return "invalid";
  }
}
} // namespace

Status checkExpr(const Expr &expr, uint64_t numDims) {
  if (expr.ops_size() == 0)
    return Status::error("empty expression");
  int64_t depth = 0;
  for (int i = 0; i < expr.ops_size(); ++i) {
    const ExprOp &op = expr.ops(i);
    int opcode = op.opcode();
    switch (opcode) {
    case ExprOp::PUSH_CONST:
      ++depth;
      break;
    case ExprOp::PUSH_DIM:
      if (op.operand() < 0 || uint64_t(op.operand()) >= numDims)
        return Status::error(format("op #%d reads dim %" PRId64
                                    ", out of range (%" PRIu64 " dims)",
                                    i, op.operand(), numDims));
      ++depth;
      break;
    case ExprOp::ADD:
    case ExprOp::SUB:
    case ExprOp::MUL:
    case ExprOp::CEIL_DIV:
    case ExprOp::FLOOR_DIV:
    case ExprOp::MIN:
    case ExprOp::MAX:
      if (depth < 2)
        return Status::error(format("op #%d (%s) needs two operands, the "
                                    "stack has %" PRId64,
                                    i, opcodeName(opcode), depth));
      --depth;
      break;
    default:
      return Status::error(
          format("op #%d has an invalid opcode (%d)", i, opcode));
    }
  }
  if (depth != 1)
    return Status::error(format(
        "the expression leaves %" PRId64 " values on the stack, not 1", depth));
  return Status::success();
}

Expected<int64_t> evaluateExpr(const Expr &expr, const int64_t *dims,
                               size_t numDims) {
  std::vector<int64_t> stack;
  stack.reserve(static_cast<size_t>(expr.ops_size()));
  for (int i = 0; i < expr.ops_size(); ++i) {
    const ExprOp &op = expr.ops(i);
    int opcode = op.opcode();
    if (opcode == ExprOp::PUSH_CONST) {
      stack.push_back(op.operand());
      continue;
    }
    if (opcode == ExprOp::PUSH_DIM) {
      if (op.operand() < 0 || uint64_t(op.operand()) >= numDims)
        return Status::error(format("op #%d reads dim %" PRId64
                                    ", out of range (%zu dims)",
                                    i, op.operand(), numDims));
      stack.push_back(dims[op.operand()]);
      continue;
    }
    if (opcode < ExprOp::ADD || opcode > ExprOp::MAX)
      return Status::error(
          format("op #%d has an invalid opcode (%d)", i, opcode));
    if (stack.size() < 2)
      return Status::error(format("op #%d (%s) needs two operands, the "
                                  "stack has %zu",
                                  i, opcodeName(opcode), stack.size()));
    int64_t b = stack.back();
    stack.pop_back();
    int64_t a = stack.back();
    int64_t r = 0;
    bool bad = false;
    switch (opcode) {
    case ExprOp::ADD:
      bad = __builtin_add_overflow(a, b, &r);
      break;
    case ExprOp::SUB:
      bad = __builtin_sub_overflow(a, b, &r);
      break;
    case ExprOp::MUL:
      bad = __builtin_mul_overflow(a, b, &r);
      break;
    case ExprOp::CEIL_DIV:
    case ExprOp::FLOOR_DIV:
      if (b <= 0 || a < 0)
        return Status::error(format("op #%d (%s) of %" PRId64 " by %" PRId64
                                    ": needs a >= 0 and b > 0",
                                    i, opcodeName(opcode), a, b));
      r = a / b + (opcode == ExprOp::CEIL_DIV && a % b != 0);
      break;
    case ExprOp::MIN:
      r = a < b ? a : b;
      break;
    case ExprOp::MAX:
      r = a > b ? a : b;
      break;
    }
    if (bad)
      return Status::error(format("op #%d (%s) of %" PRId64 " and %" PRId64
                                  " overflows int64",
                                  i, opcodeName(opcode), a, b));
    stack.back() = r;
  }
  if (stack.size() != 1)
    return Status::error(format(
        "the expression leaves %zu values on the stack, not 1", stack.size()));
  return stack.back();
}

Expected<std::vector<int64_t>>
evaluateShapeProgram(const ShapeProgram &program,
                     const std::vector<int64_t> &inputs) {
  if (inputs.size() != program.num_input_symbols())
    return Status::error(format("the shape program takes %u input symbols, "
                                "%zu given",
                                program.num_input_symbols(), inputs.size()));
  std::vector<int64_t> symbols = inputs;
  symbols.reserve(inputs.size() + size_t(program.derived_size()));
  for (int i = 0; i < program.derived_size(); ++i) {
    Expected<int64_t> v = evaluateExpr(program.derived(i), symbols);
    if (!v)
      return Status::error(format("symbol #%zu: ", symbols.size()) +
                           v.message());
    symbols.push_back(*v);
  }
  return symbols;
}

uint64_t dataTypeSize(int dtype) {
  switch (dtype) {
  case F32:
  case I32:
    return 4;
  case F16:
  case BF16:
    return 2;
  case I64:
    return 8;
  case I8:
  case BOOL:
    return 1;
  default:
    return 0;
  }
}

//===----------------------------------------------------------------------===//
// Manifest validation
//===----------------------------------------------------------------------===//

namespace {
const char *sectionKindName(int kind) {
  switch (kind) {
  case Section::WEIGHTS:
    return "weights";
  case Section::CUBIN:
    return "cubin";
  case Section::PTX:
    return "ptx";
  case Section::HOST_OBJECT:
    return "host_object";
  default:
    return "invalid";
  }
}

bool isTargetName(const std::string &t) {
  if (t == "host")
    return true;
  if (t.size() < 4 || t.size() > 8 || t.compare(0, 3, "sm_") != 0)
    return false;
  for (size_t i = 3; i < t.size(); ++i)
    if (!(std::isdigit(static_cast<unsigned char>(t[i])) ||
          (i + 1 == t.size() && i > 3 && (t[i] == 'a' || t[i] == 'f'))))
      return false;
  return true;
}

/// Names in messages are from the file: keep them short and printable.
std::string quote(const std::string &name) {
  std::string out = "'";
  for (size_t i = 0; i < name.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    out += (c >= 0x20 && c < 0x7f) ? char(c) : '?';
  }
  if (name.size() > 64)
    out += "...";
  return out + "'";
}

constexpr const char *kInvalid = "invalid engine manifest: ";

Status invalid(const std::string &what) {
  return Status::error(kInvalid + what);
}

Status checkDim(const Dim &dim, uint64_t numSymbols, uint64_t numFree,
                const std::string &where) {
  switch (dim.value_case()) {
  case Dim::kSize:
    if (dim.size() < 0)
      return invalid(where +
                     format(" has a negative size (%" PRId64 ")", dim.size()));
    return Status::success();
  case Dim::kSymbol:
    if (dim.symbol() >= numSymbols)
      return invalid(where + format(" uses symbol %u, out of range (the "
                                    "engine has %" PRIu64 " symbols)",
                                    dim.symbol(), numSymbols));
    if (dim.symbol() >= numFree)
      return invalid(where + format(" uses derived symbol %u; an input's "
                                    "dims must be input symbols (< %" PRIu64
                                    ")",
                                    dim.symbol(), numFree));
    return Status::success();
  default:
    return invalid(where + " has neither a size nor a symbol");
  }
}

Status checkExprAt(const Expr &expr, uint64_t numDims,
                   const std::string &where) {
  Status s = checkExpr(expr, numDims);
  if (!s)
    return invalid(where + ": " + s.message());
  return s;
}
} // namespace

Status validateManifest(const Manifest &m, uint64_t fileSize,
                        uint64_t manifestOffset, uint64_t manifestSize) {
  if (m.format_version() != kFormatVersion)
    return invalid(format("format_version %u does not match the header's %u",
                          m.format_version(), kFormatVersion));

  // Targets.
  std::set<std::string> targets;
  for (int i = 0; i < m.targets_size(); ++i) {
    const std::string &t = m.targets(i);
    if (!isTargetName(t))
      return invalid(format("target #%d ", i) + quote(t) +
                     " is not \"host\" or \"sm_XX\"");
    if (!targets.insert(t).second)
      return invalid("target " + quote(t) + " is listed twice");
  }

  // Sections: inside the file, aligned, disjoint from each other and from
  // the manifest.
  struct Range {
    uint64_t begin, end;
    int section; // -1: the manifest
  };
  std::vector<Range> ranges;
  ranges.push_back({manifestOffset, manifestOffset + manifestSize, -1});
  for (int i = 0; i < m.sections_size(); ++i) {
    const Section &s = m.sections(i);
    std::string where =
        format("section #%d (%s)", i, sectionKindName(s.kind()));
    if (s.kind() < Section::WEIGHTS || s.kind() > Section::HOST_OBJECT)
      return invalid(
          format("section #%d has an invalid kind (%d)", i, int(s.kind())));
    if (s.offset() % kSectionAlignment != 0)
      return invalid(where + format(" is at offset %" PRIu64
                                    ", not a multiple of %" PRIu64,
                                    s.offset(), kSectionAlignment));
    if (s.offset() < kHeaderSize || s.offset() > fileSize ||
        s.size() > fileSize - s.offset())
      return invalid(where + format(" at offset %" PRIu64 " of %" PRIu64
                                    " bytes lies outside the file (%" PRIu64
                                    " bytes)",
                                    s.offset(), s.size(), fileSize));
    if (s.kind() == Section::WEIGHTS) {
      if (!s.arch().empty())
        return invalid(where + " has an arch (" + quote(s.arch()) + ")");
    } else {
      bool host = s.arch() == "host";
      if (host != (s.kind() == Section::HOST_OBJECT) || !isTargetName(s.arch()))
        return invalid(where + " has arch " + quote(s.arch()) +
                       (s.kind() == Section::HOST_OBJECT
                            ? ", expected \"host\""
                            : ", expected \"sm_XX\""));
      if (!targets.count(s.arch()))
        return invalid(where + " is for " + quote(s.arch()) +
                       ", which is not among the targets");
    }
    if (s.size())
      ranges.push_back({s.offset(), s.offset() + s.size(), i});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.section < b.section;
  });
  auto rangeName = [](int section) {
    return section < 0 ? std::string("the manifest")
                       : format("section #%d", section);
  };
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].begin < ranges[i - 1].end)
      return invalid(rangeName(ranges[i - 1].section) + " overlaps " +
                     rangeName(ranges[i].section));

  // Code for every target, when there are kernels to run.
  if (m.kernels_size() > 0)
    for (const std::string &t : m.targets()) {
      bool found = false;
      for (const Section &s : m.sections())
        found |= s.arch() == t && s.kind() != Section::WEIGHTS;
      if (!found)
        return invalid("target " + quote(t) + " has no code section");
    }

  // The shape program.
  const ShapeProgram &program = m.shape_program();
  // Limits keep the work of validation linear in the file's size with a
  // small factor: every profile evaluates the shape program and the arena
  // buffers' sizes.
  constexpr uint64_t kMaxSymbols = uint64_t(1) << 16;
  constexpr int kMaxProfiles = 256;
  if (m.profiles_size() > kMaxProfiles)
    return invalid(
        format("%d profiles, more than %d", m.profiles_size(), kMaxProfiles));
  uint64_t numFree = program.num_input_symbols();
  uint64_t numSymbols = numFree + uint64_t(program.derived_size());
  if (numSymbols > kMaxSymbols)
    return invalid(format("the shape program has %" PRIu64
                          " symbols, more than %" PRIu64,
                          numSymbols, kMaxSymbols));
  for (int i = 0; i < program.derived_size(); ++i)
    if (Status s =
            checkExprAt(program.derived(i), numFree + uint64_t(i),
                        format("shape program symbol #%" PRIu64, numFree + i));
        !s)
      return s;
  if (program.symbol_names_size() != 0 &&
      uint64_t(program.symbol_names_size()) != numSymbols)
    return invalid(format("the shape program names %d symbols, it has %" PRIu64,
                          program.symbol_names_size(), numSymbols));

  // Bindings.
  std::set<std::string> bindingNames;
  for (int i = 0; i < m.bindings_size(); ++i) {
    const Binding &b = m.bindings(i);
    std::string where = "binding " + quote(b.name());
    if (b.name().empty())
      return invalid(format("binding #%d has no name", i));
    if (!bindingNames.insert(b.name()).second)
      return invalid(where + " is listed twice");
    if (b.direction() != Binding::INPUT && b.direction() != Binding::OUTPUT)
      return invalid(
          where + format(" has an invalid direction (%d)", int(b.direction())));
    if (dataTypeSize(b.dtype()) == 0)
      return invalid(where +
                     format(" has an invalid dtype (%d)", int(b.dtype())));
    for (int d = 0; d < b.dims_size(); ++d)
      if (Status s =
              checkDim(b.dims(d), numSymbols,
                       b.direction() == Binding::INPUT ? numFree : numSymbols,
                       where + format(" dim #%d", d));
          !s)
        return s;
  }

  // Profiles.
  for (int p = 0; p < m.profiles_size(); ++p) {
    const Profile &profile = m.profiles(p);
    std::vector<bool> seen(numFree, false);
    for (const Profile::SymbolRange &r : profile.ranges()) {
      std::string where = format("profile #%d symbol %u", p, r.symbol());
      if (r.symbol() >= numFree)
        return invalid(
            where + format(" is not an input symbol (< %" PRIu64 ")", numFree));
      if (seen[r.symbol()])
        return invalid(where + " has two ranges");
      seen[r.symbol()] = true;
      if (!(0 <= r.min() && r.min() <= r.opt() && r.opt() <= r.max()))
        return invalid(where + format(": needs 0 <= min <= opt <= max, has "
                                      "%" PRId64 "/%" PRId64 "/%" PRId64,
                                      r.min(), r.opt(), r.max()));
    }
    // Every dynamic dim is bounded by every profile: the arena is planned
    // for the max shape, and the runtime checks inputs against the ranges.
    for (uint64_t sym = 0; sym < numFree; ++sym)
      if (!seen[sym])
        return invalid(format("profile #%d has no range for input symbol "
                              "%" PRIu64,
                              p, sym));
  }
  if (numFree > 0 && m.profiles_size() == 0)
    return invalid(format(
        "the engine has %" PRIu64 " input symbols and no profile", numFree));
  // The runtime learns each input symbol from an input's shape.
  {
    std::vector<bool> bound(numFree, false);
    for (const Binding &b : m.bindings())
      if (b.direction() == Binding::INPUT)
        for (const Dim &d : b.dims())
          if (d.value_case() == Dim::kSymbol)
            bound[d.symbol()] = true; // < numFree, checked above
    for (uint64_t sym = 0; sym < numFree; ++sym)
      if (!bound[sym])
        return invalid(format(
            "input symbol %" PRIu64 " is not a dim of any input binding", sym));
  }

  // Weights.
  for (int i = 0; i < m.weights_size(); ++i) {
    const Weight &w = m.weights(i);
    std::string where = "weight " + quote(w.name());
    uint64_t bytes = dataTypeSize(w.dtype());
    if (bytes == 0)
      return invalid(where +
                     format(" has an invalid dtype (%d)", int(w.dtype())));
    for (int64_t d : w.shape()) {
      if (d < 0)
        return invalid(where + format(" has a negative dim (%" PRId64 ")", d));
      if (__builtin_mul_overflow(bytes, uint64_t(d), &bytes))
        return invalid(where + " has a shape whose size overflows");
    }
    if (bytes != w.size())
      return invalid(where + format(" has %" PRIu64 " bytes, its dtype and "
                                    "shape need %" PRIu64,
                                    w.size(), bytes));
    if (w.section() >= uint64_t(m.sections_size()))
      return invalid(where + format(" is in section #%u, out of range (%d "
                                    "sections)",
                                    w.section(), m.sections_size()));
    const Section &s = m.sections(int(w.section()));
    if (s.kind() != Section::WEIGHTS)
      return invalid(where + format(" is in section #%u, a %s section",
                                    w.section(), sectionKindName(s.kind())));
    if (w.offset() > s.size() || w.size() > s.size() - w.offset())
      return invalid(
          where + format(" at offset %" PRIu64 " of %" PRIu64
                         " bytes lies outside section #%u (%" PRIu64 " bytes)",
                         w.offset(), w.size(), w.section(), s.size()));
  }

  // The buffer plan.
  const BufferPlan &plan = m.buffer_plan();
  uint64_t alignment = plan.arena_alignment();
  for (int i = 0; i < plan.buffers_size(); ++i) {
    const Buffer &b = plan.buffers(i);
    std::string where = format("buffer #%d ", i) + quote(b.name());
    switch (b.kind()) {
    case Buffer::ARENA:
      if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        return invalid(format(
            "the arena alignment %" PRIu64 " is not a power of 2", alignment));
      if (b.arena_offset() % alignment != 0 ||
          b.arena_offset() > plan.arena_bytes())
        return invalid(where +
                       format(" has arena offset %" PRIu64 " (arena of %" PRIu64
                              " bytes, alignment %" PRIu64 ")",
                              b.arena_offset(), plan.arena_bytes(), alignment));
      break;
    case Buffer::BINDING:
      if (b.index() >= uint64_t(m.bindings_size()))
        return invalid(where + format(" is binding %u, out of range (%d "
                                      "bindings)",
                                      b.index(), m.bindings_size()));
      break;
    case Buffer::WEIGHT:
      if (b.index() >= uint64_t(m.weights_size()))
        return invalid(where + format(" is weight %u, out of range (%d "
                                      "weights)",
                                      b.index(), m.weights_size()));
      break;
    default:
      return invalid(where +
                     format(" has an invalid kind (%d)", int(b.kind())));
    }
    if (Status s = checkExprAt(b.size_bytes(), numSymbols, where + " size"); !s)
      return s;
  }

  // The arena plan holds at every profile's max.
  for (int p = 0; p < m.profiles_size(); ++p) {
    std::vector<int64_t> free(numFree, 0); // every one set: checked above
    for (const Profile::SymbolRange &r : m.profiles(p).ranges())
      free[r.symbol()] = r.max();
    Expected<std::vector<int64_t>> symbols =
        evaluateShapeProgram(program, free);
    if (!symbols)
      return invalid(format("profile #%d max: ", p) + symbols.message());
    for (int i = 0; i < plan.buffers_size(); ++i) {
      const Buffer &b = plan.buffers(i);
      if (b.kind() != Buffer::ARENA)
        continue;
      std::string where = format("buffer #%d ", i) + quote(b.name());
      Expected<int64_t> size = evaluateExpr(b.size_bytes(), *symbols);
      if (!size)
        return invalid(where + format(" size at profile #%d max: ", p) +
                       size.message());
      if (*size < 0 || uint64_t(*size) > plan.arena_bytes() - b.arena_offset())
        return invalid(where + format(" of %" PRId64 " bytes at offset %" PRIu64
                                      " overflows the arena (%" PRIu64
                                      " bytes) at profile #%d max",
                                      *size, b.arena_offset(),
                                      plan.arena_bytes(), p));
    }
  }

  // Kernels.
  for (int k = 0; k < m.kernels_size(); ++k) {
    const Kernel &kernel = m.kernels(k);
    std::string where = "kernel " + quote(kernel.name());
    if (kernel.name().empty())
      return invalid(format("kernel #%d has no name", k));
    auto checkBuffers =
        [&](const google::protobuf::RepeatedField<uint32_t> &ids,
            const char *what) {
          for (int i = 0; i < ids.size(); ++i)
            if (ids.Get(i) >= uint64_t(plan.buffers_size()))
              return invalid(where +
                             format(" %s #%d is buffer %u, out of range "
                                    "(the plan has %d buffers)",
                                    what, i, ids.Get(i), plan.buffers_size()));
          return Status::success();
        };
    if (Status s = checkBuffers(kernel.inputs(), "input"); !s)
      return s;
    if (Status s = checkBuffers(kernel.outputs(), "output"); !s)
      return s;
    for (int d = 0; d < kernel.dims_size(); ++d)
      if (Status s = checkDim(kernel.dims(d), numSymbols, numSymbols,
                              where + format(" dim #%d", d));
          !s)
        return s;
    uint64_t numDims = uint64_t(kernel.dims_size());
    if (kernel.grid_size() != 3 || kernel.block_size() != 3)
      return invalid(where + format(" has %d grid and %d block expressions, "
                                    "expected 3 and 3",
                                    kernel.grid_size(), kernel.block_size()));
    static const char *const xyz[] = {"x", "y", "z"};
    for (int i = 0; i < 3; ++i) {
      if (Status s =
              checkExprAt(kernel.grid(i), numDims, where + " grid." + xyz[i]);
          !s)
        return s;
      if (Status s =
              checkExprAt(kernel.block(i), numDims, where + " block." + xyz[i]);
          !s)
        return s;
    }
    if (Status s = checkExprAt(kernel.dynamic_shared_bytes(), numDims,
                               where + " dynamic shared bytes");
        !s)
      return s;
    if (Status s = checkExprAt(kernel.workspace_bytes(), numDims,
                               where + " workspace bytes");
        !s)
      return s;
    for (const KernelResources &r : kernel.resources())
      if (!targets.count(r.arch()))
        return invalid(where + " has ptxas figures for " + quote(r.arch()) +
                       ", which is not among the targets");
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// The loader
//===----------------------------------------------------------------------===//

struct Engine::Storage {
  const uint8_t *data = nullptr;
  size_t size = 0;
  void *mapping = nullptr; // munmap'ed on destruction
  size_t mappingSize = 0;
  std::vector<uint8_t> owned;

  ~Storage() {
    if (mapping)
      ::munmap(mapping, mappingSize);
  }
};

Engine::~Engine() = default;

namespace {
std::string hexPrefix(const uint8_t *data, size_t size) {
  std::string out;
  for (size_t i = 0; i < size && i < 8; ++i)
    out += format(i ? " %02x" : "%02x", data[i]);
  return out;
}
} // namespace

Expected<Engine> Engine::load(std::shared_ptr<Storage> storage,
                              const LoadOptions &options) {
  const uint8_t *data = storage->data;
  const uint64_t size = storage->size;
  if (size == 0)
    return Status::error("not a Kiln engine: the file is empty");
  if (std::memcmp(data, kMagic, std::min<uint64_t>(size, sizeof(kMagic))) != 0)
    return Status::error("not a Kiln engine: it starts with " +
                         hexPrefix(data, size) +
                         ", not the magic \"KILNENG\\0\"");
  if (size < kHeaderSize)
    return Status::error(format("truncated engine: %" PRIu64
                                " bytes, shorter than the %u-byte header",
                                size, kHeaderSize));
  Header h;
  h.formatVersion = readLE32(data + 8);
  h.headerSize = readLE32(data + 12);
  h.fileSize = readLE64(data + 16);
  h.manifestOffset = readLE64(data + 24);
  h.manifestSize = readLE64(data + 32);
  h.checksum = readLE64(data + 40);
  if (h.formatVersion > kFormatVersion)
    return Status::error(format(
        "unsupported engine: format version %u is newer than this runtime "
        "reads (%u); rebuild the engine with this Kiln or update the runtime",
        h.formatVersion, kFormatVersion));
  if (h.formatVersion == 0)
    return Status::error("corrupt engine: format version 0");
  if (h.headerSize != kHeaderSize)
    return Status::error(format("corrupt engine: header size %u, format "
                                "version %u has %u",
                                h.headerSize, h.formatVersion, kHeaderSize));
  for (uint32_t i = 48; i < kHeaderSize; ++i)
    if (data[i] != 0)
      return Status::error("corrupt engine: reserved header bytes are not "
                           "zero");
  if (h.fileSize > size)
    return Status::error(format("truncated engine: the header says %" PRIu64
                                " bytes, the file has %" PRIu64,
                                h.fileSize, size));
  if (h.fileSize < size)
    return Status::error(format("corrupt engine: the file has %" PRIu64
                                " bytes, the header says %" PRIu64,
                                size, h.fileSize));
  if (h.manifestOffset % kSectionAlignment != 0 ||
      h.manifestOffset < kHeaderSize || h.manifestOffset > size ||
      h.manifestSize > size - h.manifestOffset)
    return Status::error(format("corrupt engine: the manifest (offset %" PRIu64
                                ", %" PRIu64
                                " bytes) is not a 64-byte-aligned range "
                                "inside the file (%" PRIu64 " bytes)",
                                h.manifestOffset, h.manifestSize, size));
  if (h.manifestSize > kMaxManifestBytes)
    return Status::error(format("unsupported engine: a manifest of %" PRIu64
                                " bytes (at most %" PRIu64 ")",
                                h.manifestSize, kMaxManifestBytes));
  if (options.verifyChecksum) {
    uint64_t actual = checksum64(data + kHeaderSize, size - kHeaderSize);
    if (actual != h.checksum)
      return Status::error(format("corrupt engine: checksum mismatch (the "
                                  "header says %016" PRIx64
                                  ", the contents hash to %016" PRIx64 ")",
                                  h.checksum, actual));
  }
  auto manifest = std::make_unique<Manifest>();
  if (!manifest->ParseFromArray(data + h.manifestOffset,
                                static_cast<int>(h.manifestSize)))
    return Status::error("corrupt engine: the manifest does not parse as "
                         "kiln.engine.Manifest");
  if (Status s =
          validateManifest(*manifest, size, h.manifestOffset, h.manifestSize);
      !s)
    return s;

  Engine engine;
  engine.storage_ = std::move(storage);
  engine.data_ = data;
  engine.size_ = size;
  engine.header_ = h;
  engine.manifest_ = std::move(manifest);
  return engine;
}

Expected<Engine> Engine::open(const std::string &path,
                              const LoadOptions &options) {
  auto fail = [&](const std::string &what) {
    return Status::error(path + ": " + what);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(std::string("cannot stat: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  auto storage = std::make_shared<Storage>();
  if (st.st_size > 0) {
    void *p =
        ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return fail(std::string("cannot map: ") + std::strerror(err));
    }
    storage->mapping = p;
    storage->mappingSize = size_t(st.st_size);
    storage->data = static_cast<const uint8_t *>(p);
    storage->size = size_t(st.st_size);
  }
  ::close(fd); // The mapping keeps the file.
  Expected<Engine> engine = load(std::move(storage), options);
  if (!engine)
    return fail(engine.message());
  return engine;
}

Expected<Engine> Engine::fromMemory(const void *data, size_t size,
                                    const LoadOptions &options) {
  auto storage = std::make_shared<Storage>();
  storage->data = static_cast<const uint8_t *>(data);
  storage->size = data ? size : 0;
  return load(std::move(storage), options);
}

Expected<Engine> Engine::fromBytes(std::vector<uint8_t> bytes,
                                   const LoadOptions &options) {
  auto storage = std::make_shared<Storage>();
  storage->owned = std::move(bytes);
  storage->data = storage->owned.data();
  storage->size = storage->owned.size();
  return load(std::move(storage), options);
}

ByteSpan Engine::section(size_t index) const {
  if (index >= size_t(manifest_->sections_size()))
    return {};
  const Section &s = manifest_->sections(int(index));
  return {data_ + s.offset(), size_t(s.size())};
}

ByteSpan Engine::weight(size_t index) const {
  if (index >= size_t(manifest_->weights_size()))
    return {};
  const Weight &w = manifest_->weights(int(index));
  ByteSpan s = section(w.section());
  return {s.data + w.offset(), size_t(w.size())};
}

std::optional<size_t> Engine::findSection(Section::Kind kind,
                                          const std::string &arch) const {
  for (int i = 0; i < manifest_->sections_size(); ++i)
    if (manifest_->sections(i).kind() == kind &&
        manifest_->sections(i).arch() == arch)
      return size_t(i);
  return std::nullopt;
}

Status Engine::requireTarget(const std::string &target) const {
  for (const std::string &t : manifest_->targets())
    if (t == target)
      return Status::success();
  std::string have;
  for (const std::string &t : manifest_->targets())
    have += (have.empty() ? "" : ", ") + t;
  return Status::error("the engine has no code for target " + quote(target) +
                       "; it was built for: " +
                       (have.empty() ? std::string("no target") : have));
}

//===----------------------------------------------------------------------===//
// The writer
//===----------------------------------------------------------------------===//

EngineWriter::EngineWriter() : manifest_(std::make_unique<Manifest>()) {}

uint32_t EngineWriter::addSection(Section::Kind kind, const std::string &arch,
                                  std::vector<uint8_t> bytes) {
  PendingSection s;
  s.kind = kind;
  s.arch = arch;
  s.owned = std::move(bytes);
  s.isView = false;
  sections_.push_back(std::move(s));
  return uint32_t(sections_.size() - 1);
}

uint32_t EngineWriter::addSectionView(Section::Kind kind,
                                      const std::string &arch, const void *data,
                                      size_t size) {
  PendingSection s;
  s.kind = kind;
  s.arch = arch;
  s.view = static_cast<const uint8_t *>(data);
  s.viewSize = size;
  s.isView = true;
  sections_.push_back(std::move(s));
  return uint32_t(sections_.size() - 1);
}

uint32_t EngineWriter::addWeight(uint32_t section, const std::string &name,
                                 DataType dtype,
                                 const std::vector<int64_t> &shape,
                                 const void *data, size_t size) {
  Weight *w = manifest_->add_weights();
  w->set_name(name);
  w->set_dtype(dtype);
  for (int64_t d : shape)
    w->add_shape(d);
  w->set_section(section);
  w->set_size(size);
  if (section >= sections_.size() || sections_[section].isView ||
      sections_[section].kind != Section::WEIGHTS) {
    if (pendingError_.empty())
      pendingError_ = std::string("engine writer: weight ") + quote(name) +
                      format(": section #%u is not a weights section added "
                             "with addSection",
                             section);
  } else {
    std::vector<uint8_t> &bytes = sections_[section].owned;
    bytes.resize(alignUp(bytes.size()), 0);
    w->set_offset(bytes.size());
    const uint8_t *p = static_cast<const uint8_t *>(data);
    bytes.insert(bytes.end(), p, p + size);
  }
  return uint32_t(manifest_->weights_size() - 1);
}

Status EngineWriter::layout(std::string &manifestBytes, Header &header,
                            std::vector<uint64_t> &offsets) const {
  if (!pendingError_.empty())
    return Status::error(pendingError_);
  Manifest m = *manifest_;
  m.set_format_version(kFormatVersion);
  m.clear_sections();
  offsets.clear();
  uint64_t cursor = kHeaderSize;
  for (const PendingSection &p : sections_) {
    cursor = alignUp(cursor);
    offsets.push_back(cursor);
    Section *s = m.add_sections();
    s->set_kind(p.kind);
    s->set_arch(p.arch);
    s->set_offset(cursor);
    s->set_size(p.size());
    cursor += p.size();
  }
  uint64_t manifestOffset = alignUp(cursor);
  size_t byteSize = m.ByteSizeLong();
  if (byteSize > kMaxManifestBytes)
    return Status::error(format("engine writer: the manifest has %zu bytes, "
                                "more than %" PRIu64,
                                byteSize, kMaxManifestBytes));
  manifestBytes.clear();
  {
    google::protobuf::io::StringOutputStream stream(&manifestBytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!m.SerializeToCodedStream(&coded))
      return Status::error("engine writer: the manifest does not serialize");
  }
  header = Header();
  header.manifestOffset = manifestOffset;
  header.manifestSize = manifestBytes.size();
  header.fileSize = manifestOffset + manifestBytes.size();
  if (Status s = validateManifest(m, header.fileSize, header.manifestOffset,
                                  header.manifestSize);
      !s)
    return Status::error("engine writer: refusing to write an engine the "
                         "loader would reject: " +
                         s.message());
  return Status::success();
}

template <typename Sink> Status EngineWriter::emit(Sink &sink) const {
  std::string manifestBytes;
  Header header;
  std::vector<uint64_t> offsets;
  if (Status s = layout(manifestBytes, header, offsets); !s)
    return s;
  static const uint8_t zeros[kSectionAlignment] = {};
  // The body (everything after the header), given to `out` in pieces.
  auto body = [&](auto &&out) {
    uint64_t cursor = kHeaderSize;
    auto padTo = [&](uint64_t to) {
      out(zeros, size_t(to - cursor));
      cursor = to;
    };
    for (size_t i = 0; i < sections_.size(); ++i) {
      padTo(offsets[i]);
      out(sections_[i].data(), sections_[i].size());
      cursor += sections_[i].size();
    }
    padTo(header.manifestOffset);
    out(reinterpret_cast<const uint8_t *>(manifestBytes.data()),
        manifestBytes.size());
  };
  Checksum64 checksum;
  body([&](const uint8_t *p, size_t n) {
    if (n)
      checksum.update(p, n);
  });
  header.checksum = checksum.digest();
  uint8_t headerBytes[kHeaderSize];
  encodeHeader(header, headerBytes);
  sink.reserve(header.fileSize);
  sink.write(headerBytes, kHeaderSize);
  body([&](const uint8_t *p, size_t n) { sink.write(p, n); });
  return sink.finish();
}

namespace {
struct VectorSink {
  std::vector<uint8_t> bytes;
  void reserve(uint64_t n) { bytes.reserve(size_t(n)); }
  void write(const uint8_t *p, size_t n) {
    if (n)
      bytes.insert(bytes.end(), p, p + n);
  }
  Status finish() { return Status::success(); }
};

struct FileSink {
  std::FILE *file = nullptr;
  std::string path;
  bool failed = false;
  int error = 0;
  void reserve(uint64_t) {}
  void write(const uint8_t *p, size_t n) {
    if (n && !failed && std::fwrite(p, 1, n, file) != n) {
      failed = true;
      error = errno;
    }
  }
  Status finish() {
    if (!failed && std::fflush(file) != 0) {
      failed = true;
      error = errno;
    }
    if (failed)
      return Status::error("cannot write '" + path +
                           "': " + std::strerror(error));
    return Status::success();
  }
};
} // namespace

Expected<std::vector<uint8_t>> EngineWriter::writeToBytes() const {
  VectorSink sink;
  if (Status s = emit(sink); !s)
    return s;
  return std::move(sink.bytes);
}

Status EngineWriter::writeToFile(const std::string &path) const {
  FileSink sink;
  sink.path = path + ".tmp";
  sink.file = std::fopen(sink.path.c_str(), "wb");
  if (!sink.file)
    return Status::error("cannot create '" + sink.path +
                         "': " + std::strerror(errno));
  Status s = emit(sink);
  if (std::fclose(sink.file) != 0 && s)
    s = Status::error("cannot write '" + sink.path +
                      "': " + std::strerror(errno));
  if (s && std::rename(sink.path.c_str(), path.c_str()) != 0)
    s = Status::error("cannot rename '" + sink.path + "' to '" + path +
                      "': " + std::strerror(errno));
  if (!s)
    std::remove(sink.path.c_str());
  return s;
}

} // namespace kiln::engine
