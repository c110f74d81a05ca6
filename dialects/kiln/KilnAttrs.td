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
def Kiln_ComparePredicate : I64EnumAttr<"ComparePredicate",
    "comparison predicate",
    [Kiln_CmpEq, Kiln_CmpNe, Kiln_CmpLt, Kiln_CmpLe, Kiln_CmpGt, Kiln_CmpGe]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_ComparePredicateAttr
    : EnumAttr<Kiln_Dialect, Kiln_ComparePredicate, "predicate">;

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

#endif // KILN_DIALECT_KILNATTRS_TD
