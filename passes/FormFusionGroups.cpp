//===- FormFusionGroups.cpp - Default grouping of ops into kernels --------===//
//
// The simple, always-correct grouping that lets an imported model reach the
// code generator: every op that needs a kernel ends up in exactly one
// kiln.fusion group of a shape the emitter (compiler/codegen) accepts.
//
//  - No kernel: constants, shape computations (shape_of, and integer ops
//    whose operands are all constants or shape values), reshapes (views of
//    a contiguous buffer).
//  - Anchors (one per group): the ops a kernel-library template implements,
//    under the conditions that template checks. Each takes the single-use
//    chain of elementwise ops after it as an epilogue (same shape as the
//    anchor, float results) unless it is a copy or an argmax/argmin; the
//    row anchors (softmax, norms, reductions, argmax/argmin) also take as a
//    prologue the elementwise ops computing their input that nothing else
//    uses.
//  - The remaining elementwise ops form groups with one result: a root and
//    the ops of its shape whose results only the group uses.
//  - Anything else (no template, or a template's condition not met) stays
//    outside groups; with `strict` each is an error.
//
// The full fusion optimizer (cost model, horizontal fusion, GEMM prologues)
// is a later pass; this one is its fallback and the reference for tests.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <optional>
#include <string>

namespace mlir::kiln {
#define GEN_PASS_DEF_FORMFUSIONGROUPS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// How an anchor op may be fused.
enum class AnchorKind {
  Gemm,      // epilogue only
  Conv,      // epilogue only
  Attention, // epilogue only, of the anchor's element type
  Row,       // prologue and epilogue
  ArgReduce, // prologue only
  Copy,      // alone
};

bool isFloatType(Type type) {
  return isa<Float32Type, Float16Type, BFloat16Type>(
      cast<RankedTensorType>(type).getElementType());
}

Type elementTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

/// The elementwise ops the emitter writes as one C++ statement each (the
/// list of compiler/codegen/ScalarEmitter.cpp's isScalarOp, constants
/// aside).
bool isElementwise(Operation *op) {
  return isa<NegOp, AbsOp, SignOp, ReluOp, NotOp, ExpOp, LogOp, SqrtOp, RsqrtOp,
             ReciprocalOp, TanhOp, SigmoidOp, ErfOp, SinOp, CosOp, FloorOp,
             CeilOp, RoundOp, GeluOp, GeluTanhOp, SiluOp, SoftplusOp,
             HardSwishOp, LeakyReluOp, EluOp, HardSigmoidOp, ClampOp, IsNanOp,
             IsInfOp, AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp,
             FmodOp, AndOp, OrOp, XorOp, CompareOp, WhereOp, CastOp>(op);
}

/// Whether the reduced axes form one contiguous run (the emitter's
/// [outer, R, inner] view).
bool contiguousAxes(llvm::ArrayRef<int64_t> axes) {
  if (axes.empty())
    return false;
  llvm::SmallVector<int64_t> sorted(axes.begin(), axes.end());
  llvm::sort(sorted);
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] != sorted[i - 1] + 1)
      return false;
  return true;
}

