//===- KernelTestSupport.cpp - Reference side of the kernel tests ---------===//

#include "KernelTestSupport.h"

#include "compiler/evaluator/Evaluator.h"
#include "compiler/evaluator/Tensor.h"
#include "dialects/kiln/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace kiln::test {
namespace {

mlir::kiln::ElementKind toKind(DType type) {
  using mlir::kiln::ElementKind;
  switch (type) {
  case DType::F32:
    return ElementKind::F32;
  case DType::F16:
    return ElementKind::F16;
  case DType::BF16:
    return ElementKind::BF16;
  case DType::I64:
    return ElementKind::I64;
  case DType::I32:
    return ElementKind::I32;
  case DType::I8:
    return ElementKind::I8;
  case DType::I1:
    return ElementKind::I1;
  }
  return ElementKind::F32;
}

DType fromKind(mlir::kiln::ElementKind kind) {
  using mlir::kiln::ElementKind;
  switch (kind) {
  case ElementKind::F32:
    return DType::F32;
  case ElementKind::F16:
    return DType::F16;
  case ElementKind::BF16:
    return DType::BF16;
  case ElementKind::I64:
    return DType::I64;
  case ElementKind::I32:
    return DType::I32;
  case ElementKind::I8:
    return DType::I8;
  case ElementKind::I1:
    return DType::I1;
  }
  return DType::F32;
}

std::string indexString(const std::vector<int64_t> &shape, int64_t linear) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? linear % shape[d] : 0;
    linear = shape[d] ? linear / shape[d] : 0;
  }
  std::string s = "[";
  for (size_t d = 0; d < index.size(); ++d)
    s += (d ? "," : "") + std::to_string(index[d]);
  return s + "]";
}

} // namespace

int64_t numel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s;
  for (size_t d = 0; d < shape.size(); ++d)
    s += (d ? "x" : "") + std::to_string(shape[d]);
  return s.empty() ? "scalar" : s;
}

const char *dtypeName(DType type) {
  return mlir::kiln::getElementKindName(toKind(type)).data();
}

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16;
}

HostTensor::HostTensor(DType type, std::vector<int64_t> shape)
    : type(type), shape(std::move(shape)) {
  values.assign(kiln::test::numel(this->shape), 0.0);
}

void HostTensor::set(int64_t i, double v) {
  values[i] = isFloat(type) ? mlir::kiln::roundToKind(toKind(type), v)
                            : static_cast<double>(mlir::kiln::wrapToKind(
                                  toKind(type), static_cast<int64_t>(v)));
}

HostTensor randomTensor(DType type, std::vector<int64_t> shape, uint32_t seed,
                        double lo, double hi) {
  HostTensor t(type, std::move(shape));
  std::mt19937 rng(seed);
  if (isFloat(type)) {
    std::uniform_real_distribution<double> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i)
      t.set(i, dist(rng));
  } else {
    std::uniform_int_distribution<int64_t> dist(static_cast<int64_t>(lo),
                                                static_cast<int64_t>(hi));
    for (int64_t i = 0; i < t.numel(); ++i)
      t.set(i, static_cast<double>(dist(rng)));
  }
  return t;
}

std::vector<HostTensor>
evaluateReference(const std::string &mlirText,
                  const std::vector<HostTensor> &inputs) {
  mlir::MLIRContext context;
  context.loadDialect<mlir::kiln::KilnDialect, mlir::func::FuncDialect>();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    llvm::raw_string_ostream os(diagnostics);
    os << diag.getLocation() << ": " << diag << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(mlirText, &context);
  if (!module) {
    ADD_FAILURE() << "reference IR does not parse:\n" << diagnostics;
    return {};
  }
  mlir::func::FuncOp function;
  module->walk([&](mlir::func::FuncOp f) {
    if (!function)
      function = f;
  });
  if (!function) {
    ADD_FAILURE() << "reference IR has no func.func";
    return {};
  }
  llvm::SmallVector<mlir::kiln::Tensor> operands;
  for (const HostTensor &input : inputs) {
    mlir::kiln::Tensor t(toKind(input.type), input.shape);
    for (int64_t i = 0; i < input.numel(); ++i) {
      if (isFloat(input.type))
        t.setFloat(i, input.values[i]);
      else
        t.setInt(i, static_cast<int64_t>(input.values[i]));
    }
    operands.push_back(std::move(t));
  }
  mlir::FailureOr<llvm::SmallVector<mlir::kiln::Tensor>> results =
      mlir::kiln::evaluate(function, operands);
  if (mlir::failed(results)) {
    ADD_FAILURE() << "the reference evaluator failed:\n" << diagnostics;
    return {};
  }
  std::vector<HostTensor> out;
  for (const mlir::kiln::Tensor &r : *results) {
    HostTensor t(
        fromKind(r.getKind()),
        std::vector<int64_t>(r.getShape().begin(), r.getShape().end()));
    for (int64_t i = 0; i < t.numel(); ++i)
      t.values[i] =
          r.isFloat() ? r.getFloat(i) : static_cast<double>(r.getInt(i));
    out.push_back(std::move(t));
  }
  return out;
}

