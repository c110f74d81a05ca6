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

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s;
  for (size_t d = 0; d < shape.size(); ++d)
    s += (d ? "x" : "") + std::to_string(shape[d]);
  return s.empty() ? "scalar" : s;
}

} // namespace

const char *dtypeName(DType type) {
  return mlir::kiln::getElementKindName(toKind(type)).data();
}

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16;
}

HostTensor::HostTensor(DType type, std::vector<int64_t> shape)
    : type(type), shape(std::move(shape)) {
  int64_t n = 1;
  for (int64_t d : this->shape)
    n *= d;
  values.assign(n, 0.0);
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

bool launchOk(const simt::LaunchConfig &config,
              const std::function<void()> &body, const std::string &what) {
  simt::Status status = simt::launch(config, body);
  if (!status.ok())
    ADD_FAILURE() << what << ": launch failed: " << status.message();
  return status.ok();
}

} // namespace kiln::test