/// The anchor kind of `op` if a kernel-library template implements it as
/// it is; otherwise nullopt and, when the op is of an anchor type whose
/// template's conditions fail, `why` says which.
std::optional<AnchorKind> classifyAnchor(Operation *op, std::string &why) {
  if (isa<MatmulOp, LinearOp>(op)) {
    if (!isFloatType(op->getOperand(0).getType()) ||
        !isFloatType(op->getOperand(1).getType()) ||
        !isFloatType(op->getResult(0).getType())) {
      why = "integer GEMMs have no kernel template";
      return std::nullopt;
    }
    return AnchorKind::Gemm;
  }
  if (isa<Conv2dOp, MaxPool2dOp, AvgPool2dOp>(op)) {
    if (!op->hasAttr("channels_last")) {
      why = "the kernels are channels-last (NHWC): run "
            "kiln-convert-to-channels-last first";
      return std::nullopt;
    }
    if (!isFloatType(op->getResult(0).getType())) {
      why = "the kernels compute floats";
      return std::nullopt;
    }
    if (auto conv = dyn_cast<Conv2dOp>(op)) {
      auto in = cast<RankedTensorType>(conv.getInput().getType());
      auto filter = cast<RankedTensorType>(conv.getFilter().getType());
      if (in.isDynamicDim(3) || filter.isDynamicDim(0)) {
        why = "input and output channels must be static";
        return std::nullopt;
      }
    }
    return AnchorKind::Conv;
  }
  if (isa<SoftmaxOp, LogSoftmaxOp>(op))
    return AnchorKind::Row;
  if (isa<LayerNormOp, RmsNormOp>(op)) {
    if (auto ln = dyn_cast<LayerNormOp>(op))
      if (ln.getBias() &&
          elementTypeOf(ln.getBias()) != elementTypeOf(ln.getScale())) {
        why = "scale and bias of different element types";
        return std::nullopt;
      }
    return AnchorKind::Row;
  }
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
          op)) {
    if (!isFloatType(op->getResult(0).getType())) {
      why = "integer reductions have no kernel template";
      return std::nullopt;
    }
    if (!contiguousAxes(op->getAttrOfType<DenseI64ArrayAttr>("axes"))) {
      why = "reduced axes must be contiguous";
      return std::nullopt;
    }
    return AnchorKind::Row;
  }
  if (isa<ArgMaxOp, ArgMinOp>(op)) {
    if (!isFloatType(op->getOperand(0).getType())) {
      why = "argmax/argmin of integers has no kernel template";
      return std::nullopt;
    }
    return AnchorKind::ArgReduce;
  }
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    Type kind = elementTypeOf(attention.getQuery());
    if (elementTypeOf(attention.getKey()) != kind ||
        elementTypeOf(attention.getValue()) != kind ||
        elementTypeOf(attention.getResult()) != kind) {
      why = "q, k, v and the result must have one element type";
      return std::nullopt;
    }
    if (Value mask = attention.getMask())
      if (elementTypeOf(mask) != kind && !elementTypeOf(mask).isInteger(1)) {
        why = "a float mask must have q's element type";
        return std::nullopt;
      }
    auto q = cast<RankedTensorType>(attention.getQuery().getType());
    auto v = cast<RankedTensorType>(attention.getValue().getType());
    if (q.isDynamicDim(3) || v.isDynamicDim(3) ||
        q.getDimSize(3) != v.getDimSize(3)) {
      why = "the head dim must be static and the same for queries and "
            "values";
      return std::nullopt;
    }
    int64_t multiple = isa<Float32Type>(kind) ? 4 : 64;
    if (q.getDimSize(3) % multiple) {
      why = "the head dim must be a multiple of " + std::to_string(multiple);
      return std::nullopt;
    }
    return AnchorKind::Attention;
  }
  if (isa<TransposeOp, SliceOp, ConcatOp, GatherOp, GatherElementsOp>(op)) {
    auto ranked = [](Type t) {
      return cast<RankedTensorType>(t).getRank() <= 6;
    };
    if (!llvm::all_of(op->getOperandTypes(), ranked) ||
        !llvm::all_of(op->getResultTypes(), ranked)) {
      why = "copies of rank above 6 are not supported";
      return std::nullopt;
    }
    return AnchorKind::Copy;
  }
  return std::nullopt;
}

bool isIntegerTensor(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  return ranked && isa<IntegerType>(ranked.getElementType());
}

/// A planned group: its ops (in program order once sorted) and the value
/// it yields.
struct Plan {
  llvm::SmallVector<Operation *> ops;
  Value result;
  Operation *anchor = nullptr;
};

