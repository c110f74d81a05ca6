//===- FusionKernelTest.cpp - Emitted groups against the evaluator --------===//
//
// Each case is a function holding one `kiln.fusion`: elementwise ops only, or
// an anchor op implemented by a kernel-library template (GEMM, convolution,
// softmax, normalization, ...) with fused elementwise ops around it. The group
// is emitted (FusionEmitter), built into a host code object, loaded and bound
// to the SIMT simulator, launched through its C ABI exactly as the runtime will
// (dims table, launch ShapeExprs evaluated for the run-time shapes,
// workspace), in plain and race-hunting mode, and compared with the reference
// evaluator running the same function. The same source is compiled by NVRTC
// for sm_80/86/89/90 and must not spill.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitter.h"
#include "compiler/codegen/HostCompiler.h"
#include "compiler/codegen/KernelLibrary.h"
#include "compiler/codegen/NvrtcCompiler.h"
#include "compiler/evaluator/Evaluator.h"
#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"
#include "runtime/host/Launch.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>

using namespace mlir;
using namespace mlir::kiln;
namespace cg = ::kiln::codegen;
namespace simt = ::kiln::simt;

namespace {

struct GroupCase {
  const char *name;
  const char *ir;
  /// Per run, the input shapes.
  std::vector<std::vector<std::vector<int64_t>>> shapeSets;
  /// f32 results: |got - ref| <= atol + rtol * |ref|; f16/bf16 results get
  /// one unit in the last place of their type on top.
  double rtol = 1e-5;
  double atol = 1e-5;
  /// Float inputs are uniform in [-range, range].
  double range = 3.0;
  /// When > 0, integer inputs are indices: uniform in [-n, n - 1] (a
  /// gather's negative indices count from the end).
  int64_t indexRange = 0;
};

// Elementwise groups. Shapes of 1, primes, numpy broadcasting ([7,1] +
// [1,13], scalar + [5,3]).
const GroupCase kElementwiseCases[] = {
    {"BroadcastExpAdd",
     R"mlir(
func.func @bcast(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%x, %y : tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>):
    %1 = kiln.exp %a : tensor<?x?xf32>
    %2 = kiln.add %1, %b : tensor<?x?xf32>
    kiln.yield %2 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{7, 1}, {1, 13}},
      {{1, 1}, {1, 1}},
      {{13, 17}, {13, 17}},
      {{1, 31}, {5, 1}}}},
    {"ScalarTimesMatrix",
     R"mlir(
func.func @scalar(%s: tensor<f32>, %x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%s, %x : tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<f32>, %b: tensor<?x?xf32>):
    %1 = kiln.mul %a, %b : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
    %2 = kiln.gelu %1 : tensor<?x?xf32>
    %3 = kiln.max %2, %b : tensor<?x?xf32>
    kiln.yield %3 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{}, {5, 3}}, {{}, {1, 1}}, {{}, {11, 7}}}},
    {"Activations",
     R"mlir(
func.func @acts(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:6 = kiln.fusion ins(%x : tensor<?xf32>) -> tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32> {
  ^bb0(%a: tensor<?xf32>):
    %1 = kiln.sigmoid %a : tensor<?xf32>
    %2 = kiln.silu %a : tensor<?xf32>
    %3 = kiln.tanh %a : tensor<?xf32>
    %4 = kiln.softplus %a : tensor<?xf32>
    %5 = kiln.hard_swish %a : tensor<?xf32>
    %6 = kiln.leaky_relu %a alpha = 0.01 : tensor<?xf32>
    kiln.yield %1, %2, %3, %4, %5, %6 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
})mlir",
     {{{1}}, {{2}}, {{97}}, {{1031}}}},
    {"MoreActivations",
     R"mlir(
func.func @acts2(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:8 = kiln.fusion ins(%x : tensor<?xf32>) -> tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32> {
  ^bb0(%a: tensor<?xf32>):
    %1 = kiln.elu %a alpha = 1.0 : tensor<?xf32>
    %2 = kiln.hard_sigmoid %a alpha = 0.2 beta = 0.5 : tensor<?xf32>
    %3 = kiln.clamp %a min = -1.0 max = 2.5 : tensor<?xf32>
    %4 = kiln.gelu_tanh %a : tensor<?xf32>
    %5 = kiln.relu %a : tensor<?xf32>
    %6 = kiln.erf %a : tensor<?xf32>
    %7 = kiln.sign %a : tensor<?xf32>
    %8 = kiln.neg %7 : tensor<?xf32>
    %9 = kiln.sin %a : tensor<?xf32>
    %10 = kiln.cos %a : tensor<?xf32>
    %11 = kiln.add %9, %10 : tensor<?xf32>
    %12 = kiln.round %a : tensor<?xf32>
    %13 = kiln.floor %a : tensor<?xf32>
    %14 = kiln.ceil %a : tensor<?xf32>
    %15 = kiln.sub %13, %14 : tensor<?xf32>
    kiln.yield %1, %2, %3, %4, %5, %6, %8, %15 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5, %0#6, %0#7 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
})mlir",
     {{{1}}, {{3}}, {{101}}}},
    {"FloatArithmetic",
     R"mlir(
func.func @arith(%x: tensor<?x?xf32>, %y: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %0:5 = kiln.fusion ins(%x, %y : tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf32>, %b: tensor<?xf32>):
    %1 = kiln.div %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %2 = kiln.mod %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %3 = kiln.fmod %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %4 = kiln.min %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %5 = kiln.abs %a : tensor<?x?xf32>
    %6 = kiln.sqrt %5 : tensor<?x?xf32>
    %7 = kiln.rsqrt %5 : tensor<?x?xf32>
    %8 = kiln.log %5 : tensor<?x?xf32>
    %9 = kiln.pow %5, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %10 = kiln.reciprocal %6 : tensor<?x?xf32>
    %11 = kiln.add %7, %10 : tensor<?x?xf32>
    %12 = kiln.add %8, %9 : tensor<?x?xf32>
    kiln.yield %1, %2, %3, %11, %12 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
})mlir",
     {{{3, 5}, {5}}, {{1, 1}, {1}}, {{7, 11}, {1}}}},
    {"CompareWhereCast",
     R"mlir(
func.func @select(%x: tensor<?x?xf32>, %y: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8>) {
  %0:4 = kiln.fusion ins(%x, %y : tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8> {
  ^bb0(%a: tensor<?x?xf32>, %b: tensor<?xf32>):
    %1 = kiln.compare lt, %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xi1>
    %2 = kiln.where %1, %a, %b : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %3 = kiln.mul %2, %2 : tensor<?x?xf32>
    %4 = kiln.cast %3 : tensor<?x?xf32> to tensor<?x?xi32>
    %5 = kiln.compare ge, %a, %b : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xi1>
    %6 = kiln.not %5 : tensor<?x?xi1>
    %7 = kiln.xor %6, %1 : tensor<?x?xi1>
    %8 = kiln.is_nan %a : tensor<?x?xf32> -> tensor<?x?xi1>
    %9 = kiln.or %7, %8 : tensor<?x?xi1>
    %10 = kiln.cast %a : tensor<?x?xf32> to tensor<?x?xi8>
    kiln.yield %2, %4, %9, %10 : tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8>
  }
  return %0#0, %0#1, %0#2, %0#3 : tensor<?x?xf32>, tensor<?x?xi32>, tensor<?x?xi1>, tensor<?x?xi8>
})mlir",
     {{{4, 6}, {6}}, {{1, 1}, {1}}, {{13, 3}, {1}}}},
    {"HalfGelu",
     R"mlir(
func.func @half(%x: tensor<?x?xf16>, %b: tensor<?xf16>) -> (tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32>) {
  %0:3 = kiln.fusion ins(%x, %b : tensor<?x?xf16>, tensor<?xf16>) -> tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf16>, %c: tensor<?xf16>):
    %1 = kiln.add %a, %c : (tensor<?x?xf16>, tensor<?xf16>) -> tensor<?x?xf16>
    %2 = kiln.gelu %1 : tensor<?x?xf16>
    %3 = kiln.cast %1 : tensor<?x?xf16> to tensor<?x?xf32>
    %4 = kiln.mul %a, %a : tensor<?x?xf16>
    %5 = kiln.exp %4 : tensor<?x?xf16>
    kiln.yield %5, %2, %3 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32>
  }
  return %0#0, %0#1, %0#2 : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?x?xf32>
})mlir",
     {{{5, 8}, {8}}, {{1, 1}, {1}}, {{7, 13}, {1}}}},
    {"SplatConstants",
     R"mlir(
func.func @consts(%x: tensor<?x?xf16>) -> (tensor<?x?xf16>, tensor<?x?xi32>) {
  %0:2 = kiln.fusion ins(%x : tensor<?x?xf16>) -> tensor<?x?xf16>, tensor<?x?xi32> {
  ^bb0(%a: tensor<?x?xf16>):
    %half = kiln.constant dense<0.5> : tensor<f16>
    %three = kiln.constant dense<3> : tensor<1x1xi32>
    %1 = kiln.mul %a, %half : (tensor<?x?xf16>, tensor<f16>) -> tensor<?x?xf16>
    %2 = kiln.tanh %1 : tensor<?x?xf16>
    %3 = kiln.cast %a : tensor<?x?xf16> to tensor<?x?xi32>
    %4 = kiln.mul %3, %three : (tensor<?x?xi32>, tensor<1x1xi32>) -> tensor<?x?xi32>
    kiln.yield %2, %4 : tensor<?x?xf16>, tensor<?x?xi32>
  }
  return %0#0, %0#1 : tensor<?x?xf16>, tensor<?x?xi32>
})mlir",
     {{{1, 1}}, {{3, 7}}, {{17, 5}}}},
    {"BFloatRelu",
     R"mlir(
func.func @bf(%x: tensor<?x?xbf16>, %y: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %0 = kiln.fusion ins(%x, %y : tensor<?x?xbf16>, tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  ^bb0(%a: tensor<?x?xbf16>, %b: tensor<?x?xbf16>):
    %1 = kiln.sub %a, %b : tensor<?x?xbf16>
    %2 = kiln.relu %1 : tensor<?x?xbf16>
    %3 = kiln.sigmoid %2 : tensor<?x?xbf16>
    kiln.yield %3 : tensor<?x?xbf16>
  }
  return %0 : tensor<?x?xbf16>
})mlir",
     {{{7, 1}, {1, 13}}, {{3, 3}, {3, 3}}}},
    // No broadcast operand: the vector path, 8 elements per 16-byte access
    // for f16 (with a 1-byte i1 result), 2 for i64; tails of 1..7.
    {"VectorHalfAndBool",
     R"mlir(
func.func @vec(%x: tensor<?x?xf16>, %y: tensor<?x?xf16>) -> (tensor<?x?xf16>, tensor<?x?xi1>) {
  %0:2 = kiln.fusion ins(%x, %y : tensor<?x?xf16>, tensor<?x?xf16>) -> tensor<?x?xf16>, tensor<?x?xi1> {
  ^bb0(%a: tensor<?x?xf16>, %b: tensor<?x?xf16>):
    %1 = kiln.mul %a, %b : tensor<?x?xf16>
    %2 = kiln.compare lt, %a, %b : (tensor<?x?xf16>, tensor<?x?xf16>) -> tensor<?x?xi1>
    kiln.yield %1, %2 : tensor<?x?xf16>, tensor<?x?xi1>
  }
  return %0#0, %0#1 : tensor<?x?xf16>, tensor<?x?xi1>
})mlir",
     {{{1, 1}, {1, 1}}, {{3, 37}, {3, 37}}, {{8, 128}, {8, 128}}}},
    {"VectorInt64",
     R"mlir(
func.func @vec64(%z: tensor<?x?xi64>) -> tensor<?x?xi64> {
  %0 = kiln.fusion ins(%z : tensor<?x?xi64>) -> tensor<?x?xi64> {
  ^bb0(%c: tensor<?x?xi64>):
    %1 = kiln.add %c, %c : tensor<?x?xi64>
    kiln.yield %1 : tensor<?x?xi64>
  }
  return %0 : tensor<?x?xi64>
})mlir",
     {{{1, 1}}, {{3, 37}}, {{8, 129}}}},
    {"IntegerArithmetic",
     R"mlir(
func.func @ints(%x: tensor<?xi64>, %y: tensor<?xi64>, %z: tensor<?xi32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32>) {
  %0:6 = kiln.fusion ins(%x, %y, %z : tensor<?xi64>, tensor<?xi64>, tensor<?xi32>) -> tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32> {
  ^bb0(%a: tensor<?xi64>, %b: tensor<?xi64>, %c: tensor<?xi32>):
    %1 = kiln.div %a, %b : tensor<?xi64>
    %2 = kiln.mod %a, %b : tensor<?xi64>
    %3 = kiln.fmod %a, %b : tensor<?xi64>
    %4 = kiln.mul %a, %b : tensor<?xi64>
    %5 = kiln.neg %4 : tensor<?xi64>
    %6 = kiln.max %5, %a : tensor<?xi64>
    %7 = kiln.cast %4 : tensor<?xi64> to tensor<?xi8>
    %8 = kiln.abs %c : tensor<?xi32>
    %9 = kiln.clamp %8 min = 3.0 max = 40.0 : tensor<?xi32>
    %10 = kiln.sign %c : tensor<?xi32>
    %11 = kiln.sub %9, %10 : tensor<?xi32>
    kiln.yield %1, %2, %3, %6, %7, %11 : tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32>
  }
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5 : tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi8>, tensor<?xi32>
})mlir",
     {{{1}, {1}, {1}}, {{37}, {37}, {37}}, {{257}, {1}, {257}}}},
};

