// Error bodies in the caller's API format (SPEC section 3), so SDKs raise
// their usual exception classes.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "gateway/downstream/http_message.h"
#include "metrics/error_type.h"

namespace slotgate::gateway {

// HTTP status slotgate answers an error with; 0 for kUpstreamStatus (the upstream's own).
constexpr int errorTypeStatus(metrics::ErrorType type) {
  constexpr std::array<int, metrics::kErrorTypeCount> kStatus = {
      400, 401, 403, 404, 413, 429, 502, 503, 504, 404, 405, 0,
  };
  return kStatus[metrics::errorTypeIndex(type)];
}

// `error.type` of an error in both the OpenAI and the Anthropic body (SPEC section 3).
constexpr std::string_view errorTypeApiType(metrics::ErrorType type) {
  constexpr std::array<std::string_view, metrics::kErrorTypeCount> kApiTypes = {
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
  return kApiTypes[metrics::errorTypeIndex(type)];
}

// The headers of a JSON answer the gateway writes itself (errors, model lists): content-type,
// x-request-id, on Anthropic paths request-id with the same value (the Anthropic SDKs read
// that one), and Date.
Headers gatewayAnswerHeaders(conf::ProviderType format, std::string_view request_id);

// {"error":{"message","type","code"}} or {"type":"error","error":{"type","message","code"}}
// (SPEC: error.code is the code in both formats).
// `message` must hold no secret; it is JSON-escaped here.
std::string errorBody(conf::ProviderType format, metrics::ErrorType code, std::string_view message);

}  // namespace slotgate::gateway
