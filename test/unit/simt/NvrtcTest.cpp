//===- NvrtcTest.cpp - The CUDA side of simt.h compiles for sm_80 ---------===//
//
// No GPU here, so the CUDA definitions of the Kiln wrappers (inline PTX in
// kiln_cuda_compat.h) can only be compiled, not run: NVRTC compiles
// DualKernels.cu, the very file the host tests run, for sm_80, and the PTX
// must contain the instructions the wrappers stand for.
//
//===----------------------------------------------------------------------===//

#include <nvrtc.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string readFile(const char *path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Compiled {
  bool ok = false;
  std::string log, ptx;
};

Compiled compile(const std::string &source, const char *arch) {
  Compiled result;
  nvrtcProgram program;
  if (nvrtcCreateProgram(&program, source.c_str(), "DualKernels.cu", 0, nullptr,
                         nullptr) != NVRTC_SUCCESS)
    return result;
  std::string archFlag = std::string("--gpu-architecture=") + arch;
  std::vector<const char *> options = {archFlag.c_str(), "-std=c++17",
                                       "-I" KILN_SOURCE_DIR,
                                       "-I" KILN_CUDA_INCLUDE_DIR};
  nvrtcResult status = nvrtcCompileProgram(
      program, static_cast<int>(options.size()), options.data());
  size_t logSize = 0;
  nvrtcGetProgramLogSize(program, &logSize);
  result.log.resize(logSize);
  nvrtcGetProgramLog(program, result.log.data());
  if (status == NVRTC_SUCCESS) {
    size_t ptxSize = 0;
    nvrtcGetPTXSize(program, &ptxSize);
    result.ptx.resize(ptxSize);
    nvrtcGetPTX(program, result.ptx.data());
    result.ok = true;
  }
  nvrtcDestroyProgram(&program);
  return result;
}

TEST(Nvrtc, DualKernelsCompileForSm80) {
  std::string source = readFile(KILN_DUAL_KERNELS_PATH);
  ASSERT_FALSE(source.empty());
  Compiled result = compile(source, "sm_80");
  ASSERT_TRUE(result.ok) << result.log;
  for (const char *instruction :
       {"mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32",
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32",
        "mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32",
        "mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32",
        "ldmatrix.sync.aligned.m8n8.x1.shared.b16",
        "ldmatrix.sync.aligned.m8n8.x2.shared.b16",
        "ldmatrix.sync.aligned.m8n8.x4.shared.b16",
        "ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16",
        "ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16",
        "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16",
        "cp.async.ca.shared.global",
        "cp.async.cg.shared.global",
        "cp.async.commit_group",
        "cp.async.wait_group 1",
        "cp.async.wait_all",
        "shfl.sync.down",
        "shfl.sync.bfly",
        ".entry _Z8blockSum",
        ".entry _Z14tensorCoreTile",
        ".entry _Z12everyWrapper",
        ".entry _Z7scaleByILi4EEvPfi"})
    EXPECT_NE(result.ptx.find(instruction), std::string::npos) << instruction;
}

TEST(Nvrtc, MisusedWrapperFailsToCompile) {
  // Guards the test above against passing vacuously: the same headers with a
  // wrongly called wrapper must be rejected, with a log naming it.
  std::string source = readFile(KILN_DUAL_KERNELS_PATH) +
                       "\n__global__ void misused(float *d) {\n"
                       "  kiln_mma_m16n8k16_f16(d, d, d);\n}\n";
  Compiled result = compile(source, "sm_80");
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.log.find("kiln_mma_m16n8k16_f16"), std::string::npos)
      << result.log;
}

} // namespace