// GEMM groups (gemm_simt): the op's bias and the fused epilogue, batch
// broadcasting, f16 storage, a configuration chosen by #kiln.kernel. Inputs
// in [-1, 1] keep K-term sums of order sqrt(K), where fp32 accumulation
// stays far below the 1e-5 bound.
const GroupCase kGemmCases[] = {
    {"LinearBiasGeluResidual",
     R"mlir(
func.func @mlp(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>, %r: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = kiln.fusion ins(%x, %w, %b, %r : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32> {
  ^bb0(%a: tensor<?x64xf32>, %m: tensor<32x64xf32>, %c: tensor<32xf32>, %res: tensor<?x32xf32>):
    %1 = kiln.linear %a, %m, %c transpose_weight : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
    %2 = kiln.gelu %1 : tensor<?x32xf32>
    %3 = kiln.add %2, %res : tensor<?x32xf32>
    kiln.yield %3 : tensor<?x32xf32>
  }
  return %0 : tensor<?x32xf32>
})mlir",
     {{{1, 64}, {32, 64}, {32}, {1, 32}},
      {{37, 64}, {32, 64}, {32}, {37, 32}},
      {{130, 64}, {32, 64}, {32}, {130, 32}}},
     1e-5,
     1e-5,
     1.0},
    {"LinearRowMajorWeight3d",
     R"mlir(
func.func @proj(%x: tensor<?x?x?xf32>, %w: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = kiln.fusion ins(%x, %w : tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  ^bb0(%a: tensor<?x?x?xf32>, %m: tensor<?x?xf32>):
    %1 = kiln.linear %a, %m : tensor<?x?x?xf32>, tensor<?x?xf32> -> tensor<?x?x?xf32>
    kiln.yield %1 : tensor<?x?x?xf32>
  }
  return %0 : tensor<?x?x?xf32>
})mlir",
     {{{2, 7, 13}, {13, 5}}, {{1, 1, 1}, {1, 1}}, {{3, 43, 97}, {97, 131}}},
     1e-5,
     1e-5,
     1.0},
    {"BatchedMatmulBroadcastRhs",
     R"mlir(
func.func @bmm(%a: tensor<?x?x?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?x?x?xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<?x?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?x?xf32> {
  ^bb0(%x: tensor<?x?x?x?xf32>, %y: tensor<?x?xf32>):
    %1 = kiln.matmul %x, %y : tensor<?x?x?x?xf32>, tensor<?x?xf32> -> tensor<?x?x?x?xf32>
    %2 = kiln.relu %1 : tensor<?x?x?x?xf32>
    kiln.yield %2 : tensor<?x?x?x?xf32>
  }
  return %0 : tensor<?x?x?x?xf32>
})mlir",
     {{{2, 3, 17, 29}, {29, 13}}, {{1, 1, 1, 1}, {1, 1}}},
     1e-5,
     1e-5,
     1.0},
    {"BatchedMatmulTwoLevels",
     R"mlir(
func.func @scores(%q: tensor<2x3x?x16xf32>, %k: tensor<2x1x16x?xf32>) -> tensor<2x3x?x?xf32> {
  %0 = kiln.fusion ins(%q, %k : tensor<2x3x?x16xf32>, tensor<2x1x16x?xf32>) -> tensor<2x3x?x?xf32> {
  ^bb0(%x: tensor<2x3x?x16xf32>, %y: tensor<2x1x16x?xf32>):
    %s = kiln.constant dense<0.25> : tensor<f32>
    %1 = kiln.matmul %x, %y : tensor<2x3x?x16xf32>, tensor<2x1x16x?xf32> -> tensor<2x3x?x?xf32>
    %2 = kiln.mul %1, %s : (tensor<2x3x?x?xf32>, tensor<f32>) -> tensor<2x3x?x?xf32>
    kiln.yield %2 : tensor<2x3x?x?xf32>
  }
  return %0 : tensor<2x3x?x?xf32>
})mlir",
     {{{2, 3, 1, 16}, {2, 1, 16, 1}}, {{2, 3, 11, 16}, {2, 1, 16, 19}}},
     1e-5,
     1e-5,
     1.0},
    // f16 storage, fp32 accumulation: the evaluator rounds the product once
    // to f16 from an exact sum, the kernel from an fp32 sum, so results may
    // differ by one f16 ulp (allowed), plus one more after the f16 tanh
    // (the 2^-10 relative term).
    {"HalfMatmulTanhCast",
     R"mlir(
func.func @half(%a: tensor<?x?xf16>, %b: tensor<?x?xf16>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<?x?xf16>, tensor<?x?xf16>) -> tensor<?x?xf32> {
  ^bb0(%x: tensor<?x?xf16>, %y: tensor<?x?xf16>):
    %1 = kiln.matmul %x, %y : tensor<?x?xf16>, tensor<?x?xf16> -> tensor<?x?xf16>
    %2 = kiln.tanh %1 : tensor<?x?xf16>
    %3 = kiln.cast %2 : tensor<?x?xf16> to tensor<?x?xf32>
    kiln.yield %3 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{5, 7}, {7, 3}}, {{31, 61}, {61, 37}}},
     1.0 / 1024,
     1e-3,
     1.0},
    // Tensor cores: bf16 batched with two broadcast levels, a configured
    // small tile (2 stages), and f16 linear with bias, ReLU and a residual.
    // Same bounds as the f16 case above (bf16: 2^-7 relative).
    {"BFloatTensorCoreBatched",
     R"mlir(
func.func @tcbmm(%a: tensor<2x3x?x?xbf16>, %b: tensor<2x1x?x?xbf16>) -> tensor<2x3x?x?xbf16> {
  %0 = kiln.fusion ins(%a, %b : tensor<2x3x?x?xbf16>, tensor<2x1x?x?xbf16>) -> tensor<2x3x?x?xbf16> {
  ^bb0(%x: tensor<2x3x?x?xbf16>, %y: tensor<2x1x?x?xbf16>):
    %1 = kiln.matmul %x, %y : tensor<2x3x?x?xbf16>, tensor<2x1x?x?xbf16> -> tensor<2x3x?x?xbf16>
    kiln.yield %1 : tensor<2x3x?x?xbf16>
  }
  return %0 : tensor<2x3x?x?xbf16>
})mlir",
     {{{2, 3, 1, 1}, {2, 1, 1, 1}}, {{2, 3, 17, 40}, {2, 1, 40, 9}}},
     1.0 / 128,
     1e-2,
     1.0},
    {"HalfTensorCoreLinearConfigured",
     R"mlir(
func.func @tclin(%x: tensor<?x?xf16>, %w: tensor<?x?xf16>, %b: tensor<?xf16>, %r: tensor<?x?xf16>) -> tensor<?x?xf16> {
  %0 = kiln.fusion ins(%x, %w, %b, %r : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xf16>, tensor<?x?xf16>) -> tensor<?x?xf16>
      configs [#kiln.kernel<arch = "host", profile = 0, template = "gemm_tc", tile = [64, 64, 32, 32, 32], stages = 2, warps = 4>] {
  ^bb0(%a: tensor<?x?xf16>, %m: tensor<?x?xf16>, %c: tensor<?xf16>, %res: tensor<?x?xf16>):
    %1 = kiln.linear %a, %m, %c transpose_weight : tensor<?x?xf16>, tensor<?x?xf16>, tensor<?xf16> -> tensor<?x?xf16>
    %2 = kiln.relu %1 : tensor<?x?xf16>
    %3 = kiln.add %2, %res : tensor<?x?xf16>
    kiln.yield %3 : tensor<?x?xf16>
  }
  return %0 : tensor<?x?xf16>
})mlir",
     {{{1, 8}, {5, 8}, {5}, {1, 5}}, {{67, 40}, {71, 40}, {71}, {67, 71}}},
     1.0 / 512,
     2e-3,
     1.0},
    {"ConfiguredTile",
     R"mlir(
func.func @tiled(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
      configs [#kiln.kernel<arch = "host", profile = 0, template = "gemm_simt", tile = [64, 32, 8, 4, 4], stages = 1, warps = 4>] {
  ^bb0(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>):
    %1 = kiln.matmul %x, %y : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
    kiln.yield %1 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{1, 1}, {1, 1}}, {{67, 9}, {9, 41}}, {{129, 33}, {33, 65}}},
     1e-5,
     1e-5,
     1.0},
};

