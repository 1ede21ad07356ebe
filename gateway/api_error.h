// Error bodies in the caller's API format (SPEC section 3), so SDKs raise
// their usual exception classes.
#pragma once

#include <string>
#include <string_view>

#include "metrics/error_type.h"
#include "metrics/usage_parser.h"

namespace slotgate::gateway {

using metrics::ApiFormat;

// /v1/messages speaks Anthropic; everything else OpenAI.
ApiFormat apiFormatForPath(std::string_view path);

// {"error":{"message","type","code"}} or {"type":"error","error":{"type","message","code"}}
// (SPEC: error.code is the code in both formats).
// `message` must hold no secret; it is JSON-escaped here.
std::string errorBody(ApiFormat format, metrics::ErrorType code, std::string_view message);

}  // namespace slotgate::gateway
