//===- ContractionImporters.cpp - MatMul, Gemm, Einsum --------------------===//
//
// MatMul's 1-D operands are reshaped to matrices (kiln.matmul is rank >= 2);
// Gemm becomes kiln.linear when it is a plain fully connected layer and
// matmul + scale + add otherwise; Einsum's two-operand contractions become
// transpose + reshape + matmul (+ reshape + transpose).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/ImportContext.h"
#include "compiler/frontends/onnx/OpRegistry.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static LogicalResult importMatMul(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, a, ctx.input(0));
  KILN_TRY(Value, b, ctx.input(1));
  int64_t rankA = tensorType(a).getRank(), rankB = tensorType(b).getRank();
  if (rankA == 0 || rankB == 0)
    return ctx.emitError() << "operands must have rank 1 or more";
  // numpy: a 1-D lhs is a row vector, a 1-D rhs a column vector, and the
  // added dim is removed from the result.
  if (rankA == 1) {
    KILN_TRY(Value, row, ctx.unsqueeze(a, {0}));
    a = row;
  }
  if (rankB == 1) {
    KILN_TRY(Value, column, ctx.unsqueeze(b, {1}));
    b = column;
  }
  KILN_TRY(Value, y, ctx.create<MatmulOp>(a, b));
  int64_t rank = tensorType(y).getRank();
  SmallVector<int64_t> squeezed;
  if (rankA == 1)
    squeezed.push_back(rank - 2);
  if (rankB == 1)
    squeezed.push_back(rank - 1);
  if (!squeezed.empty()) {
    KILN_TRY(Value, vector, ctx.squeeze(y, squeezed));
    y = vector;
  }
  return ctx.setOutput(0, y);
}