// Softmax, normalization and reduction groups: the prologue becomes the
// loader (scale and additive mask before a softmax, residual add before a
// norm), the epilogue the functor after; row templates when the reduced dims
// are innermost, column templates otherwise. Row lengths cross the register
// capacity of the default configurations (1024 for softmax) so the
// streaming paths run too.
const GroupCase kRowCases[] = {
    {"ScaledMaskedSoftmax",
     R"mlir(
func.func @attn_probs(%x: tensor<?x?xf32>, %mask: tensor<?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%x, %mask : tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf32>, %m: tensor<?xf32>):
    %s = kiln.constant dense<0.125> : tensor<f32>
    %1 = kiln.mul %a, %s : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
    %2 = kiln.add %1, %m : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %3 = kiln.softmax %2 axis = 1 : tensor<?x?xf32>
    kiln.yield %3 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{1, 1}, {1}}, {{5, 33}, {33}}, {{3, 1031}, {1031}}},
     1e-5,
     1e-7,
     3.0},
    {"LogSoftmaxMiddleAxis",
     R"mlir(
func.func @logsm(%x: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  ^bb0(%a: tensor<?x?x?xf32>):
    %1 = kiln.log_softmax %a axis = 1 : tensor<?x?x?xf32>
    %2 = kiln.neg %1 : tensor<?x?x?xf32>
    kiln.yield %2 : tensor<?x?x?xf32>
  }
  return %0 : tensor<?x?x?xf32>
})mlir",
     {{{2, 7, 5}}, {{1, 1, 1}}, {{3, 33, 17}}},
     1e-5,
     1e-5,
     3.0},
    {"ResidualLayerNormGelu",
     R"mlir(
func.func @ln(%x: tensor<?x?xf32>, %r: tensor<?x?xf32>, %g: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%x, %r, %g, %b : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?xf32>, %c: tensor<?x?xf32>, %gamma: tensor<?xf32>, %beta: tensor<?xf32>):
    %1 = kiln.add %a, %c : tensor<?x?xf32>
    %2 = kiln.layer_norm %1, %gamma, %beta axis = 1 epsilon = 1.0e-05 : tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>
    %3 = kiln.gelu %2 : tensor<?x?xf32>
    kiln.yield %3 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{1, 1}, {1, 1}, {1}, {1}},
      {{3, 64}, {3, 64}, {64}, {64}},
      {{2, 4099}, {2, 4099}, {4099}, {4099}}},
     1e-5,
     1e-5,
     3.0},
    {"WarpLayerNormNoBias",
     R"mlir(
func.func @lnw(%x: tensor<?x?x48xf32>, %g: tensor<48xf32>) -> tensor<?x?x48xf32> {
  %0 = kiln.fusion ins(%x, %g : tensor<?x?x48xf32>, tensor<48xf32>) -> tensor<?x?x48xf32> {
  ^bb0(%a: tensor<?x?x48xf32>, %gamma: tensor<48xf32>):
    %1 = kiln.layer_norm %a, %gamma axis = 2 epsilon = 1.0e-05 : tensor<?x?x48xf32>, tensor<48xf32>
    kiln.yield %1 : tensor<?x?x48xf32>
  }
  return %0 : tensor<?x?x48xf32>
})mlir",
     {{{1, 1, 48}, {48}}, {{2, 13, 48}, {48}}},
     1e-5,
     1e-5,
     3.0},
    // f16 storage: the evaluator rounds once from double, the kernel from
    // fp32 statistics: one f16 ulp, plus 2^-11 relative for the rounding
    // of the normalized value before the scale.
    {"HalfRmsNormSilu",
     R"mlir(
func.func @rms(%x: tensor<?x40xf16>, %w: tensor<40xf16>) -> tensor<?x40xf16> {
  %0 = kiln.fusion ins(%x, %w : tensor<?x40xf16>, tensor<40xf16>) -> tensor<?x40xf16> {
  ^bb0(%a: tensor<?x40xf16>, %s: tensor<40xf16>):
    %1 = kiln.rms_norm %a, %s axis = 1 epsilon = 1.0e-06 : tensor<?x40xf16>, tensor<40xf16>
    %2 = kiln.silu %1 : tensor<?x40xf16>
    kiln.yield %2 : tensor<?x40xf16>
  }
  return %0 : tensor<?x40xf16>
})mlir",
     {{{1, 40}, {40}}, {{9, 40}, {40}}},
     1.0 / 1024,
     1e-3,
     3.0},
    {"MeanLastAxisKeepDims",
     R"mlir(
func.func @mean(%x: tensor<?x?xf32>) -> tensor<?x1xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x?xf32>) -> tensor<?x1xf32> {
  ^bb0(%a: tensor<?x?xf32>):
    %1 = kiln.mul %a, %a : tensor<?x?xf32>
    %2 = kiln.reduce_mean %1 axes = [1] keep_dims : tensor<?x?xf32> -> tensor<?x1xf32>
    %3 = kiln.sqrt %2 : tensor<?x1xf32>
    kiln.yield %3 : tensor<?x1xf32>
  }
  return %0 : tensor<?x1xf32>
})mlir",
     {{{1, 1}}, {{17, 33}}, {{3, 3001}}},
     1e-5,
     1e-6,
     3.0},
    {"MaxFirstAxis",
     R"mlir(
func.func @colmax(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x?xf32>) -> tensor<?xf32> {
  ^bb0(%a: tensor<?x?xf32>):
    %1 = kiln.reduce_max %a axes = [0] : tensor<?x?xf32> -> tensor<?xf32>
    kiln.yield %1 : tensor<?xf32>
  }
  return %0 : tensor<?xf32>
})mlir",
     {{{1, 1}}, {{37, 5}}, {{2, 67}}},
     0.0,
     0.0,
     3.0},
    // |x| makes ties (x and -x) likely among the rounded f16 inputs: the
    // first index must win, the last with select_last_index.
    {"ArgMaxOfAbs",
     R"mlir(
func.func @amax(%x: tensor<?x?xf16>) -> (tensor<?xi64>) {
  %0 = kiln.fusion ins(%x : tensor<?x?xf16>) -> tensor<?xi64> {
  ^bb0(%a: tensor<?x?xf16>):
    %1 = kiln.abs %a : tensor<?x?xf16>
    %2 = kiln.argmax %1 axis = 1 : tensor<?x?xf16> -> tensor<?xi64>
    kiln.yield %2 : tensor<?xi64>
  }
  return %0 : tensor<?xi64>
})mlir",
     {{{1, 1}}, {{9, 300}}, {{2, 1500}}},
     0.0,
     0.0,
     0.01},
    {"ArgMinFirstAxisLast",
     R"mlir(
func.func @amin(%x: tensor<?x?xf32>) -> (tensor<1x?xi64>) {
  %0 = kiln.fusion ins(%x : tensor<?x?xf32>) -> tensor<1x?xi64> {
  ^bb0(%a: tensor<?x?xf32>):
    %1 = kiln.floor %a : tensor<?x?xf32>
    %2 = kiln.argmin %1 axis = 0 keep_dims select_last_index : tensor<?x?xf32> -> tensor<1x?xi64>
    kiln.yield %2 : tensor<1x?xi64>
  }
  return %0 : tensor<1x?xi64>
})mlir",
     {{{1, 1}}, {{37, 5}}, {{6, 67}}},
     0.0,
     0.0,
     3.0},
    {"SumMiddleAxes",
     R"mlir(
func.func @pool(%x: tensor<?x?x?x?xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x?x?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: tensor<?x?x?x?xf32>):
    %1 = kiln.reduce_sum %a axes = [1, 2] : tensor<?x?x?x?xf32> -> tensor<?x?xf32>
    kiln.yield %1 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{2, 3, 5, 7}}, {{1, 1, 1, 1}}, {{1, 13, 11, 3}}},
     1e-5,
     1e-5,
     3.0},
};

