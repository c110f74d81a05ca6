//===- ModuleTest.cpp - Kernels in a dlopen'ed host code object -----------===//
//
// The module is DualKernels.cu built by the host compiler into a shared
// object linked with --no-undefined and without kiln_simt, as the engine's
// host code object will be. The same kernels are also compiled into this
// binary; both must compute the same results.
//
//===----------------------------------------------------------------------===//

#include "runtime/host/Fp16.h"
#include "runtime/host/Launch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <dlfcn.h>

// From DualKernels.cu, compiled into this binary too.
extern "C" void kiln_entry_blockSum(void **args);
extern "C" void kiln_entry_tensorCoreTile(void **args);
extern "C" void kiln_entry_everyWrapper(void **args);

using kiln::simt::KernelEntry;
using kiln::simt::launch;
using kiln::simt::LaunchConfig;
using kiln::simt::Status;

namespace {

class Module : public ::testing::Test {
protected:
  void SetUp() override {
    handle = dlopen(KILN_SIMT_TEST_MODULE, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    Status status = kiln::simt::bindModule(handle);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  void TearDown() override {
    if (handle)
      dlclose(handle);
  }
  KernelEntry entry(const char *name) {
    auto fn = reinterpret_cast<KernelEntry>(dlsym(handle, name));
    EXPECT_NE(fn, nullptr) << name;
    Dl_info info;
    // The entry must really live in the module, not in this binary.
    if (fn && dladdr(reinterpret_cast<void *>(fn), &info)) {
      EXPECT_NE(std::string(info.dli_fname).find("kiln_simt_test_kernels"),
                std::string::npos)
          << info.dli_fname;
    }
    return fn;
  }
  void *handle = nullptr;
};

TEST_F(Module, BlockSumFromTheModule) {
  KernelEntry fn = entry("kiln_entry_blockSum");
  ASSERT_NE(fn, nullptr);
  const int n = 10000;
  std::vector<float> in(n);
  for (int i = 0; i < n; ++i)
    in[i] = static_cast<float>(i % 7);
  float total = 0.0f;
  const float *inPtr = in.data();
  float *outPtr = &total;
  int count = n;
  void *args[] = {&inPtr, &outPtr, &count};
  LaunchConfig config;
  config.block = dim3(256);
  config.grid = dim3((n + 255) / 256);
  config.workers = 2;
  Status status = launch(config, fn, args);
  ASSERT_TRUE(status.ok()) << status.message();
  double expected = 0;
  for (float v : in)
    expected += v;
  EXPECT_EQ(total, static_cast<float>(expected)); // integers: exact
}

TEST_F(Module, TensorCoreTileFromTheModule) {
  KernelEntry fn = entry("kiln_entry_tensorCoreTile");
  ASSERT_NE(fn, nullptr);
  alignas(16) uint16_t a[256], b[128];
  for (int i = 0; i < 256; ++i)
    a[i] = kiln::simt::floatToHalfBits(static_cast<float>(i % 5) - 2.0f);
  for (int i = 0; i < 128; ++i)
    b[i] = kiln::simt::floatToHalfBits(static_cast<float>(i % 3) - 1.0f);
  float d[128];
  const void *aPtr = a, *bPtr = b;
  float *dPtr = d;
  void *args[] = {&aPtr, &bPtr, &dPtr};
  LaunchConfig config;
  config.block = dim3(32);
  config.raceHunt = true;
  Status status = launch(config, fn, args);
  ASSERT_TRUE(status.ok()) << status.message();
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      float ref = 0;
      for (int k = 0; k < 16; ++k)
        ref += kiln::simt::halfBitsToFloat(a[m * 16 + k]) *
               kiln::simt::halfBitsToFloat(b[k * 8 + n]);
      EXPECT_EQ(d[m * 8 + n], ref) << m << "," << n;
    }
}

TEST_F(Module, EveryWrapperAgreesWithTheInProcessBuild) {
  KernelEntry fromModule = entry("kiln_entry_everyWrapper");
  ASSERT_NE(fromModule, nullptr);
  alignas(16) unsigned in[256];
  for (unsigned i = 0; i < 256; ++i)
    in[i] = (0x3c00u + i % 61) | (0x3c00u + i % 37) << 16;
  auto run = [&](KernelEntry fn, bool raceHunt) {
    std::vector<float> out(128, 0.0f);
    const unsigned *inPtr = in;
    float *outPtr = out.data();
    void *args[] = {&inPtr, &outPtr};
    LaunchConfig config;
    config.block = dim3(32);
    config.dynamicSharedBytes = 512;
    config.raceHunt = raceHunt;
    Status status = launch(config, fn, args);
    EXPECT_TRUE(status.ok()) << status.message();
    return out;
  };
  std::vector<float> module = run(fromModule, false);
  std::vector<float> local = run(&kiln_entry_everyWrapper, false);
  EXPECT_EQ(module, local);
  EXPECT_EQ(run(fromModule, true), local); // a correct kernel: no races
  for (float v : module)
    EXPECT_TRUE(std::isfinite(v));
}

TEST_F(Module, TemplateKernelUnderItsExportedName) {
  KernelEntry fn = entry("kiln_entry_scaleBy4");
  ASSERT_NE(fn, nullptr);
  std::vector<float> data(300, 1.5f);
  float *pointer = data.data();
  int n = 300;
  void *args[] = {&pointer, &n};
  LaunchConfig config;
  config.block = dim3(64);
  config.grid = dim3(5);
  config.barrierFree = true;
  Status status = launch(config, fn, args);
  ASSERT_TRUE(status.ok()) << status.message();
  for (float v : data)
    EXPECT_EQ(v, 6.0f);
}

TEST(ModuleBinding, RejectsAModuleWithoutTheBindSymbol) {
  void *self = dlopen(nullptr, RTLD_NOW);
  ASSERT_NE(self, nullptr);
  // The test binary itself is not a module built against simt.h's export
  // rules (it is not linked with -rdynamic), so dlsym finds nothing.
  Status status = kiln::simt::bindModule(self);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("kiln_simt_bind"), std::string::npos);
}

TEST(ModuleBinding, RejectsAnIncompatibleTable) {
  KilnSimtApi table = *kiln::simt::simtApi();
  table.version = KILN_SIMT_ABI_VERSION + 1;
  EXPECT_EQ(kiln_simt_bind(&table), -1);
  table = *kiln::simt::simtApi();
  table.size = 8;
  EXPECT_EQ(kiln_simt_bind(&table), -1);
  EXPECT_EQ(kiln_simt_bind(kiln::simt::simtApi()), 0);
}

} // namespace
