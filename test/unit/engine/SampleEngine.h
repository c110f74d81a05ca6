//===- SampleEngine.h - A small valid engine for tests and fuzz seeds -----===//
//
// A two-layer MLP as the build driver would describe it: one dynamic dim
// (batch), two profiles, weights, host and sm_80 code, two kernels with
// launch formulas over their dims tables, an arena buffer. The unit tests
// write and corrupt it; fuzz/MakeEngineCorpus.cpp writes it as a seed.
// Header-only so that both can include it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_ENGINE_SAMPLEENGINE_H
#define KILN_TEST_UNIT_ENGINE_SAMPLEENGINE_H

#include "runtime/engine/EngineFile.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::engine::sample {

inline void pushConst(Expr &e, int64_t v) {
  ExprOp *op = e.add_ops();
  op->set_opcode(ExprOp::PUSH_CONST);
  op->set_operand(v);
}
inline void pushDim(Expr &e, int64_t i) {
  ExprOp *op = e.add_ops();
  op->set_opcode(ExprOp::PUSH_DIM);
  op->set_operand(i);
}
inline void apply(Expr &e, ExprOp::Opcode opcode) {
  e.add_ops()->set_opcode(opcode);
}
inline Expr constant(int64_t v) {
  Expr e;
  pushConst(e, v);
  return e;
}
/// dims[i] * c
inline Expr dimTimes(int64_t i, int64_t c) {
  Expr e;
  pushDim(e, i);
  pushConst(e, c);
  apply(e, ExprOp::MUL);
  return e;
}
/// ceildiv(dims[i], c)
inline Expr dimCeilDiv(int64_t i, int64_t c) {
  Expr e;
  pushDim(e, i);
  pushConst(e, c);
  apply(e, ExprOp::CEIL_DIV);
  return e;
}

inline Dim staticDim(int64_t size) {
  Dim d;
  d.set_size(size);
  return d;
}
inline Dim symbolDim(uint32_t symbol) {
  Dim d;
  d.set_symbol(symbol);
  return d;
}

/// `n` bytes of a simple deterministic pattern.
inline std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i)
    bytes[i] = uint8_t(seed + i * 7);
  return bytes;
}

inline void addKernel(Manifest &m, const std::string &name,
                      std::vector<uint32_t> inputs,
                      std::vector<uint32_t> outputs, int64_t width) {
  Kernel *k = m.add_kernels();
  k->set_name(name);
  k->set_template_name("gemm_simt");
  k->set_configuration("<128, 32, 8>");
  k->add_fused_ops("kiln.matmul");
  k->add_fused_ops("kiln.add");
  for (uint32_t b : inputs)
    k->add_inputs(b);
  for (uint32_t b : outputs)
    k->add_outputs(b);
  // dims table: in0 = [batch, width], out0 = [batch, width]
  *k->add_dims() = symbolDim(0);
  *k->add_dims() = staticDim(width);
  *k->add_dims() = symbolDim(0);
  *k->add_dims() = staticDim(width);
  *k->add_grid() = dimCeilDiv(2, 32);
  *k->add_grid() = constant(1);
  *k->add_grid() = constant(1);
  *k->add_block() = constant(128);
  *k->add_block() = constant(1);
  *k->add_block() = constant(1);
  *k->mutable_dynamic_shared_bytes() = constant(0);
  *k->mutable_workspace_bytes() = constant(0);
  k->set_barrier_free(false);
  KernelResources *r = k->add_resources();
  r->set_arch("sm_80");
  r->set_registers(64);
  r->set_shared_bytes(4096);
  r->set_barriers(1);
}

/// Fills `writer` with the sample engine.
inline void buildSample(EngineWriter &writer) {
  Manifest &m = writer.manifest();
  m.set_producer("kiln 0.1.0");
  m.add_targets("host");
  m.add_targets("sm_80");

  ShapeProgram *program = m.mutable_shape_program();
  program->set_num_input_symbols(1);
  *program->add_derived() = dimTimes(0, 2); // symbol 1: batch * 2
  program->add_symbol_names("batch");
  program->add_symbol_names("batch2");

  Binding *x = m.add_bindings();
  x->set_name("x");
  x->set_direction(Binding::INPUT);
  x->set_dtype(F32);
  *x->add_dims() = symbolDim(0);
  *x->add_dims() = staticDim(16);
  Binding *y = m.add_bindings();
  y->set_name("y");
  y->set_direction(Binding::OUTPUT);
  y->set_dtype(F32);
  *y->add_dims() = symbolDim(0);
  *y->add_dims() = staticDim(8);

  for (int64_t max : {64, 256}) {
    Profile *p = m.add_profiles();
    p->set_name(max == 64 ? "small" : "large");
    Profile::SymbolRange *r = p->add_ranges();
    r->set_symbol(0);
    r->set_min(1);
    r->set_opt(max / 2);
    r->set_max(max);
  }

  uint32_t weights = writer.addSection(Section::WEIGHTS, "", {});
  std::vector<uint8_t> w1 = pattern(16 * 16 * 4, 1), b1 = pattern(16 * 4, 2),
                       w2 = pattern(16 * 8 * 4, 3);
  writer.addWeight(weights, "fc1.weight", F32, {16, 16}, w1.data(), w1.size());
  writer.addWeight(weights, "fc1.bias", F32, {16}, b1.data(), b1.size());
  writer.addWeight(weights, "fc2.weight", F32, {16, 8}, w2.data(), w2.size());
  writer.addSection(Section::HOST_OBJECT, "host", pattern(200, 4));
  writer.addSection(Section::CUBIN, "sm_80", pattern(300, 5));
  writer.addSection(Section::PTX, "sm_80", pattern(100, 6));

  BufferPlan *plan = m.mutable_buffer_plan();
  plan->set_arena_alignment(256);
  plan->set_arena_bytes(256 * 16 * 4);
  auto addBuffer = [&](const char *name, Buffer::Kind kind, uint32_t index,
                       Expr size) {
    Buffer *b = plan->add_buffers();
    b->set_name(name);
    b->set_kind(kind);
    b->set_index(index);
    *b->mutable_size_bytes() = std::move(size);
  };
  addBuffer("x", Buffer::BINDING, 0, dimTimes(0, 64));        // 0
  addBuffer("fc1.weight", Buffer::WEIGHT, 0, constant(1024)); // 1
  addBuffer("fc1.bias", Buffer::WEIGHT, 1, constant(64));     // 2
  addBuffer("fc2.weight", Buffer::WEIGHT, 2, constant(512));  // 3
  addBuffer("h", Buffer::ARENA, 0, dimTimes(1, 32));          // 4
  addBuffer("y", Buffer::BINDING, 1, dimTimes(0, 32));        // 5

  addKernel(m, "kiln_fusion0", {0, 1, 2}, {4}, 16);
  addKernel(m, "kiln_fusion1", {4, 3}, {5}, 8);
}

} // namespace kiln::engine::sample

#endif // KILN_TEST_UNIT_ENGINE_SAMPLEENGINE_H