::testing::AssertionResult allClose(const HostTensor &actual,
                                    const HostTensor &expected, double rtol,
                                    double atol) {
  if (actual.type != expected.type || actual.shape != expected.shape)
    return ::testing::AssertionFailure()
           << "got " << dtypeName(actual.type) << " "
           << shapeString(actual.shape) << ", expected "
           << dtypeName(expected.type) << " " << shapeString(expected.shape);
  int64_t bad = 0, worst = -1;
  double worstRatio = 0.0;
  std::ostringstream first;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = actual.values[i], e = expected.values[i];
    bool ok;
    double ratio = 0.0;
    if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
      ratio = ok ? 0.0 : INFINITY;
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = a == e;
      ratio = ok ? 0.0 : INFINITY;
    } else {
      double bound = atol + rtol * std::fabs(e);
      double err = std::fabs(a - e);
      ok = err <= bound;
      ratio = bound > 0 ? err / bound : (err > 0 ? INFINITY : 0.0);
    }
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
    if (!ok && bad++ < 8)
      first << "\n  at " << indexString(actual.shape, i) << ": got " << a
            << ", expected " << e;
  }
  if (!bad)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.numel() << " elements of "
         << shapeString(actual.shape) << " differ beyond rtol " << rtol
         << " atol " << atol << first.str() << "\n  worst at "
         << indexString(actual.shape, worst) << ": got " << actual.values[worst]
         << ", expected " << expected.values[worst];
}

HostTensor retype(const HostTensor &t, DType type) {
  HostTensor out(type, t.shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    out.set(i, t[i]);
  return out;
}

HostTensor absTensor(const HostTensor &t) {
  HostTensor out(DType::F32, t.shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    out.set(i, std::fabs(t[i]));
  return out;
}

std::string tensorType(const std::vector<int64_t> &shape, const char *element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element + ">";
}

std::string tensorType(const std::vector<int64_t> &shape, DType type) {
  return tensorType(shape, dtypeName(type));
}

std::string intList(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string funcText(const std::string &args, const std::string &resultType,
                     const std::string &body, const std::string &result) {
  return "func.func @f(" + args + ") -> " + resultType + " {\n" + body +
         "  return " + result + " : " + resultType + "\n}";
}

std::string singleOpFunc(const std::string &args, const std::string &resultType,
                         const std::string &op) {
  return funcText(args, resultType, "  %0 = " + op + "\n");
}

double storageUlp(DType type) {
  return type == DType::F16    ? std::ldexp(1.0, -10)
         : type == DType::BF16 ? std::ldexp(1.0, -7)
                               : 0.0;
}

::testing::AssertionResult withinSumAbsBound(const HostTensor &actual,
                                             const HostTensor &expected,
                                             const HostTensor &sumAbs,
                                             int64_t k) {
  if (actual.shape != expected.shape || actual.type != expected.type ||
      sumAbs.numel() != expected.numel())
    return ::testing::AssertionFailure() << "shape or type mismatch";
  const double rel =
      expected.type == DType::F32 ? 1e-5 : storageUlp(expected.type);
  const double gamma = static_cast<double>(k) * std::ldexp(1.0, -23);
  const double floor = std::ldexp(1.0, -24);
  int64_t bad = 0;
  std::ostringstream first;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = actual[i], e = expected[i];
    double bound = rel * std::fabs(e) + 2 * gamma * sumAbs[i] + floor;
    if (!(std::fabs(a - e) <= bound) && bad++ < 8)
      first << "\n  at flat " << i << ": got " << a << ", expected " << e
            << " (bound " << bound << ")";
  }
  if (!bad)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.numel() << " elements beyond the bound"
         << first.str();
}

SumAbsReference
sumAbsReference(const std::function<std::string(const char *)> &func,
                const HostTensor &a, const HostTensor &b, DType out) {
  SumAbsReference r;
  // Output-typed inputs: exact for f32 (f16/bf16 values are f32 values);
  // for f16/bf16 outputs the inputs already have that type.
  std::vector<HostTensor> e =
      evaluateReference(func(dtypeName(out)), {retype(a, out), retype(b, out)});
  std::vector<HostTensor> s =
      evaluateReference(func("f32"), {absTensor(a), absTensor(b)});
  EXPECT_EQ(e.size(), 1u);
  EXPECT_EQ(s.size(), 1u);
  if (e.size() == 1 && s.size() == 1) {
    r.expected = e[0];
    r.sumAbs = s[0];
    r.ok = true;
  }
  return r;
}

simt::LaunchConfig launchConfig(dim3 grid, dim3 block, bool raceHunt,
                                uint64_t seed) {
  simt::LaunchConfig config;
  config.grid = grid;
  config.block = block;
  config.raceHunt = raceHunt;
  config.seed = seed;
  return config;
}

bool launchOk(const simt::LaunchConfig &config,
              const std::function<void()> &body, const std::string &what) {
  simt::Status status = simt::launch(config, body);
  if (!status.ok())
    ADD_FAILURE() << what << ": launch failed: " << status.message();
  return status.ok();
}

} // namespace kiln::test
