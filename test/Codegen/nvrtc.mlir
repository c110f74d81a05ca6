// RUN: kiln-codegen %s --check-nvrtc=sm_80,sm_86,sm_89,sm_90 | FileCheck %s
// RUN: not kiln-codegen %s --check-nvrtc=sm_61 2>&1 | FileCheck %s --check-prefix=BADARCH

// The emitted unit compiles with NVRTC for every default architecture, and
// the elementwise kernel fits in registers everywhere (no spills, no stack).
// CHECK-LABEL: // NVRTC {{[0-9.]+}}: kiln_gelu_bias.cu
// CHECK-DAG: // ptxas sm_80 kiln_gelu_bias_fusion0: {{[0-9]+}} registers, 0 bytes spill stores, 0 bytes spill loads, 0 bytes stack
// CHECK-DAG: // ptxas sm_86 kiln_gelu_bias_fusion0: {{[0-9]+}} registers, 0 bytes spill stores, 0 bytes spill loads, 0 bytes stack
// CHECK-DAG: // ptxas sm_89 kiln_gelu_bias_fusion0: {{[0-9]+}} registers, 0 bytes spill stores, 0 bytes spill loads, 0 bytes stack
// CHECK-DAG: // ptxas sm_90 kiln_gelu_bias_fusion0: {{[0-9]+}} registers, 0 bytes spill stores, 0 bytes spill loads, 0 bytes stack

// BADARCH: error: {{.*}}sm_61
func.func @gelu_bias(%x: tensor<?x768xbf16>, %b: tensor<768xbf16>) -> tensor<?x768xbf16> {
  %0 = kiln.fusion ins(%x, %b : tensor<?x768xbf16>, tensor<768xbf16>) -> tensor<?x768xbf16> {
  ^bb0(%a: tensor<?x768xbf16>, %c: tensor<768xbf16>):
    %1 = kiln.add %a, %c : (tensor<?x768xbf16>, tensor<768xbf16>) -> tensor<?x768xbf16>
    %2 = kiln.gelu %1 : tensor<?x768xbf16>
    kiln.yield %2 : tensor<?x768xbf16>
  }
  return %0 : tensor<?x768xbf16>
}
