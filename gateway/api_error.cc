#include "gateway/api_error.h"

#include "metrics/log.h"

namespace slotgate::gateway {

ApiFormat apiFormatForPath(std::string_view path) {
  return path == "/v1/messages" ? ApiFormat::kAnthropic : ApiFormat::kOpenAI;
}

std::string errorBody(ApiFormat format, metrics::ErrorType code, std::string_view message) {
  std::string out;
  out.reserve(128 + message.size());
  const std::string_view type = metrics::errorTypeApiType(code);
  if (format == ApiFormat::kAnthropic) {
    out += R"({"type":"error","error":{"type":")";
    out += type;
    out += R"(","message":")";
    metrics::appendJsonEscaped(out, message);
    out += R"(","code":")";
    out += metrics::errorTypeLabel(code);
    out += "\"}}";
  } else {
    out += R"({"error":{"message":")";
    metrics::appendJsonEscaped(out, message);
    out += R"(","type":")";
    out += type;
    out += R"(","code":")";
    out += metrics::errorTypeLabel(code);
    out += "\"}}";
  }
  return out;
}

}  // namespace slotgate::gateway