static LogicalResult importGemm(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(Value, a, ctx.input(0));
  KILN_TRY(Value, b, ctx.input(1));
  Value c = ctx.optionalInput(2);
  KILN_TRY(int64_t, transA, ctx.getInt("transA", 0));
  KILN_TRY(int64_t, transB, ctx.getInt("transB", 0));
  KILN_TRY(double, alpha, ctx.getFloat("alpha", 1.0));
  KILN_TRY(double, beta, ctx.getFloat("beta", 1.0));
  if (tensorType(a).getRank() != 2 || tensorType(b).getRank() != 2)
    return ctx.emitError() << "A and B must be matrices";
  if (transA) {
    KILN_TRY(Value, transposed, ctx.transpose(a, {1, 0}));
    a = transposed;
  }
  Type element = tensorType(a).getElementType();
  // A fully connected layer: y = A x B (+ bias of [N]).
  int64_t n = tensorType(b).getDimSize(transB ? 0 : 1);
  bool plainBias =
      !c || (beta == 1.0 && tensorType(c).getRank() == 1 &&
             tensorType(c).getDimSize(0) == n && !ShapedType::isDynamic(n));
  if (alpha == 1.0 && plainBias) {
    KILN_TRY(Value, y, ctx.create<LinearOp>(a, b, c, transB != 0));
    return ctx.setOutput(0, y);
  }
  if (transB) {
    KILN_TRY(Value, transposed, ctx.transpose(b, {1, 0}));
    b = transposed;
  }
  KILN_TRY(Value, y, ctx.create<MatmulOp>(a, b));
  if (alpha != 1.0) {
    KILN_TRY(Value, scaled,
             ctx.create<MulOp>(y, ctx.scalarConstant(element, alpha)));
    y = scaled;
  }
  if (c && beta != 0.0) {
    if (beta != 1.0) {
      KILN_TRY(Value, scaled,
               ctx.create<MulOp>(c, ctx.scalarConstant(element, beta)));
      c = scaled;
    }
    KILN_TRY(Value, sum, ctx.create<AddOp>(y, c));
    y = sum;
  }
  return ctx.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {
/// One operand's subscripts, with an ellipsis expanded into dims named by
/// characters no equation uses.
using Subscripts = std::string;
} // namespace

/// Parses `equation` for operands of `ranks`; fails on repeated subscripts
/// within one operand (traces and diagonals).
static FailureOr<std::pair<SmallVector<Subscripts>, Subscripts>>
parseEinsum(ImportContext &ctx, llvm::StringRef equation,
            ArrayRef<int64_t> ranks) {
  std::string compact;
  for (char c : equation)
    if (!llvm::isSpace(c))
      compact.push_back(c);
  llvm::StringRef text(compact);
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = text.contains("->");
  SmallVector<llvm::StringRef> operands;
  lhs.split(operands, ',');
  if (operands.size() != ranks.size())
    return ctx.emitError() << "equation '" << equation << "' has "
                           << operands.size() << " operands, the node "
                           << ranks.size() << " inputs";
  // Ellipsis dims are named by characters after 'z' in ASCII order... use
  // digits, which equations never contain.
  int64_t ellipsisRank = 0;
  for (auto [operand, rank] : llvm::zip(operands, ranks))
    if (operand.contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank, rank - static_cast<int64_t>(operand.size() - 3));
  if (ellipsisRank > 10)
    return ctx.emitError() << "ellipsis covers too many dims";
  auto expand = [&](llvm::StringRef operand,
                    int64_t rank) -> FailureOr<Subscripts> {
    Subscripts result;
    size_t dots = operand.find("...");
    if (dots == llvm::StringRef::npos) {
      result = operand.str();
    } else {
      int64_t covered = rank - static_cast<int64_t>(operand.size() - 3);
      if (covered < 0)
        return failure();
      result = operand.take_front(dots).str();
      for (int64_t i = ellipsisRank - covered; i < ellipsisRank; ++i)
        result.push_back(static_cast<char>('0' + i));
      result += operand.drop_front(dots + 3).str();
    }
    for (char c : result)
      if (!llvm::isAlpha(c) && !llvm::isDigit(c))
        return failure();
    if (static_cast<int64_t>(result.size()) != rank)
      return failure();
    return result;
  };
  SmallVector<Subscripts> inputs;
  for (auto [operand, rank] : llvm::zip(operands, ranks)) {
    FailureOr<Subscripts> expanded = expand(operand, rank);
    if (failed(expanded))
      return ctx.emitError() << "subscripts '" << operand
                             << "' do not fit an operand of rank " << rank;
    for (size_t i = 0; i < expanded->size(); ++i)
      if (expanded->find((*expanded)[i], i + 1) != std::string::npos)
        return ctx.emitError()
               << "repeated subscripts within one operand (traces, "
                  "diagonals) are not supported";
    inputs.push_back(*expanded);
  }
  Subscripts output;
  if (explicitOutput) {
    std::string out = rhs.str();
    size_t dots = out.find("...");
    if (dots != std::string::npos) {
      std::string digits;
      for (int64_t i = 0; i < ellipsisRank; ++i)
        digits.push_back(static_cast<char>('0' + i));
      out = out.substr(0, dots) + digits + out.substr(dots + 3);
    }
    output = out;
  } else {
    // Implicit output: the ellipsis dims, then subscripts used once, sorted.
    for (int64_t i = 0; i < ellipsisRank; ++i)
      output.push_back(static_cast<char>('0' + i));
    std::string letters;
    for (const Subscripts &input : inputs)
      for (char c : input)
        if (llvm::isAlpha(c))
          letters.push_back(c);
    llvm::sort(letters);
    for (char c : letters)
      if (llvm::count(letters, c) == 1)
        output.push_back(c);
  }
  for (char c : output)
    if (llvm::none_of(inputs, [&](const Subscripts &s) {
          return s.find(c) != std::string::npos;
        }))
      return ctx.emitError()
             << "output subscript '" << c << "' appears in no input";
  return std::make_pair(inputs, output);
}

/// Sums the dims of `x` named in `subscripts` but in neither `keep` string.
static FailureOr<Value> sumUnused(ImportContext &ctx, Value x,
                                  Subscripts &subscripts, llvm::StringRef keep1,
                                  llvm::StringRef keep2) {
  SmallVector<int64_t> axes;
  Subscripts kept;
  for (auto [i, c] : llvm::enumerate(subscripts)) {
    if (keep1.contains(c) || keep2.contains(c))
      kept.push_back(c);
    else
      axes.push_back(i);
  }
  if (axes.empty())
    return x;
  subscripts = kept;
  return ctx.create<ReduceSumOp>(x, axes, false);
}

/// The permutation taking `from` to `to` (both naming the same dims).
static SmallVector<int64_t> permutationTo(llvm::StringRef from,
                                          llvm::StringRef to) {
  SmallVector<int64_t> perm;
  for (char c : to)
    perm.push_back(from.find(c));
  return perm;
}

static LogicalResult importEinsum(ImportContext &ctx, const onnx::NodeProto &) {
  KILN_TRY(std::string, equation, ctx.getString("equation", ""));
  SmallVector<Value> operands;
  SmallVector<int64_t> ranks;
  for (int64_t i = 0; i < ctx.numInputs(); ++i) {
    KILN_TRY(Value, operand, ctx.input(i));
    operands.push_back(operand);
    ranks.push_back(tensorType(operand).getRank());
  }
  if (operands.empty() || operands.size() > 2)
    return ctx.emitError() << "Einsum with " << operands.size()
                           << " operands is not supported (1 or 2 are)";
  auto parsed = parseEinsum(ctx, equation, ranks);
  if (failed(parsed))
    return failure();
  SmallVector<Subscripts> inputs = parsed->first;
  Subscripts output = parsed->second;

  if (operands.size() == 1) {
    KILN_TRY(Value, summed, sumUnused(ctx, operands[0], inputs[0], output, ""));
    KILN_TRY(Value, y, ctx.transpose(summed, permutationTo(inputs[0], output)));
    return ctx.setOutput(0, y);
  }

  Subscripts &sa = inputs[0], &sb = inputs[1];
  KILN_TRY(Value, a, sumUnused(ctx, operands[0], sa, output, sb));
  KILN_TRY(Value, b, sumUnused(ctx, operands[1], sb, output, sa));
  Subscripts batch, aFree, bFree, contracted;
  for (char c : sa) {
    bool inB = sb.find(c) != std::string::npos;
    bool inOut = output.find(c) != std::string::npos;
    if (inB && inOut)
      batch.push_back(c);
    else if (inB)
      contracted.push_back(c);
    else
      aFree.push_back(c);
  }
  for (char c : sb)
    if (sa.find(c) == std::string::npos)
      bFree.push_back(c);

  // a -> [batch, aFree, contracted] -> [batch, M, K]
  Subscripts aOrder = batch + aFree + contracted;
  Subscripts bOrder = batch + contracted + bFree;
  KILN_TRY(Value, aT, ctx.transpose(a, permutationTo(sa, aOrder)));
  KILN_TRY(Value, bT, ctx.transpose(b, permutationTo(sb, bOrder)));
  int64_t nb = batch.size(), na = aFree.size(), nk = contracted.size(),
          nn = bFree.size();
  SmallVector<ShapeEntry> aDims, bDims;
  for (int64_t i = 0; i < nb; ++i) {
    aDims.push_back(ShapeEntry::dimOf(aT, i));
    bDims.push_back(ShapeEntry::dimOf(bT, i));
  }
  aDims.push_back(ShapeEntry::dimProduct(aT, nb, nb + na));
  aDims.push_back(ShapeEntry::dimProduct(aT, nb + na, nb + na + nk));
  bDims.push_back(ShapeEntry::dimProduct(bT, nb, nb + nk));
  bDims.push_back(ShapeEntry::dimProduct(bT, nb + nk, nb + nk + nn));
  KILN_TRY(Value, aMatrix, ctx.reshape(aT, aDims));
  KILN_TRY(Value, bMatrix, ctx.reshape(bT, bDims));
  KILN_TRY(Value, product, ctx.create<MatmulOp>(aMatrix, bMatrix));
  // [batch, M, N] -> [batch, aFree, bFree] -> output order.
  SmallVector<ShapeEntry> dims;
  for (int64_t i = 0; i < nb; ++i)
    dims.push_back(ShapeEntry::dimOf(product, i));
  for (int64_t i = 0; i < na; ++i)
    dims.push_back(ShapeEntry::dimOf(aT, nb + i));
  for (int64_t i = 0; i < nn; ++i)
    dims.push_back(ShapeEntry::dimOf(bT, nb + nk + i));
  KILN_TRY(Value, unflattened, ctx.reshape(product, dims));
  Subscripts resultOrder = batch + aFree + bFree;
  if (resultOrder.size() != output.size())
    return ctx.emitError() << "output subscripts of '" << equation
                           << "' are not supported";
  KILN_TRY(Value, y,
           ctx.transpose(unflattened, permutationTo(resultOrder, output)));
  return ctx.setOutput(0, y);
}

void mlir::kiln::onnx_import::registerContractionImporters(
    OpRegistry &registry) {
  registry.add("MatMul", importMatMul);
  // Gemm broadcasts C from opset 7 and makes it optional from 11.
  registry.add("Gemm", importGemm, 7);
  registry.add("Einsum", importEinsum, 12);
}
