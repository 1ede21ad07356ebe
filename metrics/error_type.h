// The fixed error codes of SPEC section 3. They are both the `code` of an error
// body and the `error_type` label of inference_errors_total, so label values
// can never come from request data. Thread-safety: constants only.
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

// HTTP status slotgate answers with; 0 for kUpstreamStatus (the upstream's own).
inline constexpr std::array<int, kErrorTypeCount> kErrorTypeStatus = {
    400, 401, 403, 404, 413, 429, 502, 503, 504, 404, 405, 0,
};

// `error.type` in both the OpenAI and the Anthropic error body (SPEC section 3).
inline constexpr std::array<std::string_view, kErrorTypeCount> kErrorTypeApiTypes = {
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
    "timeout_error",
    "invalid_request_error",
    "invalid_request_error",
    "api_error",
};

constexpr size_t errorTypeIndex(ErrorType t) { return static_cast<size_t>(t); }
constexpr std::string_view errorTypeLabel(ErrorType t) {
  return kErrorTypeLabels[errorTypeIndex(t)];
}
constexpr int errorTypeStatus(ErrorType t) { return kErrorTypeStatus[errorTypeIndex(t)]; }
constexpr std::string_view errorTypeApiType(ErrorType t) {
  return kErrorTypeApiTypes[errorTypeIndex(t)];
}

static_assert(static_cast<size_t>(ErrorType::kUpstreamStatus) + 1 == kErrorTypeCount);

}  // namespace slotgate::metrics
