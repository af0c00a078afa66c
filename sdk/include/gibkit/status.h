// File: gibkit/status.h
//
// Status and Result<T>: how every gibkit module reports failure.
//
// A closed set of codes is shared by the kernel and every plugin; a code
// crosses the plugin ABI as an integer (see plugin_abi.h), so values are
// stable and must never be renumbered.
//
//   Result<Address> addr = Address::parse(text);
//   if (!addr) return addr.status();        // propagate
//   use(*addr);
//
// GIBKIT_RETURN_IF_ERROR(expr) and GIBKIT_ASSIGN_OR_RETURN(lhs, expr) shorten
// the propagation. Neither Status nor Result ever throws: reading the value of
// a Result that holds an error is a bug, which aborts the process with the
// error on stderr (as Abseil's StatusOr does when exceptions are off).
#pragma once

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gibkit {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,     // bad input: malformed JSON, address, config value
  kNotFound = 2,            // no record, plugin, identity or key by that name
  kAlreadyExists = 3,       // duplicate name or registration
  kFailedPrecondition = 4,  // call out of order (e.g. a saga leg in the wrong state)
  kPermissionDenied = 5,    // authentication failed: bad keystone proof or identity
  kDataLoss = 6,            // content does not match its hash, corrupt storage
  kUnavailable = 7,         // transport or storage not reachable right now
  kAborted = 8,             // operation abandoned; nothing was committed
  kResourceExhausted = 9,   // a size or count limit was exceeded
  kDeadlineExceeded = 10,   // timed out
  kIncompatible = 11,       // plugin or data built for another version
  kInternal = 12,           // a bug: an invariant did not hold
};

// Stable lower-case name of a code, e.g. "permission_denied".
[[nodiscard]] std::string_view status_code_name(StatusCode code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  [[nodiscard]] bool ok() const noexcept { return code_ == StatusCode::kOk; }
  [[nodiscard]] StatusCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  // "code_name: message", or "ok".
  [[nodiscard]] std::string to_string() const;

  // Returns a copy whose message is "context: message"; OK stays OK.
  [[nodiscard]] Status with_context(std::string_view context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Factories, one per code, so call sites read as what went wrong.
inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status permission_denied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status data_loss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status deadline_exceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status incompatible(std::string m) { return {StatusCode::kIncompatible, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains its absence. Constructing a Result from
// an OK Status is a bug (asserted in debug builds, reported as kInternal).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok());
    if (std::get<Status>(state_).ok()) state_ = internal_error("Result built from an OK status");
  }

  [[nodiscard]] bool ok() const noexcept { return std::holds_alternative<T>(state_); }
  explicit operator bool() const noexcept { return ok(); }

  // OK when a value is held.
  [[nodiscard]] Status status() const { return ok() ? Status() : *std::get_if<Status>(&state_); }

  // The value; requires ok() (else aborts, naming the error).
  T& value() & { return *held(); }
  const T& value() const& { return *held(); }
  T&& value() && { return std::move(*held()); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  T* held() {
    if (T* value = std::get_if<T>(&state_)) return value;
    die(*std::get_if<Status>(&state_));
  }
  const T* held() const { return const_cast<Result*>(this)->held(); }
  [[noreturn]] static void die(const Status& error) noexcept {
    std::fprintf(stderr, "gibkit: Result::value() read from an error: %s\n", error.to_string().c_str());
    std::abort();
  }

  std::variant<T, Status> state_;
};

}  // namespace gibkit

#define GIBKIT_STATUS_CONCAT_INNER_(a, b) a##b
#define GIBKIT_STATUS_CONCAT_(a, b) GIBKIT_STATUS_CONCAT_INNER_(a, b)

// Evaluates a Status expression and returns it from the caller when not OK.
#define GIBKIT_RETURN_IF_ERROR(expr)                   \
  do {                                                 \
    ::gibkit::Status gibkit_status_tmp_ = (expr);      \
    if (!gibkit_status_tmp_.ok()) return gibkit_status_tmp_; \
  } while (0)

// Evaluates a Result expression; on error returns its Status from the caller,
// otherwise moves the value into `lhs` (which may be a declaration).
#define GIBKIT_ASSIGN_OR_RETURN(lhs, expr) \
  GIBKIT_ASSIGN_OR_RETURN_IMPL_(GIBKIT_STATUS_CONCAT_(gibkit_result_, __LINE__), lhs, expr)
#define GIBKIT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