// Data movement (copy.cuh): exact. Transposes that move the innermost dim
// take the tiled kernel (a grid of one block per 1024 elements makes blocks
// loop over tiles), others the strided copy; slices with negative steps;
// concat in groups of eight inputs; gathers with negative indices.
const GroupCase kCopyCases[] = {
    {"TransposeTiled",
     R"mlir(
func.func @tr(%x: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  ^bb0(%a: tensor<?x?x?xf32>):
    %1 = kiln.transpose %a permutation = [2, 0, 1] : tensor<?x?x?xf32> -> tensor<?x?x?xf32>
    kiln.yield %1 : tensor<?x?x?xf32>
  }
  return %0 : tensor<?x?x?xf32>
})mlir",
     {{{2, 3, 5}}, {{1, 37, 5}}, {{3, 33, 65}}, {{1, 1, 1}}},
     0.0,
     0.0},
    {"TransposeKeepsInnerHalf",
     R"mlir(
func.func @tr2(%x: tensor<?x?x8xf16>) -> tensor<?x?x8xf16> {
  %0 = kiln.fusion ins(%x : tensor<?x?x8xf16>) -> tensor<?x?x8xf16> {
  ^bb0(%a: tensor<?x?x8xf16>):
    %1 = kiln.transpose %a permutation = [1, 0, 2] : tensor<?x?x8xf16> -> tensor<?x?x8xf16>
    kiln.yield %1 : tensor<?x?x8xf16>
  }
  return %0 : tensor<?x?x8xf16>
})mlir",
     {{{2, 3, 8}}, {{7, 13, 8}}},
     0.0,
     0.0},
    {"SliceNegativeSteps",
     R"mlir(
func.func @sl(%x: tensor<?x?x9xi32>) -> tensor<?x?x7xi32> {
  %0 = kiln.fusion ins(%x : tensor<?x?x9xi32>) -> tensor<?x?x7xi32> {
  ^bb0(%a: tensor<?x?x9xi32>):
    %1 = kiln.slice %a[::-1, 1::2, :-2] : tensor<?x?x9xi32> -> tensor<?x?x7xi32>
    kiln.yield %1 : tensor<?x?x7xi32>
  }
  return %0 : tensor<?x?x7xi32>
})mlir",
     {{{4, 5, 9}}, {{1, 2, 9}}, {{3, 17, 9}}},
     0.0,
     0.0},
    {"ConcatThree",
     R"mlir(
func.func @cat(%a: tensor<?x3xf32>, %b: tensor<?x?xf32>, %c: tensor<?x1xf32>) -> tensor<?x?xf32> {
  %0 = kiln.fusion ins(%a, %b, %c : tensor<?x3xf32>, tensor<?x?xf32>, tensor<?x1xf32>) -> tensor<?x?xf32> {
  ^bb0(%x: tensor<?x3xf32>, %y: tensor<?x?xf32>, %z: tensor<?x1xf32>):
    %1 = kiln.concat %x, %y, %z axis = 1 : tensor<?x3xf32>, tensor<?x?xf32>, tensor<?x1xf32> -> tensor<?x?xf32>
    kiln.yield %1 : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
})mlir",
     {{{2, 3}, {2, 5}, {2, 1}}, {{37, 3}, {37, 1}, {37, 1}}},
     0.0,
     0.0},
    {"ConcatNineInputsFirstAxis",
     R"mlir(
func.func @cat9(%a: tensor<?x4xi64>, %b: tensor<?x4xi64>) -> tensor<?x4xi64> {
  %0 = kiln.fusion ins(%a, %b : tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi64> {
  ^bb0(%x: tensor<?x4xi64>, %y: tensor<?x4xi64>):
    %1 = kiln.concat %x, %y, %x, %y, %x, %y, %x, %y, %x axis = 0 : tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
    kiln.yield %1 : tensor<?x4xi64>
  }
  return %0 : tensor<?x4xi64>
})mlir",
     {{{1, 4}, {2, 4}}, {{3, 4}, {5, 4}}},
     0.0,
     0.0},
    {"GatherEmbedding",
     R"mlir(
func.func @emb(%table: tensor<?x?xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x?xf32> {
  %0 = kiln.fusion ins(%table, %ids : tensor<?x?xf32>, tensor<?x?xi64>) -> tensor<?x?x?xf32> {
  ^bb0(%t: tensor<?x?xf32>, %i: tensor<?x?xi64>):
    %1 = kiln.gather %t, %i axis = 0 : tensor<?x?xf32>, tensor<?x?xi64> -> tensor<?x?x?xf32>
    kiln.yield %1 : tensor<?x?x?xf32>
  }
  return %0 : tensor<?x?x?xf32>
})mlir",
     {{{7, 5}, {2, 3}}, {{7, 33}, {1, 1}}},
     0.0,
     0.0,
     3.0,
     7},
    {"GatherElementsMiddleAxis",
     R"mlir(
func.func @ge(%d: tensor<2x5x3xf16>, %i: tensor<2x4x3xi32>) -> tensor<2x4x3xf16> {
  %0 = kiln.fusion ins(%d, %i : tensor<2x5x3xf16>, tensor<2x4x3xi32>) -> tensor<2x4x3xf16> {
  ^bb0(%x: tensor<2x5x3xf16>, %y: tensor<2x4x3xi32>):
    %1 = kiln.gather_elements %x, %y axis = 1 : tensor<2x5x3xf16>, tensor<2x4x3xi32> -> tensor<2x4x3xf16>
    kiln.yield %1 : tensor<2x4x3xf16>
  }
  return %0 : tensor<2x4x3xf16>
})mlir",
     {{{2, 5, 3}, {2, 4, 3}}},
     0.0,
     0.0,
     3.0,
     5},
};

