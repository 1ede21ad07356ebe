#include "gateway/proxy/api_error.h"

#include <chrono>

#include "conf/json_escape.h"
#include "gateway/proxy/http_date.h"

namespace slotgate::gateway {

Headers gatewayAnswerHeaders(conf::ProviderType format, std::string_view request_id) {
  Headers headers;
  headers.reserve(8);  // room for retry-after and x-slotgate-* the caller may add
  headers.push_back({"content-type", "application/json"});
  headers.push_back({"x-request-id", std::string(request_id)});
  if (format == conf::ProviderType::kAnthropic) {
    headers.push_back({"request-id", std::string(request_id)});
  }
  headers.push_back({"date", httpDate(std::chrono::system_clock::now())});
  return headers;
}

std::string errorBody(conf::ProviderType format, metrics::ErrorType code,
                      std::string_view message) {
  std::string out;
  out.reserve(128 + message.size());
  const std::string_view type = errorTypeApiType(code);
  if (format == conf::ProviderType::kAnthropic) {
    out += R"({"type":"error","error":{"type":")";
    out += type;
    out += R"(","message":")";
    conf::appendJsonEscaped(out, message);
    out += R"(","code":")";
    out += metrics::errorTypeLabel(code);
    out += "\"}}";
  } else {
    out += R"({"error":{"message":")";
    conf::appendJsonEscaped(out, message);
    out += R"(","type":")";
    out += type;
    out += R"(","code":")";
    out += metrics::errorTypeLabel(code);
    out += "\"}}";
  }
  return out;
}

}  // namespace slotgate::gateway
