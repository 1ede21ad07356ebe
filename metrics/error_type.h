// The fixed values of the `error_type` label of inference_errors_total: the error codes of
// SPEC section 3 (which error bodies also carry as their `code`), so label values can never
// come from request data. What an error means to an API client (its HTTP status, its
// `error.type`) is gateway/proxy/api_error.h's. Thread-safety: constants only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slotgate::metrics {

enum class ErrorType : uint8_t {
  kInvalidRequest,            // 400
  kInvalidApiKey,             // 401
  kModelNotAllowed,           // 403
  kModelNotFound,             // 404
  kRequestTooLarge,           // 413
  kConcurrencyLimitExceeded,  // 429
  kUpstreamError,             // 502
  kNoUpstreamAvailable,       // 503
  kUpstreamTimeout,           // 504
  kNotFound,                  // 404 (unknown path)
  kMethodNotAllowed,          // 405
  kUpstreamStatus,            // an upstream error response passed through as sent
};

inline constexpr size_t kErrorTypeCount = 12;

// `code` / `error_type` label value.
inline constexpr std::array<std::string_view, kErrorTypeCount> kErrorTypeLabels = {
    "invalid_request", "invalid_api_key",       "model_not_allowed",
    "model_not_found", "request_too_large",     "concurrency_limit_exceeded",
    "upstream_error",  "no_upstream_available", "upstream_timeout",
    "not_found",       "method_not_allowed",    "upstream_status",
};

constexpr size_t errorTypeIndex(ErrorType t) { return static_cast<size_t>(t); }
constexpr std::string_view errorTypeLabel(ErrorType t) {
  return kErrorTypeLabels[errorTypeIndex(t)];
}

static_assert(static_cast<size_t>(ErrorType::kUpstreamStatus) + 1 == kErrorTypeCount);

}  // namespace slotgate::metrics