// Attention groups (attention.cuh): the SIMT body for f32, tensor cores for
// f16/bf16; GQA, padding / boolean masks broadcast by strides, both causal
// alignments, epilogues. f16/bf16 bounds follow the kernel's: P is rounded
// to 16 bits before the PV product (u = 2^-11 / 2^-8 of max|v| = 1
// absolute) and the output once more (2u relative).
const GroupCase kAttentionCases[] = {
    {"PaddingMaskedF32",
     R"mlir(
func.func @sdpa(%q: tensor<?x4x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>, %m: tensor<?x1x1x?xf32>) -> tensor<?x4x?x64xf32> {
  %0 = kiln.fusion ins(%q, %k, %v, %m : tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x64xf32> {
  ^bb0(%a: tensor<?x4x?x64xf32>, %b: tensor<?x2x?x64xf32>, %c: tensor<?x2x?x64xf32>, %d: tensor<?x1x1x?xf32>):
    %1 = kiln.attention %a, %b, %c mask(%d : tensor<?x1x1x?xf32>) scale = 1.250000e-01 causal = none : tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x4x?x64xf32>
    kiln.yield %1 : tensor<?x4x?x64xf32>
  }
  return %0 : tensor<?x4x?x64xf32>
})mlir",
     {{{2, 4, 7, 64}, {2, 2, 9, 64}, {2, 2, 9, 64}, {2, 1, 1, 9}},
      {{1, 4, 1, 64}, {1, 2, 1, 64}, {1, 2, 1, 64}, {1, 1, 1, 1}}},
     1e-5,
     1e-6,
     1.0},
    {"CausalF32Head128Scaled",
     R"mlir(
func.func @causal(%q: tensor<1x2x?x128xf32>, %k: tensor<1x2x?x128xf32>, %v: tensor<1x2x?x128xf32>) -> tensor<1x2x?x128xf32> {
  %0 = kiln.fusion ins(%q, %k, %v : tensor<1x2x?x128xf32>, tensor<1x2x?x128xf32>, tensor<1x2x?x128xf32>) -> tensor<1x2x?x128xf32> {
  ^bb0(%a: tensor<1x2x?x128xf32>, %b: tensor<1x2x?x128xf32>, %c: tensor<1x2x?x128xf32>):
    %two = kiln.constant dense<2.0> : tensor<f32>
    %1 = kiln.attention %a, %b, %c scale = 0.088388347648 causal = upper_left : tensor<1x2x?x128xf32>, tensor<1x2x?x128xf32>, tensor<1x2x?x128xf32> -> tensor<1x2x?x128xf32>
    %2 = kiln.mul %1, %two : (tensor<1x2x?x128xf32>, tensor<f32>) -> tensor<1x2x?x128xf32>
    kiln.yield %2 : tensor<1x2x?x128xf32>
  }
  return %0 : tensor<1x2x?x128xf32>
})mlir",
     {{{1, 2, 5, 128}, {1, 2, 5, 128}, {1, 2, 5, 128}},
      {{1, 2, 19, 128}, {1, 2, 19, 128}, {1, 2, 19, 128}}},
     1e-5,
     2e-6,
     1.0},
    {"HalfGqaLowerRight",
     R"mlir(
func.func @decode(%q: tensor<?x4x?x64xf16>, %k: tensor<?x1x?x64xf16>, %v: tensor<?x1x?x64xf16>) -> tensor<?x4x?x64xf16> {
  %0 = kiln.fusion ins(%q, %k, %v : tensor<?x4x?x64xf16>, tensor<?x1x?x64xf16>, tensor<?x1x?x64xf16>) -> tensor<?x4x?x64xf16> {
  ^bb0(%a: tensor<?x4x?x64xf16>, %b: tensor<?x1x?x64xf16>, %c: tensor<?x1x?x64xf16>):
    %1 = kiln.attention %a, %b, %c scale = 1.250000e-01 causal = lower_right : tensor<?x4x?x64xf16>, tensor<?x1x?x64xf16>, tensor<?x1x?x64xf16> -> tensor<?x4x?x64xf16>
    kiln.yield %1 : tensor<?x4x?x64xf16>
  }
  return %0 : tensor<?x4x?x64xf16>
})mlir",
     {{{1, 4, 3, 64}, {1, 1, 37, 64}, {1, 1, 37, 64}},
      {{2, 4, 1, 64}, {2, 1, 1, 64}, {2, 1, 1, 64}}},
     1.0 / 1024,
     1.0 / 2048,
     1.0},
    {"BFloatBoolMaskHead128",
     R"mlir(
func.func @masked(%q: tensor<1x2x?x128xbf16>, %k: tensor<1x2x?x128xbf16>, %v: tensor<1x2x?x128xbf16>, %m: tensor<?x?xi1>) -> tensor<1x2x?x128xbf16> {
  %0 = kiln.fusion ins(%q, %k, %v, %m : tensor<1x2x?x128xbf16>, tensor<1x2x?x128xbf16>, tensor<1x2x?x128xbf16>, tensor<?x?xi1>) -> tensor<1x2x?x128xbf16> {
  ^bb0(%a: tensor<1x2x?x128xbf16>, %b: tensor<1x2x?x128xbf16>, %c: tensor<1x2x?x128xbf16>, %d: tensor<?x?xi1>):
    %1 = kiln.attention %a, %b, %c mask(%d : tensor<?x?xi1>) scale = 0.088388347648 causal = none : tensor<1x2x?x128xbf16>, tensor<1x2x?x128xbf16>, tensor<1x2x?x128xbf16> -> tensor<1x2x?x128xbf16>
    %2 = kiln.neg %1 : tensor<1x2x?x128xbf16>
    kiln.yield %2 : tensor<1x2x?x128xbf16>
  }
  return %0 : tensor<1x2x?x128xbf16>
})mlir",
     {{{1, 2, 5, 128}, {1, 2, 33, 128}, {1, 2, 33, 128}, {5, 33}}},
     1.0 / 128,
     1.0 / 256,
     1.0},
};

