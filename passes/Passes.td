//===- Passes.td - Kiln passes ---------------------------------*- tablegen -*-===//

#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def RefineResultTypes : Pass<"kiln-refine-result-types", "func::FuncOp"> {
  let summary = "Make result types as static as the operands allow";
  let description = [{
    Walks a function in order and gives every kiln op the result type its
    type inference computes from its (possibly just refined) operands when
    that type is more static than the one the op has, e.g. after an importer
    wrote `?` for dims that the weights fix. Reshapes with one dynamic dim get
    it from the element count. The function's result types follow what it
    returns.

    ```mlir
    // before
    %0 = kiln.add %a, %b : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x?xf32>
    // after
    %0 = kiln.add %a, %b : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

#endif // KILN_PASSES_TD
