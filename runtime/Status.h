//===- Status.h - Errors as values in the Kiln runtime ----------*- C++ -*-===//
//
// The runtime reports every failure (a bad launch, a corrupt engine file, a
// shape outside every profile) as a value: a Status holding a message, or an
// Expected<T> holding a value or the Status saying why there is none. Nothing
// in the runtime throws or aborts on bad input. Header-only, standard library
// only.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_STATUS_H
#define KILN_RUNTIME_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace kiln {

/// Success, or an error message.
class Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.failed = true;
    s.text = std::move(message);
    return s;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

/// A value or the Status saying why there is none.
template <typename T> class Expected {
public:
  /*implicit*/ Expected(T value) : value_(std::move(value)) {}
  /*implicit*/ Expected(Status status) : status_(std::move(status)) {
    if (status_.ok()) // An error without a message is a caller bug; keep it
      status_ = Status::error("internal error: Expected built from success");
  }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status &status() const { return status_; }
  const std::string &message() const { return status_.message(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  T &value() { return *value_; }
  const T &value() const { return *value_; }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace kiln

#endif // KILN_RUNTIME_STATUS_H