// Convolution and pooling groups (channels_last): the fp32 SIMT implicit
// GEMM, the tensor-core one for f16 (groups and dilation), the depthwise
// kernel (channel multiplier 2), and pools with ceil mode and padding
// counted in the average.
const GroupCase kConvCases[] = {
    {"SimtConvBiasRelu",
     R"mlir(
func.func @conv(%x: tensor<?x9x9x4xf32>, %w: tensor<8x3x3x4xf32>, %b: tensor<8xf32>) -> tensor<?x5x5x8xf32> {
  %0 = kiln.fusion ins(%x, %w, %b : tensor<?x9x9x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32>) -> tensor<?x5x5x8xf32> {
  ^bb0(%a: tensor<?x9x9x4xf32>, %f: tensor<8x3x3x4xf32>, %c: tensor<8xf32>):
    %1 = kiln.conv2d %a, %f, %c strides = [2, 2] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 1 channels_last : tensor<?x9x9x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32> -> tensor<?x5x5x8xf32>
    %2 = kiln.relu %1 : tensor<?x5x5x8xf32>
    kiln.yield %2 : tensor<?x5x5x8xf32>
  }
  return %0 : tensor<?x5x5x8xf32>
})mlir",
     {{{1, 9, 9, 4}, {8, 3, 3, 4}, {8}}, {{3, 9, 9, 4}, {8, 3, 3, 4}, {8}}},
     1e-5,
     1e-5,
     1.0},
    {"HalfTensorCoreConvGroupsDilated",
     R"mlir(
func.func @tcconv(%x: tensor<1x7x7x16xf16>, %w: tensor<8x3x3x8xf16>) -> tensor<1x7x7x8xf16> {
  %0 = kiln.fusion ins(%x, %w : tensor<1x7x7x16xf16>, tensor<8x3x3x8xf16>) -> tensor<1x7x7x8xf16> {
  ^bb0(%a: tensor<1x7x7x16xf16>, %f: tensor<8x3x3x8xf16>):
    %1 = kiln.conv2d %a, %f strides = [1, 1] pads = [2, 2, 2, 2] dilations = [2, 2] groups = 2 channels_last : tensor<1x7x7x16xf16>, tensor<8x3x3x8xf16> -> tensor<1x7x7x8xf16>
    kiln.yield %1 : tensor<1x7x7x8xf16>
  }
  return %0 : tensor<1x7x7x8xf16>
})mlir",
     {{{1, 7, 7, 16}, {8, 3, 3, 8}}},
     1.0 / 512,
     2e-3,
     1.0},
    {"DepthwiseMultiplierTwo",
     R"mlir(
func.func @dw(%x: tensor<?x6x6x4xf32>, %w: tensor<8x3x3x1xf32>, %b: tensor<8xf32>) -> tensor<?x6x6x8xf32> {
  %0 = kiln.fusion ins(%x, %w, %b : tensor<?x6x6x4xf32>, tensor<8x3x3x1xf32>, tensor<8xf32>) -> tensor<?x6x6x8xf32> {
  ^bb0(%a: tensor<?x6x6x4xf32>, %f: tensor<8x3x3x1xf32>, %c: tensor<8xf32>):
    %1 = kiln.conv2d %a, %f, %c strides = [1, 1] pads = [1, 1, 1, 1] dilations = [1, 1] groups = 4 channels_last : tensor<?x6x6x4xf32>, tensor<8x3x3x1xf32>, tensor<8xf32> -> tensor<?x6x6x8xf32>
    %2 = kiln.clamp %1 min = 0.0 max = 6.0 : tensor<?x6x6x8xf32>
    kiln.yield %2 : tensor<?x6x6x8xf32>
  }
  return %0 : tensor<?x6x6x8xf32>
})mlir",
     {{{2, 6, 6, 4}, {8, 3, 3, 1}, {8}}},
     1e-5,
     1e-6,
     1.0},
    {"MaxPoolCeilMode",
     R"mlir(
func.func @maxpool(%x: tensor<?x9x9x3xf32>) -> tensor<?x5x5x3xf32> {
  %0 = kiln.fusion ins(%x : tensor<?x9x9x3xf32>) -> tensor<?x5x5x3xf32> {
  ^bb0(%a: tensor<?x9x9x3xf32>):
    %1 = kiln.max_pool2d %a kernel = [2, 2] strides = [2, 2] pads = [0, 0, 0, 0] ceil_mode channels_last : tensor<?x9x9x3xf32> -> tensor<?x5x5x3xf32>
    kiln.yield %1 : tensor<?x5x5x3xf32>
  }
  return %0 : tensor<?x5x5x3xf32>
})mlir",
     {{{1, 9, 9, 3}}, {{2, 9, 9, 3}}},
     0.0,
     0.0,
     3.0},
    {"AvgPoolIncludePadScaled",
     R"mlir(
func.func @avgpool(%x: tensor<?x8x8x3xf32>, %s: tensor<3xf32>) -> tensor<?x8x8x3xf32> {
  %0 = kiln.fusion ins(%x, %s : tensor<?x8x8x3xf32>, tensor<3xf32>) -> tensor<?x8x8x3xf32> {
  ^bb0(%a: tensor<?x8x8x3xf32>, %b: tensor<3xf32>):
    %1 = kiln.avg_pool2d %a kernel = [3, 3] strides = [1, 1] pads = [1, 1, 1, 1] count_include_pad channels_last : tensor<?x8x8x3xf32> -> tensor<?x8x8x3xf32>
    %2 = kiln.mul %1, %b : (tensor<?x8x8x3xf32>, tensor<3xf32>) -> tensor<?x8x8x3xf32>
    kiln.yield %2 : tensor<?x8x8x3xf32>
  }
  return %0 : tensor<?x8x8x3xf32>
})mlir",
     {{{1, 8, 8, 3}, {3}}, {{2, 8, 8, 3}, {3}}},
     1e-5,
     1e-6,
     3.0},
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const GroupCase &groupCase, std::ostream *os) {
  *os << groupCase.name;
}

