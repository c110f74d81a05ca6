//===- KilnBase.td - Kiln dialect, type constraints, op base classes ------===//
//
// The `kiln` dialect is the graph-level IR every front end produces and every
// pass consumes: one op per tensor operation a network is made of, on ranked
// tensors whose dims may be dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILNBASE_TD
#define KILN_DIALECT_KILNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::mlir::kiln";
  let summary = "Graph-level tensor operations of the Kiln compiler.";
  let description = [{
    The `kiln` dialect describes a neural network as a graph of tensor
    operations on ranked tensors with static or dynamic dims. Element types are
    `f32`, `f16`, `bf16`, `i64`, `i32`, `i8` and `i1`; integers are signless
    and read as signed. Elementwise binary ops follow numpy broadcasting.

    Weights are `kiln.constant` ops; large ones hold a `dense_resource` whose
    blob the importer maps from the model file, so weights never pass through
    a dense attribute.

    A `kiln.fusion` op holds the ops of one future kernel and the kernel
    configurations chosen for it per optimization profile and architecture.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Kiln_Float : AnyTypeOf<[F32, F16, BF16]>;
def Kiln_Int : AnyTypeOf<[I64, I32, I8]>;
def Kiln_Bool : TypeAlias<I1>;
def Kiln_Element : AnyTypeOf<[F32, F16, BF16, I64, I32, I8, I1],
    "f32, f16, bf16, i64, i32, i8 or i1">;

def Kiln_Tensor : RankedTensorOf<[Kiln_Element]>;
def Kiln_FloatTensor : RankedTensorOf<[Kiln_Float]>;
def Kiln_NumericTensor : RankedTensorOf<[Kiln_Float, Kiln_Int]>;
def Kiln_SignedTensor : RankedTensorOf<[Kiln_Float, Kiln_Int]>;
def Kiln_BoolTensor : RankedTensorOf<[I1]>;
def Kiln_IntOrBoolTensor : RankedTensorOf<[Kiln_Int, I1]>;
def Kiln_IndexTensor : RankedTensorOf<[I64, I32]>;
// A 1-D tensor of i64 holding a shape computed at run time.
def Kiln_ShapeTensor : 1DTensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Op base class
//===----------------------------------------------------------------------===//

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

#endif // KILN_DIALECT_KILNBASE_TD
