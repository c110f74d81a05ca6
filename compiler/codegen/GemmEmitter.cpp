//===- GemmEmitter.cpp - kiln.matmul / kiln.linear groups -----------------===//
//
// A GEMM group: one kiln.matmul or kiln.linear whose operands are group
// inputs, and an epilogue of elementwise ops on its result (bias,
// activation, residual add, scale, cast), lowered to the fp32 SIMT GEMM
// template (gemm_simt.cuh; f16/bf16 storage is converted on load, the
// accumulation is fp32). The epilogue functor receives the accumulator and
// (batch, row, col); the output element is (batch * M + row) * N + col.
//
// Batch dims of kiln.matmul broadcast as in numpy. The template takes two
// broadcast levels (outer, inner), so the output's batch dims are grouped
// into runs over which each operand either has its dims or broadcasts
// (statically 1 or absent); more than two runs is an error. A dynamic dim is
// taken as not broadcasting, and the kernel traps if it is 1 at run time
// while the output's is not.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/FusionEmitterImpl.h"
#include "compiler/codegen/ScalarEmitter.h"

#include "dialects/kiln/KilnOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

namespace kiln::codegen::detail {

bool isGemmAnchor(Operation *op) { return isa<MatmulOp, LinearOp>(op); }

namespace {

struct SimtConfig {
  int64_t blockM = 128, blockN = 128, blockK = 8, threadM = 8, threadN = 8;
  int64_t threads() const { return (blockM / threadM) * (blockN / threadN); }
};

/// The configuration for the group: its #kiln.kernel for the target if that
/// names gemm_simt, else the template's default.
llvm::Expected<SimtConfig> simtConfig(GroupWriter &w) {
  SimtConfig config;
  if (!w.config || w.config.getTemplateName() != "gemm_simt")
    return config;
  llvm::ArrayRef<int64_t> tile = w.config.getTile();
  if (tile.size() != 5)
    return codegenError(w.plan.anchor,
                        "gemm_simt takes tile = [blockM, blockN, blockK, "
                        "threadM, threadN]");
  config = {tile[0], tile[1], tile[2], tile[3], tile[4]};
  for (int64_t t : tile)
    if (t <= 0)
      return codegenError(w.plan.anchor, "gemm_simt tile sizes must be > 0");
  if (config.blockM % config.threadM || config.blockN % config.threadN ||
      config.threads() % 32 || config.threads() > 1024 ||
      config.threads() % config.blockK ||
      (config.blockM * config.blockK) % config.threads() ||
      (config.blockN * config.blockK) % config.threads() ||
      2 * config.blockK * (config.blockM + config.blockN + 8) * 4 > 48 * 1024)
    return codegenError(w.plan.anchor,
                        "gemm_simt tile " +
                            llvm::formatv("[{0}, {1}, {2}, {3}, {4}]",
                                          config.blockM, config.blockN,
                                          config.blockK, config.threadM,
                                          config.threadN)
                                .str() +
                            " is not a valid configuration (micro-tiles "
                            "must divide the block tile, whole warps, the "
                            "K slice must split evenly over the threads, "
                            "at most 48 KiB of shared memory)");
  return config;
}

struct TcConfig {
  int64_t blockM = 128, blockN = 128, blockK = 32, warpM = 64, warpN = 32,
          stages = 3;
  int64_t threads() const { return (blockM / warpM) * (blockN / warpN) * 32; }
  /// gemmSharedBytes<Config, T>() for 16-bit T.
  int64_t sharedBytes() const {
    return stages * (blockM * blockK + blockN * blockK) * 2;
  }
};

bool isPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

/// The tensor-core configuration: the group's #kiln.kernel when it names
/// gemm_tc (tile = [blockM, blockN, blockK, warpM, warpN], its stages), else
/// the template's default. The checks are gemm.cuh's static_asserts, so a
/// bad configuration is an error here rather than a compile failure.
llvm::Expected<TcConfig> tcConfig(GroupWriter &w) {
  TcConfig c;
  if (!w.config || w.config.getTemplateName() != "gemm_tc")
    return c;
  llvm::ArrayRef<int64_t> tile = w.config.getTile();
  if (tile.size() != 5)
    return codegenError(w.plan.anchor, "gemm_tc takes tile = [blockM, "
                                       "blockN, blockK, warpM, warpN]");
  c = {tile[0], tile[1], tile[2], tile[3], tile[4], w.config.getStages()};
  bool ok =
      c.blockM > 0 && c.blockN > 0 && c.warpM > 0 && c.warpN > 0 &&
      c.blockM % c.warpM == 0 && c.blockN % c.warpN == 0 && c.warpM % 16 == 0 &&
      c.warpN % 16 == 0 && c.blockK % 16 == 0 && isPowerOfTwo(c.blockK / 8) &&
      isPowerOfTwo(c.blockN / 8) && c.stages >= 2 && c.threads() <= 1024 &&
      c.threads() % (c.blockK / 8) == 0 && c.threads() % (c.blockN / 8) == 0 &&
      (c.blockM * (c.blockK / 8)) % c.threads() == 0 &&
      (c.blockN * (c.blockK / 8)) % c.threads() == 0 &&
      c.sharedBytes() <= 48 * 1024;
  if (!ok)
    return codegenError(
        w.plan.anchor,
        llvm::formatv("gemm_tc tile [{0}, {1}, {2}, {3}, {4}] with {5} stages "
                      "is not a valid configuration (warp tiles of multiples "
                      "of 16 dividing the block tile, block K 16/32/64/128, "
                      "block N 8 times a power of two, chunks split evenly "
                      "over the threads, at most 48 KiB of shared memory)",
                      c.blockM, c.blockN, c.blockK, c.warpM, c.warpN, c.stages)
            .str());
  return c;
}

bool isFloatStorage(ElementKind kind) {
  return kind == ElementKind::F32 || kind == ElementKind::F16 ||
         kind == ElementKind::BF16;
}

} // namespace

llvm::Error emitGemm(GroupWriter &w) {
  Operation *anchor = w.plan.anchor;
  if (!w.plan.prologue.empty())
    return codegenError(w.plan.prologue.front(),
                        "cannot be fused before a GEMM (its operands are "
                        "read as they are in memory)");
  Value lhs = anchor->getOperand(0), rhs = anchor->getOperand(1), bias;
  bool transposed = false;
  if (auto linear = dyn_cast<LinearOp>(anchor)) {
    bias = linear.getBias();
    transposed = linear.getTransposeWeight();
  }
  std::optional<unsigned> a = w.inputIndex(lhs), b = w.inputIndex(rhs);
  std::optional<unsigned> c = bias ? w.inputIndex(bias) : std::nullopt;
  if (!a || !b || (bias && !c))
    return codegenError(anchor, "GEMM operands must be inputs of the group");
  FusionKernel &kernel = w.kernel;
  for (unsigned i : {*a, *b})
    if (!isFloatStorage(kernel.inputKinds[i]))
      return codegenError(anchor, "integer GEMMs have no template");
  if (!isFloatStorage(kernel.outputKinds[0]))
    return codegenError(anchor, "a GEMM group's result must be a float");

  // 16-bit operands of one type take the tensor cores unless the group's
  // configuration asks for the SIMT template.
  ElementKind operandKind = kernel.inputKinds[*a];
  bool tensorCores = operandKind != ElementKind::F32 &&
                     kernel.inputKinds[*b] == operandKind &&
                     !(w.config && w.config.getTemplateName() == "gemm_simt");
  llvm::Expected<SimtConfig> configOr = simtConfig(w);
  if (!configOr)
    return configOr.takeError();
  SimtConfig config = *configOr;
  llvm::Expected<TcConfig> tcOr = tcConfig(w);
  if (!tcOr)
    return tcOr.takeError();
  TcConfig tc = *tcOr;

  unsigned ra = kernel.inputRanks[*a], rb = kernel.inputRanks[*b];
  unsigned r = kernel.outputRanks[0];
  auto dimA = [&](unsigned d) { return w.inputDim(*a, d); };
  auto dimB = [&](unsigned d) { return w.inputDim(*b, d); };
  ShapeExpr m, n, k, batch = 1, batchInner = 1;
  ShapeExpr strideA[2] = {0, 0}, strideB[2] = {0, 0};
  std::vector<std::pair<ShapeExpr, ShapeExpr>> mustEqual;
  if (isa<LinearOp>(anchor)) {
    std::vector<ShapeExpr> rows;
    for (unsigned d = 0; d + 1 < ra; ++d)
      rows.push_back(dimA(d));
    m = product(rows);
    k = dimA(ra - 1);
    n = transposed ? dimB(0) : dimB(1);
  } else {
    m = dimA(ra - 2);
    k = dimA(ra - 1);
    n = dimB(rb - 1);
    // Group the output's batch dims into runs of one broadcast pattern.
    Block &body = FusionOp(w.plan.group).getBody().front();
    auto typeA = cast<RankedTensorType>(body.getArgument(*a).getType());
    auto typeB = cast<RankedTensorType>(body.getArgument(*b).getType());
    struct Run {
      bool aFull, bFull;
      std::vector<unsigned> dims; // output batch dims
    };
    std::vector<Run> runs;
    for (unsigned j = 0; j + 2 < r; ++j) {
      int ja = static_cast<int>(j) - static_cast<int>(r - ra);
      int jb = static_cast<int>(j) - static_cast<int>(r - rb);
      bool aFull = ja >= 0 && typeA.getDimSize(ja) != 1;
      bool bFull = jb >= 0 && typeB.getDimSize(jb) != 1;
      if (aFull && typeA.isDynamicDim(ja))
        mustEqual.push_back({dimA(ja), w.outputDim(0, j)});
      if (bFull && typeB.isDynamicDim(jb))
        mustEqual.push_back({dimB(jb), w.outputDim(0, j)});
      if (runs.empty() || runs.back().aFull != aFull ||
          runs.back().bFull != bFull)
        runs.push_back({aFull, bFull, {}});
      runs.back().dims.push_back(j);
    }
    if (runs.size() > 2)
      return codegenError(anchor, "batch dims that broadcast in more than "
                                  "two separate runs are not supported");
    std::vector<ShapeExpr> all;
    for (unsigned j = 0; j + 2 < r; ++j)
      all.push_back(w.outputDim(0, j));
    batch = product(all);
    ShapeExpr matA = m * k, matB = k * n;
    auto runProduct = [&](const Run &run) {
      std::vector<ShapeExpr> dims;
      for (unsigned j : run.dims)
        dims.push_back(w.outputDim(0, j));
      return product(dims);
    };
    if (runs.size() == 1) {
      strideA[0] = runs[0].aFull ? matA : ShapeExpr(0);
      strideB[0] = runs[0].bFull ? matB : ShapeExpr(0);
    } else if (runs.size() == 2) {
      batchInner = runProduct(runs[1]);
      ShapeExpr innerA = runs[1].aFull ? batchInner : ShapeExpr(1);
      ShapeExpr innerB = runs[1].bFull ? batchInner : ShapeExpr(1);
      strideA[0] = runs[0].aFull ? innerA * matA : ShapeExpr(0);
      strideB[0] = runs[0].bFull ? innerB * matB : ShapeExpr(0);
      strideA[1] = runs[1].aFull ? matA : ShapeExpr(0);
      strideB[1] = runs[1].bFull ? matB : ShapeExpr(0);
    }
  }

  // The epilogue: the op's own bias, then the fused ops.
  ElementKind resultKind = kindOf(anchor->getResult(0));
  std::string accumulator = c ? "acc + x" + std::to_string(*c) : "acc";
  std::vector<unsigned> extra;
  if (c)
    extra.push_back(*c);
  std::string epilogueName = kernel.name + "_epilogue";
  std::string signature =
      "float acc, kiln::kernels::Index batch, kiln::kernels::Index row, "
      "kiln::kernels::Index col";
  std::string linearIndex =
      "(batch * " + w.dim(m) + " + row) * " + w.dim(n) + " + col";
  llvm::Expected<std::string> epilogue = w.emitFunctor(
      epilogueName, w.plan.epilogue,
      {{anchor->getResult(0), roundTo(resultKind, accumulator)}}, w.plan.result,
      w.plan.result.getType(), w.outputShape(0), signature, linearIndex, extra);
  if (!epilogue)
    return epilogue.takeError();

  std::string configType, params, call;
  unsigned threads;
  if (tensorCores) {
    configType =
        llvm::formatv("kiln::kernels::GemmConfig<{0}, {1}, {2}, {3}, {4}, {5}>",
                      tc.blockM, tc.blockN, tc.blockK, tc.warpM, tc.warpN,
                      tc.stages)
            .str();
    kernel.templateName = "gemm_tc";
    kernel.configuration =
        llvm::formatv("tile {0}x{1}x{2}, warp {3}x{4}, {5} stages, {6} "
                      "threads{7}",
                      tc.blockM, tc.blockN, tc.blockK, tc.warpM, tc.warpN,
                      tc.stages, tc.threads(),
                      transposed ? ", B transposed" : "")
            .str();
    kernel.grid[0] = ceilDiv(m, tc.blockM);
    kernel.grid[1] = ceilDiv(n, tc.blockN);
    kernel.dynamicSharedBytes = tc.sharedBytes();
    threads = static_cast<unsigned>(tc.threads());
    params = "kiln::kernels::GemmParams<" + w.inputType(*a) + ", " +
             w.outputType(0) + ", " + epilogueName + ">";
    call = "kiln::kernels::gemm<Config, " +
           std::string(transposed ? "true" : "false") + ">(p);";
  } else {
    configType =
        llvm::formatv("kiln::kernels::SimtGemmConfig<{0}, {1}, {2}, {3}, {4}>",
                      config.blockM, config.blockN, config.blockK,
                      config.threadM, config.threadN)
            .str();
    kernel.templateName = "gemm_simt";
    kernel.configuration =
        llvm::formatv("tile {0}x{1}x{2}, thread {3}x{4}, {5} threads{6}",
                      config.blockM, config.blockN, config.blockK,
                      config.threadM, config.threadN, config.threads(),
                      transposed ? ", B transposed" : "")
            .str();
    kernel.grid[0] = ceilDiv(m, config.blockM);
    kernel.grid[1] = ceilDiv(n, config.blockN);
    threads = static_cast<unsigned>(config.threads());
    params = "kiln::kernels::SimtGemmParams<" + w.inputType(*a) + ", " +
             w.inputType(*b) + ", " + w.outputType(0) + ", " + epilogueName +
             ">";
    call = "kiln::kernels::simtGemm<Config, " +
           std::string(transposed ? "true" : "false") + ">(p);";
  }
  kernel.grid[2] = batch;
  kernel.block[0] = threads;
  w.include(tensorCores ? "gemm.cuh" : "gemm_simt.cuh");

  llvm::raw_ostream &os = w.os;
  os << *epilogue;
  os << w.kernelHead(threads);
  os << "  using Config = " << configType << ";\n";
  os << "  static_assert(Config::kThreads == " << threads
     << ", \"the launch's block\");\n";
  if (tensorCores)
    os << "  static_assert(kiln::kernels::gemmSharedBytes<Config, "
       << w.inputType(*a) << ">() == " << tc.sharedBytes()
       << ", \"the launch's dynamic shared memory\");\n";
  for (auto &[x, y] : mustEqual)
    os << "  if (" << w.dim(x) << " != " << w.dim(y)
       << ")\n    __trap(); // a batch dim broadcast at run time\n";
  os << "  " << params << " p;\n";
  os << "  p.a = in" << *a << ";\n  p.b = in" << *b << ";\n  p.c = out0;\n";
  os << "  p.m = " << w.dim(m) << ";\n  p.n = " << w.dim(n)
     << ";\n  p.k = " << w.dim(k) << ";\n";
  os << "  p.batch = " << w.dim(batch)
     << ";\n  p.batchInner = " << w.dim(batchInner) << ";\n";
  for (int l = 0; l < 2; ++l)
    os << "  p.strideA[" << l << "] = " << w.dim(strideA[l]) << ";\n";
  for (int l = 0; l < 2; ++l)
    os << "  p.strideB[" << l << "] = " << w.dim(strideB[l]) << ";\n";
  os << "  p.strideC = " << w.dim(m * n) << ";\n";
  os << "  p.lda = p.k;\n  p.ldb = " << (transposed ? "p.k" : "p.n")
     << ";\n  p.ldc = p.n;\n";
  if (tensorCores) // split-K (two kernels) is the kernel selector's to choose
    os << "  p.splitK = 1;\n  p.workspace = nullptr;\n";
  os << "  p.epilogue = " << w.functorInit(epilogueName) << ";\n";
  os << "  " << call << "\n}\n";
  return llvm::Error::success();
}

} // namespace kiln::codegen::detail