std::string formatDims(llvm::ArrayRef<int64_t> dims) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i ? "x" : "") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

Tensor randomTensor(ElementKind kind, llvm::ArrayRef<int64_t> shape,
                    double range, int64_t indexRange, std::mt19937 &rng) {
  Tensor tensor(kind, shape);
  std::uniform_real_distribution<double> real(-range, range);
  std::uniform_int_distribution<int64_t> index(-indexRange, indexRange - 1);
  // Integers are never 0 so that divisions stay defined for the evaluator.
  std::uniform_int_distribution<int64_t> integer(1, 50);
  std::bernoulli_distribution coin(0.5);
  for (int64_t i = 0; i < tensor.getNumElements(); ++i) {
    if (isFloatKind(kind))
      tensor.setFloat(i, real(rng));
    else if (kind == ElementKind::I1)
      tensor.setInt(i, coin(rng));
    else if (indexRange > 0)
      tensor.setInt(i, index(rng));
    else
      tensor.setInt(i, coin(rng) ? integer(rng) : -integer(rng));
  }
  return tensor;
}

/// One unit in the last place of `ref` in `kind` (f16: 10 fraction bits,
/// bf16: 7), down to the smallest subnormal; 0 for f32.
double ulp(ElementKind kind, double ref) {
  if (kind == ElementKind::F32)
    return 0.0;
  int fractionBits = kind == ElementKind::F16 ? 10 : 7;
  int minExponent = kind == ElementKind::F16 ? -14 : -126;
  int exponent = ref == 0 ? minExponent : std::ilogb(ref);
  return std::ldexp(1.0, std::max(exponent, minExponent) - fractionBits);
}

void expectClose(const Tensor &got, const Tensor &ref, const GroupCase &c,
                 const std::string &what) {
  ASSERT_EQ(got.getNumElements(), ref.getNumElements()) << what;
  int failures = 0;
  for (int64_t i = 0; i < ref.getNumElements(); ++i) {
    bool ok;
    double g, r;
    if (ref.isFloat()) {
      g = got.getFloat(i);
      r = ref.getFloat(i);
      if (std::isnan(r) || std::isnan(g))
        ok = std::isnan(r) && std::isnan(g);
      else if (std::isinf(r) || std::isinf(g))
        ok = g == r;
      else
        ok = std::fabs(g - r) <=
             c.atol + c.rtol * std::fabs(r) + ulp(ref.getKind(), r);
    } else {
      g = static_cast<double>(got.getInt(i));
      r = static_cast<double>(ref.getInt(i));
      ok = got.getInt(i) == ref.getInt(i);
    }
    if (!ok && failures++ < 5)
      ADD_FAILURE() << what << " element " << i << ": got " << g
                    << ", expected " << r;
  }
  EXPECT_EQ(failures, 0) << what << ": " << failures << " of "
                         << ref.getNumElements() << " elements differ";
}

class FusionKernel : public ::testing::TestWithParam<GroupCase> {
protected:
  void SetUp() override {
    registry.insert<KilnDialect, func::FuncDialect>();
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(GetParam().ir, context.get());
    ASSERT_TRUE(module) << "test IR does not parse";
    function = *module->getOps<func::FuncOp>().begin();
    llvm::Expected<cg::FusionModule> emitted = cg::emitFusionModule(function);
    ASSERT_TRUE(static_cast<bool>(emitted))
        << llvm::toString(emitted.takeError());
    source = std::move(*emitted);
    ASSERT_EQ(source.kernels.size(), 1u);
  }
  void TearDown() override {
    if (handle)
      dlclose(handle);
  }

  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp function;
  cg::FusionModule source;
  void *handle = nullptr;
};

