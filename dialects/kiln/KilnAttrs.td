//===- KilnAttrs.td - Kiln attributes and enums ------------------*- tablegen -*-===//

#ifndef KILN_DIALECT_KILNATTRS_TD
#define KILN_DIALECT_KILNATTRS_TD

include "dialects/kiln/KilnBase.td"
// EnumAttr, I64EnumAttr: enums that print as words.
include "mlir/IR/EnumAttr.td"

class Kiln_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Kiln_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Comparison predicates
//===----------------------------------------------------------------------===//

def Kiln_CmpEq : I64EnumAttrCase<"eq", 0>;
def Kiln_CmpNe : I64EnumAttrCase<"ne", 1>;
def Kiln_CmpLt : I64EnumAttrCase<"lt", 2>;
def Kiln_CmpLe : I64EnumAttrCase<"le", 3>;
def Kiln_CmpGt : I64EnumAttrCase<"gt", 4>;
def Kiln_CmpGe : I64EnumAttrCase<"ge", 5>;
// Enums are I64EnumAttrs used directly in op arguments: the declarative
// assembly format prints them as bare keywords (`kiln.compare lt, ...`).
def Kiln_ComparePredicateAttr : I64EnumAttr<"ComparePredicate",
    "comparison predicate",
    [Kiln_CmpEq, Kiln_CmpNe, Kiln_CmpLt, Kiln_CmpLe, Kiln_CmpGt, Kiln_CmpGe]> {
  let cppNamespace = "::mlir::kiln";
}

//===----------------------------------------------------------------------===//
// Kernel configuration
//===----------------------------------------------------------------------===//

def Kiln_KernelConfigAttr : Kiln_Attr<"KernelConfig", "kernel"> {
  let summary = "The kernel chosen for a fusion group on one target and profile";
  let description = [{
    Records which kernel-library template a `kiln.fusion` group is lowered to
    and with which tile configuration, for one target architecture (`host` or
    `sm_XX`) and one optimization profile (its index in the engine's profile
    list). A fusion group carries one such attribute per (arch, profile) pair
    it has been specialized for.

    Example:
    ```mlir
    #kiln.kernel<arch = "sm_80", profile = 0, template = "gemm_tc",
                 tile = [128, 128, 32], stages = 3, warps = 4>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"`host` or `sm_XX`">:$arch,
    "int64_t":$profile,
    StringRefParameter<"kernel-library template name">:$template_name,
    ArrayRefParameter<"int64_t", "tile sizes, outermost first">:$tile,
    "int64_t":$stages,
    "int64_t":$warps
  );
  let assemblyFormat = [{
    `<` `arch` `=` $arch `,` `profile` `=` $profile `,` `template` `=`
    $template_name `,` `tile` `=` `[` $tile `]` `,` `stages` `=` $stages `,`
    `warps` `=` $warps `>`
  }];
  let genVerifyDecl = 1;
}

def Kiln_KernelConfigArrayAttr
    : TypedArrayAttrBase<Kiln_KernelConfigAttr, "array of kernel configurations">;

//===----------------------------------------------------------------------===//
// Modes of data-movement and attention ops
//===----------------------------------------------------------------------===//

class Kiln_Enum<string name, string summary, list<I64EnumAttrCase> cases>
    : I64EnumAttr<name, summary, cases> {
  let cppNamespace = "::mlir::kiln";
}

def Kiln_ScatterReductionAttr : Kiln_Enum<"ScatterReduction",
    "how scatter_nd combines an update with the existing element", [
  I64EnumAttrCase<"none", 0>, I64EnumAttrCase<"add", 1>,
  I64EnumAttrCase<"mul", 2>, I64EnumAttrCase<"max", 3>,
  I64EnumAttrCase<"min", 4>]>;

def Kiln_PadModeAttr : Kiln_Enum<"PadMode", "what padding is filled with", [
  I64EnumAttrCase<"constant", 0>, I64EnumAttrCase<"reflect", 1>,
  I64EnumAttrCase<"edge", 2>, I64EnumAttrCase<"wrap", 3>]>;

def Kiln_ResizeModeAttr : Kiln_Enum<"ResizeMode", "resize interpolation", [
  I64EnumAttrCase<"nearest", 0>, I64EnumAttrCase<"linear", 1>]>;

def Kiln_CoordinateModeAttr : Kiln_Enum<"CoordinateMode",
    "how an output coordinate of resize maps to an input coordinate", [
  I64EnumAttrCase<"half_pixel", 0>, I64EnumAttrCase<"pytorch_half_pixel", 1>,
  I64EnumAttrCase<"align_corners", 2>, I64EnumAttrCase<"asymmetric", 3>,
  I64EnumAttrCase<"half_pixel_symmetric", 4>]>;

def Kiln_NearestModeAttr : Kiln_Enum<"NearestMode",
    "how nearest-neighbour resize rounds an input coordinate", [
  I64EnumAttrCase<"round_prefer_floor", 0>,
  I64EnumAttrCase<"round_prefer_ceil", 1>,
  I64EnumAttrCase<"floor", 2>, I64EnumAttrCase<"ceil", 3>]>;

def Kiln_CausalAlignmentAttr : Kiln_Enum<"CausalAlignment",
    "whether attention is causal, and where the diagonal of the causal mask "
    "sits when queries and keys differ in length", [
  I64EnumAttrCase<"none", 0>, I64EnumAttrCase<"upper_left", 1>,
  I64EnumAttrCase<"lower_right", 2>]>;

#endif // KILN_DIALECT_KILNATTRS_TD