struct FormFusionGroupsPass
    : kiln::impl::FormFusionGroupsBase<FormFusionGroupsPass> {
  using FormFusionGroupsBase::FormFusionGroupsBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.getBody().empty())
      return;
    Block &block = function.getBody().front();

    // Program order of the top-level ops.
    llvm::DenseMap<Operation *, unsigned> order;
    for (Operation &op : block)
      order[&op] = order.size();

    // Values that need no kernel: constants and shape computations.
    llvm::DenseSet<Value> shapeValues;
    llvm::DenseSet<Operation *> noKernel;
    for (Operation &op : block) {
      if (!isa<KilnDialect>(op.getDialect()) || isa<FusionOp>(op))
        continue;
      bool shapeLike = isa<ConstantOp, ShapeOfOp>(op) ||
                       (op.getNumRegions() == 0 && op.getNumResults() > 0 &&
                        llvm::all_of(op.getResultTypes(), isIntegerTensor) &&
                        llvm::all_of(op.getOperands(), [&](Value v) {
                          return shapeValues.count(v) != 0;
                        }));
      if (shapeLike) {
        noKernel.insert(&op);
        shapeValues.insert(op.result_begin(), op.result_end());
      } else if (isa<ReshapeOp>(op)) {
        noKernel.insert(&op);
      }
    }

    // Unsupported ops, with the reason.
    llvm::SmallVector<std::pair<Operation *, std::string>> unsupported;
    llvm::DenseMap<Operation *, AnchorKind> anchors;
    for (Operation &op : block) {
      if (!isa<KilnDialect>(op.getDialect()) || isa<FusionOp>(op) ||
          noKernel.count(&op) || isElementwise(&op))
        continue;
      std::string why;
      if (std::optional<AnchorKind> kind = classifyAnchor(&op, why)) {
        anchors[&op] = *kind;
        continue;
      }
      if (why.empty())
        why = isa<ExpandOp>(op)
                  ? "an expand of run-time data must be materialized, and no "
                    "kernel template broadcasts a copy"
                  : "no kernel template implements it";
      unsupported.emplace_back(&op, why);
    }
    if (strict && !unsupported.empty()) {
      for (auto &[op, why] : unsupported)
        op->emitOpError() << "cannot be put in a fusion group: " << why;
      return signalPassFailure();
    }

    llvm::DenseSet<Operation *> claimed;
    auto available = [&](Operation *op) {
      return op && op->getBlock() == &block && isElementwise(op) &&
             !noKernel.count(op) && !claimed.count(op);
    };
    auto sameShape = [](Type a, Type b) {
      return cast<RankedTensorType>(a).getShape() ==
             cast<RankedTensorType>(b).getShape();
    };

    // Grows `members` backwards: an available op of `shape` (and type
    // `exactType` if given) whose every use is by a member (for `anchor`,
    // only as operand 0) joins. Returns the ops added.
    auto growBackwards = [&](llvm::SetVector<Operation *> &members, Type shape,
                             Type exactType, Operation *anchor) {
      llvm::SmallVector<Operation *> added;
      bool changed = true;
      while (changed) {
        changed = false;
        for (size_t i = 0; i < members.size(); ++i) {
          Operation *member = members[i];
          for (auto [index, operand] : llvm::enumerate(member->getOperands())) {
            if (member == anchor && index != 0)
              continue;
            Operation *def = operand.getDefiningOp();
            if (!available(def) || members.contains(def))
              continue;
            Type type = def->getResult(0).getType();
            if (exactType ? type != exactType : !sameShape(type, shape))
              continue;
            bool onlyInside = llvm::all_of(def->getUses(), [&](OpOperand &use) {
              Operation *user = use.getOwner();
              if (!members.contains(user))
                return false;
              return user != anchor || use.getOperandNumber() == 0;
            });
            if (!onlyInside)
              continue;
            members.insert(def);
            added.push_back(def);
            changed = true;
          }
        }
      }
      return added;
    };

    std::vector<Plan> plans;
    // Anchored groups, in program order.
    for (Operation &op : block) {
      auto it = anchors.find(&op);
      if (it == anchors.end())
        continue;
      AnchorKind kind = it->second;
      Plan plan;
      plan.anchor = &op;
      claimed.insert(&op);
      llvm::SetVector<Operation *> members;
      members.insert(&op);
      if (kind == AnchorKind::Row || kind == AnchorKind::ArgReduce) {
        // The prologue: computes operand 0 with its type, used by nothing
        // else. The emitter reads the input's shape from a group input of
        // that type, so there must be one.
        Value x = op.getOperand(0);
        llvm::SmallVector<Operation *> prologue =
            growBackwards(members, x.getType(), x.getType(), &op);
        llvm::DenseSet<Operation *> inPrologue(prologue.begin(),
                                               prologue.end());
        bool hasSource = prologue.empty();
        for (Operation *p : prologue)
          for (Value operand : p->getOperands())
            if (!inPrologue.count(operand.getDefiningOp()) &&
                operand.getType() == x.getType())
              hasSource = true;
        if (!hasSource) {
          members.clear();
          members.insert(&op);
        } else {
          for (Operation *p : prologue)
            claimed.insert(p);
        }
      }
      Value result = op.getResult(0);
      if (kind == AnchorKind::Gemm || kind == AnchorKind::Conv ||
          kind == AnchorKind::Attention || kind == AnchorKind::Row) {
        // The epilogue: the single-use chain after the anchor, keeping its
        // shape, with float results (the anchor's type for attention).
        Type anchorType = op.getResult(0).getType();
        while (result.hasOneUse()) {
          Operation *user = *result.getUsers().begin();
          if (!available(user) || user->getNumResults() != 1)
            break;
          Type type = user->getResult(0).getType();
          if (!sameShape(type, anchorType) || !isFloatType(type))
            break;
          if (kind == AnchorKind::Attention &&
              elementTypeOf(user->getResult(0)) !=
                  elementTypeOf(op.getResult(0)))
            break;
          members.insert(user);
          claimed.insert(user);
          result = user->getResult(0);
        }
      }
      plan.ops.assign(members.begin(), members.end());
      plan.result = result;
      plans.push_back(std::move(plan));
    }

    // Elementwise groups: from the last op up, each unclaimed op roots a
    // group of the ops of its shape that only the group uses.
    for (Operation &op : llvm::reverse(block)) {
      if (!available(&op))
        continue;
      llvm::SetVector<Operation *> members;
      members.insert(&op);
      claimed.insert(&op);
      for (Operation *added :
           growBackwards(members, op.getResult(0).getType(), Type(), nullptr))
        claimed.insert(added);
      Plan plan;
      plan.ops.assign(members.begin(), members.end());
      plan.result = op.getResult(0);
      plans.push_back(std::move(plan));
    }
    // Materialize in program order of the groups' roots.
    llvm::stable_sort(plans, [&](const Plan &a, const Plan &b) {
      return order[a.result.getDefiningOp()] < order[b.result.getDefiningOp()];
    });
    for (Plan &plan : plans)
      materialize(plan, order);
  }

  /// Replaces the plan's ops by one kiln.fusion at the position of its root.
  void materialize(Plan &plan,
                   const llvm::DenseMap<Operation *, unsigned> &order) {
    llvm::sort(plan.ops, [&](Operation *a, Operation *b) {
      return order.lookup(a) < order.lookup(b);
    });
    llvm::DenseSet<Operation *> members(plan.ops.begin(), plan.ops.end());
    // Splat constants used by elementwise ops are copied in (literals in
    // the kernel); everything else defined outside is an input.
    llvm::SetVector<Value> inputs;
    llvm::SetVector<Operation *> clonedConstants;
    for (Operation *op : plan.ops)
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (def && members.count(def))
          continue;
        if (auto constant = dyn_cast_or_null<ConstantOp>(def))
          if (op != plan.anchor) {
            auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
            if (dense && dense.isSplat() && dense.getNumElements() > 0) {
              clonedConstants.insert(def);
              continue;
            }
          }
        inputs.insert(operand);
      }
    // A constant the anchor reads is an input; elementwise ops of the group
    // then read that input too rather than a copy.
    clonedConstants.remove_if([&](Operation *constant) {
      return inputs.contains(constant->getResult(0));
    });
    Operation *root = plan.result.getDefiningOp();
    OpBuilder builder(root);
    Location loc = plan.anchor ? plan.anchor->getLoc() : root->getLoc();
    auto group = builder.create<FusionOp>(loc, TypeRange{plan.result.getType()},
                                          inputs.getArrayRef());
    Block &body = group.getBody().front();
    IRMapping mapping;
    for (auto [input, arg] : llvm::zip(inputs, body.getArguments()))
      mapping.map(input, arg);
    OpBuilder inner = OpBuilder::atBlockEnd(&body);
    for (Operation *constant : clonedConstants)
      inner.clone(*constant, mapping);
    for (Operation *op : plan.ops)
      inner.clone(*op, mapping);
    inner.create<YieldOp>(loc, ValueRange{mapping.lookup(plan.result)});
    plan.result.replaceAllUsesWith(group.getResult(0));
    for (Operation *op : llvm::reverse(plan.ops))
      op->erase();
    for (Operation *constant : clonedConstants)
      if (constant->use_empty())
        constant->erase();
  }
};

} // namespace
