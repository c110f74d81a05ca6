//===- ErrorTesting.h - llvm::Expected in GoogleTest assertions -*- C++ -*-===//
//
// Debian's LLVM ships no LLVMTestingSupport, so the two idioms the codegen
// tests need are spelled here.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_UNIT_CODEGEN_ERRORTESTING_H
#define KILN_TEST_UNIT_CODEGEN_ERRORTESTING_H

#include "llvm/Support/Error.h"

#include <string>

/// Fails the test (returning from it) with the error's message when
/// `expected` holds an error.
#define ASSERT_SUCCEEDED(expected)                                             \
  ASSERT_TRUE(static_cast<bool>(expected))                                     \
      << llvm::toString((expected).takeError())

namespace kiln::codegen::testing {

/// The message of the error `value` holds, or "<succeeded>" so that a
/// matcher on the message fails when no error was raised.
template <typename T> std::string errorMessage(llvm::Expected<T> value) {
  if (value)
    return "<succeeded>";
  return llvm::toString(value.takeError());
}

} // namespace kiln::codegen::testing

#endif // KILN_TEST_UNIT_CODEGEN_ERRORTESTING_H
