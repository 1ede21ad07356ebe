// Error bodies in the caller's API format (SPEC section 3), so SDKs raise
// their usual exception classes.
#pragma once

#include <string>
#include <string_view>

#include "gateway/downstream/http_message.h"
#include "metrics/error_type.h"
#include "metrics/usage_parser.h"

namespace slotgate::gateway {

using metrics::ApiFormat;

// /v1/messages and every path under it (/v1/messages/count_tokens, and unknown ones such as
// /v1/messages/batches, whose 404 an Anthropic SDK must be able to read) speak Anthropic;
// everything else OpenAI.
ApiFormat apiFormatForPath(std::string_view path);

// The headers of a JSON answer the gateway writes itself (errors, model lists): content-type,
// x-request-id, on Anthropic paths request-id with the same value (the Anthropic SDKs read
// that one), and Date.
Headers gatewayAnswerHeaders(ApiFormat format, const std::string& request_id);

// {"error":{"message","type","code"}} or {"type":"error","error":{"type","message","code"}}
// (SPEC: error.code is the code in both formats).
// `message` must hold no secret; it is JSON-escaped here.
std::string errorBody(ApiFormat format, metrics::ErrorType code, std::string_view message);

}  // namespace slotgate::gateway