TEST_P(FusionKernel, MatchesTheEvaluatorOnTheSimulator) {
  llvm::Expected<cg::HostModule> built =
      cg::compileHostModule(source.source, source.fileName);
  ASSERT_TRUE(static_cast<bool>(built)) << llvm::toString(built.takeError());
  handle = dlopen(built->sharedObjectPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  simt::Status bound = simt::bindModule(handle);
  ASSERT_TRUE(bound.ok()) << bound.message();
  const cg::FusionKernel &kernel = source.kernels[0];
  auto entry = reinterpret_cast<simt::KernelEntry>(
      dlsym(handle, ("kiln_entry_" + kernel.name).c_str()));
  ASSERT_NE(entry, nullptr) << kernel.name;

  std::mt19937 rng(1234);
  for (const auto &shapes : GetParam().shapeSets) {
    std::vector<Tensor> inputs;
    for (auto [i, shape] : llvm::enumerate(shapes))
      inputs.push_back(randomTensor(kernel.inputKinds[i], shape,
                                    GetParam().range, GetParam().indexRange,
                                    rng));
    FailureOr<SmallVector<Tensor>> expected = evaluate(function, inputs);
    ASSERT_TRUE(succeeded(expected));
    ASSERT_EQ(expected->size(), kernel.outputKinds.size());

    // The dims table: the inputs' shapes, then the results'.
    std::vector<int64_t> dims;
    for (const auto &shape : shapes)
      dims.insert(dims.end(), shape.begin(), shape.end());
    for (const Tensor &ref : *expected)
      dims.insert(dims.end(), ref.getShape().begin(), ref.getShape().end());
    ASSERT_EQ(dims.size(), kernel.numDims());
    std::vector<int64_t> table = dims;
    if (table.empty())
      table.push_back(0);

    unsigned grid[3];
    for (int d = 0; d < 3; ++d) {
      std::optional<int64_t> g = kernel.grid[d].evaluate(dims);
      ASSERT_TRUE(g && *g > 0 && *g < (int64_t(1) << 31))
          << "grid[" << d << "] = " << kernel.grid[d].toString();
      grid[d] = static_cast<unsigned>(*g);
    }
    std::optional<int64_t> smem = kernel.dynamicSharedBytes.evaluate(dims);
    std::optional<int64_t> workspaceBytes =
        kernel.workspaceBytes.evaluate(dims);
    ASSERT_TRUE(smem && workspaceBytes);

    std::vector<std::vector<char>> inBytes;
    for (const Tensor &input : inputs)
      inBytes.push_back(input.toBytes());
    struct Run {
      bool raceHunt;
      /// Grid-stride kernels must also be right with a single block.
      bool oneBlock;
    };
    std::vector<Run> runs = {{false, false}, {true, false}};
    if (kernel.templateName == "elementwise")
      runs.push_back({false, true});
    for (Run run : runs) {
      std::vector<std::vector<char>> outBytes;
      for (const Tensor &ref : *expected)
        outBytes.emplace_back(ref.toBytes().size(), char(0x5a));
      std::vector<char> workspace(*workspaceBytes + 16, char(0x7f));
      if (kernel.errorFlag) // the runtime zeroes the flag before a launch
        std::memset(workspace.data(), 0, sizeof(int));
      std::vector<const void *> inPointers;
      for (auto &bytes : inBytes)
        inPointers.push_back(bytes.data());
      std::vector<void *> outPointers;
      for (auto &bytes : outBytes)
        outPointers.push_back(bytes.data());
      void *workspacePointer = workspace.data();
      std::vector<void *> args;
      for (const void *&pointer : inPointers)
        args.push_back(&pointer);
      for (void *&pointer : outPointers)
        args.push_back(&pointer);
      args.push_back(&workspacePointer);
      args.push_back(table.data());

      simt::LaunchConfig config;
      config.grid = run.oneBlock ? dim3(1) : dim3(grid[0], grid[1], grid[2]);
      config.block = dim3(kernel.block[0], kernel.block[1], kernel.block[2]);
      config.dynamicSharedBytes = static_cast<size_t>(*smem);
      config.barrierFree = kernel.barrierFree && !run.raceHunt;
      config.raceHunt = run.raceHunt;
      config.seed = 42;
      config.workers = 2;
      simt::Status status = simt::launch(config, entry, args.data());
      ASSERT_TRUE(status.ok()) << status.message();
      if (kernel.errorFlag) {
        int flag;
        std::memcpy(&flag, workspace.data(), sizeof flag);
        EXPECT_EQ(flag, 0) << "in-range indices raised the error flag";
      }

      for (auto [r, ref] : llvm::enumerate(*expected)) {
        std::string error;
        std::optional<Tensor> got = Tensor::fromBytes(
            ref.getKind(), ref.getShape(), outBytes[r], error);
        ASSERT_TRUE(got.has_value()) << error;
        std::string what = kernel.name + " (" + kernel.templateName +
                           ") result " + std::to_string(r) + " on ";
        for (auto [i, shape] : llvm::enumerate(shapes))
          what += (i ? ", " : "") + formatDims(shape);
        what += run.raceHunt ? ", race-hunting" : "";
        what += run.oneBlock ? ", one block" : "";
        expectClose(*got, ref, GetParam(), what);
      }
    }
  }
}

TEST_P(FusionKernel, CompilesWithoutSpillsForEveryArchitecture) {
  cg::CompileOptions options;
  options.includeDirs = {cg::CompileOptions::cudaIncludeDir()};
  options.headers = cg::kernelLibraryHeaders();
  llvm::Expected<cg::CompiledModule> compiled = cg::compileCuda(
      source.source, source.fileName, cg::defaultGpuArchs(), options);
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  for (const cg::ArchCompilation &arch : compiled->archs) {
    bool found = false;
    for (const cg::KernelResources &k : arch.report.kernels) {
      if (k.symbol != source.kernels[0].name)
        continue;
      found = true;
      EXPECT_EQ(k.spillStoreBytes + k.spillLoadBytes, 0u)
          << k.symbol << " spills on " << arch.arch.name();
      // The figures, for docs/codegen.md.
      std::printf("[ptxas] %s %s: %u registers, %llu bytes smem, %llu/%llu "
                  "bytes spilled\n",
                  arch.arch.name().c_str(), k.symbol.c_str(), k.registers,
                  static_cast<unsigned long long>(k.sharedBytes),
                  static_cast<unsigned long long>(k.spillStoreBytes),
                  static_cast<unsigned long long>(k.spillLoadBytes));
    }
    EXPECT_TRUE(found) << source.kernels[0].name << " not compiled for "
                       << arch.arch.name();
  }
}

INSTANTIATE_TEST_SUITE_P(Elementwise, FusionKernel,
                         ::testing::ValuesIn(kElementwiseCases),
                         [](const auto &info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Gemm, FusionKernel, ::testing::ValuesIn(kGemmCases),
                         [](const auto &info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Row, FusionKernel, ::testing::ValuesIn(kRowCases),
                         [](const auto &info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Copy, FusionKernel, ::testing::ValuesIn(kCopyCases),
                         [](const auto &info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Conv, FusionKernel, ::testing::ValuesIn(kConvCases),
                         [](const auto &info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Attention, FusionKernel,
                         ::testing::ValuesIn(kAttentionCases),
                         [](const auto &info) { return info.param.name; });

// Launch formulas: what the runtime evaluates and the kernel prints.
TEST(ShapeExpr, EvaluatesAndPrintsTheSameFormula) {
  using cg::ShapeExpr;
  ShapeExpr m = ShapeExpr::dim(0) * ShapeExpr::dim(1);
  ShapeExpr grid = max(min(ceilDiv(m, 128), 65535), 1);
  EXPECT_EQ(grid.toString(), "max(min(ceildiv(d0 * d1, 128), 65535), 1)");
  EXPECT_EQ(grid.toCpp("d.v"),
            "::max(::min(kiln::kernels::ceilDiv(d.v[0] * d.v[1], 128LL), "
            "65535LL), 1LL)");
  EXPECT_EQ(grid.evaluate({3, 43}), 2); // 129 rows
  EXPECT_EQ(grid.evaluate({0, 7}), 1);  // never an empty grid
  EXPECT_EQ(grid.evaluate({1 << 20, 1 << 20}), 65535);
  EXPECT_EQ(floorDiv(ShapeExpr::dim(0) - 3, 2).evaluate({10}), 3);
  // Constants fold; multiplying by one and adding zero disappear.
  EXPECT_EQ((ShapeExpr(6) * 7).toString(), "42");
  EXPECT_EQ((ShapeExpr::dim(2) * 1 + 0).toString(), "d2");
  EXPECT_EQ(ceilDiv(ShapeExpr::dim(0), 1).toString(), "d0");
  EXPECT_EQ(cg::product({}).constantValue(), 1);
  // What the runtime must reject rather than compute.
  EXPECT_FALSE(ShapeExpr::dim(3).evaluate({1, 2})); // no such dim
  EXPECT_FALSE(ceilDiv(ShapeExpr::dim(0), ShapeExpr::dim(1)).evaluate({4, 0}));
  EXPECT_FALSE(
      (ShapeExpr::dim(0) * ShapeExpr::dim(0)).evaluate({int64_t(1) << 32}));
  EXPECT_FALSE((ShapeExpr::dim(0) + INT64_MAX).evaluate({1}));
}

TEST(HostCompiler, QuotesTheCompilerDiagnostics) {
  llvm::Expected<cg::HostModule> built = cg::compileHostModule(
      "#include \"runtime/host/simt.h\"\nint f() { return undefinedName; }\n",
      "kiln_broken.cu");
  ASSERT_FALSE(static_cast<bool>(built));
  std::string message = llvm::toString(built.takeError());
  EXPECT_NE(message.find("kiln_broken.cu:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("undefinedName"), std::string::npos) << message;
  // A failed build keeps its directory so that the diagnostics can be
  // followed; the test removes it.
  llvm::StringRef kept = "source kept at ";
  size_t at = message.find(kept.str());
  ASSERT_NE(at, std::string::npos) << message;
  std::string path = message.substr(at + kept.size(),
                                    message.find('\n', at) - at - kept.size());
  EXPECT_TRUE(llvm::sys::fs::exists(path)) << path;
  llvm::sys::fs::remove_directories(llvm::sys::path::parent_path(path));
}

} // namespace
